/* The reply is the request payload echoed unchanged (bytes after the id
 * included, up to --max-size), over IPv4 and IPv6 on the default all-address
 * (dual-stack) socket, back to the address the request came from and from
 * the address it was sent to (127.0.0.2 here, not the route's 127.0.0.1). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"

static int echo_one(int fd, unsigned int port, uint32_t id, size_t extra_len)
{
	static uint8_t req[2048], rep[4096];
	ssize_t n;

	for (size_t i = 0; i < extra_len; i++)
		req[i] = (uint8_t)(id * 31 + i * 7);
	if (harness_send_id(fd, port, id, req, extra_len))
		return -1;
	n = harness_recv(fd, rep, sizeof(rep), 1000);
	if (n != (ssize_t)(4 + extra_len) || harness_id(rep) != id ||
	    memcmp(rep + 4, req, extra_len) != 0)
		return -1;
	return 0;
}

/* source_kept - ask 127.0.0.2 and check the reply comes from 127.0.0.2:port */
static int source_kept(unsigned int port)
{
	struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) }, from;
	socklen_t flen = sizeof(from);
	uint8_t req[4] = { 9, 0, 0, 0 }, rep[16];
	int fd = harness_socket(AF_INET), ok = 0;

	inet_pton(AF_INET, "127.0.0.2", &dst.sin_addr);
	if (sendto(fd, req, sizeof(req), 0, (struct sockaddr *)&dst, sizeof(dst)) == 4 &&
	    poll(&(struct pollfd){ .fd = fd, .events = POLLIN }, 1, 1000) == 1 &&
	    recvfrom(fd, rep, sizeof(rep), 0, (struct sockaddr *)&from, &flen) == 4)
		ok = from.sin_addr.s_addr == dst.sin_addr.s_addr && from.sin_port == dst.sin_port;
	if (!ok) {
		char a[INET_ADDRSTRLEN] = "?";

		inet_ntop(AF_INET, &from.sin_addr, a, sizeof(a));
		fprintf(stderr, "reply to 127.0.0.2 came from %s:%u\n", a, ntohs(from.sin_port));
	}
	close(fd);
	return ok;
}

int main(int argc, char **argv)
{
	/* no --bind: all addresses, IPv4 and IPv6 */
	const char *args[] = { "-p", "0", "--fast", "0", "--max-size", "1400", NULL };
	static const size_t sizes[] = { 0, 1, 8, 12, 100, 1396 };   /* 4 + 1396 = --max-size */
	struct harness h;
	int rc, fd4, fd6;

	harness_start(&h, argv[1], args);
	fd4 = harness_socket(AF_INET);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		CHECK(echo_one(fd4, h.port, 1000 + (uint32_t)i * 100 + 42, sizes[i]) == 0,
		      "IPv4 echo of %zu extra bytes differs", sizes[i]);

	CHECK(source_kept(h.port), "the reply did not come from the address the request went to");

	fd6 = harness_socket(AF_INET6);
	if (fd6 < 0 || harness_send_id(fd6, h.port, 77, NULL, 0)) {
		printf("no IPv6 loopback here: IPv6 part skipped\n");
	} else {
		uint8_t buf[16];

		CHECK(harness_recv(fd6, buf, sizeof(buf), 1000) == 4, "IPv6 probe not answered");
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
			CHECK(echo_one(fd6, h.port, 2000 + (uint32_t)i * 100 + 42, sizes[i]) == 0,
			      "IPv6 echo of %zu extra bytes differs", sizes[i]);
	}
	rc = harness_stop(&h, SIGTERM);
	CHECK(rc == 0, "exit status %d", rc);
	CHECK(harness_stat(&h, "dropped_oversize") == 0, "a --max-size datagram was dropped");
	printf("%s", h.out);
	return check_done("test_echo");
}
