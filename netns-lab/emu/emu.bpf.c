// SPDX-License-Identifier: GPL-2.0
/* emu.bpf.c: a link emulator at the egress of one lab veth (one direction).
 * Loss (Bernoulli or Gilbert-Elliott), duplication and reordering are decided
 * here; the delay is held by HTB token debt on the same device's root qdisc:
 * per packet, claim an idle leaf class of rate R, send a dummy of S = T x R
 * bytes through it (it leaves at once and puts the class T in debt), then let
 * the packet follow into the same class, where HTB's watchdog releases it
 * when the debt is repaid. The dummy never arrives: it is longer than the
 * veth's MTU and carries an EtherType nobody handles. Idle waiting costs no
 * CPU: the hold is an hrtimer in the qdisc.
 * What waits is a clone, and the sender's skb is consumed: a clone is not
 * charged to the sending socket, so a sender is not throttled by packets the
 * "link" holds (netem orphans a delayed skb for the same reason). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "emu.h"
#include "emu_model.h"

#define TC_ACT_OK   0
#define TC_ACT_SHOT 2
#define TC_ACT_STOLEN 4
#define ETH_TYPE_OFF 12
#define ETH_P_ARP 0x0806

const volatile struct emu_params cfg = {};
const volatile __s16 cfg_normal[EMU_NORMAL_TABLE_SIZE] = {};
const volatile __u32 cfg_ifindex = 0;		/* the device this program sits on */
const volatile __u32 cfg_class_pool = 0;	/* HTB leaves 1:1 .. 1:N */
const volatile __u64 cfg_rate_Bps = 1000000;	/* every leaf's rate R */
const volatile __u64 cfg_calib_bytes = 0;	/* shortens each hold by calib / R */
const volatile __u64 cfg_max_dummy = 15000;	/* under bpf_skb_change_tail's ~16 KB */
const volatile __u64 cfg_guard_ns = 1000000;	/* a class is reused this long after its release */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct emu_state);
} emu_state SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, EMU_C_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} emu_counters SEC(".maps");

/* Per class: busy until this ktime (ns). Resized to cfg_class_pool. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} emu_busy SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} emu_cursor SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct emu_held_restore);
} emu_held SEC(".maps");

static __always_inline void count(__u32 c)
{
	__u64 *v = bpf_map_lookup_elem(&emu_counters, &c);

	if (v)
		*v += 1;
}

/* claim_class - a leaf whose debt is repaid, marked busy until @busy_until;
 * 0 when the few probed are all busy. */
static __always_inline __u32 claim_class(__u64 now, __u64 busy_until)
{
	__u32 zero = 0, start, i;
	__u32 *cursor = bpf_map_lookup_elem(&emu_cursor, &zero);

	if (!cursor || !cfg_class_pool)
		return 0;
	start = __sync_fetch_and_add(cursor, 1);
	for (i = 0; i < 8; i++) {
		__u32 c = (start + i) % cfg_class_pool;
		__u64 *busy = bpf_map_lookup_elem(&emu_busy, &c), old;

		if (!busy)
			return 0;
		old = *busy;
		if (old > now)
			continue;
		if (__sync_val_compare_and_swap(busy, old, busy_until) == old)
			return c + 1;
	}
	return 0;
}

/* What hold() did with a packet. */
enum emu_hold {
	EMU_HOLD_COPY,		/* a clone waits in a class; the caller consumes the skb */
	EMU_HOLD_OWN,		/* the skb itself waits (its copy could not be made) */
	EMU_HOLD_NO_CLASS,	/* every class probed was busy */
	EMU_HOLD_ERR,		/* the grow or the dummy's clone failed */
};

/* send_held_copy - clone @skb (its EtherType already the dummy's, so no
 * program before ours on the way back takes it for traffic) into its class
 * as the packet that waits; its pass through emu_egress restores EtherType
 * @proto and mark @mark. 0 or the clone's error. */
static __always_inline int send_held_copy(struct __sk_buff *skb, __be16 proto, __u32 mark)
{
	__u32 zero = 0;
	struct emu_held_restore *r = bpf_map_lookup_elem(&emu_held, &zero);

	if (!r)
		return -1;
	r->mark = mark;
	r->proto = proto;
	skb->mark = EMU_MARK_HELD;
	return bpf_clone_redirect(skb, cfg_ifindex, 0);
}

