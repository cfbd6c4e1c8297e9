/* conformance_peer: the C side of the hdr-histogram-js conformance test
 * (test_conformance.sh drives it).
 *
 *   conformance_peer write LOG EXPECTED.json HGRM
 *       write an interval log of several seeded intervals, the numbers the
 *       reference must find in it (per interval and merged), and the .hgrm
 *       of the merged log as this library prints it (values in us)
 *   conformance_peer check LOG EXPECTED
 *       read a log written by hdr-histogram-js and compare the merged
 *       histogram with the line "count min max p50 p99 p99.9" it wrote */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "histlog.h"
#include "histogram.h"
#include "check.h"
#include "rng.h"

#define INTERVALS 6
#define PER_INTERVAL 20000

static const double check_pcts[] = { 50, 99, 99.9 };

static int64_t draw(struct test_rng *r, int interval)
{
	double v;

	switch (interval) {
	case 0: v = rng_lognormal(r, 250e3, 0.5); break;
	case 1: v = rng_exponential(r, 1e6); break;
	case 2: v = rng_unit(r) < 0.02 ? 40e6 + rng_exponential(r, 10e6)
				      : rng_lognormal(r, 90e3, 0.2); break;
	case 3: v = rng_pareto(r, 50e3, 1.2); break;
	default: v = rng_unit(r) * 3000; break;  /* small values: unit buckets */
	}
	return v < HIST_DEFAULT_HIGHEST ? (int64_t)v : HIST_DEFAULT_HIGHEST;
}

static void write_stats(FILE *out, const char *name, const struct hist *h, bool comma)
{
	fprintf(out, "  \"%s\": {\"count\": %lld, \"min\": %lld, \"max\": %lld", name,
		(long long)hist_count(h), (long long)hist_min(h), (long long)hist_max(h));
	for (size_t k = 0; k < sizeof(check_pcts) / sizeof(check_pcts[0]); k++)
		fprintf(out, ", \"p%g\": %lld", check_pcts[k],
			(long long)hist_value_at_percentile(h, check_pcts[k]));
	fprintf(out, "}%s\n", comma ? "," : "");
}

static int do_write(const char *log_path, const char *expected_path, const char *hgrm_path)
{
	struct histlog_reader reader;
	struct test_rng rng = { 2026 };
	struct hist *h = hist_new_default(), *merged = hist_new_default(), *back;
	FILE *log = fopen(log_path, "w"), *exp = fopen(expected_path, "w"), *hgrm;
	double start, len;
	char name[32];

	REQUIRE(h && merged && log && exp, "setup");
	REQUIRE(histlog_write_header(log, 1763769600.0) == 0, "header");
	fprintf(exp, "{\n");
	for (int i = 0; i < INTERVALS; i++) {
		hist_reset(h);
		/* Interval 5 stays empty: the reference must read it too. */
		for (int n = 0; i != 5 && n < PER_INTERVAL; n++)
			REQUIRE(hist_record(h, draw(&rng, i)) == 0, "record");
		if (i == 4)
			hist_record(h, 0);
		REQUIRE(histlog_write_interval(log, i * 1.0, 1.0, h, 1e6) == 0, "interval");
		REQUIRE(hist_merge(merged, h) == 0, "merge");
		snprintf(name, sizeof(name), "interval%d", i);
		write_stats(exp, name, h, true);
	}
	write_stats(exp, "merged", merged, false);
	fprintf(exp, "}\n");
	REQUIRE(fclose(log) == 0 && fclose(exp) == 0, "close");

	/* The .hgrm of the log as read back (bucket-precision extremes), to be
	 * compared with the reference's outputPercentileDistribution. */
	log = fopen(log_path, "r");
	hgrm = fopen(hgrm_path, "w");
	REQUIRE(log && hgrm, "reopen");
	hist_reset(merged);
	histlog_reader_init(&reader, log);
	while (histlog_read_interval(&reader, &start, &len, &back) == 1) {
		REQUIRE(hist_merge(merged, back) == 0, "merge back");
		hist_free(back);
	}
	histlog_reader_fini(&reader);
	REQUIRE(hist_write_percentiles(merged, hgrm, 5, 1000.0) == 0, "hgrm");
	REQUIRE(fclose(hgrm) == 0, "close hgrm");
	fclose(log);
	hist_free(h);
	hist_free(merged);
	return 0;
}

static int do_check(const char *log_path, const char *expected_path)
{
	struct histlog_reader reader;
	struct hist *merged = hist_new_default(), *h;
	long long want[3 + 3];
	FILE *log = fopen(log_path, "r"), *exp = fopen(expected_path, "r");
	double start, len;
	int intervals = 0, err;

	REQUIRE(merged && log && exp, "open %s / %s", log_path, expected_path);
	REQUIRE(fscanf(exp, "%lld %lld %lld %lld %lld %lld", &want[0], &want[1], &want[2],
		       &want[3], &want[4], &want[5]) == 6, "expected numbers");
	histlog_reader_init(&reader, log);
	while ((err = histlog_read_interval(&reader, &start, &len, &h)) == 1) {
		CHECK(hist_merge(merged, h) == 0, "merge");
		hist_free(h);
		intervals++;
	}
	CHECK(err == 0, "reading the reference's log: %s (line %ld)", strerror(-err),
	      reader.line_no);
	CHECK(intervals > 1, "only %d intervals", intervals);
	CHECK(hist_count(merged) == want[0], "count %lld, reference %lld",
	      (long long)hist_count(merged), want[0]);
	CHECK(hist_values_equivalent(merged, hist_min(merged), want[1]), "min %lld, reference %lld",
	      (long long)hist_min(merged), want[1]);
	CHECK(hist_values_equivalent(merged, hist_max(merged), want[2]), "max %lld, reference %lld",
	      (long long)hist_max(merged), want[2]);
	for (int k = 0; k < 3; k++) {
		int64_t got = hist_value_at_percentile(merged, check_pcts[k]);

		CHECK(hist_values_equivalent(merged, got, want[3 + k]), "p%g %lld, reference %lld",
		      check_pcts[k], (long long)got, want[3 + k]);
	}
	histlog_reader_fini(&reader);
	fclose(log);
	fclose(exp);
	hist_free(merged);
	return check_done("conformance_peer check");
}

int main(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "write"))
		return do_write(argv[2], argv[3], argv[4]);
	if (argc == 4 && !strcmp(argv[1], "check"))
		return do_check(argv[2], argv[3]);
	fprintf(stderr, "usage: %s write LOG EXPECTED.json HGRM | check LOG EXPECTED\n", argv[0]);
	return 2;
}
