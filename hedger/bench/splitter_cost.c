/* splitter_cost: where the splitter's time goes, with BPF_PROG_TEST_RUN on
 * fresh requests (a new id per run, so every run takes the clone path),
 * in a private network namespace whose loopback receives the clones.
 *   decide-only : the clone target does not exist, the helper fails at once
 *                 (parse + service lookup + scoreboard insert + counters)
 *   recirc      : one bpf_clone_redirect to the loopback's ingress
 *   htb         : grow to S, clone, shrink, clone (2 clones to lo's egress;
 *                 without HTB there, so this is a lower bound of the real path)
 * Prints ns per request for each. */
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "../tests/bpf_harness.h"

static double run(int backend, uint32_t line_ifindex, int n)
{
	struct tb_cfg cfg = { .backend = backend, .classes = 4096, .sb_size = 1 << 20,
			      .line_ifindex = line_ifindex };
	struct bpf_test_run_opts opts;
	uint8_t pl[32];
	struct tb_spec s;
	struct tb_pkt p;
	struct tb t;
	uint64_t total = 0;

	if (tb_open(&t, &cfg))
		return -1;
	memset(&s, 0, sizeof(s));
	s.family = 4;
	s.payload = pl;
	for (int id = 1; id <= n; id++) {
		s.payload_len = tb_payload_id(pl, sizeof(pl), 0, 4, false, (uint64_t)id);
		tb_build(&p, &s);
		memset(&opts, 0, sizeof(opts));
		opts.sz = sizeof(opts);
		opts.data_in = p.data;
		opts.data_size_in = p.len;
		opts.repeat = 1;
		if (bpf_prog_test_run_opts(bpf_program__fd(t.skel->progs.hedger_splitter), &opts))
			return -1;
		total += opts.duration;
	}
	tb_close(&t);
	return (double)total / n;
}

int main(void)
{
	const int n = 20000;

	tb_require();
	/* htb: each request claims one of 4096 classes (busy for T), so at
	 * most 4000 requests. */
	printf("splitter decide-only (clone target missing): %.0f ns/request\n",
	       run(HEDGER_BACKEND_RECIRC, 999999, n));
	printf("splitter recirc (1 clone to lo ingress):      %.0f ns/request\n",
	       run(HEDGER_BACKEND_RECIRC, 1, n));
	printf("splitter htb (grow+clone+shrink+clone to lo):  %.0f ns/request\n",
	       run(HEDGER_BACKEND_HTB, 1, 4000));
	return 0;
}
