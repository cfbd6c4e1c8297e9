/* test_hist_basic: construction, recording, range checks, statistics,
 * value equivalence, merge, reset and iteration of the HDR histogram. */
#include <errno.h>
#include <math.h>

#include "histogram.h"
#include "check.h"

static void test_construction(void)
{
	struct hist *h = hist_new_default();

	REQUIRE(h, "default histogram");
	/* 3 digits: 2048 sub-buckets; 1 ns .. 1 h needs 2048 * 2^31 > 3.6e12. */
	CHECK(h->sub_bucket_count == 2048, "sub buckets %d", h->sub_bucket_count);
	CHECK(h->bucket_count == 32, "buckets %d", h->bucket_count);
	CHECK(h->counts_len == 33 * 1024, "counts_len %d", h->counts_len);
	CHECK(hist_count(h) == 0 && hist_min(h) == 0 && hist_max(h) == 0, "empty stats");
	CHECK(hist_mean(h) == 0 && hist_stddev(h) == 0, "empty mean/stddev");
	CHECK(hist_value_at_percentile(h, 50) == 0, "empty percentile");
	hist_free(h);

	CHECK(!hist_new(0, 1000, 3), "lowest 0 accepted");
	CHECK(!hist_new(1, 1, 3), "highest < 2 * lowest accepted");
	CHECK(!hist_new(1000, 1999, 3), "highest < 2 * lowest accepted");
	CHECK(!hist_new(1, 1000, 0), "0 significant digits accepted");
	CHECK(!hist_new(1, 1000, 6), "6 significant digits accepted");
	h = hist_new(1, INT64_MAX, 2);
	CHECK(h, "full int64 range with 2 digits refused");
	hist_free(h);
	/* The requirement: at least 60 s in ns at 3 digits. */
	h = hist_new(1, 60LL * 1000000000, 3);
	REQUIRE(h, "60 s histogram");
	CHECK(hist_record(h, 60LL * 1000000000) == 0, "record 60 s");
	hist_free(h);
}

static void test_range_and_precision(void)
{
	struct hist *h = hist_new_default();

	REQUIRE(h, "alloc");
	CHECK(hist_record(h, -1) == -ERANGE, "negative value accepted");
	CHECK(hist_record(h, HIST_DEFAULT_HIGHEST + 1) == -ERANGE, "value above range accepted");
	CHECK(hist_record(h, INT64_MAX) == -ERANGE, "INT64_MAX accepted");
	CHECK(hist_record_n(h, 5, -2) == -EINVAL, "negative count accepted");
	CHECK(hist_count(h) == 0, "a rejected value was counted");
	CHECK(hist_record(h, 0) == 0, "0 refused");
	CHECK(hist_record(h, HIST_DEFAULT_HIGHEST) == 0, "highest trackable refused");
	CHECK(hist_count(h) == 2 && hist_min(h) == 0 && hist_max(h) == HIST_DEFAULT_HIGHEST,
	      "count/min/max after edge values");

	/* Below 2048 every value has its own bucket; above, buckets double. */
	CHECK(hist_equivalent_range(h, 1000) == 1, "range(1000)");
	CHECK(hist_equivalent_range(h, 2047) == 1, "range(2047)");
	CHECK(hist_equivalent_range(h, 2048) == 2, "range(2048)");
	CHECK(hist_equivalent_range(h, 10000) == 8, "range(10000)");
	CHECK(hist_lowest_equivalent(h, 10007) == 10000, "lowest(10007)");
	CHECK(hist_highest_equivalent(h, 10000) == 10007, "highest(10000)");
	CHECK(hist_values_equivalent(h, 10000, 10007), "10000 ~ 10007");
	CHECK(!hist_values_equivalent(h, 10007, 10008), "10007 !~ 10008");
	/* The precision bound everywhere: width / value <= 2^-10 < 10^-3. */
	for (int64_t v = 2048; v < HIST_DEFAULT_HIGHEST; v = v * 3 / 2 + 7) {
		int64_t lo = hist_lowest_equivalent(h, v);
		double rel = (double)hist_equivalent_range(h, v) / (double)lo;

		CHECK(rel <= 1.0 / 1024, "range of %lld is %g of its value", (long long)v, rel);
		CHECK(lo <= v && v <= hist_highest_equivalent(h, v), "%lld outside its bucket",
		      (long long)v);
	}
	hist_free(h);
}

