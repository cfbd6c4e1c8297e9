/* test_hist_hgrm: the classic .hgrm percentile distribution: exact text for
 * small cases, and for a larger one rows that agree with
 * hist_value_at_percentile, percentile levels in HdrHistogram's steps and
 * the footer. (test_conformance compares whole files with hdr-histogram-js.) */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "histogram.h"
#include "check.h"

static char *hgrm(const struct hist *h, int ticks, double scale, int *err)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	REQUIRE(f, "open_memstream");
	*err = hist_write_percentiles(h, f, ticks, scale);
	fclose(f);
	return text;
}

static void test_exact_text(void)
{
	static const char single[] =
		"       Value     Percentile TotalCount 1/(1-Percentile)\n"
		"\n"
		"       1.000 0.000000000000          1           1.00\n"
		"       1.000 1.000000000000          1\n"
		"#[Mean    =        1.000, StdDeviation   =        0.000]\n"
		"#[Max     =        1.000, Total count    =            1]\n"
		"#[Buckets =           32, SubBuckets     =         2048]\n";
	static const char empty[] =
		"       Value     Percentile TotalCount 1/(1-Percentile)\n"
		"\n"
		"#[Mean    =        0.000, StdDeviation   =        0.000]\n"
		"#[Max     =        0.000, Total count    =            0]\n"
		"#[Buckets =           32, SubBuckets     =         2048]\n";
	struct hist *h = hist_new_default();
	char *text;
	int err;

	REQUIRE(h, "alloc");
	text = hgrm(h, 5, 1e3, &err);
	CHECK(err == 0 && !strcmp(text, empty), "empty histogram:\n%s", text);
	free(text);
	hist_record(h, 1000);
	text = hgrm(h, 5, 1e3, &err);  /* 1000 ns printed in us */
	CHECK(err == 0 && !strcmp(text, single), "one value:\n%s", text);
	free(text);
	text = hgrm(h, 0, 1e3, &err);
	CHECK(err == -EINVAL, "0 ticks accepted");
	free(text);
	text = hgrm(h, 5, 0, &err);
	CHECK(err == -EINVAL, "scale 0 accepted");
	free(text);
	hist_free(h);
}

static void test_rows(void)
{
	struct hist *h = hist_new_default();
	double value, fraction, inverse, level = 0, prev_value = -1;
	long long count, prev_count = 0;
	char *text, *line, *save = NULL, want[128];
	int err, rows = 0, last_rows = 0, footer = 0;

	REQUIRE(h, "alloc");
	for (int64_t v = 1; v <= 10000; v++)
		hist_record(h, v);
	text = hgrm(h, 5, 1.0, &err);
	REQUIRE(err == 0, "hgrm: %d", err);
	line = strtok_r(text, "\n", &save);
	CHECK(line && !strcmp(line, "       Value     Percentile TotalCount 1/(1-Percentile)"),
	      "header");
	while ((line = strtok_r(NULL, "\n", &save))) {
		if (line[0] == '#') {
			footer++;
			continue;
		}
		CHECK(!footer, "row after the footer: %s", line);
		if (sscanf(line, "%lf %lf %lld %lf", &value, &fraction, &count, &inverse) == 4) {
			rows++;
			/* levels 0, 10, .. 50, 55, .. 75, 77.5, ...: 5 per halving */
			CHECK(fabs(fraction * 100 - level) < 1e-9, "row %d level %.12f, want %g",
			      rows, fraction, level / 100);
			level += 100.0 / (5 * pow(2, floor(log2(100.0 / (100.0 - level))) + 1));
			CHECK(fabs(inverse - 1 / (1 - fraction)) < 0.006, "row %d 1/(1-P)", rows);
			if (fraction > 0)
				CHECK(value == (double)hist_value_at_percentile(h, fraction * 100),
				      "row %d: %f vs value at p%g %lld", rows, value, fraction * 100,
				      (long long)hist_value_at_percentile(h, fraction * 100));
		} else {
			CHECK(sscanf(line, "%lf %lf %lld", &value, &fraction, &count) == 3 &&
			      fraction == 1.0 && count == 10000, "last row: %s", line);
			last_rows++;
		}
		CHECK(value >= prev_value && count >= prev_count, "not monotonic at %s", line);
		prev_value = value;
		prev_count = count;
	}
	CHECK(last_rows == 1, "%d rows at 100%%", last_rows);
	/* uniform data reaches 1 - 1/10000 after ~13 halvings of 5 rows */
	CHECK(rows > 50 && rows < 80, "%d rows", rows);
	CHECK(footer == 3, "%d footer lines", footer);
	free(text);

	/* the footer's numbers */
	text = hgrm(h, 5, 1.0, &err);
	snprintf(want, sizeof(want), "#[Mean    = %12.3f, StdDeviation   = %12.3f]\n",
		 hist_mean(h), hist_stddev(h));
	CHECK(strstr(text, want), "mean line, want %s", want);
	CHECK(strstr(text, "#[Max     =    10007.000, Total count    =        10000]\n"),
	      "max line (10000 is in the bucket 10000..10007)");
	free(text);
	hist_free(h);
}

int main(void)
{
	test_exact_text();
	test_rows();
	return check_done("test_hist_hgrm");
}
