/* attach_config.c: knobs and maps of one hedger instance (attach_config.h). */
#include <errno.h>
#include <string.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "attach_config.h"
#include "budget.h"
#include "hedger.skel.h"
#include "latency_hist.h"
#include "line.h"
#include "log.h"
#include "endpoints_add.h"
#include "service_ports.h"
#include "timeutil.h"

uint64_t config_htb_rate(const struct attach_opts *o)
{
	/* Adaptive: R from the largest T, so every T up to --delay-max fits a
	 * dummy of at most AOPTS_HTB_ADAPTIVE_DUMMY_MAX bytes; smaller T get
	 * proportionally smaller dummies. */
	if (o->adaptive_permille)
		return line_htb_rate(o->delay_max_ns, AOPTS_HTB_ADAPTIVE_DUMMY_MAX);
	if (o->htb_dummies)
		return line_htb_rate(o->delay_ns, AOPTS_HTB_DUMMY_TARGET);
	/* Size table: a large charge makes R large, so the 1 byte charged to
	 * a clone's second pass is a few ns of debt, repaid before HTB could
	 * arm a timer for it. */
	return line_htb_rate(o->delay_ns, HEDGER_HTB_STAB_BYTES);
}

uint32_t config_htb_charge(const struct attach_opts *o)
{
	uint64_t rate = config_htb_rate(o), s, calib, unit = 1ULL << HEDGER_HTB_STAB_SIZE_LOG;

	if (o->adaptive_permille || o->htb_dummies)
		return 0;
	/* --htb-finish shortens the hold as --htb-calib does (never both). */
	calib = (o->htb_calib_ns + o->htb_finish_ns) * rate / NSEC_PER_SEC;
	s = o->delay_ns * rate / NSEC_PER_SEC + 1;
	s = s > calib + unit ? s - calib : unit;
	/* The table holds s in units of 2^size_log bytes: round up, so the
	 * hold is never shorter than asked. */
	s = (s + unit - 1) / unit * unit;
	return (uint32_t)(s > (uint64_t)UINT16_MAX * unit ? UINT16_MAX * unit : s);
}

bool config_carriers(const struct attach_opts *o, const struct config_env *env)
{
	int ncpus = libbpf_num_possible_cpus();

	/* A carrier's hedges go out with their request's own Ethernet header. */
	return o->carriers && o->release_grid_ns && env->backend == HEDGER_BACKEND_HTB &&
	       env->htb_charge_bytes && env->l2_len == 14 && ncpus > 0 &&
	       ncpus <= HEDGER_BATCH_MAX_CPUS;
}

/* sb_seed - a fresh scoreboard hash seed per load, so no outsider can aim
 * many keys at one bucket. */
static uint64_t sb_seed(void)
{
	uint64_t seed = 0;

	if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		seed = time_mono_ns() ^ ((uint64_t)getpid() << 32);
	return seed;
}

