#include "gcpause.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pausesched.h"
#include "timeutil.h"

#define GCP_SIGNAL (SIGRTMIN + 3)

struct gcpause {
	pthread_t thread;
	pthread_t target;
	pthread_mutex_t lock;
	pthread_cond_t cond;      /* CLOCK_MONOTONIC, signalled by gcp_stop */
	bool stop;
	uint64_t start_ns;
	struct pause_sched sched;
};

/* The handler reads these; one pauser per process. */
static _Atomic uint64_t gcp_dur_ns;
static _Atomic uint64_t gcp_pauses;
static _Atomic uint64_t gcp_paused_ns;

static void gcp_handler(int sig)
{
	int saved_errno = errno;
	uint64_t begin = time_mono_ns(), until = begin + atomic_load(&gcp_dur_ns);
	struct timespec ts = {
		.tv_sec = (time_t)(until / NSEC_PER_SEC),
		.tv_nsec = (long)(until % NSEC_PER_SEC),
	};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
	atomic_fetch_add(&gcp_pauses, 1);
	atomic_fetch_add(&gcp_paused_ns, time_mono_ns() - begin);
	errno = saved_errno;
}

static void *gcp_main(void *arg)
{
	struct gcpause *g = arg;
	uint64_t at;
	struct timespec ts;

	pthread_mutex_lock(&g->lock);
	while (!g->stop) {
		at = g->start_ns + pause_sched_next(&g->sched);
		ts.tv_sec = (time_t)(at / NSEC_PER_SEC);
		ts.tv_nsec = (long)(at % NSEC_PER_SEC);
		while (!g->stop && pthread_cond_timedwait(&g->cond, &g->lock, &ts) != ETIMEDOUT)
			;
		if (g->stop)
			break;
		/* The pause lasts its full length from when the thread stops,
		 * however late the pauser itself woke up. */
		pthread_kill(g->target, GCP_SIGNAL);
	}
	pthread_mutex_unlock(&g->lock);
	return NULL;
}

int gcp_start(struct gcpause **out, pthread_t target, uint64_t start_ns,
	      uint64_t dur_ns, double rate_hz, uint64_t seed)
{
	struct sigaction sa = { .sa_handler = gcp_handler, .sa_flags = SA_RESTART };
	pthread_condattr_t cattr;
	sigset_t block, old;
	struct gcpause *g;
	int err;

	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->target = target;
	g->start_ns = start_ns;
	pause_sched_init(&g->sched, seed, dur_ns, rate_hz);
	pthread_mutex_init(&g->lock, NULL);
	pthread_condattr_init(&cattr);
	pthread_condattr_setclock(&cattr, CLOCK_MONOTONIC);
	pthread_cond_init(&g->cond, &cattr);
	pthread_condattr_destroy(&cattr);
	atomic_store(&gcp_pauses, 0);
	atomic_store(&gcp_paused_ns, 0);
	atomic_store(&gcp_dur_ns, dur_ns);

	sigemptyset(&sa.sa_mask);
	if (sigaction(GCP_SIGNAL, &sa, NULL)) {
		err = -errno;
		goto cleanup;
	}
	/* The pauser itself must never take the pause signal. */
	sigemptyset(&block);
	sigaddset(&block, GCP_SIGNAL);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	err = -pthread_create(&g->thread, NULL, gcp_main, g);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err)
		goto cleanup;
	*out = g;
	return 0;
cleanup:
	pthread_cond_destroy(&g->cond);
	pthread_mutex_destroy(&g->lock);
	free(g);
	return err;
}

void gcp_stop(struct gcpause *g, uint64_t *pauses, uint64_t *paused_ns)
{
	if (!g) {
		*pauses = 0;
		*paused_ns = 0;
		return;
	}
	pthread_mutex_lock(&g->lock);
	g->stop = true;
	pthread_cond_signal(&g->cond);
	pthread_mutex_unlock(&g->lock);
	pthread_join(g->thread, NULL);
	*pauses = atomic_load(&gcp_pauses);
	*paused_ns = atomic_load(&gcp_paused_ns);
	pthread_cond_destroy(&g->cond);
	pthread_mutex_destroy(&g->lock);
	free(g);
}
