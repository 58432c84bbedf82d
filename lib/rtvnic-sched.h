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
 * rtvnic_sched_dequeue() in earliest-absolute-deadline-first order, paced so
 * that the bytes released never exceed 'max-rate' (plus at most
 * RTVNIC_PACER_SLACK_NS worth of catch-up after the releasing thread was
 * late to wake).
 *
 *   - A packet's absolute deadline is its arrival time plus its source's
 *     effective deadline; best-effort packets (no source, or a source that
 *     admission control refused) get the egress's default deadline.
 *
 *   - Each admitted source has a token bucket (min-rate, burst).  Packets
 *     within it are "conforming" and are served, in EDF order, strictly
 *     before all others; the rest ("excess" and best effort) share the
 *     leftover capacity, in EDF order among themselves.  Admission control
 *     guarantees that conforming traffic alone never overloads the link, so
 *     best effort is not starved.
 *
 *   - When the queue limit would be exceeded, the packet with the latest
 *     deadline among the excess/best-effort packets (the arriving one
 *     included) is dropped; conforming packets are dropped only when no
 *     other packet is left, again latest deadline first.
 *
 *   - A packet released after its absolute deadline is counted as late; it is
 *     sent unless the late policy is "drop".
 *
 *   - Every packet is accounted exactly once: enqueued = sent + dropped +
 *     late-dropped + queued.
 *
 * Bytes are counted as OVS transmits them: the Ethernet frame including any
 * encapsulation, without FCS and preamble.  Times are OVS monotonic time in
 * nanoseconds (so that "time/warp" drives the scheduler in tests).
 *
 * Thread safety: all functions may be called from any thread.  Enqueue
 * blocks on the scheduler's mutex; dequeue only tries it, so threads that
 * poll the same egress never wait for each other. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "openvswitch/compiler.h"

struct dp_packet_batch;
struct rtvnic_config;
struct rtvnic_sched;
struct rtvnic_trace;

#define RTVNIC_PACER_SLACK_NS (UINT64_C(1000) * 1000)

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
                             bool guaranteed, uint64_t min_rate_bps,
                             uint64_t burst_bits);
void rtvnic_sched_remove_source(struct rtvnic_sched *, uint16_t source_id);

void rtvnic_sched_enqueue(struct rtvnic_sched *, struct dp_packet_batch *,
                          uint64_t now_ns);
size_t rtvnic_sched_dequeue(struct rtvnic_sched *, uint64_t now_ns,
                            struct dp_packet_batch *);
uint64_t rtvnic_sched_next_release(struct rtvnic_sched *);

void rtvnic_sched_trace_start(struct rtvnic_sched *, size_t capacity);
struct rtvnic_trace *rtvnic_sched_trace_stop(struct rtvnic_sched *);

void rtvnic_sched_get_stats(struct rtvnic_sched *,
                            struct rtvnic_sched_stats *);
bool rtvnic_sched_get_source_stats(struct rtvnic_sched *, uint16_t source_id,
                                   struct rtvnic_source_stats *);

#endif /* rtvnic-sched.h */
