#include "server.h"

#include <errno.h>
#include <liburing.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "dgram.h"
#include "log.h"
#include "sockets.h"
#include "timeutil.h"

#define BUF_GROUP        0
#define SQ_ENTRIES       2048
#define MAX_RECV_ERRORS  1000   /* consecutive failed re-arms before giving up */

/* user_data: event type in the top byte, socket index and buffer id below */
enum ev_type { EV_RECV = 1, EV_TIMER, EV_SEND, EV_STOP, EV_PAUSE };
#define UD(type, sock, bid) (((uint64_t)(type) << 56) | ((uint64_t)(sock) << 16) | (uint64_t)(bid))
#define UD_TYPE(ud) ((enum ev_type)((ud) >> 56))
#define UD_SOCK(ud) ((uint32_t)(((ud) >> 16) & 0xffffffffffULL))
#define UD_BID(ud)  ((uint16_t)((ud) & 0xffff))

/* Room for the one IP_PKTINFO / IPV6_PKTINFO message a wildcard socket gets */
#define PKTINFO_SPACE CMSG_SPACE(sizeof(struct in6_pktinfo))
/* Room for the peer address, rounded up so that the control messages the
 * kernel writes after it (16 + 32 bytes into a buffer) are 8-byte aligned */
#define NAME_SPACE    ((sizeof(struct sockaddr_in6) + 7) & ~(size_t)7)

/* One per receive buffer: the request owning the buffer is in flight. */
struct slot {
	struct msghdr msg;
	struct iovec iov;
	union {                  /* the reply's source address (wildcard sockets) */
		struct cmsghdr align;
		uint8_t buf[PKTINFO_SPACE];
	} ctl;
	struct __kernel_timespec ts;
	uint32_t sock;
	int32_t res;             /* recv result, kept while a pause holds it */
};

struct worker_state {
	struct server_worker *w;
	struct io_uring ring;
	bool ring_ok;
	struct io_uring_buf_ring *br;
	size_t br_size;
	uint8_t *bufs;
	size_t bufs_size;
	uint32_t buf_size;
	uint32_t free_bufs;
	int pending_adds;        /* buffers added since the last advance */
	struct slot *slots;
	struct msghdr *recv_msg; /* per socket: the multishot template */
	bool *recv_armed;
	uint32_t recv_errors;
	uint64_t now;
	bool stopping;
	/* pauses */
	bool paused;
	uint64_t pause_k, pause_start, pause_end;
	struct __kernel_timespec pause_ts;
	uint16_t *held_recv, *held_send;
	uint32_t n_held_recv, n_held_send;
};

static struct io_uring_sqe *get_sqe(struct worker_state *s)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&s->ring);

	while (!sqe) {
		/* SQ full: hand what we have to the kernel and try again */
		io_uring_submit(&s->ring);
		sqe = io_uring_get_sqe(&s->ring);
	}
	return sqe;
}

static uint8_t *buf_addr(struct worker_state *s, uint16_t bid)
{
	return s->bufs + (size_t)bid * s->buf_size;
}

static void buf_return(struct worker_state *s, uint16_t bid)
{
	io_uring_buf_ring_add(s->br, buf_addr(s, bid), s->buf_size, bid,
			      io_uring_buf_ring_mask(s->w->cfg->nbufs), s->pending_adds++);
	s->free_bufs++;
	STATS_ADD(&s->w->stats, inflight, -1);
}

