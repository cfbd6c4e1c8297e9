/* harness.h: shared support of the policy tests (suite "bpf"): skip without
 * root/BPF, run a program with BPF_PROG_TEST_RUN. */
#pragma once
#include <stdint.h>
#include <stdio.h>

#include "check.h"

/* ph_require_root - exit 77 with the reason when not root. */
void ph_require_root(void);
/* ph_load_failed - after a failed skeleton load: exit 77 when privilege was
 * missing (-EPERM/-EACCES), else 1 (a verifier rejection is a failure). */
void ph_load_failed(const char *what, int err);
/* ph_run - run program @fd once per @repeat on @in (@len bytes); the packet
 * after the last run goes to @out (if not NULL; *out_len its size).
 * 0 or -errno; *retval the program's return. */
int ph_run(int fd, const void *in, uint32_t len, uint32_t repeat, void *out,
	   uint32_t *out_len, int *retval);
/* ph_run_simple - ph_run on a minimal IPv4 frame, for programs that only
 * use globals and maps. */
int ph_run_simple(int fd, uint32_t repeat);

/* Assertions: CHECK, CHECK_EQ, check_done (tests/check.h). */
