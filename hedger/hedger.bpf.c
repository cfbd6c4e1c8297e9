// SPDX-License-Identifier: GPL-2.0
/* Placeholder that proves the BPF build chain; the hedger issue replaces it. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("tc")
int hedger_splitter(struct __sk_buff *skb)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
