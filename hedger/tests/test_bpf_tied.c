/* test_bpf_tied: tied mode (--tied K) as integrated in the programs.
 * Service 198.18.100.2:9999 with replicas .3:9999 and .4:8888, K = 3:
 * - the splitter sends K-1 = 2 copies at once (marked TIED, to the line's b
 *   end), one per other replica, and no delay-line clone; the original
 *   leaves byte for byte unchanged (destination restored, checksums too);
 * - the rescuer sends a TIED copy out with redirect_neigh, marked HEDGE
 *   (the splitter passes it: loop guard);
 * - the first reply wins (from a replica: NATed back), later ones dropped;
 * - with the budget on, copies spend it: burst 1 at 0 % -> 1 copy, then none. */
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>

#include "replica_fixture.h"
#include "budget.h"

static void tied_case(bool with_budget)
{
	struct tb_cfg cfg = { .backend = HEDGER_BACKEND_HTB, .replicas = true, .tied = true,
			      .budget = with_budget, .classes = 64 };
	const char *addrs[] = { R1_4, R2_4 };
	const uint16_t ports[] = { 9999, 8888 };
	struct hedger_replica_stats rs;
	struct hedger_replicas r;
	struct tb_pkt p, o, c;
	struct tb t;
	uint32_t k = 0;
	int ret = 0;

	if (rf_open(&t, &cfg, 0, 4, TB_SERVER4, addrs, ports, 2, "replicas"))
		return;
	r = rf_get_replicas(&t, 0);
	r.tied = 3;
	CHECK_EQ(bpf_map_update_elem(bpf_map__fd(t.skel->maps.replicas), &k, &r, BPF_ANY), 0, "tied 3");
	if (with_budget) {
		struct budget b = { .credits = BUDGET_UNIT, .ratio_milli = 0, .burst = 1 };

		CHECK_EQ(bpf_map_update_elem(bpf_map__fd(t.skel->maps.budget), &k, &b, BPF_ANY), 0,
		      "budget");
		rf_build(&p, 4, 1, NULL, 0);
		tb_run(&t, t.skel->progs.hedger_splitter, &p, 0, &ret, &o);
		CHECK_EQ(tb_counter(&t, HC_TIED_COPIES), 1, "budget: one copy within burst 1");
		CHECK_EQ(tb_counter(&t, HC_BUDGET_DENIED), 1, "budget: second copy denied");
		rf_build(&p, 4, 2, NULL, 0);
		tb_run(&t, t.skel->progs.hedger_splitter, &p, 0, &ret, &o);
		CHECK_EQ(tb_counter(&t, HC_TIED_COPIES), 1, "budget: no copy when empty");
		CHECK_EQ(ret, TB_ACT_UNSPEC, "budget: original still passes");
		CHECK(o.len == p.len && !memcmp(o.data, p.data, p.len), "budget: original unchanged");
		tb_close(&t);
		return;
	}

	rf_build(&p, 4, 1, NULL, 0);
	tb_run(&t, t.skel->progs.hedger_splitter, &p, 0, &ret, &o);
	CHECK_EQ(ret, TB_ACT_UNSPEC, "original passed");
	CHECK(o.len == p.len && !memcmp(o.data, p.data, p.len),
		 "original byte for byte unchanged (destination and checksums restored)");
	CHECK(rf_csums_ok(&o, 4), "original's checksums valid after the round trip");
	CHECK_EQ(tb_counter(&t, HC_TIED_COPIES), 2, "K-1 copies sent");
	CHECK_EQ(tb_counter(&t, HC_CLONES), 0, "no delay-line clone in tied mode");
	rs = rf_get_replica_stats(&t, 0);
	CHECK_EQ(rs.hedges[1], 1, "one copy to slot 1");
	CHECK_EQ(rs.hedges[2], 1, "one copy to slot 2");

	/* A copy as it reaches the rescuer (addressed to replica 2, TIED). */
	rf_build(&c, 4, 1, NULL, 0);
	inet_pton(AF_INET, R2_4, c.data + 14 + 16);
	tb_run(&t, t.skel->progs.hedger_rescuer, &c, HEDGER_MARK_TIED, &ret, &o);
	CHECK_EQ(ret, TB_ACT_REDIRECT, "tied copy sent out");
	CHECK_EQ(tb_last_ctx.mark, HEDGER_MARK_TIED, "tied copy leaves marked TIED (the splitter passes it)");
	CHECK(rf_dst_is(&o, 4, R2_4, TB_PORT), "tied copy keeps its replica address");
	tb_run(&t, t.skel->progs.hedger_splitter, &o, HEDGER_MARK_TIED, &ret, NULL);
	CHECK_EQ(tb_counter(&t, HC_TIED_COPIES), 2, "copy passing the splitter not copied again");

	/* Replica 2 answers first: NATed back and wins; the VIP's reply is late. */
	rf_build(&p, 4, 1, R2_4, 8888);
	tb_run(&t, t.skel->progs.hedger_reply_filter, &p, 0, &ret, &o);
	CHECK_EQ(ret, TB_ACT_UNSPEC, "first reply (replica) passed");
	CHECK(rf_src_is(&o, 4, TB_SERVER4, TB_PORT), "first reply NATed back to the VIP");
	rf_build(&p, 4, 1, TB_SERVER4, TB_PORT);
	tb_run(&t, t.skel->progs.hedger_reply_filter, &p, 0, &ret, NULL);
	CHECK_EQ(ret, TB_ACT_SHOT, "VIP reply dropped");
	rf_build(&p, 4, 1, R1_4, 9999);
	tb_run(&t, t.skel->progs.hedger_reply_filter, &p, 0, &ret, NULL);
	CHECK_EQ(ret, TB_ACT_SHOT, "replica 1 reply dropped");
	CHECK_EQ(tb_counter(&t, HC_REPLIES), 1, "one reply reached the application");
	tb_close(&t);
}

int main(void)
{
	tb_require();
	tied_case(false);
	tied_case(true);
	return check_done("test_bpf_tied");
}
