#include "csvline.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/* split - cut @line in place at commas (a trailing newline is dropped);
 * fills @cols and returns the number of columns. */
static int split(char *line, char **cols)
{
	int n = 0;
	char *p = line, *nl = strpbrk(line, "\r\n");

	if (nl)
		*nl = '\0';
	while (n < CSVLINE_MAX_COLS) {
		cols[n++] = p;
		p = strchr(p, ',');
		if (!p)
			break;
		*p++ = '\0';
	}
	return n;
}


int csvline_open(struct csvline_file *c, const char *path)
{
	int err;

	memset(c, 0, sizeof(*c));
	c->path = path;
	c->f = fopen(path, "r");
	if (!c->f) {
		err = -errno;
		log_error("cannot open %s: %s", path, strerror(errno));
		return err;
	}
	if (getline(&c->line, &c->cap, c->f) < 0) {
		log_error("%s: empty file, expected a CSV header", path);
		return csvline_close(c, -EINVAL);
	}
	c->hdr_line = strdup(c->line);
	if (!c->hdr_line)
		return csvline_close(c, -ENOMEM);
	c->lineno = 1;
	c->nhdr = split(c->hdr_line, c->hdr);
	return 0;
}

int csvline_col(const struct csvline_file *c, const char *const *names)
{
	for (int k = 0; names[k]; k++)
		for (int i = 0; i < c->nhdr; i++)
			if (strcmp(c->hdr[i], names[k]) == 0)
				return i;
	return -1;
}

int csvline_next(struct csvline_file *c)
{
	int n;

	while (getline(&c->line, &c->cap, c->f) >= 0) {
		c->lineno++;
		if (c->line[0] == '\n' || c->line[0] == '#')
			continue;
		n = split(c->line, c->cols);
		if (n < c->nhdr) {
			log_error("%s:%lu: %d columns, the header has %d", c->path, c->lineno, n, c->nhdr);
			c->err = -EINVAL;
			return c->err;
		}
		return 1;
	}
	return 0;
}

int csvline_close(struct csvline_file *c, int err)
{
	if (!err)
		err = c->err;
	if (c->f)
		fclose(c->f);
	free(c->line);
	free(c->hdr_line);
	memset(c, 0, sizeof(*c));
	return err;
}
