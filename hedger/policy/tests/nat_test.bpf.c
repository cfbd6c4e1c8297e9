// SPDX-License-Identifier: GPL-2.0
/* nat_test.bpf.c: nat_rewrite on a crafted packet; run with BPF_PROG_TEST_RUN,
 * the target endpoint and side in globals, the result in globals. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "nat.bpf.h"

struct nat_endpoint in_to;
__u32 in_side;
__u32 in_l3_off = 14;
struct nat_endpoint out_was;
int out_err;

SEC("tc")
int nat_rewrite_prog(struct __sk_buff *skb)
{
	out_err = nat_rewrite(skb, in_l3_off, (int)in_side, &in_to, &out_was);
	return 0;
}

/* Loopback test: egress of lo in a private netns. Requests to lo_vip go to
 * lo_replica; the replica's replies come back from lo_vip. */
struct nat_endpoint lo_vip, lo_replica;
__u64 lo_forward, lo_reverse, lo_errors;

SEC("tc")
int nat_lo_egress(struct __sk_buff *skb)
{
	struct nat_endpoint ep;

	if (!nat_endpoint_of(skb, 14, NAT_DST, &ep) && nat_endpoint_eq(&ep, &lo_vip)) {
		if (nat_to_replica(skb, 14, &lo_replica, NULL))
			__sync_fetch_and_add(&lo_errors, 1);
		else
			__sync_fetch_and_add(&lo_forward, 1);
	} else if (!nat_endpoint_of(skb, 14, NAT_SRC, &ep) && nat_endpoint_eq(&ep, &lo_replica)) {
		if (nat_from_replica(skb, 14, &lo_vip))
			__sync_fetch_and_add(&lo_errors, 1);
		else
			__sync_fetch_and_add(&lo_reverse, 1);
	}
	return -1;	/* TC_ACT_UNSPEC: carry on */
}

char LICENSE[] SEC("license") = "GPL";
