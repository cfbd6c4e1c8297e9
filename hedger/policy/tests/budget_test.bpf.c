// SPDX-License-Identifier: GPL-2.0
/* budget_test.bpf.c: drive budget.bpf.h with BPF_PROG_TEST_RUN (repeat = N
 * runs the program N times). budget_request_prog is what the splitter will
 * do per request: credit it, then try to pay for its hedge;
 * budget_refund_prog what the rescuer does when a paid hedge does not leave. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "budget.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct budget);
} budgets SEC(".maps");

static __always_inline struct budget *budget0(void)
{
	__u32 k = 0;

	return bpf_map_lookup_elem(&budgets, &k);
}

SEC("tc")
int budget_request_prog(struct __sk_buff *skb)
{
	struct budget *b = budget0();

	if (!b)
		return 0;
	budget_on_request(b);
	return budget_try_spend(b) ? 1 : 0;
}

SEC("tc")
int budget_credit_prog(struct __sk_buff *skb)
{
	struct budget *b = budget0();

	if (b)
		budget_on_request(b);
	return 0;
}

SEC("tc")
int budget_spend_prog(struct __sk_buff *skb)
{
	struct budget *b = budget0();

	return b && budget_try_spend(b) ? 1 : 0;
}

SEC("tc")
int budget_refund_prog(struct __sk_buff *skb)
{
	struct budget *b = budget0();

	if (b)
		budget_refund(b);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
