/* test_bpf_proto: the protocol profiles on crafted packets.
 * dns: a QUERY (QR = 0) is a request, other opcodes are not; an answer (QR = 1)
 *   completes it, a truncated one (TC = 1) too; a datagram from the server
 *   with QR = 0 is no reply; a header shorter than 12 bytes is nothing; two
 *   queries with one id (A and AAAA) both get their answers.
 * memcached: get, gets and binary GET/GETK are requests; set, incr, delete
 *   and binary SET never are (a write applied twice would be a harm); a
 *   3-datagram response passes each sequence number once, whichever copy
 *   brings it first; an untrusted datagram passes and marks nothing; a
 *   frame shorter than its header is nothing. */
#include <string.h>

#include "bpf_harness.h"

static void send_payload(struct tb *t, struct bpf_program *prog, bool reply, const void *pl,
			 uint32_t len, int csum, int *ret)
{
	struct tb_spec s;
	struct tb_pkt p;

	memset(&s, 0, sizeof(s));
	s.family = 4;
	s.reply = reply;
	s.payload = pl;
	s.payload_len = len;
	s.csum = csum;
	tb_build(&p, &s);
	tb_run(t, prog, &p, 0, ret, NULL);
}

/* dns_msg - a DNS header (id, flags) and a question for a.example/qtype. */
static uint32_t dns_msg(uint8_t *b, uint16_t id, uint8_t flags1, uint8_t flags2, uint16_t qtype)
{
	static const uint8_t q[] = "\001a\007example\000";
	uint32_t n = 12;

	memset(b, 0, 64);
	b[0] = (uint8_t)(id >> 8);
	b[1] = (uint8_t)id;
	b[2] = flags1;
	b[3] = flags2;
	b[5] = 1;	/* one question */
	memcpy(b + n, q, sizeof(q) - 1);
	n += sizeof(q) - 1;
	b[n++] = (uint8_t)(qtype >> 8);
	b[n++] = (uint8_t)qtype;
	b[n++] = 0;
	b[n++] = 1;	/* class IN */
	return n;
}

static void dns(void)
{
	struct tb_cfg cfg = { .backend = HEDGER_BACKEND_HTB, .proto = HEDGER_PROTO_DNS,
			      .id_width = 2, .id_be = true };
	struct tb t;
	uint8_t b[64];
	uint32_t n;
	int ret = 0;

	if (tb_open(&t, &cfg)) {
		CHECK(0, "tb_open");
		return;
	}
	n = dns_msg(b, 0x1234, 0x01, 0x00, 1);	/* RD, QUERY, A */
	send_payload(&t, t.skel->progs.hedger_splitter, false, b, n, TB_CSUM_GOOD, &ret);
	CHECK_EQ(tb_state(&t, 4, 0x1234), HEDGER_ST_PENDING, "dns query tracked");
	n = dns_msg(b, 0x2222, 0x29, 0x00, 1);	/* opcode UPDATE (5) */
	send_payload(&t, t.skel->progs.hedger_splitter, false, b, n, TB_CSUM_GOOD, &ret);
	CHECK_EQ(tb_counter(&t, HC_SKIP_NOT_REQUEST), 1, "dns update is not hedged");
	CHECK_EQ(tb_state(&t, 4, 0x2222), HEDGER_ST_FREE, "dns update not tracked");
	send_payload(&t, t.skel->progs.hedger_splitter, false, b, 11, TB_CSUM_GOOD, &ret);
	CHECK_EQ(tb_counter(&t, HC_SKIP_NOT_REQUEST), 2, "short dns header is not a request");

	n = dns_msg(b, 0x1234, 0x01, 0x00, 1);	/* QR = 0 from the server: no reply */
	send_payload(&t, t.skel->progs.hedger_reply_filter, true, b, n, TB_CSUM_GOOD, &ret);
	CHECK_EQ(ret, TB_ACT_UNSPEC, "QR=0 from the server passes");
	CHECK_EQ(tb_counter(&t, HC_REPLY_NOT_REPLY), 1, "QR=0 is not a reply");
	CHECK_EQ(tb_state(&t, 4, 0x1234), HEDGER_ST_PENDING, "still pending");
	n = dns_msg(b, 0x1234, 0x83, 0x80, 1);	/* QR, TC, RD; RA */
	send_payload(&t, t.skel->progs.hedger_reply_filter, true, b, n, TB_CSUM_GOOD, &ret);
	CHECK_EQ(ret, TB_ACT_UNSPEC, "truncated answer passes");
	CHECK_EQ(tb_state(&t, 4, 0x1234), HEDGER_ST_COMPLETED, "truncated answer completes");

	/* A and AAAA with one id on one socket. */
	n = dns_msg(b, 0x4444, 0x01, 0x00, 1);
	send_payload(&t, t.skel->progs.hedger_splitter, false, b, n, TB_CSUM_GOOD, &ret);
	n = dns_msg(b, 0x4444, 0x01, 0x00, 28);
	send_payload(&t, t.skel->progs.hedger_splitter, false, b, n, TB_CSUM_GOOD, &ret);
	CHECK_EQ(tb_counter(&t, HC_KEY_AMBIGUOUS), 1, "A and AAAA with one id: hands off");
	n = dns_msg(b, 0x4444, 0x81, 0x80, 28);
	send_payload(&t, t.skel->progs.hedger_reply_filter, true, b, n, TB_CSUM_GOOD, &ret);
	CHECK_EQ(ret, TB_ACT_UNSPEC, "AAAA answer passes");
	n = dns_msg(b, 0x4444, 0x81, 0x80, 1);
	send_payload(&t, t.skel->progs.hedger_reply_filter, true, b, n, TB_CSUM_GOOD, &ret);
	CHECK_EQ(ret, TB_ACT_UNSPEC, "A answer passes");
	tb_close(&t);
}

