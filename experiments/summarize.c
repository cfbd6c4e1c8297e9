/* summarize - turn a run's manifest (one row per arm and trial) into
 * summary.csv, summary.md, trials.csv and the data files the plots read.
 *
 * Per arm: P50/P95/P99/P99.9/MAX over the pooled answered requests of its
 * trials (exact nearest-rank), bootstrap 95 % CIs over trials for P99 and
 * MAX, P99 reduction against the experiment's baseline arm, timeouts, hedges
 * sent and duplicates seen. */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <math.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "csvline.h"
#include "log.h"
#include "parse.h"
#include "sumstat.h"
#include "trialcsv.h"

#define NPCT 5
static const double pcts[NPCT] = { 50, 95, 99, 99.9, 100 };

struct trial {
	char *experiment, *arm, *param, *status, *trial_id;
	bool ok;
	int64_t hedges_override, dup_override;   /* -1: take from the CSV */
	int64_t total_override;                  /* -1: the CSV's rows */
	struct trialcsv data;
};

struct arm {
	const char *experiment, *arm, *param;
	size_t *idx;            /* indices into the trial array */
	size_t n;
	unsigned failed;
	bool have;              /* at least one answered request */
	int64_t pct[NPCT];
	struct sumstat_ci p99_ci, max_ci;
	uint64_t requests, answered, timeouts, hedges, duplicates;
	uint64_t sent;          /* requests sent incl. warm-up, when known */
};

static struct {
	const char *manifest;
	const char *out_dir;
	const char *baseline;
	uint64_t resamples;
	uint64_t seed;
	bool from_intended;
} env = { .baseline = "baseline", .resamples = 2000, .seed = 1 };

static const char usage[] =
"Usage: summarize [OPTIONS] MANIFEST\n"
"\n"
"Summarize an experiment run. MANIFEST is a CSV with the header\n"
"  experiment,arm,trial,status,requests_csv[,param][,hedges_sent][,duplicates]\n"
"  [,total_requests]\n"
"(status ok|failed; requests_csv relative to the manifest's directory; an\n"
"empty hedges_sent/duplicates cell means: count them from the CSV; hedges\n"
"counted over warm-up too need total_requests, the requests sent with it,\n"
"for the extra-requests share). Other columns are ignored.\n"
"Writes summary.csv, summary.md, trials.csv and plotdata/ into the output dir.\n"
"\n"
"  -o, --out-dir DIR      output directory (default: the manifest's directory)\n"
"  -b, --baseline ARM     arm the P99 reduction is relative to (default: baseline)\n"
"  -B, --resamples N      bootstrap resamples (default: 2000)\n"
"  -s, --seed N           bootstrap seed, for reproducible CIs (default: 1)\n"
"  -i, --from-intended    latency from the intended send time (open loop)\n"
"  -h, --help             this text\n"
"\n"
"Examples:\n"
"  summarize results/20261122T0100Z-vm/manifest.csv\n"
"  summarize -B 10000 -o /tmp/s results/reference/manifest.csv\n";

static int parse_args(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "out-dir", required_argument, NULL, 'o' },
		{ "baseline", required_argument, NULL, 'b' },
		{ "resamples", required_argument, NULL, 'B' },
		{ "seed", required_argument, NULL, 's' },
		{ "from-intended", no_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "o:b:B:s:ih", opts, NULL)) != -1) {
		switch (c) {
		case 'o': env.out_dir = optarg; break;
		case 'b': env.baseline = optarg; break;
		case 'B':
			if (parse_u64("--resamples", optarg, 1, 1000000, &env.resamples))
				return -EINVAL;
			break;
		case 's':
			if (parse_u64("--seed", optarg, 0, UINT64_MAX, &env.seed))
				return -EINVAL;
			break;
		case 'i': env.from_intended = true; break;
		case 'h': fputs(usage, stdout); exit(0);
		default:
			log_error("unknown option (try --help)");
			return -EINVAL;
		}
	}
	if (optind != argc - 1) {
		log_error("expected exactly one MANIFEST argument (try --help)");
		return -EINVAL;
	}
	env.manifest = argv[optind];
	return 0;
}

/* path_fmt - snprintf into a PATH_MAX buffer; -ENAMETOOLONG if cut short. */
static int __attribute__((format(printf, 2, 3))) path_fmt(char *buf, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, PATH_MAX, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= PATH_MAX) {
		log_error("path too long: %s...", buf);
		return -ENAMETOOLONG;
	}
	return 0;
}

