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

#ifndef RTVNIC_STAMP_H
#define RTVNIC_STAMP_H 1

/* The RTvNIC wire stamp: one Geneve option on every tunnelled packet of an
 * RTvNIC source.
 *
 * Wire format (option class 0xFFF0 and type 0x52 by default, 24 bytes of
 * data, network byte order):
 *
 *    0-7   arrival_ns       wall-clock ns when the packet entered the
 *                           sending switch
 *    8-11  depart_delta_ns  departure from the EDF egress minus arrival
 *                           (saturating); 0 if it went through none
 *   12-15  deadline_us      the vNIC's configured deadline; 0: best effort
 *   16-17  vnic_id          sender-local source id
 *   18     dscp << 2 | flags  original DSCP of the inner packet; flag 0x1:
 *                           the DSCP is valid (restore it on receive)
 *   19     version          1
 *   20-23  seq              per (vNIC, tunnel destination) sequence number
 *
 * Sender: rtvnic_geneve_stamp() extends the Geneve header template of a
 * tnl_push by the option, just before the push; rtvnic_stamp_depart() writes
 * the departure time when the packet leaves an EDF egress, keeping the UDP
 * checksum right.
 *
 * Sequence numbers are counted per (source, tunnel destination), lock-free
 * on the datapath; rtvnic_stamp_source_removed() forgets a source's
 * counters, and a source has at most RTVNIC_SEQ_MAX_DSTS of them.
 *
 * Receiver: on a switch that is an RTvNIC receiver (rtvnic_rx_enabled()),
 * rtvnic_geneve_receive() finds the option among the options of a Geneve
 * packet being popped and, if the packet comes from a configured tunnel's
 * remote (rtvnic_rx_is_trusted()), hands the measurement (with how long the
 * packet waited in the receive socket, the packet's 'ingress_wait_ns') to
 * rtvnic-rx.h and
 * removes the option, so that the per-packet bytes never reach the flow's
 * tunnel metadata; rtvnic_geneve_restore() then gives the inner packet back
 * its original DSCP.  An untrusted stamp is counted and left in place, and
 * a switch that is no receiver leaves every option alone: Geneve then
 * behaves exactly as in stock OVS.  Only packets popped from tunnel ports
 * get here, so a guest cannot forge a stamp.
 *
 * Transit: rtvnic_stamp_peek() reads the stamp of a Geneve packet that a
 * switch forwards without popping it (an OVS switch between RTvNIC hosts),
 * for its egress scheduler (rtvnic-sched.h); the packet is not changed.
 *
 * Time: stamps use OVS's monotonic clock (so that "time/warp" drives tests)
 * plus an offset to wall-clock time, computed from the real clocks unless
 * fixed with rtvnic_clock_set_offset(). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dp_packet;
struct flow_tnl;
struct geneve_opt;
struct ovs_action_push_tnl;

#define RTVNIC_OPT_CLASS_DEFAULT 0xfff0
#define RTVNIC_OPT_TYPE_DEFAULT 0x52
#define RTVNIC_OPT_DATA_LEN 24
#define RTVNIC_STAMP_VERSION 1
#define RTVNIC_STAMP_F_DSCP 0x1
#define RTVNIC_GENEVE_PORT 6081  /* IANA's, where transit switches look. */

struct rtvnic_stamp {
    uint64_t arrival_ns;
    uint32_t depart_delta_ns;
    uint32_t deadline_us;
    uint16_t vnic_id;
    uint8_t dscp;
    uint8_t flags;
    uint8_t version;
    uint32_t seq;
};

void rtvnic_stamp_encode(const struct rtvnic_stamp *,
                         uint8_t data[RTVNIC_OPT_DATA_LEN]);
void rtvnic_stamp_decode(const uint8_t data[RTVNIC_OPT_DATA_LEN],
                         struct rtvnic_stamp *);

void rtvnic_stamp_set_option(uint16_t opt_class, uint8_t type);
void rtvnic_stamp_get_option(uint16_t *opt_class, uint8_t *type);

/* Clock. */
uint64_t rtvnic_clock_wall_ns(uint64_t monotonic_ns);
void rtvnic_clock_refresh(void);
void rtvnic_clock_set_offset(bool fixed, int64_t offset_ns);
int64_t rtvnic_clock_get_offset(bool *fixed);

/* Sender. */
bool rtvnic_geneve_stamp(struct dp_packet *,
                         const struct ovs_action_push_tnl *data,
                         struct ovs_action_push_tnl *stamped);
void rtvnic_stamp_depart(struct dp_packet *, uint64_t now_ns);

/* Destinations with a sequence counter of their own, per source. */
#define RTVNIC_SEQ_MAX_DSTS 4096
void rtvnic_stamp_source_removed(uint16_t source_id);

/* Transit. */
bool rtvnic_stamp_peek(const struct dp_packet *, struct rtvnic_stamp *);

/* Receiver. */
struct rtvnic_restore {
    bool dscp_valid;
    uint8_t dscp;
};
unsigned int rtvnic_geneve_receive(const struct flow_tnl *,
                                   struct geneve_opt *opts,
                                   unsigned int opts_len,
                                   uint64_t rx_wait_ns,
                                   struct rtvnic_restore *);
void rtvnic_geneve_restore(struct dp_packet *, const struct rtvnic_restore *);

/* Reads the DSCP of 'packet' (an Ethernet frame, perhaps VLAN tagged, that
 * carries IPv4 or IPv6) into '*dscp'.  Returns false if it has none. */
bool rtvnic_packet_get_dscp(const struct dp_packet *, uint8_t *dscp);

#endif /* rtvnic-stamp.h */
