/* probe.c: detect hooks, helpers and delay-line backends. */
#include <errno.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "netlink.h"
#include "probe.h"
#include "state.h"

static bool btf_enum_has(const struct btf *btf, const char *enum_name, const char *value)
{
	const struct btf_type *t;
	const struct btf_enum *e;
	int id, i;

	id = btf__find_by_name_kind(btf, enum_name, BTF_KIND_ENUM);
	if (id < 0)
		return false;
	t = btf__type_by_id(btf, id);
	e = btf_enum(t);
	for (i = 0; i < btf_vlen(t); i++, e++)
		if (!strcmp(btf__name_by_offset(btf, e->name_off), value))
			return true;
	return false;
}

static bool btf_has_func(const struct btf *btf, const char *name)
{
	return btf__find_by_name_kind(btf, name, BTF_KIND_FUNC) > 0;
}

static void why(struct probe_result *r, int b, const char *fmt, const char *arg)
{
	r->backend_ok[b] = false;
	snprintf(r->why[b], sizeof(r->why[b]), fmt, arg);
}

const char *probe_backend_need(int b)
{
	switch (b) {
	case HEDGER_BACKEND_NETEM: return "kernel has no netem qdisc";
	case HEDGER_BACKEND_EDT: return "kernel has no sch_fq qdisc";
	case HEDGER_BACKEND_HTB: return "kernel has no HTB qdisc or refuses burst 1";
	default: return "cannot create a veth pair";
	}
}

void probe_pair_names(int pid, char *a, char *b)
{
	snprintf(a, IFNAMSIZ, PROBE_PAIR_PREFIX "%da", pid);
	snprintf(b, IFNAMSIZ, PROBE_PAIR_PREFIX "%db", pid);
}

int probe_sweep_stale(struct nl_handle *nl)
{
	struct if_nameindex *ifs = if_nameindex(), *i;
	int removed = 0;

	if (!ifs)
		return -errno;
	for (i = ifs; i->if_index; i++) {
		const char *n = i->if_name, *digits = n + sizeof(PROBE_PAIR_PREFIX) - 1;
		size_t nd;
		int pid;

		if (strncmp(n, PROBE_PAIR_PREFIX, sizeof(PROBE_PAIR_PREFIX) - 1))
			continue;
		nd = strspn(digits, "0123456789");
		if (!nd || nd > 9 || strcmp(digits + nd, "a"))
			continue;
		pid = atoi(digits);
		/* A running probe's pair is its own business. */
		if (pid == getpid() || state_pid_is_hedger(pid))
			continue;
		if (!nl_link_delete(nl, (int)i->if_index))
			removed++;
	}
	if_freenameindex(ifs);
	return removed;
}

/* block_exit_signals - hold the signals that would end the process while a
 * throw-away pair exists; they are delivered once it is gone. */
