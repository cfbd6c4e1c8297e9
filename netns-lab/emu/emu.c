// SPDX-License-Identifier: GPL-2.0-only
/* emu: a BPF link emulator for one direction of a veth (its egress):
 * delay, jitter, loss (Bernoulli, Gilbert-Elliott), duplication, reordering.
 * "attach" loads and leaves it on the device (a cls_bpf filter and an HTB
 * root); it goes with the device or with "detach". */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "emu.h"
#include "emu_calib.h"
#include "emu_opts.h"	/* struct emu_params, before the skeleton */
#include "emu.skel.h"
#include "emu_tc.h"
#include "log.h"
#include "netlink.h"
#include "normal_table.h"

/* Dummy size at the longest delay: under change_tail's ~16 KB, and far over
 * an Ethernet frame at all but the shortest delays of a wide jitter. */
#define EMU_DUMMY_AT_MAX 12000ULL
/* --calib auto: holds measured, and their length bounds. */
#define EMU_CALIB_SAMPLES 500
#define EMU_CALIB_MIN_HOLD 200000ULL
#define EMU_CALIB_MAX_HOLD 1000000ULL

static const char *const counter_names[] = {
#define EMU_COUNTER_NAME(e, n, h) n,
	EMU_COUNTERS(EMU_COUNTER_NAME)
#undef EMU_COUNTER_NAME
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: emu attach --dev IF [--delay D [--jitter J [--distribution uniform|normal]]]\n"
		"                  [--loss P | --gemodel P,R,1-H,1-K] [--duplicate P] [--reorder P]\n"
		"                  [--seed N] [--classes N] [--calib D|auto]\n"
		"       emu check [attach options without --dev]   validate only\n"
		"       emu stats --dev IF\n"
		"       emu detach --dev IF\n"
		"\n"
		"Emulates one direction of a link at IF's egress, with netem's meanings:\n"
		"  --delay D         fixed delay (at most 2s)\n"
		"  --jitter J        uniform: D +- J (J <= D); normal: sigma J (J <= D / 3.7)\n"
		"  --loss P          Bernoulli loss, e.g. 1%%\n"
		"  --gemodel P,R,1-H,1-K   Gilbert-Elliott loss (netem's loss gemodel p r 1-h 1-k)\n"
		"  --duplicate P     probability of a duplicate (the copy gets its own fate)\n"
		"  --reorder P       probability that a packet skips the delay (needs --delay)\n"
		"  --seed N          random stream seed (default 1): same seed, same decisions\n"
		"  --classes N       HTB classes holding delayed packets (default 1024):\n"
		"                    at least packet rate x (largest delay + 1 ms)\n"
		"  --calib D|auto    shorten each hold by D (HTB watchdog lateness); auto: measure\n"
		"                    it on IF now (500 holds of min(delay, 1ms), ~0.7 s)\n"
		"\n"
		"Examples:\n"
		"  ip netns exec kh1a2b-client emu attach --dev kh1a2b-cli --delay 5ms --jitter 1ms --loss 1%%\n"
		"  emu attach --dev veth0 --gemodel 1%%,30%%,100%%,0%%\n"
		"  emu stats --dev veth0; emu detach --dev veth0\n");
}

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_WARN && log_get_level() >= LOG_LVL_DEBUG)
		return vfprintf(stderr, fmt, ap);
	return 0;
}

static int dev_index(const char *dev)
{
	int ifindex = (int)if_nametoindex(dev);

	if (!ifindex)
		log_error("no interface '%s' in this network namespace", dev);
	return ifindex;
}

/* calibrate - --calib auto: the mean lateness of HTB releases on this
 * device now (winsorized at its P99), measured on holds as long as the
 * delay up to EMU_CALIB_MAX_HOLD (the lateness does not grow with the hold,
 * and lab.sh up should stay quick). */
