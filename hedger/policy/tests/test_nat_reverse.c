/* test_nat_reverse: the reverse rewrite restores the original bytes exactly.
 * (1) A request rewritten to a replica and back (with the endpoint
 * nat_rewrite reported) is the original frame, checksums included.
 * (2) The hedge replica's reply, its source rewritten to the service the
 * application sent to (nat_from_replica's job), is byte for byte the reply
 * the service itself would have sent: what a connected UDP socket accepts.
 * IPv4 and IPv6, with and without UDP checksum (IPv4), several payloads. */
#include <stdbool.h>

#include "nat_common.h"

static struct nat_test_bpf *skel;

static void check_roundtrip(int family, bool no_csum, uint32_t payload, uint32_t seed)
{
	const char *client = family == 6 ? CLIENT6 : CLIENT4;
	const char *vip = family == 6 ? VIP6 : VIP4, *rep = family == 6 ? REPLICA6 : REPLICA4;
	struct nat_endpoint to = endpoint(family, rep, REPLICA_PORT), was;
	struct up_spec s = { .family = family, .src = client, .dst = vip, .sport = CLIENT_PORT,
			     .dport = VIP_PORT, .payload_len = payload, .seed = seed,
			     .no_csum = no_csum };
	struct frame req, hedge, back, reply, fixed, want;

	/* (1) request there and back */
	frame_build(&req, &s);
	CHECK_EQ(nat_run(skel, &req, NAT_DST, &to, &hedge, &was), 0, "request to the replica");
	CHECK(!frame_eq(&req, &hedge), "v%d: rewrite changed nothing", family);
	CHECK_EQ(nat_run(skel, &hedge, NAT_DST, &was, &back, NULL), 0, "request back");
	CHECK(frame_eq(&req, &back), "v%d csum %d len %u: round trip not exact", family,
		 !no_csum, payload);

	/* (2) the replica's reply, source set back to the service */
	s.src = rep;
	s.sport = REPLICA_PORT;
	s.dst = client;
	s.dport = CLIENT_PORT;
	s.seed = seed + 100;
	frame_build(&reply, &s);
	s.src = vip;
	s.sport = VIP_PORT;
	frame_build(&want, &s);
	CHECK_EQ(nat_run(skel, &reply, NAT_SRC, &was, &fixed, NULL), 0, "reverse NAT of the reply");
	CHECK(frame_eq(&fixed, &want), "v%d csum %d len %u: reply not as the service's",
		 family, !no_csum, payload);
	if (family == 4)
		CHECK(up_ip4_csum_ok(fixed.d), "IPv4 header checksum of the reply");
	CHECK_EQ(up_udp_csum(fixed.d), no_csum ? 0 : 1, "UDP checksum of the reply");
}

int main(void)
{
	static const uint32_t payloads[] = { 1, 8, 33, 200 };

	prog_run_require_root();
	skel = nat_test_bpf__open_and_load();
	if (!skel)
		prog_run_load_failed("nat_test", -errno);

	for (size_t p = 0; p < sizeof(payloads) / sizeof(payloads[0]); p++) {
		check_roundtrip(4, false, payloads[p], (uint32_t)p);
		check_roundtrip(4, true, payloads[p], (uint32_t)p);
		check_roundtrip(6, false, payloads[p], (uint32_t)p);
	}

	nat_test_bpf__destroy(skel);
	return check_done("nat_reverse");
}
