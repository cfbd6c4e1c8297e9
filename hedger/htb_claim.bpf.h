/* htb_claim.bpf.h: claiming a class of the htb delay line's pool, on time
 * or, with --release-grid, in the tier that releases at the grid step; the
 * lengths that make a size-table pass charge the hold or not. */
#pragma once

#include "maps.bpf.h"
#include "knobs.bpf.h"

/* htb: claim a class of classes 1+@first .. @first+@count whose token debt
 * has been repaid; 0 when none is free. Probes a few classes from a shared
 * cursor so CPUs rarely collide. */
static __always_inline __u32 htb_claim_in(__u64 now, __u64 busy_until, __u32 first, __u32 count)
{
	__u32 zero = 0, start, i;
	__u32 *cursor;

	cursor = bpf_map_lookup_elem(&htb_cursor, &zero);
	if (!cursor || !count)
		return 0;
	start = __sync_fetch_and_add(cursor, 1);
	for (i = 0; i < 8; i++) {
		__u32 c = first + (start + i) % count;
		__u64 *busy, old;

		busy = bpf_map_lookup_elem(&htb_busy, &c);
		if (!busy)
			return 0;
		old = *busy;
		if (old > now)
			continue;
		if (__sync_val_compare_and_swap(busy, old, busy_until) == old)
			return c + 1;	/* classes are 1:1 .. 1:N */
	}
	return 0;
}

static __always_inline __u32 htb_claim_class(__u64 now, __u64 busy_until)
{
	return htb_claim_in(now, busy_until, 0, cfg_class_pool);
}

/* htb with a size table, --release-grid: while requests come densely (this
 * CPU's previous one less than half a grid step ago), the release is rounded
 * up to the next multiple of the grid, so the clones due in one grid step
 * leave together, at one expiry of HTB's watchdog (each expiry costs the CPU
 * a timer interrupt and reprograms: ~10 us each where a VM exit is dear).
 * Sparse requests, which could share no expiry, are released on time.
 * grid_due_ns - the rounded release of a dense request sent at @send_ns,
 * 0 for a sparse one. */
static __always_inline __u64 grid_due_ns(__u64 send_ns)
{
	/* With --htb-finish the class holds finish less than planned. */
	__u64 due = send_ns + cfg_htb_stab_hold_ns + cfg_htb_finish_ns, *last;
	__u32 zero = 0;
	bool dense;

	last = bpf_map_lookup_elem(&grid_last_send, &zero);
	if (!last || !cfg_release_grid_ns)
		return 0;
	dense = send_ns - *last < cfg_release_grid_ns / 2;
	*last = send_ns;
	if (!dense)
		return 0;
	count(HC_GRID_ROUNDED);
	return (due + cfg_release_grid_ns - 1) / cfg_release_grid_ns * cfg_release_grid_ns;
}

/* htb_claim_tier - a class that releases a clone sent at @send_ns at
 * @grid_due (0: on time) or a little later, never earlier. The pool is split
 * in HEDGER_MAX_HTB_TIERS tiers of classes whose rates make one pass hold
 * + k x tier_ns; the first tier that is not early is tried first, then
 * later ones (up to HEDGER_HTB_TIER_FALLBACK) when it is full. Returns the
 * class or 0. */
static __always_inline __u32 htb_claim_tier(__u64 send_ns, __u64 grid_due)
{
	__u64 hold = cfg_htb_stab_hold_ns, due = send_ns + hold, tier_ns = cfg_htb_tier_ns;
	__u32 per_tier = cfg_class_pool / HEDGER_MAX_HTB_TIERS, tier = 0, k;

	if (!tier_ns || !per_tier)
		return 0;
	if (grid_due > due)
		tier = (__u32)((grid_due - due + tier_ns - 1) / tier_ns);
	for (k = 0; k < HEDGER_HTB_TIER_FALLBACK; k++, tier++) {
		__u64 pass = hold + tier * tier_ns;
		__u32 cls;

		if (tier >= HEDGER_MAX_HTB_TIERS)
			break;
		/* Only the first pass owes the hold (see htb_stab_park). */
		cls = htb_claim_in(send_ns, send_ns + pass + cfg_htb_guard_ns,
				   tier * per_tier, per_tier);
		if (cls)
			return cls;
	}
	return 0;
}

/* htb size table: the length a clone of a @len-byte request has on its way
 * to a pass through its class: the first pass (@first) must be charged the
 * hold (1 mod 3), the second must not be. */
static __always_inline __u32 htb_stab_pass_len(__u32 len, bool first)
{
	__u32 r = len % HEDGER_HTB_STAB_PERIOD;

	if (first)
		return len + (HEDGER_HTB_STAB_PERIOD + HEDGER_HTB_STAB_CHARGED - r) % HEDGER_HTB_STAB_PERIOD;
	return r == HEDGER_HTB_STAB_CHARGED ? len + 1 : len;
}
