/* line.c: create and remove the delay line's veth pair and qdiscs. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hedger.h"
#include "line.h"
#include "log.h"
#include "state.h"

uint64_t line_htb_rate(uint64_t delay_ns, uint64_t dummy_bytes)
{
	uint64_t r = delay_ns ? dummy_bytes * 1000000000ULL / delay_ns : 0;

	return r ? r : 1;
}

uint64_t line_htb_stab_hold_ns(uint64_t charge_bytes, uint64_t rate_Bps)
{
	return charge_bytes * 1000000000ULL / rate_Bps;
}

uint64_t line_htb_tier_ns(uint64_t grid_ns)
{
	/* A release is at most one grid step away from its grid point, and
	 * the tiers (hold + 0 .. hold + (tiers-1) x step) must reach it. */
	return grid_ns / (HEDGER_MAX_HTB_TIERS - 1);
}

uint64_t line_htb_class_rate(const struct line_cfg *cfg, uint32_t minor)
{
	uint32_t per_tier = cfg->classes / HEDGER_MAX_HTB_TIERS, tier;
	uint64_t s = cfg->htb_charge_bytes, hold;

	if (!cfg->htb_tier_ns || !s || !per_tier)
		return cfg->htb_rate_Bps;
	tier = (minor - 1) / per_tier;
	if (tier >= HEDGER_MAX_HTB_TIERS || !tier)
		return cfg->htb_rate_Bps;	/* tier 0, or classes past the last tier (unused) */
	/* The BPF side counts on hold + tier x step; rounding the rate down
	 * makes the kernel's hold a little longer, never shorter. */
	hold = line_htb_stab_hold_ns(s, cfg->htb_rate_Bps) + tier * cfg->htb_tier_ns;
	return s * 1000000000ULL / hold;
}

static int line_qdisc(struct nl_handle *nl, const struct line_cfg *cfg, int ifindex)
{
	int err = 0;

	switch (cfg->backend) {
	case HEDGER_BACKEND_HTB:
		err = nl_qdisc_add_htb_sized(nl, ifindex, cfg->htb_charge_bytes);
		/* burst 1: the class has (almost) no bucket, so its tokens go
		 * negative by the full dummy and the next packet waits S/R. */
		for (uint32_t c = 1; !err && c <= cfg->classes; c++)
			err = nl_htb_class_add(nl, ifindex, c, line_htb_class_rate(cfg, c), 1);
		return err;
	case HEDGER_BACKEND_EDT:
		return nl_qdisc_add_fq(nl, ifindex, 100000, 100000);
	case HEDGER_BACKEND_NETEM:
		return nl_qdisc_add_netem(nl, ifindex, cfg->delay_ns, 100000);
	case HEDGER_BACKEND_RECIRC:
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

int line_create(struct nl_handle *nl, int ifindex, const struct line_cfg *cfg, struct line *l)
{
	int err;

	memset(l, 0, sizeof(*l));
	state_line_names(ifindex, l->a, l->b);
	err = nl_veth_create(nl, l->a, l->b, 1000, LINE_MTU);
	if (err)
		return err;
	l->created = 1;
	l->a_ifindex = (int)if_nametoindex(l->a);
	l->b_ifindex = (int)if_nametoindex(l->b);
	if (!l->a_ifindex || !l->b_ifindex) {
		err = -ENODEV;
		goto fail;
	}
	if (cfg->macvlan) {
		state_line_macvlan_name(ifindex, l->m);
		err = nl_macvlan_create(nl, l->m, l->a_ifindex);
		if (!err && !(l->m_ifindex = (int)if_nametoindex(l->m)))
			err = -ENODEV;
		if (err)
			goto fail;
	}
	err = line_qdisc(nl, cfg, l->m_ifindex ? l->m_ifindex : l->a_ifindex);
	l->qdisc_failed = err != 0;
	if (!err)
		err = nl_link_set_up(nl, l->b_ifindex);
	if (!err)
		err = nl_link_set_up(nl, l->a_ifindex);
	if (!err && l->m_ifindex)
		err = nl_link_set_up(nl, l->m_ifindex);
	if (!err)
		return 0;
fail:
	{
		char msg[sizeof(nl->err_msg)];

		memcpy(msg, nl->err_msg, sizeof(msg));	/* the cause, not the cleanup */
		line_destroy(nl, l);
		memcpy(nl->err_msg, msg, sizeof(msg));
	}
	return err;
}

int line_steer_rx(const struct line *l, unsigned cpu)
{
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);
	char path[128], mask[400];
	size_t n = 0;
	int fd, err = 0;

	if (ncpu > 0 && cpu >= (unsigned long)ncpu) {
		log_error("--line-cpu %u: this machine has CPUs 0..%ld", cpu, ncpu - 1);
		return -EINVAL;
	}
	/* Comma-separated 32-bit groups, most significant first. */
	n += (size_t)snprintf(mask, sizeof(mask), "%x", 1u << (cpu % 32));
	for (unsigned g = cpu / 32; g > 0 && n < sizeof(mask) - 10; g--)
		n += (size_t)snprintf(mask + n, sizeof(mask) - n, ",00000000");
	snprintf(path, sizeof(path), "/sys/class/net/%s/queues/rx-0/rps_cpus", l->b);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, mask, n) != (ssize_t)n)
		err = -errno;
	if (fd >= 0)
		close(fd);
	if (err)
		log_error("--line-cpu %u: cannot set %s: %s (RPS needs the kernel's CONFIG_RPS and a "
			  "/sys that shows this network namespace)", cpu, path, strerror(-err));
	return err;
}

void line_destroy(struct nl_handle *nl, struct line *l)
{
	if (l->created && l->a_ifindex)
		nl_link_delete(nl, l->a_ifindex);
	l->created = 0;
}
