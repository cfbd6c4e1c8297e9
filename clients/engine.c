#include "engine.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "loadsched.h"
#include "log.h"
#include "progress.h"
#include "timeutil.h"
#include "proto.h"
#include "wire.h"

#define ENG_EV_TIMER   2u        /* epoll data: 0 and 1 are the sockets */
#define ENG_RCVBUF     (4 << 20) /* room for open-loop bursts; capped by the kernel */
#define ENG_INTERVAL   NSEC_PER_SEC

struct engine {
	const struct copts *o;
	struct eng_result *res;
	uint32_t tag;
	int fd[2];                /* primary; hedge-target socket or -1 */
	const char *fd_name[2];
	int tfd;
	int epfd;
	struct proto *proto;
	uint8_t *txbuf;
	size_t txcap;
	uint8_t rxbuf[65536];
	uint64_t total;
	uint64_t next_send;       /* index of the next request to send */
	uint64_t hedge_cur;       /* oldest request that may still need a hedge */
	uint64_t done_cur;        /* oldest request not finished */
	uint64_t inflight;
	uint64_t finished;
	uint64_t max_inflight;
	uint64_t start_ns;
	uint64_t closed_next_ns;  /* closed loop: earliest next send */
	uint64_t window_free_ns;  /* open loop: last time the full window got room */
	uint64_t armed_ns;
	uint32_t rx_drops[2];     /* SO_RXQ_OVFL counters per socket */
	struct progress progress;
};

static int eng_socket(const struct sockaddr_storage *addr, socklen_t len, const char *name)
{
	int rcvbuf = ENG_RCVBUF, one = 1;
	int fd, err;

	fd = socket(addr->ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = -errno;
		log_error("cannot create a UDP socket for %s: %s", name, strerror(errno));
		return err;
	}
	/* A per-socket buffer (FORCE: above rmem_max when privileged), never a
	 * host-wide setting; and a count of replies dropped for lack of room. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one));
	/* Connected: the kernel filters other sources and reports ICMP errors. */
	if (connect(fd, (const struct sockaddr *)addr, len)) {
		err = -errno;
		log_error("cannot connect a UDP socket to %s: %s", name, strerror(errno));
		close(fd);
		return err;
	}
	return fd;
}

static int eng_fatal_io(struct engine *e, int which, const char *what, int err)
{
	if (err == -ECONNREFUSED)
		log_error("%s is unreachable: connection refused (ICMP port unreachable) - "
			  "is the server running?", e->fd_name[which]);
	else
		log_error("%s to %s failed: %s", what, e->fd_name[which], strerror(-err));
	return err;
}

static uint64_t eng_intended_ns(const struct engine *e, uint64_t index)
{
	if (copts_is_open_loop(e->o))
		return e->start_ns + lsched_offset_ns(index, e->o->rate_hz);
	return e->closed_next_ns;
}