static int parse_count(const char *s, int64_t *out)
{
	char *end;

	if (!*s) {
		*out = -1;
		return 0;
	}
	errno = 0;
	*out = strtoll(s, &end, 10);
	return (errno || *end || *out < 0 || *s == '-' || *s == '+') ? -EINVAL : 0;
}

static void free_trials(struct trial *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(t[i].experiment);
		free(t[i].arm);
		free(t[i].param);
		free(t[i].status);
		free(t[i].trial_id);
		trialcsv_free(&t[i].data);
	}
	free(t);
}

/* read_manifest - every row, with each ok trial's CSV loaded. */
static int read_manifest(const char *dir, struct trial **out, size_t *out_n)
{
	static const char *const n_exp[] = { "experiment", NULL }, *const n_arm[] = { "arm", NULL },
		*const n_trial[] = { "trial", NULL }, *const n_status[] = { "status", NULL },
		*const n_csv[] = { "requests_csv", NULL }, *const n_param[] = { "param", NULL },
		*const n_hedges[] = { "hedges_sent", NULL }, *const n_dup[] = { "duplicates", NULL },
		*const n_total[] = { "total_requests", NULL };
	int c_exp, c_arm, c_trial, c_status, c_csv, c_param, c_hedges, c_dup, c_total, err;
	struct trial *t = NULL;
	size_t n = 0, tcap = 0;
	struct csvline_file csv;
	char **cols = csv.cols;

	err = csvline_open(&csv, env.manifest);
	if (err)
		return err;
	c_exp = csvline_col(&csv, n_exp);
	c_arm = csvline_col(&csv, n_arm);
	c_trial = csvline_col(&csv, n_trial);
	c_status = csvline_col(&csv, n_status);
	c_csv = csvline_col(&csv, n_csv);
	c_param = csvline_col(&csv, n_param);
	c_hedges = csvline_col(&csv, n_hedges);
	c_dup = csvline_col(&csv, n_dup);
	c_total = csvline_col(&csv, n_total);
	if (c_exp < 0 || c_arm < 0 || c_trial < 0 || c_status < 0 || c_csv < 0) {
		log_error("%s: header must have experiment,arm,trial,status,requests_csv", env.manifest);
		err = -EINVAL;
		goto cleanup;
	}
	while (csvline_next(&csv) > 0) {
		struct trial *cur;
		char path[PATH_MAX];

		if (n == tcap) {
			size_t ncap = tcap ? tcap * 2 : 16;
			struct trial *p = realloc(t, ncap * sizeof(*p));

			if (!p) {
				err = -ENOMEM;
				goto cleanup;
			}
			t = p;
			tcap = ncap;
		}
		cur = &t[n++];
		memset(cur, 0, sizeof(*cur));
		cur->experiment = strdup(cols[c_exp]);
		cur->arm = strdup(cols[c_arm]);
		cur->trial_id = strdup(cols[c_trial]);
		cur->status = strdup(cols[c_status]);
		cur->param = strdup(c_param >= 0 ? cols[c_param] : "");
		if (!cur->experiment || !cur->arm || !cur->trial_id || !cur->status || !cur->param) {
			err = -ENOMEM;
			goto cleanup;
		}
		if (parse_count(c_hedges >= 0 ? cols[c_hedges] : "", &cur->hedges_override) ||
		    parse_count(c_dup >= 0 ? cols[c_dup] : "", &cur->dup_override) ||
		    parse_count(c_total >= 0 ? cols[c_total] : "", &cur->total_override)) {
			log_error("%s:%lu: bad hedges_sent, duplicates or total_requests", env.manifest,
				  csv.lineno);
			err = -EINVAL;
			goto cleanup;
		}
		cur->ok = strcmp(cur->status, "ok") == 0;
		if (!cur->ok)
			continue;
		if (cols[c_csv][0] == '/')
			err = path_fmt(path, "%s", cols[c_csv]);
		else
			err = path_fmt(path, "%s/%s", dir, cols[c_csv]);
		if (!err)
			err = trialcsv_read(path, env.from_intended, &cur->data);
		if (err)
			goto cleanup;
	}
cleanup:
	err = csvline_close(&csv, err);
	if (err) {
		free_trials(t, n);
		return err;
	}
	*out = t;
	*out_n = n;
	return 0;
}

