/* parse: strict parsing of command-line numbers, durations and endpoints.
 * Every function returns 0 or -EINVAL/-ERANGE and never accepts trailing junk;
 * on error it logs one line naming the bad text and @what (e.g. "--stall"). */
#pragma once
#include <stdint.h>
#include <sys/socket.h>

/* parse_duration_ns - "10ms", "400us", "1.5s", "250ns", "2m"; a bare number is
 * rejected (units are mandatory) unless it is "0". */
int parse_duration_ns(const char *what, const char *text, uint64_t *out_ns);
/* parse_u64 - decimal (or 0x hex) integer within [min, max]. */
int parse_u64(const char *what, const char *text, uint64_t min, uint64_t max, uint64_t *out);
/* parse_i64 - signed decimal integer within [min, max]. */
int parse_i64(const char *what, const char *text, int64_t min, int64_t max, int64_t *out);
/* parse_double - finite floating-point number within [min, max]. */
int parse_double(const char *what, const char *text, double min, double max, double *out);
/* parse_fraction - "2%" -> 0.02, "0.02" -> 0.02; result within [0, 1]. */
int parse_fraction(const char *what, const char *text, double *out);
/* parse_rate_hz - "1/s", "5/ms", "100/min", "1000" (per second) -> events per second. */
int parse_rate_hz(const char *what, const char *text, double *out_hz);

/* parse_endpoint - "198.18.0.2:9999", "[2001:db8::1]:53", "localhost:9999".
 * Writes the address into @out and its length into @out_len. */
int parse_endpoint(const char *what, const char *text,
		   struct sockaddr_storage *out, socklen_t *out_len);
/* format_endpoint - inverse of parse_endpoint, into @buf ("[v6]:port" for IPv6,
 * "[v6%IFINDEX]:port" for a scoped one). */
char *format_endpoint(const struct sockaddr *sa, char *buf, unsigned long len);
/* format_endpoint_raw - format_endpoint of a bare address: @af (AF_INET or
 * AF_INET6), @addr (4 or 16 bytes), @port_be (network byte order). */
char *format_endpoint_raw(int af, const void *addr, uint16_t port_be, char *buf, unsigned long len);
/* parse_address - a numeric IPv4 or IPv6 address without a port:
 * "127.0.0.1", "::1", "[2001:db8::2]". Into @out with port 0. */
int parse_address(const char *what, const char *text, struct sockaddr_storage *out);
