/* progress: a one-line "done/total, ETA" display on stderr, only when stderr
 * is a terminal. Public functions are prefixed progress_. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

struct progress {
	bool enabled;
	bool shown;
	uint64_t next_ns;
};

void progress_init(struct progress *p, bool want);
/* progress_update - redraw at most twice a second. */
void progress_update(struct progress *p, uint64_t now_ns, uint64_t done, uint64_t total,
		     uint64_t eta_ns);
/* progress_clear - erase the line before the summary is printed. */
void progress_clear(struct progress *p);
