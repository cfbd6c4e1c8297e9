/* Unit test: memcached UDP frame encoding, response checking, and the
 * memcached protocol's reassembly of multi-datagram responses. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "mcwire.h"
#include "proto.h"
#include "request.h"

static size_t frame(uint8_t *out, uint16_t rid, uint16_t seq, uint16_t count,
		    const char *text, size_t len)
{
	out[0] = (uint8_t)(rid >> 8);
	out[1] = (uint8_t)rid;
	out[2] = (uint8_t)(seq >> 8);
	out[3] = (uint8_t)seq;
	out[4] = (uint8_t)(count >> 8);
	out[5] = (uint8_t)count;
	out[6] = out[7] = 0;
	memcpy(out + 8, text, len);
	return 8 + len;
}

static void test_wire(void)
{
	static const uint8_t expect[] = { 0xab, 0xcd, 0, 0, 0, 1, 0, 0, 'g', 'e', 't', ' ', 'k', '4', '2', '\r', '\n' };
	uint8_t buf[64];
	struct mcw_frame f;
	bool hit = false;

	CHECK(mcw_encode_get(buf, sizeof(buf), 0xabcd, "k42") == (int)sizeof(expect) &&
	      !memcmp(buf, expect, sizeof(expect)), "get bytes: id BE, seq 0, count 1, reserved 0");
	CHECK(mcw_encode_get(buf, 10, 1, "k42") == -ENOSPC, "no room");
	CHECK(mcw_encode_get(buf, sizeof(buf), 1, "a b") == -EINVAL, "space in key");
	CHECK(mcw_encode_get(buf, sizeof(buf), 1, "") == -EINVAL, "empty key");

	CHECK(mcw_parse_frame(expect, sizeof(expect), &f) == 0 && f.request_id == 0xabcd &&
	      f.seq == 0 && f.count == 1, "frame parsed");
	CHECK(mcw_parse_frame(expect, 7, &f) == -EBADMSG, "short header");
	memcpy(buf, expect, 8);
	buf[3] = 1;
	CHECK(mcw_parse_frame(buf, 8, &f) == -EBADMSG, "seq >= count");
	buf[3] = 0;
	buf[5] = 0;
	CHECK(mcw_parse_frame(buf, 8, &f) == -EBADMSG, "count 0");
	buf[5] = 1;
	buf[7] = 1;
	CHECK(mcw_parse_frame(buf, 8, &f) == -EBADMSG, "reserved not 0");

#define RESP(s) (const uint8_t *)(s), strlen(s)
	CHECK(mcw_check_get_response(RESP("VALUE k1 0 5\r\nhello\r\nEND\r\n"), "k1", &hit) == 0 && hit,
	      "hit");
	CHECK(mcw_check_get_response(RESP("END\r\n"), "k1", &hit) == 0 && !hit, "miss");
	CHECK(mcw_check_get_response(RESP("VALUE k2 0 5\r\nhello\r\nEND\r\n"), "k1", &hit) == -EBADMSG,
	      "another key");
	CHECK(mcw_check_get_response(RESP("VALUE k1 0 5\r\nhell\r\nEND\r\n"), "k1", &hit) == -EBADMSG,
	      "length mismatch");
	CHECK(mcw_check_get_response(RESP("VALUE k1 0 5\r\nhello\r\nEN"), "k1", &hit) == -EBADMSG,
	      "cut short");
	CHECK(mcw_check_get_response(RESP("VALUE k1 0 5\r\nhello\r\nEND\r\nEND\r\n"), "k1", &hit) ==
	      -EBADMSG, "trailing junk");
	CHECK(mcw_check_get_response(RESP("SERVER_ERROR out of memory\r\n"), "k1", &hit) == -EBADMSG,
	      "server error");
	CHECK(mcw_check_get_response(RESP("VALUE k1 0 99999999999999999999999\r\n"), "k1", &hit) ==
	      -EBADMSG, "absurd length");
}

static void test_reassembly(void)
{
	struct proto_params pp = { .kind = PROTO_MEMCACHED, .total = 100, .keys = 10,
				   .key_prefix = "m", .first_id = 500 };
	char text[4000], part[3][1500];
	size_t len, plen[3], off = 0;
	uint8_t dg[1600], req[300];
	struct proto_counters c;
	struct proto_reply rx;
	struct proto *p;
	int hdr;

	CHECK(proto_new(&pp, &p) == 0, "proto_new");
	if (!p)
		return;
	/* Request 13: key m3, request id 513. */
	CHECK(proto_encode(p, 13, REQ_COPY_PRIMARY, req, sizeof(req)) == 8 + 4 + 2 + 2 &&
	      req[0] == 0x02 && req[1] == 0x01 && !memcmp(req + 8, "get m3\r\n", 8), "get m3, id 513");
	CHECK(proto_encode(p, 14, REQ_COPY_PRIMARY, req, sizeof(req)) > 0, "request 14");

	/* A 3000-byte value over three datagrams. */
	hdr = snprintf(text, sizeof(text), "VALUE m3 7 3000\r\n");
	memset(text + hdr, 'v', 3000);
	memcpy(text + hdr + 3000, "\r\nEND\r\n", 7);
	len = (size_t)hdr + 3007;
	for (int i = 0; i < 3; i++) {
		plen[i] = i < 2 ? 1392 : len - 2 * 1392;
		memcpy(part[i], text + off, plen[i]);
		off += plen[i];
	}
	/* Out of order, one repeated: a reply only when all three are in. */
	CHECK(proto_receive(p, dg, frame(dg, 513, 2, 3, part[2], plen[2]), 0, &rx) == PROTO_RX_PARTIAL,
	      "seq 2 first: partial");
	CHECK(proto_receive(p, dg, frame(dg, 513, 0, 3, part[0], plen[0]), 0, &rx) == PROTO_RX_PARTIAL,
	      "seq 0: partial");
	CHECK(proto_receive(p, dg, frame(dg, 513, 0, 3, part[0], plen[0]), 0, &rx) == PROTO_RX_PARTIAL,
	      "seq 0 again: partial, counted");
	/* The other socket's copy of the response assembles on its own. */
	CHECK(proto_receive(p, dg, frame(dg, 513, 1, 3, part[1], plen[1]), 1, &rx) == PROTO_RX_PARTIAL,
	      "seq 1 on the hedge socket: partial");
	CHECK(proto_receive(p, dg, frame(dg, 513, 1, 3, part[1], plen[1]), 0, &rx) == PROTO_RX_REPLY &&
	      rx.index == 13 && !rx.error && rx.copy == REQ_COPY_PRIMARY, "complete: request 13");
	/* Corrupted middle datagram: the whole response is rejected. */
	part[1][10] = '\n';
	memcpy(part[0] + 9, "3001", 4);
	proto_receive(p, dg, frame(dg, 513, 0, 3, part[0], plen[0]), 0, &rx);
	proto_receive(p, dg, frame(dg, 513, 1, 3, part[1], plen[1]), 0, &rx);
	CHECK(proto_receive(p, dg, frame(dg, 513, 2, 3, part[2], plen[2]), 0, &rx) == PROTO_RX_FOREIGN,
	      "bad length over datagrams rejected");
	/* Single datagram: hit and miss; an unknown request id; another key. */
	CHECK(proto_receive(p, dg, frame(dg, 514, 0, 1, "VALUE m4 0 2\r\nok\r\nEND\r\n", 23), 1, &rx) ==
	      PROTO_RX_REPLY && rx.index == 14 && rx.copy == REQ_COPY_HEDGE, "single datagram");
	CHECK(proto_receive(p, dg, frame(dg, 514, 0, 1, "END\r\n", 5), 0, &rx) == PROTO_RX_REPLY &&
	      rx.error, "miss flagged");
	CHECK(proto_receive(p, dg, frame(dg, 515, 0, 1, "END\r\n", 5), 0, &rx) == PROTO_RX_FOREIGN,
	      "unsent request id");
	CHECK(proto_receive(p, dg, frame(dg, 514, 0, 1, "VALUE m3 0 2\r\nok\r\nEND\r\n", 23), 0, &rx) ==
	      PROTO_RX_FOREIGN, "key of another request");
	CHECK(proto_receive(p, dg, 7, 0, &rx) == PROTO_RX_FOREIGN, "short datagram");
	/* An unfinished response whose slot another one needs is given up
	 * (counted); it and the hedge socket's seq 1 stay open (counted too). */
	proto_receive(p, dg, frame(dg, 513, 0, 2, "VALUE", 5), 0, &rx);
	proto_receive(p, dg, frame(dg, 513, 0, 3, "VALUE", 5), 0, &rx);
	proto_get_counters(p, &c);
	CHECK(c.multi_replies == 1 && c.dup_datagrams == 1 && c.error_replies == 1 &&
	      c.mismatched == 2 && c.dropped_partials == 3,
	      "counters multi %llu dup %llu err %llu mism %llu dropped %llu",
	      (unsigned long long)c.multi_replies, (unsigned long long)c.dup_datagrams,
	      (unsigned long long)c.error_replies, (unsigned long long)c.mismatched,
	      (unsigned long long)c.dropped_partials);
	proto_free(p);

	pp.key_prefix = "bad key";
	CHECK(proto_new(&pp, &p) == -EINVAL, "bad prefix rejected");
}

int main(void)
{
	test_wire();
	test_reassembly();
	return check_done("test_proto_memcached");
}
