/* bench_policy: cost of the policy functions, measured with
 * BPF_PROG_TEST_RUN (kernel-reported mean duration per run over many
 * repeats, test-program overhead included) and the verifier's instruction
 * count per program. Needs root. Prints one line per program:
 *   program ns_per_run verified_insns
 * Usage: bench_policy [REPEAT]   (default 200000) */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "check.h"
#include "prog_run.h"
#include "udp_pkt.h"
#include <arpa/inet.h>
#include "budget.h"
#include "latency_hist.h"
#include "nat.h"
#include "lathist_test.skel.h"
#include "budget_test.skel.h"
#include "nat_test.skel.h"

static uint32_t repeat = 200000;

static void bench(const char *name, struct bpf_program *prog, const void *pkt, uint32_t len)
{
	struct prog_run r = { .in = pkt, .len = len, .repeat = repeat };
	struct bpf_prog_info info;
	uint32_t info_len = sizeof(info);
	int err;

	memset(&info, 0, sizeof(info));
	err = prog_run(bpf_program__fd(prog), &r);
	if (!err && bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &info_len))
		err = -errno;
	if (err) {
		fprintf(stderr, "bench_policy: %s: %s\n", name, strerror(-err));
		exit(1);
	}
	printf("%-28s %6u %8u\n", name, r.duration_ns, info.verified_insns);
}

static void set_svc(int fd, uint64_t fill_per_bucket)
{
	struct lathist_svc s;
	uint32_t key = 0;

	memset(&s, 0, sizeof(s));
	s.cfg.p_permille = 990;
	s.cfg.max_ns = ~0ull;
	for (uint32_t i = 0; i < LATHIST_BUCKETS; i++)
		s.hist.counts[i] = fill_per_bucket;
	bpf_map_update_elem(fd, &key, &s, BPF_ANY);
}

int main(int argc, char **argv)
{
	struct lathist_test_bpf *lh;
	struct budget_test_bpf *bt;
	struct nat_test_bpf *nt;
	struct budget b = { .credits = 10000, .ratio_milli = 50, .burst = 10 };
	struct up_spec s4 = { .family = 4, .src = "198.18.7.1", .dst = "198.18.7.100",
			      .sport = 40001, .dport = 9000, .payload_len = 64 };
	struct up_spec s6 = { .family = 6, .src = "2001:db8:7::1", .dst = "2001:db8:7::100",
			      .sport = 40001, .dport = 9000, .payload_len = 64 };
	uint8_t p4[256], p6[256];
	uint32_t l4, l6, key = 0;

	if (argc > 1 && (repeat = (uint32_t)strtoul(argv[1], NULL, 10)) == 0) {
		fprintf(stderr, "bench_policy: REPEAT must be a positive integer\n");
		return 1;
	}
	prog_run_require_root();
	lh = lathist_test_bpf__open_and_load();
	bt = budget_test_bpf__open_and_load();
	nt = nat_test_bpf__open_and_load();
	if (!lh || !bt || !nt)
		prog_run_load_failed("policy test objects", -errno);
	printf("%-28s %6s %8s\n", "program", "ns/run", "insns");

	lh->bss->in_ns = 1500000;
	set_svc(bpf_map__fd(lh->maps.svcs), 0);
	bench("lathist_record", lh->progs.lathist_record_prog, NULL, 0);
	/* worst case for the walk: p99 with every bucket filled */
	lh->bss->in_permille = 990;
	set_svc(bpf_map__fd(lh->maps.svcs), 1000);
	bench("lathist_percentile(p99)", lh->progs.lathist_percentile_prog, NULL, 0);
	bench("lathist_recompute", lh->progs.lathist_recompute_prog, NULL, 0);

	bpf_map_update_elem(bpf_map__fd(bt->maps.budgets), &key, &b, BPF_ANY);
	bench("budget_request+try_spend", bt->progs.budget_request_prog, NULL, 0);

	l4 = up_build(p4, &s4);
	l6 = up_build(p6, &s6);
	nt->bss->in_side = NAT_DST;
	nt->bss->in_to.family = 4;
	memcpy(nt->bss->in_to.addr, "\xc6\x13\xc8\x02", 4);
	nt->bss->in_to.port = htons(9102);
	bench("nat_rewrite(v4)", nt->progs.nat_rewrite_prog, p4, l4);
	nt->bss->in_to.family = 6;
	memcpy(nt->bss->in_to.addr, "\x20\x01\x0d\xb8\xff\x00\0\0\0\0\0\0\0\0\0\x02", 16);
	bench("nat_rewrite(v6)", nt->progs.nat_rewrite_prog, p6, l6);

	lathist_test_bpf__destroy(lh);
	budget_test_bpf__destroy(bt);
	nat_test_bpf__destroy(nt);
	return 0;
}
