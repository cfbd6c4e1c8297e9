/* scoreboard.bpf.h: finding and claiming slots (layout and state machine:
 * scoreboard.h). */
#pragma once

#include "maps.bpf.h"
#include "knobs.bpf.h"

struct sb_ref {
	struct hedger_sb_bucket *b;
	__u64 tag;
	__u32 idx;	/* the bucket's index in the scoreboard map */
};

/* sb_find - the bucket and tag of @key; false when the map lookup fails. */
static __always_inline bool sb_find(const struct hedger_sb_key *key, struct sb_ref *r)
{
	r->idx = hedger_sb_hash(key, cfg_sb_seed, cfg_sb_mask, &r->tag);
	r->b = bpf_map_lookup_elem(&scoreboard, &r->idx);
	return r->b != NULL;
}

/* sb_touch - load each slot's first word of bucket @b and ignore it: the
 * cache misses start before the words are needed. */
static __always_inline void sb_touch(struct hedger_sb_bucket *b)
{
	__u32 i;

#pragma clang loop unroll(full)
	for (i = 0; i < HEDGER_SB_WAYS; i++)
		(void)*(volatile __u64 *)&b->way[i].ctl;
}

static __always_inline bool sb_stale(const struct hedger_sb_slot *s, __u64 now)
{
	return now - s->send_ns >= cfg_stale_ns;
}

/* How long after its due time a clone may still come out of the line
 * (watchdog or ksoftirqd lateness on a busy machine), besides one more T. */
#define HEDGER_CLONE_LATE_NS 5000000ULL

/* sb_claimable - may a new request take this slot? Never while a request in
 * it may still see a clone leave or a reply arrive, unless it is stale. An
 * answered request keeps its slot until its clone is surely out of the line,
 * so the rescuer finds it answered ("reply won") instead of finding nothing. */
static __always_inline bool sb_claimable(const struct hedger_sb_slot *s, __u64 ctl, __u64 now)
{
	switch (HEDGER_CTL_STATE(ctl)) {
	case HEDGER_ST_FREE:
		return true;
	case HEDGER_ST_COMPLETED:
		return now >= s->release_ns + (s->release_ns - s->send_ns) + HEDGER_CLONE_LATE_NS ||
		       sb_stale(s, now);
	default:
		return sb_stale(s, now);
	}
}

/* sb_open - a request in this slot still waits for its first reply. */
static __always_inline bool sb_open(__u32 state)
{
	return state == HEDGER_ST_PENDING || state == HEDGER_ST_HEDGED;
}

static __always_inline __u64 sb_load_ctl(struct hedger_sb_slot *s)
{
	return *(volatile __u64 *)&s->ctl;
}

static __always_inline bool sb_cas(struct hedger_sb_slot *s, __u64 old, __u64 new)
{
	return __sync_val_compare_and_swap(&s->ctl, old, new) == old;
}

/* sb_record_release - the hedge of @s leaves at @now: its lateness against
 * the planned release into the release_late histogram (an early one as 0). */
static __always_inline void sb_record_release(const struct hedger_sb_slot *s, __u64 now)
{
	__u32 zero = 0;
	struct lathist *h = bpf_map_lookup_elem(&release_late, &zero);

	if (h)
		lathist_record(h, now > s->release_ns ? now - s->release_ns : 0);
}

/* sb_commit_hedge - the request in @s, found PENDING with control word @c,
 * gets its hedge at @now (to replica slot @rslot; 0: its own server): the
 * budget is spent and the state becomes HEDGED. False, counted, when the
 * hedge must not leave: budget denied, or answered meanwhile (the spend is
 * refunded). The budget is spent only here, by a hedge about to leave: most
 * clones die because the reply won and must cost nothing. */
static __always_inline bool sb_commit_hedge(struct hedger_sb_slot *s, __u64 c, __u64 now,
					    __u8 rslot)
{
	struct budget *b = NULL;

	if (cfg_budget) {
		__u32 si = s->service;

		b = bpf_map_lookup_elem(&budget, &si);
		if (b && !budget_try_spend(b)) {
			count(HC_BUDGET_DENIED);
			return false;
		}
	}
	/* Read by the reply filter once the state says HEDGED. */
	s->hedge_ns = now;
	s->hedge_slot = rslot;
	if (!sb_cas(s, c, HEDGER_CTL(HEDGER_CTL_GEN(c), HEDGER_ST_HEDGED, 0))) {
		count(HC_CLONE_DROPPED_REPLY_WON);	/* answered meanwhile */
		if (b)
			budget_refund(b);
		return false;
	}
	sb_record_release(s, now);
	return true;
}
