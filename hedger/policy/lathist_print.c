/* lathist_print.c: see lathist_print.h. */
#include <string.h>

#include "lathist_print.h"

#define BAR_WIDTH 40

void lathist_fold_log2(const struct lathist *h, uint64_t rows[LATHIST_LOG2_ROWS])
{
	memset(rows, 0, sizeof(uint64_t) * LATHIST_LOG2_ROWS);
	for (uint32_t i = 0; i < LATHIST_BUCKETS; i++) {
		uint64_t lo = lathist_lower_us(i);

		rows[lo < 2 ? 0 : lathist_log2((uint32_t)lo)] += h->counts[i];
	}
}

void lathist_print_log2(FILE *out, const struct lathist *h)
{
	uint64_t rows[LATHIST_LOG2_ROWS], max = 0;
	int first = -1, last = -1;

	lathist_fold_log2(h, rows);
	for (int k = 0; k < LATHIST_LOG2_ROWS; k++) {
		if (!rows[k])
			continue;
		if (first < 0)
			first = k;
		last = k;
		if (rows[k] > max)
			max = rows[k];
	}
	if (first < 0)
		return;
	fprintf(out, "%24s : count    distribution\n", "usecs");
	for (int k = first; k <= last; k++) {
		uint64_t lo = k ? 1ull << k : 0, hi = (1ull << (k + 1)) - 1;
		int stars = (int)((rows[k] * BAR_WIDTH + max - 1) / max);
		char bar[BAR_WIDTH + 1];

		memset(bar, ' ', BAR_WIDTH);
		memset(bar, '*', (size_t)stars);
		bar[BAR_WIDTH] = '\0';
		fprintf(out, "%10llu -> %-10llu : %-8llu |%s|\n", (unsigned long long)lo,
			(unsigned long long)hi, (unsigned long long)rows[k], bar);
	}
}
