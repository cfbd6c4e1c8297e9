/* cpuctl: where and how the client's threads run: CPU pinning, scheduling
 * class, and the --stress CPU burners. Public functions are prefixed cpuctl_. */
#pragma once
#include <pthread.h>

/* cpuctl_pin_self - pin the calling thread to @cpu. 0 or -errno. */
int cpuctl_pin_self(int cpu);
/* cpuctl_sched_self - set the calling thread's policy (SCHED_*) and rt
 * priority (0 for non-rt policies). 0 or -errno (-EPERM without privilege). */
int cpuctl_sched_self(int policy, int priority);

struct cpuctl_stress;
/* cpuctl_stress_start - @n threads spinning on the CPU (SCHED_OTHER), pinned
 * to @cpu when @cpu >= 0. 0 or -errno (nothing left running on error). */
int cpuctl_stress_start(struct cpuctl_stress **out, unsigned int n, int cpu);
/* cpuctl_stress_stop - stop, join and free (NULL is fine). */
void cpuctl_stress_stop(struct cpuctl_stress *s);
