/* delayline.bpf.h: the delay-line backends behind one interface.
 *   hedger_line_park()  - splitter side: put a clone of @skb into the line;
 *   hedger_line_hold()  - rescuer side: true while the clone must wait more
 *                         (only recirc holds in BPF; qdisc backends hold in
 *                         the qdisc and release the clone when it is due).
 * The clone carries @clone_mark: HEDGER_MARK_HEDGE(way, gen) of its slot. */
#pragma once

#include <asm-generic/errno.h>

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

/* htb: grow to S bytes and clone (the dummy: passes at once and leaves the
 * class in debt S/R), shrink back and clone again (the real copy: released
 * by HTB's watchdog when the debt is repaid, about S/R = T later). */
static __always_inline int htb_park(struct __sk_buff *skb, struct hedger_sb_slot *v,
				    __u32 clone_mark, __u64 delay_ns)
{
	__u32 orig_len = skb->len, orig_mark = skb->mark, orig_prio = skb->priority;
	__u64 dummy_len, len_ns, busy_until;
	__u32 cls;
	int err;

	/* HTB charges the dummy's skb->len (L2 header included, no GSO) and
	 * releases the class's next packet when its ctokens are back at 0:
	 * S/R - cbuffer after the dummy left (cburst = 1 byte). So S = T x R
	 * + 1 byte, minus the calibration for the watchdog's typical lateness. */
	dummy_len = delay_ns * cfg_htb_rate_Bps / 1000000000ULL + 1;
	dummy_len = dummy_len > cfg_htb_calib_bytes ? dummy_len - cfg_htb_calib_bytes : 0;
	if (dummy_len > cfg_htb_max_dummy)
		dummy_len = cfg_htb_max_dummy;
	/* The class is busy while in debt: the dummy (T), then the real copy. */
	len_ns = (__u64)orig_len * 1000000000ULL / cfg_htb_rate_Bps;
	busy_until = v->send_ns + delay_ns + len_ns + cfg_htb_guard_ns;
	cls = htb_claim_class(v->send_ns, busy_until);
	if (!cls) {
		count(HC_NO_CLASS);
		return -EBUSY;
	}
	v->htb_class = cls;

	skb->priority = (HEDGER_HTB_MAJOR << 16) | cls;
	skb->mark = HEDGER_MARK_DUMMY;
	if (dummy_len > orig_len) {
		err = bpf_skb_change_tail(skb, dummy_len, 0);
		if (!err)
			err = bpf_clone_redirect(skb, cfg_line_ifindex, 0);
		/* Always try to restore the original length, even on error. */
		if (bpf_skb_change_tail(skb, orig_len, 0) && !err)
			err = -EFAULT;
	} else {
		/* A frame already longer than T x R: the copy itself is the
		 * dummy (hold = len / R, a little over T). */
		err = bpf_clone_redirect(skb, cfg_line_ifindex, 0);
	}
	if (err)
		goto restore;
	skb->mark = clone_mark;
	err = bpf_clone_redirect(skb, cfg_line_ifindex, 0);
restore:
	skb->mark = orig_mark;
	skb->priority = orig_prio;
	return err;
}

/* htb with a size table, --release-grid: while requests come densely (this
 * CPU's previous one less than half a grid step ago), the release is rounded
 * up to the next multiple of the grid, so the clones due in one grid step
 * leave together, at one expiry of HTB's watchdog (each expiry costs the CPU
 * a timer interrupt and reprograms: ~10 us each where a VM exit is dear).
 * Sparse requests, which could share no expiry, are released on time. The
 * pool is split in HEDGER_MAX_HTB_TIERS tiers of classes whose rates make one pass
 * hold + k x tier_ns; the request takes the first tier that is not early
 * (a later one when that tier is full). Returns the class or 0. */
