/* attach_opts.c: `hedger attach` options - parse, then check every rule
 * between them, before anything is created (see attach_opts.h). */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <string.h>
#include <arpa/inet.h>

#include "attach_opts.h"
#include "budget.h"		/* BUDGET_UNIT */
#include "cli.h"
#include "latency_hist.h"	/* LATHIST_PERIOD_NS */
#include "log.h"
#include "parse.h"
#include "timeutil.h"

void aopts_usage(FILE *f)
{
	fprintf(f,
		"Usage: hedger attach --dev IF --service ADDR:PORT [--service ...] [options]\n"
		"Hedge UDP requests leaving IF: a clone waits --delay in a delay line and\n"
		"leaves as the hedge unless the reply came first; duplicate replies are\n"
		"dropped in the kernel. Runs in the foreground until a terminating signal\n"
		"(INT, TERM, HUP, QUIT, USR1, USR2, ALRM), then removes what it created.\n"
		"\n"
		"  -d, --dev IF                client-side interface (Ethernet or loopback)\n"
		"  -s, --service ADDR:PORT[=R1:P1,R2:P2,...]\n"
		"                              service to hedge: a numeric IPv4 or [IPv6]\n"
		"                              address (no name lookup, not 0.0.0.0 or ::;\n"
		"                              up to %d). With replicas: originals go to\n"
		"                              ADDR:PORT unchanged, hedges to another replica\n"
		"                              (up to %d incl. ADDR:PORT), replies NATed back\n"
		"      --replica-policy P      round-robin (default) or fastest (lowest\n"
		"                              recent reply latency, measured in the kernel)\n"
		"  -t, --delay DURATION|pNN    hedge delay T (default 10ms), or adaptive:\n"
		"                              the NNth percentile of recent latency (p95,\n"
		"                              p99.9), recomputed in the kernel every 100 ms\n"
		"      --delay-min DURATION    adaptive: lower clamp (default 1ms)\n"
		"      --delay-max DURATION    adaptive: upper clamp (default 50ms)\n"
		"      --delay-period DURATION adaptive: recompute period; the histogram halves\n"
		"                              each period (default 100ms)\n"
		"      --budget PERCENT        hedges <= PERCENT of requests + burst (e.g. 5%%);\n"
		"                              over budget the clone is dropped and counted\n"
		"      --budget-burst N        hedges allowed back to back (default 10)\n"
		"      --tied K                services with replicas: send the request to K\n"
		"                              replicas at once (VIP + K-1 copies, no delay);\n"
		"                              the first reply wins\n"
		"  -b, --backend NAME          auto|netem|edt|htb|recirc (default auto:\n"
		"                              edt, else htb, else recirc)\n"
		"      --proto id|dns|memcached\n"
		"                              what a request and a reply are (default id: any\n"
		"                              datagram, the id window below); dns: queries\n"
		"                              and answers by transaction id; memcached: only\n"
		"                              reads (get, gets, binary GET) are hedged, each\n"
		"                              datagram of a response passes once\n"
		"      --cgroup PATH           hedge only requests of sockets in this cgroup v2\n"
		"                              directory or below (default: every local socket;\n"
		"                              forwarded packets are never hedged)\n"
		"      --id-offset N           request id offset in the UDP payload (default 0;\n"
		"                              offset + width <= %d, the largest UDP payload)\n"
		"      --id-width 2|4|8        id width in bytes (default 4)\n"
		"      --id-endian le|be       id byte order (default le)\n"
		"      --scoreboard-size N     requests tracked at once: slots, a power of two\n"
		"                              (default 65536, 64 bytes each)\n"
		"      --classes N             htb: class pool size (default 1024, max %d);\n"
		"                              need >= request rate x (2T + 1 ms)\n"
		"      --htb-calib DURATION    htb: shorten the hold by this (watchdog lateness;\n"
		"                              less than --delay, or --delay-min if adaptive)\n"
		"      --htb-finish DURATION   htb (or auto) with the size table: HTB releases\n"
		"                              this early and a hedge still due goes round\n"
		"                              the line in BPF until its planned release (a\n"
		"                              spin of up to DURATION per hedge, none for an\n"
		"                              answered request; 1us..1ms, not with --htb-calib)\n"
		"      --htb-dummies           htb, fixed --delay: hold with a grown dummy per\n"
		"                              request (as an adaptive delay must) instead of\n"
		"                              the line's size table; for comparisons\n"
		"      --line-cpu N            htb with the size table: do the delay line's\n"
		"                              work (parking, releases) on CPU N, off the\n"
		"                              CPUs that send: the clone goes to the line's\n"
		"                              receive queue, steered by RPS (own device only)\n"
		"      --line-shape veth|macvlan  htb (auto: if chosen): macvlan puts the line's\n"
		"                              HTB on a macvlan on the line's veth, so a release\n"
		"                              reaches the rescuer in the same softirq pass\n"
		"                              (veth: a second pass, which the kernel may give\n"
		"                              to ksoftirqd); default veth\n"
		"      --line-poll             with --line-cpu: keep that CPU polling the line's\n"
		"                              receive queue, so handing a clone over needs no\n"
		"                              IPI (an IPI costs the sender ~10 us in some VMs);\n"
		"                              the CPU is busy all the time while attached\n"
		"      --release-grid DURATION htb (auto: if chosen) with the size table: while\n"
		"                              requests come densely (< DURATION/2 apart on a\n"
		"                              CPU), round each release up to a multiple of\n"
		"                              DURATION (10us .. 1ms), so clones due together\n"
		"                              leave at one timer expiry: their hedges leave up\n"
		"                              to DURATION late, never early (default T/20,\n"
		"                              10us .. 1ms; 0: off)\n"
		"      --carriers on|off       with --release-grid: the dense requests due at\n"
		"                              one grid step share one packet in the delay\n"
		"                              line (a carrier, per CPU) instead of a clone\n"
		"                              each; at the step it becomes the hedge of each\n"
		"                              one still unanswered (default on; not with\n"
		"                              replicas or --tied, nor a grid under 2T/62)\n"
		"      --hook auto|tcx|tc      attach with TCX links or clsact filters\n"
		"      --no-redirect-neigh     send hedges with bpf_redirect (keep L2 header)\n"
		"  -i, --interval DURATION     counter print interval (default 1s, 0: never)\n"
		"  -h, --help\n"
		"\n"
		"Examples:\n"
		"  hedger attach --dev veth0 --service 198.18.0.2:9999 --delay 10ms\n"
		"  hedger attach --dev veth0 --service 198.18.1.1:9999=198.18.2.1:9999 \\\n"
		"         --delay p95 --delay-min 2ms --delay-max 30ms --budget 5%% --budget-burst 20\n"
		"  hedger attach --dev eth0 --service 198.18.0.53:53 --id-width 2 --id-endian be \\\n"
		"         --backend htb --delay 5ms\n"
		"  hedger attach --dev eth0 --service 198.18.1.1:53=198.18.2.1:53 --proto dns \\\n"
		"         --cgroup /sys/fs/cgroup/unified/resolver\n",
		HEDGER_MAX_SERVICES, HEDGER_MAX_REPLICAS, AOPTS_MAX_UDP_PAYLOAD, HEDGER_MAX_CLASSES);
}

