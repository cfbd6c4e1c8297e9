/* stall-retry: meson test's --wrapper (scripts/run_tests.sh). Runs a test;
 * when it fails while the machine itself stalled, runs it again, at most
 * STALL_RETRY_RUNS times in all, and exits with the last run's status.
 *
 * "Stalled": a thread here, sleeping to absolute 1 ms deadlines while the
 * test runs, woke more than STALL_MS late. No test of ours makes that happen
 * (they are bounded, and the probe is a process of its own); a VM that loses
 * its CPUs does: one CI run had unit tests 100x slower for two minutes and
 * meson's own timeout 84 s late. A test that fails on a machine that did not
 * stall is never run again, and one that fails in every run still fails:
 * the wrapper only keeps a stall from deciding the verdict. Skips (77) and
 * passes go through untouched.
 *
 *   stall-retry COMMAND [ARG...]
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "timeutil.h"

#define STALL_RETRY_RUNS 3
#define STALL_MS 50.0

static atomic_bool probe_stop;
static _Atomic uint64_t probe_worst_ns;

static void *probe_run(void *arg)
{
	uint64_t due = time_mono_ns();

	(void)arg;
	while (!atomic_load(&probe_stop)) {
		uint64_t late;

		due += NSEC_PER_MSEC;
		time_sleep_until_ns(due);
		late = time_mono_ns() - due;
		if (late > atomic_load(&probe_worst_ns))
			atomic_store(&probe_worst_ns, late);
		if (late > NSEC_PER_MSEC)	/* the missed steps are one stall, not many */
			due = time_mono_ns();
	}
	return NULL;
}

/* run_once - the test's exit status as a shell reports it (128 + signal). */
static int run_once(char **argv)
{
	int status;
	pid_t pid = fork();

	if (pid < 0) {
		fprintf(stderr, "stall-retry: fork: %s\n", strerror(errno));
		return 1;
	}
	if (pid == 0) {
		execvp(argv[0], argv);
		fprintf(stderr, "stall-retry: %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return 1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int main(int argc, char **argv)
{
	int rc = 1;

	if (argc < 2) {
		fprintf(stderr, "usage: stall-retry COMMAND [ARG...]\n");
		return 2;
	}
	for (int run = 1; run <= STALL_RETRY_RUNS; run++) {
		pthread_t probe;
		double late_ms;
		bool probing;

		atomic_store(&probe_stop, false);
		atomic_store(&probe_worst_ns, 0);
		probing = pthread_create(&probe, NULL, probe_run, NULL) == 0;
		rc = run_once(argv + 1);
		atomic_store(&probe_stop, true);
		if (!probing)
			return rc;
		pthread_join(probe, NULL);
		late_ms = (double)atomic_load(&probe_worst_ns) / NSEC_PER_MSEC;
		if (rc == 0 || rc == CHECK_SKIP || late_ms <= STALL_MS)
			return rc;
		fprintf(stderr, "stall-retry: run %d failed (status %d) while the machine stalled "
			"(a 1 ms sleeper woke %.1f ms late)%s\n", run, rc, late_ms,
			run < STALL_RETRY_RUNS ? "; running it again" : "; that was the last run");
	}
	return rc;
}
