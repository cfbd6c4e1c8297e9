#include "timeutil.h"

#include <errno.h>
#include <stdio.h>
#include <time.h>

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

uint64_t time_mono_ns(void) { return clock_ns(CLOCK_MONOTONIC); }
uint64_t time_real_ns(void) { return clock_ns(CLOCK_REALTIME); }

int time_sleep_until_ns(uint64_t deadline_ns)
{
	struct timespec ts = {
		.tv_sec = (time_t)(deadline_ns / NSEC_PER_SEC),
		.tv_nsec = (long)(deadline_ns % NSEC_PER_SEC),
	};
	int err;

	do
		err = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
	while (err == EINTR);
	return -err;
}

char *time_format_duration(uint64_t ns, char *buf, unsigned long len)
{
	if (ns >= NSEC_PER_SEC)
		snprintf(buf, len, "%.3gs", (double)ns / NSEC_PER_SEC);
	else if (ns >= NSEC_PER_MSEC)
		snprintf(buf, len, "%.3gms", (double)ns / NSEC_PER_MSEC);
	else if (ns >= NSEC_PER_USEC)
		snprintf(buf, len, "%.3gus", (double)ns / NSEC_PER_USEC);
	else
		snprintf(buf, len, "%lluns", (unsigned long long)ns);
	return buf;
}
