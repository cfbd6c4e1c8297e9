/* chaos-load: a small load tool for benchmarking chaos-server on loopback.
 * throughput: keeps a window of requests outstanding, sendmmsg/recvmmsg in
 * batches, and counts echoes per second. latency: open-loop at a fixed rate
 * (latency measured from the intended send time, so a slow server cannot hide
 * queueing), fast-path replies only (ids whose id % 100 is below
 * --stall-residues are left out). Prints one CSV row. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "histogram.h"
#include "log.h"
#include "parse.h"
#include "timeutil.h"

#define BATCH_MAX 64
#define REQ_LEN   16   /* id (4) + pad (4) + intended send time (8) */

struct opts {
	struct sockaddr_storage dst;
	socklen_t dst_len;
	int mode_latency;
	uint64_t duration_ns, warmup_ns;
	double rate_hz;
	unsigned int window, batch, stall_residues;
	const char *label;
	int header;
	int sleep_wait;          /* latency mode: ppoll between events instead of spinning */
};

static const char usage_text[] =
"Usage: chaos-load --server ADDR:PORT [--throughput | --rate R] [OPTION]...\n"
"  -s, --server ADDR:PORT   chaos-server to load (loopback or a lab namespace only)\n"
"      --throughput         closed loop: --window requests outstanding (default mode)\n"
"  -r, --rate R             open loop at R requests/s, e.g. 20000 or 20/ms\n"
"  -d, --duration DUR       measured time (default 5s), after --warmup (default 1s)\n"
"      --window N           outstanding requests in throughput mode (default 256)\n"
"      --batch N            datagrams per sendmmsg/recvmmsg (default 32, max 64)\n"
"      --stall-residues N   latency mode: skip ids with id % 100 < N (default 2)\n"
"      --wait spin|sleep    busy-poll (default) or ppoll when there is nothing to\n"
"                           send (use sleep with a real-time priority, chrt -f)\n"
"      --label TEXT         first CSV column (default: the mode)\n"
"      --header             print the CSV header first\n"
"Examples:\n"
"  chaos-load -s 127.0.0.1:9999 --throughput -d 5s\n"
"  chaos-load -s 127.0.0.1:9999 --rate 20000 -d 10s --label stalls\n";

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "server", required_argument, NULL, 's' }, { "throughput", no_argument, NULL, 'T' },
		{ "rate", required_argument, NULL, 'r' }, { "duration", required_argument, NULL, 'd' },
		{ "warmup", required_argument, NULL, 'w' }, { "window", required_argument, NULL, 'W' },
		{ "batch", required_argument, NULL, 'B' }, { "stall-residues", required_argument, NULL, 'S' },
		{ "label", required_argument, NULL, 'L' }, { "header", no_argument, NULL, 'H' },
		{ "wait", required_argument, NULL, 'X' }, { "help", no_argument, NULL, 'h' }, { 0 },
	};
	uint64_t v;
	int c, err = 0, have_dst = 0;

	*o = (struct opts){ .duration_ns = 5 * NSEC_PER_SEC, .warmup_ns = NSEC_PER_SEC,
			    .window = 256, .batch = 32, .stall_residues = 2 };
	while ((c = getopt_long(argc, argv, ":s:r:d:h", lo, NULL)) != -1) {
		switch (c) {
		case 's': err = parse_endpoint("--server", optarg, &o->dst, &o->dst_len); have_dst = 1; break;
		case 'T': o->mode_latency = 0; break;
		case 'r': err = parse_rate_hz("--rate", optarg, &o->rate_hz); o->mode_latency = 1; break;
		case 'd': err = parse_duration_ns("--duration", optarg, &o->duration_ns); break;
		case 'w': err = parse_duration_ns("--warmup", optarg, &o->warmup_ns); break;
		case 'W': err = parse_u64("--window", optarg, 1, 1 << 20, &v); o->window = (unsigned)v; break;
		case 'B': err = parse_u64("--batch", optarg, 1, BATCH_MAX, &v); o->batch = (unsigned)v; break;
		case 'S': err = parse_u64("--stall-residues", optarg, 0, 100, &v); o->stall_residues = (unsigned)v; break;
		case 'L': o->label = optarg; break;
		case 'H': o->header = 1; break;
		case 'X':
			if (strcmp(optarg, "spin") && strcmp(optarg, "sleep")) {
				log_error("invalid --wait '%s': expected spin or sleep", optarg);
				return -EINVAL;
			}
			o->sleep_wait = !strcmp(optarg, "sleep");
			break;
		case 'h': fputs(usage_text, stdout); exit(0);
		default:
			log_error("bad option '%s' (try --help)", argv[optind - 1]);
			return -EINVAL;
		}
		if (err)
			return err;
	}
	if (!have_dst) {
		log_error("--server ADDR:PORT is required");
		return -EINVAL;
	}
	if (o->mode_latency && !(o->rate_hz > 0)) {
		log_error("--rate must be positive");
		return -EINVAL;
	}
	if (!o->label)
		o->label = o->mode_latency ? "latency" : "throughput";
	return 0;
}

static void put_req(uint8_t *b, uint32_t id, uint64_t t)
{
	memset(b, 0, REQ_LEN);
	b[0] = (uint8_t)id; b[1] = (uint8_t)(id >> 8); b[2] = (uint8_t)(id >> 16); b[3] = (uint8_t)(id >> 24);
	memcpy(b + 8, &t, sizeof(t));
}

