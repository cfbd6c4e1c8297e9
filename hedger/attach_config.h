/* attach_config: the configure step of `hedger attach` - open the BPF
 * object, set its rodata knobs from the options and the delay line, load
 * it, fill the service, policy, budget and replica maps. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "attach_opts.h"

struct hedger_bpf;

/* What the instance step decided and built before the programs load. */
struct config_env {
	int backend;		/* enum hedger_backend */
	int ifindex;		/* the client-side dev */
	int l2_len;		/* bytes before the IP header on it */
	int line_a_ifindex, line_b_ifindex;
	int line_m_ifindex;	/* the line's macvlan (--line-shape macvlan), else 0 */
	uint64_t htb_rate_Bps;	/* the line's R (htb) */
	uint32_t htb_charge_bytes;	/* its size table's charge, 0: none (htb) */
};

/* config_htb_rate - R (bytes/s) for the htb line: a dummy of at most
 * AOPTS_HTB_*_DUMMY bytes holds a clone for the longest T. */
uint64_t config_htb_rate(const struct attach_opts *o);
/* config_htb_charge - what the htb line's size table charges a pass of a
 * length that is 1 mod 3 (S = T x R + 1 minus the calibration, rounded up
 * to its unit), or 0 when it has none: with an adaptive delay T varies per
 * request, so dummies of T x R bytes make it. */
uint32_t config_htb_charge(const struct attach_opts *o);
/* config_carriers - whether dense requests ride carriers (batch.h): asked
 * (--carriers, on by default where they apply), the line is htb's size table
 * with a release grid, the device is Ethernet and the CPUs fit the mark. */
bool config_carriers(const struct attach_opts *o, const struct config_env *env);
/* config_load - open, set knobs, load and fill maps; *@skel is set even on
 * error (destroy it). 0 or -errno after one error line. */
int config_load(struct hedger_bpf **skel, const struct attach_opts *o, const struct config_env *env);
