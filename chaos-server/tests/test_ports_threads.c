/* Several --ports in one process with --threads 2 (SO_REUSEPORT): every port
 * answers, and the replay memory is shared, so a hedge of a stalled id from
 * another client socket (another thread, possibly) takes the fast path. */
#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>

#include "harness.h"

int main(int argc, char **argv)
{
	const char *args[] = { "-b", "127.0.0.1", "-p", "0", "-p", "0", "-p", "0", "--threads", "2", NULL };
	struct harness h;
	int rc;
	uint8_t buf[16];

	harness_start(&h, argv[1], args);
	CHECK(h.nports == 3, "%d listening lines, want 3", h.nports);
	for (int p = 0; p < h.nports; p++) {
		/* many client sockets: SO_REUSEPORT spreads them over both threads */
		for (int c = 0; c < 8; c++) {
			int fd = harness_socket(AF_INET);
			uint32_t id = (uint32_t)(p * 1000 + c * 100 + 10);

			harness_send_id(fd, h.ports[p], id, NULL, 0);
			CHECK(harness_recv(fd, buf, sizeof(buf), 1000) == 4 && harness_id(buf) == id,
			      "port %u, client %d: no reply", h.ports[p], c);
		}
	}
	/* id 300 stalls; its hedges from 8 other sockets arrive within the TTL */
	{
		int first = harness_socket(AF_INET), fast = 0;
		uint64_t t0 = harness_now_ns();

		harness_send_id(first, h.port, 300, NULL, 0);
		/* the threads race: make sure the first copy is the one seen first */
		for (int i = 0; i < 40 && harness_stat(&h, "stalled") != 1; i++) {
			kill(h.pid, SIGUSR1);
			harness_collect(&h, 50);
		}
		CHECK(harness_stat(&h, "stalled") == 1, "the first copy was not seen");
		for (int c = 0; c < 8; c++) {
			int fd = harness_socket(AF_INET);
			uint64_t t = harness_now_ns();

			harness_send_id(fd, h.port, 300, NULL, 0);
			/* fast path: 2 ms + scheduling noise (< 50 ms measured), a stall: 400 ms */
			fast += harness_recv(fd, buf, sizeof(buf), 300) == 4 &&
				harness_now_ns() - t < 200000000ULL;
		}
		CHECK(fast == 8, "%d of 8 hedges took the fast path", fast);
		CHECK(harness_recv(first, buf, sizeof(buf), 1000) == 4 &&
		      harness_now_ns() - t0 >= 399000000ULL, "the first copy did not stall");
	}
	rc = harness_stop(&h, SIGTERM);
	CHECK(rc == 0, "exit status %d", rc);
	CHECK(harness_stat(&h, "replay_hits") == 8, "replay_hits=%lld, want 8", harness_stat(&h, "replay_hits"));
	printf("%s", h.out);
	return check_done("test_ports_threads");
}
