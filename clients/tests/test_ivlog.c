/* Unit test: the 1 s interval log - values land in the interval of the time
 * they were observed, empty intervals are kept, the last one is partial, and
 * the whole-run histogram holds everything. Read back with histlog's reader. */
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "histlog.h"
#include "ivlog.h"

#define S 1000000000ULL

int main(void)
{
	struct histlog_reader rd;
	struct ivlog l;
	struct hist *h;
	double start, len;
	int64_t expect_count[] = { 2, 0, 1, 1 };
	double expect_len[] = { 1.0, 1.0, 1.0, 0.5 };
	int n = 0, rc;
	FILE *in;

	CHECK(ivlog_init(&l, 10 * S, 1700000000.0, S) == 0, "init");
	/* base 10 s: [10,11) gets 2 values, [11,12) none, [12,13) one value at
	 * exactly 12 s (a boundary belongs to the next interval), [13,13.5) one. */
	CHECK(ivlog_record(&l, 10 * S, 1000000) == 0, "record");
	CHECK(ivlog_record(&l, 10 * S + S / 2, 3000000) == 0, "record");
	CHECK(ivlog_record(&l, 12 * S, 400000000) == 0, "record");
	CHECK(ivlog_record(&l, 13 * S + 1, 2000000) == 0, "record");
	CHECK(ivlog_finish(&l, 13 * S + S / 2) == 0, "finish");
	CHECK(hist_count(l.total) == 4, "total count %lld", (long long)hist_count(l.total));
	CHECK(hist_max(l.total) >= 399000000, "total max");

	in = fmemopen(l.text, l.text_len, "r");
	CHECK(in != NULL, "fmemopen");
	if (!in)
		return 1;
	CHECK(histlog_reader_init(&rd, in) == 0, "reader");
	while ((rc = histlog_read_interval(&rd, &start, &len, &h)) == 1) {
		if (n < 4) {
			CHECK(hist_count(h) == expect_count[n], "interval %d count %lld, want %lld",
			      n, (long long)hist_count(h), (long long)expect_count[n]);
			CHECK(start > n - 0.001 && start < n + 0.001, "interval %d starts at %.3f", n, start);
			CHECK(len > expect_len[n] - 0.001 && len < expect_len[n] + 0.001,
			      "interval %d length %.3f", n, len);
		}
		n++;
		hist_free(h);
	}
	CHECK(rc == 0, "read error %d", rc);
	CHECK(n == 4, "%d intervals, want 4", n);
	histlog_reader_fini(&rd);
	fclose(in);
	ivlog_free(&l);
	return check_done("test_ivlog");
}
