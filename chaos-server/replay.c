#include "replay.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "fault.h"

#define REPLAY_MAX_ENTRIES (1U << 26)

struct replay_entry {
	uint32_t id;
	uint64_t expiry_ns;
};

struct replay {
	struct replay_entry *fifo;    /* ring in arrival order */
	uint32_t cap;                 /* max entries */
	uint32_t head;                /* oldest entry */
	uint32_t count;
	uint32_t *index;              /* fifo position + 1; 0 = empty slot */
	uint32_t index_mask;          /* index size - 1 (a power of two >= 2 * cap) */
	uint64_t ttl_ns;
	struct replay_stats stats;
	bool locked;
	pthread_mutex_t lock;
};

int replay_new(uint32_t max_entries, uint64_t ttl_ns, bool locked, struct replay **out)
{
	struct replay *r;
	uint32_t size = 2;

	if (max_entries == 0 || max_entries > REPLAY_MAX_ENTRIES)
		return -EINVAL;
	while (size < 2 * max_entries)
		size <<= 1;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->fifo = calloc(max_entries, sizeof(*r->fifo));
	r->index = calloc(size, sizeof(*r->index));
	if (!r->fifo || !r->index) {
		replay_free(r);
		return -ENOMEM;
	}
	r->cap = max_entries;
	r->index_mask = size - 1;
	r->ttl_ns = ttl_ns;
	r->locked = locked;
	if (locked)
		pthread_mutex_init(&r->lock, NULL);
	*out = r;
	return 0;
}

void replay_free(struct replay *r)
{
	if (!r)
		return;
	if (r->locked)
		pthread_mutex_destroy(&r->lock);
	free(r->fifo);
	free(r->index);
	free(r);
}

static uint32_t home_slot(const struct replay *r, uint32_t id)
{
	return (uint32_t)fault_hash64(id) & r->index_mask;
}

/* find_slot - the index slot holding @id, or the empty slot ending its probe run. */
static uint32_t find_slot(const struct replay *r, uint32_t id, bool *found)
{
	uint32_t i = home_slot(r, id);

	for (;;) {
		uint32_t pos = r->index[i];

		if (!pos) {
			*found = false;
			return i;
		}
		if (r->fifo[pos - 1].id == id) {
			*found = true;
			return i;
		}
		i = (i + 1) & r->index_mask;
	}
}

/* index_delete - backward-shift deletion keeps linear probing tombstone-free. */
static void index_delete(struct replay *r, uint32_t hole)
{
	uint32_t i = hole;

	for (;;) {
		uint32_t pos, home;

		i = (i + 1) & r->index_mask;
		pos = r->index[i];
		if (!pos)
			break;
		home = home_slot(r, r->fifo[pos - 1].id);
		/* move the entry back unless its home lies cyclically in (hole, i] */
		if (((i - home) & r->index_mask) >= ((i - hole) & r->index_mask)) {
			r->index[hole] = pos;
			hole = i;
		}
	}
	r->index[hole] = 0;
}

static void drop_oldest(struct replay *r)
{
	bool found;
	uint32_t slot = find_slot(r, r->fifo[r->head].id, &found);

	if (found)
		index_delete(r, slot);
	r->head = (r->head + 1) % r->cap;
	r->count--;
}

static void expire(struct replay *r, uint64_t now_ns)
{
	while (r->count && r->fifo[r->head].expiry_ns <= now_ns) {
		drop_oldest(r);
		r->stats.expired++;
	}
}

bool replay_seen(struct replay *r, uint32_t id, uint64_t now_ns)
{
	bool found;
	uint32_t slot, pos;

	if (r->locked)
		pthread_mutex_lock(&r->lock);
	expire(r, now_ns);
	slot = find_slot(r, id, &found);
	if (found) {
		r->stats.hits++;
		goto cleanup;
	}
	if (r->ttl_ns == 0)
		goto cleanup;   /* nothing is remembered */
	if (r->count == r->cap) {
		drop_oldest(r);
		r->stats.evictions++;
		slot = find_slot(r, id, &found);   /* the probe run may have shifted */
	}
	pos = (r->head + r->count) % r->cap;
	r->fifo[pos] = (struct replay_entry){ .id = id, .expiry_ns = now_ns + r->ttl_ns };
	r->index[slot] = pos + 1;
	r->count++;
	r->stats.inserts++;
cleanup:
	if (r->locked)
		pthread_mutex_unlock(&r->lock);
	return found;
}

uint32_t replay_count(struct replay *r, uint64_t now_ns)
{
	uint32_t n;

	if (r->locked)
		pthread_mutex_lock(&r->lock);
	expire(r, now_ns);
	n = r->count;
	if (r->locked)
		pthread_mutex_unlock(&r->lock);
	return n;
}

void replay_get_stats(struct replay *r, struct replay_stats *out)
{
	if (r->locked)
		pthread_mutex_lock(&r->lock);
	*out = r->stats;
	if (r->locked)
		pthread_mutex_unlock(&r->lock);
}