static int bad_endpoint(const char *what, const char *text, const char *why)
{
	log_error("bad %s '%s': %s", what, text, why);
	return -EINVAL;
}

int aopts_endpoint_parse(const char *what, const char *text, struct aopts_endpoint *ep)
{
	static const uint8_t zero[16];
	const char *host, *port, *end;
	char buf[INET6_ADDRSTRLEN + 2];
	uint64_t p = 0;
	size_t hlen;

	memset(ep, 0, sizeof(*ep));
	if (text[0] == '[') {
		end = strchr(text, ']');
		if (!end || end[1] != ':')
			return bad_endpoint(what, text, "expected [IPv6]:PORT, e.g. [2001:2::1]:9999");
		host = text + 1;
		hlen = (size_t)(end - host);
		port = end + 2;
		ep->family = 6;
	} else {
		end = strrchr(text, ':');
		if (!end || strchr(text, ':') != end)
			return bad_endpoint(what, text,
					    "expected ADDR:PORT, e.g. 198.18.0.2:9999 or [2001:2::1]:9999");
		host = text;
		hlen = (size_t)(end - host);
		port = end + 1;
		ep->family = 4;
	}
	if (hlen == 0 || hlen >= sizeof(buf))
		return bad_endpoint(what, text, "no address");
	memcpy(buf, host, hlen);
	buf[hlen] = '\0';
	if (inet_pton(ep->family == 6 ? AF_INET6 : AF_INET, buf, ep->addr) != 1)
		return bad_endpoint(what, text, ep->family == 6 ?
				    "not a numeric IPv6 address" :
				    "not a numeric IPv4 address (names are not looked up)");
	if (!memcmp(ep->addr, zero, ep->family == 6 ? 16 : 4))
		return bad_endpoint(what, text, "the unspecified address is not a service");
	for (const char *c = port; *c; c++) {
		if (*c < '0' || *c > '9' || p > 65535)
			return bad_endpoint(what, text, "port must be 1..65535");
		p = p * 10 + (uint64_t)(*c - '0');
	}
	if (!*port || p == 0 || p > 65535)
		return bad_endpoint(what, text, "port must be 1..65535");
	ep->port = htons((uint16_t)p);
	return 0;
}

