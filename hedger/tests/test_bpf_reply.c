/* test_bpf_reply: the reply filter. The first reply completes the request
 * and is passed (latency recorded); a second reply for it is dropped in the
 * kernel and counted; a reply nobody asked for is passed and counted; a
 * completed id reused by a new request is tracked (and cloned) again. */
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "bpf_harness.h"
#include "latency_hist.h"

/* hist_total - samples in service @idx's latency histogram, every CPU;
 * ~0 when it cannot be read. */
static uint64_t hist_total(struct tb *t, uint32_t idx)
{
	struct lathist *h = calloc((size_t)t->ncpu, sizeof(*h));
	uint64_t n = 0;

	if (!h || bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.latency_hist), &idx, h)) {
		free(h);
		return ~0ULL;
	}
	for (int c = 0; c < t->ncpu; c++)
		for (uint32_t b = 0; b < LATHIST_BUCKETS; b++)
			n += h[c].counts[b];
	free(h);
	return n;
}

static void family_case(int family)
{
	struct tb_cfg cfg = { .backend = HEDGER_BACKEND_RECIRC };
	const char *name = family == 6 ? "ipv6" : "ipv4";
	struct hedger_sb_slot v;
	struct tb_pkt req, rep, out;
	struct tb_spec s;
	uint8_t pl[64];
	struct tb t;
	int ret = 0;

	if (tb_open(&t, &cfg)) {
		CHECK(0, "tb_open");
		return;
	}
	memset(&s, 0, sizeof(s));
	s.family = family;
	s.payload = pl;
	s.payload_len = tb_payload_id(pl, 16, 0, 4, false, 42);
	tb_build(&req, &s);
	s.reply = true;
	tb_build(&rep, &s);

	tb_run(&t, t.skel->progs.hedger_splitter, &req, 0, &ret, NULL);
	CHECK_EQ(tb_sb_lookup(&t, family, 42, &v), 0, name);

	CHECK_EQ(tb_run(&t, t.skel->progs.hedger_reply_filter, &rep, 0, &ret, &out), 0, name);
	CHECK_EQ(ret, TB_ACT_UNSPEC, "first reply passed");
	CHECK_EQ(tb_counter(&t, HC_REPLIES), 1, "first reply counted");
	CHECK_EQ(tb_sb_lookup(&t, family, 42, &v), 0, name);
	CHECK_EQ(HEDGER_CTL_STATE(v.ctl), HEDGER_ST_COMPLETED, "first reply completes");
	CHECK_EQ(hist_total(&t, family == 6 ? 1 : 0), 1, "latency recorded for the service");
	CHECK(out.len == rep.len && !memcmp(out.data, rep.data, rep.len), "reply modified");

	CHECK_EQ(tb_run(&t, t.skel->progs.hedger_reply_filter, &rep, 0, &ret, NULL), 0, name);
	CHECK_EQ(ret, TB_ACT_SHOT, "second reply dropped");
	CHECK_EQ(tb_counter(&t, HC_DUP_REPLIES_DROPPED), 1, "second reply counted");
	CHECK_EQ(tb_counter(&t, HC_REPLIES), 1, "second reply is not a first reply");

	/* The id reused by a new request after completion: tracked and cloned again. */
	CHECK_EQ(tb_run(&t, t.skel->progs.hedger_splitter, &req, 0, &ret, NULL), 0, name);
	CHECK_EQ(tb_counter(&t, HC_CLONES), 2, "reused id cloned again");
	CHECK_EQ(tb_sb_lookup(&t, family, 42, &v), 0, name);
	CHECK_EQ(HEDGER_CTL_STATE(v.ctl), HEDGER_ST_PENDING, "reused id pending again");

	s.payload_len = tb_payload_id(pl, 16, 0, 4, false, 43);
	tb_build(&rep, &s);
	CHECK_EQ(tb_run(&t, t.skel->progs.hedger_reply_filter, &rep, 0, &ret, NULL), 0, name);
	CHECK_EQ(ret, TB_ACT_UNSPEC, "unknown reply passed");
	CHECK_EQ(tb_counter(&t, HC_REPLY_UNKNOWN), 1, "unknown reply counted");

	/* A request to the service seen at ingress is not a reply. */
	CHECK_EQ(tb_run(&t, t.skel->progs.hedger_reply_filter, &req, 0, &ret, NULL), 0, name);
	CHECK_EQ(ret, TB_ACT_UNSPEC, "request at ingress passed");
	CHECK_EQ(tb_counter(&t, HC_REPLY_UNKNOWN), 1, "request at ingress not counted as reply");
	tb_close(&t);
}

int main(void)
{
	tb_require();
	family_case(4);
	family_case(6);
	return check_done("test_bpf_reply");
}
