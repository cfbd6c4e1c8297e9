/* budget.bpf.h: hedge budget token bucket, BPF side (layout: budget.h).
 *
 * Lock-free with atomic adds (-mcpu=v3 fetch-and-add), chosen over
 * bpf_spin_lock because both calls sit on the per-request path of every CPU:
 * a request is one add (plus a second one only when the bucket is full), a
 * hedge attempt one add (plus a refund when denied), no retry loop. Why it
 * never over-grants: a spend keeps its 1000 only if the credits it saw were
 * >= 1000, so committed credits stay >= 0 and every granted hedge is paid by
 * the initial burst or by request credits. Races can only deny a hedge that
 * a strictly sequential bucket would have granted (a concurrent spend's
 * transient debit), never the reverse. */
#pragma once

#include "budget.h"

/* budget_credit - add @add credits to @b, capped at the burst. */
static __always_inline void budget_credit(struct budget *b, __s64 add)
{
	__s64 cap = (__s64)b->burst * BUDGET_UNIT;
	__s64 old, over;

	old = __sync_fetch_and_add(&b->credits, add);
	over = old + add - cap;
	if (over > 0)	/* take back what this add put above the cap */
		__sync_fetch_and_add(&b->credits, -(over < add ? over : add));
}

/* budget_on_request - credit @b for one request. */
static __always_inline void budget_on_request(struct budget *b)
{
	__sync_fetch_and_add(&b->requests, 1);
	budget_credit(b, b->ratio_milli);
}

/* budget_try_spend - true when a hedge may be sent now (and pays for it). */
static __always_inline bool budget_try_spend(struct budget *b)
{
	__s64 old = __sync_fetch_and_add(&b->credits, -BUDGET_UNIT);

	if (old >= BUDGET_UNIT) {
		__sync_fetch_and_add(&b->granted, 1);
		return true;
	}
	__sync_fetch_and_add(&b->credits, BUDGET_UNIT);	/* refund */
	__sync_fetch_and_add(&b->denied, 1);
	return false;
}

/* budget_refund - a granted hedge did not leave after all (its reply won
 * the race to the scoreboard, or the replica rewrite failed): give its
 * credit back and un-count it, so `granted` counts hedges that left. */
static __always_inline void budget_refund(struct budget *b)
{
	__sync_fetch_and_add(&b->granted, -1);
	budget_credit(b, BUDGET_UNIT);
}
