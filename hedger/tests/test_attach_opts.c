/* Unit test: `hedger attach` option parsing and every rule between options
 * (attach_opts.c). No root, no BPF. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include "attach_opts.h"
#include "check.h"
#include "log.h"

#define ARGV(...) ((char *[]){ "attach", __VA_ARGS__, NULL })
#define ARGC(...) ((int)(sizeof((char *[]){ "attach", __VA_ARGS__ }) / sizeof(char *)))
#define PARSE(o, ...) aopts_parse(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), (o))
#define OK(o, ...) CHECK(PARSE(o, __VA_ARGS__) == 0, "accepted: %s", #__VA_ARGS__)
#define BAD(o, ...) CHECK(PARSE(o, __VA_ARGS__) != 0, "refused: %s", #__VA_ARGS__)

#define DEV "--dev", "veth0"
#define SVC "--service", "198.18.0.2:9999"
#define REPL "--service", "198.18.1.1:9999=198.18.2.1:9999"

static struct attach_opts o;	/* large: not on the stack */

static void test_defaults(void)
{
	OK(&o, DEV, SVC);
	CHECK_STR(o.dev, "veth0", "dev");
	CHECK_EQ(o.nservices, 1, "services");
	CHECK_EQ(o.services[0].n, 1, "endpoints of a service without replicas");
	CHECK_EQ(o.services[0].ep[0].family, 4, "family");
	CHECK_EQ(ntohs(o.services[0].ep[0].port), 9999, "port");
	CHECK_EQ(o.delay_ns, 10000000, "default delay 10ms");
	CHECK_EQ(o.adaptive_permille, 0, "fixed delay");
	CHECK_EQ(o.backend, -1, "backend auto");
	CHECK_EQ(o.hook, -1, "hook auto");
	CHECK_EQ(o.id_offset, 0, "id offset");
	CHECK_EQ(o.id_width, 4, "id width");
	CHECK(!o.id_be, "little endian");
	CHECK_EQ(o.sb_size, 65536, "scoreboard");
	CHECK_EQ(o.classes, 1024, "classes");
	CHECK_EQ(o.interval_ns, 1000000000, "interval");
	CHECK_EQ(o.delay_min_ns, 1000000, "delay-min");
	CHECK_EQ(o.delay_max_ns, 50000000, "delay-max");
	CHECK_EQ(o.delay_period_ns, 100000000, "delay-period");
	CHECK_EQ(o.budget_burst, 10, "burst");
	CHECK(!o.budget_on && !o.any_replicas && !o.tied && !o.no_neigh && !o.htb_dummies && !o.help,
	      "features off");
	CHECK_EQ(aopts_max_delay_ns(&o), 10000000, "longest hold = the fixed delay");
}

static void test_values(void)
{
	OK(&o, DEV, SVC, "--delay", "5ms", "--backend", "htb", "--id-offset", "4", "--id-width", "2",
	   "--id-endian", "be", "--scoreboard-size", "1024", "--classes", "4096", "--htb-calib",
	   "1ms", "--hook", "tc", "--no-redirect-neigh", "--htb-dummies", "--interval", "0");
	CHECK_EQ(o.delay_ns, 5000000, "delay");
	CHECK_EQ(o.backend, HEDGER_BACKEND_HTB, "backend");
	CHECK(o.id_offset == 4 && o.id_width == 2 && o.id_be, "id window");
	CHECK(o.sb_size == 1024 && o.classes == 4096, "sizes");
	CHECK_EQ(o.htb_calib_ns, 1000000, "calib");
	CHECK_EQ(o.hook, HOOK_TC, "hook");
	CHECK(o.no_neigh && o.htb_dummies && o.interval_ns == 0, "flags");
	OK(&o, "-d", "lo", "-s", "[2001:2::2]:53", "-t", "300us", "-b", "recirc", "-i", "2s");
	CHECK_EQ(o.services[0].ep[0].family, 6, "IPv6 service");
	CHECK_EQ(o.backend, HEDGER_BACKEND_RECIRC, "short options");
	for (int b = 0; b < HEDGER_BACKEND_COUNT; b++) {
		if (b == HEDGER_BACKEND_BPF_QDISC)
			continue;
		char name[16];

		snprintf(name, sizeof(name), "%s", hedger_backend_name(b));
		CHECK(PARSE(&o, DEV, SVC, "--backend", name) == 0 && o.backend == b,
		      "--backend %s", name);
	}
	OK(&o, DEV, SVC, "--backend", "auto");
	CHECK_EQ(o.backend, -1, "auto");
	OK(&o, DEV, SVC, "--hook", "tcx");
	CHECK_EQ(o.hook, HOOK_TCX, "tcx");
	OK(&o, DEV, SVC, "--budget", "5%", "--budget-burst", "20");
	CHECK(o.budget_on && o.budget_milli == 50 && o.budget_burst == 20, "budget 5%% = 50 milli");
	OK(&o, DEV, SVC, "--budget", "0%");
	CHECK(o.budget_on && o.budget_milli == 0, "budget 0: no hedges");
	OK(&o, "--help");
	CHECK(o.help, "--help");
}

