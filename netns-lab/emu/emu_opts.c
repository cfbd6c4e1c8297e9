/* emu_opts.c: the emulator's options, in netem's words, checked before
 * anything is made. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu.h"
#include "emu_opts.h"
#include "log.h"
#include "normal_table.h"
#include "parse.h"

#define EMU_MAX_DELAY_NS (2ULL * 1000000000ULL)

uint64_t emu_prob(double f)
{
	double v = ldexp(f, 32);

	return v >= (double)EMU_P_ONE ? EMU_P_ONE : (uint64_t)llround(v);
}

static int prob_opt(const char *what, const char *text, __u64 *out)
{
	double f;

	if (parse_fraction(what, text, &f))
		return -EINVAL;
	*out = emu_prob(f);
	return 0;
}

static int dur_opt(const char *what, const char *text, __u64 *out)
{
	uint64_t v;

	if (parse_duration_ns(what, text, &v))
		return -EINVAL;
	*out = v;
	return 0;
}

/* "P,R,1-H,1-K": netem's gemodel p r 1-h 1-k, all four required. */
static int parse_gemodel(const char *text, struct emu_params *p)
{
	char buf[128], *f[5], *save = NULL, *tok;
	int n = 0;

	if (strlen(text) >= sizeof(buf)) {
		log_error("invalid --gemodel '%s': too long", text);
		return -EINVAL;
	}
	snprintf(buf, sizeof(buf), "%s", text);
	for (tok = strtok_r(buf, ",", &save); tok && n < 5; tok = strtok_r(NULL, ",", &save))
		f[n++] = tok;
	if (n != 4 || strchr(text, ' ') || strstr(text, ",,") || text[strlen(text) - 1] == ',') {
		log_error("invalid --gemodel '%s': expected P,R,1-H,1-K (four percentages, netem's gemodel p r 1-h 1-k)",
			  text);
		return -EINVAL;
	}
	if (prob_opt("--gemodel p", f[0], &p->ge_p) || prob_opt("--gemodel r", f[1], &p->ge_r) ||
	    prob_opt("--gemodel 1-h", f[2], &p->ge_loss_bad) ||
	    prob_opt("--gemodel 1-k", f[3], &p->ge_loss_good))
		return -EINVAL;
	if (!p->ge_r && p->ge_p) {
		log_error("invalid --gemodel '%s': r = 0 never leaves the bad state", text);
		return -EINVAL;
	}
	p->loss_model = EMU_LOSS_GEMODEL;
	return 0;
}

