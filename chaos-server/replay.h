/* replay: the bounded memory of recently seen bad ids, so that a hedge or a
 * retry of a stalled request (same id within the TTL) takes the fast path.
 * A FIFO ring in arrival order (one TTL for all, so also expiry order) plus an
 * open-addressing index: lookups, inserts and expiry are O(1) amortized and
 * the memory never grows past max_entries; when full, the oldest entry is
 * evicted and counted. Public functions are prefixed replay_. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

struct replay;

struct replay_stats {
	uint64_t inserts;
	uint64_t hits;
	uint64_t expired;      /* entries that aged out after their TTL */
	uint64_t evictions;    /* live entries pushed out because the table was full */
};

/* replay_new - a table of at most @max_entries ids kept for @ttl_ns; with
 * @locked, calls are serialized by an internal mutex (several server threads).
 * 0 or -EINVAL/-ENOMEM. */
int replay_new(uint32_t max_entries, uint64_t ttl_ns, bool locked, struct replay **out);
void replay_free(struct replay *r);

/* replay_seen - true if @id was recorded less than the TTL before @now_ns (a
 * replay hit; the entry keeps its original expiry); otherwise records @id
 * at @now_ns and returns false. @now_ns must not go backwards. */
bool replay_seen(struct replay *r, uint32_t id, uint64_t now_ns);

/* replay_count - live entries (after expiring those older than @now_ns). */
uint32_t replay_count(struct replay *r, uint64_t now_ns);
/* replay_get_stats - a consistent copy of the counters. */
void replay_get_stats(struct replay *r, struct replay_stats *out);
