/* udp_gso: sender and server for the hedger's offload tests, where several
 * datagrams travel as one skb.
 *   udp_gso serve --bind ADDR:PORT --duration D [--reply none|each|gso|burst]
 *                 [--batch K]
 *     receives requests (id = first 4 payload bytes, little endian) and
 *     answers each id once (a later copy, e.g. a hedge, is counted, not
 *     answered): each - at once; gso - K at a time in one UDP_SEGMENT send
 *     (one skb of K replies); burst - K at a time with one sendmmsg (K
 *     skbs back to back, for the receiver's GRO to merge). Prints
 *     "received R ids I duplicates U replies P" at the end.
 *   udp_gso send --to ADDR:PORT --count N [--first-id F] [--segments K]
 *                [--size S] [--interval D] [--wait D]
 *     sends ids F..F+N-1 (default F = 1), S bytes each (default 64), K
 *     per UDP_SEGMENT send (K = 1: one datagram per send, which may be
 *     larger than the MTU), one send every --interval, collects replies for
 *     --wait and prints "sent N sends M replies R duplicates U ids_answered
 *     A". Exit 2 when the kernel refuses UDP_SEGMENT. */
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "log.h"
#include "parse.h"
#include "timeutil.h"

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif

#define MAX_IDS 65536
#define MAX_BATCH 64
#define MAX_SIZE 1400

enum reply_mode { REPLY_NONE, REPLY_EACH, REPLY_GSO, REPLY_BURST };

static volatile sig_atomic_t stop;
static uint8_t copies[MAX_IDS + 1];

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: udp_gso serve --bind ADDR:PORT --duration D [--reply none|each|gso|burst] [--batch K]\n"
		   "       udp_gso send --to ADDR:PORT --count N [--first-id F] [--segments K] [--size S]\n"
		   "                    [--interval D] [--wait D]\n"
		   "Example: udp_gso send --to 198.18.100.2:9999 --count 64 --segments 8\n");
}

static uint32_t id_of(const uint8_t *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static void put_id(uint8_t *b, uint32_t id)
{
	b[0] = id & 0xff;
	b[1] = (id >> 8) & 0xff;
	b[2] = (id >> 16) & 0xff;
	b[3] = id >> 24;
}

/* send_segments - @k payloads of @size bytes at @buf to @to: one send with
 * UDP_SEGMENT = @size when @k > 1, else one plain datagram. */
static int send_segments(int fd, const uint8_t *buf, uint32_t size, uint32_t k,
			 const struct sockaddr_storage *to, socklen_t tolen)
{
	char ctl[CMSG_SPACE(sizeof(uint16_t))] = { 0 };
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = (size_t)size * k };
	struct msghdr m = { .msg_name = (void *)to, .msg_namelen = tolen, .msg_iov = &iov,
			    .msg_iovlen = 1 };
	struct cmsghdr *c;
	uint16_t seg = (uint16_t)size;

	if (k > 1) {
		m.msg_control = ctl;
		m.msg_controllen = sizeof(ctl);
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_UDP;
		c->cmsg_type = UDP_SEGMENT;
		c->cmsg_len = CMSG_LEN(sizeof(seg));
		memcpy(CMSG_DATA(c), &seg, sizeof(seg));
	}
	return sendmsg(fd, &m, 0) < 0 ? -errno : 0;
}

struct pending {
	uint8_t buf[MAX_BATCH * MAX_SIZE];
	uint32_t n, size;
	struct sockaddr_storage to;
	socklen_t tolen;
};

/* flush - answer the batched requests (@mode gso or burst). */
static uint64_t flush(int fd, struct pending *pb, enum reply_mode mode)
{
	struct mmsghdr mm[MAX_BATCH];
	struct iovec iov[MAX_BATCH];
	uint64_t sent = 0;
	int r;

	if (!pb->n)
		return 0;
	if (mode == REPLY_GSO) {
		if (!send_segments(fd, pb->buf, pb->size, pb->n, &pb->to, pb->tolen))
			sent = pb->n;
	} else {
		memset(mm, 0, sizeof(mm));
		for (uint32_t i = 0; i < pb->n; i++) {
			iov[i].iov_base = pb->buf + (size_t)i * pb->size;
			iov[i].iov_len = pb->size;
			mm[i].msg_hdr.msg_name = &pb->to;
			mm[i].msg_hdr.msg_namelen = pb->tolen;
			mm[i].msg_hdr.msg_iov = &iov[i];
			mm[i].msg_hdr.msg_iovlen = 1;
		}
		r = sendmmsg(fd, mm, pb->n, 0);
		sent = r > 0 ? (uint64_t)r : 0;
	}
	pb->n = 0;
	return sent;
}

