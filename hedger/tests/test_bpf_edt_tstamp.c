/* test_bpf_edt_tstamp: the edt splitter gives its clone the departure time
 * and hands the original back with the skb->tstamp and tstamp type it came
 * with: 0, and a plain non-zero time (type UNSPEC), which bpf_skb_set_tstamp
 * alone cannot restore (it refuses UNSPEC with a non-zero time), so the
 * original would otherwise leave with the clone's deadline T in the future
 * and an fq on the device would hold the original itself. (A MONO input
 * cannot be injected: BPF_PROG_TEST_RUN requires ctx tstamp_type 0.) */
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf_harness.h"

/* run_with_tstamp - the splitter on request @id with ctx tstamp/type set;
 * the ctx after the run in *after. */
static int run_with_tstamp(struct tb *t, uint64_t id, uint64_t ts, uint8_t type,
			   struct __sk_buff *after)
{
	static struct tb_pkt p, o;
	LIBBPF_OPTS(bpf_test_run_opts, opts);
	struct __sk_buff ctx;
	struct tb_spec s;
	uint8_t pl[64];

	memset(&s, 0, sizeof(s));
	s.family = 4;
	s.payload = pl;
	s.payload_len = tb_payload_id(pl, 40, 0, 4, false, id);
	tb_build(&p, &s);
	memset(&ctx, 0, sizeof(ctx));
	ctx.tstamp = ts;
	ctx.tstamp_type = type;
	memset(after, 0, sizeof(*after));
	opts.data_in = p.data;
	opts.data_size_in = p.len;
	opts.data_out = o.data;
	opts.data_size_out = sizeof(o.data);
	opts.ctx_in = &ctx;
	opts.ctx_size_in = sizeof(ctx);
	opts.ctx_out = after;
	opts.ctx_size_out = sizeof(*after);
	opts.repeat = 1;
	if (bpf_prog_test_run_opts(bpf_program__fd(t->skel->progs.hedger_splitter), &opts))
		return -errno;
	return (int)opts.retval;
}

int main(void)
{
	struct tb_cfg cfg = { .backend = HEDGER_BACKEND_EDT, .delay_ns = 10000000ULL };
	struct __sk_buff after;
	struct tb t;
	int ret;

	tb_require();
	if (tb_open(&t, &cfg)) {
		printf("FAIL: tb_open\n");
		return 1;
	}
	ret = run_with_tstamp(&t, 1, 0, BPF_SKB_TSTAMP_UNSPEC, &after);
	CHECK_EQ(ret, TB_ACT_UNSPEC, "tstamp 0: verdict");
	CHECK_EQ(after.tstamp, 0, "tstamp 0: restored");
	CHECK_EQ(after.tstamp_type, BPF_SKB_TSTAMP_UNSPEC, "tstamp 0: type");

	ret = run_with_tstamp(&t, 2, 123456789ULL, BPF_SKB_TSTAMP_UNSPEC, &after);
	CHECK_EQ(ret, TB_ACT_UNSPEC, "unspec non-zero: verdict");
	CHECK_EQ(after.tstamp, 123456789ULL, "unspec non-zero: restored");
	CHECK_EQ(after.tstamp_type, BPF_SKB_TSTAMP_UNSPEC, "unspec non-zero: type");

	CHECK_EQ(tb_counter(&t, HC_CLONES), 2, "every request cloned");
	CHECK_EQ(tb_counter(&t, HC_CLONE_FAILED), 0, "no clone failed");
	tb_close(&t);
	return check_done("test_bpf_edt_tstamp");
}
