/* nat.h: endpoint type of the replica rewrite (nat.bpf.h), shared with user
 * space. Fixed-width types, no pointers. */
#pragma once

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* An address:port; IPv4 uses the first 4 bytes of addr, the rest zero. */
struct nat_endpoint {
	__u8 addr[16];		/* network byte order */
	__u16 port;		/* network byte order */
	__u8 family;		/* 4 or 6 */
	__u8 pad;
};

/* Which end of the datagram nat_rewrite changes. */
enum nat_side {
	NAT_DST = 0,		/* request: the service address -> a replica */
	NAT_SRC = 1,		/* reply: the replica -> what the application sent to */
};
