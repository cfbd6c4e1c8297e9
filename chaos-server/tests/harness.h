/* harness: start chaos-server on 127.0.0.1 (port 0: a free port, read back
 * from its "listening on" line), talk to it over UDP, stop it and read its
 * counters. Shared by the integration tests of suite "server". */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "check.h"

struct harness {
	pid_t pid;
	int out_fd;              /* server stdout (stats lines) */
	int err_fd;              /* server stderr (logs) */
	unsigned int port;       /* first bound port */
	unsigned int ports[8];
	int nports;
	char out[1 << 16];       /* stdout collected so far */
	size_t out_len;
	char err[1 << 14];       /* stderr collected so far */
	size_t err_len;
};

/* harness_start - run @server with @args (NULL-terminated; give "-b" and "-p 0"
 * yourself) and wait up to 5 s until it listens. Ends the test when it
 * cannot: exit 77 when the kernel cannot run it (no io_uring), else 1. */
void harness_start(struct harness *h, const char *server, const char *const args[]);
/* harness_stop - send @sig, wait up to 5 s, collect the output; returns the
 * exit status (0..255), or -1 if it did not exit (then it is killed). */
int harness_stop(struct harness *h, int sig);
/* harness_collect - read what the server printed so far, waiting up to @ms. */
void harness_collect(struct harness *h, int ms);
/* harness_stat - the value of "@key=" in the last stats line of stdout, or -1. */
long long harness_stat(const struct harness *h, const char *key);

/* harness_socket - a UDP client socket of @family (AF_INET/AF_INET6), -1 on error. */
int harness_socket(int family);
/* harness_send - send @len bytes to 127.0.0.1 (or ::1 for an AF_INET6 @fd):@port. */
int harness_send(int fd, unsigned int port, const void *buf, size_t len);
/* harness_send_id - a 4-byte little-endian id followed by @extra. */
int harness_send_id(int fd, unsigned int port, uint32_t id, const void *extra, size_t extra_len);
/* harness_recv - one datagram within @timeout_ms: its length, or -1 on timeout. */
ssize_t harness_recv(int fd, void *buf, size_t cap, int timeout_ms);
/* harness_id - the id at the front of a reply. */
uint32_t harness_id(const void *buf);
uint64_t harness_now_ns(void);
