/* --pause-every/--pause-for: the server stops answering for the pause (like a
 * stop-the-world GC) and answers what it held right after it. */
#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>

#include "harness.h"

#define N 240          /* one request every 5 ms for 1.2 s */

int main(int argc, char **argv)
{
	const char *args[] = { "-b", "127.0.0.1", "-p", "0", "--fast", "0", "--fault-rate", "0",
			       "--pause-every", "400ms", "--pause-for", "150ms", "--pause-jitter", "0", NULL };
	struct harness h;
	int rc, fd, slow = 0, quick = 0;
	double worst = 0;
	uint8_t buf[16];

	harness_start(&h, argv[1], args);
	fd = harness_socket(AF_INET);
	for (uint32_t i = 0; i < N; i++) {
		uint64_t t0 = harness_now_ns();
		double ms;

		harness_send_id(fd, h.port, i, NULL, 0);
		if (harness_recv(fd, buf, sizeof(buf), 1000) != 4 || harness_id(buf) != i) {
			CHECK(0, "request %u not answered", i);
			break;
		}
		ms = (double)(harness_now_ns() - t0) / 1e6;
		worst = ms > worst ? ms : worst;
		slow += ms > 50;     /* held by a pause */
		quick += ms < 20;
		while (harness_now_ns() - t0 < 5000000ULL)
			;
	}
	printf("slowest %.1f ms, %d held by a pause, %d quick\n", worst, slow, quick);
	/* pauses at 0.4 s and 0.8 s after start: a request in each waits up to 150 ms */
	CHECK(slow >= 2, "only %d requests were held by a pause", slow);
	CHECK(worst >= 100 && worst < 150 + 100, "slowest %.1f ms, want up to ~150 ms", worst);
	CHECK(quick >= N / 2, "only %d quick replies", quick);
	rc = harness_stop(&h, SIGTERM);
	CHECK(rc == 0, "exit status %d", rc);
	CHECK(harness_stat(&h, "pauses") >= 2, "pauses=%lld", harness_stat(&h, "pauses"));
	return check_done("test_pause");
}
