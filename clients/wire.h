/* wire: the request datagram and the validation of replies.
 *
 * Request layout (the server echoes it unchanged):
 *   0..3   id, little-endian u32 (what chaos-server's fault schedule keys on)
 *   4..7   run tag, little-endian u32, random per run: a reply from another
 *          run or another client never matches
 *   8      copy: 0 = primary, 1 = application-level hedge
 *   9..    zero padding up to --size
 * Public functions are prefixed wire_. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "request.h"

#define WIRE_HEADER_SIZE 12

enum wire_verdict {
	WIRE_ANSWER = 0,    /* first valid reply to a request in flight: take it */
	WIRE_DUPLICATE,     /* valid reply to a request already answered */
	WIRE_LATE,          /* valid reply to a request that already timed out */
	WIRE_FOREIGN,       /* wrong tag, unknown id, unsent or unhedged copy, short */
};

/* wire_encode - fill @buf (@size >= WIRE_HEADER_SIZE bytes) with a request. */
void wire_encode(void *buf, size_t size, uint32_t id, uint32_t tag, uint8_t copy);
/* wire_decode - 0 with id and copy set when @buf is a reply of run @tag,
 * -EBADMSG when it is too short, has another tag or an unknown copy byte. */
int wire_decode(const void *buf, size_t len, uint32_t tag, uint32_t *id, uint8_t *copy);
/* wire_classify - what a decoded reply (copy @copy) means for request @r,
 * or for no request of this run when @r is NULL. */
enum wire_verdict wire_classify(const struct req *r, uint8_t copy);
const char *wire_verdict_name(enum wire_verdict v);
