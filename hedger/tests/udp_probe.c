/* udp_probe: a tiny UDP sender/sink for the hedger's functional tests.
 *   udp_probe sink --bind ADDR:PORT --duration D [--reply-delay D] [--reply]
 *     receives requests (id = first 4 payload bytes, little-endian), prints one
 *     line per id: "id <id> copies <n> gap_ns <second - first arrival>
 *     second_ns <second arrival, realtime> sent_ns <the sender's send time,
 *     realtime, from payload bytes 4..11>", and,
 *     with --reply, answers every copy after --reply-delay (so the original
 *     and the hedge both get an answer: the reply filter must drop one).
 *   udp_probe send --to ADDR:PORT --count N --interval D [--wait D]
 *     sends ids 1..N from one connected socket, each with the time just
 *     before its send (CLOCK_REALTIME, the clock of the sink's receive
 *     stamps: one host, so a hedge's hold can be measured from the send, not
 *     from the original's arrival, which its own path may delay), then collects replies for
 *     --wait and prints "sent N replies R duplicates U ids_answered A". */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <time.h>

#include "log.h"
#include "parse.h"
#include "timeutil.h"

#define MAX_IDS 65536

struct pending_reply {
	uint64_t due_ns;
	struct sockaddr_storage to;
	socklen_t tolen;
	uint32_t id;
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: udp_probe sink --bind ADDR:PORT --duration D [--reply] [--reply-delay D]\n"
		   "       udp_probe send --to ADDR:PORT --count N --interval D [--wait D]\n"
		   "Example: udp_probe send --to 198.18.100.2:9999 --count 100 --interval 20ms\n");
}

/* recv_stamped - recvfrom with the kernel's receive time (SO_TIMESTAMPNS,
 * realtime clock) in @ts_ns, so a busy CPU does not skew the gaps. */
static ssize_t recv_stamped(int fd, char *buf, size_t len, struct sockaddr_storage *from,
			    socklen_t *fl, uint64_t *ts_ns)
{
	char ctl[CMSG_SPACE(sizeof(struct timespec))];
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr m = { .msg_name = from, .msg_namelen = sizeof(*from), .msg_iov = &iov,
			    .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof(ctl) };
	struct cmsghdr *c;
	ssize_t n = recvmsg(fd, &m, 0);

	*fl = m.msg_namelen;
	*ts_ns = time_real_ns();
	for (c = CMSG_FIRSTHDR(&m); n >= 0 && c; c = CMSG_NXTHDR(&m, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
			struct timespec ts;

			memcpy(&ts, CMSG_DATA(c), sizeof(ts));
			*ts_ns = (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
		}
	}
	return n;
}

static int run_sink(struct sockaddr_storage *ss, socklen_t len, uint64_t duration,
		    int reply, uint64_t reply_delay)
{
	static uint64_t first[MAX_IDS], second[MAX_IDS], sent[MAX_IDS];
	static uint32_t copies[MAX_IDS];
	static struct pending_reply q[4096];
	unsigned qh = 0, qt = 0;
	uint64_t end = time_mono_ns() + duration;
	int fd, err = 0;

	fd = socket(ss->ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)ss, len)) {
		log_error("bind: %s", strerror(errno));
		return 1;
	}
	setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &(int){ 1 }, sizeof(int));
	printf("ready\n");
	fflush(stdout);
	while (time_mono_ns() < end) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		uint64_t now = time_mono_ns();
		int timeout = 5;

		while (qh != qt && q[qh % 4096].due_ns <= now) {
			struct pending_reply *r = &q[qh++ % 4096];

			sendto(fd, &r->id, sizeof(r->id), 0, (struct sockaddr *)&r->to, r->tolen);
		}
		if (qh != qt) {
			uint64_t wait = q[qh % 4096].due_ns - now;

			timeout = (int)(wait / NSEC_PER_MSEC);
		}
		if (poll(&p, 1, timeout) > 0) {
			struct sockaddr_storage from;
			socklen_t fl;
			uint32_t id = 0;
			char buf[2048];
			uint64_t rx_ns;
			ssize_t n = recv_stamped(fd, buf, sizeof(buf), &from, &fl, &rx_ns);

			if (n < 4)
				continue;
			memcpy(&id, buf, 4);
			if (id >= MAX_IDS)
				continue;
			if (!copies[id]) {
				first[id] = rx_ns;
				if (n >= 12)
					memcpy(&sent[id], buf + 4, 8);
			}
			else if (copies[id] == 1)
				second[id] = rx_ns;
			copies[id]++;
			if (reply && qt - qh < 4096) {
				struct pending_reply *r = &q[qt++ % 4096];

				r->due_ns = time_mono_ns() + reply_delay;
				r->to = from;
				r->tolen = fl;
				r->id = id;
			}
		}
	}
	for (uint32_t i = 0; i < MAX_IDS; i++)
		if (copies[i])
			printf("id %u copies %u gap_ns %lld second_ns %llu sent_ns %llu\n", i,
			       copies[i], copies[i] > 1 ? (long long)(second[i] - first[i]) : -1LL,
			       copies[i] > 1 ? (unsigned long long)second[i] : 0ULL,
			       (unsigned long long)sent[i]);
	close(fd);
	return err;
}

