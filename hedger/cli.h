/* cli.h: what every hedger subcommand's option parsing shares. */
#pragma once

/* cli_getopt_error - after getopt_long returned '?' or ':' (with opterr = 0
 * and an optstring starting with ':'): one error line naming the option
 * and "try hedger @cmd --help". Returns -EINVAL. */
int cli_getopt_error(const char *cmd, int opt, char **argv);
