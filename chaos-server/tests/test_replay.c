/* The replay memory: a hit within the TTL, none after it, a hard bound on
 * entries with the oldest evicted (and counted), and agreement with a simple
 * reference model under a random workload. */
#include <stdio.h>
#include <stdlib.h>

#include "replay.h"
#include "check.h"

static void test_ttl(void)
{
	struct replay *r;
	struct replay_stats st;

	CHECK(replay_new(16, 1000, false, &r) == 0, "new");
	CHECK(!replay_seen(r, 7, 0), "first sight is not a hit");
	CHECK(replay_seen(r, 7, 500), "repeat within TTL");
	CHECK(replay_seen(r, 7, 999), "repeat just before the TTL (no refresh needed)");
	CHECK(!replay_seen(r, 7, 1000), "repeat at the TTL is a first sight again");
	CHECK(replay_seen(r, 7, 1500), "re-recorded at 1000");
	CHECK(replay_count(r, 1999) == 1 && replay_count(r, 2000) == 0, "expiry on count");
	replay_get_stats(r, &st);
	CHECK(st.hits == 3 && st.inserts == 2 && st.expired == 2 && st.evictions == 0,
	      "stats hits %llu inserts %llu expired %llu", (unsigned long long)st.hits,
	      (unsigned long long)st.inserts, (unsigned long long)st.expired);
	replay_free(r);

	CHECK(replay_new(4, 0, false, &r) == 0, "new ttl 0");
	CHECK(!replay_seen(r, 1, 0) && !replay_seen(r, 1, 0), "TTL 0 remembers nothing");
	replay_free(r);
	CHECK(replay_new(0, 1, false, &r) != 0, "zero entries accepted");
}

static void test_bound(void)
{
	struct replay *r;
	struct replay_stats st;

	CHECK(replay_new(100, 1000000, true, &r) == 0, "new");
	for (uint32_t id = 0; id < 250; id++)
		replay_seen(r, id, id);
	CHECK(replay_count(r, 250) == 100, "count %u, want the bound 100", replay_count(r, 250));
	replay_get_stats(r, &st);
	CHECK(st.evictions == 150, "evictions %llu, want 150", (unsigned long long)st.evictions);
	/* the newest 100 survive, the oldest went first */
	for (uint32_t id = 150; id < 250; id++)
		CHECK(replay_seen(r, id, 300), "id %u evicted too early", id);
	CHECK(!replay_seen(r, 149, 300), "id 149 should have been evicted");
	replay_free(r);
}

/* reference: an array of (id, expiry) in arrival order, linear search */
struct ref { uint32_t id; uint64_t exp; };

static void test_random_model(void)
{
	enum { CAP = 64, OPS = 200000 };
	static struct ref model[OPS];
	size_t head = 0, tail = 0;
	struct replay *r;
	uint64_t now = 0, evict_model = 0;
	struct replay_stats st;

	CHECK(replay_new(CAP, 300, false, &r) == 0, "new");
	srandom(1);
	for (int op = 0; op < OPS; op++) {
		uint32_t id = (uint32_t)(random() % 200);
		bool want = false, got;

		now += (uint64_t)(random() % 7);
		while (head < tail && model[head].exp <= now)
			head++;
		for (size_t i = head; i < tail; i++)
			want |= model[i].id == id;
		got = replay_seen(r, id, now);
		if (got != want) {
			CHECK(0, "op %d id %u: got %d want %d", op, id, got, want);
			break;
		}
		if (!want) {
			if (tail - head == CAP) {
				head++;
				evict_model++;
			}
			model[tail++] = (struct ref){ id, now + 300 };
		}
	}
	replay_get_stats(r, &st);
	printf("random model: %llu hits, %llu evictions (model %llu)\n",
	       (unsigned long long)st.hits, (unsigned long long)st.evictions,
	       (unsigned long long)evict_model);
	CHECK(st.evictions == evict_model && evict_model > 0, "evictions differ from the model");
	replay_free(r);
}

int main(void)
{
	test_ttl();
	test_bound();
	test_random_model();
	return check_done("test_replay");
}
