/* stats.c: `hedger stats` and the counter printing shared with attach. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <net/if.h>
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "budget.h"
#include "cli.h"
#include "commands.h"
#include "lathist_print.h"
#include "log.h"
#include "parse.h"
#include "state.h"
#include "timeutil.h"

/* Names and help texts from the one counter list (counters.h). */
#define COUNTER_NAME(e, name, help) [HC_##e] = name,
#define COUNTER_HELP(e, name, help) [HC_##e] = help,
static const char *const counter_names[HC_COUNT] = { HEDGER_COUNTERS(COUNTER_NAME) };
static const char *const counter_help[HC_COUNT] = { HEDGER_COUNTERS(COUNTER_HELP) };
#undef COUNTER_NAME
#undef COUNTER_HELP

const char *stats_counter_name(int i)
{
	return i >= 0 && i < HC_COUNT ? counter_names[i] : "?";
}

int resolve_dev(const char *name)
{
	unsigned int idx = if_nametoindex(name);

	if (!idx) {
		log_error("unknown interface '%s' in this network namespace", name);
		return -ENODEV;
	}
	return (int)idx;
}

int stats_read_counters(int fd, uint64_t out[HC_COUNT])
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t *vals;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	vals = calloc((size_t)ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	/* One lookup per counter, while the programs keep counting: read the
	 * list backwards, so a counter is read before the ones it follows
	 * from (clones, replies, hedges before requests, hedges_sent before
	 * clones) and a snapshot never shows more clones than requests. */
	for (uint32_t i = HC_COUNT; i-- > 0;) {
		out[i] = 0;
		if (bpf_map_lookup_elem(fd, &i, vals))
			continue;
		for (int c = 0; c < ncpu; c++)
			out[i] += vals[c];
	}
	free(vals);
	return 0;
}

void stats_print_counters(FILE *f, const uint64_t c[HC_COUNT])
{
	for (int i = 0; i < HC_COUNT; i++)
		fprintf(f, "%-28s %llu\n", counter_names[i], (unsigned long long)c[i]);
}

void stats_print_line(FILE *f, const uint64_t c[HC_COUNT])
{
	fprintf(f, "requests=%llu clones=%llu hedges=%llu reply_won=%llu replies=%llu "
		"dups_dropped=%llu no_class=%llu clone_failed=%llu orphaned=%llu "
		"budget_denied=%llu to_replica=%llu\n",
		(unsigned long long)c[HC_REQUESTS], (unsigned long long)c[HC_CLONES],
		(unsigned long long)c[HC_HEDGES_SENT],
		(unsigned long long)c[HC_CLONE_DROPPED_REPLY_WON],
		(unsigned long long)c[HC_REPLIES], (unsigned long long)c[HC_DUP_REPLIES_DROPPED],
		(unsigned long long)c[HC_NO_CLASS], (unsigned long long)c[HC_CLONE_FAILED],
		(unsigned long long)c[HC_CLONE_ORPHANED], (unsigned long long)c[HC_BUDGET_DENIED],
		(unsigned long long)c[HC_HEDGES_TO_REPLICA]);
	fflush(f);
}

