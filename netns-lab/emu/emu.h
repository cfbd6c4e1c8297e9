/* emu.h: what the link emulator's BPF program and its loader share. */
#pragma once

/* skb->mark values of the emulator's own packets (they pass its program
 * again when it sends them to its own device). */
#define EMU_MARK_DUMMY 0x6b68e001	/* HTB token-debt dummy: never delivered */
#define EMU_MARK_DUP   0x6b68e002	/* the duplicate of a packet: decided afresh, never duplicated again */
#define EMU_MARK_HELD  0x6b68e003	/* the copy that waits in a class: EtherType and mark restored on its way in */

/* The dummy also carries this EtherType, so that a dummy short enough to
 * pass the veth's MTU check is still dropped by the receiver (no handler). */
#define EMU_DUMMY_ETHERTYPE 0x88b5	/* IEEE 802 local experimental */

#define EMU_HTB_MAJOR 1
#define EMU_NORMAL_TABLE_SIZE 4096	/* inverse CDF of N(0,1), entries x EMU_DIST_SCALE */
#define EMU_DIST_SCALE 8192

enum emu_dist { EMU_DIST_UNIFORM = 0, EMU_DIST_NORMAL = 1 };
enum emu_loss_model { EMU_LOSS_NONE = 0, EMU_LOSS_BERNOULLI = 1, EMU_LOSS_GEMODEL = 2 };

/* Probabilities are fractions of 2^32 (netem's scale): an event happens
 * when a uniform 32-bit draw is below the value; ~0U means always. */
#define EMU_COUNTERS(X) \
	X(EMU_C_PACKETS,     "packets",      "packets seen (duplicates included)") \
	X(EMU_C_LOST,        "lost",         "packets dropped by the loss model") \
	X(EMU_C_LOST_BAD,    "lost_in_bad",  "of them, lost in the Gilbert-Elliott bad state") \
	X(EMU_C_DUPLICATED,  "duplicated",   "duplicates made") \
	X(EMU_C_REORDERED,   "reordered",    "packets sent at once instead of delayed (--reorder)") \
	X(EMU_C_HELD,        "held",         "packets held in an HTB class") \
	X(EMU_C_UNHELD,      "not_delayed",  "packets with zero delay (direct queue)") \
	X(EMU_C_NO_CLASS,    "no_free_class","packets sent without delay: every class busy") \
	X(EMU_C_HOLD_ERR,    "hold_errors",  "packets sent without delay: grow/clone failed") \
	X(EMU_C_HELD_OWNED,  "held_owned",   "of the held, the sender's own skb (its copy failed): its socket is charged while it waits") \
	X(EMU_C_DUP_ERR,     "dup_errors",   "duplicates that could not be made")

#define EMU_COUNTER_ENUM(e, n, h) e,
enum emu_counter { EMU_COUNTERS(EMU_COUNTER_ENUM) EMU_C_COUNT };
#undef EMU_COUNTER_ENUM

/* The shared random state: one stream and one Markov chain per link
 * direction (as in netem), so bursts do not depend on the sending CPU. */
#ifdef __VMLINUX_H__
struct emu_state {
	struct bpf_spin_lock lock;
	__u32 ge_bad;		/* Gilbert-Elliott: 1 in the bad state */
	__u64 rng;		/* xorshift64* state, never 0 */
};

/* Per CPU: what the held copy gets back when it passes the program again,
 * inside the bpf_clone_redirect() that sends it (same CPU, nested). */
struct emu_held_restore {
	__u32 mark;
	__be16 proto;
	__u16 pad;
};
#endif
