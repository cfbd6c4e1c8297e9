/* hedger.h: types shared by the hedger BPF programs and the loader.
 * Fixed-width types only, no pointers: the same layout on both sides. */
#pragma once

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* skb->mark values the hedger gives its own packets. A dummy only exists to
 * put an HTB class into debt and must never leave the host; a hedge is the
 * real copy and must never be cloned again (loop guard). */
#define HEDGER_MARK_DUMMY 0x6b68d001u
#define HEDGER_MARK_HEDGE 0x6b68d002u

#define HEDGER_MAX_SERVICES 64
#define HEDGER_HIST_SLOTS 32	/* log2 buckets of latency in microseconds */
#define HEDGER_MAX_CLASSES 4096
#define HEDGER_HTB_MAJOR 1	/* HTB root handle 1: -> leaf classes 1:1..1:N */

/* The delay line: where a clone waits for T. */
enum hedger_backend {
	HEDGER_BACKEND_NETEM = 0,	/* veth with netem delay T at its root (fixed T) */
	HEDGER_BACKEND_EDT = 1,		/* skb tstamp = now + T, veth with sch_fq at its root */
	HEDGER_BACKEND_HTB = 2,		/* HTB token debt: dummy of S bytes, then the clone */
	HEDGER_BACKEND_RECIRC = 3,	/* redirect to own ingress until the deadline passes */
	HEDGER_BACKEND_BPF_QDISC = 4,	/* reserved: struct_ops qdisc (kernel >= 6.16), not built */
	HEDGER_BACKEND_COUNT,
};

/* Scoreboard states of one request. */
enum hedger_state {
	HEDGER_ST_PENDING = 1,		/* original sent, clone parked in the delay line */
	HEDGER_ST_HEDGED = 2,		/* the clone left as the hedge */
	HEDGER_ST_COMPLETED = 3,	/* first reply arrived; later replies are duplicates */
};

/* Per-CPU counters, indexed by this enum (map "counters"). */
enum hedger_counter {
	HC_REQUESTS = 0,	/* matching requests seen by the splitter */
	HC_CLONES,		/* clones parked in the delay line */
	HC_CLONE_FAILED,	/* clone or redirect into the delay line failed */
	HC_NO_CLASS,		/* htb: no free class in the pool, request not hedged */
	HC_RETRANSMITS,		/* same (5-tuple, id) again while pending: not cloned again */
	HC_HEDGE_LOOPED,	/* a hedge came back to the splitter and was passed (loop guard) */
	HC_HEDGES_SENT,		/* clones that left as hedges */
	HC_CLONE_DROPPED_REPLY_WON, /* clones dropped because the reply had arrived */
	HC_CLONE_ORPHANED,	/* clone without scoreboard entry (evicted): dropped */
	HC_DUMMIES_DROPPED,	/* htb dummies dropped by the rescuer */
	HC_RECIRC_ROUNDS,	/* recirc: passes through the rescuer while waiting */
	HC_REPLIES,		/* first replies (request completed) */
	HC_DUP_REPLIES_DROPPED,	/* later replies for a completed request, dropped */
	HC_REPLY_UNKNOWN,	/* reply from a service without scoreboard entry (evicted or never seen) */
	HC_SB_INSERT_FAILED,	/* scoreboard update failed */
	HC_SKIP_NOT_IP,		/* parser: not IPv4/IPv6 or truncated header */
	HC_SKIP_NOT_UDP,	/* parser: other L4 protocol */
	HC_SKIP_FRAGMENT,	/* parser: IPv4 fragment (MF or offset) */
	HC_SKIP_IPV6_EXTHDR,	/* parser: IPv6 with extension headers */
	HC_SKIP_SHORT_PAYLOAD,	/* parser: payload shorter than id offset + width */
	HC_COUNT,
};

/* Address in a fixed 16-byte slot: IPv4 uses the first four bytes. */
struct hedger_addr {
	__u8 a[16];
};

/* Services map key: one address:port a request may go to. */
struct hedger_service_key {
	struct hedger_addr addr;
	__u16 port;		/* network byte order */
	__u8 family;		/* 4 or 6 */
	__u8 pad;
};

struct hedger_service_val {
	__u32 index;		/* slot in the latency histogram map */
};

/* Scoreboard key: the request's 5-tuple (as the client sent it) and its id. */
struct hedger_sb_key {
	struct hedger_addr saddr;
	struct hedger_addr daddr;
	__u16 sport;		/* network byte order */
	__u16 dport;		/* network byte order */
	__u8 family;
	__u8 pad[3];
	__u64 id;
};

struct hedger_sb_val {
	__u32 state;		/* enum hedger_state */
	__u32 service;		/* service index */
	__u64 send_ns;		/* bpf_ktime_get_ns() when the original left */
	__u64 release_ns;	/* when the clone is due out of the delay line */
	__u64 hedge_ns;		/* when the clone left as the hedge (0: not yet) */
	__u32 orig_priority;	/* the original's skb->priority, restored on the hedge */
	__u32 htb_class;	/* htb: class minor used, 0 for other backends */
};

/* Per-service latency histogram (per-CPU array indexed by service index). */
struct hedger_hist {
	__u64 slot[HEDGER_HIST_SLOTS];	/* slot k: latency in [2^k, 2^(k+1)) us; slot 0 also < 1 us */
};

static inline const char *hedger_backend_name(__u32 b)
{
	switch (b) {
	case HEDGER_BACKEND_NETEM: return "netem";
	case HEDGER_BACKEND_EDT: return "edt";
	case HEDGER_BACKEND_HTB: return "htb";
	case HEDGER_BACKEND_RECIRC: return "recirc";
	case HEDGER_BACKEND_BPF_QDISC: return "bpf-qdisc";
	default: return "?";
	}
}
