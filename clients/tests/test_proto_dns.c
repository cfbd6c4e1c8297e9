/* Unit test: DNS query encoding, reply parsing, and the dns protocol's
 * matching by id and question (random ids, no reuse while recent). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "client_opts.h"
#include "dnswire.h"
#include "proto.h"
#include "request.h"

/* A reply as a server would send it: the query with QR (and AA) set, RCODE,
 * and one A record whose name is a compression pointer to the question. */
static size_t make_reply(const uint8_t *query, size_t qlen, uint8_t rcode, uint8_t *out)
{
	static const uint8_t answer[] = { 0xc0, 12, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 198, 18, 1, 7 };

	memcpy(out, query, qlen);
	out[2] |= 0x84;
	out[3] = (uint8_t)((out[3] & 0xf0) | rcode);
	out[7] = 1;                       /* ANCOUNT */
	memcpy(out + qlen, answer, sizeof(answer));
	return qlen + sizeof(answer);
}

static void test_wire(void)
{
	static const uint8_t expect[] = {
		0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
		2, 'h', '7', 5, 'h', 'e', 'd', 'g', 'e', 4, 't', 'e', 's', 't', 0,
		0, 1, 0, 1,
	};
	uint8_t name[DNSW_MAX_NAME], scratch[DNSW_MAX_NAME], buf[512], rep[600];
	struct dnsw_reply r;
	int n, len;

	n = dnsw_name_to_wire("h7.hedge.test.", name, sizeof(name));
	CHECK(n == 15, "wire length %d", n);
	len = dnsw_encode_query(buf, sizeof(buf), 0x1234, name, (size_t)n, DNSW_TYPE_A);
	CHECK(len == (int)sizeof(expect) && !memcmp(buf, expect, sizeof(expect)),
	      "query bytes: id BE, RD, QDCOUNT 1, qname, A, IN");
	CHECK(dnsw_encode_query(buf, 20, 1, name, (size_t)n, DNSW_TYPE_A) == -ENOSPC, "no room");
	CHECK(dnsw_name_to_wire("a..b", scratch, sizeof(scratch)) == -EINVAL, "empty label");
	CHECK(dnsw_name_to_wire("", scratch, sizeof(scratch)) == -EINVAL, "empty name");
	{
		char long_label[70];

		memset(long_label, 'x', 64);
		long_label[64] = 0;
		CHECK(dnsw_name_to_wire(long_label, scratch, sizeof(scratch)) == -EINVAL, "64-byte label");
	}

	CHECK(dnsw_parse_reply(rep, (size_t)make_reply(buf, (size_t)len, 3, rep), &r) == 0 &&
	      r.id == 0x1234 && r.qr && r.opcode == 0 && r.rcode == 3 && r.ancount == 1 &&
	      r.qtype == DNSW_TYPE_A && r.qclass == DNSW_CLASS_IN &&
	      dnsw_name_equal(r.qname, r.qname_len, name, (size_t)n), "reply parsed");
	CHECK(dnsw_parse_reply(rep, 11, &r) == -EBADMSG, "shorter than a header");
	CHECK(dnsw_parse_reply(rep, (size_t)len - 2, &r) == -EBADMSG, "question cut short");
	rep[4] = rep[5] = 0;
	CHECK(dnsw_parse_reply(rep, (size_t)len, &r) == -EBADMSG, "no question");
	rep[5] = 1;
	rep[12] = 0xc0;
	CHECK(dnsw_parse_reply(rep, (size_t)len, &r) == -EBADMSG, "pointer in the question");
	{
		uint8_t upper[DNSW_MAX_NAME];
		int m = dnsw_name_to_wire("H7.HEDGE.Test", upper, sizeof(upper));

		CHECK(dnsw_name_equal(upper, (size_t)m, name, (size_t)n), "0x20 case folding");
		m = dnsw_name_to_wire("h8.hedge.test", upper, sizeof(upper));
		CHECK(!dnsw_name_equal(upper, (size_t)m, name, (size_t)n), "other name");
	}
}