static bool ep_equal(const struct aopts_endpoint *a, const struct aopts_endpoint *b)
{
	return a->family == b->family && a->port == b->port && !memcmp(a->addr, b->addr, 16);
}

/* add_service - "VIP:PORT" or "VIP:PORT=R1:P1,R2:P2,...". The VIP is slot 0
 * (a real server: originals are not rewritten); listed replicas equal to it
 * are skipped, so "A=A,B" and "A=B" mean the same. */
static int add_service(struct attach_opts *o, const char *text)
{
	struct aopts_service *s;
	struct aopts_endpoint rk;
	char buf[1024], *eq, *tok, *save = NULL;

	if (o->nservices >= HEDGER_MAX_SERVICES) {
		log_error("too many --service (max %d)", HEDGER_MAX_SERVICES);
		return -E2BIG;
	}
	if (strlen(text) >= sizeof(buf)) {
		log_error("bad --service: too long");
		return -EINVAL;
	}
	snprintf(buf, sizeof(buf), "%s", text);
	eq = strchr(buf, '=');
	if (eq)
		*eq++ = '\0';
	s = &o->services[o->nservices];
	memset(s, 0, sizeof(*s));
	if (aopts_endpoint_parse("--service", buf, &s->ep[0]))
		return -EINVAL;
	for (int i = 0; i < o->nservices; i++) {
		if (ep_equal(&o->services[i].ep[0], &s->ep[0])) {
			log_error("bad --service '%s': given twice", buf);
			return -EINVAL;
		}
	}
	s->n = 1;
	if (eq) {
		if (!*eq) {
			log_error("bad --service '%s': no replica after '='", text);
			return -EINVAL;
		}
		for (tok = strtok_r(eq, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			bool dup = false;

			if (aopts_endpoint_parse("--service", tok, &rk))
				return -EINVAL;
			if (rk.family != s->ep[0].family) {
				log_error("bad --service '%s': replica %s is not of the service's address family",
					  text, tok);
				return -EINVAL;
			}
			for (uint32_t i = 0; i < s->n; i++)
				dup |= ep_equal(&s->ep[i], &rk);
			if (dup)
				continue;
			if (s->n >= HEDGER_MAX_REPLICAS) {
				log_error("bad --service '%s': more than %d replicas", text,
					  HEDGER_MAX_REPLICAS);
				return -E2BIG;
			}
			s->ep[s->n++] = rk;
		}
		if (s->n > 1)
			o->any_replicas = true;
	}
	o->nservices++;
	return 0;
}

/* parse_delay - "10ms" (fixed) or "p95", "p99.9" (adaptive percentile). */
static int parse_delay(struct attach_opts *o, const char *text)
{
	double p;

	if (text[0] == 'p' || text[0] == 'P') {
		if (parse_double("--delay", text + 1, 1, 100, &p))
			return -EINVAL;
		if (fabs(p * 10 - (double)(uint32_t)(p * 10 + 0.5)) > 1e-6) {
			log_error("bad --delay '%s': percentile resolution is 0.1", text);
			return -EINVAL;
		}
		o->adaptive_permille = (uint32_t)(p * 10 + 0.5);
		return 0;
	}
	o->adaptive_permille = 0;
	return parse_duration_ns("--delay", text, &o->delay_ns);
}

bool aopts_dev_is_own(const char *name)
{
	size_t n;

	if (strncmp(name, "khd", 3) && strncmp(name, "khp", 3))
		return false;
	n = strspn(name + 3, "0123456789");
	return n > 0 && (!strcmp(name + 3 + n, "a") || !strcmp(name + 3 + n, "b"));
}

static void set_defaults(struct attach_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->delay_ns = 10 * NSEC_PER_MSEC;
	o->backend = -1;
	o->id_width = 4;
	o->sb_size = 65536;
	o->classes = 1024;
	o->interval_ns = NSEC_PER_SEC;
	o->hook = -1;
	o->delay_min_ns = NSEC_PER_MSEC;
	o->delay_max_ns = 50 * NSEC_PER_MSEC;
	o->delay_period_ns = LATHIST_PERIOD_NS;
	o->budget_burst = 10;
	o->carriers = -1;
}

/* Options that only make sense with an adaptive --delay pNN. */
struct adaptive_given {
	bool min, max, period;
};

static int parse_one(struct attach_opts *o, int opt, const char *arg, struct adaptive_given *ag);

enum { O_ID_OFF = 256, O_ID_WIDTH, O_ID_ENDIAN, O_SB, O_CLASSES, O_CALIB, O_FINISH, O_HOOK, O_NONEIGH,
       O_RPOLICY, O_DMIN, O_DMAX, O_DPERIOD, O_BUDGET, O_BURST, O_TIED, O_PROTO, O_CGROUP,
       O_HTB_DUMMIES, O_LINE_CPU, O_LINE_POLL, O_RELEASE_GRID,
       O_CARRIERS, O_LINE_SHAPE };

static int check_rules(struct attach_opts *o, const struct adaptive_given *ag);

int aopts_parse(int argc, char **argv, struct attach_opts *o)
{
	static const struct option opts[] = {
		{ "dev", required_argument, NULL, 'd' },
		{ "service", required_argument, NULL, 's' },
		{ "delay", required_argument, NULL, 't' },
		{ "backend", required_argument, NULL, 'b' },
		{ "id-offset", required_argument, NULL, O_ID_OFF },
		{ "id-width", required_argument, NULL, O_ID_WIDTH },
		{ "id-endian", required_argument, NULL, O_ID_ENDIAN },
		{ "scoreboard-size", required_argument, NULL, O_SB },
		{ "classes", required_argument, NULL, O_CLASSES },
		{ "htb-calib", required_argument, NULL, O_CALIB },
		{ "htb-finish", required_argument, NULL, O_FINISH },
		{ "htb-dummies", no_argument, NULL, O_HTB_DUMMIES },
		{ "line-cpu", required_argument, NULL, O_LINE_CPU },
		{ "line-poll", no_argument, NULL, O_LINE_POLL },
		{ "line-shape", required_argument, NULL, O_LINE_SHAPE },
		{ "release-grid", required_argument, NULL, O_RELEASE_GRID },
		{ "carriers", required_argument, NULL, O_CARRIERS },
		{ "hook", required_argument, NULL, O_HOOK },
		{ "no-redirect-neigh", no_argument, NULL, O_NONEIGH },
		{ "replica-policy", required_argument, NULL, O_RPOLICY },
		{ "delay-min", required_argument, NULL, O_DMIN },
		{ "delay-max", required_argument, NULL, O_DMAX },
		{ "delay-period", required_argument, NULL, O_DPERIOD },
		{ "budget", required_argument, NULL, O_BUDGET },
		{ "budget-burst", required_argument, NULL, O_BURST },
		{ "tied", required_argument, NULL, O_TIED },
		{ "proto", required_argument, NULL, O_PROTO },
		{ "cgroup", required_argument, NULL, O_CGROUP },
		{ "interval", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct adaptive_given ag = { 0 };
	int opt;

	set_defaults(o);
	optind = 0;	/* full reset: a test parses many command lines */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":d:s:t:b:i:h", opts, NULL)) != -1) {
		if (opt == '?' || opt == ':')
			return cli_getopt_error("attach", opt, argv);
		if (opt == 'h') {
			aopts_usage(stdout);
			o->help = true;
			return 0;
		}
		if (parse_one(o, opt, optarg, &ag))
			return -EINVAL;
	}
	if (optind != argc) {
		log_error("unexpected argument '%s' (try hedger attach --help)", argv[optind]);
		return -EINVAL;
	}
	return check_rules(o, &ag);
}