static uint64_t trial_hedges(const struct trial *t)
{
	return t->hedges_override >= 0 ? (uint64_t)t->hedges_override : t->data.hedges;
}

static uint64_t trial_dups(const struct trial *t)
{
	return t->dup_override >= 0 ? (uint64_t)t->dup_override : t->data.duplicates;
}

/* group_arms - arms in order of first appearance, each with its trials. */
static int group_arms(struct trial *t, size_t n, struct arm **out, size_t *out_n)
{
	struct arm *arms = calloc(n ? n : 1, sizeof(*arms));
	size_t na = 0;

	if (!arms)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct arm *a = NULL;

		for (size_t k = 0; k < na; k++)
			if (!strcmp(arms[k].experiment, t[i].experiment) && !strcmp(arms[k].arm, t[i].arm))
				a = &arms[k];
		if (!a) {
			a = &arms[na++];
			a->experiment = t[i].experiment;
			a->arm = t[i].arm;
			a->param = t[i].param;
			a->idx = calloc(n, sizeof(*a->idx));
			if (!a->idx) {
				*out = arms;
				*out_n = na;
				return -ENOMEM;
			}
		}
		if (!t[i].ok) {
			a->failed++;
			continue;
		}
		a->idx[a->n++] = i;
	}
	*out = arms;
	*out_n = na;
	return 0;
}

/* arm_seed - the bootstrap seed of one arm: the run's seed mixed with the
 * arm's name (FNV-1a), so an arm's CI does not change when other arms are
 * added to or removed from the manifest. */
static uint64_t arm_seed(const struct arm *a)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	const char *parts[] = { a->experiment, "/", a->arm };

	for (int i = 0; i < 3; i++)
		for (const char *c = parts[i]; *c; c++)
			h = (h ^ (unsigned char)*c) * 0x100000001b3ULL;
	return h ^ env.seed;
}

/* arm_pool - pool the latencies of @a's trials (sorted in place; the series
 * plot keeps its own copy in request order). *@stp backs the pool: free it
 * after sumstat_pool_fini. 0 or -errno (nothing left allocated). */
static int arm_pool(const struct arm *a, struct trial *t, struct sumstat_trial **stp,
		    struct sumstat_pool *pool)
{
	struct sumstat_trial *st;
	int err;

	st = calloc(a->n, sizeof(*st));
	if (!st)
		return -ENOMEM;
	for (size_t k = 0; k < a->n; k++) {
		st[k].values = t[a->idx[k]].data.latency_ns;
		st[k].n = t[a->idx[k]].data.n;
	}
	err = sumstat_pool_init(pool, st, a->n);
	if (err) {
		free(st);
		return err;
	}
	*stp = st;
	return 0;
}

static int summarize_arm(struct arm *a, struct trial *t)
{
	struct sumstat_trial *st;
	struct sumstat_pool pool;
	struct sumstat_rng rng;
	int err = 0;

	for (size_t k = 0; k < a->n; k++) {
		const struct trial *tr = &t[a->idx[k]];

		a->requests += tr->data.requests;
		a->answered += tr->data.n;
		a->timeouts += tr->data.timeouts;
		a->hedges += trial_hedges(tr);
		a->duplicates += trial_dups(tr);
		a->sent += tr->total_override >= 0 ? (uint64_t)tr->total_override : tr->data.requests;
	}
	if (!a->answered)
		return 0;
	err = arm_pool(a, t, &st, &pool);
	if (err)
		return err;
	sumstat_rng_seed(&rng, arm_seed(a));
	for (int i = 0; i < NPCT && !err; i++)
		err = sumstat_percentile(&pool, NULL, pcts[i], &a->pct[i]);
	if (!err)
		err = sumstat_bootstrap_ci(&pool, 99, (unsigned)env.resamples, &rng, &a->p99_ci);
	if (!err)
		err = sumstat_bootstrap_ci(&pool, 100, (unsigned)env.resamples, &rng, &a->max_ci);
	a->have = !err;
	sumstat_pool_fini(&pool);
	free(st);
	return err;
}

