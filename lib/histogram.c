/* histogram: the HDR histogram layout, recording, statistics and iteration.
 * Encoding lives in histogram_codec.c, text output in histogram_output.c.
 *
 * Layout (the published HdrHistogram design): values are split into buckets
 * whose ranges double; each bucket has sub_bucket_count linear sub-buckets,
 * enough for the requested significant digits. Bucket 0 uses all its
 * sub-buckets, every later bucket only its upper half (the lower half would
 * repeat the previous bucket's range), so counts[] has
 * (bucket_count + 1) * sub_bucket_half_count slots. */
#include "histogram.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "histogram_internal.h"

static int32_t bucket_index(const struct hist *h, int64_t v)
{
	/* Position of the highest set bit, counting the sub-bucket mask so
	 * that small values all land in bucket 0. */
	int32_t pow2_ceiling = 64 - __builtin_clzll((uint64_t)(v | h->sub_bucket_mask));

	return pow2_ceiling - h->unit_magnitude - (h->sub_bucket_half_count_magnitude + 1);
}

static int32_t sub_bucket_index(const struct hist *h, int64_t v, int32_t bucket)
{
	return (int32_t)(v >> (bucket + h->unit_magnitude));
}

int32_t hist_counts_index(const struct hist *h, int64_t v)
{
	int32_t bucket = bucket_index(h, v);
	int32_t sub = sub_bucket_index(h, v, bucket);

	return ((bucket + 1) << h->sub_bucket_half_count_magnitude) + sub - h->sub_bucket_half_count;
}

int64_t hist_value_from_index(const struct hist *h, int32_t index)
{
	int32_t bucket = (index >> h->sub_bucket_half_count_magnitude) - 1;
	int32_t sub = (index & (h->sub_bucket_half_count - 1)) + h->sub_bucket_half_count;

	if (bucket < 0) {
		sub -= h->sub_bucket_half_count;
		bucket = 0;
	}
	return (int64_t)sub << (bucket + h->unit_magnitude);
}

static int32_t buckets_needed(int64_t highest, int32_t sub_bucket_count, int32_t unit_magnitude)
{
	int64_t smallest_untrackable = (int64_t)sub_bucket_count << unit_magnitude;
	int32_t buckets = 1;

	while (smallest_untrackable <= highest) {
		if (smallest_untrackable > INT64_MAX / 2)
			return buckets + 1;
		smallest_untrackable <<= 1;
		buckets++;
	}
	return buckets;
}

struct hist *hist_new(int64_t lowest, int64_t highest, int significant_figures)
{
	int64_t largest_single_unit;
	int32_t count_magnitude;
	struct hist *h;

	if (lowest < 1 || significant_figures < 1 || significant_figures > 5 ||
	    highest < 2 || lowest > highest / 2)
		return NULL;

	h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->lowest_discernible = lowest;
	h->highest_trackable = highest;
	h->significant_figures = significant_figures;
	h->unit_magnitude = 63 - __builtin_clzll((uint64_t)lowest);

	/* Enough sub-buckets that a unit step is within 10^-digits of the
	 * bucket's lowest value: 2 * 10^digits, rounded up to a power of two. */
	largest_single_unit = 2;
	for (int i = 0; i < significant_figures; i++)
		largest_single_unit *= 10;
	count_magnitude = 64 - __builtin_clzll((uint64_t)(largest_single_unit - 1));
	h->sub_bucket_half_count_magnitude = (count_magnitude > 1 ? count_magnitude : 1) - 1;
	if (h->unit_magnitude + h->sub_bucket_half_count_magnitude > 61) {
		free(h);
		return NULL;
	}
	h->sub_bucket_count = 1 << (h->sub_bucket_half_count_magnitude + 1);
	h->sub_bucket_half_count = h->sub_bucket_count / 2;
	h->sub_bucket_mask = ((int64_t)h->sub_bucket_count - 1) << h->unit_magnitude;
	h->bucket_count = buckets_needed(highest, h->sub_bucket_count, h->unit_magnitude);
	h->counts_len = (h->bucket_count + 1) * h->sub_bucket_half_count;
	h->counts = calloc((size_t)h->counts_len, sizeof(*h->counts));
	if (!h->counts) {
		free(h);
		return NULL;
	}
	h->min_value = INT64_MAX;
	return h;
}

