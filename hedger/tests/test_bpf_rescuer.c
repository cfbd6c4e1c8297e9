/* test_bpf_rescuer: where the clone leaves the delay line.
 * - pending request: the clone is redirected out as the hedge (state hedged)
 * - a second copy of the same clone: dropped
 * - reply already in: the clone is dropped ("reply won")
 * - dummies: dropped by mark, and by length when the mark is lost
 * - no scoreboard entry: dropped (orphan); unmarked foreign packet: passed
 * - recirc: before the deadline the clone goes round again.
 * - release lateness: a hedge released 2 ms after its planned release is
 *   one sample >= 2 ms in release_late; a dropped clone adds none. */
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>

#include "bpf_harness.h"
#include "lathist_print.h"

static void qdisc_backend(void)
{
	struct tb_cfg cfg = { .backend = HEDGER_BACKEND_HTB };
	struct hedger_sb_slot v;
	struct tb_pkt p, r, big;
	struct tb t;
	int ret = 0;

	if (tb_open(&t, &cfg)) {
		CHECK(0, "tb_open");
		return;
	}
	tb_build_id(&p, 1, false);
	tb_run(&t, t.skel->progs.hedger_splitter, &p, 0, &ret, NULL);
	CHECK_EQ(tb_run(&t, t.skel->progs.hedger_rescuer, &p, TB_MARK_CLONE, &ret, NULL), 0, "run");
	CHECK_EQ(ret, TB_ACT_REDIRECT, "pending: hedge redirected out");
	CHECK_EQ(tb_counter(&t, HC_HEDGES_RELEASED), 1, "hedge counted");
	CHECK_EQ(tb_sb_lookup(&t, 4, 1, &v), 0, "entry");
	CHECK_EQ(HEDGER_CTL_STATE(v.ctl), HEDGER_ST_HEDGED, "state hedged");
	CHECK(v.hedge_ns >= v.send_ns, "hedge time recorded");

	tb_run(&t, t.skel->progs.hedger_rescuer, &p, TB_MARK_CLONE, &ret, NULL);
	CHECK_EQ(ret, TB_ACT_SHOT, "second copy of a clone dropped");
	CHECK_EQ(tb_counter(&t, HC_HEDGES_RELEASED), 1, "second copy not sent");

	/* Reply first, then the clone: dropped. */
	tb_build_id(&p, 2, false);
	tb_build_id(&r, 2, true);
	tb_run(&t, t.skel->progs.hedger_splitter, &p, 0, &ret, NULL);
	tb_run(&t, t.skel->progs.hedger_reply_filter, &r, 0, &ret, NULL);
	tb_run(&t, t.skel->progs.hedger_rescuer, &p, TB_MARK_CLONE, &ret, NULL);
	CHECK_EQ(ret, TB_ACT_SHOT, "reply won: clone dropped");
	CHECK_EQ(tb_counter(&t, HC_CLONE_DROPPED_REPLY_WON), 2, "reply won counted (+ the copy above)");

	/* Dummies. */
	tb_run(&t, t.skel->progs.hedger_rescuer, &p, HEDGER_MARK_DUMMY, &ret, NULL);
	CHECK_EQ(ret, TB_ACT_SHOT, "dummy (mark) dropped");
	big = p;
	memset(big.data + big.len, 0, 1000);
	big.len += 1000;	/* longer than its IP header says: a dummy that lost its mark */
	tb_run(&t, t.skel->progs.hedger_rescuer, &big, 0, &ret, NULL);
	CHECK_EQ(ret, TB_ACT_SHOT, "dummy (length) dropped");
	CHECK_EQ(tb_counter(&t, HC_DUMMIES_DROPPED), 2, "dummies counted");

	/* Orphan and foreign packets. */
	tb_build_id(&p, 99, false);
	tb_run(&t, t.skel->progs.hedger_rescuer, &p, TB_MARK_CLONE, &ret, NULL);
	CHECK_EQ(ret, TB_ACT_SHOT, "orphan clone dropped");
	CHECK_EQ(tb_counter(&t, HC_CLONE_ORPHANED), 1, "orphan counted");
	tb_run(&t, t.skel->progs.hedger_rescuer, &p, 0, &ret, NULL);
	CHECK_EQ(ret, TB_ACT_UNSPEC, "unmarked foreign packet passed");
	tb_close(&t);
}

