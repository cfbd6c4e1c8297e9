/* latency_hist.bpf.h: per-service latency histogram and adaptive hedge delay,
 * BPF side. Layout and bucket arithmetic: latency_hist.h.
 *
 * Recording is one atomic add, so any CPU may record at any time without a
 * lock. A bpf_timer per service recomputes the delay every period: it takes
 * the configured percentile of the histogram, clamps it to [min, max], then
 * decays the histogram by halving every bucket (floor(c/2) remains). A window
 * thus weighs 1, the one before 1/2, then 1/4 ...: the delay follows recent
 * latency, and a lone old outlier is gone after one period. Decay subtracts
 * with an atomic add too, so samples recorded during it are never lost.
 *
 * Include after vmlinux.h and bpf_helpers.h; the including object must be
 * GPL (bpf_timer). */
#pragma once

#include <asm-generic/errno.h>

#include "latency_hist.h"

#ifndef LATHIST_CLOCK_MONOTONIC
#define LATHIST_CLOCK_MONOTONIC 1
#endif

/* lathist_record - count one latency of @ns nanoseconds. */
static __always_inline void lathist_record(struct lathist *h, __u64 ns)
{
	__u64 idx = lathist_bucket(ns / 1000);

	/* Cannot happen, but the verifier needs a 64-bit bound it can see:
	 * it does not track the result of a 32-bit division. */
	asm volatile("" : "+r"(idx));
	if (idx >= LATHIST_BUCKETS)
		return;
	__sync_fetch_and_add(&h->counts[idx], 1);
}

/* lathist_total - samples in @h. */
static __always_inline __u64 lathist_total(const struct lathist *h)
{
	__u64 total = 0;
	__u32 i;

#pragma clang loop unroll(disable)
	for (i = 0; i < LATHIST_BUCKETS; i++)
		total += h->counts[i];
	return total;
}

/* lathist_percentile_of - upper edge (ns) of the first bucket where the
 * cumulative count reaches @p_permille of @total; 0 when @total is 0. If
 * counts shrink meanwhile the walk may run out: then the top edge. */
static __always_inline __u64 lathist_percentile_of(const struct lathist *h, __u64 total,
						    __u32 p_permille)
{
	__u64 target, cum = 0;
	__u32 i;

	if (!total)
		return 0;
	if (p_permille > 1000)
		p_permille = 1000;
	target = (total * p_permille + 999) / 1000;	/* ceil: p100 = the max */
	if (!target)
		target = 1;
#pragma clang loop unroll(disable)
	for (i = 0; i < LATHIST_BUCKETS; i++) {
		cum += h->counts[i];
		if (cum >= target)
			return lathist_upper_us(i) * 1000;
	}
	return lathist_upper_us(LATHIST_BUCKETS - 1) * 1000;
}

/* lathist_percentile - @p_permille percentile of @h in ns (bucket upper edge). */
static __always_inline __u64 lathist_percentile(const struct lathist *h, __u32 p_permille)
{
	return lathist_percentile_of(h, lathist_total(h), p_permille);
}

/* lathist_decay - halve every bucket (floor), concurrent records kept. */
static __always_inline void lathist_decay(struct lathist *h)
{
	__u32 i;

#pragma clang loop unroll(disable)
	for (i = 0; i < LATHIST_BUCKETS; i++) {
		__u64 c = h->counts[i];

		if (c)
			__sync_fetch_and_add(&h->counts[i], -((c + 1) / 2));
	}
}

/* lathist_recompute - new delay from the percentile, clamped, then decay. Only
 * the service's timer calls it, so the state fields need no atomics. */
static __always_inline void lathist_recompute(struct lathist_svc *s)
{
	__u64 total = lathist_total(&s->hist);
	__u64 pct, d;

	s->st.total = total;
	if (total && total >= s->cfg.min_samples) {
		pct = lathist_percentile_of(&s->hist, total, s->cfg.p_permille);
		d = pct;
		if (d < s->cfg.min_ns)
			d = s->cfg.min_ns;
		if (d > s->cfg.max_ns)
			d = s->cfg.max_ns;
		s->st.pct_ns = pct;
		s->st.delay_ns = d;	/* one aligned 8-byte store: readers see old or new */
	}
	s->st.recomputes++;
	lathist_decay(&s->hist);
}

static __always_inline __u64 lathist_period(const struct lathist_svc *s)
{
	return s->cfg.period_ns ? s->cfg.period_ns : LATHIST_PERIOD_NS;
}

/* lathist_timer_fire - bpf_timer callback: recompute and re-arm. */
static int lathist_timer_fire(void *map, __u32 *key, struct lathist_svc *s)
{
	lathist_recompute(s);
	bpf_timer_start(&s->timer, lathist_period(s), 0);
	return 0;
}

/* lathist_arm - start the recompute timer of @s, an element of @map (an ARRAY
 * or HASH of struct lathist_svc), unless already started. Cheap to call on
 * every packet: after the first time it is one compare-and-swap. 0 or -errno.
 * A user-space update of the element cancels its timer (the kernel frees a
 * map value's timer on update); writing st.armed = 0 with it re-arms it on
 * the next call. */
static __always_inline int lathist_arm(void *map, struct lathist_svc *s)
{
	long err;

	if (s->st.armed || __sync_val_compare_and_swap(&s->st.armed, 0, 1) != 0)
		return 0;
	err = bpf_timer_init(&s->timer, map, LATHIST_CLOCK_MONOTONIC);
	if (err == -EBUSY)	/* initialised before an element update */
		err = 0;
	if (!err)
		err = bpf_timer_set_callback(&s->timer, lathist_timer_fire);
	if (!err)
		err = bpf_timer_start(&s->timer, lathist_period(s), 0);
	if (err)
		s->st.armed = 0;	/* let a later call try again */
	return (int)err;
}

/* lathist_delay_ns - the hedge delay to use now for service @s. */
static __always_inline __u64 lathist_delay_ns(const struct lathist_svc *s)
{
	return s->st.delay_ns;
}