static int parse_one(struct attach_opts *o, int opt, const char *arg, struct adaptive_given *ag)
{
	double f;

	switch (opt) {
	case 'd':
		o->dev = arg;
		return 0;
	case 's':
		return add_service(o, arg);
	case 't':
		return parse_delay(o, arg);
	case O_RPOLICY:
		if (!strcmp(arg, "round-robin"))
			o->replica_policy = HEDGER_RP_ROUND_ROBIN;
		else if (!strcmp(arg, "fastest"))
			o->replica_policy = HEDGER_RP_FASTEST;
		else {
			log_error("bad --replica-policy '%s': round-robin or fastest", arg);
			return -EINVAL;
		}
		return 0;
	case O_DMIN:
		ag->min = true;
		return parse_duration_ns("--delay-min", arg, &o->delay_min_ns);
	case O_DMAX:
		ag->max = true;
		return parse_duration_ns("--delay-max", arg, &o->delay_max_ns);
	case O_DPERIOD:
		ag->period = true;
		if (parse_duration_ns("--delay-period", arg, &o->delay_period_ns))
			return -EINVAL;
		if (o->delay_period_ns < 10 * NSEC_PER_MSEC || o->delay_period_ns > 10 * NSEC_PER_SEC) {
			log_error("--delay-period out of range: 10ms .. 10s");
			return -ERANGE;
		}
		return 0;
	case O_BUDGET:
		if (parse_fraction("--budget", arg, &f))
			return -EINVAL;
		/* milli-hedges per request: 5 % -> 50 */
		o->budget_milli = (uint32_t)(f * BUDGET_UNIT + 0.5);
		o->budget_on = true;
		return 0;
	case O_TIED:
		return parse_u64("--tied", arg, 2, HEDGER_MAX_REPLICAS, &o->tied);
	case O_BURST:
		return parse_u64("--budget-burst", arg, 1, 1000000, &o->budget_burst);
	case 'b':
		o->backend = -1;
		if (!strcmp(arg, "auto"))
			return 0;
		for (int b = 0; b < HEDGER_BACKEND_COUNT; b++)
			if (b != HEDGER_BACKEND_BPF_QDISC && !strcmp(arg, hedger_backend_name(b)))
				o->backend = b;
		if (o->backend < 0) {
			log_error("unknown --backend '%s' (auto|netem|edt|htb|recirc)", arg);
			return -EINVAL;
		}
		return 0;
	case O_PROTO:
		if (!strcmp(arg, "id"))
			o->proto = HEDGER_PROTO_ID;
		else if (!strcmp(arg, "dns"))
			o->proto = HEDGER_PROTO_DNS;
		else if (!strcmp(arg, "memcached"))
			o->proto = HEDGER_PROTO_MEMCACHED;
		else {
			log_error("bad --proto '%s': id, dns or memcached", arg);
			return -EINVAL;
		}
		return 0;
	case O_CGROUP:
		if (!arg[0]) {
			log_error("bad --cgroup '': a cgroup v2 directory");
			return -EINVAL;
		}
		o->cgroup = arg;
		return 0;
	case O_ID_OFF:
		o->id_given = true;
		return parse_u64("--id-offset", arg, 0, 65535, &o->id_offset);
	case O_ID_WIDTH:
		o->id_given = true;
		if (parse_u64("--id-width", arg, 2, 8, &o->id_width))
			return -EINVAL;
		if (o->id_width != 2 && o->id_width != 4 && o->id_width != 8) {
			log_error("bad --id-width '%s': must be 2, 4 or 8", arg);
			return -EINVAL;
		}
		return 0;
	case O_ID_ENDIAN:
		o->id_given = true;
		if (strcmp(arg, "le") && strcmp(arg, "be")) {
			log_error("bad --id-endian '%s': must be le or be", arg);
			return -EINVAL;
		}
		o->id_be = !strcmp(arg, "be");
		return 0;
	case O_SB:
		if (parse_u64("--scoreboard-size", arg, 16, 1 << 24, &o->sb_size))
			return -EINVAL;
		if (o->sb_size & (o->sb_size - 1)) {
			log_error("bad --scoreboard-size '%s': must be a power of two (16 .. 16777216)", arg);
			return -EINVAL;
		}
		return 0;
	case O_CLASSES:
		return parse_u64("--classes", arg, 1, HEDGER_MAX_CLASSES, &o->classes);
	case O_CALIB:
		return parse_duration_ns("--htb-calib", arg, &o->htb_calib_ns);
	case O_FINISH:
		return parse_duration_ns("--htb-finish", arg, &o->htb_finish_ns);
	case O_HOOK:
		if (!strcmp(arg, "auto"))
			o->hook = -1;
		else if (!strcmp(arg, "tcx"))
			o->hook = HOOK_TCX;
		else if (!strcmp(arg, "tc"))
			o->hook = HOOK_TC;
		else {
			log_error("bad --hook '%s': auto, tcx or tc", arg);
			return -EINVAL;
		}
		return 0;
	case O_NONEIGH:
		o->no_neigh = true;
		return 0;
	case O_HTB_DUMMIES:
		o->htb_dummies = true;
		return 0;
	case O_LINE_CPU:
		if (parse_u64("--line-cpu", arg, 0, AOPTS_MAX_CPU, &o->line_cpu))
			return -EINVAL;
		o->line_cpu_on = true;
		return 0;
	case O_LINE_POLL:
		o->line_poll = true;
		return 0;
	case O_LINE_SHAPE:
		if (!strcmp(arg, "veth"))
			o->line_macvlan = false;
		else if (!strcmp(arg, "macvlan"))
			o->line_macvlan = true;
		else {
			log_error("bad --line-shape '%s': veth or macvlan", arg);
			return -EINVAL;
		}
		return 0;
	case O_CARRIERS:
		if (!strcmp(arg, "on"))
			o->carriers = 1;
		else if (!strcmp(arg, "off"))
			o->carriers = 0;
		else {
			log_error("bad --carriers '%s': on or off", arg);
			return -EINVAL;
		}
		return 0;
	case O_RELEASE_GRID:
		o->release_grid_given = true;
		if (!strcmp(arg, "0")) {
			o->release_grid_ns = 0;
			return 0;
		}
		if (parse_duration_ns("--release-grid", arg, &o->release_grid_ns))
			return -EINVAL;
		if (o->release_grid_ns < AOPTS_GRID_MIN_NS || o->release_grid_ns > AOPTS_GRID_MAX_NS) {
			log_error("--release-grid out of range: 0 (off) or 10us .. 1ms");
			return -ERANGE;
		}
		return 0;
	case 'i':
		return parse_duration_ns("--interval", arg, &o->interval_ns);
	default:
		return -EINVAL;
	}
}