/* hold - queue @skb behind a dummy of delay x R bytes in a free class. */
static __always_inline enum emu_hold hold(struct __sk_buff *skb, __u64 delay_ns)
{
	__u32 len = skb->len, orig_mark = skb->mark, cls;
	__u64 now = bpf_ktime_get_ns(), dummy_len, busy_until;
	__be16 proto, dummy_proto = bpf_htons(EMU_DUMMY_ETHERTYPE);
	int err;

	dummy_len = delay_ns * cfg_rate_Bps / 1000000000ULL + 1;
	dummy_len = dummy_len > cfg_calib_bytes ? dummy_len - cfg_calib_bytes : 1;
	if (dummy_len > cfg_max_dummy)
		dummy_len = cfg_max_dummy;
	busy_until = now + delay_ns + (__u64)len * 1000000000ULL / cfg_rate_Bps + cfg_guard_ns;
	cls = claim_class(now, busy_until);
	if (!cls)
		return EMU_HOLD_NO_CLASS;
	if (bpf_skb_load_bytes(skb, ETH_TYPE_OFF, &proto, sizeof(proto)))
		return EMU_HOLD_ERR;
	skb->priority = (EMU_HTB_MAJOR << 16) | cls;
	skb->mark = EMU_MARK_DUMMY;
	err = bpf_skb_store_bytes(skb, ETH_TYPE_OFF, &dummy_proto, sizeof(dummy_proto), 0);
	if (!err && dummy_len > len) {
		err = bpf_skb_change_tail(skb, dummy_len, 0);
		if (!err)
			err = bpf_clone_redirect(skb, cfg_ifindex, 0);
		if (bpf_skb_change_tail(skb, len, 0) && !err)
			err = -1;
	} else if (!err) {
		/* A frame longer than T x R is its own dummy: held len / R. */
		err = bpf_clone_redirect(skb, cfg_ifindex, 0);
	}
	if (!err && !send_held_copy(skb, proto, orig_mark))
		return EMU_HOLD_COPY;
	if (bpf_skb_store_bytes(skb, ETH_TYPE_OFF, &proto, sizeof(proto), 0) && !err)
		err = -1;
	skb->mark = orig_mark;
	/* err > 0 is the dummy clone's NET_XMIT code (dropped at enqueue):
	 * a failed hold, not a missing class. */
	return err ? EMU_HOLD_ERR : EMU_HOLD_OWN;
}

SEC("tc")
int emu_egress(struct __sk_buff *skb)
{
	struct emu_params p = cfg;
	struct emu_draw d;
	struct emu_state *st;
	__u32 zero = 0, was_dup;
	__u64 delay;
	enum emu_hold ret;

	/* Our dummy, on its way into the class it holds. */
	if (skb->mark == EMU_MARK_DUMMY)
		return TC_ACT_OK;
	/* Our held copy, on its way into its class: the packet again. */
	if (skb->mark == EMU_MARK_HELD) {
		struct emu_held_restore *r = bpf_map_lookup_elem(&emu_held, &zero);

		if (!r || bpf_skb_store_bytes(skb, ETH_TYPE_OFF, &r->proto, sizeof(r->proto), 0))
			return TC_ACT_SHOT;
		skb->mark = r->mark;
		return TC_ACT_OK;
	}
	/* ARP is not emulated: a lost ARP request stalls every datagram to
	 * that neighbour for a second, which is not the link's loss model. */
	if (skb->protocol == bpf_htons(ETH_P_ARP)) {
		skb->priority = EMU_HTB_MAJOR << 16;
		return TC_ACT_OK;
	}
	was_dup = skb->mark == EMU_MARK_DUP;
	if (was_dup)
		skb->mark = 0;
	count(EMU_C_PACKETS);

	st = bpf_map_lookup_elem(&emu_state, &zero);
	if (!st)
		return TC_ACT_OK;
	bpf_spin_lock(&st->lock);
	if (!st->rng)
		st->rng = emu_seed_mix(p.seed);
	emu_decide(&p, &st->rng, &st->ge_bad, &d);
	bpf_spin_unlock(&st->lock);

	if (d.lost) {
		count(EMU_C_LOST);
		if (d.lost_in_bad)
			count(EMU_C_LOST_BAD);
		return TC_ACT_SHOT;
	}
	if (d.duplicate && !was_dup) {
		/* The copy passes this program again and gets its own fate. */
		skb->mark = EMU_MARK_DUP;
		if (bpf_clone_redirect(skb, cfg_ifindex, 0))
			count(EMU_C_DUP_ERR);
		else
			count(EMU_C_DUPLICATED);
		skb->mark = 0;
	}
	delay = emu_delay_ns(&p, d.delay_u, cfg_normal);
	if (d.reorder && delay) {
		count(EMU_C_REORDERED);
		delay = 0;
	}
	if (!delay) {
		count(EMU_C_UNHELD);
		skb->priority = EMU_HTB_MAJOR << 16;	/* HTB's direct queue */
		return TC_ACT_OK;
	}
	ret = hold(skb, delay);
	if (ret == EMU_HOLD_NO_CLASS || ret == EMU_HOLD_ERR) {
		count(ret == EMU_HOLD_NO_CLASS ? EMU_C_NO_CLASS : EMU_C_HOLD_ERR);
		skb->priority = EMU_HTB_MAJOR << 16;
		return TC_ACT_OK;
	}
	count(EMU_C_HELD);
	if (ret == EMU_HOLD_OWN) {
		count(EMU_C_HELD_OWNED);
		return TC_ACT_OK;
	}
	/* The clone waits in the class; the sender's skb ends here (the
	 * sender is told it was sent, as it is). */
	return TC_ACT_STOLEN;
}

char LICENSE[] SEC("license") = "GPL";
