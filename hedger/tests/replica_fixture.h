/* replica_fixture.h: packets and replica maps shared by the replica and tied
 * tests. Service TB_SERVER4/TB_SERVER6:TB_PORT is slot 0 (the VIP); the
 * replicas below are the other slots. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "bpf_harness.h"

#define R1_4 "198.18.100.3"
#define R2_4 "198.18.100.4"
#define R1_6 "2001:2::3"

/* rf_build - request (client -> VIP) or a reply from @from_addr:@from_port,
 * with valid checksums. */
void rf_build(struct tb_pkt *p, int family, uint64_t id, const char *from_addr,
	      uint16_t from_port);
/* rf_csums_ok - the IPv4 header and UDP checksums are valid. */
bool rf_csums_ok(const struct tb_pkt *p, int family);
/* rf_dst_is / rf_src_is - the frame's destination / source is @addr:@port. */
bool rf_dst_is(const struct tb_pkt *p, int family, const char *addr, uint16_t port);
bool rf_src_is(const struct tb_pkt *p, int family, const char *addr, uint16_t port);
/* rf_add_replicas - service @svc at @vip with @n replicas @addrs:@ports. */
int rf_add_replicas(struct tb *t, uint32_t svc, int family, const char *vip,
		    const char **addrs, const uint16_t *ports, uint32_t n, uint32_t policy);
struct hedger_replicas rf_get_replicas(struct tb *t, uint32_t svc);
/* rf_get_replica_stats - service @svc's per-replica counters, summed over CPUs. */
struct hedger_replica_stats rf_get_replica_stats(struct tb *t, uint32_t svc);
/* rf_open - tb_open @cfg and add the replicas round-robin (checked as @what);
 * 0, or -1 (failure counted) when the programs could not be opened. */
int rf_open(struct tb *t, const struct tb_cfg *cfg, uint32_t svc, int family, const char *vip,
	    const char **addrs, const uint16_t *ports, uint32_t n, const char *what);
