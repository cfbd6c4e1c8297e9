/* test_bpf_trust: only a reply the hedger can trust completes a request, and
 * only a byte-identical second reply is ever dropped.
 * - a forged reply with a bad checksum, or an IPv4 one without a checksum:
 *   passed untouched, counted, the request stays pending and its clone still
 *   leaves as the hedge;
 * - a reply with a valid checksum, or with the pseudo-header sum checksum
 *   offload leaves (CHECKSUM_PARTIAL, a sender on this host), completes it;
 * - a forged reply with a valid checksum completes the request, but the real
 *   reply (other bytes) then passes; a copy of the forged one is dropped;
 * - a first fragment with the id completes the request and is passed; a
 *   second identical first fragment is passed too (fragments never drop);
 * - a hedge replica's reply is accepted only for a request hedged to that
 *   replica; one that cannot be reverse-NATed (a fragment) leaves the
 *   request open, so the VIP's reply still completes it;
 * - all of the above that depends on the payload's bytes holds at every
 *   payload length, on both sides of the 64 bytes the reply filter sums
 *   where it hashes them (longer ones are summed in 512-byte chunks): a
 *   reply differing only in its last byte is another reply. */
#include <stdio.h>
#include <string.h>

#include "replica_fixture.h"

static void checksums(int family)
{
	struct tb_cfg cfg = { .backend = HEDGER_BACKEND_HTB };
	struct tb_pkt req, rep;
	struct tb t;
	int ret = 0;

	if (tb_open(&t, &cfg)) {
		CHECK(0, "tb_open");
		return;
	}
	tb_build_msg(&req, family, 1, false, 0, TB_CSUM_GOOD);
	tb_run(&t, t.skel->progs.hedger_splitter, &req, 0, &ret, NULL);
	tb_build_msg(&rep, family, 1, true, 0xee, TB_CSUM_BAD);
	tb_run(&t, t.skel->progs.hedger_reply_filter, &rep, 0, &ret, NULL);
	CHECK_EQ(ret, TB_ACT_UNSPEC, "bad checksum: passed");
	CHECK_EQ(tb_counter(&t, HC_REPLY_UNTRUSTED), 1, "bad checksum: counted");
	CHECK_EQ(tb_state(&t, family, 1), HEDGER_ST_PENDING, "bad checksum: request still pending");
	if (family == 4) {
		tb_build_msg(&rep, family, 1, true, 0xee, TB_CSUM_NONE);
		tb_run(&t, t.skel->progs.hedger_reply_filter, &rep, 0, &ret, NULL);
		CHECK_EQ(ret, TB_ACT_UNSPEC, "no checksum: passed");
		CHECK_EQ(tb_counter(&t, HC_REPLY_UNTRUSTED), 2, "no checksum: counted");
		CHECK_EQ(tb_state(&t, family, 1), HEDGER_ST_PENDING, "no checksum: still pending");
	}
	tb_run(&t, t.skel->progs.hedger_rescuer, &req, TB_MARK_CLONE, &ret, NULL);
	CHECK_EQ(ret, TB_ACT_REDIRECT, "the clone still leaves as the hedge");

	/* Checksum offload's partial sum (a sender on this host): trusted. */
	tb_build_msg(&req, family, 2, false, 0, TB_CSUM_GOOD);
	tb_run(&t, t.skel->progs.hedger_splitter, &req, 0, &ret, NULL);
	tb_build_msg(&rep, family, 2, true, 0, TB_CSUM_PARTIAL);
	tb_run(&t, t.skel->progs.hedger_reply_filter, &rep, 0, &ret, NULL);
	CHECK_EQ(ret, TB_ACT_UNSPEC, "partial checksum: passed");
	CHECK_EQ(tb_state(&t, family, 2), HEDGER_ST_COMPLETED, "partial checksum: completes");

	/* A valid forged reply wins, but never costs the real one. */
	tb_build_msg(&req, family, 3, false, 0, TB_CSUM_GOOD);
	tb_run(&t, t.skel->progs.hedger_splitter, &req, 0, &ret, NULL);
	tb_build_msg(&rep, family, 3, true, 0xee, TB_CSUM_GOOD);
	tb_run(&t, t.skel->progs.hedger_reply_filter, &rep, 0, &ret, NULL);
	CHECK_EQ(tb_state(&t, family, 3), HEDGER_ST_COMPLETED, "valid forgery completes");
	tb_run(&t, t.skel->progs.hedger_reply_filter, &rep, 0, &ret, NULL);
	CHECK_EQ(ret, TB_ACT_SHOT, "a byte-identical copy of it is the duplicate");
	tb_build_msg(&rep, family, 3, true, 0x11, TB_CSUM_GOOD);
	tb_run(&t, t.skel->progs.hedger_reply_filter, &rep, 0, &ret, NULL);
	CHECK_EQ(ret, TB_ACT_UNSPEC, "the real reply (other bytes) passes");
	CHECK_EQ(tb_counter(&t, HC_REPLY_DIFFERENT), 1, "counted as different");
	CHECK_EQ(tb_counter(&t, HC_DUP_REPLIES_DROPPED), 1, "only the identical copy dropped");
	tb_close(&t);
}