static void test_proto(void)
{
	struct proto_params pp = { .kind = PROTO_DNS, .total = 40000, .keys = 100,
				   .zone = "hedge.test", .id_seed = 42 };
	uint8_t q[512], q2[512], rep[700];
	uint8_t *seen = calloc(65536, 1);
	struct proto_counters c;
	struct proto_reply rx;
	struct proto *p;
	int len, len2, reused = 0;

	CHECK(proto_new(&pp, &p) == 0, "proto_new");
	if (!p || !seen)
		return;
	len = proto_encode(p, 5, REQ_COPY_PRIMARY, q, sizeof(q));
	CHECK(len > 12 && q[13] == 'h' && q[14] == '5', "request 5 asks h5 (%d)", len);
	len2 = proto_encode(p, 5, REQ_COPY_HEDGE, q2, sizeof(q2));
	CHECK(len2 == len && !memcmp(q, q2, (size_t)len), "the hedge is the same query, same id");

	CHECK(proto_receive(p, rep, make_reply(q, (size_t)len, 0, rep), 0, &rx) == PROTO_RX_REPLY &&
	      rx.index == 5 && rx.copy == REQ_COPY_PRIMARY && !rx.error, "reply matched");
	CHECK(proto_receive(p, rep, make_reply(q, (size_t)len, 0, rep), 1, &rx) == PROTO_RX_REPLY &&
	      rx.copy == REQ_COPY_HEDGE, "on the hedge socket: the hedge copy");
	CHECK(proto_receive(p, rep, make_reply(q, (size_t)len, 2, rep), 0, &rx) == PROTO_RX_REPLY &&
	      rx.error, "SERVFAIL is an answer, flagged");
	/* A query (QR = 0) echoed back is not an answer. */
	CHECK(proto_receive(p, q, (size_t)len, 0, &rx) == PROTO_RX_FOREIGN, "QR = 0");
	/* Right id, wrong question: a stub drops it. */
	make_reply(q, (size_t)len, 0, rep);
	rep[14] = '6';
	CHECK(proto_receive(p, rep, (size_t)len + 16, 0, &rx) == PROTO_RX_FOREIGN, "other name");
	make_reply(q, (size_t)len, 0, rep);
	rep[len - 3] = 28;                        /* AAAA */
	CHECK(proto_receive(p, rep, (size_t)len + 16, 0, &rx) == PROTO_RX_FOREIGN, "other type");
	/* An id nobody used. */
	make_reply(q, (size_t)len, 0, rep);
	rep[0] ^= 0x5a;
	rep[1] ^= 0xa5;
	CHECK(proto_receive(p, rep, (size_t)len + 16, 0, &rx) == PROTO_RX_FOREIGN, "unknown id");
	proto_get_counters(p, &c);
	CHECK(c.mismatched == 2 && c.error_replies == 1, "counters %llu %llu",
	      (unsigned long long)c.mismatched, (unsigned long long)c.error_replies);

	/* Ids: random-looking and never repeated within the last 16384 queries. */
	{
		uint16_t *ids = calloc(40000, sizeof(*ids));
		int lowbits[2] = { 0 };

		for (uint64_t i = 0; ids && i < 40000; i++) {
			proto_encode(p, i, REQ_COPY_PRIMARY, q, sizeof(q));
			ids[i] = (uint16_t)(q[0] << 8 | q[1]);
			lowbits[ids[i] & 1]++;
			/* the reply of each maps back to it */
			if (i % 997 == 0)
				CHECK(proto_receive(p, rep, make_reply(q, (size_t)proto_encode(p, i, REQ_COPY_HEDGE,
					q, sizeof(q)), 0, rep), 0, &rx) == PROTO_RX_REPLY && rx.index == i,
				      "request %llu matched", (unsigned long long)i);
		}
		for (uint64_t i = 16384; ids && i < 40000; i++)
			for (uint64_t j = i - 16383; j < i; j += 1) {
				if (ids[j] == ids[i]) {
					reused++;
					break;
				}
			}
		CHECK(reused == 0, "%d ids reused within 16384 queries", reused);
		CHECK(lowbits[0] > 18000 && lowbits[1] > 18000, "id bits balanced %d/%d",
		      lowbits[0], lowbits[1]);
		free(ids);
	}
	proto_free(p);
	free(seen);

	pp.zone = "a..b";
	CHECK(proto_new(&pp, &p) == -EINVAL && !p, "bad zone rejected");
}

#define ARGV(...) ((char *[]){ "hedge-client", __VA_ARGS__, NULL })
#define ARGC(...) ((int)(sizeof((char *[]){ "hedge-client", __VA_ARGS__ }) / sizeof(char *)))
#define PARSE(o, ...) copts_parse(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), (o))

/* --proto and its options (dns and memcached), valid and not. */
static void test_opts(void)
{
	struct copts o;

	CHECK(PARSE(&o, "127.0.0.1:1") == 0 && o.proto == PROTO_ID, "id by default");
	CHECK(PARSE(&o, "--proto", "dns", "--zone", "bench.example.", "--keys", "7", "127.0.0.1:53") == 0 &&
	      o.proto == PROTO_DNS && o.keys == 7 && !strcmp(o.zone, "bench.example."), "dns options");
	CHECK(PARSE(&o, "--proto", "dns", "127.0.0.1:53") == 0 && !strcmp(o.zone, "hedge.test") &&
	      o.keys == 1000, "dns defaults");
	CHECK(PARSE(&o, "--proto", "memcached", "--key-prefix", "m", "--mode", "app", "--hedge-target",
		    "127.0.0.1:2", "127.0.0.1:1") == 0 && o.proto == PROTO_MEMCACHED &&
	      !strcmp(o.key_prefix, "m"), "memcached options");
	CHECK(PARSE(&o, "--proto", "http", "127.0.0.1:1") == -EINVAL, "unknown protocol");
	CHECK(PARSE(&o, "--proto", "dns", "--size", "64", "127.0.0.1:1") == -EINVAL, "--size with dns");
	CHECK(PARSE(&o, "--keys", "5", "127.0.0.1:1") == -EINVAL, "--keys with id");
	CHECK(PARSE(&o, "--proto", "memcached", "--zone", "a.b", "127.0.0.1:1") == -EINVAL,
	      "--zone with memcached");
	CHECK(PARSE(&o, "--proto", "dns", "--key-prefix", "k", "127.0.0.1:1") == -EINVAL,
	      "--key-prefix with dns");
	CHECK(PARSE(&o, "--proto", "dns", "--zone", "a..b", "127.0.0.1:1") == -EINVAL, "bad zone");
	CHECK(PARSE(&o, "--proto", "memcached", "--key-prefix", "a b", "127.0.0.1:1") == -EINVAL,
	      "space in key prefix");
	CHECK(PARSE(&o, "--proto", "memcached", "--keys", "0", "127.0.0.1:1") == -EINVAL, "0 keys");
}

int main(void)
{
	test_wire();
	test_proto();
	test_opts();
	return check_done("test_proto_dns");
}
