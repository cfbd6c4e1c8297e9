/* sockets: the server's bound UDP sockets. Public functions are prefixed sock_. */
#pragma once
#include <stdbool.h>
#include <sys/socket.h>

/* sock_open_udp - a UDP socket bound to @addr. An IPv6 wildcard is made
 * dual-stack (IPV6_V6ONLY off) so one socket serves IPv4 and IPv6; with
 * @reuseport, SO_REUSEPORT lets each worker thread bind the same port. On
 * failure logs one line (busy port, privilege, missing address) and returns
 * -errno. */
int sock_open_udp(const struct sockaddr_storage *addr, bool reuseport, int *out_fd);
/* sock_addr_len - sizeof the sockaddr of @addr's family. */
socklen_t sock_addr_len(const struct sockaddr_storage *addr);
/* sock_wildcard - [::] if this kernel has IPv6, else 0.0.0.0, with @port. */
void sock_wildcard(struct sockaddr_storage *out, unsigned int port);
/* sock_is_wildcard - bound to 0.0.0.0 or [::] (then it was opened asking for
 * the destination address of each datagram, IP_PKTINFO / IPV6_RECVPKTINFO). */
bool sock_is_wildcard(int fd);