/* mc_frame - memcached UDP frame header + @body. */
static uint32_t mc_frame(uint8_t *b, uint16_t id, uint16_t seq, uint16_t count, const void *body,
			 uint32_t len)
{
	b[0] = (uint8_t)(id >> 8);
	b[1] = (uint8_t)id;
	b[2] = (uint8_t)(seq >> 8);
	b[3] = (uint8_t)seq;
	b[4] = (uint8_t)(count >> 8);
	b[5] = (uint8_t)count;
	b[6] = b[7] = 0;
	memcpy(b + 8, body, len);
	return 8 + len;
}

static void memcached(void)
{
	struct tb_cfg cfg = { .backend = HEDGER_BACKEND_HTB, .proto = HEDGER_PROTO_MEMCACHED,
			      .id_width = 2, .id_be = true };
	static const char *const reads[] = { "get k1\r\n", "gets k1 k2\r\n" };
	static const char *const writes[] = { "set k 0 0 1\r\nx\r\n", "incr n 1\r\n",
					      "delete k\r\n", "getx\r\n" };
	const uint8_t bin_get[] = { 0x80, 0x00, 0, 2, 0, 0, 0, 0 }, bin_getk[] = { 0x80, 0x0c, 0, 2 };
	const uint8_t bin_set[] = { 0x80, 0x01, 0, 2, 8, 0, 0, 0 };
	uint8_t b[128];
	struct tb t;
	uint32_t n;
	int ret = 0, id = 10;

	if (tb_open(&t, &cfg)) {
		CHECK(0, "tb_open");
		return;
	}
	for (unsigned i = 0; i < 2; i++, id++) {
		n = mc_frame(b, (uint16_t)id, 0, 1, reads[i], (uint32_t)strlen(reads[i]));
		send_payload(&t, t.skel->progs.hedger_splitter, false, b, n, TB_CSUM_GOOD, &ret);
		CHECK_EQ(tb_state(&t, 4, (uint64_t)id), HEDGER_ST_PENDING, reads[i]);
	}
	n = mc_frame(b, (uint16_t)id, 0, 1, bin_get, sizeof(bin_get));
	send_payload(&t, t.skel->progs.hedger_splitter, false, b, n, TB_CSUM_GOOD, &ret);
	CHECK_EQ(tb_state(&t, 4, (uint64_t)id++), HEDGER_ST_PENDING, "binary GET");
	n = mc_frame(b, (uint16_t)id, 0, 1, bin_getk, sizeof(bin_getk));
	send_payload(&t, t.skel->progs.hedger_splitter, false, b, n, TB_CSUM_GOOD, &ret);
	CHECK_EQ(tb_state(&t, 4, (uint64_t)id++), HEDGER_ST_PENDING, "binary GETK");
	for (unsigned i = 0; i < 4; i++, id++) {
		n = mc_frame(b, (uint16_t)id, 0, 1, writes[i], (uint32_t)strlen(writes[i]));
		send_payload(&t, t.skel->progs.hedger_splitter, false, b, n, TB_CSUM_GOOD, &ret);
		CHECK_EQ(tb_state(&t, 4, (uint64_t)id), HEDGER_ST_FREE, writes[i]);
	}
	n = mc_frame(b, (uint16_t)id, 0, 1, bin_set, sizeof(bin_set));
	send_payload(&t, t.skel->progs.hedger_splitter, false, b, n, TB_CSUM_GOOD, &ret);
	CHECK_EQ(tb_state(&t, 4, (uint64_t)id++), HEDGER_ST_FREE, "binary SET never hedged");
	CHECK_EQ(tb_counter(&t, HC_SKIP_NOT_REQUEST), 5, "writes counted, not hedged");
	CHECK_EQ(tb_counter(&t, HC_CLONES), 4, "only the reads were cloned");

	/* get k1 (id 10): a 3-datagram response, original and hedge copies. */
	{
		struct tb_spec s;
		struct tb_pkt req;
		const char *v[3] = { "VALUE k1 0 3000\r\n....", "....middle....", "....\r\nEND\r\n" };

		memset(&s, 0, sizeof(s));
		s.family = 4;
		s.payload = b;
		s.payload_len = mc_frame(b, 10, 0, 1, reads[0], (uint32_t)strlen(reads[0]));
		tb_build(&req, &s);
		tb_run(&t, t.skel->progs.hedger_rescuer, &req, TB_MARK_CLONE, &ret, NULL);
		CHECK_EQ(ret, TB_ACT_REDIRECT, "get hedged");
		n = mc_frame(b, 10, 0, 3, v[0], (uint32_t)strlen(v[0]));
		send_payload(&t, t.skel->progs.hedger_reply_filter, true, b, n, TB_CSUM_BAD, &ret);
		CHECK_EQ(ret, TB_ACT_UNSPEC, "untrusted datagram 0 passes");
		CHECK_EQ(tb_state(&t, 4, 10), HEDGER_ST_HEDGED, "and completes nothing");
		send_payload(&t, t.skel->progs.hedger_reply_filter, true, b, n, TB_CSUM_GOOD, &ret);
		CHECK_EQ(ret, TB_ACT_UNSPEC, "datagram 0 passes");
		CHECK_EQ(tb_state(&t, 4, 10), HEDGER_ST_COMPLETED_HEDGED, "datagram 0 completes");
		n = mc_frame(b, 10, 2, 3, v[2], (uint32_t)strlen(v[2]));
		send_payload(&t, t.skel->progs.hedger_reply_filter, true, b, n, TB_CSUM_GOOD, &ret);
		CHECK_EQ(ret, TB_ACT_UNSPEC, "datagram 2 (first copy) passes");
		n = mc_frame(b, 10, 0, 3, v[0], (uint32_t)strlen(v[0]));
		send_payload(&t, t.skel->progs.hedger_reply_filter, true, b, n, TB_CSUM_GOOD, &ret);
		CHECK_EQ(ret, TB_ACT_SHOT, "datagram 0 (second copy) dropped");
		n = mc_frame(b, 10, 1, 3, v[1], (uint32_t)strlen(v[1]));
		send_payload(&t, t.skel->progs.hedger_reply_filter, true, b, n, TB_CSUM_GOOD, &ret);
		CHECK_EQ(ret, TB_ACT_UNSPEC, "datagram 1 (first copy) passes");
		send_payload(&t, t.skel->progs.hedger_reply_filter, true, b, n, TB_CSUM_GOOD, &ret);
		CHECK_EQ(ret, TB_ACT_SHOT, "datagram 1 (second copy) dropped");
		n = mc_frame(b, 10, 2, 3, v[2], (uint32_t)strlen(v[2]));
		send_payload(&t, t.skel->progs.hedger_reply_filter, true, b, n, TB_CSUM_GOOD, &ret);
		CHECK_EQ(ret, TB_ACT_SHOT, "datagram 2 (second copy) dropped");
		CHECK_EQ(tb_counter(&t, HC_DUP_REPLIES_DROPPED), 3, "each second copy dropped once");
	}
	send_payload(&t, t.skel->progs.hedger_reply_filter, true, b, 6, TB_CSUM_GOOD, &ret);
	CHECK_EQ(ret, TB_ACT_UNSPEC, "a frame shorter than its header passes");
	CHECK_EQ(tb_counter(&t, HC_REPLY_NOT_REPLY), 1, "and is no reply");
	tb_close(&t);
}

int main(void)
{
	tb_require();
	dns();
	memcached();
	return check_done("test_bpf_proto");
}
