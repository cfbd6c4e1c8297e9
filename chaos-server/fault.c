#include "fault.h"

#include <errno.h>
#include <math.h>

#include "log.h"
#include "timeutil.h"

/* Salts keep the hash streams of different decisions independent. */
#define SALT_BAD        0x6261645f69647321ULL
#define SALT_STALL      0x7374616c6c5f6e73ULL
#define SALT_PAUSE_GAP  0x70617573655f6761ULL
#define SALT_PAUSE_LEN  0x70617573655f6c65ULL

void fault_cfg_default(struct fault_cfg *cfg)
{
	*cfg = (struct fault_cfg){
		.rate = 0.02,
		.pattern = FAULT_PATTERN_MODULO,
		.dist = FAULT_STALL_FIXED,
		.pareto_alpha = 2.0,
		.stall_ns = 400 * NSEC_PER_MSEC,
		.stall_max_ns = 60 * NSEC_PER_SEC,
		.fast_ns = 2 * NSEC_PER_MSEC,
		.seed = 1,
		.pause_jitter = 0.1,
	};
}

static bool whole_percent(double rate)
{
	double pct = rate * 100.0;

	return fabs(pct - nearbyint(pct)) < 1e-9;
}

static uint32_t gcd_u32(uint32_t a, uint32_t b)
{
	while (b) {
		uint32_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

int fault_cfg_check(const struct fault_cfg *cfg)
{
	if (!(cfg->rate >= 0 && cfg->rate <= 1)) {
		log_error("--fault-rate must be between 0 and 1");
		return -EINVAL;
	}
	if (cfg->pattern == FAULT_PATTERN_MODULO && !whole_percent(cfg->rate)) {
		log_error("--fault-pattern modulo needs a --fault-rate in whole percent (got %g%%); use --fault-pattern hash",
			  cfg->rate * 100);
		return -EINVAL;
	}
	if (cfg->pattern == FAULT_PATTERN_MODULO && !cfg->shared_schedule) {
		uint32_t bad = (uint32_t)nearbyint(cfg->rate * 100.0);
		uint32_t distinct = bad ? 100 / gcd_u32(bad, 100) : 1;

		/* Replica K shifts the bad residues by K * bad (mod 100): only
		 * `distinct` shifts exist, a higher K repeats K mod distinct. */
		if (bad && cfg->replica >= distinct) {
			log_error("--replica %u: --fault-pattern modulo at %u%% has %u distinct schedules "
				  "(replica %u stalls on the same ids as replica %u); "
				  "use --replica 0..%u or --fault-pattern hash",
				  cfg->replica, bad, distinct, cfg->replica, cfg->replica % distinct,
				  distinct - 1);
			return -EINVAL;
		}
	}
	if (cfg->dist == FAULT_STALL_PARETO && !(cfg->pareto_alpha > 1.0)) {
		log_error("--pareto-alpha must be greater than 1 (the mean must exist)");
		return -EINVAL;
	}
	if (cfg->stall_max_ns < cfg->stall_ns) {
		log_error("--stall-max must not be shorter than --stall");
		return -EINVAL;
	}
	if ((cfg->pause_every_ns == 0) != (cfg->pause_for_ns == 0)) {
		log_error("--pause-every and --pause-for go together");
		return -EINVAL;
	}
	if (cfg->pause_every_ns && cfg->pause_for_ns >= cfg->pause_every_ns) {
		log_error("--pause-for must be shorter than --pause-every");
		return -EINVAL;
	}
	if (!(cfg->pause_jitter >= 0 && cfg->pause_jitter < 1)) {
		log_error("--pause-jitter must be in [0, 1)");
		return -EINVAL;
	}
	return 0;
}

/* splitmix64's finalizer: a bijective 64-bit mixer with full avalanche. */
uint64_t fault_hash64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

double fault_unit(uint64_t seed, uint64_t a, uint64_t b, uint64_t salt)
{
	uint64_t h = fault_hash64(seed ^ salt);

	h = fault_hash64(h ^ a);
	h = fault_hash64(h ^ b);
	return (double)(h >> 11) * 0x1.0p-53;   /* 53 random bits */
}

static uint32_t schedule_replica(const struct fault_cfg *cfg)
{
	return cfg->shared_schedule ? 0 : cfg->replica;
}

bool fault_is_bad(const struct fault_cfg *cfg, uint32_t id)
{
	uint32_t replica = schedule_replica(cfg);

	if (cfg->rate <= 0)
		return false;
	if (cfg->pattern == FAULT_PATTERN_MODULO) {
		uint32_t bad_residues = (uint32_t)nearbyint(cfg->rate * 100.0);
		/* Replica K's bad residues start at K * rate * 100, so the first
		 * 100 / (rate * 100) replicas stall on disjoint id sets. */
		uint64_t shift = (uint64_t)replica * bad_residues;

		return ((uint64_t)id % 100 + 100 - shift % 100) % 100 < bad_residues;
	}
	return fault_unit(cfg->seed, replica, id, SALT_BAD) < cfg->rate;
}

uint64_t fault_stall_ns(const struct fault_cfg *cfg, uint32_t id)
{
	double u = fault_unit(cfg->seed, schedule_replica(cfg), id, SALT_STALL);
	double mean = (double)cfg->stall_ns, x;

	switch (cfg->dist) {
	case FAULT_STALL_EXP:
		x = -mean * log1p(-u);
		break;
	case FAULT_STALL_PARETO: {
		/* scale x_m chosen so that the mean alpha x_m / (alpha - 1) is stall_ns */
		double a = cfg->pareto_alpha, xm = mean * (a - 1.0) / a;

		x = xm / pow(1.0 - u, 1.0 / a);
		break;
	}
	case FAULT_STALL_FIXED:
	default:
		return cfg->stall_ns;
	}
	if (!(x < (double)cfg->stall_max_ns))
		return cfg->stall_max_ns;
	return (uint64_t)llround(x);
}

static uint64_t jittered(const struct fault_cfg *cfg, uint64_t base, uint64_t k, uint64_t salt)
{
	double u = fault_unit(cfg->seed, cfg->replica, k, salt);

	return (uint64_t)llround((double)base * (1.0 + cfg->pause_jitter * (2.0 * u - 1.0)));
}

uint64_t fault_pause_gap_ns(const struct fault_cfg *cfg, uint64_t k)
{
	return jittered(cfg, cfg->pause_every_ns, k, SALT_PAUSE_GAP);
}

uint64_t fault_pause_len_ns(const struct fault_cfg *cfg, uint64_t k)
{
	return jittered(cfg, cfg->pause_for_ns, k, SALT_PAUSE_LEN);
}

const char *fault_pattern_name(enum fault_pattern p)
{
	return p == FAULT_PATTERN_HASH ? "hash" : "modulo";
}

const char *fault_stall_dist_name(enum fault_stall_dist d)
{
	switch (d) {
	case FAULT_STALL_EXP: return "exp";
	case FAULT_STALL_PARETO: return "pareto";
	default: return "fixed";
	}
}
