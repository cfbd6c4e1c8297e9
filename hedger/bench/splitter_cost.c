/* splitter_cost: where the splitter's time goes, with BPF_PROG_TEST_RUN on
 * fresh requests (a new id per run, so every run takes the clone path),
 * in a private network namespace whose loopback receives the clones.
 *   decide-only : the clone target does not exist, the helper fails at once
 *                 (parse + service lookup + request digest + scoreboard
 *                 claim + counters), on the default 65536-slot board
 *   recirc      : one bpf_clone_redirect to the loopback's ingress
 *   edt         : the clone's tstamp set to now + T (DELIVERY_MONO), one
 *                 clone to lo's egress (no sch_fq here: fq's enqueue is not
 *                 in it; the program's own cost of the backend Debian's
 *                 kernels would pick)
 *   htb         : grow to S, clone, shrink, clone (2 clones to lo's egress;
 *                 without HTB there, so this is a lower bound of the real path)
 *   htb line    : the same two designs into a real delay line (the loader's
 *                 veth pair with HTB and 4096 classes, as `hedger attach`
 *                 builds it): grow+2 clones (adaptive T) against one clone
 *                 through the size table (fixed T), and the size table with
 *                 --line-cpu (the clone only enqueued to the line's receive
 *                 queue of another CPU). Only the send-path part: the first
 *                 pass's return trip runs later, in softirq.
 *   reply filter: the first reply of each request of the decide-only run
 *                 (parse, lookups, checksum check and digest, completion)
 * Prints ns per request for each: mean, P50 and P99 of the per-call durations
 * (P50 is the one a loaded machine disturbs least). */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "../tests/bpf_harness.h"
#include "line.h"
#include "netlink.h"

#define LINE_CLASSES 4096
#define LINE_T_NS 10000000ULL
#define LINE_S_BYTES 4000ULL	/* AOPTS_HTB_DUMMY_TARGET */

struct cost {
	double mean;
	uint64_t p50, p99;
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t one_run(struct bpf_program *prog, const struct tb_pkt *p)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = p->data, .data_size_in = p->len,
		    .repeat = 1);

	if (bpf_prog_test_run_opts(bpf_program__fd(prog), &opts))
		return UINT64_MAX;
	return opts.duration;
}

static struct cost summarize(uint64_t *d, int n)
{
	struct cost c = { 0, 0, 0 };
	double sum = 0;

	qsort(d, (size_t)n, sizeof(*d), cmp_u64);
	for (int i = 0; i < n; i++)
		sum += (double)d[i];
	c.mean = sum / n;
	c.p50 = d[n / 2];
	c.p99 = d[(n * 99) / 100];
	return c;
}

/* run - mean/P99 of the splitter on @n fresh requests; with @reply, of the
 * reply filter on each request's first reply instead. */
static struct cost run_cfg(struct tb_cfg cfg, int n, bool reply)
{
	struct hedger_sb_bucket zero = { 0 };
	struct cost bad = { -1, 0, 0 };
	uint8_t pl[32];
	struct tb_spec s;
	struct tb_pkt p;
	uint64_t *d;
	struct tb t;

	d = calloc((size_t)n, sizeof(*d));
	if (!d || tb_open(&t, &cfg)) {
		free(d);
		return bad;
	}
	/* Touch every bucket first: in a VM the first write to a fresh page
	 * costs a host fault (microseconds), which is start-up, not per packet. */
	for (uint32_t k = 0; k < cfg.sb_size / HEDGER_SB_WAYS; k++)
		bpf_map_update_elem(bpf_map__fd(t.skel->maps.scoreboard), &k, &zero, BPF_ANY);
	memset(&s, 0, sizeof(s));
	s.family = 4;
	s.payload = pl;
	for (int id = 1; id <= n; id++) {
		s.reply = false;
		s.payload_len = tb_payload_id(pl, sizeof(pl), 0, 4, false, (uint64_t)id);
		tb_build(&p, &s);
		d[id - 1] = one_run(t.skel->progs.hedger_splitter, &p);
		if (reply) {
			s.reply = true;
			tb_build(&p, &s);
			d[id - 1] = one_run(t.skel->progs.hedger_reply_filter, &p);
		}
		if (d[id - 1] == UINT64_MAX) {
			tb_close(&t);
			free(d);
			return bad;
		}
	}
	tb_close(&t);
	bad = summarize(d, n);
	free(d);
	return bad;
}

