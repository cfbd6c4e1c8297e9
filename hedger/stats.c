/* stats.c: `hedger stats` and the counter printing shared with attach. */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "commands.h"
#include "log.h"
#include "state.h"

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
		"dups_dropped=%llu no_class=%llu clone_failed=%llu orphaned=%llu\n",
		(unsigned long long)c[HC_REQUESTS], (unsigned long long)c[HC_CLONES],
		(unsigned long long)c[HC_HEDGES_SENT],
		(unsigned long long)c[HC_CLONE_DROPPED_REPLY_WON],
		(unsigned long long)c[HC_REPLIES], (unsigned long long)c[HC_DUP_REPLIES_DROPPED],
		(unsigned long long)c[HC_NO_CLASS], (unsigned long long)c[HC_CLONE_FAILED],
		(unsigned long long)c[HC_CLONE_ORPHANED]);
	fflush(f);
}

int stats_print_hist(FILE *f, int hist_fd, uint32_t idx)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t sum[HEDGER_HIST_SLOTS] = { 0 }, max = 0;
	struct hedger_hist *vals;
	int last = -1;

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

/* print_services - each service's address and its latency histogram. */
static int print_services(uint32_t services_id, int hist_fd)
{
	struct hedger_service_key key, next;
	struct hedger_service_val val;
	int fd = bpf_map_get_fd_by_id(services_id), err = 0;
	void *prev = NULL;

	if (fd < 0)
		return -errno;
	while (!err && !bpf_map_get_next_key(fd, prev, &next)) {
		char addr[INET6_ADDRSTRLEN] = "?";

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &val))
			continue;
		inet_ntop(key.family == 6 ? AF_INET6 : AF_INET, key.addr.a, addr, sizeof(addr));
		printf("\nservice %s%s%s:%u latency (first reply):\n", key.family == 6 ? "[" : "",
		       addr, key.family == 6 ? "]" : "", ntohs(key.port));
		err = stats_print_hist(stdout, hist_fd, val.index);
	}
	close(fd);
	return err;
}

static void stats_usage(FILE *f)
{
	fprintf(f,
		"Usage: hedger stats --dev IF\n"
		"Print the counters and latency histograms of the hedger attached to IF\n"
		"in this network namespace.\n"
		"Example: hedger stats --dev veth0\n");
}

int cmd_stats(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dev", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *dev = NULL;
	struct hedger_state_file st;
	uint64_t c[HC_COUNT];
	int cfd = -1, hfd = -1, ifindex, opt, err;

	while ((opt = getopt_long(argc, argv, "d:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'd': dev = optarg; break;
		case 'h': stats_usage(stdout); return 0;
		default: stats_usage(stderr); return 2;
		}
	}
	if (!dev || optind != argc) {
		log_error("stats needs --dev IF and nothing else (try hedger stats --help)");
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
	cfd = bpf_map_get_fd_by_id(st.map_counters);
	hfd = bpf_map_get_fd_by_id(st.map_hist);
	if (cfd < 0 || hfd < 0) {
		log_error("cannot open the maps of hedger pid %d: %s", st.pid, strerror(errno));
		err = -errno;
		goto cleanup;
	}
	err = stats_read_counters(cfd, c);
	if (err)
		goto cleanup;
	printf("dev %s pid %d backend %s delay %lluus hook %s\n", st.dev, st.pid, st.backend,
	       (unsigned long long)st.delay_ns / 1000, st.hook);
	stats_print_counters(stdout, c);
	err = print_services(st.map_services, hfd);
cleanup:
	if (cfd >= 0)
		close(cfd);
	if (hfd >= 0)
		close(hfd);
	return err ? 1 : 0;
}
