/* test_histlog_roundtrip: an interval log written with histlog_write_* reads
 * back with identical counts in every interval, with its timestamps; comments,
 * tags and blank lines are skipped; malformed rows are refused. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "histlog.h"
#include "histogram.h"
#include "check.h"
#include "rng.h"

#define INTERVALS 5
#define START_TIME 1763769600.250

static void test_round_trip(void)
{
	struct hist *written[INTERVALS];
	struct histlog_reader r;
	struct test_rng rng = { 99 };
	char *text = NULL;
	size_t text_len = 0;
	FILE *f = open_memstream(&text, &text_len);
	double start, len;
	struct hist *h;
	int i, err;

	REQUIRE(f, "open_memstream");
	REQUIRE(histlog_write_header(f, START_TIME) == 0, "header");
	for (i = 0; i < INTERVALS; i++) {
		written[i] = hist_new_default();
		REQUIRE(written[i], "alloc");
		for (int n = 0; n < 1000 * i; n++)  /* interval 0 is empty */
			hist_record(written[i], (int64_t)rng_lognormal(&rng, 1e5 * (i + 1), 1.0));
		REQUIRE(histlog_write_interval(f, 0.5 * i, 0.5, written[i], 1e6) == 0, "row %d", i);
	}
	fclose(f);

	static const char head[] = "#[Histogram log format version 1.3]\n"
				   "#[StartTime: 1763769600.250 (seconds since epoch), "
				   "Sat Nov 22 00:00:00 UTC 2025]\n";
	CHECK(!strncmp(text, head, strlen(head)), "header:\n%.200s", text);
	CHECK(strstr(text, "\n#[BaseTime: 1763769600.250 (seconds since epoch)]\n"), "BaseTime");
	CHECK(strstr(text, "\n\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\","
			   "\"Interval_Compressed_Histogram\"\n"), "legend");
	CHECK(strstr(text, "\n1.500,0.500,"), "row timestamps");

	f = fmemopen(text, text_len, "r");
	REQUIRE(f, "fmemopen");
	histlog_reader_init(&r, f);
	for (i = 0; (err = histlog_read_interval(&r, &start, &len, &h)) == 1; i++) {
		REQUIRE(i < INTERVALS, "more intervals than written");
		CHECK(fabs(start - 0.5 * i) < 1e-9 && fabs(len - 0.5) < 1e-9, "interval %d times", i);
		CHECK(h->start_time_ms == llround((START_TIME + 0.5 * i) * 1000) &&
		      h->end_time_ms == h->start_time_ms + 500, "interval %d absolute times %lld",
		      i, (long long)h->start_time_ms);
		CHECK(hist_count(h) == hist_count(written[i]), "interval %d count", i);
		CHECK(h->counts_len == written[i]->counts_len &&
		      !memcmp(h->counts, written[i]->counts, (size_t)h->counts_len * sizeof(int64_t)),
		      "interval %d: counts differ", i);
		hist_free(h);
	}
	CHECK(err == 0, "read error %d at line %ld", err, r.line_no);
	CHECK(i == INTERVALS, "read %d intervals", i);
	CHECK(fabs(r.start_time_s - START_TIME) < 1e-6 && fabs(r.base_time_s - START_TIME) < 1e-6,
	      "start %f base %f", r.start_time_s, r.base_time_s);
	histlog_reader_fini(&r);
	fclose(f);
	for (i = 0; i < INTERVALS; i++)
		hist_free(written[i]);
	free(text);
}

/* Reads @text; returns the first non-1 result and the interval count. */
static int read_all(const char *text, int *intervals, long *line_no)
{
	struct histlog_reader r;
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	double start, len;
	struct hist *h;
	int err;

	REQUIRE(f, "fmemopen");
	histlog_reader_init(&r, f);
	*intervals = 0;
	while ((err = histlog_read_interval(&r, &start, &len, &h)) == 1) {
		(*intervals)++;
		hist_free(h);
	}
	*line_no = r.line_no;
	histlog_reader_fini(&r);
	fclose(f);
	return err;
}

static void test_foreign_and_malformed(void)
{
	struct hist *h = hist_new_default();
	char *b64 = NULL, text[4096];
	int n, err;
	long line;

	REQUIRE(h && hist_record(h, 12345) == 0 && hist_encode(h, &b64) == 0, "setup");
	/* Tags, CRLF, blank lines, unknown comments, no BaseTime. */
	snprintf(text, sizeof(text),
		 "#[Histogram log format version 1.3]\r\n#[StartTime: 1000.5 (seconds since epoch), x]\r\n"
		 "\r\n#just a comment\n\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\","
		 "\"Interval_Compressed_Histogram\"\nTag=hedged,0.127,1.000,0.012,%s\r\n"
		 "1.127,1.000,0.012,%s\n", b64, b64);
	err = read_all(text, &n, &line);
	CHECK(err == 0 && n == 2, "foreign log: err %d, %d intervals", err, n);

	snprintf(text, sizeof(text), "0.0,1.0,%s\n", b64);
	err = read_all(text, &n, &line);
	CHECK(err == -EINVAL && n == 0, "missing column: err %d", err);
	snprintf(text, sizeof(text), "0.000,1.000,0.012,%s\nabc,1.000,0.012,%s\n", b64, b64);
	err = read_all(text, &n, &line);
	CHECK(err == -EINVAL && n == 1 && line == 2, "bad timestamp: err %d n %d line %ld", err,
	      n, line);
	err = read_all("0.000,1.000,0.012,HISTFAAAxyz=\n", &n, &line);
	CHECK(err == -EINVAL && n == 0, "bad histogram: err %d", err);
	err = read_all("0.000,-1.000,0.012,HISTFAAA\n", &n, &line);
	CHECK(err == -EINVAL, "negative interval length: err %d", err);
	err = read_all("", &n, &line);
	CHECK(err == 0 && n == 0, "empty file: err %d", err);

	CHECK(histlog_write_interval(stdout, 0, -1, h, 1e6) == -EINVAL, "negative length written");
	CHECK(histlog_write_interval(stdout, 0, 1, h, 0) == -EINVAL, "zero scale accepted");
	CHECK(histlog_write_header(stdout, NAN) == -EINVAL, "NaN start time accepted");
	free(b64);
	hist_free(h);
}

int main(void)
{
	test_round_trip();
	test_foreign_and_malformed();
	return check_done("test_histlog_roundtrip");
}