static struct cost run(int backend, uint32_t line_ifindex, int n, bool reply)
{
	struct tb_cfg cfg = { .backend = backend, .classes = LINE_CLASSES, .sb_size = 65536,
			      .line_ifindex = line_ifindex };

	return run_cfg(cfg, n, reply);
}

/* own_sysfs - a mount namespace whose /sys shows this network namespace, so
 * the line's RPS file can be written (as `ip netns exec` does). */
static int own_sysfs(void)
{
	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return -errno;
	umount2("/sys", MNT_DETACH);
	return mount("sysfs", "/sys", "sysfs", 0, NULL) ? -errno : 0;
}

/* run_line - the splitter into a real htb line (@charge: its size table, 0:
 * none, the grow path); the line is made for this run and removed. With
 * @line_cpu >= 0 the clone goes to the line's receive queue, steered to that
 * CPU (--line-cpu). */
static struct cost run_line(uint32_t charge, int n, int line_cpu)
{
	uint64_t rate = LINE_S_BYTES * 1000000000ULL / LINE_T_NS;
	struct line_cfg lc = { .backend = HEDGER_BACKEND_HTB, .delay_ns = LINE_T_NS,
			       .classes = LINE_CLASSES, .htb_rate_Bps = rate,
			       .htb_charge_bytes = charge };
	struct tb_cfg cfg = { .backend = HEDGER_BACKEND_HTB, .classes = LINE_CLASSES,
			      .sb_size = 65536, .delay_ns = LINE_T_NS, .htb_rate_Bps = rate,
			      .htb_stab_hold_ns = charge ? (uint64_t)charge * 1000000000ULL / rate : 0 };
	struct cost c = { -1, 0, 0 };
	struct nl_handle nl;
	struct line l;

	if (nl_open(&nl))
		return c;
	if (line_create(&nl, 1, &lc, &l) == 0) {
		cfg.line_ifindex = (uint32_t)l.a_ifindex;
		if (line_cpu >= 0)
			cfg.line_park_ifindex = (uint32_t)l.b_ifindex;
		if (line_cpu < 0 || line_steer_rx(&l, (unsigned)line_cpu) == 0)
			c = run_cfg(cfg, n, false);
		line_destroy(&nl, &l);
	} else {
		fprintf(stderr, "splitter_cost: cannot create the htb line: %s\n", nl.err_msg);
	}
	nl_close(&nl);
	return c;
}

static void show(const char *what, struct cost c)
{
	printf("%-46s %5.0f ns/request mean, P50 %5llu, P99 %5llu ns\n", what, c.mean,
	       (unsigned long long)c.p50, (unsigned long long)c.p99);
}

int main(void)
{
	const int n = 20000;

	tb_require();
	/* htb: each request claims one of 4096 classes (busy for T), so at
	 * most 4000 requests. */
	show("splitter decide-only (clone target missing):", run(HEDGER_BACKEND_RECIRC, 999999, n, false));
	show("splitter recirc (1 clone to lo ingress):", run(HEDGER_BACKEND_RECIRC, 1, n, false));
	show("splitter edt (tstamp + 1 clone to lo egress):", run(HEDGER_BACKEND_EDT, 1, n, false));
	show("splitter htb (grow+clone+shrink+clone to lo):", run(HEDGER_BACKEND_HTB, 1, 4000, false));
	show("splitter htb line, grow+clone+shrink+clone:", run_line(0, 4000, -1));
	show("splitter htb line, 1 clone, size table:", run_line((uint32_t)LINE_S_BYTES + 1, 2000, -1));
	if (libbpf_num_possible_cpus() >= 2 && own_sysfs() == 0) {
		cpu_set_t one;

		/* Sender on CPU 0, the line's work steered to CPU 1. */
		CPU_ZERO(&one);
		CPU_SET(0, &one);
		if (sched_setaffinity(0, sizeof(one), &one) == 0)
			show("splitter htb line, size table, --line-cpu:",
			     run_line((uint32_t)LINE_S_BYTES + 1, 2000, 1));
	}
	show("reply filter (first reply, completes):", run(HEDGER_BACKEND_RECIRC, 999999, n, true));
	return 0;
}