static void arm_recv(struct worker_state *s, uint32_t sock)
{
	struct io_uring_sqe *sqe = get_sqe(s);

	io_uring_prep_recvmsg_multishot(sqe, s->w->fds[sock], &s->recv_msg[sock], 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = BUF_GROUP;
	io_uring_sqe_set_data64(sqe, UD(EV_RECV, sock, 0));
	s->recv_armed[sock] = true;
}

static void arm_timeout_abs(struct worker_state *s, struct __kernel_timespec *ts,
			    uint64_t deadline_ns, uint64_t user_data)
{
	struct io_uring_sqe *sqe = get_sqe(s);

	ts->tv_sec = (long long)(deadline_ns / NSEC_PER_SEC);
	ts->tv_nsec = (long long)(deadline_ns % NSEC_PER_SEC);
	io_uring_prep_timeout(sqe, ts, 0, IORING_TIMEOUT_ABS);
	io_uring_sqe_set_data64(sqe, user_data);
}

static void send_reply(struct worker_state *s, uint16_t bid)
{
	struct slot *sl = &s->slots[bid];
	struct io_uring_sqe *sqe = get_sqe(s);

	io_uring_prep_sendmsg(sqe, s->w->fds[sl->sock], &sl->msg, 0);
	io_uring_sqe_set_data64(sqe, UD(EV_SEND, sl->sock, bid));
}

/* set_reply_cmsg - the reply's one control message: @len bytes of @data
 * as @level/@type. */
static void set_reply_cmsg(struct slot *sl, int level, int type, const void *data, size_t len)
{
	struct cmsghdr *out = &sl->ctl.align;

	out->cmsg_level = level;
	out->cmsg_type = type;
	out->cmsg_len = CMSG_LEN(len);
	memcpy(CMSG_DATA(out), data, len);
	sl->msg.msg_control = sl->ctl.buf;
	sl->msg.msg_controllen = CMSG_SPACE(len);
}

/* reply_source - on a wildcard socket, answer from the address the request
 * was sent to (the kernel would pick by route, and a client that connect()ed
 * to another local address would drop the reply): copy the destination from
 * the received PKTINFO into the reply's control message. */
static void reply_source(struct slot *sl, struct io_uring_recvmsg_out *o, struct msghdr *tmpl)
{
	struct cmsghdr *c;

	for (c = io_uring_recvmsg_cmsg_firsthdr(o, tmpl); c; c = io_uring_recvmsg_cmsg_nexthdr(o, tmpl, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo in, reply = { 0 };

			memcpy(&in, CMSG_DATA(c), sizeof(in));
			reply.ipi_spec_dst = in.ipi_addr;
			set_reply_cmsg(sl, IPPROTO_IP, IP_PKTINFO, &reply, sizeof(reply));
			return;
		}
		if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo in6;

			memcpy(&in6, CMSG_DATA(c), sizeof(in6));
			/* keep the interface: link-local sources need it */
			set_reply_cmsg(sl, IPPROTO_IPV6, IPV6_PKTINFO, &in6, sizeof(in6));
			return;
		}
	}
}

/* handle_request - decide and schedule the reply of the datagram in @bid. */
static void handle_request(struct worker_state *s, uint16_t bid)
{
	const struct server_cfg *cfg = s->w->cfg;
	struct chaos_stats *st = &s->w->stats;
	struct slot *sl = &s->slots[bid];
	struct msghdr *tmpl = &s->recv_msg[sl->sock];
	struct io_uring_recvmsg_out *o;
	struct dgram_decision d;
	size_t len = 0;
	void *payload = NULL;
	bool truncated = false;

	o = io_uring_recvmsg_validate(buf_addr(s, bid), sl->res, tmpl);
	if (o) {
		payload = io_uring_recvmsg_payload(o, tmpl);
		len = o->payloadlen;
		truncated = o->flags & MSG_TRUNC;
	}
	dgram_decide(&cfg->fault, s->w->replay, payload, len, truncated, cfg->max_size, s->now, &d);
	switch (d.verdict) {
	case DGRAM_DROP_SHORT:
		STATS_ADD(st, dropped_short, 1);
		buf_return(s, bid);
		return;
	case DGRAM_DROP_OVERSIZE:
		STATS_ADD(st, dropped_oversize, 1);
		buf_return(s, bid);
		return;
	case DGRAM_REPLY:
		break;
	}
	if (d.stalled)
		STATS_ADD(st, stalled, 1);
	else
		STATS_ADD(st, fast, 1);
	if (d.replay_hit)
		STATS_ADD(st, replay_hits, 1);
	/* the reply goes back to the address the request came from */
	sl->msg = (struct msghdr){
		.msg_name = io_uring_recvmsg_name(o),
		.msg_namelen = o->namelen < tmpl->msg_namelen ? o->namelen : tmpl->msg_namelen,
		.msg_iov = &sl->iov,
		.msg_iovlen = 1,
	};
	sl->iov = (struct iovec){ .iov_base = payload, .iov_len = len };
	if (tmpl->msg_controllen)
		reply_source(sl, o, tmpl);
	if (d.delay_ns == 0)
		send_reply(s, bid);
	else
		arm_timeout_abs(s, &sl->ts, s->now + d.delay_ns, UD(EV_TIMER, sl->sock, bid));
}

