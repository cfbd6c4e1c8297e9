/* detach.c: `hedger detach` - stop a running instance, or clean up after a
 * killed one: its veth pair (with the qdiscs on it), clsact filters of the
 * tc fallback (found by the hedger's own handle and priority, with or
 * without a state file), its state file, and throw-away pairs of killed
 * probes. TCX links die with the process. */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "hook.h"
#include "log.h"
#include "netlink.h"
#include "probe.h"
#include "state.h"
#include "timeutil.h"

static void detach_usage(FILE *f)
{
	fprintf(f,
		"Usage: hedger detach --dev IF\n"
		"Stop the hedger attached to IF (SIGTERM) or remove what a killed one left:\n"
		"its khd<ifindex>a/b veth pair and qdiscs, its tc fallback filters (handle\n"
		"and priority 0x6b68, even without a state file), the state file, and the\n"
		"khp<pid>a/b pairs of killed probes in this network namespace.\n"
		"Example: hedger detach --dev veth0\n");
}

static int stop_running(const struct hedger_state_file *st)
{
	uint64_t deadline = time_mono_ns() + 5 * NSEC_PER_SEC;

	if (kill(st->pid, SIGTERM))
		return -errno;
	while (state_pid_alive(st)) {
		if (time_mono_ns() > deadline) {
			log_error("hedger pid %d did not stop within 5 s", st->pid);
			return -ETIMEDOUT;
		}
		usleep(20000);
	}
	printf("stopped hedger pid %d\n", st->pid);
	return 0;
}

int cmd_detach(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dev", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct hedger_state_file st;
	char a[IFNAMSIZ], b[IFNAMSIZ];
	struct nl_handle nl;
	bool was_live = false;
	const char *dev = NULL;
	int ifindex, aidx, opt, err, have_state, removed = 0, probes;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":d:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'd': dev = optarg; break;
		case 'h': detach_usage(stdout); return 0;
		default: cli_getopt_error("detach", opt, argv); return 2;
		}
	}
	if (!dev || optind != argc) {
		log_error("detach needs --dev IF and nothing else (try hedger detach --help)");
		return 2;
	}
	if (geteuid() != 0) {
		log_error("detach needs root (CAP_NET_ADMIN)");
		return 1;
	}
	ifindex = resolve_dev(dev);
	if (ifindex < 0)
		return 1;

	have_state = state_read(ifindex, &st) == 0;
	if (have_state && state_pid_alive(&st)) {
		/* A live instance removes its own objects on SIGTERM. */
		err = stop_running(&st);
		if (err)
			return 1;
		removed = 1;
		was_live = true;
	}
	/* The filters carry the hedger's own handle/priority: remove them
	 * whatever the state file says (a kill can come before it is written). */
	{
		int in_rm = hook_tc_remove_stale(ifindex, true, false);
		int eg_rm = hook_tc_remove_stale(ifindex, false, false);

		if (in_rm < 0 || eg_rm < 0)
			log_warn("could not remove the tc filters on %s", dev);
		if (in_rm > 0 || eg_rm > 0) {
			printf("removed the hedger's tc filters from %s\n", dev);
			removed = 1;
		}
		/* Its clsact only when the state file says the hedger made it. */
		if (have_state && !was_live && !strcmp(st.hook, "tc") &&
		    (st.tc_hook_created[0] || st.tc_hook_created[1]))
			hook_tc_destroy(ifindex);
	}
	err = nl_open(&nl);
	if (err) {
		log_error("cannot open rtnetlink: %s", strerror(-err));
		return 1;
	}
	state_line_names(ifindex, a, b);
	aidx = (int)if_nametoindex(a);
	if (aidx) {
		err = nl_link_delete(&nl, aidx);
		if (err) {
			log_error("cannot delete %s: %s", a, strerror(-err));
			nl_close(&nl);
			return 1;
		}
		printf("deleted delay line %s/%s\n", a, b);
		removed = 1;
	}
	probes = probe_sweep_stale(&nl);
	nl_close(&nl);
	if (probes > 0)
		printf("deleted %d pair(s) left by killed probes\n", probes);
	if (have_state || removed) {
		state_remove(ifindex);
		printf("detached from %s\n", dev);
	} else {
		printf("nothing to detach on %s\n", dev);
	}
	return 0;
}
