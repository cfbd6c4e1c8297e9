/* attach.c: `hedger attach` - load the programs, build the delay line,
 * attach, print counters until SIGINT/SIGTERM, remove what it created. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <net/if.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/if_arp.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "commands.h"
#include "hedger.skel.h"
#include "budget.h"
#include "latency_hist.h"
#include "hook.h"
#include "line.h"
#include "log.h"
#include "parse.h"
#include "probe.h"
#include "state.h"
#include "timeutil.h"

/* Bytes charged for T. Above any Ethernet frame (so the dummy is always a
 * grown copy) and far under change_tail's ~16064 limit; measured: growing
 * to 4000 instead of 15000 bytes saves ~1.5 us per request in the splitter. */
#define HTB_DUMMY_TARGET 4000
/* Adaptive delay: the dummy for --delay-max; under change_tail's limit. */
#define HTB_ADAPTIVE_DUMMY_MAX 15000

struct attach_opts {
	const char *dev;
	int ifindex;
	struct hedger_service_key services[HEDGER_MAX_SERVICES];
	struct hedger_replicas replicas[HEDGER_MAX_SERVICES];	/* slot 0 = the service */
	int nservices;
	int any_replicas;
	uint32_t replica_policy;
	uint64_t tied;			/* 0: off; K >= 2: original + K-1 copies at once */
	uint64_t delay_ns;
	uint32_t adaptive_permille;	/* 0: fixed --delay */
	uint64_t delay_min_ns, delay_max_ns, delay_period_ns;
	int delay_min_set, delay_max_set;
	uint32_t budget_milli;		/* 0 with budget_on: no hedges at all */
	int budget_on;
	uint64_t budget_burst;
	int backend;		/* -1: auto */
	uint64_t id_offset, id_width;
	int id_be;
	uint64_t sb_size;
	uint64_t classes;
	uint64_t interval_ns;
	uint64_t htb_calib_ns;
	int hook;		/* -1: auto */
	int no_neigh;
};

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	stop_requested = sig;
}

static void attach_usage(FILE *f)
{
	fprintf(f,
		"Usage: hedger attach --dev IF --service ADDR:PORT [--service ...] [options]\n"
		"Hedge UDP requests leaving IF: a clone waits --delay in a delay line and\n"
		"leaves as the hedge unless the reply came first; duplicate replies are\n"
		"dropped in the kernel. Runs in the foreground; SIGINT/SIGTERM detach.\n"
		"\n"
		"  -d, --dev IF                client-side interface (Ethernet or loopback)\n"
		"  -s, --service ADDR:PORT[=R1:P1,R2:P2,...]\n"
		"                              service to hedge (IPv4 or [IPv6]; up to %d).\n"
		"                              With replicas: originals go to ADDR:PORT\n"
		"                              unchanged, hedges to another replica (up to\n"
		"                              %d incl. ADDR:PORT), replies NATed back\n"
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
		"      --id-offset N           request id offset in the UDP payload (default 0)\n"
		"      --id-width 2|4|8        id width in bytes (default 4)\n"
		"      --id-endian le|be       id byte order (default le)\n"
		"      --scoreboard-size N     LRU scoreboard entries (default 65536)\n"
		"      --classes N             htb: class pool size (default 1024, max %d);\n"
		"                              need >= request rate x (T + 1 ms)\n"
		"      --htb-calib DURATION    htb: shorten the hold by this (watchdog lateness)\n"
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
		"         --backend htb --delay 5ms\n",
		HEDGER_MAX_SERVICES, HEDGER_MAX_REPLICAS, HEDGER_MAX_CLASSES);
}

/* endpoint_from_text - ADDR:PORT into a service key (port != 0). */
static int endpoint_from_text(const char *text, struct hedger_service_key *k)
{
	struct sockaddr_storage ss;
	socklen_t len;

	if (parse_endpoint("--service", text, &ss, &len))
		return -EINVAL;
	memset(k, 0, sizeof(*k));
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		memcpy(k->addr.a, &s4->sin_addr, 4);
		k->port = s4->sin_port;
		k->family = 4;
	} else if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		memcpy(k->addr.a, &s6->sin6_addr, 16);
		k->port = s6->sin6_port;
		k->family = 6;
	} else {
		log_error("bad --service '%s': not an IPv4 or IPv6 address", text);
		return -EINVAL;
	}
	if (!k->port) {
		log_error("bad --service '%s': port 0", text);
		return -EINVAL;
	}
	return 0;
}

