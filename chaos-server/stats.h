/* stats: the server's counters. Each worker thread owns one struct and is its
 * only writer; the main thread sums them with relaxed atomic loads for the
 * SIGUSR1 / --stats-interval / exit lines and the --stats-file. Public functions are prefixed stats_. */
#pragma once
#include <stdint.h>
#include <stdio.h>

#include "replay.h"

struct chaos_stats {
	uint64_t received;          /* datagrams taken from the sockets */
	uint64_t replied;           /* echoes sent */
	uint64_t fast;              /* requests given the fast path */
	uint64_t stalled;           /* first sights of a bad id */
	uint64_t replay_hits;       /* bad ids seen again within the TTL */
	uint64_t dropped_short;     /* < 4 bytes */
	uint64_t dropped_oversize;  /* > --max-size */
	uint64_t send_errors;
	uint64_t nobufs;            /* receive paused: every buffer in flight */
	uint64_t inflight;          /* received, reply not yet sent */
	uint64_t pauses;
	uint64_t timers_late;       /* reply timers handled > 1 ms after their deadline */
	uint64_t timer_late_max_ns; /* the worst lateness (max over threads when summed) */
};

/* single-writer increment: no locked instruction, but no torn reads either */
#define STATS_ADD(s, field, n) \
	__atomic_store_n(&(s)->field, __atomic_load_n(&(s)->field, __ATOMIC_RELAXED) + (uint64_t)(n), \
			 __ATOMIC_RELAXED)

/* stats_accumulate - @dst += @src, field by field. */
void stats_accumulate(struct chaos_stats *dst, const struct chaos_stats *src);
/* stats_print - one "stats: key=value ..." line on @out, flushed. */
void stats_print(FILE *out, const char *when, double elapsed_s, const struct chaos_stats *s,
		 const struct replay_stats *rs, uint32_t replay_entries);
/* stats_write_file - the same counters as KEY=VALUE lines (when, elapsed_s,
 * the counters, timer_late_max_ns) into @path, replaced atomically (written
 * to @path.tmp, then renamed). 0 or -errno. */
int stats_write_file(const char *path, const char *when, double elapsed_s,
		     const struct chaos_stats *s, const struct replay_stats *rs,
		     uint32_t replay_entries);
