/* splitter_cost: where the splitter's time goes, with BPF_PROG_TEST_RUN on
 * fresh requests (a new id per run, so every run takes the clone path),
 * in a private network namespace whose loopback receives the clones.
 *   decide-only : the clone target does not exist, the helper fails at once
 *                 (parse + service lookup + request digest + scoreboard
 *                 claim + counters), on the default 65536-slot board
 *   recirc      : one bpf_clone_redirect to the loopback's ingress
 *   htb         : grow to S, clone, shrink, clone (2 clones to lo's egress;
 *                 without HTB there, so this is a lower bound of the real path)
 *   reply filter: the first reply of each request of the decide-only run
 *                 (parse, lookups, checksum check and digest, completion)
 * Prints ns per request for each: mean and P99 of the per-call durations. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "../tests/bpf_harness.h"

struct cost {
	double mean;
	uint64_t p99;
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
	struct cost c = { 0, 0 };
	double sum = 0;

	qsort(d, (size_t)n, sizeof(*d), cmp_u64);
	for (int i = 0; i < n; i++)
		sum += (double)d[i];
	c.mean = sum / n;
	c.p99 = d[(n * 99) / 100];
	return c;
}

/* run - mean/P99 of the splitter on @n fresh requests; with @reply, of the
 * reply filter on each request's first reply instead. */
static struct cost run(int backend, uint32_t line_ifindex, int n, bool reply)
{
	struct tb_cfg cfg = { .backend = backend, .classes = 4096, .sb_size = 65536,
			      .line_ifindex = line_ifindex };
	struct hedger_sb_bucket zero = { 0 };
	struct cost bad = { -1, 0 };
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

static void show(const char *what, struct cost c)
{
	printf("%-46s %5.0f ns/request mean, P99 %5llu ns\n", what, c.mean,
	       (unsigned long long)c.p99);
}

int main(void)
{
	const int n = 20000;

	tb_require();
	/* htb: each request claims one of 4096 classes (busy for T), so at
	 * most 4000 requests. */
	show("splitter decide-only (clone target missing):", run(HEDGER_BACKEND_RECIRC, 999999, n, false));
	show("splitter recirc (1 clone to lo ingress):", run(HEDGER_BACKEND_RECIRC, 1, n, false));
	show("splitter htb (grow+clone+shrink+clone to lo):", run(HEDGER_BACKEND_HTB, 1, 4000, false));
	show("reply filter (first reply, completes):", run(HEDGER_BACKEND_RECIRC, 999999, n, true));
	return 0;
}
