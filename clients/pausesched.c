#include "pausesched.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "parse.h"

int pause_parse_spec(const char *what, const char *text, uint64_t *dur_ns, double *rate_hz)
{
	char dur_text[64];
	const char *at;
	size_t n;
	int err;

	at = text ? strchr(text, '@') : NULL;
	if (!at || at == text || !at[1] || (n = (size_t)(at - text)) >= sizeof(dur_text)) {
		log_error("invalid %s '%s': expected DURATION@RATE, e.g. 20ms@1/s", what,
			  text ? text : "");
		return -EINVAL;
	}
	memcpy(dur_text, text, n);
	dur_text[n] = '\0';
	err = parse_duration_ns(what, dur_text, dur_ns);
	if (err)
		return err;
	err = parse_rate_hz(what, at + 1, rate_hz);
	if (err)
		return err;
	if (*dur_ns == 0 || *rate_hz <= 0) {
		log_error("invalid %s '%s': duration and rate must both be above zero", what, text);
		return -EINVAL;
	}
	/* Past one half the client would be paused more than it runs. */
	if ((double)*dur_ns * 1e-9 * *rate_hz >= 0.5) {
		log_error("invalid %s '%s': pauses would take half the time or more "
			  "(duration x rate must stay below 0.5)", what, text);
		return -EINVAL;
	}
	return 0;
}

uint64_t pause_rng_next(uint64_t *state)
{
	/* splitmix64 (Steele, Lea, Flood 2014): one add, three xor-shift-multiplies. */
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void pause_sched_init(struct pause_sched *ps, uint64_t seed, uint64_t dur_ns, double rate_hz)
{
	memset(ps, 0, sizeof(*ps));
	ps->rng = seed;
	ps->dur_ns = dur_ns;
	ps->rate_hz = rate_hz;
}

uint64_t pause_sched_next(struct pause_sched *ps)
{
	/* u in (0, 1]: 53 random bits, never 0 so log() stays finite. */
	double u = (double)((pause_rng_next(&ps->rng) >> 11) + 1) * 0x1.0p-53;
	double gap_ns = -log(u) / ps->rate_hz * 1e9;
	uint64_t start;

	ps->t_ns += (uint64_t)gap_ns;
	start = ps->t_ns > ps->busy_until_ns ? ps->t_ns : ps->busy_until_ns;
	ps->busy_until_ns = start + ps->dur_ns;
	return start;
}