static int eng_send_copy(struct engine *e, uint64_t index, uint8_t copy)
{
	int which = (copy == REQ_COPY_HEDGE && e->fd[1] >= 0) ? 1 : 0;
	ssize_t n;
	int len;

	len = proto_encode(e->proto, index, copy, e->txbuf, e->txcap);
	if (len < 0) {
		log_error("cannot encode request %llu: %s", (unsigned long long)index, strerror(-len));
		return len;
	}
	do
		n = send(e->fd[which], e->txbuf, (size_t)len, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return eng_fatal_io(e, which, copy ? "sending a hedge" : "sending a request", -errno);
	return 0;
}

static int eng_ivlogs_start(struct engine *e, uint64_t now)
{
	double wall_s = (double)time_real_ns() / 1e9;
	int err;

	err = ivlog_init(&e->res->latency, now, wall_s, ENG_INTERVAL);
	if (!err && copts_is_open_loop(e->o))
		err = ivlog_init(&e->res->uncorrected, now, wall_s, ENG_INTERVAL);
	if (err) {
		log_error("cannot set up the latency histograms: %s", strerror(-err));
		return err;
	}
	e->res->stats.measure_start_ns = now;
	return 0;
}

static void eng_finish(struct engine *e, uint64_t now)
{
	if (copts_is_open_loop(e->o) && e->inflight == e->max_inflight)
		e->window_free_ns = now;
	e->inflight--;
	e->finished++;
	e->closed_next_ns = now + e->o->think_ns;
}

/* Closed loop: from the actual send. Open loop: from the intended send
 * (coordinated-omission corrected), and from the actual send on the side. */
static int eng_record(struct engine *e, const struct req *r, uint64_t now)
{
	bool open = copts_is_open_loop(e->o);
	uint64_t from = open ? r->intended_ns : r->actual_ns;
	int err;

	err = ivlog_record(&e->res->latency, now, (int64_t)(r->reply_ns - from));
	if (!err && open)
		err = ivlog_record(&e->res->uncorrected, now, (int64_t)(r->reply_ns - r->actual_ns));
	if (err)
		log_error("cannot record a latency: %s", strerror(-err));
	return err;
}

static int eng_on_reply(struct engine *e, unsigned int which, const uint8_t *buf, size_t len,
			uint64_t now)
{
	struct eng_stats *st = &e->res->stats;
	const struct req *found = NULL;
	struct proto_reply rx = { 0 };
	uint64_t index = 0;
	uint8_t copy = 0;
	struct req *r;
	bool measured;

	switch (proto_receive(e->proto, buf, len, which, &rx)) {
	case PROTO_RX_PARTIAL:
		return 0;
	case PROTO_RX_REPLY:
		index = rx.index;
		copy = rx.copy;
		found = &e->res->reqs[index];
		break;
	default:
		break;
	}
	switch (wire_classify(found, copy)) {
	case WIRE_ANSWER:
		r = &e->res->reqs[index];
		measured = !lsched_is_warmup(e->o->warmup, index);
		r->state = REQ_ANSWERED;
		r->reply_ns = now;
		r->winner = copy;
		eng_finish(e, now);
		if (!measured)
			return 0;
		st->answered++;
		if (rx.error)
			st->error_answers++;
		if (copy == REQ_COPY_HEDGE)
			st->hedge_wins++;
		return eng_record(e, r, now);
	case WIRE_DUPLICATE:
		r = &e->res->reqs[index];
		r->duplicate_seen = 1;
		if (!lsched_is_warmup(e->o->warmup, index))
			st->duplicates++;
		return 0;
	case WIRE_LATE:
		st->late++;
		return 0;
	default:
		st->foreign++;
		log_debug("ignored a reply that matches no request of this run (%zu bytes)", len);
		return 0;
	}
}

/* SO_RXQ_OVFL: the socket's cumulative drop count rides on each datagram. */
static void eng_note_drops(struct engine *e, int which, struct msghdr *msg)
{
	struct cmsghdr *c;
	uint32_t drops;

	for (c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SO_RXQ_OVFL)
			continue;
		memcpy(&drops, CMSG_DATA(c), sizeof(drops));
		e->rx_drops[which] = drops;
		e->res->stats.rx_drops = e->rx_drops[0] + e->rx_drops[1];
	}
}

