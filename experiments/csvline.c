#include "csvline.h"

#include <string.h>

int csvline_split(char *line, char **cols)
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

int csvline_find(char **hdr, int ncols, const char *const *names)
{
	for (int k = 0; names[k]; k++)
		for (int i = 0; i < ncols; i++)
			if (strcmp(hdr[i], names[k]) == 0)
				return i;
	return -1;
}
