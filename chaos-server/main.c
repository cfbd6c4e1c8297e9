/* chaos-server: an io_uring UDP echo server with deterministic faults. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "dgram.h"
#include "fault.h"
#include "log.h"
#include "parse.h"
#include "replay.h"
#include "server.h"
#include "sockets.h"
#include "stats.h"
#include "timeutil.h"

#define MAX_PORTS    16
#define MAX_BINDS    8
#define MAX_THREADS  64
#define BUF_BUDGET   (64U << 20)   /* receive buffer memory per worker by default */

struct options {
	struct server_cfg srv;
	unsigned int ports[MAX_PORTS];
	int nports;
	struct sockaddr_storage binds[MAX_BINDS];
	int nbinds;
	unsigned int threads;
	uint32_t replay_max;
	uint64_t replay_ttl_ns;
	uint64_t stats_interval_ns;
	const char *stats_file;
};

static const char usage_text[] =
"Usage: chaos-server [OPTION]...\n"
"A UDP echo server with deterministic faults, for hedging experiments.\n"
"A request is a datagram of at least 4 bytes starting with the request id (a\n"
"little-endian u32); the reply echoes the whole payload unchanged. A bad id\n"
"stalls the first time it is seen; seen again within the replay TTL it takes\n"
"the fast path, like every other id.\n"
"\n"
"Listening:\n"
"  -p, --port N            UDP port, repeatable (default 9999; 0 = any free port)\n"
"  -b, --bind ADDR         address to bind, repeatable (default: all, IPv4 and IPv6)\n"
"  -t, --threads N         worker threads sharing the ports with SO_REUSEPORT (default 1)\n"
"      --max-size BYTES    largest datagram answered; longer ones are dropped (default 2048)\n"
"      --buffers N         receive buffers per thread, a power of two (default 4096,\n"
"                          fewer when --max-size is large); bounds requests in flight\n"
"Faults:\n"
"      --fault-rate R      fraction of bad ids, 0.02 or 2% (default 2%)\n"
"      --fault-pattern P   modulo: (id - K*rate*100) mod 100 < rate*100, K = --replica\n"
"                          (default, the reference: id % 100 < 2);\n"
"                          hash: hash(seed, replica, id) < rate (not periodic)\n"
"      --stall DUR         stall of a bad id, or its mean (default 400ms)\n"
"      --stall-dist D      fixed (default), exp or pareto (seeded per id)\n"
"      --pareto-alpha A    Pareto shape, > 1 (default 2)\n"
"      --stall-max DUR     cap of exp/pareto stalls (default 60s)\n"
"      --fast DUR          delay of every other reply, 0 allowed (default 2ms)\n"
"      --replay-ttl DUR    how long a bad id is remembered (default 1s)\n"
"      --replay-max N      ids remembered at most; older ones are evicted (default 65536)\n"
"      --seed N            seed of hash pattern, distributions and pause jitter (default 1)\n"
"      --replica K         replica number: replicas stall on different ids (default 0);\n"
"                          modulo has 100/gcd(rate*100, 100) distinct K (50 at 2%)\n"
"      --shared-schedule   every replica stalls on the same ids as replica 0\n"
"      --pause-every DUR   stop answering every DUR (a stop-the-world pause) ...\n"
"      --pause-for DUR     ... for DUR; held requests are handled afterwards\n"
"      --pause-jitter F    both scaled by a seeded factor in [1-F, 1+F] (default 0.1)\n"
"Operation:\n"
"      --stats-interval DUR  print the counters every DUR (default: only on\n"
"                          SIGUSR1 and at exit)\n"
"      --stats-file PATH   also write them to PATH as KEY=VALUE lines, replaced\n"
"                          each time they are printed (the last one: when=exit)\n"
"  -v, --verbose           more log output\n"
"  -h, --help              this text\n"
"\n"
"Counters go to stdout as one 'stats' line; SIGINT/SIGTERM stop the server\n"
"(exit 0, final counters); usage errors exit 2. Durations take units: 250us,\n"
"2ms, 1.5s.\n"
"\n"
"Examples:\n"
"  chaos-server --port 9999                     # the reference behaviour\n"
"  chaos-server -p 9997 -p 9998 -p 9999         # three ports in one process\n"
"  chaos-server -p 9999 --replica 1             # a replica stalling on other ids\n"
"  chaos-server -p 9999 --fault-pattern hash --fault-rate 1.5% --stall-dist pareto\n"
"  chaos-server -p 9999 --fast 0 --fault-rate 0 --threads 2   # plain echo\n"
"  chaos-server -p 9999 --pause-every 5s --pause-for 200ms    # a slow replica\n"
"  chaos-server -b 127.0.0.1 -p 0               # any free port, printed on stderr\n"
"  chaos-server -p 9999 --stats-file /tmp/cs.stats   # counters for scripts\n";

