/* Unit test: hedge-client argument parsing and validation. */
#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "client_opts.h"
#include "log.h"

#define ARGV(...) ((char *[]){ "hedge-client", __VA_ARGS__, NULL })
#define ARGC(...) ((int)(sizeof((char *[]){ "hedge-client", __VA_ARGS__ }) / sizeof(char *)))
#define PARSE(o, ...) copts_parse(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), (o))

static void test_defaults(void)
{
	struct copts o;

	CHECK(PARSE(&o, "127.0.0.1:9999") == 0, "minimal command line");
	CHECK(o.mode == COPTS_MODE_BASELINE, "baseline by default");
	CHECK(o.requests == 5000 && o.warmup == 200 && o.first_id == 0, "reference load");
	CHECK(o.timeout_ns == 1000000000ULL, "1 s timeout");
	CHECK(o.hedge_delay_ns == 10000000ULL, "10 ms hedge delay");
	CHECK(!copts_is_open_loop(&o), "closed loop by default");
	CHECK(o.target.ss_family == AF_INET &&
	      ntohs(((struct sockaddr_in *)&o.target)->sin_port) == 9999, "target parsed");
	CHECK(o.pin_cpu == -1 && o.sched_policy == -1 && o.gc_pause_ns == 0, "no disturbance");
}

static void test_valid(void)
{
	struct copts o;

	CHECK(PARSE(&o, "--mode", "app", "--hedge-delay", "5ms", "--hedge-target", "127.0.0.2:9998",
		    "-n", "100", "-w", "0", "--first-id", "1000", "[::1]:9999") == 0, "app mode");
	CHECK(o.mode == COPTS_MODE_APP && o.hedge_delay_ns == 5000000 && o.has_hedge_target,
	      "app fields");
	CHECK(o.target.ss_family == AF_INET6, "IPv6 target");
	CHECK(o.requests == 100 && o.warmup == 0 && o.first_id == 1000, "load fields");

	CHECK(PARSE(&o, "--rate", "2/ms", "--max-inflight", "8", "--max-lag", "50ms",
		    "127.0.0.1:1") == 0, "open loop");
	CHECK(o.rate_hz == 2000 && o.max_inflight == 8 && o.max_lag_ns == 50000000, "open fields");

	CHECK(PARSE(&o, "--rate", "100", "--gc-pause", "20ms@1/s", "127.0.0.1:1") == 0, "pauses");
	CHECK(o.max_lag_ns == 1020000000ULL, "default --max-lag covers a pause: %llu",
	      (unsigned long long)o.max_lag_ns);

	CHECK(PARSE(&o, "--sched", "fifo:20", "--pin", "0", "--stress", "2", "--seed", "9",
		    "--think", "1ms", "--size", "12", "127.0.0.1:1") == 0, "disturbances");
	CHECK(o.sched_policy == SCHED_FIFO && o.sched_priority == 20 && o.pin_cpu == 0 &&
	      o.stress == 2 && o.seed == 9 && o.think_ns == 1000000 && o.size == 12, "fields");
	CHECK(PARSE(&o, "--sched", "idle", "127.0.0.1:1") == 0 && o.sched_policy == SCHED_IDLE,
	      "idle");
	CHECK(PARSE(&o, "--help") == 0 && o.help, "--help without a target");
	/* The whole 32-bit id space, exactly. */
	CHECK(PARSE(&o, "--first-id", "4294967295", "-w", "0", "-n", "1", "127.0.0.1:1") == 0,
	      "last id");
}

