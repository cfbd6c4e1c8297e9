/* test_nat_rewrite: nat_rewrite changes exactly the asked address:port of
 * IPv4 and IPv6 UDP datagrams (with and without UDP checksum, IPv4 options,
 * odd and even payloads, destination and source side), and both checksums
 * verify afterwards with an independent one's-complement check; the output
 * equals a frame built directly with the new endpoint, byte for byte. A
 * result of 0 becomes 0xffff. Datagrams it must not touch are refused with
 * the documented error and left unchanged. */
#include <stdbool.h>
#include <stdint.h>

#include "nat_common.h"

static struct nat_test_bpf *skel;

static void check_rewrite(int family, int side, bool no_csum, uint32_t opts,
			  uint32_t payload, uint32_t seed)
{
	const char *client = family == 6 ? CLIENT6 : CLIENT4;
	const char *vip = family == 6 ? VIP6 : VIP4, *rep = family == 6 ? REPLICA6 : REPLICA4;
	struct up_spec s = { .family = family, .payload_len = payload, .seed = seed,
			     .ip_opts = opts, .no_csum = no_csum };
	struct nat_endpoint to = endpoint(family, rep, REPLICA_PORT), was;
	struct nat_endpoint vip_ep = endpoint(family, vip, VIP_PORT);
	struct frame in, out, want;
	int err;

	/* request client -> VIP rewritten to the replica (DST), or a reply
	 * VIP -> client whose source becomes the replica (SRC): either way the
	 * VIP end becomes the replica. */
	s.src = side == NAT_DST ? client : vip;
	s.dst = side == NAT_DST ? vip : client;
	s.sport = side == NAT_DST ? CLIENT_PORT : VIP_PORT;
	s.dport = side == NAT_DST ? VIP_PORT : CLIENT_PORT;
	frame_build(&in, &s);
	if (side == NAT_DST) {
		s.dst = rep;
		s.dport = REPLICA_PORT;
	} else {
		s.src = rep;
		s.sport = REPLICA_PORT;
	}
	frame_build(&want, &s);

	err = nat_run(skel, &in, side, &to, &out, &was);
	if (family == 6 && no_csum) {
		/* zero UDP checksum is illegal in IPv6: refused, untouched */
		CHECK_EQ(err, -EINVAL, "IPv6 with UDP checksum 0");
		CHECK(frame_eq(&in, &out), "refused IPv6 frame was modified");
		return;
	}
	CHECK(err == 0, "v%d side %d csum %d opts %u len %u: error %d", family, side,
		 !no_csum, opts, payload, err);
	CHECK(frame_eq(&out, &want),
		 "v%d side %d csum %d opts %u len %u: frame differs from the one built",
		 family, side, !no_csum, opts, payload);
	if (family == 4)
		CHECK(up_ip4_csum_ok(out.d), "IPv4 header checksum wrong after rewrite");
	CHECK_EQ(up_udp_csum(out.d), no_csum ? 0 : 1, "UDP checksum after rewrite (1 ok, 0 none)");
	CHECK(!memcmp(&was, &vip_ep, sizeof(was)), "old endpoint not reported");
}

/* A datagram whose checksum after the rewrite is 0 must carry 0xffff: the
 * payload's last word is chosen so the sum after the rewrite is 0xffff. */