int stats_hist_sum(int hist_fd, uint32_t idx, struct lathist *sum)
{
	int ncpu = libbpf_num_possible_cpus();
	struct lathist *vals;

	memset(sum, 0, sizeof(*sum));
	if (ncpu <= 0)
		return -EINVAL;
	vals = calloc((size_t)ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	if (bpf_map_lookup_elem(hist_fd, &idx, vals)) {
		free(vals);
		return -errno;
	}
	for (int c = 0; c < ncpu; c++)
		lathist_add(sum, &vals[c]);
	free(vals);
	return 0;
}

/* The maps of a running instance, opened by id. */
struct stats_maps {
	int counters, hist, endpoints, policy, budget, replicas, replica_stats, release_late;
};

static void stats_maps_close(struct stats_maps *m)
{
	int *fds[] = { &m->counters, &m->hist, &m->endpoints, &m->policy, &m->budget,
		       &m->replicas, &m->replica_stats, &m->release_late };

	for (unsigned int i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

static int stats_maps_open(struct stats_maps *m, const struct hedger_state_file *st)
{
	m->counters = bpf_map_get_fd_by_id(st->map_counters);
	m->hist = bpf_map_get_fd_by_id(st->map_hist);
	m->endpoints = bpf_map_get_fd_by_id(st->map_endpoints);
	/* Absent (0) in state files of older instances: those sections are skipped. */
	m->policy = st->map_policy ? bpf_map_get_fd_by_id(st->map_policy) : -1;
	m->budget = st->map_budget ? bpf_map_get_fd_by_id(st->map_budget) : -1;
	m->replicas = st->map_replicas ? bpf_map_get_fd_by_id(st->map_replicas) : -1;
	m->replica_stats = st->map_replica_stats ?
			   bpf_map_get_fd_by_id(st->map_replica_stats) : -1;
	m->release_late = st->map_release_late ?
			  bpf_map_get_fd_by_id(st->map_release_late) : -1;
	if (m->counters < 0 || m->hist < 0 || m->endpoints < 0)
		return -errno;
	return 0;
}

/* ep_text - "198.18.0.2:9999" or "[2001:2::2]:9999" (lib's formatter). */
static void ep_text(const struct nat_endpoint *ep, char *buf, size_t len)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (ep->family == 6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, ep->addr, 16);
		s6->sin6_port = ep->port;
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, ep->addr, 4);
		s4->sin_port = ep->port;
	}
	format_endpoint((struct sockaddr *)&ss, buf, len);
}

/* One service: its key, index and optional policy state. */
struct svc_view {
	uint32_t index;
	char name[64];
	bool has_policy, has_budget, has_replicas;
	struct lathist_svc pol;
	struct budget bud;
	struct hedger_replicas rep;
	struct hedger_replica_stats rs;	/* summed over CPUs */
};

/* replica_stats_sum - the per-CPU replica counters of service @idx, summed. */
static void replica_stats_sum(int fd, uint32_t idx, struct hedger_replica_stats *out)
{
	int ncpu = libbpf_num_possible_cpus();
	struct hedger_replica_stats *per;

	memset(out, 0, sizeof(*out));
	if (fd < 0 || ncpu <= 0)
		return;
	per = calloc((size_t)ncpu, sizeof(*per));
	if (!per)
		return;
	if (!bpf_map_lookup_elem(fd, &idx, per)) {
		for (int c = 0; c < ncpu; c++) {
			for (int k = 0; k < HEDGER_MAX_REPLICAS; k++) {
				out->replies[k] += per[c].replies[k];
				out->hedges[k] += per[c].hedges[k];
			}
		}
	}
	free(per);
}

/* svc_next - the service in the endpoint table's first service slot from
 * *@cursor on, into @v; *@cursor moves past it. */
static int svc_next(const struct stats_maps *m, const struct hedger_state_file *st,
		    uint32_t *cursor, struct svc_view *v)
{
	struct hedger_endpoint e;
	struct nat_endpoint ep;

	for (;; (*cursor)++) {
		if (*cursor >= HEDGER_EP_SLOTS)
			return -ENOENT;
		if (!bpf_map_lookup_elem(m->endpoints, cursor, &e) && e.kind == HEDGER_EP_SERVICE)
			break;
	}
	(*cursor)++;
	memset(v, 0, sizeof(*v));
	v->index = e.service;
	memset(&ep, 0, sizeof(ep));
	memcpy(ep.addr, e.addr.a, 16);
	ep.port = e.port;
	ep.family = e.family;
	ep_text(&ep, v->name, sizeof(v->name));
	v->has_policy = st->adaptive && m->policy >= 0 &&
			!bpf_map_lookup_elem(m->policy, &v->index, &v->pol);
	v->has_budget = st->budget && m->budget >= 0 &&
			!bpf_map_lookup_elem(m->budget, &v->index, &v->bud);
	v->has_replicas = m->replicas >= 0 &&
			  !bpf_map_lookup_elem(m->replicas, &v->index, &v->rep) && v->rep.n > 1;
	if (v->has_replicas)
		replica_stats_sum(m->replica_stats, v->index, &v->rs);
	return 0;
}

/* release_late_sum - the hedges' release lateness (map release_late,
 * summed over CPUs); -errno without the map (an older instance). */
static int release_late_sum(const struct stats_maps *m, struct lathist *h)
{
	memset(h, 0, sizeof(*h));
	return m->release_late < 0 ? -ENOENT : stats_hist_sum(m->release_late, 0, h);
}

