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
#include "commands.h"
#include "lathist_print.h"
#include "log.h"
#include "parse.h"
#include "state.h"
#include "timeutil.h"

static const char *const counter_names[HC_COUNT] = {
	[HC_REQUESTS] = "requests",
	[HC_CLONES] = "clones",
	[HC_CLONE_FAILED] = "clone_failed",
	[HC_NO_CLASS] = "htb_no_free_class",
	[HC_RETRANSMITS] = "retransmits_not_cloned",
	[HC_HEDGE_LOOPED] = "hedges_passed_loop_guard",
	[HC_HEDGES_SENT] = "hedges_sent",
	[HC_CLONE_DROPPED_REPLY_WON] = "clones_dropped_reply_won",
	[HC_CLONE_ORPHANED] = "clones_orphaned",
	[HC_DUMMIES_DROPPED] = "htb_dummies_dropped",
	[HC_RECIRC_ROUNDS] = "recirc_rounds",
	[HC_REPLIES] = "replies",
	[HC_DUP_REPLIES_DROPPED] = "duplicate_replies_dropped",
	[HC_REPLY_UNKNOWN] = "replies_unknown_request",
	[HC_SB_INSERT_FAILED] = "scoreboard_insert_failed",
	[HC_SKIP_NOT_IP] = "skipped_not_ip",
	[HC_SKIP_NOT_UDP] = "skipped_not_udp",
	[HC_SKIP_FRAGMENT] = "skipped_fragment",
	[HC_SKIP_IPV6_EXTHDR] = "skipped_ipv6_exthdr",
	[HC_SKIP_SHORT_PAYLOAD] = "skipped_short_payload",
	[HC_BUDGET_DENIED] = "hedges_denied_budget",
	[HC_HEDGES_TO_REPLICA] = "hedges_to_other_replica",
	[HC_NAT_FAILED] = "nat_failed",
	[HC_REPLIES_REVERSE_NAT] = "replies_reverse_nat",
	[HC_ADAPTIVE_ARM_FAILED] = "adaptive_timer_failed",
	[HC_TIED_COPIES] = "tied_copies",
};

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
	for (uint32_t i = 0; i < HC_COUNT; i++) {
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

/* hist_sum - the per-CPU log2 histogram of service @idx, summed. */
static int hist_sum(int hist_fd, uint32_t idx, uint64_t sum[HEDGER_HIST_SLOTS])
{
	int ncpu = libbpf_num_possible_cpus();
	struct hedger_hist *vals;

	memset(sum, 0, sizeof(uint64_t) * HEDGER_HIST_SLOTS);
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
		for (int s = 0; s < HEDGER_HIST_SLOTS; s++)
			sum[s] += vals[c].slot[s];
	free(vals);
	return 0;
}

int stats_print_hist(FILE *f, int hist_fd, uint32_t idx)
{
	uint64_t sum[HEDGER_HIST_SLOTS], max = 0;
	int last = -1, err;

	err = hist_sum(hist_fd, idx, sum);
	if (err)
		return err;
	for (int s = 0; s < HEDGER_HIST_SLOTS; s++) {
		if (sum[s] > max)
			max = sum[s];
		if (sum[s])
			last = s;
	}
	fprintf(f, "%20s : %-10s |%-40s|\n", "latency (us)", "count", "distribution");
	for (int s = 0; s <= last; s++) {
		int bar = max ? (int)(sum[s] * 40 / max) : 0;
		char stars[41];

		memset(stars, '*', (size_t)bar);
		stars[bar] = '\0';
		fprintf(f, "%9llu -> %-9llu : %-10llu |%-40s|\n",
			s ? 1ULL << s : 0ULL, (1ULL << (s + 1)) - 1,
			(unsigned long long)sum[s], stars);
	}
	return 0;
}

/* The maps of a running instance, opened by id. */
struct stats_maps {
	int counters, hist, services, policy, budget, replicas;
};

static void stats_maps_close(struct stats_maps *m)
{
	int *fds[] = { &m->counters, &m->hist, &m->services, &m->policy, &m->budget,
		       &m->replicas };

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
	m->services = bpf_map_get_fd_by_id(st->map_services);
	/* Absent (0) in state files of older instances: those sections are skipped. */
	m->policy = st->map_policy ? bpf_map_get_fd_by_id(st->map_policy) : -1;
	m->budget = st->map_budget ? bpf_map_get_fd_by_id(st->map_budget) : -1;
	m->replicas = st->map_replicas ? bpf_map_get_fd_by_id(st->map_replicas) : -1;
	if (m->counters < 0 || m->hist < 0 || m->services < 0)
		return -errno;
	return 0;
}

static void ep_text(const struct nat_endpoint *ep, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN] = "?";

	inet_ntop(ep->family == 6 ? AF_INET6 : AF_INET, ep->addr, addr, sizeof(addr));
	snprintf(buf, len, "%s%s%s:%u", ep->family == 6 ? "[" : "", addr,
		 ep->family == 6 ? "]" : "", ntohs(ep->port));
}

