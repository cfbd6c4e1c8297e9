/* hdr-tool: merge HdrHistogram interval logs and report on them.
 * Every interval of every LOG is merged into one histogram before anything
 * is printed, so a bad file produces an error and no partial output. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "histlog.h"
#include "histogram.h"
#include "log.h"
#include "parse.h"

#define EXIT_BAD_INPUT 2

static const char usage_text[] =
	"Usage: hdr-tool COMMAND [OPTIONS] LOG...\n"
	"Merge every interval of the HdrHistogram interval logs LOG... (\"-\" is stdin)\n"
	"into one histogram and report on it.\n"
	"\n"
	"Commands:\n"
	"  summary [--label L] LOG...   one CSV row with a header:\n"
	"                               label,count,min,p50,p90,p95,p99,p99.9,max,mean (ns)\n"
	"  hgrm [--scale S] [--ticks N] LOG...\n"
	"                               the percentile distribution (.hgrm), values\n"
	"                               divided by S (default 1e6: ns -> ms)\n"
	"  percentile P LOG...          the value (ns) at percentile P (0..100)\n"
	"\n"
	"Options:\n"
	"  -l, --label L   summary row label (default: the LOG name, or \"merged\")\n"
	"  -s, --scale S   hgrm value divisor, > 0 (default 1e6)\n"
	"  -t, --ticks N   hgrm rows per half distance to 100% (default 5)\n"
	"  -h, --help      this text\n"
	"\n"
	"Examples:\n"
	"  hdr-tool summary --label baseline results/raw/trial-*.hlog\n"
	"  hdr-tool hgrm --scale 1e3 trial-1.hlog > trial-1.hgrm   # values in us\n"
	"  hdr-tool percentile 99.9 trial-1.hlog trial-2.hlog\n"
	"\n"
	"Exit status: 0 on success, 2 on bad arguments or an unreadable/malformed LOG.\n";

enum command { CMD_SUMMARY, CMD_HGRM, CMD_PERCENTILE };

struct options {
	enum command command;
	const char *label;
	double scale;
	int ticks;
	double percentile;
	char **logs;
	int nlogs;
};

/* merge_log - add every interval of @path into *@merged (created from the
 * first interval's configuration). 0 or -errno; logs one error line. */
static int merge_log(const char *path, struct hist **merged)
{
	struct histlog_reader reader;
	FILE *in = strcmp(path, "-") ? fopen(path, "r") : stdin;
	double start, len;
	struct hist *h;
	int err;

	struct stat st;

	if (!in) {
		err = -errno;
		log_error("cannot open '%s': %s", path, strerror(errno));
		return err;
	}
	/* A directory opens fine and fails only at the first read (EISDIR):
	 * refuse it as the bad argument it is. */
	if (fstat(fileno(in), &st) == 0 && S_ISDIR(st.st_mode)) {
		log_error("%s%s%s is a directory, not an interval log", in == stdin ? "" : "'",
			  in == stdin ? "standard input" : path, in == stdin ? "" : "'");
		if (in != stdin)
			fclose(in);
		return -EISDIR;
	}
	histlog_reader_init(&reader, in);
	while ((err = histlog_read_interval(&reader, &start, &len, &h)) == 1) {
		int64_t dropped;

		if (!*merged) {
			*merged = hist_new(h->lowest_discernible, h->highest_trackable,
					   h->significant_figures);
			if (!*merged) {
				hist_free(h);
				err = -ENOMEM;
				break;
			}
		}
		dropped = hist_merge(*merged, h);
		hist_free(h);
		if (dropped == -EOVERFLOW) {
			log_error("%s:%ld: the total count would pass %lld: counts this large "
				  "are not latencies (a corrupt or crafted log?)",
				  path, reader.line_no, (long long)INT64_MAX);
			err = -EOVERFLOW;
			break;
		}
		if (dropped) {
			log_error("%s:%ld: %lld values outside the range of the first interval",
				  path, reader.line_no, (long long)dropped);
			err = -ERANGE;
			break;
		}
	}
	if (err < 0 && err != -ERANGE && err != -EOVERFLOW)
		log_error("%s:%ld: %s", path, reader.line_no,
			  err == -EINVAL ? "not a valid interval log row" : strerror(-err));
	histlog_reader_fini(&reader);
	if (in != stdin)
		fclose(in);
	return err < 0 ? err : 0;
}

