/* latency_hist.h: the per-service latency histogram shared by the BPF side
 * (latency_hist.bpf.h) and user space (hedger stats, tests). Fixed-width
 * types, no pointers: one layout on both sides.
 *
 * Bucket layout (log-linear, values in microseconds, ns / 1000 truncated):
 *   buckets 0..7   : [i, i+1) us, exact to 1 us
 *   bucket  i >= 8 : e = i/8 + 2, s = i%8, [(8+s) << (e-3), (9+s) << (e-3)) us
 *                    i.e. 8 linear sub-buckets per power of two 2^e..2^(e+1)
 *   the last bucket (159, [3.93 s, 4.19 s)) also holds everything above.
 * 160 buckets cover 0 .. 2^22 us (4.19 s). A value v >= 8 us lies in a bucket
 * no wider than v/8, so reporting the bucket's upper edge overstates it by
 * less than 12.5 % (below 8 us: by less than 1 us).
 *
 * The functions below are pure arithmetic, used by both sides. */
#pragma once

#ifndef __VMLINUX_H__
#include <linux/types.h>
#include <linux/bpf.h>	/* struct bpf_timer */
#endif

#define LATHIST_SUB_BITS 3
#define LATHIST_SUB (1u << LATHIST_SUB_BITS)		/* sub-buckets per power of two */
#define LATHIST_TOP_LOG2 22				/* top edge: 2^22 us = 4.19 s */
#define LATHIST_BUCKETS ((LATHIST_TOP_LOG2 - LATHIST_SUB_BITS + 1) * LATHIST_SUB) /* 160 */
#define LATHIST_PERIOD_NS 100000000ull			/* default recompute period */

struct lathist {
	__u64 counts[LATHIST_BUCKETS];
};

/* Adaptive delay settings, written by the loader before the timer is armed. */
struct lathist_cfg {
	__u64 min_ns;		/* the delay never goes below ... */
	__u64 max_ns;		/* ... or above these */
	__u64 period_ns;	/* recompute (and decay) period; 0: LATHIST_PERIOD_NS */
	__u32 p_permille;	/* target percentile: 950 = p95, 999 = p99.9 */
	__u32 min_samples;	/* fewer (decayed) samples: keep the current delay */
};

/* Written by the kernel (the loader seeds delay_ns with the initial delay). */
struct lathist_state {
	__u64 delay_ns;		/* current hedge delay: what the splitter uses */
	__u64 pct_ns;		/* last percentile before clamping, 0 if none */
	__u64 total;		/* samples the last recompute saw */
	__u64 recomputes;	/* timer callbacks run */
	__u32 armed;		/* 1 once a program started the timer */
	__u32 pad;
};

/* One element of the per-service map (BPF_MAP_TYPE_ARRAY, key = service
 * index). The timer must live in the map value it works on. */
struct lathist_svc {
	struct bpf_timer timer;
	struct lathist_cfg cfg;
	struct lathist_state st;
	struct lathist hist;
};

/* lathist_log2 - floor(log2(v)) for v < 2^32, 0 for v == 0; branchy so the
 * BPF side needs no clz instruction. */
static inline __u32 lathist_log2(__u32 v)
{
	__u32 r = 0;

	if (v >> 16) { v >>= 16; r += 16; }
	if (v >> 8) { v >>= 8; r += 8; }
	if (v >> 4) { v >>= 4; r += 4; }
	if (v >> 2) { v >>= 2; r += 2; }
	if (v >> 1) r += 1;
	return r;
}

/* lathist_bucket - the bucket of a latency of @us microseconds. */
static inline __u32 lathist_bucket(__u64 us)
{
	__u32 e;

	if (us >= (1ull << LATHIST_TOP_LOG2))
		return LATHIST_BUCKETS - 1;
	if (us < LATHIST_SUB)
		return (__u32)us;
	e = lathist_log2((__u32)us);
	return (e - LATHIST_SUB_BITS + 1) * LATHIST_SUB +
	       (((__u32)us >> (e - LATHIST_SUB_BITS)) & (LATHIST_SUB - 1));
}

/* lathist_lower_us / lathist_upper_us - the bucket's edges: [lower, upper). */
static inline __u64 lathist_lower_us(__u32 idx)
{
	__u32 e = idx / LATHIST_SUB + LATHIST_SUB_BITS - 1;

	if (idx < LATHIST_SUB)
		return idx;
	return (__u64)(LATHIST_SUB + idx % LATHIST_SUB) << (e - LATHIST_SUB_BITS);
}

static inline __u64 lathist_upper_us(__u32 idx)
{
	__u32 e = idx / LATHIST_SUB + LATHIST_SUB_BITS - 1;

	if (idx < LATHIST_SUB)
		return idx + 1;
	return (__u64)(LATHIST_SUB + 1 + idx % LATHIST_SUB) << (e - LATHIST_SUB_BITS);
}