static int check_delay(struct attach_opts *o, const struct adaptive_given *ag)
{
	bool grid_applies;

	if (!o->adaptive_permille && (ag->min || ag->max || ag->period)) {
		log_error("--delay-min/--delay-max/--delay-period need an adaptive --delay pNN (e.g. --delay p95)");
		return -EINVAL;
	}
	if (o->adaptive_permille) {
		if (o->delay_min_ns < 100 * NSEC_PER_USEC || o->delay_max_ns > 10 * NSEC_PER_SEC ||
		    o->delay_min_ns > o->delay_max_ns) {
			log_error("--delay-min/--delay-max out of range: 100us <= min <= max <= 10s");
			return -ERANGE;
		}
		/* Start at 10 ms clamped, until the first recompute. */
		o->delay_ns = 10 * NSEC_PER_MSEC;
		if (o->delay_ns < o->delay_min_ns)
			o->delay_ns = o->delay_min_ns;
		if (o->delay_ns > o->delay_max_ns)
			o->delay_ns = o->delay_max_ns;
	}
	if (o->delay_ns < 100 * NSEC_PER_USEC || o->delay_ns > 10 * NSEC_PER_SEC) {
		log_error("--delay out of range: 100us .. 10s");
		return -ERANGE;
	}
	/* A calibration as long as the shortest hold releases every clone
	 * at once: every request would be hedged. */
	if (o->htb_calib_ns && o->adaptive_permille && o->htb_calib_ns >= o->delay_min_ns) {
		log_error("--htb-calib must be shorter than --delay-min (%lluus)",
			  (unsigned long long)o->delay_min_ns / 1000);
		return -EINVAL;
	}
	if (o->htb_calib_ns && !o->adaptive_permille && o->htb_calib_ns >= o->delay_ns) {
		log_error("--htb-calib must be shorter than --delay (%lluus)",
			  (unsigned long long)o->delay_ns / 1000);
		return -EINVAL;
	}
	/* As the grid: with auto, it applies when the line is htb. */
	if (o->htb_finish_ns && ((o->backend != HEDGER_BACKEND_HTB && o->backend != -1) ||
				 o->adaptive_permille || o->htb_dummies || o->htb_calib_ns)) {
		log_error("--htb-finish needs the htb backend (or auto) at a fixed --delay (the size-table hold), without --htb-calib");
		return -EINVAL;
	}
	/* Longer, NET_RX's time budget would hand the spin to ksoftirqd (ms). */
	if (o->htb_finish_ns && (o->htb_finish_ns < NSEC_PER_USEC ||
				 o->htb_finish_ns > NSEC_PER_MSEC || o->htb_finish_ns >= o->delay_ns)) {
		log_error("--htb-finish out of range: 1us .. 1ms, and shorter than --delay");
		return -ERANGE;
	}
	if (o->line_cpu_on && (o->backend != HEDGER_BACKEND_HTB || o->adaptive_permille ||
			       o->htb_dummies)) {
		log_error("--line-cpu needs --backend htb at a fixed --delay (the size-table hold)");
		return -EINVAL;
	}
	/* The grid applies where the hold may be htb's size table; with auto,
	 * when the line is htb (edt's fq has a slack of its own). */
	grid_applies = (o->backend == HEDGER_BACKEND_HTB || o->backend == -1) &&
		       !o->adaptive_permille && !o->htb_dummies;
	if (o->release_grid_ns && !grid_applies) {
		log_error("--release-grid needs the htb backend (or auto) at a fixed --delay (the size-table hold)");
		return -EINVAL;
	}
	if (o->release_grid_ns && o->classes < HEDGER_MAX_HTB_TIERS) {
		log_error("--release-grid needs --classes >= %d (one tier of classes per hold; --release-grid 0: off)",
			  HEDGER_MAX_HTB_TIERS);
		return -EINVAL;
	}
	if (!o->release_grid_given && grid_applies && o->classes >= HEDGER_MAX_HTB_TIERS) {
		o->release_grid_ns = o->delay_ns / AOPTS_GRID_DIV;
		if (o->release_grid_ns < AOPTS_GRID_MIN_NS)
			o->release_grid_ns = AOPTS_GRID_MIN_NS;
		if (o->release_grid_ns > AOPTS_GRID_MAX_NS)
			o->release_grid_ns = AOPTS_GRID_MAX_NS;
	}
	/* The poll packet enters at a and must meet the rescuer at b only. */
	if (o->line_macvlan && ((o->backend != HEDGER_BACKEND_HTB && o->backend != -1) || o->line_poll)) {
		log_error("--line-shape macvlan needs the htb backend (or auto), without --line-poll");
		return -EINVAL;
	}
	if (o->line_poll && !o->line_cpu_on) {
		log_error("--line-poll needs --line-cpu N (the CPU that polls)");
		return -EINVAL;
	}
	/* Checked before probing, so it holds whatever this kernel has. */
	if (o->adaptive_permille && o->backend == HEDGER_BACKEND_NETEM) {
		log_error("--delay p%u.%u needs a per-packet delay backend (edt, htb, recirc): netem holds every clone the same fixed T",
			  o->adaptive_permille / 10, o->adaptive_permille % 10);
		return -EOPNOTSUPP;
	}
	return 0;
}

