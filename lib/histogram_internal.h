/* histogram_internal: layout helpers shared by the histogram source files
 * (not for use outside lib/). */
#pragma once
#include <stdint.h>

#include "histogram.h"

/* hist_counts_index - counts[] slot of @v (may be out of bounds: check). */
int32_t hist_counts_index(const struct hist *h, int64_t v);
/* hist_value_from_index - lowest value counted in counts[@index]. */
int64_t hist_value_from_index(const struct hist *h, int32_t index);
/* hist_recompute_min_max - set min/max to the bounds of the first and last
 * non-empty buckets (after decoding, when exact extremes are unknown). */
void hist_recompute_min_max(struct hist *h);
