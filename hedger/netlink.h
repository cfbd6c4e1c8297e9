/* netlink.h: the few rtnetlink operations the hedger's delay lines need,
 * through libmnl: a veth pair, link up/delete, root qdiscs and HTB classes.
 * Every function returns 0 or -errno; a kernel extack message, if any, is
 * kept in nl->err_msg for the caller's one-line error. */
#pragma once
#include <stdint.h>

struct mnl_socket;

struct nl_handle {
	struct mnl_socket *sock;
	uint32_t seq;
	uint32_t portid;
	char err_msg[160];
};

int nl_open(struct nl_handle *nl);
void nl_close(struct nl_handle *nl);

/* nl_veth_create - veth pair @a <-> @b in the current netns, tx queue
 * @txqlen, MTU @mtu on both ends (0: the kernel's default). */
int nl_veth_create(struct nl_handle *nl, const char *a, const char *b, uint32_t txqlen,
		   uint32_t mtu);
/* nl_macvlan_create - a macvlan @name on @lower_ifindex in private mode:
 * everything it sends goes to the lower device's transmit, inline. */
int nl_macvlan_create(struct nl_handle *nl, const char *name, int lower_ifindex);
int nl_link_set_up(struct nl_handle *nl, int ifindex);
int nl_link_delete(struct nl_handle *nl, int ifindex);

/* nl_qdisc_add_htb - HTB root 1: on @ifindex; unclassified packets go direct. */
int nl_qdisc_add_htb(struct nl_handle *nl, int ifindex);
/* nl_qdisc_add_htb_sized - the same, with a size table that charges a
 * packet whose length is HEDGER_HTB_STAB_CHARGED mod HEDGER_HTB_STAB_PERIOD
 * @charge_bytes (a multiple of 2^HEDGER_HTB_STAB_SIZE_LOG, below 65536 such
 * units) and any other 1 byte; 0: no table. */
int nl_qdisc_add_htb_sized(struct nl_handle *nl, int ifindex, uint32_t charge_bytes);
/* nl_htb_class_add - leaf 1:@minor under the root, rate = ceil = @rate_Bps
 * bytes/s, burst = cburst = @burst_bytes. */
int nl_htb_class_add(struct nl_handle *nl, int ifindex, uint32_t minor,
		     uint64_t rate_Bps, uint32_t burst_bytes);
/* nl_qdisc_add_fq - sch_fq root with room for many parked clones. */
int nl_qdisc_add_fq(struct nl_handle *nl, int ifindex, uint32_t limit, uint32_t flow_limit);
/* nl_qdisc_add_netem - netem root with a fixed @delay_ns. */
int nl_qdisc_add_netem(struct nl_handle *nl, int ifindex, uint64_t delay_ns, uint32_t limit);
