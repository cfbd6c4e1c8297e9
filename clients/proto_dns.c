/* proto_dns: hedge-client's DNS stub side - A queries for the names of a
 * generated zone, matched to replies by id and question. */
#include "proto_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

/* splitmix64: a seeded, well-mixed sequence; ids need no cryptography. */
static uint64_t next_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

int proto_dns_init(struct proto *p)
{
	int n;

	n = dnsw_name_to_wire(p->p.zone ? p->p.zone : "", p->zone_wire, sizeof(p->zone_wire));
	if (n < 0)
		return -EINVAL;
	p->zone_len = (size_t)n;
	/* "h" + up to 20 digits must still fit in a name. */
	if (p->zone_len + 22 > DNSW_MAX_NAME)
		return -EINVAL;
	p->id_busy = calloc(PROTO_IDS, 1);
	p->id_ring = calloc(PROTO_DNS_ID_GAP, sizeof(*p->id_ring));
	if (!p->id_busy || !p->id_ring)
		return -ENOMEM;
	p->rng = p->p.id_seed;
	if (!p->rng && getrandom(&p->rng, sizeof(p->rng), 0) != sizeof(p->rng))
		p->rng = (uint64_t)(uintptr_t)p ^ 0x5deece66dULL;
	return 0;
}

int proto_dns_qname(const struct proto *p, uint64_t index, uint8_t *out)
{
	char label[24];
	int n = snprintf(label, sizeof(label), "h%llu", (unsigned long long)(index % p->p.keys));

	out[0] = (uint8_t)n;
	memcpy(out + 1, label, (size_t)n);
	memcpy(out + 1 + n, p->zone_wire, p->zone_len);
	return 1 + n + (int)p->zone_len;
}

/* A random id not used by the last PROTO_DNS_ID_GAP queries. */
static uint16_t pick_id(struct proto *p)
{
	uint16_t id;
	uint64_t slot;

	do
		id = (uint16_t)next_rand(&p->rng);
	while (p->id_busy[id]);
	slot = p->id_ring_n++ % PROTO_DNS_ID_GAP;
	if (p->id_ring_n > PROTO_DNS_ID_GAP)
		p->id_busy[p->id_ring[slot]] = 0;
	p->id_ring[slot] = id;
	p->id_busy[id] = 1;
	return id;
}

int proto_dns_encode(struct proto *p, uint64_t index, bool primary, uint8_t *buf, size_t cap)
{
	uint8_t qname[DNSW_MAX_NAME];
	int qlen = proto_dns_qname(p, index, qname);

	if (primary)
		p->wire_id[index] = pick_id(p);
	return dnsw_encode_query(buf, cap, p->wire_id[index], qname, (size_t)qlen, DNSW_TYPE_A);
}

enum proto_rx proto_dns_receive(struct proto *p, const uint8_t *buf, size_t len,
				struct proto_reply *rx)
{
	uint8_t qname[DNSW_MAX_NAME];
	struct dnsw_reply r;
	uint32_t owner;
	int qlen;

	if (dnsw_parse_reply(buf, len, &r) || !r.qr || r.opcode != 0)
		return PROTO_RX_FOREIGN;
	owner = p->owner[r.id];
	if (!owner)
		return PROTO_RX_FOREIGN;
	qlen = proto_dns_qname(p, owner - 1, qname);
	if (!dnsw_name_equal(r.qname, r.qname_len, qname, (size_t)qlen) ||
	    r.qtype != DNSW_TYPE_A || r.qclass != DNSW_CLASS_IN) {
		p->c.mismatched++;
		return PROTO_RX_FOREIGN;
	}
	rx->index = owner - 1;
	/* NXDOMAIN, SERVFAIL, ...: an answer all the same, counted. TC=1 too
	 * (a stub would retry over TCP; names here never need it). */
	rx->error = r.rcode != 0;
	return PROTO_RX_REPLY;
}
