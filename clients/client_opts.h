/* client_opts: hedge-client's command line, parsed and validated in one
 * place so that bad input fails before anything is created or sent.
 * Public functions are prefixed copts_. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include "proto.h"

enum copts_mode { COPTS_MODE_BASELINE = 0, COPTS_MODE_APP };

#define COPTS_HEADER_SIZE 12     /* id, run tag, copy byte, padding: see wire.h */
#define COPTS_MAX_SIZE    65507  /* largest UDP payload over IPv4 */
#define COPTS_MAX_RATE    10e6   /* requests/s; far above what one thread can send */

struct copts {
	enum copts_mode mode;
	enum proto_kind proto;       /* request protocol (proto.h) */
	uint64_t keys;               /* dns: names, memcached: keys */
	const char *zone;            /* dns */
	const char *key_prefix;      /* memcached */
	struct sockaddr_storage target;
	socklen_t target_len;
	const char *target_text;
	bool has_hedge_target;
	struct sockaddr_storage hedge_target;
	socklen_t hedge_target_len;
	const char *hedge_target_text;

	uint64_t requests;           /* measured requests */
	uint64_t warmup;             /* sent first, not recorded */
	uint64_t first_id;           /* id of the first warm-up request */
	uint64_t timeout_ns;
	uint64_t think_ns;           /* closed loop: pause between reply and next send */
	double rate_hz;              /* > 0: open loop */
	uint64_t max_inflight;       /* open loop window; 0 = unlimited */
	uint64_t max_lag_ns;         /* open loop: sender lag that aborts the run */
	uint64_t hedge_delay_ns;
	uint64_t size;               /* request payload bytes */

	uint64_t gc_pause_ns;        /* 0 = no pauses */
	double gc_pause_rate_hz;
	uint64_t stress;             /* CPU burner threads */
	int pin_cpu;                 /* -1 = not pinned */
	int sched_policy;            /* -1 = leave as is */
	int sched_priority;
	uint64_t seed;

	const char *out_dir;         /* NULL = no files */
	bool quiet;
	bool verbose;
	bool help;                   /* --help was given and printed */
};

/* copts_parse - parse and validate @argv into @o. 0 on success (check
 * o->help), -EINVAL after printing one error line. Resets getopt state. */
int copts_parse(int argc, char **argv, struct copts *o);
/* copts_usage - the --help text. */
void copts_usage(FILE *out);
/* copts_is_open_loop - true when --rate was given. */
static inline bool copts_is_open_loop(const struct copts *o) { return o->rate_hz > 0; }
/* copts_total - warm-up plus measured requests. */
static inline uint64_t copts_total(const struct copts *o) { return o->warmup + o->requests; }
/* copts_mode_name - "baseline" or "app". */
const char *copts_mode_name(enum copts_mode mode);
/* copts_sched_name - "other", "fifo", ... for a SCHED_* policy. */
const char *copts_sched_name(int policy);
