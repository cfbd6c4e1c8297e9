/* test_hdr_tool: hdr-tool's summary/percentile/hgrm of interval logs equal
 * the library's numbers for the same logs, and bad input gives one error
 * line, no output and exit status 2.
 * usage: test_hdr_tool PATH_TO_HDR_TOOL COUNT_OVERFLOW_HLOG */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "histlog.h"
#include "histogram.h"
#include "check.h"
#include "rng.h"

static const char *tool;
static char dir[] = "/tmp/test_hdr_tool.XXXXXX";
static const char *const files[] = { "a.hlog", "b.hlog", "junk.hlog", "coarse.hlog", "stderr" };

/* Runs at every exit, REQUIRE failures included: leave nothing behind. */
static void remove_dir(void)
{
	char path[256];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
}

struct run {
	int status;       /* exit status, -1 if it did not exit */
	char *out;        /* stdout */
	int err_lines;    /* lines on stderr */
	char err[512];    /* first stderr line */
};

/* run_tool - run "hdr-tool ARGS" through the shell, capture both streams. */
static struct run run_tool(const char *args)
{
	struct run r = { .status = -1 };
	char cmd[2048], errpath[256], line[512];
	size_t cap = 0, len = 0, n;
	FILE *p, *e;
	int st;

	snprintf(errpath, sizeof(errpath), "%s/stderr", dir);
	snprintf(cmd, sizeof(cmd), "'%s' %s 2>'%s'", tool, args, errpath);
	p = popen(cmd, "r");
	REQUIRE(p, "popen");
	do {
		if (len + 4096 > cap) {
			cap = cap ? cap * 2 : 65536;
			r.out = realloc(r.out, cap);
			REQUIRE(r.out, "alloc");
		}
		n = fread(r.out + len, 1, cap - len - 1, p);
		len += n;
	} while (n > 0);
	r.out[len] = '\0';
	st = pclose(p);
	if (st != -1 && WIFEXITED(st))
		r.status = WEXITSTATUS(st);
	e = fopen(errpath, "r");
	REQUIRE(e, "stderr file");
	while (fgets(line, sizeof(line), e)) {
		if (!r.err_lines++)
			snprintf(r.err, sizeof(r.err), "%s", line);
	}
	fclose(e);
	return r;
}

/* Writes a log of @intervals seeded intervals; returns their merge as the
 * library reads it back from the file. */
static struct hist *write_log(const char *path, uint64_t seed, int intervals)
{
	struct test_rng rng = { seed };
	struct hist *h = hist_new_default(), *merged = hist_new_default(), *back;
	struct histlog_reader reader;
	FILE *f = fopen(path, "w");
	double start, len;

	REQUIRE(h && merged && f, "setup %s", path);
	histlog_write_header(f, 1763769600.0);
	for (int i = 0; i < intervals; i++) {
		hist_reset(h);
		for (int n = 0; n < 3000; n++)
			hist_record(h, (int64_t)rng_lognormal(&rng, 2e5 * (i + 1), 1.2));
		REQUIRE(histlog_write_interval(f, i, 1, h, 1e6) == 0, "write");
	}
	REQUIRE(fclose(f) == 0, "close");
	f = fopen(path, "r");
	REQUIRE(f, "reopen");
	histlog_reader_init(&reader, f);
	while (histlog_read_interval(&reader, &start, &len, &back) == 1) {
		hist_merge(merged, back);
		hist_free(back);
	}
	histlog_reader_fini(&reader);
	fclose(f);
	hist_free(h);
	return merged;
}

static char *capture(const struct hist *h, int (*fn)(const struct hist *, FILE *, void *),
		     void *arg)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	REQUIRE(f && fn(h, f, arg) == 0, "library output");
	fclose(f);
	return text;
}

static int summary_fn(const struct hist *h, FILE *f, void *label)
{
	return hist_write_summary_csv(h, f, label, true);
}