static void ep_from_key(struct nat_endpoint *ep, const struct hedger_service_key *k)
{
	memset(ep, 0, sizeof(*ep));
	memcpy(ep->addr, k->addr.a, sizeof(ep->addr));
	ep->port = k->port;
	ep->family = k->family;
}

/* add_service - "VIP:PORT" or "VIP:PORT=R1:P1,R2:P2,...". The VIP is slot 0
 * (a real server: originals are not rewritten); listed replicas equal to it
 * are skipped, so "A=A,B" and "A=B" mean the same. */
static int add_service(struct attach_opts *o, const char *text)
{
	struct hedger_service_key *k, rk;
	struct hedger_replicas *r;
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
	k = &o->services[o->nservices];
	if (endpoint_from_text(buf, k))
		return -EINVAL;
	for (int i = 0; i < o->nservices; i++) {
		if (!memcmp(&o->services[i], k, sizeof(*k))) {
			log_error("bad --service '%s': given twice", buf);
			return -EINVAL;
		}
	}
	r = &o->replicas[o->nservices];
	memset(r, 0, sizeof(*r));
	ep_from_key(&r->ep[0], k);
	r->n = 1;
	if (eq) {
		if (!*eq) {
			log_error("bad --service '%s': no replica after '='", text);
			return -EINVAL;
		}
		for (tok = strtok_r(eq, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			bool dup = false;

			if (endpoint_from_text(tok, &rk))
				return -EINVAL;
			if (rk.family != k->family) {
				log_error("bad --service '%s': replica %s is not of the service's address family",
					  text, tok);
				return -EINVAL;
			}
			for (uint32_t i = 0; i < r->n; i++)
				if (!memcmp(r->ep[i].addr, rk.addr.a, 16) && r->ep[i].port == rk.port)
					dup = true;
			if (dup)
				continue;
			if (r->n >= HEDGER_MAX_REPLICAS) {
				log_error("bad --service '%s': more than %d replicas", text,
					  HEDGER_MAX_REPLICAS);
				return -E2BIG;
			}
			ep_from_key(&r->ep[r->n++], &rk);
		}
		if (r->n > 1)
			o->any_replicas = 1;
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

static int parse_attach_opts(int argc, char **argv, struct attach_opts *o)
{
	enum { O_ID_OFF = 256, O_ID_WIDTH, O_ID_ENDIAN, O_SB, O_CLASSES, O_CALIB, O_HOOK, O_NONEIGH,
	       O_RPOLICY, O_DMIN, O_DMAX, O_DPERIOD, O_BUDGET, O_BURST, O_TIED };
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
		{ "hook", required_argument, NULL, O_HOOK },
		{ "no-redirect-neigh", no_argument, NULL, O_NONEIGH },
		{ "replica-policy", required_argument, NULL, O_RPOLICY },
		{ "delay-min", required_argument, NULL, O_DMIN },
		{ "delay-max", required_argument, NULL, O_DMAX },
		{ "delay-period", required_argument, NULL, O_DPERIOD },
		{ "budget", required_argument, NULL, O_BUDGET },
		{ "budget-burst", required_argument, NULL, O_BURST },
		{ "tied", required_argument, NULL, O_TIED },
		{ "interval", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int opt;

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
	while ((opt = getopt_long(argc, argv, "d:s:t:b:i:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'd': o->dev = optarg; break;
		case 's':
			if (add_service(o, optarg))
				return -EINVAL;
			break;
		case 't':
			if (parse_delay(o, optarg))
				return -EINVAL;
			break;
		case O_RPOLICY:
			if (!strcmp(optarg, "round-robin"))
				o->replica_policy = HEDGER_RP_ROUND_ROBIN;
			else if (!strcmp(optarg, "fastest"))
				o->replica_policy = HEDGER_RP_FASTEST;
			else {
				log_error("bad --replica-policy '%s': round-robin or fastest", optarg);
				return -EINVAL;
			}
			break;
		case O_DMIN:
			if (parse_duration_ns("--delay-min", optarg, &o->delay_min_ns))
				return -EINVAL;
			o->delay_min_set = 1;
			break;
		case O_DMAX:
			if (parse_duration_ns("--delay-max", optarg, &o->delay_max_ns))
				return -EINVAL;
			o->delay_max_set = 1;
			break;
		case O_DPERIOD:
			if (parse_duration_ns("--delay-period", optarg, &o->delay_period_ns))
				return -EINVAL;
			if (o->delay_period_ns < 10 * NSEC_PER_MSEC || o->delay_period_ns > 10 * NSEC_PER_SEC) {
				log_error("--delay-period out of range: 10ms .. 10s");
				return -ERANGE;
			}
			o->delay_min_set = 1;	/* adaptive-only, like the clamps */
			break;
		case O_BUDGET: {
			double f;

			if (parse_fraction("--budget", optarg, &f))
				return -EINVAL;
			/* milli-hedges per request: 5 % -> 50 */
			o->budget_milli = (uint32_t)(f * BUDGET_UNIT + 0.5);
			o->budget_on = 1;
			break;
		}
		case O_TIED:
			if (parse_u64("--tied", optarg, 2, HEDGER_MAX_REPLICAS, &o->tied))
				return -EINVAL;
			break;
		case O_BURST:
			if (parse_u64("--budget-burst", optarg, 1, 1000000, &o->budget_burst))
				return -EINVAL;
			break;
		case 'b':
			if (!strcmp(optarg, "auto")) {
				o->backend = -1;
			} else {
				o->backend = probe_backend_from_name(optarg);
				if (o->backend < 0 || o->backend == HEDGER_BACKEND_BPF_QDISC) {
					log_error("unknown --backend '%s' (auto|netem|edt|htb|recirc)", optarg);
					return -EINVAL;
				}
			}
			break;
		case O_ID_OFF:
			if (parse_u64("--id-offset", optarg, 0, 65535, &o->id_offset))
				return -EINVAL;
			break;
		case O_ID_WIDTH:
			if (parse_u64("--id-width", optarg, 2, 8, &o->id_width))
				return -EINVAL;
			if (o->id_width != 2 && o->id_width != 4 && o->id_width != 8) {
				log_error("bad --id-width '%s': must be 2, 4 or 8", optarg);
				return -EINVAL;
			}
			break;
		case O_ID_ENDIAN:
			if (strcmp(optarg, "le") && strcmp(optarg, "be")) {
				log_error("bad --id-endian '%s': must be le or be", optarg);
				return -EINVAL;
			}
			o->id_be = !strcmp(optarg, "be");
			break;
		case O_SB:
			if (parse_u64("--scoreboard-size", optarg, 16, 1 << 24, &o->sb_size))
				return -EINVAL;
			break;
		case O_CLASSES:
			if (parse_u64("--classes", optarg, 1, HEDGER_MAX_CLASSES, &o->classes))
				return -EINVAL;
			break;
		case O_CALIB:
			if (parse_duration_ns("--htb-calib", optarg, &o->htb_calib_ns))
				return -EINVAL;
			break;
		case O_HOOK:
			if (!strcmp(optarg, "auto"))
				o->hook = -1;
			else if (!strcmp(optarg, "tcx"))
				o->hook = HOOK_TCX;
			else if (!strcmp(optarg, "tc"))
				o->hook = HOOK_TC;
			else {
				log_error("bad --hook '%s': auto, tcx or tc", optarg);
				return -EINVAL;
			}
			break;
		case O_NONEIGH: o->no_neigh = 1; break;
		case 'i':
			if (parse_duration_ns("--interval", optarg, &o->interval_ns))
				return -EINVAL;
			break;
		case 'h': attach_usage(stdout); exit(0);
		default: attach_usage(stderr); return -EINVAL;
		}
	}
	if (optind != argc) {
		log_error("unexpected argument '%s' (try hedger attach --help)", argv[optind]);
		return -EINVAL;
	}
	if (!o->dev || !o->nservices) {
		log_error("attach needs --dev IF and at least one --service ADDR:PORT");
		return -EINVAL;
	}
	if (o->id_offset + o->id_width > 65507) {
		log_error("id window out of range: --id-offset %llu + --id-width %llu > 65507 (max UDP payload)",
			  (unsigned long long)o->id_offset, (unsigned long long)o->id_width);
		return -EINVAL;
	}
	if (!o->adaptive_permille && (o->delay_min_set || o->delay_max_set)) {
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
	/* Checked before probing, so it holds whatever this kernel has. */
	if (o->adaptive_permille && o->backend == HEDGER_BACKEND_NETEM) {
		log_error("--delay p%u.%u needs a per-packet delay backend (edt, htb, recirc): netem holds every clone the same fixed T",
			  o->adaptive_permille / 10, o->adaptive_permille % 10);
		return -EOPNOTSUPP;
	}
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
			if (o->replicas[i].n > 1 && o->replicas[i].n < o->tied) {
				log_error("--tied %llu: a service has only %u replicas (VIP included)",
					  (unsigned long long)o->tied, o->replicas[i].n);
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

/* dev_l2_len - bytes before the IP header at TC on this device type. */
static int dev_l2_len(const char *dev)
{
	struct ifreq ifr;
	int fd, err = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr))
		err = -errno;
	close(fd);
	if (err)
		return err;
	if (ifr.ifr_hwaddr.sa_family == ARPHRD_ETHER || ifr.ifr_hwaddr.sa_family == ARPHRD_LOOPBACK)
		return 14;
	return -EPROTONOSUPPORT;
}

struct attach_ctx {
	struct hedger_bpf *skel;
	struct nl_handle nl;
	struct line line;
	struct hook_att hooks[3];
	bool state_written;
};

static void attach_cleanup(struct attach_ctx *c, int ifindex)
{
	/* Reverse order: stop cloning first, then the line, then the rest. */
	for (int i = 2; i >= 0; i--)
		hook_detach(&c->hooks[i]);
	line_destroy(&c->nl, &c->line);
	if (c->state_written)
		state_remove(ifindex);
	nl_close(&c->nl);
	hedger_bpf__destroy(c->skel);
}

static int check_leftovers(const struct attach_opts *o)
{
	struct hedger_state_file st;
	char a[IFNAMSIZ], b[IFNAMSIZ];

	if (!state_read(o->ifindex, &st) && state_pid_alive(&st)) {
		log_error("a hedger (pid %d) is already attached to %s", st.pid, o->dev);
		return -EBUSY;
	}
	state_line_names(o->ifindex, a, b);
	if (if_nametoindex(a) || !state_read(o->ifindex, &st)) {
		log_error("leftovers of a killed hedger on %s (%s): run hedger detach --dev %s first",
			  o->dev, a, o->dev);
		return -EEXIST;
	}
	return 0;
}

static int choose_backend(const struct attach_opts *o, const struct probe_result *pr)
{
	char avail[128];
	int b = o->backend;

	probe_available_list(pr, avail, sizeof(avail));
	if (b < 0) {
		b = probe_backend_auto(pr);
		if (b < 0)
			log_error("no delay-line backend works on this kernel (%s)",
				  pr->why[HEDGER_BACKEND_RECIRC]);
		return b;
	}
	if (!pr->backend_ok[b]) {
		log_error("backend %s unavailable: %s; available: %s", hedger_backend_name(b),
			  pr->why[b], avail);
		return -EOPNOTSUPP;
	}
	return b;
}

static void set_knobs(struct hedger_bpf *skel, const struct attach_opts *o, int backend,
		      int l2_len, const struct line_cfg *lc)
{
	struct hedger_bpf__rodata *r = skel->rodata;

	r->cfg_backend = (uint32_t)backend;
	r->cfg_delay_ns = o->delay_ns;
	r->cfg_id_offset = (uint32_t)o->id_offset;
	r->cfg_id_width = (uint32_t)o->id_width;
	r->cfg_id_be = (uint8_t)o->id_be;
	r->cfg_l2_len = (uint32_t)l2_len;
	r->cfg_out_ifindex = (uint32_t)o->ifindex;
	r->cfg_redirect_neigh = !o->no_neigh;
	r->cfg_stale_ns = NSEC_PER_SEC + 2 * o->delay_ns;
	r->cfg_class_pool = (uint32_t)o->classes;
	r->cfg_htb_rate_Bps = lc->htb_rate_Bps;
	r->cfg_htb_calib_bytes = o->htb_calib_ns * lc->htb_rate_Bps / NSEC_PER_SEC;
	r->cfg_htb_max_dummy = 16000;
	r->cfg_htb_guard_ns = NSEC_PER_MSEC;
	r->cfg_adaptive = o->adaptive_permille != 0;
	r->cfg_budget = (uint32_t)o->budget_on;
	r->cfg_replicas = (uint32_t)o->any_replicas;
	r->cfg_tied = o->tied != 0;
}

/* fill_policy - per-service adaptive delay, budget and replica maps. Written
 * before attaching: a user-space update of a policy element cancels its
 * timer, so nothing writes it once the splitter has armed it. */
static int fill_policy(struct hedger_bpf *skel, const struct attach_opts *o)
{
	int pfd = bpf_map__fd(skel->maps.policy), bfd = bpf_map__fd(skel->maps.budget);
	int rfd = bpf_map__fd(skel->maps.replicas), ofd = bpf_map__fd(skel->maps.replica_of);
	struct lathist_svc ls;
	struct budget b;

	for (uint32_t i = 0; i < (uint32_t)o->nservices; i++) {
		const struct hedger_replicas *r = &o->replicas[i];
		struct hedger_replicas rv = *r;

		memset(&ls, 0, sizeof(ls));
		ls.cfg.min_ns = o->delay_min_ns;
		ls.cfg.max_ns = o->delay_max_ns;
		ls.cfg.period_ns = o->delay_period_ns;
		ls.cfg.p_permille = o->adaptive_permille;
		ls.cfg.min_samples = 20;	/* below that a percentile is noise */
		ls.st.delay_ns = o->delay_ns;
		if (bpf_map_update_elem(pfd, &i, &ls, BPF_ANY))
			return -errno;
		memset(&b, 0, sizeof(b));
		b.ratio_milli = o->budget_milli;
		b.burst = (uint32_t)o->budget_burst;
		b.credits = (int64_t)b.burst * BUDGET_UNIT;
		if (bpf_map_update_elem(bfd, &i, &b, BPF_ANY))
			return -errno;
		rv.policy = o->replica_policy;
		rv.tied = r->n > 1 ? (uint32_t)o->tied : 0;
		if (bpf_map_update_elem(rfd, &i, &rv, BPF_ANY))
			return -errno;
		for (uint32_t s = 1; s < r->n; s++) {
			struct hedger_service_key k;
			struct hedger_replica_of ro = { .service = i, .slot = s };

			memset(&k, 0, sizeof(k));
			memcpy(k.addr.a, r->ep[s].addr, 16);
			k.port = r->ep[s].port;
			k.family = r->ep[s].family;
			/* A replica shared by two services answers for the first. */
			if (bpf_map_update_elem(ofd, &k, &ro, BPF_NOEXIST) && errno != EEXIST)
				return -errno;
		}
	}
	return 0;
}

static int fill_services(struct hedger_bpf *skel, const struct attach_opts *o)
{
	int fd = bpf_map__fd(skel->maps.services);

	for (int i = 0; i < o->nservices; i++) {
		struct hedger_service_val v = { .index = (uint32_t)i };

		if (bpf_map_update_elem(fd, &o->services[i], &v, BPF_NOEXIST))
			return errno == EEXIST ? 0 : -errno;
	}
	return fill_policy(skel, o);
}

static uint32_t map_id(const struct bpf_map *m)
{
	struct bpf_map_info info;
	uint32_t len = sizeof(info);

	memset(&info, 0, sizeof(info));
	return bpf_obj_get_info_by_fd(bpf_map__fd(m), &info, &len) ? 0 : info.id;
}

static uint32_t prog_id(const struct bpf_program *p)
{
	struct bpf_prog_info info;
	uint32_t len = sizeof(info);

	memset(&info, 0, sizeof(info));
	return bpf_obj_get_info_by_fd(bpf_program__fd(p), &info, &len) ? 0 : info.id;
}

static int write_state(struct attach_ctx *c, const struct attach_opts *o, int backend,
		       enum hook_kind hk)
{
	struct hedger_state_file st;

	memset(&st, 0, sizeof(st));
	st.pid = getpid();
	st.ifindex = o->ifindex;
	snprintf(st.dev, sizeof(st.dev), "%s", o->dev);
	snprintf(st.backend, sizeof(st.backend), "%s", hedger_backend_name(backend));
	snprintf(st.hook, sizeof(st.hook), "%s", hk == HOOK_TCX ? "tcx" : "tc");
	st.tc_hook_created[0] = c->hooks[1].hook_created;
	st.tc_hook_created[1] = c->hooks[2].hook_created;
	snprintf(st.line_a, sizeof(st.line_a), "%s", c->line.a);
	snprintf(st.line_b, sizeof(st.line_b), "%s", c->line.b);
	st.delay_ns = o->delay_ns;
	st.map_counters = map_id(c->skel->maps.counters);
	st.map_scoreboard = map_id(c->skel->maps.scoreboard);
	st.map_hist = map_id(c->skel->maps.latency_hist);
	st.map_services = map_id(c->skel->maps.services);
	st.map_policy = map_id(c->skel->maps.policy);
	st.map_budget = map_id(c->skel->maps.budget);
	st.map_replicas = map_id(c->skel->maps.replicas);
	st.adaptive = o->adaptive_permille != 0;
	st.budget = o->budget_on;
	st.prog_ids[0] = prog_id(c->skel->progs.hedger_splitter);
	st.prog_ids[1] = prog_id(c->skel->progs.hedger_reply_filter);
	st.prog_ids[2] = prog_id(c->skel->progs.hedger_rescuer);
	return state_write(&st);
}

static int setup(struct attach_ctx *c, const struct attach_opts *o, int *backend_out,
		 enum hook_kind *hk_out)
{
	struct probe_result pr;
	struct line_cfg lc;
	enum hook_kind hk;
	int backend, l2_len, err;

	l2_len = dev_l2_len(o->dev);
	if (l2_len < 0) {
		log_error("interface %s: %s", o->dev, l2_len == -EPROTONOSUPPORT ?
			  "not an Ethernet or loopback device" : strerror(-l2_len));
		return l2_len;
	}
	err = check_leftovers(o);
	if (err)
		return err;
	probe_run(&pr, true);
	backend = choose_backend(o, &pr);
	if (backend < 0)
		return backend;
	if (o->adaptive_permille && backend == HEDGER_BACKEND_NETEM)
		return -EOPNOTSUPP;	/* refused in parse_attach_opts; auto never picks netem */
	if (o->hook == HOOK_TCX && !pr.tcx) {
		log_error("--hook tcx unavailable: %s", pr.tcx_why);
		return -EOPNOTSUPP;
	}
	hk = o->hook >= 0 ? (enum hook_kind)o->hook : pr.tcx ? HOOK_TCX : HOOK_TC;

	memset(&lc, 0, sizeof(lc));
	lc.backend = backend;
	lc.delay_ns = o->delay_ns;
	lc.classes = (uint32_t)o->classes;
	/* Adaptive: R from the largest T, so every T up to --delay-max fits
	 * a dummy of at most HTB_ADAPTIVE_DUMMY_MAX bytes; smaller T get
	 * proportionally smaller dummies. */
	lc.htb_rate_Bps = o->adaptive_permille ?
		line_htb_rate(o->delay_max_ns, HTB_ADAPTIVE_DUMMY_MAX) :
		line_htb_rate(o->delay_ns, HTB_DUMMY_TARGET);

	/* The line first: its ifindexes are knobs of the programs. */
	err = nl_open(&c->nl);
	if (err) {
		log_error("cannot open rtnetlink: %s", strerror(-err));
		return err;
	}
	err = line_create(&c->nl, o->ifindex, &lc, &c->line);
	if (err) {
		log_error("cannot create the %s delay line: %s%s%s", hedger_backend_name(backend),
			  strerror(-err), c->nl.err_msg[0] ? ": " : "", c->nl.err_msg);
		return err;
	}

	c->skel = hedger_bpf__open();
	if (!c->skel) {
		err = -errno;
		log_error("cannot open the BPF object: %s", strerror(-err));
		return err;
	}
	set_knobs(c->skel, o, backend, l2_len, &lc);
	c->skel->rodata->cfg_line_ifindex = (uint32_t)(backend == HEDGER_BACKEND_RECIRC ?
						       c->line.b_ifindex : c->line.a_ifindex);
	c->skel->rodata->cfg_tied_ifindex = (uint32_t)c->line.b_ifindex;
	bpf_map__set_max_entries(c->skel->maps.scoreboard, (uint32_t)o->sb_size);
	err = hedger_bpf__load(c->skel);
	if (err) {
		log_error("cannot load the BPF programs: %s", strerror(-err));
		return err;
	}
	err = fill_services(c->skel, o);
	if (err) {
		log_error("cannot fill the services map: %s", strerror(-err));
		return err;
	}

	/* Rescuer and reply filter before the splitter: no clone or reply may
	 * arrive before the program that handles it. */
	err = hook_attach(&c->hooks[0], hk, bpf_program__fd(c->skel->progs.hedger_rescuer),
			  c->line.b_ifindex, true);
	if (!err)
		err = hook_attach(&c->hooks[1], hk,
				  bpf_program__fd(c->skel->progs.hedger_reply_filter),
				  o->ifindex, true);
	if (!err)
		err = hook_attach(&c->hooks[2], hk, bpf_program__fd(c->skel->progs.hedger_splitter),
				  o->ifindex, false);
	if (err) {
		log_error("cannot attach to %s with %s: %s", o->dev, hk == HOOK_TCX ? "TCX" : "clsact",
			  strerror(-err));
		return err;
	}
	err = write_state(c, o, backend, hk);
	if (err) {
		log_error("cannot write the state file under " STATE_DIR ": %s", strerror(-err));
		return err;
	}
	c->state_written = true;
	*backend_out = backend;
	*hk_out = hk;
	return 0;
}

int cmd_attach(int argc, char **argv)
{
	struct attach_ctx c;
	struct attach_opts o;
	struct sigaction sa;
	enum hook_kind hk = HOOK_TCX;
	uint64_t next, cnt[HC_COUNT];
	int backend = -1, err;

	memset(&c, 0, sizeof(c));
	if (parse_attach_opts(argc, argv, &o))
		return 2;
	if (geteuid() != 0) {
		log_error("attach needs root (CAP_BPF, CAP_NET_ADMIN)");
		return 1;
	}
	o.ifindex = resolve_dev(o.dev);
	if (o.ifindex < 0)
		return 1;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	err = setup(&c, &o, &backend, &hk);
	if (err)
		goto cleanup;
	printf("backend: %s\n", hedger_backend_name(backend));
	printf("hook: %s, delay line %s/%s, delay %lluus, pid %d\n", hk == HOOK_TCX ? "tcx" : "tc",
	       c.line.a, c.line.b, (unsigned long long)o.delay_ns / 1000, (int)getpid());
	if (o.adaptive_permille)
		printf("adaptive delay: p%u.%u of recent latency, clamped to %lluus..%lluus\n",
		       o.adaptive_permille / 10, o.adaptive_permille % 10,
		       (unsigned long long)o.delay_min_ns / 1000,
		       (unsigned long long)o.delay_max_ns / 1000);
	if (o.budget_on)
		printf("budget: %u.%u%% of requests + burst %llu\n", o.budget_milli / 10,
		       o.budget_milli % 10, (unsigned long long)o.budget_burst);
	if (o.any_replicas && o.tied)
		printf("replicas: tied, each request to %llu replicas at once, replies NATed back\n",
		       (unsigned long long)o.tied);
	else if (o.any_replicas)
		printf("replicas: hedges to another replica (%s), replies NATed back\n",
		       o.replica_policy == HEDGER_RP_FASTEST ? "fastest" : "round-robin");
	fflush(stdout);

	next = time_mono_ns() + o.interval_ns;
	while (!stop_requested) {
		uint64_t now = time_mono_ns();

		if (o.interval_ns && now >= next) {
			if (!stats_read_counters(bpf_map__fd(c.skel->maps.counters), cnt))
				stats_print_line(stdout, cnt);
			next += o.interval_ns;
		}
		usleep(50000);	/* the signal ends the sleep early */
	}
	if (!stats_read_counters(bpf_map__fd(c.skel->maps.counters), cnt)) {
		printf("final: ");
		stats_print_line(stdout, cnt);
	}
cleanup:
	attach_cleanup(&c, o.ifindex);
	return err ? 1 : 0;
}
