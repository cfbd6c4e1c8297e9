/* attach_instance.c: set up and tear down one hedger instance (see
 * attach_instance.h). */
#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/if_arp.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "attach_config.h"
#include "attach_instance.h"
#include "commands.h"
#include "hedger.skel.h"
#include "lathist_print.h"
#include "log.h"
#include "probe.h"
#include "state.h"
#include "timeutil.h"

/* dev_l2_len - bytes before the IP header at TC on this device type. */
static int dev_l2_len(const char *dev)
{
	struct ifreq ifr;
	int fd, err = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr))
		err = -errno;
	close(fd);
	if (err)
		return err;
	if (ifr.ifr_hwaddr.sa_family == ARPHRD_ETHER || ifr.ifr_hwaddr.sa_family == ARPHRD_LOOPBACK)
		return 14;
	return -EPROTONOSUPPORT;
}

static int check_leftovers(const struct attach_opts *o, int ifindex)
{
	struct hedger_state_file st;
	char a[IFNAMSIZ], b[IFNAMSIZ];

	if (!state_read(ifindex, &st) && state_pid_alive(&st)) {
		log_error("a hedger (pid %d) is already attached to %s", st.pid, o->dev);
		return -EBUSY;
	}
	state_line_names(ifindex, a, b);
	if (if_nametoindex(a) || !state_read(ifindex, &st) ||
	    hook_tc_present(ifindex, true) || hook_tc_present(ifindex, false)) {
		log_error("leftovers of a killed hedger on %s: run hedger detach --dev %s first",
			  o->dev, o->dev);
		return -EEXIST;
	}
	return 0;
}

static int line_for(struct instance *in, const struct attach_opts *o, int backend)
{
	struct line_cfg lc = {
		.backend = backend,
		.macvlan = o->line_macvlan && backend == HEDGER_BACKEND_HTB,
		.delay_ns = o->delay_ns,
		.classes = (uint32_t)o->classes,
		.htb_rate_Bps = config_htb_rate(o),
		.htb_charge_bytes = config_htb_charge(o),
		.htb_tier_ns = line_htb_tier_ns(o->release_grid_ns),
	};

	return line_create(&in->nl, in->ifindex, &lc, &in->line);
}

static void line_error(struct instance *in, int backend, int err)
{
	log_error("cannot create the %s delay line: %s%s%s", hedger_backend_name(backend),
		  strerror(-err), in->nl.err_msg[0] ? ": " : "", in->nl.err_msg);
}

/* build_line - the delay line of the asked backend, or with auto the first
 * of edt, htb, recirc whose line the kernel accepts. Only the backend used
 * is tried: creating its line is the probe. */
static int build_line(struct instance *in, const struct attach_opts *o, const struct probe_result *pr)
{
	static const int order[] = { HEDGER_BACKEND_EDT, HEDGER_BACKEND_HTB, HEDGER_BACKEND_RECIRC };
	int b = o->backend, err = -ENOENT;

	if (b >= 0) {
		if (pr->backend_ok[b])
			err = line_for(in, o, b);
		if (pr->backend_ok[b] && (!err || !in->line.qdisc_failed)) {
			if (err)
				line_error(in, b, err);
			in->backend = b;
			return err;
		}
		{
			/* Only on this error path: which backends would work. */
			struct probe_result full;
			char avail[128];
			const char *why = pr->why[b];
			char because[200];

			if (pr->backend_ok[b]) {
				snprintf(because, sizeof(because), "%s (%s)", probe_backend_need(b),
					 strerror(-err));
				why = because;
			}
			probe_run(&full, true);
			log_error("backend %s unavailable: %s; available: %s", hedger_backend_name(b),
				  why, probe_available_list(&full, avail, sizeof(avail)));
			return -EOPNOTSUPP;
		}
	}
	for (unsigned i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		b = order[i];
		if (!pr->backend_ok[b])
			continue;
		err = line_for(in, o, b);
		if (!err) {
			in->backend = b;
			return 0;
		}
		if (!in->line.qdisc_failed) {
			line_error(in, b, err);
			return err;
		}
		log_debug("auto: %s: %s", hedger_backend_name(b), probe_backend_need(b));
	}
	log_error("no delay-line backend works on this kernel (%s)", pr->why[HEDGER_BACKEND_RECIRC]);
	return -EOPNOTSUPP;
}

static uint32_t map_id(const struct bpf_map *m)
{
	struct bpf_map_info info;
	uint32_t len = sizeof(info);

	memset(&info, 0, sizeof(info));
	return bpf_obj_get_info_by_fd(bpf_map__fd(m), &info, &len) ? 0 : info.id;
}

