/* state.h: how `hedger stats` and `hedger detach` find a running (or
 * killed) instance. `attach` writes a small text file
 *   /run/kernel-hedge/net<netns inode>-<ifindex>.state
 * with its pid, what it created and the ids of its maps. Nothing is pinned:
 * `stats` opens the maps by id (bpf_map_get_fd_by_id) while the instance
 * lives, and the maps die with the process, so kill -9 leaves only this
 * file and the veth pair, which `detach` removes. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <net/if.h>

#define STATE_DIR "/run/kernel-hedge"

struct hedger_state_file {
	int pid;
	int ifindex;
	char dev[IFNAMSIZ];
	char backend[16];
	char hook[8];			/* "tcx" or "tc" */
	int tc_hook_created[2];		/* tc fallback: clsact created by us (ingress, egress) */
	char line_a[IFNAMSIZ];		/* the veth pair we created ("" if none) */
	char line_b[IFNAMSIZ];
	uint64_t delay_ns;
	uint32_t map_counters, map_scoreboard, map_hist, map_endpoints;
	uint32_t map_policy, map_budget, map_replicas;	/* 0 in older state files */
	uint32_t map_replica_stats;	/* per-CPU replica counters; 0 in older state files */
	uint32_t map_release_late;	/* hedge release lateness; 0 in older state files */
	int adaptive, budget;		/* features on */
	uint32_t prog_ids[3];		/* splitter, reply filter, rescuer */
};

/* state_path - the file for @ifindex in the current network namespace. */
int state_path(int ifindex, char *buf, unsigned long len);
int state_write(const struct hedger_state_file *s);
/* state_read - 0, -ENOENT when there is no file, -EINVAL when garbled. */
int state_read(int ifindex, struct hedger_state_file *s);
int state_remove(int ifindex);
/* state_pid_alive - the recorded process still runs and is a hedger. */
bool state_pid_alive(const struct hedger_state_file *s);
/* state_pid_is_hedger - @pid runs and is a hedger (by /proc/PID/comm). */
bool state_pid_is_hedger(int pid);
/* state_line_names - "khd<ifindex>a"/"b": the veth pair name for @ifindex. */
void state_line_names(int ifindex, char *a, char *b);
/* state_line_macvlan_name - "khd<ifindex>m": the line's macvlan on its a end
 * (--line-shape macvlan; deleted with a). */
void state_line_macvlan_name(int ifindex, char *m);
