/* test_bpf_replica: hedges to another replica and reverse NAT, as integrated.
 * Service 198.18.100.2:9999 (slot 0, the VIP) with replicas .3:9999 and
 * .4:8888 (IPv4), [2001:2::2]:9999 with [2001:2::3]:7777 (IPv6).
 * - the rescuer rewrites the hedge's destination (round-robin over the
 *   other slots, never the VIP), checksums valid, slot recorded;
 * - the reply filter NATs a hedge replica's reply back to the VIP (what a
 *   connected socket expects), completes the request, and drops the VIP's
 *   late reply; a VIP reply first makes the replica's reply the duplicate;
 * - "fastest" picks the other slot with the lowest recent latency, and
 *   stops picking one that leaves its hedges unanswered;
 * - the per-replica latency/replies/hedges are updated. */
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>

#include "bpf_harness.h"

#define R1_4 "198.18.100.3"
#define R2_4 "198.18.100.4"
#define R1_6 "2001:2::3"

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static uint32_t sum16(const uint8_t *d, uint32_t len, uint32_t sum)
{
	for (uint32_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(d[i] << 8 | d[i + 1]);
	if (len & 1)
		sum += (uint32_t)(d[len - 1] << 8);
	return sum;
}

/* udp_csum - the UDP checksum field's correct value for the frame. */
static uint16_t udp_csum(const struct tb_pkt *p, int family)
{
	const uint8_t *d = p->data + 14;
	uint32_t l4 = family == 6 ? 40 : (uint32_t)(d[0] & 0xf) * 4, sum = 0;
	uint32_t ulen = (uint32_t)(d[l4 + 4] << 8 | d[l4 + 5]);
	uint8_t tmp[2048];
	uint16_t c;

	if (family == 6)
		sum = sum16(d + 8, 32, 0);
	else
		sum = sum16(d + 12, 8, 0);
	sum += 17 + ulen;
	memcpy(tmp, d + l4, ulen);
	tmp[6] = tmp[7] = 0;
	c = (uint16_t)~fold(sum16(tmp, ulen, sum));
	return c ? c : 0xffff;
}

static void fix_csums(struct tb_pkt *p, int family)
{
	uint8_t *d = p->data + 14;
	uint32_t l4 = family == 6 ? 40 : (uint32_t)(d[0] & 0xf) * 4;
	uint16_t c;

	if (family == 4) {
		d[10] = d[11] = 0;
		c = (uint16_t)~fold(sum16(d, l4, 0));
		d[10] = (uint8_t)(c >> 8);
		d[11] = (uint8_t)c;
	}
	c = udp_csum(p, family);
	d[l4 + 6] = (uint8_t)(c >> 8);
	d[l4 + 7] = (uint8_t)c;
}

static bool csums_ok(const struct tb_pkt *p, int family)
{
	const uint8_t *d = p->data + 14;
	uint32_t l4 = family == 6 ? 40 : (uint32_t)(d[0] & 0xf) * 4;

	if (family == 4 && fold(sum16(d, l4, 0)) != 0xffff)
		return false;
	return (uint16_t)(d[l4 + 6] << 8 | d[l4 + 7]) == udp_csum(p, family);
}

/* Request (client -> VIP) or a reply from @from_addr:@from_port. */
static void build(struct tb_pkt *p, int family, uint64_t id, const char *from_addr,
		  uint16_t from_port)
{
	static uint8_t pl[64];
	struct tb_spec s;

	memset(&s, 0, sizeof(s));
	s.family = family;
	s.reply = from_addr != NULL;
	s.sport = from_port;
	s.payload = pl;
	s.payload_len = tb_payload_id(pl, 24, 0, 4, false, id);
	tb_build(p, &s);
	if (from_addr)
		inet_pton(family == 6 ? AF_INET6 : AF_INET, from_addr,
			  p->data + 14 + (family == 6 ? 8 : 12));
	fix_csums(p, family);
}

static void ep_set(struct nat_endpoint *ep, int family, const char *addr, uint16_t port)
{
	memset(ep, 0, sizeof(*ep));
	inet_pton(family == 6 ? AF_INET6 : AF_INET, addr, ep->addr);
	ep->port = htons(port);
	ep->family = (uint8_t)family;
}

static int add_replicas(struct tb *t, uint32_t svc, int family, const char *vip,
			const char **addrs, const uint16_t *ports, uint32_t n, uint32_t policy)
{
	struct hedger_replicas r;

	memset(&r, 0, sizeof(r));
	r.n = n + 1;
	r.policy = policy;
	ep_set(&r.ep[0], family, vip, TB_PORT);
	for (uint32_t i = 0; i < n; i++) {
		struct hedger_replica_of ro = { .service = svc, .slot = i + 1 };
		struct hedger_service_key k;

		ep_set(&r.ep[i + 1], family, addrs[i], ports[i]);
		memset(&k, 0, sizeof(k));
		memcpy(k.addr.a, r.ep[i + 1].addr, 16);
		k.port = r.ep[i + 1].port;
		k.family = (uint8_t)family;
		if (bpf_map_update_elem(bpf_map__fd(t->skel->maps.replica_of), &k, &ro, BPF_ANY))
			return -1;
	}
	return bpf_map_update_elem(bpf_map__fd(t->skel->maps.replicas), &svc, &r, BPF_ANY);
}

static struct hedger_replicas get_replicas(struct tb *t, uint32_t svc)
{
	struct hedger_replicas r;

	memset(&r, 0, sizeof(r));
	bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.replicas), &svc, &r);
	return r;
}

