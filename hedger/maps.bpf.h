/* maps.bpf.h: every map of the hedger's data path, and count(). Read-mostly
 * configuration (endpoints, replicas) is written by the loader
 * before attach; counters are per-CPU. */
#pragma once

#include "hedger.h"

#include "latency_hist.bpf.h"
#include "budget.bpf.h"

/* Payload bytes the reply filter reads to check a checksum and hash a reply;
 * a longer reply is trusted only on a device-verified checksum. */
#define HEDGER_SCRATCH_BYTES 4096
#define HEDGER_CSUM_CHUNK 512

struct hedger_scratch {
	__u8 buf[HEDGER_SCRATCH_BYTES + 8];
};

/* Every service address and hedge replica (endpoints.h). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, HEDGER_EP_SLOTS);
	__type(key, __u32);
	__type(value, struct hedger_endpoint);
} endpoints SEC(".maps");

/* Every UDP port of a service or a replica, as a bitmap (service_ports.h):
 * the parser's first filter, before the endpoint table. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, HEDGER_PORT_WORDS);
	__type(key, __u32);
	__type(value, __u64);
} service_ports SEC(".maps");

/* --line-poll: the poll packet's heartbeat, stop flag and round count;
 * mmapped by the loader, which writes the beat and the flag in place. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct hedger_line_poll);
} line_poll SEC(".maps");

/* The scoreboard (scoreboard.h): buckets of HEDGER_SB_WAYS one-line slots.
 * The loader sets max_entries to --scoreboard-size / HEDGER_SB_WAYS. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct hedger_sb_bucket);
} scoreboard SEC(".maps");

/* Per-CPU scratch space for reading a payload to hash and checksum it. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct hedger_scratch);
} scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, HC_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, HEDGER_MAX_SERVICES);
	__type(key, __u32);
	__type(value, struct lathist);	/* latency_hist.h; cumulative, summed over CPUs */
} latency_hist SEC(".maps");

/* How late each hedge left the delay line: its release minus the release
 * planned for it (send + T, or the grid step it was rounded up to), i.e.
 * the delay line's own error (E4), apart from what the grid adds on purpose.
 * latency_hist.h buckets; one histogram, per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lathist);
} release_late SEC(".maps");

/* Adaptive delay: per service, the recent-latency histogram, its bpf_timer
 * and the current delay (hedger/policy/latency_hist.bpf.h). Separate from
 * latency_hist above: this one decays every period, that one is cumulative
 * for `hedger stats`. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, HEDGER_MAX_SERVICES);
	__type(key, __u32);
	__type(value, struct lathist_svc);
} policy SEC(".maps");

/* Hedge budget: one token bucket per service (hedger/policy/budget.bpf.h). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, HEDGER_MAX_SERVICES);
	__type(key, __u32);
	__type(value, struct budget);
} budget SEC(".maps");

/* Replicas per service (slot 0 = the VIP) and the reverse lookup. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, HEDGER_MAX_SERVICES);
	__type(key, __u32);
	__type(value, struct hedger_replicas);
} replicas SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, HEDGER_MAX_SERVICES);
	__type(key, __u32);
	__type(value, struct hedger_replica_stats);
} replica_stats SEC(".maps");

/* htb: per class, the time its token debt is repaid and it may be reused. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, HEDGER_MAX_CLASSES);
	__type(key, __u32);
	__type(value, __u64);
} htb_busy SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} htb_cursor SEC(".maps");

/* --release-grid: per CPU, when its last request was sent (dense traffic
 * is what makes rounding releases to the grid worth their lateness). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} grid_last_send SEC(".maps");

/* Carriers (batch.h): per CPU, HEDGER_BATCH_RING grid steps of requests.
 * The loader sets max_entries to CPUs x HEDGER_BATCH_RING when carriers
 * are on (1 otherwise). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct hedger_batch);
} batch SEC(".maps");

static __always_inline void count(__u32 idx)
{
	__u64 *c = bpf_map_lookup_elem(&counters, &idx);

	if (c)
		*c += 1;
}
