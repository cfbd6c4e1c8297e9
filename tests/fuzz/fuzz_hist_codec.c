/* libFuzzer target for the histogram decoder (hist_decode): the base64
 * text of interval logs, and behind it the raw and the zlib-compressed V2
 * forms. Byte 0 picks how the rest reaches the decoder, so every layer is
 * reached directly:
 *   0: as base64 text, unchanged
 *   1: base64-encoded here (the uncompressed V2 parser)
 *   2: deflated and framed with the compressed cookie, then base64-encoded
 * A decoded histogram must be self-consistent and survive a re-encode. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "histogram.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *b64(const uint8_t *in, size_t len)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *out = malloc((len + 2) / 3 * 4 + 1), *o = out;

	if (!out)
		abort();
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < len ? (uint32_t)in[i + 1] << 8 : 0) |
			     (i + 2 < len ? in[i + 2] : 0);

		*o++ = a[v >> 18 & 63];
		*o++ = a[v >> 12 & 63];
		*o++ = i + 1 < len ? a[v >> 6 & 63] : '=';
		*o++ = i + 2 < len ? a[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

static char *compressed_b64(const uint8_t *in, size_t len)
{
	uLongf zlen = compressBound(len);
	uint8_t *buf = malloc(8 + zlen);
	char *out;

	if (!buf || compress2(buf + 8, &zlen, in, len, 1) != Z_OK)
		abort();
	memcpy(buf, "\x1c\x84\x93\x14", 4);
	buf[4] = (uint8_t)(zlen >> 24);
	buf[5] = (uint8_t)(zlen >> 16);
	buf[6] = (uint8_t)(zlen >> 8);
	buf[7] = (uint8_t)zlen;
	out = b64(buf, 8 + zlen);
	free(buf);
	return out;
}

static void check_consistent(const struct hist *h)
{
	int64_t sum = 0, prev = -1;

	for (int32_t i = 0; i < h->counts_len; i++) {
		if (h->counts[i] < 0 || h->counts[i] > INT64_MAX - sum)
			abort();
		sum += h->counts[i];
	}
	if (sum != hist_count(h))
		abort();
	if (!sum)
		return;
	if (hist_min(h) > hist_max(h))
		abort();
	for (double p = 0; p <= 100; p += 25) {
		int64_t v = hist_value_at_percentile(h, p);

		if (v < prev || v > hist_max(h) || (p > 0 && v < hist_min(h)))
			abort();
		prev = v;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hist *h = NULL, *back = NULL;
	char *text, *again = NULL;

	if (size < 1 || size > 1 << 16)
		return 0;
	switch (data[0] % 3) {
	case 0:
		text = malloc(size);
		if (!text)
			abort();
		memcpy(text, data + 1, size - 1);
		text[size - 1] = '\0';
		break;
	case 1:
		text = b64(data + 1, size - 1);
		break;
	default:
		text = compressed_b64(data + 1, size - 1);
		break;
	}
	if (hist_decode(text, &h) == 0) {
		check_consistent(h);
		if (hist_encode(h, &again) || hist_decode(again, &back))
			abort();
		if (back->counts_len != h->counts_len || hist_count(back) != hist_count(h) ||
		    memcmp(back->counts, h->counts, (size_t)h->counts_len * sizeof(*h->counts)))
			abort();
	}
	free(again);
	free(text);
	hist_free(back);
	hist_free(h);
	return 0;
}