static uint32_t prog_id(const struct bpf_program *p)
{
	struct bpf_prog_info info;
	uint32_t len = sizeof(info);

	memset(&info, 0, sizeof(info));
	return bpf_obj_get_info_by_fd(bpf_program__fd(p), &info, &len) ? 0 : info.id;
}

/* write_state - first before any hook exists (what detach needs after a
 * kill: line names, hook kind, whether the clsact is ours), then again with
 * the map and program ids once everything is attached. */
static int write_state(struct instance *in, const struct attach_opts *o)
{
	struct hedger_state_file st;
	struct hedger_bpf *sk = in->skel;
	bool ids = in->hooks[INST_SPLITTER].attached;
	int err;

	memset(&st, 0, sizeof(st));
	st.pid = getpid();
	st.ifindex = in->ifindex;
	snprintf(st.dev, sizeof(st.dev), "%s", o->dev);
	snprintf(st.backend, sizeof(st.backend), "%s", hedger_backend_name(in->backend));
	snprintf(st.hook, sizeof(st.hook), "%s", in->hook == HOOK_TCX ? "tcx" : "tc");
	st.tc_hook_created[0] = in->clsact_created;
	snprintf(st.line_a, sizeof(st.line_a), "%s", in->line.a);
	snprintf(st.line_b, sizeof(st.line_b), "%s", in->line.b);
	st.delay_ns = o->delay_ns;
	st.adaptive = o->adaptive_permille != 0;
	st.budget = o->budget_on;
	if (ids) {
		st.map_counters = map_id(sk->maps.counters);
		st.map_scoreboard = map_id(sk->maps.scoreboard);
		st.map_hist = map_id(sk->maps.latency_hist);
		st.map_endpoints = map_id(sk->maps.endpoints);
		st.map_policy = map_id(sk->maps.policy);
		st.map_budget = map_id(sk->maps.budget);
		st.map_replicas = map_id(sk->maps.replicas);
		st.map_replica_stats = map_id(sk->maps.replica_stats);
		st.map_release_late = map_id(sk->maps.release_late);
		st.prog_ids[0] = prog_id(sk->progs.hedger_splitter);
		st.prog_ids[1] = prog_id(sk->progs.hedger_reply_filter);
		st.prog_ids[2] = prog_id(sk->progs.hedger_rescuer);
	}
	err = state_write(&st);
	if (err) {
		log_error("cannot write the state file under " STATE_DIR ": %s", strerror(-err));
		return err;
	}
	in->state_written = true;
	return 0;
}

static int attach_hooks(struct instance *in, const struct attach_opts *o)
{
	struct hedger_bpf *sk = in->skel;
	int err;

	/* Rescuer and reply filter before the splitter: no clone or reply may
	 * arrive before the program that handles it. */
	err = hook_attach(&in->hooks[INST_RESCUER], in->hook,
			  bpf_program__fd(sk->progs.hedger_rescuer), in->line.b_ifindex, true);
	if (!err && in->line.m_ifindex)
		err = hook_attach(&in->hooks[INST_RESCUER_LOWER], in->hook,
				  bpf_program__fd(sk->progs.hedger_rescuer), in->line.a_ifindex, false);
	if (!err)
		err = hook_attach(&in->hooks[INST_REPLY_FILTER], in->hook,
				  bpf_program__fd(sk->progs.hedger_reply_filter), in->ifindex, true);
	if (!err)
		err = hook_attach(&in->hooks[INST_SPLITTER], in->hook,
				  bpf_program__fd(sk->progs.hedger_splitter), in->ifindex, false);
	if (err)
		log_error("cannot attach to %s with %s: %s", o->dev,
			  in->hook == HOOK_TCX ? "TCX" : "clsact", strerror(-err));
	return err;
}

