/* bpf_harness.h: run the hedger's programs with BPF_PROG_TEST_RUN on crafted
 * packets, in a private network namespace (clones go to its loopback, never
 * onto a real network). Used by the test_bpf_*.c files of suite "bpf". */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <linux/bpf.h>

#include "check.h"
#include "hedger.h"
#include "hedger.skel.h"
#include "udp_pkt.h"
#include "prog_run.h"

#define TB_ACT_UNSPEC (-1)
#define TB_ACT_SHOT 2
#define TB_ACT_REDIRECT 7

/* Lab addresses: 198.18.0.0/15 and its IPv6 twin 2001:2::/48 (RFC 5180). */
#define TB_CLIENT4 "198.18.100.1"
#define TB_SERVER4 "198.18.100.2"
#define TB_CLIENT6 "2001:2::1"
#define TB_SERVER6 "2001:2::2"
#define TB_PORT 9999
#define TB_CPORT 40000

#define TB_DELAY_NS_DEFAULT 10000000ULL	/* T when tb_cfg.delay_ns is 0: 10 ms */

struct tb_cfg {
	int backend;
	uint32_t id_offset, id_width;
	bool id_be;
	uint32_t sb_size;	/* scoreboard slots, a power of two >= 4; 0: default */
	uint32_t classes;
	uint64_t delay_ns;	/* 0: TB_DELAY_NS_DEFAULT */
	uint32_t line_ifindex;	/* 0: the private netns's loopback (1) */
	uint64_t htb_rate_Bps;	/* 0: 1.5 MB/s */
	uint64_t htb_stab_hold_ns;	/* !0: htb line with a size table (two passes) */
	uint32_t line_park_ifindex;	/* !0: size-table clones enter there */
	uint64_t release_grid_ns;	/* !0: --release-grid (HEDGER_MAX_HTB_TIERS tiers) */
	uint64_t htb_finish_ns;	/* !0: --htb-finish (with htb_stab_hold_ns) */
	bool carriers;		/* with release_grid_ns: dense requests ride carriers */
	bool adaptive, budget, replicas, tied;	/* policy paths (rodata switches) */
	int proto;		/* enum hedger_proto */
};

struct tb {
	struct hedger_bpf *skel;
	int ncpu;
	uint32_t id_offset, id_width;	/* the id window, to find a packet's slot */
	bool id_be;
};

/* tb_run mark: "the clone of this request", i.e. HEDGER_MARK_HEDGE with the
 * generation of the packet's open (or newest) scoreboard slot. */
#define TB_MARK_CLONE 0xffffffffu

struct tb_pkt {
	uint8_t data[2048];
	uint32_t len;
};

/* Packet description for tb_build. */
struct tb_spec {
	int family;		/* 4 or 6 */
	bool reply;		/* server -> client instead of client -> server */
	uint16_t sport, dport;	/* 0: defaults from @reply */
	uint8_t proto;		/* 0: UDP */
	uint32_t ip_opts;	/* IPv4 options bytes (multiple of 4) */
	uint16_t frag;		/* IPv4 frag_off field, host order */
	uint8_t v6_nexthdr;	/* 0: UDP; else an extension header in front of UDP */
	const uint8_t *payload;
	uint32_t payload_len;
	uint32_t truncate;	/* >0: cut the frame to this many bytes */
	uint16_t ethertype;	/* >0: overrides the EtherType */
	int csum;		/* UDP checksum: TB_CSUM_GOOD (default), ... */
};

/* The UDP checksum of a built packet (tests/udp_pkt.h builds it). */
enum {
	TB_CSUM_GOOD = UP_CSUM_GOOD,		/* correct */
	TB_CSUM_BAD = UP_CSUM_BAD,		/* correct + 1: corrupt or forged */
	TB_CSUM_PARTIAL = UP_CSUM_PARTIAL,	/* the pseudo-header sum (offload) */
	TB_CSUM_NONE,				/* 0: "no checksum" (IPv4 only) */
};

/* tb_skip_unless_root - exit 77 with the reason when root/BPF/netns is missing. */
void tb_require(void);
int tb_open(struct tb *t, const struct tb_cfg *cfg);
void tb_close(struct tb *t);
void tb_build(struct tb_pkt *p, const struct tb_spec *s);
/* tb_build_id - IPv4 request (or reply, @reply) with a 24-byte payload whose
 * first 4 bytes hold @id little endian (the default id window). */
void tb_build_id(struct tb_pkt *p, uint64_t id, bool reply);
/* tb_build_msg - as tb_build_id, for @family, with payload byte 20 = @fill
 * (what tells two messages with one id apart) and the UDP checksum @csum. */
void tb_build_msg(struct tb_pkt *p, int family, uint64_t id, bool reply, uint8_t fill, int csum);
/* tb_payload_id - a payload whose id window at @off holds @id (@width, @be). */
uint32_t tb_payload_id(uint8_t *buf, uint32_t len, uint32_t off, uint32_t width, bool be,
		       uint64_t id);
/* tb_run - run @prog on @p with skb->mark @mark (or TB_MARK_CLONE); *out
 * gets the packet after. */
int tb_run(struct tb *t, struct bpf_program *prog, const struct tb_pkt *p, uint32_t mark,
	   int *retval, struct tb_pkt *out);
/* The skb fields after the last tb_run (mark, priority, tstamp, ...). */
extern struct __sk_buff tb_last_ctx;
uint64_t tb_counter(struct tb *t, int idx);
void tb_reset_counters(struct tb *t);
/* tb_sb_lookup - the scoreboard slot of the request (@family, @id) from the
 * default client port: the open one if there is one, else the newest; 0 or
 * -ENOENT. tb_state: its state (HEDGER_ST_FREE when there is none). */
int tb_sb_lookup(struct tb *t, int family, uint64_t id, struct hedger_sb_slot *v);
uint32_t tb_state(struct tb *t, int family, uint64_t id);
/* tb_slot_of - the slot (as tb_sb_lookup) of the request @p is, or whose
 * reply it is (@reply); 0 or -ENOENT. */
int tb_slot_of(struct tb *t, const struct tb_pkt *p, bool reply, struct hedger_sb_slot *v);
/* tb_clone_mark - the mark of the clone of request @p now (its slot's way
 * and generation): what the splitter gave it. */
uint32_t tb_clone_mark(struct tb *t, const struct tb_pkt *p);

/* Assertions: CHECK, CHECK_EQ, check_done (tests/check.h). */
