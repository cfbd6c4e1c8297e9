/* test_bpf_endpoints: the endpoint table (endpoints.h), an array with open
 * addressing that the splitter and the reply filter probe inline.
 *   - eight services whose addresses hash to one slot all fit (the probe
 *     run is HEDGER_EP_PROBES long), and each is found by both programs: its
 *     request gets a slot with its own service index, its reply completes it;
 *   - a ninth is refused (-ENOSPC), a second copy of one too (-EEXIST);
 *   - a port with its bitmap bit and the same hash, but no endpoint, is not
 *     ours (the lookup stops after the run);
 *   - a run that starts at the table's last slot goes on at slot 0;
 *   - a replica's address is no service: a request to it is not hedged.
 * The colliding endpoints differ in port only (TB_SERVER4), found by hashing. */
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>

#include "bpf_harness.h"
#include "endpoints_add.h"
#include "service_ports.h"

#define FIRST_INDEX 10	/* service indexes of the test's services: 10.. */

static struct hedger_endpoint server4_ep(uint16_t port, uint8_t kind, uint32_t svc)
{
	uint8_t a[4];

	inet_pton(AF_INET, TB_SERVER4, a);
	return endpoint_make(4, a, htons(port), kind, svc, kind == HEDGER_EP_REPLICA ? 1 : 0);
}

static bool slot_empty(struct tb *t, uint32_t k)
{
	struct hedger_endpoint e;

	return !bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.endpoints), &k, &e) &&
	       e.kind == HEDGER_EP_EMPTY;
}

/* colliding_ports - @n ports (not TB_PORT) of TB_SERVER4 whose probe runs
 * start at one slot, with @n slots from it still empty (or, @want_last, at
 * the table's last slot); the slot, or -1. */
static int colliding_ports(struct tb *t, uint16_t *ports, int n, bool want_last)
{
	static uint16_t seen[HEDGER_EP_SLOTS][16];
	static uint8_t count[HEDGER_EP_SLOTS];

	memset(count, 0, sizeof(count));
	for (uint32_t port = 1024; port < 65536; port++) {
		struct hedger_endpoint e = server4_ep((uint16_t)port, HEDGER_EP_SERVICE, 0);
		uint32_t f = endpoint_first_slot(&e);
		bool free_run = true;

		if (port == TB_PORT || count[f] >= 16 || (want_last && f != HEDGER_EP_SLOTS - 1))
			continue;
		seen[f][count[f]++] = (uint16_t)port;
		if (count[f] < n)
			continue;
		for (int i = 0; i < n; i++)
			free_run = free_run && slot_empty(t, (f + i) & (HEDGER_EP_SLOTS - 1));
		if (!free_run)
			continue;
		memcpy(ports, seen[f], (size_t)n * sizeof(*ports));
		return (int)f;
	}
	return -1;
}

/* run_port - a request to TB_SERVER4:@port with id @id through the splitter,
 * or (@reply) its reply from there through the reply filter; the verdict. */
static int run_port(struct tb *t, uint16_t port, uint64_t id, bool reply, struct tb_pkt *p)
{
	struct tb_spec s = { .family = 4, .reply = reply };
	uint8_t pl[32];
	int ret = 0;

	if (reply)
		s.sport = port;
	else
		s.dport = port;
	s.payload = pl;
	s.payload_len = tb_payload_id(pl, sizeof(pl), 0, 4, false, id);
	tb_build(p, &s);
	if (tb_run(t, reply ? t->skel->progs.hedger_reply_filter : t->skel->progs.hedger_splitter,
		   p, 0, &ret, NULL))
		return -999;
	return ret;
}