static const struct arm *find_baseline(const struct arm *arms, size_t na, const char *experiment)
{
	for (size_t k = 0; k < na; k++)
		if (!strcmp(arms[k].experiment, experiment) && !strcmp(arms[k].arm, env.baseline))
			return &arms[k];
	return NULL;
}

/* Milliseconds with microsecond resolution, or an empty cell. */
static void put_ms(FILE *f, bool have, int64_t ns, const char *sep)
{
	if (have)
		fprintf(f, "%.3f%s", (double)ns / 1e6, sep);
	else
		fprintf(f, "%s", sep);
}

static bool reduction(const struct arm *arms, size_t na, const struct arm *a, double *out)
{
	const struct arm *b = find_baseline(arms, na, a->experiment);

	if (!b || b == a || !b->have || !a->have || b->pct[2] <= 0)
		return false;
	*out = 100.0 * (1.0 - (double)a->pct[2] / (double)b->pct[2]);
	return true;
}

static void write_summary_csv(FILE *f, const struct arm *arms, size_t na)
{
	fputs("experiment,arm,param,trials,failed,requests,answered,p50_ms,p95_ms,p99_ms,p999_ms,max_ms,"
	      "p99_ci_lo_ms,p99_ci_hi_ms,max_ci_lo_ms,max_ci_hi_ms,p99_reduction_pct,timeouts,"
	      "hedges_sent,extra_pct,duplicates\n", f);
	for (size_t k = 0; k < na; k++) {
		const struct arm *a = &arms[k];
		double red;

		fprintf(f, "%s,%s,%s,%zu,%u,%llu,%llu,", a->experiment, a->arm, a->param, a->n,
			a->failed, (unsigned long long)a->requests, (unsigned long long)a->answered);
		for (int i = 0; i < NPCT; i++)
			put_ms(f, a->have, a->pct[i], ",");
		put_ms(f, a->have, a->p99_ci.lo, ",");
		put_ms(f, a->have, a->p99_ci.hi, ",");
		put_ms(f, a->have, a->max_ci.lo, ",");
		put_ms(f, a->have, a->max_ci.hi, ",");
		if (reduction(arms, na, a, &red))
			fprintf(f, "%.1f", red);
		fprintf(f, ",%llu,%llu,", (unsigned long long)a->timeouts, (unsigned long long)a->hedges);
		if (a->sent)
			fprintf(f, "%.2f", 100.0 * (double)a->hedges / (double)a->sent);
		fprintf(f, ",%llu\n", (unsigned long long)a->duplicates);
	}
}

static void md_ms(FILE *f, bool have, int64_t ns)
{
	if (have)
		fprintf(f, " %.3f |", (double)ns / 1e6);
	else
		fputs(" – |", f);
}

static void write_summary_md(FILE *f, const struct arm *arms, size_t na)
{
	const char *cur = NULL;

	fputs("# Summary\n\nLatencies in ms over the pooled answered requests of all trials; "
	      "[lo, hi] is a bootstrap 95 % CI over trials. Timeouts are not in the latencies. "
	      "Hedges as counted by the run (hedger: warm-up included; app client: measured "
	      "requests); summary.csv's extra_pct relates them to the requests they cover.\n", f);
	for (size_t k = 0; k < na; k++) {
		const struct arm *a = &arms[k];
		double red;

		if (!cur || strcmp(cur, a->experiment)) {
			cur = a->experiment;
			fprintf(f, "\n## %s\n\n| arm | param | trials | P50 | P95 | P99 | P99 CI | P99.9 | MAX | MAX CI "
				"| P99 red. | timeouts | hedges | dups |\n"
				"|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n", cur);
		}
		fprintf(f, "| %s | %s | %zu%s |", a->arm, a->param, a->n, a->failed ? " (+failed)" : "");
		md_ms(f, a->have, a->pct[0]);
		md_ms(f, a->have, a->pct[1]);
		md_ms(f, a->have, a->pct[2]);
		if (a->have)
			fprintf(f, " [%.3f, %.3f] |", a->p99_ci.lo / 1e6, a->p99_ci.hi / 1e6);
		else
			fputs(" – |", f);
		md_ms(f, a->have, a->pct[3]);
		md_ms(f, a->have, a->pct[4]);
		if (a->have)
			fprintf(f, " [%.3f, %.3f] |", a->max_ci.lo / 1e6, a->max_ci.hi / 1e6);
		else
			fputs(" – |", f);
		if (reduction(arms, na, a, &red))
			fprintf(f, " %.1f %% |", red);
		else
			fputs(" – |", f);
		fprintf(f, " %llu | %llu | %llu |\n", (unsigned long long)a->timeouts,
			(unsigned long long)a->hedges, (unsigned long long)a->duplicates);
	}
}