struct hist *hist_new_default(void)
{
	return hist_new(HIST_DEFAULT_LOWEST, HIST_DEFAULT_HIGHEST, HIST_DEFAULT_SIGFIGS);
}

void hist_free(struct hist *h)
{
	if (!h)
		return;
	free(h->counts);
	free(h);
}

void hist_reset(struct hist *h)
{
	memset(h->counts, 0, (size_t)h->counts_len * sizeof(*h->counts));
	h->total_count = 0;
	h->min_value = INT64_MAX;
	h->max_value = 0;
	h->start_time_ms = 0;
	h->end_time_ms = 0;
}

int hist_record_n(struct hist *h, int64_t value, int64_t n)
{
	int32_t index;

	if (n < 0)
		return -EINVAL;
	if (value < 0 || value > h->highest_trackable)
		return -ERANGE;
	index = hist_counts_index(h, value);
	if (index < 0 || index >= h->counts_len)
		return -ERANGE;
	if (n == 0)
		return 0;
	/* Every bucket count is at most the total: checking the total is enough. */
	if (h->total_count > INT64_MAX - n)
		return -EOVERFLOW;
	h->counts[index] += n;
	h->total_count += n;
	if (value < h->min_value)
		h->min_value = value;
	if (value > h->max_value)
		h->max_value = value;
	return 0;
}

int hist_record(struct hist *h, int64_t value)
{
	return hist_record_n(h, value, 1);
}

void hist_recompute_min_max(struct hist *h)
{
	int32_t first = -1, last = -1;

	for (int32_t i = 0; i < h->counts_len; i++) {
		if (h->counts[i] > 0) {
			if (first < 0)
				first = i;
			last = i;
		}
	}
	if (first < 0) {
		h->min_value = INT64_MAX;
		h->max_value = 0;
		return;
	}
	/* Exact extremes are unknown: keep the bucket bounds, as HdrHistogram's
	 * decoder does. */
	h->min_value = hist_value_from_index(h, first);
	h->max_value = hist_highest_equivalent(h, hist_value_from_index(h, last));
}

static bool same_layout(const struct hist *a, const struct hist *b)
{
	return a->unit_magnitude == b->unit_magnitude &&
	       a->sub_bucket_half_count_magnitude == b->sub_bucket_half_count_magnitude;
}

int64_t hist_merge(struct hist *dst, const struct hist *src)
{
	int64_t dropped = 0, low = -1, top = -1;

	if (src->total_count == 0)
		return 0;
	if (dst->total_count > INT64_MAX - src->total_count)
		return -EOVERFLOW;
	if (same_layout(dst, src) && src->counts_len <= dst->counts_len &&
	    src->highest_trackable <= dst->highest_trackable) {
		/* Same bucket layout: add index by index, keep exact extremes. */
		for (int32_t i = 0; i < src->counts_len; i++)
			dst->counts[i] += src->counts[i];
		dst->total_count += src->total_count;
		if (src->min_value < dst->min_value)
			dst->min_value = src->min_value;
		if (src->max_value > dst->max_value)
			dst->max_value = src->max_value;
		return 0;
	}
	/* Different layouts: re-record each bucket at its lowest value. */
	for (int32_t i = 0; i < src->counts_len; i++) {
		int64_t c = src->counts[i], v;

		if (!c)
			continue;
		v = hist_value_from_index(src, i);
		if (hist_record_n(dst, v, c)) {
			dropped += c;
			continue;
		}
		if (low < 0)
			low = v;
		top = v;
	}
	/* The counts now sit in dst's buckets: the extremes become those
	 * buckets' bounds (as after decoding), so that percentiles, which
	 * report bucket bounds, stay within [min, max]; src's own max still
	 * bounds its values from above when its top bucket was kept. */
	if (low >= 0) {
		bool top_kept = hist_lowest_equivalent(src, src->max_value) == top;

		low = hist_lowest_equivalent(dst, low);
		top = hist_highest_equivalent(dst, top);
		if (top_kept && src->max_value > top && src->max_value <= dst->highest_trackable)
			top = src->max_value;
		if (low < dst->min_value)
			dst->min_value = low;
		if (top > dst->max_value)
			dst->max_value = top;
	}
	return dropped;
}

int64_t hist_count(const struct hist *h) { return h->total_count; }
int64_t hist_min(const struct hist *h) { return h->total_count ? h->min_value : 0; }
int64_t hist_max(const struct hist *h) { return h->total_count ? h->max_value : 0; }

