/* Unit test: load-shape arithmetic (ids, open-loop schedule, sender lag, ETA). */
#include <errno.h>
#include <stdint.h>

#include "check.h"
#include "loadsched.h"

static void test_ids(void)
{
	uint64_t index = 99;

	/* Warm-up ids come first, measured ids follow: same ids for every arm. */
	CHECK(lsched_id(0, 0) == 0, "first warm-up id");
	CHECK(lsched_id(0, 200) == 200, "first measured id with --warmup 200");
	CHECK(lsched_id(1000, 5) == 1005, "--first-id offset");
	CHECK(lsched_is_warmup(200, 199) && !lsched_is_warmup(200, 200), "warm-up boundary");
	CHECK(!lsched_is_warmup(0, 0), "no warm-up");

	CHECK(lsched_index(100, 50, 100, &index) == 0 && index == 0, "index of first id");
	CHECK(lsched_index(100, 50, 149, &index) == 0 && index == 49, "index of last id");
	CHECK(lsched_index(100, 50, 150, &index) == -ERANGE, "id past the run");
	CHECK(lsched_index(100, 50, 99, &index) == -ERANGE, "id before the run");
	CHECK(lsched_index(UINT32_MAX, 1, UINT32_MAX, &index) == 0 && index == 0, "top of id space");
	CHECK(lsched_index(0, 1ULL << 32, UINT32_MAX, &index) == 0 && index == UINT32_MAX,
	      "whole id space");
}

static void test_schedule(void)
{
	uint64_t prev = 0, t;

	CHECK(lsched_offset_ns(0, 1000) == 0, "first request at the start");
	CHECK(lsched_offset_ns(1, 1000) == 1000000, "1 ms period at 1000/s");
	CHECK(lsched_offset_ns(1000, 1000) == 1000000000ULL, "request 1000 at 1 s");
	/* No drift: request 10M at 3/s is at exactly 10M/3 s (floored to ns). */
	CHECK(lsched_offset_ns(10000000, 3) == 3333333333333333ULL, "no drift at 3/s: %llu",
	      (unsigned long long)lsched_offset_ns(10000000, 3));
	/* 7/s has a non-integer period (142857142.857 ns): gaps are 142857142 or
	 * 142857143 ns, and never accumulate an error. */
	for (uint64_t i = 1; i <= 100000; i++) {
		t = lsched_offset_ns(i, 7);
		CHECK(t - prev == 142857142 || t - prev == 142857143, "gap %llu at %llu",
		      (unsigned long long)(t - prev), (unsigned long long)i);
		prev = t;
	}
	CHECK(lsched_offset_ns(700000, 7) == 100000000000000ULL, "7/s after 700000 requests");
	/* Fractional rates: 0.5/s is one request every 2 s. */
	CHECK(lsched_offset_ns(3, 0.5) == 6000000000ULL, "0.5/s");
}

static void test_lag(void)
{
	/* On time or early: no lag. */
	CHECK(lsched_sender_lag_ns(100, 100, 0) == 0, "on time");
	CHECK(lsched_sender_lag_ns(90, 100, 0) == 0, "early");
	/* Late by the CPU: counted from the intended time. */
	CHECK(lsched_sender_lag_ns(150, 100, 0) == 50, "late by 50");
	/* Held back by a full window until 140: counted from 140 only. */
	CHECK(lsched_sender_lag_ns(150, 100, 140) == 10, "window freed at 140");
	CHECK(lsched_sender_lag_ns(150, 100, 160) == 0, "window freed after the send?");
}

static void test_eta(void)
{
	/* Closed loop: from the pace so far. */
	CHECK(lsched_eta_ns(0, 100, 5, 0, 1000) == 0, "unknown before the first reply");
	CHECK(lsched_eta_ns(25, 100, 1000, 0, 1000) == 3000, "25%% done in 1000 ns");
	CHECK(lsched_eta_ns(100, 100, 1000, 0, 1000) == 0, "done");
	/* Open loop: the schedule's end plus one timeout. 100 at 1000/s: last
	 * send at 99 ms, + 1 s timeout. */
	CHECK(lsched_eta_ns(10, 100, 9000000, 1000, 1000000000) == 99000000 + 1000000000 - 9000000,
	      "open loop ETA");
}

int main(void)
{
	test_ids();
	test_schedule();
	test_lag();
	test_eta();
	return check_done("test_loadsched");
}
