/* dnswire: the DNS messages hedge-client sends and reads (RFC 1035): one
 * A/IN query with RD set, and the header and question of a reply, which is
 * all a stub needs to match a reply to its query. Pure functions, no state.
 * Public functions are prefixed dnsw_. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNSW_HEADER_SIZE 12
#define DNSW_MAX_NAME    255   /* wire form, root label included */
#define DNSW_TYPE_A      1
#define DNSW_CLASS_IN    1

struct dnsw_reply {
	uint16_t id;
	bool qr;                 /* 1: a response */
	uint8_t opcode;
	bool tc;                 /* truncated */
	uint8_t rcode;
	uint16_t qdcount;
	uint16_t ancount;
	uint8_t qname[DNSW_MAX_NAME];  /* wire form of the question's name */
	size_t qname_len;
	uint16_t qtype;
	uint16_t qclass;
};

/* dnsw_name_to_wire - "h1.hedge.test" (a trailing dot is allowed) into wire
 * form (length-prefixed labels, root label last). Returns the length, or
 * -EINVAL for an empty label, a label over 63 bytes or a name over 255. */
int dnsw_name_to_wire(const char *text, uint8_t *out, size_t cap);
/* dnsw_encode_query - a query (id @id, RD = 1, one question @qname (wire
 * form) type @qtype class IN) into @buf. Returns its length or -ENOSPC. */
int dnsw_encode_query(uint8_t *buf, size_t cap, uint16_t id, const uint8_t *qname,
		      size_t qname_len, uint16_t qtype);
/* dnsw_parse_reply - header and first question of @buf. -EBADMSG when it is
 * shorter than a header, has no question, or the question is cut or uses a
 * compression pointer (never in a question of a well-formed reply). */
int dnsw_parse_reply(const uint8_t *buf, size_t len, struct dnsw_reply *out);
/* dnsw_name_equal - wire-form names equal, ASCII case-insensitively (RFC 4343). */
bool dnsw_name_equal(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);