static int check_replicas(const struct attach_opts *o)
{
	if (o->tied) {
		if (!o->any_replicas) {
			log_error("--tied needs a --service with replicas (VIP:PORT=R1:P1,...)");
			return -EINVAL;
		}
		if (o->adaptive_permille) {
			log_error("--tied sends the copies at once: it takes no --delay pNN");
			return -EINVAL;
		}
		for (int i = 0; i < o->nservices; i++) {
			if (o->services[i].n > 1 && o->services[i].n < o->tied) {
				log_error("--tied %llu: a service has only %u replicas (VIP included)",
					  (unsigned long long)o->tied, o->services[i].n);
				return -EINVAL;
			}
		}
	}
	if (o->replica_policy && !o->any_replicas) {
		log_error("--replica-policy needs a --service with replicas (VIP:PORT=R1:P1,...)");
		return -EINVAL;
	}
	return 0;
}

/* check_carriers - carriers ride the release grid; each batch keeps its
 * requests' hedges (no replica rewrite, no tied copies), and the ring of
 * batches must outlast a carrier's hold with T to spare. */
static int check_carriers(struct attach_opts *o)
{
	bool apply = o->release_grid_ns && !o->any_replicas && !o->tied &&
		     2 * o->delay_ns / o->release_grid_ns + 2 <= HEDGER_BATCH_RING;

	if (o->carriers == 1 && !apply) {
		log_error("--carriers on needs --release-grid of at least 2T/%d, and no replicas or --tied",
			  HEDGER_BATCH_RING - 2);
		return -EINVAL;
	}
	o->carriers = o->carriers != 0 && apply;
	return 0;
}

