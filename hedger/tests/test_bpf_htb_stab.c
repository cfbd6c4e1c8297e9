/* test_bpf_htb_stab: the htb line with a size table (a fixed T): one clone,
 * handed to the line's b end, then two passes through its class. The table
 * charges the hold to a length that is 1 mod 3 and 1 byte to any other.
 * For IPv4 and IPv6 and a request length of each residue mod 3:
 * - the splitter clones once and records the class on the slot
 * - handed over (mark PARK), the rescuer sends the clone for its first pass:
 *   mark LINE, priority = its class, length 1 mod 3, L..L+2 bytes, the
 *   request's bytes in front
 * - back from it (mark LINE), into the class again to wait: mark HEDGE (same
 *   way and generation), a length that is not 1 mod 3, L or L+1 bytes; the
 *   request stays pending
 * - back from that pass (mark HEDGE) it leaves as the hedge with exactly the
 *   request's L bytes
 * - a clone whose reply has come, or whose slot is a newer request's, is
 *   dropped at its first pass and never waits T; a HEDGE-marked packet 3
 *   bytes longer than its IP header says is a dummy: dropped
 * - --release-grid: a dense request's class is of the first tier whose
 *   hold ends on or after the grid point (grid())
 * - without the size table a LINE-marked packet is not the hedger's. */
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "bpf_harness.h"

#define HOLD_NS 10000000ULL

static uint32_t as_kind(uint32_t hedge_mark, uint32_t kind)
{
	return HEDGER_MARK_AS_KIND(hedge_mark, kind);
}

static const struct tb_cfg stab_cfg = { .backend = HEDGER_BACKEND_HTB, .htb_stab_hold_ns = HOLD_NS,
					.line_park_ifindex = 1 };

static void build_len(struct tb_pkt *p, int family, uint32_t id, uint32_t payload_len)
{
	uint8_t pl[64];
	struct tb_spec spec = { .family = family, .payload = pl, .payload_len = payload_len };

	memset(pl, 0xa5, sizeof(pl));
	memcpy(pl, &id, sizeof(id));
	tb_build(p, &spec);
}

/* what - a check's label with the case in it (one static buffer: each
 * label is used before the next is made). */
static const char *what(const char *fmt, int family, uint32_t len)
{
	static char buf[128];

	snprintf(buf, sizeof(buf), "v%d len %u: %s", family, len, fmt);
	return buf;
}

