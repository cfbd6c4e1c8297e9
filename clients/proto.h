/* proto: the request protocols hedge-client speaks. A protocol turns request
 * number INDEX (0 = the first warm-up request) into one datagram, and maps
 * each received datagram back to the request it answers, matching replies
 * the way that protocol does:
 *   id         chaos-server's echo format (wire.h): id, run tag, copy byte
 *   dns        an A query for a name of a generated zone ("h<N>.<zone>",
 *              N = INDEX % keys), with a random 16-bit id as a stub picks it;
 *              a reply matches by id and question (name, type, class)
 *   memcached  UDP frame header + "get <prefix><N>"; a response spanning
 *              several datagrams is reassembled by request id, sequence
 *              number and count before it matches (by request id and key)
 * The engine keeps the requests' states; a protocol only says which request
 * a datagram completes. Public functions are prefixed proto_. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum proto_kind { PROTO_ID = 0, PROTO_DNS, PROTO_MEMCACHED };

struct proto_params {
	enum proto_kind kind;
	uint64_t total;          /* requests of the run, warm-up included */
	uint32_t tag;            /* id: the run tag */
	uint64_t first_id;       /* id: id of request 0; memcached: its request id (mod 2^16) */
	uint64_t size;           /* id: datagram bytes */
	uint64_t keys;           /* dns: names, memcached: keys (>= 1) */
	const char *zone;        /* dns: the zone the names are in */
	const char *key_prefix;  /* memcached */
	uint64_t id_seed;        /* dns: seed of the id generator; 0 = unpredictable */
};

enum proto_rx {
	PROTO_RX_REPLY = 0,      /* a complete reply to request rx.index */
	PROTO_RX_PARTIAL,        /* one datagram of a longer reply; more must come */
	PROTO_RX_FOREIGN,        /* answers no request of this run, or is malformed */
};

struct proto_reply {
	uint64_t index;
	uint8_t copy;            /* enum req_copy: id from the datagram, others from the socket */
	bool error;              /* a well-formed negative answer (DNS rcode != 0, memcached miss) */
};

struct proto_counters {
	uint64_t error_replies;      /* replies with error set (all of them, warm-up too) */
	uint64_t multi_replies;      /* memcached: replies completed from > 1 datagram */
	uint64_t dup_datagrams;      /* memcached: a sequence number seen twice in one reassembly */
	uint64_t dropped_partials;   /* memcached: reassemblies never finished (evicted, or open at the end) */
	uint64_t mismatched;         /* right id, wrong question or key */
};

struct proto;

/* proto_new - 0 and *@out, or -ENOMEM / -EINVAL (an invalid zone or key). */
int proto_new(const struct proto_params *p, struct proto **out);
void proto_free(struct proto *p);
/* proto_encode - the datagram of request @index, copy @copy (a hedge copy is
 * the same request: same id, same question or key). The primary copy must be
 * encoded first. Returns its length, or -ENOSPC when @cap is too small. */
int proto_encode(struct proto *p, uint64_t index, uint8_t copy, uint8_t *buf, size_t cap);
/* proto_receive - what the datagram @buf received on socket @sock (0 the
 * target, 1 the hedge target) is; fills @rx for PROTO_RX_REPLY. */
enum proto_rx proto_receive(struct proto *p, const uint8_t *buf, size_t len, unsigned int sock,
			    struct proto_reply *rx);
void proto_get_counters(const struct proto *p, struct proto_counters *c);
/* proto_kind_name - "id", "dns", "memcached"; proto_kind_parse the reverse (-EINVAL). */
const char *proto_kind_name(enum proto_kind kind);
int proto_kind_parse(const char *text, enum proto_kind *kind);
/* proto_request_bytes - the largest datagram proto_encode can produce. */
size_t proto_request_bytes(const struct proto_params *p);
