#include "progress.h"

#include <stdio.h>
#include <unistd.h>

#include "timeutil.h"

void progress_init(struct progress *p, bool want)
{
	p->enabled = want && isatty(STDERR_FILENO);
	p->shown = false;
	p->next_ns = 0;
}

void progress_update(struct progress *p, uint64_t now_ns, uint64_t done, uint64_t total,
		     uint64_t eta_ns)
{
	char eta[32];

	if (!p->enabled || now_ns < p->next_ns)
		return;
	p->next_ns = now_ns + NSEC_PER_SEC / 2;
	if (eta_ns)
		snprintf(eta, sizeof(eta), "%llus", (unsigned long long)((eta_ns + NSEC_PER_SEC - 1) / NSEC_PER_SEC));
	else
		snprintf(eta, sizeof(eta), "?");
	fprintf(stderr, "\rhedge-client: %llu/%llu requests (%3.0f%%), ETA %s\033[K",
		(unsigned long long)done, (unsigned long long)total,
		total ? 100.0 * (double)done / (double)total : 100.0, eta);
	p->shown = true;
}

void progress_clear(struct progress *p)
{
	if (p->shown)
		fputs("\r\033[K", stderr);
	p->shown = false;
}
