/* test_bpf_race: the first reply is never dropped, whatever the rescuer does
 * at the same moment. Two threads on two CPUs run, for each of many fresh
 * requests, the rescuer on its clone and the reply filter on its reply at
 * once (released together from a spin barrier), so the rescuer's PENDING ->
 * HEDGED lands inside the reply filter's read-then-swap as often as the
 * machine allows. Whatever the order: the reply passes and completes the
 * request, and the clone leaves as a hedge only if the reply lost the race.
 * Skips (77) with fewer than two CPUs online. */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "bpf_harness.h"

#define ROUNDS 20000

static struct tb t;
static struct tb_pkt clone_pkt[2], reply_pkt[2];
static atomic_int round_go, done_rescuer;
static int rescuer_ret, reply_ret;
static uint32_t clone_mark;

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void *rescuer_thread(void *arg)
{
	pin(1);
	for (int r = 1; r <= ROUNDS; r++) {
		while (atomic_load(&round_go) < r)
			;
		tb_run(&t, t.skel->progs.hedger_rescuer, &clone_pkt[r & 1], clone_mark,
		       &rescuer_ret, NULL);
		atomic_store(&done_rescuer, r);
	}
	return arg;
}

int main(void)
{
	/* A large board: hedged slots wait for their second reply (never sent
	 * here) until stale, and a full bucket would take a request out of
	 * the race (counted, checked below). */
	struct tb_cfg cfg = { .backend = HEDGER_BACKEND_NETEM, .sb_size = 1 << 20 };
	uint64_t dropped = 0, hedged_late = 0, hedged = 0;
	pthread_t th;
	int ret = 0;

	tb_require();
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		printf("SKIP: needs two CPUs to race\n");
		return 77;
	}
	if (tb_open(&t, &cfg)) {
		CHECK(0, "tb_open");
		return check_done("test_bpf_race");
	}
	pin(0);
	pthread_create(&th, NULL, rescuer_thread, NULL);
	for (int r = 1; r <= ROUNDS; r++) {
		tb_build_id(&clone_pkt[r & 1], (uint64_t)r, false);
		tb_build_id(&reply_pkt[r & 1], (uint64_t)r, true);
		tb_run(&t, t.skel->progs.hedger_splitter, &clone_pkt[r & 1], 0, &ret, NULL);
		clone_mark = tb_clone_mark(&t, &clone_pkt[r & 1]);
		atomic_store(&round_go, r);
		tb_run(&t, t.skel->progs.hedger_reply_filter, &reply_pkt[r & 1], 0, &reply_ret,
		       NULL);
		while (atomic_load(&done_rescuer) < r)
			;
		if (reply_ret == TB_ACT_SHOT)
			dropped++;
		if (rescuer_ret == TB_ACT_REDIRECT) {
			hedged++;
			if (tb_state(&t, 4, (uint64_t)r) != HEDGER_ST_COMPLETED_HEDGED)
				hedged_late++;
		}
	}
	pthread_join(th, NULL);
	printf("%d rounds: %llu hedged before the reply, %llu first replies dropped\n", ROUNDS,
	       (unsigned long long)hedged, (unsigned long long)dropped);
	printf("counters: replies %llu, duplicates dropped %llu, unknown %llu, different %llu,"
	       " untrusted %llu, bucket full %llu\n",
	       (unsigned long long)tb_counter(&t, HC_REPLIES),
	       (unsigned long long)tb_counter(&t, HC_DUP_REPLIES_DROPPED),
	       (unsigned long long)tb_counter(&t, HC_REPLY_UNKNOWN),
	       (unsigned long long)tb_counter(&t, HC_REPLY_DIFFERENT),
	       (unsigned long long)tb_counter(&t, HC_REPLY_UNTRUSTED),
	       (unsigned long long)tb_counter(&t, HC_SB_FULL));
	CHECK_EQ(dropped, 0, "first replies dropped");
	CHECK_EQ(tb_counter(&t, HC_REPLIES) + tb_counter(&t, HC_SB_FULL), ROUNDS,
		 "every first reply completed its request (or its request found its bucket full)");
	CHECK_EQ(hedged_late, 0, "a hedge left only while its request was open");
	tb_close(&t);
	return check_done("test_bpf_race");
}
