/* test_emu_gemodel: Gilbert-Elliott loss, seeded: verdicts equal the
 * reference model's; with 1-h = 100% and 1-k = 0 (Gilbert) the loss rate is
 * near p / (p + r) and the mean burst near 1 / r; a general 1-h, 1-k also
 * follows the model exactly and counts losses in the bad state. */
#include <math.h>
#include <stdio.h>

#include "emu_harness.h"

#define N 200000

static int check(const struct emu_params *p, int gilbert)
{
	struct eh h;
	__u64 rng = emu_seed_mix(p->seed);
	__u32 bad = 0;
	int rc = eh_load(&h, p, 0), lost = 0, bursts = 0, run = 0, lost_bad = 0;
	double pp = (double)p->ge_p / EMU_P_ONE, r = (double)p->ge_r / EMU_P_ONE;

	if (rc)
		return rc;
	for (int i = 0; i < N; i++) {
		struct emu_draw d;
		int v = eh_run(&h, 0, NULL, NULL);

		emu_decide(p, &rng, &bad, &d);
		if ((v == EH_ACT_SHOT) != (int)d.lost) {
			printf("FAIL: packet %d: program %d, model %s\n", i, v, d.lost ? "lost" : "passed");
			eh_close(&h);
			return 1;
		}
		lost += d.lost;
		lost_bad += d.lost_in_bad;
		if (d.lost) {
			run++;
		} else if (run) {
			bursts++;
			run = 0;
		}
	}
	if (eh_counter(&h, EMU_C_LOST) != (uint64_t)lost ||
	    eh_counter(&h, EMU_C_LOST_BAD) != (uint64_t)lost_bad) {
		printf("FAIL: counters lost %lu / in bad %lu, verdicts %d / %d\n",
		       (unsigned long)eh_counter(&h, EMU_C_LOST),
		       (unsigned long)eh_counter(&h, EMU_C_LOST_BAD), lost, lost_bad);
		eh_close(&h);
		return 1;
	}
	eh_close(&h);
	if (gilbert) {
		double rate = (double)lost / N, want = pp / (pp + r);
		double mean = bursts ? (double)lost / bursts : 0;

		/* Loose bounds (the draws are seeded, so this is exact per seed;
		 * the bounds only reject a wrong model): 10% of each. */
		if (fabs(rate - want) > 0.1 * want || fabs(mean - 1 / r) > 0.1 / r) {
			printf("FAIL: loss %.4f (model %.4f), mean burst %.3f (model %.3f)\n", rate,
			       want, mean, 1 / r);
			return 1;
		}
		printf("gilbert: %d packets, loss %.4f (model %.4f), %d bursts, mean %.3f (model %.3f)\n",
		       N, rate, want, bursts, mean, 1 / r);
	} else {
		printf("general: %d packets, %d lost, %d of them in the bad state\n", N, lost, lost_bad);
	}
	return 0;
}

int main(void)
{
	struct emu_params g = { .loss_model = EMU_LOSS_GEMODEL, .ge_p = eh_prob(1),
				.ge_r = eh_prob(30), .ge_loss_bad = EMU_P_ONE, .ge_loss_good = 0,
				.seed = 7 };
	struct emu_params e = { .loss_model = EMU_LOSS_GEMODEL, .ge_p = eh_prob(2),
				.ge_r = eh_prob(20), .ge_loss_bad = eh_prob(70),
				.ge_loss_good = eh_prob(0.5), .seed = 9 };
	int rc = eh_enter_netns();

	if (rc)
		return rc;
	if ((rc = check(&g, 1)) || (rc = check(&e, 0)))
		return rc;
	printf("PASS\n");
	return 0;
}
