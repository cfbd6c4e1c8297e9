#include "cpuctl.h"

#include <errno.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

struct cpuctl_stress {
	atomic_bool stop;
	unsigned int n;
	pthread_t threads[];
};

int cpuctl_pin_self(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return -pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

int cpuctl_sched_self(int policy, int priority)
{
	struct sched_param sp = { .sched_priority = priority };

	return -pthread_setschedparam(pthread_self(), policy, &sp);
}

static void *stress_main(void *arg)
{
	struct cpuctl_stress *s = arg;
	volatile uint64_t x = 88172645463325252ULL;

	/* xorshift keeps the ALU busy without touching memory bandwidth. */
	while (!atomic_load_explicit(&s->stop, memory_order_relaxed)) {
		for (int i = 0; i < 4096; i++) {
			uint64_t v = x;

			v ^= v << 13;
			v ^= v >> 7;
			v ^= v << 17;
			x = v;
		}
	}
	return NULL;
}

int cpuctl_stress_start(struct cpuctl_stress **out, unsigned int n, int cpu)
{
	struct sched_param sp = { .sched_priority = 0 };
	struct cpuctl_stress *s;
	pthread_attr_t attr;
	cpu_set_t set;
	int err = 0;

	s = calloc(1, sizeof(*s) + n * sizeof(pthread_t));
	if (!s)
		return -ENOMEM;
	atomic_init(&s->stop, false);
	pthread_attr_init(&attr);
	/* Burners are ordinary threads whatever --sched gives the client. */
	pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED);
	pthread_attr_setschedpolicy(&attr, SCHED_OTHER);
	pthread_attr_setschedparam(&attr, &sp);
	if (cpu >= 0) {
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
	}
	for (s->n = 0; s->n < n; s->n++) {
		err = -pthread_create(&s->threads[s->n], &attr, stress_main, s);
		if (err)
			break;
	}
	pthread_attr_destroy(&attr);
	if (err) {
		cpuctl_stress_stop(s);
		return err;
	}
	*out = s;
	return 0;
}

void cpuctl_stress_stop(struct cpuctl_stress *s)
{
	if (!s)
		return;
	atomic_store(&s->stop, true);
	for (unsigned int i = 0; i < s->n; i++)
		pthread_join(s->threads[i], NULL);
	free(s);
}
