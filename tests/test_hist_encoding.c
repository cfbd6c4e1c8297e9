/* test_hist_encoding: hist_encode -> hist_decode gives back identical counts
 * and configuration, for several shapes and configurations; malformed input
 * is refused. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "histogram.h"
#include "check.h"
#include "rng.h"

static void check_round_trip(const char *what, const struct hist *h)
{
	struct hist *back = NULL;
	char *b64 = NULL;
	int err;

	err = hist_encode(h, &b64);
	REQUIRE(err == 0 && b64, "%s: encode: %d", what, err);
	/* Every compressed V2 histogram starts with the cookie 0x1c849314. */
	CHECK(!strncmp(b64, "HISTFAAA", 8), "%s: starts with %.8s", what, b64);
	err = hist_decode(b64, &back);
	REQUIRE(err == 0 && back, "%s: decode: %d", what, err);
	CHECK(back->lowest_discernible == h->lowest_discernible &&
	      back->highest_trackable == h->highest_trackable &&
	      back->significant_figures == h->significant_figures, "%s: configuration", what);
	CHECK(back->counts_len == h->counts_len, "%s: counts_len", what);
	CHECK(back->counts_len == h->counts_len &&
	      !memcmp(back->counts, h->counts, (size_t)h->counts_len * sizeof(*h->counts)),
	      "%s: counts differ", what);
	CHECK(hist_count(back) == hist_count(h), "%s: count %lld vs %lld", what,
	      (long long)hist_count(back), (long long)hist_count(h));
	if (hist_count(h)) {
		CHECK(hist_values_equivalent(h, hist_min(back), hist_min(h)), "%s: min", what);
		CHECK(hist_values_equivalent(h, hist_max(back), hist_max(h)), "%s: max", what);
	}
	CHECK(hist_value_at_percentile(back, 99) == hist_value_at_percentile(h, 99), "%s: p99",
	      what);
	hist_free(back);
	free(b64);
}

static void test_round_trips(void)
{
	struct test_rng rng = { 42 };
	struct hist *h = hist_new_default();
	struct hist *narrow = hist_new(1000, 10000000000LL, 2);
	struct hist *fine = hist_new(1, 3600000000LL, 5);

	REQUIRE(h && narrow && fine, "alloc");
	check_round_trip("empty", h);
	hist_record(h, 0);
	check_round_trip("only zero", h);
	hist_record(h, 1234567);
	check_round_trip("two values", h);
	/* Counts needing many LEB128 bytes, and the top of the range. */
	hist_record_n(h, 999, (int64_t)1 << 40);
	hist_record_n(h, HIST_DEFAULT_HIGHEST, 3);
	check_round_trip("huge counts and the range top", h);
	hist_reset(h);
	for (int i = 0; i < 100000; i++) {
		int64_t v = (int64_t)rng_lognormal(&rng, 1e6, 2.0);

		hist_record(h, v < HIST_DEFAULT_HIGHEST ? v : HIST_DEFAULT_HIGHEST);
		hist_record(narrow, (int64_t)rng_exponential(&rng, 1e7) % 10000000000LL);
		hist_record(fine, (int64_t)rng_lognormal(&rng, 1e5, 1.0) % 3600000000LL);
	}
	check_round_trip("lognormal", h);
	check_round_trip("2 digits from 1 us", narrow);
	check_round_trip("5 digits", fine);
	hist_free(h);
	hist_free(narrow);
	hist_free(fine);
}

static void expect_refused(const char *what, const char *b64)
{
	struct hist *h = NULL;
	int err = hist_decode(b64, &h);

	CHECK(err == -EINVAL && !h, "%s: decode returned %d", what, err);
	hist_free(h);
}

