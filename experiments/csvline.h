/* csvline: split one line of a simple CSV (no quoting: our files never quote)
 * and find columns by header name. Public functions are prefixed csvline_. */
#pragma once

#define CSVLINE_MAX_COLS 32

/* csvline_split - cut @line in place at commas (a trailing newline is
 * dropped); fills @cols and returns the number of columns. */
int csvline_split(char *line, char **cols);
/* csvline_find - index of the first of @names (NULL-terminated, most likely
 * first) present among the @ncols header cells, or -1. */
int csvline_find(char **hdr, int ncols, const char *const *names);