int64_t hist_lowest_equivalent(const struct hist *h, int64_t v)
{
	int32_t bucket, sub;

	if (v < 0)
		v = 0;
	bucket = bucket_index(h, v);
	sub = sub_bucket_index(h, v, bucket);
	return (int64_t)sub << (bucket + h->unit_magnitude);
}

int64_t hist_equivalent_range(const struct hist *h, int64_t v)
{
	int32_t bucket, sub;

	if (v < 0)
		v = 0;
	bucket = bucket_index(h, v);
	sub = sub_bucket_index(h, v, bucket);
	if (sub >= h->sub_bucket_count)
		bucket++;
	return (int64_t)1 << (h->unit_magnitude + bucket);
}

int64_t hist_highest_equivalent(const struct hist *h, int64_t v)
{
	return hist_lowest_equivalent(h, v) + hist_equivalent_range(h, v) - 1;
}

static int64_t median_equivalent(const struct hist *h, int64_t v)
{
	return hist_lowest_equivalent(h, v) + (hist_equivalent_range(h, v) >> 1);
}

bool hist_values_equivalent(const struct hist *h, int64_t a, int64_t b)
{
	return hist_lowest_equivalent(h, a) == hist_lowest_equivalent(h, b);
}

/* Mean and standard deviation use each bucket's median value, as
 * HdrHistogram does, so they agree between a live and a decoded histogram. */
double hist_mean(const struct hist *h)
{
	struct hist_iter it;
	double total = 0;

	if (!h->total_count)
		return 0;
	hist_iter_init(&it, h);
	while (hist_iter_next(&it))
		total += (double)median_equivalent(h, it.value) * (double)it.count;
	return total / (double)h->total_count;
}

double hist_stddev(const struct hist *h)
{
	struct hist_iter it;
	double mean, sum_sq = 0;

	if (!h->total_count)
		return 0;
	mean = hist_mean(h);
	hist_iter_init(&it, h);
	while (hist_iter_next(&it)) {
		double d = (double)median_equivalent(h, it.value) - mean;

		sum_sq += d * d * (double)it.count;
	}
	return sqrt(sum_sq / (double)h->total_count);
}

int64_t hist_value_at_percentile(const struct hist *h, double p)
{
	double fp_count;
	int64_t wanted, cumulative = 0;

	if (!h->total_count)
		return 0;
	if (!(p > 0))
		p = 0;
	if (p > 100)
		p = 100;
	fp_count = p / 100.0 * (double)h->total_count;
	/* Round up, but forgive a 1-ulp excess of the floating-point product
	 * (0.999 * 200000 is 199800.00000000003), as HdrHistogram does. */
	fp_count = ceil(fp_count - (nextafter(fp_count, INFINITY) - fp_count));
	/* A count near 2^63 rounds to a double past INT64_MAX: compare first. */
	wanted = fp_count >= (double)h->total_count ? h->total_count : (int64_t)fp_count;
	if (wanted < 1)
		wanted = 1;
	for (int32_t i = 0; i < h->counts_len; i++) {
		cumulative += h->counts[i];
		if (cumulative >= wanted) {
			int64_t v = hist_value_from_index(h, i);

			return p == 0 ? hist_lowest_equivalent(h, v) : hist_highest_equivalent(h, v);
		}
	}
	return 0;
}

int64_t hist_count_at_value(const struct hist *h, int64_t v)
{
	int32_t index;

	if (v < 0)
		return 0;
	index = hist_counts_index(h, v);
	if (index < 0 || index >= h->counts_len)
		return 0;
	return h->counts[index];
}

void hist_iter_init(struct hist_iter *it, const struct hist *h)
{
	memset(it, 0, sizeof(*it));
	it->h = h;
}

bool hist_iter_next(struct hist_iter *it)
{
	const struct hist *h = it->h;

	if (it->cumulative_count >= h->total_count)
		return false;
	for (int32_t i = it->index; i < h->counts_len; i++) {
		if (!h->counts[i])
			continue;
		it->index = i + 1;
		it->value = hist_value_from_index(h, i);
		it->highest_equivalent = hist_highest_equivalent(h, it->value);
		it->count = h->counts[i];
		it->cumulative_count += it->count;
		return true;
	}
	it->index = h->counts_len;
	return false;
}