static int eng_drain(struct engine *e, int which)
{
	union {
		char buf[CMSG_SPACE(sizeof(uint32_t))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = e->rxbuf, .iov_len = sizeof(e->rxbuf) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;
	int err;

	for (;;) {
		msg.msg_control = ctl.buf;
		msg.msg_controllen = sizeof(ctl.buf);
		n = recvmsg(e->fd[which], &msg, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			if (errno == EINTR)
				continue;
			return eng_fatal_io(e, which, "receiving", -errno);
		}
		eng_note_drops(e, which, &msg);
		err = eng_on_reply(e, (unsigned int)which, e->rxbuf, (size_t)n, time_mono_ns());
		if (err)
			return err;
	}
}

static void eng_timeouts(struct engine *e, uint64_t now)
{
	struct req *r;

	for (; e->done_cur < e->next_send; e->done_cur++) {
		r = &e->res->reqs[e->done_cur];
		if (r->state != REQ_INFLIGHT)
			continue;
		if (r->actual_ns + e->o->timeout_ns > now)
			break;
		r->state = REQ_TIMEDOUT;
		eng_finish(e, now);
		if (!lsched_is_warmup(e->o->warmup, e->done_cur))
			e->res->stats.timeouts++;
	}
}

static int eng_hedges(struct engine *e, uint64_t now)
{
	struct req *r;
	int err;

	if (e->o->mode != COPTS_MODE_APP)
		return 0;
	for (; e->hedge_cur < e->next_send; e->hedge_cur++) {
		r = &e->res->reqs[e->hedge_cur];
		if (r->state != REQ_INFLIGHT || r->hedge_sent)
			continue;
		if (r->actual_ns + e->o->hedge_delay_ns > now)
			break;
		r->hedge_ns = time_mono_ns();
		err = eng_send_copy(e, e->hedge_cur, REQ_COPY_HEDGE);
		if (err)
			return err;
		r->hedge_sent = 1;
		if (!lsched_is_warmup(e->o->warmup, e->hedge_cur))
			e->res->stats.hedges_sent++;
	}
	return 0;
}

static bool eng_may_send(const struct engine *e)
{
	if (e->next_send >= e->total)
		return false;
	if (copts_is_open_loop(e->o))
		return e->inflight < e->max_inflight;
	return e->inflight == 0;
}

static int eng_sends(struct engine *e, uint64_t now)
{
	struct eng_stats *st = &e->res->stats;
	uint64_t intended, lag;
	struct req *r;
	int err;

	while (eng_may_send(e) && (intended = eng_intended_ns(e, e->next_send)) <= now) {
		r = &e->res->reqs[e->next_send];
		if (e->next_send == e->o->warmup) {
			err = eng_ivlogs_start(e, now);
			if (err)
				return err;
		}
		r->intended_ns = intended;
		r->actual_ns = time_mono_ns();
		if (copts_is_open_loop(e->o)) {
			lag = lsched_sender_lag_ns(r->actual_ns, intended, e->window_free_ns);
			if (lag > st->max_sender_lag_ns)
				st->max_sender_lag_ns = lag;
			if (lag > e->o->max_lag_ns) {
				char behind[32];

				log_error("cannot sustain --rate %.0f/s on this machine: sending fell %s "
					  "behind schedule after %llu requests (limit --max-lag)",
					  e->o->rate_hz,
					  time_format_duration(lag, behind, sizeof(behind)),
					  (unsigned long long)e->next_send);
				return -EOVERFLOW;
			}
		}
		err = eng_send_copy(e, e->next_send, REQ_COPY_PRIMARY);
		if (err)
			return err;
		r->state = REQ_INFLIGHT;
		if (!lsched_is_warmup(e->o->warmup, e->next_send))
			hist_record(e->res->sched_error, (int64_t)(r->actual_ns - intended));
		e->inflight++;
		e->next_send++;
		now = r->actual_ns;
	}
	return 0;
}

/* The earliest moment something is due; UINT64_MAX if nothing is. */
static uint64_t eng_next_deadline(struct engine *e)
{
	uint64_t next = UINT64_MAX, t;
	const struct req *r;

	if (eng_may_send(e))
		next = eng_intended_ns(e, e->next_send);
	while (e->done_cur < e->next_send && e->res->reqs[e->done_cur].state != REQ_INFLIGHT)
		e->done_cur++;
	if (e->done_cur < e->next_send) {
		t = e->res->reqs[e->done_cur].actual_ns + e->o->timeout_ns;
		next = t < next ? t : next;
	}
	if (e->o->mode == COPTS_MODE_APP) {
		while (e->hedge_cur < e->next_send &&
		       ((r = &e->res->reqs[e->hedge_cur])->state != REQ_INFLIGHT || r->hedge_sent))
			e->hedge_cur++;
		if (e->hedge_cur < e->next_send) {
			t = e->res->reqs[e->hedge_cur].actual_ns + e->o->hedge_delay_ns;
			next = t < next ? t : next;
		}
	}
	return next;
}

static int eng_arm(struct engine *e, uint64_t at)
{
	struct itimerspec its = {
		.it_value = { .tv_sec = (time_t)(at / NSEC_PER_SEC), .tv_nsec = (long)(at % NSEC_PER_SEC) },
	};

	if (at == e->armed_ns)
		return 0;
	if (timerfd_settime(e->tfd, TFD_TIMER_ABSTIME, &its, NULL))
		return -errno;
	e->armed_ns = at;
	return 0;
}

static int eng_setup(struct engine *e, const struct copts *o, uint32_t tag, struct eng_result *res)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct proto_params pp = {
		.kind = o->proto, .total = copts_total(o), .tag = tag, .first_id = o->first_id,
		.size = o->size, .keys = o->keys, .zone = o->zone, .key_prefix = o->key_prefix,
	};
	int err;

	memset(res, 0, sizeof(*res));
	e->o = o;
	e->res = res;
	e->tag = tag;
	e->fd[0] = e->fd[1] = e->tfd = e->epfd = -1;
	e->fd_name[0] = o->target_text;
	e->fd_name[1] = o->hedge_target_text;
	e->total = copts_total(o);
	e->max_inflight = o->max_inflight ? o->max_inflight : e->total;
	e->armed_ns = UINT64_MAX;
	res->total = e->total;
	res->reqs = calloc(e->total, sizeof(*res->reqs));
	res->sched_error = hist_new_default();
	e->txcap = proto_request_bytes(&pp);
	e->txbuf = calloc(1, e->txcap);
	err = proto_new(&pp, &e->proto);
	if (err == -EINVAL) {
		log_error("invalid %s protocol parameters", proto_kind_name(o->proto));
		return err;
	}
	if (!res->reqs || !res->sched_error || !e->txbuf || err) {
		log_error("out of memory for %llu requests", (unsigned long long)e->total);
		return -ENOMEM;
	}
	e->fd[0] = eng_socket(&o->target, o->target_len, o->target_text);
	if (e->fd[0] < 0)
		return e->fd[0];
	if (o->has_hedge_target) {
		e->fd[1] = eng_socket(&o->hedge_target, o->hedge_target_len, o->hedge_target_text);
		if (e->fd[1] < 0)
			return e->fd[1];
	}
	e->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	e->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (e->tfd < 0 || e->epfd < 0) {
		err = -errno;
		log_error("cannot create the timer or epoll instance: %s", strerror(errno));
		return err;
	}
	for (unsigned int i = 0; i <= ENG_EV_TIMER; i++) {
		int fd = i == ENG_EV_TIMER ? e->tfd : e->fd[i];

		if (fd < 0)
			continue;
		ev.data.u32 = i;
		if (epoll_ctl(e->epfd, EPOLL_CTL_ADD, fd, &ev)) {
			err = -errno;
			log_error("cannot add a descriptor to epoll: %s", strerror(errno));
			return err;
		}
	}
	/* 1 ns timer slack: hedges and sends fire when due, not 50 us later. */
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	progress_init(&e->progress, !o->quiet);
	return 0;
}

static void eng_teardown(struct engine *e)
{
	for (unsigned int i = 0; i < 2; i++)
		if (e->fd[i] >= 0)
			close(e->fd[i]);
	if (e->tfd >= 0)
		close(e->tfd);
	if (e->epfd >= 0)
		close(e->epfd);
	free(e->txbuf);
	if (e->proto)
		proto_get_counters(e->proto, &e->res->proto);
	proto_free(e->proto);
	progress_clear(&e->progress);
}

static int eng_loop(struct engine *e)
{
	struct epoll_event evs[4];
	uint64_t now, next, expirations;
	int n, timeout_ms, err;

	e->start_ns = e->closed_next_ns = time_mono_ns();
	e->res->stats.start_ns = e->start_ns;
	for (;;) {
		now = time_mono_ns();
		eng_timeouts(e, now);
		err = eng_hedges(e, now);
		if (!err)
			err = eng_sends(e, now);
		if (err)
			return err;
		if (e->finished == e->total)
			break;
		progress_update(&e->progress, now, e->finished, e->total,
				lsched_eta_ns(e->finished, e->total, now - e->start_ns,
					      e->o->rate_hz, e->o->timeout_ns));
		next = eng_next_deadline(e);
		timeout_ms = -1;
		if (next <= time_mono_ns()) {
			timeout_ms = 0;   /* already due: just collect what arrived */
		} else {
			err = eng_arm(e, next);
			if (err) {
				log_error("cannot arm the timer: %s", strerror(-err));
				return err;
			}
		}
		n = epoll_wait(e->epfd, evs, 4, timeout_ms);
		/* Back from a --gc-pause: collect what arrived during the pause
		 * before acting on deadlines that passed meanwhile, as a runtime
		 * would (no hedge for a reply already waiting in the socket). */
		if (n < 0 && errno == EINTR)
			n = epoll_wait(e->epfd, evs, 4, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			log_error("epoll_wait failed: %s", strerror(errno));
			return err;
		}
		for (int i = 0; i < n; i++) {
			if (evs[i].data.u32 == ENG_EV_TIMER) {
				if (read(e->tfd, &expirations, sizeof(expirations)) > 0)
					e->armed_ns = UINT64_MAX;
				continue;
			}
			err = eng_drain(e, (int)evs[i].data.u32);
			if (err)
				return err;
		}
	}
	e->res->stats.end_ns = time_mono_ns();
	return 0;
}

int eng_run(const struct copts *o, uint32_t tag, struct eng_result *res)
{
	struct engine *e;
	int err;

	/* The 64 KiB receive buffer makes the engine too big for the stack. */
	e = calloc(1, sizeof(*e));
	if (!e) {
		memset(res, 0, sizeof(*res));
		return -ENOMEM;
	}
	err = eng_setup(e, o, tag, res);
	if (err)
		goto cleanup;
	err = eng_loop(e);
	if (err)
		goto cleanup;
	err = ivlog_finish(&res->latency, res->stats.end_ns);
	if (!err && copts_is_open_loop(o))
		err = ivlog_finish(&res->uncorrected, res->stats.end_ns);
	if (err)
		log_error("cannot write the interval log: %s", strerror(-err));
cleanup:
	eng_teardown(e);
	free(e);
	return err;
}

void eng_result_free(struct eng_result *res)
{
	free(res->reqs);
	hist_free(res->sched_error);
	ivlog_free(&res->latency);
	ivlog_free(&res->uncorrected);
	memset(res, 0, sizeof(*res));
}
