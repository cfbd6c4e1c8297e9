// SPDX-License-Identifier: GPL-2.0-only
/* owd-probe: one-way delay and loss of a lab link. "send" paces N numbered
 * datagrams, each carrying its send time (CLOCK_REALTIME); "recv" takes the
 * kernel's receive timestamp of each (SO_TIMESTAMPNS, same clock: the lab's
 * namespaces share the host's) and prints KEY=VALUE lines: loss, duplicates,
 * reordering, delay percentiles and the loss-burst histogram. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/net_tstamp.h>

#include "log.h"
#include "parse.h"
#include "timeutil.h"

#define OWD_MAGIC 0x6f77643150726f62ULL
#define OWD_MAX_COUNT 10000000ULL
#define OWD_BURST_BINS 64
/* Both sockets' buffers by default (per socket, FORCE where root may): a
 * scheduling hiccup of the receiver is not loss, and the sender's own buffer
 * never holds a datagram back after its send time was taken. */
#define OWD_SOCKBUF (32 << 20)

struct owd_pkt {
	uint64_t magic;
	uint64_t seq;
	uint64_t tx_ns;
	uint8_t pad[40];
};

static const char usage[] =
	"Usage: owd-probe send --count N [--rate PPS] [--sndbuf BYTES] [--nonblock] ADDR:PORT\n"
	"       owd-probe recv --count N [--timeout DUR] [--idle DUR] ADDR:PORT\n"
	"\n"
	"  send      N datagrams (64 bytes) at PPS per second (default 10000);\n"
	"            --sndbuf: the socket's send buffer (default 32 MiB, so the\n"
	"            probe's own socket never holds a datagram back); --nonblock:\n"
	"            a send that would block is skipped and counted; prints\n"
	"            sent=N would_block=N\n"
	"  recv      bind ADDR:PORT; stop after N distinct datagrams, after --idle\n"
	"            (default 1s) without one once the first came, or at --timeout\n"
	"            (default 60s); print the summary\n"
	"\n"
	"Examples:\n"
	"  ip netns exec P-server owd-probe recv --count 100000 198.18.0.2:7100 &\n"
	"  ip netns exec P-client owd-probe send --count 100000 --rate 20000 198.18.0.2:7100\n";

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t pct(const uint64_t *v, uint64_t n, double q)
{
	uint64_t i = (uint64_t)(q * (double)n);

	return n ? v[i >= n ? n - 1 : i] : 0;
}

static int do_send(int fd, uint64_t count, double rate, bool nonblock)
{
	struct owd_pkt p = { .magic = OWD_MAGIC };
	uint64_t start = time_mono_ns(), gap = (uint64_t)(1e9 / rate), sent = 0, blocked = 0;

	for (uint64_t i = 0; i < count; i++) {
		time_sleep_until_ns(start + i * gap);
		p.seq = i;
		p.tx_ns = time_real_ns();
		/* ECONNREFUSED: an ICMP error of an earlier datagram (no
		 * receiver yet); this one was sent. */
		if (send(fd, &p, sizeof(p), nonblock ? MSG_DONTWAIT : 0) >= 0 ||
		    errno == ECONNREFUSED) {
			sent++;
		} else if (nonblock && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			blocked++;
		} else {
			log_error("send: %s", strerror(errno));
			return 1;
		}
	}
	printf("sent=%llu\nwould_block=%llu\n", (unsigned long long)sent,
	       (unsigned long long)blocked);
	return 0;
}

static void summarize(uint8_t *seen, uint64_t count, uint64_t *delays, uint64_t nd,
		      uint64_t dups, uint64_t reordered, uint64_t negative)
{
	uint64_t bursts = 0, run = 0, lost = 0, hist[OWD_BURST_BINS + 1] = { 0 }, sum = 0;
	double mean = 0;

	for (uint64_t i = 0; i <= count; i++) {
		if (i < count && !seen[i]) {
			run++;
			lost++;
			continue;
		}
		if (run) {
			bursts++;
			hist[run > OWD_BURST_BINS ? OWD_BURST_BINS : run]++;
			run = 0;
		}
	}
	qsort(delays, nd, sizeof(*delays), cmp_u64);
	for (uint64_t i = 0; i < nd; i++)
		sum += delays[i];
	if (nd)
		mean = (double)sum / (double)nd;
	printf("sent=%lu\nreceived=%lu\nlost=%lu\nduplicates=%lu\nreordered=%lu\n",
	       (unsigned long)count, (unsigned long)nd, (unsigned long)lost,
	       (unsigned long)dups, (unsigned long)reordered);
	printf("delay_mean_ns=%.0f\ndelay_min_ns=%lu\ndelay_p50_ns=%lu\ndelay_p99_ns=%lu\n"
	       "delay_p999_ns=%lu\ndelay_max_ns=%lu\nclock_negative=%lu\n",
	       mean, (unsigned long)(nd ? delays[0] : 0), (unsigned long)pct(delays, nd, 0.5),
	       (unsigned long)pct(delays, nd, 0.99), (unsigned long)pct(delays, nd, 0.999),
	       (unsigned long)(nd ? delays[nd - 1] : 0), (unsigned long)negative);
	printf("bursts=%lu\nburst_mean=%.4f\nburst_hist=", (unsigned long)bursts,
	       bursts ? (double)lost / (double)bursts : 0.0);
	for (int b = 1, first = 1; b <= OWD_BURST_BINS; b++) {
		if (!hist[b])
			continue;
		printf("%s%d:%lu", first ? "" : ",", b, (unsigned long)hist[b]);
		first = 0;
	}
	printf("\n");
}

