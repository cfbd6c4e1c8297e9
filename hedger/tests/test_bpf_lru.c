/* test_bpf_lru: the scoreboard is an LRU hash of --scoreboard-size entries.
 * Far more requests than entries evict the oldest; a reply for an evicted
 * request is passed and counted as unknown, one for a recent request still
 * completes it. */
#include <string.h>

#include "bpf_harness.h"

int main(void)
{
	struct tb_cfg cfg = { .backend = HEDGER_BACKEND_HTB, .sb_size = 256, .classes = 4096 };
	struct tb_pkt p;
	struct tb_spec s;
	uint8_t pl[32];
	struct tb t;
	int ret = 0, n = 4096;

	tb_require();
	if (tb_open(&t, &cfg)) {
		TB_CHECK(0, "tb_open");
		return tb_finish();
	}
	memset(&s, 0, sizeof(s));
	s.family = 4;
	s.payload = pl;
	for (int id = 1; id <= n; id++) {
		s.reply = false;
		s.payload_len = tb_payload_id(pl, 8, 0, 4, false, (uint64_t)id);
		tb_build(&p, &s);
		tb_run(&t, t.skel->progs.hedger_splitter, &p, 0, &ret, NULL);
	}
	TB_EQ(tb_counter(&t, HC_REQUESTS), n, "requests");
	TB_EQ(tb_counter(&t, HC_SB_INSERT_FAILED), 0, "LRU inserts never fail");

	s.reply = true;
	s.payload_len = tb_payload_id(pl, 8, 0, 4, false, 1);
	tb_build(&p, &s);
	tb_run(&t, t.skel->progs.hedger_reply_filter, &p, 0, &ret, NULL);
	TB_EQ(ret, TB_ACT_UNSPEC, "reply for an evicted request passed");
	TB_EQ(tb_counter(&t, HC_REPLY_UNKNOWN), 1, "eviction counted as unknown reply");

	s.payload_len = tb_payload_id(pl, 8, 0, 4, false, (uint64_t)n);
	tb_build(&p, &s);
	tb_run(&t, t.skel->progs.hedger_reply_filter, &p, 0, &ret, NULL);
	TB_EQ(tb_counter(&t, HC_REPLIES), 1, "recent request still on the scoreboard");
	tb_close(&t);
	return tb_finish();
}
