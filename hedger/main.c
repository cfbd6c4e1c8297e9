/* main.c: the `hedger` CLI - probe, attach, stats, detach. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "commands.h"
#include "log.h"
#include "probe.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: hedger COMMAND [options]\n"
		"Transparent in-kernel hedging of UDP requests with TC eBPF programs.\n"
		"\n"
		"Commands:\n"
		"  probe                 what this kernel supports (hooks, helpers, backends)\n"
		"  attach --dev IF ...   hedge requests leaving IF (foreground; see attach --help)\n"
		"  stats --dev IF        counters, latency histograms, adaptive delay, budget and\n"
		"                        replicas of a running instance (--prometheus, --json,\n"
		"                        --watch)\n"
		"  detach --dev IF       stop an instance or clean up after a killed one\n"
		"\n"
		"Examples:\n"
		"  hedger probe\n"
		"  hedger attach --dev veth0 --service 198.18.0.2:9999 --delay 10ms --backend htb\n"
		"  hedger attach --dev veth0 --service 198.18.1.1:9999=198.18.2.1:9999 --delay p95 \\\n"
		"         --budget 5%%\n"
		"  hedger stats --dev veth0 --watch 1s\n"
		"  hedger detach --dev veth0\n");
}

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG || (level == LIBBPF_INFO && log_get_level() < LOG_LVL_DEBUG))
		return 0;
	if (level == LIBBPF_WARN && log_get_level() < LOG_LVL_DEBUG)
		return 0;	/* the caller prints one clear line instead */
	return vfprintf(stderr, fmt, ap);
}

int cmd_probe(int argc, char **argv)
{
	struct probe_result r;
	char avail[128];
	int auto_b;

	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		printf("Usage: hedger probe\nPrint which hooks, helpers and delay-line backends "
		       "this kernel supports, and why the others are missing.\n"
		       "Example: sudo hedger probe\n");
		return 0;
	}
	if (argc > 1) {
		log_error("probe takes no arguments (got '%s')", argv[1]);
		return 2;
	}
	if (geteuid() != 0) {
		log_error("probe needs root (it loads test programs and tries qdiscs on a temporary veth pair)");
		return 1;
	}
	probe_run(&r, true);
	printf("hook tcx: %s%s%s\n", r.tcx ? "yes" : "no", r.tcx ? "" : " - ", r.tcx_why);
	printf("hook clsact: %s\n", r.clsact ? "yes (fallback)" : "no");
	printf("helper bpf_redirect_neigh: %s\n", r.redirect_neigh ? "yes" : "no");
	printf("helper bpf_skb_set_tstamp: %s\n", r.set_tstamp ? "yes" : "no");
	for (int b = 0; b < HEDGER_BACKEND_COUNT; b++)
		printf("backend %s: %s%s%s\n", hedger_backend_name(b),
		       r.backend_ok[b] ? "yes" : "no", r.backend_ok[b] ? "" : " - ", r.why[b]);
	auto_b = probe_backend_auto(&r);
	printf("available: %s\n", probe_available_list(&r, avail, sizeof(avail)));
	printf("auto: %s\n", auto_b >= 0 ? hedger_backend_name(auto_b) : "none");
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd;

	log_set_program("hedger");
	libbpf_set_print(libbpf_quiet);
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	cmd = argv[1];
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(cmd, "-v") || !strcmp(cmd, "--verbose")) {
		log_set_level(LOG_LVL_DEBUG);
		argv++;
		argc--;
		if (argc < 2) {
			usage(stderr);
			return 2;
		}
		cmd = argv[1];
	}
	/* Subcommands parse argv[1..] as their own argv (getopt skips argv[0]). */
	if (!strcmp(cmd, "probe"))
		return cmd_probe(argc - 1, argv + 1);
	if (!strcmp(cmd, "attach"))
		return cmd_attach(argc - 1, argv + 1);
	if (!strcmp(cmd, "stats"))
		return cmd_stats(argc - 1, argv + 1);
	if (!strcmp(cmd, "detach"))
		return cmd_detach(argc - 1, argv + 1);
	log_error("unknown command '%s' (probe, attach, stats, detach; try --help)", cmd);
	return 2;
}
