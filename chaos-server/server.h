/* server: one io_uring worker of chaos-server. Multishot recvmsg on every
 * socket with a provided buffer ring; each request keeps its buffer (payload
 * and client address) until its echo is sent, so nothing is copied; the delay
 * of a reply is an IORING_OP_TIMEOUT, never a sleeping thread. Public
 * functions are prefixed server_. */
#pragma once
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>

#include "fault.h"
#include "replay.h"
#include "stats.h"

struct server_cfg {
	struct fault_cfg fault;
	uint32_t max_size;       /* largest datagram answered, bytes */
	uint32_t nbufs;          /* receive buffers per worker (power of two) */
	uint64_t start_ns;       /* CLOCK_MONOTONIC start, origin of the pause schedule */
};

struct server_worker {
	int index;
	const struct server_cfg *cfg;
	struct replay *replay;   /* shared by all workers */
	const int *fds;          /* this worker's sockets (not owned) */
	int nfds;
	int stop_fd;             /* eventfd: readable = stop */
	sem_t *started;          /* posted once the worker is ready or failed */
	int err;                 /* 0 or -errno once it returns */
	struct chaos_stats stats;
	pthread_t thread;
};

/* server_worker_main - pthread body; runs until stop_fd is readable or a fatal
 * error (then sets err and raises SIGUSR2 in the process). */
void *server_worker_main(void *arg);
