/* netlink.c: rtnetlink requests for veth pairs, qdiscs and HTB classes. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

#include "netlink.h"
#include "htb_stab.h"

#define PSCHED_SHIFT 6	/* kernel: PSCHED_TICKS2NS(x) = x << 6 */

int nl_open(struct nl_handle *nl)
{
	int one = 1;

	memset(nl, 0, sizeof(*nl));
	nl->sock = mnl_socket_open(NETLINK_ROUTE);
	if (!nl->sock)
		return -errno;
	/* Ask for the kernel's reason text along with the errno. */
	mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one, sizeof(one));
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		int err = -errno;

		mnl_socket_close(nl->sock);
		nl->sock = NULL;
		return err;
	}
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = (uint32_t)time(NULL);
	return 0;
}

void nl_close(struct nl_handle *nl)
{
	if (nl->sock)
		mnl_socket_close(nl->sock);
	nl->sock = NULL;
}

static int extack_attr_cb(const struct nlattr *attr, void *data)
{
	struct nl_handle *nl = data;

	if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
	    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
		snprintf(nl->err_msg, sizeof(nl->err_msg), "%s", mnl_attr_get_str(attr));
	return MNL_CB_OK;
}

/* nl_talk - send @nlh with NLM_F_ACK and wait for the kernel's answer. A
 * signal never turns a request the kernel carried out into an error: an
 * interrupted send is retried (nothing was sent), an interrupted receive
 * goes on waiting for the answer. */
static int nl_talk(struct nl_handle *nl, struct nlmsghdr *nlh)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsgerr *e;
	struct nlmsghdr *r;
	ssize_t got;
	int n;

	nl->err_msg[0] = '\0';
	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = ++nl->seq;
	while (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		if (errno != EINTR)
			return -errno;
	for (;;) {
		got = mnl_socket_recvfrom(nl->sock, buf, sizeof(buf));
		if (got < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		n = (int)got;	/* at most sizeof(buf) */
		r = (struct nlmsghdr *)buf;
		for (; mnl_nlmsg_ok(r, n); r = mnl_nlmsg_next(r, &n)) {
			if (r->nlmsg_seq != nlh->nlmsg_seq || r->nlmsg_type != NLMSG_ERROR)
				continue;
			e = mnl_nlmsg_get_payload(r);
			if (e->error && (r->nlmsg_flags & NLM_F_ACK_TLVS)) {
				size_t off = sizeof(*e);

				if (!(r->nlmsg_flags & NLM_F_CAPPED))
					off += e->msg.nlmsg_len - sizeof(e->msg);
				mnl_attr_parse(r, off, extack_attr_cb, nl);
			}
			return e->error;
		}
	}
}

static struct nlmsghdr *link_msg(char *buf, uint16_t type, uint16_t flags, int ifindex)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	return nlh;
}

int nl_veth_create(struct nl_handle *nl, const char *a, const char *b, uint32_t txqlen,
		   uint32_t mtu)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlattr *linkinfo, *data, *peer;
	struct nlmsghdr *nlh;
	struct ifinfomsg *pifi;

	nlh = link_msg(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 0);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, a);
	mnl_attr_put_u32(nlh, IFLA_TXQLEN, txqlen);
	if (mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	/* VETH_INFO_PEER carries an ifinfomsg followed by the peer's attributes. */
	peer = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	pifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*pifi));
	pifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, b);
	mnl_attr_put_u32(nlh, IFLA_TXQLEN, txqlen);
	if (mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	mnl_attr_nest_end(nlh, peer);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, linkinfo);
	return nl_talk(nl, nlh);
}

int nl_macvlan_create(struct nl_handle *nl, const char *name, int lower_ifindex)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlattr *linkinfo, *data;
	struct nlmsghdr *nlh;

	nlh = link_msg(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 0);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	mnl_attr_put_u32(nlh, IFLA_LINK, (uint32_t)lower_ifindex);
	linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "macvlan");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	mnl_attr_put_u32(nlh, IFLA_MACVLAN_MODE, MACVLAN_MODE_PRIVATE);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, linkinfo);
	return nl_talk(nl, nlh);
}

