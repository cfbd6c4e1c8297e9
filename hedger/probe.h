/* probe.h: what this kernel offers the hedger (hooks, helpers, backends),
 * and for each missing piece, why. */
#pragma once
#include <stdbool.h>
#include "hedger.h"

#ifndef BPF_TCX_INGRESS
/* libbpf 1.1.2's headers predate TCX; the values are the kernel's ABI. */
#define BPF_TCX_INGRESS 46
#define BPF_TCX_EGRESS 47
#endif

struct probe_result {
	bool tcx;			/* TCX links (bpf_link_create, BPF_TCX_*) */
	bool clsact;			/* clsact qdisc + cls_bpf (fallback hook) */
	bool redirect_neigh;		/* bpf_redirect_neigh */
	bool set_tstamp;		/* bpf_skb_set_tstamp */
	bool backend_ok[HEDGER_BACKEND_COUNT];
	char why[HEDGER_BACKEND_COUNT][160];	/* reason when !backend_ok */
	char tcx_why[160];
};

/* The throw-away veth pair of a probe: khp<pid>a/b. */
#define PROBE_PAIR_PREFIX "khp"

struct nl_handle;

/* probe_run - fill @r. Backends that need a qdisc are tried for real on a
 * throw-away veth pair (khp<pid>a/b), deleted before returning (exit
 * signals wait until it is gone); pairs that killed probes left are
 * removed first. With @backends false only the hooks and helpers are
 * probed (no veth). */
int probe_run(struct probe_result *r, bool backends);
/* probe_backend_need - what backend @b needs from the kernel, for errors. */
const char *probe_backend_need(int b);
/* probe_pair_names - the throw-away pair's names for @pid. */
void probe_pair_names(int pid, char *a, char *b);
/* probe_sweep_stale - delete khp<pid>a/b pairs whose pid is no running
 * hedger; the number deleted or -errno. */
int probe_sweep_stale(struct nl_handle *nl);
/* probe_backend_auto - the preferred available backend: edt, then htb,
 * then recirc (netem only when asked for); -ENOENT if none. */
int probe_backend_auto(const struct probe_result *r);
/* probe_backend_from_name - enum value for "htb" etc., -EINVAL if unknown. */
int probe_backend_from_name(const char *name);
/* probe_available_list - "htb, recirc" into @buf. */
char *probe_available_list(const struct probe_result *r, char *buf, unsigned long len);