static void check_mangled_zero(int family)
{
	const char *vip = family == 6 ? VIP6 : VIP4, *rep = family == 6 ? REPLICA6 : REPLICA4;
	uint8_t payload[24] = "hedge me, then zero it";
	struct up_spec s = { .family = family, .src = family == 6 ? CLIENT6 : CLIENT4,
			     .dst = rep, .sport = CLIENT_PORT, .dport = REPLICA_PORT,
			     .payload_len = sizeof(payload), .payload = payload,
			     .no_csum = true };
	struct nat_endpoint to = endpoint(family, rep, REPLICA_PORT);
	struct frame in, out, want;
	uint16_t w;
	uint32_t l4;

	payload[22] = payload[23] = 0;
	frame_build(&want, &s);
	w = (uint16_t)(0xffff - up_udp_sum(want.d));
	payload[22] = (uint8_t)(w >> 8);
	payload[23] = (uint8_t)w;
	s.no_csum = false;
	frame_build(&want, &s);
	l4 = up_l4_off(want.d);
	CHECK(want.d[l4 + 6] == 0xff && want.d[l4 + 7] == 0xff,
		 "v%d: test frame does not have checksum 0xffff", family);
	s.dst = vip;
	s.dport = VIP_PORT;
	frame_build(&in, &s);
	CHECK_EQ(nat_run(skel, &in, NAT_DST, &to, &out, NULL), 0, "rewrite to checksum 0xffff");
	CHECK(frame_eq(&out, &want), "v%d: checksum 0 not written as 0xffff (got %02x%02x)",
		 family, out.d[l4 + 6], out.d[l4 + 7]);
	CHECK_EQ(up_udp_csum(out.d), 1, "UDP checksum 0xffff verifies");
}

/* Not a rewritable UDP datagram: refused with @want_err, left unchanged. */
static void check_refused(const char *what, struct frame *in, const struct nat_endpoint *to,
			  int want_err)
{
	struct frame out;

	CHECK(nat_run(skel, in, NAT_DST, to, &out, NULL) == want_err, "%s: not %d", what,
		 want_err);
	CHECK(frame_eq(in, &out), "%s: frame modified", what);
}

static void check_refusals(void)
{
	struct up_spec s4 = { .family = 4, .src = CLIENT4, .dst = VIP4, .sport = CLIENT_PORT,
			      .dport = VIP_PORT, .payload_len = 16 };
	struct up_spec s6 = { .family = 6, .src = CLIENT6, .dst = VIP6, .sport = CLIENT_PORT,
			      .dport = VIP_PORT, .payload_len = 16 };
	struct nat_endpoint to4 = endpoint(4, REPLICA4, REPLICA_PORT);
	struct nat_endpoint to6 = endpoint(6, REPLICA6, REPLICA_PORT);
	struct frame f;

	frame_build(&f, &s4);
	check_refused("IPv4 packet, IPv6 target", &f, &to6, -EAFNOSUPPORT);
	frame_build(&f, &s6);
	check_refused("IPv6 packet, IPv4 target", &f, &to4, -EAFNOSUPPORT);

	frame_build(&f, &s4);
	f.d[UP_L3_OFF + 9] = 6;	/* TCP */
	check_refused("IPv4 TCP", &f, &to4, -EOPNOTSUPP);
	frame_build(&f, &s4);
	f.d[UP_L3_OFF + 6] = 0x20;	/* MF: first fragment */
	check_refused("IPv4 fragment", &f, &to4, -EOPNOTSUPP);
	frame_build(&f, &s6);
	f.d[UP_L3_OFF + 6] = 0;	/* hop-by-hop header in front */
	check_refused("IPv6 extension header", &f, &to6, -EOPNOTSUPP);
	frame_build(&f, &s4);
	f.len = UP_L3_OFF + 20 + 4;	/* UDP header cut */
	check_refused("truncated IPv4 UDP", &f, &to4, -EINVAL);
	frame_build(&f, &s4);
	f.d[UP_L3_OFF] = 0x55;	/* version 5 */
	check_refused("IP version 5", &f, &to4, -EAFNOSUPPORT);
}

int main(void)
{
	static const uint32_t payloads[] = { 0, 13, 64 };

	prog_run_require_root();
	skel = nat_test_bpf__open_and_load();
	if (!skel)
		prog_run_load_failed("nat_test", -errno);

	for (int family = 4; family <= 6; family += 2)
		for (int side = NAT_DST; side <= NAT_SRC; side++)
			for (int nc = 0; nc <= 1; nc++)
				for (uint32_t opts = 0; opts <= (family == 4 ? 8u : 0u); opts += 8)
					for (size_t p = 0; p < 3; p++)
						check_rewrite(family, side, nc, opts,
							      payloads[p], (uint32_t)p + 1);
	check_mangled_zero(4);
	check_mangled_zero(6);
	check_refusals();

	nat_test_bpf__destroy(skel);
	return check_done("nat_rewrite");
}
