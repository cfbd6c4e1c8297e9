/* loadsched: the arithmetic of the load shape, kept pure for unit tests:
 * request index -> id, open-loop intended send times, sender lag, ETA.
 * Public functions are prefixed lsched_. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

/* lsched_id - id of request @index: warm-up requests take ids first_id ..
 * first_id+warmup-1 and measured ones follow, so every arm (baseline,
 * app-hedged, kernel-hedged) faces exactly the same ids and fault schedule. */
static inline uint32_t lsched_id(uint64_t first_id, uint64_t index)
{
	return (uint32_t)(first_id + index);
}

/* lsched_index - inverse of lsched_id: 0 with *@index set when @id belongs to
 * this run's @total requests, -ERANGE otherwise. */
int lsched_index(uint64_t first_id, uint64_t total, uint32_t id, uint64_t *index);

static inline bool lsched_is_warmup(uint64_t warmup, uint64_t index) { return index < warmup; }

/* lsched_offset_ns - open loop: intended send time of request @index,
 * relative to the run start, at a constant @rate_hz. Computed from the index
 * (not accumulated period by period) so it never drifts. */
uint64_t lsched_offset_ns(uint64_t index, double rate_hz);

/* lsched_sender_lag_ns - how late a send at @now is compared to the moment
 * it became possible: the later of its intended time and the moment the
 * in-flight window last had room (@window_free_ns, 0 when never full). Lag
 * caused by a full window is the server's doing and is not counted. */
uint64_t lsched_sender_lag_ns(uint64_t now, uint64_t intended, uint64_t window_free_ns);

/* lsched_eta_ns - estimated time left: open loop from the schedule (the
 * last intended send plus @timeout_ns), closed loop from the pace so far. */
uint64_t lsched_eta_ns(uint64_t done, uint64_t total, uint64_t elapsed_ns,
		       double rate_hz, uint64_t timeout_ns);
