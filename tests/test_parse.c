/* test_parse: the strict parsers of lib/parse.h accept the documented forms
 * and refuse everything else with one error line naming the bad text. */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

#include <stdio.h>

/* stderr is captured to check the parsers' messages: report failures on
 * the original stderr instead. */
static FILE *test_report;
#define CHECK_OUT (test_report ? test_report : stdout)

#include "log.h"
#include "parse.h"
#include "check.h"

/* Error lines go to a temporary file, so a test can check what they say. */
static FILE *errlog;

static void errlog_start(void)
{
	fflush(stderr);
	REQUIRE(errlog = tmpfile(), "tmpfile");
}

/* errlog_lines - how many lines were logged since the last call; the last
 * one in @last. */
static int errlog_lines(char *last, size_t len)
{
	static long seen;
	char line[512];
	int n = 0;

	fflush(stderr);
	fseek(errlog, seen, SEEK_SET);
	while (fgets(line, sizeof(line), errlog)) {
		n++;
		snprintf(last, len, "%s", line);
	}
	seen = ftell(errlog);
	return n;
}

/* expect_error - @err is an error, with exactly one line naming @text. */
static void expect_error(const char *what, const char *text, int err)
{
	char line[512] = "";
	int lines = errlog_lines(line, sizeof(line));

	CHECK(err == -EINVAL || err == -ERANGE, "%s '%s' accepted (%d)", what, text, err);
	CHECK(lines == 1, "%s '%s': %d error lines", what, text, lines);
	CHECK(lines != 1 || strstr(line, text), "%s '%s': error does not name it: %s", what, text,
	      line);
}

static void expect_silent(const char *what, const char *text)
{
	char line[512] = "";

	CHECK(errlog_lines(line, sizeof(line)) == 0, "%s '%s': logged %s", what, text, line);
}

static void test_durations(void)
{
	static const struct { const char *text; uint64_t ns; } good[] = {
		{ "10ms", 10000000 }, { "400us", 400000 }, { "1.5s", 1500000000 }, { "0", 0 },
		{ "250ns", 250 }, { "2m", 120000000000ULL }, { "1h", 3600000000000ULL },
		{ "0.5ms", 500000 }, { "0s", 0 },
	};
	static const char *const bad[] = {
		"", "10", "ms", "-1ms", "10xs", "1.5.5s", " 10ms", "10 ms", "10ms ", "+1ms",
		"nan", "infs", "1e30h", "0x10ms",
	};
	uint64_t ns;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ns = 12345;
		CHECK(parse_duration_ns("--stall", good[i].text, &ns) == 0 && ns == good[i].ns,
		      "duration '%s' -> %llu", good[i].text, (unsigned long long)ns);
		expect_silent("duration", good[i].text);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_error("duration", bad[i], parse_duration_ns("--stall", bad[i], &ns));
}

static void test_integers(void)
{
	uint64_t u;
	int64_t s;

	CHECK(parse_u64("--count", "42", 0, 100, &u) == 0 && u == 42, "u64 42");
	CHECK(parse_u64("--count", "0x10", 0, 100, &u) == 0 && u == 16, "u64 0x10");
	CHECK(parse_u64("--count", "010", 0, 100, &u) == 0 && u == 10, "u64 010 is decimal: %llu",
	      (unsigned long long)u);
	CHECK(parse_u64("--count", "18446744073709551615", 0, UINT64_MAX, &u) == 0 &&
	      u == UINT64_MAX, "u64 max");
	expect_silent("u64", "good values");
	expect_error("u64", "101", parse_u64("--count", "101", 0, 100, &u));
	expect_error("u64", "4", parse_u64("--count", "4", 5, 100, &u));
	expect_error("u64", "-1", parse_u64("--count", "-1", 0, 100, &u));
	expect_error("u64", "12abc", parse_u64("--count", "12abc", 0, 100, &u));
	expect_error("u64", "", parse_u64("--count", "", 0, 100, &u));
	expect_error("u64", "18446744073709551616",
		     parse_u64("--count", "18446744073709551616", 0, UINT64_MAX, &u));
	expect_error("u64", "1.5", parse_u64("--count", "1.5", 0, 100, &u));
	expect_error("u64", "0x", parse_u64("--count", "0x", 0, 100, &u));
	expect_error("u64", "0x-5", parse_u64("--count", "0x-5", 0, UINT64_MAX, &u));

	CHECK(parse_i64("--offset", "-42", -100, 100, &s) == 0 && s == -42, "i64 -42");
	CHECK(parse_i64("--offset", "+7", -100, 100, &s) == 0 && s == 7, "i64 +7");
	expect_silent("i64", "good values");
	expect_error("i64", "-101", parse_i64("--offset", "-101", -100, 100, &s));
	expect_error("i64", "7x", parse_i64("--offset", "7x", -100, 100, &s));
	expect_error("i64", " 7", parse_i64("--offset", " 7", -100, 100, &s));
	expect_error("i64", "99999999999999999999",
		     parse_i64("--offset", "99999999999999999999", INT64_MIN, INT64_MAX, &s));

	double d;

	CHECK(parse_double("--scale", "1e6", 0, 1e9, &d) == 0 && d == 1e6, "double 1e6");
	expect_error("double", "inf", parse_double("--scale", "inf", 0, INFINITY, &d));
	expect_error("double", "2e9", parse_double("--scale", "2e9", 0, 1e9, &d));
}

