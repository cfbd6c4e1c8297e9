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
 *   htb line grid: the size table on the default release grid (T/20), the
 *                 requests 20 us apart so ~25 share a step: a clone each
 *                 (--carriers off) against carriers (one clone per step,
 *                 the others copy their frame into the batch)
 *   reply filter: the first reply of each request of the decide-only run
 *                 (parse, lookups, checksum check and digest, completion)
 *   not ours    : a UDP datagram to (splitter) or from (reply filter) a port
 *                 that is no service: what every other packet pays
 *   floor       : a program that only returns (r0 = -1): what
 *                 BPF_PROG_TEST_RUN itself adds to a call (its clock reads)
 * Prints ns per request for each: mean, P50 and P99 of the per-call durations
 * (P50 is the one a loaded machine disturbs least). --only ROW runs one row
 * (the first word of its name, or "line-grow", "line-stab", "line-cpu",
 * "reply", "not-ours", "floor"), --passes N repeats it (for perf record),
 * --cold BYTES evicts the caches before every call, --requests N sets the
 * ids per row (htb rows keep their own smaller counts). */
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mount.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "../tests/bpf_harness.h"
#include "line.h"
#include "parse.h"
#include "netlink.h"

#define LINE_CLASSES 4096
#define LINE_T_NS 10000000ULL
#define LINE_S_BYTES 4000ULL	/* AOPTS_HTB_DUMMY_TARGET */
/* The size table's charge: T x R + 1 rounded up to its 32-byte unit. */
#define LINE_STAB_CHARGE ((uint32_t)(LINE_S_BYTES + 32) & ~31U)
/* The grid rows: the default release grid (T/20), requests 20 us apart
 * (E3's closed loop sends one every ~20-40 us), so ~25 share a grid step. */
#define LINE_GRID_NS (LINE_T_NS / 20)
#define LINE_GAP_NS 20000ULL

struct cost {
	double mean;
	uint64_t p50, p99;
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* --cold BYTES: a buffer written through before every timed call, so the
 * call finds the program, its maps and the scoreboard out of the CPU's
 * private caches, as a packet does after the application and the stack have
 * run (BPF_PROG_TEST_RUN back to back keeps them hot). */
static uint8_t *cold_buf;
static size_t cold_bytes;

static void evict(void)
{
	for (size_t i = 0; i < cold_bytes; i += 64)
		cold_buf[i]++;
}

/* one_run - ns of one BPF_PROG_TEST_RUN of @prog_fd on @p (UINT64_MAX: failed). */
static uint64_t one_run(int prog_fd, const struct tb_pkt *p)
{
	if (cold_bytes)
		evict();
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = p->data, .data_size_in = p->len,
		    .repeat = 1);

