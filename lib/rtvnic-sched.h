/*
 * Copyright (c) 2026 RTvNIC authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at:
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS,
 * WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 * See the License for the specific language governing permissions and
 * limitations under the License.
 */

#ifndef RTVNIC_SCHED_H
#define RTVNIC_SCHED_H 1

/* The EDF egress scheduler of one RTvNIC egress port.
 *
 * Contract
 * ========
 *
 * Packets handed to rtvnic_sched_enqueue() leave through
 * rtvnic_sched_dequeue() in the order below, paced so that the bytes released
 * never exceed 'max-rate' (plus at most RTVNIC_PACER_SLACK_NS worth of
 * catch-up after the releasing thread was late to wake).
 *
 *   - A packet's absolute deadline is its arrival time plus a relative
 *     deadline: its source's effective deadline for an admitted source and
 *     for a source that asked for no bandwidth (deadline without min-rate,
 *     own_deadline); the egress's default deadline for best effort (no
 *     source, or a source that admission control refused).
 *
 *   - Per-source order: the packets of one source leave (or are dropped) in
 *     the order they were enqueued.  Each source has a FIFO; only its head
 *     competes for the link.
 *
 *   - Each admitted source has a token bucket (min-rate, burst) that
 *     classifies each of its packets on arrival: "conforming" if within it,
 *     else "excess".  Best-effort packets are excess too.  A conforming head
 *     is served, in EDF order, strictly before any excess one; excess heads
 *     and best effort share the leftover capacity in EDF order.  Admission
 *     control guarantees that conforming traffic alone never overloads the
 *     link, so excess traffic is not starved.  A source that exceeds its
 *     bucket delays its own later packets, never another source's.
 *
 *   - Overdue behind on time: when the link is free, a head whose deadline
 *     has passed is taken out of on-time service: dropped under late-policy
 *     "drop", otherwise a conforming head goes to the overdue-conforming
 *     queue, served (in EDF order) after on-time conforming heads and before
 *     any excess, and any other head to the late queue, served only when no
 *     other packet is queued.  An excess head of a class with a token bucket
 *     that holds its bytes by then is taken from the bucket and counts as
 *     conforming (coverage "rtvnic_sched_overdue_promoted"): it was excess
 *     only for arriving in a burst, and in the late queue it would hold its
 *     whole class behind best effort; a class that keeps exceeding its rate
 *     finds the bucket empty.  So no conforming packet that can still meet
 *     its deadline waits behind one that has missed its own, and excess
 *     traffic never holds a conforming packet: admission bounds conforming
 *     traffic, so an overdue conforming packet is one the host delayed (the
 *     releasing thread woke late, a CPU stall), and behind excess it would
 *     hold its whole source (per-source order) for as long as best effort
 *     saturates the link.  Best effort belongs to no source, so this is
 *     where its order may change: a best-effort packet found overdue goes
 *     after best effort that arrived later and is still on time.
 *
 *   - Queue classes: a packet of no source known here whose skb_priority
 *     ("set_queue:N" in the userspace datapath) names a queue class of the
 *     egress is that class's packet: the class's deadline, token bucket and
 *     per-class FIFO, exactly as for a source.  A packet of a source known
 *     here keeps its source's treatment whatever its skb_priority.  One
 *     whose skb_priority names no queue class is best effort and counted
 *     ("no_queue", coverage "rtvnic_sched_no_queue").
 *
 *   - Stamped transit traffic: with 'stamp-rate', a best-effort packet (of
 *     no source known here and no queue class) that carries an RTvNIC stamp
 *     (rtvnic_stamp_peek(): a switch between RTvNIC hosts forwards it) gets
 *     the stamp's deadline instead of the default deadline, if earlier,
 *     while a token bucket of 'stamp-rate' (depth RTVNIC_STAMP_BURST_NS at
 *     that rate, at least RTVNIC_STAMP_MIN_BURST_BYTES) holds its bytes and
 *     those of the packets that the queue limit then pushes out for it, and
 *     pays the larger of the two ("stamped", coverage
 *     "rtvnic_sched_stamped"); otherwise it is best effort
 *     ("stamp_over_rate", coverage "rtvnic_sched_stamp_over_rate").
 *     It stays excess: a stamp reorders traffic that nothing guarantees and
 *     never takes a conforming class's capacity, and the bucket bounds how
 *     much a forged stamp can put ahead of, or push out, other traffic.
 *     Under late-policy "send" a stamped packet found overdue is best
 *     effort again, with the default deadline from its arrival (coverage
 *     "rtvnic_sched_stamp_overdue"), not late.
 *
 *   - Equal quantised deadlines (rtvnic-edf.h) are served first come, first
 *     served; best effort, having one relative deadline, leaves in arrival
 *     order.
 *
 *   - When the queue limit would be exceeded, the queued packet with the
 *     latest deadline among those not guaranteed (excess, best effort and
 *     overdue) is dropped, or the arriving packet if it is not guaranteed
 *     and its deadline is no earlier; conforming packets are dropped only
 *     when no other packet is left, again latest deadline first.  Finding
 *     the victim scans the sources that have packets queued behind their
 *     head.
 *
 *   - A packet released after its absolute deadline is counted as late; it is
 *     sent unless the late policy is "drop".
 *
 *   - Every packet is accounted exactly once: enqueued = sent + dropped +
 *     late-dropped + queued.  Packets still queued when the scheduler is
 *     destroyed are freed and counted in the coverage counter
 *     "rtvnic_sched_freed"; queue-full and late drops have coverage
 *     counters too.
 *
 * Bytes are counted as OVS transmits them: the Ethernet frame including any
 * encapsulation, without FCS and preamble.  Times are OVS monotonic time in
 * nanoseconds (so that "time/warp" drives the scheduler in tests).
 *
 * Thread safety: all functions may be called from any thread; each holds the
 * scheduler's mutex only for its own work.  Transmitting in EDF order needs
 * more: a thread that releases and then transmits holds the egress's release
 * token (rtvnic_sched_release_begin()) across dequeue and transmit; a thread
 * that does not get it skips the egress, so threads that poll the same
 * egress never wait for each other, and enqueue never waits for a
 * transmit. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "openvswitch/compiler.h"

struct dp_packet_batch;
struct rtvnic_config;
struct rtvnic_sched;
struct rtvnic_trace;

#define RTVNIC_PACER_SLACK_NS (UINT64_C(1000) * 1000)

/* The depth of the stamp-rate bucket, as time at that rate, and at least
 * one jumbo frame. */