static void test_services(void)
{
	OK(&o, DEV, SVC, "--service", "198.18.0.3:9999", "--service", "[2001:2::3]:1");
	CHECK_EQ(o.nservices, 3, "three services");
	BAD(&o, DEV, SVC, SVC);					/* twice */
	OK(&o, DEV, "--service", "198.18.1.1:9999=198.18.1.1:9999,198.18.2.1:9999,198.18.2.1:9999");
	CHECK_EQ(o.services[0].n, 2, "VIP and duplicates skipped");
	CHECK(o.any_replicas, "replicas");
	OK(&o, DEV, "--service", "198.18.1.1:9999=198.18.1.1:9999");
	CHECK(o.services[0].n == 1 && !o.any_replicas, "only the VIP: no replicas");
	BAD(&o, DEV, "--service", "198.18.1.1:9999=");			/* nothing after = */
	BAD(&o, DEV, "--service", "198.18.1.1:9999=[2001:2::5]:9999");	/* other family */
	BAD(&o, DEV, "--service", "198.18.1.1:9999=198.18.1.2");	/* no port */
	BAD(&o, DEV, "--service", "198.18.1.1:9999=198.18.3.1:1,198.18.3.1:2,198.18.3.1:3,"
	    "198.18.3.1:4,198.18.3.1:5,198.18.3.1:6,198.18.3.1:7,198.18.3.1:8");	/* 9 */
	OK(&o, DEV, "--service", "198.18.1.1:9999=198.18.3.1:1,198.18.3.1:2,198.18.3.1:3,"
	   "198.18.3.1:4,198.18.3.1:5,198.18.3.1:6,198.18.3.1:7");
	CHECK_EQ(o.services[0].n, HEDGER_MAX_REPLICAS, "8 endpoints");

	/* 64 services fit, the 65th does not. */
	{
		char text[HEDGER_MAX_SERVICES + 1][32];
		char *argv[2 + 2 * (HEDGER_MAX_SERVICES + 1) + 1] = { "attach", "--dev", "veth0" };
		int argc = 3;

		for (int i = 0; i <= HEDGER_MAX_SERVICES; i++) {
			snprintf(text[i], sizeof(text[i]), "198.18.4.%d:9999", i + 1);
			argv[argc++] = "--service";
			argv[argc++] = text[i];
		}
		CHECK(aopts_parse(argc - 2, argv, &o) == 0 && o.nservices == HEDGER_MAX_SERVICES,
		      "64 services");
		CHECK(aopts_parse(argc, argv, &o) != 0, "65 services refused");
	}
}

