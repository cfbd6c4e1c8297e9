/* test_bpf_splitter: the splitter's clone decision and loop guards.
 * - a matching request is cloned once (htb: dummy grown to S bytes, then the
 *   real copy; the original leaves with its exact bytes, mark and priority)
 * - a hedge (mark HEDGE) is never cloned again
 * - the same request while pending is not cloned again (retransmit)
 * - edt and netem paths load, clone and leave the original untouched
 * - htb: with every class of the pool in debt, the request is not cloned
 *   and "no free class" is counted. */
#include <string.h>

#include "bpf_harness.h"

static void one_backend(int backend, const char *name)
{
	struct tb_cfg cfg = { .backend = backend, .classes = 2 };
	struct hedger_sb_slot v;
	struct tb_pkt p, out;
	struct tb_spec s;
	uint8_t pl[64];
	struct tb t;
	int ret = 0;

	if (tb_open(&t, &cfg)) {
		CHECK(0, "%s: tb_open", name);
		return;
	}
	memset(&s, 0, sizeof(s));
	s.family = 4;
	s.payload = pl;
	s.payload_len = tb_payload_id(pl, 40, 0, 4, false, 1);
	tb_build(&p, &s);

	CHECK_EQ(tb_run(&t, t.skel->progs.hedger_splitter, &p, 0, &ret, &out), 0, name);
	CHECK_EQ(ret, TB_ACT_UNSPEC, name);
	CHECK_EQ(tb_counter(&t, HC_CLONES), 1, name);
	CHECK_EQ(tb_counter(&t, HC_CLONE_FAILED), 0, name);
	CHECK(out.len == p.len && !memcmp(out.data, p.data, p.len),
		 "%s: original changed by the clone step (len %u -> %u)", name, p.len, out.len);
	CHECK(tb_last_ctx.mark == 0 && tb_last_ctx.priority == 0 && tb_last_ctx.tstamp == 0,
		 "%s: original's mark/priority/tstamp not restored (%#x/%#x/%llu)", name,
		 tb_last_ctx.mark, tb_last_ctx.priority, (unsigned long long)tb_last_ctx.tstamp);
	CHECK_EQ(tb_sb_lookup(&t, 4, 1, &v), 0, name);
	CHECK(v.release_ns > v.send_ns && v.release_ns - v.send_ns == 10000000ULL,
		 "%s: release - send = %llu, want 10ms", name,
		 (unsigned long long)(v.release_ns - v.send_ns));

	/* The same request again while pending: passed, not cloned. */
	CHECK_EQ(tb_run(&t, t.skel->progs.hedger_splitter, &p, 0, &ret, NULL), 0, name);
	CHECK_EQ(ret, TB_ACT_UNSPEC, name);
	CHECK_EQ(tb_counter(&t, HC_CLONES), 1, "retransmit not cloned");
	CHECK_EQ(tb_counter(&t, HC_RETRANSMITS), 1, "retransmit counted");

	/* A hedge coming back through the splitter: passed, not cloned. */
	s.payload_len = tb_payload_id(pl, 40, 0, 4, false, 2);
	tb_build(&p, &s);
	CHECK_EQ(tb_run(&t, t.skel->progs.hedger_splitter, &p, TB_MARK_CLONE, &ret, NULL), 0, name);
	CHECK_EQ(ret, TB_ACT_UNSPEC, name);
	CHECK_EQ(tb_counter(&t, HC_CLONES), 1, "hedge not re-cloned");
	CHECK_EQ(tb_counter(&t, HC_HEDGES_SENT), 1, "hedge counted as sent by the loop guard");
	CHECK(tb_sb_lookup(&t, 4, 2, &v) == -ENOENT, "%s: hedge created a scoreboard entry", name);

	if (backend == HEDGER_BACKEND_HTB) {
		/* Pool of 2: request 3 takes the second class, request 4 finds none. */
		s.payload_len = tb_payload_id(pl, 40, 0, 4, false, 3);
		tb_build(&p, &s);
		tb_run(&t, t.skel->progs.hedger_splitter, &p, 0, &ret, NULL);
		CHECK_EQ(tb_counter(&t, HC_CLONES), 2, "htb second class");
		s.payload_len = tb_payload_id(pl, 40, 0, 4, false, 4);
		tb_build(&p, &s);
		tb_run(&t, t.skel->progs.hedger_splitter, &p, 0, &ret, &out);
		CHECK_EQ(ret, TB_ACT_UNSPEC, "htb pool exhausted: passed");
		CHECK_EQ(tb_counter(&t, HC_CLONES), 2, "htb pool exhausted: not cloned");
		CHECK_EQ(tb_counter(&t, HC_NO_CLASS), 1, "htb pool exhausted: counted");
		CHECK_EQ(tb_sb_lookup(&t, 4, 4, &v), 0, "htb pool exhausted: still on the scoreboard");
	}
	tb_close(&t);
}

int main(void)
{
	tb_require();
	one_backend(HEDGER_BACKEND_HTB, "htb");
	one_backend(HEDGER_BACKEND_RECIRC, "recirc");
	/* No netem/fq needed: the clone goes to the test netns's loopback; this
	 * proves the edt (bpf_skb_set_tstamp) and netem paths load and clone. */
	one_backend(HEDGER_BACKEND_EDT, "edt");
	one_backend(HEDGER_BACKEND_NETEM, "netem");
	return check_done("test_bpf_splitter");
}
