#include "sockets.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "parse.h"

#define SOCK_RCVBUF (8 << 20)

socklen_t sock_addr_len(const struct sockaddr_storage *addr)
{
	return addr->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

void sock_wildcard(struct sockaddr_storage *out, unsigned int port)
{
	int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	memset(out, 0, sizeof(*out));
	if (fd >= 0) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)out;

		close(fd);
		in6->sin6_family = AF_INET6;
		in6->sin6_addr = in6addr_any;
		in6->sin6_port = htons((uint16_t)port);
	} else {
		struct sockaddr_in *in = (struct sockaddr_in *)out;

		in->sin_family = AF_INET;
		in->sin_addr.s_addr = htonl(INADDR_ANY);
		in->sin_port = htons((uint16_t)port);
	}
}

static bool is_v6_wildcard(const struct sockaddr_storage *addr)
{
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)addr;

	return addr->ss_family == AF_INET6 && IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr);
}

static bool is_wildcard(const struct sockaddr_storage *addr)
{
	return is_v6_wildcard(addr) || (addr->ss_family == AF_INET &&
		((const struct sockaddr_in *)addr)->sin_addr.s_addr == htonl(INADDR_ANY));
}

bool sock_is_wildcard(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	return getsockname(fd, (struct sockaddr *)&ss, &len) == 0 && is_wildcard(&ss);
}

int sock_open_udp(const struct sockaddr_storage *addr, bool reuseport, int *out_fd)
{
	char name[80];
	int fd, one = 1, zero = 0, rcvbuf = SOCK_RCVBUF, err;

	format_endpoint((const struct sockaddr *)addr, name, sizeof(name));
	fd = socket(addr->ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = -errno;
		log_error("cannot create a UDP socket for %s: %s", name, strerror(errno));
		return err;
	}
	if (is_v6_wildcard(addr) &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) < 0)
		goto fail;
	/* a wildcard socket learns each request's destination, to answer from it */
	if (is_wildcard(addr) &&
	    setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) < 0)
		goto fail;
	if (is_v6_wildcard(addr) &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one)) < 0)
		goto fail;
	if (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0)
		goto fail;
	/* a deep receive queue so bursts (and pauses) are queued, not dropped;
	 * FORCE (root) goes past net.core.rmem_max without touching the sysctl */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bind(fd, (const struct sockaddr *)addr, sock_addr_len(addr)) < 0)
		goto fail;
	*out_fd = fd;
	return 0;
fail:
	err = -errno;
	if (err == -EADDRINUSE)
		log_error("cannot bind %s: the port is already in use (another server running?)", name);
	else if (err == -EACCES)
		log_error("cannot bind %s: permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)",
			  name);
	else if (err == -EADDRNOTAVAIL)
		log_error("cannot bind %s: the address is not configured on this host", name);
	else
		log_error("cannot set up a UDP socket on %s: %s", name, strerror(-err));
	close(fd);
	return err;
}