/* dst_is - the frame's destination is @addr:@port */
static bool dst_is(const struct tb_pkt *p, int family, const char *addr, uint16_t port)
{
	uint8_t a[16];
	const uint8_t *d = p->data + 14;
	uint32_t l4 = family == 6 ? 40 : (uint32_t)(d[0] & 0xf) * 4;

	inet_pton(family == 6 ? AF_INET6 : AF_INET, addr, a);
	return !memcmp(d + (family == 6 ? 24 : 16), a, family == 6 ? 16 : 4) &&
	       (d[l4 + 2] << 8 | d[l4 + 3]) == port;
}

static bool src_is(const struct tb_pkt *p, int family, const char *addr, uint16_t port)
{
	uint8_t a[16];
	const uint8_t *d = p->data + 14;
	uint32_t l4 = family == 6 ? 40 : (uint32_t)(d[0] & 0xf) * 4;

	inet_pton(family == 6 ? AF_INET6 : AF_INET, addr, a);
	return !memcmp(d + (family == 6 ? 8 : 12), a, family == 6 ? 16 : 4) &&
	       (d[l4] << 8 | d[l4 + 1]) == port;
}

static void v4_case(void)
{
	struct tb_cfg cfg = { .backend = HEDGER_BACKEND_HTB, .replicas = true, .classes = 64 };
	const char *addrs[] = { R1_4, R2_4 };
	const uint16_t ports[] = { 9999, 8888 };
	struct hedger_replicas r;
	struct hedger_sb_val v;
	struct tb_pkt p, o;
	struct tb t;
	int ret = 0;

	if (tb_open(&t, &cfg)) {
		TB_CHECK(0, "tb_open");
		return;
	}
	TB_EQ(add_replicas(&t, 0, 4, TB_SERVER4, addrs, ports, 2, HEDGER_RP_ROUND_ROBIN), 0,
	      "replicas");

	/* Hedges go round-robin to slots 1, 2, 1, never to the VIP. */
	for (uint64_t id = 1; id <= 3; id++) {
		build(&p, 4, id, NULL, 0);
		tb_run(&t, t.skel->progs.hedger_splitter, &p, 0, &ret, &o);
		TB_CHECK(dst_is(&o, 4, TB_SERVER4, TB_PORT), "original not rewritten");
		tb_run(&t, t.skel->progs.hedger_rescuer, &p, HEDGER_MARK_HEDGE, &ret, &o);
		TB_EQ(ret, TB_ACT_REDIRECT, "hedge redirected");
		TB_CHECK(dst_is(&o, 4, addrs[(id - 1) % 2], ports[(id - 1) % 2]),
			 "hedge %llu to replica %s", (unsigned long long)id, addrs[(id - 1) % 2]);
		TB_CHECK(csums_ok(&o, 4), "hedge %llu: IP and UDP checksums valid",
			 (unsigned long long)id);
		TB_EQ(tb_sb_lookup(&t, 4, id, &v), 0, "entry");
		TB_EQ(v.hedge_slot, 1 + (id - 1) % 2, "slot recorded");
	}
	TB_EQ(tb_counter(&t, HC_HEDGES_TO_REPLICA), 3, "hedges to other replicas counted");

	/* Replica 1 answers request 1 first: NATed back to the VIP, completes. */
	build(&p, 4, 1, R1_4, 9999);
	tb_run(&t, t.skel->progs.hedger_reply_filter, &p, 0, &ret, &o);
	TB_EQ(ret, TB_ACT_UNSPEC, "replica's reply passed");
	TB_CHECK(src_is(&o, 4, TB_SERVER4, TB_PORT), "reply source NATed back to the VIP");
	TB_CHECK(csums_ok(&o, 4), "reverse-NATed reply: checksums valid");
	TB_EQ(tb_sb_lookup(&t, 4, 1, &v), 0, "entry");
	TB_EQ(v.state, HEDGER_ST_COMPLETED, "replica's reply completes the request");
	TB_EQ(tb_counter(&t, HC_REPLIES_REVERSE_NAT), 1, "reverse NAT counted");
	/* The VIP's late original reply: the duplicate. */
	build(&p, 4, 1, TB_SERVER4, TB_PORT);
	tb_run(&t, t.skel->progs.hedger_reply_filter, &p, 0, &ret, NULL);
	TB_EQ(ret, TB_ACT_SHOT, "VIP's late reply dropped");

	/* The VIP answers request 2 first: passed unchanged; replica 2's is dropped. */
	build(&p, 4, 2, TB_SERVER4, TB_PORT);
	tb_run(&t, t.skel->progs.hedger_reply_filter, &p, 0, &ret, &o);
	TB_EQ(ret, TB_ACT_UNSPEC, "VIP reply passed");
	TB_CHECK(o.len == p.len && !memcmp(o.data, p.data, p.len), "VIP reply untouched");
	build(&p, 4, 2, R2_4, 8888);
	tb_run(&t, t.skel->progs.hedger_reply_filter, &p, 0, &ret, NULL);
	TB_EQ(ret, TB_ACT_SHOT, "replica's late reply dropped");
	TB_EQ(tb_counter(&t, HC_DUP_REPLIES_DROPPED), 2, "duplicates counted");

	/* A reply from a replica nobody asked: passed as is, counted unknown. */
	build(&p, 4, 77, R1_4, 9999);
	tb_run(&t, t.skel->progs.hedger_reply_filter, &p, 0, &ret, &o);
	TB_EQ(ret, TB_ACT_UNSPEC, "unknown replica reply passed");
	TB_CHECK(src_is(&o, 4, R1_4, 9999), "unknown replica reply not rewritten");

	r = get_replicas(&t, 0);
	TB_EQ(r.hedges[1], 2, "hedges to slot 1");
	TB_EQ(r.hedges[2], 1, "hedges to slot 2");
	TB_EQ(r.replies[0], 2, "replies from the VIP");
	TB_EQ(r.replies[1], 1, "replies from slot 1 (the unknown one not counted)");
	TB_EQ(r.replies[2], 1, "replies from slot 2");
	TB_CHECK(r.lat_ewma_ns[1] > 0 && r.lat_ewma_ns[2] > 0, "replica latencies measured");

	/* fastest: slot 2 is the quicker one now -> chosen every time. */
	r.policy = HEDGER_RP_FASTEST;
	r.lat_ewma_ns[1] = 5000000;
	r.lat_ewma_ns[2] = 1000000;
	{
		uint32_t k = 0;

		bpf_map_update_elem(bpf_map__fd(t.skel->maps.replicas), &k, &r, BPF_ANY);
	}
	for (uint64_t id = 10; id <= 12; id++) {
		build(&p, 4, id, NULL, 0);
		tb_run(&t, t.skel->progs.hedger_splitter, &p, 0, &ret, NULL);
		tb_run(&t, t.skel->progs.hedger_rescuer, &p, HEDGER_MARK_HEDGE, &ret, &o);
		TB_CHECK(dst_is(&o, 4, R2_4, 8888), "fastest: hedge %llu to the quicker replica",
			 (unsigned long long)id);
	}
	/* ... until it stops answering: each hedge charges it the wait so far
	 * (>= 10 ms here) / 8, so after a few unanswered hedges slot 1 (5 ms)
	 * is the faster one again. */
	{
		uint64_t id = 20;
		bool moved = false;

		for (; id < 30 && !moved; id++) {
			build(&p, 4, id, NULL, 0);
			tb_run(&t, t.skel->progs.hedger_splitter, &p, 0, &ret, NULL);
			usleep(10000);
			tb_run(&t, t.skel->progs.hedger_rescuer, &p, HEDGER_MARK_HEDGE, &ret, &o);
			moved = dst_is(&o, 4, R1_4, 9999);
		}
		/* 1 ms + k x >= 1.25 ms > 5 ms after k <= 4 unanswered hedges (fewer
		 * when the sleeps run long) */
		TB_CHECK(moved && id - 20 >= 2 && id - 20 <= 5,
			 "fastest: silent replica avoided after %llu hedges (want 2-5)",
			 (unsigned long long)(id - 20));
	}
	tb_close(&t);
}

