#include "loadsched.h"

#include <errno.h>

int lsched_index(uint64_t first_id, uint64_t total, uint32_t id, uint64_t *index)
{
	uint64_t off;

	if ((uint64_t)id < first_id)
		return -ERANGE;
	off = (uint64_t)id - first_id;
	if (off >= total)
		return -ERANGE;
	*index = off;
	return 0;
}

uint64_t lsched_offset_ns(uint64_t index, double rate_hz)
{
	/* long double keeps index * 1e9 exact up to 2^64 / 1e9 requests. */
	return (uint64_t)((long double)index * 1e9L / (long double)rate_hz);
}

uint64_t lsched_sender_lag_ns(uint64_t now, uint64_t intended, uint64_t window_free_ns)
{
	uint64_t ready = intended > window_free_ns ? intended : window_free_ns;

	return now > ready ? now - ready : 0;
}

uint64_t lsched_eta_ns(uint64_t done, uint64_t total, uint64_t elapsed_ns,
		       double rate_hz, uint64_t timeout_ns)
{
	if (done >= total)
		return 0;
	if (rate_hz > 0) {
		uint64_t end = lsched_offset_ns(total - 1, rate_hz) + timeout_ns;

		return end > elapsed_ns ? end - elapsed_ns : 0;
	}
	if (done == 0)
		return 0;   /* unknown yet */
	return (uint64_t)((long double)elapsed_ns * (long double)(total - done) / (long double)done);
}
