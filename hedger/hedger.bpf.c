// SPDX-License-Identifier: GPL-2.0
/* hedger.bpf.c: the in-kernel hedging data path.
 *   hedger_splitter     - egress of the client-side dev: record a locally sent
 *                         request on the scoreboard, park a clone in the line
 *   hedger_rescuer      - where the delay line ends: drop the clone, or send it
 *                         as the hedge while its request is still unanswered
 *   hedger_reply_filter - ingress of the client-side dev: a trusted first reply
 *                         completes the request; a reply byte-identical to one
 *                         already passed is dropped; anything else passes
 * The scoreboard's layout and state machine: scoreboard.h.
 * Non-matching packets return TC_ACT_UNSPEC: TCX_NEXT under TCX, "continue"
 * for cls_bpf in direct-action mode, so other programs and the stack go on. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <asm-generic/errno.h>
#include "hedger.h"

#define TC_ACT_UNSPEC   (-1)
#define TC_ACT_SHOT     2
#define TC_ACT_REDIRECT 7
#define PACKET_HOST_TYPE 0	/* PACKET_HOST */
#define HEDGER_ANY_REPLICA 0xff	/* tied: copies went to several replicas */

#include "knobs.bpf.h"
#include "maps.bpf.h"
#include "nat.bpf.h"
#include "parse.bpf.h"
#include "payload.bpf.h"
#include "proto.bpf.h"
#include "scoreboard.bpf.h"
#include "endpoints.bpf.h"
#include "delayline.bpf.h"
#include "offload.bpf.h"

static __always_inline int parse_counted(struct __sk_buff *skb, struct hedger_pkt *p,
					 bool allow_first_frag, enum hedger_port_check ports)
{
	int why = hedger_parse(skb, p, cfg_l2_len, cfg_id_offset, cfg_id_width, cfg_id_be,
			       allow_first_frag, ports);

	if (why > 0)
		count(why);
	return why;
}

/* replica_count - one more reply (@replies) or hedge from/to replica @slot of
 * service @svc, on this CPU's counters. */
static __always_inline void replica_count(__u32 svc, __u32 slot, bool replies)
{
	struct hedger_replica_stats *rs = bpf_map_lookup_elem(&replica_stats, &svc);

	asm volatile("" : "+r"(slot));
	if (!rs || slot >= HEDGER_MAX_REPLICAS)
		return;
	if (replies)
		rs->replies[slot] += 1;
	else
		rs->hedges[slot] += 1;
}

/* hedger_out - send a hedge (or tied copy) out of the client-side device.
 * Passing the delay line's veth made it PACKET_OTHERHOST; a device that
 * loops it back to this host (lo) would hand it to IP as such, which drops
 * it. So it becomes PACKET_HOST again first. */
static __always_inline int hedger_out(struct __sk_buff *skb)
{
	bpf_skb_change_type(skb, PACKET_HOST_TYPE);
	if (cfg_redirect_neigh)
		return bpf_redirect_neigh(cfg_out_ifindex, NULL, 0, 0);
	return bpf_redirect(cfg_out_ifindex, 0);
}

/* tied_copies - tied mode (Electrode-style broadcast, delay 0): send copies
 * of the request to tied-1 other replicas of service @svc now. Each copy is
 * the original with its destination rewritten, cloned to the line's b end
 * (marked TIED), where the rescuer sends it with bpf_redirect_neigh (right
 * L2 next hop); then the original gets its destination back. Returns the
 * copies sent (0: the service is not tied), or -errno when the original
 * could not be restored. Copies spend the budget like hedges. */