static void test_fractions_and_rates(void)
{
	static const struct { const char *text; double v; } fractions[] = {
		{ "5%", 0.05 }, { "0.05", 0.05 }, { "100%", 1 }, { "0", 0 }, { "1", 1 },
		{ "0.5%", 0.005 },
	};
	static const struct { const char *text; double hz; } rates[] = {
		{ "1/s", 1 }, { "20/ms", 20000 }, { "1000", 1000 }, { "120/min", 2 },
		{ "3/us", 3e6 },
	};
	static const char *const bad_fractions[] = { "150%", "1.5", "-5%", "5%%", "%", "", "5 %",
						     "abc" };
	static const char *const bad_rates[] = { "/s", "5/h", "-1/s", "10/", "1/s/s", "", "fast",
						 "1e308/us" /* past DBL_MAX per second */ };
	double v;

	for (size_t i = 0; i < sizeof(fractions) / sizeof(fractions[0]); i++)
		CHECK(parse_fraction("--loss", fractions[i].text, &v) == 0 &&
		      fabs(v - fractions[i].v) < 1e-12, "fraction '%s' -> %g", fractions[i].text, v);
	expect_silent("fraction", "good values");
	for (size_t i = 0; i < sizeof(bad_fractions) / sizeof(bad_fractions[0]); i++)
		expect_error("fraction", bad_fractions[i],
			     parse_fraction("--loss", bad_fractions[i], &v));

	for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++)
		CHECK(parse_rate_hz("--rate", rates[i].text, &v) == 0 &&
		      fabs(v - rates[i].hz) < 1e-9 * rates[i].hz, "rate '%s' -> %g", rates[i].text, v);
	expect_silent("rate", "good values");
	for (size_t i = 0; i < sizeof(bad_rates) / sizeof(bad_rates[0]); i++)
		expect_error("rate", bad_rates[i], parse_rate_hz("--rate", bad_rates[i], &v));
}

