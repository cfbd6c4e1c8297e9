/* report: hedge-client's results, on stdout and in --out DIR.
 * Public functions are prefixed report_. */
#pragma once
#include <stdint.h>
#include <stdio.h>

#include "client_opts.h"
#include "engine.h"

struct report_extra {
	uint64_t gc_pauses;
	uint64_t gc_paused_ns;
};

/* report_check_out_dir - fail early (one error line, -errno) when DIR can
 * neither be used nor created, so that no run is wasted. Creates nothing. */
int report_check_out_dir(const char *dir);
/* report_print_summary - the readable summary block. */
void report_print_summary(FILE *out, const struct copts *o, const struct eng_result *res,
			  const struct report_extra *x);
/* report_write_dir - create DIR if needed and write every output file. */
int report_write_dir(const struct copts *o, int argc, char **argv,
		     const struct eng_result *res, const struct report_extra *x);
