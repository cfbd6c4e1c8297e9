/* harness.c: see harness.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "harness.h"


static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

void ph_require_root(void)
{
	if (geteuid() != 0) {
		printf("SKIP: needs root for BPF_PROG_TEST_RUN\n");
		exit(77);
	}
	libbpf_set_print(quiet);
}

void ph_load_failed(const char *what, int err)
{
	if (err == -EPERM || err == -EACCES) {
		printf("SKIP: cannot load BPF programs: %s\n", strerror(-err));
		exit(77);
	}
	fprintf(stderr, "FAIL: loading %s: %s\n", what, strerror(-err));
	exit(1);
}

int ph_run(int fd, const void *in, uint32_t len, uint32_t repeat, void *out,
	   uint32_t *out_len, int *retval)
{
	static uint8_t scratch[4096];
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = in,
		.data_size_in = len,
		.data_out = out ? out : scratch,
		.data_size_out = out ? *out_len : sizeof(scratch),
		.repeat = repeat);
	int err;

	err = bpf_prog_test_run_opts(fd, &opts);
	if (err)
		return -errno;
	if (out_len)
		*out_len = opts.data_size_out;
	if (retval)
		*retval = (int)opts.retval;
	return 0;
}

int ph_run_simple(int fd, uint32_t repeat)
{
	/* Ethernet + a bare IPv4 header: test_run needs at least an L2 header. */
	static const uint8_t frame[34] = {
		2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00,
		0x45, 0, 0, 20, 0, 0, 0x40, 0, 64, 17, 0, 0,
		198, 18, 0, 1, 198, 18, 0, 2,
	};
	int retval;

	return ph_run(fd, frame, sizeof(frame), repeat, NULL, NULL, &retval);
}