static void test_statistics(void)
{
	struct hist *h = hist_new_default();
	double expected_sd = sqrt((1000.0 * 1000.0 - 1) / 12);

	REQUIRE(h, "alloc");
	/* 1..1000 are all exact (unit buckets): known mean and deviation. */
	for (int64_t v = 1; v <= 1000; v++)
		REQUIRE(hist_record(h, v) == 0, "record %lld", (long long)v);
	CHECK(hist_count(h) == 1000, "count");
	CHECK(hist_min(h) == 1 && hist_max(h) == 1000, "min %lld max %lld",
	      (long long)hist_min(h), (long long)hist_max(h));
	CHECK(fabs(hist_mean(h) - 500.5) < 1e-9, "mean %f", hist_mean(h));
	CHECK(fabs(hist_stddev(h) - expected_sd) < 1e-6, "stddev %f (want %f)",
	      hist_stddev(h), expected_sd);
	CHECK(hist_value_at_percentile(h, 50) == 500, "p50 %lld",
	      (long long)hist_value_at_percentile(h, 50));
	CHECK(hist_value_at_percentile(h, 99.9) == 999, "p99.9 %lld",
	      (long long)hist_value_at_percentile(h, 99.9));
	CHECK(hist_value_at_percentile(h, 0.05) == 1, "p0.05 is the first value");
	CHECK(hist_count_at_value(h, 7) == 1 && hist_count_at_value(h, 5000) == 0,
	      "count_at_value");
	CHECK(hist_record_n(h, 1000000, 3) == 0, "record_n");
	CHECK(hist_count(h) == 1003 && hist_count_at_value(h, 1000000) == 3,
	      "record_n counted %lld", (long long)hist_count_at_value(h, 1000000));
	/* Bucket of 1e6 is 512 wide: mean uses its midpoint 999936 + 256. */
	CHECK(fabs(hist_mean(h) - (500500.0 + 3 * 1000192.0) / 1003) < 1e-6, "mean with 1e6 %f",
	      hist_mean(h));
	hist_free(h);
}

static void test_merge(void)
{
	struct hist *a = hist_new_default(), *b = hist_new_default();
	struct hist *coarse = hist_new(1000, 10000000000LL, 2), *small = hist_new(1, 1000000, 3);

	REQUIRE(a && b && coarse && small, "alloc");
	for (int64_t v = 100; v < 200; v++)
		hist_record(a, v);
	for (int64_t v = 150000; v < 150100; v++)
		hist_record(b, v);
	hist_record(b, 7);
	CHECK(hist_merge(a, b) == 0, "merge dropped values");
	CHECK(hist_count(a) == 201, "merged count %lld", (long long)hist_count(a));
	CHECK(hist_min(a) == 7 && hist_max(a) == 150099, "merged min %lld max %lld",
	      (long long)hist_min(a), (long long)hist_max(a));
	CHECK(hist_count_at_value(a, 7) == 1 && hist_count_at_value(a, 150) == 1, "merged counts");
	CHECK(hist_count(b) == 101, "merge changed its source");

	/* Into a different layout: counts survive at the coarser precision. */
	CHECK(hist_merge(coarse, b) == 0, "merge into a coarse histogram dropped values");
	CHECK(hist_count(coarse) == 101, "coarse count %lld", (long long)hist_count(coarse));
	CHECK(hist_values_equivalent(coarse, hist_value_at_percentile(coarse, 50),
				     hist_value_at_percentile(b, 50)), "coarse p50");

	/* Values beyond the destination's range are dropped and counted. */
	hist_record_n(b, 5000000000LL, 4);
	CHECK(hist_merge(small, b) == 4, "values out of the destination's range");
	CHECK(hist_count(small) == 101, "small count %lld", (long long)hist_count(small));
	hist_free(a);
	hist_free(b);
	hist_free(coarse);
	hist_free(small);
}

static void test_iteration_and_reset(void)
{
	static const int64_t values[] = { 0, 1, 1, 2047, 2048, 2049, 123456, 123457, 3000000000LL };
	struct hist *h = hist_new_default();
	struct hist_iter it;
	int64_t cumulative = 0, last = -1;
	int buckets = 0;

	REQUIRE(h, "alloc");
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++)
		REQUIRE(hist_record(h, values[i]) == 0, "record");
	hist_iter_init(&it, h);
	while (hist_iter_next(&it)) {
		CHECK(it.value > last, "iteration not increasing at %lld", (long long)it.value);
		CHECK(it.count > 0, "empty bucket visited");
		CHECK(it.highest_equivalent == hist_highest_equivalent(h, it.value), "bucket top");
		cumulative += it.count;
		CHECK(it.cumulative_count == cumulative, "cumulative count");
		last = it.value;
		buckets++;
	}
	/* 0, 1 (x2), 2047, 2048+2049 share a 2-wide bucket, 123456+123457 too
	 * (64-wide), 3e9. */
	CHECK(buckets == 6, "visited %d buckets", buckets);
	CHECK(cumulative == 9, "iterated count %lld", (long long)cumulative);
	CHECK(hist_iter_next(&it) == false, "iteration restarted after the end");

	hist_reset(h);
	CHECK(hist_count(h) == 0 && hist_min(h) == 0 && hist_max(h) == 0, "reset stats");
	CHECK(hist_count_at_value(h, 1) == 0, "reset counts");
	hist_iter_init(&it, h);
	CHECK(!hist_iter_next(&it), "iteration of a reset histogram");
	CHECK(hist_record(h, 42) == 0 && hist_min(h) == 42 && hist_max(h) == 42,
	      "recording after reset");
	hist_free(h);
}

int main(void)
{
	test_construction();
	test_range_and_precision();
	test_statistics();
	test_merge();
	test_iteration_and_reset();
	return check_done("test_hist_basic");
}