static void v6_case(void)
{
	struct tb_cfg cfg = { .backend = HEDGER_BACKEND_HTB, .replicas = true, .classes = 64 };
	const char *addrs[] = { R1_6 };
	const uint16_t ports[] = { 7777 };
	struct tb_pkt p, o;
	struct tb t;
	int ret = 0;

	if (tb_open(&t, &cfg)) {
		TB_CHECK(0, "tb_open");
		return;
	}
	TB_EQ(add_replicas(&t, 1, 6, TB_SERVER6, addrs, ports, 1, HEDGER_RP_ROUND_ROBIN), 0,
	      "replicas v6");
	build(&p, 6, 5, NULL, 0);
	tb_run(&t, t.skel->progs.hedger_splitter, &p, 0, &ret, NULL);
	tb_run(&t, t.skel->progs.hedger_rescuer, &p, HEDGER_MARK_HEDGE, &ret, &o);
	TB_EQ(ret, TB_ACT_REDIRECT, "v6 hedge redirected");
	TB_CHECK(dst_is(&o, 6, R1_6, 7777), "v6 hedge to the replica");
	TB_CHECK(csums_ok(&o, 6), "v6 hedge: UDP checksum valid");
	build(&p, 6, 5, R1_6, 7777);
	tb_run(&t, t.skel->progs.hedger_reply_filter, &p, 0, &ret, &o);
	TB_EQ(ret, TB_ACT_UNSPEC, "v6 replica reply passed");
	TB_CHECK(src_is(&o, 6, TB_SERVER6, TB_PORT), "v6 reply NATed back to the VIP");
	TB_CHECK(csums_ok(&o, 6), "v6 reverse-NATed reply: checksum valid");
	TB_EQ(tb_counter(&t, HC_REPLIES), 1, "v6 reply completes");
	tb_close(&t);
}

int main(void)
{
	tb_require();
	v4_case();
	v6_case();
	return tb_finish();
}