static __always_inline int tied_copies(struct __sk_buff *skb, __u32 svc)
{
	struct hedger_replicas *r = bpf_map_lookup_elem(&replicas, &svc);
	__u32 orig_mark = skb->mark, start, n, k, j;
	struct nat_endpoint ep;
	struct budget *b = NULL;
	int sent = 0;

	if (!r || r->tied < 2 || r->n < 2)
		return 0;
	n = r->n;
	if (n > HEDGER_MAX_REPLICAS)
		n = HEDGER_MAX_REPLICAS;
	k = r->tied;
	if (k > n)
		k = n;
	if (cfg_budget)
		b = bpf_map_lookup_elem(&budget, &svc);
	start = __sync_fetch_and_add(&r->rr, 1);
#pragma clang loop unroll(disable)
	for (j = 0; j < HEDGER_MAX_REPLICAS - 1; j++) {
		__u32 slot;

		if (j + 1 >= k)
			break;
		slot = 1 + (start + j) % (n - 1);
		asm volatile("" : "+r"(slot));
		if (slot >= HEDGER_MAX_REPLICAS)
			break;
		if (b && !budget_try_spend(b)) {
			count(HC_BUDGET_DENIED);
			continue;
		}
		ep = r->ep[slot];
		if (nat_to_replica(skb, cfg_l2_len, &ep, NULL)) {
			count(HC_NAT_FAILED);
			if (b)
				budget_refund(b);
			break;
		}
		skb->mark = HEDGER_MARK_TIED;
		if (!bpf_clone_redirect(skb, cfg_line_b_ifindex, BPF_F_INGRESS)) {
			replica_count(svc, slot, false);
			count(HC_TIED_COPIES);
			sent++;
		} else {
			count(HC_CLONE_FAILED);
			if (b)
				budget_refund(b);
		}
		skb->mark = orig_mark;
	}
	skb->mark = orig_mark;
	ep = r->ep[0];
	if (nat_to_replica(skb, cfg_l2_len, &ep, NULL))
		return -EFAULT;
	return sent ? sent : 1;	/* tied even when every copy was denied */
}

/* in_scope - may this egress packet be hedged? Only requests this host
 * sends itself (a socket owns them: forwarded packets have none), and only
 * those of the --cgroup subtree when one is set. */
static __always_inline bool in_scope(struct __sk_buff *skb)
{
	if (!skb->sk) {
		count(HC_SKIP_NOT_LOCAL);
		return false;
	}
	if (cfg_cgroup_id &&
	    bpf_skb_ancestor_cgroup_id(skb, (int)cfg_cgroup_level) != cfg_cgroup_id) {
		count(HC_SKIP_CGROUP);
		return false;
	}
	return true;
}

