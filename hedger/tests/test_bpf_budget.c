/* test_bpf_budget: the hedge budget as integrated in the programs.
 * - the splitter credits the service's bucket once per request;
 * - the rescuer spends only for a clone about to leave: over budget the clone
 *   is dropped and counted (hedges_denied_budget), the request stays pending
 *   so its reply still completes it;
 * - a clone whose reply won costs nothing;
 * - with 50 % the bucket refills by one hedge per two requests. */
#include <string.h>
#include <bpf/bpf.h>

#include "bpf_harness.h"
#include "budget.h"

static int set_budget(struct tb *t, uint32_t ratio_milli, uint32_t burst, int64_t credits)
{
	struct budget b = { .credits = credits, .ratio_milli = ratio_milli, .burst = burst };
	uint32_t k = 0;

	return bpf_map_update_elem(bpf_map__fd(t->skel->maps.budget), &k, &b, BPF_ANY);
}

static struct budget get_budget(struct tb *t)
{
	struct budget b;
	uint32_t k = 0;

	memset(&b, 0xff, sizeof(b));
	bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.budget), &k, &b);
	return b;
}

/* request then clone: the rescuer's verdict */
static int hedge_attempt(struct tb *t, uint64_t id)
{
	struct tb_pkt p;
	int ret = 0;

	tb_build_id(&p, id, false);
	tb_run(t, t->skel->progs.hedger_splitter, &p, 0, &ret, NULL);
	tb_run(t, t->skel->progs.hedger_rescuer, &p, TB_MARK_CLONE, &ret, NULL);
	return ret;
}

int main(void)
{
	struct tb_cfg cfg = { .backend = HEDGER_BACKEND_HTB, .budget = true, .classes = 64 };
	struct hedger_sb_slot v;
	struct tb_pkt p, r;
	struct budget b;
	struct tb t;
	int ret = 0, granted = 0;

	tb_require();
	if (tb_open(&t, &cfg)) {
		CHECK(0, "tb_open");
		return check_done("test_bpf_budget");
	}
	/* 0 % + burst 2: exactly two hedges, then every clone is dropped. */
	CHECK_EQ(set_budget(&t, 0, 2, 2 * BUDGET_UNIT), 0, "seed budget");
	for (uint64_t id = 1; id <= 5; id++) {
		ret = hedge_attempt(&t, id);
		CHECK_EQ(ret, id <= 2 ? TB_ACT_REDIRECT : TB_ACT_SHOT, "burst 2 then denied");
	}
	CHECK_EQ(tb_counter(&t, HC_HEDGES_RELEASED), 2, "hedges sent within the burst");
	CHECK_EQ(tb_counter(&t, HC_BUDGET_DENIED), 3, "denied clones counted");
	b = get_budget(&t);
	CHECK_EQ(b.requests, 5, "splitter credited every request");
	CHECK_EQ(b.granted, 2, "granted");
	CHECK_EQ(b.denied, 3, "denied");
	CHECK_EQ(b.credits, 0, "bucket empty");
	CHECK_EQ(tb_sb_lookup(&t, 4, 3, &v), 0, "denied request's entry");
	CHECK_EQ(HEDGER_CTL_STATE(v.ctl), HEDGER_ST_PENDING, "denied request still pending");
	tb_build_id(&r, 3, true);
	tb_run(&t, t.skel->progs.hedger_reply_filter, &r, 0, &ret, NULL);
	CHECK_EQ(ret, TB_ACT_UNSPEC, "reply of a denied request passed");
	CHECK_EQ(tb_sb_lookup(&t, 4, 3, &v), 0, "entry");
	CHECK_EQ(HEDGER_CTL_STATE(v.ctl), HEDGER_ST_COMPLETED, "reply of a denied request completes it");

	/* A clone whose reply won spends nothing, even with credits there. */
	CHECK_EQ(set_budget(&t, 0, 2, 2 * BUDGET_UNIT), 0, "refill");
	tb_build_id(&p, 20, false);
	tb_build_id(&r, 20, true);
	tb_run(&t, t.skel->progs.hedger_splitter, &p, 0, &ret, NULL);
	tb_run(&t, t.skel->progs.hedger_reply_filter, &r, 0, &ret, NULL);
	tb_run(&t, t.skel->progs.hedger_rescuer, &p, TB_MARK_CLONE, &ret, NULL);
	CHECK_EQ(ret, TB_ACT_SHOT, "reply won");
	b = get_budget(&t);
	CHECK_EQ(b.credits, 2 * BUDGET_UNIT, "reply-won clone cost nothing");
	CHECK_EQ(b.granted + b.denied, 0, "no spend attempted");

	/* 50 %, burst 1, empty: 8 requests in a row earn 4 hedges' worth, but
	 * the cap (burst 1) holds at most one at a time: each hedge_attempt
	 * adds 0.5 then tries to spend 1 -> every second attempt succeeds. */
	CHECK_EQ(set_budget(&t, 500, 1, 0), 0, "50 %");
	for (uint64_t id = 100; id < 108; id++)
		granted += hedge_attempt(&t, id) == TB_ACT_REDIRECT;
	CHECK_EQ(granted, 4, "50 %: every second hedge");
	b = get_budget(&t);
	CHECK_EQ(b.granted, 4, "granted at 50 %");
	CHECK_EQ(b.denied, 4, "denied at 50 %");
	tb_close(&t);
	return check_done("test_bpf_budget");
}