static int run_serve(const struct sockaddr_storage *ss, socklen_t len, uint64_t duration,
		     enum reply_mode mode, uint32_t batch)
{
	static struct pending pb;
	uint64_t end = time_mono_ns() + duration, received = 0, ids = 0, dups = 0, replies = 0;
	uint8_t buf[65536];
	int fd = socket(ss->ss_family, SOCK_DGRAM, 0);

	if (fd < 0 || bind(fd, (const struct sockaddr *)ss, len)) {
		log_error("bind: %s", strerror(errno));
		return 1;
	}
	printf("listening\n");
	fflush(stdout);
	while (!stop && time_mono_ns() < end) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t n;
		uint32_t id;

		if (poll(&p, 1, 50) <= 0)
			continue;
		n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
		if (n < 4)
			continue;
		received++;
		id = id_of(buf);
		if (id > MAX_IDS)
			continue;
		if (copies[id]++) {
			dups++;
			continue;
		}
		ids++;
		if (mode == REPLY_EACH) {
			if (sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from, fl) == n)
				replies++;
		} else if (mode != REPLY_NONE && n <= MAX_SIZE) {
			if (pb.n && ((uint32_t)n != pb.size || fl != pb.tolen || memcmp(&from, &pb.to, fl)))
				replies += flush(fd, &pb, mode);
			memcpy(pb.buf + (size_t)pb.n * (size_t)n, buf, (size_t)n);
			pb.size = (uint32_t)n;
			pb.to = from;
			pb.tolen = fl;
			if (++pb.n >= batch)
				replies += flush(fd, &pb, mode);
		}
	}
	replies += flush(fd, &pb, mode);
	printf("received %llu ids %llu duplicates %llu replies %llu\n", (unsigned long long)received,
	       (unsigned long long)ids, (unsigned long long)dups, (unsigned long long)replies);
	close(fd);
	return 0;
}

