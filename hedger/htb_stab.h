/* htb_stab.h: the htb line's size table, shared by the loader (netlink.c
 * builds it) and the data path (delayline.bpf.h sets lengths for it).
 * Defines only. */
#pragma once

/* The htb line's size table (fixed T): a pass whose length is 1 mod 3 is
 * charged the hold (about HEDGER_HTB_STAB_BYTES, in units of 1 << size log),
 * any other length 1 byte, so that only the first of a clone's two passes
 * puts its class in debt (delayline.bpf.h htb_stab_park). */
#define HEDGER_HTB_STAB_PERIOD 3
#define HEDGER_HTB_STAB_CHARGED 1	/* the residue charged the hold */
#define HEDGER_HTB_STAB_SIZE_LOG 5
#define HEDGER_HTB_STAB_BYTES (1ULL << 20)
