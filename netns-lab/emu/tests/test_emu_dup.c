/* test_emu_dup: duplication decisions follow the model; a duplicate (mark
 * DUP) is not duplicated again; the emulator's own dummy (mark DUMMY) passes
 * without a decision. */
#include <stdio.h>

#include "emu_harness.h"

#define N 20000

int main(void)
{
	struct emu_params p = { .duplicate = eh_prob(10), .seed = 5 };
	__u64 rng = emu_seed_mix(p.seed);
	uint64_t want = 0, before;
	__u32 bad = 0;
	struct eh h;
	int rc = eh_enter_netns(), v;

	if (rc)
		return rc;
	if ((rc = eh_load(&h, &p, 0)))
		return rc;
	for (int i = 0; i < N; i++) {
		struct emu_draw d;

		emu_decide(&p, &rng, &bad, &d);
		want += d.duplicate;
		v = eh_run(&h, 0, NULL, NULL);
		if (v != EH_ACT_OK) {
			printf("FAIL: packet %d: verdict %d\n", i, v);
			goto fail;
		}
	}
	if (eh_counter(&h, EMU_C_DUPLICATED) != want || eh_counter(&h, EMU_C_DUP_ERR)) {
		printf("FAIL: duplicated %lu (model %lu), errors %lu\n",
		       (unsigned long)eh_counter(&h, EMU_C_DUPLICATED), (unsigned long)want,
		       (unsigned long)eh_counter(&h, EMU_C_DUP_ERR));
		goto fail;
	}
	before = eh_counter(&h, EMU_C_DUPLICATED);
	for (int i = 0; i < 2000; i++)
		eh_run(&h, EMU_MARK_DUP, NULL, NULL);
	if (eh_counter(&h, EMU_C_DUPLICATED) != before) {
		printf("FAIL: a duplicate was duplicated again\n");
		goto fail;
	}
	before = eh_counter(&h, EMU_C_PACKETS);
	v = eh_run(&h, EMU_MARK_DUMMY, NULL, NULL);
	if (v != EH_ACT_OK || eh_counter(&h, EMU_C_PACKETS) != before) {
		printf("FAIL: the dummy was treated as a packet (verdict %d)\n", v);
		goto fail;
	}
	printf("PASS: %lu duplicates of %d (model %lu); duplicates and dummies left alone\n",
	       (unsigned long)want, N, (unsigned long)want);
	eh_close(&h);
	return 0;
fail:
	eh_close(&h);
	return 1;
}
