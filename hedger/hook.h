/* hook.h: attach a TC program to an interface, as a TCX link (dies with the
 * process) or, where TCX is missing, as a cls_bpf filter on clsact. */
#pragma once
#include <stdbool.h>

enum hook_kind { HOOK_TCX, HOOK_TC };

struct hook_att {
	enum hook_kind kind;
	int ifindex;
	bool ingress;
	int link_fd;		/* TCX */
	bool hook_created;	/* TC: we created the clsact qdisc */
	bool attached;
};

/* The cls_bpf filter identity used by the fallback (so detach finds it). */
#define HOOK_TC_HANDLE 0x6b68
#define HOOK_TC_PRIORITY 0x6b68

int hook_attach(struct hook_att *h, enum hook_kind kind, int prog_fd, int ifindex, bool ingress);
void hook_detach(struct hook_att *h);
/* hook_tc_remove_stale - remove the fallback filter (by the hedger's own
 * handle and priority) from @ifindex; also the clsact qdisc when
 * @destroy_hook. 1 if a filter was removed, 0 if there was none, or -errno. */
int hook_tc_remove_stale(int ifindex, bool ingress, bool destroy_hook);
/* hook_tc_present - a filter with the hedger's handle/priority is there. */
bool hook_tc_present(int ifindex, bool ingress);
/* hook_tc_prepare - make sure @ifindex has a clsact qdisc; *@created tells
 * whether this call made it (then it is ours to remove). 0 or -errno. */
int hook_tc_prepare(int ifindex, bool *created);
/* hook_tc_destroy - remove the clsact qdisc of @ifindex with its filters. */
void hook_tc_destroy(int ifindex);
