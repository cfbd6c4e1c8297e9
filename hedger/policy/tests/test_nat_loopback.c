/* test_nat_loopback: the rewrite on real traffic. In a private network
 * namespace (gone when the test exits) a TC egress program on lo sends
 * requests for a service address to a replica address and rewrites the
 * replica's replies back. A UDP client *connected* to the service gets the
 * replica's reply (reverse NAT works: the kernel delivers to a connected
 * socket only from its peer). Locally sent UDP is CHECKSUM_PARTIAL, which
 * BPF_PROG_TEST_RUN cannot produce: a packet socket checks the checksum
 * field of every rewritten datagram on lo holds the pseudo-header sum of the
 * new addresses (or, if complete, verifies). IPv4 and IPv6. */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <sys/socket.h>

#include "nat_common.h"

static struct nat_test_bpf *skel;

union sa {
	struct sockaddr sa;
	struct sockaddr_in in4;
	struct sockaddr_in6 in6;
};

static socklen_t sa_make(union sa *a, int family, const char *addr, uint16_t port)
{
	memset(a, 0, sizeof(*a));
	if (family == 6) {
		a->in6.sin6_family = AF_INET6;
		a->in6.sin6_port = htons(port);
		inet_pton(AF_INET6, addr, &a->in6.sin6_addr);
		return sizeof(a->in6);
	}
	a->in4.sin_family = AF_INET;
	a->in4.sin_port = htons(port);
	inet_pton(AF_INET, addr, &a->in4.sin_addr);
	return sizeof(a->in4);
}

