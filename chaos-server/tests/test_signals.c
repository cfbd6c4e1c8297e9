/* SIGUSR1 prints the counters and the server keeps running; --stats-interval
 * prints them periodically; SIGTERM and SIGINT stop it with exit 0 and a final
 * stats line. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "harness.h"

int main(int argc, char **argv)
{
	const char *args[] = { "-b", "127.0.0.1", "-p", "0", "--fast", "0", "--stats-interval", "200ms", NULL };
	struct harness h;
	int rc, fd;
	uint8_t buf[16];

	harness_start(&h, argv[1], args);
	fd = harness_socket(AF_INET);
	for (uint32_t id = 10; id < 15; id++) {
		harness_send_id(fd, h.port, id, NULL, 0);
		CHECK(harness_recv(fd, buf, sizeof(buf), 1000) == 4, "id %u not answered", id);
	}
	kill(h.pid, SIGUSR1);
	harness_collect(&h, 300);
	CHECK(strstr(h.out, "stats (SIGUSR1)") != NULL, "no stats line after SIGUSR1");
	CHECK(harness_stat(&h, "replied") >= 5, "replied=%lld after 5 replies", harness_stat(&h, "replied"));
	harness_collect(&h, 300);
	CHECK(strstr(h.out, "stats (interval)") != NULL, "no periodic stats line");
	harness_send_id(fd, h.port, 20, NULL, 0);
	CHECK(harness_recv(fd, buf, sizeof(buf), 1000) == 4, "not answering after SIGUSR1");
	rc = harness_stop(&h, SIGTERM);
	CHECK(rc == 0, "SIGTERM: exit status %d", rc);
	CHECK(strstr(h.out, "stats (exit)") != NULL, "no final stats line after SIGTERM");
	CHECK(harness_stat(&h, "replied") == 6, "final replied=%lld, want 6", harness_stat(&h, "replied"));

	harness_start(&h, argv[1], args);
	rc = harness_stop(&h, SIGINT);
	CHECK(rc == 0, "SIGINT: exit status %d", rc);
	CHECK(strstr(h.out, "stats (exit)") != NULL, "no final stats line after SIGINT");
	return check_done("test_signals");
}
