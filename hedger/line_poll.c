/* line_poll.c: --line-poll's heartbeat and poll packet (line_poll.h). */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "line_poll.h"
#include "log.h"
#include "timeutil.h"

#define POLL_FRAME_LEN 60	/* the shortest Ethernet frame without its FCS */

/* send_poll_packet - one frame of EtherType HEDGER_ETH_P_POLL out of @ifindex. */
static int send_poll_packet(int ifindex)
{
	struct sockaddr_ll to;
	uint8_t frame[POLL_FRAME_LEN];
	uint16_t type = htons(HEDGER_ETH_P_POLL);
	int fd, err = 0;

	/* Protocol 0: this socket sends only, it receives nothing. */
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memset(frame, 0, sizeof(frame));
	memset(frame, 0xff, ETH_ALEN);		/* broadcast: b takes it whatever its address */
	frame[ETH_ALEN] = 0x02;			/* a locally administered source */
	memcpy(frame + 2 * ETH_ALEN, &type, sizeof(type));
	memset(&to, 0, sizeof(to));
	to.sll_family = AF_PACKET;
	to.sll_ifindex = ifindex;
	to.sll_protocol = type;
	if (sendto(fd, frame, sizeof(frame), 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		err = -errno;
	close(fd);
	return err;
}

int line_poll_start(struct line_poll *lp, int map_fd, int a_ifindex)
{
	void *m;
	int err;

	memset(lp, 0, sizeof(*lp));
	lp->a_ifindex = a_ifindex;
	lp->shared_len = (size_t)sysconf(_SC_PAGESIZE);
	m = mmap(NULL, lp->shared_len, PROT_READ | PROT_WRITE, MAP_SHARED, map_fd, 0);
	if (m == MAP_FAILED) {
		err = -errno;
		log_error("--line-poll: cannot map the line_poll map: %s", strerror(-err));
		return err;
	}
	lp->shared = m;
	lp->shared->heartbeat_ns = time_mono_ns();	/* before the packet's first round */
	err = send_poll_packet(a_ifindex);
	if (err) {
		log_error("--line-poll: cannot send the poll packet: %s", strerror(-err));
		return err;
	}
	lp->next_check_ns = time_mono_ns() + HEDGER_LINE_POLL_STALE_NS / 2;
	return 0;
}

int line_poll_beat(struct line_poll *lp)
{
	uint64_t now = time_mono_ns(), rounds;
	int err;

	if (!lp->shared)
		return 0;
	lp->shared->heartbeat_ns = now;
	if (now < lp->next_check_ns)
		return 0;
	lp->next_check_ns = now + HEDGER_LINE_POLL_STALE_NS / 2;
	rounds = lp->shared->rounds;
	if (rounds != lp->last_rounds) {
		lp->last_rounds = rounds;
		return 0;
	}
	err = send_poll_packet(lp->a_ifindex);	/* lost: start another */
	if (err)
		return err;
	lp->restarts++;
	return 1;
}

void line_poll_stop(struct line_poll *lp)
{
	if (!lp->shared)
		return;
	lp->shared->stop = 1;
	munmap((void *)lp->shared, lp->shared_len);
	lp->shared = NULL;
}
