/* emu_model.h: the emulator's random decisions as pure functions, compiled
 * into the BPF program and into the tests' reference model, so a seeded run
 * can be checked packet by packet. Userspace includes <linux/types.h> first. */
#pragma once

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

/* Probabilities: fractions of 2^32 (EMU_P_ONE = always). */
#define EMU_P_ONE (1ULL << 32)

struct emu_params {
	__u32 loss_model;	/* enum emu_loss_model */
	__u32 dist;		/* enum emu_dist */
	__u64 loss;		/* Bernoulli: P(loss) */
	__u64 ge_p;		/* Gilbert-Elliott: P(good -> bad) */
	__u64 ge_r;		/* P(bad -> good) */
	__u64 ge_loss_bad;	/* 1 - h: P(loss | bad) */
	__u64 ge_loss_good;	/* 1 - k: P(loss | good) */
	__u64 duplicate;
	__u64 reorder;		/* P(sent at once, without the delay) */
	__u64 delay_ns;
	__u64 jitter_ns;	/* uniform: half-width; normal: sigma */
	__u64 seed;
};

struct emu_draw {
	__u32 lost;
	__u32 lost_in_bad;
	__u32 duplicate;
	__u32 reorder;
	__u32 delay_u;		/* uniform 32-bit draw for the delay */
};

/* splitmix64: turns any seed (0 included) into a good non-zero start. */
static __always_inline __u64 emu_seed_mix(__u64 seed)
{
	__u64 z = seed + 0x9e3779b97f4a7c15ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return z ? z : 0x9e3779b97f4a7c15ULL;
}

/* xorshift64*: the high 32 bits of the output are the draw. */
static __always_inline __u32 emu_rand32(__u64 *s)
{
	__u64 x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return (__u32)((x * 0x2545f4914f6cdd1dULL) >> 32);
}

/* emu_decide - one packet's fate. Five draws per packet whatever the
 * configuration, so streams stay aligned between models. Gilbert-Elliott as
 * in netem: the loss uses the state the packet finds, then the chain moves. */
static __always_inline void emu_decide(const struct emu_params *p, __u64 *rng, __u32 *ge_bad,
				       struct emu_draw *d)
{
	__u32 u_loss = emu_rand32(rng), u_move = emu_rand32(rng);
	__u32 u_dup = emu_rand32(rng), u_reorder = emu_rand32(rng);

	d->delay_u = emu_rand32(rng);
	d->lost = 0;
	d->lost_in_bad = 0;
	if (p->loss_model == 1 /* EMU_LOSS_BERNOULLI */) {
		d->lost = u_loss < p->loss;
	} else if (p->loss_model == 2 /* EMU_LOSS_GEMODEL */) {
		if (*ge_bad) {
			d->lost = u_loss < p->ge_loss_bad;
			d->lost_in_bad = d->lost;
			if (u_move < p->ge_r)
				*ge_bad = 0;
		} else {
			d->lost = u_loss < p->ge_loss_good;
			if (u_move < p->ge_p)
				*ge_bad = 1;
		}
	}
	d->duplicate = u_dup < p->duplicate;
	d->reorder = u_reorder < p->reorder;
}

/* emu_delay_ns - the delay for draw @u: uniform in [D - J, D + J], or
 * D + J x N(0,1) from the inverse-CDF @table; never below 0. */
static __always_inline __u64 emu_delay_ns(const struct emu_params *p, __u32 u,
					  const volatile __s16 *table)
{
	__s64 v;

	if (!p->jitter_ns)
		return p->delay_ns;
	if (p->dist == 1 /* EMU_DIST_NORMAL */) {
		__s64 t = table[(u >> 20) & 4095];

		v = (__s64)p->delay_ns + (((__s64)p->jitter_ns * t) >> 13);
	} else {
		v = (__s64)p->delay_ns - (__s64)p->jitter_ns +
		    (__s64)(((__u64)u * (2 * p->jitter_ns)) >> 32);
	}
	return v > 0 ? (__u64)v : 0;
}
