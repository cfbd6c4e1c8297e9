/* budget.h: the hedge budget (token bucket) shared by the BPF side
 * (budget.bpf.h) and user space. Fixed-width types, no pointers.
 *
 * Credits are counted in milli-hedges: every request adds ratio_milli
 * (X % of a hedge = 10 * X milli-hedges: 5 % -> 50), capped at burst * 1000;
 * a hedge costs 1000. Over N requests at most burst + N * ratio_milli / 1000
 * hedges are granted, whatever the interleaving of CPUs. */
#pragma once

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define BUDGET_UNIT 1000	/* credits per hedge */

/* One element per service (BPF_MAP_TYPE_ARRAY, not per-CPU: one bucket). */
struct budget {
	__s64 credits;		/* loader seeds burst * BUDGET_UNIT: starts full */
	__u32 ratio_milli;	/* credits added per request (0..1000) */
	__u32 burst;		/* hedges that may go back to back */
	__u64 requests;		/* budget_on_request calls */
	__u64 granted;		/* hedges allowed */
	__u64 denied;		/* hedges refused: over budget, the clone is dropped */
};