static void print_release_late_text(FILE *f, const struct stats_maps *m)
{
	struct lathist h;

	if (release_late_sum(m, &h) || !lathist_count(&h))
		return;
	fprintf(f, "\nhedge release lateness (release - planned release; %llu hedges, "
		"p50 <= %llu us, p99 <= %llu us, max <= %llu us):\n",
		(unsigned long long)lathist_count(&h),
		(unsigned long long)lathist_quantile_upper_us(&h, 500),
		(unsigned long long)lathist_quantile_upper_us(&h, 990),
		(unsigned long long)lathist_quantile_upper_us(&h, 1000));
	lathist_print_log2(f, &h);
}

static void print_service_text(FILE *f, const struct stats_maps *m, const struct svc_view *v)
{
	struct lathist hist;

	fprintf(f, "\nservice %s latency (first reply, since attach):\n", v->name);
	if (!stats_hist_sum(m->hist, v->index, &hist))
		lathist_print_log2(f, &hist);
	if (v->has_policy) {
		fprintf(f, "adaptive delay: %.3f ms (target p%u.%u = %.3f ms, clamp %.3f..%.3f ms, "
			"%llu recent samples, %llu recomputes)\n",
			v->pol.st.delay_ns / 1e6, v->pol.cfg.p_permille / 10,
			v->pol.cfg.p_permille % 10, v->pol.st.pct_ns / 1e6, v->pol.cfg.min_ns / 1e6,
			v->pol.cfg.max_ns / 1e6, (unsigned long long)v->pol.st.total,
			(unsigned long long)v->pol.st.recomputes);
		fprintf(f, "recent latency (decaying window of the adaptive delay):\n");
		lathist_print_log2(f, &v->pol.hist);
	}
	if (v->has_budget)
		fprintf(f, "budget: %u.%u%% + burst %u; credits %.3f hedges; requests %llu, "
			"granted %llu, denied %llu\n", v->bud.ratio_milli / 10, v->bud.ratio_milli % 10,
			v->bud.burst, (double)v->bud.credits / BUDGET_UNIT,
			(unsigned long long)v->bud.requests, (unsigned long long)v->bud.granted,
			(unsigned long long)v->bud.denied);
	if (v->has_replicas) {
		if (v->rep.tied)
			fprintf(f, "replicas (tied %u):\n", v->rep.tied);
		else
			fprintf(f, "replicas (%s):\n", v->rep.policy == HEDGER_RP_FASTEST ?
				"fastest" : "round-robin");
		for (uint32_t i = 0; i < v->rep.n && i < HEDGER_MAX_REPLICAS; i++) {
			char name[64];

			ep_text(&v->rep.ep[i], name, sizeof(name));
			fprintf(f, "  %-28s %-8s latency %8.3f ms  replies %-8llu hedges %llu\n", name,
				i ? "" : "(VIP)", v->rep.lat_ewma_ns[i] / 1e6,
				(unsigned long long)v->rs.replies[i],
				(unsigned long long)v->rs.hedges[i]);
		}
	}
}

static int svc_by_index(const void *a, const void *b)
{
	uint32_t x = ((const struct svc_view *)a)->index, y = ((const struct svc_view *)b)->index;

	return x < y ? -1 : x > y;
}

/* svc_all - every service of the instance into @v (at most @max). */
static int svc_all(const struct stats_maps *m, const struct hedger_state_file *st,
		   struct svc_view *v, int max)
{
	uint32_t cursor = 0;
	int n = 0;

	while (n < max && !svc_next(m, st, &cursor, &v[n]))
		n++;
	/* In the order they were given (the table's order is its hash's). */
	qsort(v, (size_t)n, sizeof(*v), svc_by_index);
	return n;
}

static void prom_family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* prom_lathist - the samples of histogram family @family for @h, labelled
 * @label="@value": cumulative log2 buckets (row k holds [2^k, 2^(k+1)) us: le
 * is its upper edge; the last row also holds everything above the top edge,
 * so it is only in +Inf), _sum from the bucket middles, _count. */
