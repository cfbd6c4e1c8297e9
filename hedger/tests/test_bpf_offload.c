/* test_bpf_offload: skbs that carry several datagrams (gso_size set).
 * - splitter: a GSO send to a service passes untouched, is counted, claims
 *   no scoreboard slot and makes no clone; the same bytes as one datagram
 *   are a request (tracked, cloned);
 * - reply filter: a merged reply (UDP GRO) passes untouched, is counted and
 *   neither completes the open request nor is dropped as a duplicate once
 *   the request is answered; the same bytes as one datagram complete it,
 *   and again they are the duplicate (dropped).
 * IPv4 and IPv6. */
#include <errno.h>
#include <string.h>
#include <bpf/bpf.h>

#include "bpf_harness.h"

#define SEG 24	/* the GSO segment size: the test payload's length */

/* run_gso - tb_run with skb's gso_size/gso_segs set as the stack sets them
 * for a GSO send or a GRO merge of @segs datagrams. */
static int run_gso(struct bpf_program *prog, const struct tb_pkt *p, uint32_t segs, int *retval,
		   struct tb_pkt *out)
{
	struct __sk_buff ctx;
	LIBBPF_OPTS(bpf_test_run_opts, opts);

	memset(&ctx, 0, sizeof(ctx));
	ctx.gso_size = SEG;
	ctx.gso_segs = segs;
	opts.data_in = p->data;
	opts.data_size_in = p->len;
	opts.data_out = out->data;
	opts.data_size_out = sizeof(out->data);
	opts.ctx_in = &ctx;
	opts.ctx_size_in = sizeof(ctx);
	opts.repeat = 1;
	if (bpf_prog_test_run_opts(bpf_program__fd(prog), &opts))
		return -1;
	out->len = opts.data_size_out;
	*retval = (int)opts.retval;
	return 0;
}

static void family_case(int family)
{
	struct tb_cfg cfg = { .backend = HEDGER_BACKEND_RECIRC };
	const char *name = family == 6 ? "ipv6" : "ipv4";
	struct hedger_sb_slot v;
	struct tb_pkt req, rep, out;
	struct tb_spec s;
	uint8_t pl[SEG];
	struct tb t;
	int ret = 0;

	if (tb_open(&t, &cfg)) {
		CHECK(0, "tb_open");
		return;
	}
	memset(&s, 0, sizeof(s));
	memset(pl, 0x5a, sizeof(pl));
	s.family = family;
	s.payload = pl;
	s.payload_len = tb_payload_id(pl, SEG, 0, 4, false, 7);
	tb_build(&req, &s);
	s.reply = true;
	tb_build(&rep, &s);

	/* Egress: a GSO send is not a request. */
	CHECK_EQ(run_gso(t.skel->progs.hedger_splitter, &req, 3, &ret, &out), 0, name);
	CHECK_EQ(ret, TB_ACT_UNSPEC, "GSO send passed");
	CHECK(out.len == req.len && !memcmp(out.data, req.data, req.len), "GSO send untouched");
	CHECK_EQ(tb_counter(&t, HC_GSO_REQUEST), 1, "GSO send counted");
	CHECK_EQ(tb_counter(&t, HC_REQUESTS), 0, "GSO send is no request");
	CHECK_EQ(tb_counter(&t, HC_CLONES), 0, "GSO send not cloned");
	CHECK_EQ(tb_sb_lookup(&t, family, 7, &v), -ENOENT, "GSO send claims no slot");

	/* The same bytes as one datagram: a request. */
	CHECK_EQ(tb_run(&t, t.skel->progs.hedger_splitter, &req, 0, &ret, NULL), 0, name);
	CHECK_EQ(tb_counter(&t, HC_REQUESTS), 1, "single datagram is a request");
	CHECK_EQ(tb_counter(&t, HC_CLONES), 1, "single datagram cloned");
	CHECK_EQ(tb_state(&t, family, 7), HEDGER_ST_PENDING, "request pending");

	/* Ingress: a merged reply leaves it open. */
	CHECK_EQ(run_gso(t.skel->progs.hedger_reply_filter, &rep, 2, &ret, &out), 0, name);
	CHECK_EQ(ret, TB_ACT_UNSPEC, "merged reply passed");
	CHECK(out.len == rep.len && !memcmp(out.data, rep.data, rep.len), "merged reply untouched");
	CHECK_EQ(tb_counter(&t, HC_GRO_REPLY), 1, "merged reply counted");
	CHECK_EQ(tb_counter(&t, HC_REPLIES), 0, "merged reply completes nothing");
	CHECK_EQ(tb_state(&t, family, 7), HEDGER_ST_PENDING, "request still pending");

	/* One datagram completes it; merged, the same bytes are still passed. */
	CHECK_EQ(tb_run(&t, t.skel->progs.hedger_reply_filter, &rep, 0, &ret, NULL), 0, name);
	CHECK_EQ(ret, TB_ACT_UNSPEC, "single reply passed");
	CHECK_EQ(tb_state(&t, family, 7), HEDGER_ST_COMPLETED, "single reply completes");
	CHECK_EQ(run_gso(t.skel->progs.hedger_reply_filter, &rep, 2, &ret, &out), 0, name);
	CHECK_EQ(ret, TB_ACT_UNSPEC, "merged reply after completion passed, not a duplicate");
	CHECK_EQ(tb_counter(&t, HC_DUP_REPLIES_DROPPED), 0, "no merged reply dropped");
	CHECK_EQ(tb_counter(&t, HC_GRO_REPLY), 2, "second merged reply counted");
	/* Control: the single datagram again is the duplicate. */
	CHECK_EQ(tb_run(&t, t.skel->progs.hedger_reply_filter, &rep, 0, &ret, NULL), 0, name);
	CHECK_EQ(ret, TB_ACT_SHOT, "single duplicate dropped");
	tb_close(&t);
}

int main(void)
{
	tb_require();
	family_case(4);
	family_case(6);
	return check_done("test_bpf_offload");
}
