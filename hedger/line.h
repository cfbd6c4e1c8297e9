/* line.h: the delay line's kernel objects: a veth pair khd<ifindex>a/b in
 * the current netns, both up, MTU LINE_MTU, with the backend's qdisc on the a end
 * (htb with --line-shape macvlan: on a macvlan khd<ifindex>m on top of a, whose
 * transmit hands a released clone to a's TC egress inside the same softirq
 * pass, where veth would hand it to b's backlog and a second pass):
 *   htb    - HTB root 1: with leaf classes 1:1..1:N, rate = ceil = R, burst 1
 *   edt    - sch_fq root
 *   netem  - netem root with delay T
 *   recirc - no qdisc (clones go straight to b's ingress)
 * Deleting the a end deletes the pair, the macvlan and their qdiscs. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <net/if.h>

#include "netlink.h"

/* Both ends' MTU: veth's largest, so a clone of any request that is one
 * frame on its device (lo: 64 KiB; jumbo frames) fits the line; with the
 * default 1500 a longer clone was dropped at the veth and never hedged. */
#define LINE_MTU 65535

struct line {
	char a[IFNAMSIZ], b[IFNAMSIZ], m[IFNAMSIZ];
	int a_ifindex, b_ifindex;
	int m_ifindex;		/* the macvlan (--line-shape macvlan), else 0 */
	int created;
	bool qdisc_failed;	/* line_create failed at the backend's qdisc: the
				 * kernel lacks it (the veth pair itself worked) */
};

struct line_cfg {
	int backend;
	bool macvlan;		/* --line-shape macvlan (htb): the qdisc on a macvlan on a */
	uint64_t delay_ns;
	uint32_t classes;	/* htb pool size */
	uint64_t htb_rate_Bps;
	uint32_t htb_charge_bytes;	/* size table charge per packet, 0: none */
	uint64_t htb_tier_ns;	/* !0 (size table only): the pool is split in
				 * HEDGER_MAX_HTB_TIERS tiers, tier k holding
				 * k x htb_tier_ns longer (--release-grid) */
};

/* line_htb_rate - the rate R (bytes/s) at which a dummy of @dummy_bytes
 * holds a clone for @delay_ns. */
uint64_t line_htb_rate(uint64_t delay_ns, uint64_t dummy_bytes);
/* line_htb_stab_hold_ns - how long one pass charged @charge_bytes by the
 * size table holds a class of rate @rate_Bps (the data path's
 * cfg_htb_stab_hold_ns, and tier 0's hold). */
uint64_t line_htb_stab_hold_ns(uint64_t charge_bytes, uint64_t rate_Bps);
/* line_htb_tier_ns - the hold step between tiers for a release @grid_ns
 * (0: no grid, 0). */
uint64_t line_htb_tier_ns(uint64_t grid_ns);
/* line_htb_class_rate - the rate of class 1:@minor (1-based) of a pool of
 * cfg->classes: cfg->htb_rate_Bps, or with tiers the rate at which one pass
 * of the charged size holds k x htb_tier_ns longer in tier k. */
uint64_t line_htb_class_rate(const struct line_cfg *cfg, uint32_t minor);
/* line_create - build the line for the dev with @ifindex; on error nothing
 * is left and nl->err_msg may say why. */
int line_create(struct nl_handle *nl, int ifindex, const struct line_cfg *cfg, struct line *l);
void line_destroy(struct nl_handle *nl, struct line *l);
/* line_steer_rx - RPS on the b end's receive queue: what enters it is
 * processed on @cpu (the line's own device; removed with it). 0 or -errno
 * after one error line. */
int line_steer_rx(const struct line *l, unsigned cpu);
