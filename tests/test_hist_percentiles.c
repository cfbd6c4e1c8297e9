/* test_hist_percentiles: hist_value_at_percentile against the exact
 * percentiles of sorted random data, for light- and heavy-tailed
 * distributions. The exact p-th percentile is the sample of rank
 * ceil(p/100 * n) (HdrHistogram's definition); the histogram's answer must be
 * in the same bucket (hist_values_equivalent) and within the 3-digit bound. */
#include <stdlib.h>
#include <string.h>

#include "histogram.h"
#include "check.h"
#include "rng.h"

#define SAMPLES 200000

enum dist { DIST_UNIFORM, DIST_EXPONENTIAL, DIST_LOGNORMAL, DIST_PARETO, DIST_BIMODAL };
static const char *const dist_names[] = { "uniform", "exponential", "lognormal", "pareto",
					  "bimodal" };

static int64_t draw(struct test_rng *r, enum dist d)
{
	double v = 0;

	switch (d) {
	case DIST_UNIFORM:      v = 1 + rng_unit(r) * 1e6; break;           /* 1 ns .. 1 ms */
	case DIST_EXPONENTIAL:  v = rng_exponential(r, 200e3); break;       /* mean 200 us */
	case DIST_LOGNORMAL:    v = rng_lognormal(r, 1e6, 1.5); break;      /* median 1 ms */
	case DIST_PARETO:       v = rng_pareto(r, 100e3, 1.1); break;       /* heavy tail */
	case DIST_BIMODAL:      /* fast replies plus rare 50 ms stalls, like a hedging run */
		v = rng_unit(r) < 0.01 ? 50e6 + rng_exponential(r, 5e6)
				       : rng_lognormal(r, 80e3, 0.3);
		break;
	}
	if (v > HIST_DEFAULT_HIGHEST)
		v = HIST_DEFAULT_HIGHEST;
	return (int64_t)v;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Percentiles in units of 1/1000 %, so the exact rank is integer arithmetic. */
static const int64_t milli_pcts[] = { 1, 100, 1000, 10000, 25000, 50000, 75000, 90000,
				      95000, 99000, 99500, 99900, 99990, 99999, 100000 };

static void check_distribution(enum dist d, uint64_t seed)
{
	struct test_rng rng = { seed };
	struct hist *h = hist_new_default();
	int64_t *samples = malloc(SAMPLES * sizeof(*samples));

	REQUIRE(h && samples, "allocation");
	for (int i = 0; i < SAMPLES; i++) {
		samples[i] = draw(&rng, d);
		REQUIRE(hist_record(h, samples[i]) == 0, "%s: record %lld", dist_names[d],
			(long long)samples[i]);
	}
	qsort(samples, SAMPLES, sizeof(*samples), cmp_i64);
	CHECK(hist_count(h) == SAMPLES, "%s: count %lld", dist_names[d], (long long)hist_count(h));
	CHECK(hist_min(h) == samples[0], "%s: min", dist_names[d]);
	CHECK(hist_max(h) == samples[SAMPLES - 1], "%s: max", dist_names[d]);

	for (size_t k = 0; k < sizeof(milli_pcts) / sizeof(milli_pcts[0]); k++) {
		double p = (double)milli_pcts[k] / 1000.0;
		int64_t rank = (milli_pcts[k] * SAMPLES + 99999) / 100000;  /* ceil */
		int64_t exact = samples[(rank < 1 ? 1 : rank) - 1];
		int64_t got = hist_value_at_percentile(h, p);
		double rel = exact ? (double)llabs(got - exact) / (double)exact : (double)got;

		CHECK(hist_values_equivalent(h, got, exact),
		      "%s p%g: histogram %lld, exact %lld (not in the same bucket)",
		      dist_names[d], p, (long long)got, (long long)exact);
		/* Bucket width is at most 2^-10 of its values: 3 digits, x2 margin. */
		CHECK(rel <= 2e-3 || got - exact <= 1, "%s p%g: relative error %g",
		      dist_names[d], p, rel);
		/* The reported value is the top of the bucket: never below exact. */
		CHECK(got >= exact, "%s p%g: %lld below exact %lld", dist_names[d], p,
		      (long long)got, (long long)exact);
	}
	/* p0 is the bucket's lowest value, p100 the highest. */
	CHECK(hist_value_at_percentile(h, 0) == hist_lowest_equivalent(h, samples[0]),
	      "%s p0", dist_names[d]);
	CHECK(hist_value_at_percentile(h, 100) == hist_highest_equivalent(h, samples[SAMPLES - 1]),
	      "%s p100", dist_names[d]);
	CHECK(hist_value_at_percentile(h, 250) == hist_value_at_percentile(h, 100),
	      "%s: p > 100 is clamped", dist_names[d]);
	printf("%-12s p50 %lld p99 %lld p99.9 %lld max %lld\n", dist_names[d],
	       (long long)hist_value_at_percentile(h, 50), (long long)hist_value_at_percentile(h, 99),
	       (long long)hist_value_at_percentile(h, 99.9), (long long)hist_max(h));
	free(samples);
	hist_free(h);
}

int main(void)
{
	check_distribution(DIST_UNIFORM, 1);
	check_distribution(DIST_EXPONENTIAL, 2);
	check_distribution(DIST_LOGNORMAL, 3);
	check_distribution(DIST_PARETO, 4);
	check_distribution(DIST_BIMODAL, 5);
	return check_done("test_hist_percentiles");
}
