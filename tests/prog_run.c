/* prog_run.c: see prog_run.h. */
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "prog_run.h"

/* Ethernet + a bare IPv4 header between lab addresses: test_run needs at
 * least an L2 header. */
static const uint8_t minimal_frame[34] = {
	2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00,
	0x45, 0, 0, 20, 0, 0, 0x40, 0, 64, 17, 0, 0,
	198, 18, 0, 1, 198, 18, 0, 2,
};

static int warnings_only(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

void prog_run_require_root(void)
{
	if (geteuid() != 0) {
		printf("SKIP: needs root for BPF_PROG_TEST_RUN\n");
		exit(77);
	}
	libbpf_set_print(warnings_only);
}

int prog_run_private_netns(void)
{
	struct ifreq ifr;
	int fd, err;

	if (unshare(CLONE_NEWNET)) {
		printf("SKIP: cannot create a network namespace: %s\n", strerror(errno));
		return 77;
	}
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	ifr.ifr_flags = IFF_UP;
	err = fd < 0 || ioctl(fd, SIOCSIFFLAGS, &ifr);
	if (fd >= 0)
		close(fd);
	if (err) {
		printf("SKIP: cannot bring up lo in the test namespace\n");
		return 77;
	}
	return 0;
}

void prog_run_skip_unprivileged(int err)
{
	if (err == -EPERM || err == -EACCES) {
		printf("SKIP: cannot load BPF programs: %s\n", strerror(-err));
		exit(77);
	}
}

void prog_run_load_failed(const char *what, int err)
{
	prog_run_skip_unprivileged(err);
	fprintf(stderr, "FAIL: loading %s: %s\n", what, strerror(-err));
	exit(1);
}

int prog_run(int fd, struct prog_run *r)
{
	static uint8_t scratch[4096];
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = r->in ? r->in : minimal_frame,
		.data_size_in = r->in ? r->len : sizeof(minimal_frame),
		.data_out = r->out ? r->out : scratch,
		.data_size_out = r->out ? r->out_size : sizeof(scratch),
		.ctx_in = r->ctx_in,
		.ctx_size_in = r->ctx_in ? sizeof(*r->ctx_in) : 0,
		.ctx_out = r->ctx_out,
		.ctx_size_out = r->ctx_out ? sizeof(*r->ctx_out) : 0,
		.repeat = r->repeat ? r->repeat : 1);

	if (bpf_prog_test_run_opts(fd, &opts))
		return -errno;
	r->out_len = opts.data_size_out;
	r->retval = (int)opts.retval;
	r->duration_ns = opts.duration;
	return 0;
}

int prog_run_simple(int fd, uint32_t repeat)
{
	struct prog_run r = { .repeat = repeat };

	return prog_run(fd, &r);
}
