/* histogram: an HDR (high dynamic range) histogram of int64 values, written
 * for kernel-hedge against the published HdrHistogram design and encoding.
 * Values are latencies in ns; the default range is 1 ns .. 3600 s at 3
 * significant digits. Public functions are prefixed hist_. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct hist {
	int64_t lowest_discernible;   /* >= 1 */
	int64_t highest_trackable;    /* >= 2 * lowest */
	int32_t significant_figures;  /* 1..5 */
	int32_t unit_magnitude;
	int32_t sub_bucket_half_count_magnitude;
	int32_t sub_bucket_count;
	int32_t sub_bucket_half_count;
	int64_t sub_bucket_mask;
	int32_t bucket_count;
	int32_t counts_len;
	int64_t total_count;
	int64_t min_value;            /* INT64_MAX when empty */
	int64_t max_value;            /* 0 when empty */
	int64_t start_time_ms;        /* interval bounds, for logs (0 if unset) */
	int64_t end_time_ms;
	int64_t *counts;
};

#define HIST_DEFAULT_LOWEST  1LL
#define HIST_DEFAULT_HIGHEST 3600000000000LL  /* 1 h in ns */
#define HIST_DEFAULT_SIGFIGS 3

/* hist_new - allocate an empty histogram; NULL on bad arguments or ENOMEM. */
struct hist *hist_new(int64_t lowest, int64_t highest, int significant_figures);
/* hist_new_default - hist_new(1 ns, 1 h, 3 digits). */
struct hist *hist_new_default(void);
void hist_free(struct hist *h);
/* hist_reset - zero all counts (keeps the configuration). */
void hist_reset(struct hist *h);

/* hist_record - count @value once; -ERANGE (nothing recorded) if out of range. */
int hist_record(struct hist *h, int64_t value);
/* hist_record_n - count @value @n times; -EOVERFLOW (nothing recorded) if the
 * total count would pass INT64_MAX. */
int hist_record_n(struct hist *h, int64_t value, int64_t n);
/* hist_merge - add @src into @dst; returns how many of src's counts fell out
 * of dst's range and were dropped (0 normally), or -EOVERFLOW (dst
 * unchanged) if the total count would pass INT64_MAX. Layouts may differ:
 * src's buckets are then re-recorded at their lowest values, at dst's
 * precision, and dst's extremes widen to the bounds of the buckets used. */
int64_t hist_merge(struct hist *dst, const struct hist *src);

int64_t hist_count(const struct hist *h);
/* Exact recorded extremes (0 when empty); after hist_decode the bounds of the
 * first/last non-empty bucket instead, as HdrHistogram's decoders do. */
int64_t hist_min(const struct hist *h);
int64_t hist_max(const struct hist *h);
/* Mean and standard deviation over bucket midpoints (HdrHistogram's way). */
double hist_mean(const struct hist *h);
double hist_stddev(const struct hist *h);
/* hist_value_at_percentile - @p in [0, 100] (clamped); HdrHistogram's
 * definition: the highest value equivalent to the bucket where the
 * cumulative count first reaches ceil(p/100 * count), at least 1 count
 * (lowest equivalent for p == 0; 0 if empty). With exact extremes (live
 * recording) the top bucket's bound can pass hist_max(). */
int64_t hist_value_at_percentile(const struct hist *h, double p);
/* hist_count_at_value - how many recorded values are equivalent to @v. */
int64_t hist_count_at_value(const struct hist *h, int64_t v);

/* Value equivalence (the precision bound): values in the same bucket. */
int64_t hist_lowest_equivalent(const struct hist *h, int64_t v);
int64_t hist_highest_equivalent(const struct hist *h, int64_t v);
int64_t hist_equivalent_range(const struct hist *h, int64_t v);
bool hist_values_equivalent(const struct hist *h, int64_t a, int64_t b);

/* Iteration over recorded (non-zero) buckets, in increasing value order. */
struct hist_iter {
	const struct hist *h;
	int32_t index;                /* next counts[] index to look at */
	int64_t value;                /* lowest equivalent value of this bucket */
	int64_t highest_equivalent;
	int64_t count;                /* count in this bucket */
	int64_t cumulative_count;
};
void hist_iter_init(struct hist_iter *it, const struct hist *h);
/* hist_iter_next - advance to the next non-empty bucket; false at the end. */
bool hist_iter_next(struct hist_iter *it);

/* hist_write_percentiles - the classic .hgrm "percentile distribution"
 * (Value, Percentile, TotalCount, 1/(1-Percentile)) with the footer
 * (#[Mean, StdDeviation], #[Max, Total count], #[Buckets, SubBuckets]).
 * Values are divided by @value_scale (e.g. 1e6 to print ms). 0 or -errno. */
int hist_write_percentiles(const struct hist *h, FILE *out, int ticks_per_half_distance,
			   double value_scale);
/* hist_write_summary_csv - one CSV row "label,count,min,p50,p90,p95,p99,p99.9,max,mean"
 * (values in ns); with @header a header row first. A percentile in max's
 * bucket is written as the max (the same bucket), so none exceeds it. 0 or -errno. */
int hist_write_summary_csv(const struct hist *h, FILE *out, const char *label, bool header);

/* hist_encode - V2 compressed encoding (ZigZag LEB128 counts, zlib) in base64
 * (the "HISTF..." strings of HdrHistogram logs),
 * as one NUL-terminated string in *@out_b64 (caller frees). 0 or -errno. */
int hist_encode(const struct hist *h, char **out_b64);
/* hist_decode - inverse of hist_encode (also takes the uncompressed V2 form);
 * *@out is a new histogram with the encoded range and digits. 0, -EINVAL on
 * malformed input, -ENOMEM. */
int hist_decode(const char *b64, struct hist **out);
