/* histogram_codec: the HdrHistogram V2 encoding, compressed and in base64.
 *
 * Layout (all integers big-endian), as published by the HdrHistogram project:
 *   compressed: int32 cookie 0x1c849314, int32 length of the zlib data, zlib data
 *   zlib data inflates to:
 *     int32 cookie 0x1c849313, int32 payload length in bytes,
 *     int32 normalizingIndexOffset (0), int32 significant digits,
 *     int64 lowest discernible value, int64 highest trackable value,
 *     double integer-to-double conversion ratio (1.0),
 *     payload: counts[0 .. last non-zero] as ZigZag LEB128-64b9B numbers,
 *       a run of N > 1 zero counts written as the single number -N.
 * The 0xf0 bits of a cookie carry a word size; V2 readers ignore them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "histogram.h"
#include "histogram_internal.h"

#define V2_COOKIE_BASE            0x1c849303u
#define V2_COMPRESSED_COOKIE_BASE 0x1c849304u
#define V2_COOKIE                 (V2_COOKIE_BASE | 0x10u)
#define V2_COMPRESSED_COOKIE      (V2_COMPRESSED_COOKIE_BASE | 0x10u)
#define COOKIE_BASE(c)            ((c) & ~0xf0u)
#define V2_HEADER_LEN             40
#define LEB128_MAX_LEN            9
#define MAX_INFLATED_LEN          (256u << 20)  /* refuse decompression bombs */

struct bytebuf {
	uint8_t *data;
	size_t len;
	size_t cap;
};

static int buf_reserve(struct bytebuf *b, size_t extra)
{
	size_t cap = b->cap ? b->cap : 256;
	uint8_t *p;

	if (b->len + extra <= b->cap)
		return 0;
	while (cap < b->len + extra)
		cap *= 2;
	p = realloc(b->data, cap);
	if (!p)
		return -ENOMEM;
	b->data = p;
	b->cap = cap;
	return 0;
}