static int check_rules(struct attach_opts *o, const struct adaptive_given *ag)
{
	int err;

	if (!o->dev || !o->nservices) {
		log_error("attach needs --dev IF and at least one --service ADDR:PORT");
		return -EINVAL;
	}
	if (aopts_dev_is_own(o->dev)) {
		log_error("--dev %s is one of the hedger's own devices (delay line or probe): attach to the client's interface",
			  o->dev);
		return -EINVAL;
	}
	if (o->id_offset + o->id_width > AOPTS_MAX_UDP_PAYLOAD) {
		log_error("id window out of range: --id-offset %llu + --id-width %llu > %d (max UDP payload)",
			  (unsigned long long)o->id_offset, (unsigned long long)o->id_width,
			  AOPTS_MAX_UDP_PAYLOAD);
		return -EINVAL;
	}
	if (o->proto != HEDGER_PROTO_ID) {
		/* DNS and memcached both carry a 16-bit big-endian id first. */
		if (o->id_given) {
			log_error("--proto %s sets the id window itself: no --id-offset/--id-width/--id-endian",
				  o->proto == HEDGER_PROTO_DNS ? "dns" : "memcached");
			return -EINVAL;
		}
		o->id_offset = 0;
		o->id_width = 2;
		o->id_be = true;
	}
	err = check_delay(o, ag);
	if (!err)
		err = check_replicas(o);
	if (!err)
		err = check_carriers(o);
	return err;
}
