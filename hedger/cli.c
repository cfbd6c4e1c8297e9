/* cli.c: one-line getopt errors for the hedger subcommands. */
#include <errno.h>
#include <getopt.h>

#include "cli.h"
#include "log.h"

int cli_getopt_error(const char *cmd, int opt, char **argv)
{
	/* getopt_long has advanced optind past the bad option (and its
	 * missing argument); argv[optind - 1] is the option as typed. */
	const char *text = optind > 0 ? argv[optind - 1] : "?";

	if (opt == ':')
		log_error("option '%s' needs an argument (try hedger %s --help)", text, cmd);
	else if (optopt && text[0] == '-' && text[1] != '-')
		log_error("unknown option '-%c' (try hedger %s --help)", optopt, cmd);
	else
		log_error("unknown option '%s' (try hedger %s --help)", text, cmd);
	return -EINVAL;
}
