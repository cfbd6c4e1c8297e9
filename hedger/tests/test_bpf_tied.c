/* test_bpf_tied: tied mode (--tied K) as integrated in the programs.
 * Service 198.18.100.2:9999 with replicas .3:9999 and .4:8888, K = 3:
 * - the splitter sends K-1 = 2 copies at once (marked TIED, to the line's b
 *   end), one per other replica, and no delay-line clone; the original
 *   leaves byte for byte unchanged (destination restored, checksums too);
 * - the rescuer sends a TIED copy out with redirect_neigh, marked HEDGE
 *   (the splitter passes it: loop guard);
 * - the first reply wins (from a replica: NATed back), later ones dropped;
 * - with the budget on, copies spend it: burst 1 at 0 % -> 1 copy, then none. */
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>

#include "bpf_harness.h"
#include "budget.h"

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

static void tied_case(bool with_budget)
{
	struct tb_cfg cfg = { .backend = HEDGER_BACKEND_HTB, .replicas = true, .tied = true,
			      .budget = with_budget, .classes = 64 };
	const char *addrs[] = { R1_4, R2_4 };
	const uint16_t ports[] = { 9999, 8888 };
	struct hedger_replicas r;
	struct tb_pkt p, o, c;
	struct tb t;
	uint32_t k = 0;
	int ret = 0;

	if (tb_open(&t, &cfg)) {
		TB_CHECK(0, "tb_open");
		return;
	}
	TB_EQ(add_replicas(&t, 0, 4, TB_SERVER4, addrs, ports, 2, HEDGER_RP_ROUND_ROBIN), 0,
	      "replicas");
	r = get_replicas(&t, 0);
	r.tied = 3;
	TB_EQ(bpf_map_update_elem(bpf_map__fd(t.skel->maps.replicas), &k, &r, BPF_ANY), 0, "tied 3");
	if (with_budget) {
		struct budget b = { .credits = BUDGET_UNIT, .ratio_milli = 0, .burst = 1 };

		TB_EQ(bpf_map_update_elem(bpf_map__fd(t.skel->maps.budget), &k, &b, BPF_ANY), 0,
		      "budget");
		build(&p, 4, 1, NULL, 0);
		tb_run(&t, t.skel->progs.hedger_splitter, &p, 0, &ret, &o);
		TB_EQ(tb_counter(&t, HC_TIED_COPIES), 1, "budget: one copy within burst 1");
		TB_EQ(tb_counter(&t, HC_BUDGET_DENIED), 1, "budget: second copy denied");
		build(&p, 4, 2, NULL, 0);
		tb_run(&t, t.skel->progs.hedger_splitter, &p, 0, &ret, &o);
		TB_EQ(tb_counter(&t, HC_TIED_COPIES), 1, "budget: no copy when empty");
		TB_EQ(ret, TB_ACT_UNSPEC, "budget: original still passes");
		TB_CHECK(o.len == p.len && !memcmp(o.data, p.data, p.len), "budget: original unchanged");
		tb_close(&t);
		return;
	}

	build(&p, 4, 1, NULL, 0);
	tb_run(&t, t.skel->progs.hedger_splitter, &p, 0, &ret, &o);
	TB_EQ(ret, TB_ACT_UNSPEC, "original passed");
	TB_CHECK(o.len == p.len && !memcmp(o.data, p.data, p.len),
		 "original byte for byte unchanged (destination and checksums restored)");
	TB_CHECK(csums_ok(&o, 4), "original's checksums valid after the round trip");
	TB_EQ(tb_counter(&t, HC_TIED_COPIES), 2, "K-1 copies sent");
	TB_EQ(tb_counter(&t, HC_CLONES), 0, "no delay-line clone in tied mode");
	r = get_replicas(&t, 0);
	TB_EQ(r.hedges[1], 1, "one copy to slot 1");
	TB_EQ(r.hedges[2], 1, "one copy to slot 2");

	/* A copy as it reaches the rescuer (addressed to replica 2, TIED). */
	build(&c, 4, 1, NULL, 0);
	inet_pton(AF_INET, R2_4, c.data + 14 + 16);
	tb_run(&t, t.skel->progs.hedger_rescuer, &c, HEDGER_MARK_TIED, &ret, &o);
	TB_EQ(ret, TB_ACT_REDIRECT, "tied copy sent out");
	TB_EQ(tb_last_ctx.mark, HEDGER_MARK_HEDGE, "tied copy leaves marked HEDGE");
	TB_CHECK(dst_is(&o, 4, R2_4, TB_PORT), "tied copy keeps its replica address");
	tb_run(&t, t.skel->progs.hedger_splitter, &o, HEDGER_MARK_HEDGE, &ret, NULL);
	TB_EQ(tb_counter(&t, HC_TIED_COPIES), 2, "copy passing the splitter not copied again");

	/* Replica 2 answers first: NATed back and wins; the VIP's reply is late. */
	build(&p, 4, 1, R2_4, 8888);
	tb_run(&t, t.skel->progs.hedger_reply_filter, &p, 0, &ret, &o);
	TB_EQ(ret, TB_ACT_UNSPEC, "first reply (replica) passed");
	TB_CHECK(src_is(&o, 4, TB_SERVER4, TB_PORT), "first reply NATed back to the VIP");
	build(&p, 4, 1, TB_SERVER4, TB_PORT);
	tb_run(&t, t.skel->progs.hedger_reply_filter, &p, 0, &ret, NULL);
	TB_EQ(ret, TB_ACT_SHOT, "VIP reply dropped");
	build(&p, 4, 1, R1_4, 9999);
	tb_run(&t, t.skel->progs.hedger_reply_filter, &p, 0, &ret, NULL);
	TB_EQ(ret, TB_ACT_SHOT, "replica 1 reply dropped");
	TB_EQ(tb_counter(&t, HC_REPLIES), 1, "one reply reached the application");
	tb_close(&t);
}

int main(void)
{
	tb_require();
	tied_case(false);
	tied_case(true);
	return tb_finish();
}
