/* progstats: per-program run count and ns/run of BPF programs while a
 * command runs. Statistics are switched on with BPF_ENABLE_STATS, which
 * lasts only as long as the returned fd (never the host-wide
 * kernel.bpf_stats_enabled sysctl).
 *   progstats --ids 12,13,14 -- hedge-client ...   */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "log.h"
#include "parse.h"

#define MAX_PROGS 8

struct snap {
	uint64_t cnt, ns;
	char name[BPF_OBJ_NAME_LEN];
};

static int snap_prog(uint32_t id, struct snap *s)
{
	struct bpf_prog_info info;
	uint32_t len = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(id), err = 0;

	if (fd < 0)
		return -errno;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		err = -errno;
	close(fd);
	s->cnt = info.run_cnt;
	s->ns = info.run_time_ns;
	snprintf(s->name, sizeof(s->name), "%s", info.name);
	return err;
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: progstats --ids ID[,ID...] -- COMMAND [ARG...]\n"
		   "Run COMMAND with BPF run-time statistics on (for its duration only) and\n"
		   "print run count and ns per run of each program.\n"
		   "Example: progstats --ids 41,42,43 -- sleep 5\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ids", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct snap before[MAX_PROGS], after[MAX_PROGS];
	uint32_t ids[MAX_PROGS];
	int nids = 0, opt, stats_fd, status = 0;
	pid_t pid;

	log_set_program("progstats");
	while ((opt = getopt_long(argc, argv, "+i:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'i': {
			char *save = NULL, *tok;

			for (tok = strtok_r(optarg, ",", &save); tok && nids < MAX_PROGS;
			     tok = strtok_r(NULL, ",", &save)) {
				uint64_t v;

				if (parse_u64("--ids", tok, 1, UINT32_MAX, &v))
					return 2;
				ids[nids++] = (uint32_t)v;
			}
			break;
		}
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!nids || optind >= argc) {
		log_error("need --ids and a command after --");
		return 2;
	}
	stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (stats_fd < 0) {
		log_error("BPF_ENABLE_STATS failed: %s", strerror(errno));
		return 1;
	}
	for (int i = 0; i < nids; i++)
		if (snap_prog(ids[i], &before[i])) {
			log_error("no BPF program with id %u", ids[i]);
			return 1;
		}
	pid = fork();
	if (pid == 0) {
		close(stats_fd);
		execvp(argv[optind], argv + optind);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0) {
		log_error("cannot run %s: %s", argv[optind], strerror(errno));
		return 1;
	}
	for (int i = 0; i < nids; i++) {
		uint64_t n, ns;

		if (snap_prog(ids[i], &after[i]))
			continue;
		n = after[i].cnt - before[i].cnt;
		ns = after[i].ns - before[i].ns;
		printf("prog %-16s id %-6u runs %-10llu ns_per_run %.1f\n", after[i].name, ids[i],
		       (unsigned long long)n, n ? (double)ns / (double)n : 0.0);
	}
	close(stats_fd);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