static void fragments(void)
{
	struct tb_cfg cfg = { .backend = HEDGER_BACKEND_HTB };
	struct tb_pkt req, rep;
	struct tb_spec s;
	uint8_t pl[64];
	struct tb t;
	int ret = 0;

	if (tb_open(&t, &cfg)) {
		CHECK(0, "tb_open");
		return;
	}
	tb_build_msg(&req, 4, 7, false, 0, TB_CSUM_GOOD);
	tb_run(&t, t.skel->progs.hedger_splitter, &req, 0, &ret, NULL);
	memset(&s, 0, sizeof(s));
	s.family = 4;
	s.reply = true;
	s.payload = pl;
	s.payload_len = tb_payload_id(pl, 24, 0, 4, false, 7);
	s.frag = 0x2000;	/* MF, offset 0: the first fragment of a longer reply */
	tb_build(&rep, &s);
	tb_run(&t, t.skel->progs.hedger_reply_filter, &rep, 0, &ret, NULL);
	CHECK_EQ(ret, TB_ACT_UNSPEC, "first fragment passed");
	CHECK_EQ(tb_counter(&t, HC_REPLY_FRAGMENT), 1, "first fragment counted");
	CHECK_EQ(tb_state(&t, 4, 7), HEDGER_ST_COMPLETED, "first fragment completes");
	tb_run(&t, t.skel->progs.hedger_reply_filter, &rep, 0, &ret, NULL);
	CHECK_EQ(ret, TB_ACT_UNSPEC, "an identical first fragment is passed too");
	tb_run(&t, t.skel->progs.hedger_rescuer, &req, TB_MARK_CLONE, &ret, NULL);
	CHECK_EQ(ret, TB_ACT_SHOT, "no hedge once the fragment came");
	s.frag = 0x0003;	/* offset 24: a later fragment: no UDP header */
	tb_build(&rep, &s);
	tb_run(&t, t.skel->progs.hedger_reply_filter, &rep, 0, &ret, NULL);
	CHECK_EQ(ret, TB_ACT_UNSPEC, "later fragment passed");
	tb_close(&t);
}

static void replicas(void)
{
	struct tb_cfg cfg = { .backend = HEDGER_BACKEND_HTB, .replicas = true, .classes = 64 };
	const char *addrs[] = { R1_4, R2_4 };
	const uint16_t ports[] = { 9999, 8888 };
	struct tb_pkt p, o;
	struct tb t;
	int ret = 0;

	if (rf_open(&t, &cfg, 0, 4, TB_SERVER4, addrs, ports, 2, "replicas"))
		return;
	/* Request 1, not hedged: replica 1 has no business answering it. */
	rf_build(&p, 4, 1, NULL, 0);
	tb_run(&t, t.skel->progs.hedger_splitter, &p, 0, &ret, NULL);
	rf_build(&p, 4, 1, R1_4, 9999);
	tb_run(&t, t.skel->progs.hedger_reply_filter, &p, 0, &ret, &o);
	CHECK_EQ(ret, TB_ACT_UNSPEC, "unhedged request: replica's reply passed");
	CHECK(rf_src_is(&o, 4, R1_4, 9999), "... untouched (no reverse NAT)");
	CHECK_EQ(tb_counter(&t, HC_REPLY_WRONG_REPLICA), 1, "... counted");
	CHECK_EQ(tb_state(&t, 4, 1), HEDGER_ST_PENDING, "... the request stays open");

	/* Request 1 hedged to replica 1: replica 2's reply is not accepted. */
	rf_build(&p, 4, 1, NULL, 0);
	tb_run(&t, t.skel->progs.hedger_rescuer, &p, TB_MARK_CLONE, &ret, NULL);
	CHECK_EQ(ret, TB_ACT_REDIRECT, "hedged");
	rf_build(&p, 4, 1, R2_4, 8888);
	tb_run(&t, t.skel->progs.hedger_reply_filter, &p, 0, &ret, NULL);
	CHECK_EQ(ret, TB_ACT_UNSPEC, "other replica's reply passed untouched");
	CHECK_EQ(tb_counter(&t, HC_REPLY_WRONG_REPLICA), 2, "... counted");
	CHECK_EQ(tb_state(&t, 4, 1), HEDGER_ST_HEDGED, "... the request stays open");

	/* Replica 1's reply as a first fragment: cannot be reverse-NATed, so
	 * it must not complete; the VIP's reply then does. */
	rf_build(&p, 4, 1, R1_4, 9999);
	p.data[14 + 6] = 0x20;	/* MF */
	tb_run(&t, t.skel->progs.hedger_reply_filter, &p, 0, &ret, NULL);
	CHECK_EQ(ret, TB_ACT_UNSPEC, "un-NATable reply passed");
	CHECK_EQ(tb_state(&t, 4, 1), HEDGER_ST_HEDGED, "un-NATable reply completes nothing");
	rf_build(&p, 4, 1, TB_SERVER4, TB_PORT);
	tb_run(&t, t.skel->progs.hedger_reply_filter, &p, 0, &ret, NULL);
	CHECK_EQ(ret, TB_ACT_UNSPEC, "the VIP's reply passes");
	CHECK_EQ(tb_state(&t, 4, 1), HEDGER_ST_COMPLETED_HEDGED, "and completes");
	tb_close(&t);
}

