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

#ifndef RTVNIC_PACKET_H
#define RTVNIC_PACKET_H 1

/* Per-packet RTvNIC state, embedded at the end of struct dp_packet.
 *
 * It lives outside 'struct pkt_metadata' on purpose: native tunnel push
 * re-initialises the metadata (in_port becomes the uplink), but these fields
 * survive it, so the EDF egress behind a tunnel still knows which vNIC a
 * packet came from and when.  dp_packet_clone*() copies them.
 *
 * All zero means "not stamped": a packet that did not enter through a port
 * of a userspace datapath (e.g. a packet-out) is scheduled as best effort
 * with the time it reaches the egress as its arrival. */

#include <stdint.h>
#include "rtvnic-edf.h"

/* 'orig_dscp' holds the DSCP of the packet as received, shifted left by 2,
 * with this bit set when it is known. */
#define RTVNIC_ORIG_DSCP_VALID 0x1

struct rtvnic_packet_meta {
    uint64_t arrival_ns;        /* OVS monotonic time of reception, ns. */

    /* CLOCK_REALTIME ns at which the kernel received the packet, set by a
     * receiving netdev that asks the kernel for it (lib/rtvnic-kernel-rx.h);
     * 0: none.  rtvnic_rx_stamp() turns it into 'arrival_ns' and clears
     * it. */
    uint64_t kernel_rx_ns;

    /* How long before 'arrival_ns' the kernel received the packet (0 if
     * unknown).  The packet's arrival is that time
     * (rtvnic_packet_arrival()): the wire stamp counts the wait as host
     * delay, and the egress scheduler's deadline and token bucket start
     * there. */
    uint64_t ingress_wait_ns;
    uint64_t rel_deadline_ns;   /* Source's effective deadline; 0: none. */
    uint32_t contract_deadline_us; /* Source's configured deadline. */
    uint16_t source_id;         /* RTvNIC source vNIC id; 0: best effort. */
    uint8_t orig_dscp;          /* See RTVNIC_ORIG_DSCP_VALID. */
    uint8_t sched_flags;        /* Owned by the egress scheduler. */

    /* Where a Geneve push put the wire stamp's departure field and the outer
     * UDP checksum, as distances from the end of the packet (so that outer
     * headers pushed later do not move them); 0 if there is none. */
    uint16_t stamp_tail;
    uint16_t csum_tail;

    /* Set by the egress scheduler on enqueue: the slot of the queue class
     * ("set_queue") the packet waits in there; 0: none. */
    uint16_t queue_slot;

    struct rtvnic_edf_node node; /* Position in an egress queue. */
};

static inline void
rtvnic_packet_meta_init(struct rtvnic_packet_meta *meta)
{
    meta->arrival_ns = 0;
    meta->kernel_rx_ns = 0;
    meta->ingress_wait_ns = 0;
    meta->rel_deadline_ns = 0;
    meta->contract_deadline_us = 0;
    meta->source_id = 0;
    meta->orig_dscp = 0;
    meta->sched_flags = 0;
    meta->stamp_tail = 0;
    meta->csum_tail = 0;
    meta->queue_slot = 0;
}

/* The time, OVS monotonic, at which the switch received the packet of
 * 'meta': when the kernel received it, where the port said
 * ('ingress_wait_ns'), else when the datapath read it; 'now_ns' if it has
 * no arrival time. */
static inline uint64_t
rtvnic_packet_arrival(const struct rtvnic_packet_meta *meta, uint64_t now_ns)
{
    if (!meta->arrival_ns) {
        return now_ns;
    }
    return (meta->ingress_wait_ns < meta->arrival_ns
            ? meta->arrival_ns - meta->ingress_wait_ns : 0);
}

#endif /* rtvnic-packet.h */
