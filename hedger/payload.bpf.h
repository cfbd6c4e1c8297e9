/* payload.bpf.h: what the hedger learns from a datagram's bytes.
 *   hedger_request_digest() - a hash of a request's payload, so two requests
 *                             with one key but other bytes are told apart;
 *   hedger_reply_check()    - a reply's digest (its bytes, for "a duplicate
 *                             is byte-identical") and whether its UDP checksum
 *                             can be trusted (only a trusted reply completes). */
#pragma once

#include "maps.bpf.h"
#include "parse.bpf.h"

#define HEDGER_HEAD_BYTES 64	/* request/reply bytes hashed from the front */
#define HEDGER_TAIL_BYTES 32	/* request bytes hashed from the end */
#define HEDGER_BPF_CSUM_LEVEL_QUERY 0	/* BPF_CSUM_LEVEL_QUERY */

/* load_head - @n (1..HEDGER_HEAD_BYTES) bytes at @off into @w, the rest of
 * @w zero; false when @n is 0 or the bytes cannot be read. */
static __always_inline bool load_head(struct __sk_buff *skb, __u32 off, __u32 n,
				      __u64 w[HEDGER_HEAD_BYTES / 8])
{
	if (!n)
		return false;
	if (n > HEDGER_HEAD_BYTES)
		n = HEDGER_HEAD_BYTES;
	/* Spelled so every verifier sees 1 <= n <= 64 (6.1 rejects a length
	 * that might be 0; clang may drop the checks above from its view). */
	n = ((n - 1) & (HEDGER_HEAD_BYTES - 1)) + 1;
	return bpf_skb_load_bytes(skb, off, w, n) == 0;
}

static __always_inline __u64 mix_words(const __u64 w[HEDGER_HEAD_BYTES / 8], __u64 h)
{
	__u32 i;

#pragma clang loop unroll(full)
	for (i = 0; i < HEDGER_HEAD_BYTES / 8; i++)
		h = hedger_mix64(h, w[i]);
	return h;
}

/* hash_bytes - hash of @n (<= HEDGER_HEAD_BYTES) bytes at @off, zero padded. */
static __always_inline __u64 hash_bytes(struct __sk_buff *skb, __u32 off, __u32 n, __u64 h)
{
	__u64 w[HEDGER_HEAD_BYTES / 8] = {};

	return load_head(skb, off, n, w) ? mix_words(w, h) : h;
}

/* sum32 - one's complement sum (unfolded) of @n 32-bit words at @v, as
 * bpf_csum_diff adds them, without the helper call. */
static __always_inline __u64 sum32(const void *v, __u32 n)
{
	const __u32 *x = v;
	__u64 s = 0;
	__u32 i;

#pragma clang loop unroll(full)
	for (i = 0; i < n; i++)
		s += x[i];
	return s;
}

static __always_inline __u32 fold32(__u64 h)
{
	return (__u32)(h ^ (h >> 32));
}

/* hedger_request_digest - hash of the first 64 and the last 32 payload
 * bytes and the length: cheap, and it separates the requests that share a
 * key in practice (A and AAAA queries differ near the end of the question). */
static __always_inline __u32 hedger_request_digest(struct __sk_buff *skb, const struct hedger_pkt *p)
{
	__u32 n = p->payload_len;
	__u64 h = hedger_mix64(0x6b68ULL, n);

	h = hash_bytes(skb, p->payload_off, n, h);
	if (n > HEDGER_HEAD_BYTES) {
		__u32 tail = n - HEDGER_HEAD_BYTES;

		if (tail > HEDGER_TAIL_BYTES)
			tail = HEDGER_TAIL_BYTES;
		h = hash_bytes(skb, p->payload_off + n - tail, tail, h);
	}
	return fold32(h);
}

static __always_inline __u32 csum_fold64(__u64 s)
{
	s = (s & 0xffffffffULL) + (s >> 32);
	s = (s & 0xffffffffULL) + (s >> 32);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (__u32)s;
}

/* pseudo_sum - one's complement sum (unfolded) of the UDP pseudo-header. */
static __always_inline __u64 pseudo_sum(const struct hedger_pkt *p)
{
	if (p->key.family == 4) {
		struct {
			__u8 saddr[4], daddr[4];
			__u8 zero, proto;
			__u16 len;
		} ph = {};

		__builtin_memcpy(ph.saddr, p->key.saddr.a, 4);
		__builtin_memcpy(ph.daddr, p->key.daddr.a, 4);
		ph.proto = 17;
		ph.len = bpf_htons((__u16)p->l4_len);
		return sum32(&ph, sizeof(ph) / 4);
	} else {
		struct {
			__u8 saddr[16], daddr[16];
			__u32 len;
			__u8 zero[3], proto;
		} ph = {};

		__builtin_memcpy(ph.saddr, p->key.saddr.a, 16);
		__builtin_memcpy(ph.daddr, p->key.daddr.a, 16);
		ph.len = bpf_htonl(p->l4_len);
		ph.proto = 17;
		return sum32(&ph, sizeof(ph) / 4);
	}
}