static void passes(int family, uint32_t payload_len)
{
	struct hedger_sb_slot v;
	struct tb_pkt p, first, second, hedge;
	uint32_t mark, l;
	struct tb t;
	int ret = 0;

	REQUIRE(tb_open(&t, &stab_cfg) == 0, "tb_open");
	build_len(&p, family, 1, payload_len);
	l = p.len;
	CHECK_EQ(tb_run(&t, t.skel->progs.hedger_splitter, &p, 0, &ret, NULL), 0, "run splitter");
	CHECK_EQ(ret, TB_ACT_UNSPEC, what("original passes", family, l));
	CHECK_EQ(tb_counter(&t, HC_CLONES), 1, what("one clone", family, l));
	CHECK_EQ(tb_counter(&t, HC_NO_CLASS), 0, "a class was free");
	REQUIRE(tb_sb_lookup(&t, family, 1, &v) == 0, "slot");
	CHECK(v.htb_class >= 1 && v.htb_class <= 16, "class %u recorded on the slot", v.htb_class);
	mark = tb_clone_mark(&t, &p);

	CHECK_EQ(tb_run(&t, t.skel->progs.hedger_rescuer, &p, as_kind(mark, HEDGER_MARK_PARK_KIND),
			&ret, &first), 0, "run rescuer, handed over");
	CHECK_EQ(ret, TB_ACT_REDIRECT, what("into the line for the first pass", family, l));
	CHECK_EQ(tb_last_ctx.mark, as_kind(mark, HEDGER_MARK_LINE_KIND), "first pass: mark LINE");
	CHECK_EQ(tb_last_ctx.priority, (HEDGER_HTB_MAJOR << 16) | v.htb_class,
		 "first pass: priority names the class");
	CHECK(first.len % HEDGER_HTB_STAB_PERIOD == HEDGER_HTB_STAB_CHARGED &&
	      first.len >= l && first.len <= l + 2,
	      "v%d len %u: first pass is %u bytes, want 1 mod 3 within +2", family, l, first.len);
	CHECK(!memcmp(first.data, p.data, l), "%s", what("first pass keeps the request's bytes", family, l));
	CHECK_EQ(tb_counter(&t, HC_LINE_PASSES), 0, "no first pass made yet");

	CHECK_EQ(tb_run(&t, t.skel->progs.hedger_rescuer, &first, as_kind(mark, HEDGER_MARK_LINE_KIND),
			&ret, &second), 0, "run rescuer, back from the first pass");
	CHECK_EQ(ret, TB_ACT_REDIRECT, what("into the class again to wait", family, l));
	CHECK_EQ(tb_last_ctx.mark, mark, "second pass: mark HEDGE (same way, generation)");
	CHECK_EQ(tb_last_ctx.priority, (HEDGER_HTB_MAJOR << 16) | v.htb_class,
		 "second pass: priority names the class");
	CHECK(second.len % HEDGER_HTB_STAB_PERIOD != HEDGER_HTB_STAB_CHARGED &&
	      second.len >= l && second.len <= l + 1,
	      "v%d len %u: second pass is %u bytes, want not 1 mod 3 within +1", family, l, second.len);
	CHECK(!memcmp(second.data, p.data, l), "%s", what("second pass keeps the request's bytes", family, l));
	CHECK_EQ(tb_counter(&t, HC_LINE_PASSES), 1, "first pass counted");
	CHECK_EQ(tb_counter(&t, HC_HEDGES_RELEASED), 0, "a pass is no hedge");
	CHECK_EQ(tb_state(&t, family, 1), HEDGER_ST_PENDING, "still pending after the first pass");

	CHECK_EQ(tb_run(&t, t.skel->progs.hedger_rescuer, &second, mark, &ret, &hedge), 0,
		 "run rescuer, released");
	CHECK_EQ(ret, TB_ACT_REDIRECT, what("out as the hedge", family, l));
	CHECK_EQ(hedge.len, l, what("the hedge has the request's length", family, l));
	CHECK(!memcmp(hedge.data, p.data, l), "%s", what("the hedge is the request, byte for byte", family, l));
	CHECK_EQ(tb_counter(&t, HC_HEDGES_RELEASED), 1, "hedge released");
	CHECK_EQ(tb_state(&t, family, 1), HEDGER_ST_HEDGED, "hedged");
	tb_close(&t);
}

static void dropped(void)
{
	struct tb_pkt p, r, longer;
	uint32_t mark;
	struct tb t;
	int ret = 0;

	REQUIRE(tb_open(&t, &stab_cfg) == 0, "tb_open");
	/* Reply before the first pass: dropped there. */
	tb_build_id(&p, 2, false);
	tb_build_id(&r, 2, true);
	tb_run(&t, t.skel->progs.hedger_splitter, &p, 0, &ret, NULL);
	mark = tb_clone_mark(&t, &p);
	tb_run(&t, t.skel->progs.hedger_reply_filter, &r, 0, &ret, NULL);
	tb_run(&t, t.skel->progs.hedger_rescuer, &p, as_kind(mark, HEDGER_MARK_PARK_KIND), &ret, NULL);
	CHECK_EQ(ret, TB_ACT_SHOT, "answered: dropped before the first pass");
	CHECK_EQ(tb_counter(&t, HC_CLONE_DROPPED_REPLY_WON), 1, "counted as reply won");

	/* A slot that holds a newer generation: dropped. */
	tb_build_id(&p, 3, false);
	tb_run(&t, t.skel->progs.hedger_splitter, &p, 0, &ret, NULL);
	mark = tb_clone_mark(&t, &p);
	mark = (mark & ~HEDGER_MARK_GEN_MASK) | ((mark + 1) & HEDGER_MARK_GEN_MASK);
	tb_run(&t, t.skel->progs.hedger_rescuer, &p, as_kind(mark, HEDGER_MARK_LINE_KIND), &ret, NULL);
	CHECK_EQ(ret, TB_ACT_SHOT, "stale generation: dropped");
	CHECK_EQ(tb_counter(&t, HC_CLONE_STALE_GEN), 1, "stale generation counted");
	CHECK_EQ(tb_counter(&t, HC_LINE_PASSES), 0, "never sent to wait");

	/* Three bytes more than the IP header says: no pass of ours made it. */
	tb_build_id(&p, 4, false);
	tb_run(&t, t.skel->progs.hedger_splitter, &p, 0, &ret, NULL);
	mark = tb_clone_mark(&t, &p);
	longer = p;
	longer.len = p.len + 3;
	tb_run(&t, t.skel->progs.hedger_rescuer, &longer, mark, &ret, NULL);
	CHECK_EQ(ret, TB_ACT_SHOT, "3 bytes too long: dropped");
	CHECK_EQ(tb_counter(&t, HC_DUMMIES_DROPPED), 1, "counted as a dummy");
	CHECK_EQ(tb_counter(&t, HC_HEDGES_RELEASED), 0, "no hedge");
	tb_close(&t);
}

