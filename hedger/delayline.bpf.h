/* delayline.bpf.h: the delay-line backends behind one interface.
 *   hedger_line_park()  - splitter side: put a clone of @skb into the line
 *                         (or, a dense request with carriers, its frame into
 *                         its grid step's batch: batch.bpf.h);
 *   hedger_line_hold()  - rescuer side: true while the clone must wait more
 *                         (recirc holds in BPF; qdisc backends hold in the
 *                         qdisc and release the clone when it is due, htb
 *                         with --htb-finish a little before).
 * The clone carries @clone_mark: HEDGER_MARK_HEDGE(way, gen) of its slot. */
#pragma once

#include <asm-generic/errno.h>

#include "maps.bpf.h"
#include "knobs.bpf.h"
#include "htb_claim.bpf.h"
#include "batch.bpf.h"

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
					 __u32 clone_mark, const struct hedger_batch_req *ref)
{
	__u32 orig_mark = skb->mark, orig_prio = skb->priority;
	__u64 busy_until = v->send_ns + cfg_htb_stab_hold_ns + cfg_htb_guard_ns, grid_due;
	__u32 cls;
	int err;

	if (cfg_release_grid_ns) {
		grid_due = grid_due_ns(v->send_ns);
		/* Rounded up on purpose: the release planned (release_late). */
		if (grid_due)
			v->release_ns = grid_due;
		/* A dense request rides its step's carrier when it can. */
		if (grid_due && cfg_batch && !batch_join(skb, v, ref, grid_due))
			return 0;
		/* --htb-finish: out of the class that much before the step. */
		cls = htb_claim_tier(v->send_ns, grid_due ? grid_due - cfg_htb_finish_ns : 0);
	} else {
		cls = htb_claim_class(v->send_ns, busy_until);
	}
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
					    __u32 clone_mark, __u64 delay_ns,
					    const struct hedger_batch_req *ref)
{
	switch (cfg_backend) {
	case HEDGER_BACKEND_HTB:
		if (cfg_htb_stab_hold_ns)
			return htb_stab_park(skb, v, clone_mark, ref);
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

/* recirc holds in BPF, and htb with --htb-finish the last part of the hold:
 * until the planned release the clone goes round again. */
static __always_inline bool hedger_line_hold(struct hedger_sb_slot *v, __u64 now)
{
	return (cfg_backend == HEDGER_BACKEND_RECIRC || cfg_htb_finish_ns) && now < v->release_ns;
}
