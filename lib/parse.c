#include "parse.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static int bad(const char *what, const char *text, const char *expected)
{
	log_error("invalid %s '%s': expected %s", what, text ? text : "", expected);
	return -EINVAL;
}

int parse_duration_ns(const char *what, const char *text, uint64_t *out_ns)
{
	static const struct { const char *suffix; double ns; } units[] = {
		{ "ns", 1 }, { "us", 1e3 }, { "µs", 1e3 }, { "ms", 1e6 },
		{ "s", 1e9 }, { "m", 60e9 }, { "min", 60e9 }, { "h", 3600e9 },
	};
	const char *expected = "a duration such as 250ns, 400us, 10ms, 1.5s or 2m";
	char *end;
	double v;

	/* No unit has an x: refuse strtod's hex floats ("0x10ms"). */
	if (!text || !*text || isspace((unsigned char)*text) || *text == '-' || *text == '+' ||
	    strpbrk(text, "xX"))
		return bad(what, text, expected);
	errno = 0;
	v = strtod(text, &end);
	if (errno || end == text || !isfinite(v) || v < 0)
		return bad(what, text, expected);
	if (*end == '\0') {
		if (v != 0)
			return bad(what, text, expected);
		*out_ns = 0;
		return 0;
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].suffix) == 0) {
			double ns = v * units[i].ns;

			if (ns > 1e18) {
				log_error("invalid %s '%s': too long", what, text);
				return -ERANGE;
			}
			*out_ns = (uint64_t)llround(ns);
			return 0;
		}
	}
	return bad(what, text, expected);
}

int parse_u64(const char *what, const char *text, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!text || !*text || !isdigit((unsigned char)*text))
		return bad(what, text, "a non-negative integer");
	errno = 0;
	/* Base 10 unless "0x": base 0 would read "010" as octal 8. */
	if (text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
		if (!isxdigit((unsigned char)text[2]))  /* strtoull takes " -5" */
			return bad(what, text, "a non-negative integer");
		v = strtoull(text + 2, &end, 16);
	} else {
		v = strtoull(text, &end, 10);
	}
	if (errno || *end)
		return bad(what, text, "a non-negative integer");
	if (v < min || v > max) {
		log_error("invalid %s '%s': must be between %llu and %llu", what, text,
			  (unsigned long long)min, (unsigned long long)max);
		return -ERANGE;
	}
	*out = v;
	return 0;
}

int parse_i64(const char *what, const char *text, int64_t min, int64_t max, int64_t *out)
{
	char *end;
	long long v;

	if (!text || !*text || isspace((unsigned char)*text))
		return bad(what, text, "an integer");
	errno = 0;
	v = strtoll(text, &end, 10);
	if (errno || *end || end == text)
		return bad(what, text, "an integer");
	if (v < min || v > max) {
		log_error("invalid %s '%s': must be between %lld and %lld", what, text,
			  (long long)min, (long long)max);
		return -ERANGE;
	}
	*out = v;
	return 0;
}

int parse_double(const char *what, const char *text, double min, double max, double *out)
{
	char *end;
	double v;

	if (!text || !*text || isspace((unsigned char)*text))
		return bad(what, text, "a number");
	errno = 0;
	v = strtod(text, &end);
	if (errno || *end || end == text || !isfinite(v))
		return bad(what, text, "a number");
	if (v < min || v > max) {
		log_error("invalid %s '%s': must be between %g and %g", what, text, min, max);
		return -ERANGE;
	}
	*out = v;
	return 0;
}

int parse_fraction(const char *what, const char *text, double *out)
{
	const char *expected = "a fraction such as 0.05 or a percentage such as 5%";
	char *end;
	double v;

	if (!text || !*text || isspace((unsigned char)*text))
		return bad(what, text, expected);
	errno = 0;
	v = strtod(text, &end);
	if (errno || end == text || !isfinite(v))
		return bad(what, text, expected);
	if (strcmp(end, "%") == 0)
		v /= 100.0;
	else if (*end)
		return bad(what, text, expected);
	if (v < 0 || v > 1) {
		log_error("invalid %s '%s': must be between 0 and 1 (0%% and 100%%)", what, text);
		return -ERANGE;
	}
	*out = v;
	return 0;
}

int parse_rate_hz(const char *what, const char *text, double *out_hz)
{
	const char *expected = "a rate such as 1000, 1/s, 5/ms or 100/min";
	char *end;
	double v, per_s = 1.0;

	if (!text || !*text || isspace((unsigned char)*text))
		return bad(what, text, expected);
	errno = 0;
	v = strtod(text, &end);
	if (errno || end == text || !isfinite(v) || v < 0)
		return bad(what, text, expected);
	if (*end == '/') {
		if (!strcmp(end, "/s"))
			per_s = 1.0;
		else if (!strcmp(end, "/ms"))
			per_s = 1e-3;
		else if (!strcmp(end, "/us"))
			per_s = 1e-6;
		else if (!strcmp(end, "/min") || !strcmp(end, "/m"))
			per_s = 60.0;
		else
			return bad(what, text, expected);
	} else if (*end) {
		return bad(what, text, expected);
	}
	if (!isfinite(v / per_s)) {
		log_error("invalid %s '%s': too high", what, text);
		return -ERANGE;
	}
	*out_hz = v / per_s;
	return 0;
}

