/* attach_opts: `hedger attach`'s command line, parsed and validated in one
 * place into a plain struct (no BPF or libbpf types), so every rule between
 * options is checked before anything is created, and is unit-tested without
 * root. Public functions are prefixed aopts_. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "hedger.h"	/* limits and enum hedger_backend / hedger_replica_policy */
#include "hook.h"	/* enum hook_kind */

/* Bytes charged for T with a fixed delay. Above any Ethernet frame (so the
 * htb dummy is always a grown copy) and far under change_tail's ~16064-byte
 * limit; measured: growing to 4000 instead of 15000 bytes saves ~1.5 us per
 * request in the splitter. */
#define AOPTS_HTB_DUMMY_TARGET 4000
/* Adaptive delay: the dummy for --delay-max; under change_tail's limit. */
#define AOPTS_HTB_ADAPTIVE_DUMMY_MAX 15000
#define AOPTS_MAX_CPU 1023		/* --line-cpu: the largest CPU number taken */
/* The default --release-grid: T / 20, so the hedge of a dense request is at
 * most 5 % of T late, within these bounds. */
#define AOPTS_GRID_DIV 20
#define AOPTS_GRID_MIN_NS 10000ULL
#define AOPTS_GRID_MAX_NS 1000000ULL
/* The id window must lie inside one UDP payload: 65535 - 8 (UDP) - 20 (IPv4). */
#define AOPTS_MAX_UDP_PAYLOAD 65507

/* An address:port as parsed (numeric only). */
struct aopts_endpoint {
	uint8_t family;		/* 4 or 6 */
	uint8_t addr[16];	/* IPv4 in the first four bytes */
	uint16_t port;		/* network byte order */
};

/* A --service: ep[0] is the service (VIP) itself, ep[1..n-1] its replicas. */
struct aopts_service {
	struct aopts_endpoint ep[HEDGER_MAX_REPLICAS];
	uint32_t n;
};

struct attach_opts {
	const char *dev;
	struct aopts_service services[HEDGER_MAX_SERVICES];
	int nservices;
	bool any_replicas;
	uint32_t replica_policy;	/* enum hedger_replica_policy */
	uint64_t tied;			/* 0: off; K >= 2: original + K-1 copies at once */
	uint64_t delay_ns;		/* fixed T, or the initial T in adaptive mode */
	uint32_t adaptive_permille;	/* 0: fixed --delay; 950: p95 */
	uint64_t delay_min_ns, delay_max_ns, delay_period_ns;
	uint32_t budget_milli;		/* milli-hedges per request; 0 with budget_on: none */
	bool budget_on;
	uint64_t budget_burst;
	int backend;			/* enum hedger_backend, -1: auto */
	uint64_t id_offset, id_width;
	bool id_be;
	bool id_given;			/* an --id-* option was given */
	uint32_t proto;			/* enum hedger_proto */
	const char *cgroup;		/* --cgroup PATH (cgroup v2 directory), or NULL */
	uint64_t sb_size;		/* scoreboard slots, a power of two */
	uint64_t classes;
	uint64_t interval_ns;
	uint64_t htb_calib_ns;
	uint64_t htb_finish_ns;	/* --htb-finish: HTB releases this early, BPF holds the rest */
	int hook;			/* enum hook_kind, -1: auto */
	bool no_neigh;
	bool htb_dummies;	/* htb at a fixed T: dummies instead of the size table */
	bool line_cpu_on;	/* --line-cpu given: */
	uint64_t line_cpu;	/* the CPU that runs the line's work (RPS on its b end) */
	bool line_poll;		/* --line-poll: that CPU polls the line's receive queue */
	bool line_macvlan;	/* --line-shape macvlan: htb's qdisc on a macvlan on the line */
	uint64_t release_grid_ns;	/* releases of dense requests rounded up to it, 0: off;
					 * after aopts_parse: --release-grid, or by default
					 * T / 20 (10us..1ms) where the hold is htb's size table */
	bool release_grid_given;	/* --release-grid was given (0 included) */
	int carriers;		/* --carriers on|off; -1: not given. After aopts_parse:
				 * 1 where they apply (on by default), else 0 */
	bool help;			/* --help was given and printed */
};

/* aopts_parse - parse and validate @argv (argv[0] = "attach") into @o.
 * 0 on success (check o->help); -EINVAL (or -ERANGE, -EOPNOTSUPP) after
 * printing one error line: a usage error. Resets getopt state. */
int aopts_parse(int argc, char **argv, struct attach_opts *o);
/* aopts_usage - the --help text. */
void aopts_usage(FILE *f);
/* aopts_endpoint_parse - numeric "A.B.C.D:PORT" or "[IPv6]:PORT", port
 * 1..65535, not the unspecified address; no name lookup. 0 or -EINVAL
 * after one error line naming @what. */
int aopts_endpoint_parse(const char *what, const char *text, struct aopts_endpoint *ep);
/* aopts_dev_is_own - @name is one of the hedger's own devices (its delay
 * line khd<N>a/b, the probe's khp<N>a/b). */
bool aopts_dev_is_own(const char *name);
/* aopts_max_delay_ns - the longest T the line may hold a clone. */
static inline uint64_t aopts_max_delay_ns(const struct attach_opts *o)
{
	return o->adaptive_permille ? o->delay_max_ns : o->delay_ns;
}
