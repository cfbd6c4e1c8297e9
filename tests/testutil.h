/* testutil: tiny check macros and a seeded PRNG for the unit tests.
 * A test exits 0 on pass, 1 on failure, 77 when it has to skip. */
#pragma once
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define TEST_SKIP 77

/* Where failures are reported; a test that captures stderr redefines it. */
#ifndef TEST_OUT
#define TEST_OUT stderr
#endif

static int test_failures;

/* CHECK - count and report a failed condition, keep going. */
#define CHECK(cond, ...)                                                        \
	do {                                                                    \
		if (!(cond)) {                                                  \
			test_failures++;                                        \
			fprintf(TEST_OUT, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
			fprintf(TEST_OUT, __VA_ARGS__);                         \
			fputc('\n', TEST_OUT);                                  \
		}                                                               \
	} while (0)

/* REQUIRE - a failed condition the rest of the test cannot survive. */
#define REQUIRE(cond, ...)                                                      \
	do {                                                                    \
		if (!(cond)) {                                                  \
			fprintf(TEST_OUT, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
			fprintf(TEST_OUT, __VA_ARGS__);                         \
			fputc('\n', TEST_OUT);                                  \
			exit(1);                                                \
		}                                                               \
	} while (0)

static inline int test_result(const char *name)
{
	if (test_failures) {
		fprintf(TEST_OUT, "%s: %d check(s) failed\n", name, test_failures);
		return 1;
	}
	printf("%s: all checks passed\n", name);
	return 0;
}

/* splitmix64: small, seeded, identical on every machine. */
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