SEC("tc")
int hedger_splitter(struct __sk_buff *skb)
{
	struct hedger_sb_slot *s, *slot = NULL;
	struct hedger_batch_req ref = {};
	const struct hedger_endpoint *svc;
	struct hedger_pkt p;
	struct sb_ref r;
	__u64 now, delay, c, slot_ctl = 0;
	__u32 idx, digest, gen, i, slot_way = 0;
	bool found;

	/* Loop guard: our own packets are never cloned again. A hedge seen
	 * here has been handed to this device: that is "sent". */
	if (HEDGER_MARK_IS_HEDGE(skb->mark)) {
		count(HC_HEDGES_SENT);
		return TC_ACT_UNSPEC;
	}
	if (skb->mark == HEDGER_MARK_DUMMY || skb->mark == HEDGER_MARK_TIED)
		return TC_ACT_UNSPEC;
	if (parse_counted(skb, &p, false, HEDGER_PORT_DST))
		return TC_ACT_UNSPEC;
	svc = endpoint_lookup(&p.key.daddr, p.key.dport, p.key.family);
	if (!svc || svc->kind != HEDGER_EP_SERVICE || !in_scope(skb))
		return TC_ACT_UNSPEC;
	/* Ours. The bucket's lines are usually not cached: their loads are
	 * issued now and complete while the request and its digest are read. */
	found = sb_find(&p.key, &r);
	if (found)
		sb_touch(r.b);
	if (hedger_skb_multi(skb, HC_GSO_REQUEST))
		return TC_ACT_UNSPEC;	/* several datagrams: not one request */
	if (!proto_request(skb, &p)) {
		count(HC_SKIP_NOT_REQUEST);	/* e.g. a memcached write: never twice */
		return TC_ACT_UNSPEC;
	}
	count(HC_REQUESTS);

	idx = svc->service;
	delay = cfg_delay_ns;
	if (cfg_adaptive) {
		struct lathist_svc *ls = bpf_map_lookup_elem(&policy, &idx);

		if (ls) {
			/* One CAS the first time, a load afterwards. */
			if (lathist_arm(&policy, ls))
				count(HC_ADAPTIVE_ARM_FAILED);
			delay = lathist_delay_ns(ls);
		}
	}
	if (cfg_budget) {
		struct budget *b = bpf_map_lookup_elem(&budget, &idx);

		if (b)
			budget_on_request(b);
	}

	digest = hedger_request_digest(skb, &p);
	if (!found) {
		count(HC_SB_FULL);
		return TC_ACT_UNSPEC;
	}
	now = bpf_ktime_get_ns();
#pragma clang loop unroll(full)
	for (i = 0; i < HEDGER_SB_WAYS; i++) {
		__u32 st;

		s = &r.b->way[i];
		c = sb_load_ctl(s);
		st = HEDGER_CTL_STATE(c);
		if (s->tag == r.tag && st != HEDGER_ST_FREE && !sb_stale(s, now)) {
			if (st == HEDGER_ST_CLAIMING || sb_open(st)) {
				if (s->req_digest == digest) {
					/* The app resent a request still in flight:
					 * one clone per request is enough. */
					count(HC_RETRANSMITS);
					return TC_ACT_UNSPEC;
				}
				/* Two requests share a key: whichever reply
				 * comes is for either, so hands off both. */
				if (sb_open(st))
					sb_cas(s, c, HEDGER_CTL(HEDGER_CTL_GEN(c), HEDGER_ST_AMBIGUOUS, 0));
				count(HC_KEY_AMBIGUOUS);
				return TC_ACT_UNSPEC;
			}
			if (st == HEDGER_ST_AMBIGUOUS) {
				count(HC_KEY_AMBIGUOUS);
				return TC_ACT_UNSPEC;
			}
		}
		if (!slot && sb_claimable(s, c, now)) {
			slot = s;
			slot_ctl = c;
			slot_way = i;
		}
	}
	if (!slot) {
		count(HC_SB_FULL);
		return TC_ACT_UNSPEC;
	}
	gen = (HEDGER_CTL_GEN(slot_ctl) + 1) & 0xffffff;
	if (!sb_cas(slot, slot_ctl, HEDGER_CTL(gen, HEDGER_ST_CLAIMING, 0))) {
		count(HC_SB_FULL);	/* another CPU took it this instant */
		return TC_ACT_UNSPEC;
	}
	/* Filled before it is PENDING and before the clone exists: recirc's
	 * clone can reach the rescuer before this program returns. */
	slot->tag = r.tag;
	slot->send_ns = now;
	slot->release_ns = now + delay;
	slot->hedge_ns = 0;
	slot->req_digest = digest;
	slot->orig_priority = skb->priority;
	slot->service = idx;
	slot->htb_class = 0;
	slot->hedge_slot = 0;
	slot->seq_seen = 0;
	sb_cas(slot, HEDGER_CTL(gen, HEDGER_ST_CLAIMING, 0), HEDGER_CTL(gen, HEDGER_ST_PENDING, 0));

	if (cfg_tied) {
		int n = tied_copies(skb, idx);

		if (n < 0) {
			count(HC_NAT_FAILED);
			return TC_ACT_SHOT;	/* the original may be half restored */
		}
		if (n > 0) {
			/* Copies are out: replies from any replica are
			 * expected, the second one is the duplicate. */
			slot->hedge_ns = now;
			slot->hedge_slot = HEDGER_ANY_REPLICA;
			sb_cas(slot, HEDGER_CTL(gen, HEDGER_ST_PENDING, 0),
			       HEDGER_CTL(gen, HEDGER_ST_HEDGED, 0));
			return TC_ACT_UNSPEC;
		}
	}
	ref.bucket = r.idx;
	ref.gen = gen;
	ref.way = (__u8)slot_way;
	ref.len = (__u16)(p.ip_end <= 0xffff ? p.ip_end : 0);
	if (hedger_line_park(skb, slot, HEDGER_MARK_HEDGE(slot_way, gen), delay, &ref)) {
		if (slot->htb_class == 0 && cfg_backend == HEDGER_BACKEND_HTB)
			return TC_ACT_UNSPEC;	/* counted as HC_NO_CLASS */
		count(HC_CLONE_FAILED);
		return TC_ACT_UNSPEC;
	}
	count(HC_CLONES);
	return TC_ACT_UNSPEC;
}

/* pick_replica - the slot (1..n-1) a hedge of service @r goes to. */
static __always_inline __u32 pick_replica(struct hedger_replicas *r)
{
	__u32 n = r->n, best = 1, i;
	__u64 best_lat = ~0ULL;

	if (n > HEDGER_MAX_REPLICAS)
		n = HEDGER_MAX_REPLICAS;
	if (n <= 2)
		return 1;
	if (r->policy == HEDGER_RP_FASTEST) {
		/* Lowest recent latency; a replica never heard from (0) is
		 * tried first so every replica gets measured. */
		for (i = 1; i < HEDGER_MAX_REPLICAS; i++) {
			if (i >= n)
				break;
			if (r->lat_ewma_ns[i] < best_lat) {
				best_lat = r->lat_ewma_ns[i];
				best = i;
			}
		}
		return best;
	}
	return 1 + __sync_fetch_and_add(&r->rr, 1) % (n - 1);
}

