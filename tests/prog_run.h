/* prog_run.h: the BPF_PROG_TEST_RUN runner of the BPF tests (the hedger's
 * and the policy library's): skip without the privilege, run a program on
 * a packet with an optional __sk_buff context, read back what it left. */
#pragma once
#include <stdint.h>

#include <linux/bpf.h>

struct prog_run {
	const void *in;			/* the packet; NULL: a minimal Ethernet + IPv4 frame */
	uint32_t len;			/* its bytes */
	void *out;			/* the packet after the last run; NULL: not kept */
	uint32_t out_size;		/* room at @out */
	const struct __sk_buff *ctx_in;	/* skb fields to start from; NULL: none */
	struct __sk_buff *ctx_out;	/* skb fields after the run; NULL: not read */
	uint32_t repeat;		/* runs; 0: one */
	/* results */
	uint32_t out_len;		/* bytes of the packet after */
	int retval;			/* the program's return value */
	uint32_t duration_ns;		/* mean time of one run */
};

/* prog_run_require_root - exit 77 with the reason when not root; libbpf
 * then prints warnings only. */
void prog_run_require_root(void);
/* prog_run_private_netns - move into a new network namespace with its lo
 * up, so what the programs redirect stays there; 0, or 77 with the reason
 * printed. */
int prog_run_private_netns(void);
/* prog_run_skip_unprivileged - exit 77 when @err (a load's -errno) says
 * privilege was missing; return otherwise. */
void prog_run_skip_unprivileged(int err);
/* prog_run_load_failed - after a failed skeleton load: exit 77 when
 * privilege was missing, else 1 (a verifier rejection is a failure). */
void prog_run_load_failed(const char *what, int err);
/* prog_run - run program @fd as @r says; 0 or -errno. */
int prog_run(int fd, struct prog_run *r);
/* prog_run_simple - run @fd @repeat times on the minimal frame, for
 * programs that only use globals and maps; 0 or -errno. */
int prog_run_simple(int fd, uint32_t repeat);