enum {
	OPT_MAX_SIZE = 256, OPT_BUFFERS, OPT_FAULT_RATE, OPT_FAULT_PATTERN, OPT_STALL,
	OPT_STALL_DIST, OPT_PARETO_ALPHA, OPT_STALL_MAX, OPT_FAST, OPT_REPLAY_TTL,
	OPT_REPLAY_MAX, OPT_SEED, OPT_REPLICA, OPT_SHARED, OPT_PAUSE_EVERY, OPT_PAUSE_FOR,
	OPT_PAUSE_JITTER, OPT_STATS_INTERVAL, OPT_STATS_FILE,
};

static const struct option long_opts[] = {
	{ "port", required_argument, NULL, 'p' },
	{ "bind", required_argument, NULL, 'b' },
	{ "threads", required_argument, NULL, 't' },
	{ "max-size", required_argument, NULL, OPT_MAX_SIZE },
	{ "buffers", required_argument, NULL, OPT_BUFFERS },
	{ "fault-rate", required_argument, NULL, OPT_FAULT_RATE },
	{ "fault-pattern", required_argument, NULL, OPT_FAULT_PATTERN },
	{ "stall", required_argument, NULL, OPT_STALL },
	{ "stall-dist", required_argument, NULL, OPT_STALL_DIST },
	{ "pareto-alpha", required_argument, NULL, OPT_PARETO_ALPHA },
	{ "stall-max", required_argument, NULL, OPT_STALL_MAX },
	{ "fast", required_argument, NULL, OPT_FAST },
	{ "replay-ttl", required_argument, NULL, OPT_REPLAY_TTL },
	{ "replay-max", required_argument, NULL, OPT_REPLAY_MAX },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "replica", required_argument, NULL, OPT_REPLICA },
	{ "shared-schedule", no_argument, NULL, OPT_SHARED },
	{ "pause-every", required_argument, NULL, OPT_PAUSE_EVERY },
	{ "pause-for", required_argument, NULL, OPT_PAUSE_FOR },
	{ "pause-jitter", required_argument, NULL, OPT_PAUSE_JITTER },
	{ "stats-interval", required_argument, NULL, OPT_STATS_INTERVAL },
	{ "stats-file", required_argument, NULL, OPT_STATS_FILE },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

/* bind_covers - does a socket bound to @a take @b's address too (on one port)?
 * [::] is opened dual-stack, so it covers every address. */
static bool bind_covers(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	const struct sockaddr_in *a4 = (const struct sockaddr_in *)a, *b4 = (const struct sockaddr_in *)b;
	const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)a;
	const struct sockaddr_in6 *b6 = (const struct sockaddr_in6 *)b;

	if (a->ss_family == AF_INET6 && IN6_IS_ADDR_UNSPECIFIED(&a6->sin6_addr))
		return true;
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return a4->sin_addr.s_addr == htonl(INADDR_ANY) || a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	return IN6_ARE_ADDR_EQUAL(&a6->sin6_addr, &b6->sin6_addr);
}