static __always_inline __u32 htb_claim_on_grid(__u64 send_ns)
{
	__u64 hold = cfg_htb_stab_hold_ns, due = send_ns + hold, grid_due, tier_ns = cfg_htb_tier_ns;
	__u32 per_tier = cfg_class_pool / HEDGER_MAX_HTB_TIERS, tier = 0, k, zero = 0;
	__u64 *last;
	bool dense;

	if (!tier_ns || !per_tier)
		return 0;
	last = bpf_map_lookup_elem(&grid_last_send, &zero);
	if (!last)
		return 0;
	dense = send_ns - *last < cfg_release_grid_ns / 2;
	*last = send_ns;
	if (dense) {
		grid_due = (due + cfg_release_grid_ns - 1) / cfg_release_grid_ns * cfg_release_grid_ns;
		tier = (__u32)((grid_due - due + tier_ns - 1) / tier_ns);
		count(HC_GRID_ROUNDED);
	}
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

/* htb with a size table (fixed T): the qdisc charges a packet S bytes
 * (S/R = T) when its length is 1 mod 3 and 1 byte (a few ns) otherwise. The
 * splitter only hands one clone to the line's b end (mark PARK). The rescuer
 * sets its length to 1 mod 3 (htb_stab_pass_len) and sends it through its
 * idle class: it passes at once and leaves the class owing T. Back at the
 * rescuer (mark LINE) it gets a length that is not 1 mod 3 and goes into the
 * class again, where it waits until the debt is repaid, about T after the
 * send; that pass costs the class 1 byte, so its release is the class's only
 * timer event. The rescuer gives the hedge its own length back. Each length
 * change is 0-2 bytes of tail. The class is busy for T. */
static __always_inline int htb_stab_park(struct __sk_buff *skb, struct hedger_sb_slot *v,
					 __u32 clone_mark)
{
	__u32 orig_mark = skb->mark, orig_prio = skb->priority;
	__u64 busy_until = v->send_ns + cfg_htb_stab_hold_ns + cfg_htb_guard_ns;
	__u32 cls;
	int err;

	if (cfg_release_grid_ns)
		cls = htb_claim_on_grid(v->send_ns);
	else
		cls = htb_claim_class(v->send_ns, busy_until);
	if (!cls) {
		count(HC_NO_CLASS);
		return -EBUSY;
	}
	v->htb_class = cls;
	skb->priority = (HEDGER_HTB_MAJOR << 16) | cls;
	/* Only an enqueue to the line's receive queue here (with --line-cpu,
	 * RPS takes it to the line's CPU, which makes both passes). */
	skb->mark = HEDGER_MARK_AS_KIND(clone_mark, HEDGER_MARK_PARK_KIND);
	err = bpf_clone_redirect(skb, cfg_line_park_ifindex, BPF_F_INGRESS);
	skb->mark = orig_mark;
	skb->priority = orig_prio;
	return err;
}

/* edt: the clone carries its departure time; sch_fq on the line holds it. */
static __always_inline int edt_park(struct __sk_buff *skb, struct hedger_sb_slot *v,
				    __u32 clone_mark)
{
	__u64 orig_ts = skb->tstamp;
	__u8 orig_type = skb->tstamp_type;
	__u32 orig_mark = skb->mark;
	int err;

	err = bpf_skb_set_tstamp(skb, v->release_ns, BPF_SKB_TSTAMP_DELIVERY_MONO);
	if (err)
		return err;
	skb->mark = clone_mark;
	err = bpf_clone_redirect(skb, cfg_line_ifindex, 0);
	skb->mark = orig_mark;
	/* The helper refuses UNSPEC with a non-zero time (-EINVAL): that would
	 * leave the original with the clone's future MONO deadline (an fq on
	 * the dev would hold it T). So clear the type first, then write the
	 * old value back as is (tstamp_type is read here, so the store keeps
	 * the now cleared type). Other typed times (TAI on >= 6.11) go back
	 * through the helper with their type. */
	if (orig_type != BPF_SKB_TSTAMP_UNSPEC && orig_ts) {
		bpf_skb_set_tstamp(skb, orig_ts, orig_type);
	} else {
		bpf_skb_set_tstamp(skb, 0, BPF_SKB_TSTAMP_UNSPEC);
		if (orig_ts)
			skb->tstamp = orig_ts;
	}
	return err;
}

/* netem (fixed T at the line's root) and recirc (own ingress) just clone. */
static __always_inline int plain_park(struct __sk_buff *skb, __u32 clone_mark, __u64 flags)
{
	__u32 orig_mark = skb->mark;
	int err;

	skb->mark = clone_mark;
	err = bpf_clone_redirect(skb, cfg_line_ifindex, flags);
	skb->mark = orig_mark;
	return err;
}

static __always_inline int hedger_line_park(struct __sk_buff *skb, struct hedger_sb_slot *v,
					    __u32 clone_mark, __u64 delay_ns)
{
	switch (cfg_backend) {
	case HEDGER_BACKEND_HTB:
		if (cfg_htb_stab_hold_ns)
			return htb_stab_park(skb, v, clone_mark);
		return htb_park(skb, v, clone_mark, delay_ns);
	case HEDGER_BACKEND_EDT:
		return edt_park(skb, v, clone_mark);
	case HEDGER_BACKEND_RECIRC:
		return plain_park(skb, clone_mark, BPF_F_INGRESS);
	case HEDGER_BACKEND_NETEM:
		return plain_park(skb, clone_mark, 0);
	default:
		return -EOPNOTSUPP;
	}
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

/* Only recirc holds in BPF: until the deadline the clone goes round again. */
static __always_inline bool hedger_line_hold(struct hedger_sb_slot *v, __u64 now)
{
	return cfg_backend == HEDGER_BACKEND_RECIRC && now < v->release_ns;
}
