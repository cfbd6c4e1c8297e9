/* pausesched: when the simulated stop-the-world GC pauses happen. Pure and
 * seeded: pause starts form a Poisson process of the given rate; a start that
 * falls inside the previous pause is moved to that pause's end, so pauses
 * never overlap. Public functions are prefixed pause_. */
#pragma once
#include <stdint.h>

struct pause_sched {
	uint64_t rng;          /* splitmix64 state */
	double rate_hz;
	uint64_t dur_ns;
	uint64_t t_ns;         /* last Poisson arrival, relative to the run start */
	uint64_t busy_until_ns;/* end of the last pause handed out */
};

/* pause_parse_spec - "20ms@1/s" -> 20 ms pauses at 1 per second. The pauses
 * must leave the client running most of the time (dur * rate < 0.5). */
int pause_parse_spec(const char *what, const char *text, uint64_t *dur_ns, double *rate_hz);
void pause_sched_init(struct pause_sched *ps, uint64_t seed, uint64_t dur_ns, double rate_hz);
/* pause_sched_next - start of the next pause, ns after the run start. */
uint64_t pause_sched_next(struct pause_sched *ps);
/* pause_rng_next - the generator itself (splitmix64), exposed for tests. */
uint64_t pause_rng_next(uint64_t *state);
