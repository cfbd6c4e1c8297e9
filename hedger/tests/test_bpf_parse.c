/* test_bpf_parse: the splitter's parser. A matching request (IPv4, IPv4 with
 * options, IPv6; 2/4/8-byte ids, both byte orders, non-zero offset) gets a
 * scoreboard entry with the right id; everything else - other port, non-UDP,
 * fragments (IPv4 and an IPv6 fragment header), IPv6 headers it does not
 * walk (ESP), short payload, truncated header - is passed untouched
 * (TC_ACT_UNSPEC, same bytes) and counted. IPv6 option headers (hop-by-hop,
 * destination) in front of UDP are walked: such a request is ours. The
 * service port bitmap is tested before the endpoint table: a service whose
 * port has no bit is not seen until the bit is set. */
#include <string.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>

#include "bpf_harness.h"
#include "endpoints_add.h"
#include "service_ports.h"

/* Run one request through a fresh splitter; return its verdict checks. */
static void expect_request(const struct tb_cfg *cfg, struct tb_spec *s, uint64_t id,
			   const char *what)
{
	struct hedger_sb_slot v;
	struct tb_pkt p, out;
	struct tb t;
	int ret = 0;

	if (tb_open(&t, cfg)) {
		CHECK(0, "%s: tb_open failed", what);
		return;
	}
	tb_build(&p, s);
	CHECK_EQ(tb_run(&t, t.skel->progs.hedger_splitter, &p, 0, &ret, &out), 0, what);
	CHECK_EQ(ret, TB_ACT_UNSPEC, what);
	CHECK_EQ(tb_counter(&t, HC_REQUESTS), 1, what);
	CHECK(tb_sb_lookup(&t, s->family, id, &v) == 0, "%s: no scoreboard entry for id %llu",
		 what, (unsigned long long)id);
	CHECK_EQ(HEDGER_CTL_STATE(v.ctl), HEDGER_ST_PENDING, what);
	CHECK(out.len == p.len && !memcmp(out.data, p.data, p.len),
		 "%s: original packet modified (len %u -> %u)", what, p.len, out.len);
	tb_close(&t);
}

static void expect_skip(struct tb_spec *s, int counter, const char *what)
{
	struct tb_cfg cfg = { .backend = HEDGER_BACKEND_RECIRC };
	struct tb_pkt p, out;
	struct tb t;
	int ret = 0;

	if (tb_open(&t, &cfg)) {
		CHECK(0, "%s: tb_open failed", what);
		return;
	}
	tb_build(&p, s);
	CHECK_EQ(tb_run(&t, t.skel->progs.hedger_splitter, &p, 0, &ret, &out), 0, what);
	CHECK_EQ(ret, TB_ACT_UNSPEC, what);
	CHECK_EQ(tb_counter(&t, HC_REQUESTS), 0, what);
	CHECK_EQ(tb_counter(&t, HC_CLONES), 0, what);
	if (counter >= 0)
		CHECK_EQ(tb_counter(&t, counter), 1, what);
	CHECK(out.len == p.len && !memcmp(out.data, p.data, p.len), "%s: packet modified", what);
	tb_close(&t);
}

/* port_bitmap_first - a services entry on port 9998 without its bitmap bit:
 * a request to it is not looked up (no request, no slot); with the bit, it
 * is a request. */
static void port_bitmap_first(void)
{
	struct tb_cfg cfg = { .backend = HEDGER_BACKEND_RECIRC };
	struct hedger_endpoint e;
	uint8_t a[4];
	struct tb_spec s = { .family = 4, .dport = 9998 };
	uint8_t pl[32];
	struct tb_pkt p, out;
	struct tb t;
	int ret = 0;

	if (tb_open(&t, &cfg)) {
		CHECK(0, "port bitmap: tb_open failed");
		return;
	}
	inet_pton(AF_INET, TB_SERVER4, a);
	e = endpoint_make(4, a, htons(9998), HEDGER_EP_SERVICE, 2, 0);
	CHECK_EQ(endpoints_add(bpf_map__fd(t.skel->maps.endpoints), &e), 0,
		 "port bitmap: endpoint entry");
	s.payload = pl;
	s.payload_len = tb_payload_id(pl, sizeof(pl), 0, 4, false, 11);
	tb_build(&p, &s);
	CHECK_EQ(tb_run(&t, t.skel->progs.hedger_splitter, &p, 0, &ret, &out), 0, "no bit: run");
	CHECK_EQ(ret, TB_ACT_UNSPEC, "no bit: verdict");
	CHECK_EQ(tb_counter(&t, HC_REQUESTS), 0, "no bit: not a request");
	CHECK_EQ(service_ports_add(bpf_map__fd(t.skel->maps.service_ports), htons(9998)), 0,
		 "port bitmap: set the bit");
	CHECK_EQ(tb_run(&t, t.skel->progs.hedger_splitter, &p, 0, &ret, &out), 0, "bit: run");
	CHECK_EQ(ret, TB_ACT_UNSPEC, "bit: verdict");
	CHECK_EQ(tb_counter(&t, HC_REQUESTS), 1, "bit: a request");
	tb_close(&t);
}

