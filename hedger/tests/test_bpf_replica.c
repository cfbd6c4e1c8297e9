/* test_bpf_replica: hedges to another replica and reverse NAT, as integrated.
 * Service 198.18.100.2:9999 (slot 0, the VIP) with replicas .3:9999 and
 * .4:8888 (IPv4), [2001:2::2]:9999 with [2001:2::3]:7777 (IPv6).
 * - the rescuer rewrites the hedge's destination (round-robin over the
 *   other slots, never the VIP), checksums valid, slot recorded;
 * - the reply filter NATs a hedge replica's reply back to the VIP (what a
 *   connected socket expects), completes the request, and drops the VIP's
 *   late reply; a VIP reply first makes the replica's reply the duplicate;
 * - "fastest" picks the other slot with the lowest recent latency, and
 *   stops picking one that leaves its hedges unanswered;
 * - the per-replica latency/replies/hedges are updated. */
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "replica_fixture.h"

static void v4_case(void)
{
	struct tb_cfg cfg = { .backend = HEDGER_BACKEND_HTB, .replicas = true, .classes = 64 };
	const char *addrs[] = { R1_4, R2_4 };
	const uint16_t ports[] = { 9999, 8888 };
	struct hedger_replica_stats rs;
	struct hedger_replicas r;
	struct hedger_sb_slot v;
	struct tb_pkt p, o;
	struct tb t;
	int ret = 0;

	if (rf_open(&t, &cfg, 0, 4, TB_SERVER4, addrs, ports, 2, "replicas"))
		return;

	/* Hedges go round-robin to slots 1, 2, 1, never to the VIP. */
	for (uint64_t id = 1; id <= 3; id++) {
		rf_build(&p, 4, id, NULL, 0);
		tb_run(&t, t.skel->progs.hedger_splitter, &p, 0, &ret, &o);
		CHECK(rf_dst_is(&o, 4, TB_SERVER4, TB_PORT), "original not rewritten");
		tb_run(&t, t.skel->progs.hedger_rescuer, &p, TB_MARK_CLONE, &ret, &o);
		CHECK_EQ(ret, TB_ACT_REDIRECT, "hedge redirected");
		CHECK(rf_dst_is(&o, 4, addrs[(id - 1) % 2], ports[(id - 1) % 2]),
			 "hedge %llu to replica %s", (unsigned long long)id, addrs[(id - 1) % 2]);
		CHECK(rf_csums_ok(&o, 4), "hedge %llu: IP and UDP checksums valid",
			 (unsigned long long)id);
		CHECK_EQ(tb_sb_lookup(&t, 4, id, &v), 0, "entry");
		CHECK_EQ(v.hedge_slot, 1 + (id - 1) % 2, "slot recorded");
	}
	CHECK_EQ(tb_counter(&t, HC_HEDGES_TO_REPLICA), 3, "hedges to other replicas counted");

	/* Replica 1 answers request 1 first: NATed back to the VIP, completes. */
	rf_build(&p, 4, 1, R1_4, 9999);
	tb_run(&t, t.skel->progs.hedger_reply_filter, &p, 0, &ret, &o);
	CHECK_EQ(ret, TB_ACT_UNSPEC, "replica's reply passed");
	CHECK(rf_src_is(&o, 4, TB_SERVER4, TB_PORT), "reply source NATed back to the VIP");
	CHECK(rf_csums_ok(&o, 4), "reverse-NATed reply: checksums valid");
	CHECK_EQ(tb_sb_lookup(&t, 4, 1, &v), 0, "entry");
	CHECK_EQ(HEDGER_CTL_STATE(v.ctl), HEDGER_ST_COMPLETED_HEDGED,
	       "replica's reply completes the request (the original's reply still due)");
	CHECK_EQ(tb_counter(&t, HC_REPLIES_REVERSE_NAT), 1, "reverse NAT counted");
	/* The VIP's late original reply: the duplicate. */
	rf_build(&p, 4, 1, TB_SERVER4, TB_PORT);
	tb_run(&t, t.skel->progs.hedger_reply_filter, &p, 0, &ret, NULL);
	CHECK_EQ(ret, TB_ACT_SHOT, "VIP's late reply dropped");

	/* The VIP answers request 2 first: passed unchanged; replica 2's is dropped. */
	rf_build(&p, 4, 2, TB_SERVER4, TB_PORT);
	tb_run(&t, t.skel->progs.hedger_reply_filter, &p, 0, &ret, &o);
	CHECK_EQ(ret, TB_ACT_UNSPEC, "VIP reply passed");
	CHECK(o.len == p.len && !memcmp(o.data, p.data, p.len), "VIP reply untouched");
	rf_build(&p, 4, 2, R2_4, 8888);
	tb_run(&t, t.skel->progs.hedger_reply_filter, &p, 0, &ret, NULL);
	CHECK_EQ(ret, TB_ACT_SHOT, "replica's late reply dropped");
	CHECK_EQ(tb_counter(&t, HC_DUP_REPLIES_DROPPED), 2, "duplicates counted");

	/* A reply from a replica nobody asked: passed as is, counted unknown. */
	rf_build(&p, 4, 77, R1_4, 9999);
	tb_run(&t, t.skel->progs.hedger_reply_filter, &p, 0, &ret, &o);
	CHECK_EQ(ret, TB_ACT_UNSPEC, "unknown replica reply passed");
	CHECK(rf_src_is(&o, 4, R1_4, 9999), "unknown replica reply not rewritten");

	r = rf_get_replicas(&t, 0);
	rs = rf_get_replica_stats(&t, 0);
	CHECK_EQ(rs.hedges[1], 2, "hedges to slot 1");
	CHECK_EQ(rs.hedges[2], 1, "hedges to slot 2");
	CHECK_EQ(rs.replies[0], 2, "replies from the VIP");
	CHECK_EQ(rs.replies[1], 1, "replies from slot 1 (the unknown one not counted)");
	CHECK_EQ(rs.replies[2], 1, "replies from slot 2");
	CHECK(r.lat_ewma_ns[1] > 0 && r.lat_ewma_ns[2] > 0, "replica latencies measured");

	/* fastest: slot 2 is the quicker one now -> chosen every time. */
	r.policy = HEDGER_RP_FASTEST;
	r.lat_ewma_ns[1] = 5000000;
	r.lat_ewma_ns[2] = 1000000;
	{
		uint32_t k = 0;

		bpf_map_update_elem(bpf_map__fd(t.skel->maps.replicas), &k, &r, BPF_ANY);
	}
	for (uint64_t id = 10; id <= 12; id++) {
		rf_build(&p, 4, id, NULL, 0);
		tb_run(&t, t.skel->progs.hedger_splitter, &p, 0, &ret, NULL);
		tb_run(&t, t.skel->progs.hedger_rescuer, &p, TB_MARK_CLONE, &ret, &o);
		CHECK(rf_dst_is(&o, 4, R2_4, 8888), "fastest: hedge %llu to the quicker replica",
			 (unsigned long long)id);
	}
	/* ... until it stops answering: each hedge charges it the wait so far
	 * (>= 10 ms here) / 8, so after a few unanswered hedges slot 1 (5 ms)
	 * is the faster one again. */
	{
		uint64_t id = 20;
		bool moved = false;

		for (; id < 30 && !moved; id++) {
			rf_build(&p, 4, id, NULL, 0);
			tb_run(&t, t.skel->progs.hedger_splitter, &p, 0, &ret, NULL);
			usleep(10000);
			tb_run(&t, t.skel->progs.hedger_rescuer, &p, TB_MARK_CLONE, &ret, &o);
			moved = rf_dst_is(&o, 4, R1_4, 9999);
		}
		/* 1 ms + k x >= 1.25 ms > 5 ms after k <= 4 unanswered hedges (fewer
		 * when the sleeps run long) */
		CHECK(moved && id - 20 >= 2 && id - 20 <= 5,
			 "fastest: silent replica avoided after %llu hedges (want 2-5)",
			 (unsigned long long)(id - 20));
	}
	tb_close(&t);
}

