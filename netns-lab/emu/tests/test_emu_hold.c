/* test_emu_hold: a delayed packet is taken from its sender (TC_ACT_STOLEN:
 * a clone, which no socket owns, waits instead) with skb->priority naming an
 * HTB leaf 1:1..1:N; --reorder 100% sends at once (1:0, HTB's direct queue);
 * with every class busy the packet goes unheld and is counted. With the
 * program also on the clones' device (lo), the frames that leave are the
 * dummy (EtherType 0x88b5, T x R bytes) and then the held copy, byte for
 * byte the packet (its EtherType restored on the way in). */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "emu_harness.h"

#define POOL 4
#define EH_ACT_STOLEN 4

/* check_frames_on_lo - attach the program to lo's egress, send one delayed
 * packet, and read what lo carried: 0 pass, 1 fail. */
static int check_frames_on_lo(struct eh *h)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = 1, .attach_point = BPF_TC_EGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = 1, .priority = 1,
		    .prog_fd = bpf_program__fd(h->skel->progs.emu_egress));
	uint8_t buf[16384], want[128];
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
				   .sll_ifindex = 1 };
	struct timeval tv = { .tv_sec = 1 };
	int fd, v, n, dummies = 0, copies = 0, rc = 1;
	uint32_t prio, want_len, dummy_len;
	int same;

	/* S = T x R + 1 bytes (emu.bpf.c's hold, no calibration). */
	dummy_len = (uint32_t)(5000000ULL * h->skel->rodata->cfg_rate_Bps / 1000000000ULL + 1);

	want_len = eh_frame(h, want);
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	if (fd < 0 || bind(fd, (struct sockaddr *)&sll, sizeof(sll)) ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv))) {
		printf("FAIL: packet socket on lo: %s\n", strerror(errno));
		goto out;
	}
	if (bpf_tc_hook_create(&hook) || bpf_tc_attach(&hook, &opts)) {
		printf("FAIL: cannot attach to lo egress: %s\n", strerror(errno));
		goto out;
	}
	v = eh_run(h, 0, &prio, &same);
	if (v != EH_ACT_STOLEN) {
		printf("FAIL: on lo: verdict %d, want stolen (%d)\n", v, EH_ACT_STOLEN);
		goto out;
	}
	/* Outgoing copies only: lo also loops each frame back in. */
	for (;;) {
		socklen_t alen = sizeof(sll);

		n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&sll, &alen);
		if (n < 0)
			break;
		if (sll.sll_pkttype != PACKET_OUTGOING)
			continue;
		if (n > 14 && buf[12] == 0x88 && buf[13] == 0xb5 && (uint32_t)n == dummy_len)
			dummies++;
		else if ((uint32_t)n == want_len && !memcmp(buf, want, want_len))
			copies++;
		else
			printf("note: unexpected frame on lo: %d bytes, EtherType %02x%02x\n", n,
			       buf[12], buf[13]);
	}
	if (dummies != 1 || copies != 1) {
		printf("FAIL: lo carried %d dummies of %u bytes and %d exact copies (want 1 and 1)\n",
		       dummies, dummy_len, copies);
		goto out;
	}
	rc = 0;
out:
	bpf_tc_hook_destroy(&hook);
	if (fd >= 0)
		close(fd);
	return rc;
}

int main(void)
{
	struct emu_params p = { .delay_ns = 5000000, .seed = 3 };
	struct eh h;
	uint32_t prio, seen = 0;
	int rc = eh_enter_netns(), v, same;

	if (rc)
		return rc;
	if ((rc = eh_load(&h, &p, POOL)))
		return rc;
	for (int i = 0; i < POOL; i++) {
		v = eh_run(&h, 0, &prio, &same);
		if (v != EH_ACT_STOLEN || (prio >> 16) != EMU_HTB_MAJOR || (prio & 0xffff) < 1 ||
		    (prio & 0xffff) > POOL) {
			printf("FAIL: packet %d: verdict %d (want stolen) priority %x:%x\n", i, v,
			       prio >> 16, prio & 0xffff);
			goto fail;
		}
		if (seen & (1U << (prio & 0xffff))) {
			printf("FAIL: class 1:%u given twice while busy\n", prio & 0xffff);
			goto fail;
		}
		seen |= 1U << (prio & 0xffff);
	}
	/* Every class is busy for 5 ms more: the next goes unheld. */
	v = eh_run(&h, 0, &prio, &same);
	if (v != EH_ACT_OK || prio != EMU_HTB_MAJOR << 16 || eh_counter(&h, EMU_C_NO_CLASS) != 1 ||
	    eh_counter(&h, EMU_C_HELD) != POOL || eh_counter(&h, EMU_C_HOLD_ERR) ||
	    eh_counter(&h, EMU_C_HELD_OWNED) || !same) {
		printf("FAIL: pool exhausted: verdict %d priority %x, no_class %lu held %lu errors %lu "
		       "owned %lu, bytes %s\n",
		       v, prio, (unsigned long)eh_counter(&h, EMU_C_NO_CLASS),
		       (unsigned long)eh_counter(&h, EMU_C_HELD),
		       (unsigned long)eh_counter(&h, EMU_C_HOLD_ERR),
		       (unsigned long)eh_counter(&h, EMU_C_HELD_OWNED), same ? "same" : "changed");
		goto fail;
	}
	eh_close(&h);

	p.reorder = EMU_P_ONE;
	if ((rc = eh_load(&h, &p, POOL)))
		return rc;
	v = eh_run(&h, 0, &prio, &same);
	if (v != EH_ACT_OK || prio != EMU_HTB_MAJOR << 16 || eh_counter(&h, EMU_C_REORDERED) != 1 ||
	    eh_counter(&h, EMU_C_HELD)) {
		printf("FAIL: reorder 100%%: verdict %d priority %x reordered %lu\n", v, prio,
		       (unsigned long)eh_counter(&h, EMU_C_REORDERED));
		goto fail;
	}
	eh_close(&h);

	p.reorder = 0;
	if ((rc = eh_load(&h, &p, POOL)))
		return rc;
	if (check_frames_on_lo(&h))
		goto fail;
	printf("PASS: %d packets held in distinct classes as copies (sender's skb stolen); busy pool "
	       "and reorder sent direct, bytes unchanged; on lo: one dummy, then the exact packet\n",
	       POOL);
	eh_close(&h);
	return 0;
fail:
	eh_close(&h);
	return 1;
}