static void recirc_backend(void)
{
	struct tb_cfg cfg = { .backend = HEDGER_BACKEND_RECIRC, .delay_ns = 200000000ULL };
	struct tb_pkt p;
	struct tb t;
	int ret = 0;

	if (tb_open(&t, &cfg)) {
		CHECK(0, "tb_open");
		return;
	}
	tb_build_id(&p, 5, false);
	tb_run(&t, t.skel->progs.hedger_splitter, &p, 0, &ret, NULL);
	tb_reset_counters(&t);	/* the clone really circles in the private netns */
	tb_run(&t, t.skel->progs.hedger_rescuer, &p, TB_MARK_CLONE, &ret, NULL);
	CHECK_EQ(ret, TB_ACT_REDIRECT, "recirc: before the deadline, round again");
	CHECK(tb_counter(&t, HC_RECIRC_ROUNDS) >= 1, "recirc round counted");
	CHECK_EQ(tb_counter(&t, HC_HEDGES_RELEASED), 0, "recirc: not sent before the deadline");
	tb_close(&t);
}

/* release_late_read - the release_late histogram summed over CPUs. */
static int release_late_read(struct tb *t, struct lathist *sum)
{
	struct lathist per[512];
	uint32_t zero = 0;

	memset(sum, 0, sizeof(*sum));
	if (t->ncpu > 512 ||
	    bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.release_late), &zero, per))
		return -1;
	for (int c = 0; c < t->ncpu; c++)
		lathist_add(sum, &per[c]);
	return 0;
}

static void release_lateness(void)
{
	struct tb_cfg cfg = { .backend = HEDGER_BACKEND_RECIRC, .delay_ns = 1000 };
	struct timespec two_ms = { .tv_nsec = 2000000 };
	struct lathist h;
	struct tb_pkt p, r;
	struct tb t;
	int ret = 0, at = -1;

	if (tb_open(&t, &cfg)) {
		CHECK(0, "tb_open");
		return;
	}
	tb_build_id(&p, 7, false);
	tb_run(&t, t.skel->progs.hedger_splitter, &p, 0, &ret, NULL);
	nanosleep(&two_ms, NULL);	/* due 1 us after the send: now >= 2 ms late */
	CHECK_EQ(tb_run(&t, t.skel->progs.hedger_rescuer, &p, TB_MARK_CLONE, &ret, NULL), 0, "run");
	CHECK_EQ(tb_counter(&t, HC_HEDGES_RELEASED), 1, "late: hedge released");
	/* Answered before its clone: dropped, no sample. */
	tb_build_id(&p, 8, false);
	tb_build_id(&r, 8, true);
	tb_run(&t, t.skel->progs.hedger_splitter, &p, 0, &ret, NULL);
	tb_run(&t, t.skel->progs.hedger_reply_filter, &r, 0, &ret, NULL);
	tb_run(&t, t.skel->progs.hedger_rescuer, &p, TB_MARK_CLONE, &ret, NULL);
	CHECK_EQ(ret, TB_ACT_SHOT, "answered: clone dropped");
	if (release_late_read(&t, &h)) {
		CHECK(0, "release_late: read failed");
		goto out;
	}
	for (uint32_t b = 0; b < LATHIST_BUCKETS; b++)
		if (h.counts[b])
			at = (int)b;
	CHECK_EQ(lathist_count(&h), 1, "release_late: one sample, for the hedge only");
	CHECK(at >= 0 && lathist_upper_us((uint32_t)at) > 2000,
	      "release_late: 2 ms late recorded in bucket %d (up to %llu us)", at,
	      at >= 0 ? (unsigned long long)lathist_upper_us((uint32_t)at) : 0ULL);
out:
	tb_close(&t);
}

int main(void)
{
	tb_require();
	qdisc_backend();
	release_lateness();
	recirc_backend();
	return check_done("test_bpf_rescuer");
}