static void on_recv(struct worker_state *s, struct io_uring_cqe *cqe, uint32_t sock)
{
	uint16_t bid;

	if (!(cqe->flags & IORING_CQE_F_MORE))
		s->recv_armed[sock] = false;   /* multishot ended: re-armed after this batch */
	if (cqe->res < 0) {
		if (cqe->res == -ENOBUFS) {
			STATS_ADD(&s->w->stats, nobufs, 1);
		} else if (cqe->res != -ECANCELED) {
			s->recv_errors++;
			log_warn("worker %d: receive failed: %s", s->w->index, strerror(-cqe->res));
		}
		return;
	}
	s->recv_errors = 0;
	if (!(cqe->flags & IORING_CQE_F_BUFFER))
		return;
	bid = (uint16_t)(cqe->flags >> IORING_CQE_BUFFER_SHIFT);
	s->free_bufs--;
	STATS_ADD(&s->w->stats, received, 1);
	STATS_ADD(&s->w->stats, inflight, 1);
	s->slots[bid].sock = sock;
	s->slots[bid].res = cqe->res;
	if (s->paused) {
		s->held_recv[s->n_held_recv++] = bid;
		return;
	}
	handle_request(s, bid);
}

static void arm_next_pause(struct worker_state *s)
{
	const struct fault_cfg *f = &s->w->cfg->fault;
	uint64_t start = s->pause_k == 0 ? s->w->cfg->start_ns : s->pause_start;

	start += fault_pause_gap_ns(f, s->pause_k);
	if (start < s->pause_end)
		start = s->pause_end;
	s->pause_start = start;
	arm_timeout_abs(s, &s->pause_ts, start, UD(EV_PAUSE, 0, 0));
}

/* on_pause_timer - a stop-the-world pause starts or ends. While paused nothing
 * is answered: due replies and new requests are held, and handled at the end
 * (a held request's delay starts when the process "runs" again). */
static void on_pause_timer(struct worker_state *s)
{
	if (!s->paused) {
		s->paused = true;
		STATS_ADD(&s->w->stats, pauses, 1);
		s->pause_end = s->pause_start + fault_pause_len_ns(&s->w->cfg->fault, s->pause_k);
		arm_timeout_abs(s, &s->pause_ts, s->pause_end, UD(EV_PAUSE, 0, 0));
		return;
	}
	s->paused = false;
	for (uint32_t i = 0; i < s->n_held_send; i++)
		send_reply(s, s->held_send[i]);
	for (uint32_t i = 0; i < s->n_held_recv; i++)
		handle_request(s, s->held_recv[i]);
	s->n_held_send = s->n_held_recv = 0;
	s->pause_k++;
	arm_next_pause(s);
}

static void arm_stop(struct worker_state *s)
{
	struct io_uring_sqe *sqe = get_sqe(s);

	io_uring_prep_poll_add(sqe, s->w->stop_fd, POLLIN);
	io_uring_sqe_set_data64(sqe, UD(EV_STOP, 0, 0));
}

/* note_lateness - how late a reply timer is handled (wakeup + scheduling):
 * the server's own share of any latency a client sees beyond the delay. */
static void note_lateness(struct worker_state *s, const struct __kernel_timespec *ts)
{
	uint64_t deadline = (uint64_t)ts->tv_sec * NSEC_PER_SEC + (uint64_t)ts->tv_nsec;
	uint64_t late = s->now > deadline ? s->now - deadline : 0;
	struct chaos_stats *st = &s->w->stats;

	if (late > NSEC_PER_MSEC)
		STATS_ADD(st, timers_late, 1);
	if (late > st->timer_late_max_ns)
		__atomic_store_n(&st->timer_late_max_ns, late, __ATOMIC_RELAXED);
}

