/* Unit test: GC-pause scheduling (spec parsing, seeded Poisson starts, no
 * overlap, rate). */
#include <errno.h>
#include <math.h>
#include <stdint.h>

#include "check.h"
#include "log.h"
#include "pausesched.h"

static void test_parse(void)
{
	uint64_t dur = 0;
	double rate = 0;

	CHECK(pause_parse_spec("--gc-pause", "20ms@1/s", &dur, &rate) == 0 &&
	      dur == 20000000 && rate == 1.0, "20ms@1/s");
	CHECK(pause_parse_spec("--gc-pause", "500us@100/s", &dur, &rate) == 0 &&
	      dur == 500000 && rate == 100.0, "500us@100/s");
	CHECK(pause_parse_spec("--gc-pause", "5ms@2", &dur, &rate) == 0 && rate == 2.0,
	      "bare rate is per second");
	CHECK(pause_parse_spec("--gc-pause", "20ms", &dur, &rate) == -EINVAL, "no rate");
	CHECK(pause_parse_spec("--gc-pause", "@1/s", &dur, &rate) == -EINVAL, "no duration");
	CHECK(pause_parse_spec("--gc-pause", "20ms@", &dur, &rate) == -EINVAL, "empty rate");
	CHECK(pause_parse_spec("--gc-pause", "20@1/s", &dur, &rate) != 0, "duration without unit");
	CHECK(pause_parse_spec("--gc-pause", "20ms@0/s", &dur, &rate) == -EINVAL, "zero rate");
	CHECK(pause_parse_spec("--gc-pause", "0@1/s", &dur, &rate) == -EINVAL, "zero duration");
	CHECK(pause_parse_spec("--gc-pause", "300ms@2/s", &dur, &rate) == -EINVAL,
	      "paused 60%% of the time");
	CHECK(pause_parse_spec("--gc-pause", "20ms@1/x", &dur, &rate) != 0, "bad rate unit");
}

static void test_deterministic(void)
{
	struct pause_sched a, b, c;
	int same_c = 0;

	pause_sched_init(&a, 42, 20000000, 1.0);
	pause_sched_init(&b, 42, 20000000, 1.0);
	pause_sched_init(&c, 43, 20000000, 1.0);
	for (int i = 0; i < 100; i++) {
		uint64_t ta = pause_sched_next(&a), tb = pause_sched_next(&b);

		CHECK(ta == tb, "same seed, same pause %d", i);
		same_c += pause_sched_next(&c) == ta;
	}
	CHECK(same_c == 0, "another seed gives another schedule (%d equal)", same_c);
}

static void test_statistics(void)
{
	const int n = 200000;
	const uint64_t dur = 1000000;     /* 1 ms */
	const double rate = 50.0;         /* 50/s: busy 5% of the time */
	struct pause_sched ps;
	uint64_t prev_end = 0, t = 0, first;
	double gap, sum = 0, sum_sq = 0;

	pause_sched_init(&ps, 7, dur, rate);
	first = pause_sched_next(&ps);
	CHECK(first > 0, "first pause not at the very start");
	prev_end = first + dur;
	for (int i = 1; i < n; i++) {
		t = pause_sched_next(&ps);
		CHECK(t >= prev_end, "pause %d starts at %llu inside the previous one (ends %llu)",
		      i, (unsigned long long)t, (unsigned long long)prev_end);
		gap = (double)(t - (prev_end - dur)) / 1e9;
		sum += gap;
		sum_sq += gap * gap;
		prev_end = t + dur;
	}
	/* Arrivals are Poisson; a start pushed out of a running pause does not
	 * move later arrivals, so the mean start-to-start gap stays 1/rate =
	 * 20 ms. With 2e5 samples its standard error is 20 ms / sqrt(2e5) =
	 * 0.045 ms; +-0.5 ms is > 10 sigma, so this fails only if the law is wrong. */
	double mean = sum / (n - 1);
	CHECK(fabs(mean - 0.02) < 0.0005, "mean gap %.6f s, expected 0.02", mean);
	/* Exponential: standard deviation ~= mean (coefficient of variation 1). */
	double sd = sqrt(sum_sq / (n - 1) - mean * mean);
	CHECK(fabs(sd / mean - 1.0) < 0.05, "gap cv %.3f, expected ~1 (Poisson)", sd / mean);
	/* Pause rate over the whole span. */
	double span_s = (double)t / 1e9;
	CHECK(fabs((n / span_s) - rate) / rate < 0.02, "rate %.2f/s, expected %.0f/s", n / span_s, rate);
}

int main(void)
{
	log_set_program("test_pausesched");
	test_parse();
	test_deterministic();
	test_statistics();
	return check_done("test_pausesched");
}