static void put_be(uint8_t *p, uint64_t v, int bytes)
{
	for (int i = bytes - 1; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t get_be(const uint8_t *p, int bytes)
{
	uint64_t v = 0;

	for (int i = 0; i < bytes; i++)
		v = (v << 8) | p[i];
	return v;
}

/* LEB128-64b9B: 7 bits per byte for 8 bytes, then a 9th byte holding the
 * last 8 bits whole, so any 64-bit value fits in 9 bytes. */
static void put_zigzag(struct bytebuf *b, int64_t v)
{
	uint64_t zz = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);

	for (int i = 0; i < 8; i++) {
		if (zz < 0x80) {
			b->data[b->len++] = (uint8_t)zz;
			return;
		}
		b->data[b->len++] = (uint8_t)((zz & 0x7f) | 0x80);
		zz >>= 7;
	}
	b->data[b->len++] = (uint8_t)zz;
}

static int get_zigzag(const uint8_t *p, size_t len, size_t *pos, int64_t *out)
{
	uint64_t zz = 0;
	int i;

	for (i = 0; i < 8; i++) {
		if (*pos >= len)
			return -EINVAL;
		zz |= (uint64_t)(p[*pos] & 0x7f) << (7 * i);
		if (!(p[(*pos)++] & 0x80))
			goto done;
	}
	if (*pos >= len)
		return -EINVAL;
	zz |= (uint64_t)p[(*pos)++] << 56;
done:
	*out = (int64_t)((zz >> 1) ^ (~(zz & 1) + 1));
	return 0;
}

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char *base64_encode(const uint8_t *in, size_t len)
{
	char *out = malloc((len + 2) / 3 * 4 + 1), *o = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;

		if (i + 1 < len)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < len)
			v |= in[i + 2];
		*o++ = b64_alphabet[(v >> 18) & 63];
		*o++ = b64_alphabet[(v >> 12) & 63];
		*o++ = i + 1 < len ? b64_alphabet[(v >> 6) & 63] : '=';
		*o++ = i + 2 < len ? b64_alphabet[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

static int b64_digit(char c)
{
	const char *p = c ? strchr(b64_alphabet, c) : NULL;

	return p ? (int)(p - b64_alphabet) : -1;
}

/* Strict: whole quads, padding only at the end. */
static int base64_decode(const char *in, uint8_t **out, size_t *out_len)
{
	size_t len = strlen(in), n = 0;
	uint8_t *buf;

	if (len == 0 || len % 4)
		return -EINVAL;
	buf = malloc(len / 4 * 3);
	if (!buf)
		return -ENOMEM;
	for (size_t i = 0; i < len; i += 4) {
		int d[4];
		bool last = i + 4 == len;

		for (int k = 0; k < 4; k++)
			d[k] = b64_digit(in[i + k]);
		if (d[0] < 0 || d[1] < 0 ||
		    (d[2] < 0 && !(last && in[i + 2] == '=' && in[i + 3] == '=')) ||
		    (d[3] < 0 && !(last && in[i + 3] == '='))) {
			free(buf);
			return -EINVAL;
		}
		buf[n++] = (uint8_t)(d[0] << 2 | d[1] >> 4);
		if (d[2] >= 0)
			buf[n++] = (uint8_t)(d[1] << 4 | d[2] >> 2);
		if (d[2] >= 0 && d[3] >= 0)
			buf[n++] = (uint8_t)(d[2] << 6 | d[3]);
	}
	*out = buf;
	*out_len = n;
	return 0;
}

static int encode_uncompressed(const struct hist *h, struct bytebuf *b)
{
	int32_t limit = 0;
	double ratio = 1.0;
	uint64_t ratio_bits;
	int err;

	for (int32_t i = 0; i < h->counts_len; i++)
		if (h->counts[i])
			limit = i + 1;
	err = buf_reserve(b, V2_HEADER_LEN + (size_t)limit * LEB128_MAX_LEN);
	if (err)
		return err;
	memcpy(&ratio_bits, &ratio, sizeof(ratio_bits));
	put_be(b->data + 0, V2_COOKIE, 4);
	/* payload length at offset 4, filled in below */
	put_be(b->data + 8, 0, 4);
	put_be(b->data + 12, (uint64_t)h->significant_figures, 4);
	put_be(b->data + 16, (uint64_t)h->lowest_discernible, 8);
	put_be(b->data + 24, (uint64_t)h->highest_trackable, 8);
	put_be(b->data + 32, ratio_bits, 8);
	b->len = V2_HEADER_LEN;
	for (int32_t i = 0; i < limit;) {
		int64_t count = h->counts[i++], zeros = 0;

		if (count == 0) {
			zeros = 1;
			while (i < limit && h->counts[i] == 0) {
				zeros++;
				i++;
			}
		}
		put_zigzag(b, zeros > 1 ? -zeros : count);
	}
	put_be(b->data + 4, b->len - V2_HEADER_LEN, 4);
	return 0;
}

int hist_encode(const struct hist *h, char **out_b64)
{
	struct bytebuf raw = { 0 };
	uint8_t *packed = NULL;
	uLongf zlen;
	int err;

	err = encode_uncompressed(h, &raw);
	if (err)
		goto cleanup;
	zlen = compressBound(raw.len);
	packed = malloc(8 + zlen);
	if (!packed) {
		err = -ENOMEM;
		goto cleanup;
	}
	if (compress2(packed + 8, &zlen, raw.data, raw.len, Z_DEFAULT_COMPRESSION) != Z_OK) {
		err = -EIO;
		goto cleanup;
	}
	put_be(packed, V2_COMPRESSED_COOKIE, 4);
	put_be(packed + 4, zlen, 4);
	*out_b64 = base64_encode(packed, 8 + zlen);
	err = *out_b64 ? 0 : -ENOMEM;
cleanup:
	free(packed);
	free(raw.data);
	return err;
}

static int inflate_all(const uint8_t *in, size_t len, struct bytebuf *out)
{
	z_stream zs = { 0 };
	int zerr, err = 0;

	if (inflateInit(&zs) != Z_OK)
		return -ENOMEM;
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)len;
	do {
		if (out->cap - out->len < 4096) {
			if (out->cap >= MAX_INFLATED_LEN) {
				err = -E2BIG;
				goto cleanup;
			}
			err = buf_reserve(out, out->cap ? out->cap : 4096);
			if (err)
				goto cleanup;
		}
		zs.next_out = out->data + out->len;
		zs.avail_out = (uInt)(out->cap - out->len);
		zerr = inflate(&zs, Z_NO_FLUSH);
		out->len = out->cap - zs.avail_out;
		if (zerr != Z_OK && zerr != Z_STREAM_END) {
			err = -EINVAL;
			goto cleanup;
		}
		if (zerr == Z_OK && zs.avail_in == 0 && zs.avail_out != 0) {
			err = -EINVAL;  /* truncated stream */
			goto cleanup;
		}
	} while (zerr != Z_STREAM_END);
cleanup:
	inflateEnd(&zs);
	return err;
}

static int decode_uncompressed(const uint8_t *p, size_t len, struct hist **out)
{
	int64_t lowest, highest, count, total = 0;
	uint32_t payload_len;
	int32_t sigfigs, index = 0;
	struct hist *h = NULL;
	size_t pos = V2_HEADER_LEN, end;
	int err = -EINVAL;

	if (len < V2_HEADER_LEN || COOKIE_BASE((uint32_t)get_be(p, 4)) != V2_COOKIE_BASE)
		return -EINVAL;
	payload_len = (uint32_t)get_be(p + 4, 4);
	/* p + 8: normalizingIndexOffset, only meaningful for shifted
	 * (concurrent) histograms in Java; readers ignore it. */
	sigfigs = (int32_t)get_be(p + 12, 4);
	lowest = (int64_t)get_be(p + 16, 8);
	highest = (int64_t)get_be(p + 24, 8);
	/* p + 32: integer-to-double ratio, unused for integer histograms. */
	if (payload_len > len - V2_HEADER_LEN)
		return -EINVAL;
	end = V2_HEADER_LEN + payload_len;
	h = hist_new(lowest, highest, sigfigs);
	if (!h)
		return -EINVAL;
	while (pos < end) {
		err = get_zigzag(p, end, &pos, &count);
		if (err)
			goto cleanup;
		err = -EINVAL;
		if (count < 0) {
			if (count < -(int64_t)(h->counts_len - index))
				goto cleanup;
			index += (int32_t)-count;
			continue;
		}
		if (index >= h->counts_len || count > INT64_MAX - total)
			goto cleanup;
		h->counts[index++] = count;
		total += count;
	}
	h->total_count = total;
	hist_recompute_min_max(h);
	*out = h;
	h = NULL;
	err = 0;
cleanup:
	hist_free(h);
	return err;
}

int hist_decode(const char *b64, struct hist **out)
{
	struct bytebuf raw = { 0 };
	uint8_t *bin = NULL;
	size_t bin_len;
	uint32_t cookie, zlen;
	int err;

	err = base64_decode(b64, &bin, &bin_len);
	if (err)
		return err;
	err = -EINVAL;
	if (bin_len < 8)
		goto cleanup;
	cookie = (uint32_t)get_be(bin, 4);
	if (COOKIE_BASE(cookie) == V2_COOKIE_BASE) {
		err = decode_uncompressed(bin, bin_len, out);
		goto cleanup;
	}
	if (COOKIE_BASE(cookie) != V2_COMPRESSED_COOKIE_BASE)
		goto cleanup;
	zlen = (uint32_t)get_be(bin + 4, 4);
	if (zlen > bin_len - 8)
		goto cleanup;
	err = inflate_all(bin + 8, zlen, &raw);
	if (err)
		goto cleanup;
	err = decode_uncompressed(raw.data, raw.len, out);
cleanup:
	free(raw.data);
	free(bin);
	return err;
}
