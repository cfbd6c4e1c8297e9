/* test_bpf_htb_finish: --htb-finish D (htb with the size table). HTB lets a
 * clone out D before its planned release; the rescuer holds what is still
 * due in BPF, going round the line, until the plan. Pinned to one CPU (the
 * grid's "dense" and the batches are per CPU):
 * - a request's clone, out of its class before its release (send + T):
 *   back to the line (a round counted), no hedge, still pending; after
 *   the release it leaves as the hedge, byte for byte; its planned release
 *   is send + T, not the class's shorter hold
 * - a clone whose reply has come goes nowhere: dropped, no round
 * - with --release-grid: a dense request's release is its grid step, from
 *   the class's hold + D; its class lets it out D before that step (the
 *   first tier not earlier than step - D); one that was not dense (the
 *   first, or any a slow CPU ran late, as under TCG) keeps send + T
 * - a carrier's class lets it out D before its step (the first tier not
 *   earlier than step - D)
 * - a carrier out before its step: while a request of its batch is
 *   pending it goes round again, sending nothing, and the answered ones
 *   before it are counted once over all rounds; once the step is due it
 *   sends the pending request's hedge, byte for byte; a carrier whose
 *   batch is all answered is dropped at once, without a round. */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <sys/socket.h>
#include <bpf/bpf.h>

#include "bpf_harness.h"

