/* hedger.h: types shared by the hedger BPF programs and the loader.
 * Fixed-width types only, no pointers: the same layout on both sides. */
#pragma once

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif
#include "nat.h"	/* hedger/policy: struct nat_endpoint */

/* skb->mark values the hedger gives its own packets. A dummy only exists to
 * put an HTB class into debt and must never leave the host. A clone in the
 * delay line, and the hedge it becomes, carry HEDGER_MARK_HEDGE_KIND in the top
 * byte, then its scoreboard slot's way in the bucket (2 bits) and the low 22
 * bits of the slot's generation: the rescuer sends it only while that very
 * slot still holds the same request, and the splitter never clones it again
 * (loop guard). */
#define HEDGER_MARK_DUMMY 0x6b68d001u
#define HEDGER_MARK_HEDGE_KIND 0x6cu
#define HEDGER_MARK_GEN_MASK 0x003fffffu
#define HEDGER_MARK_HEDGE(way, gen)						\
	((HEDGER_MARK_HEDGE_KIND << 24) | (((way) & 3u) << 22) | ((gen) & HEDGER_MARK_GEN_MASK))
#define HEDGER_MARK_IS_HEDGE(mark) (((mark) >> 24) == HEDGER_MARK_HEDGE_KIND)
#define HEDGER_MARK_WAY(mark) (((mark) >> 22) & 3u)
/* htb with a size table: a clone makes two passes through its class, the
 * first (mark kind HEDGER_MARK_LINE_KIND, same way and generation) puts the
 * class into debt and comes straight back to the rescuer, which sends it
 * through the class again as HEDGER_MARK_HEDGE: that pass waits the debt. */
#define HEDGER_MARK_LINE_KIND 0x6du
#define HEDGER_MARK_IS_LINE(mark) (((mark) >> 24) == HEDGER_MARK_LINE_KIND)
/* --line-cpu: the splitter hands the clone to the line's receive queue
 * first (kind PARK); the CPU that RPS steers it to makes both passes. */
#define HEDGER_MARK_PARK_KIND 0x6eu
#define HEDGER_MARK_IS_PARK(mark) (((mark) >> 24) == HEDGER_MARK_PARK_KIND)
#define HEDGER_MARK_AS_KIND(mark, kind) (((kind) << 24) | ((mark) & 0x00ffffffu))
/* A tied copy (--tied K) on its way through the line's b end to the
 * rescuer, which sends it out with redirect_neigh (marked as a hedge then). */
#define HEDGER_MARK_TIED 0x6b68d003u

/* --line-poll: one packet of this EtherType (IEEE local experimental 2)
 * goes round the line's receive queue on the line CPU, so that queue stays
 * scheduled and a clone handed to it needs no IPI. It goes round only while
 * the loader's heartbeat (struct hedger_line_poll) is fresh: a killed loader
 * cannot leave it running. */
#define HEDGER_ETH_P_POLL 0x88b6
#define HEDGER_LINE_POLL_STALE_NS 500000000ULL	/* no heartbeat for this long: it stops */

struct hedger_line_poll {
	__u64 heartbeat_ns;	/* CLOCK_MONOTONIC of the loader's last beat */
	__u64 rounds;		/* rounds the poll packet made (only the line CPU writes) */
	__u32 stop;		/* 1: end at the next round (detach) */
	__u32 pad;
};

#define HEDGER_PORT_WORDS (65536 / 64)	/* service_ports: one bit per UDP port */
#define HEDGER_MAX_SERVICES 64
#define HEDGER_MAX_CLASSES 4096
#define HEDGER_HTB_MAJOR 1	/* HTB root handle 1: -> leaf classes 1:1..1:N */
#include "htb_stab.h"	/* the htb line's size table */
/* --release-grid: the class pool is split in this many tiers of holds
 * T + k x grid / (tiers - 1), k = 0..tiers-1 (htb_claim.bpf.h htb_claim_tier). */
#define HEDGER_MAX_HTB_TIERS 32
#define HEDGER_HTB_TIER_FALLBACK 8	/* tiers tried, from the first not early */
#include "batch.h"	/* carriers: one packet per CPU and grid step */

/* The delay line: where a clone waits for T. */
enum hedger_backend {
	HEDGER_BACKEND_NETEM = 0,	/* veth with netem delay T at its root (fixed T) */
	HEDGER_BACKEND_EDT = 1,		/* skb tstamp = now + T, veth with sch_fq at its root */
	HEDGER_BACKEND_HTB = 2,		/* HTB token debt: dummy of S bytes, then the clone */
	HEDGER_BACKEND_RECIRC = 3,	/* redirect to own ingress until the deadline passes */
	HEDGER_BACKEND_BPF_QDISC = 4,	/* reserved: struct_ops qdisc (kernel >= 6.16), not built */
	HEDGER_BACKEND_COUNT,
};

/* Protocol profiles (--proto): what a request and a reply are. */
enum hedger_proto {
	HEDGER_PROTO_ID = 0,		/* any datagram; the id window says which request */
	HEDGER_PROTO_DNS = 1,		/* queries and answers, 16-bit transaction id */
	HEDGER_PROTO_MEMCACHED = 2,	/* UDP frame header; only reads are hedged */
};

/* Per-CPU counters (map "counters"), indexed by enum hedger_counter. */
#include "counters.h"

/* Address in a fixed 16-byte slot: IPv4 uses the first four bytes. */
struct hedger_addr {
	__u8 a[16];
};

#include "scoreboard.h"

/* The "endpoints" map: every service address and hedge replica. */
#include "endpoints.h"

/* Replicas: a service VIP:PORT has up to HEDGER_MAX_REPLICAS endpoints.
 * Slot 0 is always the VIP itself: originals go there unchanged (the VIP is
 * a real server, the primary); a hedge goes to another slot. */
#define HEDGER_MAX_REPLICAS 8

enum hedger_replica_policy {
	HEDGER_RP_ROUND_ROBIN = 0,	/* cycle through the other replicas */
	HEDGER_RP_FASTEST = 1,		/* the other replica with the lowest recent latency */
};

/* Value of the per-service "replicas" ARRAY (key = service index);
 * endpoints are hedger/policy's struct nat_endpoint (nat.h). */
struct hedger_replicas {
	__u32 n;		/* replicas in use, slot 0 = VIP; 1: hedge to the VIP too */
	__u32 policy;		/* enum hedger_replica_policy */
	__u32 rr;		/* round-robin cursor (atomic) */
	__u32 tied;		/* >= 2: tied mode, the original + tied-1 copies at once, no delay line */
	struct nat_endpoint ep[HEDGER_MAX_REPLICAS];
	__u64 lat_ewma_ns[HEDGER_MAX_REPLICAS];	/* recent reply latency, EWMA 1/8; 0: none yet */
};

/* Per-CPU counters of one service's replicas (map "replica_stats", key =
 * service index), apart from the read-mostly configuration above so the
 * per-reply writes of every CPU never share its cache lines. */
struct hedger_replica_stats {
	__u64 replies[HEDGER_MAX_REPLICAS];	/* replies seen from each replica (also late ones) */
	__u64 hedges[HEDGER_MAX_REPLICAS];	/* hedges (and tied copies) sent to each replica */
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