static void block_exit_signals(sigset_t *old)
{
	static const int sigs[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2,
				    SIGALRM, SIGPIPE };
	sigset_t set;

	sigemptyset(&set);
	for (unsigned i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaddset(&set, sigs[i]);
	sigprocmask(SIG_BLOCK, &set, old);
}

/* try_line - create the throw-away veth pair, add the qdisc @b needs on
 * its first end, delete the pair; 0 or -errno of the first failure. */
static int try_line(struct nl_handle *nl, int b, bool *veth_failed)
{
	char a_name[IFNAMSIZ], b_name[IFNAMSIZ];
	sigset_t old;
	int ifa, err;

	probe_pair_names((int)getpid(), a_name, b_name);
	block_exit_signals(&old);
	err = nl_veth_create(nl, a_name, b_name, 1000, 0);
	if (err) {
		*veth_failed = true;
		goto out;
	}
	ifa = (int)if_nametoindex(a_name);
	switch (b) {
	case HEDGER_BACKEND_NETEM:
		err = nl_qdisc_add_netem(nl, ifa, 1000000, 1000);
		break;
	case HEDGER_BACKEND_EDT:
		err = nl_qdisc_add_fq(nl, ifa, 10000, 1000);
		break;
	case HEDGER_BACKEND_HTB:
		err = nl_qdisc_add_htb(nl, ifa);
		if (!err)
			err = nl_htb_class_add(nl, ifa, 1, 1000000, 1);
		break;
	default:
		err = 0;
	}
	nl_link_delete(nl, ifa);
out:
	sigprocmask(SIG_SETMASK, &old, NULL);
	return err;
}

/* Try each qdisc a backend needs for real: the kernel's answer is the probe
 * (on stock kernels the qdisc modules load on first use). */
static void probe_qdiscs(struct probe_result *r)
{
	bool veth_failed = false;
	struct nl_handle nl;
	int open_err, err, b;

	open_err = nl_open(&nl);
	if (!open_err)
		probe_sweep_stale(&nl);
	for (b = HEDGER_BACKEND_NETEM; b <= HEDGER_BACKEND_RECIRC; b++) {
		if (!r->backend_ok[b])
			continue;
		veth_failed = false;
		err = open_err ? open_err : try_line(&nl, b, &veth_failed);
		if (err) {
			r->backend_ok[b] = false;
			snprintf(r->why[b], sizeof(r->why[b]), "%s (%s)",
				 probe_backend_need(open_err || veth_failed ? HEDGER_BACKEND_RECIRC : b),
				 strerror(-err));
		}
	}
	nl_close(&nl);
}

int probe_run(struct probe_result *r, bool backends)
{
	struct btf *btf;
	int i;

	memset(r, 0, sizeof(*r));
	for (i = 0; i < HEDGER_BACKEND_COUNT; i++)
		r->backend_ok[i] = true;

	btf = btf__load_vmlinux_btf();
	if (!btf) {
		snprintf(r->tcx_why, sizeof(r->tcx_why), "no kernel BTF (/sys/kernel/btf/vmlinux)");
		why(r, HEDGER_BACKEND_BPF_QDISC, "%s", "no kernel BTF");
	} else {
		r->tcx = btf_enum_has(btf, "bpf_attach_type", "BPF_TCX_EGRESS");
		if (!r->tcx)
			snprintf(r->tcx_why, sizeof(r->tcx_why),
				 "kernel < 6.6: no BPF_TCX_EGRESS in enum bpf_attach_type");
		/* A BPF qdisc needs the bpf_qdisc kfuncs (CONFIG_NET_SCH_BPF, >= 6.16). */
		if (btf_has_func(btf, "bpf_qdisc_skb_drop"))
			why(r, HEDGER_BACKEND_BPF_QDISC, "%s",
			    "kernel supports BPF qdiscs, but this backend is not built yet");
		else
			why(r, HEDGER_BACKEND_BPF_QDISC, "%s",
			    "kernel lacks CONFIG_NET_SCH_BPF (no bpf_qdisc kfuncs in BTF)");
		btf__free(btf);
	}
	r->clsact = true;	/* cls_bpf/clsact: present on every kernel with TC BPF */
	r->redirect_neigh = libbpf_probe_bpf_helper(BPF_PROG_TYPE_SCHED_CLS,
						    BPF_FUNC_redirect_neigh, NULL) > 0;
	r->set_tstamp = libbpf_probe_bpf_helper(BPF_PROG_TYPE_SCHED_CLS,
						BPF_FUNC_skb_set_tstamp, NULL) > 0;
	if (libbpf_probe_bpf_helper(BPF_PROG_TYPE_SCHED_CLS, BPF_FUNC_clone_redirect, NULL) <= 0) {
		for (i = 0; i < HEDGER_BACKEND_COUNT; i++)
			if (r->backend_ok[i])
				why(r, i, "%s", "bpf_clone_redirect unavailable (need root or CAP_BPF)");
		return 0;
	}
	if (!r->set_tstamp)
		why(r, HEDGER_BACKEND_EDT, "%s", "kernel < 5.18: no bpf_skb_set_tstamp");
	if (backends)
		probe_qdiscs(r);
	return 0;
}

int probe_backend_auto(const struct probe_result *r)
{
	/* Per-packet delays and no CPU while parked first. */
	static const int order[] = { HEDGER_BACKEND_EDT, HEDGER_BACKEND_HTB, HEDGER_BACKEND_RECIRC };

	for (unsigned i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (r->backend_ok[order[i]])
			return order[i];
	return -ENOENT;
}

int probe_backend_from_name(const char *name)
{
	for (int i = 0; i < HEDGER_BACKEND_COUNT; i++)
		if (!strcmp(name, hedger_backend_name(i)))
			return i;
	return -EINVAL;
}

char *probe_available_list(const struct probe_result *r, char *buf, unsigned long len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; i < HEDGER_BACKEND_COUNT && used < len; i++)
		if (r->backend_ok[i])
			used += snprintf(buf + used, len - used, "%s%s", used ? ", " : "",
					 hedger_backend_name(i));
	if (!buf[0])
		snprintf(buf, len, "none");
	return buf;
}
