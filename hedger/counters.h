/* counters.h: the hedger's per-CPU counters, listed once.
 * HEDGER_COUNTERS(X) expands X(ENUM, name, help) per counter; the BPF side
 * gets the enum (HC_<ENUM>), user space also the names (`hedger stats`,
 * Prometheus `hedger_<name>_total`) and the help texts (`# HELP`). A counter
 * added here appears everywhere; none can be added in one place only. */
#pragma once

#define HEDGER_COUNTERS(X)								\
	X(REQUESTS, "requests", "requests to a service seen by the splitter (local, in scope)") \
	X(CLONES, "clones", "clones parked in the delay line")				\
	X(CLONE_FAILED, "clone_failed", "clone or redirect into the delay line failed")	\
	X(NO_CLASS, "htb_no_free_class", "htb: no free class in the pool, request not hedged") \
	X(RETRANSMITS, "retransmits_not_cloned",					\
	  "same key and payload again while in flight: not cloned again")		\
	X(SKIP_NOT_REQUEST, "skipped_not_request",					\
	  "datagrams to a service the protocol profile does not hedge (not a query, not a read)") \
	X(KEY_AMBIGUOUS, "requests_same_key_other_payload",				\
	  "two requests in flight with one key and different payloads: neither hedged, every reply passed") \
	X(SB_FULL, "scoreboard_bucket_full",						\
	  "no free scoreboard slot in the request's bucket: not hedged, its replies pass") \
	X(SKIP_NOT_LOCAL, "skipped_not_local",						\
	  "egress packets to a service without a local socket (forwarded): never hedged") \
	X(SKIP_CGROUP, "skipped_other_cgroup",						\
	  "requests from outside the --cgroup scope: never hedged")			\
	X(HEDGES_RELEASED, "hedges_released", "clones the rescuer sent out as hedges")	\
	X(HEDGES_SENT, "hedges_sent",							\
	  "hedges seen leaving the client-side device (handed to the stack)")		\
	X(CLONE_DROPPED_REPLY_WON, "clones_dropped_reply_won",				\
	  "clones dropped because the reply had arrived")				\
	X(CLONE_STALE_GEN, "clones_stale_generation",					\
	  "clones whose scoreboard slot belongs to a newer request: dropped")		\
	X(CLONE_DROPPED_AMBIGUOUS, "clones_dropped_ambiguous",				\
	  "clones of a request that shares its key with another in flight: dropped")	\
	X(CLONE_ORPHANED, "clones_orphaned",						\
	  "clones whose request is no longer on the scoreboard (expired, or out of the line very late): dropped")	\
	X(DUMMIES_DROPPED, "htb_dummies_dropped", "htb dummies dropped by the rescuer")	\
	X(RECIRC_ROUNDS, "recirc_rounds", "passes round the line while a clone is held in BPF (recirc; htb with --htb-finish)") \
	X(LINE_PASSES, "htb_first_passes",						\
	  "htb with a size table: clones back from their first pass, sent into their class to wait") \
	X(GRID_ROUNDED, "htb_releases_on_grid",						\
	  "--release-grid: clones whose release was rounded up to the grid (dense requests)") \
	X(CARRIERS, "carriers", "--release-grid: carriers parked (one per CPU and grid step of dense requests)") \
	X(BATCHED, "requests_on_carrier",						\
	  "--release-grid: dense requests that ride their step's carrier instead of a clone of their own (counted in clones too)") \
	X(CARRIER_LOST, "carriers_lost",						\
	  "carriers out of the line after their batch was reused (more than the ring late): their requests not hedged") \
	X(BATCH_MISMATCH, "carrier_frames_refused",					\
	  "a carrier rewritten into a request's frame that did not parse to its slot's key and digest: not sent") \
	X(REPLIES, "replies", "first trusted replies (request completed)")		\
	X(DUP_REPLIES_DROPPED, "duplicate_replies_dropped",				\
	  "replies byte-identical to the one already passed: dropped")			\
	X(REPLY_DIFFERENT, "replies_different_passed",					\
	  "a further reply with other bytes than the one passed: passed, the application decides") \
	X(REPLY_UNTRUSTED, "replies_untrusted_passed",					\
	  "replies whose UDP checksum is missing or wrong: passed, complete nothing")	\
	X(REPLY_WRONG_REPLICA, "replies_wrong_replica_passed",				\
	  "replies from a replica the request's hedge did not go to: passed untouched")	\
	X(REPLY_FRAGMENT, "replies_fragment",						\
	  "first fragments of a reply that match a request: complete it, always passed") \
	X(REPLY_AMBIGUOUS, "replies_ambiguous_passed",					\
	  "replies to a key with two requests in flight: passed untouched")		\
	X(REPLY_NOT_REPLY, "skipped_not_reply",						\
	  "datagrams from a service the protocol profile does not take for a reply")	\
	X(REPLY_SEQ_UNTRACKED, "replies_datagram_untracked_passed",			\
	  "datagrams of a multi-datagram response beyond the tracked sequence numbers: passed") \
	X(REPLY_UNKNOWN, "replies_unknown_request",					\
	  "replies from a service with no request on the scoreboard: passed")		\
	X(SKIP_NOT_IP, "skipped_not_ip", "parser: not IPv4/IPv6 or truncated header")	\
	X(SKIP_NOT_UDP, "skipped_not_udp", "parser: other L4 protocol")			\
	X(SKIP_FRAGMENT, "skipped_fragment", "parser: a fragment that is not the first, or a fragmented request") \
	X(SKIP_IPV6_EXTHDR, "skipped_ipv6_exthdr",					\
	  "parser: IPv6 extension headers it does not walk (ESP, AH, too many)")	\
	X(SKIP_SHORT_PAYLOAD, "skipped_short_payload", "parser: payload shorter than the id window") \
	X(BUDGET_DENIED, "hedges_denied_budget", "clones dropped because the hedge budget was spent") \
	X(HEDGES_TO_REPLICA, "hedges_to_other_replica",					\
	  "hedges whose destination was rewritten to another replica")			\
	X(NAT_FAILED, "nat_failed", "replica rewrite or reverse NAT failed: packet dropped") \
	X(REPLIES_REVERSE_NAT, "replies_reverse_nat",					\
	  "replies from a hedge replica rewritten back to the service")			\
	X(ADAPTIVE_ARM_FAILED, "adaptive_timer_failed",					\
	  "the adaptive delay's bpf_timer could not be started")			\
	X(TIED_COPIES, "tied_copies", "tied mode: copies sent to other replicas with the original") \
	X(GSO_REQUEST, "requests_gso_not_hedged",					\
	  "GSO sends (UDP_SEGMENT: several datagrams in one skb) to a service: passed untouched, never hedged") \
	X(GRO_REPLY, "replies_merged_passed",						\
	  "merged replies (UDP GRO or GSO: several datagrams in one skb): passed untouched, complete nothing")

#define HEDGER_COUNTER_ENUM(e, name, help) HC_##e,
enum hedger_counter {
	HEDGER_COUNTERS(HEDGER_COUNTER_ENUM)
	HC_COUNT,
};
#undef HEDGER_COUNTER_ENUM
