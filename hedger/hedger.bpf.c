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

SEC("tc")
int hedger_splitter(struct __sk_buff *skb)
{
	struct hedger_service_val *svc;
	struct hedger_sb_val *old, v = {};
	struct hedger_pkt p;
	__u64 now;

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

	now = bpf_ktime_get_ns();
	v.state = HEDGER_ST_PENDING;
	v.service = svc->index;
	v.send_ns = now;
	v.release_ns = now + cfg_delay_ns;
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
	if (hedger_line_park(skb, &v, cfg_delay_ns)) {
		if (v.htb_class == 0 && cfg_backend == HEDGER_BACKEND_HTB)
			return TC_ACT_UNSPEC;	/* counted as HC_NO_CLASS */
		count(HC_CLONE_FAILED);
		return TC_ACT_UNSPEC;
	}
	count(HC_CLONES);
	return TC_ACT_UNSPEC;
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
	if (old != HEDGER_ST_PENDING ||
	    __sync_val_compare_and_swap(&v->state, old, HEDGER_ST_HEDGED) != old) {
		/* Completed meanwhile, or a second clone of one request. */
		count(HC_CLONE_DROPPED_REPLY_WON);
		return TC_ACT_SHOT;
	}
	v->hedge_ns = now;
	skb->priority = v->orig_priority;
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
	__u32 old, idx;
	__u64 lat;

	if (parse_counted(skb, &p))
		return TC_ACT_UNSPEC;
	svc = service_lookup(&p.key.saddr, p.key.sport, p.key.family);
	if (!svc)
		return TC_ACT_UNSPEC;

	/* The request's key is the reply's tuple reversed. */
	key.saddr = p.key.daddr;
	key.daddr = p.key.saddr;
	key.sport = p.key.dport;
	key.dport = p.key.sport;
	key.family = p.key.family;
	key.id = p.key.id;
	v = bpf_map_lookup_elem(&scoreboard, &key);
	if (!v) {
		count(HC_REPLY_UNKNOWN);
		return TC_ACT_UNSPEC;
	}
	old = v->state;
	if (old == HEDGER_ST_COMPLETED ||
	    __sync_val_compare_and_swap(&v->state, old, HEDGER_ST_COMPLETED) != old) {
		count(HC_DUP_REPLIES_DROPPED);
		return TC_ACT_SHOT;
	}
	count(HC_REPLIES);
	lat = (bpf_ktime_get_ns() - v->send_ns) / 1000;
	idx = svc->index;
	h = bpf_map_lookup_elem(&latency_hist, &idx);
	if (h) {
		__u32 s = log2_slot(lat);

		if (s < HEDGER_HIST_SLOTS)
			h->slot[s] += 1;
	}
	return TC_ACT_UNSPEC;
}

char LICENSE[] SEC("license") = "GPL";
