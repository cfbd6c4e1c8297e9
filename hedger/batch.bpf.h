/* batch.bpf.h: carriers (design: batch.h).
 *   batch_join()    - splitter: a dense request rides its step's carrier
 *                     (the first one of the step parks the carrier)
 *   carrier_step()  - rescuer: the carrier's two passes through its class,
 *                     and at its release the hedges of its batch
 * Include from hedger.bpf.c after the parser, payload and scoreboard
 * headers (TC_ACT_* and PACKET_HOST_TYPE are defined there). */
#pragma once

#include "maps.bpf.h"
#include "knobs.bpf.h"
#include "htb_claim.bpf.h"
#include "parse.bpf.h"
#include "payload.bpf.h"
#include "scoreboard.bpf.h"

#define BATCH_ONCE(x) (*(volatile typeof(x) *)&(x))

/* batch_frame_len - @len (1 .. HEDGER_BATCH_FRAME) spelled so the verifier
 * sees the bound (HEDGER_BATCH_FRAME is a power of two). */
static __always_inline __u32 batch_frame_len(__u32 len)
{
	return ((len - 1) & (HEDGER_BATCH_FRAME - 1)) + 1;
}

/* batch_slot - @n as an index into a batch's arrays, masked where it is
 * used (opaque to clang, so the mask is not hoisted): 6.1's verifier loses
 * the bounds of an index spilled across a helper call. */
static __always_inline __u32 batch_slot(__u32 n)
{
	asm volatile("" : "+r"(n));
	return n & (HEDGER_BATCH_MAX - 1);
}

/* batch_join - record the request in @v (its place: @ref) in this CPU's
 * batch of grid step @grid_due, parking the step's carrier first if there is
 * none yet. 0 when it rides the carrier; -errno when it needs a clone of its
 * own (frame too long, batch full, no class or no carrier). */
static __always_inline int batch_join(struct __sk_buff *skb, struct hedger_sb_slot *v,
				      const struct hedger_batch_req *ref, __u64 grid_due)
{
	__u64 step = grid_due / cfg_release_grid_ns;
	__u32 cpu = bpf_get_smp_processor_id(), idx, n, len = ref->len;
	struct hedger_batch *e;

	if (!len || len > HEDGER_BATCH_FRAME || cpu >= HEDGER_BATCH_MAX_CPUS)
		return -E2BIG;
	idx = cpu * HEDGER_BATCH_RING + (__u32)(step % HEDGER_BATCH_RING);
	e = bpf_map_lookup_elem(&batch, &idx);
	if (!e)
		return -ENOENT;
	if (e->step != step) {
		/* The entry's last step is more than the ring (> 2T) ago: its
		 * carrier is out. Marked unused while it is reset. */
		BATCH_ONCE(e->step) = 0;
		BATCH_ONCE(e->n) = 0;
		BATCH_ONCE(e->cls) = 0;
		BATCH_ONCE(e->settled) = 0;
		BATCH_ONCE(e->step) = step;
	}
	if (BATCH_ONCE(e->n) >= HEDGER_BATCH_MAX)
		return -ENOSPC;
	if (!e->cls) {
		__u32 orig_mark = skb->mark, orig_prio = skb->priority, cls, m;
		int err;

		/* The first request of the step: a clone of it is the carrier,
		 * in the tier that holds it until the step (--htb-finish: until
		 * that much before it). */
		cls = htb_claim_tier(v->send_ns, grid_due - cfg_htb_finish_ns);
		if (!cls)
			return -EBUSY;
		skb->priority = (HEDGER_HTB_MAJOR << 16) | cls;
		m = HEDGER_MARK_CARRIER(HEDGER_MARK_CARRIER_PARK_KIND,
					(__u32)(step / HEDGER_BATCH_RING), idx);
		asm volatile("" : "+r"(m));
		skb->mark = m;
		/* Recorded before the carrier exists: with --line-cpu the
		 * line's CPU may take it before this program goes on. */
		BATCH_ONCE(e->cls) = (__u16)cls;
		err = bpf_clone_redirect(skb, cfg_line_park_ifindex, BPF_F_INGRESS);
		skb->mark = orig_mark;
		skb->priority = orig_prio;
		if (err) {
			BATCH_ONCE(e->cls) = 0;
			return err;
		}
		count(HC_CARRIERS);
	}
	/* Below HEDGER_BATCH_MAX: checked above, and only this CPU writes it. */
	n = BATCH_ONCE(e->n);
	if (bpf_skb_load_bytes(skb, 0, e->frame[batch_slot(n)], batch_frame_len(len)))
		return -EFAULT;
	e->req[batch_slot(n)] = *ref;
	/* Published after its frame and place. */
	BATCH_ONCE(e->n) = batch_slot(n) + 1;
	count(HC_BATCHED);
	return 0;
}

