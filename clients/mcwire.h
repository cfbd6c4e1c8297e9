/* mcwire: memcached's UDP protocol as hedge-client uses it. Every datagram
 * starts with an 8-byte frame header (request id, sequence number, datagram
 * count, reserved: 2 bytes each, big endian); the text protocol follows. A
 * request is one datagram "get KEY\r\n"; its response, "VALUE KEY FLAGS
 * BYTES\r\nDATA\r\nEND\r\n" (or "END\r\n" on a miss), may span several
 * datagrams that carry the same request id and sequence numbers 0..count-1.
 * Pure functions, no state. Public functions are prefixed mcw_. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MCW_FRAME_SIZE   8
#define MCW_MAX_KEY      250     /* memcached's KEY_MAX_LENGTH */
#define MCW_MAX_DGRAMS   64      /* datagrams per response hedge-client accepts */

struct mcw_frame {
	uint16_t request_id;
	uint16_t seq;
	uint16_t count;
};

/* mcw_key_valid - memcached accepts it: 1..250 bytes, no space or control byte. */
bool mcw_key_valid(const char *key);
/* mcw_encode_get - the datagram of "get @key" with request id @request_id.
 * Returns its length, -ENOSPC, or -EINVAL for an invalid key. */
int mcw_encode_get(uint8_t *buf, size_t cap, uint16_t request_id, const char *key);
/* mcw_parse_frame - the frame header of a datagram; -EBADMSG when shorter
 * than the header, count is 0 or above MCW_MAX_DGRAMS, seq >= count, or
 * the reserved field is not 0. */
int mcw_parse_frame(const uint8_t *buf, size_t len, struct mcw_frame *out);
/* mcw_check_get_response - the reassembled text of a response to "get
 * @key": 0 with *@hit set when it is exactly one VALUE of @key whose BYTES
 * matches its data, then END (hit), or END alone (miss); -EBADMSG for
 * anything else (another key, a length mismatch, junk, cut short). */
int mcw_check_get_response(const uint8_t *text, size_t len, const char *key, bool *hit);
