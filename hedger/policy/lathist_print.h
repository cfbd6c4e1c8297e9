/* lathist_print.h: user-space views of a struct lathist (latency_hist.h)
 * for `hedger stats`: sums, log2 rows and bcc-style bars. */
#pragma once
#include <stdint.h>
#include <stdio.h>

#include "latency_hist.h"

#define LATHIST_LOG2_ROWS LATHIST_TOP_LOG2	/* row k: [2^k, 2^(k+1)) us; row 0: [0, 2) */

/* lathist_add - add every bucket of @h to @sum (per-CPU copies into one). */
void lathist_add(struct lathist *sum, const struct lathist *h);
/* lathist_count - the samples in @h. */
uint64_t lathist_count(const struct lathist *h);
/* lathist_mid_sum_us - the sum of the samples, each taken at its bucket's
 * middle (the kernel keeps counts, not a sum). */
double lathist_mid_sum_us(const struct lathist *h);
/* lathist_quantile_upper_us - the upper edge of the bucket where the
 * cumulative count first reaches @permille of the samples; 0 when empty. */
uint64_t lathist_quantile_upper_us(const struct lathist *h, uint32_t permille);
/* lathist_fold_log2 - sum the buckets into log2 rows. Buckets never straddle
 * a power of two, so the fold is exact. */
void lathist_fold_log2(const struct lathist *h, uint64_t rows[LATHIST_LOG2_ROWS]);
/* lathist_print_log2 - print the non-empty row range as bars, like the bcc
 * tools' print_log2_hist; nothing when the histogram is empty. */
void lathist_print_log2(FILE *out, const struct lathist *h);