/* carrier_emit - the carrier becomes request @r (batch entry @i of @e) and
 * a clone of it leaves as that request's hedge. @s is its slot, @c the
 * control word it was found PENDING with. -1 when the carrier can no longer
 * be rewritten (the batch ends), else 0. */
static __always_inline int carrier_emit(struct __sk_buff *skb, struct hedger_batch *e, __u32 i,
					const struct hedger_batch_req *r, struct hedger_sb_slot *s,
					__u64 c, __u64 now, __u64 step)
{
	__u32 len = r->len, gen = HEDGER_CTL_GEN(c), m;
	struct hedger_pkt p;
	struct sb_ref ref;

	if (!len || len > HEDGER_BATCH_FRAME) {
		count(HC_BATCH_MISMATCH);
		return 0;
	}
	if (skb->len != len && bpf_skb_change_tail(skb, len, 0)) {
		count(HC_CLONE_FAILED);
		return -1;
	}
	if (bpf_skb_store_bytes(skb, 0, e->frame[batch_slot(i)], batch_frame_len(len), 0)) {
		count(HC_CLONE_FAILED);
		return -1;
	}
	/* Only this slot's request may leave: the frame must parse to the
	 * slot's key and request digest, and the batch must not have been
	 * reset while it was read. */
	if (hedger_parse(skb, &p, cfg_l2_len, cfg_id_offset, cfg_id_width, cfg_id_be, false,
			 HEDGER_PORT_ANY) ||
	    p.ip_end != len || !sb_find(&p.key, &ref) || ref.idx != r->bucket || s->tag != ref.tag ||
	    hedger_request_digest(skb, &p) != s->req_digest || BATCH_ONCE(e->step) != step) {
		count(HC_BATCH_MISMATCH);
		return 0;
	}
	if (!sb_commit_hedge(s, c, now, 0))
		return 0;
	skb->priority = s->orig_priority;
	m = HEDGER_MARK_HEDGE(r->way, gen);
	asm volatile("" : "+r"(m));
	skb->mark = m;
	/* The frame's own L2 header (the request's) goes out as it is. */
	if (bpf_clone_redirect(skb, cfg_out_ifindex, 0)) {
		count(HC_CLONE_FAILED);
		return 0;
	}
	count(HC_HEDGES_RELEASED);
	return 0;
}

/* carrier_release - the carrier of batch @e (grid step @step) is out: the
 * hedge of each of its requests still pending. The carrier itself is
 * dropped. With --htb-finish it comes out early: while a request of its
 * batch is still pending it goes round the line until the step is due
 * (an answered batch costs no spin). The answered requests before the
 * first pending one are counted by the first round that sees them
 * (@e->settled), not again by later ones. */