static int run_send(const struct sockaddr_storage *ss, socklen_t len, uint32_t first,
		    uint32_t count, uint32_t k, uint32_t size, uint64_t interval, uint64_t wait)
{
	static uint8_t buf[MAX_BATCH * MAX_SIZE];
	uint64_t replies = 0, dups = 0, answered = 0, sends = 0, end;
	uint8_t rbuf[65536];
	uint32_t id = first, last = first + count - 1;
	int fd = socket(ss->ss_family, SOCK_DGRAM, 0), err;

	if (fd < 0) {
		log_error("socket: %s", strerror(errno));
		return 1;
	}
	memset(copies, 0, sizeof(copies));
	while (id <= last) {
		uint32_t n = last - id + 1 < k ? last - id + 1 : k;

		memset(buf, 0, (size_t)n * size);
		for (uint32_t i = 0; i < n; i++) {
			put_id(buf + (size_t)i * size, id + i);
			memset(buf + (size_t)i * size + 4, 'a' + (int)((id + i) % 26), size - 4);
		}
		err = send_segments(fd, buf, size, n, ss, len);
		if (err == -EINVAL || err == -ENOPROTOOPT || err == -EIO) {
			log_error("UDP_SEGMENT send refused: %s", strerror(-err));
			return 2;
		}
		if (err)
			log_warn("send: %s", strerror(-err));
		else
			sends++;
		id += n;
		if (interval)
			usleep((useconds_t)(interval / 1000));
	}
	end = time_mono_ns() + wait;
	while (time_mono_ns() < end) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;
		uint32_t rid;

		if (poll(&p, 1, 20) <= 0)
			continue;
		n = recv(fd, rbuf, sizeof(rbuf), MSG_DONTWAIT);
		if (n < 4)
			continue;
		rid = id_of(rbuf);
		replies++;
		if (rid > MAX_IDS)
			continue;
		if (copies[rid]++)
			dups++;
		else
			answered++;
	}
	printf("sent %u sends %llu replies %llu duplicates %llu ids_answered %llu\n", count,
	       (unsigned long long)sends, (unsigned long long)replies, (unsigned long long)dups,
	       (unsigned long long)answered);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "bind", required_argument, NULL, 'b' },
		{ "to", required_argument, NULL, 't' },
		{ "duration", required_argument, NULL, 'd' },
		{ "reply", required_argument, NULL, 'r' },
		{ "batch", required_argument, NULL, 'k' },
		{ "count", required_argument, NULL, 'n' },
		{ "first-id", required_argument, NULL, 'f' },
		{ "segments", required_argument, NULL, 'g' },
		{ "size", required_argument, NULL, 's' },
		{ "interval", required_argument, NULL, 'i' },
		{ "wait", required_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct sockaddr_storage ss;
	socklen_t len = 0;
	uint64_t duration = 5 * NSEC_PER_SEC, wait = NSEC_PER_SEC / 2, interval = 0, v;
	uint32_t batch = 8, first = 1, count = 0, segs = 1, size = 64;
	enum reply_mode mode = REPLY_EACH;
	struct sigaction sa = { .sa_handler = on_signal };
	const char *cmd;
	int opt;

	log_set_program("udp_gso");
	if (argc < 2 || (strcmp(argv[1], "serve") && strcmp(argv[1], "send"))) {
		usage(stderr);
		return 2;
	}
	cmd = argv[1];
	argc--;
	argv++;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'b':
		case 't':
			if (parse_endpoint(opt == 'b' ? "--bind" : "--to", optarg, &ss, &len))
				return 2;
			break;
		case 'd':
		case 'i':
		case 'w':
			if (parse_duration_ns("duration", optarg, &v))
				return 2;
			if (opt == 'd')
				duration = v;
			else if (opt == 'i')
				interval = v;
			else
				wait = v;
			break;
		case 'r':
			if (!strcmp(optarg, "none"))
				mode = REPLY_NONE;
			else if (!strcmp(optarg, "each"))
				mode = REPLY_EACH;
			else if (!strcmp(optarg, "gso"))
				mode = REPLY_GSO;
			else if (!strcmp(optarg, "burst"))
				mode = REPLY_BURST;
			else {
				log_error("--reply: none, each, gso or burst");
				return 2;
			}
			break;
		case 'k':
		case 'g':
			if (parse_u64(opt == 'k' ? "--batch" : "--segments", optarg, 1, MAX_BATCH, &v))
				return 2;
			*(opt == 'k' ? &batch : &segs) = (uint32_t)v;
			break;
		case 'n':
			if (parse_u64("--count", optarg, 1, MAX_IDS, &v))
				return 2;
			count = (uint32_t)v;
			break;
		case 'f':
			if (parse_u64("--first-id", optarg, 1, MAX_IDS, &v))
				return 2;
			first = (uint32_t)v;
			break;
		case 's':
			if (parse_u64("--size", optarg, 8, MAX_BATCH * MAX_SIZE, &v))
				return 2;
			size = (uint32_t)v;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!len) {
		log_error("%s needs %s", cmd, cmd[1] == 'e' && cmd[2] == 'r' ? "--bind" : "--to");
		return 2;
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (!strcmp(cmd, "serve"))
		return run_serve(&ss, len, duration, mode, batch);
	if (!count) {
		log_error("send needs --count");
		return 2;
	}
	if ((uint64_t)size * segs > MAX_BATCH * MAX_SIZE || (segs > 1 && size > MAX_SIZE)) {
		log_error("--size: at most %d bytes per segment, %d in all", MAX_SIZE, MAX_BATCH * MAX_SIZE);
		return 2;
	}
	if ((uint64_t)first + count - 1 > MAX_IDS) {
		log_error("--first-id + --count - 1 must be at most %d", MAX_IDS);
		return 2;
	}
	return run_send(&ss, len, first, count, segs, size, interval, wait);
}