static void test_endpoints(void)
{
	struct aopts_endpoint ep;

	CHECK(aopts_endpoint_parse("x", "198.18.0.2:1", &ep) == 0 && ep.family == 4, "v4");
	CHECK(aopts_endpoint_parse("x", "[::1]:65535", &ep) == 0 && ep.family == 6 &&
	      ntohs(ep.port) == 65535, "v6");
	/* Numeric only: no name is looked up (300.1.1.1 would go to DNS). */
	CHECK(aopts_endpoint_parse("x", "localhost:9999", &ep) == -EINVAL, "name refused");
	CHECK(aopts_endpoint_parse("x", "300.1.1.1:9999", &ep) == -EINVAL, "bad octet");
	CHECK(aopts_endpoint_parse("x", "example.org:53", &ep) == -EINVAL, "DNS name");
	CHECK(aopts_endpoint_parse("x", "[localhost]:53", &ep) == -EINVAL, "bracketed name");
	/* The unspecified address is no service. */
	CHECK(aopts_endpoint_parse("x", "0.0.0.0:9999", &ep) == -EINVAL, "0.0.0.0");
	CHECK(aopts_endpoint_parse("x", "[::]:9999", &ep) == -EINVAL, "::");
	CHECK(aopts_endpoint_parse("x", "[::0]:9999", &ep) == -EINVAL, "::0");
	/* Ports. */
	CHECK(aopts_endpoint_parse("x", "198.18.0.2:0", &ep) == -EINVAL, "port 0");
	CHECK(aopts_endpoint_parse("x", "198.18.0.2:65536", &ep) == -EINVAL, "port 65536");
	CHECK(aopts_endpoint_parse("x", "198.18.0.2:99999999999999999999", &ep) == -EINVAL, "huge");
	CHECK(aopts_endpoint_parse("x", "198.18.0.2:", &ep) == -EINVAL, "no port");
	CHECK(aopts_endpoint_parse("x", "198.18.0.2:+1", &ep) == -EINVAL, "sign");
	CHECK(aopts_endpoint_parse("x", "198.18.0.2:1x", &ep) == -EINVAL, "junk");
	CHECK(aopts_endpoint_parse("x", "198.18.0.2", &ep) == -EINVAL, "no colon");
	CHECK(aopts_endpoint_parse("x", ":9999", &ep) == -EINVAL, "no address");
	CHECK(aopts_endpoint_parse("x", "2001:2::1:53", &ep) == -EINVAL, "v6 without brackets");
	CHECK(aopts_endpoint_parse("x", "[2001:2::1]53", &ep) == -EINVAL, "no colon after ]");
	CHECK(aopts_endpoint_parse("x", "[198.18.0.2]:53", &ep) == -EINVAL, "v4 in brackets");
	BAD(&o, DEV, "--service", "localhost:9999");
	BAD(&o, DEV, "--service", "0.0.0.0:9999");
	BAD(&o, DEV, "--service", "198.18.1.1:9999=0.0.0.0:9999");
}

static void test_delay_rules(void)
{
	BAD(&o, DEV, SVC, "--delay", "10");		/* unit missing */
	BAD(&o, DEV, SVC, "--delay", "99us");		/* below 100us */
	BAD(&o, DEV, SVC, "--delay", "11s");		/* above 10s */
	OK(&o, DEV, SVC, "--delay", "100us");
	OK(&o, DEV, SVC, "--delay", "10s");
	OK(&o, DEV, SVC, "--delay", "p99.9");
	CHECK_EQ(o.adaptive_permille, 999, "p99.9");
	CHECK_EQ(o.delay_ns, 10000000, "adaptive starts at 10ms");
	CHECK_EQ(aopts_max_delay_ns(&o), 50000000, "longest hold = --delay-max");
	OK(&o, DEV, SVC, "--delay", "P50");
	CHECK_EQ(o.adaptive_permille, 500, "P50");
	BAD(&o, DEV, SVC, "--delay", "p101");
	BAD(&o, DEV, SVC, "--delay", "p0.5");
	BAD(&o, DEV, SVC, "--delay", "p95.55");		/* resolution 0.1 */
	/* Clamps and period only with an adaptive delay. */
	BAD(&o, DEV, SVC, "--delay-min", "2ms");
	BAD(&o, DEV, SVC, "--delay-max", "20ms");
	BAD(&o, DEV, SVC, "--delay-period", "200ms");
	BAD(&o, DEV, SVC, "--delay", "p95", "--delay-period", "9ms");
	BAD(&o, DEV, SVC, "--delay", "p95", "--delay-period", "11s");
	OK(&o, DEV, SVC, "--delay", "p95", "--delay-period", "10ms");
	BAD(&o, DEV, SVC, "--delay", "p95", "--delay-min", "30ms", "--delay-max", "20ms");
	BAD(&o, DEV, SVC, "--delay", "p95", "--delay-min", "99us");
	BAD(&o, DEV, SVC, "--delay", "p95", "--delay-max", "11s");
	/* The initial 10ms is clamped into [min, max]. */
	OK(&o, DEV, SVC, "--delay", "p95", "--delay-min", "20ms", "--delay-max", "30ms");
	CHECK_EQ(o.delay_ns, 20000000, "clamped up to --delay-min");
	OK(&o, DEV, SVC, "--delay", "p95", "--delay-min", "1ms", "--delay-max", "5ms");
	CHECK_EQ(o.delay_ns, 5000000, "clamped down to --delay-max");
	/* A later fixed --delay wins over an earlier pNN and vice versa. */
	OK(&o, DEV, SVC, "--delay", "p95", "--delay", "7ms");
	CHECK(o.adaptive_permille == 0 && o.delay_ns == 7000000, "last --delay wins");
	/* netem holds every clone the same T. */
	BAD(&o, DEV, SVC, "--delay", "p95", "--backend", "netem");
	OK(&o, DEV, SVC, "--delay", "5ms", "--backend", "netem");
}

