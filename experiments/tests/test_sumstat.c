/* test_sumstat: the summary math against values worked out by hand. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../sumstat.h"
#include "check.h"

static void test_rank(void)
{
	/* ceil(p/100 * n), at least 1. */
	CHECK(sumstat_rank(99, 100) == 99, "rank(99,100)=%zu", sumstat_rank(99, 100));
	CHECK(sumstat_rank(99.9, 5000) == 4995, "rank(99.9,5000)=%zu", sumstat_rank(99.9, 5000));
	CHECK(sumstat_rank(50, 5) == 3, "rank(50,5)=%zu", sumstat_rank(50, 5));
	CHECK(sumstat_rank(0, 10) == 1, "rank(0,10)=%zu", sumstat_rank(0, 10));
	CHECK(sumstat_rank(100, 7) == 7, "rank(100,7)=%zu", sumstat_rank(100, 7));
	CHECK(sumstat_rank(99, 5200) == 5148, "rank(99,5200)=%zu", sumstat_rank(99, 5200));
}

static void test_weighted(void)
{
	int64_t a[] = { 5, 1, 3 }, b[] = { 4, 2 }, v = -1;
	struct sumstat_trial t[] = { { a, 3 }, { b, 2 } };
	struct sumstat_pool pool;
	uint32_t w_a2[] = { 2, 0 }, w_b3[] = { 0, 3 };

	CHECK(sumstat_pool_init(&pool, t, 2) == 0, "pool_init");
	/* Unweighted: 1 2 3 4 5. */
	CHECK(sumstat_percentile(&pool, NULL, 50, &v) == 0 && v == 3, "p50=%lld", (long long)v);
	CHECK(sumstat_percentile(&pool, NULL, 20, &v) == 0 && v == 1, "p20=%lld", (long long)v);
	CHECK(sumstat_percentile(&pool, NULL, 21, &v) == 0 && v == 2, "p21=%lld", (long long)v);
	CHECK(sumstat_percentile(&pool, NULL, 100, &v) == 0 && v == 5, "p100=%lld", (long long)v);
	/* A twice, B never: 1 1 3 3 5 5. */
	CHECK(sumstat_percentile(&pool, w_a2, 50, &v) == 0 && v == 3, "A2 p50=%lld", (long long)v);
	CHECK(sumstat_percentile(&pool, w_a2, 33, &v) == 0 && v == 1, "A2 p33=%lld", (long long)v);
	CHECK(sumstat_percentile(&pool, w_a2, 99, &v) == 0 && v == 5, "A2 p99=%lld", (long long)v);
	/* B three times: 2 2 2 4 4 4. */
	CHECK(sumstat_percentile(&pool, w_b3, 50, &v) == 0 && v == 2, "B3 p50=%lld", (long long)v);
	CHECK(sumstat_percentile(&pool, w_b3, 51, &v) == 0 && v == 4, "B3 p51=%lld", (long long)v);
	CHECK(sumstat_max(&pool, w_b3, &v) == 0 && v == 4, "B3 max=%lld", (long long)v);
	CHECK(sumstat_max(&pool, NULL, &v) == 0 && v == 5, "max=%lld", (long long)v);
	sumstat_pool_fini(&pool);
}

static void test_empty(void)
{
	int64_t v;
	struct sumstat_trial t[] = { { NULL, 0 } };
	struct sumstat_pool pool;
	struct sumstat_rng rng;
	struct sumstat_ci ci;

	CHECK(sumstat_pool_init(&pool, t, 1) == 0, "empty pool_init");
	CHECK(sumstat_percentile(&pool, NULL, 50, &v) == -ENODATA, "empty percentile");
	CHECK(sumstat_max(&pool, NULL, &v) == -ENODATA, "empty max");
	sumstat_rng_seed(&rng, 1);
	CHECK(sumstat_bootstrap_ci(&pool, 99, 100, &rng, &ci) == -ENODATA, "empty bootstrap");
	sumstat_pool_fini(&pool);
}

static void test_rng(void)
{
	struct sumstat_rng rng, rng2;
	unsigned hist[3] = { 0 };
	int same = 1;

	sumstat_rng_seed(&rng, 42);
	sumstat_rng_seed(&rng2, 42);
	for (int i = 0; i < 100; i++)
		same &= sumstat_rng_next(&rng) == sumstat_rng_next(&rng2);
	CHECK(same, "same seed, same sequence");
	for (int i = 0; i < 30000; i++)
		hist[sumstat_rng_below(&rng, 3)]++;
	/* Expected 10000 each, sd 81.6: +-500 is six sigma. */
	for (int i = 0; i < 3; i++)
		CHECK(hist[i] > 9500 && hist[i] < 10500, "below(3) bin %d = %u", i, hist[i]);
}

static void test_bootstrap(void)
{
	int64_t a[100], b[100], c[100], d[100], e[100];
	struct sumstat_trial two[] = { { a, 100 }, { b, 100 } };
	struct sumstat_trial three[] = { { c, 100 }, { d, 100 }, { e, 100 } };
	struct sumstat_pool pool;
	struct sumstat_rng rng;
	struct sumstat_ci ci;

	/* Two trials, all 10 and all 20. A resample is AA (p=1/4, P99 10),
	 * BB (1/4, 20) or AB (1/2, P99 rank 198 of 200 = 20): the 2.5th
	 * percentile of the statistics is 10, the 97.5th is 20. */
	for (int i = 0; i < 100; i++) {
		a[i] = 10;
		b[i] = 20;
	}
	sumstat_rng_seed(&rng, 7);
	CHECK(sumstat_pool_init(&pool, two, 2) == 0, "pool two");
	CHECK(sumstat_bootstrap_ci(&pool, 99, 2000, &rng, &ci) == 0, "bootstrap two");
	CHECK(ci.lo == 10 && ci.hi == 20, "two p99 ci [%lld, %lld]", (long long)ci.lo, (long long)ci.hi);
	CHECK(sumstat_bootstrap_ci(&pool, 100, 2000, &rng, &ci) == 0, "bootstrap two max");
	CHECK(ci.lo == 10 && ci.hi == 20, "two max ci [%lld, %lld]", (long long)ci.lo, (long long)ci.hi);
	/* P1: AB gives rank 2 of 200 = 10, so only BB (1/4) gives 20. */
	CHECK(sumstat_bootstrap_ci(&pool, 1, 2000, &rng, &ci) == 0, "bootstrap two p1");
	CHECK(ci.lo == 10 && ci.hi == 20, "two p1 ci [%lld, %lld]", (long long)ci.lo, (long long)ci.hi);
	sumstat_pool_fini(&pool);

	/* Three identical trials 1..100: every resample has P99 = 99, MAX 100. */
	for (int i = 0; i < 100; i++)
		c[i] = d[i] = e[i] = 100 - i;
	CHECK(sumstat_pool_init(&pool, three, 3) == 0, "pool three");
	CHECK(sumstat_bootstrap_ci(&pool, 99, 500, &rng, &ci) == 0, "bootstrap three");
	CHECK(ci.lo == 99 && ci.hi == 99, "three p99 ci [%lld, %lld]", (long long)ci.lo, (long long)ci.hi);
	CHECK(sumstat_bootstrap_ci(&pool, 100, 500, &rng, &ci) == 0, "bootstrap three max");
	CHECK(ci.lo == 100 && ci.hi == 100, "three max ci [%lld, %lld]", (long long)ci.lo, (long long)ci.hi);
	sumstat_pool_fini(&pool);
}

int main(void)
{
	test_rank();
	test_weighted();
	test_empty();
	test_rng();
	test_bootstrap();
	return check_done("sumstat");
}
