// SPDX-License-Identifier: GPL-2.0
/* hedger.bpf.c: the in-kernel hedging data path.
 *   hedger_splitter     - egress of the client-side dev: record request, park a clone
 *   hedger_rescuer      - where the delay line ends: drop the clone or send the hedge
 *   hedger_reply_filter - ingress of the client-side dev: first reply wins, later ones die
 * Non-matching packets return TC_ACT_UNSPEC: TCX_NEXT under TCX, "continue"
 * for cls_bpf in direct-action mode, so other programs and the stack go on. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "hedger.h"
#include "latency_hist.bpf.h"
#include "budget.bpf.h"
#include "nat.bpf.h"

#define TC_ACT_UNSPEC   (-1)
#define TC_ACT_SHOT     2
#define TC_ACT_REDIRECT 7
#define BPF_F_INGRESS_FLAG 1
#define EBUSY      16
#define EFAULT     14
#define EOPNOTSUPP 95

/* Knobs, set by the loader before load. */
const volatile __u32 cfg_backend = HEDGER_BACKEND_HTB;
const volatile __u64 cfg_delay_ns = 10000000;
const volatile __u32 cfg_id_offset = 0;
const volatile __u32 cfg_id_width = 4;
const volatile __u8 cfg_id_be = 0;
const volatile __u32 cfg_l2_len = 14;
const volatile __u32 cfg_line_ifindex = 0;	/* where clones are sent */
const volatile __u32 cfg_out_ifindex = 0;	/* client-side dev: where hedges leave */
const volatile __u32 cfg_redirect_neigh = 1;	/* 0: plain bpf_redirect, keep the L2 header */
const volatile __u64 cfg_stale_ns = 2000000000;	/* a pending entry older than this is reused */
const volatile __u32 cfg_class_pool = 0;
const volatile __u64 cfg_htb_rate_Bps = 1000000;
const volatile __u64 cfg_htb_calib_bytes = 0;
const volatile __u64 cfg_htb_max_dummy = 16000;
const volatile __u64 cfg_htb_guard_ns = 1000000;
const volatile __u32 cfg_adaptive = 0;		/* 1: per-service delay from the "policy" map */
const volatile __u32 cfg_budget = 0;		/* 1: hedges limited by the "budget" map */
const volatile __u32 cfg_replicas = 0;		/* 1: some service has replicas (NAT paths on) */
const volatile __u32 cfg_tied = 0;		/* 1: some service is in tied mode */
const volatile __u32 cfg_tied_ifindex = 0;	/* the line's b end: tied copies reach the rescuer */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, HEDGER_MAX_SERVICES);
	__type(key, struct hedger_service_key);
	__type(value, struct hedger_service_val);
} services SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);	/* --scoreboard-size */
	__type(key, struct hedger_sb_key);
	__type(value, struct hedger_sb_val);
} scoreboard SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, HC_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, HEDGER_MAX_SERVICES);
	__type(key, __u32);
	__type(value, struct hedger_hist);
} latency_hist SEC(".maps");