static void test_malformed(void)
{
	struct hist *h = hist_new_default();
	char *b64 = NULL, *bad;
	size_t len;

	REQUIRE(h, "alloc");
	for (int64_t v = 1; v < 100000; v += 7)
		hist_record(h, v);
	REQUIRE(hist_encode(h, &b64) == 0, "encode");
	len = strlen(b64);
	bad = strdup(b64);
	REQUIRE(bad, "alloc");

	expect_refused("empty", "");
	expect_refused("not base64", "HISTFAAA!!!!");
	expect_refused("bad length", "HISTFAA");
	expect_refused("wrong cookie", "AAAAAAAAAAAAAAAA");
	bad[len / 2] = '\0';
	bad[len / 2 - len / 2 % 4] = '\0';
	expect_refused("truncated", bad);
	strcpy(bad, b64);
	bad[0] = 'J';  /* first cookie byte 0x1c -> 0x24 */
	expect_refused("corrupt cookie", bad);
	strcpy(bad, b64);
	bad[20] = bad[20] == 'A' ? 'B' : 'A';  /* inside the zlib stream */
	expect_refused("corrupt zlib data", bad);
	free(bad);
	free(b64);
	hist_free(h);
}

/* A minimal base64 decoder, independent of the library's. */
static size_t unbase64(const char *in, unsigned char *out)
{
	static const char abc[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint32_t acc = 0;
	size_t n = 0;
	int bits = 0;

	for (; *in && *in != '='; in++) {
		acc = acc << 6 | (uint32_t)(strchr(abc, *in) - abc);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (unsigned char)(acc >> bits);
		}
	}
	return n;
}

/* The bytes themselves, against the published V2 layout: values 1 and 5000
 * are counts[1] and counts[3298] (5000 is in bucket 2, sub-bucket 1250). */
static void test_known_bytes(void)
{
	static const unsigned char want[] = {
		0x1c, 0x84, 0x93, 0x13,                          /* V2 cookie */
		0x00, 0x00, 0x00, 0x05,                          /* payload length */
		0x00, 0x00, 0x00, 0x00,                          /* normalizingIndexOffset */
		0x00, 0x00, 0x00, 0x03,                          /* significant digits */
		0, 0, 0, 0, 0, 0, 0, 1,                          /* lowest */
		0x00, 0x00, 0x03, 0x46, 0x30, 0xb8, 0xa0, 0x00,  /* highest 3.6e12 */
		0x3f, 0xf0, 0, 0, 0, 0, 0, 0,                    /* conversion ratio 1.0 */
		/* counts[0] = 0, counts[1] = 1, 3296 zeros as -3296, counts[3298] = 1,
		 * ZigZag: 0 -> 0, 1 -> 2, -3296 -> 6591 = LEB128 0xbf 0x33 */
		0x00, 0x02, 0xbf, 0x33, 0x02,
	};
	unsigned char packed[512], raw[512];
	struct hist *h = hist_new_default();
	char *b64 = NULL;
	uLongf raw_len = sizeof(raw);
	size_t n;

	REQUIRE(h && hist_record(h, 1) == 0 && hist_record(h, 5000) == 0, "setup");
	REQUIRE(hist_encode(h, &b64) == 0 && strlen(b64) < 600, "encode");
	n = unbase64(b64, packed);
	REQUIRE(n > 8, "decoded %zu bytes", n);
	CHECK(packed[0] == 0x1c && packed[1] == 0x84 && packed[2] == 0x93 && packed[3] == 0x14,
	      "compressed cookie %02x%02x%02x%02x", packed[0], packed[1], packed[2], packed[3]);
	CHECK((size_t)(packed[4] << 24 | packed[5] << 16 | packed[6] << 8 | packed[7]) == n - 8,
	      "compressed length field");
	CHECK(uncompress(raw, &raw_len, packed + 8, n - 8) == Z_OK, "zlib stream");
	CHECK(raw_len == sizeof(want) && !memcmp(raw, want, sizeof(want)),
	      "encoded bytes differ from the published layout (%lu bytes)", (unsigned long)raw_len);
	free(b64);
	hist_free(h);
}

int main(void)
{
	test_known_bytes();
	test_round_trips();
	test_malformed();
	return check_done("test_hist_encoding");
}
