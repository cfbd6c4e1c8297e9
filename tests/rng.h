/* rng: a small seeded PRNG (splitmix64) and the distributions the tests
 * draw from, identical on every machine. */
#pragma once
#include <math.h>
#include <stdint.h>

/* splitmix64 state. */
struct test_rng {
	uint64_t state;
};

static inline uint64_t rng_next(struct test_rng *r)
{
	uint64_t z = (r->state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in (0, 1): never 0, so log() of it is finite. */
static inline double rng_unit(struct test_rng *r)
{
	return ((double)(rng_next(r) >> 11) + 0.5) / 9007199254740992.0;
}

static inline double rng_exponential(struct test_rng *r, double mean)
{
	return -mean * log(rng_unit(r));
}

static inline double rng_normal(struct test_rng *r)
{
	return sqrt(-2.0 * log(rng_unit(r))) * cos(2.0 * M_PI * rng_unit(r));
}

static inline double rng_lognormal(struct test_rng *r, double median, double sigma)
{
	return median * exp(sigma * rng_normal(r));
}

static inline double rng_pareto(struct test_rng *r, double scale, double alpha)
{
	return scale / pow(rng_unit(r), 1.0 / alpha);
}
