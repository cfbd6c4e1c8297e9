/* histogram_output: the classic .hgrm percentile distribution and the
 * one-row CSV summary. */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "histogram.h"
#include "histogram_internal.h"

/* The percentile levels of HdrHistogram's percentile iterator: ticks of equal
 * size within each half of the remaining distance to 100%, so every halving
 * gets the same number of rows (0%, 10%, ..., 50%, 55%, ..., 75%, 77.5%, ...). */
static double next_percentile_level(double level, int ticks_per_half_distance)
{
	double ticks = ticks_per_half_distance * pow(2, floor(log2(100.0 / (100.0 - level))) + 1);

	return level + 100.0 / ticks;
}

int hist_write_percentiles(const struct hist *h, FILE *out, int ticks_per_half_distance,
			   double value_scale)
{
	int digits = h->significant_figures;
	double level = 0, max_value;
	int64_t cumulative = 0;
	bool fresh = true, final_row = false;
	int32_t i = 0;

	if (ticks_per_half_distance < 1 || !(value_scale > 0) || !isfinite(value_scale))
		return -EINVAL;
	fprintf(out, "%12s %14s %10s %14s\n\n", "Value", "Percentile", "TotalCount",
		"1/(1-Percentile)");
	/* One row each time the cumulative percentile reaches the next level;
	 * a bucket can yield several rows. A last row at 100% follows. */
	while (h->total_count > 0) {
		if (cumulative >= h->total_count) {
			if (final_row)
				break;
			level = 100.0;
			final_row = true;
		}
		for (; i < h->counts_len; i++, fresh = true) {
			int64_t c = h->counts[i];

			if (fresh) {
				cumulative += c;
				fresh = false;
			}
			if (c && 100.0 * (double)cumulative / (double)h->total_count >= level)
				break;
		}
		if (i >= h->counts_len)
			break;  /* unreachable while counts and total agree */
		double value = (double)hist_highest_equivalent(h, hist_value_from_index(h, i));
		double fraction = level / 100.0;

		if (level < 100.0)
			fprintf(out, "%12.*f %2.12f %10lld %14.2f\n", digits, value / value_scale,
				fraction, (long long)cumulative, 1.0 / (1.0 - fraction));
		else
			fprintf(out, "%12.*f %2.12f %10lld\n", digits, value / value_scale,
				fraction, (long long)cumulative);
		level = next_percentile_level(level, ticks_per_half_distance);
	}
	max_value = h->total_count ? (double)hist_highest_equivalent(h, h->max_value) : 0;
	fprintf(out, "#[Mean    = %12.*f, StdDeviation   = %12.*f]\n", digits,
		hist_mean(h) / value_scale, digits, hist_stddev(h) / value_scale);
	fprintf(out, "#[Max     = %12.*f, Total count    = %12lld]\n", digits,
		max_value / value_scale, (long long)h->total_count);
	fprintf(out, "#[Buckets = %12d, SubBuckets     = %12d]\n", h->bucket_count,
		h->sub_bucket_count);
	return ferror(out) ? -EIO : 0;
}

/* A CSV field: quoted (with doubled quotes) only when it needs to be. */
static void write_csv_field(FILE *out, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

int hist_write_summary_csv(const struct hist *h, FILE *out, const char *label, bool header)
{
	static const double levels[] = { 50, 90, 95, 99, 99.9 };

	if (header)
		fputs("label,count,min,p50,p90,p95,p99,p99.9,max,mean\n", out);
	write_csv_field(out, label ? label : "");
	fprintf(out, ",%lld,%lld", (long long)hist_count(h), (long long)hist_min(h));
	for (size_t k = 0; k < sizeof(levels) / sizeof(levels[0]); k++) {
		int64_t v = hist_value_at_percentile(h, levels[k]);

		fprintf(out, ",%lld", (long long)(v > hist_max(h) ? hist_max(h) : v));
	}
	fprintf(out, ",%lld,%.1f\n", (long long)hist_max(h), hist_mean(h));
	return ferror(out) ? -EIO : 0;
}
