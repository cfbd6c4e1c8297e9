/* scoreboard.h: what the hedger knows about each request in flight.
 *
 * Layout. An ARRAY map of buckets (max_entries = slots / 4, a power of two);
 * a bucket is HEDGER_SB_WAYS slots of one cache line (64 bytes) each. A
 * request's key (5-tuple as the client sent it + its id) hashes, with a seed
 * set at load time, to one bucket and to a 64-bit tag (never 0). A lookup
 * reads the bucket's slots whose tag matches; nothing else is searched, so
 * the cost is fixed and no live entry is ever evicted: a request that finds
 * no free slot in its bucket is not hedged, its replies pass, and it is
 * counted (scoreboard_bucket_full).
 *
 * The control word. `ctl` packs generation (24 bits), state (8 bits) and the
 * first reply's digest (32 bits) and changes only by compare-and-swap, so a
 * CPU acting on a slot knows it acts on the request it looked at:
 *   bits 63..40 gen     bumped every time the slot is claimed for a request;
 *                       the clone carries its low 22 bits and the slot's way
 *                       in skb->mark (HEDGER_MARK_HEDGE)
 *   bits 39..32 state   enum hedger_state
 *   bits 31..0  digest  hash of the reply that completed the request
 *
 * States and who moves them:
 *   FREE ------------------ splitter claims -----------------> CLAIMING
 *   CLAIMING -------------- splitter, slot filled ------------> PENDING
 *   PENDING --------------- rescuer, clone due and no reply --> HEDGED
 *   PENDING --------------- reply filter, trusted reply ------> COMPLETED
 *   HEDGED ---------------- reply filter, trusted reply ------> COMPLETED_HEDGED
 *   COMPLETED_HEDGED ------ reply filter, the second reply ---> COMPLETED
 *   PENDING/HEDGED -------- splitter, same key, other bytes --> AMBIGUOUS
 *   any but CLAIMING, once stale (now - send_ns >= stale) ----> claimable
 *   COMPLETED ------------- once its clone is out (2T + 5 ms) --> claimable
 * A COMPLETED_HEDGED slot stays until its second reply (which is dropped if
 * byte-identical to the first) or staleness, so a late copy can never be
 * taken for the reply of a newer request with the same key; that request
 * gets another slot of the bucket. A reply is only ever dropped when its
 * bytes equal those of a reply already passed for the same request.
 *
 * Counters: see counters.h (each names the path that bumps it). */
#pragma once

#define HEDGER_SB_WAYS 4

enum hedger_state {
	HEDGER_ST_FREE = 0,
	HEDGER_ST_CLAIMING = 1,		/* being filled by the splitter */
	HEDGER_ST_PENDING = 2,		/* original sent, clone parked in the delay line */
	HEDGER_ST_HEDGED = 3,		/* the clone left as the hedge */
	HEDGER_ST_COMPLETED = 4,	/* answered; no copy still expected */
	HEDGER_ST_COMPLETED_HEDGED = 5,	/* answered; the other copy's reply still expected */
	HEDGER_ST_AMBIGUOUS = 6,	/* two requests with one key: hands off */
};

#define HEDGER_CTL(gen, state, digest)						\
	((((__u64)(gen) & 0xffffffULL) << 40) | (((__u64)(state) & 0xff) << 32) |	\
	 ((__u64)(digest) & 0xffffffffULL))
#define HEDGER_CTL_GEN(c) ((__u32)((c) >> 40) & 0xffffffu)
#define HEDGER_CTL_STATE(c) ((__u32)((c) >> 32) & 0xffu)
#define HEDGER_CTL_DIGEST(c) ((__u32)(c))

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

/* One request: exactly one cache line. */
struct hedger_sb_slot {
	__u64 ctl;		/* gen | state | reply digest, CAS only */
	__u64 tag;		/* hash of the key; 0: never used */
	__u64 send_ns;		/* bpf_ktime_get_ns() when the original left */
	__u64 release_ns;	/* when the clone is due out of the delay line */
	__u64 hedge_ns;		/* when the clone left as the hedge (0: not yet) */
	__u32 req_digest;	/* hash of the request's payload */
	__u32 orig_priority;	/* the original's skb->priority, restored on the hedge */
	__u32 service;		/* service index */
	__u16 htb_class;	/* htb: class minor used, 0 for other backends */
	__u8 hedge_slot;	/* replica slot the hedge went to (0: the VIP) */
	__u8 pad;
	__u32 seq_seen;		/* reserved for multi-datagram replies */
	__u32 pad2;
};

struct hedger_sb_bucket {
	struct hedger_sb_slot way[HEDGER_SB_WAYS];
};

_Static_assert(sizeof(struct hedger_sb_slot) == 64, "a slot is one cache line");

static inline __u64 hedger_mix64(__u64 h, __u64 w)
{
	h ^= w;
	h *= 0x9e3779b97f4a7c15ULL;
	return h ^ (h >> 29);
}

/* hedger_sb_hash - bucket index (below @mask + 1) and tag (never 0) of
 * @key under @seed; the same in the kernel and in user space (tests, stats). */
static inline __u32 hedger_sb_hash(const struct hedger_sb_key *key, __u64 seed, __u32 mask,
				   __u64 *tag)
{
	const __u64 *w = (const __u64 *)key;
	__u64 h = seed, t = ~seed;
	__u32 i;

	for (i = 0; i < sizeof(*key) / 8; i++) {
		h = hedger_mix64(h, w[i]);
		t = hedger_mix64(t ^ 0x5bd1e995ULL, w[i]);
	}
	*tag = t | 1;
	return (__u32)(h >> 32) & mask;
}
