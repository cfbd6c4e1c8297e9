/* libFuzzer target for the interval-log reader (histlog_read_interval) and
 * the merge hdr-tool does: the input is a whole log file. Every interval
 * read must be self-consistent, and merging them must never overflow a
 * count or report a percentile outside [min, max]. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "histlog.h"
#include "histogram.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_within(const struct hist *h)
{
	if (hist_count(h) < 0)
		abort();
	if (!hist_count(h))
		return;
	if (hist_min(h) > hist_max(h))
		abort();
	for (double p = 0; p <= 100; p += 25) {
		int64_t v = hist_value_at_percentile(h, p);

		if (v > hist_max(h) || (p > 0 && v < hist_min(h)))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct histlog_reader reader;
	struct hist *h, *merged = NULL;
	double start, len;
	FILE *in;
	int err, n = 0;

	if (size > 1 << 16)
		return 0;
	in = fmemopen((void *)data, size, "r");
	if (!in)
		return 0;  /* fmemopen refuses size 0 */
	histlog_reader_init(&reader, in);
	while (n++ < 16 && (err = histlog_read_interval(&reader, &start, &len, &h)) == 1) {
		int64_t dropped;

		check_within(h);
		if (!(len >= 0))
			abort();
		if (!merged) {
			merged = hist_new(h->lowest_discernible, h->highest_trackable,
					  h->significant_figures);
			if (!merged)
				abort();
		}
		dropped = hist_merge(merged, h);
		hist_free(h);
		if (dropped < 0 && dropped != -EOVERFLOW)
			abort();
		check_within(merged);
		if (dropped)
			break;
	}
	histlog_reader_fini(&reader);
	fclose(in);
	hist_free(merged);
	return 0;
}