static int run_send(struct sockaddr_storage *ss, socklen_t len, uint64_t count,
		    uint64_t interval, uint64_t wait)
{
	static uint32_t got[MAX_IDS];
	uint64_t replies = 0, dups = 0, answered = 0, next, end;
	char payload[64];
	int fd;

	fd = socket(ss->ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)ss, len)) {
		log_error("connect: %s", strerror(errno));
		return 1;
	}
	memset(payload, 0xab, sizeof(payload));
	next = time_mono_ns();
	end = next + count * interval + wait;
	for (uint32_t id = 1; id <= count || time_mono_ns() < end;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		uint64_t now = time_mono_ns();

		if (id <= count && now >= next) {
			uint64_t sent_ns = time_real_ns();

			memcpy(payload, &id, 4);
			memcpy(payload + 4, &sent_ns, 8);
			if (send(fd, payload, sizeof(payload), 0) < 0)
				log_warn("send: %s", strerror(errno));
			id++;
			next += interval;
			continue;
		}
		if (poll(&p, 1, 1) > 0) {
			uint32_t rid = 0;

			if (recv(fd, &rid, sizeof(rid), 0) == 4 && rid < MAX_IDS) {
				replies++;
				if (got[rid]++)
					dups++;
				else
					answered++;
			}
		}
		if (id > count && time_mono_ns() >= end)
			break;
	}
	printf("sent %llu replies %llu duplicates %llu ids_answered %llu\n",
	       (unsigned long long)count, (unsigned long long)replies,
	       (unsigned long long)dups, (unsigned long long)answered);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "bind", required_argument, NULL, 'b' },
		{ "to", required_argument, NULL, 't' },
		{ "duration", required_argument, NULL, 'd' },
		{ "reply", no_argument, NULL, 'r' },
		{ "reply-delay", required_argument, NULL, 'R' },
		{ "count", required_argument, NULL, 'c' },
		{ "interval", required_argument, NULL, 'i' },
		{ "wait", required_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	uint64_t duration = NSEC_PER_SEC, reply_delay = 0, count = 10;
	uint64_t interval = 10 * NSEC_PER_MSEC, wait = 200 * NSEC_PER_MSEC;
	struct sockaddr_storage ss;
	socklen_t len = 0;
	int opt, reply = 0;

	log_set_program("udp_probe");
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	while ((opt = getopt_long(argc - 1, argv + 1, "b:t:d:rR:c:i:w:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'b':
		case 't':
			if (parse_endpoint(opt == 'b' ? "--bind" : "--to", optarg, &ss, &len))
				return 2;
			break;
		case 'd': if (parse_duration_ns("--duration", optarg, &duration)) return 2; break;
		case 'r': reply = 1; break;
		case 'R': if (parse_duration_ns("--reply-delay", optarg, &reply_delay)) return 2; break;
		case 'c': if (parse_u64("--count", optarg, 1, MAX_IDS - 1, &count)) return 2; break;
		case 'i': if (parse_duration_ns("--interval", optarg, &interval)) return 2; break;
		case 'w': if (parse_duration_ns("--wait", optarg, &wait)) return 2; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!len) {
		log_error("need --bind or --to");
		return 2;
	}
	if (!strcmp(argv[1], "sink"))
		return run_sink(&ss, len, duration, reply, reply_delay);
	if (!strcmp(argv[1], "send"))
		return run_send(&ss, len, count, interval, wait);
	log_error("unknown mode '%s' (sink or send)", argv[1]);
	return 2;
}
