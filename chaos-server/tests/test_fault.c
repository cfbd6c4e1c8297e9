/* The fault schedule as pure functions: the modulo pattern is the reference
 * (id % 100 < 2), replicas stall on different ids unless they share the
 * schedule, the hash pattern hits its rate without being periodic, and the
 * stall distributions have the configured mean within tolerance. */
#include <math.h>
#include <stdio.h>

#include "fault.h"
#include "timeutil.h"
#include "check.h"

#define N 200000U

static void test_modulo_reference(void)
{
	struct fault_cfg c;

	fault_cfg_default(&c);
	for (uint32_t id = 0; id < 1000; id++)
		CHECK(fault_is_bad(&c, id) == (id % 100 < 2), "id %u", id);
	CHECK(fault_is_bad(&c, 4294967200U) == (4294967200U % 100 < 2), "large id");
	CHECK(fault_stall_ns(&c, 100) == 400 * NSEC_PER_MSEC, "fixed stall");
	c.rate = 0;
	CHECK(!fault_is_bad(&c, 0), "rate 0 still stalls id 0");
	c.rate = 1;
	CHECK(fault_is_bad(&c, 57) && fault_is_bad(&c, 99), "rate 1 misses ids");
	c.rate = 0.015;
	CHECK(fault_cfg_check(&c) != 0, "modulo accepted a fractional percent");
}

static void test_replicas(void)
{
	struct fault_cfg a, b;
	uint32_t both = 0, bad_a = 0, bad_b = 0;

	for (int pattern = 0; pattern < 2; pattern++) {
		fault_cfg_default(&a);
		a.pattern = (enum fault_pattern)pattern;
		b = a;
		b.replica = 1;
		both = bad_a = bad_b = 0;
		for (uint32_t id = 0; id < N; id++) {
			bool x = fault_is_bad(&a, id), y = fault_is_bad(&b, id);

			bad_a += x;
			bad_b += y;
			both += x && y;
		}
		printf("%s: replica 0 bad %u, replica 1 bad %u, both %u of %u\n",
		       fault_pattern_name(a.pattern), bad_a, bad_b, both, N);
		CHECK(fabs(bad_b - 0.02 * N) < 0.1 * 0.02 * N, "replica 1 rate off");
		/* modulo: disjoint residue sets; hash: independent, P(both) = rate^2 */
		if (pattern == FAULT_PATTERN_MODULO)
			CHECK(both == 0, "modulo replicas share %u bad ids", both);
		else
			CHECK(both < 3 * 0.0004 * N, "hash replicas share %u bad ids (independent: ~%.0f)",
			      both, 0.0004 * N);
		b.shared_schedule = true;
		for (uint32_t id = 0; id < 10000; id++)
			CHECK(fault_is_bad(&a, id) == fault_is_bad(&b, id), "shared schedule differs at %u", id);
	}
	/* modulo replica K uses residues [2K, 2K+2) */
	fault_cfg_default(&b);
	b.replica = 3;
	CHECK(fault_is_bad(&b, 106) && fault_is_bad(&b, 7) && !fault_is_bad(&b, 0) &&
	      !fault_is_bad(&b, 8), "replica 3 residues");

	/* modulo at 2% has 50 distinct schedules: replica 50 would repeat
	 * replica 0, so it is refused; hash and a shared schedule take any K */
	fault_cfg_default(&b);
	b.replica = 49;
	CHECK(fault_cfg_check(&b) == 0, "modulo replica 49 of 50 refused");
	b.replica = 50;
	CHECK(fault_cfg_check(&b) != 0, "modulo replica 50 (same as 0) accepted");
	b.replica = 1000;
	CHECK(fault_cfg_check(&b) != 0, "modulo replica 1000 accepted");
	b.rate = 0.05;   /* gcd(5, 100) = 5: 20 distinct schedules */
	b.replica = 19;
	CHECK(fault_cfg_check(&b) == 0, "modulo 5%% replica 19 refused");
	b.replica = 20;
	CHECK(fault_cfg_check(&b) != 0, "modulo 5%% replica 20 accepted");
	b.rate = 0.03;   /* coprime with 100: 100 distinct */
	b.replica = 99;
	CHECK(fault_cfg_check(&b) == 0, "modulo 3%% replica 99 refused");
	b.replica = 100;
	CHECK(fault_cfg_check(&b) != 0, "modulo 3%% replica 100 accepted");
	b.shared_schedule = true;
	CHECK(fault_cfg_check(&b) == 0, "shared schedule with replica 100 refused");
	b.shared_schedule = false;
	b.pattern = FAULT_PATTERN_HASH;
	b.replica = 1000;
	CHECK(fault_cfg_check(&b) == 0, "hash replica 1000 refused");
}

