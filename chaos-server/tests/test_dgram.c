/* Datagram classification and the reply decision: the id is little-endian,
 * short and oversized datagrams are dropped, bad ids stall once and then hit
 * the replay memory, everything else gets the fast path. */
#include <stdio.h>

#include "dgram.h"
#include "timeutil.h"
#include "check.h"

int main(void)
{
	const uint8_t req[8] = { 0x64, 0x00, 0x00, 0x00, 'a', 'b', 'c', 'd' };   /* id 100 */
	const uint8_t le[4] = { 0x01, 0x02, 0x03, 0x04 };
	struct fault_cfg cfg;
	struct replay *r;
	struct dgram_decision d;
	uint32_t id = 0;

	CHECK(dgram_classify(le, 4, false, 2048, &id) == DGRAM_REPLY && id == 0x04030201,
	      "little-endian id: got 0x%08x", id);
	CHECK(dgram_classify(le, 0, false, 2048, &id) == DGRAM_DROP_SHORT, "empty");
	CHECK(dgram_classify(le, 3, false, 2048, &id) == DGRAM_DROP_SHORT, "3 bytes");
	CHECK(dgram_classify(req, 8, false, 8, &id) == DGRAM_REPLY, "exactly max");
	CHECK(dgram_classify(req, 9, false, 8, &id) == DGRAM_DROP_OVERSIZE, "max + 1");
	CHECK(dgram_classify(req, 8, true, 2048, &id) == DGRAM_DROP_OVERSIZE, "truncated");

	fault_cfg_default(&cfg);
	replay_new(1024, NSEC_PER_SEC, false, &r);
	dgram_decide(&cfg, r, req, sizeof(req), false, 2048, 0, &d);
	CHECK(d.verdict == DGRAM_REPLY && d.id == 100 && d.stalled && d.delay_ns == 400 * NSEC_PER_MSEC,
	      "first sight of id 100: stalled %d delay %llu", d.stalled, (unsigned long long)d.delay_ns);
	dgram_decide(&cfg, r, req, sizeof(req), false, 2048, 10 * NSEC_PER_MSEC, &d);
	CHECK(!d.stalled && d.replay_hit && d.delay_ns == 2 * NSEC_PER_MSEC, "hedge of id 100");
	dgram_decide(&cfg, r, le, 4, false, 2048, 0, &d);   /* 0x04030201 % 100 = 73 */
	CHECK(!d.stalled && !d.replay_hit && d.delay_ns == 2 * NSEC_PER_MSEC, "good id");
	dgram_decide(&cfg, r, le, 2, false, 2048, 0, &d);
	CHECK(d.verdict == DGRAM_DROP_SHORT && d.delay_ns == 0, "short dropped");
	cfg.fast_ns = 0;
	dgram_decide(&cfg, r, le, 4, false, 2048, 0, &d);
	CHECK(d.verdict == DGRAM_REPLY && d.delay_ns == 0, "--fast 0");
	replay_free(r);
	return check_done("test_dgram");
}