static void test_invalid(void)
{
	struct copts o;

	/* Each of these must be refused with one error line (on stderr). */
	CHECK(PARSE(&o, "--mode", "fast", "127.0.0.1:1") == -EINVAL, "unknown mode");
	CHECK(copts_parse(1, ARGV(NULL), &o) == -EINVAL, "no target");
	CHECK(PARSE(&o, "127.0.0.1:1", "127.0.0.1:2") == -EINVAL, "two targets");
	CHECK(PARSE(&o, "127.0.0.1") == -EINVAL, "target without port");
	CHECK(PARSE(&o, "127.0.0.1:70000") == -EINVAL, "port out of range");
	CHECK(PARSE(&o, "--hedge-delay", "5ms", "127.0.0.1:1") == -EINVAL, "hedge in baseline");
	CHECK(PARSE(&o, "--hedge-target", "127.0.0.1:2", "127.0.0.1:1") == -EINVAL,
	      "hedge target in baseline");
	CHECK(PARSE(&o, "--mode", "app", "--hedge-delay", "2s", "127.0.0.1:1") == -EINVAL,
	      "hedge delay past the timeout");
	CHECK(PARSE(&o, "--rate", "100", "--think", "1ms", "127.0.0.1:1") == -EINVAL,
	      "think with rate");
	CHECK(PARSE(&o, "--max-inflight", "4", "127.0.0.1:1") == -EINVAL, "window without rate");
	CHECK(PARSE(&o, "--rate", "0", "127.0.0.1:1") == -EINVAL, "zero rate");
	CHECK(PARSE(&o, "--rate", "20000000", "127.0.0.1:1") == -EINVAL, "absurd rate");
	CHECK(PARSE(&o, "--requests", "0", "127.0.0.1:1") != 0, "zero requests");
	CHECK(PARSE(&o, "--requests", "-5", "127.0.0.1:1") != 0, "negative requests");
	CHECK(PARSE(&o, "--timeout", "10", "127.0.0.1:1") != 0, "duration without unit");
	CHECK(PARSE(&o, "--timeout", "0", "127.0.0.1:1") == -EINVAL, "zero timeout");
	CHECK(PARSE(&o, "--size", "4", "127.0.0.1:1") != 0, "size below the header");
	CHECK(PARSE(&o, "--size", "70000", "127.0.0.1:1") != 0, "size above UDP");
	CHECK(PARSE(&o, "--gc-pause", "20ms", "127.0.0.1:1") != 0, "pause without rate");
	CHECK(PARSE(&o, "--pin", "100000", "127.0.0.1:1") != 0, "no such CPU");
	CHECK(PARSE(&o, "--sched", "deadline", "127.0.0.1:1") == -EINVAL, "unknown policy");
	CHECK(PARSE(&o, "--sched", "other:5", "127.0.0.1:1") == -EINVAL, "priority for other");
	CHECK(PARSE(&o, "--sched", "fifo:0", "127.0.0.1:1") != 0, "rt priority 0");
	CHECK(PARSE(&o, "--first-id", "4294967295", "-w", "1", "-n", "1", "127.0.0.1:1") == -EINVAL,
	      "ids past 2^32");
	CHECK(PARSE(&o, "--bogus", "127.0.0.1:1") == -EINVAL, "unknown option");
	CHECK(PARSE(&o, "127.0.0.1:1", "--requests") == -EINVAL, "missing value");
	CHECK(PARSE(&o, "--out", "", "127.0.0.1:1") == -EINVAL, "empty --out");
	CHECK(PARSE(&o, "127.0.0.1:0") == -EINVAL, "target port 0");
	CHECK(PARSE(&o, "[::1]:0") == -EINVAL, "IPv6 target port 0");
	CHECK(PARSE(&o, "--mode", "app", "--hedge-target", "127.0.0.2:0", "127.0.0.1:1") == -EINVAL,
	      "hedge target port 0");
	CHECK(PARSE(&o, "--rate", "100", "--max-lag", "0", "127.0.0.1:1") == -EINVAL,
	      "zero --max-lag");
	CHECK(PARSE(&o, "--rate", "100", "--max-lag", "0ms", "127.0.0.1:1") == -EINVAL,
	      "zero --max-lag with a unit");
}

int main(void)
{
	log_set_program("test_opts");
	test_defaults();
	test_valid();
	test_invalid();
	return check_done("test_opts");
}
