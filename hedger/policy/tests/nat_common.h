/* nat_common.h: run nat_rewrite_prog (nat_test.bpf.c) on a frame, shared by
 * the two NAT tests. Lab addresses: 198.18.0.0/15 and 2001:db8::/32. */
#pragma once
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <bpf/libbpf.h>

#include "check.h"
#include "prog_run.h"
#include "nat.h"
#include "udp_pkt.h"
#include "nat_test.skel.h"

#define CLIENT4 "198.18.7.1"
#define VIP4 "198.18.7.100"
#define REPLICA4 "198.19.200.2"
#define CLIENT6 "2001:db8:7::1"
#define VIP6 "2001:db8:7::100"
#define REPLICA6 "2001:db8:ff00::2"
#define CLIENT_PORT 40001
#define VIP_PORT 9000
#define REPLICA_PORT 9102

struct frame {
	uint8_t d[512];
	uint32_t len;
};

static inline struct nat_endpoint endpoint(int family, const char *addr, uint16_t port)
{
	struct nat_endpoint e;

	memset(&e, 0, sizeof(e));
	inet_pton(family == 6 ? AF_INET6 : AF_INET, addr, e.addr);
	e.port = htons(port);
	e.family = (uint8_t)family;
	return e;
}

/* nat_run - nat_rewrite(@side, @to) on @in; the frame after into @out.
 * Returns the function's result; *was the endpoint it replaced. */
static inline int nat_run(struct nat_test_bpf *skel, const struct frame *in, int side,
			  const struct nat_endpoint *to, struct frame *out,
			  struct nat_endpoint *was)
{
	struct prog_run r = { .in = in->d, .len = in->len, .out = out->d, .out_size = sizeof(out->d) };
	int err;

	skel->bss->in_to = *to;
	skel->bss->in_side = (uint32_t)side;
	skel->bss->out_err = 1;
	memset(&skel->bss->out_was, 0, sizeof(skel->bss->out_was));
	err = prog_run(bpf_program__fd(skel->progs.nat_rewrite_prog), &r);
	out->len = r.out_len;
	if (err) {
		CHECK(0, "test run: %s", strerror(-err));
		return err;
	}
	if (was)
		*was = skel->bss->out_was;
	return skel->bss->out_err;
}

static inline void frame_build(struct frame *f, const struct up_spec *s)
{
	f->len = up_build(f->d, s);
}

static inline int frame_eq(const struct frame *a, const struct frame *b)
{
	return a->len == b->len && !memcmp(a->d, b->d, a->len);
}
