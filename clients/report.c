#include "report.h"

#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "loadsched.h"
#include "log.h"
#include "timeutil.h"

#define NS_PER_MS 1e6

int report_check_out_dir(const char *dir)
{
	char *copy, *parent;
	struct stat st;
	int err = 0;

	if (stat(dir, &st) == 0) {
		if (!S_ISDIR(st.st_mode)) {
			log_error("invalid --out '%s': exists and is not a directory", dir);
			return -ENOTDIR;
		}
		if (access(dir, W_OK | X_OK)) {
			log_error("invalid --out '%s': not writable", dir);
			return -EACCES;
		}
		return 0;
	}
	copy = strdup(dir);
	if (!copy)
		return -ENOMEM;
	parent = dirname(copy);
	if (stat(parent, &st) || !S_ISDIR(st.st_mode)) {
		log_error("invalid --out '%s': parent directory '%s' does not exist", dir, parent);
		err = -ENOENT;
	} else if (access(parent, W_OK | X_OK)) {
		log_error("invalid --out '%s': cannot create it in '%s' (not writable)", dir, parent);
		err = -EACCES;
	}
	free(copy);
	return err;
}

static double pct_ms(const struct hist *h, double p)
{
	return (double)hist_value_at_percentile(h, p) / NS_PER_MS;
}

static void print_latency_line(FILE *out, const char *label, const struct hist *h)
{
	if (hist_count(h) == 0) {
		fprintf(out, "  %-22s count 0\n", label);
		return;
	}
	fprintf(out, "  %-22s count %lld  p50 %.3f  p95 %.3f  p99 %.3f  p99.9 %.3f  max %.3f ms\n",
		label, (long long)hist_count(h), pct_ms(h, 50), pct_ms(h, 95), pct_ms(h, 99),
		pct_ms(h, 99.9), (double)hist_max(h) / NS_PER_MS);
}

void report_print_summary(FILE *out, const struct copts *o, const struct eng_result *res,
			  const struct report_extra *x)
{
	const struct eng_stats *st = &res->stats;
	char dur[32];

	fprintf(out, "hedge-client: mode %s, %s loop", copts_mode_name(o->mode),
		copts_is_open_loop(o) ? "open" : "closed");
	if (copts_is_open_loop(o))
		fprintf(out, " at %.0f/s", o->rate_hz);
	fprintf(out, ", target %s, ids %llu..%llu (%llu warm-up), %s\n", o->target_text,
		(unsigned long long)o->first_id,
		(unsigned long long)(o->first_id + copts_total(o) - 1),
		(unsigned long long)o->warmup,
		time_format_duration(st->end_ns - st->start_ns, dur, sizeof(dur)));
	print_latency_line(out, copts_is_open_loop(o) ? "latency (corrected)" : "latency",
			   res->latency.total);
	if (copts_is_open_loop(o))
		print_latency_line(out, "latency (uncorrected)", res->uncorrected.total);
	fprintf(out, "  timeouts %llu  hedges sent %llu (won %llu)  duplicates seen %llu  "
		"stale/mismatched replies %llu (late %llu, foreign %llu)\n",
		(unsigned long long)st->timeouts, (unsigned long long)st->hedges_sent,
		(unsigned long long)st->hedge_wins, (unsigned long long)st->duplicates,
		(unsigned long long)(st->late + st->foreign), (unsigned long long)st->late,
		(unsigned long long)st->foreign);
	if (o->proto != PROTO_ID)
		fprintf(out, "  %s: error answers %llu  multi-datagram replies %llu  duplicate datagrams %llu  "
			"unfinished reassemblies %llu  mismatched replies %llu\n", proto_kind_name(o->proto),
			(unsigned long long)st->error_answers, (unsigned long long)res->proto.multi_replies,
			(unsigned long long)res->proto.dup_datagrams,
			(unsigned long long)res->proto.dropped_partials,
			(unsigned long long)res->proto.mismatched);
	if (st->rx_drops)
		fprintf(out, "  receive-buffer drops %llu (replies lost in this host's kernel: "
			"lower the rate)\n", (unsigned long long)st->rx_drops);
	fprintf(out, "  schedule error p99 %.3f  max %.3f ms", pct_ms(res->sched_error, 99),
		(double)hist_max(res->sched_error) / NS_PER_MS);
	if (copts_is_open_loop(o))
		fprintf(out, "  (worst sender lag %.3f ms)", (double)st->max_sender_lag_ns / NS_PER_MS);
	if (o->gc_pause_ns)
		fprintf(out, "  gc pauses %llu (%.1f ms in total)", (unsigned long long)x->gc_pauses,
			(double)x->gc_paused_ns / NS_PER_MS);
	fputc('\n', out);
}