static void test_calib(void)
{
	/* Calibration as long as the hold would release every clone at once. */
	BAD(&o, DEV, SVC, "--delay", "10ms", "--htb-calib", "20ms");
	BAD(&o, DEV, SVC, "--delay", "10ms", "--htb-calib", "10ms");
	OK(&o, DEV, SVC, "--delay", "10ms", "--htb-calib", "9999us");
	BAD(&o, DEV, SVC, "--htb-calib", "10ms");		/* the default delay is 10ms */
	BAD(&o, DEV, SVC, "--delay", "p95", "--delay-min", "2ms", "--htb-calib", "2ms");
	OK(&o, DEV, SVC, "--delay", "p95", "--delay-min", "2ms", "--htb-calib", "1ms");
	BAD(&o, DEV, SVC, "--delay", "p95", "--htb-calib", "1ms");	/* default min 1ms */
	OK(&o, DEV, SVC, "--htb-calib", "0");
}

/* --htb-finish: the size-table hold only (htb or auto, fixed delay, no
 * dummies), 1us..1ms and shorter than the delay, never with --htb-calib. */
static void test_finish(void)
{
	OK(&o, DEV, SVC, "--htb-finish", "200us");
	CHECK_EQ(o.htb_finish_ns, 200000, "finish");
	OK(&o, DEV, SVC, "--backend", "htb", "--htb-finish", "1ms");
	CHECK_EQ(o.htb_finish_ns, 1000000, "finish 1ms");
	OK(&o, DEV, SVC);
	CHECK_EQ(o.htb_finish_ns, 0, "default: off");
	BAD(&o, DEV, SVC, "--htb-finish", "1001us");		/* NET_RX's budget */
	BAD(&o, DEV, SVC, "--htb-finish", "500ns");
	BAD(&o, DEV, SVC, "--delay", "200us", "--htb-finish", "200us");
	BAD(&o, DEV, SVC, "--backend", "recirc", "--htb-finish", "200us");
	BAD(&o, DEV, SVC, "--backend", "edt", "--htb-finish", "200us");
	BAD(&o, DEV, SVC, "--backend", "htb", "--htb-dummies", "--htb-finish", "200us");
	BAD(&o, DEV, SVC, "--delay", "p95", "--htb-finish", "200us");
	BAD(&o, DEV, SVC, "--htb-calib", "100us", "--htb-finish", "200us");
	BAD(&o, DEV, SVC, "--htb-finish", "soon");
}

/* --line-shape: veth by default; macvlan only where the line is htb's
 * (htb or auto), not with --line-poll, whose poll packet enters at a. */