/* hedge_to_replica - rewrite the hedge's destination to another replica of
 * service @svc. The slot used (0: the service has no replicas), or -errno
 * when the rewrite failed (drop: the packet may be half rewritten). */
static __always_inline int hedge_to_replica(struct __sk_buff *skb, __u32 svc)
{
	struct hedger_replicas *r = bpf_map_lookup_elem(&replicas, &svc);
	struct nat_endpoint ep;
	__u32 slot;
	int err;

	if (!r || r->n < 2)
		return 0;
	slot = pick_replica(r);
	asm volatile("" : "+r"(slot));
	if (slot >= HEDGER_MAX_REPLICAS)
		return 0;
	ep = r->ep[slot];
	err = nat_to_replica(skb, cfg_l2_len, &ep, NULL);
	return err ? err : (int)slot;
}

/* replica_hedged - account a hedge sent to @slot after @waited_ns. For
 * fastest: charge the replica the wait so far (~T) with the EWMA's weight;
 * its reply takes the charge back. A replica that stops answering thus grows
 * slower with every hedge and stops being chosen. */
static __always_inline void replica_hedged(__u32 svc, __u32 slot, __u64 waited_ns)
{
	struct hedger_replicas *r = bpf_map_lookup_elem(&replicas, &svc);

	asm volatile("" : "+r"(slot));
	if (!r || slot >= HEDGER_MAX_REPLICAS)
		return;
	replica_count(svc, slot, false);
	if (r->policy == HEDGER_RP_FASTEST)
		__sync_fetch_and_add(&r->lat_ewma_ns[slot], waited_ns / 8);
}

/* replica_seen - feed slot @slot's reply latency into its EWMA (1/8). Late
 * replies count too: they are how a slow replica shows it is slow. */
static __always_inline void replica_seen(__u32 svc, __u32 slot, __u64 lat_ns)
{
	struct hedger_replicas *r = bpf_map_lookup_elem(&replicas, &svc);
	__u64 old;

	asm volatile("" : "+r"(slot));
	if (!r || slot >= HEDGER_MAX_REPLICAS)
		return;
	replica_count(svc, slot, true);
	old = r->lat_ewma_ns[slot];
	/* new = old + (x - old) / 8, applied as an atomic add of the step
	 * (unsigned: BPF has no signed division), like the hedge's charge in
	 * replica_hedged, so no update overwrites another CPU's. */
	if (!old)
		__sync_val_compare_and_swap(&r->lat_ewma_ns[slot], 0, lat_ns);
	else if (lat_ns >= old)
		__sync_fetch_and_add(&r->lat_ewma_ns[slot], (lat_ns - old) / 8);
	else
		__sync_fetch_and_add(&r->lat_ewma_ns[slot], -((old - lat_ns) / 8));
}

/* clone_slot - the slot of the request this clone (@mark: way and
 * generation) was made for; NULL with the reason counted when it is gone. */
static __always_inline struct hedger_sb_slot *clone_slot(const struct hedger_pkt *p, __u32 mark,
							 __u64 *ctl)
{
	struct hedger_sb_slot *s;
	struct sb_ref r;
	__u32 way = HEDGER_MARK_WAY(mark);
	__u64 c;

	if (!sb_find(&p->key, &r) || way >= HEDGER_SB_WAYS) {
		count(HC_CLONE_ORPHANED);
		return NULL;
	}
	s = &r.b->way[way];
	c = sb_load_ctl(s);
	if (s->tag != r.tag || HEDGER_CTL_STATE(c) == HEDGER_ST_FREE) {
		count(HC_CLONE_ORPHANED);
		return NULL;
	}
	if ((HEDGER_CTL_GEN(c) & HEDGER_MARK_GEN_MASK) != (mark & HEDGER_MARK_GEN_MASK)) {
		/* A newer request with the same key owns the slot: this clone
		 * holds the old request's bytes and must never leave as its
		 * hedge. */
		count(HC_CLONE_STALE_GEN);
		return NULL;
	}
	*ctl = c;
	return s;
}