static void on_cqe(struct worker_state *s, struct io_uring_cqe *cqe)
{
	uint64_t ud = io_uring_cqe_get_data64(cqe);
	uint16_t bid = UD_BID(ud);

	switch (UD_TYPE(ud)) {
	case EV_RECV:
		on_recv(s, cqe, UD_SOCK(ud));
		break;
	case EV_TIMER:
		note_lateness(s, &s->slots[bid].ts);
		if (s->paused)
			s->held_send[s->n_held_send++] = bid;
		else
			send_reply(s, bid);
		break;
	case EV_SEND:
		if (cqe->res < 0)
			STATS_ADD(&s->w->stats, send_errors, 1);
		else
			STATS_ADD(&s->w->stats, replied, 1);
		buf_return(s, bid);
		break;
	case EV_STOP:
		s->stopping = true;
		break;
	case EV_PAUSE:
		on_pause_timer(s);
		break;
	}
}

static int check_features(struct worker_state *s)
{
	static const struct { int op; const char *name; } ops[] = {
		{ IORING_OP_RECVMSG, "recvmsg" }, { IORING_OP_SENDMSG, "sendmsg" },
		{ IORING_OP_TIMEOUT, "timeout" }, { IORING_OP_POLL_ADD, "poll" },
	};
	struct io_uring_probe *probe = io_uring_get_probe_ring(&s->ring);
	int err = 0;

	if (!probe) {
		log_error("cannot probe io_uring opcodes (kernel too old?)");
		return -EOPNOTSUPP;
	}
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		if (!io_uring_opcode_supported(probe, ops[i].op)) {
			log_error("this kernel's io_uring lacks %s (chaos-server needs Linux 6.0 or later)",
				  ops[i].name);
			err = -EOPNOTSUPP;
			break;
		}
	}
	io_uring_free_probe(probe);
	return err;
}

static int setup_ring(struct worker_state *s)
{
	struct io_uring_params p = {
		.flags = IORING_SETUP_CQSIZE | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
		/* recv + timer + send per buffer, plus room; at least twice the SQ */
		.cq_entries = 4 * s->w->cfg->nbufs + 64 > 2 * SQ_ENTRIES ?
			      4 * s->w->cfg->nbufs + 64 : 2 * SQ_ENTRIES,
	};
	int err;

	err = io_uring_queue_init_params(SQ_ENTRIES, &s->ring, &p);
	if (err == -EINVAL) {
		/* older kernels: no DEFER_TASKRUN / SINGLE_ISSUER */
		p = (struct io_uring_params){ .flags = IORING_SETUP_CQSIZE, .cq_entries = p.cq_entries };
		err = io_uring_queue_init_params(SQ_ENTRIES, &s->ring, &p);
	}
	if (err == -ENOSYS) {
		log_error("this kernel has no io_uring");
		return err;
	}
	if (err == -EPERM) {
		log_error("io_uring is not permitted here (sysctl kernel.io_uring_disabled or a seccomp policy)");
		return err;
	}
	if (err < 0) {
		log_error("cannot create an io_uring: %s%s", strerror(-err),
			  err == -ENOMEM ? " (RLIMIT_MEMLOCK too low?)" : "");
		return err;
	}
	s->ring_ok = true;
	if (!(p.features & IORING_FEAT_NODROP)) {
		log_error("this kernel's io_uring may drop completions (needs Linux 5.5 or later)");
		return -EOPNOTSUPP;
	}
	return check_features(s);
}

