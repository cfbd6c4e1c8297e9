#include "trialcsv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csvline.h"
#include "log.h"

/* Accepted header names for each field, most likely first. */
static const char *const col_latency[] = { "latency_ns", NULL };
static const char *const col_send[] = { "send_ns", "actual_send_ns", "sent_ns", "actual_ns", NULL };
static const char *const col_intended[] = { "intended_ns", "intended_send_ns", NULL };
static const char *const col_reply[] = { "reply_ns", "recv_ns", "receive_ns", NULL };
static const char *const col_outcome[] = { "outcome", "status", NULL };
static const char *const col_hedge[] = { "hedge_sent", "hedged", "hedge", NULL };

static int to_i64(const char *s, int64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoll(s, &end, 10);
	return (errno || end == s || *end) ? -EINVAL : 0;
}

static int push(int64_t **arr, size_t *n, size_t *cap, int64_t v)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 1024;
		int64_t *p = realloc(*arr, ncap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		*arr = p;
		*cap = ncap;
	}
	(*arr)[(*n)++] = v;
	return 0;
}

static bool is_set(const char *s)
{
	return *s && strcmp(s, "0") && strcmp(s, "no") && strcmp(s, "false") && strcmp(s, "-");
}

int trialcsv_read(const char *path, bool from_intended, struct trialcsv *out)
{
	size_t series_n = 0, series_cap = 0;
	int c_lat, c_send, c_reply, c_out, c_hedge, err;
	struct csvline_file csv;
	char **cols = csv.cols;

	memset(out, 0, sizeof(*out));
	err = csvline_open(&csv, path);
	if (err)
		return err;
	c_lat = csvline_col(&csv, col_latency);
	c_send = csvline_col(&csv, from_intended ? col_intended : col_send);
	c_reply = csvline_col(&csv, col_reply);
	c_out = csvline_col(&csv, col_outcome);
	c_hedge = csvline_col(&csv, col_hedge);
	out->has_hedge_column = c_hedge >= 0;
	/* An explicit latency column is only right for the actual-send view. */
	if (from_intended)
		c_lat = -1;
	if (c_out < 0 || (c_lat < 0 && (c_send < 0 || c_reply < 0))) {
		log_error("%s: header lacks an outcome column and either latency_ns or %s + reply_ns",
			  path, from_intended ? "intended_ns" : "send_ns");
		err = -EINVAL;
		goto cleanup;
	}
	while (csvline_next(&csv) > 0) {
		int64_t send = 0, reply = 0, lat;

		out->requests++;
		if (c_hedge >= 0 && is_set(cols[c_hedge]))
			out->hedges++;
		if (strstr(cols[c_out], "dup"))
			out->duplicates++;
		if (strstr(cols[c_out], "timeout")) {
			out->timeouts++;
			err = push(&out->series, &series_n, &series_cap, -1);
			if (err)
				goto cleanup;
			continue;
		}
		if (c_lat >= 0) {
			err = to_i64(cols[c_lat], &lat);
		} else {
			err = to_i64(cols[c_send], &send);
			if (!err)
				err = to_i64(cols[c_reply], &reply);
			lat = reply - send;
		}
		if (err || lat < 0) {
			log_error("%s:%lu: bad latency or timestamps", path, csv.lineno);
			err = -EINVAL;
			goto cleanup;
		}
		err = push(&out->latency_ns, &out->n, &out->cap, lat);
		if (!err)
			err = push(&out->series, &series_n, &series_cap, lat);
		if (err)
			goto cleanup;
	}
cleanup:
	err = csvline_close(&csv, err);
	if (err)
		trialcsv_free(out);
	return err;
}

void trialcsv_free(struct trialcsv *t)
{
	free(t->latency_ns);
	free(t->series);
	memset(t, 0, sizeof(*t));
}
