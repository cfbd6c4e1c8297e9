/* batch.h: carriers (--release-grid, dense requests): one packet in the
 * delay line per CPU and grid step instead of a clone per request.
 *
 * A dense request (delayline.bpf.h grid_due_ns) is due at a grid step k.
 * The first one of step k on a CPU clones itself as the step's carrier into
 * a class of the tier that holds it until k x grid; it and every later
 * request of step k on that CPU only copy their frame (L2 header to the IP
 * packet's end) and their scoreboard slot's place and generation into the
 * batch (CPU, k mod HEDGER_BATCH_RING). When the carrier comes out, the
 * rescuer rewrites it into the frame of each request still pending and
 * sends a clone of it as that request's hedge (batch.bpf.h); answered
 * requests cost nothing. A hedge leaves only when the rewritten frame parses
 * to its slot's key and request digest, so a batch reused meanwhile or a
 * torn copy can never leave as somebody's hedge.
 *
 * Requests over HEDGER_BATCH_FRAME bytes, a full batch or a failed carrier
 * fall back to a clone of their own. */
#pragma once

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define HEDGER_BATCH_RING 64		/* grid steps kept per CPU: >= 2T / grid + 2 */
#define HEDGER_BATCH_MAX 32		/* requests per batch */
#define HEDGER_BATCH_FRAME 256		/* frame bytes kept per request */
#define HEDGER_BATCH_MAX_CPUS 1024	/* the carrier's mark holds CPU x ring in 16 bits */

/* A carrier's mark: kind (PARK: handed to the line's receive queue; LINE:
 * back from its first pass; HOLD: back from its second, i.e. released),
 * the low 8 bits of k / HEDGER_BATCH_RING (its lap of the ring) and the
 * batch index CPU x HEDGER_BATCH_RING + k mod HEDGER_BATCH_RING. */
#define HEDGER_MARK_CARRIER_PARK_KIND 0x70u
#define HEDGER_MARK_CARRIER_LINE_KIND 0x71u
#define HEDGER_MARK_CARRIER_HOLD_KIND 0x72u
#define HEDGER_MARK_CARRIER(kind, lap, idx)					\
	(((kind) << 24) | (((lap) & 0xffu) << 16) | ((idx) & 0xffffu))
#define HEDGER_MARK_IS_CARRIER(mark)						\
	(((mark) >> 24) >= HEDGER_MARK_CARRIER_PARK_KIND &&			\
	 ((mark) >> 24) <= HEDGER_MARK_CARRIER_HOLD_KIND)
#define HEDGER_MARK_CARRIER_IDX(mark) ((mark) & 0xffffu)
#define HEDGER_MARK_CARRIER_LAP(mark) (((mark) >> 16) & 0xffu)

/* One request riding a carrier: where its scoreboard slot is. */
struct hedger_batch_req {
	__u32 bucket;		/* scoreboard bucket index */
	__u32 gen;		/* the slot's generation when the request took it */
	__u16 len;		/* frame bytes (1 .. HEDGER_BATCH_FRAME) */
	__u8 way;		/* the slot's way in its bucket */
	__u8 pad;
	__u32 pad2;
};

/* One CPU's requests due at one grid step. Only that CPU's splitter writes
 * it (TC egress runs with bottom halves off: never two at once on a CPU);
 * the rescuer reads it about T later, when no request of that step can still
 * be added. */
struct hedger_batch {
	__u64 step;		/* the grid step k its requests are due at */
	__u32 n;		/* requests recorded (a frame is written before n counts it) */
	__u16 cls;		/* the carrier's htb class; 0: no carrier parked yet */
	__u16 settled;		/* --htb-finish: requests before the first pending one,
				 * accounted by an early round of the carrier */
	struct hedger_batch_req req[HEDGER_BATCH_MAX];
	__u8 frame[HEDGER_BATCH_MAX][HEDGER_BATCH_FRAME];
};
