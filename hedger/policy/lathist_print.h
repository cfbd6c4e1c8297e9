/* lathist_print.h: user-space views of a struct lathist (latency_hist.h)
 * for `hedger stats`: log2 rows and bcc-style bars. */
#pragma once
#include <stdint.h>
#include <stdio.h>

#include "latency_hist.h"

#define LATHIST_LOG2_ROWS LATHIST_TOP_LOG2	/* row k: [2^k, 2^(k+1)) us; row 0: [0, 2) */

/* lathist_fold_log2 - sum the buckets into log2 rows. Buckets never straddle
 * a power of two, so the fold is exact. */
void lathist_fold_log2(const struct lathist *h, uint64_t rows[LATHIST_LOG2_ROWS]);
/* lathist_print_log2 - print the non-empty row range as bars, like the bcc
 * tools' print_log2_hist; nothing when the histogram is empty. */
void lathist_print_log2(FILE *out, const struct lathist *h);
