/* With every receive buffer held by a pending stall, receiving pauses
 * (nobufs counted) and resumes when replies return buffers: no request is
 * lost, none is answered before its turn. */
#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>

#include "harness.h"

#define N 12

int main(int argc, char **argv)
{
	const char *args[] = { "-b", "127.0.0.1", "-p", "0", "--buffers", "4", "--stall", "200ms", NULL };
	struct harness h;
	int rc, fd, got = 0;
	uint8_t buf[16];
	uint64_t t0;

	harness_start(&h, argv[1], args);
	fd = harness_socket(AF_INET);
	t0 = harness_now_ns();
	for (uint32_t i = 0; i < N; i++)   /* all bad: each holds a buffer for 200 ms */
		harness_send_id(fd, h.port, (i / 2) * 100 + i % 2, NULL, 0);
	while (got < N && harness_recv(fd, buf, sizeof(buf), 2000) == 4)
		got++;
	printf("%d of %d replies after %.0f ms\n", got, N, (double)(harness_now_ns() - t0) / 1e6);
	CHECK(got == N, "%d of %d replies", got, N);
	/* 4 buffers, 12 stalls of 200 ms: at least 3 rounds */
	CHECK(harness_now_ns() - t0 >= 3 * 200000000ULL - 1000000ULL, "replies too early: %.0f ms",
	      (double)(harness_now_ns() - t0) / 1e6);
	harness_send_id(fd, h.port, 50, NULL, 0);
	CHECK(harness_recv(fd, buf, sizeof(buf), 1000) == 4, "not answering afterwards");
	rc = harness_stop(&h, SIGTERM);
	CHECK(rc == 0, "exit status %d", rc);
	CHECK(harness_stat(&h, "nobufs") >= 1, "nobufs=%lld, want >= 1", harness_stat(&h, "nobufs"));
	CHECK(harness_stat(&h, "inflight") == 0, "inflight=%lld at the end", harness_stat(&h, "inflight"));
	printf("%s", h.out);
	return check_done("test_backpressure");
}
