#include "client_opts.h"

#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnswire.h"
#include "log.h"
#include "mcwire.h"
#include "parse.h"
#include "pausesched.h"

enum {
	OPT_FIRST_ID = 0x100,
	OPT_THINK,
	OPT_MAX_INFLIGHT,
	OPT_MAX_LAG,
	OPT_HEDGE_TARGET,
	OPT_GC_PAUSE,
	OPT_STRESS,
	OPT_PIN,
	OPT_SCHED,
	OPT_SEED,
	OPT_PROTO,
	OPT_KEYS,
	OPT_ZONE,
	OPT_KEY_PREFIX,
};

static const struct option long_opts[] = {
	{ "mode",         required_argument, NULL, 'm' },
	{ "requests",     required_argument, NULL, 'n' },
	{ "warmup",       required_argument, NULL, 'w' },
	{ "first-id",     required_argument, NULL, OPT_FIRST_ID },
	{ "timeout",      required_argument, NULL, 't' },
	{ "think",        required_argument, NULL, OPT_THINK },
	{ "rate",         required_argument, NULL, 'r' },
	{ "max-inflight", required_argument, NULL, OPT_MAX_INFLIGHT },
	{ "max-lag",      required_argument, NULL, OPT_MAX_LAG },
	{ "hedge-delay",  required_argument, NULL, 'd' },
	{ "hedge-target", required_argument, NULL, OPT_HEDGE_TARGET },
	{ "size",         required_argument, NULL, 's' },
	{ "gc-pause",     required_argument, NULL, OPT_GC_PAUSE },
	{ "stress",       required_argument, NULL, OPT_STRESS },
	{ "pin",          required_argument, NULL, OPT_PIN },
	{ "sched",        required_argument, NULL, OPT_SCHED },
	{ "seed",         required_argument, NULL, OPT_SEED },
	{ "proto",        required_argument, NULL, OPT_PROTO },
	{ "keys",         required_argument, NULL, OPT_KEYS },
	{ "zone",         required_argument, NULL, OPT_ZONE },
	{ "key-prefix",   required_argument, NULL, OPT_KEY_PREFIX },
	{ "out",          required_argument, NULL, 'o' },
	{ "quiet",        no_argument,       NULL, 'q' },
	{ "verbose",      no_argument,       NULL, 'v' },
	{ "help",         no_argument,       NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

void copts_usage(FILE *out)
{
	fputs(
"Usage: hedge-client [OPTIONS] HOST:PORT\n"
"\n"
"UDP request/reply load generator. --proto id (default): chaos-server's\n"
"format, a datagram whose first 4 bytes are its id (little-endian u32), echoed\n"
"back. --proto dns / memcached: real DNS queries or memcached UDP gets.\n"
"\n"
"Protocol:\n"
"      --proto P            id (default), dns (A queries for h<N>.ZONE, random\n"
"                           16-bit ids, replies matched by id and question) or\n"
"                           memcached (UDP frame header + get PREFIX<N>;\n"
"                           multi-datagram responses reassembled)\n"
"      --keys N             dns/memcached: N = request number mod N (1000)\n"
"      --zone ZONE          dns: the zone the names are in (hedge.test)\n"
"      --key-prefix P       memcached: key prefix (k)\n"
"\n"
"Mode:\n"
"  -m, --mode MODE          baseline (default): send, wait for the reply with\n"
"                           that id or the timeout; nothing hedging-like (this\n"
"                           is also the kernel-hedged arm, hedger underneath).\n"
"                           app: application-level hedging (epoll + timerfd)\n"
"  -d, --hedge-delay DUR    app: send the hedge after DUR without reply (10ms)\n"
"      --hedge-target EP    app: send the hedge to EP instead of HOST:PORT\n"
"  -t, --timeout DUR        give up on a request after DUR (1s)\n"
"\n"
"Load (closed loop unless --rate):\n"
"  -n, --requests N         measured requests (5000)\n"
"  -w, --warmup N           warm-up requests sent first, not recorded (200)\n"
"      --first-id N         id of the first warm-up request (0); measured ids\n"
"                           follow, so every arm faces the same fault schedule\n"
"      --think DUR          closed loop: wait DUR after a reply (0)\n"
"  -r, --rate R             open loop at R requests/s (1000, 2/ms, 100/min);\n"
"                           latency is from the intended send time\n"
"      --max-inflight N     open loop: at most N requests in flight (unlimited)\n"
"      --max-lag DUR        open loop: abort when sending falls DUR behind the\n"
"                           schedule for lack of CPU (1s + the GC pause)\n"
"  -s, --size N             id: request payload bytes, 12..65507 (32)\n"
"\n"
"Disturbances:\n"
"      --gc-pause DUR@RATE  stop-the-world pauses of the client thread at\n"
"                           seeded random points, e.g. 20ms@1/s\n"
"      --stress N           N CPU-burning threads (pinned with --pin)\n"
"      --pin CPU            pin the client thread (and the stress threads)\n"
"      --sched POLICY[:PRIO] other, batch, idle, fifo or rr (rt priority 10)\n"
"      --seed N             seed of the pause schedule (1)\n"
"\n"
"Output:\n"
"  -o, --out DIR            write latency.hlog (1 s HDR interval log),\n"
"                           latency.hgrm (ms), summary.csv (ns), requests.csv,\n"
"                           params.txt, summary.txt; created at the end\n"
"  -q, --quiet              no progress line (it is shown on a terminal only)\n"
"  -v, --verbose            debug messages\n"
"  -h, --help               this text\n"
"\n"
"Exit status: 0 run done (timeouts are results), 1 run failed (e.g. target\n"
"unreachable, rate not sustainable), 2 bad arguments.\n"
"\n"
"Examples:\n"
"  hedge-client --mode baseline --requests 5000 --warmup 200 --out res/base 198.18.0.2:9999\n"
"  hedge-client --mode app --hedge-delay 10ms --gc-pause 20ms@1/s 127.0.0.1:9999\n"
"  hedge-client --mode app --hedge-target 198.18.0.3:9999 198.18.0.2:9999\n"
"  hedge-client --rate 2000/s --requests 20000 --out res/open [2001:db8::2]:9999\n"
"  hedge-client --proto dns --zone hedge.test --rate 500/s 198.18.1.1:53\n"
"  hedge-client --proto memcached --mode app --hedge-target 198.18.2.1:11211 198.18.1.1:11211\n",
	      out);
}

const char *copts_mode_name(enum copts_mode mode)
{
	return mode == COPTS_MODE_APP ? "app" : "baseline";
}

static const struct { const char *name; int policy; } sched_names[] = {
	{ "other", SCHED_OTHER }, { "batch", SCHED_BATCH }, { "idle", SCHED_IDLE },
	{ "fifo", SCHED_FIFO }, { "rr", SCHED_RR },
};

const char *copts_sched_name(int policy)
{
	for (size_t i = 0; i < sizeof(sched_names) / sizeof(sched_names[0]); i++)
		if (sched_names[i].policy == policy)
			return sched_names[i].name;
	return "unchanged";
}

static int parse_sched(const char *text, struct copts *o)
{
	char name[16];
	const char *colon = strchr(text, ':');
	size_t n = colon ? (size_t)(colon - text) : strlen(text);
	uint64_t prio;

	if (n >= sizeof(name))
		goto bad;
	memcpy(name, text, n);
	name[n] = '\0';
	for (size_t i = 0; i < sizeof(sched_names) / sizeof(sched_names[0]); i++) {
		if (strcmp(name, sched_names[i].name))
			continue;
		o->sched_policy = sched_names[i].policy;
		o->sched_priority = 0;
		if (o->sched_policy == SCHED_FIFO || o->sched_policy == SCHED_RR) {
			o->sched_priority = 10;
			if (colon) {
				if (parse_u64("--sched priority", colon + 1, 1, 99, &prio))
					return -EINVAL;
				o->sched_priority = (int)prio;
			}
		} else if (colon) {
			log_error("invalid --sched '%s': only fifo and rr take a priority", text);
			return -EINVAL;
		}
		return 0;
	}
bad:
	log_error("invalid --sched '%s': expected other, batch, idle, fifo[:PRIO] or rr[:PRIO]", text);
	return -EINVAL;
}

static int parse_pin(const char *text, struct copts *o)
{
	cpu_set_t allowed;
	uint64_t cpu;

	if (parse_u64("--pin", text, 0, CPU_SETSIZE - 1, &cpu))
		return -EINVAL;
	if (sched_getaffinity(0, sizeof(allowed), &allowed) == 0 && !CPU_ISSET((int)cpu, &allowed)) {
		log_error("invalid --pin '%s': CPU %llu is not available to this process", text,
			  (unsigned long long)cpu);
		return -EINVAL;
	}
	o->pin_cpu = (int)cpu;
	return 0;
}

static uint16_t endpoint_port(const struct sockaddr_storage *ss)
{
	return ntohs(ss->ss_family == AF_INET6 ? ((const struct sockaddr_in6 *)ss)->sin6_port
					       : ((const struct sockaddr_in *)ss)->sin_port);
}

static void set_defaults(struct copts *o)
{
	memset(o, 0, sizeof(*o));
	o->mode = COPTS_MODE_BASELINE;
	o->requests = 5000;
	o->warmup = 200;
	o->timeout_ns = 1 * 1000000000ULL;
	o->hedge_delay_ns = 10 * 1000000ULL;
	o->size = 32;
	o->pin_cpu = -1;
	o->sched_policy = -1;
	o->seed = 1;
	o->proto = PROTO_ID;
	o->keys = 1000;
	o->zone = "hedge.test";
	o->key_prefix = "k";
}

/* --proto and the options that belong to one protocol only. */
static int validate_proto(const struct copts *o, bool size_given, bool keys_given,
			  bool zone_given, bool prefix_given)
{
	uint8_t wire[DNSW_MAX_NAME];
	char key[MCW_MAX_KEY + 32];

	if (o->proto != PROTO_ID && size_given) {
		log_error("--size is for --proto id; %s requests have their protocol's size",
			  proto_kind_name(o->proto));
		return -EINVAL;
	}
	if (o->proto == PROTO_ID && keys_given) {
		log_error("--keys needs --proto dns or memcached");
		return -EINVAL;
	}
	if (o->proto != PROTO_DNS && zone_given) {
		log_error("--zone needs --proto dns");
		return -EINVAL;
	}
	if (o->proto != PROTO_MEMCACHED && prefix_given) {
		log_error("--key-prefix needs --proto memcached");
		return -EINVAL;
	}
	/* The longest name must fit: "h" + 20 digits + the zone. */
	if (o->proto == PROTO_DNS &&
	    (dnsw_name_to_wire(o->zone, wire, sizeof(wire)) < 0 ||
	     (size_t)dnsw_name_to_wire(o->zone, wire, sizeof(wire)) + 22 > DNSW_MAX_NAME)) {
		log_error("invalid --zone '%s': expected a DNS name (labels of 1-63 bytes, "
			  "short enough for h<N>.ZONE)", o->zone);
		return -EINVAL;
	}
	snprintf(key, sizeof(key), "%s%llu", o->key_prefix, (unsigned long long)(o->keys - 1));
	if (o->proto == PROTO_MEMCACHED && !mcw_key_valid(key)) {
		log_error("invalid --key-prefix '%s': keys are at most %d bytes, no space or "
			  "control characters", o->key_prefix, MCW_MAX_KEY);
		return -EINVAL;
	}
	return 0;
}

/* Cross-option rules, after every option has been read. */
static int validate(struct copts *o, bool hedge_delay_given, bool max_lag_given,
		    bool think_given, bool max_inflight_given)
{
	if (o->mode != COPTS_MODE_APP && (hedge_delay_given || o->has_hedge_target)) {
		log_error("--hedge-delay and --hedge-target need --mode app "
			  "(baseline never hedges; the kernel-hedged arm is baseline + hedger)");
		return -EINVAL;
	}
	if (o->mode == COPTS_MODE_APP && o->hedge_delay_ns >= o->timeout_ns) {
		log_error("--hedge-delay must be shorter than --timeout, or no hedge is ever sent");
		return -EINVAL;
	}
	if (o->timeout_ns == 0) {
		log_error("invalid --timeout '0': must be above zero");
		return -EINVAL;
	}
	if (copts_is_open_loop(o) && think_given) {
		log_error("--think is for the closed loop; it cannot be combined with --rate");
		return -EINVAL;
	}
	if (!copts_is_open_loop(o) && (max_lag_given || max_inflight_given)) {
		log_error("--max-lag and --max-inflight need --rate (open loop)");
		return -EINVAL;
	}
	if (max_lag_given && o->max_lag_ns == 0) {
		log_error("invalid --max-lag '0': must be above zero (every send is a little late)");
		return -EINVAL;
	}
	if (o->first_id + o->warmup + o->requests > (1ULL << 32)) {
		log_error("--first-id + --warmup + --requests exceed the 32-bit id space");
		return -EINVAL;
	}
	/* 1 s: this VM has stalled a client thread (even SCHED_FIFO) for ~0.2 s
	 * under other load; a rate that really cannot be sustained makes the lag
	 * grow without bound and still trips this soon enough. */
	if (!max_lag_given)
		o->max_lag_ns = 1000 * 1000000ULL + o->gc_pause_ns;
	return 0;
}

int copts_parse(int argc, char **argv, struct copts *o)
{
	bool hedge_delay_given = false, max_lag_given = false, think_given = false;
	bool max_inflight_given = false, size_given = false, keys_given = false;
	bool zone_given = false, prefix_given = false;
	uint64_t v;
	int c;

	set_defaults(o);
	optind = 0;       /* full getopt reset, so tests can parse repeatedly */
	opterr = 0;       /* our own one-line messages below */
	while ((c = getopt_long(argc, argv, ":m:n:w:t:r:d:s:o:qvh", long_opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			if (!strcmp(optarg, "baseline")) {
				o->mode = COPTS_MODE_BASELINE;
			} else if (!strcmp(optarg, "app")) {
				o->mode = COPTS_MODE_APP;
			} else {
				log_error("invalid --mode '%s': expected baseline or app", optarg);
				return -EINVAL;
			}
			break;
		case 'n':
			if (parse_u64("--requests", optarg, 1, 100000000, &o->requests))
				return -EINVAL;
			break;
		case 'w':
			if (parse_u64("--warmup", optarg, 0, 100000000, &o->warmup))
				return -EINVAL;
			break;
		case OPT_FIRST_ID:
			if (parse_u64("--first-id", optarg, 0, UINT32_MAX, &o->first_id))
				return -EINVAL;
			break;
		case 't':
			if (parse_duration_ns("--timeout", optarg, &o->timeout_ns))
				return -EINVAL;
			break;
		case OPT_THINK:
			if (parse_duration_ns("--think", optarg, &o->think_ns))
				return -EINVAL;
			think_given = true;
			break;
		case 'r':
			if (parse_rate_hz("--rate", optarg, &o->rate_hz))
				return -EINVAL;
			if (o->rate_hz <= 0 || o->rate_hz > COPTS_MAX_RATE) {
				log_error("invalid --rate '%s': must be above 0 and at most %.0f/s",
					  optarg, COPTS_MAX_RATE);
				return -EINVAL;
			}
			break;
		case OPT_MAX_INFLIGHT:
			if (parse_u64("--max-inflight", optarg, 1, 100000000, &o->max_inflight))
				return -EINVAL;
			max_inflight_given = true;
			break;
		case OPT_MAX_LAG:
			if (parse_duration_ns("--max-lag", optarg, &o->max_lag_ns))
				return -EINVAL;
			max_lag_given = true;
			break;
		case 'd':
			if (parse_duration_ns("--hedge-delay", optarg, &o->hedge_delay_ns))
				return -EINVAL;
			hedge_delay_given = true;
			break;
		case OPT_HEDGE_TARGET:
			if (parse_endpoint("--hedge-target", optarg, &o->hedge_target,
					   &o->hedge_target_len))
				return -EINVAL;
			o->has_hedge_target = true;
			o->hedge_target_text = optarg;
			break;
		case 's':
			if (parse_u64("--size", optarg, COPTS_HEADER_SIZE, COPTS_MAX_SIZE, &o->size))
				return -EINVAL;
			size_given = true;
			break;
		case OPT_PROTO:
			if (proto_kind_parse(optarg, &o->proto)) {
				log_error("invalid --proto '%s': expected id, dns or memcached", optarg);
				return -EINVAL;
			}
			break;
		case OPT_KEYS:
			if (parse_u64("--keys", optarg, 1, 100000000, &o->keys))
				return -EINVAL;
			keys_given = true;
			break;
		case OPT_ZONE:
			o->zone = optarg;
			zone_given = true;
			break;
		case OPT_KEY_PREFIX:
			o->key_prefix = optarg;
			prefix_given = true;
			break;
		case OPT_GC_PAUSE:
			if (pause_parse_spec("--gc-pause", optarg, &o->gc_pause_ns, &o->gc_pause_rate_hz))
				return -EINVAL;
			break;
		case OPT_STRESS:
			if (parse_u64("--stress", optarg, 0, 256, &o->stress))
				return -EINVAL;
			break;
		case OPT_PIN:
			if (parse_pin(optarg, o))
				return -EINVAL;
			break;
		case OPT_SCHED:
			if (parse_sched(optarg, o))
				return -EINVAL;
			break;
		case OPT_SEED:
			if (parse_u64("--seed", optarg, 0, UINT64_MAX, &v))
				return -EINVAL;
			o->seed = v;
			break;
		case 'o':
			if (!*optarg) {
				log_error("invalid --out '': expected a directory");
				return -EINVAL;
			}
			o->out_dir = optarg;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			copts_usage(stdout);
			o->help = true;
			return 0;
		case ':':
			log_error("option '%s' needs a value (try --help)", argv[optind - 1]);
			return -EINVAL;
		default:
			log_error("unknown option '%s' (try --help)", argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (optind == argc) {
		log_error("missing HOST:PORT (try --help)");
		return -EINVAL;
	}
	if (optind != argc - 1) {
		log_error("exactly one HOST:PORT expected, got '%s' too (try --help)", argv[argc - 1]);
		return -EINVAL;
	}
	o->target_text = argv[optind];
	if (parse_endpoint("target", o->target_text, &o->target, &o->target_len))
		return -EINVAL;
	if (endpoint_port(&o->target) == 0) {
		log_error("invalid target '%s': port 0 cannot be sent to", o->target_text);
		return -EINVAL;
	}
	if (o->has_hedge_target && endpoint_port(&o->hedge_target) == 0) {
		log_error("invalid --hedge-target '%s': port 0 cannot be sent to",
			  o->hedge_target_text);
		return -EINVAL;
	}
	if (validate_proto(o, size_given, keys_given, zone_given, prefix_given))
		return -EINVAL;
	return validate(o, hedge_delay_given, max_lag_given, think_given, max_inflight_given);
}