/* trials.csv needs per-trial percentiles: a pool of one trial. */
static int write_trials_csv(FILE *f, struct trial *t, size_t n)
{
	fputs("experiment,arm,param,trial,status,requests,answered,p50_ms,p95_ms,p99_ms,p999_ms,max_ms,"
	      "timeouts,hedges_sent,duplicates\n", f);
	for (size_t i = 0; i < n; i++) {
		struct sumstat_trial st = { t[i].data.latency_ns, t[i].data.n };
		struct sumstat_pool pool;
		int64_t v[NPCT];
		bool have = false;

		if (t[i].ok && t[i].data.n) {
			int err = sumstat_pool_init(&pool, &st, 1);

			if (err)
				return err;
			for (int k = 0; k < NPCT; k++)
				sumstat_percentile(&pool, NULL, pcts[k], &v[k]);
			sumstat_pool_fini(&pool);
			have = true;
		}
		fprintf(f, "%s,%s,%s,%s,%s,%llu,%zu,", t[i].experiment, t[i].arm, t[i].param,
			t[i].trial_id, t[i].status, (unsigned long long)t[i].data.requests, t[i].data.n);
		for (int k = 0; k < NPCT; k++)
			put_ms(f, have, have ? v[k] : 0, ",");
		fprintf(f, "%llu,%llu,%llu\n", (unsigned long long)t[i].data.timeouts,
			(unsigned long long)trial_hedges(&t[i]), (unsigned long long)trial_dups(&t[i]));
	}
	return 0;
}

static void put_cdf(FILE *f, const struct sumstat_pool *pool, const struct trialcsv *first)
{
	size_t N = pool->total, step = N > 1000 ? N / 1000 : 1, tail = sumstat_rank(99, N);

	fputs("# latency_ms cumulative_fraction\n", f);
	for (size_t r = 1; r <= N; r++)
		if (r % step == 0 || r >= tail || r == 1)
			fprintf(f, "%.6f %.6f\n", pool->values[r - 1] / 1e6, (double)r / (double)N);
}

static void put_spectrum(FILE *f, const struct sumstat_pool *pool, const struct trialcsv *first)
{
	fputs("# latency_ms percentile inverse_one_minus_p\n", f);
	for (int i = 0; i <= 300; i++) {
		double p = 100.0 * (1.0 - pow(2.0, -i / 5.0));
		int64_t v;

		/* Stop once 1-p is below one request: the remaining point is MAX. */
		if ((100.0 - p) / 100.0 * (double)pool->total < 1.0)
			break;
		sumstat_percentile(pool, NULL, p, &v);
		fprintf(f, "%.6f %.6f %.3f\n", v / 1e6, p, 100.0 / (100.0 - p));
	}
	fprintf(f, "%.6f %.6f %.3f\n", pool->values[pool->total - 1] / 1e6, 100.0, (double)pool->total);
}

static void put_series(FILE *f, const struct sumstat_pool *pool, const struct trialcsv *first)
{
	fputs("# request_index latency_ms (NaN: timeout)\n", f);
	for (uint64_t r = 0; r < first->requests; r++) {
		if (first->series[r] < 0)
			fprintf(f, "%llu NaN\n", (unsigned long long)r);
		else
			fprintf(f, "%llu %.6f\n", (unsigned long long)r, first->series[r] / 1e6);
	}
}

typedef void (*plot_fn)(FILE *f, const struct sumstat_pool *pool, const struct trialcsv *first);

/* write_plotfile - DIR/EXP.ARM.EXT through @fn. 0 or -errno. */
static int write_plotfile(const char *dir, const struct arm *a, const char *ext, plot_fn fn,
			  const struct sumstat_pool *pool, const struct trialcsv *first)
{
	char path[PATH_MAX];
	int err;
	FILE *f;

	err = path_fmt(path, "%s/%s.%s.%s", dir, a->experiment, a->arm, ext);
	if (err)
		return err;
	f = fopen(path, "w");
	if (!f)
		goto cleanup;
	fn(f, pool, first);
	if (fclose(f))
		goto cleanup;
	return 0;
cleanup:
	err = -errno;
	log_error("cannot write %s: %s", path, strerror(errno));
	return err;
}

