/* test_bpf_generation: one key, several requests over time.
 * - id reuse: an answered request keeps its slot until its clone is out of
 *   the line (2T + 5 ms); a clone that comes out later still, when the same
 *   key has claimed that very slot for a new request, is dropped (stale
 *   generation) - it carries the old payload and must never leave as the
 *   new one's hedge;
 * - a hedged and answered request still expects its other copy's reply: a
 *   new request with the same key and other bytes gets another slot, the old
 *   copy's late reply (identical to the first) is dropped as the duplicate
 *   and does not complete the new request; the new request's own reply does;
 * - two requests in flight with one key and different payloads (glibc's A
 *   and AAAA): neither is hedged, and every reply passes;
 * - the same payload again while in flight is a retransmit: not cloned. */
#include <string.h>
#include <unistd.h>

#include "bpf_harness.h"

static void id_reuse(void)
{
	/* T = 100 us: an answered request's slot is free again 5.2 ms later. */
	struct tb_cfg cfg = { .backend = HEDGER_BACKEND_HTB, .delay_ns = 100000 };
	struct tb_pkt a, a_clone, b, rep_a, rep_b;
	struct hedger_sb_slot v;
	uint32_t mark_a;
	struct tb t;
	int ret = 0;

	if (tb_open(&t, &cfg)) {
		CHECK(0, "tb_open");
		return;
	}
	/* Request A, answered at once; its clone is still in the line. */
	tb_build_msg(&a, 4, 1, false, 0xaa, TB_CSUM_GOOD);
	tb_run(&t, t.skel->progs.hedger_splitter, &a, 0, &ret, NULL);
	CHECK_EQ(tb_sb_lookup(&t, 4, 1, &v), 0, "A on the scoreboard");
	mark_a = tb_clone_mark(&t, &a);
	a_clone = a;
	tb_build_msg(&rep_a, 4, 1, true, 0xaa, TB_CSUM_GOOD);
	tb_run(&t, t.skel->progs.hedger_reply_filter, &rep_a, 0, &ret, NULL);
	CHECK_EQ(tb_state(&t, 4, 1), HEDGER_ST_COMPLETED, "A completed");
	/* Request B with the same key, other bytes, once A's slot is free. */
	usleep(20000);
	tb_build_msg(&b, 4, 1, false, 0xbb, TB_CSUM_GOOD);
	tb_run(&t, t.skel->progs.hedger_splitter, &b, 0, &ret, NULL);
	CHECK_EQ(tb_state(&t, 4, 1), HEDGER_ST_PENDING, "B pending");
	/* A's clone comes out of the line: it must not be B's hedge. */
	tb_run(&t, t.skel->progs.hedger_rescuer, &a_clone, mark_a, &ret, NULL);
	CHECK_EQ(ret, TB_ACT_SHOT, "A's clone dropped");
	CHECK_EQ(tb_counter(&t, HC_CLONE_STALE_GEN), 1, "stale generation counted");
	CHECK_EQ(tb_counter(&t, HC_HEDGES_RELEASED), 0, "no hedge with A's bytes");
	CHECK_EQ(tb_state(&t, 4, 1), HEDGER_ST_PENDING, "B still pending");
	/* B's own clone leaves as B's hedge. */
	tb_run(&t, t.skel->progs.hedger_rescuer, &b, TB_MARK_CLONE, &ret, NULL);
	CHECK_EQ(ret, TB_ACT_REDIRECT, "B's clone is B's hedge");
	tb_close(&t);

	/* A hedged and answered; B arrives; A's late original reply. */
	if (tb_open(&t, &cfg)) {
		CHECK(0, "tb_open");
		return;
	}
	tb_build_msg(&a, 4, 2, false, 0xaa, TB_CSUM_GOOD);
	tb_run(&t, t.skel->progs.hedger_splitter, &a, 0, &ret, NULL);
	tb_run(&t, t.skel->progs.hedger_rescuer, &a, TB_MARK_CLONE, &ret, NULL);
	CHECK_EQ(ret, TB_ACT_REDIRECT, "A hedged");
	tb_build_msg(&rep_a, 4, 2, true, 0xaa, TB_CSUM_GOOD);
	tb_run(&t, t.skel->progs.hedger_reply_filter, &rep_a, 0, &ret, NULL);
	CHECK_EQ(ret, TB_ACT_UNSPEC, "A's first reply passed");
	tb_build_msg(&b, 4, 2, false, 0xbb, TB_CSUM_GOOD);
	tb_run(&t, t.skel->progs.hedger_splitter, &b, 0, &ret, NULL);
	CHECK_EQ(tb_counter(&t, HC_CLONES), 2, "B cloned (another slot)");
	CHECK_EQ(tb_state(&t, 4, 2), HEDGER_ST_PENDING, "B pending");
	tb_run(&t, t.skel->progs.hedger_reply_filter, &rep_a, 0, &ret, NULL);
	CHECK_EQ(ret, TB_ACT_SHOT, "A's late second reply dropped");
	CHECK_EQ(tb_state(&t, 4, 2), HEDGER_ST_PENDING, "and it did not complete B");
	tb_build_msg(&rep_b, 4, 2, true, 0xbb, TB_CSUM_GOOD);
	tb_run(&t, t.skel->progs.hedger_reply_filter, &rep_b, 0, &ret, NULL);
	CHECK_EQ(ret, TB_ACT_UNSPEC, "B's reply passed");
	CHECK_EQ(tb_state(&t, 4, 2), HEDGER_ST_COMPLETED, "B's reply completes B");
	CHECK_EQ(tb_counter(&t, HC_REPLIES), 2, "two first replies");
	tb_close(&t);
}