static int setup_buffers(struct worker_state *s)
{
	const struct server_cfg *cfg = s->w->cfg;
	struct io_uring_buf_reg reg = { .ring_entries = cfg->nbufs, .bgid = BUF_GROUP };
	int err;

	/* a multiple of 64 keeps every buffer (and its header) aligned */
	s->buf_size = (uint32_t)((sizeof(struct io_uring_recvmsg_out) + NAME_SPACE + PKTINFO_SPACE +
				  cfg->max_size + 63) & ~(size_t)63);
	s->br_size = cfg->nbufs * sizeof(struct io_uring_buf);
	s->br = mmap(NULL, s->br_size, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
	if (s->br == MAP_FAILED) {
		s->br = NULL;
		return -ENOMEM;
	}
	s->bufs_size = (size_t)cfg->nbufs * s->buf_size;
	s->bufs = mmap(NULL, s->bufs_size, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
	if (s->bufs == MAP_FAILED) {
		s->bufs = NULL;
		log_error("cannot allocate %zu bytes of receive buffers", s->bufs_size);
		return -ENOMEM;
	}
	reg.ring_addr = (unsigned long)s->br;
	err = io_uring_register_buf_ring(&s->ring, &reg, 0);
	if (err) {
		log_error("cannot register a provided-buffer ring: %s (chaos-server needs Linux 6.0 or later)",
			  strerror(-err));
		return err;
	}
	io_uring_buf_ring_init(s->br);
	for (uint32_t i = 0; i < cfg->nbufs; i++)
		io_uring_buf_ring_add(s->br, buf_addr(s, (uint16_t)i), s->buf_size, (uint16_t)i,
				      io_uring_buf_ring_mask(cfg->nbufs), (int)i);
	io_uring_buf_ring_advance(s->br, (int)cfg->nbufs);
	s->free_bufs = cfg->nbufs;
	return 0;
}

static int setup_state(struct worker_state *s)
{
	uint32_t n = s->w->cfg->nbufs;
	int nfds = s->w->nfds;

	s->slots = calloc(n, sizeof(*s->slots));
	s->held_recv = calloc(n, sizeof(*s->held_recv));
	s->held_send = calloc(n, sizeof(*s->held_send));
	s->recv_msg = calloc(nfds, sizeof(*s->recv_msg));
	s->recv_armed = calloc(nfds, sizeof(*s->recv_armed));
	if (!s->slots || !s->held_recv || !s->held_send || !s->recv_msg || !s->recv_armed)
		return -ENOMEM;
	/* room for the largest peer address in front of each payload, and for
	 * the destination address of the request on wildcard sockets */
	for (int i = 0; i < nfds; i++) {
		s->recv_msg[i].msg_namelen = NAME_SPACE;
		if (sock_is_wildcard(s->w->fds[i]))
			s->recv_msg[i].msg_controllen = PKTINFO_SPACE;
	}
	return 0;
}

static void teardown(struct worker_state *s)
{
	if (s->ring_ok)
		io_uring_queue_exit(&s->ring);
	if (s->bufs)
		munmap(s->bufs, s->bufs_size);
	if (s->br)
		munmap(s->br, s->br_size);
	free(s->slots);
	free(s->held_recv);
	free(s->held_send);
	free(s->recv_msg);
	free(s->recv_armed);
}

static int run_loop(struct worker_state *s)
{
	int err;

	while (!s->stopping) {
		struct io_uring_cqe *cqe;
		unsigned int head, n = 0;

		err = io_uring_submit_and_wait(&s->ring, 1);
		if (err < 0 && err != -EINTR && err != -EBUSY && err != -EAGAIN) {
			log_error("worker %d: io_uring_enter failed: %s", s->w->index, strerror(-err));
			return err;
		}
		s->now = time_mono_ns();
		io_uring_for_each_cqe(&s->ring, head, cqe) {
			on_cqe(s, cqe);
			n++;
		}
		io_uring_cq_advance(&s->ring, n);
		if (s->pending_adds) {
			io_uring_buf_ring_advance(s->br, s->pending_adds);
			s->pending_adds = 0;
		}
		for (int i = 0; i < s->w->nfds && s->free_bufs; i++)
			if (!s->recv_armed[i])
				arm_recv(s, (uint32_t)i);
		if (s->recv_errors > MAX_RECV_ERRORS) {
			log_error("worker %d: receiving keeps failing, giving up", s->w->index);
			return -EIO;
		}
	}
	return 0;
}

void *server_worker_main(void *arg)
{
	struct server_worker *w = arg;
	struct worker_state s = { .w = w };
	bool started = false;
	int err;

	err = setup_state(&s);
	if (!err)
		err = setup_ring(&s);
	if (!err)
		err = setup_buffers(&s);
	if (err)
		goto cleanup;
	arm_stop(&s);
	for (int i = 0; i < w->nfds; i++)
		arm_recv(&s, (uint32_t)i);
	if (w->cfg->fault.pause_every_ns)
		arm_next_pause(&s);
	err = io_uring_submit(&s.ring);
	if (err < 0) {
		log_error("worker %d: cannot submit to io_uring: %s", w->index, strerror(-err));
		goto cleanup;
	}
	sem_post(w->started);
	started = true;
	err = run_loop(&s);
cleanup:
	w->err = err < 0 ? err : 0;
	if (!started)
		sem_post(w->started);
	else if (w->err)
		kill(getpid(), SIGUSR2);   /* wake the main thread: a worker died */
	teardown(&s);
	return NULL;
}
