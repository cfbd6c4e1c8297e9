/* detach.c: `hedger detach` - stop a running instance, or clean up after a
 * killed one: its veth pair (with the qdiscs on it), clsact filters of the
 * tc fallback, and its state file. TCX links die with the process. */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "hook.h"
#include "log.h"
#include "netlink.h"
#include "state.h"
#include "timeutil.h"

static void detach_usage(FILE *f)
{
	fprintf(f,
		"Usage: hedger detach --dev IF\n"
		"Stop the hedger attached to IF (SIGTERM) or remove what a killed one left:\n"
		"its khd<ifindex>a/b veth pair and qdiscs, tc fallback filters, state file.\n"
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
	const char *dev = NULL;
	int ifindex, aidx, opt, err, have_state, removed = 0;

	while ((opt = getopt_long(argc, argv, "d:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'd': dev = optarg; break;
		case 'h': detach_usage(stdout); return 0;
		default: detach_usage(stderr); return 2;
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
	}
	if (have_state && !strcmp(st.hook, "tc")) {
		if (hook_tc_remove_stale(ifindex, true, st.tc_hook_created[0]) ||
		    hook_tc_remove_stale(ifindex, false, st.tc_hook_created[1]))
			log_warn("could not remove the tc filters on %s", dev);
		removed = 1;
	}
	state_line_names(ifindex, a, b);
	aidx = (int)if_nametoindex(a);
	if (aidx) {
		err = nl_open(&nl);
		if (!err)
			err = nl_link_delete(&nl, aidx);
		nl_close(&nl);
		if (err) {
			log_error("cannot delete %s: %s", a, strerror(-err));
			return 1;
		}
		printf("deleted delay line %s/%s\n", a, b);
		removed = 1;
	}
	if (have_state || removed) {
		state_remove(ifindex);
		printf("detached from %s\n", dev);
	} else {
		printf("nothing to detach on %s\n", dev);
	}
	return 0;
}