static void same_key_in_flight(void)
{
	struct tb_cfg cfg = { .backend = HEDGER_BACKEND_HTB };
	struct tb_pkt a, aaaa, rep;
	struct tb t;
	int ret = 0;

	if (tb_open(&t, &cfg)) {
		CHECK(0, "tb_open");
		return;
	}
	tb_build_msg(&a, 4, 5, false, 1, TB_CSUM_GOOD);
	tb_run(&t, t.skel->progs.hedger_splitter, &a, 0, &ret, NULL);
	tb_run(&t, t.skel->progs.hedger_splitter, &a, 0, &ret, NULL);
	CHECK_EQ(tb_counter(&t, HC_RETRANSMITS), 1, "same bytes again: a retransmit");
	CHECK_EQ(tb_counter(&t, HC_CLONES), 1, "retransmit not cloned");
	tb_build_msg(&aaaa, 4, 5, false, 28, TB_CSUM_GOOD);
	tb_run(&t, t.skel->progs.hedger_splitter, &aaaa, 0, &ret, NULL);
	CHECK_EQ(ret, TB_ACT_UNSPEC, "second request passed");
	CHECK_EQ(tb_counter(&t, HC_KEY_AMBIGUOUS), 1, "two requests with one key counted");
	CHECK_EQ(tb_state(&t, 4, 5), HEDGER_ST_AMBIGUOUS, "hands off the key");
	tb_run(&t, t.skel->progs.hedger_rescuer, &a, TB_MARK_CLONE, &ret, NULL);
	CHECK_EQ(ret, TB_ACT_SHOT, "the first request's clone is not sent");
	CHECK_EQ(tb_counter(&t, HC_CLONE_DROPPED_AMBIGUOUS), 1, "counted");
	tb_build_msg(&rep, 4, 5, true, 1, TB_CSUM_GOOD);
	tb_run(&t, t.skel->progs.hedger_reply_filter, &rep, 0, &ret, NULL);
	CHECK_EQ(ret, TB_ACT_UNSPEC, "A's answer passed");
	tb_build_msg(&rep, 4, 5, true, 28, TB_CSUM_GOOD);
	tb_run(&t, t.skel->progs.hedger_reply_filter, &rep, 0, &ret, NULL);
	CHECK_EQ(ret, TB_ACT_UNSPEC, "AAAA's answer passed");
	tb_run(&t, t.skel->progs.hedger_reply_filter, &rep, 0, &ret, NULL);
	CHECK_EQ(ret, TB_ACT_UNSPEC, "even a repeat passes: nothing is dropped on that key");
	CHECK_EQ(tb_counter(&t, HC_DUP_REPLIES_DROPPED), 0, "no reply dropped");
	tb_close(&t);
}

int main(void)
{
	tb_require();
	id_reuse();
	same_key_in_flight();
	return check_done("test_bpf_generation");
}
