/* test_emu_loss: Bernoulli loss, seeded: the program's verdicts equal the
 * reference model's packet by packet; the same seed repeats them, another
 * seed does not; the rate is within a binomial bound. ARP is never lost. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "emu_harness.h"

#define N 20000

static int run_seq(const struct emu_params *p, uint8_t *lost)
{
	struct eh h;
	int rc = eh_load(&h, p, 0);

	if (rc)
		return rc;
	for (int i = 0; i < N; i++) {
		int v = eh_run(&h, 0, NULL, NULL);

		if (v != EH_ACT_OK && v != EH_ACT_SHOT) {
			printf("FAIL: packet %d: verdict %d\n", i, v);
			eh_close(&h);
			return 1;
		}
		lost[i] = v == EH_ACT_SHOT;
	}
	{
		uint64_t n_lost = 0;

		for (int i = 0; i < N; i++)
			n_lost += lost[i];
		if (eh_counter(&h, EMU_C_LOST) != n_lost || eh_counter(&h, EMU_C_PACKETS) != N) {
			printf("FAIL: counters (lost %lu, packets %lu) disagree with the verdicts (%lu of %d)\n",
			       (unsigned long)eh_counter(&h, EMU_C_LOST),
			       (unsigned long)eh_counter(&h, EMU_C_PACKETS), (unsigned long)n_lost, N);
			eh_close(&h);
			return 1;
		}
	}
	eh_close(&h);
	return 0;
}

int main(void)
{
	static uint8_t a[N], b[N], c[N];
	struct emu_params p = { .loss_model = EMU_LOSS_BERNOULLI, .loss = eh_prob(5), .seed = 42 };
	__u64 rng = emu_seed_mix(p.seed);
	__u32 bad = 0;
	int rc, lost = 0, diff = 0;
	double sd;

	rc = eh_enter_netns();
	if (rc)
		return rc;
	if ((rc = run_seq(&p, a)) || (rc = run_seq(&p, b)))
		return rc;
	p.seed = 43;
	if ((rc = run_seq(&p, c)))
		return rc;
	p.seed = 42;
	for (int i = 0; i < N; i++) {
		struct emu_draw d;

		emu_decide(&p, &rng, &bad, &d);
		if (d.lost != a[i]) {
			printf("FAIL: packet %d: program %s, model %s\n", i, a[i] ? "lost" : "passed",
			       d.lost ? "lost" : "passed");
			return 1;
		}
		if (a[i] != b[i]) {
			printf("FAIL: same seed, packet %d differs\n", i);
			return 1;
		}
		diff += a[i] != c[i];
		lost += a[i];
	}
	if (!diff) {
		printf("FAIL: seeds 42 and 43 gave the same %d verdicts\n", N);
		return 1;
	}
	/* 5 sigma around N x 5%: a correct generator fails this ~1 in 10^6. */
	sd = sqrt(N * 0.05 * 0.95);
	if (fabs(lost - N * 0.05) > 5 * sd) {
		printf("FAIL: %d of %d lost, expected %.0f +- %.0f\n", lost, N, N * 0.05, 5 * sd);
		return 1;
	}
	{
		struct emu_params all = { .loss_model = EMU_LOSS_BERNOULLI, .loss = EMU_P_ONE };
		struct eh h;

		if ((rc = eh_load(&h, &all, 0)))
			return rc;
		h.ethertype = 0x0806;
		rc = eh_run(&h, 0, NULL, NULL);
		h.ethertype = 0;
		if (rc != EH_ACT_OK || eh_run(&h, 0, NULL, NULL) != EH_ACT_SHOT) {
			printf("FAIL: loss 100%%: ARP verdict %d (want passed), IPv4 not lost\n", rc);
			eh_close(&h);
			return 1;
		}
		eh_close(&h);
	}
	printf("PASS: ARP passes loss 100%%; %d packets: verdicts = model, %d lost (%.2f%%), seed 43 differs in %d\n",
	       N, lost, 100.0 * lost / N, diff);
	return 0;
}
