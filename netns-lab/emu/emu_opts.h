/* emu_opts.h: the emulator's command line, parsed and checked. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>
#include "emu_model.h"

struct emu_config {
	const char *dev;
	struct emu_params p;
	bool have_delay, have_jitter, have_loss, have_gemodel;
	uint32_t classes;	/* HTB leaves (only with a delay) */
	uint64_t calib_ns;	/* shortens every hold (HTB watchdog lateness) */
	bool calib_auto;	/* --calib auto: measure it at attach */
	uint64_t max_hold_ns;	/* longest delay the distribution can draw */
};

/* emu_parse_attach - parse "attach" options into @c; 0, -1 for --help, or
 * 2 after one error line naming the option (usage error). --dev is required
 * when @need_dev ("check" validates the rest only). */
int emu_parse_attach(int argc, char **argv, struct emu_config *c, bool need_dev);
/* emu_parse_dev - "detach"/"stats": just --dev IF; 0 or 2. */
int emu_parse_dev(int argc, char **argv, const char *cmd, const char **dev);
/* emu_prob - fraction [0,1] as a 2^32-scaled probability. */
uint64_t emu_prob(double f);