int instance_setup(struct instance *in, const struct attach_opts *o)
{
	struct config_env env;
	struct probe_result pr;
	int l2_len, err;

	l2_len = dev_l2_len(o->dev);
	if (l2_len < 0) {
		log_error("interface %s: %s", o->dev, l2_len == -EPROTONOSUPPORT ?
			  "not an Ethernet or loopback device" : strerror(-l2_len));
		return l2_len;
	}
	err = check_leftovers(o, in->ifindex);
	if (err)
		return err;
	probe_run(&pr, false);	/* hooks and helpers only: no throw-away veth */
	if (o->hook == HOOK_TCX && !pr.tcx) {
		log_error("--hook tcx unavailable: %s", pr.tcx_why);
		return -EOPNOTSUPP;
	}
	in->hook = o->hook >= 0 ? (enum hook_kind)o->hook : pr.tcx ? HOOK_TCX : HOOK_TC;

	err = nl_open(&in->nl);
	if (err) {
		log_error("cannot open rtnetlink: %s", strerror(-err));
		return err;
	}
	/* The line first: its ifindexes are knobs of the programs. */
	err = build_line(in, o, &pr);
	if (err)
		return err;
	if (o->line_cpu_on) {
		err = line_steer_rx(&in->line, (unsigned)o->line_cpu);
		if (err)
			return err;
	}
	if (in->hook == HOOK_TC) {
		err = hook_tc_prepare(in->ifindex, &in->clsact_created);
		if (err) {
			log_error("cannot add a clsact qdisc to %s: %s", o->dev, strerror(-err));
			return err;
		}
	}
	err = write_state(in, o);
	if (err)
		return err;

	memset(&env, 0, sizeof(env));
	env.backend = in->backend;
	env.ifindex = in->ifindex;
	env.l2_len = l2_len;
	env.line_a_ifindex = in->line.a_ifindex;
	env.line_b_ifindex = in->line.b_ifindex;
	env.line_m_ifindex = in->line.m_ifindex;
	env.htb_rate_Bps = config_htb_rate(o);
	env.htb_charge_bytes = config_htb_charge(o);
	err = config_load(&in->skel, o, &env);
	if (!err)
		err = attach_hooks(in, o);
	if (!err)
		err = write_state(in, o);
	/* Last: the rescuer that sends the poll packet round is attached. */
	if (!err && o->line_poll)
		err = line_poll_start(&in->poll, bpf_map__fd(in->skel->maps.line_poll),
				      in->line.a_ifindex);
	return err;
}

uint64_t instance_drain_ns(uint64_t delay_ns, uint64_t rtt_ns)
{
	uint64_t d = delay_ns + rtt_ns;

	return d > INSTANCE_DRAIN_MAX_NS ? INSTANCE_DRAIN_MAX_NS : d;
}

/* rtt_estimate_ns - the upper edge of the histogram bucket that holds the
 * median first-reply latency over every service; 0 without replies. */
static uint64_t rtt_estimate_ns(struct instance *in, const struct attach_opts *o)
{
	struct lathist sum, all = { 0 };
	int fd = bpf_map__fd(in->skel->maps.latency_hist);

	for (uint32_t i = 0; i < (uint32_t)o->nservices; i++)
		if (!stats_hist_sum(fd, i, &sum))
			lathist_add(&all, &sum);
	return lathist_quantile_upper_us(&all, 500) * NSEC_PER_USEC;
}

void instance_stop(struct instance *in, const struct attach_opts *o, volatile sig_atomic_t *hurry)
{
	uint64_t cnt[HC_COUNT], wait_ns = 0, end;
	bool hedged = false;

	/* Stop cloning, then drop what waits in the line (the rescuer goes
	 * with it); hedges already sent still get their duplicates dropped
	 * until their replies are in. The poll packet ends at its next round. */
	line_poll_stop(&in->poll);
	hook_detach(&in->hooks[INST_SPLITTER]);
	hook_detach(&in->hooks[INST_RESCUER]);
	hook_detach(&in->hooks[INST_RESCUER_LOWER]);
	line_destroy(&in->nl, &in->line);
	if (in->skel && in->hooks[INST_REPLY_FILTER].attached) {
		hedged = !stats_read_counters(bpf_map__fd(in->skel->maps.counters), cnt) &&
			 (cnt[HC_HEDGES_SENT] || cnt[HC_TIED_COPIES]);
		if (hedged)
			wait_ns = instance_drain_ns(aopts_max_delay_ns(o), rtt_estimate_ns(in, o));
	}
	end = time_mono_ns() + wait_ns;
	while (wait_ns && !*hurry && time_mono_ns() < end)
		usleep(10000);
	hook_detach(&in->hooks[INST_REPLY_FILTER]);
	if (in->clsact_created)
		hook_tc_destroy(in->ifindex);
	in->clsact_created = false;
}

void instance_destroy(struct instance *in)
{
	if (in->state_written)
		state_remove(in->ifindex);
	in->state_written = false;
	nl_close(&in->nl);
	hedger_bpf__destroy(in->skel);
	in->skel = NULL;
}
