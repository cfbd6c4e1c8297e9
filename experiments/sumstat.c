#include "sumstat.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

size_t sumstat_rank(double p, uint64_t n)
{
	/* The small epsilon keeps 99.9% of 5000 at rank 4995 despite rounding. */
	double r = ceil(p / 100.0 * (double)n - 1e-9);

	if (r < 1)
		return 1;
	if (r > (double)n)
		return n;
	return (size_t)r;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

int sumstat_pool_init(struct sumstat_pool *pool, struct sumstat_trial *trials, size_t ntrials)
{
	size_t *pos = NULL;
	int err = 0;

	memset(pool, 0, sizeof(*pool));
	if (ntrials == 0)
		return -EINVAL;
	pool->ntrials = ntrials;
	for (size_t t = 0; t < ntrials; t++)
		pool->total += trials[t].n;
	pool->values = calloc(pool->total ? pool->total : 1, sizeof(*pool->values));
	pool->trial_of = calloc(pool->total ? pool->total : 1, sizeof(*pool->trial_of));
	pool->trial_n = calloc(ntrials, sizeof(*pool->trial_n));
	pool->trial_max = calloc(ntrials, sizeof(*pool->trial_max));
	pos = calloc(ntrials, sizeof(*pos));
	if (!pool->values || !pool->trial_of || !pool->trial_n || !pool->trial_max || !pos) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (size_t t = 0; t < ntrials; t++) {
		qsort(trials[t].values, trials[t].n, sizeof(int64_t), cmp_i64);
		pool->trial_n[t] = trials[t].n;
		pool->trial_max[t] = trials[t].n ? trials[t].values[trials[t].n - 1] : 0;
	}
	/* k-way merge; k is the number of trials (a handful), so a linear scan
	 * for the smallest head is fine. */
	for (size_t i = 0; i < pool->total; i++) {
		size_t best = ntrials;

		for (size_t t = 0; t < ntrials; t++) {
			if (pos[t] == trials[t].n)
				continue;
			if (best == ntrials || trials[t].values[pos[t]] < trials[best].values[pos[best]])
				best = t;
		}
		pool->values[i] = trials[best].values[pos[best]++];
		pool->trial_of[i] = (uint32_t)best;
	}
cleanup:
	free(pos);
	if (err)
		sumstat_pool_fini(pool);
	return err;
}

void sumstat_pool_fini(struct sumstat_pool *pool)
{
	free(pool->values);
	free(pool->trial_of);
	free(pool->trial_n);
	free(pool->trial_max);
	memset(pool, 0, sizeof(*pool));
}

static uint64_t weighted_total(const struct sumstat_pool *pool, const uint32_t *weights)
{
	uint64_t n = 0;

	for (size_t t = 0; t < pool->ntrials; t++)
		n += (uint64_t)pool->trial_n[t] * (weights ? weights[t] : 1);
	return n;
}

int sumstat_max(const struct sumstat_pool *pool, const uint32_t *weights, int64_t *out)
{
	int found = 0;
	int64_t m = 0;

	for (size_t t = 0; t < pool->ntrials; t++) {
		if ((weights && !weights[t]) || !pool->trial_n[t])
			continue;
		if (!found || pool->trial_max[t] > m)
			m = pool->trial_max[t];
		found = 1;
	}
	if (!found)
		return -ENODATA;
	*out = m;
	return 0;
}

int sumstat_percentile(const struct sumstat_pool *pool, const uint32_t *weights,
		       double p, int64_t *out)
{
	uint64_t n = weighted_total(pool, weights), rank, seen = 0;

	if (n == 0)
		return -ENODATA;
	if (p >= 100.0)
		return sumstat_max(pool, weights, out);
	rank = sumstat_rank(p, n);
	for (size_t i = 0; i < pool->total; i++) {
		seen += weights ? weights[pool->trial_of[i]] : 1;
		if (seen >= rank) {
			*out = pool->values[i];
			return 0;
		}
	}
	return -ENODATA; /* not reached: seen ends at n >= rank */
}

void sumstat_rng_seed(struct sumstat_rng *rng, uint64_t seed)
{
	rng->state = seed;
}

uint64_t sumstat_rng_next(struct sumstat_rng *rng)
{
	uint64_t z = (rng->state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

uint64_t sumstat_rng_below(struct sumstat_rng *rng, uint64_t bound)
{
	/* Reject the top partial block so every residue is equally likely. */
	uint64_t limit = UINT64_MAX - UINT64_MAX % bound, x;

	do
		x = sumstat_rng_next(rng);
	while (x >= limit);
	return x % bound;
}

static int cmp_stat(const void *a, const void *b)
{
	return cmp_i64(a, b);
}

int sumstat_bootstrap_ci(const struct sumstat_pool *pool, double p, unsigned resamples,
			 struct sumstat_rng *rng, struct sumstat_ci *out)
{
	uint32_t *w = NULL;
	int64_t *stats = NULL;
	int err = 0;

	if (!resamples || !pool->ntrials)
		return -EINVAL;
	if (weighted_total(pool, NULL) == 0)
		return -ENODATA;
	w = calloc(pool->ntrials, sizeof(*w));
	stats = calloc(resamples, sizeof(*stats));
	if (!w || !stats) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (unsigned b = 0; b < resamples; b++) {
		do {
			memset(w, 0, pool->ntrials * sizeof(*w));
			for (size_t k = 0; k < pool->ntrials; k++)
				w[sumstat_rng_below(rng, pool->ntrials)]++;
		} while (weighted_total(pool, w) == 0);
		err = sumstat_percentile(pool, w, p, &stats[b]);
		if (err)
			goto cleanup;
	}
	qsort(stats, resamples, sizeof(*stats), cmp_stat);
	out->lo = stats[sumstat_rank(2.5, resamples) - 1];
	out->hi = stats[sumstat_rank(97.5, resamples) - 1];
cleanup:
	free(w);
	free(stats);
	return err;
}