static void v6_case(void)
{
	struct tb_cfg cfg = { .backend = HEDGER_BACKEND_HTB, .replicas = true, .classes = 64 };
	const char *addrs[] = { R1_6 };
	const uint16_t ports[] = { 7777 };
	struct tb_pkt p, o;
	struct tb t;
	int ret = 0;

	if (rf_open(&t, &cfg, 1, 6, TB_SERVER6, addrs, ports, 1, "replicas v6"))
		return;
	rf_build(&p, 6, 5, NULL, 0);
	tb_run(&t, t.skel->progs.hedger_splitter, &p, 0, &ret, NULL);
	tb_run(&t, t.skel->progs.hedger_rescuer, &p, TB_MARK_CLONE, &ret, &o);
	CHECK_EQ(ret, TB_ACT_REDIRECT, "v6 hedge redirected");
	CHECK(rf_dst_is(&o, 6, R1_6, 7777), "v6 hedge to the replica");
	CHECK(rf_csums_ok(&o, 6), "v6 hedge: UDP checksum valid");
	rf_build(&p, 6, 5, R1_6, 7777);
	tb_run(&t, t.skel->progs.hedger_reply_filter, &p, 0, &ret, &o);
	CHECK_EQ(ret, TB_ACT_UNSPEC, "v6 replica reply passed");
	CHECK(rf_src_is(&o, 6, TB_SERVER6, TB_PORT), "v6 reply NATed back to the VIP");
	CHECK(rf_csums_ok(&o, 6), "v6 reverse-NATed reply: checksum valid");
	CHECK_EQ(tb_counter(&t, HC_REPLIES), 1, "v6 reply completes");
	tb_close(&t);
}

int main(void)
{
	tb_require();
	v4_case();
	v6_case();
	return check_done("test_bpf_replica");
}