static void test_line_shape(void)
{
	OK(&o, DEV, SVC);
	CHECK(!o.line_macvlan, "default: veth");
	OK(&o, DEV, SVC, "--line-shape", "macvlan");
	CHECK(o.line_macvlan, "macvlan");
	OK(&o, DEV, SVC, "--backend", "htb", "--line-shape", "macvlan", "--htb-dummies");
	OK(&o, DEV, SVC, "--backend", "recirc", "--line-shape", "veth");
	CHECK(!o.line_macvlan, "veth given");
	BAD(&o, DEV, SVC, "--backend", "recirc", "--line-shape", "macvlan");
	BAD(&o, DEV, SVC, "--backend", "edt", "--line-shape", "macvlan");
	BAD(&o, DEV, SVC, "--backend", "htb", "--line-cpu", "1", "--line-poll", "--line-shape", "macvlan");
	BAD(&o, DEV, SVC, "--line-shape", "bridge");
}

/* --release-grid: by default T/20 within 10us..1ms wherever the hold may be
 * htb's size table (htb or auto, fixed delay, no dummies, a pool of at least
 * one class per tier); 0 turns it off; given where it cannot apply it is
 * refused. */
static void test_release_grid(void)
{
	struct attach_opts o;

	OK(&o, DEV, SVC);
	CHECK_EQ(o.release_grid_ns, 500000, "default: T/20 of 10ms");
	OK(&o, DEV, SVC, "--delay", "100us");
	CHECK_EQ(o.release_grid_ns, 10000, "default: at least 10us");
	OK(&o, DEV, SVC, "--delay", "5s");
	CHECK_EQ(o.release_grid_ns, 1000000, "default: at most 1ms");
	OK(&o, DEV, SVC, "--backend", "htb", "--delay", "2ms");
	CHECK_EQ(o.release_grid_ns, 100000, "htb, 2ms: 100us");
	OK(&o, DEV, SVC, "--release-grid", "0");
	CHECK_EQ(o.release_grid_ns, 0, "0: off");
	OK(&o, DEV, SVC, "--backend", "htb", "--release-grid", "250us");
	CHECK_EQ(o.release_grid_ns, 250000, "given");
	OK(&o, DEV, SVC, "--backend", "edt");
	CHECK_EQ(o.release_grid_ns, 0, "edt: no grid");
	OK(&o, DEV, SVC, "--backend", "htb", "--htb-dummies");
	CHECK_EQ(o.release_grid_ns, 0, "dummies: no grid");
	OK(&o, DEV, SVC, "--delay", "p95");
	CHECK_EQ(o.release_grid_ns, 0, "adaptive: no grid");
	OK(&o, DEV, SVC, "--classes", "16");
	CHECK_EQ(o.release_grid_ns, 0, "fewer classes than tiers: no grid");
	BAD(&o, DEV, SVC, "--backend", "edt", "--release-grid", "100us");
	BAD(&o, DEV, SVC, "--backend", "htb", "--htb-dummies", "--release-grid", "100us");
	BAD(&o, DEV, SVC, "--delay", "p95", "--release-grid", "100us");
	BAD(&o, DEV, SVC, "--classes", "16", "--release-grid", "100us");
	BAD(&o, DEV, SVC, "--release-grid", "5us");
	BAD(&o, DEV, SVC, "--release-grid", "2ms");
	BAD(&o, DEV, SVC, "--release-grid", "soon");
}

/* --carriers: on by default wherever the release grid is, unless a
 * service has replicas, it is tied, or the grid is too fine for the ring of
 * batches (2T/G + 2 > HEDGER_BATCH_RING); asked for there, refused. */