static int calibrate(struct nl_handle *nl, int ifindex, struct emu_config *c)
{
	uint64_t hold = c->p.delay_ns < EMU_CALIB_MAX_HOLD ? c->p.delay_ns : EMU_CALIB_MAX_HOLD;
	struct emu_calib m;
	int err;

	if (hold < EMU_CALIB_MIN_HOLD)
		hold = EMU_CALIB_MIN_HOLD;
	err = emu_calib_measure(nl, ifindex, c->classes + 1, hold, EMU_CALIB_SAMPLES, &m);
	if (err) {
		log_error("--calib auto: measuring HTB's release on %s failed: %s", c->dev, strerror(-err));
		return err;
	}
	c->calib_ns = m.winsor_mean_ns > 0 ? (uint64_t)m.winsor_mean_ns : 0;
	if (c->calib_ns > c->p.delay_ns / 2)
		c->calib_ns = c->p.delay_ns / 2;
	printf("emu: %s: calib auto: %u holds of %luns: lateness p50 %ldns mean %ldns winsorized %ldns "
	       "p99 %ldns max %ldns -> calib %luns\n",
	       c->dev, m.samples, (unsigned long)m.hold_ns, (long)m.p50_ns, (long)m.mean_ns,
	       (long)m.winsor_mean_ns, (long)m.p99_ns, (long)m.max_ns, (unsigned long)c->calib_ns);
	return 0;
}

static int cmd_attach(int argc, char **argv)
{
	static int16_t table[EMU_NORMAL_TABLE_SIZE];
	struct emu_config c;
	struct emu_bpf *skel = NULL;
	struct nl_handle nl = { 0 };
	bool qdisc_made = false, hook_created = false;
	uint64_t rate = 1000000;
	uint32_t prog_id, i;
	int ifindex, err, rc = 1;

	rc = emu_parse_attach(argc, argv, &c, true);
	if (rc < 0) {
		usage(stdout);
		return 0;
	}
	if (rc)
		return rc;
	rc = 1;
	ifindex = dev_index(c.dev);
	if (!ifindex)
		return 1;
	if (!emu_tc_query(ifindex, &prog_id)) {
		log_error("%s has an emulator already (emu detach --dev %s)", c.dev, c.dev);
		return 1;
	}
	if (c.max_hold_ns)
		rate = EMU_DUMMY_AT_MAX * 1000000000ULL / c.max_hold_ns;
	if (!rate)
		rate = 1;

	skel = emu_bpf__open();
	if (!skel) {
		log_error("cannot open the BPF object: %s", strerror(errno));
		goto cleanup;
	}
	memcpy((void *)&skel->rodata->cfg, &c.p, sizeof(c.p));
	normal_table_fill(table, EMU_NORMAL_TABLE_SIZE);
	memcpy((void *)skel->rodata->cfg_normal, table, sizeof(table));
	skel->rodata->cfg_ifindex = (uint32_t)ifindex;
	skel->rodata->cfg_class_pool = c.p.delay_ns ? c.classes : 0;
	skel->rodata->cfg_rate_Bps = rate;
	bpf_map__set_max_entries(skel->maps.emu_busy, c.classes);

	err = nl_open(&nl);
	if (err) {
		log_error("rtnetlink: %s", strerror(-err));
		goto cleanup;
	}
	err = nl_qdisc_add_htb(&nl, ifindex);
	if (err) {
		log_error("cannot add the HTB root on %s: %s%s%s%s", c.dev, strerror(-err),
			  err == -EEXIST ? " (it has a root qdisc already)" : "",
			  nl.err_msg[0] ? ": " : "", nl.err_msg);
		goto cleanup;
	}
	qdisc_made = true;
	for (i = 1; c.p.delay_ns && i <= c.classes; i++) {
		err = nl_htb_class_add(&nl, ifindex, i, rate, 1);
		if (err) {
			log_error("cannot add HTB class 1:%u on %s: %s %s", i, c.dev, strerror(-err),
				  nl.err_msg);
			goto cleanup;
		}
	}
	if (c.calib_auto && c.p.delay_ns) {
		err = calibrate(&nl, ifindex, &c);
		if (err)
			goto cleanup;
	}
	skel->rodata->cfg_calib_bytes = c.calib_ns * rate / 1000000000ULL;
	err = emu_bpf__load(skel);
	if (err) {
		log_error("cannot load the BPF program: %s%s", strerror(-err),
			  err == -EPERM ? " (root or CAP_BPF + CAP_NET_ADMIN needed)" : "");
		goto cleanup;
	}
	err = emu_tc_attach(ifindex, bpf_program__fd(skel->progs.emu_egress), &hook_created);
	if (err) {
		log_error("cannot attach to %s egress: %s", c.dev, strerror(-err));
		goto cleanup;
	}
	printf("emu: %s: delay %luns jitter %luns (%s) loss %s dup %.4f%% reorder %.4f%%; "
	       "HTB %u classes at %lu B/s\n",
	       c.dev, (unsigned long)c.p.delay_ns, (unsigned long)c.p.jitter_ns,
	       c.p.dist == EMU_DIST_NORMAL ? "normal" : "uniform",
	       c.p.loss_model == EMU_LOSS_GEMODEL ? "gemodel" :
	       c.p.loss_model == EMU_LOSS_BERNOULLI ? "bernoulli" : "none",
	       100.0 * (double)c.p.duplicate / (double)EMU_P_ONE,
	       100.0 * (double)c.p.reorder / (double)EMU_P_ONE,
	       c.p.delay_ns ? c.classes : 0, (unsigned long)rate);
	rc = 0;
cleanup:
	if (rc && qdisc_made)
		emu_qdisc_del_root(ifindex);
	nl_close(&nl);
	/* The filter keeps the program and its maps; the skeleton can go. */
	emu_bpf__destroy(skel);
	return rc;
}