static void test_hash_pattern(void)
{
	struct fault_cfg c, d;
	uint32_t bad = 0, period_hits = 0, differ = 0;

	fault_cfg_default(&c);
	c.pattern = FAULT_PATTERN_HASH;
	c.rate = 0.015;
	CHECK(fault_cfg_check(&c) == 0, "hash rejected 1.5%%");
	for (uint32_t id = 0; id < N; id++) {
		bad += fault_is_bad(&c, id);
		period_hits += fault_is_bad(&c, id) && fault_is_bad(&c, id + 100);
	}
	/* binomial sd = sqrt(N p (1-p)) ~ 54; 5 sd */
	printf("hash 1.5%%: %u bad of %u, %u also bad 100 ids later\n", bad, N, period_hits);
	CHECK(fabs(bad - 0.015 * N) < 5 * sqrt(N * 0.015 * 0.985), "hash rate %u of %u", bad, N);
	CHECK(period_hits < 3 * 0.015 * 0.015 * N + 10, "hash pattern looks periodic");
	d = c;
	d.seed = 2;
	for (uint32_t id = 0; id < 10000; id++)
		differ += fault_is_bad(&c, id) != fault_is_bad(&d, id);
	CHECK(differ > 100, "seed changes nothing (%u)", differ);
	for (uint32_t id = 0; id < 1000; id++)
		CHECK(fault_is_bad(&c, id) == fault_is_bad(&c, id), "not deterministic");
}

static void test_distributions(void)
{
	struct fault_cfg c;
	double sum, sq, mean, sd, med_count;

	fault_cfg_default(&c);
	c.dist = FAULT_STALL_EXP;
	sum = sq = med_count = 0;
	for (uint32_t id = 0; id < N; id++) {
		double x = (double)fault_stall_ns(&c, id) / 1e6;

		sum += x;
		sq += x * x;
		med_count += x < 400 * log(2);
	}
	mean = sum / N;
	sd = sqrt(sq / N - mean * mean);
	printf("exp: mean %.1f ms sd %.1f ms, below the median %.3f\n", mean, sd, med_count / N);
	/* standard error of the mean = 400 / sqrt(N) ~ 0.9 ms; 1%% is > 4 se */
	CHECK(fabs(mean - 400) < 4, "exp mean %.1f", mean);
	CHECK(fabs(sd - 400) < 12, "exp sd %.1f", sd);
	CHECK(fabs(med_count / N - 0.5) < 0.01, "exp median");
	CHECK(fault_stall_ns(&c, 12345) == fault_stall_ns(&c, 12345), "exp not deterministic");

	c.dist = FAULT_STALL_PARETO;
	c.pareto_alpha = 3;    /* finite variance so the sample mean converges */
	sum = med_count = 0;
	{
		double xm = 400.0 * 2 / 3, min = 1e18;

		for (uint32_t id = 0; id < N; id++) {
			double x = (double)fault_stall_ns(&c, id) / 1e6;

			sum += x;
			min = x < min ? x : min;
			med_count += x < xm * pow(2, 1.0 / 3);
		}
		mean = sum / N;
		printf("pareto(3): mean %.1f ms min %.1f ms (x_m %.1f), below the median %.3f\n",
		       mean, min, xm, med_count / N);
		CHECK(fabs(mean - 400) < 0.03 * 400, "pareto mean %.1f", mean);
		CHECK(min >= xm - 0.001 && min < xm * 1.01, "pareto min %.1f", min);
		CHECK(fabs(med_count / N - 0.5) < 0.01, "pareto median");
	}
	c.pareto_alpha = 1.05;
	c.stall_max_ns = 2 * NSEC_PER_SEC;
	for (uint32_t id = 0; id < N; id++)
		CHECK(fault_stall_ns(&c, id) <= 2 * NSEC_PER_SEC, "cap ignored");
}

static void test_pauses(void)
{
	struct fault_cfg c;

	fault_cfg_default(&c);
	c.pause_every_ns = NSEC_PER_SEC;
	c.pause_for_ns = 100 * NSEC_PER_MSEC;
	c.pause_jitter = 0.2;
	CHECK(fault_cfg_check(&c) == 0, "pause config rejected");
	for (uint64_t k = 0; k < 1000; k++) {
		uint64_t g = fault_pause_gap_ns(&c, k), l = fault_pause_len_ns(&c, k);

		CHECK(g >= 800 * NSEC_PER_MSEC && g <= 1200 * NSEC_PER_MSEC, "gap %llu", (unsigned long long)g);
		CHECK(l >= 80 * NSEC_PER_MSEC && l <= 120 * NSEC_PER_MSEC, "len %llu", (unsigned long long)l);
	}
	CHECK(fault_pause_gap_ns(&c, 1) != fault_pause_gap_ns(&c, 2), "no jitter");
	c.pause_for_ns = 2 * NSEC_PER_SEC;
	CHECK(fault_cfg_check(&c) != 0, "pause longer than its period accepted");
}

int main(void)
{
	test_modulo_reference();
	test_replicas();
	test_hash_pattern();
	test_distributions();
	test_pauses();
	return check_done("test_fault");
}