/* Adaptive delay: per service, the recent-latency histogram, its bpf_timer
 * and the current delay (hedger/policy/latency_hist.bpf.h). Separate from
 * latency_hist above: this one decays every period, that one is cumulative
 * for `hedger stats`. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, HEDGER_MAX_SERVICES);
	__type(key, __u32);
	__type(value, struct lathist_svc);
} policy SEC(".maps");

/* Hedge budget: one token bucket per service (hedger/policy/budget.bpf.h). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, HEDGER_MAX_SERVICES);
	__type(key, __u32);
	__type(value, struct budget);
} budget SEC(".maps");

/* Replicas per service (slot 0 = the VIP) and the reverse lookup. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, HEDGER_MAX_SERVICES);
	__type(key, __u32);
	__type(value, struct hedger_replicas);
} replicas SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, HEDGER_MAX_SERVICES * HEDGER_MAX_REPLICAS);
	__type(key, struct hedger_service_key);
	__type(value, struct hedger_replica_of);
} replica_of SEC(".maps");

/* htb: per class, the time its token debt is repaid and it may be reused. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, HEDGER_MAX_CLASSES);
	__type(key, __u32);
	__type(value, __u64);
} htb_busy SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} htb_cursor SEC(".maps");

static __always_inline void count(__u32 idx)
{
	__u64 *c = bpf_map_lookup_elem(&counters, &idx);

	if (c)
		*c += 1;
}

#include "parse.bpf.h"
#include "delayline.bpf.h"

static __always_inline int parse_counted(struct __sk_buff *skb, struct hedger_pkt *p)
{
	int why = hedger_parse(skb, p, cfg_l2_len, cfg_id_offset, cfg_id_width, cfg_id_be);

	if (why)
		count(why);
	return why;
}

static __always_inline struct hedger_service_val *
service_lookup(const struct hedger_addr *addr, __u16 port, __u8 family)
{
	struct hedger_service_key sk = {};

	sk.addr = *addr;
	sk.port = port;
	sk.family = family;
	return bpf_map_lookup_elem(&services, &sk);
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
		if (nat_to_replica(skb, cfg_l2_len, &ep, NULL))
			break;
		skb->mark = HEDGER_MARK_TIED;
		if (!bpf_clone_redirect(skb, cfg_tied_ifindex, BPF_F_INGRESS)) {
			__sync_fetch_and_add(&r->hedges[slot], 1);
			count(HC_TIED_COPIES);
			sent++;
		} else {
			count(HC_CLONE_FAILED);
		}
		skb->mark = orig_mark;
	}
	skb->mark = orig_mark;
	ep = r->ep[0];
	if (nat_to_replica(skb, cfg_l2_len, &ep, NULL))
		return -EFAULT;
	return sent ? sent : 1;	/* tied even when every copy was denied */
}

