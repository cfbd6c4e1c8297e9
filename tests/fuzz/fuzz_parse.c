/* libFuzzer target for the command-line parsers of lib/parse.c: durations,
 * integers, numbers, fractions, rates, addresses and ADDR:PORT endpoints. Byte 0 picks
 * the parser, the rest is the text. What a parser accepts must be within
 * its documented range, and an endpoint must survive format -> parse.
 * Name lookups are kept off the network: getaddrinfo is wrapped (link with
 * -Wl,--wrap=getaddrinfo) to resolve numeric hosts only. */
#include <math.h>
#include <netdb.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int __real_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
		       struct addrinfo **res);
int __wrap_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
		       struct addrinfo **res);

int __wrap_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
		       struct addrinfo **res)
{
	struct addrinfo h = hints ? *hints : (struct addrinfo){ 0 };

	h.ai_flags |= AI_NUMERICHOST;
	return __real_getaddrinfo(node, service, &h, res);
}

static void check_endpoint(const char *text)
{
	struct sockaddr_storage a, b;
	socklen_t alen, blen;
	char buf[128];

	if (parse_endpoint("fuzz", text, &a, &alen))
		return;
	if (a.ss_family != AF_INET && a.ss_family != AF_INET6)
		abort();
	format_endpoint((struct sockaddr *)&a, buf, sizeof(buf));
	if (parse_endpoint("fuzz", buf, &b, &blen) || alen != blen || memcmp(&a, &b, alen))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t u, lo, hi;
	int64_t i;
	double d;
	char *text;

	if (size < 1 || size > 512)
		return 0;
	text = malloc(size);
	if (!text)
		abort();
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	lo = data[0] & 0x10 ? 1 : 0;
	hi = data[0] & 0x20 ? 65535 : UINT64_MAX;
	switch (data[0] & 0x0f) {
	case 0:
		if (parse_duration_ns("fuzz", text, &u) == 0 && u > 1000000000000000000ULL)
			abort();
		break;
	case 1:
		if (parse_u64("fuzz", text, lo, hi, &u) == 0 && (u < lo || u > hi))
			abort();
		break;
	case 2:
		if (parse_i64("fuzz", text, -5, INT64_MAX, &i) == 0 && i < -5)
			abort();
		break;
	case 3:
		if (parse_double("fuzz", text, -1e9, 1e300, &d) == 0 &&
		    (!isfinite(d) || d < -1e9 || d > 1e300))
			abort();
		break;
	case 4:
		if (parse_fraction("fuzz", text, &d) == 0 && !(d >= 0 && d <= 1))
			abort();
		break;
	case 5:
		if (parse_rate_hz("fuzz", text, &d) == 0 && !(d >= 0 && isfinite(d)))
			abort();
		break;
	case 6: {
		struct sockaddr_storage a;

		if (parse_address("fuzz", text, &a) == 0 && a.ss_family != AF_INET &&
		    a.ss_family != AF_INET6)
			abort();
		break;
	}
	default:
		check_endpoint(text);
		break;
	}
	free(text);
	return 0;
}
