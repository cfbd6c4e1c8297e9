/* devkind.c: refuse devices the hedger cannot serve correctly.
 * The hedger needs every request and every reply of a flow to pass the TC
 * hooks of the one device it is attached to, and sends each hedge out of
 * that device with bpf_redirect_neigh (a route and neighbour lookup on it).
 *   - bond, team: link aggregation. The hedger's data path was never run
 *     on an aggregate (this kernel has neither driver); rather than an
 *     untested path, attach is refused.
 *   - a port of a bond or team: requests may leave and replies arrive on
 *     other ports, which this device's hooks never see.
 *   - a port of a bridge or an Open vSwitch datapath: the host's address
 *     and routes belong to the master; a hedge sent by a route lookup on the
 *     port finds no route out of it. Attach to the bridge instead. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include "devkind.h"
#include "log.h"

const char *devkind_refusal(const char *kind, const char *slave_kind)
{
	if (!strcmp(kind, "bond") || !strcmp(kind, "team"))
		return "link aggregation (bond, team) is not supported";
	if (!strcmp(slave_kind, "bond") || !strcmp(slave_kind, "team"))
		return "a port of an aggregate is not supported: replies may arrive on another port";
	if (!strcmp(slave_kind, "bridge") || !strcmp(slave_kind, "openvswitch"))
		return "a switch port carries no address or route of this host: attach to its master";
	return NULL;
}

struct kinds {
	char *kind, *slave;
	size_t kind_len, slave_len;
	int found;
};

static int info_cb(const struct nlattr *a, void *data)
{
	struct kinds *k = data;
	int t = mnl_attr_get_type(a);

	if ((t == IFLA_INFO_KIND || t == IFLA_INFO_SLAVE_KIND) &&
	    mnl_attr_validate(a, MNL_TYPE_STRING) == 0) {
		char *dst = t == IFLA_INFO_KIND ? k->kind : k->slave;
		size_t n = t == IFLA_INFO_KIND ? k->kind_len : k->slave_len;

		snprintf(dst, n, "%.*s", (int)mnl_attr_get_payload_len(a),
			 (const char *)mnl_attr_get_payload(a));
	}
	return MNL_CB_OK;
}

static int link_attr_cb(const struct nlattr *a, void *data)
{
	if (mnl_attr_get_type(a) == IFLA_LINKINFO && mnl_attr_validate(a, MNL_TYPE_NESTED) == 0)
		mnl_attr_parse_nested(a, info_cb, data);
	return MNL_CB_OK;
}

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	struct kinds *k = data;

	k->found = 1;
	return mnl_attr_parse(nlh, sizeof(struct ifinfomsg), link_attr_cb, data);
}

int devkind_query(int ifindex, char *kind, size_t kind_len, char *slave_kind, size_t slave_len)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct kinds k = { kind, slave_kind, kind_len, slave_len, 0 };
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifm;
	unsigned int seq = (unsigned int)time(NULL), portid;
	ssize_t n;
	int ret = 0;

	kind[0] = slave_kind[0] = '\0';
	nl = mnl_socket_open(NETLINK_ROUTE);
	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		goto cleanup;
	}
	portid = mnl_socket_get_portid(nl);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = seq;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = ifindex;
	while (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		if (errno != EINTR) {
			ret = -errno;
			goto cleanup;
		}
	for (;;) {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			break;
		}
		ret = mnl_cb_run(buf, (size_t)n, seq, portid, link_cb, &k);
		if (ret <= MNL_CB_STOP || k.found) {
			ret = ret < 0 ? -errno : 0;
			break;
		}
	}
	if (!ret && !k.found)
		ret = -ENODEV;
cleanup:
	mnl_socket_close(nl);
	return ret;
}

int devkind_check(const char *name, int ifindex)
{
	char kind[32], slave[32];
	const char *why;
	int err = devkind_query(ifindex, kind, sizeof(kind), slave, sizeof(slave));

	if (err) {
		log_error("--dev %s: cannot read its link kind: %s", name, strerror(-err));
		return err;
	}
	why = devkind_refusal(kind, slave);
	if (!why)
		return 0;
	if (slave[0])
		log_error("--dev %s is a %s port: %s", name, slave, why);
	else
		log_error("--dev %s is a %s device: %s", name, kind, why);
	return -EOPNOTSUPP;
}
