/* bpf_harness.c: see bpf_harness.h. */
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf_harness.h"
#include "endpoints_add.h"
#include "service_ports.h"

struct __sk_buff tb_last_ctx;

void tb_require(void)
{
	prog_run_require_root();
	/* Clones are redirected to this private namespace's loopback. */
	if (prog_run_private_netns())
		exit(77);
}

int tb_open(struct tb *t, const struct tb_cfg *cfg)
{
	struct hedger_endpoint e;
	uint8_t a[16];
	int err, fd;

	memset(t, 0, sizeof(*t));
	t->ncpu = libbpf_num_possible_cpus();
	t->skel = hedger_bpf__open();
	if (!t->skel)
		return -errno;
	t->id_offset = cfg->id_offset;
	t->id_width = cfg->id_width ? cfg->id_width : 4;
	t->id_be = cfg->id_be;
	t->skel->rodata->cfg_backend = (uint32_t)cfg->backend;
	t->skel->rodata->cfg_proto = (uint32_t)cfg->proto;
	t->skel->rodata->cfg_delay_ns = cfg->delay_ns ? cfg->delay_ns : TB_DELAY_NS_DEFAULT;
	t->skel->rodata->cfg_id_offset = cfg->id_offset;
	t->skel->rodata->cfg_id_width = cfg->id_width ? cfg->id_width : 4;
	t->skel->rodata->cfg_id_be = cfg->id_be;
	t->skel->rodata->cfg_line_ifindex = cfg->line_ifindex ? cfg->line_ifindex : 1;
	t->skel->rodata->cfg_out_ifindex = 1;
	t->skel->rodata->cfg_class_pool = cfg->classes ? cfg->classes : 16;
	t->skel->rodata->cfg_htb_rate_Bps = cfg->htb_rate_Bps ? cfg->htb_rate_Bps : 1500000;
	t->skel->rodata->cfg_htb_stab_hold_ns = cfg->htb_stab_hold_ns;
	t->skel->rodata->cfg_htb_finish_ns = cfg->htb_finish_ns;
	t->skel->rodata->cfg_line_park_ifindex = cfg->line_park_ifindex;
	if (cfg->release_grid_ns) {
		t->skel->rodata->cfg_release_grid_ns = cfg->release_grid_ns;
		t->skel->rodata->cfg_htb_tier_ns = cfg->release_grid_ns / (HEDGER_MAX_HTB_TIERS - 1);
		if (cfg->carriers) {
			t->skel->rodata->cfg_batch = 1;
			bpf_map__set_max_entries(t->skel->maps.batch,
						 (uint32_t)t->ncpu * HEDGER_BATCH_RING);
		}
	}
	t->skel->rodata->cfg_adaptive = cfg->adaptive;
	t->skel->rodata->cfg_budget = cfg->budget;
	t->skel->rodata->cfg_replicas = cfg->replicas;
	t->skel->rodata->cfg_tied = cfg->tied;
	t->skel->rodata->cfg_line_b_ifindex = 1;
	if (cfg->sb_size) {
		bpf_map__set_max_entries(t->skel->maps.scoreboard, cfg->sb_size / HEDGER_SB_WAYS);
		t->skel->rodata->cfg_sb_mask = cfg->sb_size / HEDGER_SB_WAYS - 1;
	}
	err = hedger_bpf__load(t->skel);
	if (err) {
		prog_run_skip_unprivileged(err);
		return err;
	}
	fd = bpf_map__fd(t->skel->maps.endpoints);
	inet_pton(AF_INET, TB_SERVER4, a);
	e = endpoint_make(4, a, htons(TB_PORT), HEDGER_EP_SERVICE, 0, 0);
	err = endpoints_add(fd, &e);
	if (err)
		return err;
	inet_pton(AF_INET6, TB_SERVER6, a);
	e = endpoint_make(6, a, htons(TB_PORT), HEDGER_EP_SERVICE, 1, 0);
	err = endpoints_add(fd, &e);
	if (err)
		return err;
	return service_ports_add(bpf_map__fd(t->skel->maps.service_ports), htons(TB_PORT));
}

void tb_close(struct tb *t)
{
	hedger_bpf__destroy(t->skel);
	t->skel = NULL;
}