static void prom_lathist(FILE *f, const char *family, const char *label, const char *value,
			 const struct lathist *h)
{
	uint64_t rows[LATHIST_LOG2_ROWS], cum = 0;

	lathist_fold_log2(h, rows);
	for (int k = 0; k < LATHIST_LOG2_ROWS - 1; k++) {
		cum += rows[k];
		fprintf(f, "%s_bucket{%s=\"%s\",le=\"%g\"} %llu\n", family, label, value,
			(double)(1ULL << (k + 1)) / 1e6, (unsigned long long)cum);
	}
	fprintf(f, "%s_bucket{%s=\"%s\",le=\"+Inf\"} %llu\n", family, label, value,
		(unsigned long long)lathist_count(h));
	fprintf(f, "%s_sum{%s=\"%s\"} %.9f\n", family, label, value, lathist_mid_sum_us(h) / 1e6);
	fprintf(f, "%s_count{%s=\"%s\"} %llu\n", family, label, value,
		(unsigned long long)lathist_count(h));
}

/* print_release_late_prom - the release lateness as a log2 histogram. */
static void print_release_late_prom(FILE *f, const struct stats_maps *m,
				    const struct hedger_state_file *st)
{
	struct lathist h;

	if (release_late_sum(m, &h))
		return;
	prom_family(f, "hedger_release_lateness_seconds", "histogram",
		    "how late each hedge left the delay line against its planned release "
		    "(log2 buckets; _sum estimated from bucket middles)");
	prom_lathist(f, "hedger_release_lateness_seconds", "dev", st->dev, &h);
}

/* PROM_PER_SERVICE - in print_prom: the family @family, then one sample of
 * @value (in @fmt) for each service v[i] whose @on is set. */
#define PROM_PER_SERVICE(on, family, type, help, fmt, value)					\
	do {											\
		prom_family(f, family, type, help);						\
		for (int i = 0; i < n; i++)							\
			if (v[i].on)								\
				fprintf(f, family "{service=\"%s\"} " fmt "\n", v[i].name, value); \
	} while (0)

/* PROM_PER_REPLICA - as PROM_PER_SERVICE, one sample per replica r of each
 * service with replicas. */
#define PROM_PER_REPLICA(family, type, help, fmt, value)						\
	do {											\
		prom_family(f, family, type, help);						\
		for (int i = 0; i < n; i++)							\
			for (uint32_t r = 0; v[i].has_replicas && r < v[i].rep.n &&		\
					     r < HEDGER_MAX_REPLICAS; r++) {			\
				ep_text(&v[i].rep.ep[r], rep, sizeof(rep));			\
				fprintf(f, family "{service=\"%s\",replica=\"%s\"} " fmt "\n",	\
					v[i].name, rep, value);					\
			}									\
	} while (0)

static void print_prom(FILE *f, const struct stats_maps *m, const struct hedger_state_file *st,
		       const uint64_t c[HC_COUNT], const struct svc_view *v, int n)
{
	bool any_pol = false, any_bud = false, any_rep = false;
	char name[128], rep[64];

	for (int i = 0; i < HC_COUNT; i++) {
		snprintf(name, sizeof(name), "hedger_%s_total", counter_names[i]);
		prom_family(f, name, "counter", counter_help[i]);
		fprintf(f, "%s{dev=\"%s\"} %llu\n", name, st->dev, (unsigned long long)c[i]);
	}
	prom_family(f, "hedger_latency_seconds", "histogram",
		    "first-reply latency per service since attach (log2 buckets; _sum estimated from bucket middles)");
	for (int i = 0; i < n; i++) {
		struct lathist hist;

		any_pol |= v[i].has_policy;
		any_bud |= v[i].has_budget;
		any_rep |= v[i].has_replicas;
		if (stats_hist_sum(m->hist, v[i].index, &hist))
			continue;
		prom_lathist(f, "hedger_latency_seconds", "service", v[i].name, &hist);
	}
	print_release_late_prom(f, m, st);
	if (any_pol) {
		PROM_PER_SERVICE(has_policy, "hedger_adaptive_delay_seconds", "gauge",
				 "current adaptive hedge delay per service", "%.9f",
				 v[i].pol.st.delay_ns / 1e9);
		PROM_PER_SERVICE(has_policy, "hedger_adaptive_percentile_seconds", "gauge",
				 "last target percentile of recent latency, before clamping", "%.9f",
				 v[i].pol.st.pct_ns / 1e9);
		PROM_PER_SERVICE(has_policy, "hedger_adaptive_recomputes_total", "counter",
				 "adaptive delay recomputations run in the kernel", "%llu",
				 (unsigned long long)v[i].pol.st.recomputes);
	}
	if (any_bud) {
		PROM_PER_SERVICE(has_budget, "hedger_budget_credits", "gauge",
				 "hedges the budget allows right now", "%.3f",
				 (double)v[i].bud.credits / BUDGET_UNIT);
		PROM_PER_SERVICE(has_budget, "hedger_budget_granted_total", "counter",
				 "hedges the budget allowed", "%llu", (unsigned long long)v[i].bud.granted);
		PROM_PER_SERVICE(has_budget, "hedger_budget_denied_total", "counter",
				 "hedges the budget refused (clone dropped)", "%llu",
				 (unsigned long long)v[i].bud.denied);
	}
	if (!any_rep)
		return;
	PROM_PER_REPLICA("hedger_replica_latency_seconds", "gauge",
			 "recent reply latency of each replica (EWMA 1/8)", "%.9f",
			 v[i].rep.lat_ewma_ns[r] / 1e9);
	PROM_PER_REPLICA("hedger_replica_replies_total", "counter",
			 "replies seen from each replica (also late ones)", "%llu",
			 (unsigned long long)v[i].rs.replies[r]);
	PROM_PER_REPLICA("hedger_replica_hedges_total", "counter", "hedges sent to each replica",
			 "%llu", (unsigned long long)v[i].rs.hedges[r]);
}
#undef PROM_PER_SERVICE
#undef PROM_PER_REPLICA

