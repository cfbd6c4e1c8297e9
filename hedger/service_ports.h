/* service_ports.h: the "service_ports" map, a bitmap of every UDP port a
 * service or a replica listens on (bit port % 64 of word port / 64, host
 * order). The parser tests it before any hash lookup, so a datagram of no
 * service costs one array load. The loader (and the BPF tests) set a port's
 * bit before a packet may match it; a service whose bit is missing is never
 * seen. */
#pragma once

#include <errno.h>
#include <stdint.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>

/* service_ports_add - set the bit of @port_net (network order); 0 or -errno. */
static inline int service_ports_add(int map_fd, uint16_t port_net)
{
	uint32_t port = ntohs(port_net), w = port / 64;
	uint64_t bits = 0;

	if (bpf_map_lookup_elem(map_fd, &w, &bits))
		return -errno;
	bits |= 1ULL << (port % 64);
	return bpf_map_update_elem(map_fd, &w, &bits, BPF_ANY) ? -errno : 0;
}