/* payload_sum - one's complement sum (unfolded, as bpf_csum_diff gives it)
 * of the whole payload; 0 and *ok = false when it is longer than the
 * scratch space or cannot be read. Chunks start at even offsets, so their
 * sums add up to the sum of the whole; the last one is zero padded. */
static __always_inline __u64 payload_sum(struct __sk_buff *skb, const struct hedger_pkt *p,
					 bool *ok)
{
	struct hedger_scratch *sc;
	__u32 zero = 0, done = 0, i;
	__u64 sum = 0;

	*ok = false;
	if (p->payload_len > HEDGER_SCRATCH_BYTES)
		return 0;
	sc = bpf_map_lookup_elem(&scratch, &zero);
	if (!sc)
		return 0;
#pragma clang loop unroll(full)
	for (i = 0; i < HEDGER_SCRATCH_BYTES / HEDGER_CSUM_CHUNK; i++) {
		__u32 n = p->payload_len - done, last_word;
		__u8 *chunk = sc->buf + i * HEDGER_CSUM_CHUNK;

		if (done >= p->payload_len)
			break;
		if (n > HEDGER_CSUM_CHUNK)
			n = HEDGER_CSUM_CHUNK;
		if (n < 1)
			return 0;
		n = ((n - 1) & (HEDGER_CSUM_CHUNK - 1)) + 1;	/* 1 .. CHUNK, as above */
		last_word = (n - 1) & ~3u;	/* 0 .. CHUNK - 4 */
		if (last_word > HEDGER_CSUM_CHUNK - 4)
			return 0;
		/* Zero the pad bytes of a last chunk before the load. */
		*(__u32 *)(chunk + last_word) = 0;
		if (bpf_skb_load_bytes(skb, p->payload_off + done, chunk, n))
			return 0;
		sum += (__u32)bpf_csum_diff(NULL, 0, (__be32 *)chunk, last_word + 4, 0);
		done += n;
	}
	*ok = true;
	return sum;
}

/* hedger_reply_check - *digest: a hash of the reply's bytes (front, every
 * byte through the one's complement sum, and the length). Returns true when
 * its UDP checksum can be trusted: the device verified it (CHECKSUM_UNNECESSARY),
 * it is correct, or it is the pseudo-header sum a sender on this host leaves
 * for checksum offload (CHECKSUM_PARTIAL; the stack does not verify it
 * either). A first fragment is never trusted: the checksum covers the rest. */
static __always_inline bool hedger_reply_check(struct __sk_buff *skb, const struct hedger_pkt *p,
					       __u32 *digest)
{
	struct {
		__u16 sport, dport, len, check;
	} uh;
	__u64 w[HEDGER_HEAD_BYTES / 8] = {};
	__u64 h = hedger_mix64(0x7265ULL, p->payload_len), psum, ph, total;
	bool whole, device_ok, head;

	head = load_head(skb, p->payload_off, p->payload_len, w);
	if (head)
		h = mix_words(w, h);
	if (p->payload_len <= HEDGER_HEAD_BYTES) {
		/* The whole payload is in @w already (zero padded, as the
		 * chunks below): sum it there, no second copy. */
		psum = sum32(w, HEDGER_HEAD_BYTES / 4);
		whole = head || !p->payload_len;
	} else {
		psum = payload_sum(skb, p, &whole);
	}
	*digest = fold32(hedger_mix64(h, psum));
	if (p->first_fragment || !whole)
		return false;
	device_ok = bpf_csum_level(skb, HEDGER_BPF_CSUM_LEVEL_QUERY) >= 0;
	if (device_ok)
		return true;
	if (p->payload_len + 8 != p->l4_len)
		return false;	/* truncated: the checksum covers bytes not here */
	if (p->key.family == 4 && !p->udp_check)
		return false;	/* sent without a checksum: nothing vouches for it */
	uh.sport = p->key.sport;
	uh.dport = p->key.dport;
	uh.len = bpf_htons((__u16)p->l4_len);
	uh.check = p->udp_check;
	ph = pseudo_sum(p);
	total = ph + psum + sum32(&uh, sizeof(uh) / 4);
	if (csum_fold64(total) == 0xffff)
		return true;
	return csum_fold64(ph) == p->udp_check;
}