/* write_plotdata - per arm: .cdf (latency_ms fraction; every rank in the top
 * 1 %, about 1000 evenly spaced ranks below), .spectrum (latency_ms
 * percentile 1/(1-p) at HDR-style ticks, 5 per halving) and .series (the
 * first ok trial in request order: index latency_ms, timeouts as NaN). */
static int write_plotdata(const char *dir, const struct arm *a, struct trial *t)
{
	const struct trialcsv *first = &t[a->idx[0]].data;
	struct sumstat_trial *st = NULL;
	struct sumstat_pool pool = { 0 };
	int err = 0;

	if (!a->have)
		return 0;
	err = arm_pool(a, t, &st, &pool);
	if (err)
		return err;
	err = write_plotfile(dir, a, "cdf", put_cdf, &pool, first);
	if (!err)
		err = write_plotfile(dir, a, "spectrum", put_spectrum, &pool, first);
	if (!err)
		err = write_plotfile(dir, a, "series", put_series, &pool, first);
	sumstat_pool_fini(&pool);
	free(st);
	return err;
}

typedef void (*writer_fn)(FILE *f, const struct arm *arms, size_t na);

/* write_atomic - write through a temporary file and rename, so a failed
 * run never leaves a half-written summary behind. */
static int write_atomic(const char *dir, const char *name, writer_fn fn, const struct arm *arms,
			size_t na, struct trial *t, size_t nt)
{
	char tmp[PATH_MAX], path[PATH_MAX];
	int err = 0;
	FILE *f;

	if (path_fmt(path, "%s/%s", dir, name) || path_fmt(tmp, "%s/.%s.tmp", dir, name))
		return -ENAMETOOLONG;
	f = fopen(tmp, "w");
	if (!f) {
		err = -errno;
		log_error("cannot write %s: %s", tmp, strerror(errno));
		return err;
	}
	if (fn)
		fn(f, arms, na);
	else
		err = write_trials_csv(f, t, nt);
	if (fclose(f) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err) {
		log_error("cannot write %s: %s", path, strerror(-err));
		unlink(tmp);
	}
	return err;
}

int main(int argc, char **argv)
{
	char mdir[PATH_MAX], plotdir[PATH_MAX];
	struct trial *trials = NULL;
	struct arm *arms = NULL;
	size_t nt = 0, na = 0;
	int err;

	log_set_program("summarize");
	err = parse_args(argc, argv);
	if (err)
		return 2;
	if (path_fmt(plotdir, "%s", env.manifest) || path_fmt(mdir, "%s", dirname(plotdir)))
		return 1;
	if (!env.out_dir)
		env.out_dir = mdir;

	err = read_manifest(mdir, &trials, &nt);
	if (err)
		goto cleanup;
	if (!nt) {
		log_error("%s: no trials", env.manifest);
		err = -EINVAL;
		goto cleanup;
	}
	err = group_arms(trials, nt, &arms, &na);
	if (err)
		goto cleanup;
	err = path_fmt(plotdir, "%s/plotdata", env.out_dir);
	if (err)
		goto cleanup;
	if (mkdir(plotdir, 0755) && errno != EEXIST) {
		err = -errno;
		log_error("cannot create %s: %s", plotdir, strerror(errno));
		goto cleanup;
	}
	for (size_t k = 0; k < na && !err; k++) {
		err = summarize_arm(&arms[k], trials);
		if (err)
			log_error("%s/%s: summary failed: %s", arms[k].experiment, arms[k].arm, strerror(-err));
	}
	for (size_t k = 0; k < na && !err; k++)
		err = write_plotdata(plotdir, &arms[k], trials);
	if (!err)
		err = write_atomic(env.out_dir, "trials.csv", NULL, arms, na, trials, nt);
	if (!err)
		err = write_atomic(env.out_dir, "summary.csv", write_summary_csv, arms, na, NULL, 0);
	if (!err)
		err = write_atomic(env.out_dir, "summary.md", write_summary_md, arms, na, NULL, 0);
cleanup:
	for (size_t k = 0; k < na; k++)
		free(arms[k].idx);
	free(arms);
	free_trials(trials, nt);
	return err ? 1 : 0;
}