static void test_endpoints(void)
{
	/* Numeric addresses only: a host name would need a resolver. */
	static const char *const bad[] = {
		"198.18.0.2", "198.18.0.2:", "198.18.0.2:70000", "198.18.0.2:99x", ":9999",
		"::1:53", "[::1]53", "[]:53", "[::1]:", "[198.18.0.2]:53", "198.18.0.999:53",
		"[::1:53", "",
	};
	struct sockaddr_storage ss;
	socklen_t len;
	char buf[128];

	CHECK(parse_endpoint("--server", "198.18.0.2:9999", &ss, &len) == 0, "v4 endpoint");
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;

		CHECK(len == sizeof(*in) && ntohs(in->sin_port) == 9999 &&
		      in->sin_addr.s_addr == htonl(0xc6120002), "v4 endpoint fields");
		CHECK(!strcmp(format_endpoint((struct sockaddr *)&ss, buf, sizeof(buf)),
			      "198.18.0.2:9999"), "format v4: %s", buf);
	} else {
		CHECK(0, "v4 endpoint family %d", ss.ss_family);
	}
	CHECK(parse_endpoint("--server", "[::1]:53", &ss, &len) == 0, "v6 endpoint");
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

		CHECK(len == sizeof(*in6) && ntohs(in6->sin6_port) == 53 &&
		      IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr), "v6 endpoint fields");
		CHECK(!strcmp(format_endpoint((struct sockaddr *)&ss, buf, sizeof(buf)),
			      "[::1]:53"), "format v6: %s", buf);
	} else {
		CHECK(0, "v6 endpoint family %d", ss.ss_family);
	}
	/* A scoped address (interface 1, lo, exists everywhere) keeps its
	 * scope when formatted, so the text parses back to the same address. */
	CHECK(parse_endpoint("--server", "[fe80::1%1]:53", &ss, &len) == 0, "scoped v6 endpoint");
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_storage back;
		socklen_t back_len;

		CHECK(((struct sockaddr_in6 *)&ss)->sin6_scope_id == 1, "scope id %u",
		      ((struct sockaddr_in6 *)&ss)->sin6_scope_id);
		CHECK(!strcmp(format_endpoint((struct sockaddr *)&ss, buf, sizeof(buf)),
			      "[fe80::1%1]:53"), "format scoped v6: %s", buf);
		CHECK(parse_endpoint("--server", buf, &back, &back_len) == 0 && back_len == len &&
		      !memcmp(&back, &ss, len), "scoped v6 round trip: %s", buf);
	} else {
		CHECK(0, "scoped v6 endpoint family %d", ss.ss_family);
	}
	expect_silent("endpoint", "good values");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_error("endpoint", bad[i], parse_endpoint("--server", bad[i], &ss, &len));
}

/* Bare addresses (--bind) and the formatter of raw address bytes. */
static void test_addresses(void)
{
	static const char *const bad[] = {
		"", "198.18.0.2:9999", "[::1]:53", "localhost", "198.18.0.999", "[::1", "::1]", "[]",
		"[198.18.0.2]",
	};
	static const uint8_t v4[4] = { 198, 18, 0, 2 };
	static const uint8_t v6[16] = { 0x20, 0x01, 0x00, 0x02, [15] = 2 };
	struct sockaddr_storage ss;
	char buf[128];

	CHECK(parse_address("--bind", "198.18.0.2", &ss) == 0 && ss.ss_family == AF_INET &&
	      ((struct sockaddr_in *)&ss)->sin_addr.s_addr == htonl(0xc6120002) &&
	      ((struct sockaddr_in *)&ss)->sin_port == 0, "v4 address");
	CHECK(parse_address("--bind", "::1", &ss) == 0 && ss.ss_family == AF_INET6 &&
	      IN6_IS_ADDR_LOOPBACK(&((struct sockaddr_in6 *)&ss)->sin6_addr), "v6 address");
	CHECK(parse_address("--bind", "[::1]", &ss) == 0 && ss.ss_family == AF_INET6, "[v6] address");
	expect_silent("address", "good values");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_error("address", bad[i], parse_address("--bind", bad[i], &ss));
	CHECK_STR(format_endpoint_raw(AF_INET, v4, htons(9999), buf, sizeof(buf)), "198.18.0.2:9999",
		  "raw v4 endpoint");
	CHECK_STR(format_endpoint_raw(AF_INET6, v6, htons(53), buf, sizeof(buf)), "[2001:2::2]:53",
		  "raw v6 endpoint");
}

int main(void)
{
	int saved_stderr = dup(STDERR_FILENO);

	REQUIRE(saved_stderr >= 0 && (test_report = fdopen(saved_stderr, "w")), "dup");
	setvbuf(test_report, NULL, _IONBF, 0);
	log_set_program("test_parse");
	errlog_start();
	REQUIRE(dup2(fileno(errlog), STDERR_FILENO) >= 0, "dup2");
	test_durations();
	test_integers();
	test_fractions_and_rates();
	test_endpoints();
	test_addresses();
	return check_done("test_parse");
}
