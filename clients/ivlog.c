#include "ivlog.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "histlog.h"
#include "timeutil.h"

/* Interval_Max is printed in ms, as the .hgrm values are. */
#define IVLOG_MAX_SCALE 1e6

int ivlog_init(struct ivlog *l, uint64_t base_ns, double base_wall_s, uint64_t interval_ns)
{
	int err;

	memset(l, 0, sizeof(*l));
	l->base_ns = base_ns;
	l->interval_ns = interval_ns;
	l->next_ns = base_ns + interval_ns;
	l->total = hist_new_default();
	l->interval = hist_new_default();
	l->mem = open_memstream(&l->text, &l->text_len);
	if (!l->total || !l->interval || !l->mem) {
		err = -ENOMEM;
		goto cleanup;
	}
	err = histlog_write_header(l->mem, base_wall_s);
	if (err)
		goto cleanup;
	return 0;
cleanup:
	ivlog_free(l);
	return err;
}

static int ivlog_flush(struct ivlog *l, uint64_t end_ns)
{
	uint64_t start_ns = l->next_ns - l->interval_ns;
	int err;

	err = histlog_write_interval(l->mem, (double)(start_ns - l->base_ns) / 1e9,
				     (double)(end_ns - start_ns) / 1e9, l->interval,
				     IVLOG_MAX_SCALE);
	hist_reset(l->interval);
	return err;
}

int ivlog_record(struct ivlog *l, uint64_t now_ns, int64_t value_ns)
{
	int err;

	while (now_ns >= l->next_ns) {
		err = ivlog_flush(l, l->next_ns);
		if (err)
			return err;
		l->next_ns += l->interval_ns;
	}
	err = hist_record(l->total, value_ns);
	if (err)
		return err;
	return hist_record(l->interval, value_ns);
}

int ivlog_finish(struct ivlog *l, uint64_t end_ns)
{
	int err = 0;

	while (end_ns >= l->next_ns && !err) {
		err = ivlog_flush(l, l->next_ns);
		l->next_ns += l->interval_ns;
	}
	if (!err && end_ns > l->next_ns - l->interval_ns)
		err = ivlog_flush(l, end_ns);
	if (fflush(l->mem) && !err)
		err = -errno;
	return err;
}

void ivlog_free(struct ivlog *l)
{
	if (l->mem)
		fclose(l->mem);
	free(l->text);
	hist_free(l->total);
	hist_free(l->interval);
	memset(l, 0, sizeof(*l));
}
