/* histlog: HdrHistogram interval logs, format version 1.3.
 *
 *   #[Histogram log format version 1.3]
 *   #[StartTime: 1763769397.123 (seconds since epoch), Sat Nov 22 00:03:17 UTC 2026]
 *   #[BaseTime: 1763769397.123 (seconds since epoch)]
 *   "StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"
 *   0.000,1.000,2.345,HISTFAAAA...
 *
 * Row timestamps are seconds relative to BaseTime. Rows may carry a
 * "Tag=NAME," prefix (written by other tools); the reader skips it. */
#include "histlog.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SECONDS_PER_YEAR (365 * 24 * 3600.0)

int histlog_write_header(FILE *out, double start_time_s)
{
	char date[64] = "";
	struct tm tm;
	time_t t;

	if (!isfinite(start_time_s) || start_time_s < 0)
		return -EINVAL;
	t = (time_t)start_time_s;
	/* The human date mirrors Java's Date.toString(), always in UTC. */
	if (gmtime_r(&t, &tm))
		strftime(date, sizeof(date), "%a %b %d %H:%M:%S UTC %Y", &tm);
	fprintf(out, "#[Histogram log format version 1.3]\n");
	fprintf(out, "#[StartTime: %.3f (seconds since epoch), %s]\n", start_time_s, date);
	fprintf(out, "#[BaseTime: %.3f (seconds since epoch)]\n", start_time_s);
	fprintf(out, "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\","
		     "\"Interval_Compressed_Histogram\"\n");
	return ferror(out) ? -EIO : 0;
}

int histlog_write_interval(FILE *out, double interval_start_s, double interval_len_s,
			   const struct hist *h, double max_value_scale)
{
	char *b64 = NULL;
	int err;

	if (!isfinite(interval_start_s) || !isfinite(interval_len_s) || interval_len_s < 0 ||
	    !(max_value_scale > 0) || !isfinite(max_value_scale))
		return -EINVAL;
	err = hist_encode(h, &b64);
	if (err)
		return err;
	fprintf(out, "%.3f,%.3f,%.3f,%s\n", interval_start_s, interval_len_s,
		(double)hist_max(h) / max_value_scale, b64);
	free(b64);
	return ferror(out) ? -EIO : 0;
}

int histlog_reader_init(struct histlog_reader *r, FILE *in)
{
	memset(r, 0, sizeof(*r));
	r->in = in;
	return 0;
}

void histlog_reader_fini(struct histlog_reader *r)
{
	free(r->line);
	r->line = NULL;
	r->line_cap = 0;
}

/* "#[StartTime: 1763769397.123 ..." -> 1763769397.123 */
static int parse_time_comment(const char *line, const char *prefix, double *out)
{
	char *end;
	double v;

	if (strncmp(line, prefix, strlen(prefix)))
		return 0;
	v = strtod(line + strlen(prefix), &end);
	if (end == line + strlen(prefix) || !isfinite(v))
		return -EINVAL;
	*out = v;
	return 1;
}

/* A finite number followed by a comma; advances *@p past the comma. */
static int parse_field(char **p, double *out)
{
	char *end;

	*out = strtod(*p, &end);
	if (end == *p || *end != ',' || !isfinite(*out))
		return -EINVAL;
	*p = end + 1;
	return 0;
}

int histlog_read_interval(struct histlog_reader *r, double *interval_start_s,
			  double *interval_len_s, struct hist **out)
{
	double start, len, max, base;
	struct hist *h;
	ssize_t n;
	char *p;
	int err;

	while ((n = getline(&r->line, &r->line_cap, r->in)) >= 0) {
		r->line_no++;
		while (n > 0 && (r->line[n - 1] == '\n' || r->line[n - 1] == '\r'))
			r->line[--n] = '\0';
		p = r->line;
		if (*p == '\0' || *p == '"')
			continue;  /* blank or the legend */
		if (*p == '#') {
			err = parse_time_comment(p, "#[StartTime: ", &r->start_time_s);
			if (!err) {
				err = parse_time_comment(p, "#[BaseTime: ", &r->base_time_s);
				if (err > 0)
					r->has_base_time = true;
			}
			if (err < 0)
				return err;
			continue;
		}
		if (!strncmp(p, "Tag=", 4)) {
			p = strchr(p, ',');
			if (!p)
				return -EINVAL;
			p++;
		}
		if (parse_field(&p, &start) || parse_field(&p, &len) || parse_field(&p, &max) ||
		    len < 0)
			return -EINVAL;
		err = hist_decode(p, &h);
		if (err)
			return err;
		/* Without a BaseTime, timestamps far before StartTime are taken
		 * as relative to it (the rule HdrHistogram's readers use). */
		base = r->has_base_time ? r->base_time_s
		       : start < r->start_time_s - SECONDS_PER_YEAR ? r->start_time_s : 0;
		h->start_time_ms = llround((base + start) * 1000.0);
		h->end_time_ms = llround((base + start + len) * 1000.0);
		*interval_start_s = start;
		*interval_len_s = len;
		*out = h;
		return 1;
	}
	return ferror(r->in) ? -EIO : 0;
}