uint32_t tb_payload_id(uint8_t *buf, uint32_t len, uint32_t off, uint32_t width, bool be,
		       uint64_t id)
{
	memset(buf, 0x5a, len);
	for (uint32_t i = 0; i < width && off + i < len; i++) {
		uint32_t shift = be ? 8 * (width - 1 - i) : 8 * i;

		buf[off + i] = (uint8_t)(id >> shift);
	}
	return len;
}

void tb_build(struct tb_pkt *p, const struct tb_spec *s)
{
	struct up_spec u = {
		.family = s->family,
		.sport = s->sport ? s->sport : s->reply ? TB_PORT : TB_CPORT,
		.dport = s->dport ? s->dport : s->reply ? TB_CPORT : TB_PORT,
		.src = s->family == 6 ? (s->reply ? TB_SERVER6 : TB_CLIENT6)
				      : (s->reply ? TB_SERVER4 : TB_CLIENT4),
		.dst = s->family == 6 ? (s->reply ? TB_CLIENT6 : TB_SERVER6)
				      : (s->reply ? TB_CLIENT4 : TB_SERVER4),
		.payload = s->payload,
		.payload_len = s->payload_len,
		.ip_opts = s->ip_opts,
		.frag = s->frag,
		.proto = s->proto,
		.v6_nexthdr = s->v6_nexthdr,
		.ethertype = s->ethertype,
		.csum = s->csum == TB_CSUM_NONE ? UP_CSUM_GOOD : s->csum,
		/* "none" exists in IPv4 only: IPv6 keeps a correct checksum. */
		.no_csum = s->csum == TB_CSUM_NONE && s->family != 6,
	};

	memset(p, 0, sizeof(*p));
	p->len = up_build(p->data, &u);
	if (s->truncate && s->truncate < p->len)
		p->len = s->truncate;
}

void tb_build_msg(struct tb_pkt *p, int family, uint64_t id, bool reply, uint8_t fill, int csum)
{
	static uint8_t pl[64];
	struct tb_spec s;

	memset(&s, 0, sizeof(s));
	s.family = family;
	s.reply = reply;
	s.payload = pl;
	s.payload_len = tb_payload_id(pl, 24, 0, 4, false, id);
	pl[20] = fill;
	s.csum = csum;
	tb_build(p, &s);
}

void tb_build_id(struct tb_pkt *p, uint64_t id, bool reply)
{
	tb_build_msg(p, 4, id, reply, 0x5a, TB_CSUM_GOOD);
}

int tb_run(struct tb *t, struct bpf_program *prog, const struct tb_pkt *p, uint32_t mark,
	   int *retval, struct tb_pkt *out)
{
	struct __sk_buff ctx;
	static struct tb_pkt scratch;
	struct tb_pkt *o = out ? out : &scratch;
	struct prog_run r = { .in = p->data, .len = p->len, .out = o->data,
			      .out_size = sizeof(o->data), .ctx_in = &ctx,
			      .ctx_out = &tb_last_ctx };
	int err;

	memset(&ctx, 0, sizeof(ctx));
	if (mark == TB_MARK_CLONE)
		mark = tb_clone_mark(t, p);
	ctx.mark = mark;
	memset(&tb_last_ctx, 0, sizeof(tb_last_ctx));
	err = prog_run(bpf_program__fd(prog), &r);
	if (err)
		return err;
	o->len = r.out_len;
	*retval = r.retval;
	return 0;
}

uint64_t tb_counter(struct tb *t, int idx)
{
	uint64_t vals[512], sum = 0;
	uint32_t k = (uint32_t)idx;

	if (t->ncpu > 512 || bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.counters), &k, vals))
		return ~0ULL;
	for (int c = 0; c < t->ncpu; c++)
		sum += vals[c];
	return sum;
}

void tb_reset_counters(struct tb *t)
{
	uint64_t zero[512] = { 0 };

	for (uint32_t k = 0; k < HC_COUNT; k++)
		bpf_map_update_elem(bpf_map__fd(t->skel->maps.counters), &k, zero, BPF_ANY);
}

