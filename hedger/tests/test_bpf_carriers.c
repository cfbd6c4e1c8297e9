/* test_bpf_carriers: --release-grid with carriers (batch.h). Pinned to one
 * CPU (batches are per CPU), release grid G = 1 s, T = 10 ms (so "dense"
 * and "one step" hold even on an emulated CPU):
 * - a first request (sparse: nothing before it on the CPU) gets a clone of
 *   its own; the next four, sent at once (dense), ride the carriers of
 *   their grid step: one carrier per step (one, or two if a step boundary
 *   falls between them), all four frames in the batch
 * - the carrier makes its two passes: handed over (PARK) it goes into the
 *   batch's class with a length 1 mod 3 (mark CARRIER LINE); back, into it
 *   again with one that is not (mark CARRIER HOLD)
 * - released, it is dropped, and a clone of it leaves (out of the client
 *   device, here the namespace's lo, seen by a packet socket) as the hedge
 *   of each request still pending, byte for byte that request's frame and
 *   marked as its hedge; the request answered meanwhile gets none; the
 *   pending ones become HEDGED
 * - a frame in the batch that no longer matches its slot's request (here
 *   one byte of a payload changed in the map) is refused, not sent, and
 *   its request stays pending
 * - a carrier of another lap of the ring (its batch reused) is dropped,
 *   counted as lost, and sends nothing. */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <sys/socket.h>
#include <bpf/bpf.h>

#include "bpf_harness.h"

#define HOLD_NS 10000000ULL
#define GRID_NS 1000000000ULL	/* dense = < 500 ms apart: holds even under TCG */
#define NREQ 4

static const uint32_t payload_len[NREQ] = { 24, 41, 25, 33 };

static void build_req(struct tb_pkt *p, uint32_t id, uint32_t len)
{
	uint8_t pl[64];
	struct tb_spec spec = { .family = 4, .payload = pl, .payload_len = len };

	for (uint32_t i = 0; i < sizeof(pl); i++)
		pl[i] = (uint8_t)(id * 31 + i);
	memcpy(pl, &id, sizeof(id));
	tb_build(p, &spec);
}

/* tap_open - a packet socket on lo: what leaves it (PACKET_OUTGOING). */
static int tap_open(void)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
				   .sll_ifindex = 1 };
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK, htons(ETH_P_ALL));

	if (fd < 0 || bind(fd, (struct sockaddr *)&sll, sizeof(sll)))
		return -1;
	return fd;
}

/* tap_read - the frames that left lo within @ms of quiet, into @out (at most
 * @max); their count. */
static int tap_read(int fd, struct tb_pkt *out, int max, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct sockaddr_ll from;
	socklen_t fl;
	uint8_t buf[2048];
	int n = 0;

	while (poll(&pfd, 1, ms) > 0) {
		ssize_t r;

		fl = sizeof(from);
		r = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
		if (r < 0)
			break;
		if (from.sll_pkttype != PACKET_OUTGOING)
			continue;
		if (n < max) {
			memcpy(out[n].data, buf, (size_t)r);
			out[n].len = (uint32_t)r;
		}
		n++;
	}
	return n;
}

static int match(const struct tb_pkt *got, int ngot, const struct tb_pkt *want)
{
	for (int i = 0; i < ngot; i++)
		if (got[i].len == want->len && !memcmp(got[i].data, want->data, want->len))
			return i;
	return -1;
}

