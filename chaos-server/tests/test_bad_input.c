/* Garbage, empty, short and oversized datagrams are dropped and counted; the
 * server keeps answering valid requests between and after them. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "harness.h"

static int answered(int fd, unsigned int port, uint32_t id)
{
	uint8_t buf[64];

	if (harness_send_id(fd, port, id, "ok", 2))
		return 0;
	return harness_recv(fd, buf, sizeof(buf), 1000) == 6 && harness_id(buf) == id;
}

int main(int argc, char **argv)
{
	const char *args[] = { "-b", "127.0.0.1", "-p", "0", "--max-size", "512", "--fast", "1ms", NULL };
	static uint8_t big[65000];
	struct harness h;
	int rc, fd, good, n_short = 0, n_over = 0, n_garbage = 0;
	uint8_t buf[64];

	harness_start(&h, argv[1], args);
	fd = harness_socket(AF_INET);     /* bad input (and the random requests) */
	good = harness_socket(AF_INET);   /* the valid requests checked for answers */
	srandom(42);
	for (int round = 0; round < 20; round++) {
		size_t glen = 4 + (size_t)(random() % 500);

		harness_send(fd, h.port, "", 0);
		harness_send(fd, h.port, "x", 1);
		harness_send(fd, h.port, "xyz", 3);
		n_short += 3;
		harness_send(fd, h.port, big, 513);               /* one byte over */
		harness_send(fd, h.port, big, sizeof(big));        /* far over */
		n_over += 2;
		for (size_t i = 0; i < glen; i++)                  /* random bytes: a valid request */
			big[i] = (uint8_t)random();
		harness_send(fd, h.port, big, glen);
		n_garbage++;
		memset(big, 0xff, sizeof(big));
		CHECK(answered(good, h.port, 5000 + (uint32_t)round * 100 + 50),
		      "no answer after bad input, round %d", round);
	}
	/* replies to the random-but-long-enough datagrams: echoed, possibly after
	 * a stall; just drain what came so far */
	while (harness_recv(fd, buf, sizeof(buf), 0) > 0)
		;
	rc = harness_stop(&h, SIGTERM);
	CHECK(rc == 0, "exit status %d", rc);
	printf("%s", h.out);
	CHECK(harness_stat(&h, "dropped_short") == n_short, "dropped_short=%lld, want %d",
	      harness_stat(&h, "dropped_short"), n_short);
	CHECK(harness_stat(&h, "dropped_oversize") == n_over, "dropped_oversize=%lld, want %d",
	      harness_stat(&h, "dropped_oversize"), n_over);
	CHECK(harness_stat(&h, "received") == n_short + n_over + n_garbage + 20,
	      "received=%lld, want %d", harness_stat(&h, "received"), n_short + n_over + n_garbage + 20);
	return check_done("test_bad_input");
}