/* line_next_pass - htb with a size table: a clone back from its first pass
 * (@kind HEDGE next), which left its class owing T, goes into the class
 * again to wait; with --line-cpu, a clone just handed over by the splitter
 * (@kind LINE next) makes its first pass. The veth cleared its priority, so
 * the class comes from its slot. */
static __always_inline int line_next_pass(struct __sk_buff *skb, const struct hedger_pkt *p,
					  __u32 kind)
{
	struct hedger_sb_slot *s;
	__u64 c = 0;
	__u32 m, len;

	s = clone_slot(p, skb->mark, &c);
	if (!s)
		return TC_ACT_SHOT;
	if (HEDGER_CTL_STATE(c) != HEDGER_ST_PENDING) {
		count(HC_CLONE_DROPPED_REPLY_WON);
		return TC_ACT_SHOT;
	}
	/* The line's size table charges by length (htb_stab_park). The
	 * parsed key was copied out: nothing points into the packet now. */
	len = htb_stab_pass_len(p->ip_end, kind == HEDGER_MARK_LINE_KIND);
	if (len != skb->len && bpf_skb_change_tail(skb, len, 0)) {
		count(HC_CLONE_FAILED);
		return TC_ACT_SHOT;
	}
	skb->priority = (HEDGER_HTB_MAJOR << 16) | s->htb_class;
	/* Opaque to clang, so the store stays a 32-bit one (it would write
	 * the top byte alone: a ctx access the verifier refuses). */
	m = HEDGER_MARK_AS_KIND(skb->mark, kind);
	asm volatile("" : "+r"(m));
	skb->mark = m;
	if (kind == HEDGER_MARK_HEDGE_KIND)
		count(HC_LINE_PASSES);
	return bpf_redirect(cfg_line_ifindex, 0);
}

/* line_poll_round - --line-poll: send the poll packet round the line's
 * receive queue once more (a local enqueue: it stays on this CPU), or drop
 * it when the loader stopped it or stopped beating. */
static __always_inline int line_poll_round(struct __sk_buff *skb)
{
	__u32 zero = 0;
	struct hedger_line_poll *lp = bpf_map_lookup_elem(&line_poll, &zero);

	if (!lp || lp->stop || bpf_ktime_get_ns() - lp->heartbeat_ns > HEDGER_LINE_POLL_STALE_NS)
		return TC_ACT_SHOT;
	lp->rounds++;
	return bpf_redirect(cfg_line_park_ifindex, BPF_F_INGRESS);
}

