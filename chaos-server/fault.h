/* fault: the deterministic fault schedule of chaos-server - which request ids
 * are "bad" (stall on first sight), how long a stall lasts, and when the
 * server-wide pauses happen. Pure functions of the configuration and the id,
 * so every run, replica and thread agrees. Public functions are prefixed fault_. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

enum fault_pattern {
	FAULT_PATTERN_MODULO,   /* (id + replica shift) % 100 < rate * 100 (the reference) */
	FAULT_PATTERN_HASH,     /* hash(seed, replica, id) < rate: deterministic, not periodic */
};

enum fault_stall_dist {
	FAULT_STALL_FIXED,      /* every stall lasts exactly stall_ns */
	FAULT_STALL_EXP,        /* exponential with mean stall_ns */
	FAULT_STALL_PARETO,     /* Pareto with mean stall_ns and shape pareto_alpha */
};

struct fault_cfg {
	double rate;                  /* fraction of ids that are bad, 0..1 */
	enum fault_pattern pattern;
	enum fault_stall_dist dist;
	double pareto_alpha;          /* > 1 so the mean exists */
	uint64_t stall_ns;            /* fixed value or mean */
	uint64_t stall_max_ns;        /* cap for exp/pareto draws */
	uint64_t fast_ns;             /* delay of every other reply (0 allowed) */
	uint64_t seed;
	uint32_t replica;             /* K: replicas stall on different ids ... */
	bool shared_schedule;         /* ... unless they share replica 0's schedule */
	/* server-wide pauses: gap between pause starts and their length, each
	 * scaled by a seeded factor uniform in [1 - jitter, 1 + jitter]. */
	uint64_t pause_every_ns;      /* 0: no pauses */
	uint64_t pause_for_ns;
	double pause_jitter;          /* 0..1 */
};

/* fault_cfg_default - the reference behaviour: id % 100 < 2 stalls 400 ms,
 * everything else 2 ms, replica 0, seed 1, no pauses. */
void fault_cfg_default(struct fault_cfg *cfg);
/* fault_cfg_check - 0, or -EINVAL after logging one line that names the problem. */
int fault_cfg_check(const struct fault_cfg *cfg);

/* fault_is_bad - true when @id stalls the first time it is seen. */
bool fault_is_bad(const struct fault_cfg *cfg, uint32_t id);
/* fault_stall_ns - the stall of a bad @id (drawn from the distribution with a
 * seeded hash of the id, so it is the same on every run). */
uint64_t fault_stall_ns(const struct fault_cfg *cfg, uint32_t id);

/* fault_pause_gap_ns / fault_pause_len_ns - the time from the start of pause
 * @k-1 (from the server start for k = 0) to the start of pause @k, and how
 * long pause @k lasts. */
uint64_t fault_pause_gap_ns(const struct fault_cfg *cfg, uint64_t k);
uint64_t fault_pause_len_ns(const struct fault_cfg *cfg, uint64_t k);

/* fault_hash64 - the 64-bit mixer every seeded decision is made with. */
uint64_t fault_hash64(uint64_t x);
/* fault_unit - a uniform double in [0, 1) from a hash of (seed, a, b, salt). */
double fault_unit(uint64_t seed, uint64_t a, uint64_t b, uint64_t salt);

const char *fault_pattern_name(enum fault_pattern p);
const char *fault_stall_dist_name(enum fault_stall_dist d);
