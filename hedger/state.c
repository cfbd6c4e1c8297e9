/* state.c: the per-instance state file (see state.h). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomicfile.h"
#include "state.h"

int state_path(int ifindex, char *buf, unsigned long len)
{
	struct stat st;

	/* Interface indexes repeat across namespaces; the netns inode does not. */
	if (stat("/proc/self/ns/net", &st))
		return -errno;
	snprintf(buf, len, STATE_DIR "/net%lu-%d.state", (unsigned long)st.st_ino, ifindex);
	return 0;
}

void state_line_names(int ifindex, char *a, char *b)
{
	snprintf(a, IFNAMSIZ, "khd%da", ifindex);
	snprintf(b, IFNAMSIZ, "khd%db", ifindex);
}

void state_line_macvlan_name(int ifindex, char *m)
{
	snprintf(m, IFNAMSIZ, "khd%dm", ifindex);
}

int state_write(const struct hedger_state_file *s)
{
	char path[256], tmp[300];
	FILE *f;
	int err;

	if (mkdir(STATE_DIR, 0755) && errno != EEXIST)
		return -errno;
	err = state_path(s->ifindex, path, sizeof(path));
	if (err)
		return err;
	f = atomicfile_open(path, tmp, sizeof(tmp));
	if (!f)
		return -errno;
	fprintf(f, "pid=%d\nifindex=%d\ndev=%s\nbackend=%s\nhook=%s\n"
		"tc_hook_created_ingress=%d\ntc_hook_created_egress=%d\n"
		"line_a=%s\nline_b=%s\ndelay_ns=%llu\n"
		"map_counters=%u\nmap_scoreboard=%u\nmap_hist=%u\nmap_endpoints=%u\n"
		"prog_splitter=%u\nprog_reply_filter=%u\nprog_rescuer=%u\n"
		"map_policy=%u\nmap_budget=%u\nmap_replicas=%u\nmap_replica_stats=%u\n"
		"map_release_late=%u\n"
		"adaptive=%d\nbudget=%d\n",
		s->pid, s->ifindex, s->dev, s->backend, s->hook,
		s->tc_hook_created[0], s->tc_hook_created[1], s->line_a, s->line_b,
		(unsigned long long)s->delay_ns, s->map_counters, s->map_scoreboard,
		s->map_hist, s->map_endpoints, s->prog_ids[0], s->prog_ids[1], s->prog_ids[2],
		s->map_policy, s->map_budget, s->map_replicas, s->map_replica_stats,
		s->map_release_late, s->adaptive,
		s->budget);
	return atomicfile_commit(f, tmp, path);
}

int state_read(int ifindex, struct hedger_state_file *s)
{
	char path[256], line[256], key[64], val[160];
	unsigned long long u;
	FILE *f;
	int err;

	memset(s, 0, sizeof(*s));
	err = state_path(ifindex, path, sizeof(path));
	if (err)
		return err;
	f = fopen(path, "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		val[0] = '\0';
		if (sscanf(line, "%63[^=]=%159[^\n]", key, val) < 1)
			continue;
		u = strtoull(val, NULL, 10);
		if (!strcmp(key, "pid"))
			s->pid = (int)u;
		else if (!strcmp(key, "ifindex"))
			s->ifindex = (int)u;
		else if (!strcmp(key, "dev"))
			snprintf(s->dev, sizeof(s->dev), "%s", val);
		else if (!strcmp(key, "backend"))
			snprintf(s->backend, sizeof(s->backend), "%s", val);
		else if (!strcmp(key, "hook"))
			snprintf(s->hook, sizeof(s->hook), "%s", val);
		else if (!strcmp(key, "tc_hook_created_ingress"))
			s->tc_hook_created[0] = (int)u;
		else if (!strcmp(key, "tc_hook_created_egress"))
			s->tc_hook_created[1] = (int)u;
		else if (!strcmp(key, "line_a"))
			snprintf(s->line_a, sizeof(s->line_a), "%s", val);
		else if (!strcmp(key, "line_b"))
			snprintf(s->line_b, sizeof(s->line_b), "%s", val);
		else if (!strcmp(key, "delay_ns"))
			s->delay_ns = u;
		else if (!strcmp(key, "map_counters"))
			s->map_counters = (uint32_t)u;
		else if (!strcmp(key, "map_scoreboard"))
			s->map_scoreboard = (uint32_t)u;
		else if (!strcmp(key, "map_hist"))
			s->map_hist = (uint32_t)u;
		else if (!strcmp(key, "map_endpoints"))
			s->map_endpoints = (uint32_t)u;
		else if (!strcmp(key, "prog_splitter"))
			s->prog_ids[0] = (uint32_t)u;
		else if (!strcmp(key, "prog_reply_filter"))
			s->prog_ids[1] = (uint32_t)u;
		else if (!strcmp(key, "prog_rescuer"))
			s->prog_ids[2] = (uint32_t)u;
		else if (!strcmp(key, "map_policy"))
			s->map_policy = (uint32_t)u;
		else if (!strcmp(key, "map_budget"))
			s->map_budget = (uint32_t)u;
		else if (!strcmp(key, "map_replicas"))
			s->map_replicas = (uint32_t)u;
		else if (!strcmp(key, "map_replica_stats"))
			s->map_replica_stats = (uint32_t)u;
		else if (!strcmp(key, "map_release_late"))
			s->map_release_late = (uint32_t)u;
		else if (!strcmp(key, "adaptive"))
			s->adaptive = (int)u;
		else if (!strcmp(key, "budget"))
			s->budget = (int)u;
	}
	fclose(f);
	return s->pid > 0 && s->ifindex == ifindex ? 0 : -EINVAL;
}

int state_remove(int ifindex)
{
	char path[256];
	int err = state_path(ifindex, path, sizeof(path));

	if (err)
		return err;
	return unlink(path) && errno != ENOENT ? -errno : 0;
}

bool state_pid_is_hedger(int pid)
{
	char path[64], comm[32] = "";
	FILE *f;

	if (pid <= 0 || (kill(pid, 0) && errno == ESRCH))
		return false;
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = '\0';
	fclose(f);
	return !strncmp(comm, "hedger", 6);
}

bool state_pid_alive(const struct hedger_state_file *s)
{
	return state_pid_is_hedger(s->pid);
}
