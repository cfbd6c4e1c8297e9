/* test_lathist_buckets: lathist_record puts known latencies into the buckets
 * the documented layout says, agrees with an independent edge table on a few
 * thousand values, and lathist_percentile returns the upper edge of the
 * bucket holding the sample of rank ceil(p * n). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "check.h"
#include "prog_run.h"
#include "latency_hist.h"
#include "lathist_test.skel.h"

#define NVALUES 2999	/* not a multiple of 1000: rank rounding matters */

/* Independent description of the layout: group g of 8 buckets starts at
 * 0 (g = 0) or 4 << g us, and its buckets are 1 << (g - 1) us wide (1 for g 0, 1). */
static uint64_t ref_lower[LATHIST_BUCKETS];

static void ref_init(void)
{
	for (uint32_t g = 0; g < LATHIST_BUCKETS / 8; g++)
		for (uint32_t s = 0; s < 8; s++)
			ref_lower[g * 8 + s] = g == 0 ? s : (4ull << g) + s * (1ull << (g - 1));
}

static uint32_t ref_bucket(uint64_t us)
{
	uint32_t i = LATHIST_BUCKETS - 1;

	while (i > 0 && ref_lower[i] > us)
		i--;
	return i;
}

static uint64_t ref_upper_us(uint32_t i)
{
	return i + 1 < LATHIST_BUCKETS ? ref_lower[i + 1] : 1ull << 22;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static struct lathist_test_bpf *skel;
static int map_fd;

static void svc_zero(uint32_t key)
{
	static struct lathist_svc zero;

	if (bpf_map_update_elem(map_fd, &key, &zero, BPF_ANY))
		CHECK(0, "zeroing svc %u: %s", key, strerror(errno));
}

static void svc_read(uint32_t key, struct lathist_svc *s)
{
	if (bpf_map_lookup_elem(map_fd, &key, s))
		CHECK(0, "reading svc %u: %s", key, strerror(errno));
}

static void record(uint32_t key, uint64_t ns)
{
	skel->bss->in_svc = key;
	skel->bss->in_ns = ns;
	if (prog_run_simple(bpf_program__fd(skel->progs.lathist_record_prog), 1))
		CHECK(0, "test run of record: %s", strerror(errno));
}

static uint64_t percentile(uint32_t key, uint32_t permille)
{
	skel->bss->in_svc = key;
	skel->bss->in_permille = permille;
	skel->bss->out_ns = ~0ull;
	if (prog_run_simple(bpf_program__fd(skel->progs.lathist_percentile_prog), 1))
		CHECK(0, "test run of percentile: %s", strerror(errno));
	return skel->bss->out_ns;
}

/* Values worked out by hand from the layout in latency_hist.h. */
static void test_known_values(void)
{
	static const struct { uint64_t ns; uint32_t idx; } known[] = {
		{ 0, 0 }, { 999, 0 }, { 1000, 1 }, { 7999, 7 }, { 8000, 8 },
		{ 15000, 15 }, { 16000, 16 }, { 17999, 16 }, { 18000, 17 },
		{ 100000, 36 },		/* 100 us: 2^6 group, (100 >> 3) & 7 = 4 */
		{ 1000000, 63 },	/* 1 ms: [960, 1024) us */
		{ 1024000, 64 },	/* [1024, 1152) us */
		{ 10000000, 89 },	/* 10 ms: [9216, 10240) us */
		{ 4194303000ull, 159 },	/* 2^22 - 1 us */
		{ 5000000000ull, 159 },	/* above the range: last bucket */
		{ 1ull << 62, 159 },
	};
	struct lathist_svc s;

	for (size_t k = 0; k < sizeof(known) / sizeof(known[0]); k++) {
		uint64_t total = 0;

		svc_zero(1);
		record(1, known[k].ns);
		svc_read(1, &s);
		for (uint32_t i = 0; i < LATHIST_BUCKETS; i++)
			total += s.hist.counts[i];
		CHECK_EQ(total, 1, "samples after one record");
		CHECK(s.hist.counts[known[k].idx] == 1, "%llu ns: not in bucket %u",
			 (unsigned long long)known[k].ns, known[k].idx);
		CHECK_EQ(lathist_bucket(known[k].ns / 1000), known[k].idx, "lathist_bucket (user space)");
	}
}

/* Edges of every bucket, both sides of each, placed as the reference says. */
static void test_edges_and_error(void)
{
	for (uint32_t i = 0; i < LATHIST_BUCKETS; i++) {
		CHECK_EQ(lathist_lower_us(i), ref_lower[i], "lower edge");
		CHECK_EQ(lathist_upper_us(i), ref_upper_us(i), "upper edge");
		CHECK_EQ(lathist_bucket(ref_lower[i]), i, "bucket of a lower edge");
		CHECK_EQ(lathist_bucket(ref_upper_us(i) - 1), i, "bucket of upper edge - 1");
		/* documented bound: upper edge < value * 9/8 for values >= 8 us */
		if (ref_lower[i] >= 8)
			CHECK(ref_upper_us(i) * 8 <= ref_lower[i] * 9,
				 "bucket %u wider than 1/8 of its values", i);
	}
}

static void test_distribution(void)
{
	static const uint32_t ps[] = { 1, 100, 500, 900, 950, 990, 999, 1000 };
	static uint64_t v[NVALUES];
	static uint64_t want[LATHIST_BUCKETS];
	struct lathist_svc s;
	uint64_t x = 0x9e3779b97f4a7c15ull;

	svc_zero(0);
	CHECK_EQ(percentile(0, 950), 0, "percentile of an empty histogram");
	memset(want, 0, sizeof(want));
	for (int i = 0; i < NVALUES; i++) {
		/* log-uniform over 100 ns .. ~2.7 s, xorshift */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		v[i] = 100ull << (x % 25);
		v[i] += (x >> 8) % v[i];
		record(0, v[i]);
		want[ref_bucket(v[i] / 1000)]++;
	}
	svc_read(0, &s);
	for (uint32_t i = 0; i < LATHIST_BUCKETS; i++)
		CHECK(s.hist.counts[i] == want[i], "bucket %u: got %llu, want %llu", i,
			 (unsigned long long)s.hist.counts[i], (unsigned long long)want[i]);

	qsort(v, NVALUES, sizeof(v[0]), cmp_u64);
	for (size_t k = 0; k < sizeof(ps) / sizeof(ps[0]); k++) {
		uint64_t rank = ((uint64_t)NVALUES * ps[k] + 999) / 1000;
		uint64_t exp = ref_upper_us(ref_bucket(v[rank - 1] / 1000)) * 1000;

		CHECK(percentile(0, ps[k]) == exp, "p%u/1000: got %llu ns, want %llu ns",
			 ps[k], (unsigned long long)skel->bss->out_ns, (unsigned long long)exp);
	}
}

/* Ten samples, each in its own bucket: every percentile from p0 to p100
 * names one exact rank, so rank rounding errors show. */
static void test_every_percentile(void)
{
	static const uint64_t us[] = { 1, 2, 3, 4, 5, 6, 7, 10, 20, 50 };
	const uint64_t n = sizeof(us) / sizeof(us[0]);

	svc_zero(2);
	for (uint64_t i = 0; i < n; i++)
		record(2, us[i] * 1000);
	for (uint32_t p = 0; p <= 1000; p++) {
		uint64_t rank = (n * p + 999) / 1000;
		uint64_t exp = ref_upper_us(ref_bucket(us[rank ? rank - 1 : 0])) * 1000;
		uint64_t got = percentile(2, p);

		CHECK(got == exp, "p%u/1000 of 10 samples: got %llu ns, want %llu ns", p,
			 (unsigned long long)got, (unsigned long long)exp);
	}
	CHECK_EQ(percentile(2, 5000), 52000, "p > 1000: the maximum, 50 us in [48, 52)");
}

int main(void)
{
	int err;

	prog_run_require_root();
	ref_init();
	skel = lathist_test_bpf__open_and_load();
	if (!skel)
		prog_run_load_failed("lathist_test", -errno);
	map_fd = bpf_map__fd(skel->maps.svcs);

	test_known_values();
	test_edges_and_error();
	test_distribution();
	test_every_percentile();

	lathist_test_bpf__destroy(skel);
	err = check_done("lathist_buckets");
	return err;
}