	if (bpf_prog_test_run_opts(prog_fd, &opts))
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

/* What run_cfg times for each of its @n ids. */
enum measure {
	M_SPLITTER,		/* the splitter on a fresh request */
	M_REPLY,		/* the reply filter on that request's first reply */
	M_NOT_OURS,		/* splitter and reply filter on UDP of no service */
};

/* pace - busy-wait @ns (the gap between two requests of a paced row). */
static void pace(uint64_t ns)
{
	struct timespec a, b;

	clock_gettime(CLOCK_MONOTONIC, &a);
	do
		clock_gettime(CLOCK_MONOTONIC, &b);
	while ((uint64_t)(b.tv_sec - a.tv_sec) * 1000000000ULL + (uint64_t)b.tv_nsec -
		       (uint64_t)a.tv_nsec < ns);
}

/* run_cfg - mean/P50/P99 of one program over @n ids, as @m says, the
 * requests @gap_ns apart (0: back to back). */
static struct cost run_cfg_paced(struct tb_cfg cfg, int n, enum measure m, uint64_t gap_ns)
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
	if (cfg.carriers) {
		struct hedger_batch *b = calloc(1, sizeof(*b));

		for (uint32_t k = 0; b && k < (uint32_t)t.ncpu * HEDGER_BATCH_RING; k++)
			bpf_map_update_elem(bpf_map__fd(t.skel->maps.batch), &k, b, BPF_ANY);
		free(b);
	}
	memset(&s, 0, sizeof(s));
	s.family = 4;
	s.payload = pl;
	for (int id = 1; id <= n; id++) {
		if (gap_ns)
			pace(gap_ns);
		s.reply = m == M_NOT_OURS && (id & 1);
		s.sport = s.dport = m == M_NOT_OURS ? TB_PORT + 1 : 0;
		s.payload_len = tb_payload_id(pl, sizeof(pl), 0, 4, false, (uint64_t)id);
		tb_build(&p, &s);
		d[id - 1] = one_run(bpf_program__fd(s.reply ? t.skel->progs.hedger_reply_filter :
							      t.skel->progs.hedger_splitter), &p);
		if (m == M_REPLY) {
			s.reply = true;
			tb_build(&p, &s);
			d[id - 1] = one_run(bpf_program__fd(t.skel->progs.hedger_reply_filter), &p);
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

static struct cost run_cfg(struct tb_cfg cfg, int n, enum measure m)
{
	return run_cfg_paced(cfg, n, m, 0);
}

/* --sb-size: scoreboard slots of the non-line rows (the loader's default). */
static uint32_t sb_slots = 65536;

static struct cost run(int backend, uint32_t line_ifindex, int n, enum measure m)
{
	struct tb_cfg cfg = { .backend = backend, .classes = LINE_CLASSES, .sb_size = sb_slots,
			      .line_ifindex = line_ifindex };

	return run_cfg(cfg, n, m);
}

/* run_floor - the same timing of a program that only returns TC_ACT_UNSPEC. */
static struct cost run_floor(int n)
{
	struct bpf_insn insns[2] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = -1 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	struct cost c = { -1, 0, 0 };
	struct tb_spec s = { .family = 4 };
	uint8_t pl[32];
	struct tb_pkt p;
	uint64_t *d;
	int fd;

	fd = bpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, "floor", "GPL", insns, 2, NULL);
	d = calloc((size_t)n, sizeof(*d));
	if (fd < 0 || !d)
		goto cleanup;
	s.payload = pl;
	s.payload_len = tb_payload_id(pl, sizeof(pl), 0, 4, false, 1);
	tb_build(&p, &s);
	for (int i = 0; i < n; i++) {
		d[i] = one_run(fd, &p);
		if (d[i] == UINT64_MAX)
			goto cleanup;
	}
	c = summarize(d, n);
cleanup:
	free(d);
	if (fd >= 0)
		close(fd);
	return c;
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
 * none, the grow path); the line is made for this run and removed. With a
 * size table the clone goes to the line's receive queue; with @line_cpu >= 0
 * that queue is steered to that CPU (--line-cpu). */
static struct cost run_line_grid(uint32_t charge, int n, int line_cpu, uint64_t grid_ns,
				 bool carriers)
{
	uint64_t rate = LINE_S_BYTES * 1000000000ULL / LINE_T_NS;
	struct line_cfg lc = { .backend = HEDGER_BACKEND_HTB, .delay_ns = LINE_T_NS,
			       .classes = LINE_CLASSES, .htb_rate_Bps = rate,
			       .htb_charge_bytes = charge };
	struct tb_cfg cfg = { .backend = HEDGER_BACKEND_HTB, .classes = LINE_CLASSES,
			      .sb_size = 65536, .delay_ns = LINE_T_NS, .htb_rate_Bps = rate,
			      .htb_stab_hold_ns = line_htb_stab_hold_ns(charge, rate) };
	struct cost c = { -1, 0, 0 };
	struct nl_handle nl;
	struct line l;

	if (nl_open(&nl))
		return c;
	if (line_create(&nl, 1, &lc, &l) == 0) {
		cfg.line_ifindex = (uint32_t)l.a_ifindex;
		if (charge)
			cfg.line_park_ifindex = (uint32_t)l.b_ifindex;
		cfg.release_grid_ns = grid_ns;
		cfg.carriers = carriers;
		if (line_cpu < 0 || line_steer_rx(&l, (unsigned)line_cpu) == 0)
			c = run_cfg_paced(cfg, n, M_SPLITTER, grid_ns ? LINE_GAP_NS : 0);
		line_destroy(&nl, &l);
	} else {
		fprintf(stderr, "splitter_cost: cannot create the htb line: %s\n", nl.err_msg);
	}
	nl_close(&nl);
	return c;
}

static struct cost run_line(uint32_t charge, int n, int line_cpu)
{
	return run_line_grid(charge, n, line_cpu, 0, false);
}

static void show(const char *what, struct cost c)
{
	printf("%-46s %5.0f ns/request mean, P50 %5llu, P99 %5llu ns\n", what, c.mean,
	       (unsigned long long)c.p50, (unsigned long long)c.p99);
}

/* parse_bytes - a byte count with an optional K, M or G suffix (binary). */
static int parse_bytes(const char *what, const char *text, uint64_t min, uint64_t max,
		       uint64_t *out)
{
	size_t len = strlen(text), digits = strspn(text, "0123456789");
	unsigned shift = 0;
	char num[24];
	uint64_t v;

	if (digits + 1 == len && strchr("KkMmGg", text[digits]))
		shift = strchr("Kk", text[digits]) ? 10 : strchr("Mm", text[digits]) ? 20 : 30;
	else if (digits != len)
		digits = 0;	/* junk after the number */
	if (!digits || digits >= sizeof(num)) {
		fprintf(stderr, "splitter_cost: invalid %s '%s': a byte count such as 8M\n", what,
			text);
		return -EINVAL;
	}
	memcpy(num, text, digits);
	num[digits] = '\0';
	if (parse_u64(what, num, 0, UINT64_MAX >> shift, &v))
		return -EINVAL;
	v <<= shift;
	if (v < min || v > max) {
		fprintf(stderr, "splitter_cost: %s '%s' is outside %llu..%llu bytes\n", what, text,
			(unsigned long long)min, (unsigned long long)max);
		return -ERANGE;
	}
	*out = v;
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: splitter_cost [--only ROW] [--passes N] [--requests N] [--cold BYTES]\n"
		"                     [--sb-size SLOTS]\n"
		"  --only ROW      one row: decide, recirc, edt, htb, line-grow, line-stab,\n"
		"                  line-grid, line-carrier,\n"
		"                  line-cpu, reply, not-ours, floor (default: all)\n"
		"  --passes N      run each chosen row N times (1..1000; default 1)\n"
		"  --requests N    ids per row (100..30000; default 20000)\n"
		"  --cold BYTES    write through BYTES (64K..1G, suffix K/M/G) before every\n"
		"                  call: caches cold as after real work (default: hot)\n"
		"  --sb-size SLOTS scoreboard slots, a power of two 1024..1048576 (default\n"
		"                  65536, as the loader); keep --requests well below it\n"
		"examples:\n"
		"  splitter_cost\n"
		"  splitter_cost --only reply --cold 8M --requests 4000\n"
		"  perf record -a -g -- splitter_cost --only reply --passes 50\n");
}

static bool want(const char *only, const char *row)
{
	return !only || strcmp(only, row) == 0;
}

int main(int argc, char **argv)
{
	static const char *const rows[] = { "decide", "recirc", "edt", "htb", "line-grow",
					    "line-stab", "line-grid", "line-carrier", "line-cpu", "reply", "not-ours",
					    "floor" };
	static const struct option opts[] = {
		{ "only", required_argument, NULL, 'o' },
		{ "passes", required_argument, NULL, 'p' },
		{ "requests", required_argument, NULL, 'n' },
		{ "cold", required_argument, NULL, 'c' },
		{ "sb-size", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *only = NULL;
	uint64_t passes = 1, v;
	int n = 20000;
	bool cpu_pinned = false;
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			only = optarg;
			break;
		case 'p':
			if (parse_u64("--passes", optarg, 1, 1000, &v))
				return 2;
			passes = v;
			break;
		case 'n':
			if (parse_u64("--requests", optarg, 100, 30000, &v))
				return 2;
			n = (int)v;
			break;
		case 'c':
			if (parse_bytes("--cold", optarg, 64ULL << 10, 1ULL << 30, &v))
				return 2;
			cold_bytes = (size_t)v;
			break;
		case 's':
			if (parse_u64("--sb-size", optarg, 1024, 1U << 20, &v))
				return 2;
			if (v & (v - 1)) {
				fprintf(stderr, "splitter_cost: --sb-size must be a power of two, not '%s'\n",
					optarg);
				return 2;
			}
			sb_slots = (uint32_t)v;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "splitter_cost: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (only) {
		size_t i;

		for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
			if (strcmp(only, rows[i]) == 0)
				break;
		if (i == sizeof(rows) / sizeof(rows[0])) {
			fprintf(stderr, "splitter_cost: no row '%s' (see --help)\n", only);
			return 2;
		}
	}
	if (cold_bytes) {
		cold_buf = calloc(1, cold_bytes);
		if (!cold_buf) {
			fprintf(stderr, "splitter_cost: cannot allocate --cold %zu bytes\n", cold_bytes);
			return 1;
		}
	}
	tb_require();
	for (uint64_t pass = 0; pass < passes; pass++) {
		/* htb: each request claims one of 4096 classes (busy for T),
		 * so at most 4000 requests. */
		if (want(only, "decide"))
			show("splitter decide-only (clone target missing):",
			     run(HEDGER_BACKEND_RECIRC, 999999, n, M_SPLITTER));
		if (want(only, "recirc"))
			show("splitter recirc (1 clone to lo ingress):",
			     run(HEDGER_BACKEND_RECIRC, 1, n, M_SPLITTER));
		if (want(only, "edt"))
			show("splitter edt (tstamp + 1 clone to lo egress):",
			     run(HEDGER_BACKEND_EDT, 1, n, M_SPLITTER));
		if (want(only, "htb"))
			show("splitter htb (grow+clone+shrink+clone to lo):",
			     run(HEDGER_BACKEND_HTB, 1, 4000, M_SPLITTER));
		if (want(only, "line-grow"))
			show("splitter htb line, grow+clone+shrink+clone:", run_line(0, 4000, -1));
		if (want(only, "line-stab"))
			show("splitter htb line, 1 clone, size table:",
			     run_line(LINE_STAB_CHARGE, 2000, -1));
		if (want(only, "line-grid"))
			show("splitter htb line, size table, grid, paced:",
			     run_line_grid(LINE_STAB_CHARGE, 2000, -1, LINE_GRID_NS, false));
		if (want(only, "line-carrier"))
			show("splitter htb line, grid + carriers, paced:",
			     run_line_grid(LINE_STAB_CHARGE, 2000, -1, LINE_GRID_NS, true));
		if (want(only, "line-cpu") && libbpf_num_possible_cpus() >= 2 &&
		    (cpu_pinned || own_sysfs() == 0)) {
			cpu_set_t one;

			/* Sender on CPU 0, the line's work steered to CPU 1. */
			CPU_ZERO(&one);
			CPU_SET(0, &one);
			if (sched_setaffinity(0, sizeof(one), &one) == 0) {
				cpu_pinned = true;
				show("splitter htb line, size table, --line-cpu:",
				     run_line(LINE_STAB_CHARGE, 2000, 1));
			}
		}
		if (want(only, "reply"))
			show("reply filter (first reply, completes):",
			     run(HEDGER_BACKEND_RECIRC, 999999, n, M_REPLY));
		if (want(only, "not-ours"))
			show("not ours (UDP of no service, both programs):",
			     run(HEDGER_BACKEND_RECIRC, 999999, n, M_NOT_OURS));
		if (want(only, "floor"))
			show("floor (a program that only returns):", run_floor(n));
	}
	free(cold_buf);
	return 0;
}