static const struct option attach_opts[] = {
	{ "dev", required_argument, NULL, 'd' },
	{ "delay", required_argument, NULL, 'D' },
	{ "jitter", required_argument, NULL, 'J' },
	{ "distribution", required_argument, NULL, 'T' },
	{ "loss", required_argument, NULL, 'L' },
	{ "gemodel", required_argument, NULL, 'G' },
	{ "duplicate", required_argument, NULL, 'U' },
	{ "reorder", required_argument, NULL, 'R' },
	{ "seed", required_argument, NULL, 'S' },
	{ "classes", required_argument, NULL, 'C' },
	{ "calib", required_argument, NULL, 'K' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

int emu_parse_attach(int argc, char **argv, struct emu_config *c, bool need_dev)
{
	uint64_t v;
	int opt;

	memset(c, 0, sizeof(*c));
	c->classes = 1024;
	c->p.seed = 1;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "h", attach_opts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			c->dev = optarg;
			break;
		case 'D':
			if (dur_opt("--delay", optarg, &c->p.delay_ns))
				return 2;
			c->have_delay = true;
			break;
		case 'J':
			if (dur_opt("--jitter", optarg, &c->p.jitter_ns))
				return 2;
			c->have_jitter = true;
			break;
		case 'T':
			if (!strcmp(optarg, "uniform")) {
				c->p.dist = EMU_DIST_UNIFORM;
			} else if (!strcmp(optarg, "normal")) {
				c->p.dist = EMU_DIST_NORMAL;
			} else {
				log_error("invalid --distribution '%s': expected uniform or normal", optarg);
				return 2;
			}
			break;
		case 'L':
			if (prob_opt("--loss", optarg, &c->p.loss))
				return 2;
			c->p.loss_model = EMU_LOSS_BERNOULLI;
			c->have_loss = true;
			break;
		case 'G':
			if (parse_gemodel(optarg, &c->p))
				return 2;
			c->have_gemodel = true;
			break;
		case 'U':
			if (prob_opt("--duplicate", optarg, &c->p.duplicate))
				return 2;
			break;
		case 'R':
			if (prob_opt("--reorder", optarg, &c->p.reorder))
				return 2;
			break;
		case 'S':
			if (parse_u64("--seed", optarg, 0, UINT64_MAX, &v))
				return 2;
			c->p.seed = v;
			break;
		case 'C':
			if (parse_u64("--classes", optarg, 1, 65535, &v))
				return 2;
			c->classes = (uint32_t)v;
			break;
		case 'K':
			c->calib_auto = !strcmp(optarg, "auto");
			if (!c->calib_auto && parse_duration_ns("--calib", optarg, &c->calib_ns))
				return 2;
			break;
		case 'h':
			return -1;
		default:
			log_error("attach: unknown or incomplete option '%s' (try --help)", argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc) {
		log_error("attach: unexpected argument '%s' (try --help)", argv[optind]);
		return 2;
	}
	if (!c->dev && need_dev) {
		log_error("attach: --dev IF is required");
		return 2;
	}
	if (c->have_loss && c->have_gemodel) {
		log_error("--loss and --gemodel exclude each other (one loss model per direction)");
		return 2;
	}
	if (c->p.delay_ns > EMU_MAX_DELAY_NS || c->p.jitter_ns > EMU_MAX_DELAY_NS) {
		log_error("invalid --%s: at most 2s", c->p.delay_ns > EMU_MAX_DELAY_NS ? "delay" : "jitter");
		return 2;
	}
	if (c->have_jitter && !c->have_delay) {
		log_error("--jitter needs --delay");
		return 2;
	}
	if (c->p.reorder && !c->p.delay_ns) {
		log_error("--reorder needs a --delay (reordered packets skip it)");
		return 2;
	}
	if (c->calib_auto && c->classes >= 65535) {
		log_error("--calib auto needs a class of its own: --classes at most 65534");
		return 2;
	}
	if (c->p.dist == EMU_DIST_UNIFORM) {
		if (c->p.jitter_ns > c->p.delay_ns) {
			log_error("invalid --jitter: a uniform jitter larger than --delay would need negative delays");
			return 2;
		}
		c->max_hold_ns = c->p.delay_ns + c->p.jitter_ns;
	} else {
		double ext = normal_table_extent(EMU_NORMAL_TABLE_SIZE);

		if (c->p.jitter_ns * ext > (double)c->p.delay_ns) {
			log_error("invalid --jitter: a normal jitter reaches %.2f sigma, so it must be at most --delay / %.2f",
				  ext, ext);
			return 2;
		}
		c->max_hold_ns = c->p.delay_ns + (uint64_t)ceil(c->p.jitter_ns * ext);
	}
	return 0;
}

int emu_parse_dev(int argc, char **argv, const char *cmd, const char **dev)
{
	static const struct option o[] = {
		{ "dev", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int opt;

	*dev = NULL;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "h", o, NULL)) != -1) {
		if (opt == 'd') {
			*dev = optarg;
		} else if (opt == 'h') {
			return -1;
		} else {
			log_error("%s: unknown or incomplete option '%s' (try --help)", cmd, argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc || !*dev) {
		log_error("%s: expected --dev IF", cmd);
		return 2;
	}
	return 0;
}
