/* trialcsv: read one trial's raw per-request CSV (written by hedge-client
 * --out) into latencies and outcome counts. Columns are found by their header
 * names, so added columns do not break it. Public functions are prefixed
 * trialcsv_. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct trialcsv {
	int64_t *latency_ns;      /* answered requests, in file (request) order */
	size_t n;
	size_t cap;
	uint64_t requests;        /* rows */
	uint64_t timeouts;
	uint64_t duplicates;      /* rows whose outcome says a duplicate was seen */
	uint64_t hedges;          /* rows whose hedge column is set (app mode) */
	bool has_hedge_column;
	/* Per-row series for the latency-over-index plot: latency in ns, or -1
	 * for a timeout. Same length as requests. */
	int64_t *series;
};

/* trialcsv_read - parse @path. With @from_intended the latency is measured
 * from the intended send time (coordinated-omission corrected, open loop),
 * else from the actual send time. 0 or -errno (one error line logged). */
int trialcsv_read(const char *path, bool from_intended, struct trialcsv *out);
void trialcsv_free(struct trialcsv *t);
