/* emu_harness.h: load the link emulator with chosen parameters and run it
 * with BPF_PROG_TEST_RUN on a crafted UDP frame, in a private network
 * namespace (the clones it makes go to that namespace's loopback). */
#pragma once
#include <stdint.h>
#include <linux/types.h>

#include "emu.h"
#include "emu_model.h"
#include "emu.skel.h"

#define EH_ACT_OK 0
#define EH_ACT_SHOT 2

struct eh {
	struct emu_bpf *skel;
	int ncpu;
	uint16_t ethertype;	/* of the crafted frame; 0: IPv4 */
};

/* eh_enter_netns - private netns with lo up; 77 (skip, reason printed) or 0. */
int eh_enter_netns(void);
/* eh_load - load with @p; @classes > 0 enables holding. 0, or 77 to skip. */
int eh_load(struct eh *h, const struct emu_params *p, uint32_t classes);
void eh_close(struct eh *h);
/* eh_run - one packet with skb->mark @mark; returns the verdict (or -errno),
 * the priority the program left in *@prio, and whether the bytes came back
 * unchanged in *@same. */
int eh_run(struct eh *h, uint32_t mark, uint32_t *prio, int *same);
uint64_t eh_counter(struct eh *h, enum emu_counter c);
/* eh_frame - the frame eh_run sends, into @f (128 bytes); its length. */
uint32_t eh_frame(struct eh *h, uint8_t *f);
/* eh_prob - percentage as the 2^32 scale. */
uint64_t eh_prob(double percent);