/* print_json - one JSON object on one line (JSON Lines under --watch).
 * Every string written is a counter name, an interface name or an
 * address:port: none needs escaping beyond what json_str does. */
static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		if ((unsigned char)*s >= 0x20)
			fputc(*s, f);
	}
	fputc('"', f);
}

static void print_json_service(FILE *f, const struct stats_maps *m, const struct svc_view *v)
{
	uint64_t rows[LATHIST_LOG2_ROWS], total = 0;
	struct lathist hist;
	char rep[64];
	int last = -1;

	fprintf(f, "{\"service\":");
	json_str(f, v->name);
	fprintf(f, ",\"index\":%u,\"latency_log2_us\":[", v->index);
	if (!stats_hist_sum(m->hist, v->index, &hist)) {
		lathist_fold_log2(&hist, rows);
		for (int s = 0; s < LATHIST_LOG2_ROWS; s++)
			if (rows[s])
				last = s;
		for (int s = 0; s <= last; s++) {
			total += rows[s];
			fprintf(f, "%s{\"from_us\":%llu,\"to_us\":%llu,\"count\":%llu}", s ? "," : "",
				s ? 1ULL << s : 0ULL, 1ULL << (s + 1), (unsigned long long)rows[s]);
		}
	}
	fprintf(f, "],\"latency_count\":%llu", (unsigned long long)total);
	if (v->has_policy)
		fprintf(f, ",\"adaptive\":{\"delay_ns\":%llu,\"percentile_permille\":%u,"
			"\"percentile_ns\":%llu,\"min_ns\":%llu,\"max_ns\":%llu,\"samples\":%llu,"
			"\"recomputes\":%llu}", (unsigned long long)v->pol.st.delay_ns,
			v->pol.cfg.p_permille, (unsigned long long)v->pol.st.pct_ns,
			(unsigned long long)v->pol.cfg.min_ns, (unsigned long long)v->pol.cfg.max_ns,
			(unsigned long long)v->pol.st.total, (unsigned long long)v->pol.st.recomputes);
	if (v->has_budget)
		fprintf(f, ",\"budget\":{\"ratio_milli\":%u,\"burst\":%u,\"credits_milli\":%lld,"
			"\"requests\":%llu,\"granted\":%llu,\"denied\":%llu}", v->bud.ratio_milli,
			v->bud.burst, (long long)v->bud.credits, (unsigned long long)v->bud.requests,
			(unsigned long long)v->bud.granted, (unsigned long long)v->bud.denied);
	if (v->has_replicas) {
		fprintf(f, ",\"replicas\":{\"policy\":\"%s\",\"tied\":%u,\"endpoints\":[",
			v->rep.policy == HEDGER_RP_FASTEST ? "fastest" : "round-robin", v->rep.tied);
		for (uint32_t r = 0; r < v->rep.n && r < HEDGER_MAX_REPLICAS; r++) {
			ep_text(&v->rep.ep[r], rep, sizeof(rep));
			fprintf(f, "%s{\"endpoint\":", r ? "," : "");
			json_str(f, rep);
			fprintf(f, ",\"vip\":%s,\"latency_ewma_ns\":%llu,\"replies\":%llu,\"hedges\":%llu}",
				r ? "false" : "true", (unsigned long long)v->rep.lat_ewma_ns[r],
				(unsigned long long)v->rs.replies[r], (unsigned long long)v->rs.hedges[r]);
		}
		fprintf(f, "]}");
	}
	fputc('}', f);
}