/* sb_lookup_key - see tb_sb_lookup; *way (if not NULL): its way. */
static int sb_lookup_key(struct tb *t, const struct hedger_sb_key *k, struct hedger_sb_slot *v,
			 uint32_t *way)
{
	struct hedger_sb_bucket b;
	uint32_t idx, best_gen = 0;
	__u64 tag;
	int found = -1;

	idx = hedger_sb_hash(k, t->skel->rodata->cfg_sb_seed, t->skel->rodata->cfg_sb_mask, &tag);
	if (bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.scoreboard), &idx, &b))
		return -ENOENT;
	for (int i = 0; i < HEDGER_SB_WAYS; i++) {
		uint32_t st = HEDGER_CTL_STATE(b.way[i].ctl), gen = HEDGER_CTL_GEN(b.way[i].ctl);

		if (b.way[i].tag != tag || st == HEDGER_ST_FREE)
			continue;
		if (st == HEDGER_ST_PENDING || st == HEDGER_ST_HEDGED) {
			found = i;
			break;
		}
		if (found < 0 || gen > best_gen) {
			found = i;
			best_gen = gen;
		}
	}
	if (found < 0)
		return -ENOENT;
	*v = b.way[found];
	if (way)
		*way = (uint32_t)found;
	return 0;
}

int tb_sb_lookup(struct tb *t, int family, uint64_t id, struct hedger_sb_slot *v)
{
	struct hedger_sb_key k;

	memset(&k, 0, sizeof(k));
	inet_pton(family == 6 ? AF_INET6 : AF_INET, family == 6 ? TB_CLIENT6 : TB_CLIENT4,
		  k.saddr.a);
	inet_pton(family == 6 ? AF_INET6 : AF_INET, family == 6 ? TB_SERVER6 : TB_SERVER4,
		  k.daddr.a);
	k.sport = htons(TB_CPORT);
	k.dport = htons(TB_PORT);
	k.family = (uint8_t)family;
	k.id = id;
	return sb_lookup_key(t, &k, v, NULL);
}

static int slot_of(struct tb *t, const struct tb_pkt *p, bool reply, struct hedger_sb_slot *v,
		   uint32_t *way)
{
	const uint8_t *d = p->data;
	struct hedger_sb_key k;
	uint32_t l4, alen;
	const uint8_t *src, *dst;
	uint64_t id = 0;

	memset(&k, 0, sizeof(k));
	if (d[12] == 0x86 && d[13] == 0xdd) {
		k.family = 6;
		src = d + 14 + 8;
		dst = d + 14 + 24;
		alen = 16;
		l4 = 14 + 40 + (d[14 + 6] == 17 ? 0 : 8);
	} else {
		k.family = 4;
		src = d + 14 + 12;
		dst = d + 14 + 16;
		alen = 4;
		l4 = 14 + (uint32_t)(d[14] & 0x0f) * 4;
	}
	memcpy(reply ? k.daddr.a : k.saddr.a, src, alen);
	memcpy(reply ? k.saddr.a : k.daddr.a, dst, alen);
	memcpy(reply ? &k.dport : &k.sport, d + l4, 2);
	memcpy(reply ? &k.sport : &k.dport, d + l4 + 2, 2);
	for (uint32_t i = 0; i < t->id_width; i++) {
		uint8_t b = d[l4 + 8 + t->id_offset + i];

		id |= (uint64_t)b << (t->id_be ? 8 * (t->id_width - 1 - i) : 8 * i);
	}
	k.id = id;
	return sb_lookup_key(t, &k, v, way);
}

int tb_slot_of(struct tb *t, const struct tb_pkt *p, bool reply, struct hedger_sb_slot *v)
{
	return slot_of(t, p, reply, v, NULL);
}

uint32_t tb_clone_mark(struct tb *t, const struct tb_pkt *p)
{
	struct hedger_sb_slot v;
	uint32_t way = 0;

	if (slot_of(t, p, false, &v, &way))
		return HEDGER_MARK_HEDGE(0, 0);
	return HEDGER_MARK_HEDGE(way, HEDGER_CTL_GEN(v.ctl));
}

uint32_t tb_state(struct tb *t, int family, uint64_t id)
{
	struct hedger_sb_slot v;

	return tb_sb_lookup(t, family, id, &v) ? HEDGER_ST_FREE : HEDGER_CTL_STATE(v.ctl);
}