static FILE *open_in(const char *dir, const char *name, int *err)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f) {
		*err = -errno;
		log_error("cannot write %s: %s", path, strerror(errno));
	}
	return f;
}

static int close_checked(FILE *f, const char *dir, const char *name)
{
	int bad = ferror(f);

	if (fclose(f) || bad) {
		log_error("writing %s/%s failed", dir, name);
		return -EIO;
	}
	return 0;
}

static int write_text(const char *dir, const char *name, const char *text, size_t len)
{
	int err = 0;
	FILE *f = open_in(dir, name, &err);

	if (!f)
		return err;
	fwrite(text, 1, len, f);
	return close_checked(f, dir, name);
}

static int write_hgrm(const char *dir, const char *name, const struct hist *h)
{
	int err = 0;
	FILE *f = open_in(dir, name, &err);

	if (!f)
		return err;
	err = hist_write_percentiles(h, f, 5, NS_PER_MS);
	if (err)
		log_error("cannot write %s/%s: %s", dir, name, strerror(-err));
	return close_checked(f, dir, name) ?: err;
}

static int write_summary_csv(const char *dir, const struct copts *o, const struct eng_result *res)
{
	int err = 0;
	FILE *f = open_in(dir, "summary.csv", &err);

	if (!f)
		return err;
	err = hist_write_summary_csv(res->latency.total, f, "latency", true);
	if (!err && copts_is_open_loop(o))
		err = hist_write_summary_csv(res->uncorrected.total, f, "latency_uncorrected", false);
	if (!err)
		err = hist_write_summary_csv(res->sched_error, f, "schedule_error", false);
	return close_checked(f, dir, "summary.csv") ?: err;
}

static void put_ns(FILE *f, uint64_t ns)
{
	if (ns)
		fprintf(f, "%llu", (unsigned long long)ns);
}

static int write_requests_csv(const char *dir, const struct copts *o, const struct eng_result *res)
{
	static const char *const outcome[] = { "unsent", "ok", "ok", "timeout" };
	int err = 0;
	FILE *f = open_in(dir, "requests.csv", &err);

	if (!f)
		return err;
	fputs("id,intended_send_ns,actual_send_ns,reply_ns,outcome,hedge_sent,hedge_send_ns,winner\n", f);
	for (uint64_t i = o->warmup; i < res->total; i++) {
		const struct req *r = &res->reqs[i];

		fprintf(f, "%u,", lsched_id(o->first_id, i));
		put_ns(f, r->intended_ns);
		fputc(',', f);
		put_ns(f, r->actual_ns);
		fputc(',', f);
		put_ns(f, r->reply_ns);
		fprintf(f, ",%s,%u,", r->duplicate_seen ? "duplicate-seen" : outcome[r->state],
			r->hedge_sent);
		put_ns(f, r->hedge_ns);
		fprintf(f, ",%s\n", r->state != REQ_ANSWERED ? "" :
			r->winner == REQ_COPY_HEDGE ? "hedge" : "primary");
	}
	return close_checked(f, dir, "requests.csv");
}

