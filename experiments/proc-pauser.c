/* proc-pauser: pause a running process with SIGSTOP/SIGCONT on a seeded
 * schedule - a stop-the-world pause of a server that is not ours (a GC
 * pause, a stuck disk) - and record when each pause really began and ended.
 *
 * Pause k begins at start + AFTER + k * EVERY + J_k, J_k uniform in [0,
 * EVERY - PAUSE) from --seed (AFTER: --after, e.g. a client's warm-up), so pauses never overlap and the run's pauses are the
 * same for every arm. Each line of --out: k,stop_mono_ns,cont_mono_ns
 * (CLOCK_MONOTONIC, the clock of hedge-client's requests.csv). On SIGINT or
 * SIGTERM, and at --duration, a stopped target is continued before exit. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "parse.h"
#include "timeutil.h"

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void usage(FILE *f)
{
	fputs("Usage: proc-pauser --pid PID [--pause DUR] [--every DUR] [--seed N]\n"
	      "                   [--after DUR] [--duration DUR] [--out FILE]\n"
	      "Stop PID with SIGSTOP for --pause (400ms) once in every --every (2s),\n"
	      "at a seeded random point of each period, periods from --after (0) on.\n"
	      "CSV of the real stop/continue times (CLOCK_MONOTONIC ns) to --out\n"
	      "(default stdout). Runs until --duration (default: until SIGINT or\n"
	      "SIGTERM); never leaves PID stopped.\n"
	      "\n"
	      "Example:\n"
	      "  proc-pauser --pid $(pidof knotd) --pause 400ms --every 2s --seed 1 --out pauses.csv\n",
	      f);
}

/* splitmix64: the seeded offsets within each period. */
static uint64_t next_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Sleep until @at unless a stop was requested; 1 when it was. */
static int wait_until(uint64_t at)
{
	while (!stop_requested && time_mono_ns() < at)
		if (time_sleep_until_ns(at) && errno != EINTR)
			break;
	return stop_requested ? 1 : 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pid", required_argument, NULL, 'p' }, { "pause", required_argument, NULL, 'l' },
		{ "every", required_argument, NULL, 'e' }, { "seed", required_argument, NULL, 's' },
		{ "duration", required_argument, NULL, 'd' }, { "after", required_argument, NULL, 'a' }, { "out", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	uint64_t pid = 0, pause_ns = 400 * NSEC_PER_MSEC, every_ns = 2 * NSEC_PER_SEC, seed = 1;
	uint64_t duration_ns = 0, after_ns = 0, start, end, at, stopped_at, k;
	const char *out_path = NULL;
	struct sigaction sa = { .sa_handler = on_signal };
	FILE *out = stdout;
	int c, rc = 0;

	log_set_program("proc-pauser");
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'p': if (parse_u64("--pid", optarg, 2, 4194304, &pid)) return 2; break;
		case 'l': if (parse_duration_ns("--pause", optarg, &pause_ns)) return 2; break;
		case 'e': if (parse_duration_ns("--every", optarg, &every_ns)) return 2; break;
		case 's': if (parse_u64("--seed", optarg, 0, UINT64_MAX, &seed)) return 2; break;
		case 'd': if (parse_duration_ns("--duration", optarg, &duration_ns)) return 2; break;
		case 'a': if (parse_duration_ns("--after", optarg, &after_ns)) return 2; break;
		case 'o': out_path = optarg; break;
		case 'h': usage(stdout); return 0;
		default:
			log_error("bad or incomplete option '%s' (try --help)", argv[optind - 1]);
			return 2;
		}
	}
	if (!pid || optind != argc) {
		log_error("--pid PID is needed, and nothing else (try --help)");
		return 2;
	}
	if (pause_ns == 0 || pause_ns >= every_ns) {
		log_error("--pause must be above 0 and shorter than --every");
		return 2;
	}
	if (kill((pid_t)pid, 0)) {
		log_error("cannot signal pid %llu: %s", (unsigned long long)pid, strerror(errno));
		return 1;
	}
	if (out_path && !(out = fopen(out_path, "w"))) {
		log_error("cannot write %s: %s", out_path, strerror(errno));
		return 1;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	fputs("pause,stop_mono_ns,cont_mono_ns\n", out);
	fflush(out);
	start = time_mono_ns();
	end = duration_ns ? start + duration_ns : UINT64_MAX;
	for (k = 0; !stop_requested; k++) {
		at = start + after_ns + k * every_ns + next_rand(&seed) % (every_ns - pause_ns);
		if (at + pause_ns > end || wait_until(at))
			break;
		if (kill((pid_t)pid, SIGSTOP)) {
			log_error("cannot stop pid %llu: %s", (unsigned long long)pid, strerror(errno));
			rc = 1;
			break;
		}
		stopped_at = time_mono_ns();
		wait_until(stopped_at + pause_ns);   /* a stop request ends the pause early */
		if (kill((pid_t)pid, SIGCONT)) {
			log_error("cannot continue pid %llu: %s", (unsigned long long)pid, strerror(errno));
			rc = 1;
			break;
		}
		fprintf(out, "%llu,%llu,%llu\n", (unsigned long long)k, (unsigned long long)stopped_at,
			(unsigned long long)time_mono_ns());
		fflush(out);
	}
	if (out != stdout && fclose(out)) {
		log_error("writing %s failed", out_path);
		rc = 1;
	}
	return rc;
}
