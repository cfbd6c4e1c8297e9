/* udp-misbehave: a test peer for hedge-client that misbehaves on purpose.
 *   --mode drop   read requests and never answer (a server that is "absent"
 *                 without the ICMP error a closed port would give)
 *   --mode stale  answer every request first with wrong replies - the
 *                 previous request's echo (an old id), the same id under
 *                 another run tag, an id not sent yet - and only after
 *                 --delay with the true echo
 * It exits by itself after --lifetime so a failed test leaves nothing behind. */
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "parse.h"
#include "timeutil.h"

static void usage(FILE *out)
{
	fputs("Usage: udp-misbehave --port PORT [--bind ADDR] --mode drop|stale [--delay DUR]\n"
	      "                     [--lifetime DUR]\n"
	      "Example: udp-misbehave --port 40000 --mode stale --delay 5ms\n", out);
}

static int send_variant(int fd, const uint8_t *buf, size_t len, const struct sockaddr_storage *peer,
			socklen_t plen, uint32_t id_delta, uint8_t tag_xor)
{
	uint8_t copy[2048];
	uint32_t id;

	memcpy(copy, buf, len);
	id = (uint32_t)copy[0] | (uint32_t)copy[1] << 8 | (uint32_t)copy[2] << 16 |
	     (uint32_t)copy[3] << 24;
	id += id_delta;
	copy[0] = (uint8_t)id;
	copy[1] = (uint8_t)(id >> 8);
	copy[2] = (uint8_t)(id >> 16);
	copy[3] = (uint8_t)(id >> 24);
	if (len > 4)
		copy[4] ^= tag_xor;
	if (sendto(fd, copy, len, 0, (const struct sockaddr *)peer, plen) < 0)
		return -errno;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "bind", required_argument, NULL, 'b' },
		{ "mode", required_argument, NULL, 'm' },
		{ "delay", required_argument, NULL, 'd' },
		{ "lifetime", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *bind_addr = "127.0.0.1", *mode = NULL;
	uint64_t port = 0, delay_ns = 5000000, lifetime_ns = 120 * NSEC_PER_SEC;
	struct sockaddr_storage addr, peer;
	uint8_t buf[2048], prev[2048];
	size_t prev_len = 0;
	socklen_t alen, plen;
	char ep[300];
	bool stale;
	ssize_t n;
	int fd, c;

	log_set_program("udp-misbehave");
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (parse_u64("--port", optarg, 1, 65535, &port))
				return 2;
			break;
		case 'b':
			bind_addr = optarg;
			break;
		case 'm':
			mode = optarg;
			break;
		case 'd':
			if (parse_duration_ns("--delay", optarg, &delay_ns))
				return 2;
			break;
		case 'l':
			if (parse_duration_ns("--lifetime", optarg, &lifetime_ns))
				return 2;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!port || !mode || (strcmp(mode, "drop") && strcmp(mode, "stale"))) {
		log_error("--port and --mode drop|stale are required");
		return 2;
	}
	stale = !strcmp(mode, "stale");
	snprintf(ep, sizeof(ep), strchr(bind_addr, ':') ? "[%s]:%llu" : "%s:%llu", bind_addr,
		 (unsigned long long)port);
	if (parse_endpoint("--bind", ep, &addr, &alen))
		return 2;
	fd = socket(addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, alen)) {
		log_error("cannot bind %s: %s", ep, strerror(errno));
		return 1;
	}
	alarm((unsigned int)((lifetime_ns + NSEC_PER_SEC - 1) / NSEC_PER_SEC));
	for (;;) {
		plen = sizeof(peer);
		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&peer, &plen);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_error("recvfrom: %s", strerror(errno));
			return 1;
		}
		if (!stale || n < 12)
			continue;
		/* Wrong answers first: an old id, another run's tag, a future id. */
		if (prev_len)
			sendto(fd, prev, prev_len, 0, (struct sockaddr *)&peer, plen);
		send_variant(fd, buf, (size_t)n, &peer, plen, 0, 0x01);
		send_variant(fd, buf, (size_t)n, &peer, plen, 1000000, 0);
		time_sleep_until_ns(time_mono_ns() + delay_ns);
		sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&peer, plen);
		memcpy(prev, buf, (size_t)n);
		prev_len = (size_t)n;
	}
}
