/* udp_pkt.c: see udp_pkt.h. */
#include <string.h>
#include <arpa/inet.h>

#include "udp_pkt.h"

uint16_t up_sum16(const uint8_t *p, uint32_t len, uint16_t sum)
{
	uint32_t acc = sum;

	for (uint32_t i = 0; i + 1 < len; i += 2)
		acc += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		acc += (uint32_t)p[len - 1] << 8;	/* odd byte padded with zero */
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);	/* end-around carry */
	return (uint16_t)acc;
}

static bool is_v6(const uint8_t *frame)
{
	return (frame[UP_L3_OFF] >> 4) == 6;
}

uint32_t up_l4_off(const uint8_t *frame)
{
	return UP_L3_OFF + (is_v6(frame) ? 40 : (frame[UP_L3_OFF] & 0x0f) * 4u);
}

uint16_t up_pseudo_sum(const uint8_t *frame)
{
	const uint8_t *l3 = frame + UP_L3_OFF, *udp = frame + up_l4_off(frame);
	uint8_t len_be[4] = { 0, 0, udp[4], udp[5] };	/* UDP length */
	uint8_t proto[4] = { 0, 0, 0, 17 };
	uint16_t sum;

	if (is_v6(frame))	/* addresses, 32-bit length, zeros + next header */
		return up_sum16(proto, 4, up_sum16(len_be, 4, up_sum16(l3 + 8, 32, 0)));
	sum = up_sum16(l3 + 12, 8, 0);	/* addresses, zero + protocol, length */
	return up_sum16(len_be + 2, 2, up_sum16(proto + 2, 2, sum));
}

uint16_t up_udp_sum(const uint8_t *frame)
{
	const uint8_t *udp = frame + up_l4_off(frame);

	return up_sum16(udp, (uint32_t)(udp[4] << 8 | udp[5]), up_pseudo_sum(frame));
}

/* pseudo_sum_at - the pseudo-header sum of the UDP datagram at @l4 (which
 * may lie behind IPv6 extension headers). */
static uint16_t pseudo_sum_at(const uint8_t *buf, uint32_t l4, int family)
{
	const uint8_t *l3 = buf + UP_L3_OFF;
	uint8_t tail[4] = { buf[l4 + 4], buf[l4 + 5], 0, 17 };	/* length, zero, protocol */

	return up_sum16(tail, 4, up_sum16(l3 + (family == 6 ? 8 : 12), family == 6 ? 32 : 8, 0));
}

uint32_t up_build(uint8_t *buf, const struct up_spec *s)
{
	uint32_t l3 = UP_L3_OFF, l4, ulen = 8 + s->payload_len;
	uint8_t proto = s->proto ? s->proto : 17;
	uint16_t v;

	memset(buf, 0, UP_L3_OFF + 68 + ulen);
	memcpy(buf, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
	if (s->family == 6) {
		uint32_t ext = s->v6_nexthdr ? 8 : 0;

		buf[12] = 0x86;
		buf[13] = 0xdd;
		buf[l3] = 0x60;
		buf[l3 + 4] = (uint8_t)((ulen + ext) >> 8);
		buf[l3 + 5] = (uint8_t)(ulen + ext);
		buf[l3 + 6] = s->v6_nexthdr ? s->v6_nexthdr : proto;
		buf[l3 + 7] = 64;
		inet_pton(AF_INET6, s->src, buf + l3 + 8);
		inet_pton(AF_INET6, s->dst, buf + l3 + 24);
		l4 = l3 + 40;
		if (ext) {	/* next header UDP, length 0: 8 bytes */
			buf[l4] = 17;
			l4 += ext;
		}
	} else {
		uint32_t ihl = 20 + s->ip_opts, tot = ihl + ulen;

		buf[12] = 0x08;
		buf[l3] = (uint8_t)(0x40 | ihl / 4);
		buf[l3 + 2] = (uint8_t)(tot >> 8);
		buf[l3 + 3] = (uint8_t)tot;
		v = s->frag ? s->frag : 0x4000;	/* DF unless asked */
		buf[l3 + 4] = 0x12;		/* some IP id */
		buf[l3 + 5] = 0x34;
		buf[l3 + 6] = (uint8_t)(v >> 8);
		buf[l3 + 7] = (uint8_t)v;
		buf[l3 + 8] = 64;
		buf[l3 + 9] = proto;
		inet_pton(AF_INET, s->src, buf + l3 + 12);
		inet_pton(AF_INET, s->dst, buf + l3 + 16);
		memset(buf + l3 + 20, 1, s->ip_opts);	/* NOP options */
		v = (uint16_t)~up_sum16(buf + l3, ihl, 0);
		buf[l3 + 10] = (uint8_t)(v >> 8);
		buf[l3 + 11] = (uint8_t)v;
		l4 = l3 + ihl;
	}
	buf[l4] = (uint8_t)(s->sport >> 8);
	buf[l4 + 1] = (uint8_t)s->sport;
	buf[l4 + 2] = (uint8_t)(s->dport >> 8);
	buf[l4 + 3] = (uint8_t)s->dport;
	buf[l4 + 4] = (uint8_t)(ulen >> 8);
	buf[l4 + 5] = (uint8_t)ulen;
	for (uint32_t i = 0; i < s->payload_len; i++)
		buf[l4 + 8 + i] = s->payload ? s->payload[i] :
				  (uint8_t)(s->seed * 131 + i * 29 + (i >> 3));
	if (!s->no_csum) {
		uint16_t ph = pseudo_sum_at(buf, l4, s->family);

		if (s->csum == UP_CSUM_PARTIAL) {
			v = ph;
		} else {
			v = (uint16_t)~up_sum16(buf + l4, ulen, ph);
			if (!v)
				v = 0xffff;	/* 0 would mean "no checksum" */
			if (s->csum == UP_CSUM_BAD)
				v = (uint16_t)(v + 1);
		}
		buf[l4 + 6] = (uint8_t)(v >> 8);
		buf[l4 + 7] = (uint8_t)v;
	}
	if (s->ethertype) {
		buf[12] = (uint8_t)(s->ethertype >> 8);
		buf[13] = (uint8_t)s->ethertype;
	}
	return l4 + ulen;
}

bool up_ip4_csum_ok(const uint8_t *frame)
{
	const uint8_t *l3 = frame + UP_L3_OFF;

	return up_sum16(l3, (l3[0] & 0x0f) * 4u, 0) == 0xffff;
}

int up_udp_csum(const uint8_t *frame)
{
	const uint8_t *udp = frame + up_l4_off(frame);

	if (!udp[6] && !udp[7])
		return 0;
	return up_udp_sum(frame) == 0xffff ? 1 : -1;
}