int parse_endpoint(const char *what, const char *text,
		   struct sockaddr_storage *out, socklen_t *out_len)
{
	const char *expected = "ADDR:PORT, e.g. 198.18.0.2:9999 or [2001:db8::2]:9999";
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM }, *res = NULL;
	char host[256];
	const char *colon, *port;
	uint64_t port_num;
	char *end;
	size_t hlen;
	int err;

	if (!text || !*text)
		return bad(what, text, expected);
	if (text[0] == '[') {
		const char *close = strchr(text, ']');

		if (!close || close[1] != ':')
			return bad(what, text, expected);
		hlen = (size_t)(close - text - 1);
		if (hlen == 0 || hlen >= sizeof(host))
			return bad(what, text, expected);
		memcpy(host, text + 1, hlen);
		port = close + 2;
		hints.ai_family = AF_INET6;
		hints.ai_flags = AI_NUMERICHOST;
	} else {
		colon = strrchr(text, ':');
		if (!colon || strchr(text, ':') != colon)
			return bad(what, text, expected);
		hlen = (size_t)(colon - text);
		if (hlen == 0 || hlen >= sizeof(host))
			return bad(what, text, expected);
		memcpy(host, text, hlen);
		port = colon + 1;
		hints.ai_family = AF_UNSPEC;
	}
	host[hlen] = '\0';
	/* Checked here rather than with parse_u64 so a bad port logs one line. */
	errno = 0;
	port_num = isdigit((unsigned char)*port) ? strtoull(port, &end, 10) : 0;
	if (!isdigit((unsigned char)*port) || errno || *end || port_num > 65535)
		return bad(what, text, expected);
	err = getaddrinfo(host, NULL, &hints, &res);
	if (err || !res) {
		log_error("invalid %s '%s': cannot resolve '%s': %s", what, text, host,
			  gai_strerror(err));
		return -EINVAL;
	}
	memset(out, 0, sizeof(*out));
	memcpy(out, res->ai_addr, res->ai_addrlen);
	*out_len = res->ai_addrlen;
	if (out->ss_family == AF_INET)
		((struct sockaddr_in *)out)->sin_port = htons((uint16_t)port_num);
	else
		((struct sockaddr_in6 *)out)->sin6_port = htons((uint16_t)port_num);
	freeaddrinfo(res);
	return 0;
}

char *format_endpoint(const struct sockaddr *sa, char *buf, unsigned long len)
{
	char addr[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		inet_ntop(AF_INET, &in->sin_addr, addr, sizeof(addr));
		snprintf(buf, len, "%s:%u", addr, ntohs(in->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;

		inet_ntop(AF_INET6, &in6->sin6_addr, addr, sizeof(addr));
		/* A scoped (link-local) address keeps its interface, by index,
		 * so that the text parses back to the same address. */
		if (in6->sin6_scope_id)
			snprintf(buf, len, "[%s%%%u]:%u", addr, in6->sin6_scope_id,
				 ntohs(in6->sin6_port));
		else
			snprintf(buf, len, "[%s]:%u", addr, ntohs(in6->sin6_port));
	} else {
		snprintf(buf, len, "<family %d>", sa->sa_family);
	}
	return buf;
}

char *format_endpoint_raw(int af, const void *addr, uint16_t port_be, char *buf, unsigned long len)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (af == AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

		in6->sin6_family = AF_INET6;
		memcpy(&in6->sin6_addr, addr, sizeof(in6->sin6_addr));
		in6->sin6_port = port_be;
	} else {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;

		in->sin_family = (sa_family_t)af;
		if (af == AF_INET)
			memcpy(&in->sin_addr, addr, sizeof(in->sin_addr));
		in->sin_port = port_be;
	}
	return format_endpoint((struct sockaddr *)&ss, buf, len);
}

int parse_address(const char *what, const char *text, struct sockaddr_storage *out)
{
	struct sockaddr_in *in = (struct sockaddr_in *)out;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)out;
	char buf[INET6_ADDRSTRLEN + 2];
	const char *host = text ? text : "";
	size_t len = strlen(host);

	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, host, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		return 0;
	}
	if (len >= 2 && len < sizeof(buf) && host[0] == '[' && host[len - 1] == ']') {
		memcpy(buf, host + 1, len - 2);
		buf[len - 2] = '\0';
		host = buf;
	}
	if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		return 0;
	}
	return bad(what, text, "an IPv4 or IPv6 address such as 127.0.0.1 or ::1");
}