/* check_binds - refuse a --bind given twice, and (on a fixed port) one that a
 * wildcard --bind already covers: the second socket would fail to bind after
 * the first one is listening. */
static int check_binds(const struct options *o, char *const texts[])
{
	bool fixed_port = false;

	for (int i = 0; i < o->nports; i++)
		fixed_port |= o->ports[i] != 0;
	for (int i = 0; i < o->nbinds; i++) {
		for (int j = 0; j < i; j++) {
			bool same = bind_covers(&o->binds[i], &o->binds[j]) &&
				    bind_covers(&o->binds[j], &o->binds[i]);

			if (same) {
				if (!strcmp(texts[i], texts[j]))
					log_error("--bind %s given twice", texts[i]);
				else
					log_error("--bind %s and --bind %s are the same address",
						  texts[j], texts[i]);
				return -EINVAL;
			}
			if (fixed_port && (bind_covers(&o->binds[i], &o->binds[j]) ||
					   bind_covers(&o->binds[j], &o->binds[i]))) {
				log_error("--bind %s and --bind %s overlap (a wildcard takes every address "
					  "on its port); give one of them", texts[j], texts[i]);
				return -EINVAL;
			}
		}
	}
	return 0;
}

/* check_stats_file - --stats-file PATH: its directory must exist and be
 * writable (the file itself is made when the counters are first printed). */
static int check_stats_file(const char *path)
{
	char dir[PATH_MAX];

	if (!*path || snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir)) {
		log_error("invalid --stats-file '%s': expected a file path", path);
		return -EINVAL;
	}
	if (access(dirname(dir), W_OK)) {
		log_error("invalid --stats-file '%s': %s: %s", path, dir, strerror(errno));
		return -EINVAL;
	}
	return 0;
}

static int parse_enum(const char *what, const char *text, const char *const names[], int n, int *out)
{
	for (int i = 0; i < n; i++) {
		if (strcmp(text, names[i]) == 0) {
			*out = i;
			return 0;
		}
	}
	log_error("invalid %s '%s': expected %s", what, text,
		  n == 2 ? "modulo or hash" : "fixed, exp or pareto");
	return -EINVAL;
}