static void set_knobs(struct hedger_bpf *skel, const struct attach_opts *o,
		      const struct config_env *env)
{
	struct hedger_bpf__rodata *r = skel->rodata;

	r->cfg_backend = (uint32_t)env->backend;
	r->cfg_delay_ns = o->delay_ns;
	r->cfg_id_offset = (uint32_t)o->id_offset;
	r->cfg_id_width = (uint32_t)o->id_width;
	r->cfg_id_be = (uint8_t)o->id_be;
	r->cfg_l2_len = (uint32_t)env->l2_len;
	r->cfg_out_ifindex = (uint32_t)env->ifindex;
	r->cfg_redirect_neigh = !o->no_neigh;
	/* A request is forgotten after this: long enough for any reply a
	 * client still waits for, short enough to free slots of requests
	 * never answered. */
	r->cfg_stale_ns = 10 * NSEC_PER_SEC + 2 * aopts_max_delay_ns(o);
	r->cfg_sb_mask = (uint32_t)(o->sb_size / HEDGER_SB_WAYS - 1);
	r->cfg_sb_seed = sb_seed();
	r->cfg_class_pool = (uint32_t)o->classes;
	r->cfg_htb_rate_Bps = env->htb_rate_Bps;
	r->cfg_htb_calib_bytes = o->htb_calib_ns * env->htb_rate_Bps / NSEC_PER_SEC;
	r->cfg_htb_max_dummy = 16000;
	r->cfg_htb_guard_ns = NSEC_PER_MSEC;
	if (env->backend == HEDGER_BACKEND_HTB && env->htb_charge_bytes)
		r->cfg_htb_stab_hold_ns = line_htb_stab_hold_ns(env->htb_charge_bytes,
							       env->htb_rate_Bps);
	if (r->cfg_htb_stab_hold_ns)
		r->cfg_htb_finish_ns = o->htb_finish_ns;
	if (r->cfg_htb_stab_hold_ns && o->release_grid_ns) {
		r->cfg_release_grid_ns = o->release_grid_ns;
		r->cfg_htb_tier_ns = line_htb_tier_ns(o->release_grid_ns);
	}
	r->cfg_batch = config_carriers(o, env);
	r->cfg_adaptive = o->adaptive_permille != 0;
	r->cfg_budget = (uint32_t)o->budget_on;
	r->cfg_replicas = (uint32_t)o->any_replicas;
	r->cfg_tied = o->tied != 0;
	r->cfg_proto = o->proto;
	/* recirc parks clones on the line's b end, the others on a (or on the
	 * macvlan on a: --line-shape macvlan). */
	r->cfg_line_ifindex = (uint32_t)(env->backend == HEDGER_BACKEND_RECIRC ?
					 env->line_b_ifindex :
					 env->line_m_ifindex ? env->line_m_ifindex : env->line_a_ifindex);
	/* Tied copies and rounds go to b's ingress (with the macvlan a round
	 * starts at a's egress, where its releases meet the rescuer). */
	r->cfg_line_b_ifindex = (uint32_t)env->line_b_ifindex;
	/* --line-cpu: clones enter at b's receive queue, which RPS steers. */
	/* The size table: every clone enters there, where the rescuer sets
	 * its length for the first pass (the splitter never runs the line). */
	r->cfg_line_park_ifindex = o->line_cpu_on || r->cfg_htb_stab_hold_ns ?
		(uint32_t)env->line_b_ifindex : 0;
	r->cfg_line_poll = o->line_poll;
}

static void nat_from_ep(struct nat_endpoint *n, const struct aopts_endpoint *ep)
{
	memset(n, 0, sizeof(*n));
	memcpy(n->addr, ep->addr, sizeof(n->addr));
	n->port = ep->port;
	n->family = ep->family;
}

/* endpoint_from_ep - option endpoint @ep as an entry of the endpoint table. */
static struct hedger_endpoint endpoint_from_ep(const struct aopts_endpoint *ep, uint8_t kind,
					       uint32_t service, uint32_t slot)
{
	return endpoint_make(ep->family, ep->addr, ep->port, kind, service, slot);
}

/* fill_service - the per-service adaptive delay, budget and replica maps.
 * Written before attaching: a user-space update of a policy element cancels
 * its timer, so nothing writes it once the splitter has armed it. */
static int fill_service(struct hedger_bpf *skel, const struct attach_opts *o, uint32_t i)
{
	const struct aopts_service *s = &o->services[i];
	struct hedger_endpoint e = endpoint_from_ep(&s->ep[0], HEDGER_EP_SERVICE, i, 0);
	struct hedger_replicas rv;
	struct lathist_svc ls;
	struct budget b;

	/* Every service's own address is in before any replica (fill_replicas),
	 * so an address that is both is a service, as the options say. */
	int err = endpoints_add(bpf_map__fd(skel->maps.endpoints), &e);

	if (err)
		return err;	/* options refuse duplicates: EEXIST is a bug */
	for (uint32_t r = 0; r < s->n; r++) {
		err = service_ports_add(bpf_map__fd(skel->maps.service_ports), s->ep[r].port);
		if (err)
			return err;
	}

	memset(&ls, 0, sizeof(ls));
	ls.cfg.min_ns = o->delay_min_ns;
	ls.cfg.max_ns = o->delay_max_ns;
	ls.cfg.period_ns = o->delay_period_ns;
	ls.cfg.p_permille = o->adaptive_permille;
	ls.cfg.min_samples = 20;	/* below that a percentile is noise */
	ls.st.delay_ns = o->delay_ns;
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.policy), &i, &ls, BPF_ANY))
		return -errno;

	memset(&b, 0, sizeof(b));
	b.ratio_milli = o->budget_milli;
	b.burst = (uint32_t)o->budget_burst;
	b.credits = (int64_t)b.burst * BUDGET_UNIT;
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.budget), &i, &b, BPF_ANY))
		return -errno;

	memset(&rv, 0, sizeof(rv));
	rv.n = s->n;
	for (uint32_t r = 0; r < s->n; r++)
		nat_from_ep(&rv.ep[r], &s->ep[r]);
	rv.policy = o->replica_policy;
	rv.tied = s->n > 1 ? (uint32_t)o->tied : 0;
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.replicas), &i, &rv, BPF_ANY))
		return -errno;
	return 0;
}