int nl_link_set_up(struct nl_handle *nl, int ifindex)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = link_msg(buf, RTM_NEWLINK, 0, ifindex);
	struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);

	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	return nl_talk(nl, nlh);
}

int nl_link_delete(struct nl_handle *nl, int ifindex)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];

	return nl_talk(nl, link_msg(buf, RTM_DELLINK, 0, ifindex));
}

static struct nlmsghdr *tc_msg(char *buf, uint16_t type, uint16_t flags, int ifindex,
			       uint32_t handle, uint32_t parent, const char *kind)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct tcmsg *tcm;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	tcm = mnl_nlmsg_put_extra_header(nlh, sizeof(*tcm));
	tcm->tcm_family = AF_UNSPEC;
	tcm->tcm_ifindex = ifindex;
	tcm->tcm_handle = handle;
	tcm->tcm_parent = parent;
	mnl_attr_put_strz(nlh, TCA_KIND, kind);
	return nlh;
}

int nl_qdisc_add_htb(struct nl_handle *nl, int ifindex)
{
	return nl_qdisc_add_htb_sized(nl, ifindex, 0);
}

int nl_qdisc_add_htb_sized(struct nl_handle *nl, int ifindex, uint32_t charge_bytes)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct tc_htb_glob glob = {
		.version = 3,		/* TC_HTB_PROTOVER */
		.rate2quantum = 10,
		.defcls = 0,		/* unclassified: direct queue, no shaping */
	};
	struct nlmsghdr *nlh;
	struct nlattr *opts;

	nlh = tc_msg(buf, RTM_NEWQDISC, NLM_F_CREATE | NLM_F_EXCL, ifindex,
		     TC_H_MAKE(1U << 16, 0), TC_H_ROOT, "htb");
	opts = mnl_attr_nest_start(nlh, TCA_OPTIONS);
	mnl_attr_put(nlh, TCA_HTB_INIT, sizeof(glob), &glob);
	mnl_attr_put_u32(nlh, TCA_HTB_DIRECT_QLEN, 1000);
	mnl_attr_nest_end(nlh, opts);
	if (charge_bytes) {
		/* One-byte cells, three of them. Past the table the kernel
		 * charges data[last] x (len / 3) + data[len % 3]; data[last]
		 * is 0, so the table repeats: len % 3 == 1 is charged the
		 * hold, the others 0, which the kernel raises to 1 byte. */
		struct tc_sizespec spec = {
			.cell_log = 0,
			.size_log = HEDGER_HTB_STAB_SIZE_LOG,
			.linklayer = TC_LINKLAYER_ETHERNET,
			.tsize = HEDGER_HTB_STAB_PERIOD,
		};
		uint16_t cells[HEDGER_HTB_STAB_PERIOD] = { 0 };
		struct nlattr *stab;

		if (charge_bytes >> HEDGER_HTB_STAB_SIZE_LOG > UINT16_MAX ||
		    charge_bytes & ((1U << HEDGER_HTB_STAB_SIZE_LOG) - 1))
			return -ERANGE;
		cells[HEDGER_HTB_STAB_CHARGED] = (uint16_t)(charge_bytes >> HEDGER_HTB_STAB_SIZE_LOG);
		stab = mnl_attr_nest_start(nlh, TCA_STAB);
		mnl_attr_put(nlh, TCA_STAB_BASE, sizeof(spec), &spec);
		mnl_attr_put(nlh, TCA_STAB_DATA, sizeof(cells), cells);
		mnl_attr_nest_end(nlh, stab);
	}
	return nl_talk(nl, nlh);
}

/* bytes at @rate_Bps as HTB's buffer unit: psched ticks of 64 ns. */
static uint32_t htb_bytes_to_ticks(uint64_t bytes, uint64_t rate_Bps)
{
	uint64_t ns = bytes * 1000000000ULL / rate_Bps;
	uint64_t ticks = ns >> PSCHED_SHIFT;

	return ticks ? (uint32_t)(ticks > UINT32_MAX ? UINT32_MAX : ticks) : 1;
}

