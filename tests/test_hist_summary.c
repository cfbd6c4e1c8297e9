/* test_hist_summary: the one-row CSV summary (header, numbers, quoting). */
#include <stdlib.h>
#include <string.h>

#include "histogram.h"
#include "check.h"

static char *summary(const struct hist *h, const char *label, bool header)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	REQUIRE(f, "open_memstream");
	CHECK(hist_write_summary_csv(h, f, label, header) == 0, "write");
	fclose(f);
	return text;
}

int main(void)
{
	struct hist *h = hist_new_default();
	char *text;

	REQUIRE(h, "alloc");
	text = summary(h, "empty", true);
	CHECK(!strcmp(text, "label,count,min,p50,p90,p95,p99,p99.9,max,mean\n"
			    "empty,0,0,0,0,0,0,0,0,0.0\n"), "empty:\n%s", text);
	free(text);

	/* 1..1000 once each, plus 5000 (in the 4-wide bucket 5000..5003). */
	for (int64_t v = 1; v <= 1000; v++)
		hist_record(h, v);
	hist_record(h, 5000);
	text = summary(h, "base", false);
	/* ranks: p50 501, p90 901, p95 951, p99 991, p99.9 1000 of 1001 values;
	 * mean (500500 + 5002) / 1001 = 505.0 with 5000's bucket midpoint */
	CHECK(!strcmp(text, "base,1001,1,501,901,951,991,1000,5000,505.0\n"), "row: %s", text);
	free(text);

	text = summary(h, "a,b \"x\"", false);
	CHECK(!strncmp(text, "\"a,b \"\"x\"\"\",1001,", 17), "quoted label: %s", text);
	free(text);
	text = summary(h, NULL, false);
	CHECK(!strncmp(text, ",1001,", 6), "NULL label: %s", text);
	free(text);
	hist_free(h);
	return check_done("test_hist_summary");
}