int main(void)
{
	struct tb_cfg cfg = { .backend = HEDGER_BACKEND_HTB, .htb_stab_hold_ns = HOLD_NS,
			      .line_park_ifindex = 1, .release_grid_ns = GRID_NS,
			      .classes = HEDGER_MAX_HTB_TIERS * 4, .carriers = true };
	struct tb_pkt req[NREQ + 1], reply, pass1, pass2, got[8];
	struct hedger_sb_slot v;
	struct hedger_batch *b;
	uint64_t step, steps[NREQ + 1];
	uint32_t idx, mark, cpu, carrier_id = 1;
	int ret = 0, tap, ngot;
	cpu_set_t one;
	struct tb t;

	tb_require();
	b = calloc(1, sizeof(*b));
	REQUIRE(b != NULL, "alloc");
	cpu = (uint32_t)(sched_getcpu() < 0 ? 0 : sched_getcpu());
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	REQUIRE(sched_setaffinity(0, sizeof(one), &one) == 0, "pin to one CPU");
	REQUIRE(tb_open(&t, &cfg) == 0, "tb_open");

	/* id 100: the first on this CPU, sparse: a clone of its own. */
	build_req(&req[NREQ], 100, 24);
	CHECK_EQ(tb_run(&t, t.skel->progs.hedger_splitter, &req[NREQ], 0, &ret, NULL), 0, "splitter");
	CHECK_EQ(tb_counter(&t, HC_CARRIERS), 0, "a sparse request parks no carrier");
	CHECK_EQ(tb_counter(&t, HC_BATCHED), 0, "nor rides one");
	/* ids 1..4, dense. */
	for (uint32_t i = 0; i < NREQ; i++) {
		build_req(&req[i], i + 1, payload_len[i]);
		CHECK_EQ(tb_run(&t, t.skel->progs.hedger_splitter, &req[i], 0, &ret, NULL), 0, "splitter");
		CHECK_EQ(ret, TB_ACT_UNSPEC, "the original passes");
		REQUIRE(tb_sb_lookup(&t, 4, i + 1, &v) == 0, "slot");
		CHECK_EQ(v.htb_class, 0, "a rider holds no class of its own");
		steps[i] = (v.send_ns + HOLD_NS + GRID_NS - 1) / GRID_NS;
		/* Its planned release is the step (release_late's reference). */
		CHECK_EQ(v.release_ns, steps[i] * GRID_NS, "a rider's release is its grid step");
	}
	CHECK_EQ(tb_counter(&t, HC_BATCHED), NREQ, "the dense requests ride carriers");
	CHECK_EQ(tb_counter(&t, HC_CARRIERS), steps[NREQ - 1] == steps[0] ? 1 : 2,
		 "one carrier per grid step");
	CHECK_EQ(tb_counter(&t, HC_CLONES), NREQ + 1, "clones counts riders too");
	if (steps[NREQ - 1] != steps[0]) {
		/* A step boundary fell between them (rare): not this run's case. */
		printf("SKIP the rest: the requests straddle a grid step\n");
		tb_close(&t);
		return check_done("bpf_carriers");
	}
	step = steps[0];
	idx = cpu * HEDGER_BATCH_RING + (uint32_t)(step % HEDGER_BATCH_RING);
	REQUIRE(bpf_map_lookup_elem(bpf_map__fd(t.skel->maps.batch), &idx, b) == 0, "batch");
	CHECK_EQ(b->step, step, "the batch is the step's");
	CHECK_EQ(b->n, NREQ, "four requests in it");
	CHECK(b->cls >= 1, "the carrier's class is recorded");
	for (uint32_t i = 0; i < NREQ; i++) {
		CHECK_EQ(b->req[i].len, req[i].len, "frame length recorded");
		CHECK(!memcmp(b->frame[i], req[i].data, req[i].len), "request %u's frame, byte for byte", i + 1);
	}

	/* The carrier (a copy of id 1) through its two passes. */
	mark = HEDGER_MARK_CARRIER(HEDGER_MARK_CARRIER_PARK_KIND, (uint32_t)(step / HEDGER_BATCH_RING), idx);
	CHECK_EQ(tb_run(&t, t.skel->progs.hedger_rescuer, &req[carrier_id - 1], mark, &ret, &pass1), 0,
		 "rescuer, handed over");
	CHECK_EQ(ret, TB_ACT_REDIRECT, "into the line");
	CHECK_EQ(tb_last_ctx.mark, HEDGER_MARK_AS_KIND(mark, HEDGER_MARK_CARRIER_LINE_KIND),
		 "first pass: mark CARRIER LINE");
	CHECK_EQ(tb_last_ctx.priority, (HEDGER_HTB_MAJOR << 16) | b->cls, "the batch's class");
	CHECK_EQ(pass1.len % HEDGER_HTB_STAB_PERIOD, HEDGER_HTB_STAB_CHARGED, "first pass charged the hold");
	CHECK_EQ(tb_run(&t, t.skel->progs.hedger_rescuer, &pass1, tb_last_ctx.mark, &ret, &pass2), 0,
		 "rescuer, first pass back");
	CHECK_EQ(ret, TB_ACT_REDIRECT, "into the class again");
	CHECK_EQ(tb_last_ctx.mark, HEDGER_MARK_AS_KIND(mark, HEDGER_MARK_CARRIER_HOLD_KIND),
		 "second pass: mark CARRIER HOLD");
	CHECK(pass2.len % HEDGER_HTB_STAB_PERIOD != HEDGER_HTB_STAB_CHARGED, "second pass not charged");

	/* id 2 answered; id 4's frame no longer its request's. */
	tb_build_msg(&reply, 4, 2, true, 0x5a, TB_CSUM_GOOD);
	tb_run(&t, t.skel->progs.hedger_reply_filter, &reply, 0, &ret, NULL);
	CHECK_EQ(tb_state(&t, 4, 2), HEDGER_ST_COMPLETED, "id 2 answered");
	b->frame[3][req[3].len - 5] ^= 0xff;
	REQUIRE(bpf_map_update_elem(bpf_map__fd(t.skel->maps.batch), &idx, b, BPF_EXIST) == 0,
		"corrupt id 4's frame");

	tap = tap_open();
	REQUIRE(tap >= 0, "packet socket on lo: %s", strerror(errno));
	tap_read(tap, got, 8, 50);
	CHECK_EQ(tb_run(&t, t.skel->progs.hedger_rescuer, &pass2,
			HEDGER_MARK_AS_KIND(mark, HEDGER_MARK_CARRIER_HOLD_KIND), &ret, NULL), 0,
		 "rescuer, released");
	CHECK_EQ(ret, TB_ACT_SHOT, "the carrier itself is dropped");
	ngot = tap_read(tap, got, 8, 200);
	CHECK_EQ(ngot, 2, "two hedges left (ids 1 and 3)");
	CHECK(match(got, ngot < 8 ? ngot : 8, &req[0]) >= 0, "id 1's hedge is its request, byte for byte");
	CHECK(match(got, ngot < 8 ? ngot : 8, &req[2]) >= 0, "id 3's hedge is its request, byte for byte");
	CHECK(match(got, ngot < 8 ? ngot : 8, &req[1]) < 0, "none for the answered id 2");
	CHECK_EQ(tb_counter(&t, HC_HEDGES_RELEASED), 2, "two hedges released");
	CHECK_EQ(tb_counter(&t, HC_BATCH_MISMATCH), 1, "id 4's frame refused");
	CHECK_EQ(tb_counter(&t, HC_CLONE_DROPPED_REPLY_WON), 1, "id 2: reply won");
	CHECK_EQ(tb_state(&t, 4, 1), HEDGER_ST_HEDGED, "id 1 hedged");
	CHECK_EQ(tb_state(&t, 4, 3), HEDGER_ST_HEDGED, "id 3 hedged");
	CHECK_EQ(tb_state(&t, 4, 4), HEDGER_ST_PENDING, "id 4 not hedged with a wrong frame");

	/* A carrier of another lap: its batch is not its own any more. */
	mark = HEDGER_MARK_CARRIER(HEDGER_MARK_CARRIER_HOLD_KIND, (uint32_t)(step / HEDGER_BATCH_RING) + 1, idx);
	CHECK_EQ(tb_run(&t, t.skel->progs.hedger_rescuer, &pass2, mark, &ret, NULL), 0, "rescuer, stale carrier");
	CHECK_EQ(ret, TB_ACT_SHOT, "stale carrier dropped");
	CHECK_EQ(tb_counter(&t, HC_CARRIER_LOST), 1, "counted lost");
	CHECK_EQ(tap_read(tap, got, 8, 100), 0, "and it sent nothing");
	close(tap);
	tb_close(&t);
	free(b);
	return check_done("bpf_carriers");
}
