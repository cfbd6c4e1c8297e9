/* test_bpf_htb_stab: the htb line with a size table (a fixed T): one clone,
 * two passes through its class.
 * - the splitter clones once and records the class on the slot
 * - back from the first pass (mark kind LINE), the rescuer sends the clone
 *   into the line again: redirect, mark now HEDGE (same way and generation),
 *   priority = its class (the veth cleared it); the request stays pending
 * - back from the second pass (mark HEDGE) it leaves as the hedge
 * - a first pass whose reply has come, or whose slot is a newer request's,
 *   is dropped there and never waits T
 * - --line-cpu: a clone handed to the line's receive queue (mark PARK) is
 *   sent into its class for the first pass (mark LINE, priority = class)
 * - without the size table a LINE-marked packet is not the hedger's. */
#include <string.h>

#include "bpf_harness.h"

#define HOLD_NS 10000000ULL

static uint32_t as_line(uint32_t hedge_mark)
{
	return HEDGER_MARK_AS_KIND(hedge_mark, HEDGER_MARK_LINE_KIND);
}

static void two_passes(void)
{
	struct tb_cfg cfg = { .backend = HEDGER_BACKEND_HTB, .htb_stab_hold_ns = HOLD_NS };
	struct hedger_sb_slot v;
	struct tb_pkt p, r;
	uint32_t mark;
	struct tb t;
	int ret = 0;

	REQUIRE(tb_open(&t, &cfg) == 0, "tb_open");
	tb_build_id(&p, 1, false);
	CHECK_EQ(tb_run(&t, t.skel->progs.hedger_splitter, &p, 0, &ret, NULL), 0, "run splitter");
	CHECK_EQ(ret, TB_ACT_UNSPEC, "original passes");
	CHECK_EQ(tb_counter(&t, HC_CLONES), 1, "one clone");
	CHECK_EQ(tb_counter(&t, HC_NO_CLASS), 0, "a class was free");
	REQUIRE(tb_sb_lookup(&t, 4, 1, &v) == 0, "slot");
	CHECK(v.htb_class >= 1 && v.htb_class <= 16, "class %u recorded on the slot", v.htb_class);

	mark = tb_clone_mark(&t, &p);
	CHECK_EQ(tb_run(&t, t.skel->progs.hedger_rescuer, &p, as_line(mark), &ret, NULL), 0,
		 "run rescuer, first pass");
	CHECK_EQ(ret, TB_ACT_REDIRECT, "first pass: back into the line");
	CHECK_EQ(tb_last_ctx.mark, mark, "first pass: mark is the hedge's (same way, generation)");
	CHECK_EQ(tb_last_ctx.priority, (HEDGER_HTB_MAJOR << 16) | v.htb_class,
		 "first pass: priority names the class");
	CHECK_EQ(tb_counter(&t, HC_LINE_PASSES), 1, "first pass counted");
	CHECK_EQ(tb_counter(&t, HC_HEDGES_RELEASED), 0, "first pass is no hedge");
	CHECK_EQ(tb_state(&t, 4, 1), HEDGER_ST_PENDING, "still pending after the first pass");

	CHECK_EQ(tb_run(&t, t.skel->progs.hedger_rescuer, &p, mark, &ret, NULL), 0,
		 "run rescuer, second pass");
	CHECK_EQ(ret, TB_ACT_REDIRECT, "second pass: out as the hedge");
	CHECK_EQ(tb_counter(&t, HC_HEDGES_RELEASED), 1, "hedge released");
	CHECK_EQ(tb_state(&t, 4, 1), HEDGER_ST_HEDGED, "hedged");

	/* Reply before the first pass is back: dropped there. */
	tb_build_id(&p, 2, false);
	tb_build_id(&r, 2, true);
	tb_run(&t, t.skel->progs.hedger_splitter, &p, 0, &ret, NULL);
	mark = tb_clone_mark(&t, &p);
	tb_run(&t, t.skel->progs.hedger_reply_filter, &r, 0, &ret, NULL);
	tb_run(&t, t.skel->progs.hedger_rescuer, &p, as_line(mark), &ret, NULL);
	CHECK_EQ(ret, TB_ACT_SHOT, "answered: first pass dropped");
	CHECK_EQ(tb_counter(&t, HC_CLONE_DROPPED_REPLY_WON), 1, "counted as reply won");
	CHECK_EQ(tb_counter(&t, HC_LINE_PASSES), 1, "not sent into the line again");

	/* A first pass whose slot holds a newer generation: dropped. */
	tb_build_id(&p, 3, false);
	tb_run(&t, t.skel->progs.hedger_splitter, &p, 0, &ret, NULL);
	mark = tb_clone_mark(&t, &p);
	mark = (mark & ~HEDGER_MARK_GEN_MASK) | ((mark + 1) & HEDGER_MARK_GEN_MASK);
	tb_run(&t, t.skel->progs.hedger_rescuer, &p, as_line(mark), &ret, NULL);
	CHECK_EQ(ret, TB_ACT_SHOT, "stale generation: first pass dropped");
	CHECK_EQ(tb_counter(&t, HC_CLONE_STALE_GEN), 1, "stale generation counted");
	tb_close(&t);
}