/* One service: its key, index and optional policy state. */
struct svc_view {
	struct hedger_service_key key;
	uint32_t index;
	char name[64];
	bool has_policy, has_budget, has_replicas;
	struct lathist_svc pol;
	struct budget bud;
	struct hedger_replicas rep;
};

/* svc_next - the service after *@prev (the first when *@first), into @v. */
static int svc_next(const struct stats_maps *m, const struct hedger_state_file *st,
		    struct hedger_service_key *prev, bool *first, struct svc_view *v)
{
	struct hedger_service_key next;
	struct hedger_service_val val;
	struct nat_endpoint ep;

	for (;;) {
		if (bpf_map_get_next_key(m->services, *first ? NULL : prev, &next))
			return -ENOENT;
		*first = false;
		*prev = next;
		if (!bpf_map_lookup_elem(m->services, &next, &val))
			break;
	}
	memset(v, 0, sizeof(*v));
	v->key = next;
	v->index = val.index;
	memset(&ep, 0, sizeof(ep));
	memcpy(ep.addr, next.addr.a, 16);
	ep.port = next.port;
	ep.family = next.family;
	ep_text(&ep, v->name, sizeof(v->name));
	v->has_policy = st->adaptive && m->policy >= 0 &&
			!bpf_map_lookup_elem(m->policy, &v->index, &v->pol);
	v->has_budget = st->budget && m->budget >= 0 &&
			!bpf_map_lookup_elem(m->budget, &v->index, &v->bud);
	v->has_replicas = m->replicas >= 0 &&
			  !bpf_map_lookup_elem(m->replicas, &v->index, &v->rep) && v->rep.n > 1;
	return 0;
}

static void print_service_text(FILE *f, const struct stats_maps *m, const struct svc_view *v)
{
	fprintf(f, "\nservice %s latency (first reply, since attach):\n", v->name);
	stats_print_hist(f, m->hist, v->index);
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
				(unsigned long long)v->rep.replies[i],
				(unsigned long long)v->rep.hedges[i]);
		}
	}
}

static void print_service_prom(FILE *f, const struct stats_maps *m, const struct svc_view *v)
{
	uint64_t sum[HEDGER_HIST_SLOTS], cum = 0;
	const char *sv = v->name;

	if (!hist_sum(m->hist, v->index, sum)) {
		for (int s = 0; s < HEDGER_HIST_SLOTS; s++) {
			cum += sum[s];
			/* slot s holds [2^s, 2^(s+1)) us: le = its upper edge */
			fprintf(f, "hedger_latency_seconds_bucket{service=\"%s\",le=\"%g\"} %llu\n", sv,
				(double)(1ULL << (s + 1)) / 1e6, (unsigned long long)cum);
		}
		fprintf(f, "hedger_latency_seconds_bucket{service=\"%s\",le=\"+Inf\"} %llu\n", sv,
			(unsigned long long)cum);
		fprintf(f, "hedger_latency_seconds_count{service=\"%s\"} %llu\n", sv,
			(unsigned long long)cum);
	}
	if (v->has_policy) {
		fprintf(f, "hedger_adaptive_delay_seconds{service=\"%s\"} %.9f\n", sv,
			v->pol.st.delay_ns / 1e9);
		fprintf(f, "hedger_adaptive_percentile_seconds{service=\"%s\"} %.9f\n", sv,
			v->pol.st.pct_ns / 1e9);
		fprintf(f, "hedger_adaptive_recomputes_total{service=\"%s\"} %llu\n", sv,
			(unsigned long long)v->pol.st.recomputes);
	}
	if (v->has_budget) {
		fprintf(f, "hedger_budget_credits{service=\"%s\"} %.3f\n", sv,
			(double)v->bud.credits / BUDGET_UNIT);
		fprintf(f, "hedger_budget_granted_total{service=\"%s\"} %llu\n", sv,
			(unsigned long long)v->bud.granted);
		fprintf(f, "hedger_budget_denied_total{service=\"%s\"} %llu\n", sv,
			(unsigned long long)v->bud.denied);
	}
	for (uint32_t i = 0; v->has_replicas && i < v->rep.n && i < HEDGER_MAX_REPLICAS; i++) {
		char name[64];

		ep_text(&v->rep.ep[i], name, sizeof(name));
		fprintf(f, "hedger_replica_latency_seconds{service=\"%s\",replica=\"%s\"} %.9f\n", sv,
			name, v->rep.lat_ewma_ns[i] / 1e9);
		fprintf(f, "hedger_replica_replies_total{service=\"%s\",replica=\"%s\"} %llu\n", sv,
			name, (unsigned long long)v->rep.replies[i]);
		fprintf(f, "hedger_replica_hedges_total{service=\"%s\",replica=\"%s\"} %llu\n", sv,
			name, (unsigned long long)v->rep.hedges[i]);
	}
}

