/* test_line_rates: the htb line's class rates with --release-grid (no root).
 * Tier k of the pool must hold one pass of the size table's charge for
 * hold0 + k x step, where hold0 is the charge at the pool's rate R and
 * step = grid / (tiers - 1): the data path counts on it (delayline.bpf.h
 * htb_claim_tier), so a tier may hold a little longer, never shorter, and
 * by no more than 100 ns + 1 ppm (rates are whole bytes per second). Tier 0 and classes past the last tier run at R;
 * without a grid every class does. */
#include <stdint.h>

#include "check.h"
#include "hedger.h"
#include "line.h"

static uint64_t hold_ns(uint64_t bytes, uint64_t rate)
{
	return bytes * 1000000000ULL / rate;
}

static void tiers(uint64_t delay_ns, uint64_t grid_ns, uint32_t classes)
{
	uint64_t unit = 1ULL << HEDGER_HTB_STAB_SIZE_LOG;
	uint64_t rate = line_htb_rate(delay_ns, HEDGER_HTB_STAB_BYTES);
	uint64_t charge = (delay_ns * rate / 1000000000ULL + 1 + unit - 1) / unit * unit;
	struct line_cfg cfg = { .backend = HEDGER_BACKEND_HTB, .delay_ns = delay_ns,
				.classes = classes, .htb_rate_Bps = rate,
				.htb_charge_bytes = (uint32_t)charge,
				.htb_tier_ns = line_htb_tier_ns(grid_ns) };
	uint32_t per = classes / HEDGER_MAX_HTB_TIERS;
	uint64_t hold0 = hold_ns(charge, rate), step = grid_ns / (HEDGER_MAX_HTB_TIERS - 1);

	CHECK(charge / unit <= UINT16_MAX, "T %llu: charge %llu units does not fit the table",
	      (unsigned long long)delay_ns, (unsigned long long)(charge / unit));
	CHECK(hold0 >= delay_ns, "T %llu: hold0 %llu shorter than T", (unsigned long long)delay_ns,
	      (unsigned long long)hold0);
	CHECK_EQ(cfg.htb_tier_ns, step, "step = grid / (tiers - 1)");
	for (uint32_t c = 1; c <= classes; c++) {
		uint64_t r = line_htb_class_rate(&cfg, c), want, got;
		uint32_t k = (c - 1) / per;

		if (k >= HEDGER_MAX_HTB_TIERS) {
			CHECK_EQ(r, rate, "a class past the last tier runs at R");
			continue;
		}
		want = hold0 + k * step;
		got = hold_ns(charge, r);
		/* Rates are whole bytes/s: at 1 MB/s (T = 1 s) a unit is ~1 us. */
		if (got < want || got > want + 100 + want / 1000000) {
			CHECK(0, "T %llu grid %llu class %u (tier %u): holds %llu ns, want %llu + 0..100 ns + 1 ppm",
			      (unsigned long long)delay_ns, (unsigned long long)grid_ns, c, k,
			      (unsigned long long)got, (unsigned long long)want);
			break;
		}
	}
	cfg.htb_tier_ns = 0;
	for (uint32_t c = 1; c <= classes; c++)
		if (line_htb_class_rate(&cfg, c) != rate) {
			CHECK(0, "without a grid class %u does not run at R", c);
			break;
		}
}

int main(void)
{
	const uint64_t ms = 1000000;

	tiers(10 * ms, ms, 1024);
	tiers(10 * ms, 250000, 1024);
	tiers(1 * ms, 10000, 1000);	/* a pool that does not divide evenly */
	tiers(100000, 250000, 64);
	tiers(1000 * ms, ms, 4096);
	return check_done("line_rates");
}
