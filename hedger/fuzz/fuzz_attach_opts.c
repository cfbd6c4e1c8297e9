/* libFuzzer target for `hedger attach`'s option parser (aopts_parse): the
 * input is a command line, arguments separated by NUL bytes (argv[0] is
 * "attach"). A command line it accepts must satisfy the rules the parser
 * documents; one it refuses must give a usage-error code. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "attach_opts.h"

#define MAX_ARGS 24

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_endpoint(const struct aopts_endpoint *ep)
{
	static const uint8_t zero[16];

	if (ep->family != 4 && ep->family != 6)
		abort();
	if (!ep->port || !memcmp(ep->addr, zero, ep->family == 6 ? 16 : 4))
		abort();
}

static void check_accepted(const struct attach_opts *o)
{
	uint64_t t_min = o->adaptive_permille ? o->delay_min_ns : o->delay_ns;

	if (o->help)
		return;
	if (!o->dev || o->nservices < 1 || o->nservices > HEDGER_MAX_SERVICES)
		abort();
	if (aopts_dev_is_own(o->dev))
		abort();
	for (int i = 0; i < o->nservices; i++) {
		if (o->services[i].n < 1 || o->services[i].n > HEDGER_MAX_REPLICAS)
			abort();
		for (uint32_t k = 0; k < o->services[i].n; k++)
			check_endpoint(&o->services[i].ep[k]);
	}
	if (o->id_offset + o->id_width > AOPTS_MAX_UDP_PAYLOAD)
		abort();
	if (o->delay_ns < 100000 || o->delay_ns > 10000000000ULL)
		abort();
	if (o->adaptive_permille &&
	    (o->delay_min_ns > o->delay_ns || o->delay_ns > o->delay_max_ns))
		abort();
	if (o->htb_calib_ns && o->htb_calib_ns >= t_min)
		abort();
	if (o->tied && (!o->any_replicas || o->adaptive_permille))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *argv[MAX_ARGS + 1] = { "attach" }, *buf;
	struct attach_opts o;
	int argc = 1, err;

	if (size > 4096)
		return 0;
	buf = malloc(size + 1);
	if (!buf)
		abort();
	memcpy(buf, data, size);
	buf[size] = '\0';
	for (char *p = buf; p < buf + size + 1 && argc < MAX_ARGS; p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;
	err = aopts_parse(argc, argv, &o);
	if (err == 0)
		check_accepted(&o);
	else if (err != -EINVAL && err != -ERANGE && err != -EOPNOTSUPP)
		abort();
	free(buf);
	return 0;
}