/* print_release_late_json - ,"release_late":{count, percentiles (bucket
 * upper edges, us) and the non-empty fine buckets as [upper_us, count]}. */
static void print_release_late_json(FILE *f, const struct stats_maps *m)
{
	struct lathist h;
	bool first = true;

	if (release_late_sum(m, &h))
		return;
	fprintf(f, ",\"release_late\":{\"count\":%llu,\"p50_us\":%llu,\"p99_us\":%llu,"
		"\"p999_us\":%llu,\"max_us\":%llu,\"buckets\":[", (unsigned long long)lathist_count(&h),
		(unsigned long long)lathist_quantile_upper_us(&h, 500),
		(unsigned long long)lathist_quantile_upper_us(&h, 990),
		(unsigned long long)lathist_quantile_upper_us(&h, 999),
		(unsigned long long)lathist_quantile_upper_us(&h, 1000));
	for (uint32_t b = 0; b < LATHIST_BUCKETS; b++) {
		if (!h.counts[b])
			continue;
		fprintf(f, "%s[%llu,%llu]", first ? "" : ",",
			(unsigned long long)lathist_upper_us(b), (unsigned long long)h.counts[b]);
		first = false;
	}
	fprintf(f, "]}");
}

static void print_json(FILE *f, const struct stats_maps *m, const struct hedger_state_file *st,
		       const uint64_t c[HC_COUNT], const struct svc_view *v, int n)
{
	fprintf(f, "{\"dev\":");
	json_str(f, st->dev);
	fprintf(f, ",\"pid\":%d,\"backend\":", st->pid);
	json_str(f, st->backend);
	fprintf(f, ",\"hook\":");
	json_str(f, st->hook);
	fprintf(f, ",\"delay_ns\":%llu,\"adaptive\":%s,\"time_unix_ns\":%llu,\"counters\":{",
		(unsigned long long)st->delay_ns, st->adaptive ? "true" : "false",
		(unsigned long long)time_real_ns());
	for (int i = 0; i < HC_COUNT; i++)
		fprintf(f, "%s\"%s\":%llu", i ? "," : "", counter_names[i], (unsigned long long)c[i]);
	fputc('}', f);
	print_release_late_json(f, m);
	fprintf(f, ",\"services\":[");
	for (int i = 0; i < n; i++) {
		if (i)
			fputc(',', f);
		print_json_service(f, m, &v[i]);
	}
	fprintf(f, "]}\n");
}

enum stats_format { FMT_TEXT, FMT_PROM, FMT_JSON };

/* stats_snapshot - everything once, in @fmt. */
static int stats_snapshot(FILE *f, const struct stats_maps *m, const struct hedger_state_file *st,
			  enum stats_format fmt)
{
	struct svc_view *v;
	uint64_t c[HC_COUNT];
	int n, err;

	err = stats_read_counters(m->counters, c);
	if (err)
		return err;
	v = calloc(HEDGER_MAX_SERVICES, sizeof(*v));
	if (!v)
		return -ENOMEM;
	n = svc_all(m, st, v, HEDGER_MAX_SERVICES);
	if (fmt == FMT_PROM) {
		print_prom(f, m, st, c, v, n);
	} else if (fmt == FMT_JSON) {
		print_json(f, m, st, c, v, n);
	} else {
		fprintf(f, "dev %s pid %d backend %s delay %lluus%s hook %s\n", st->dev, st->pid,
			st->backend, (unsigned long long)st->delay_ns / 1000,
			st->adaptive ? " (initial; adaptive)" : "", st->hook);
		stats_print_counters(f, c);
		for (int i = 0; i < n; i++)
			print_service_text(f, m, &v[i]);
		print_release_late_text(f, m);
	}
	free(v);
	fflush(f);
	return 0;
}

