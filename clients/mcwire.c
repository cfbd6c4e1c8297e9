#include "mcwire.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

bool mcw_key_valid(const char *key)
{
	size_t n = strlen(key);

	if (n == 0 || n > MCW_MAX_KEY)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)key[i] <= ' ' || key[i] == 0x7f)
			return false;
	return true;
}

int mcw_encode_get(uint8_t *buf, size_t cap, uint16_t request_id, const char *key)
{
	size_t klen = strlen(key), len = MCW_FRAME_SIZE + 4 + klen + 2;

	if (!mcw_key_valid(key))
		return -EINVAL;
	if (len > cap)
		return -ENOSPC;
	put_be16(buf, request_id);
	put_be16(buf + 2, 0);                   /* sequence number */
	put_be16(buf + 4, 1);                   /* one datagram */
	put_be16(buf + 6, 0);                   /* reserved */
	memcpy(buf + MCW_FRAME_SIZE, "get ", 4);
	memcpy(buf + MCW_FRAME_SIZE + 4, key, klen);
	memcpy(buf + MCW_FRAME_SIZE + 4 + klen, "\r\n", 2);
	return (int)len;
}

int mcw_parse_frame(const uint8_t *buf, size_t len, struct mcw_frame *out)
{
	if (len < MCW_FRAME_SIZE)
		return -EBADMSG;
	out->request_id = get_be16(buf);
	out->seq = get_be16(buf + 2);
	out->count = get_be16(buf + 4);
	if (out->count == 0 || out->count > MCW_MAX_DGRAMS || out->seq >= out->count ||
	    get_be16(buf + 6) != 0)
		return -EBADMSG;
	return 0;
}

static bool has_prefix(const uint8_t *p, size_t len, const char *s)
{
	size_t n = strlen(s);

	return len >= n && memcmp(p, s, n) == 0;
}

/* parse_uint - decimal digits at *pos up to @stop; advances *pos. */
static int parse_uint(const uint8_t *p, size_t len, size_t *pos, char stop, uint64_t *out)
{
	uint64_t v = 0;
	size_t i = *pos;

	if (i >= len || p[i] < '0' || p[i] > '9')
		return -EBADMSG;
	for (; i < len && p[i] >= '0' && p[i] <= '9'; i++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -EBADMSG;
		v = v * 10 + (uint64_t)(p[i] - '0');
	}
	if (i >= len || p[i] != (uint8_t)stop)
		return -EBADMSG;
	*pos = i;
	*out = v;
	return 0;
}

int mcw_check_get_response(const uint8_t *text, size_t len, const char *key, bool *hit)
{
	size_t klen = strlen(key), pos;
	uint64_t flags, bytes;

	if (len == 5 && has_prefix(text, len, "END\r\n")) {
		*hit = false;
		return 0;
	}
	if (!has_prefix(text, len, "VALUE "))
		return -EBADMSG;
	pos = 6;
	if (pos + klen + 1 > len || memcmp(text + pos, key, klen) || text[pos + klen] != ' ')
		return -EBADMSG;
	pos += klen + 1;
	if (parse_uint(text, len, &pos, ' ', &flags))
		return -EBADMSG;
	pos++;
	/* BYTES ends the line ("gets" would add a CAS field; not sent here). */
	if (parse_uint(text, len, &pos, '\r', &bytes))
		return -EBADMSG;
	if (pos + 2 > len || text[pos + 1] != '\n')
		return -EBADMSG;
	pos += 2;
	if (bytes > len || pos + bytes + 7 != len)
		return -EBADMSG;
	pos += bytes;
	if (memcmp(text + pos, "\r\nEND\r\n", 7))
		return -EBADMSG;
	*hit = true;
	return 0;
}
