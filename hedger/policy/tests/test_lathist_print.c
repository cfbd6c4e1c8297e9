/* test_lathist_print: folding the log-linear buckets into log2 rows is exact
 * (every bucket lands in the row of its values), and the bars print the
 * non-empty row range like bcc's print_log2_hist; count, sum (bucket
 * middles), quantile (bucket upper edge) and adding histograms agree with
 * the samples recorded. No root needed. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "lathist_print.h"

int main(void)
{
	static const uint64_t us[] = { 0, 1, 1, 3, 100, 100, 127, 128, 5000, 5000, 5000, 5000 };
	struct lathist h, two;
	double mid = 0;
	uint64_t rows[LATHIST_LOG2_ROWS], want[LATHIST_LOG2_ROWS] = { 0 };
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	memset(&h, 0, sizeof(h));
	for (size_t i = 0; i < sizeof(us) / sizeof(us[0]); i++) {
		h.counts[lathist_bucket(us[i])]++;
		want[us[i] < 2 ? 0 : 63 - __builtin_clzll(us[i])]++;	/* row by definition */
		mid += (double)(lathist_lower_us(lathist_bucket(us[i])) +
				lathist_upper_us(lathist_bucket(us[i]))) / 2;
	}
	CHECK_EQ(lathist_count(&h), 12, "count");
	CHECK(lathist_mid_sum_us(&h) == mid, "sum of bucket middles %.1f, want %.1f",
	      lathist_mid_sum_us(&h), mid);
	/* sorted: 0 1 1 3 100 100 127 128 5000 x4 */
	CHECK_EQ(lathist_quantile_upper_us(&h, 500), lathist_upper_us(lathist_bucket(100)), "p50");
	CHECK_EQ(lathist_quantile_upper_us(&h, 1), 1, "p0.1: the first sample's bucket");
	CHECK_EQ(lathist_quantile_upper_us(&h, 1000), lathist_upper_us(lathist_bucket(5000)), "p100");
	memset(&two, 0, sizeof(two));
	lathist_add(&two, &h);
	lathist_add(&two, &h);
	CHECK_EQ(lathist_count(&two), 24, "two histograms added");
	CHECK_EQ(two.counts[lathist_bucket(5000)], 8, "added per bucket");
	/* every bucket folds to the row of both of its edges */
	for (uint32_t i = 0; i < LATHIST_BUCKETS; i++) {
		struct lathist one;
		uint64_t lo = lathist_lower_us(i), hi = lathist_upper_us(i) - 1;
		int row = lo < 2 ? 0 : 63 - __builtin_clzll(lo);

		CHECK_EQ(hi < 2 ? 0 : 63 - __builtin_clzll(hi), row, "bucket within one log2 row");
		memset(&one, 0, sizeof(one));
		one.counts[i] = 1;
		lathist_fold_log2(&one, rows);
		CHECK_EQ(rows[row], 1, "folded row");
	}
	lathist_fold_log2(&h, rows);
	for (int k = 0; k < LATHIST_LOG2_ROWS; k++)
		CHECK(rows[k] == want[k], "row %d: %llu, want %llu", k,
			 (unsigned long long)rows[k], (unsigned long long)want[k]);

	f = open_memstream(&text, &len);
	lathist_print_log2(f, &h);
	fclose(f);
	fputs(text, stdout);
	CHECK(strstr(text, "         0 -> 1          : 3        |******************************          |\n") != NULL,
		 "row 0 -> 1 with 3 of max 4");
	CHECK(strstr(text, "      4096 -> 8191       : 4        |****************************************|\n") != NULL,
		 "row 4096 -> 8191 with the max");
	CHECK(strstr(text, "       128 -> 255        : 1        |**********                              |\n") != NULL,
		 "row 128 -> 255");
	CHECK(strstr(text, "8192 ->") == NULL, "rows after the last non-empty one printed");
	free(text);

	memset(&h, 0, sizeof(h));
	f = open_memstream(&text, &len);
	lathist_print_log2(f, &h);
	fclose(f);
	CHECK_EQ(len, 0, "empty histogram prints nothing");
	CHECK_EQ(lathist_quantile_upper_us(&h, 500), 0, "empty histogram has no quantile");
	free(text);
	return check_done("lathist_print");
}