static void stats_usage(FILE *f)
{
	fprintf(f,
		"Usage: hedger stats --dev IF [--prometheus | --json] [--watch INTERVAL [--count N]]\n"
		"Print the counters, per-service latency histograms (log2 bars), the adaptive\n"
		"delay, the hedge budget and per-replica state of the hedger attached to IF\n"
		"in this network namespace.\n"
		"\n"
		"  -d, --dev IF            interface the hedger is attached to\n"
		"  -p, --prometheus        Prometheus text exposition format\n"
		"  -j, --json              one JSON object per snapshot, on one line: counters\n"
		"                          by name, then per service (see hedger/README.md)\n"
		"  -w, --watch INTERVAL    refresh every INTERVAL until Ctrl-C or the hedger exits\n"
		"  -n, --count N           with --watch: stop after N refreshes\n"
		"  -h, --help\n"
		"\n"
		"Examples:\n"
		"  hedger stats --dev veth0\n"
		"  hedger stats --dev veth0 --watch 1s\n"
		"  hedger stats --dev veth0 --json | jq .counters.hedges_sent\n"
		"  hedger stats --dev veth0 --prometheus > /var/lib/node_exporter/hedger.prom\n");
}

static volatile sig_atomic_t stats_stop;

static void stats_on_signal(int sig)
{
	stats_stop = sig;
}

int cmd_stats(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dev", required_argument, NULL, 'd' },
		{ "prometheus", no_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "watch", required_argument, NULL, 'w' },
		{ "count", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct stats_maps m = { -1, -1, -1, -1, -1, -1, -1, -1 };
	const char *dev = NULL;
	struct hedger_state_file st;
	uint64_t watch_ns = 0, count = 0, done = 0;
	enum stats_format fmt = FMT_TEXT;
	int ifindex, opt, err, formats = 0;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":d:pjw:n:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'd': dev = optarg; break;
		case 'p': fmt = FMT_PROM; formats++; break;
		case 'j': fmt = FMT_JSON; formats++; break;
		case 'w':
			if (parse_duration_ns("--watch", optarg, &watch_ns))
				return 2;
			if (watch_ns < 10 * NSEC_PER_MSEC) {
				log_error("bad --watch '%s': at least 10ms", optarg);
				return 2;
			}
			break;
		case 'n':
			if (parse_u64("--count", optarg, 1, UINT32_MAX, &count))
				return 2;
			break;
		case 'h': stats_usage(stdout); return 0;
		default: cli_getopt_error("stats", opt, argv); return 2;
		}
	}
	if (!dev || optind != argc) {
		log_error("stats needs --dev IF and nothing else (try hedger stats --help)");
		return 2;
	}
	if (formats > 1) {
		log_error("--prometheus and --json exclude each other");
		return 2;
	}
	if (count && !watch_ns) {
		log_error("--count needs --watch INTERVAL");
		return 2;
	}
	ifindex = resolve_dev(dev);
	if (ifindex < 0)
		return 1;
	err = state_read(ifindex, &st);
	if (err || !state_pid_alive(&st) || !st.map_counters) {
		log_error("no running hedger on %s%s", dev,
			  err || state_pid_alive(&st) ? "" : " (stale state: run hedger detach --dev IF)");
		return 1;
	}
	err = stats_maps_open(&m, &st);
	if (err) {
		log_error("cannot open the maps of hedger pid %d: %s", st.pid, strerror(-err));
		goto cleanup;
	}
	if (!watch_ns) {
		err = stats_snapshot(stdout, &m, &st, fmt);
		goto cleanup;
	}
	signal(SIGINT, stats_on_signal);
	signal(SIGTERM, stats_on_signal);
	while (!stats_stop) {
		/* Clear the terminal only for people, not for a pipe or a file. */
		if (fmt == FMT_TEXT && isatty(STDOUT_FILENO))
			fputs("\033[H\033[2J", stdout);
		else if (done && fmt != FMT_JSON)
			fputs(fmt == FMT_PROM ? "\n" : "\n----\n", stdout);
		err = stats_snapshot(stdout, &m, &st, fmt);
		done++;
		if (err || (count && done >= count))
			break;
		if (!state_pid_alive(&st)) {
			/* On stderr under --json: stdout stays JSON Lines. */
			fprintf(fmt == FMT_JSON ? stderr : stdout, "hedger pid %d exited\n", st.pid);
			break;
		}
		usleep((useconds_t)(watch_ns / 1000));
	}
cleanup:
	stats_maps_close(&m);
	return err ? 1 : 0;
}
