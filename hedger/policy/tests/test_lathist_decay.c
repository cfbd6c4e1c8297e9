/* test_lathist_decay: lathist_recompute sets the delay to the configured
 * percentile of the histogram (clamped, only with enough samples) and then
 * halves every bucket, so old samples fade out and the delay follows a shift
 * in latency. Each expected value is computed here from a snapshot of the
 * map taken just before the recompute. */
#include <errno.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "check.h"
#include "prog_run.h"
#include "latency_hist.h"
#include "lathist_test.skel.h"

static struct lathist_test_bpf *skel;
static int map_fd;
static const uint32_t key;	/* element 0 */

static void svc_write(const struct lathist_svc *s)
{
	if (bpf_map_update_elem(map_fd, &key, s, BPF_ANY))
		CHECK(0, "writing svc: %s", strerror(errno));
}

static void svc_read(struct lathist_svc *s)
{
	if (bpf_map_lookup_elem(map_fd, &key, s))
		CHECK(0, "reading svc: %s", strerror(errno));
}

static void record(uint64_t ns, uint32_t times)
{
	skel->bss->in_svc = key;
	skel->bss->in_ns = ns;
	if (prog_run_simple(bpf_program__fd(skel->progs.lathist_record_prog), times))
		CHECK(0, "test run of record: %s", strerror(errno));
}

static void recompute(void)
{
	skel->bss->in_svc = key;
	if (prog_run_simple(bpf_program__fd(skel->progs.lathist_recompute_prog), 1))
		CHECK(0, "test run of recompute: %s", strerror(errno));
}

/* Percentile by its definition: upper edge (ns) of the bucket where the
 * cumulative count first reaches ceil(p * total / 1000). */
static uint64_t want_pct(const struct lathist *h, uint32_t p, uint64_t *total)
{
	uint64_t n = 0, cum = 0, rank;

	for (uint32_t i = 0; i < LATHIST_BUCKETS; i++)
		n += h->counts[i];
	*total = n;
	rank = (n * p + 999) / 1000;
	for (uint32_t i = 0; i < LATHIST_BUCKETS; i++) {
		cum += h->counts[i];
		if (n && cum >= (rank ? rank : 1))
			return lathist_upper_us(i) * 1000;
	}
	return 0;
}

/* One recompute checked in full against the snapshot before it. */
static void recompute_and_check(const char *what)
{
	struct lathist_svc before, after;
	uint64_t total, pct, d;

	svc_read(&before);
	recompute();
	svc_read(&after);
	pct = want_pct(&before.hist, before.cfg.p_permille, &total);
	d = pct < before.cfg.min_ns ? before.cfg.min_ns : pct;
	d = d > before.cfg.max_ns ? before.cfg.max_ns : d;
	if (!total || total < before.cfg.min_samples)
		d = before.st.delay_ns;	/* too few samples: unchanged */
	CHECK(after.st.delay_ns == d, "%s: delay %llu ns, want %llu ns", what,
		 (unsigned long long)after.st.delay_ns, (unsigned long long)d);
	CHECK(after.st.total == total, "%s: total %llu, want %llu", what,
		 (unsigned long long)after.st.total, (unsigned long long)total);
	CHECK_EQ(after.st.recomputes, before.st.recomputes + 1, "recomputes");
	for (uint32_t i = 0; i < LATHIST_BUCKETS; i++)
		CHECK(after.hist.counts[i] == before.hist.counts[i] / 2,
			 "%s: bucket %u decayed to %llu, want %llu", what, i,
			 (unsigned long long)after.hist.counts[i],
			 (unsigned long long)before.hist.counts[i] / 2);
}

static uint64_t delay_now(void)
{
	struct lathist_svc s;

	svc_read(&s);
	return s.st.delay_ns;
}

int main(void)
{
	struct lathist_svc s;
	uint64_t old_delay;

	prog_run_require_root();
	skel = lathist_test_bpf__open_and_load();
	if (!skel)
		prog_run_load_failed("lathist_test", -errno);
	map_fd = bpf_map__fd(skel->maps.svcs);

	memset(&s, 0, sizeof(s));
	s.cfg.p_permille = 500;
	s.cfg.min_ns = 0;
	s.cfg.max_ns = ~0ull;
	s.cfg.min_samples = 1;
	s.st.delay_ns = 12345;	/* the loader's initial delay */
	svc_write(&s);

	/* Empty: the initial delay stays. */
	recompute_and_check("empty");
	CHECK_EQ(delay_now(), 12345, "delay with no samples");

	/* Mixed counts, odd ones included (floor of halves). */
	record(1000, 1);
	record(100000, 7);
	record(1000000, 1000);
	record(3000000000ull, 3);
	recompute_and_check("mix");
	CHECK_EQ(delay_now(), 1024000, "p50 of the mix: upper edge of [960, 1024) us");

	/* Old samples fade: 500 -> 250 ... -> 0 after 9 more halvings. */
	for (int k = 0; k < 9; k++)
		recompute_and_check("fading");
	svc_read(&s);
	for (uint32_t i = 0; i < LATHIST_BUCKETS; i++)
		CHECK(s.hist.counts[i] == 0, "bucket %u not empty after 10 halvings", i);
	old_delay = s.st.delay_ns;
	recompute_and_check("faded");
	CHECK_EQ(delay_now(), old_delay, "delay kept when all samples faded");

	/* A latency shift: 1 ms, one window, then 5 ms; the delay follows as
	 * soon as the new window outweighs the decayed old one. */
	record(1000000, 1000);
	recompute_and_check("before shift");
	CHECK_EQ(delay_now(), 1024000, "p50 at 1 ms");
	record(5000000, 1000);	/* 500 old (decayed) vs 1000 new */
	recompute_and_check("after shift");
	CHECK_EQ(delay_now(), 5120000, "p50 after the shift: upper edge of [4608, 5120) us");

	/* Clamping and the sample floor. */
	svc_read(&s);
	s.cfg.max_ns = 3000000;
	s.cfg.min_samples = 1;
	svc_write(&s);
	record(5000000, 100);
	recompute_and_check("clamped to max");
	CHECK_EQ(delay_now(), 3000000, "delay clamped to max");
	svc_read(&s);
	s.cfg.min_ns = 2500000;
	s.cfg.max_ns = 8000000;
	memset(&s.hist, 0, sizeof(s.hist));
	svc_write(&s);
	record(100000, 100);
	recompute_and_check("clamped to min");
	CHECK_EQ(delay_now(), 2500000, "delay clamped to min");
	svc_read(&s);
	s.cfg.min_samples = 1000;
	svc_write(&s);
	record(7000000, 900);	/* 50 + 900 < 1000 */
	recompute_and_check("too few samples");
	CHECK_EQ(delay_now(), 2500000, "delay kept below min_samples");

	lathist_test_bpf__destroy(skel);
	return check_done("lathist_decay");
}