static int parse_args(int argc, char **argv, struct options *o)
{
	static const char *const patterns[] = { "modulo", "hash" };
	static const char *const dists[] = { "fixed", "exp", "pareto" };
	struct fault_cfg *f = &o->srv.fault;
	char *bind_texts[MAX_BINDS];
	uint64_t v;
	int opt, e, err = 0;
	uint64_t max_size = 2048, nbufs = 0;

	fault_cfg_default(f);
	o->threads = 1;
	o->replay_max = 65536;
	o->replay_ttl_ns = NSEC_PER_SEC;
	while ((opt = getopt_long(argc, argv, ":p:b:t:vh", long_opts, NULL)) != -1) {
		switch (opt) {
		case 'p':
			if (o->nports == MAX_PORTS) {
				log_error("too many --port options (at most %d)", MAX_PORTS);
				return -EINVAL;
			}
			err = parse_u64("--port", optarg, 0, 65535, &v);
			o->ports[o->nports++] = (unsigned int)v;
			break;
		case 'b':
			if (o->nbinds == MAX_BINDS) {
				log_error("too many --bind options (at most %d)", MAX_BINDS);
				return -EINVAL;
			}
			bind_texts[o->nbinds] = optarg;
			err = parse_address("--bind", optarg, &o->binds[o->nbinds++]);
			break;
		case 't':
			err = parse_u64("--threads", optarg, 1, MAX_THREADS, &v);
			o->threads = (unsigned int)v;
			break;
		case OPT_MAX_SIZE:
			err = parse_u64("--max-size", optarg, DGRAM_ID_LEN, DGRAM_MAX_SIZE, &max_size);
			break;
		case OPT_BUFFERS:
			err = parse_u64("--buffers", optarg, 1, 32768, &nbufs);
			if (!err && (nbufs & (nbufs - 1))) {
				log_error("invalid --buffers '%s': must be a power of two", optarg);
				err = -EINVAL;
			}
			break;
		case OPT_FAULT_RATE:
			err = parse_fraction("--fault-rate", optarg, &f->rate);
			break;
		case OPT_FAULT_PATTERN:
			err = parse_enum("--fault-pattern", optarg, patterns, 2, &e);
			f->pattern = (enum fault_pattern)e;
			break;
		case OPT_STALL:
			err = parse_duration_ns("--stall", optarg, &f->stall_ns);
			break;
		case OPT_STALL_DIST:
			err = parse_enum("--stall-dist", optarg, dists, 3, &e);
			f->dist = (enum fault_stall_dist)e;
			break;
		case OPT_PARETO_ALPHA:
			err = parse_double("--pareto-alpha", optarg, 1.0001, 100, &f->pareto_alpha);
			break;
		case OPT_STALL_MAX:
			err = parse_duration_ns("--stall-max", optarg, &f->stall_max_ns);
			break;
		case OPT_FAST:
			err = parse_duration_ns("--fast", optarg, &f->fast_ns);
			break;
		case OPT_REPLAY_TTL:
			err = parse_duration_ns("--replay-ttl", optarg, &o->replay_ttl_ns);
			break;
		case OPT_REPLAY_MAX:
			err = parse_u64("--replay-max", optarg, 1, 1U << 26, &v);
			o->replay_max = (uint32_t)v;
			break;
		case OPT_SEED:
			err = parse_u64("--seed", optarg, 0, UINT64_MAX, &f->seed);
			break;
		case OPT_REPLICA:
			err = parse_u64("--replica", optarg, 0, UINT32_MAX, &v);
			f->replica = (uint32_t)v;
			break;
		case OPT_SHARED:
			f->shared_schedule = true;
			break;
		case OPT_PAUSE_EVERY:
			err = parse_duration_ns("--pause-every", optarg, &f->pause_every_ns);
			break;
		case OPT_PAUSE_FOR:
			err = parse_duration_ns("--pause-for", optarg, &f->pause_for_ns);
			break;
		case OPT_PAUSE_JITTER:
			err = parse_fraction("--pause-jitter", optarg, &f->pause_jitter);
			break;
		case OPT_STATS_INTERVAL:
			err = parse_duration_ns("--stats-interval", optarg, &o->stats_interval_ns);
			break;
		case OPT_STATS_FILE:
			err = check_stats_file(optarg);
			o->stats_file = optarg;
			break;
		case 'v':
			log_set_level(LOG_LVL_DEBUG);
			break;
		case 'h':
			fputs(usage_text, stdout);
			exit(0);
		case ':':
			log_error("option '%s' needs a value (try --help)", argv[optind - 1]);
			return -EINVAL;
		default:
			log_error("unrecognized option '%s' (try --help)", argv[optind - 1]);
			return -EINVAL;
		}
		if (err)
			return err;
	}
	if (optind < argc) {
		log_error("unexpected argument '%s' (try --help)", argv[optind]);
		return -EINVAL;
	}
	err = fault_cfg_check(f);
	if (err)
		return err;
	if (!o->nports)
		o->ports[o->nports++] = 9999;
	for (int i = 0; i < o->nports; i++)
		for (int j = 0; j < i; j++)
			if (o->ports[i] == o->ports[j] && o->ports[i]) {
				log_error("--port %u given twice", o->ports[i]);
				return -EINVAL;
			}
	err = check_binds(o, bind_texts);
	if (err)
		return err;
	if (!o->nbinds)
		sock_wildcard(&o->binds[o->nbinds++], 0);
	o->srv.max_size = (uint32_t)max_size;
	if (!nbufs) {
		size_t buf_size = max_size + 64;

		nbufs = 4096;
		while (nbufs > 64 && nbufs * buf_size > BUF_BUDGET)
			nbufs >>= 1;
	}
	o->srv.nbufs = (uint32_t)nbufs;
	return 0;
}

