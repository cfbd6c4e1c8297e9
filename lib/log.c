#include "log.h"

#include <stdio.h>

static const char *log_program = "kernel-hedge";
static enum log_level log_level_current = LOG_LVL_INFO;

void log_set_program(const char *name) { log_program = name; }
void log_set_level(enum log_level level) { log_level_current = level; }
enum log_level log_get_level(void) { return log_level_current; }

void log_msg(enum log_level level, const char *fmt, ...)
{
	static const char *const prefix[] = { "error: ", "warning: ", "", "debug: " };
	va_list ap;

	if (level > log_level_current)
		return;
	fprintf(stderr, "%s: %s", log_program, prefix[level]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
