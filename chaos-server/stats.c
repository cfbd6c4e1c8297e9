#include "stats.h"

#include <errno.h>
#include <limits.h>

#include "atomicfile.h"

#define LOAD(p) __atomic_load_n(&(p), __ATOMIC_RELAXED)

void stats_accumulate(struct chaos_stats *dst, const struct chaos_stats *src)
{
	dst->received += LOAD(src->received);
	dst->replied += LOAD(src->replied);
	dst->fast += LOAD(src->fast);
	dst->stalled += LOAD(src->stalled);
	dst->replay_hits += LOAD(src->replay_hits);
	dst->dropped_short += LOAD(src->dropped_short);
	dst->dropped_oversize += LOAD(src->dropped_oversize);
	dst->send_errors += LOAD(src->send_errors);
	dst->nobufs += LOAD(src->nobufs);
	dst->inflight += LOAD(src->inflight);
	dst->pauses += LOAD(src->pauses);
	dst->timers_late += LOAD(src->timers_late);
	if (LOAD(src->timer_late_max_ns) > dst->timer_late_max_ns)
		dst->timer_late_max_ns = LOAD(src->timer_late_max_ns);
}

/* The counters in the order of the stats line. */
#define COUNTERS(s, rs, entries)                                                        \
	{ "received", (s)->received }, { "replied", (s)->replied }, { "fast", (s)->fast }, \
	{ "stalled", (s)->stalled }, { "replay_hits", (s)->replay_hits },                 \
	{ "dropped_short", (s)->dropped_short },                                          \
	{ "dropped_oversize", (s)->dropped_oversize },                                    \
	{ "send_errors", (s)->send_errors }, { "nobufs", (s)->nobufs },                   \
	{ "inflight", (s)->inflight }, { "evictions", (rs)->evictions },                  \
	{ "replay_entries", (entries) }, { "pauses", (s)->pauses },                       \
	{ "timers_late", (s)->timers_late }

struct counter {
	const char *name;
	uint64_t value;
};

void stats_print(FILE *out, const char *when, double elapsed_s, const struct chaos_stats *s,
		 const struct replay_stats *rs, uint32_t replay_entries)
{
	const struct counter c[] = { COUNTERS(s, rs, replay_entries) };

	fprintf(out, "chaos-server: stats (%s): elapsed=%.3fs", when, elapsed_s);
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		fprintf(out, " %s=%llu", c[i].name, (unsigned long long)c[i].value);
	fprintf(out, " timer_late_max=%.3fms\n", (double)s->timer_late_max_ns / 1e6);
	fflush(out);
}

int stats_write_file(const char *path, const char *when, double elapsed_s,
		     const struct chaos_stats *s, const struct replay_stats *rs,
		     uint32_t replay_entries)
{
	const struct counter c[] = { COUNTERS(s, rs, replay_entries) };
	char tmp[PATH_MAX];
	FILE *f = atomicfile_open(path, tmp, sizeof(tmp));

	if (!f)
		return -errno;
	fprintf(f, "when=%s\nelapsed_s=%.3f\n", when, elapsed_s);
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		fprintf(f, "%s=%llu\n", c[i].name, (unsigned long long)c[i].value);
	fprintf(f, "timer_late_max_ns=%llu\n", (unsigned long long)s->timer_late_max_ns);
	return atomicfile_commit(f, tmp, path);
}
