/* test_lathist_timer: a TC program arms the per-service bpf_timer (through
 * BPF_PROG_TEST_RUN); the timer recomputes the adaptive delay every period
 * with no user space in the loop. Checked by polling the map: the first
 * recompute gives exactly the configured percentile of what was recorded;
 * while a new distribution streams in, the delay converges to its
 * percentile (within one bucket: decay rounds each bucket separately); a
 * distribution above delay_max pins the delay to delay_max. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "check.h"
#include "prog_run.h"
#include "latency_hist.h"
#include "lathist_test.skel.h"

#define PERIOD_NS 100000000ull	/* 100 ms, the hedger's default */
#define MAX_NS 20000000ull

static struct lathist_test_bpf *skel;
static int map_fd;
static const uint32_t key;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static void svc_read(struct lathist_svc *s)
{
	if (bpf_map_lookup_elem(map_fd, &key, s))
		CHECK(0, "reading svc: %s", strerror(errno));
}

static void record(uint64_t ns)
{
	skel->bss->in_svc = key;
	skel->bss->in_ns = ns;
	if (prog_run_simple(bpf_program__fd(skel->progs.lathist_record_prog), 1))
		CHECK(0, "test run of record: %s", strerror(errno));
}

static int arm(void)
{
	skel->bss->in_svc = key;
	skel->bss->out_err = -1;
	if (prog_run_simple(bpf_program__fd(skel->progs.lathist_arm_prog), 1))
		return -errno;
	return skel->bss->out_err;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Expected percentile of @n samples: upper edge of the bucket of the sample
 * of rank ceil(p * n / 1000). Sorts @v. */
static uint64_t want_pct(uint64_t *v, uint32_t n, uint32_t p)
{
	uint64_t rank = ((uint64_t)n * p + 999) / 1000;

	qsort(v, n, sizeof(v[0]), cmp_u64);
	return lathist_upper_us(lathist_bucket(v[rank - 1] / 1000)) * 1000;
}

/* Uniform samples in [lo_us, hi_us), a fixed LCG so runs repeat. */
static uint64_t sample(uint64_t lo_us, uint64_t hi_us, uint64_t *state)
{
	*state = *state * 6364136223846793005ull + 1442695040888963407ull;
	return (lo_us + (*state >> 33) % (hi_us - lo_us)) * 1000;
}

/* Stream 100 samples every 10 ms until the delay is in [lo, hi] and at
 * least @min_recomputes recomputes ran, or @max_ms pass. Returns the delay
 * seen last; *first_ms when it first was in [lo, hi]. */
static uint64_t stream_until(uint64_t lo_us, uint64_t hi_us, uint64_t lo, uint64_t hi,
			     uint64_t min_recomputes, long max_ms, uint64_t *state,
			     double *first_ms)
{
	struct lathist_svc s;
	uint64_t start = now_ns(), first;
	bool in;

	svc_read(&s);
	first = s.st.recomputes;
	*first_ms = -1;
	while (now_ns() - start < (uint64_t)max_ms * 1000000) {
		for (int i = 0; i < 100; i++)
			record(sample(lo_us, hi_us, state));
		sleep_ms(10);
		svc_read(&s);
		in = s.st.delay_ns >= lo && s.st.delay_ns <= hi;
		if (in && *first_ms < 0)
			*first_ms = (double)(now_ns() - start) / 1e6;
		if (in && s.st.recomputes >= first + min_recomputes)
			break;
	}
	return s.st.delay_ns;
}

int main(void)
{
	static uint64_t v[20000];
	struct lathist_svc s;
	uint64_t state = 42, ref_state = 7, t0, want, d, lo, hi;
	uint32_t n = 2000, b;
	double first_ms;
	int err;

	prog_run_require_root();
	skel = lathist_test_bpf__open_and_load();
	if (!skel)
		prog_run_load_failed("lathist_test", -errno);
	map_fd = bpf_map__fd(skel->maps.svcs);

	/* The loader's part: configure before arming (an update cancels a timer). */
	memset(&s, 0, sizeof(s));
	s.cfg.p_permille = 950;
	s.cfg.min_ns = 200000;
	s.cfg.max_ns = MAX_NS;
	s.cfg.period_ns = PERIOD_NS;
	s.cfg.min_samples = 20;
	s.st.delay_ns = 10000000;
	if (bpf_map_update_elem(map_fd, &key, &s, BPF_ANY))
		CHECK(0, "configuring svc: %s", strerror(errno));

	/* 1. Exactly the p95 of what is in the histogram at the first tick. */
	for (uint32_t i = 0; i < n; i++) {
		v[i] = sample(500, 3000, &state);
		record(v[i]);
	}
	want = want_pct(v, n, 950);
	t0 = now_ns();
	err = arm();
	if (err == -EPERM || err == -EACCES) {
		printf("SKIP: bpf_timer not permitted: %s\n", strerror(-err));
		return 77;
	}
	CHECK_EQ(err, 0, "lathist_arm");
	CHECK_EQ(arm(), 0, "second lathist_arm (already armed)");
	do {
		sleep_ms(1);
		svc_read(&s);
	} while (!s.st.recomputes && now_ns() - t0 < 2000000000ull);
	CHECK(s.st.recomputes >= 1, "no recompute within 2 s of arming");
	CHECK(now_ns() - t0 >= PERIOD_NS * 9 / 10,
		 "first recompute after %.1f ms, before the period",
		 (double)(now_ns() - t0) / 1e6);
	CHECK_EQ(s.st.armed, 1, "armed flag");
	CHECK_EQ(s.st.total, n, "samples seen by the first recompute");
	CHECK(s.st.delay_ns == want, "first recompute: delay %llu ns, want p95 %llu ns",
		 (unsigned long long)s.st.delay_ns, (unsigned long long)want);
	printf("first recompute after %.1f ms: delay %.3f ms (p95 of %u samples)\n",
	       (double)(now_ns() - t0) / 1e6, (double)s.st.delay_ns / 1e6, n);

	/* 2. Latency moves to 4..8 ms: converge to the new p95 (+-1 bucket)
	 * after the old samples had time to fade (>= 12 halvings). */
	for (uint32_t i = 0; i < 20000; i++)
		v[i] = sample(4000, 8000, &ref_state);
	want = want_pct(v, 20000, 950);
	b = lathist_bucket(want / 1000 - 1);
	lo = lathist_upper_us(b - 1) * 1000;
	hi = lathist_upper_us(b + 1) * 1000;
	d = stream_until(4000, 8000, lo, hi, 12, 5000, &state, &first_ms);
	CHECK(d >= lo && d <= hi, "after the shift: delay %llu ns, want %llu ns (+-1 bucket)",
		 (unsigned long long)d, (unsigned long long)want);
	printf("shift to 4..8 ms: delay %.3f ms (p95 %.3f ms), first within a bucket after %.0f ms\n",
	       (double)d / 1e6, (double)want / 1e6, first_ms);

	/* 3. Everything slower than delay_max: the delay is delay_max. */
	d = stream_until(40000, 60000, MAX_NS, MAX_NS, 1, 5000, &state, &first_ms);
	CHECK_EQ(d, MAX_NS, "delay clamped to delay_max");
	svc_read(&s);
	CHECK(s.st.pct_ns > MAX_NS, "unclamped percentile %llu ns should exceed max",
		 (unsigned long long)s.st.pct_ns);
	printf("recomputes: %llu\n", (unsigned long long)s.st.recomputes);

	/* Destroying the object frees the map, which cancels the timer. */
	lathist_test_bpf__destroy(skel);
	return check_done("lathist_timer");
}
