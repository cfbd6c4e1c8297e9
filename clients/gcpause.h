/* gcpause: simulated stop-the-world GC pauses of the client thread. A pauser
 * thread follows the seeded pause schedule (pausesched.h) and signals the
 * target thread, whose handler sleeps until the pause ends: the thread stops
 * wherever it is (blocked in epoll_wait, between a reply and its processing,
 * before a hedge), as a managed runtime's safepoint pause would stop it.
 * Public functions are prefixed gcp_. */
#pragma once
#include <pthread.h>
#include <stdint.h>

struct gcpause;

/* gcp_start - pause @target for @dur_ns at @rate_hz, schedule seeded with
 * @seed and counted from @start_ns (CLOCK_MONOTONIC). 0 or -errno. */
int gcp_start(struct gcpause **out, pthread_t target, uint64_t start_ns,
	      uint64_t dur_ns, double rate_hz, uint64_t seed);
/* gcp_stop - stop the pauser, report how many pauses the target took and
 * their measured total length, and free @g (NULL is fine). */
void gcp_stop(struct gcpause *g, uint64_t *pauses, uint64_t *paused_ns);
