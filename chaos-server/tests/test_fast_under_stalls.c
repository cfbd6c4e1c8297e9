/* A fast request sent while several stalls are pending is answered within
 * fast + a small margin: a stall is a timer, it never blocks other requests. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "harness.h"

#define N_STALLS 40
#define N_FAST   100
/* Margins over the 2 ms fast path, measured on this 2-vCPU VM (100 requests
 * per run, 40 stalls pending): idle, 20 runs: median 2.06-2.07 ms, max 5.3 ms;
 * stress-ng --cpu 2 on both vCPUs, 15 runs: median 2.11 ms, max 15.9 ms; load
 * average 7.8 from parallel builds: median 2.08 ms, max 49 ms (a runnable
 * server waits for a CFS time slice). So the median must be within 1 ms (10x
 * the measured 0.1 ms excess) - the sensitive check - and every request within
 * 100 ms (2x the worst seen), still 20x below the 2 s a request queued behind
 * a stall would take here. */
#define MEDIAN_MARGIN_MS 1.0
#define MAX_MARGIN_MS 100.0
#define STALL "2s"          /* long, so the stalls stay pending however slow the machine */
#define STALL_NS 2000000000ULL

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	const char *args[] = { "-b", "127.0.0.1", "-p", "0", "--stall", STALL, NULL };
	struct harness h;
	double rtt[N_FAST];
	uint8_t buf[64];
	int stall_fd, fast_fd, rc, got = 0;
	uint64_t t_stalls;

	harness_start(&h, argv[1], args);
	stall_fd = harness_socket(AF_INET);
	fast_fd = harness_socket(AF_INET);

	t_stalls = harness_now_ns();
	for (uint32_t i = 0; i < N_STALLS; i++)   /* ids 0,1,100,101,...: all bad */
		harness_send_id(stall_fd, h.port, (i / 2) * 100 + i % 2, NULL, 0);
	for (uint32_t i = 0; i < N_FAST; i++) {
		uint32_t id = 1000000 + i * 100 + 50;   /* % 100 = 50: good */
		uint64_t t0 = harness_now_ns();
		ssize_t n;

		harness_send_id(fast_fd, h.port, id, NULL, 0);
		n = harness_recv(fast_fd, buf, sizeof(buf), 1000);
		rtt[i] = (double)(harness_now_ns() - t0) / 1e6;
		CHECK(n == 4 && harness_id(buf) == id, "fast request %u: no reply", id);
	}
	/* the test means something only if the stalls were pending throughout */
	CHECK(harness_now_ns() - t_stalls < STALL_NS,
	      "fast phase outlasted the stalls (%.0f ms); the test proves nothing",
	      (double)(harness_now_ns() - t_stalls) / 1e6);
	CHECK(harness_recv(stall_fd, buf, sizeof(buf), 0) < 0, "a stalled reply came early");
	qsort(rtt, N_FAST, sizeof(rtt[0]), cmp_double);
	printf("fast RTT with %d stalls pending: min %.3f median %.3f p99 %.3f max %.3f ms\n",
	       N_STALLS, rtt[0], rtt[N_FAST / 2], rtt[N_FAST * 99 / 100], rtt[N_FAST - 1]);
	CHECK(rtt[0] >= 1.99, "a fast reply came before the 2 ms fast path (%.3f ms)", rtt[0]);
	CHECK(rtt[N_FAST / 2] <= 2.0 + MEDIAN_MARGIN_MS, "median fast reply %.3f ms > %.1f ms",
	      rtt[N_FAST / 2], 2.0 + MEDIAN_MARGIN_MS);
	CHECK(rtt[N_FAST - 1] <= 2.0 + MAX_MARGIN_MS, "slowest fast reply %.3f ms > %.1f ms",
	      rtt[N_FAST - 1], 2.0 + MAX_MARGIN_MS);

	for (int i = 0; i < N_STALLS; i++)
		got += harness_recv(stall_fd, buf, sizeof(buf), 3000) == 4;
	printf("stalled replies: %d of %d, the last by %.0f ms\n", got, N_STALLS,
	       (double)(harness_now_ns() - t_stalls) / 1e6);
	CHECK(harness_now_ns() - t_stalls >= STALL_NS, "stalled replies came before the stall");
	CHECK(got == N_STALLS, "only %d of %d stalled replies", got, N_STALLS);
	rc = harness_stop(&h, SIGTERM);
	CHECK(rc == 0, "exit status %d", rc);
	return check_done("test_fast_under_stalls");
}