/* fill_replicas - the endpoint table entries of service @i's hedge replicas.
 * A replica shared by two services answers for the first. */
static int fill_replicas(struct hedger_bpf *skel, const struct attach_opts *o, uint32_t i)
{
	const struct aopts_service *s = &o->services[i];

	for (uint32_t r = 1; r < s->n; r++) {
		struct hedger_endpoint e = endpoint_from_ep(&s->ep[r], HEDGER_EP_REPLICA, i, r);
		int err = endpoints_add(bpf_map__fd(skel->maps.endpoints), &e);

		if (err && err != -EEXIST)
			return err;
	}
	return 0;
}

#define CGROUP2_MAGIC 0x63677270	/* CGROUP2_SUPER_MAGIC */

/* cgroup_scope - the id of cgroup v2 directory @path (its inode number) and
 * its level below the hierarchy's root (0 = the root), for the splitter's
 * bpf_skb_ancestor_cgroup_id(). 0 or -errno after one error line. */
static int cgroup_scope(const char *path, uint64_t *id, uint32_t *level)
{
	char dir[PATH_MAX], *slash;
	struct statfs sfs;
	struct stat st, up;

	if (!realpath(path, dir) || stat(dir, &st) || statfs(dir, &sfs)) {
		int err = -errno;

		log_error("--cgroup %s: %s", path, strerror(-err));
		return err;
	}
	if (!S_ISDIR(st.st_mode) || sfs.f_type != CGROUP2_MAGIC) {
		log_error("--cgroup %s: not a cgroup v2 directory", path);
		return -EINVAL;
	}
	*id = (uint64_t)st.st_ino;
	*level = 0;
	/* Up to the hierarchy's root: the last directory still on cgroup2. */
	while ((slash = strrchr(dir, '/')) && slash != dir) {
		*slash = '\0';
		if (statfs(dir, &sfs) || sfs.f_type != CGROUP2_MAGIC || stat(dir, &up))
			break;
		(*level)++;
	}
	return 0;
}

int config_load(struct hedger_bpf **skelp, const struct attach_opts *o, const struct config_env *env)
{
	struct hedger_bpf *skel;
	int err;

	*skelp = skel = hedger_bpf__open();
	if (!skel) {
		err = -errno;
		log_error("cannot open the BPF object: %s", strerror(-err));
		return err;
	}
	set_knobs(skel, o, env);
	if (o->cgroup) {
		uint64_t id;
		uint32_t level;

		err = cgroup_scope(o->cgroup, &id, &level);
		if (err)
			return err;
		skel->rodata->cfg_cgroup_id = id;
		skel->rodata->cfg_cgroup_level = level;
	}
	bpf_map__set_max_entries(skel->maps.scoreboard, (uint32_t)(o->sb_size / HEDGER_SB_WAYS));
	if (skel->rodata->cfg_batch)
		bpf_map__set_max_entries(skel->maps.batch,
					 (uint32_t)libbpf_num_possible_cpus() * HEDGER_BATCH_RING);
	err = hedger_bpf__load(skel);
	if (err) {
		log_error("cannot load the BPF programs: %s", strerror(-err));
		return err;
	}
	for (uint32_t i = 0; i < (uint32_t)o->nservices; i++) {
		err = fill_service(skel, o, i);
		if (err)
			goto fill_failed;
	}
	for (uint32_t i = 0; i < (uint32_t)o->nservices; i++) {
		err = fill_replicas(skel, o, i);
		if (err)
			goto fill_failed;
	}
	return 0;
fill_failed:
	if (err == -ENOSPC)
		log_error("cannot fill the service maps: the %u endpoint-table slots of "
			  "an address are all taken (too many addresses collide)", HEDGER_EP_PROBES);
	else
		log_error("cannot fill the service maps: %s", strerror(-err));
	return err;
}
