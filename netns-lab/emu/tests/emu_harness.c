/* emu_harness.c: see emu_harness.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "emu_harness.h"
#include "prog_run.h"

static int quiet(enum libbpf_print_level l, const char *f, va_list ap) { return 0; }

int eh_enter_netns(void)
{
	int err;

	if (geteuid() != 0) {
		printf("SKIP: needs root (BPF_PROG_TEST_RUN, a private netns)\n");
		return 77;
	}
	err = prog_run_private_netns();
	if (err)
		return err;
	libbpf_set_print(quiet);
	return 0;
}

uint64_t eh_prob(double percent)
{
	double v = percent / 100.0 * (double)EMU_P_ONE;

	return v >= (double)EMU_P_ONE ? EMU_P_ONE : (uint64_t)v;
}

int eh_load(struct eh *h, const struct emu_params *p, uint32_t classes)
{
	int err;

	memset(h, 0, sizeof(*h));
	h->skel = emu_bpf__open();
	if (!h->skel) {
		printf("SKIP: cannot open the BPF object\n");
		return 77;
	}
	memcpy((void *)&h->skel->rodata->cfg, p, sizeof(*p));
	h->skel->rodata->cfg_ifindex = 1;	/* lo of the private netns */
	h->skel->rodata->cfg_class_pool = classes;
	h->skel->rodata->cfg_rate_Bps = 2000000;
	if (classes)
		bpf_map__set_max_entries(h->skel->maps.emu_busy, classes);
	err = emu_bpf__load(h->skel);
	if (err) {
		printf("SKIP: cannot load the BPF program: %s\n", strerror(-err));
		emu_bpf__destroy(h->skel);
		h->skel = NULL;
		return 77;
	}
	h->ncpu = libbpf_num_possible_cpus();
	return 0;
}

void eh_close(struct eh *h)
{
	emu_bpf__destroy(h->skel);
	h->skel = NULL;
}

/* A UDP/IPv4 frame 198.18.100.1:40000 -> 198.18.100.2:9999, 32 bytes of data. */
static uint32_t build_frame(uint8_t *f, uint16_t ethertype)
{
	uint8_t ip[20] = { 0x45, 0, 0, 60, 0, 1, 0x40, 0, 64, 17, 0, 0,
			   198, 18, 100, 1, 198, 18, 100, 2 };
	uint8_t udp[8] = { 0x9c, 0x40, 0x27, 0x0f, 0, 40, 0, 0 };

	memset(f, 0, 74);
	memset(f, 0x02, 6);
	memset(f + 6, 0x04, 6);
	f[12] = ethertype ? ethertype >> 8 : 0x08;
	f[13] = ethertype ? ethertype & 0xff : 0x00;
	memcpy(f + 14, ip, 20);
	memcpy(f + 34, udp, 8);
	for (int i = 0; i < 32; i++)
		f[42 + i] = (uint8_t)i;
	return 74;
}

uint32_t eh_frame(struct eh *h, uint8_t *f)
{
	return build_frame(f, h->ethertype);
}

int eh_run(struct eh *h, uint32_t mark, uint32_t *prio, int *same)
{
	uint8_t in[128], out[2048];
	struct __sk_buff ctx = { .mark = mark }, ctx_out = { 0 };
	uint32_t len = build_frame(in, h->ethertype);
	struct prog_run r = { .in = in, .len = len, .out = out, .out_size = sizeof(out),
			      .ctx_in = &ctx, .ctx_out = &ctx_out };
	int err = prog_run(bpf_program__fd(h->skel->progs.emu_egress), &r);

	if (err)
		return err;
	if (prio)
		*prio = ctx_out.priority;
	if (same)
		*same = r.out_len == len && !memcmp(in, out, len);
	return r.retval;
}

uint64_t eh_counter(struct eh *h, enum emu_counter c)
{
	uint64_t vals[512] = { 0 }, sum = 0;
	uint32_t k = c;

	if (h->ncpu > 512 || bpf_map_lookup_elem(bpf_map__fd(h->skel->maps.emu_counters), &k, vals))
		return UINT64_MAX;
	for (int i = 0; i < h->ncpu; i++)
		sum += vals[i];
	return sum;
}