SEC("tc")
int hedger_splitter(struct __sk_buff *skb)
{
	struct hedger_service_val *svc;
	struct hedger_sb_val *old, v = {};
	struct hedger_pkt p;
	__u64 now, delay;
	__u32 idx;

	if (skb->mark == HEDGER_MARK_HEDGE || skb->mark == HEDGER_MARK_DUMMY) {
		count(HC_HEDGE_LOOPED);	/* loop guard: a hedge is never cloned again */
		return TC_ACT_UNSPEC;
	}
	if (parse_counted(skb, &p))
		return TC_ACT_UNSPEC;
	svc = service_lookup(&p.key.daddr, p.key.dport, p.key.family);
	if (!svc)
		return TC_ACT_UNSPEC;
	count(HC_REQUESTS);

	idx = svc->index;
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

	now = bpf_ktime_get_ns();
	v.state = HEDGER_ST_PENDING;
	v.service = idx;
	v.send_ns = now;
	v.release_ns = now + delay;
	v.orig_priority = skb->priority;
	/* Written before the clone exists: recirc's clone can reach the
	 * rescuer before this program returns. A new request (the common
	 * case) costs one hash operation; only a known key is looked at. */
	if (bpf_map_update_elem(&scoreboard, &p.key, &v, BPF_NOEXIST)) {
		old = bpf_map_lookup_elem(&scoreboard, &p.key);
		if (old && old->state != HEDGER_ST_COMPLETED && now - old->send_ns < cfg_stale_ns) {
			/* The app resent a request still in flight (or the hedge
			 * lost its mark): one clone per request is enough. */
			count(HC_RETRANSMITS);
			return TC_ACT_UNSPEC;
		}
		/* Completed or stale: the id is reused by a new request. */
		if (bpf_map_update_elem(&scoreboard, &p.key, &v, BPF_ANY)) {
			count(HC_SB_INSERT_FAILED);
			return TC_ACT_UNSPEC;
		}
	}
	if (cfg_tied) {
		int n = tied_copies(skb, idx);

		if (n < 0) {
			count(HC_NAT_FAILED);
			return TC_ACT_SHOT;	/* the original may be half restored */
		}
		if (n > 0)
			return TC_ACT_UNSPEC;	/* tied: no delay-line clone */
	}
	if (hedger_line_park(skb, &v, delay)) {
		if (v.htb_class == 0 && cfg_backend == HEDGER_BACKEND_HTB)
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
 * service @svc; @waited_ns: how long the request has waited. The slot used
 * (0: none, the service has no replicas), or -errno when the rewrite failed
 * (drop: the packet may be half rewritten). */
static __always_inline int hedge_to_replica(struct __sk_buff *skb, __u32 svc, __u64 waited_ns)
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
	if (err)
		return err;
	__sync_fetch_and_add(&r->hedges[slot], 1);
	/* fastest: charge the chosen replica the wait so far (~T) with the
	 * EWMA's weight; its reply takes the charge back. A replica that stops
	 * answering thus grows slower with every hedge and stops being chosen,
	 * instead of keeping an old low latency forever. */
	if (r->policy == HEDGER_RP_FASTEST)
		__sync_fetch_and_add(&r->lat_ewma_ns[slot], waited_ns / 8);
	return (int)slot;
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
	__sync_fetch_and_add(&r->replies[slot], 1);
	old = r->lat_ewma_ns[slot];
	/* new = old + (x - old) / 8, unsigned (BPF has no signed division).
	 * Racing CPUs may lose an update: fine for a smoothed estimate. */
	if (!old)
		r->lat_ewma_ns[slot] = lat_ns;
	else if (lat_ns >= old)
		r->lat_ewma_ns[slot] = old + (lat_ns - old) / 8;
	else
		r->lat_ewma_ns[slot] = old - (old - lat_ns) / 8;
}

SEC("tc")
int hedger_rescuer(struct __sk_buff *skb)
{
	struct hedger_sb_val *v;
	struct hedger_pkt p;
	__u32 old;
	__u64 now;

	if (skb->mark == HEDGER_MARK_DUMMY) {
		count(HC_DUMMIES_DROPPED);
		return TC_ACT_SHOT;
	}
	if (cfg_tied && skb->mark == HEDGER_MARK_TIED) {
		/* A tied copy, already addressed to its replica: out at once,
		 * marked HEDGE so the splitter lets it pass. */
		skb->mark = HEDGER_MARK_HEDGE;
		if (cfg_redirect_neigh)
			return bpf_redirect_neigh(cfg_out_ifindex, NULL, 0, 0);
		return bpf_redirect(cfg_out_ifindex, 0);
	}
	if (hedger_parse(skb, &p, cfg_l2_len, cfg_id_offset, cfg_id_width, cfg_id_be))
		return skb->mark == HEDGER_MARK_HEDGE ? TC_ACT_SHOT : TC_ACT_UNSPEC;
	/* Second dummy check that survives a lost mark: a dummy is longer
	 * than its IP header says. */
	if (skb->len > p.ip_end) {
		count(HC_DUMMIES_DROPPED);
		return TC_ACT_SHOT;
	}
	if (skb->mark != HEDGER_MARK_HEDGE)
		return TC_ACT_UNSPEC;	/* not ours: the stack decides */

	v = bpf_map_lookup_elem(&scoreboard, &p.key);
	if (!v) {
		count(HC_CLONE_ORPHANED);
		return TC_ACT_SHOT;
	}
	old = v->state;
	if (old == HEDGER_ST_COMPLETED) {
		count(HC_CLONE_DROPPED_REPLY_WON);
		return TC_ACT_SHOT;
	}
	now = bpf_ktime_get_ns();
	if (hedger_line_hold(v, now)) {
		count(HC_RECIRC_ROUNDS);
		return bpf_redirect(skb->ifindex, BPF_F_INGRESS_FLAG);
	}
	if (old != HEDGER_ST_PENDING) {
		/* A second clone of one request. */
		count(HC_CLONE_DROPPED_REPLY_WON);
		return TC_ACT_SHOT;
	}
	/* The budget is spent only by a clone about to leave: most clones die
	 * because the reply won and must cost nothing. A spend whose CAS below
	 * then loses (reply in between) is not refunded: errs on the safe side. */
	if (cfg_budget) {
		__u32 si = v->service;
		struct budget *b = bpf_map_lookup_elem(&budget, &si);

		if (b && !budget_try_spend(b)) {
			count(HC_BUDGET_DENIED);
			return TC_ACT_SHOT;
		}
	}
	if (__sync_val_compare_and_swap(&v->state, old, HEDGER_ST_HEDGED) != old) {
		/* Completed meanwhile. */
		count(HC_CLONE_DROPPED_REPLY_WON);
		return TC_ACT_SHOT;
	}
	v->hedge_ns = now;
	skb->priority = v->orig_priority;
	/* Another replica: rewrite the destination before redirect_neigh, whose
	 * FIB lookup then finds the replica's next hop. */
	if (cfg_replicas) {
		int slot = hedge_to_replica(skb, v->service, now - v->send_ns);

		if (slot < 0) {
			count(HC_NAT_FAILED);
			return TC_ACT_SHOT;
		}
		v->hedge_slot = (__u32)slot;
		if (slot > 0)
			count(HC_HEDGES_TO_REPLICA);
	}
	count(HC_HEDGES_SENT);
	if (cfg_redirect_neigh)
		return bpf_redirect_neigh(cfg_out_ifindex, NULL, 0, 0);
	return bpf_redirect(cfg_out_ifindex, 0);
}

static __always_inline __u32 log2_slot(__u64 us)
{
	__u32 s = 0;

	/* Bounded loop: the verifier needs a constant trip count. */
	for (int i = 0; i < HEDGER_HIST_SLOTS - 1; i++) {
		if (us < 2)
			break;
		us >>= 1;
		s++;
	}
	return s;
}

SEC("tc")
int hedger_reply_filter(struct __sk_buff *skb)
{
	struct hedger_service_val *svc;
	struct hedger_sb_key key = {};
	struct hedger_sb_val *v;
	struct hedger_hist *h;
	struct hedger_pkt p;
	__u32 old, idx, slot = 0;
	__u64 now, lat;
	bool nat = false;

	if (parse_counted(skb, &p))
		return TC_ACT_UNSPEC;
	svc = service_lookup(&p.key.saddr, p.key.sport, p.key.family);
	if (svc) {
		idx = svc->index;
	} else {
		struct hedger_service_key rk = {};
		struct hedger_replica_of *ro;

		if (!cfg_replicas)
			return TC_ACT_UNSPEC;
		rk.addr = p.key.saddr;
		rk.port = p.key.sport;
		rk.family = p.key.family;
		ro = bpf_map_lookup_elem(&replica_of, &rk);
		if (!ro)
			return TC_ACT_UNSPEC;
		idx = ro->service;
		slot = ro->slot;
		nat = true;
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
		struct hedger_replicas *r = bpf_map_lookup_elem(&replicas, &idx);

		if (!r)
			return TC_ACT_UNSPEC;
		__builtin_memcpy(key.daddr.a, r->ep[0].addr, sizeof(key.daddr.a));
		key.dport = r->ep[0].port;
	}
	v = bpf_map_lookup_elem(&scoreboard, &key);
	if (!v) {
		count(HC_REPLY_UNKNOWN);
		return TC_ACT_UNSPEC;
	}
	now = bpf_ktime_get_ns();
	if (cfg_replicas)
		/* The VIP answers the original; another slot answers the hedge. */
		replica_seen(idx, slot, now - (slot && v->hedge_ns ? v->hedge_ns : v->send_ns));
	old = v->state;
	if (old == HEDGER_ST_COMPLETED ||
	    __sync_val_compare_and_swap(&v->state, old, HEDGER_ST_COMPLETED) != old) {
		count(HC_DUP_REPLIES_DROPPED);
		return TC_ACT_SHOT;
	}
	if (nat) {
		struct hedger_replicas *r = bpf_map_lookup_elem(&replicas, &idx);
		struct nat_endpoint vip;

		if (!r)
			return TC_ACT_SHOT;
		vip = r->ep[0];
		if (nat_from_replica(skb, cfg_l2_len, &vip)) {
			count(HC_NAT_FAILED);
			return TC_ACT_SHOT;
		}
		count(HC_REPLIES_REVERSE_NAT);
	}
	count(HC_REPLIES);
	lat = now - v->send_ns;
	h = bpf_map_lookup_elem(&latency_hist, &idx);
	if (h) {
		__u32 s = log2_slot(lat / 1000);

		if (s < HEDGER_HIST_SLOTS)
			h->slot[s] += 1;
	}
	if (cfg_adaptive) {
		struct lathist_svc *ls = bpf_map_lookup_elem(&policy, &idx);

		if (ls)
			lathist_record(&ls->hist, lat);
	}
	return TC_ACT_UNSPEC;
}

char LICENSE[] SEC("license") = "GPL";