static int write_params(const char *dir, const struct copts *o, int argc, char **argv,
			const struct eng_result *res, const struct report_extra *x)
{
	const struct eng_stats *st = &res->stats;
	int err = 0;
	FILE *f = open_in(dir, "params.txt", &err);

	if (!f)
		return err;
	fputs("command=", f);
	for (int i = 0; i < argc; i++)
		fprintf(f, "%s%s", i ? " " : "", argv[i]);
	fprintf(f, "\nmode=%s\nloop=%s\nrate_hz=%g\ntarget=%s\nhedge_target=%s\n",
		copts_mode_name(o->mode), copts_is_open_loop(o) ? "open" : "closed", o->rate_hz,
		o->target_text, o->hedge_target_text ? o->hedge_target_text : "");
	fprintf(f, "requests=%llu\nwarmup=%llu\nfirst_id=%llu\ntimeout_ns=%llu\nthink_ns=%llu\n"
		"hedge_delay_ns=%llu\nsize=%llu\nmax_inflight=%llu\n",
		(unsigned long long)o->requests, (unsigned long long)o->warmup,
		(unsigned long long)o->first_id, (unsigned long long)o->timeout_ns,
		(unsigned long long)o->think_ns,
		(unsigned long long)(o->mode == COPTS_MODE_APP ? o->hedge_delay_ns : 0),
		(unsigned long long)o->size, (unsigned long long)o->max_inflight);
	fprintf(f, "gc_pause_ns=%llu\ngc_pause_rate_hz=%g\nstress=%llu\npin_cpu=%d\nsched=%s\nseed=%llu\n",
		(unsigned long long)o->gc_pause_ns, o->gc_pause_rate_hz,
		(unsigned long long)o->stress, o->pin_cpu, copts_sched_name(o->sched_policy),
		(unsigned long long)o->seed);
	fprintf(f, "start_mono_ns=%llu\nmeasure_start_mono_ns=%llu\nend_mono_ns=%llu\n"
		"answered=%llu\ntimeouts=%llu\nhedges_sent=%llu\nhedge_wins=%llu\nduplicates=%llu\n"
		"late=%llu\nforeign=%llu\nrx_drops=%llu\nmax_sender_lag_ns=%llu\ngc_pauses=%llu\n"
		"gc_paused_ns=%llu\n",
		(unsigned long long)st->start_ns, (unsigned long long)st->measure_start_ns,
		(unsigned long long)st->end_ns, (unsigned long long)st->answered,
		(unsigned long long)st->timeouts, (unsigned long long)st->hedges_sent,
		(unsigned long long)st->hedge_wins, (unsigned long long)st->duplicates,
		(unsigned long long)st->late, (unsigned long long)st->foreign,
		(unsigned long long)st->rx_drops, (unsigned long long)st->max_sender_lag_ns, (unsigned long long)x->gc_pauses,
		(unsigned long long)x->gc_paused_ns);
	fprintf(f, "proto=%s\nkeys=%llu\nzone=%s\nkey_prefix=%s\nerror_answers=%llu\n"
		"multi_replies=%llu\ndup_datagrams=%llu\ndropped_partials=%llu\nmismatched=%llu\n",
		proto_kind_name(o->proto), (unsigned long long)(o->proto == PROTO_ID ? 0 : o->keys),
		o->proto == PROTO_DNS ? o->zone : "", o->proto == PROTO_MEMCACHED ? o->key_prefix : "",
		(unsigned long long)st->error_answers, (unsigned long long)res->proto.multi_replies,
		(unsigned long long)res->proto.dup_datagrams,
		(unsigned long long)res->proto.dropped_partials,
		(unsigned long long)res->proto.mismatched);
	return close_checked(f, dir, "params.txt");
}

int report_write_dir(const struct copts *o, int argc, char **argv,
		     const struct eng_result *res, const struct report_extra *x)
{
	const char *dir = o->out_dir;
	char *summary = NULL;
	size_t summary_len = 0;
	FILE *mem;
	int err;

	if (mkdir(dir, 0755) && errno != EEXIST) {
		err = -errno;
		log_error("cannot create --out '%s': %s", dir, strerror(errno));
		return err;
	}
	err = write_text(dir, "latency.hlog", res->latency.text, res->latency.text_len);
	if (!err)
		err = write_hgrm(dir, "latency.hgrm", res->latency.total);
	if (!err && copts_is_open_loop(o)) {
		err = write_text(dir, "latency-uncorrected.hlog", res->uncorrected.text,
				 res->uncorrected.text_len);
		if (!err)
			err = write_hgrm(dir, "latency-uncorrected.hgrm", res->uncorrected.total);
	}
	if (!err)
		err = write_summary_csv(dir, o, res);
	if (!err)
		err = write_requests_csv(dir, o, res);
	if (!err)
		err = write_params(dir, o, argc, argv, res, x);
	if (err)
		return err;
	mem = open_memstream(&summary, &summary_len);
	if (!mem)
		return -ENOMEM;
	report_print_summary(mem, o, res, x);
	fclose(mem);
	err = write_text(dir, "summary.txt", summary, summary_len);
	free(summary);
	return err;
}