static int hgrm_us_fn(const struct hist *h, FILE *f, void *unused)
{
	return hist_write_percentiles(h, f, 5, 1e3);
}

static void expect_output(const char *args, const char *want)
{
	struct run r = run_tool(args);

	CHECK(r.status == 0, "hdr-tool %s: exit %d, stderr: %s", args, r.status, r.err);
	CHECK(r.err_lines == 0, "hdr-tool %s: stderr: %s", args, r.err);
	CHECK(!strcmp(r.out, want), "hdr-tool %s:\n--- got\n%s--- library\n%s", args, r.out, want);
	free(r.out);
}

/* write_coarse_log - one interval at 1 significant digit (wide buckets) of
 * values above a.hlog's. */
static void write_coarse_log(const char *path)
{
	struct hist *h = hist_new(1, HIST_DEFAULT_HIGHEST, 1);
	FILE *f = fopen(path, "w");

	REQUIRE(h && f, "setup %s", path);
	for (int64_t v = 100000000; v < 190000000; v += 7001)
		hist_record(h, v);
	histlog_write_header(f, 1763769600.0);
	REQUIRE(histlog_write_interval(f, 0, 1, h, 1e6) == 0, "write");
	REQUIRE(fclose(f) == 0, "close");
	hist_free(h);
}

static long long tool_number(const char *args)
{
	struct run r = run_tool(args);
	long long v = -1;

	CHECK(r.status == 0 && sscanf(r.out, "%lld", &v) == 1, "hdr-tool %s: exit %d, out %s",
	      args, r.status, r.out);
	free(r.out);
	return v;
}

static void expect_bad_input(const char *args, const char *err_has)
{
	struct run r = run_tool(args);

	CHECK(r.status == 2, "hdr-tool %s: exit %d, want 2", args, r.status);
	CHECK(r.err_lines == 1, "hdr-tool %s: %d stderr lines, want 1", args, r.err_lines);
	CHECK(strstr(r.err, err_has), "hdr-tool %s: error '%s' lacks '%s'", args, r.err, err_has);
	CHECK(r.out[0] == '\0', "hdr-tool %s: wrote output on error: %s", args, r.out);
	free(r.out);
}