static void probe_run(void)
{
	struct tb_cfg cfg = { .backend = HEDGER_BACKEND_RECIRC };
	uint16_t ports[HEDGER_EP_PROBES + 1];
	const int n = HEDGER_EP_PROBES + 1;
	struct hedger_endpoint e;
	struct hedger_sb_slot v;
	struct tb_pkt p;
	struct tb t;
	int fd, first;

	if (tb_open(&t, &cfg)) {
		CHECK(0, "probe run: tb_open failed");
		return;
	}
	fd = bpf_map__fd(t.skel->maps.endpoints);
	first = colliding_ports(&t, ports, n, false);
	CHECK(first >= 0, "probe run: no %d ports of one slot", n);
	if (first < 0)
		goto out;
	for (int i = 0; i < n; i++)
		CHECK_EQ(service_ports_add(bpf_map__fd(t.skel->maps.service_ports), htons(ports[i])),
			 0, "probe run: port bit");
	for (int i = 0; i < HEDGER_EP_PROBES; i++) {
		e = server4_ep(ports[i], HEDGER_EP_SERVICE, FIRST_INDEX + (uint32_t)i);
		CHECK(endpoints_add(fd, &e) == 0, "probe run: endpoint %d of one slot refused", i);
	}
	e = server4_ep(ports[HEDGER_EP_PROBES], HEDGER_EP_SERVICE, FIRST_INDEX + HEDGER_EP_PROBES);
	CHECK_EQ(endpoints_add(fd, &e), -ENOSPC, "probe run: one more than the run");
	e = server4_ep(ports[0], HEDGER_EP_SERVICE, 63);
	CHECK_EQ(endpoints_add(fd, &e), -EEXIST, "probe run: the same endpoint twice");

	for (int i = 0; i < HEDGER_EP_PROBES; i++) {
		uint64_t id = 1000 + (uint64_t)i;

		tb_reset_counters(&t);
		CHECK(run_port(&t, ports[i], id, false, &p) == TB_ACT_UNSPEC, "request %d: verdict", i);
		CHECK(tb_counter(&t, HC_REQUESTS) == 1, "request %d (probe %d): not a request", i, i);
		if (tb_slot_of(&t, &p, false, &v)) {
			CHECK(0, "request %d: no scoreboard slot", i);
			continue;
		}
		CHECK(v.service == FIRST_INDEX + (uint32_t)i, "request %d: service %u", i, v.service);
		CHECK(run_port(&t, ports[i], id, true, &p) == TB_ACT_UNSPEC, "reply %d: verdict", i);
		CHECK(!tb_slot_of(&t, &p, true, &v) &&
		      HEDGER_CTL_STATE(v.ctl) == HEDGER_ST_COMPLETED,
		      "reply %d (probe %d): does not complete its request", i, i);
	}
	tb_reset_counters(&t);
	CHECK_EQ(run_port(&t, ports[HEDGER_EP_PROBES], 2000, false, &p), TB_ACT_UNSPEC,
		 "no endpoint: verdict");
	CHECK_EQ(tb_counter(&t, HC_REQUESTS), 0, "no endpoint on a full run: not a request");
out:
	tb_close(&t);
}

static void wrap_and_replica(void)
{
	struct tb_cfg cfg = { .backend = HEDGER_BACKEND_RECIRC };
	struct hedger_endpoint e;
	uint16_t ports[3];
	struct hedger_sb_slot v;
	struct tb_pkt p;
	struct tb t;
	int fd;

	if (tb_open(&t, &cfg)) {
		CHECK(0, "wrap: tb_open failed");
		return;
	}
	fd = bpf_map__fd(t.skel->maps.endpoints);
	if (colliding_ports(&t, ports, 3, true) < 0) {
		CHECK(0, "wrap: no 3 ports of the last slot");
		goto out;
	}
	for (int i = 0; i < 3; i++)
		service_ports_add(bpf_map__fd(t.skel->maps.service_ports), htons(ports[i]));
	e = server4_ep(ports[0], HEDGER_EP_SERVICE, FIRST_INDEX);
	CHECK_EQ(endpoints_add(fd, &e), 0, "wrap: the last slot");
	e = server4_ep(ports[1], HEDGER_EP_SERVICE, FIRST_INDEX + 1);
	CHECK_EQ(endpoints_add(fd, &e), 0, "wrap: slot 0");
	CHECK(!slot_empty(&t, 0), "wrap: the second endpoint is not in slot 0");
	e = server4_ep(ports[2], HEDGER_EP_REPLICA, FIRST_INDEX);
	CHECK_EQ(endpoints_add(fd, &e), 0, "wrap: a replica in slot 1");

	CHECK_EQ(run_port(&t, ports[1], 3000, false, &p), TB_ACT_UNSPEC, "wrap: verdict");
	CHECK_EQ(tb_counter(&t, HC_REQUESTS), 1, "wrap: a request past the table's end");
	CHECK(!tb_slot_of(&t, &p, false, &v) && v.service == FIRST_INDEX + 1,
	      "wrap: not its service");
	tb_reset_counters(&t);
	CHECK_EQ(run_port(&t, ports[2], 3001, false, &p), TB_ACT_UNSPEC, "replica: verdict");
	CHECK_EQ(tb_counter(&t, HC_REQUESTS), 0, "a request to a replica's address is hedged");
out:
	tb_close(&t);
}

int main(void)
{
	tb_require();
	probe_run();
	wrap_and_replica();
	return check_done("bpf_endpoints");
}
