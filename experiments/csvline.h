/* csvline: read a simple CSV (no quoting: our files never quote) row by row
 * and find columns by header name. Public functions are prefixed csvline_. */
#pragma once
#include <stdio.h>

#define CSVLINE_MAX_COLS 32

/* An open CSV file: its header cells and the cells of the current row. */
struct csvline_file {
	FILE *f;
	const char *path;
	char *line, *hdr_line;
	size_t cap;
	unsigned long lineno;
	int err;		/* what ended csvline_next, 0 at a clean end */
	int nhdr;
	char *hdr[CSVLINE_MAX_COLS];
	char *cols[CSVLINE_MAX_COLS];
};

/* csvline_open - open @path (kept, not copied) and read its header line.
 * 0, or -errno with one error line logged. */
int csvline_open(struct csvline_file *c, const char *path);
/* csvline_col - index of the first of @names (NULL-terminated, most likely
 * first) present in the header of @c, or -1. */
int csvline_col(const struct csvline_file *c, const char *const *names);
/* csvline_next - the next row into c->cols, skipping blank and '#' lines:
 * 1, 0 at the end, -EINVAL (logged) for a row shorter than the header. */
int csvline_next(struct csvline_file *c);
/* csvline_close - close @c; returns @err, or when that is 0, the error that
 * ended csvline_next (so a short row fails the caller's read). */
int csvline_close(struct csvline_file *c, int err);