SEC("tc")
int hedger_rescuer(struct __sk_buff *skb)
{
	struct hedger_sb_slot *s;
	struct hedger_pkt p;
	__u32 st, rslot = 0;
	__u64 now, c = 0;

	if (skb->mark == HEDGER_MARK_DUMMY) {
		count(HC_DUMMIES_DROPPED);
		return TC_ACT_SHOT;
	}
	if (cfg_line_poll && skb->protocol == bpf_htons(HEDGER_ETH_P_POLL))
		return line_poll_round(skb);
	if (cfg_tied && skb->mark == HEDGER_MARK_TIED)
		/* A tied copy, already addressed to its replica: out at once
		 * (its mark makes the splitter let it pass). */
		return hedger_out(skb);
	if (cfg_batch && HEDGER_MARK_IS_CARRIER(skb->mark))
		return carrier_step(skb);
	if (hedger_parse(skb, &p, cfg_l2_len, cfg_id_offset, cfg_id_width, cfg_id_be, false,
			 HEDGER_PORT_ANY))
		return HEDGER_MARK_IS_HEDGE(skb->mark) ? TC_ACT_SHOT : TC_ACT_UNSPEC;
	/* Size table: out of a pass with 0-2 bytes of tail added for it. Back
	 * from the first pass, line_next_pass sets the length of the second;
	 * released, the copy gets its own length back. */
	if (cfg_htb_stab_hold_ns && skb->len <= p.ip_end + 2) {
		if (HEDGER_MARK_IS_LINE(skb->mark))
			return line_next_pass(skb, &p, HEDGER_MARK_HEDGE_KIND);
		if (HEDGER_MARK_IS_HEDGE(skb->mark) && skb->len > p.ip_end &&
		    bpf_skb_change_tail(skb, p.ip_end, 0)) {
			count(HC_CLONE_FAILED);
			return TC_ACT_SHOT;
		}
	}
	/* Second dummy check that survives a lost mark: a dummy is longer
	 * than its IP header says. */
	if (skb->len > p.ip_end) {
		count(HC_DUMMIES_DROPPED);
		return TC_ACT_SHOT;
	}
	if (cfg_line_park_ifindex && HEDGER_MARK_IS_PARK(skb->mark))
		return line_next_pass(skb, &p, HEDGER_MARK_LINE_KIND);
	if (!HEDGER_MARK_IS_HEDGE(skb->mark))
		return TC_ACT_UNSPEC;	/* not ours: the stack decides */

	s = clone_slot(&p, skb->mark, &c);
	if (!s)
		return TC_ACT_SHOT;
	st = HEDGER_CTL_STATE(c);
	if (st == HEDGER_ST_AMBIGUOUS) {
		count(HC_CLONE_DROPPED_AMBIGUOUS);
		return TC_ACT_SHOT;
	}
	if (st != HEDGER_ST_PENDING) {
		/* Answered (or a second clone of one request). */
		count(HC_CLONE_DROPPED_REPLY_WON);
		return TC_ACT_SHOT;
	}
	now = bpf_ktime_get_ns();
	if (hedger_line_hold(s, now)) {
		count(HC_RECIRC_ROUNDS);
		return bpf_redirect(cfg_line_b_ifindex, BPF_F_INGRESS);
	}
	/* Another replica: rewrite the destination before redirect_neigh, whose
	 * FIB lookup then finds the replica's next hop. Rewritten before the
	 * state changes, so a failure leaves the request as it was. */
	if (cfg_replicas) {
		int slot = hedge_to_replica(skb, s->service);

		if (slot < 0) {
			count(HC_NAT_FAILED);
			return TC_ACT_SHOT;
		}
		rslot = (__u32)slot;
	}
	if (!sb_commit_hedge(s, c, now, (__u8)rslot))
		return TC_ACT_SHOT;
	if (rslot) {
		replica_hedged(s->service, rslot, now - s->send_ns);
		count(HC_HEDGES_TO_REPLICA);
	}
	skb->priority = s->orig_priority;
	count(HC_HEDGES_RELEASED);
	return hedger_out(skb);
}

/* record_latency - the request in @s got its first reply at @now: into the
 * cumulative histogram of `hedger stats` and, when adaptive, the decaying
 * one the delay follows (one bucket layout, latency_hist.h). */
static __always_inline void record_latency(struct hedger_sb_slot *s, __u32 idx, __u64 now)
{
	struct lathist *h;
	__u64 lat = now - s->send_ns;

	h = bpf_map_lookup_elem(&latency_hist, &idx);
	if (h)
		lathist_record(h, lat);
	if (cfg_adaptive) {
		struct lathist_svc *ls = bpf_map_lookup_elem(&policy, &idx);

		if (ls)
			lathist_record(&ls->hist, lat);
	}
}

/* reverse_nat - a hedge replica's reply gets the VIP as its source. */
static __always_inline int reverse_nat(struct __sk_buff *skb, __u32 idx)
{
	struct hedger_replicas *r = bpf_map_lookup_elem(&replicas, &idx);
	struct nat_endpoint vip;

	if (!r)
		return -EFAULT;
	vip = r->ep[0];
	return nat_from_replica(skb, cfg_l2_len, &vip);
}

/* replica_reply_ok - a hedge replica answers only a request hedged to it. */
static __always_inline bool replica_reply_ok(const struct hedger_sb_slot *s, __u64 ctl, __u32 rslot)
{
	__u32 st = HEDGER_CTL_STATE(ctl);

	return (st == HEDGER_ST_HEDGED || st == HEDGER_ST_COMPLETED_HEDGED) &&
	       (s->hedge_slot == rslot || s->hedge_slot == HEDGER_ANY_REPLICA);
}

/* mc_reply - memcached: a response is one or more datagrams (sequence
 * numbers 0 .. count-1). Each sequence number passes once per request (a
 * bitmap in the slot, set before the verdict so two copies of one datagram
 * racing on two CPUs cannot both pass); the first trusted datagram completes
 * the request, so the hedge stays home once the answer is coming. */