/* counters_fd - the emu_counters map of the program in IF's filter. */
static int counters_fd(uint32_t prog_id)
{
	struct bpf_prog_info info = { 0 };
	uint32_t len = sizeof(info), map_ids[16], i;
	int prog_fd, fd = -ENOENT;

	prog_fd = bpf_prog_get_fd_by_id(prog_id);
	if (prog_fd < 0)
		return -errno;
	info.nr_map_ids = 16;
	info.map_ids = (uint64_t)(unsigned long)map_ids;
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len)) {
		fd = -errno;
		goto cleanup;
	}
	for (i = 0; i < info.nr_map_ids && i < 16; i++) {
		struct bpf_map_info mi = { 0 };
		uint32_t mlen = sizeof(mi);
		int mfd = bpf_map_get_fd_by_id(map_ids[i]);

		if (mfd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(mfd, &mi, &mlen) && !strcmp(mi.name, "emu_counters")) {
			fd = mfd;
			break;
		}
		close(mfd);
	}
cleanup:
	close(prog_fd);
	return fd;
}

static int cmd_stats(int argc, char **argv)
{
	const char *dev;
	uint32_t prog_id, k;
	int ifindex, fd, ncpu, rc;
	uint64_t *vals;

	rc = emu_parse_dev(argc, argv, "stats", &dev);
	if (rc)
		return rc < 0 ? (usage(stdout), 0) : rc;
	ifindex = dev_index(dev);
	if (!ifindex)
		return 1;
	if (emu_tc_query(ifindex, &prog_id)) {
		log_error("no emulator on %s", dev);
		return 1;
	}
	fd = counters_fd(prog_id);
	if (fd < 0) {
		log_error("cannot open the emulator's counters: %s", strerror(-fd));
		return 1;
	}
	ncpu = libbpf_num_possible_cpus();
	vals = calloc((size_t)ncpu, sizeof(*vals));
	if (!vals) {
		close(fd);
		return 1;
	}
	for (k = 0; k < EMU_C_COUNT; k++) {
		uint64_t sum = 0;

		if (!bpf_map_lookup_elem(fd, &k, vals))
			for (int c = 0; c < ncpu; c++)
				sum += vals[c];
		printf("%s %lu\n", counter_names[k], (unsigned long)sum);
	}
	free(vals);
	close(fd);
	return 0;
}

/* check: validate attach options without a device (lab.sh, before it
 * makes anything). */
static int cmd_check(int argc, char **argv)
{
	struct emu_config c;
	int rc = emu_parse_attach(argc, argv, &c, false);

	if (rc < 0) {
		usage(stdout);
		return 0;
	}
	return rc;
}

static int cmd_detach(int argc, char **argv)
{
	const char *dev;
	uint32_t prog_id;
	int ifindex, rc;

	rc = emu_parse_dev(argc, argv, "detach", &dev);
	if (rc)
		return rc < 0 ? (usage(stdout), 0) : rc;
	ifindex = dev_index(dev);
	if (!ifindex)
		return 1;
	if (emu_tc_query(ifindex, &prog_id))
		return 0;	/* nothing there: done already */
	emu_tc_detach(ifindex, false);
	emu_qdisc_del_root(ifindex);
	return 0;
}

int main(int argc, char **argv)
{
	log_set_program("emu");
	libbpf_set_print(libbpf_quiet);
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "attach"))
		return cmd_attach(argc - 1, argv + 1);
	if (!strcmp(argv[1], "stats"))
		return cmd_stats(argc - 1, argv + 1);
	if (!strcmp(argv[1], "detach"))
		return cmd_detach(argc - 1, argv + 1);
	if (!strcmp(argv[1], "check"))
		return cmd_check(argc - 1, argv + 1);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		return 0;
	}
	log_error("unknown command '%s' (attach, stats, detach; try --help)", argv[1]);
	return 2;
}
