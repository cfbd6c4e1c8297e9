/* histlog: HdrHistogram interval logs ("#[Histogram log format version 1.3]"),
 * one row per interval: StartTimestamp,Interval_Length,Interval_Max,Interval_Compressed_Histogram.
 * Public functions are prefixed histlog_. */
#pragma once
#include <stdbool.h>
#include <stdio.h>

#include "histogram.h"

/* histlog_write_header - version line, a #[StartTime: ...] and #[BaseTime: ...]
 * comment (@start_time_s as seconds since the epoch) and the column legend. */
int histlog_write_header(FILE *out, double start_time_s);
/* histlog_write_interval - one row; @interval_start_s relative to the base
 * time, Interval_Max printed in @max_value_scale units (1e6 -> ms). */
int histlog_write_interval(FILE *out, double interval_start_s, double interval_len_s,
			   const struct hist *h, double max_value_scale);

struct histlog_reader {
	FILE *in;
	double start_time_s;     /* from #[StartTime:], 0 if absent */
	double base_time_s;      /* from #[BaseTime:], 0 if absent */
	bool has_base_time;
	long line_no;            /* of the last line read, for error messages */
	char *line;
	size_t line_cap;
};
int histlog_reader_init(struct histlog_reader *r, FILE *in);
/* histlog_read_interval - next interval: 1 with *@out set (caller frees),
 * 0 at end of file, -errno on a malformed row (r->line_no says which).
 * @interval_start_s is the row's timestamp (relative to the base time);
 * (*out)->start_time_ms/end_time_ms are absolute (base time added).
 * A decoded histogram's min/max are its first/last bucket bounds. */
int histlog_read_interval(struct histlog_reader *r, double *interval_start_s,
			  double *interval_len_s, struct hist **out);
void histlog_reader_fini(struct histlog_reader *r);
