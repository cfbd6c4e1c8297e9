// SPDX-License-Identifier: GPL-2.0-only
/* udp-probe: the lab's UDP reachability check. "serve" echoes datagrams back
 * to their sender; "send" sends a random token and succeeds only when the same
 * token comes back. Exit 0 = reachable, 1 = not (or bad input). */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "parse.h"
#include "timeutil.h"

#define PROBE_TOKEN_LEN 16

static const char usage[] =
	"Usage: udp-probe serve [--count N] [--timeout DUR] ADDR:PORT\n"
	"       udp-probe send  [--tries K] [--timeout DUR] ADDR:PORT\n"
	"\n"
	"  serve    bind ADDR:PORT and echo each datagram back to its sender;\n"
	"           exit 0 after N datagrams (default 1), 1 if --timeout passes first\n"
	"           (default 10s)\n"
	"  send     send a random token to ADDR:PORT and wait --timeout (default\n"
	"           200ms) for it to come back; retry up to K times (default 10)\n"
	"  -v, --verbose   say what happened\n"
	"  -h, --help      this text\n"
	"\n"
	"Examples:\n"
	"  ip netns exec kh1a2b-server udp-probe serve --count 3 198.18.0.2:7000 &\n"
	"  ip netns exec kh1a2b-client udp-probe send 198.18.0.2:7000\n"
	"  udp-probe send '[2001:2:0:1::2]:7000'\n";

struct probe_opts {
	bool serve;
	uint64_t count;
	uint64_t tries;
	uint64_t timeout_ns;
	struct sockaddr_storage addr;
	socklen_t addr_len;
};

static int probe_socket(const struct probe_opts *o)
{
	int fd = socket(o->addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		log_error("socket: %s", strerror(errno));
		return -errno;
	}
	return fd;
}

/* wait_readable - 0 when @fd is readable before @deadline_ns, -ETIMEDOUT else. */
static int wait_readable(int fd, uint64_t deadline_ns)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	uint64_t now;
	int ret;

	for (;;) {
		now = time_mono_ns();
		if (now >= deadline_ns)
			return -ETIMEDOUT;
		ret = poll(&pfd, 1, (int)((deadline_ns - now + NSEC_PER_MSEC - 1) / NSEC_PER_MSEC));
		if (ret > 0)
			return 0;
		if (ret < 0 && errno != EINTR)
			return -errno;
	}
}

static int probe_serve(const struct probe_opts *o)
{
	uint64_t deadline = time_mono_ns() + o->timeout_ns, echoed = 0;
	struct sockaddr_storage peer;
	char buf[2048], where[128];
	socklen_t peer_len;
	int fd, err = 0;
	ssize_t n;

	fd = probe_socket(o);
	if (fd < 0)
		return fd;
	if (bind(fd, (const struct sockaddr *)&o->addr, o->addr_len)) {
		err = -errno;
		log_error("bind %s: %s",
			  format_endpoint((const struct sockaddr *)&o->addr, where, sizeof(where)),
			  strerror(errno));
		goto cleanup;
	}
	while (echoed < o->count) {
		err = wait_readable(fd, deadline);
		if (err) {
			log_error("timed out after %llu of %llu datagrams",
				  (unsigned long long)echoed, (unsigned long long)o->count);
			goto cleanup;
		}
		peer_len = sizeof(peer);
		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&peer, &peer_len);
		if (n < 0)
			continue;
		if (sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&peer, peer_len) == n)
			echoed++;
		log_info("echoed %zd bytes to %s", n,
			 format_endpoint((struct sockaddr *)&peer, where, sizeof(where)));
	}
cleanup:
	close(fd);
	return err;
}

static int probe_send(const struct probe_opts *o)
{
	unsigned char token[PROBE_TOKEN_LEN], buf[2048];
	char where[128];
	uint64_t try;
	int fd, err;
	ssize_t n;

	if (getrandom(token, sizeof(token), 0) != sizeof(token)) {
		log_error("getrandom: %s", strerror(errno));
		return -EIO;
	}
	fd = probe_socket(o);
	if (fd < 0)
		return fd;
	/* connect() so only the probed address's replies are received. */
	if (connect(fd, (const struct sockaddr *)&o->addr, o->addr_len)) {
		err = -errno;
		log_error("connect: %s", strerror(errno));
		goto cleanup;
	}
	err = -ETIMEDOUT;
	for (try = 0; try < o->tries && err; try++) {
		uint64_t deadline = time_mono_ns() + o->timeout_ns;

		/* ECONNREFUSED from a not-yet-started server is just a lost try. */
		if (send(fd, token, sizeof(token), 0) < 0) {
			time_sleep_until_ns(deadline);
			continue;
		}
		while (wait_readable(fd, deadline) == 0) {
			n = recv(fd, buf, sizeof(buf), 0);
			if (n == (ssize_t)sizeof(token) && !memcmp(buf, token, sizeof(token))) {
				err = 0;
				break;
			}
		}
	}
	format_endpoint((const struct sockaddr *)&o->addr, where, sizeof(where));
	if (err)
		log_error("no echo from %s after %llu tries", where, (unsigned long long)o->tries);
	else
		log_info("echo from %s after %llu tries", where, (unsigned long long)try);
cleanup:
	close(fd);
	return err;
}

int main(int argc, char **argv)
{
	static const struct option long_opts[] = {
		{ "count", required_argument, NULL, 'n' },
		{ "tries", required_argument, NULL, 'k' },
		{ "timeout", required_argument, NULL, 't' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct probe_opts o = { .count = 1, .tries = 10 };
	const char *timeout = NULL;
	int opt, err;

	log_set_program("udp-probe");
	log_set_level(LOG_LVL_WARN);
	while ((opt = getopt_long(argc, argv, "n:k:t:vh", long_opts, NULL)) != -1) {
		switch (opt) {
		case 'n':
			if (parse_u64("--count", optarg, 1, 1000000, &o.count))
				return 1;
			break;
		case 'k':
			if (parse_u64("--tries", optarg, 1, 1000, &o.tries))
				return 1;
			break;
		case 't':
			timeout = optarg;
			break;
		case 'v':
			log_set_level(LOG_LVL_INFO);
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 1;
		}
	}
	if (argc - optind != 2 ||
	    (strcmp(argv[optind], "serve") && strcmp(argv[optind], "send"))) {
		log_error("expected 'serve ADDR:PORT' or 'send ADDR:PORT' (try --help)");
		return 1;
	}
	o.serve = !strcmp(argv[optind], "serve");
	o.timeout_ns = o.serve ? 10 * NSEC_PER_SEC : 200 * NSEC_PER_MSEC;
	if (timeout && (parse_duration_ns("--timeout", timeout, &o.timeout_ns) || !o.timeout_ns)) {
		if (!o.timeout_ns)
			log_error("--timeout must be more than 0");
		return 1;
	}
	if (parse_endpoint("ADDR:PORT", argv[optind + 1], &o.addr, &o.addr_len))
		return 1;
	err = o.serve ? probe_serve(&o) : probe_send(&o);
	return err ? 1 : 0;
}