/* --line-cpu: the clone enters at the line's receive queue as PARK; there
 * the rescuer starts its first pass (mark LINE, its class), then as above. */
static void handed_over(void)
{
	struct tb_cfg cfg = { .backend = HEDGER_BACKEND_HTB, .htb_stab_hold_ns = HOLD_NS,
			      .line_park_ifindex = 1 };
	struct hedger_sb_slot v;
	struct tb_pkt p;
	uint32_t mark;
	struct tb t;
	int ret = 0;

	REQUIRE(tb_open(&t, &cfg) == 0, "tb_open");
	tb_build_id(&p, 1, false);
	tb_run(&t, t.skel->progs.hedger_splitter, &p, 0, &ret, NULL);
	CHECK_EQ(tb_counter(&t, HC_CLONES), 1, "handed over: one clone");
	REQUIRE(tb_sb_lookup(&t, 4, 1, &v) == 0, "slot");
	mark = tb_clone_mark(&t, &p);
	tb_run(&t, t.skel->progs.hedger_rescuer, &p,
	       HEDGER_MARK_AS_KIND(mark, HEDGER_MARK_PARK_KIND), &ret, NULL);
	CHECK_EQ(ret, TB_ACT_REDIRECT, "handed over: into the line for the first pass");
	CHECK_EQ(tb_last_ctx.mark, as_line(mark), "handed over: mark LINE (same way, generation)");
	CHECK_EQ(tb_last_ctx.priority, (HEDGER_HTB_MAJOR << 16) | v.htb_class,
		 "handed over: priority names the class");
	CHECK_EQ(tb_counter(&t, HC_LINE_PASSES), 0, "no first pass made yet");
	tb_run(&t, t.skel->progs.hedger_rescuer, &p, as_line(mark), &ret, NULL);
	CHECK_EQ(ret, TB_ACT_REDIRECT, "then the second pass");
	CHECK_EQ(tb_last_ctx.mark, mark, "second pass: mark HEDGE");
	CHECK_EQ(tb_counter(&t, HC_LINE_PASSES), 1, "first pass counted");
	tb_run(&t, t.skel->progs.hedger_rescuer, &p, mark, &ret, NULL);
	CHECK_EQ(tb_counter(&t, HC_HEDGES_RELEASED), 1, "and out as the hedge");
	tb_close(&t);
}

static void no_size_table(void)
{
	struct tb_cfg cfg = { .backend = HEDGER_BACKEND_HTB };
	struct tb_pkt p;
	uint32_t mark;
	struct tb t;
	int ret = 0;

	REQUIRE(tb_open(&t, &cfg) == 0, "tb_open");
	tb_build_id(&p, 1, false);
	tb_run(&t, t.skel->progs.hedger_splitter, &p, 0, &ret, NULL);
	mark = tb_clone_mark(&t, &p);
	tb_run(&t, t.skel->progs.hedger_rescuer, &p, as_line(mark), &ret, NULL);
	CHECK_EQ(ret, TB_ACT_UNSPEC, "no size table: a LINE mark is not ours, passed");
	CHECK_EQ(tb_counter(&t, HC_LINE_PASSES), 0, "no pass counted");
	tb_close(&t);
}

int main(void)
{
	tb_require();
	two_passes();
	handed_over();
	no_size_table();
	return check_done("bpf_htb_stab");
}
