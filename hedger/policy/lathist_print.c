/* lathist_print.c: see lathist_print.h. */
#include <string.h>

#include "lathist_print.h"

#define BAR_WIDTH 40

void lathist_add(struct lathist *sum, const struct lathist *h)
{
	for (uint32_t i = 0; i < LATHIST_BUCKETS; i++)
		sum->counts[i] += h->counts[i];
}

uint64_t lathist_count(const struct lathist *h)
{
	uint64_t n = 0;

	for (uint32_t i = 0; i < LATHIST_BUCKETS; i++)
		n += h->counts[i];
	return n;
}

double lathist_mid_sum_us(const struct lathist *h)
{
	double t = 0;

	for (uint32_t i = 0; i < LATHIST_BUCKETS; i++)
		t += (double)h->counts[i] * (double)(lathist_lower_us(i) + lathist_upper_us(i)) / 2;
	return t;
}

uint64_t lathist_quantile_upper_us(const struct lathist *h, uint32_t permille)
{
	uint64_t total = lathist_count(h), cum = 0;

	for (uint32_t i = 0; i < LATHIST_BUCKETS && total; i++) {
		cum += h->counts[i];
		if (cum && cum * 1000 >= total * permille)
			return lathist_upper_us(i);
	}
	return 0;
}

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
