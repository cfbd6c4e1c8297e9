/* attach_instance: the kernel objects of one `hedger attach` - the delay
 * line (its backend chosen by trying it), the loaded programs (through
 * attach_config), their hooks and the state file; set up in an order that
 * leaves nothing behind on error, torn down in an order that keeps
 * duplicate filtering until the last hedge's reply is in. */
#pragma once
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "line_poll.h"
#include "attach_opts.h"
#include "hook.h"
#include "line.h"
#include "netlink.h"

struct hedger_bpf;

/* INST_RESCUER_LOWER: the rescuer again at the line's a end's egress
 * (--line-shape macvlan), where the macvlan's releases arrive. */
enum { INST_RESCUER, INST_RESCUER_LOWER, INST_REPLY_FILTER, INST_SPLITTER, INST_HOOKS };

struct instance {
	struct hedger_bpf *skel;
	struct nl_handle nl;
	struct line line;
	struct hook_att hooks[INST_HOOKS];
	int ifindex;
	int backend;			/* enum hedger_backend */
	enum hook_kind hook;
	bool clsact_created;		/* tc hook: the dev's clsact is ours */
	bool state_written;
	struct line_poll poll;		/* --line-poll (shared == NULL: off) */
};

/* instance_setup - build everything for @o; on error one line was printed
 * and what was made is still in @in for instance_stop/instance_destroy. */
int instance_setup(struct instance *in, const struct attach_opts *o);
/* instance_stop - detach the splitter, remove the delay line, wait until
 * replies to the last hedges are in (T + an RTT estimate, at most
 * INSTANCE_DRAIN_MAX_NS; ends early when *@hurry becomes non-zero), then
 * detach the reply filter. The maps stay readable until instance_destroy. */
void instance_stop(struct instance *in, const struct attach_opts *o,
		   volatile sig_atomic_t *hurry);
/* instance_destroy - close the programs and maps, remove the state file. */
void instance_destroy(struct instance *in);
/* instance_drain_ns - how long instance_stop waits: T plus the median
 * first-reply latency's bucket edge (@rtt_ns), capped. */
uint64_t instance_drain_ns(uint64_t delay_ns, uint64_t rtt_ns);

#define INSTANCE_DRAIN_MAX_NS 1000000000ULL