int main(int argc, char **argv)
{
	char a[256], b[256], junk[256], coarse[256], args[1024], want[64];
	struct hist *ha, *hb, *both;
	FILE *f;
	char *text;

	if (argc != 3) {
		fprintf(stderr, "usage: %s PATH_TO_HDR_TOOL COUNT_OVERFLOW_HLOG\n", argv[0]);
		return 1;
	}
	tool = argv[1];
	REQUIRE(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
	atexit(remove_dir);
	snprintf(a, sizeof(a), "%s/a.hlog", dir);
	snprintf(b, sizeof(b), "%s/b.hlog", dir);
	snprintf(junk, sizeof(junk), "%s/junk.hlog", dir);
	ha = write_log(a, 1, 4);
	hb = write_log(b, 2, 3);
	both = hist_new_default();
	REQUIRE(both && hist_merge(both, ha) == 0 && hist_merge(both, hb) == 0, "merge");
	CHECK(hist_count(both) == 7 * 3000, "test data");

	/* summary: one log, two logs, explicit label */
	snprintf(args, sizeof(args), "summary --label trial-a '%s'", a);
	text = capture(ha, summary_fn, "trial-a");
	expect_output(args, text);
	free(text);
	snprintf(args, sizeof(args), "summary -l both '%s' '%s'", a, b);
	text = capture(both, summary_fn, "both");
	expect_output(args, text);
	free(text);
	/* the CSV's numbers, independently of the library's CSV writer */
	snprintf(args, sizeof(args), "summary -l x '%s' '%s'", a, b);
	{
		struct run r = run_tool(args);
		long long count, min, p50, p90, p95, p99, p999, max;

		CHECK(sscanf(r.out, "label,count,min,p50,p90,p95,p99,p99.9,max,mean\n"
			     "x,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%lld,", &count, &min, &p50, &p90,
			     &p95, &p99, &p999, &max) == 8, "summary format: %s", r.out);
		CHECK(count == hist_count(both) && min == hist_min(both) && max == hist_max(both),
		      "summary count/min/max");
		CHECK(p50 == hist_value_at_percentile(both, 50) &&
		      p99 == hist_value_at_percentile(both, 99) &&
		      p999 == hist_value_at_percentile(both, 99.9), "summary percentiles");
		free(r.out);
	}

	/* percentile and hgrm */
	snprintf(args, sizeof(args), "percentile 99.9 '%s' '%s'", a, b);
	snprintf(want, sizeof(want), "%lld\n", (long long)hist_value_at_percentile(both, 99.9));
	expect_output(args, want);
	snprintf(args, sizeof(args), "hgrm --scale 1e3 '%s'", b);
	text = capture(hb, hgrm_us_fn, NULL);
	expect_output(args, text);
	free(text);

	/* bad input */
	f = fopen(junk, "w");
	REQUIRE(f, "junk");
	fputs("#[Histogram log format version 1.3]\n0.000,1.000,not a histogram\n", f);
	fclose(f);
	expect_bad_input("", "missing COMMAND");
	expect_bad_input("frobnicate x", "unknown command");
	snprintf(args, sizeof(args), "summary '%s' '%s/missing.hlog'", a, dir);
	expect_bad_input(args, "missing.hlog");
	snprintf(args, sizeof(args), "summary '%s'", junk);
	expect_bad_input(args, "junk.hlog:2");
	snprintf(args, sizeof(args), "percentile 101 '%s'", a);
	expect_bad_input(args, "101");
	snprintf(args, sizeof(args), "percentile '%s'", a);
	expect_bad_input(args, "percentile");
	snprintf(args, sizeof(args), "hgrm --scale 0 '%s'", a);
	expect_bad_input(args, "--scale");
	expect_bad_input("summary", "missing LOG");
	/* three intervals of 2^62+1 counts: the total would pass INT64_MAX */
	snprintf(args, sizeof(args), "summary '%s'", argv[2]);
	expect_bad_input(args, "total count");
	snprintf(args, sizeof(args), "percentile 50 '%s'", argv[2]);
	expect_bad_input(args, ":6:");
	/* a directory is a bad argument (exit 2), like a missing file */
	snprintf(args, sizeof(args), "summary '%s'", dir);
	expect_bad_input(args, "directory");
	snprintf(args, sizeof(args), "summary - < '%s'", dir);
	expect_bad_input(args, "directory");

	/* logs of different layouts: the merge keeps every percentile within
	 * the max it reports */
	snprintf(coarse, sizeof(coarse), "%s/coarse.hlog", dir);
	write_coarse_log(coarse);
	{
		struct run r;
		long long max = -1, p50, p100;

		snprintf(args, sizeof(args), "summary -l m '%s' '%s'", a, coarse);
		r = run_tool(args);
		CHECK(r.status == 0 && sscanf(r.out, "label,count,min,p50,p90,p95,p99,p99.9,max,mean\n"
					      "m,%*d,%*d,%*d,%*d,%*d,%*d,%*d,%lld,", &max) == 1,
		      "hdr-tool %s: exit %d, out %s", args, r.status, r.out);
		free(r.out);
		snprintf(args, sizeof(args), "percentile 50 '%s' '%s'", a, coarse);
		p50 = tool_number(args);
		snprintf(args, sizeof(args), "percentile 100 '%s' '%s'", a, coarse);
		p100 = tool_number(args);
		CHECK(p50 <= max && p100 <= max, "different layouts: p50 %lld, p100 %lld, max %lld",
		      p50, p100, max);
		CHECK(max >= 189000000, "different layouts: max %lld below the largest value", max);
	}

	hist_free(ha);
	hist_free(hb);
	hist_free(both);
	return check_done("test_hdr_tool");
}
