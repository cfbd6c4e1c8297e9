/* timerprobe: how late this machine wakes a high-priority thread from a
 * timer. A SCHED_FIFO thread sleeps with clock_nanosleep(TIMER_ABSTIME) to
 * deadlines --period apart and records wake time - deadline. The percentiles
 * are the floor under any timer-driven latency measured beside it (a hedge
 * leaves T after the request only as precisely as the machine wakes).
 *
 * Runs until SIGTERM/SIGINT/SIGHUP, --max-time, or --owner-pid exits, then
 * prints key=value lines (run_all.sh appends them to the run's meta). */
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "parse.h"

#define MAX_SAMPLES (1u << 20)	/* 8 MB; at 10 ms, 2.9 hours of samples */

static const char usage[] =
	"Usage: timerprobe [--period DUR] [--max-time DUR] [--owner-pid PID]\n"
	"                  [--priority N] [--prefix KEY]\n"
	"\n"
	"Measure timer wake-up lateness: a SCHED_FIFO thread sleeps to absolute\n"
	"deadlines PERIOD apart and records how late it wakes. At exit prints\n"
	"KEY_samples, KEY_period_us, KEY_sched and KEY_p50_us ... KEY_max_us.\n"
	"\n"
	"  -P, --period DUR     time between deadlines (default 10ms)\n"
	"  -t, --max-time DUR   stop after DUR (default 1h)\n"
	"  -p, --owner-pid PID  stop when process PID is gone\n"
	"  -r, --priority N     SCHED_FIFO priority 1-99 (default 50)\n"
	"  -k, --prefix KEY     prefix of the printed keys (default timer_lateness)\n"
	"  -h, --help           this text\n"
	"\n"
	"Examples:\n"
	"  timerprobe --max-time 10s\n"
	"  timerprobe --period 10ms --owner-pid $$ > probe.txt &\n";

static volatile sig_atomic_t probe_stop;

static void probe_on_signal(int sig)
{
	(void)sig;
	probe_stop = 1;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* nearest rank, ceil(p/100 * n), as summarize does */
static uint64_t rank(const uint64_t *v, size_t n, double p)
{
	size_t r = (size_t)(p / 100.0 * (double)n);

	if ((double)r < p / 100.0 * (double)n)
		r++;
	if (r < 1)
		r = 1;
	return v[r - 1];
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "period", required_argument, NULL, 'P' },
		{ "max-time", required_argument, NULL, 't' },
		{ "owner-pid", required_argument, NULL, 'p' },
		{ "priority", required_argument, NULL, 'r' },
		{ "prefix", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	uint64_t period = 10000000, max_ns = 3600ull * 1000000000ull, owner = 0, prio = 50;
	const char *prefix = "timer_lateness";
	struct sigaction sa = { .sa_handler = probe_on_signal };
	struct sched_param sp;
	uint64_t *lat = NULL, start, deadline, n = 0;
	int opt, fifo = 1, rc = 0;

	log_set_program("timerprobe");
	while ((opt = getopt_long(argc, argv, "P:t:p:r:k:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'P':
			if (parse_duration_ns("--period", optarg, &period))
				return 2;
			break;
		case 't':
			if (parse_duration_ns("--max-time", optarg, &max_ns))
				return 2;
			break;
		case 'p':
			if (parse_u64("--owner-pid", optarg, 1, INT32_MAX, &owner))
				return 2;
			break;
		case 'r':
			if (parse_u64("--priority", optarg, 1, 99, &prio))
				return 2;
			break;
		case 'k':
			prefix = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fprintf(stderr, "try 'timerprobe --help'\n");
			return 2;
		}
	}
	if (optind != argc) {
		log_error("unexpected argument '%s' (try --help)", argv[optind]);
		return 2;
	}
	if (period < 100000 || period > 1000000000ull) {
		log_error("--period must be between 100us and 1s");
		return 2;
	}
	if (!max_ns) {
		log_error("--max-time must be > 0");
		return 2;
	}
	if (owner && kill((pid_t)owner, 0) && errno == ESRCH) {
		log_error("--owner-pid %llu: no such process", (unsigned long long)owner);
		return 1;
	}
	lat = malloc(MAX_SAMPLES * sizeof(*lat));
	if (!lat) {
		log_error("out of memory");
		return 1;
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	memset(&sp, 0, sizeof(sp));
	sp.sched_priority = (int)prio;
	if (sched_setscheduler(0, SCHED_FIFO, &sp)) {
		/* Still useful (an upper bound), and says so in its output. */
		log_warn("SCHED_FIFO refused (%s): measuring as a normal thread", strerror(errno));
		fifo = 0;
	}

	start = now_ns();
	deadline = start + period;
	while (!probe_stop && n < MAX_SAMPLES) {
		struct timespec ts = { .tv_sec = (time_t)(deadline / 1000000000ull),
				       .tv_nsec = (long)(deadline % 1000000000ull) };
		uint64_t woke;
		int err;

		err = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
		if (err == EINTR)
			continue;	/* probe_stop decides */
		if (err) {
			log_error("clock_nanosleep: %s", strerror(err));
			rc = 1;
			break;
		}
		woke = now_ns();
		lat[n++] = woke - deadline;
		if (woke - start >= max_ns || (owner && kill((pid_t)owner, 0) && errno == ESRCH))
			break;
		/* Next deadline a period after this one; a wake later than a
		 * whole period starts afresh instead of firing a catch-up burst. */
		deadline += period;
		if (deadline <= woke)
			deadline = woke + period;
	}

	qsort(lat, n, sizeof(*lat), cmp_u64);
	printf("%s_samples=%llu\n", prefix, (unsigned long long)n);
	printf("%s_period_us=%.0f\n", prefix, period / 1e3);
	printf("%s_sched=%s\n", prefix, fifo ? "fifo" : "other");
	if (n) {
		printf("%s_p50_us=%.1f\n", prefix, rank(lat, n, 50) / 1e3);
		printf("%s_p90_us=%.1f\n", prefix, rank(lat, n, 90) / 1e3);
		printf("%s_p99_us=%.1f\n", prefix, rank(lat, n, 99) / 1e3);
		printf("%s_p99.9_us=%.1f\n", prefix, rank(lat, n, 99.9) / 1e3);
		printf("%s_max_us=%.1f\n", prefix, lat[n - 1] / 1e3);
	}
	free(lat);
	return rc;
}