static void test_carriers(void)
{
	struct attach_opts o;

	OK(&o, DEV, SVC);
	CHECK_EQ(o.carriers, 1, "default: on with the default grid");
	OK(&o, DEV, SVC, "--carriers", "off");
	CHECK_EQ(o.carriers, 0, "off");
	OK(&o, DEV, SVC, "--release-grid", "0");
	CHECK_EQ(o.carriers, 0, "no grid: none");
	OK(&o, DEV, SVC, "--backend", "edt");
	CHECK_EQ(o.carriers, 0, "edt: none");
	OK(&o, DEV, REPL);
	CHECK_EQ(o.carriers, 0, "replicas: none");
	OK(&o, DEV, SVC, "--release-grid", "100us");
	CHECK_EQ(o.carriers, 0, "grid 100us at 10ms: 202 steps, more than the ring: none");
	OK(&o, DEV, SVC, "--release-grid", "320us");
	CHECK_EQ(o.carriers, 1, "grid 320us at 10ms: 64 steps, the ring's size");
	OK(&o, DEV, SVC, "--carriers", "on", "--release-grid", "320us");
	CHECK_EQ(o.carriers, 1, "asked, applies");
	BAD(&o, DEV, SVC, "--carriers", "on", "--release-grid", "310us");
	BAD(&o, DEV, SVC, "--carriers", "on", "--release-grid", "0");
	BAD(&o, DEV, REPL, "--carriers", "on");
	BAD(&o, DEV, SVC, "--carriers", "yes");
}

/* --line-cpu: only the size-table hold (htb, fixed delay) has a receive
 * step to steer. */
static void test_line_cpu(void)
{
	OK(&o, DEV, SVC, "--backend", "htb", "--line-cpu", "1");
	CHECK(o.line_cpu_on && o.line_cpu == 1, "line cpu");
	OK(&o, DEV, SVC, "--backend", "htb", "--line-cpu", "0");
	CHECK(o.line_cpu_on && o.line_cpu == 0, "line cpu 0 is a CPU, not 'off'");
	BAD(&o, DEV, SVC, "--line-cpu", "1");				/* auto may pick edt */
	BAD(&o, DEV, SVC, "--backend", "recirc", "--line-cpu", "1");
	BAD(&o, DEV, SVC, "--backend", "htb", "--htb-dummies", "--line-cpu", "1");
	BAD(&o, DEV, SVC, "--backend", "htb", "--delay", "p95", "--line-cpu", "1");
	BAD(&o, DEV, SVC, "--backend", "htb", "--line-cpu", "1024");
	BAD(&o, DEV, SVC, "--backend", "htb", "--line-cpu", "-1");
	BAD(&o, DEV, SVC, "--backend", "htb", "--line-cpu", "one");
}

static void test_id_window(void)
{
	OK(&o, DEV, SVC, "--id-offset", "65503", "--id-width", "4");	/* ends at 65507 */
	BAD(&o, DEV, SVC, "--id-offset", "65504", "--id-width", "4");
	BAD(&o, DEV, SVC, "--id-offset", "65500", "--id-width", "8");
	OK(&o, DEV, SVC, "--id-offset", "65499", "--id-width", "8");
	BAD(&o, DEV, SVC, "--id-offset", "65536");
	BAD(&o, DEV, SVC, "--id-width", "3");
	BAD(&o, DEV, SVC, "--id-width", "1");
	BAD(&o, DEV, SVC, "--id-width", "16");
	BAD(&o, DEV, SVC, "--id-endian", "middle");
	BAD(&o, DEV, SVC, "--scoreboard-size", "15");
	BAD(&o, DEV, SVC, "--scoreboard-size", "16777217");
	BAD(&o, DEV, SVC, "--classes", "0");
	BAD(&o, DEV, SVC, "--classes", "4097");
	/* The scoreboard is buckets of 4 slots addressed by a hash mask. */
	BAD(&o, DEV, SVC, "--scoreboard-size", "1000");
	OK(&o, DEV, SVC, "--scoreboard-size", "16");
	OK(&o, DEV, SVC, "--scoreboard-size", "16777216");
}

