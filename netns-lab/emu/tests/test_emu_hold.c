/* test_emu_hold: a delayed packet leaves with skb->priority naming an HTB
 * leaf 1:1..1:N and its bytes unchanged (the dummy was grown, cloned and the
 * original shrunk back); --reorder 100% sends at once (1:0, HTB's direct
 * queue); with every class busy the packet goes unheld and is counted. */
#include <stdio.h>

#include "emu_harness.h"

#define POOL 4

int main(void)
{
	struct emu_params p = { .delay_ns = 5000000, .seed = 3 };
	struct eh h;
	uint32_t prio, seen = 0;
	int rc = eh_enter_netns(), v, same;

	if (rc)
		return rc;
	if ((rc = eh_load(&h, &p, POOL)))
		return rc;
	for (int i = 0; i < POOL; i++) {
		v = eh_run(&h, 0, &prio, &same);
		if (v != EH_ACT_OK || (prio >> 16) != EMU_HTB_MAJOR || (prio & 0xffff) < 1 ||
		    (prio & 0xffff) > POOL || !same) {
			printf("FAIL: packet %d: verdict %d priority %x:%x bytes %s\n", i, v,
			       prio >> 16, prio & 0xffff, same ? "same" : "changed");
			goto fail;
		}
		if (seen & (1U << (prio & 0xffff))) {
			printf("FAIL: class 1:%u given twice while busy\n", prio & 0xffff);
			goto fail;
		}
		seen |= 1U << (prio & 0xffff);
	}
	/* Every class is busy for 5 ms more: the next goes unheld. */
	v = eh_run(&h, 0, &prio, &same);
	if (v != EH_ACT_OK || prio != EMU_HTB_MAJOR << 16 || eh_counter(&h, EMU_C_NO_CLASS) != 1 ||
	    eh_counter(&h, EMU_C_HELD) != POOL || eh_counter(&h, EMU_C_HOLD_ERR)) {
		printf("FAIL: pool exhausted: verdict %d priority %x, no_class %lu held %lu errors %lu\n",
		       v, prio, (unsigned long)eh_counter(&h, EMU_C_NO_CLASS),
		       (unsigned long)eh_counter(&h, EMU_C_HELD),
		       (unsigned long)eh_counter(&h, EMU_C_HOLD_ERR));
		goto fail;
	}
	eh_close(&h);

	p.reorder = EMU_P_ONE;
	if ((rc = eh_load(&h, &p, POOL)))
		return rc;
	v = eh_run(&h, 0, &prio, &same);
	if (v != EH_ACT_OK || prio != EMU_HTB_MAJOR << 16 || eh_counter(&h, EMU_C_REORDERED) != 1 ||
	    eh_counter(&h, EMU_C_HELD)) {
		printf("FAIL: reorder 100%%: verdict %d priority %x reordered %lu\n", v, prio,
		       (unsigned long)eh_counter(&h, EMU_C_REORDERED));
		goto fail;
	}
	printf("PASS: %d packets held in distinct classes, bytes unchanged; busy pool and reorder sent direct\n",
	       POOL);
	eh_close(&h);
	return 0;
fail:
	eh_close(&h);
	return 1;
}
