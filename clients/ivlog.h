/* ivlog: a latency histogram over the whole run plus an HDR interval log of
 * 1 s intervals, kept in memory (written to --out only when the run
 * succeeds). Public functions are prefixed ivlog_. */
#pragma once
#include <stdint.h>
#include <stdio.h>

#include "histogram.h"

struct ivlog {
	struct hist *total;       /* every value of the run */
	struct hist *interval;    /* values of the current interval */
	FILE *mem;                /* the log text, an open_memstream */
	char *text;
	size_t text_len;
	uint64_t base_ns;         /* CLOCK_MONOTONIC of interval 0's start */
	uint64_t interval_ns;
	uint64_t next_ns;         /* end of the current interval */
};

/* ivlog_init - @base_wall_s (epoch seconds) goes into the log header. */
int ivlog_init(struct ivlog *l, uint64_t base_ns, double base_wall_s, uint64_t interval_ns);
/* ivlog_record - record @value_ns observed at @now_ns (>= base). */
int ivlog_record(struct ivlog *l, uint64_t now_ns, int64_t value_ns);
/* ivlog_finish - close the last (partial) interval at @end_ns; the log text
 * is then l->text (l->text_len bytes). */
int ivlog_finish(struct ivlog *l, uint64_t end_ns);
void ivlog_free(struct ivlog *l);