int nl_htb_class_add(struct nl_handle *nl, int ifindex, uint32_t minor,
		     uint64_t rate_Bps, uint32_t burst_bytes)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct tc_htb_opt opt;
	struct nlmsghdr *nlh;
	struct nlattr *opts;
	uint32_t rate32 = rate_Bps >= (1ULL << 32) ? UINT32_MAX : (uint32_t)rate_Bps;

	if (!rate_Bps)
		return -EINVAL;
	memset(&opt, 0, sizeof(opt));
	/* An explicit link layer lets the kernel compute its rate tables
	 * itself (it only reads TCA_HTB_RTAB for TC_LINKLAYER_UNAWARE). */
	opt.rate.rate = rate32;
	opt.rate.linklayer = TC_LINKLAYER_ETHERNET;
	opt.ceil = opt.rate;
	opt.buffer = htb_bytes_to_ticks(burst_bytes, rate_Bps);
	opt.cbuffer = opt.buffer;
	opt.quantum = 16384;	/* explicit: no "quantum too small" kernel warning */
	opt.prio = 0;

	nlh = tc_msg(buf, RTM_NEWTCLASS, NLM_F_CREATE | NLM_F_EXCL, ifindex,
		     TC_H_MAKE(1U << 16, minor), TC_H_MAKE(1U << 16, 0), "htb");
	opts = mnl_attr_nest_start(nlh, TCA_OPTIONS);
	mnl_attr_put(nlh, TCA_HTB_PARMS, sizeof(opt), &opt);
	if (rate_Bps >= (1ULL << 32)) {
		mnl_attr_put_u64(nlh, TCA_HTB_RATE64, rate_Bps);
		mnl_attr_put_u64(nlh, TCA_HTB_CEIL64, rate_Bps);
	}
	mnl_attr_nest_end(nlh, opts);
	return nl_talk(nl, nlh);
}

int nl_qdisc_add_fq(struct nl_handle *nl, int ifindex, uint32_t limit, uint32_t flow_limit)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct nlattr *opts;

	nlh = tc_msg(buf, RTM_NEWQDISC, NLM_F_CREATE | NLM_F_EXCL, ifindex,
		     TC_H_MAKE(1U << 16, 0), TC_H_ROOT, "fq");
	opts = mnl_attr_nest_start(nlh, TCA_OPTIONS);
	mnl_attr_put_u32(nlh, TCA_FQ_PLIMIT, limit);
	/* All clones of one client socket hash to one fq flow. */
	mnl_attr_put_u32(nlh, TCA_FQ_FLOW_PLIMIT, flow_limit);
	/* fq drops packets timed beyond its horizon (default 10 s = the
	 * longest --delay, measured from the send time): leave headroom. */
	mnl_attr_put_u32(nlh, TCA_FQ_HORIZON, 60U * 1000000U);
	mnl_attr_nest_end(nlh, opts);
	return nl_talk(nl, nlh);
}

int nl_qdisc_add_netem(struct nl_handle *nl, int ifindex, uint64_t delay_ns, uint32_t limit)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct tc_netem_qopt qopt;
	struct nlmsghdr *nlh;
	struct nlattr *opts;
	int64_t lat = (int64_t)delay_ns;
	uint64_t ticks = delay_ns >> PSCHED_SHIFT;

	memset(&qopt, 0, sizeof(qopt));
	qopt.latency = ticks > UINT32_MAX ? UINT32_MAX : (uint32_t)ticks;
	qopt.limit = limit;
	nlh = tc_msg(buf, RTM_NEWQDISC, NLM_F_CREATE | NLM_F_EXCL, ifindex,
		     TC_H_MAKE(1U << 16, 0), TC_H_ROOT, "netem");
	/* netem's TCA_OPTIONS is a struct tc_netem_qopt followed by attributes,
	 * and is not flagged as nested. */
	opts = mnl_nlmsg_get_payload_tail(nlh);
	opts->nla_type = TCA_OPTIONS;
	nlh->nlmsg_len += MNL_ALIGN(sizeof(*opts));
	memcpy(mnl_nlmsg_put_extra_header(nlh, MNL_ALIGN(sizeof(qopt))), &qopt, sizeof(qopt));
	mnl_attr_put(nlh, TCA_NETEM_LATENCY64, sizeof(lat), &lat);
	opts->nla_len = (char *)mnl_nlmsg_get_payload_tail(nlh) - (char *)opts;
	return nl_talk(nl, nlh);
}