#define HOLD_NS 10000000ULL	/* the class's hold: T - D */
#define FINISH_NS 500000ULL	/* D */
#define DELAY_NS 1000000000ULL	/* T for the clone case: its early run comes well within it */
#define GRID_NS 10000000ULL	/* dense = < 5 ms apart; its tiers 10/31 ms < D apart */
#define CARRIER_HOLD_NS 1000000000ULL	/* the carrier cases' early rounds: within ~1 s */

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* sleep_until - wait until CLOCK_MONOTONIC (bpf_ktime_get_ns's) passes @ns. */
static void sleep_until(uint64_t ns)
{
	while (mono_ns() <= ns)
		usleep(1000);
}

static uint32_t as_kind(uint32_t hedge_mark, uint32_t kind)
{
	return HEDGER_MARK_AS_KIND(hedge_mark, kind);
}

/* two_passes - the clone of @p (mark @mark) through its class's two passes,
 * as the line returns it: into @out, ready to be released. */
static void two_passes(struct tb *t, const struct tb_pkt *p, uint32_t mark, struct tb_pkt *out)
{
	struct tb_pkt first;
	int ret = 0;

	tb_run(t, t->skel->progs.hedger_rescuer, p, as_kind(mark, HEDGER_MARK_PARK_KIND), &ret, &first);
	CHECK_EQ(ret, TB_ACT_REDIRECT, "first pass");
	tb_run(t, t->skel->progs.hedger_rescuer, &first, as_kind(mark, HEDGER_MARK_LINE_KIND), &ret, out);
	CHECK_EQ(ret, TB_ACT_REDIRECT, "second pass");
}

static void clone_case(void)
{
	struct tb_cfg cfg = { .backend = HEDGER_BACKEND_HTB, .htb_stab_hold_ns = HOLD_NS,
			      .line_park_ifindex = 1, .htb_finish_ns = FINISH_NS,
			      .delay_ns = DELAY_NS };
	struct tb_pkt p, r, back, again, hedge;
	struct hedger_sb_slot v;
	uint32_t mark;
	struct tb t;
	int ret = 0;

	REQUIRE(tb_open(&t, &cfg) == 0, "tb_open");
	tb_build_id(&p, 1, false);
	CHECK_EQ(tb_run(&t, t.skel->progs.hedger_splitter, &p, 0, &ret, NULL), 0, "splitter");
	REQUIRE(tb_sb_lookup(&t, 4, 1, &v) == 0, "slot");
	CHECK_EQ(v.release_ns, v.send_ns + DELAY_NS, "planned release: send + T");
	mark = tb_clone_mark(&t, &p);
	two_passes(&t, &p, mark, &back);

	/* Out of its class before send + T (we are well within T of it). */
	CHECK_EQ(tb_run(&t, t.skel->progs.hedger_rescuer, &back, mark, &ret, &again), 0, "early");
	CHECK_EQ(ret, TB_ACT_REDIRECT, "early: redirected");
	CHECK_EQ(tb_counter(&t, HC_RECIRC_ROUNDS), 1, "early: one round round the line");
	CHECK_EQ(tb_counter(&t, HC_HEDGES_RELEASED), 0, "early: no hedge");
	CHECK_EQ(tb_state(&t, 4, 1), HEDGER_ST_PENDING, "early: still pending");
	CHECK_EQ(tb_last_ctx.mark, mark, "early: still marked as the request's clone");

	sleep_until(v.release_ns + 1000000);
	CHECK_EQ(tb_run(&t, t.skel->progs.hedger_rescuer, &again, mark, &ret, &hedge), 0, "due");
	CHECK_EQ(ret, TB_ACT_REDIRECT, "due: out");
	CHECK_EQ(tb_counter(&t, HC_HEDGES_RELEASED), 1, "due: the hedge");
	CHECK_EQ(tb_counter(&t, HC_RECIRC_ROUNDS), 1, "due: no further round");
	CHECK_EQ(tb_state(&t, 4, 1), HEDGER_ST_HEDGED, "due: hedged");
	CHECK_EQ(hedge.len, p.len, "the hedge has the request's length");
	CHECK(!memcmp(hedge.data, p.data, p.len), "the hedge is the request, byte for byte");

	/* Answered before its clone is out: dropped, never held. */
	tb_build_id(&p, 2, false);
	tb_build_id(&r, 2, true);
	tb_run(&t, t.skel->progs.hedger_splitter, &p, 0, &ret, NULL);
	mark = tb_clone_mark(&t, &p);
	two_passes(&t, &p, mark, &back);
	tb_run(&t, t.skel->progs.hedger_reply_filter, &r, 0, &ret, NULL);
	CHECK_EQ(tb_state(&t, 4, 2), HEDGER_ST_COMPLETED, "id 2 answered");
	tb_run(&t, t.skel->progs.hedger_rescuer, &back, mark, &ret, NULL);
	CHECK_EQ(ret, TB_ACT_SHOT, "answered: dropped");
	CHECK_EQ(tb_counter(&t, HC_RECIRC_ROUNDS), 1, "answered: no round");
	CHECK_EQ(tb_counter(&t, HC_CLONE_DROPPED_REPLY_WON), 1, "answered: reply won");
	tb_close(&t);
}

/* With the grid: the class of a dense request releases it at the first
 * tier not earlier than its step - D, and its plan is the step itself; a
 * request that was not dense (the first, or one a slow CPU ran late, as
 * under TCG) keeps send + T and tier 0. G = 10 ms: its tiers are 10/31 ms
 * apart, less than D, so a class chosen for the step itself is caught. */
static void grid_case(void)
{
	const uint64_t g = GRID_NS, step = g / (HEDGER_MAX_HTB_TIERS - 1);
	struct tb_cfg cfg = { .backend = HEDGER_BACKEND_HTB, .htb_stab_hold_ns = HOLD_NS,
			      .line_park_ifindex = 1, .htb_finish_ns = FINISH_NS,
			      .release_grid_ns = g, .classes = HEDGER_MAX_HTB_TIERS * 8 };
	struct hedger_sb_slot v;
	uint64_t due, grid_due, out, rounded = 0, before;
	uint32_t tier;
	struct tb_pkt p;
	struct tb t;
	int ret = 0;

	REQUIRE(tb_open(&t, &cfg) == 0, "tb_open");
	for (uint32_t id = 1; id <= 8; id++) {
		tb_build_id(&p, id, false);
		before = tb_counter(&t, HC_GRID_ROUNDED);
		tb_run(&t, t.skel->progs.hedger_splitter, &p, 0, &ret, NULL);
		REQUIRE(tb_sb_lookup(&t, 4, id, &v) == 0, "slot");
		tier = (v.htb_class - 1) / 8;
		if (tb_counter(&t, HC_GRID_ROUNDED) == before) {
			CHECK(id > 1 || tier == 0, "id %u: not dense, tier %u", id, tier);
			CHECK(v.release_ns == v.send_ns + TB_DELAY_NS_DEFAULT, "id %u: not dense, plan send + T", id);
			continue;
		}
		rounded++;
		due = v.send_ns + HOLD_NS + FINISH_NS;
		grid_due = (due + g - 1) / g * g;
		CHECK(v.release_ns == grid_due, "id %u: planned release is the grid step of send + hold + D", id);
		out = v.send_ns + HOLD_NS + tier * step;
		CHECK(out + FINISH_NS >= grid_due, "id %u: out %llu ns more than D before its step", id,
		      (unsigned long long)(grid_due - out - FINISH_NS));
		CHECK(out + FINISH_NS < grid_due + step, "id %u: tier %u later than needed", id, tier);
	}
	CHECK(rounded >= 1, "no request was dense (all 8 more than G/2 apart)");
	printf("grid: %llu of the 7 requests after the first rounded\n", (unsigned long long)rounded);
	tb_close(&t);
}

static int tap_open(void)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
				   .sll_ifindex = 1 };
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK, htons(ETH_P_ALL));

	if (fd < 0 || bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* tap_count - frames that left lo (PACKET_OUTGOING) within @ms of quiet;
 * the last one in @last. */
static int tap_count(int fd, struct tb_pkt *last, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct sockaddr_ll from;
	socklen_t fl;
	int n = 0;

	while (poll(&pfd, 1, ms) > 0) {
		ssize_t got;

		fl = sizeof(from);
		got = recvfrom(fd, last->data, sizeof(last->data), 0, (struct sockaddr *)&from, &fl);
		if (got < 0)
			break;
		if (from.sll_pkttype != PACKET_OUTGOING)
			continue;
		last->len = (uint32_t)got;
		n++;
	}
	return n;
}

static void carrier_case(void)
{
	struct tb_cfg cfg = { .backend = HEDGER_BACKEND_HTB, .htb_stab_hold_ns = CARRIER_HOLD_NS,
			      .line_park_ifindex = 1, .htb_finish_ns = FINISH_NS,
			      .release_grid_ns = GRID_NS, .classes = HEDGER_MAX_HTB_TIERS * 4,
			      .carriers = true };
	const uint64_t tier_ns = GRID_NS / (HEDGER_MAX_HTB_TIERS - 1);
	struct tb_pkt req[4], reply, pass1, pass2, seen;
	struct hedger_sb_slot v;
	struct hedger_batch *b;
	uint64_t step, first_step = 0, out;
	uint32_t idx, mark, hold, cpu = (uint32_t)(sched_getcpu() < 0 ? 0 : sched_getcpu());
	struct tb t;
	int ret = 0, tap;

	REQUIRE(tb_open(&t, &cfg) == 0, "tb_open");
	/* Quiet first: the step is due ~T + D after the sends. */
	tap = tap_open();
	REQUIRE(tap >= 0, "packet socket on lo: %s", strerror(errno));
	tap_count(tap, &seen, 50);
	/* id 100 sparse (its own clone); ids 1..3 dense, riding one carrier. */
	tb_build_id(&req[3], 100, false);
	tb_run(&t, t.skel->progs.hedger_splitter, &req[3], 0, &ret, NULL);
	for (uint32_t i = 0; i < 3; i++) {
		tb_build_id(&req[i], i + 1, false);
		tb_run(&t, t.skel->progs.hedger_splitter, &req[i], 0, &ret, NULL);
		REQUIRE(tb_sb_lookup(&t, 4, i + 1, &v) == 0, "slot");
		step = v.release_ns / GRID_NS;
		if (!i)
			first_step = step;
		else if (step != first_step) {
			printf("SKIP the carrier case: the requests straddle a grid step\n");
			close(tap);
			tb_close(&t);
			return;
		}
	}
	CHECK_EQ(tb_counter(&t, HC_BATCHED), 3, "three ride the carrier");
	CHECK_EQ(tb_counter(&t, HC_CARRIERS), 1, "one carrier");
	step = first_step;
	idx = cpu * HEDGER_BATCH_RING + (uint32_t)(step % HEDGER_BATCH_RING);
	/* The carrier's class lets it out D before the step: the first tier
	 * not earlier than step - D (it was sent with id 1). */
	b = calloc(1, sizeof(*b));
	REQUIRE(b != NULL, "alloc");
	REQUIRE(bpf_map_lookup_elem(bpf_map__fd(t.skel->maps.batch), &idx, b) == 0, "batch");
	REQUIRE(tb_sb_lookup(&t, 4, 1, &v) == 0, "slot");
	out = v.send_ns + CARRIER_HOLD_NS + (uint64_t)((b->cls - 1) / 4) * tier_ns;
	CHECK(out + FINISH_NS >= step * GRID_NS, "carrier out %llu ns more than D before its step",
	      (unsigned long long)(step * GRID_NS - out - FINISH_NS));
	CHECK(out + FINISH_NS < step * GRID_NS + tier_ns, "carrier's tier later than step - D");
	free(b);
	mark = HEDGER_MARK_CARRIER(HEDGER_MARK_CARRIER_PARK_KIND, (uint32_t)(step / HEDGER_BATCH_RING), idx);
	tb_run(&t, t.skel->progs.hedger_rescuer, &req[0], mark, &ret, &pass1);
	CHECK_EQ(ret, TB_ACT_REDIRECT, "carrier: first pass");
	tb_run(&t, t.skel->progs.hedger_rescuer, &pass1, tb_last_ctx.mark, &ret, &pass2);
	CHECK_EQ(ret, TB_ACT_REDIRECT, "carrier: second pass");
	hold = HEDGER_MARK_AS_KIND(mark, HEDGER_MARK_CARRIER_HOLD_KIND);
	CHECK_EQ(tb_last_ctx.mark, hold, "carrier: held");

	/* ids 1 and 3 answered, id 2 (the second in the batch) pending. */
	tb_build_id(&reply, 1, true);
	tb_run(&t, t.skel->progs.hedger_reply_filter, &reply, 0, &ret, NULL);
	tb_build_id(&reply, 3, true);
	tb_run(&t, t.skel->progs.hedger_reply_filter, &reply, 0, &ret, NULL);
	CHECK_EQ(tb_state(&t, 4, 1), HEDGER_ST_COMPLETED, "id 1 answered");
	CHECK_EQ(tb_state(&t, 4, 3), HEDGER_ST_COMPLETED, "id 3 answered");

	for (int round = 1; round <= 2; round++) {
		CHECK_EQ(tb_run(&t, t.skel->progs.hedger_rescuer, &pass2, hold, &ret, NULL), 0, "early carrier");
		CHECK(ret == TB_ACT_REDIRECT, "round %d: back round the line", round);
		CHECK(tb_last_ctx.mark == hold, "round %d: still the held carrier", round);
		CHECK(tb_counter(&t, HC_RECIRC_ROUNDS) == (uint64_t)round, "round %d counted", round);
		CHECK(tb_counter(&t, HC_CLONE_DROPPED_REPLY_WON) == 1,
		      "round %d: id 1, before the pending one, counted once", round);
		CHECK(tb_counter(&t, HC_HEDGES_RELEASED) == 0, "round %d: no hedge yet", round);
	}
	CHECK_EQ(tap_count(tap, &seen, 0), 0, "nothing left early");

	sleep_until(step * GRID_NS + 1000000);
	CHECK_EQ(tb_run(&t, t.skel->progs.hedger_rescuer, &pass2, hold, &ret, NULL), 0, "due carrier");
	CHECK_EQ(ret, TB_ACT_SHOT, "due: the carrier is dropped");
	CHECK_EQ(tb_counter(&t, HC_HEDGES_RELEASED), 1, "due: id 2's hedge");
	CHECK_EQ(tb_counter(&t, HC_CLONE_DROPPED_REPLY_WON), 2, "due: ids 1 and 3, each once");
	CHECK_EQ(tb_counter(&t, HC_RECIRC_ROUNDS), 2, "due: no further round");
	CHECK_EQ(tb_state(&t, 4, 2), HEDGER_ST_HEDGED, "id 2 hedged");
	CHECK_EQ(tap_count(tap, &seen, 200), 1, "one hedge left");
	CHECK(seen.len == req[1].len && !memcmp(seen.data, req[1].data, req[1].len),
	      "it is id 2's request, byte for byte");
	close(tap);
	tb_close(&t);
}

/* An early carrier whose batch is all answered: dropped, no round. */
static void carrier_answered_case(void)
{
	struct tb_cfg cfg = { .backend = HEDGER_BACKEND_HTB, .htb_stab_hold_ns = CARRIER_HOLD_NS,
			      .line_park_ifindex = 1, .htb_finish_ns = FINISH_NS,
			      .release_grid_ns = GRID_NS, .classes = HEDGER_MAX_HTB_TIERS * 4,
			      .carriers = true };
	struct tb_pkt req[3], reply, pass1, pass2;
	struct hedger_sb_slot v;
	uint64_t step = 0;
	uint32_t idx, mark, cpu = (uint32_t)(sched_getcpu() < 0 ? 0 : sched_getcpu());
	struct tb t;
	int ret = 0;

	REQUIRE(tb_open(&t, &cfg) == 0, "tb_open");
	tb_build_id(&req[2], 100, false);
	tb_run(&t, t.skel->progs.hedger_splitter, &req[2], 0, &ret, NULL);
	for (uint32_t i = 0; i < 2; i++) {
		tb_build_id(&req[i], i + 1, false);
		tb_run(&t, t.skel->progs.hedger_splitter, &req[i], 0, &ret, NULL);
		tb_build_id(&reply, i + 1, true);
		tb_run(&t, t.skel->progs.hedger_reply_filter, &reply, 0, &ret, NULL);
	}
	REQUIRE(tb_sb_lookup(&t, 4, 1, &v) == 0, "slot");
	step = v.release_ns / GRID_NS;
	REQUIRE(tb_sb_lookup(&t, 4, 2, &v) == 0, "slot");
	if (v.release_ns / GRID_NS != step) {
		printf("SKIP the answered-carrier case: the requests straddle a grid step\n");
		tb_close(&t);
		return;
	}
	idx = cpu * HEDGER_BATCH_RING + (uint32_t)(step % HEDGER_BATCH_RING);
	mark = HEDGER_MARK_CARRIER(HEDGER_MARK_CARRIER_PARK_KIND, (uint32_t)(step / HEDGER_BATCH_RING), idx);
	tb_run(&t, t.skel->progs.hedger_rescuer, &req[0], mark, &ret, &pass1);
	tb_run(&t, t.skel->progs.hedger_rescuer, &pass1, tb_last_ctx.mark, &ret, &pass2);
	tb_run(&t, t.skel->progs.hedger_rescuer, &pass2,
	       HEDGER_MARK_AS_KIND(mark, HEDGER_MARK_CARRIER_HOLD_KIND), &ret, NULL);
	CHECK_EQ(ret, TB_ACT_SHOT, "all answered: dropped although early");
	CHECK_EQ(tb_counter(&t, HC_RECIRC_ROUNDS), 0, "no round");
	CHECK_EQ(tb_counter(&t, HC_CLONE_DROPPED_REPLY_WON), 2, "both counted");
	CHECK_EQ(tb_counter(&t, HC_HEDGES_RELEASED), 0, "no hedge");
	tb_close(&t);
}

int main(void)
{
	cpu_set_t one;

	tb_require();
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu() < 0 ? 0 : sched_getcpu(), &one);
	REQUIRE(sched_setaffinity(0, sizeof(one), &one) == 0, "pin to one CPU");
	clone_case();
	grid_case();
	carrier_case();
	carrier_answered_case();
	return check_done("bpf_htb_finish");
}
