/* replica_fixture.c: packets and replica maps for the replica/tied tests
 * (test_bpf_replica.c, test_bpf_tied.c). */
#include <string.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>

#include "replica_fixture.h"
#include "endpoints_add.h"
#include "service_ports.h"

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

bool rf_csums_ok(const struct tb_pkt *p, int family)
{
	const uint8_t *d = p->data + 14;
	uint32_t l4 = family == 6 ? 40 : (uint32_t)(d[0] & 0xf) * 4;

	if (family == 4 && fold(sum16(d, l4, 0)) != 0xffff)
		return false;
	return (uint16_t)(d[l4 + 6] << 8 | d[l4 + 7]) == udp_csum(p, family);
}

void rf_build(struct tb_pkt *p, int family, uint64_t id, const char *from_addr,
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

int rf_add_replicas(struct tb *t, uint32_t svc, int family, const char *vip,
		    const char **addrs, const uint16_t *ports, uint32_t n, uint32_t policy)
{
	struct hedger_replicas r;

	memset(&r, 0, sizeof(r));
	r.n = n + 1;
	r.policy = policy;
	ep_set(&r.ep[0], family, vip, TB_PORT);
	for (uint32_t i = 0; i < n; i++) {
		struct hedger_endpoint e;
		int err;

		ep_set(&r.ep[i + 1], family, addrs[i], ports[i]);
		e = endpoint_make((uint8_t)family, r.ep[i + 1].addr, r.ep[i + 1].port,
				  HEDGER_EP_REPLICA, svc, i + 1);
		err = endpoints_add(bpf_map__fd(t->skel->maps.endpoints), &e);
		if ((err && err != -EEXIST) ||
		    service_ports_add(bpf_map__fd(t->skel->maps.service_ports), e.port))
			return -1;
	}
	return bpf_map_update_elem(bpf_map__fd(t->skel->maps.replicas), &svc, &r, BPF_ANY);
}

struct hedger_replica_stats rf_get_replica_stats(struct tb *t, uint32_t svc)
{
	struct hedger_replica_stats per[512], sum;

	memset(&sum, 0, sizeof(sum));
	if (t->ncpu > 512 || bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.replica_stats), &svc, per))
		return sum;
	for (int c = 0; c < t->ncpu; c++) {
		for (int k = 0; k < HEDGER_MAX_REPLICAS; k++) {
			sum.replies[k] += per[c].replies[k];
			sum.hedges[k] += per[c].hedges[k];
		}
	}
	return sum;
}

struct hedger_replicas rf_get_replicas(struct tb *t, uint32_t svc)
{
	struct hedger_replicas r;

	memset(&r, 0, sizeof(r));
	bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.replicas), &svc, &r);
	return r;
}

/* rf_dst_is - the frame's destination is @addr:@port */
bool rf_dst_is(const struct tb_pkt *p, int family, const char *addr, uint16_t port)
{
	uint8_t a[16];
	const uint8_t *d = p->data + 14;
	uint32_t l4 = family == 6 ? 40 : (uint32_t)(d[0] & 0xf) * 4;

	inet_pton(family == 6 ? AF_INET6 : AF_INET, addr, a);
	return !memcmp(d + (family == 6 ? 24 : 16), a, family == 6 ? 16 : 4) &&
	       (d[l4 + 2] << 8 | d[l4 + 3]) == port;
}

bool rf_src_is(const struct tb_pkt *p, int family, const char *addr, uint16_t port)
{
	uint8_t a[16];
	const uint8_t *d = p->data + 14;
	uint32_t l4 = family == 6 ? 40 : (uint32_t)(d[0] & 0xf) * 4;

	inet_pton(family == 6 ? AF_INET6 : AF_INET, addr, a);
	return !memcmp(d + (family == 6 ? 8 : 12), a, family == 6 ? 16 : 4) &&
	       (d[l4] << 8 | d[l4 + 1]) == port;
}
int rf_open(struct tb *t, const struct tb_cfg *cfg, uint32_t svc, int family, const char *vip,
	    const char **addrs, const uint16_t *ports, uint32_t n, const char *what)
{
	if (tb_open(t, cfg)) {
		CHECK(0, "tb_open");
		return -1;
	}
	CHECK_EQ(rf_add_replicas(t, svc, family, vip, addrs, ports, n, HEDGER_RP_ROUND_ROBIN), 0,
	      what);
	return 0;
}
