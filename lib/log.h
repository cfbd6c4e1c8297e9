/* log: leveled logging to stderr, shared by every kernel-hedge program. */
#pragma once
#include <stdarg.h>

enum log_level { LOG_LVL_ERROR = 0, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/* log_set_program - name printed before every message ("hedger: ..."). */
void log_set_program(const char *name);
/* log_set_level - messages above @level are suppressed (default INFO). */
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* log_msg - printf-style message at @level; a newline is appended. */
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)
