#include "dnswire.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>

#define DNSW_FLAG_QR 0x8000
#define DNSW_FLAG_TC 0x0200
#define DNSW_FLAG_RD 0x0100

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

int dnsw_name_to_wire(const char *text, uint8_t *out, size_t cap)
{
	size_t len = strlen(text), pos = 0, start = 0;

	if (len && text[len - 1] == '.')
		len--;
	if (len == 0)
		return -EINVAL;
	for (size_t i = 0; i <= len; i++) {
		size_t label;

		if (i < len && text[i] != '.')
			continue;
		label = i - start;
		if (label == 0 || label > 63 || pos + 1 + label + 1 > DNSW_MAX_NAME ||
		    pos + 1 + label + 1 > cap)
			return -EINVAL;
		out[pos++] = (uint8_t)label;
		memcpy(out + pos, text + start, label);
		pos += label;
		start = i + 1;
	}
	out[pos++] = 0;
	return (int)pos;
}

int dnsw_encode_query(uint8_t *buf, size_t cap, uint16_t id, const uint8_t *qname,
		      size_t qname_len, uint16_t qtype)
{
	size_t len = DNSW_HEADER_SIZE + qname_len + 4;

	if (len > cap)
		return -ENOSPC;
	memset(buf, 0, DNSW_HEADER_SIZE);
	put_be16(buf, id);
	put_be16(buf + 2, DNSW_FLAG_RD);        /* opcode QUERY, RD as a stub sets it */
	put_be16(buf + 4, 1);                   /* QDCOUNT */
	memcpy(buf + DNSW_HEADER_SIZE, qname, qname_len);
	put_be16(buf + DNSW_HEADER_SIZE + qname_len, qtype);
	put_be16(buf + DNSW_HEADER_SIZE + qname_len + 2, DNSW_CLASS_IN);
	return (int)len;
}

int dnsw_parse_reply(const uint8_t *buf, size_t len, struct dnsw_reply *out)
{
	uint16_t flags;
	size_t pos = DNSW_HEADER_SIZE;

	if (len < DNSW_HEADER_SIZE)
		return -EBADMSG;
	memset(out, 0, sizeof(*out));
	out->id = get_be16(buf);
	flags = get_be16(buf + 2);
	out->qr = flags & DNSW_FLAG_QR;
	out->opcode = (flags >> 11) & 0xf;
	out->tc = flags & DNSW_FLAG_TC;
	out->rcode = flags & 0xf;
	out->qdcount = get_be16(buf + 4);
	out->ancount = get_be16(buf + 6);
	if (out->qdcount == 0)
		return -EBADMSG;
	for (;;) {
		uint8_t label;

		if (pos >= len)
			return -EBADMSG;
		label = buf[pos];
		if (label & 0xc0)               /* pointer or reserved label type */
			return -EBADMSG;
		if (out->qname_len + 1 + label > DNSW_MAX_NAME || pos + 1 + label > len)
			return -EBADMSG;
		memcpy(out->qname + out->qname_len, buf + pos, 1 + (size_t)label);
		out->qname_len += 1 + (size_t)label;
		pos += 1 + (size_t)label;
		if (label == 0)
			break;
	}
	if (pos + 4 > len)
		return -EBADMSG;
	out->qtype = get_be16(buf + pos);
	out->qclass = get_be16(buf + pos + 2);
	return 0;
}

bool dnsw_name_equal(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	if (alen != blen)
		return false;
	/* Length bytes are < 64, so folding them is harmless. */
	for (size_t i = 0; i < alen; i++)
		if (tolower(a[i]) != tolower(b[i]))
			return false;
	return true;
}
