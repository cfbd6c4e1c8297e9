#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

uint64_t harness_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void drain(int fd, char *buf, size_t cap, size_t *len)
{
	ssize_t n;

	while (fd >= 0 && *len + 1 < cap && (n = read(fd, buf + *len, cap - 1 - *len)) > 0)
		*len += (size_t)n;
	buf[*len] = '\0';
}

void harness_collect(struct harness *h, int ms)
{
	uint64_t end = harness_now_ns() + (uint64_t)ms * 1000000ULL;

	do {
		struct pollfd p[2] = { { h->out_fd, POLLIN, 0 }, { h->err_fd, POLLIN, 0 } };

		poll(p, 2, 10);
		drain(h->out_fd, h->out, sizeof(h->out), &h->out_len);
		drain(h->err_fd, h->err, sizeof(h->err), &h->err_len);
	} while (harness_now_ns() < end);
}

static void parse_ports(struct harness *h)
{
	const char *p = h->err;

	h->nports = 0;
	while ((p = strstr(p, "listening on ")) && h->nports < 8) {
		const char *eol = strchr(p, '\n'), *colon;

		if (!eol)
			break;
		colon = memrchr(p, ':', (size_t)(eol - p));
		/* "[::]:PORT (IPv4 and IPv6)" or "127.0.0.1:PORT" */
		if (colon)
			h->ports[h->nports++] = (unsigned int)strtoul(colon + 1, NULL, 10);
		p = eol;
	}
	h->port = h->nports ? h->ports[0] : 0;
}

void harness_start(struct harness *h, const char *server, const char *const args[])
{
	const char *argv[64];
	int out[2], err[2], n = 0, status;
	bool exited = false;
	uint64_t end;

	memset(h, 0, sizeof(*h));
	argv[n++] = server;
	for (int i = 0; args[i] && n < 62; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	REQUIRE(pipe2(out, O_CLOEXEC) == 0 && pipe2(err, O_CLOEXEC) == 0, "pipe: %m");
	h->pid = fork();
	REQUIRE(h->pid >= 0, "fork: %m");
	if (h->pid == 0) {
		/* a test that crashes must not leave a server behind */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(out[1], 1);
		dup2(err[1], 2);
		execv(server, (char *const *)argv);
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	h->out_fd = out[0];
	h->err_fd = err[0];
	fcntl(h->out_fd, F_SETFL, O_NONBLOCK);
	fcntl(h->err_fd, F_SETFL, O_NONBLOCK);
	end = harness_now_ns() + 5000000000ULL;
	while (harness_now_ns() < end) {
		harness_collect(h, 20);
		/* ready once the faults line (printed after all binds) is there */
		if (strstr(h->err, "faults:")) {
			parse_ports(h);
			harness_collect(h, 50);   /* let the workers arm their rings */
			return;
		}
		if (waitpid(h->pid, &status, WNOHANG) == h->pid) {
			harness_collect(h, 50);
			h->pid = 0;
			exited = true;
			break;
		}
	}
	if (exited && strstr(h->err, "io_uring"))
		check_skip("chaos-server cannot run here: %s", h->err);
	if (!exited)
		harness_stop(h, SIGKILL);
	REQUIRE(!exited, "server exited at start: %s", h->err);
	REQUIRE(exited, "server did not start within 5 s: %s", h->err);
}

int harness_stop(struct harness *h, int sig)
{
	uint64_t end = harness_now_ns() + 5000000000ULL;
	int status;

	if (h->pid <= 0)
		return -1;
	kill(h->pid, sig);
	while (harness_now_ns() < end) {
		harness_collect(h, 10);
		if (waitpid(h->pid, &status, WNOHANG) == h->pid) {
			h->pid = 0;
			harness_collect(h, 20);
			close(h->out_fd);
			close(h->err_fd);
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		}
	}
	kill(h->pid, SIGKILL);
	waitpid(h->pid, &status, 0);
	h->pid = 0;
	return -1;
}

long long harness_stat(const struct harness *h, const char *key)
{
	char pat[64];
	const char *line = NULL, *p = h->out, *v;

	while ((p = strstr(p, "stats (")))
		line = p++;
	if (!line)
		return -1;
	snprintf(pat, sizeof(pat), " %s=", key);
	v = strstr(line, pat);
	if (!v || (strchr(line, '\n') && v > strchr(line, '\n')))
		return -1;
	return strtoll(v + strlen(pat), NULL, 10);
}

int harness_socket(int family)
{
	return socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
}

int harness_send(int fd, unsigned int port, const void *buf, size_t len)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t slen;
	int family;
	socklen_t flen = sizeof(family);

	getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &family, &flen);
	if (family == AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_addr = in6addr_loopback;
		in6->sin6_port = htons((uint16_t)port);
		slen = sizeof(*in6);
	} else {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;

		in->sin_family = AF_INET;
		in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		in->sin_port = htons((uint16_t)port);
		slen = sizeof(*in);
	}
	return sendto(fd, buf, len, 0, (struct sockaddr *)&ss, slen) == (ssize_t)len ? 0 : -1;
}

int harness_send_id(int fd, unsigned int port, uint32_t id, const void *extra, size_t extra_len)
{
	uint8_t buf[70000];

	buf[0] = (uint8_t)id;
	buf[1] = (uint8_t)(id >> 8);
	buf[2] = (uint8_t)(id >> 16);
	buf[3] = (uint8_t)(id >> 24);
	if (extra_len > sizeof(buf) - 4)
		return -1;
	if (extra_len)
		memcpy(buf + 4, extra, extra_len);
	return harness_send(fd, port, buf, 4 + extra_len);
}

ssize_t harness_recv(int fd, void *buf, size_t cap, int timeout_ms)
{
	struct pollfd p = { fd, POLLIN, 0 };

	if (poll(&p, 1, timeout_ms) <= 0)
		return -1;
	return recv(fd, buf, cap, 0);
}

uint32_t harness_id(const void *buf)
{
	const uint8_t *b = buf;

	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}