static __always_inline int mc_reply(struct __sk_buff *skb, const struct hedger_pkt *p,
				    struct hedger_sb_slot *s, __u64 ctl, __u32 idx, __u32 rslot,
				    bool nat, bool trusted, __u32 seq, __u32 dgrams, __u64 now)
{
	__u32 bit, old, i;

	if (!s) {
		count(HC_REPLY_DIFFERENT);
		return TC_ACT_UNSPEC;
	}
	if (!ctl)
		ctl = sb_load_ctl(s);
	if (nat && !replica_reply_ok(s, ctl, rslot)) {
		count(HC_REPLY_WRONG_REPLICA);
		return TC_ACT_UNSPEC;
	}
	if (seq >= MC_MAX_SEQ || dgrams > MC_MAX_SEQ) {
		count(HC_REPLY_SEQ_UNTRACKED);
		return TC_ACT_UNSPEC;
	}
	if (!trusted || p->first_fragment) {
		count(HC_REPLY_UNTRUSTED);
		return TC_ACT_UNSPEC;
	}
	if (nat && reverse_nat(skb, idx)) {
		count(HC_NAT_FAILED);
		return TC_ACT_SHOT;
	}
	bit = 1u << seq;
	old = __sync_fetch_and_or(&s->seq_seen, bit);
	if (old & bit) {
		count(HC_DUP_REPLIES_DROPPED);
		return TC_ACT_SHOT;
	}
	if (nat)
		count(HC_REPLIES_REVERSE_NAT);
#pragma clang loop unroll(full)
	for (i = 0; i < 2; i++) {
		__u32 st = HEDGER_CTL_STATE(ctl), gen = HEDGER_CTL_GEN(ctl), want;

		if (!sb_open(st))
			break;
		want = st == HEDGER_ST_HEDGED ? HEDGER_ST_COMPLETED_HEDGED : HEDGER_ST_COMPLETED;
		if (sb_cas(s, ctl, HEDGER_CTL(gen, want, 0))) {
			count(HC_REPLIES);
			record_latency(s, idx, now);
			break;
		}
		ctl = sb_load_ctl(s);
	}
	return TC_ACT_UNSPEC;
}

