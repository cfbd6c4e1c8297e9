// SPDX-License-Identifier: GPL-2.0-only
/* emu_calib.c: HTB release lateness on one device, measured the way the
 * emulator holds packets (a dummy puts a leaf in debt, the packet follows).
 * Both frames are sent with AF_PACKET into the leaf (SO_PRIORITY = 1:minor)
 * and seen leaving by a second packet socket (the kernel does not loop a
 * frame back to the socket that sent it); the tap's timestamps are taken in
 * the transmit path after the qdisc, so t(probe) - t(dummy) - hold is the
 * release's lateness in one clock. */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <sys/socket.h>

#include "emu.h"
#include "emu_calib.h"

#define CALIB_DUMMY_LEN 1000u	/* bytes: under any lab MTU */
#define CALIB_PROBE_LEN 64u
#define CALIB_MAGIC 0x656d7563u	/* "emuc" */

struct calib_frame {
	struct ethhdr eth;
	uint32_t magic, seq, kind;	/* kind 0 dummy, 1 probe */
} __attribute__((packed));

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* open_socket - the sender (@prio != 0: receives nothing) or the tap. */
static int open_socket(int ifindex, uint32_t prio, int *fd)
{
	uint16_t proto = prio ? 0 : htons(ETH_P_ALL);
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = proto,
				   .sll_ifindex = ifindex };
	int one = 1, s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, proto);

	if (s < 0)
		return -errno;
	if (bind(s, (struct sockaddr *)&sll, sizeof(sll)) ||
	    (prio && setsockopt(s, SOL_SOCKET, SO_PRIORITY, &prio, sizeof(prio))) ||
	    (!prio && setsockopt(s, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)))) {
		int err = -errno;

		close(s);
		return err;
	}
	*fd = s;
	return 0;
}

static int send_frame(int fd, int ifindex, uint32_t seq, uint32_t kind, size_t len)
{
	static unsigned char buf[CALIB_DUMMY_LEN];
	struct calib_frame *f = (struct calib_frame *)buf;
	struct sockaddr_ll to = { .sll_family = AF_PACKET, .sll_ifindex = ifindex, .sll_halen = ETH_ALEN };

	memset(f->eth.h_dest, 0xff, ETH_ALEN);
	f->eth.h_proto = htons(EMU_DUMMY_ETHERTYPE);
	f->magic = CALIB_MAGIC;
	f->seq = seq;
	f->kind = kind;
	memset(to.sll_addr, 0xff, ETH_ALEN);
	if (sendto(fd, buf, len, 0, (struct sockaddr *)&to, sizeof(to)) != (ssize_t)len)
		return -errno;
	return 0;
}

/* recv_frame - the next calibration frame seen leaving, with its departure
 * time; -ETIMEDOUT after @timeout_ms without one. */
static int recv_frame(int fd, int timeout_ms, uint32_t *seq, uint32_t *kind, int64_t *t_ns)
{
	unsigned char buf[256], ctl[256];
	struct pollfd p = { .fd = fd, .events = POLLIN };

	for (;;) {
		struct iovec iov = { buf, sizeof(buf) };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
				    .msg_controllen = sizeof(ctl) };
		struct sockaddr_ll from;
		const struct calib_frame *f = (const struct calib_frame *)buf;
		struct cmsghdr *c;
		ssize_t n;

		m.msg_name = &from;
		m.msg_namelen = sizeof(from);
		if (poll(&p, 1, timeout_ms) <= 0)
			return -ETIMEDOUT;
		n = recvmsg(fd, &m, MSG_DONTWAIT);
		if (n < 0)
			return -errno;
		if ((size_t)n < sizeof(*f) || from.sll_pkttype != PACKET_OUTGOING ||
		    f->eth.h_proto != htons(EMU_DUMMY_ETHERTYPE) || f->magic != CALIB_MAGIC)
			continue;
		for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
				struct timespec ts;

				memcpy(&ts, CMSG_DATA(c), sizeof(ts));
				*t_ns = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
				*seq = f->seq;
				*kind = f->kind;
				return 0;
			}
		}
	}
}

int emu_calib_measure(struct nl_handle *nl, int ifindex, uint32_t minor, uint64_t hold_ns,
		      unsigned int samples, struct emu_calib *out)
{
	/* HTB lets the probe go when the debt of dummy minus burst (1 byte) is
	 * repaid: (len - 1) / R after the dummy. */
	uint64_t rate = (uint64_t)(CALIB_DUMMY_LEN - 1) * 1000000000ULL / hold_ns;
	int64_t *late = NULL, hold, t_dummy = 0, t, sum = 0, wsum = 0;
	int tx = -1, tap = -1, err;
	unsigned int i, n = 0;
	struct timespec gap;

	if (!rate || !samples)
		return -EINVAL;
	hold = (int64_t)((CALIB_DUMMY_LEN - 1) * 1000000000ULL / rate);
	late = calloc(samples, sizeof(*late));
	if (!late)
		return -ENOMEM;
	err = nl_htb_class_add(nl, ifindex, minor, rate, 1);
	if (!err)
		err = open_socket(ifindex, (EMU_HTB_MAJOR << 16) | minor, &tx);
	if (!err)
		err = open_socket(ifindex, 0, &tap);
	for (i = 0; !err && i < samples; i++) {
		uint32_t seq, kind;
		bool got_dummy = false;

		err = send_frame(tx, ifindex, i, 0, CALIB_DUMMY_LEN);
		if (!err)
			err = send_frame(tx, ifindex, i, 1, CALIB_PROBE_LEN);
		while (!err) {
			err = recv_frame(tap, (int)(hold / 1000000) + 200, &seq, &kind, &t);
			if (err || seq != i)
				continue;
			if (kind == 0) {
				t_dummy = t;
				got_dummy = true;
			} else if (got_dummy) {
				late[n++] = t - t_dummy - hold;
				break;
			}
		}
		/* Let the probe's own debt (64 / 1000 of the hold) be repaid, and
		 * vary the phase against periodic work on the machine. */
		gap.tv_sec = 0;
		gap.tv_nsec = (long)(hold / 8) + 100000 + (long)(rand() % 400) * 1000;
		nanosleep(&gap, NULL);
	}
	if (!err && !n)
		err = -ETIMEDOUT;
	if (!err) {
		qsort(late, n, sizeof(*late), cmp_i64);
		out->samples = n;
		out->hold_ns = (uint64_t)hold;
		out->p50_ns = late[n / 2];
		out->p99_ns = late[(n * 99) / 100];
		out->max_ns = late[n - 1];
		/* Winsorized at P99: the top 1 % counts as P99. The tail beyond
		 * is the machine's scheduling of the moment, too rare here to
		 * estimate its share of the mean (one 5 ms wake-up in 500 would
		 * move it by 10 us). */
		for (i = 0; i < n; i++) {
			sum += late[i];
			wsum += late[i] < out->p99_ns ? late[i] : out->p99_ns;
		}
		out->mean_ns = sum / (int64_t)n;
		out->winsor_mean_ns = wsum / (int64_t)n;
	}
	if (tx >= 0)
		close(tx);
	if (tap >= 0)
		close(tap);
	free(late);
	return err;
}