static __always_inline int carrier_release(struct __sk_buff *skb, struct hedger_batch *e,
					   __u64 step)
{
	__u64 now = bpf_ktime_get_ns();
	__u32 n = BATCH_ONCE(e->n), settled = BATCH_ONCE(e->settled), i;
	bool early = cfg_htb_finish_ns && now < step * cfg_release_grid_ns;

	/* Passing the line's veth made it PACKET_OTHERHOST (see hedger_out);
	 * its clones inherit the type. */
	bpf_skb_change_type(skb, PACKET_HOST_TYPE);
#pragma clang loop unroll(disable)
	for (i = 0; i < HEDGER_BATCH_MAX; i++) {
		struct hedger_batch_req r;
		struct hedger_sb_bucket *b;
		struct hedger_sb_slot *s;
		__u32 st, why = 0;
		__u64 c;

		if (i >= n)
			break;
		r = e->req[batch_slot(i)];
		b = bpf_map_lookup_elem(&scoreboard, &r.bucket);
		if (!b) {
			why = HC_CLONE_ORPHANED;
		} else {
			s = &b->way[r.way & (HEDGER_SB_WAYS - 1)];
			c = sb_load_ctl(s);
			st = HEDGER_CTL_STATE(c);
			if (HEDGER_CTL_GEN(c) != r.gen)
				why = HC_CLONE_STALE_GEN;
			else if (st == HEDGER_ST_AMBIGUOUS)
				why = HC_CLONE_DROPPED_AMBIGUOUS;
			else if (st != HEDGER_ST_PENDING)
				why = HC_CLONE_DROPPED_REPLY_WON;
		}
		if (why) {
			/* Counted once, not again in a later round: adds 1 when
			 * i >= settled, computed without a branch (a branch on
			 * settled would narrow it differently in every iteration
			 * and the verifier could not prune the loop's states). */
			__u32 diff = i - settled;
			__u64 *ctr = bpf_map_lookup_elem(&counters, &why);

			asm volatile("" : "+r"(diff));
			if (ctr)
				*ctr += (diff >> 31) ^ 1;
			continue;
		}
		/* Out early and a request still waits: once more round the
		 * line (nothing was sent yet: this is the first pending one;
		 * the ones before it are settled). */
		if (early) {
			BATCH_ONCE(e->settled) = (__u16)i;
			count(HC_RECIRC_ROUNDS);
			return bpf_redirect(cfg_line_b_ifindex, BPF_F_INGRESS);
		}
		if (carrier_emit(skb, e, i, &r, s, c, now, step))
			break;
	}
	return TC_ACT_SHOT;
}

/* carrier_step - a carrier at the rescuer: handed over by the splitter
 * (PARK: its first pass next, charged the hold), back from the first pass
 * (LINE: into the class again, to wait) or released (HOLD). A carrier whose
 * batch was reused meanwhile (out more than the ring late) is dropped. */
static __always_inline int carrier_step(struct __sk_buff *skb)
{
	__u32 mark = skb->mark, kind = mark >> 24, idx = HEDGER_MARK_CARRIER_IDX(mark), m, len;
	struct hedger_batch *e = bpf_map_lookup_elem(&batch, &idx);
	struct hedger_pkt p;
	__u64 step;

	if (!e) {
		count(HC_CARRIER_LOST);
		return TC_ACT_SHOT;
	}
	step = BATCH_ONCE(e->step);
	if ((__u32)(step % HEDGER_BATCH_RING) != idx % HEDGER_BATCH_RING ||
	    ((__u32)(step / HEDGER_BATCH_RING) & 0xff) != HEDGER_MARK_CARRIER_LAP(mark) || !e->cls) {
		count(HC_CARRIER_LOST);
		return TC_ACT_SHOT;
	}
	if (kind == HEDGER_MARK_CARRIER_HOLD_KIND)
		return carrier_release(skb, e, step);
	if (hedger_parse(skb, &p, cfg_l2_len, cfg_id_offset, cfg_id_width, cfg_id_be, false,
			 HEDGER_PORT_ANY)) {
		count(HC_CARRIER_LOST);
		return TC_ACT_SHOT;
	}
	len = htb_stab_pass_len(p.ip_end, kind == HEDGER_MARK_CARRIER_PARK_KIND);
	if (len != skb->len && bpf_skb_change_tail(skb, len, 0)) {
		count(HC_CLONE_FAILED);
		return TC_ACT_SHOT;
	}
	skb->priority = (HEDGER_HTB_MAJOR << 16) | e->cls;
	m = HEDGER_MARK_CARRIER(kind + 1, HEDGER_MARK_CARRIER_LAP(mark), idx);
	asm volatile("" : "+r"(m));
	skb->mark = m;
	if (kind == HEDGER_MARK_CARRIER_LINE_KIND)
		count(HC_LINE_PASSES);
	return bpf_redirect(cfg_line_ifindex, 0);
}
