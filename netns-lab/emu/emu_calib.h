/* emu_calib.h: measure how late the device's HTB releases a held frame
 * (watchdog hrtimer + NET_TX softirq), for "attach --calib auto". */
#pragma once
#include <stdint.h>
#include "netlink.h"

struct emu_calib {
	unsigned int samples;	/* holds measured */
	uint64_t hold_ns;	/* each one's length */
	int64_t p50_ns, mean_ns, winsor_mean_ns, p99_ns, max_ns;	/* lateness; winsor: top 1 % as P99 */
};

/* emu_calib_measure - on @ifindex (HTB root 1: in place, no filter yet):
 * add leaf 1:@minor sized for a hold of @hold_ns, then @samples times send a
 * dummy frame that puts it in debt and a probe behind it, and take both
 * frames' departure times from a packet tap. Fills @out; 0 or -errno. The
 * frames carry EMU_DUMMY_ETHERTYPE: the peer drops them. */
int emu_calib_measure(struct nl_handle *nl, int ifindex, uint32_t minor, uint64_t hold_ns,
		      unsigned int samples, struct emu_calib *out);
