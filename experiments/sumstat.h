/* sumstat: the summary math of an experiment arm, as pure functions:
 * nearest-rank percentiles over several trials pooled with per-trial weights,
 * and a cluster bootstrap over trials for confidence intervals.
 * Public functions are prefixed sumstat_. */
#pragma once
#include <stddef.h>
#include <stdint.h>

/* One trial's latencies (ns), sorted ascending by sumstat_pool_init. */
struct sumstat_trial {
	int64_t *values;
	size_t n;
};

/* All trials of one arm, merged once so that a weighted percentile is a
 * single linear walk (the bootstrap calls it thousands of times). */
struct sumstat_pool {
	size_t ntrials;
	size_t total;             /* sum of n over trials */
	int64_t *values;          /* every value, ascending */
	uint32_t *trial_of;       /* trial index of values[i] */
	size_t *trial_n;          /* n of each trial */
	int64_t *trial_max;       /* max of each trial (0 when empty) */
};

/* sumstat_rank - the 1-based nearest rank of percentile @p (0..100) among @n
 * values: ceil(p/100 * n), at least 1. Same definition as HdrHistogram's
 * value_at_percentile, so exact and HDR numbers agree within HDR precision. */
size_t sumstat_rank(double p, uint64_t n);

/* sumstat_pool_init - sort each trial in place and merge them. 0 or -errno. */
int sumstat_pool_init(struct sumstat_pool *pool, struct sumstat_trial *trials, size_t ntrials);
void sumstat_pool_fini(struct sumstat_pool *pool);

/* sumstat_percentile - percentile @p of the pool where trial t counts
 * @weights[t] times (NULL: every trial once). -ENODATA if the weighted pool
 * is empty, else 0 with *@out set. */
int sumstat_percentile(const struct sumstat_pool *pool, const uint32_t *weights,
		       double p, int64_t *out);
/* sumstat_max - largest value among trials with a non-zero weight. */
int sumstat_max(const struct sumstat_pool *pool, const uint32_t *weights, int64_t *out);

/* Random numbers for the bootstrap: splitmix64, seeded, so a summary is
 * reproducible bit for bit. */
struct sumstat_rng { uint64_t state; };
void sumstat_rng_seed(struct sumstat_rng *rng, uint64_t seed);
uint64_t sumstat_rng_next(struct sumstat_rng *rng);
/* sumstat_rng_below - uniform in [0, bound), bound > 0, without modulo bias. */
uint64_t sumstat_rng_below(struct sumstat_rng *rng, uint64_t bound);

/* A statistic of the weighted pool: percentile @p, or the max when p >= 100. */
struct sumstat_ci {
	int64_t lo;
	int64_t hi;
};
/* sumstat_bootstrap_ci - percentile bootstrap over trials (trials are the
 * independent units; requests within a trial are not): @resamples times draw
 * ntrials trials with replacement, compute the statistic of the weighted pool;
 * the CI is the 2.5th..97.5th percentile (nearest rank) of those statistics.
 * Resamples whose pool is empty are redrawn. 0 or -errno. */
int sumstat_bootstrap_ci(const struct sumstat_pool *pool, double p, unsigned resamples,
			 struct sumstat_rng *rng, struct sumstat_ci *out);