static uint32_t get_id(const uint8_t *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

struct batch {
	uint8_t buf[BATCH_MAX][64];
	struct iovec iov[BATCH_MAX];
	struct mmsghdr msg[BATCH_MAX];
};

static void batch_init(struct batch *b)
{
	for (int i = 0; i < BATCH_MAX; i++) {
		b->iov[i] = (struct iovec){ b->buf[i], sizeof(b->buf[i]) };
		b->msg[i].msg_hdr = (struct msghdr){ .msg_iov = &b->iov[i], .msg_iovlen = 1 };
	}
}

static int run_throughput(const struct opts *o, int fd)
{
	static struct batch tx, rx;
	uint64_t start = time_mono_ns(), t_meas = start + o->warmup_ns, end = t_meas + o->duration_ns;
	uint64_t last_reply = start, replies = 0, sent = 0, lost = 0, now;
	uint32_t id = 0;
	long outstanding = 0;

	batch_init(&tx);
	batch_init(&rx);
	while ((now = time_mono_ns()) < end) {
		int n;

		while (outstanding + o->batch <= o->window) {
			for (unsigned int i = 0; i < o->batch; i++) {
				put_req(tx.buf[i], id++, now);
				tx.iov[i].iov_len = REQ_LEN;
			}
			n = sendmmsg(fd, tx.msg, o->batch, MSG_DONTWAIT);
			if (n <= 0)
				break;
			outstanding += n;
			if (now >= t_meas)
				sent += (uint64_t)n;
		}
		if (o->sleep_wait && outstanding + o->batch > o->window) {
			/* window full: sleep until a reply (or the loss check) is due */
			struct pollfd p = { .fd = fd, .events = POLLIN };
			struct timespec ts = { .tv_nsec = (long)(10 * NSEC_PER_MSEC) };

			ppoll(&p, 1, &ts, NULL);
		}
		n = recvmmsg(fd, rx.msg, o->batch, MSG_DONTWAIT, NULL);
		if (n > 0) {
			outstanding -= n;
			last_reply = now;
			if (now >= t_meas)
				replies += (uint64_t)n;
		} else if (now - last_reply > 10 * NSEC_PER_MSEC) {
			/* datagrams lost (socket buffer overflow): refill the window */
			lost += (uint64_t)outstanding;
			outstanding = 0;
			last_reply = now;
		}
	}
	if (o->header)
		printf("label,mode,duration_s,sent,replies,lost,req_per_s\n");
	printf("%s,throughput,%.3f,%llu,%llu,%llu,%.0f\n", o->label, (double)o->duration_ns / 1e9,
	       (unsigned long long)sent, (unsigned long long)replies, (unsigned long long)lost,
	       (double)replies / ((double)o->duration_ns / 1e9));
	return 0;
}

static int run_latency(const struct opts *o, int fd)
{
	static struct batch rx;
	struct hist *h = hist_new_default();
	uint64_t period = (uint64_t)(1e9 / o->rate_hz), start = time_mono_ns();
	uint64_t t_meas = start + o->warmup_ns, end = t_meas + o->duration_ns;
	uint64_t next = start, sent = 0, replies = 0, skipped = 0, now;
	uint8_t req[REQ_LEN];
	uint32_t id = 0;

	if (!h) {
		log_error("out of memory");
		return -ENOMEM;
	}
	batch_init(&rx);
	/* keep receiving for 1 s after the last send so that late replies count */
	while ((now = time_mono_ns()) < end + NSEC_PER_SEC) {
		int n;

		if (now < end && now >= next) {
			put_req(req, id++, next);   /* the intended time: no coordinated omission */
			if (send(fd, req, REQ_LEN, MSG_DONTWAIT) == REQ_LEN)
				sent++;
			next += period;
		}
		n = recvmmsg(fd, rx.msg, o->batch, MSG_DONTWAIT, NULL);
		if (n <= 0 && o->sleep_wait) {
			uint64_t until = now < end ? next : end + NSEC_PER_SEC;
			struct pollfd p = { .fd = fd, .events = POLLIN };
			struct timespec ts;

			if (until > now) {
				ts.tv_sec = (time_t)((until - now) / NSEC_PER_SEC);
				ts.tv_nsec = (long)((until - now) % NSEC_PER_SEC);
				ppoll(&p, 1, &ts, NULL);
			}
			continue;
		}
		for (int i = 0; i < n; i++) {
			uint64_t t;

			if (rx.msg[i].msg_len != REQ_LEN)
				continue;
			memcpy(&t, rx.buf[i] + 8, sizeof(t));
			if (t < t_meas)
				continue;
			if (get_id(rx.buf[i]) % 100 < o->stall_residues) {
				skipped++;
				continue;
			}
			replies++;
			hist_record(h, (int64_t)(now - t));
		}
	}
	if (o->header)
		printf("label,mode,rate_per_s,duration_s,sent,fast_replies,skipped_stall_ids,"
		       "p50_us,p90_us,p99_us,p999_us,max_us\n");
	printf("%s,latency,%.0f,%.3f,%llu,%llu,%llu,%.1f,%.1f,%.1f,%.1f,%.1f\n", o->label, o->rate_hz,
	       (double)o->duration_ns / 1e9, (unsigned long long)sent, (unsigned long long)replies,
	       (unsigned long long)skipped, hist_value_at_percentile(h, 50) / 1e3,
	       hist_value_at_percentile(h, 90) / 1e3, hist_value_at_percentile(h, 99) / 1e3,
	       hist_value_at_percentile(h, 99.9) / 1e3, hist_max(h) / 1e3);
	hist_free(h);
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o;
	int fd, err, rcvbuf = 8 << 20;

	log_set_program("chaos-load");
	if (parse_opts(argc, argv, &o))
		return 2;
	fd = socket(o.dst.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&o.dst, o.dst_len) < 0) {
		log_error("cannot reach the server: %s", strerror(errno));
		return 1;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	err = o.mode_latency ? run_latency(&o, fd) : run_throughput(&o, fd);
	close(fd);
	return err ? 1 : 0;
}