static void set_port(struct sockaddr_storage *a, unsigned int port)
{
	if (a->ss_family == AF_INET6)
		((struct sockaddr_in6 *)a)->sin6_port = htons((uint16_t)port);
	else
		((struct sockaddr_in *)a)->sin_port = htons((uint16_t)port);
}

/* open_sockets - threads x binds x ports sockets; thread 0 binds first so that
 * a port 0 resolves to one free port which the other threads then share. */
static int open_sockets(const struct options *o, int *fds, int per_thread)
{
	struct sockaddr_storage bound[MAX_BINDS * MAX_PORTS];
	bool reuseport = o->threads > 1;
	int n = 0, err;

	for (unsigned int t = 0; t < o->threads; t++) {
		for (int i = 0; i < per_thread; i++) {
			struct sockaddr_storage addr;
			socklen_t len = sizeof(addr);

			if (t == 0) {
				addr = o->binds[i / o->nports];
				set_port(&addr, o->ports[i % o->nports]);
			} else {
				addr = bound[i];
			}
			err = sock_open_udp(&addr, reuseport, &fds[n]);
			if (err)
				goto fail;
			n++;
			if (t == 0) {
				char name[80];

				getsockname(fds[n - 1], (struct sockaddr *)&bound[i], &len);
				format_endpoint((struct sockaddr *)&bound[i], name, sizeof(name));
				log_info("listening on %s%s", name,
					 bound[i].ss_family == AF_INET6 &&
					 IN6_IS_ADDR_UNSPECIFIED(&((struct sockaddr_in6 *)&bound[i])->sin6_addr)
					 ? " (IPv4 and IPv6)" : "");
			}
		}
	}
	return 0;
fail:
	while (n--)
		close(fds[n]);
	return err;
}

/* print_stats - the stats line, and the --stats-file; 0 or -errno when
 * the file could not be written. */
static int print_stats(const char *when, const struct options *o, struct server_worker *w,
		       struct replay *replay)
{
	double elapsed_s = (double)(time_mono_ns() - o->srv.start_ns) / 1e9;
	uint32_t entries = replay_count(replay, time_mono_ns());
	struct chaos_stats sum = { 0 };
	struct replay_stats rs;
	int err;

	for (unsigned int t = 0; t < o->threads; t++)
		stats_accumulate(&sum, &w[t].stats);
	replay_get_stats(replay, &rs);
	stats_print(stdout, when, elapsed_s, &sum, &rs, entries);
	if (!o->stats_file)
		return 0;
	err = stats_write_file(o->stats_file, when, elapsed_s, &sum, &rs, entries);
	if (err)
		log_error("cannot write --stats-file %s: %s", o->stats_file, strerror(-err));
	return err;
}

/* control_loop - the main thread waits for signals (and the stats timer);
 * returns 0 on SIGINT/SIGTERM, -EIO when a worker died. */
static int control_loop(const struct options *o, const sigset_t *set, struct server_worker *w,
			struct replay *replay)
{
	uint64_t next_stats = o->stats_interval_ns ? time_mono_ns() + o->stats_interval_ns : 0;

	for (;;) {
		struct timespec ts = { .tv_sec = 3600 };
		int sig;

		if (next_stats) {
			uint64_t now = time_mono_ns(), left = next_stats > now ? next_stats - now : 0;

			ts.tv_sec = (time_t)(left / NSEC_PER_SEC);
			ts.tv_nsec = (long)(left % NSEC_PER_SEC);
		}
		sig = sigtimedwait(set, NULL, &ts);
		if (sig < 0) {
			if (errno == EAGAIN && next_stats) {
				print_stats("interval", o, w, replay);
				next_stats += o->stats_interval_ns;
			}
			continue;
		}
		switch (sig) {
		case SIGUSR1:
			print_stats("SIGUSR1", o, w, replay);
			break;
		case SIGUSR2:
			return -EIO;
		default:
			log_info("%s: shutting down", strsignal(sig));
			return 0;
		}
	}
}

