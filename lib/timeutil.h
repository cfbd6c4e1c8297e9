/* timeutil: monotonic and wall clocks in nanoseconds. */
#pragma once
#include <stdint.h>

#define NSEC_PER_USEC 1000ULL
#define NSEC_PER_MSEC 1000000ULL
#define NSEC_PER_SEC  1000000000ULL

/* time_mono_ns - CLOCK_MONOTONIC in ns (the clock bpf_ktime_get_ns() reads). */
uint64_t time_mono_ns(void);
/* time_real_ns - CLOCK_REALTIME in ns (log timestamps; udp_probe's send
 * stamps, on the clock of the kernel's receive timestamps). */
uint64_t time_real_ns(void);
/* time_sleep_until_ns - absolute CLOCK_MONOTONIC sleep; 0 or -errno. */
int time_sleep_until_ns(uint64_t deadline_ns);
/* time_format_duration - "12.3ms" style text for @ns into @buf; returns buf. */
char *time_format_duration(uint64_t ns, char *buf, unsigned long len);
