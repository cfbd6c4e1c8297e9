#include "stats.h"

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

void stats_print(FILE *out, const char *when, double elapsed_s, const struct chaos_stats *s,
		 const struct replay_stats *rs, uint32_t replay_entries)
{
	fprintf(out, "chaos-server: stats (%s): elapsed=%.3fs received=%llu replied=%llu fast=%llu "
		"stalled=%llu replay_hits=%llu dropped_short=%llu dropped_oversize=%llu "
		"send_errors=%llu nobufs=%llu inflight=%llu evictions=%llu replay_entries=%u "
		"pauses=%llu timers_late=%llu timer_late_max=%.3fms\n",
		when, elapsed_s, (unsigned long long)s->received, (unsigned long long)s->replied,
		(unsigned long long)s->fast, (unsigned long long)s->stalled,
		(unsigned long long)s->replay_hits, (unsigned long long)s->dropped_short,
		(unsigned long long)s->dropped_oversize, (unsigned long long)s->send_errors,
		(unsigned long long)s->nobufs, (unsigned long long)s->inflight,
		(unsigned long long)rs->evictions, replay_entries, (unsigned long long)s->pauses,
		(unsigned long long)s->timers_late, (double)s->timer_late_max_ns / 1e6);
	fflush(out);
}