int main(int argc, char **argv)
{
	struct options o = { 0 };
	struct replay *replay = NULL;
	struct server_worker *workers = NULL;
	int *fds = NULL, per_thread, stop_fd = -1, err, nstarted = 0;
	sem_t started;
	sigset_t set;
	char d1[32], d2[32], d3[32];
	bool failed = false;

	log_set_program("chaos-server");
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (parse_args(argc, argv, &o))
		return 2;
	o.srv.start_ns = time_mono_ns();
	err = replay_new(o.replay_max, o.replay_ttl_ns, o.threads > 1, &replay);
	if (err) {
		log_error("cannot allocate the replay memory: %s", strerror(-err));
		return 1;
	}
	per_thread = o.nbinds * o.nports;
	fds = calloc((size_t)per_thread * o.threads, sizeof(*fds));
	workers = calloc(o.threads, sizeof(*workers));
	if (!fds || !workers) {
		log_error("out of memory");
		err = -ENOMEM;
		goto cleanup;
	}
	err = open_sockets(&o, fds, per_thread);
	if (err) {
		free(fds);
		fds = NULL;
		goto cleanup;
	}
	/* signals are taken synchronously by the main thread; workers inherit the mask */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	stop_fd = eventfd(0, EFD_CLOEXEC);
	if (stop_fd < 0 || sem_init(&started, 0, 0)) {
		err = -errno;
		log_error("cannot create the stop eventfd / start semaphore: %s", strerror(errno));
		goto cleanup;
	}
	for (unsigned int t = 0; t < o.threads; t++) {
		struct server_worker *w = &workers[t];

		*w = (struct server_worker){
			.index = (int)t, .cfg = &o.srv, .replay = replay,
			.fds = fds + (size_t)t * per_thread, .nfds = per_thread,
			.stop_fd = stop_fd, .started = &started,
		};
		err = pthread_create(&w->thread, NULL, server_worker_main, w);
		if (err) {
			log_error("cannot start a worker thread: %s", strerror(err));
			err = -err;
			failed = true;
			break;
		}
		nstarted++;
	}
	for (int t = 0; t < nstarted; t++)
		sem_wait(&started);
	for (int t = 0; t < nstarted; t++)
		failed |= workers[t].err != 0;
	if (!failed) {
		/* the line that says startup is complete (tests and scripts wait for it) */
		log_info("faults: %s rate %g%% stall %s %s fast %s replay-ttl %s replica %u%s seed %llu, "
			 "threads %u, max-size %u, buffers %u",
			 fault_pattern_name(o.srv.fault.pattern), o.srv.fault.rate * 100,
			 fault_stall_dist_name(o.srv.fault.dist),
			 time_format_duration(o.srv.fault.stall_ns, d1, sizeof(d1)),
			 time_format_duration(o.srv.fault.fast_ns, d2, sizeof(d2)),
			 time_format_duration(o.replay_ttl_ns, d3, sizeof(d3)), o.srv.fault.replica,
			 o.srv.fault.shared_schedule ? " (shared schedule)" : "",
			 (unsigned long long)o.srv.fault.seed, o.threads, o.srv.max_size, o.srv.nbufs);
		failed = control_loop(&o, &set, workers, replay) != 0;
	}
	eventfd_write(stop_fd, 1);
	for (int t = 0; t < nstarted; t++)
		pthread_join(workers[t].thread, NULL);
	sem_destroy(&started);
	if (!failed)
		failed = print_stats("exit", &o, workers, replay) != 0;
	err = failed ? -EIO : 0;
cleanup:
	if (fds)
		for (int i = 0; i < per_thread * (int)o.threads; i++)
			close(fds[i]);
	if (stop_fd >= 0)
		close(stop_fd);
	free(fds);
	free(workers);
	replay_free(replay);
	return err ? 1 : 0;
}