static int parse_args(int argc, char **argv, struct options *o)
{
	static const struct option long_opts[] = {
		{ "label", required_argument, NULL, 'l' },
		{ "scale", required_argument, NULL, 's' },
		{ "ticks", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *cmd;
	uint64_t ticks;
	int opt;

	if (argc < 2) {
		log_error("missing COMMAND (summary, hgrm or percentile; try --help)");
		return -EINVAL;
	}
	cmd = argv[1];
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help")) {
		fputs(usage_text, stdout);
		exit(0);
	}
	if (!strcmp(cmd, "summary"))
		o->command = CMD_SUMMARY;
	else if (!strcmp(cmd, "hgrm"))
		o->command = CMD_HGRM;
	else if (!strcmp(cmd, "percentile"))
		o->command = CMD_PERCENTILE;
	else {
		log_error("unknown command '%s' (summary, hgrm or percentile; try --help)", cmd);
		return -EINVAL;
	}
	argc--;
	argv++;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":l:s:t:h", long_opts, NULL)) != -1) {
		switch (opt) {
		case 'l':
			if (o->command != CMD_SUMMARY)
				goto not_here;
			o->label = optarg;
			break;
		case 's':
			if (o->command != CMD_HGRM)
				goto not_here;
			if (parse_double("--scale", optarg, 0, 1e300, &o->scale))
				return -EINVAL;
			if (o->scale == 0) {
				log_error("invalid --scale '%s': must be greater than 0", optarg);
				return -EINVAL;
			}
			break;
		case 't':
			if (o->command != CMD_HGRM)
				goto not_here;
			if (parse_u64("--ticks", optarg, 1, 1000, &ticks))
				return -EINVAL;
			o->ticks = (int)ticks;
			break;
		case 'h':
			fputs(usage_text, stdout);
			exit(0);
		case ':':
			log_error("%s: option '%s' needs a value", cmd, argv[optind - 1]);
			return -EINVAL;
		default:
			log_error("%s: unknown option '%s' (try --help)", cmd, argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (o->command == CMD_PERCENTILE) {
		if (optind >= argc) {
			log_error("percentile: missing P (0..100)");
			return -EINVAL;
		}
		if (parse_double("percentile", argv[optind++], 0, 100, &o->percentile))
			return -EINVAL;
	}
	if (optind >= argc) {
		log_error("%s: missing LOG (try --help)", cmd);
		return -EINVAL;
	}
	o->logs = argv + optind;
	o->nlogs = argc - optind;
	return 0;
not_here:
	log_error("%s: option --%s does not apply (try --help)", cmd,
		  opt == 'l' ? "label" : opt == 's' ? "scale" : "ticks");
	return -EINVAL;
}

int main(int argc, char **argv)
{
	struct options o = { .scale = 1e6, .ticks = 5 };
	struct hist *merged = NULL;
	int err, status = EXIT_BAD_INPUT;

	log_set_program("hdr-tool");
	if (parse_args(argc, argv, &o))
		return EXIT_BAD_INPUT;
	for (int i = 0; i < o.nlogs; i++) {
		err = merge_log(o.logs[i], &merged);
		if (err) {
			if (err == -ENOMEM || err == -EIO)
				status = EXIT_FAILURE;
			goto cleanup;
		}
	}
	if (!merged)  /* only empty logs: report an empty histogram */
		merged = hist_new_default();
	if (!merged) {
		log_error("out of memory");
		status = EXIT_FAILURE;
		goto cleanup;
	}
	switch (o.command) {
	case CMD_SUMMARY:
		err = hist_write_summary_csv(merged, stdout,
					     o.label ? o.label : o.nlogs == 1 ? o.logs[0] : "merged",
					     true);
		break;
	case CMD_HGRM:
		err = hist_write_percentiles(merged, stdout, o.ticks, o.scale);
		break;
	case CMD_PERCENTILE:
		err = printf("%lld\n", (long long)hist_value_at_percentile(merged, o.percentile)) < 0
			      ? -EIO : 0;
		break;
	}
	if (!err && fflush(stdout))
		err = -errno;
	if (err) {
		log_error("writing the output: %s", strerror(-err));
		status = EXIT_FAILURE;
		goto cleanup;
	}
	status = 0;
cleanup:
	hist_free(merged);
	return status;
}