#define RTVNIC_STAMP_BURST_NS (UINT64_C(10) * 1000 * 1000)
#define RTVNIC_STAMP_MIN_BURST_BYTES UINT64_C(9018)

struct rtvnic_sched_stats {
    uint64_t queued_packets;
    uint64_t queued_bytes;
    uint64_t enqueued;          /* Packets offered to the scheduler. */
    uint64_t sent_packets;
    uint64_t sent_bytes;
    uint64_t dropped;           /* Dropped because the queue was full. */
    uint64_t late;              /* Released after their deadline. */
    uint64_t late_dropped;      /* Late and dropped (late-policy=drop). */
    uint64_t clamped;           /* Deadlines outside the EDF window. */
    uint64_t no_queue;          /* Named a queue the egress does not have. */
    uint64_t stamped;           /* Best effort scheduled by its stamp. */
    uint64_t stamp_over_rate;   /* Stamped, beyond stamp-rate. */
};

struct rtvnic_source_stats {
    uint64_t conforming;        /* Packets within the token bucket. */
    uint64_t excess;            /* Packets beyond it, or best effort. */
    uint64_t sent_packets;
    uint64_t sent_bytes;
    uint64_t late;
    uint64_t dropped;           /* Queue-full and late drops. */
};

struct rtvnic_sched *rtvnic_sched_create(const struct rtvnic_config *);
void rtvnic_sched_destroy(struct rtvnic_sched *);
void rtvnic_sched_reconfigure(struct rtvnic_sched *,
                              const struct rtvnic_config *);
void rtvnic_sched_set_source(struct rtvnic_sched *, uint16_t source_id,
                             bool guaranteed, bool own_deadline,
                             uint64_t min_rate_bps, uint64_t burst_bits);
void rtvnic_sched_remove_source(struct rtvnic_sched *, uint16_t source_id);
bool rtvnic_sched_set_queue(struct rtvnic_sched *, uint32_t queue_id,
                            uint64_t deadline_ns, bool guaranteed,
                            bool own_deadline, uint64_t min_rate_bps,
                            uint64_t burst_bits);
void rtvnic_sched_remove_queue(struct rtvnic_sched *, uint32_t queue_id);

void rtvnic_sched_enqueue(struct rtvnic_sched *, struct dp_packet_batch *,
                          uint64_t now_ns);
size_t rtvnic_sched_dequeue(struct rtvnic_sched *, uint64_t now_ns,
                            struct dp_packet_batch *);
uint64_t rtvnic_sched_next_release(struct rtvnic_sched *);
bool rtvnic_sched_release_begin(struct rtvnic_sched *);
void rtvnic_sched_release_end(struct rtvnic_sched *);

void rtvnic_sched_trace_start(struct rtvnic_sched *, size_t capacity);
struct rtvnic_trace *rtvnic_sched_trace_stop(struct rtvnic_sched *);

void rtvnic_sched_get_stats(struct rtvnic_sched *,
                            struct rtvnic_sched_stats *);
bool rtvnic_sched_get_source_stats(struct rtvnic_sched *, uint16_t source_id,
                                   struct rtvnic_source_stats *);
bool rtvnic_sched_get_queue_stats(struct rtvnic_sched *, uint32_t queue_id,
                                  struct rtvnic_source_stats *);

#endif /* rtvnic-sched.h */
