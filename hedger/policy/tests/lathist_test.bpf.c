// SPDX-License-Identifier: GPL-2.0
/* lathist_test.bpf.c: TC programs that drive latency_hist.bpf.h for the
 * tests; run with BPF_PROG_TEST_RUN, parameters in globals. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "latency_hist.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, struct lathist_svc);
} svcs SEC(".maps");

__u32 in_svc;		/* which element */
__u64 in_ns;		/* latency to record */
__u32 in_permille;	/* percentile to compute */
__u64 out_ns;		/* percentile result */
int out_err;		/* lathist_arm result */

static __always_inline struct lathist_svc *svc(void)
{
	__u32 k = in_svc;

	return bpf_map_lookup_elem(&svcs, &k);
}

SEC("tc")
int lathist_record_prog(struct __sk_buff *skb)
{
	struct lathist_svc *s = svc();

	if (s)
		lathist_record(&s->hist, in_ns);
	return 0;
}

SEC("tc")
int lathist_percentile_prog(struct __sk_buff *skb)
{
	struct lathist_svc *s = svc();

	if (s)
		out_ns = lathist_percentile(&s->hist, in_permille);
	return 0;
}

SEC("tc")
int lathist_recompute_prog(struct __sk_buff *skb)
{
	struct lathist_svc *s = svc();

	if (s)
		lathist_recompute(s);
	return 0;
}

SEC("tc")
int lathist_arm_prog(struct __sk_buff *skb)
{
	struct lathist_svc *s = svc();

	out_err = s ? lathist_arm(&svcs, s) : -2;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
