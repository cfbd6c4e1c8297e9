/* proto_internal: the state shared by proto.c and the protocol modules. */
#pragma once
#include "dnswire.h"
#include "mcwire.h"
#include "proto.h"

#define PROTO_IDS          65536u
/* dns: an id is not reused within this many queries (so never while in
 * flight at any sane rate x timeout), as load generators and resolvers
 * keep a query id unique among outstanding queries per socket. */
#define PROTO_DNS_ID_GAP   16384u
#define PROTO_MC_SLOTS     1024u   /* open reassemblies per socket */

struct mc_reasm {
	bool used;
	uint16_t request_id;
	uint16_t count;
	uint64_t seen;               /* bit per sequence number */
	uint64_t index;
	uint8_t *frag[MCW_MAX_DGRAMS];
	uint16_t frag_len[MCW_MAX_DGRAMS];
};

struct proto {
	struct proto_params p;
	struct proto_counters c;
	uint16_t *wire_id;           /* dns/memcached: wire id of each request */
	uint32_t *owner;             /* wire id -> index + 1 of its latest request */
	/* dns */
	uint8_t *id_busy;            /* byte per id: used in the last PROTO_DNS_ID_GAP queries */
	uint16_t *id_ring;
	uint64_t id_ring_n;
	uint64_t rng;
	uint8_t zone_wire[DNSW_MAX_NAME];
	size_t zone_len;
	/* memcached: [sock][slot] */
	struct mc_reasm *reasm;
};

int proto_dns_init(struct proto *p);
int proto_dns_encode(struct proto *p, uint64_t index, bool primary, uint8_t *buf, size_t cap);
enum proto_rx proto_dns_receive(struct proto *p, const uint8_t *buf, size_t len,
				struct proto_reply *rx);
/* proto_dns_qname - wire form of the name of request @index into @out (DNSW_MAX_NAME). */
int proto_dns_qname(const struct proto *p, uint64_t index, uint8_t *out);

int proto_mc_init(struct proto *p);
void proto_mc_free(struct proto *p);
int proto_mc_encode(struct proto *p, uint64_t index, uint8_t *buf, size_t cap);
enum proto_rx proto_mc_receive(struct proto *p, const uint8_t *buf, size_t len, unsigned int sock,
			       struct proto_reply *rx);
/* proto_mc_key - the key of request @index into @out (MCW_MAX_KEY + 1). */
void proto_mc_key(const struct proto *p, uint64_t index, char *out);
