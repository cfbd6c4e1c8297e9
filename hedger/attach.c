/* attach.c: `hedger attach` - parse the options (attach_opts), build the
 * instance (attach_instance: line, programs, hooks, state file), print
 * counters until a terminating signal, then tear it down. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "attach_config.h"
#include "attach_instance.h"
#include "attach_opts.h"
#include "commands.h"
#include "devkind.h"
#include "hedger.skel.h"
#include "log.h"
#include "timeutil.h"

/* Every signal whose default action ends the process and that can be
 * caught: each one tears the instance down (an ssh session that drops
 * sends SIGHUP). SIGPIPE is ignored instead: a closed stdout only makes
 * the counter lines fail. */
static const int exit_signals[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGALRM };

static volatile sig_atomic_t stop_requested, stop_hurry;

static void on_signal(int sig)
{
	if (stop_requested)
		stop_hurry = sig;	/* a second signal cuts the drain wait short */
	stop_requested = sig;
}

/* install_signals - SA_RESTART: a netlink call in progress completes
 * rather than failing with EINTR after the kernel did the work. */
static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	for (unsigned i = 0; i < sizeof(exit_signals) / sizeof(exit_signals[0]); i++)
		sigaddset(&sa.sa_mask, exit_signals[i]);
	for (unsigned i = 0; i < sizeof(exit_signals) / sizeof(exit_signals[0]); i++) {
		struct sigaction old;

		/* Started under nohup: SIGHUP stays ignored, as asked. */
		if (exit_signals[i] == SIGHUP && !sigaction(SIGHUP, NULL, &old) &&
		    old.sa_handler == SIG_IGN)
			continue;
		sigaction(exit_signals[i], &sa, NULL);
	}
	signal(SIGPIPE, SIG_IGN);
}

static void print_banner(const struct instance *in, const struct attach_opts *o)
{
	printf("backend: %s\n", hedger_backend_name(in->backend));
	if (in->backend == HEDGER_BACKEND_HTB)
		printf("htb hold: %s\n", config_htb_charge(o) ?
		       "size table (one clone, two passes through its class)" :
		       "a grown dummy per request");
	if (in->backend == HEDGER_BACKEND_HTB && config_htb_charge(o) && o->release_grid_ns)
		printf("release grid: %lluus (dense requests: released at the next multiple, up to that late)\n",
		       (unsigned long long)o->release_grid_ns / 1000);
	if (in->skel && in->skel->rodata->cfg_batch)
		printf("carriers: on (dense requests of one grid step share one packet in the line, per CPU)\n");
	if (in->line.m_ifindex)
		printf("line shape: macvlan %s on %s holds the HTB (a release meets the rescuer in one softirq pass)\n",
		       in->line.m, in->line.a);
	printf("hook: %s, delay line %s/%s, delay %lluus, pid %d\n",
	       in->hook == HOOK_TCX ? "tcx" : "tc", in->line.a, in->line.b,
	       (unsigned long long)o->delay_ns / 1000, (int)getpid());
	if (o->adaptive_permille)
		printf("adaptive delay: p%u.%u of recent latency, clamped to %lluus..%lluus\n",
		       o->adaptive_permille / 10, o->adaptive_permille % 10,
		       (unsigned long long)o->delay_min_ns / 1000,
		       (unsigned long long)o->delay_max_ns / 1000);
	if (o->line_poll)
		printf("line poll: CPU %llu polls the line's receive queue (busy while attached)\n",
		       (unsigned long long)o->line_cpu);
	if (o->budget_on)
		printf("budget: %u.%u%% of requests + burst %llu\n", o->budget_milli / 10,
		       o->budget_milli % 10, (unsigned long long)o->budget_burst);
	if (o->any_replicas && o->tied)
		printf("replicas: tied, each request to %llu replicas at once, replies NATed back\n",
		       (unsigned long long)o->tied);
	else if (o->any_replicas)
		printf("replicas: hedges to another replica (%s), replies NATed back\n",
		       o->replica_policy == HEDGER_RP_FASTEST ? "fastest" : "round-robin");
	fflush(stdout);
}

/* run - counter lines every --interval until a signal; with --line-poll,
 * the poll packet's heartbeat every round (50 ms, well inside
 * HEDGER_LINE_POLL_STALE_NS). */
static void run(struct instance *in, const struct attach_opts *o)
{
	int fd = bpf_map__fd(in->skel->maps.counters);
	uint64_t next = time_mono_ns() + o->interval_ns, cnt[HC_COUNT];

	while (!stop_requested) {
		if (o->interval_ns && time_mono_ns() >= next) {
			if (!stats_read_counters(fd, cnt))
				stats_print_line(stdout, cnt);
			next += o->interval_ns;
		}
		switch (line_poll_beat(&in->poll)) {
		case 0:
			break;
		case 1:
			printf("line poll: packet lost, sent a new one (%u so far)\n",
			       in->poll.restarts);
			fflush(stdout);
			break;
		default:
			log_error("--line-poll: cannot send a new poll packet");
		}
		usleep(50000);	/* the signal ends the sleep early */
	}
}

int cmd_attach(int argc, char **argv)
{
	struct instance in;
	struct attach_opts o;
	uint64_t cnt[HC_COUNT];
	bool have_cnt = false;
	int err;

	memset(&in, 0, sizeof(in));
	if (aopts_parse(argc, argv, &o))
		return 2;
	if (o.help)
		return 0;
	if (geteuid() != 0) {
		log_error("attach needs root (CAP_BPF, CAP_NET_ADMIN)");
		return 1;
	}
	in.ifindex = resolve_dev(o.dev);
	if (in.ifindex < 0 || devkind_check(o.dev, in.ifindex))
		return 1;

	install_signals();
	err = instance_setup(&in, &o);
	if (!err) {
		print_banner(&in, &o);
		run(&in, &o);
	}
	instance_stop(&in, &o, &stop_hurry);
	if (!err && in.skel)
		have_cnt = !stats_read_counters(bpf_map__fd(in.skel->maps.counters), cnt);
	instance_destroy(&in);
	/* Printed after the teardown: a closed stdout cannot cut it short. */
	if (have_cnt) {
		printf("final: ");
		stats_print_line(stdout, cnt);
	}
	return err ? 1 : 0;
}
