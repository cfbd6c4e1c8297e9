/* test_bpf_scoreboard: the scoreboard is buckets of one-line slots, never
 * an LRU. With a small board (64 slots):
 * - answered requests free their slots once their clone is out of the line
 *   (2T + 5 ms; T = 100 us here): 1024 request/reply pairs, four at a time
 *   with 6 ms between, all get a slot and complete (nothing full);
 * - requests in flight are never evicted: with more live requests than
 *   slots, a request that finds its bucket full is not hedged (counted) and
 *   its reply passes untouched, while every request that got a slot keeps it
 *   and its reply still completes it;
 * - the count of requests that got a slot never exceeds the slots. */
#include <string.h>
#include <unistd.h>

#include "bpf_harness.h"

#define SLOTS 64

int main(void)
{
	struct tb_cfg cfg = { .backend = HEDGER_BACKEND_RECIRC, .sb_size = SLOTS,
			      .delay_ns = 100000 };
	uint64_t got_slot = 0, full;
	struct tb_pkt p;
	struct tb t;
	int ret = 0, n = 1024, live = 4 * SLOTS;

	tb_require();
	if (tb_open(&t, &cfg)) {
		CHECK(0, "tb_open");
		return check_done("test_bpf_scoreboard");
	}
	for (int id = 1; id <= n; id++) {
		tb_build_id(&p, (uint64_t)id, false);
		tb_run(&t, t.skel->progs.hedger_splitter, &p, 0, &ret, NULL);
		tb_build_id(&p, (uint64_t)id, true);
		tb_run(&t, t.skel->progs.hedger_reply_filter, &p, 0, &ret, NULL);
		if (id % HEDGER_SB_WAYS == 0)
			usleep(6000);	/* at most 4 in flight: no bucket can fill */
	}
	CHECK_EQ(tb_counter(&t, HC_SB_FULL), 0, "answered requests free their slots");
	CHECK_EQ(tb_counter(&t, HC_REPLIES), n, "every reply completed its request");
	tb_reset_counters(&t);

	/* Many requests in flight at once. */
	for (int id = n + 1; id <= n + live; id++) {
		tb_build_id(&p, (uint64_t)id, false);
		tb_run(&t, t.skel->progs.hedger_splitter, &p, 0, &ret, NULL);
		if (tb_state(&t, 4, (uint64_t)id) == HEDGER_ST_PENDING)
			got_slot++;
	}
	full = tb_counter(&t, HC_SB_FULL);
	CHECK(got_slot <= SLOTS, "%llu requests got one of %d slots",
		 (unsigned long long)got_slot, SLOTS);
	CHECK_EQ(got_slot + full, live, "every request either got a slot or was counted");
	CHECK(full > 0, "more live requests than slots: some bucket was full");
	/* Every request that got a slot still has it, and its reply completes it;
	 * the others' replies pass as unknown. */
	for (int id = n + 1; id <= n + live; id++) {
		tb_build_id(&p, (uint64_t)id, true);
		tb_run(&t, t.skel->progs.hedger_reply_filter, &p, 0, &ret, NULL);
		CHECK_EQ(ret, TB_ACT_UNSPEC, "reply passed");
	}
	CHECK_EQ(tb_counter(&t, HC_REPLIES), got_slot, "no live request was evicted");
	CHECK_EQ(tb_counter(&t, HC_REPLY_UNKNOWN), full, "replies of unhedged requests passed");
	tb_close(&t);
	return check_done("test_bpf_scoreboard");
}