SEC("tc")
int hedger_reply_filter(struct __sk_buff *skb)
{
	struct hedger_sb_slot *s, *open = NULL, *done = NULL, *answered = NULL;
	const struct hedger_endpoint *ep;
	struct hedger_sb_key key = {};
	__u64 now, open_ctl = 0, done_ctl = 0;
	__u32 idx, rslot = 0, digest = 0, i, want, seq, dgrams;
	bool nat = false, any = false, trusted;
	struct hedger_pkt p;
	struct sb_ref r;

	if (parse_counted(skb, &p, true, HEDGER_PORT_SRC))
		return TC_ACT_UNSPEC;
	ep = endpoint_lookup(&p.key.saddr, p.key.sport, p.key.family);
	if (!ep)
		return TC_ACT_UNSPEC;
	idx = ep->service;
	if (ep->kind == HEDGER_EP_REPLICA) {
		/* A hedge replica: its reply gets the VIP back (reverse NAT). */
		if (!cfg_replicas)
			return TC_ACT_UNSPEC;
		rslot = ep->slot;
		nat = true;
	}
	if (hedger_skb_multi(skb, HC_GRO_REPLY))
		return TC_ACT_UNSPEC;	/* several replies: neither completes nor duplicates */

	if (!proto_reply(skb, &p, &seq, &dgrams)) {
		count(HC_REPLY_NOT_REPLY);
		return TC_ACT_UNSPEC;
	}

	/* The request's key is the reply's tuple reversed. */
	key.saddr = p.key.daddr;
	key.daddr = p.key.saddr;
	key.sport = p.key.dport;
	key.dport = p.key.sport;
	key.family = p.key.family;
	key.id = p.key.id;
	if (nat) {
		/* A hedge replica answered: the request went to the VIP. */
		struct hedger_replicas *rp = bpf_map_lookup_elem(&replicas, &idx);

		if (!rp)
			return TC_ACT_UNSPEC;
		__builtin_memcpy(key.daddr.a, rp->ep[0].addr, sizeof(key.daddr.a));
		key.dport = rp->ep[0].port;
	}
	if (!sb_find(&key, &r)) {
		count(HC_REPLY_UNKNOWN);
		return TC_ACT_UNSPEC;
	}
	now = bpf_ktime_get_ns();
	trusted = hedger_reply_check(skb, &p, &digest);
#pragma clang loop unroll(full)
	for (i = 0; i < HEDGER_SB_WAYS; i++) {
		__u64 c;
		__u32 st;

		s = &r.b->way[i];
		if (s->tag != r.tag)
			continue;
		c = sb_load_ctl(s);
		st = HEDGER_CTL_STATE(c);
		if (st == HEDGER_ST_FREE || st == HEDGER_ST_CLAIMING || sb_stale(s, now))
			continue;
		any = true;
		if (st == HEDGER_ST_AMBIGUOUS) {
			count(HC_REPLY_AMBIGUOUS);
			return TC_ACT_UNSPEC;
		}
		if (sb_open(st)) {
			open = s;
			open_ctl = c;
		} else {
			answered = s;
			if (HEDGER_CTL_DIGEST(c) == digest) {
				done = s;
				done_ctl = c;
			}
		}
	}
	if (!any) {
		count(HC_REPLY_UNKNOWN);
		return TC_ACT_UNSPEC;
	}
	if (cfg_proto == HEDGER_PROTO_MEMCACHED)
		return mc_reply(skb, &p, open ? open : answered, open ? open_ctl : 0, idx, rslot,
				nat, trusted, seq, dgrams, now);
	if (cfg_replicas) {
		/* Late replies count too: they show a slow replica is slow. */
		struct hedger_sb_slot *q = open ? open : done;

		if (q)
			replica_seen(idx, rslot, now - (rslot && q->hedge_ns ? q->hedge_ns : q->send_ns));
	}
	/* Byte-identical to a reply already passed for this key: a duplicate,
	 * unless an open request sent the same bytes (then the two replies
	 * are interchangeable and this one answers it). Fragments always
	 * pass: dropping one could break another datagram's reassembly. */
	if (done && !p.first_fragment && !(open && open->req_digest == done->req_digest)) {
		if (HEDGER_CTL_STATE(done_ctl) == HEDGER_ST_COMPLETED_HEDGED)
			sb_cas(done, done_ctl, HEDGER_CTL(HEDGER_CTL_GEN(done_ctl),
							   HEDGER_ST_COMPLETED, digest));
		count(HC_DUP_REPLIES_DROPPED);
		return TC_ACT_SHOT;
	}
	if (!open) {
		count(HC_REPLY_DIFFERENT);
		return TC_ACT_UNSPEC;
	}
	if (nat && !replica_reply_ok(open, open_ctl, rslot)) {
		count(HC_REPLY_WRONG_REPLICA);
		return TC_ACT_UNSPEC;
	}
	if (p.first_fragment) {
		/* The checksum covers fragments not seen here: it cannot be
		 * checked. Completing only stops a hedge, it never costs a
		 * reply (a later different reply passes), so it completes. */
		count(HC_REPLY_FRAGMENT);
	} else if (!trusted) {
		count(HC_REPLY_UNTRUSTED);
		return TC_ACT_UNSPEC;
	}
	if (nat) {
		if (p.first_fragment || reverse_nat(skb, idx)) {
			count(HC_NAT_FAILED);
			return p.first_fragment ? TC_ACT_UNSPEC : TC_ACT_SHOT;
		}
		count(HC_REPLIES_REVERSE_NAT);
	}
	/* Complete. The rescuer may move PENDING to HEDGED meanwhile: then
	 * try again from HEDGED; only a reply that finds the request already
	 * answered is a duplicate, and only when byte-identical. */
#pragma clang loop unroll(full)
	for (i = 0; i < 2; i++) {
		__u32 st = HEDGER_CTL_STATE(open_ctl), gen = HEDGER_CTL_GEN(open_ctl);

		want = st == HEDGER_ST_HEDGED ? HEDGER_ST_COMPLETED_HEDGED : HEDGER_ST_COMPLETED;
		if (sb_cas(open, open_ctl, HEDGER_CTL(gen, want, digest))) {
			count(HC_REPLIES);
			record_latency(open, idx, now);
			return TC_ACT_UNSPEC;
		}
		open_ctl = sb_load_ctl(open);
		if (HEDGER_CTL_GEN(open_ctl) != gen)
			break;	/* reused by a newer request meanwhile */
		if (!sb_open(HEDGER_CTL_STATE(open_ctl))) {
			if (HEDGER_CTL_DIGEST(open_ctl) == digest && !p.first_fragment &&
			    HEDGER_CTL_STATE(open_ctl) != HEDGER_ST_AMBIGUOUS) {
				count(HC_DUP_REPLIES_DROPPED);
				return TC_ACT_SHOT;
			}
			break;
		}
	}
	count(HC_REPLY_DIFFERENT);
	return TC_ACT_UNSPEC;
}

char LICENSE[] SEC("license") = "GPL";
