/* knobs.bpf.h: the data path's knobs, `const volatile` rodata the loader
 * sets before load (hedger/attach_config.c). Include once, from hedger.bpf.c,
 * before the headers that read them. */
#pragma once

const volatile __u32 cfg_backend = HEDGER_BACKEND_HTB;
const volatile __u64 cfg_delay_ns = 10000000;
const volatile __u32 cfg_proto = HEDGER_PROTO_ID;
const volatile __u32 cfg_id_offset = 0;
const volatile __u32 cfg_id_width = 4;
const volatile __u8 cfg_id_be = 0;
const volatile __u32 cfg_l2_len = 14;
const volatile __u32 cfg_line_ifindex = 0;	/* where clones are sent */
const volatile __u32 cfg_out_ifindex = 0;	/* client-side dev: where hedges leave */
const volatile __u32 cfg_redirect_neigh = 1;	/* 0: plain bpf_redirect, keep the L2 header */
const volatile __u64 cfg_stale_ns = 2000000000;	/* a request older than this is forgotten */
const volatile __u32 cfg_sb_mask = 16383;	/* scoreboard buckets - 1 (a power of two) */
const volatile __u64 cfg_sb_seed = 0x6b68656467657231ULL;	/* hash seed, random per load */
const volatile __u64 cfg_cgroup_id = 0;		/* !0: hedge only requests of this cgroup (or below) */
const volatile __u32 cfg_cgroup_level = 0;	/* its level in the cgroup v2 hierarchy */
const volatile __u32 cfg_class_pool = 0;
const volatile __u64 cfg_htb_rate_Bps = 1000000;
const volatile __u64 cfg_htb_calib_bytes = 0;
const volatile __u64 cfg_htb_max_dummy = 16000;
const volatile __u64 cfg_htb_guard_ns = 1000000;
const volatile __u32 cfg_line_park_ifindex = 0;	/* !0: size-table clones go to this
						 * device's ingress first (--line-cpu) */
const volatile __u64 cfg_htb_stab_hold_ns = 0;	/* !0: the line's HTB has a size table: every pass
						 * through a class costs this long (see htb_stab_park) */
const volatile __u64 cfg_release_grid_ns = 0;	/* !0: size-table releases rounded up to this grid */
const volatile __u64 cfg_htb_finish_ns = 0;	/* !0: HTB releases this early and the rescuer
						 * holds a hedge still due until its planned
						 * release, going round the line (--htb-finish) */
const volatile __u64 cfg_htb_tier_ns = 0;	/* the grid's hold step between the pool's
						 * HEDGER_MAX_HTB_TIERS tiers of classes */
const volatile __u32 cfg_batch = 0;		/* 1: dense requests ride carriers (batch.h) */
const volatile __u32 cfg_adaptive = 0;		/* 1: per-service delay from the "policy" map */
const volatile __u32 cfg_budget = 0;		/* 1: hedges limited by the "budget" map */
const volatile __u32 cfg_replicas = 0;		/* 1: some service has replicas (NAT paths on) */
const volatile __u32 cfg_tied = 0;		/* 1: some service is in tied mode */
const volatile __u32 cfg_line_b_ifindex = 0;	/* the line's b end, where the rescuer is: tied
						 * copies and rounds of the line enter its ingress */
const volatile __u32 cfg_line_poll = 0;		/* 1: --line-poll (the rescuer keeps the poll packet going) */