static int udp_socket(int family, const char *addr, uint16_t port)
{
	struct timeval tv = { 1, 0 };
	union sa a;
	socklen_t len = sa_make(&a, family, addr, port);
	int fd = socket(family == 6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);

	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    bind(fd, &a.sa, len)) {
		CHECK(0, "udp socket on %s:%u: %s", addr, port, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Check every UDP datagram the packet socket saw; returns how many were
 * from/to the client. */
static int check_captured(int pfd)
{
	uint8_t buf[2048], cbuf[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
	int seen = 0;

	for (;;) {
		struct iovec iov = { buf, sizeof(buf) };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
				    .msg_controllen = sizeof(cbuf) };
		struct tpacket_auxdata *aux = NULL;
		uint32_t l4;
		uint16_t field;
		ssize_t n = recvmsg(pfd, &m, MSG_DONTWAIT);

		if (n < 0)
			break;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
			if (c->cmsg_level == SOL_PACKET && c->cmsg_type == PACKET_AUXDATA)
				aux = (struct tpacket_auxdata *)CMSG_DATA(c);
		if (n >= 42 && buf[12] == 0x08 && buf[13] == 0x00) {
			if (buf[UP_L3_OFF + 9] != 17)
				continue;
		} else if (n >= 62 && buf[12] == 0x86 && buf[13] == 0xdd) {
			if (buf[UP_L3_OFF + 6] != 17)
				continue;
		} else {
			continue;
		}
		l4 = up_l4_off(buf);
		field = (uint16_t)(buf[l4 + 6] << 8 | buf[l4 + 7]);
		seen++;
		if (buf[12] == 0x08)
			CHECK(up_ip4_csum_ok(buf), "captured IPv4 header checksum wrong");
		if (aux && (aux->tp_status & TP_STATUS_CSUMNOTREADY))
			CHECK(field == up_pseudo_sum(buf),
				 "partial checksum field %04x, pseudo-header sum %04x", field,
				 up_pseudo_sum(buf));
		else
			CHECK_EQ(up_udp_csum(buf), 1, "captured UDP checksum");
	}
	return seen;
}

static void exchange(int family)
{
	const char *client = family == 6 ? CLIENT6 : CLIENT4;
	const char *vip = family == 6 ? VIP6 : VIP4, *rep = family == 6 ? REPLICA6 : REPLICA4;
	union sa peer, from;
	socklen_t plen, flen = sizeof(from);
	char buf[64];
	int cfd = -1, sfd = -1, pfd, one = 1;
	ssize_t n;

	skel->bss->lo_vip = endpoint(family, vip, VIP_PORT);
	skel->bss->lo_replica = endpoint(family, rep, REPLICA_PORT);
	skel->bss->lo_forward = skel->bss->lo_reverse = skel->bss->lo_errors = 0;
	pfd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	if (pfd < 0 || setsockopt(pfd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof(one))) {
		CHECK(0, "packet socket: %s", strerror(errno));
		goto cleanup;
	}
	cfd = udp_socket(family, client, CLIENT_PORT);
	sfd = udp_socket(family, rep, REPLICA_PORT);	/* nobody listens on the VIP */
	if (cfd < 0 || sfd < 0)
		goto cleanup;
	plen = sa_make(&peer, family, vip, VIP_PORT);
	if (connect(cfd, &peer.sa, plen) || send(cfd, "ping", 4, 0) != 4) {
		CHECK(0, "v%d: client connect/send: %s", family, strerror(errno));
		goto cleanup;
	}
	n = recvfrom(sfd, buf, sizeof(buf), 0, &from.sa, &flen);
	CHECK(n == 4 && !memcmp(buf, "ping", 4), "v%d: replica got no request (%s)",
		 family, n < 0 ? strerror(errno) : "wrong bytes");
	if (n != 4)
		goto cleanup;
	if (sendto(sfd, "pong", 4, 0, &from.sa, flen) != 4)
		CHECK(0, "v%d: replica reply: %s", family, strerror(errno));
	n = recv(cfd, buf, sizeof(buf), 0);
	CHECK(n == 4 && !memcmp(buf, "pong", 4),
		 "v%d: connected client got no reply (%s)", family,
		 n < 0 ? strerror(errno) : "wrong bytes");
	CHECK_EQ(skel->bss->lo_forward, 1, "requests rewritten");
	CHECK_EQ(skel->bss->lo_reverse, 1, "replies rewritten back");
	CHECK_EQ(skel->bss->lo_errors, 0, "rewrite errors");
	CHECK(check_captured(pfd) >= 2, "v%d: rewritten datagrams not captured", family);
	printf("v%d: request to %s went to %s, reply accepted by the connected client\n",
	       family, vip, rep);
cleanup:
	if (cfd >= 0)
		close(cfd);
	if (sfd >= 0)
		close(sfd);
	if (pfd >= 0)
		close(pfd);
}

int main(void)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = 1, .attach_point = BPF_TC_EGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts);
	int err;

	prog_run_require_root();
	if (unshare(CLONE_NEWNET)) {
		printf("SKIP: cannot create a network namespace: %s\n", strerror(errno));
		return 77;
	}
	/* A private namespace: these addresses and the qdisc die with it. */
	if (system("ip link set lo up && "
		   "ip addr add " CLIENT4 "/32 dev lo && ip addr add " VIP4 "/32 dev lo && "
		   "ip addr add " REPLICA4 "/32 dev lo && "
		   "ip addr add " CLIENT6 "/128 dev lo nodad && "
		   "ip addr add " VIP6 "/128 dev lo nodad && "
		   "ip addr add " REPLICA6 "/128 dev lo nodad")) {
		printf("SKIP: cannot set up lo addresses with ip(8) in the test namespace\n");
		return 77;
	}
	skel = nat_test_bpf__open_and_load();
	if (!skel)
		prog_run_load_failed("nat_test", -errno);
	err = bpf_tc_hook_create(&hook);
	if (!err || err == -EEXIST) {
		opts.prog_fd = bpf_program__fd(skel->progs.nat_lo_egress);
		err = bpf_tc_attach(&hook, &opts);
	}
	if (err) {
		printf("SKIP: cannot attach a TC program to lo: %s\n", strerror(-err));
		return 77;
	}

	exchange(4);
	exchange(6);

	nat_test_bpf__destroy(skel);
	return check_done("nat_loopback");
}
