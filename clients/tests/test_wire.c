/* Unit test: request encoding and reply validation by id, run tag and copy. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "wire.h"

static void test_encode_decode(void)
{
	uint8_t buf[32];
	uint32_t id = 0;
	uint8_t copy = 9;

	wire_encode(buf, sizeof(buf), 0x04030201, 0xdeadbeef, REQ_COPY_HEDGE);
	/* Id little-endian in the first 4 bytes: what chaos-server reads. */
	CHECK(buf[0] == 1 && buf[1] == 2 && buf[2] == 3 && buf[3] == 4, "id is little-endian");
	CHECK(buf[8] == 1 && buf[31] == 0, "copy byte and zero padding");
	CHECK(wire_decode(buf, sizeof(buf), 0xdeadbeef, &id, &copy) == 0 &&
	      id == 0x04030201 && copy == REQ_COPY_HEDGE, "round trip");
	CHECK(wire_decode(buf, sizeof(buf), 0xdeadbeee, &id, &copy) == -EBADMSG,
	      "another run's tag is rejected");
	CHECK(wire_decode(buf, WIRE_HEADER_SIZE - 1, 0xdeadbeef, &id, &copy) == -EBADMSG,
	      "short reply rejected");
	CHECK(wire_decode(buf, 4, 0xdeadbeef, &id, &copy) == -EBADMSG, "bare id rejected");
	buf[8] = 2;
	CHECK(wire_decode(buf, sizeof(buf), 0xdeadbeef, &id, &copy) == -EBADMSG,
	      "unknown copy byte rejected");
}

static void test_classify(void)
{
	struct req r;

	memset(&r, 0, sizeof(r));
	CHECK(wire_classify(NULL, 0) == WIRE_FOREIGN, "no such request");
	r.state = REQ_UNSENT;
	CHECK(wire_classify(&r, 0) == WIRE_FOREIGN, "reply to an unsent request");
	r.state = REQ_INFLIGHT;
	CHECK(wire_classify(&r, REQ_COPY_PRIMARY) == WIRE_ANSWER, "in flight: answer");
	CHECK(wire_classify(&r, REQ_COPY_HEDGE) == WIRE_FOREIGN, "hedge reply, no hedge sent");
	r.hedge_sent = 1;
	CHECK(wire_classify(&r, REQ_COPY_HEDGE) == WIRE_ANSWER, "hedge reply wins");
	r.state = REQ_ANSWERED;
	CHECK(wire_classify(&r, REQ_COPY_PRIMARY) == WIRE_DUPLICATE, "loser is a duplicate");
	CHECK(wire_classify(&r, REQ_COPY_HEDGE) == WIRE_DUPLICATE, "second hedge reply");
	r.state = REQ_TIMEDOUT;
	CHECK(wire_classify(&r, REQ_COPY_PRIMARY) == WIRE_LATE, "after the timeout: late");
	CHECK(wire_classify(&r, 7) == WIRE_FOREIGN, "bad copy");
}

int main(void)
{
	test_encode_decode();
	test_classify();
	return check_done("test_wire");
}
