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

#ifndef RTVNIC_REPORT_H
#define RTVNIC_REPORT_H 1

/* RTvNIC control messages between switches and the rtvctl controller.
 *
 * They travel as the body of the Nicira experimenter message NXT_RTVNIC
 * (experimenter 0x00002320, subtype 96), in both directions.  Every body
 * starts with an 8-byte header (be16 type, be16 length of the whole body, 4
 * reserved bytes) and is a multiple of 8 bytes long; all integers are big
 * endian, addresses are 16 bytes (IPv4 as v4-mapped IPv6):
 *
 *   REPORT (1), switch -> controller, for each flow with misses in a report
 *   interval: sender(16) vnic_id(2) pad(2) interval_us(4) packets(4)
 *   misses(4) lost(4) deadline_us(4) max_excess_ns(8) host_mean_ns(4)
 *   host_max_ns(4) network_mean_ns(4) network_max_ns(4).  72 bytes.
 *
 *   HEARTBEAT (2), switch -> controller, every second: n(4) pad(4), then n
 *   entries of sender(16) vnic_id(2) pad(2) packets(4) misses(4) pad(4),
 *   the flows' counts over that second.
 *
 *   SET_DEADLINE (3), controller -> switch: vnic_id(2) pad(6)
 *   deadline_ns(8): the effective deadline of the switch's source vnic_id
 *   (at most its configured one; the configured one restores it).
 *
 *   CONFIG (4), controller -> switch: report_interval_us(4) pad(4).
 *
 *   SOURCES (5), switch -> controller, every second, per bridge: n(4)
 *   pad(4), then n entries of vnic_id(2) pad(2) ofp_port(4) deadline_us(4)
 *   effective_deadline_us(4): the RTvNIC sources on the bridge's ports, so
 *   that the controller can match their traffic in flow_mods.
 *
 * This file is the only encoder and decoder of the format: ovs-vswitchd,
 * ovs-ofctl (printing) and rtvctl all use it. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include "openvswitch/compiler.h"
#include "openvswitch/ofp-errors.h"
#include "openvswitch/ofp-protocol.h"

struct ds;
struct ofp_header;
struct ofpbuf;

enum rtvnic_msg_type {
    RTVNIC_MSG_REPORT = 1,
    RTVNIC_MSG_HEARTBEAT = 2,
    RTVNIC_MSG_SET_DEADLINE = 3,
    RTVNIC_MSG_CONFIG = 4,
    RTVNIC_MSG_SOURCES = 5,
};

#define RTVNIC_REPORT_INTERVAL_DEFAULT_US 10000
#define RTVNIC_HEARTBEAT_INTERVAL_US 1000000

struct rtvnic_report {
    struct in6_addr sender;
    uint16_t vnic_id;
    uint32_t interval_us;
    uint32_t packets;
    uint32_t misses;
    uint32_t lost;
    uint32_t deadline_us;
    uint64_t max_excess_ns;
    uint32_t host_mean_ns;
    uint32_t host_max_ns;
    uint32_t network_mean_ns;
    uint32_t network_max_ns;
};

struct rtvnic_beat_entry {
    struct in6_addr sender;
    uint16_t vnic_id;
    uint32_t packets;
    uint32_t misses;
};

struct rtvnic_source_entry {
    uint16_t vnic_id;
    uint32_t ofp_port;
    uint32_t deadline_us;
    uint32_t effective_us;
};

struct rtvnic_msg {
    enum rtvnic_msg_type type;
    union {
        struct rtvnic_report report;
        struct {
            struct rtvnic_beat_entry *entries;
            size_t n;
        } beat;
        struct {
            uint16_t vnic_id;
            uint64_t deadline_ns;
        } set_deadline;
        struct {
            uint32_t report_interval_us;
        } config;
        struct {
            struct rtvnic_source_entry *entries;
            size_t n;
        } sources;
    };
};

void rtvnic_msg_encode(const struct rtvnic_msg *, struct ofpbuf *body);
char *rtvnic_msg_decode(const void *body, size_t len, struct rtvnic_msg *)
    OVS_WARN_UNUSED_RESULT;
void rtvnic_msg_uninit(struct rtvnic_msg *);
void rtvnic_msg_format(const struct rtvnic_msg *, struct ds *);

struct ofpbuf *rtvnic_msg_to_ofp(const struct rtvnic_msg *, enum ofp_version);
char *rtvnic_msg_from_ofp(const struct ofp_header *, struct rtvnic_msg *)
    OVS_WARN_UNUSED_RESULT;

/* Hooks for OVS's OpenFlow code. */
enum ofperr rtvnic_ofp_print(struct ds *, const struct ofp_header *);
enum ofperr rtvnic_ofp_handle(const struct ofp_header *);

/* The report interval a controller configured (default 10 ms). */
uint32_t rtvnic_report_interval_us(void);

#endif /* rtvnic-report.h */