static int do_recv(int fd, uint64_t count, uint64_t timeout_ns, uint64_t idle_ns)
{
	uint8_t *seen = calloc(count, 1);
	uint64_t *delays = calloc(count, sizeof(uint64_t));
	uint64_t nd = 0, dups = 0, reordered = 0, negative = 0, max_seq = 0;
	uint64_t deadline = time_mono_ns() + timeout_ns, last = 0;
	int one = 1, rc = 1;

	if (!seen || !delays) {
		log_error("out of memory");
		goto cleanup;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one))) {
		log_error("SO_TIMESTAMPNS: %s", strerror(errno));
		goto cleanup;
	}
	printf("ready=1\n");
	fflush(stdout);
	while (nd < count) {
		char cbuf[CMSG_SPACE(sizeof(struct timespec))];
		struct owd_pkt p;
		struct iovec iov = { &p, sizeof(p) };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
				    .msg_controllen = sizeof(cbuf) };
		struct pollfd pfd = { fd, POLLIN, 0 };
		uint64_t now = time_mono_ns(), until = deadline, rx = 0;
		struct cmsghdr *cm;
		ssize_t n;

		if (last && last + idle_ns < until)
			until = last + idle_ns;
		if (now >= until)
			break;
		if (poll(&pfd, 1, (int)((until - now) / 1000000 + 1)) <= 0)
			continue;
		n = recvmsg(fd, &m, MSG_DONTWAIT);
		if (n != (ssize_t)sizeof(p) || p.magic != OWD_MAGIC || p.seq >= count)
			continue;
		last = time_mono_ns();
		for (cm = CMSG_FIRSTHDR(&m); cm; cm = CMSG_NXTHDR(&m, cm))
			if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS) {
				struct timespec ts;

				memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
				rx = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
			}
		if (seen[p.seq]) {
			dups++;
			continue;
		}
		seen[p.seq] = 1;
		if (p.seq < max_seq)
			reordered++;
		else
			max_seq = p.seq;
		if (rx < p.tx_ns) {
			negative++;
			rx = p.tx_ns;
		}
		delays[nd++] = rx - p.tx_ns;
	}
	summarize(seen, count, delays, nd, dups, reordered, negative);
	rc = 0;
cleanup:
	free(seen);
	free(delays);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "count", required_argument, NULL, 'n' },
		{ "rate", required_argument, NULL, 'r' },
		{ "timeout", required_argument, NULL, 't' },
		{ "idle", required_argument, NULL, 'i' },
		{ "sndbuf", required_argument, NULL, 'b' },
		{ "nonblock", no_argument, NULL, 'B' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct sockaddr_storage addr;
	socklen_t alen;
	uint64_t count = 0, timeout = 60000000000ULL, idle = 1000000000ULL;
	double rate = 10000;
	uint64_t sndbuf = OWD_SOCKBUF;
	bool send_mode, nonblock = false, sndbuf_set = false;
	int opt, fd, rc;

	log_set_program("owd-probe");
	if (argc < 2 || (strcmp(argv[1], "send") && strcmp(argv[1], "recv"))) {
		if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
			fputs(usage, stdout);
			return 0;
		}
		fputs(usage, stderr);
		return 2;
	}
	send_mode = !strcmp(argv[1], "send");
	argc--;
	argv++;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'n':
			if (parse_u64("--count", optarg, 1, OWD_MAX_COUNT, &count))
				return 2;
			break;
		case 'r':
			if (parse_double("--rate", optarg, 1, 1e6, &rate))
				return 2;
			break;
		case 't':
			if (parse_duration_ns("--timeout", optarg, &timeout))
				return 2;
			break;
		case 'i':
			if (parse_duration_ns("--idle", optarg, &idle))
				return 2;
			break;
		case 'b':
			if (parse_u64("--sndbuf", optarg, 1, INT32_MAX / 2, &sndbuf))
				return 2;
			sndbuf_set = true;
			break;
		case 'B':
			nonblock = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			log_error("unknown or incomplete option '%s' (try --help)", argv[optind - 1]);
			return 2;
		}
	}
	if (!count || optind != argc - 1) {
		log_error("expected --count N and ADDR:PORT (try --help)");
		return 2;
	}
	if (!send_mode && (nonblock || sndbuf_set)) {
		log_error("--sndbuf and --nonblock are options of send");
		return 2;
	}
	if (parse_endpoint("ADDR:PORT", argv[optind], &addr, &alen))
		return 2;
	fd = socket(addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_error("socket: %s", strerror(errno));
		return 1;
	}
	if (send_mode) {
		int sb = (int)sndbuf;

		/* A full send buffer blocks send() after the datagram's time was
		 * taken, until half of it drains: whatever holds this socket's
		 * datagrams (a delaying qdisc that does not orphan them) would
		 * show as delay. --sndbuf sets it small on purpose (emu_sndbuf). */
		if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sb, sizeof(sb)))
			setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sb, sizeof(sb));
		if (connect(fd, (struct sockaddr *)&addr, alen)) {
			log_error("connect: %s", strerror(errno));
			close(fd);
			return 1;
		}
		rc = do_send(fd, count, rate, nonblock);
	} else {
		int rcvbuf = OWD_SOCKBUF;

		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)))
			setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
		if (bind(fd, (struct sockaddr *)&addr, alen)) {
			log_error("bind: %s", strerror(errno));
			close(fd);
			return 1;
		}
		rc = do_recv(fd, count, timeout, idle);
	}
	close(fd);
	return rc;
}