int main(void)
{
	struct tb_cfg cfg = { .backend = HEDGER_BACKEND_RECIRC };
	const struct tb_cfg cfg_default = cfg;
	uint8_t pl[64];
	struct tb_spec s;

	tb_require();

	memset(&s, 0, sizeof(s));
	s.family = 4;
	s.payload = pl;
	s.payload_len = tb_payload_id(pl, 32, 0, 4, false, 0x01020304);
	expect_request(&cfg, &s, 0x01020304, "ipv4 le32");

	s.ip_opts = 8;
	expect_request(&cfg, &s, 0x01020304, "ipv4 with 8 bytes of options");
	s.ip_opts = 40;
	expect_request(&cfg, &s, 0x01020304, "ipv4 with 40 bytes of options");
	s.ip_opts = 0;

	s.family = 6;
	expect_request(&cfg, &s, 0x01020304, "ipv6 le32");
	s.family = 4;

	cfg.id_width = 2;
	cfg.id_be = true;
	s.payload_len = tb_payload_id(pl, 12, 0, 2, true, 0xbeef);
	expect_request(&cfg, &s, 0xbeef, "be16 (DNS style)");

	cfg.id_width = 8;
	cfg.id_be = false;
	cfg.id_offset = 6;
	s.payload_len = tb_payload_id(pl, 14, 6, 8, false, 0x1122334455667788ULL);
	expect_request(&cfg, &s, 0x1122334455667788ULL, "le64 at offset 6");
	cfg.id_be = true;
	s.payload_len = tb_payload_id(pl, 14, 6, 8, true, 0x1122334455667788ULL);
	expect_request(&cfg, &s, 0x1122334455667788ULL, "be64 at offset 6");

	/* Not ours: everything below must pass untouched. */
	s.payload_len = tb_payload_id(pl, 32, 0, 4, false, 7);
	s.dport = 9998;
	expect_skip(&s, -1, "other port");
	s.dport = 0;
	s.proto = 6;
	expect_skip(&s, HC_SKIP_NOT_UDP, "tcp");
	s.proto = 0;
	s.frag = 0x2000;	/* MF: first fragment */
	expect_skip(&s, HC_SKIP_FRAGMENT, "first fragment (MF)");
	s.frag = 0x0010;	/* non-first fragment */
	expect_skip(&s, HC_SKIP_FRAGMENT, "non-first fragment");
	s.frag = 0;
	s.payload_len = 3;
	expect_skip(&s, HC_SKIP_SHORT_PAYLOAD, "3-byte payload, 4-byte id");
	s.payload_len = 32;
	/* (The kernel's test runner refuses frames with a cut IPv4 header.) */
	s.truncate = 14 + 20 + 4;
	expect_skip(&s, HC_SKIP_SHORT_PAYLOAD, "truncated UDP header");
	s.truncate = 14 + 20 + 8 + 2;
	expect_skip(&s, HC_SKIP_SHORT_PAYLOAD, "frame cut inside the id window");
	s.truncate = 0;
	s.ethertype = 0x0806;
	expect_skip(&s, HC_SKIP_NOT_IP, "arp");
	s.ethertype = 0;
	s.family = 6;
	s.v6_nexthdr = 60;	/* destination options in front of UDP */
	expect_request(&cfg_default, &s, 7, "ipv6 with a destination options header");
	s.v6_nexthdr = 50;	/* ESP: UDP is encrypted behind it */
	expect_skip(&s, HC_SKIP_IPV6_EXTHDR, "ipv6 with ESP");
	s.v6_nexthdr = 44;	/* fragment header, offset 0: a fragmented request */
	expect_skip(&s, HC_SKIP_FRAGMENT, "ipv6 fragment header");
	s.v6_nexthdr = 0;
	s.proto = 58;
	expect_skip(&s, HC_SKIP_NOT_UDP, "icmpv6");
	port_bitmap_first();
	return check_done("test_bpf_parse");
}