static void test_proto_scope(void)
{
	OK(&o, DEV, SVC);
	CHECK_EQ(o.proto, HEDGER_PROTO_ID, "default profile: id");
	CHECK(!o.cgroup, "no cgroup scope by default");
	OK(&o, DEV, SVC, "--proto", "dns");
	CHECK_EQ(o.proto, HEDGER_PROTO_DNS, "dns");
	CHECK(o.id_offset == 0 && o.id_width == 2 && o.id_be, "dns: 16-bit big-endian id first");
	OK(&o, DEV, SVC, "--proto", "memcached");
	CHECK_EQ(o.proto, HEDGER_PROTO_MEMCACHED, "memcached");
	CHECK(o.id_offset == 0 && o.id_width == 2 && o.id_be, "memcached: request id first");
	OK(&o, DEV, SVC, "--proto", "id", "--id-width", "8");
	BAD(&o, DEV, SVC, "--proto", "dns", "--id-width", "4");
	BAD(&o, DEV, SVC, "--id-offset", "2", "--proto", "memcached");
	BAD(&o, DEV, SVC, "--proto", "http");
	OK(&o, DEV, SVC, "--cgroup", "/sys/fs/cgroup/unified/x");
	CHECK_STR(o.cgroup, "/sys/fs/cgroup/unified/x", "cgroup path kept for the config step");
	BAD(&o, DEV, SVC, "--cgroup", "");
}

static void test_replica_rules(void)
{
	OK(&o, DEV, REPL, "--replica-policy", "fastest");
	CHECK_EQ(o.replica_policy, HEDGER_RP_FASTEST, "fastest");
	OK(&o, DEV, REPL, "--replica-policy", "round-robin");
	CHECK_EQ(o.replica_policy, HEDGER_RP_ROUND_ROBIN, "round-robin");
	BAD(&o, DEV, REPL, "--replica-policy", "slowest");
	BAD(&o, DEV, SVC, "--replica-policy", "fastest");		/* no replicas */
	OK(&o, DEV, REPL, "--tied", "2");
	CHECK_EQ(o.tied, 2, "tied");
	BAD(&o, DEV, SVC, "--tied", "2");				/* no replicas */
	BAD(&o, DEV, REPL, "--tied", "3");				/* only 2 */
	BAD(&o, DEV, REPL, "--tied", "1");
	BAD(&o, DEV, REPL, "--tied", "9");
	BAD(&o, DEV, REPL, "--tied", "2", "--delay", "p95");		/* copies go at once */
	/* A service without replicas next to one with them: tied applies to the latter. */
	OK(&o, DEV, REPL, SVC, "--tied", "2");
	BAD(&o, DEV, SVC, "--budget", "150%");
	BAD(&o, DEV, SVC, "--budget", "5%", "--budget-burst", "0");
	BAD(&o, DEV, SVC, "--budget-burst", "1000001");
}

static void test_command_line(void)
{
	BAD(&o, DEV);						/* no service */
	BAD(&o, SVC);						/* no dev */
	BAD(&o, DEV, SVC, "extra");				/* positional */
	BAD(&o, DEV, SVC, "--frobnicate");			/* unknown option */
	BAD(&o, DEV, SVC, "-x");
	BAD(&o, DEV, "--service");				/* missing argument */
	BAD(&o, DEV, SVC, "--backend", "carrier-pigeon");
	BAD(&o, DEV, SVC, "--backend", "bpf-qdisc");		/* reserved, not built */
	BAD(&o, DEV, SVC, "--hook", "xdp");
	BAD(&o, DEV, SVC, "--interval", "1");
	/* The hedger's own devices are no client interface. */
	BAD(&o, "--dev", "khd5a", SVC);
	BAD(&o, "--dev", "khd12b", SVC);
	BAD(&o, "--dev", "khp4242a", SVC);
	OK(&o, "--dev", "khd", SVC);
	OK(&o, "--dev", "khdx0a", SVC);
	OK(&o, "--dev", "khd5ab", SVC);
	CHECK(aopts_dev_is_own("khd1a") && aopts_dev_is_own("khp123456b"), "own devices");
	CHECK(!aopts_dev_is_own("eth0") && !aopts_dev_is_own("khda") && !aopts_dev_is_own("khd1c"),
	      "other devices");
}

int main(void)
{
	log_set_program("test_attach_opts");
	test_defaults();
	test_values();
	test_services();
	test_endpoints();
	test_delay_rules();
	test_calib();
	test_finish();
	test_line_shape();
	test_line_cpu();
	test_release_grid();
	test_carriers();
	test_id_window();
	test_proto_scope();
	test_replica_rules();
	test_command_line();
	return check_done("attach_opts");
}