/* reply_of_len - a reply to request @id whose payload is @len bytes (the id
 * first, the last byte @last, which must lie behind it) with checksum @csum. */
static void reply_of_len(struct tb_pkt *p, int family, uint64_t id, uint32_t len, uint8_t last,
			 int csum)
{
	static uint8_t pl[1024];
	struct tb_spec s;

	memset(&s, 0, sizeof(s));
	s.family = family;
	s.reply = true;
	s.payload = pl;
	s.payload_len = tb_payload_id(pl, len, 0, 4, false, id);
	pl[len - 1] = last;
	s.csum = csum;
	tb_build(p, &s);
}

static void lengths(int family)
{
	static const uint32_t lens[] = { 5, 6, 63, 64, 65, 131, 600 };
	struct tb_cfg cfg = { .backend = HEDGER_BACKEND_HTB, .classes = 64 };
	struct tb_pkt req, rep;
	char what[96];
	struct tb t;
	int ret = 0;

	if (tb_open(&t, &cfg)) {
		CHECK(0, "tb_open");
		return;
	}
	for (uint32_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		uint32_t len = lens[i];
		uint64_t id = 100 + 4 * i;

		snprintf(what, sizeof(what), "IPv%d, %u-byte reply", family, len);
		/* A bad checksum does not complete. */
		tb_build_msg(&req, family, id, false, 0, TB_CSUM_GOOD);
		tb_run(&t, t.skel->progs.hedger_splitter, &req, 0, &ret, NULL);
		reply_of_len(&rep, family, id, len, 0x33, TB_CSUM_BAD);
		tb_run(&t, t.skel->progs.hedger_reply_filter, &rep, 0, &ret, NULL);
		CHECK(ret == TB_ACT_UNSPEC, "%s, bad checksum: passed", what);
		CHECK(tb_state(&t, family, id) == HEDGER_ST_PENDING, "%s, bad checksum: open", what);
		/* A good one does; its copy is dropped; one with another last
		 * byte is another reply and passes. */
		reply_of_len(&rep, family, id, len, 0x33, TB_CSUM_GOOD);
		tb_run(&t, t.skel->progs.hedger_reply_filter, &rep, 0, &ret, NULL);
		CHECK(ret == TB_ACT_UNSPEC, "%s, good checksum: passed", what);
		CHECK(tb_state(&t, family, id) == HEDGER_ST_COMPLETED, "%s, good: completes", what);
		tb_run(&t, t.skel->progs.hedger_reply_filter, &rep, 0, &ret, NULL);
		CHECK(ret == TB_ACT_SHOT, "%s: a byte-identical copy is dropped", what);
		reply_of_len(&rep, family, id, len, 0x34, TB_CSUM_GOOD);
		tb_run(&t, t.skel->progs.hedger_reply_filter, &rep, 0, &ret, NULL);
		CHECK(ret == TB_ACT_UNSPEC, "%s: another last byte is another reply", what);
		/* The pseudo-header sum a local sender leaves (offload) completes. */
		tb_build_msg(&req, family, id + 1, false, 0, TB_CSUM_GOOD);
		tb_run(&t, t.skel->progs.hedger_splitter, &req, 0, &ret, NULL);
		reply_of_len(&rep, family, id + 1, len, 0x33, TB_CSUM_PARTIAL);
		tb_run(&t, t.skel->progs.hedger_reply_filter, &rep, 0, &ret, NULL);
		CHECK(tb_state(&t, family, id + 1) == HEDGER_ST_COMPLETED, "%s, partial: completes",
		      what);
	}
	tb_close(&t);
}

int main(void)
{
	tb_require();
	checksums(4);
	checksums(6);
	lengths(4);
	lengths(6);
	fragments();
	replicas();
	return check_done("test_bpf_trust");
}