/* --release-grid G: a request sent less than G/2 after the one before on
 * its CPU (dense) takes a class of tier k = ceil((next multiple of G after
 * send + hold - (send + hold)) / step), so its release (send + hold + k x
 * step) is on or just after the grid point, never before it; one sent after
 * a pause takes tier 0 (on time). Pool: 8 classes per tier (all 8 requests
 * may want one tier: a full tier sends a request to a later one). */
static void grid(void)
{
	const uint64_t g = 1000000, step = g / (HEDGER_MAX_HTB_TIERS - 1);
	struct tb_cfg cfg = stab_cfg;
	struct hedger_sb_slot v;
	uint64_t due, grid_due;
	uint32_t tier, per = 8;
	struct tb_pkt p;
	cpu_set_t one;
	struct tb t;
	int ret = 0;

	/* "Dense" is per CPU: every run on one CPU. */
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu() < 0 ? 0 : sched_getcpu(), &one);
	REQUIRE(sched_setaffinity(0, sizeof(one), &one) == 0, "pin to one CPU");
	cfg.release_grid_ns = g;
	cfg.classes = HEDGER_MAX_HTB_TIERS * per;
	REQUIRE(tb_open(&t, &cfg) == 0, "tb_open");
	for (uint32_t id = 1; id <= 8; id++) {
		tb_build_id(&p, id, false);
		CHECK_EQ(tb_run(&t, t.skel->progs.hedger_splitter, &p, 0, &ret, NULL), 0, "run splitter");
		REQUIRE(tb_sb_lookup(&t, 4, id, &v) == 0, "slot");
		tier = (v.htb_class - 1) / per;
		if (id == 1) {
			/* The first on this CPU: nothing before it, not dense. */
			CHECK_EQ(tier, 0, "first request: tier 0, released on time");
			continue;
		}
		due = v.send_ns + HOLD_NS;
		grid_due = (due + g - 1) / g * g;
		CHECK(due + tier * step >= grid_due, "id %u: release %llu ns before its grid point",
		      id, (unsigned long long)(grid_due - due - tier * step));
		CHECK(due + tier * step < grid_due + step, "id %u: tier %u is later than the first tier not early",
		      id, tier);
	}
	CHECK_EQ(tb_counter(&t, HC_GRID_ROUNDED), 7, "the 7 dense requests were rounded");
	CHECK_EQ(tb_counter(&t, HC_NO_CLASS), 0, "each found a class");
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
	tb_run(&t, t.skel->progs.hedger_rescuer, &p, as_kind(mark, HEDGER_MARK_LINE_KIND), &ret, NULL);
	CHECK_EQ(ret, TB_ACT_UNSPEC, "no size table: a LINE mark is not ours, passed");
	CHECK_EQ(tb_counter(&t, HC_LINE_PASSES), 0, "no pass counted");
	tb_close(&t);
}

int main(void)
{
	tb_require();
	for (int fam = 4; fam <= 6; fam += 2)
		for (uint32_t pl = 24; pl < 27; pl++)
			passes(fam, pl);
	dropped();
	grid();
	no_size_table();
	return check_done("bpf_htb_stab");
}
