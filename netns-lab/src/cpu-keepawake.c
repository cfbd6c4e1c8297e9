// SPDX-License-Identifier: GPL-2.0-only
/* cpu-keepawake: one SCHED_IDLE spinner thread per allowed CPU.
 *
 * Why: on this VM an idle vCPU wakes from a timer up to a few ms late (p99
 * 2.5 ms idle, ~0.06 ms busy). A SCHED_IDLE spinner keeps every CPU out of the
 * idle state while yielding to any normal task at once, so timer-driven code
 * (hedge delay lines, the chaos server) sees "busy" wake-up latency.
 * Runs until SIGTERM/SIGINT, --max-time, or until --owner-pid exits. */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "parse.h"
#include "timeutil.h"

static const char usage[] =
	"Usage: cpu-keepawake [--owner-pid PID] [--max-time DUR] [--verbose]\n"
	"\n"
	"Spin one SCHED_IDLE thread on each CPU this process may run on, so no CPU\n"
	"enters idle. Normal tasks preempt the spinners at once.\n"
	"\n"
	"  -p, --owner-pid PID  exit when process PID is gone\n"
	"  -t, --max-time DUR   exit after DUR (e.g. 2h; default: never)\n"
	"  -v, --verbose        say which CPUs spin\n"
	"  -h, --help           this text\n"
	"\n"
	"Examples:\n"
	"  cpu-keepawake &                    # stop with kill %1\n"
	"  cpu-keepawake --owner-pid $$ --max-time 30m &\n";

static volatile sig_atomic_t keepawake_stop;

static void keepawake_on_signal(int sig)
{
	keepawake_stop = 1;
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__asm__ __volatile__("pause");
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

struct keepawake_thread {
	pthread_t tid;
	int cpu;
	int err;	/* 0 or -errno of the thread's own setup */
};

static pthread_barrier_t keepawake_ready;

/* keepawake_spin - pin to our CPU, become SCHED_IDLE (set by the thread
 * itself: glibc refuses SCHED_IDLE in pthread attributes), report, spin. */
static void *keepawake_spin(void *arg)
{
	struct keepawake_thread *t = arg;
	struct sched_param sp = { .sched_priority = 0 };
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(t->cpu, &set);
	t->err = -pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	if (!t->err && sched_setscheduler(0, SCHED_IDLE, &sp))
		t->err = -errno;
	pthread_barrier_wait(&keepawake_ready);
	while (!keepawake_stop && !t->err)
		cpu_relax();
	return NULL;
}

int main(int argc, char **argv)
{
	static const struct option long_opts[] = {
		{ "owner-pid", required_argument, NULL, 'p' },
		{ "max-time", required_argument, NULL, 't' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct sigaction sa = { .sa_handler = keepawake_on_signal };
	uint64_t owner = 0, max_ns = 0, start;
	static struct keepawake_thread threads[CPU_SETSIZE];
	int opt, cpu, nthreads = 0, ncpus, err = 0, i;
	cpu_set_t allowed;

	log_set_program("cpu-keepawake");
	log_set_level(LOG_LVL_WARN);
	while ((opt = getopt_long(argc, argv, "p:t:vh", long_opts, NULL)) != -1) {
		switch (opt) {
		case 'p':
			if (parse_u64("--owner-pid", optarg, 1, INT32_MAX, &owner))
				return 1;
			break;
		case 't':
			if (parse_duration_ns("--max-time", optarg, &max_ns))
				return 1;
			break;
		case 'v':
			log_set_level(LOG_LVL_INFO);
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 1;
		}
	}
	if (optind != argc) {
		log_error("unexpected argument '%s' (try --help)", argv[optind]);
		return 1;
	}
	if (owner && kill((pid_t)owner, 0) && errno == ESRCH) {
		log_error("--owner-pid %llu: no such process", (unsigned long long)owner);
		return 1;
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	if (sched_getaffinity(0, sizeof(allowed), &allowed)) {
		log_error("sched_getaffinity: %s", strerror(errno));
		return 1;
	}
	ncpus = CPU_COUNT(&allowed);
	err = -pthread_barrier_init(&keepawake_ready, NULL, (unsigned int)ncpus + 1);
	if (err) {
		log_error("pthread_barrier_init: %s", strerror(-err));
		return 1;
	}
	for (cpu = 0; cpu < CPU_SETSIZE && nthreads < ncpus; cpu++) {
		if (!CPU_ISSET(cpu, &allowed))
			continue;
		threads[nthreads].cpu = cpu;
		err = -pthread_create(&threads[nthreads].tid, NULL, keepawake_spin, &threads[nthreads]);
		if (err) {
			/* Threads already started wait on a barrier that can
			 * no longer fill: leave the process, which ends them. */
			log_error("thread for CPU %d: %s", cpu, strerror(-err));
			exit(1);
		}
		nthreads++;
	}
	pthread_barrier_wait(&keepawake_ready);
	for (i = 0; i < nthreads; i++) {
		if (threads[i].err) {
			err = threads[i].err;
			log_error("spinner on CPU %d: %s", threads[i].cpu, strerror(-err));
			goto cleanup;
		}
		log_info("spinning on CPU %d", threads[i].cpu);
	}
	/* The main thread only watches; make it SCHED_IDLE too so it never
	 * competes with real work when it wakes. This comes last on purpose:
	 * lab.sh takes "main thread is SCHED_IDLE" to mean every spinner runs. */
	{
		struct sched_param sp = { .sched_priority = 0 };

		if (sched_setscheduler(0, SCHED_IDLE, &sp)) {
			err = -errno;
			log_error("sched_setscheduler(SCHED_IDLE): %s", strerror(-err));
			goto cleanup;
		}
	}
	start = time_mono_ns();
	while (!keepawake_stop) {
		if (owner && kill((pid_t)owner, 0) && errno == ESRCH)
			break;
		if (max_ns && time_mono_ns() - start >= max_ns)
			break;
		time_sleep_until_ns(time_mono_ns() + 200 * NSEC_PER_MSEC);
	}
cleanup:
	keepawake_stop = 1;
	for (i = 0; i < nthreads; i++)
		pthread_join(threads[i].tid, NULL);
	pthread_barrier_destroy(&keepawake_ready);
	return err ? 1 : 0;
}
