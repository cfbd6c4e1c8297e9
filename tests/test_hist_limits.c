/* Unit test: the histogram's limits. Counts never overflow (recording or
 * merging past INT64_MAX is refused and changes nothing), and no percentile
 * exceeds the max: of decoded histograms, of merges across different bucket
 * layouts, and in the summary row of a live one. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "histogram.h"
#include "check.h"

#define BIG (((int64_t)1 << 62) + 1)

static const double levels[] = { 0, 50, 90, 99, 99.9, 100 };

static void check_percentiles_within_max(const struct hist *h, const char *what)
{
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		int64_t v = hist_value_at_percentile(h, levels[i]);

		CHECK(v <= hist_max(h), "%s: p%g = %lld above the max %lld", what, levels[i],
		      (long long)v, (long long)hist_max(h));
		CHECK(v >= 0, "%s: p%g = %lld", what, levels[i], (long long)v);
	}
}

static void test_record_overflow(void)
{
	struct hist *h = hist_new_default();

	REQUIRE(h, "alloc");
	CHECK(hist_record_n(h, 1000, INT64_MAX - 1) == 0, "a count of 2^63-2");
	CHECK(hist_record_n(h, 2000, 1) == 0, "up to INT64_MAX exactly");
	CHECK(hist_record_n(h, 1000, 1) == -EOVERFLOW, "one past INT64_MAX accepted");
	CHECK(hist_record(h, 7) == -EOVERFLOW, "hist_record past INT64_MAX accepted");
	CHECK(hist_count(h) == INT64_MAX, "count %lld after refused records", (long long)hist_count(h));
	CHECK(hist_count_at_value(h, 1000) == INT64_MAX - 1 && hist_min(h) == 1000,
	      "a refused record changed the histogram");
	/* The percentile target rounds to 2^63 as a double (past INT64_MAX):
	 * no undefined conversion, an answer among the recorded buckets. */
	CHECK(hist_value_at_percentile(h, 100) == 1000 || hist_value_at_percentile(h, 100) == 2000,
	      "p100 %lld", (long long)hist_value_at_percentile(h, 100));
	CHECK(hist_values_equivalent(h, hist_value_at_percentile(h, 50), 1000), "p50 %lld",
	      (long long)hist_value_at_percentile(h, 50));
	check_percentiles_within_max(h, "full histogram");
	hist_free(h);
}

static void test_merge_overflow(void)
{
	struct hist *src = hist_new_default(), *dst = hist_new_default();
	struct hist *other = hist_new(1000, 3600000000000LL, 2);

	REQUIRE(src && dst && other, "alloc");
	REQUIRE(hist_record_n(src, 1000000, BIG) == 0, "record 2^62+1");
	CHECK(hist_merge(dst, src) == 0, "first merge");
	CHECK(hist_merge(dst, src) == -EOVERFLOW, "second merge of 2^62+1 accepted");
	CHECK(hist_count(dst) == BIG && hist_count_at_value(dst, 1000000) == BIG,
	      "a refused merge changed dst: count %lld", (long long)hist_count(dst));
	/* The re-recording path (another layout) refuses the same way. */
	CHECK(hist_merge(other, src) == 0, "first merge into another layout");
	CHECK(hist_merge(other, src) == -EOVERFLOW, "second merge into another layout accepted");
	CHECK(hist_count(other) == BIG, "a refused merge changed other: count %lld",
	      (long long)hist_count(other));
	hist_free(src);
	hist_free(dst);
	hist_free(other);
}

/* decoded - @h through the log encoding, as hdr-tool reads it. */
static struct hist *decoded(const struct hist *h)
{
	struct hist *back = NULL;
	char *b64 = NULL;

	REQUIRE(hist_encode(h, &b64) == 0 && hist_decode(b64, &back) == 0, "round trip");
	free(b64);
	return back;
}

static void test_merged_layouts(void)
{
	struct hist *fine = hist_new_default(), *coarse = hist_new(1, 3600000000000LL, 1);
	struct hist *fine_back, *coarse_back, *dst;

	REQUIRE(fine && coarse, "alloc");
	/* A few small values at 3 digits; many large ones at 1 digit, whose
	 * buckets are wide: merged, they are re-recorded at dst's precision. */
	for (int64_t v = 1000; v < 1010; v++)
		hist_record(fine, v);
	for (int64_t v = 100000; v < 190000; v += 7)
		hist_record(coarse, v);
	fine_back = decoded(fine);
	coarse_back = decoded(coarse);
	check_percentiles_within_max(fine_back, "decoded 3 digits");
	check_percentiles_within_max(coarse_back, "decoded 1 digit");

	/* hdr-tool's way: dst takes the first log's layout. */
	dst = hist_new_default();
	REQUIRE(dst && hist_merge(dst, fine_back) == 0 && hist_merge(dst, coarse_back) == 0,
		"merge 1 digit into 3");
	check_percentiles_within_max(dst, "1 digit into 3");
	CHECK(hist_max(dst) >= 189999, "merged max %lld below the largest value",
	      (long long)hist_max(dst));
	CHECK(hist_count(dst) == hist_count(fine) + hist_count(coarse), "merged count");
	hist_free(dst);

	dst = hist_new(1, 3600000000000LL, 1);
	REQUIRE(dst && hist_merge(dst, coarse_back) == 0 && hist_merge(dst, fine_back) == 0,
		"merge 3 digits into 1");
	check_percentiles_within_max(dst, "3 digits into 1");
	CHECK(hist_min(dst) <= 1000 && hist_value_at_percentile(dst, 0) >= hist_min(dst),
	      "merged min %lld, p0 %lld", (long long)hist_min(dst),
	      (long long)hist_value_at_percentile(dst, 0));
	hist_free(dst);

	dst = hist_new(1, 3600000000000LL, 5);
	REQUIRE(dst && hist_merge(dst, coarse_back) == 0, "merge 1 digit into 5");
	check_percentiles_within_max(dst, "1 digit into 5");
	hist_free(dst);
	hist_free(fine_back);
	hist_free(coarse_back);
	hist_free(fine);
	hist_free(coarse);
}

/* The summary row of a live histogram (exact max): 100001 sits in a
 * 64-wide bucket at 3 digits whose bound, 100031, is above the max. */
static void test_summary_within_max(void)
{
	struct hist *h = hist_new_default();
	long long count, min, p[5], max;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	REQUIRE(h && f, "alloc");
	REQUIRE(hist_record(h, 100001) == 0 && hist_record(h, 5) == 0, "record");
	REQUIRE(hist_write_summary_csv(h, f, "x", false) == 0, "summary");
	fclose(f);
	REQUIRE(sscanf(text, "x,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%lld,", &count, &min, &p[0],
		       &p[1], &p[2], &p[3], &p[4], &max) == 8, "summary format: %s", text);
	CHECK(max == 100001, "max %lld", max);
	for (int i = 0; i < 5; i++)
		CHECK(p[i] <= max, "summary percentile %d = %lld above the max %lld", i, p[i], max);
	CHECK(p[4] == 100001, "p99.9 %lld, the max's bucket", p[4]);
	free(text);
	hist_free(h);
}

int main(void)
{
	test_record_overflow();
	test_merge_overflow();
	test_merged_layouts();
	test_summary_within_max();
	return check_done("test_hist_limits");
}