/* stats_snapshot - everything once, as text or Prometheus exposition format. */
static int stats_snapshot(FILE *f, const struct stats_maps *m, const struct hedger_state_file *st,
			  bool prom)
{
	struct hedger_service_key prev;
	struct svc_view v;
	uint64_t c[HC_COUNT];
	bool first = true;
	int err;

	err = stats_read_counters(m->counters, c);
	if (err)
		return err;
	if (prom) {
		for (int i = 0; i < HC_COUNT; i++) {
			fprintf(f, "# TYPE hedger_%s_total counter\n", counter_names[i]);
			fprintf(f, "hedger_%s_total{dev=\"%s\"} %llu\n", counter_names[i], st->dev,
				(unsigned long long)c[i]);
		}
		fprintf(f, "# TYPE hedger_latency_seconds histogram\n");
	} else {
		fprintf(f, "dev %s pid %d backend %s delay %lluus%s hook %s\n", st->dev, st->pid,
			st->backend, (unsigned long long)st->delay_ns / 1000,
			st->adaptive ? " (initial; adaptive)" : "", st->hook);
		stats_print_counters(f, c);
	}
	while (!svc_next(m, st, &prev, &first, &v)) {
		if (prom)
			print_service_prom(f, m, &v);
		else
			print_service_text(f, m, &v);
	}
	fflush(f);
	return 0;
}

static void stats_usage(FILE *f)
{
	fprintf(f,
		"Usage: hedger stats --dev IF [--prometheus] [--watch INTERVAL [--count N]]\n"
		"Print the counters, per-service latency histograms (log2 bars), the adaptive\n"
		"delay, the hedge budget and per-replica state of the hedger attached to IF\n"
		"in this network namespace.\n"
		"\n"
		"  -d, --dev IF            interface the hedger is attached to\n"
		"  -p, --prometheus        Prometheus text exposition format\n"
		"  -w, --watch INTERVAL    refresh every INTERVAL until Ctrl-C or the hedger exits\n"
		"  -n, --count N           with --watch: stop after N refreshes\n"
		"  -h, --help\n"
		"\n"
		"Examples:\n"
		"  hedger stats --dev veth0\n"
		"  hedger stats --dev veth0 --watch 1s\n"
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
		{ "watch", required_argument, NULL, 'w' },
		{ "count", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct stats_maps m = { -1, -1, -1, -1, -1, -1 };
	const char *dev = NULL;
	struct hedger_state_file st;
	uint64_t watch_ns = 0, count = 0, done = 0;
	bool prom = false;
	int ifindex, opt, err;

	while ((opt = getopt_long(argc, argv, "d:pw:n:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'd': dev = optarg; break;
		case 'p': prom = true; break;
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
		default: stats_usage(stderr); return 2;
		}
	}
	if (!dev || optind != argc) {
		log_error("stats needs --dev IF and nothing else (try hedger stats --help)");
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
	if (err || !state_pid_alive(&st)) {
		log_error("no running hedger on %s%s", dev,
			  err ? "" : " (stale state: run hedger detach --dev IF)");
		return 1;
	}
	err = stats_maps_open(&m, &st);
	if (err) {
		log_error("cannot open the maps of hedger pid %d: %s", st.pid, strerror(-err));
		goto cleanup;
	}
	if (!watch_ns) {
		err = stats_snapshot(stdout, &m, &st, prom);
		goto cleanup;
	}
	signal(SIGINT, stats_on_signal);
	signal(SIGTERM, stats_on_signal);
	while (!stats_stop) {
		/* Clear the terminal only for people, not for a pipe or a file. */
		if (!prom && isatty(STDOUT_FILENO))
			fputs("\033[H\033[2J", stdout);
		else if (done)
			fputs(prom ? "\n" : "\n----\n", stdout);
		err = stats_snapshot(stdout, &m, &st, prom);
		done++;
		if (err || (count && done >= count))
			break;
		if (!state_pid_alive(&st)) {
			fprintf(stdout, "hedger pid %d exited\n", st.pid);
			break;
		}
		usleep((useconds_t)(watch_ns / 1000));
	}
cleanup:
	stats_maps_close(&m);
	return err ? 1 : 0;
}
