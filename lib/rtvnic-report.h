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
 * starts with an 8-byte header, struct rtvnic_wire_header: be16 type, be16
 * length of the whole body, be16 flags, be16 part.  A body is a multiple of 8
 * bytes long; all integers are big endian, addresses are 16 bytes (IPv4 as
 * v4-mapped IPv6).  The structs below give the exact layout:
 *
 *   REPORT (1), switch -> controller, for each flow with misses in a report
 *   interval, or with near misses (packets that met their deadline with
 *   less slack than the controller's CONFIG asks for): struct
 *   rtvnic_wire_report, 72 bytes.
 *
 *   HEARTBEAT (2), switch -> controller, every second: struct
 *   rtvnic_wire_list (n, the number of entries in this body), then n struct
 *   rtvnic_wire_beat_entry: the flows' counts over that second.
 *
 *   SET_DEADLINE (3), controller -> switch: struct rtvnic_wire_set_deadline:
 *   the effective deadline of the switch's source vnic_id (at most its
 *   configured one; the configured one restores it).
 *
 *   CONFIG (4), controller -> switch: struct rtvnic_wire_config.  The switch
 *   accepts report intervals from RTVNIC_REPORT_INTERVAL_MIN_US to
 *   RTVNIC_REPORT_INTERVAL_MAX_US (1 ms to 10 s), and a near-miss fraction
 *   'near_permille' of 0 (none: only misses are reported, as before it
 *   existed) or 1 to 999: a packet whose delay exceeds that many thousandths
 *   of its deadline, without missing it, is a near miss.
 *
 *   Both near-miss fields were padding before: a switch that predates them
 *   ignores a controller's fraction and never reports near misses, and a
 *   controller that predates them never asks for any.
 *
 *   SOURCES (5), switch -> controller, every second, per bridge, and
 *   also right after the switch accepted a CONFIG (a controller sends one
 *   when it connects, so that it can act at once rather than after the next
 *   second), those at most once per RTVNIC_SOURCES_ASKED_MIN_US: struct
 *   rtvnic_wire_list, then n entries: the RTvNIC sources on the bridge's
 *   ports, so that the controller can match their traffic in flow_mods, and
 *   their contracts.  It is the complete list: the controller replaces what
 *   it knew.  The list's 'entry_len' says the entries' format: 0 for the
 *   original 16-byte struct rtvnic_wire_source_entry_v1 (no miss target),
 *   24 for struct rtvnic_wire_source_entry (with the source's miss-target
 *   and miss-window, 0 where not configured); a decoder refuses any other.
 *   An encoder writes the original format when no entry has a miss target
 *   or window, so that controllers that predate them keep working with
 *   switches that do not use them; otherwise a controller that predates
 *   them refuses the message for its length, with an error that says so.
 *   A HEARTBEAT's 'entry_len' is 0.
 *
 * Multi-part messages.  An OpenFlow message is at most 65535 bytes, so a body
 * is at most RTVNIC_MSG_MAX_LEN (65512) bytes: a HEARTBEAT carries at most
 * RTVNIC_BEAT_MAX_ENTRIES (2046) entries, a SOURCES at most
 * RTVNIC_SOURCES_MAX_ENTRIES (4093), or RTVNIC_SOURCES_MAX_ENTRIES_MISS
 * (2729) in the format with miss targets.  A longer list is sent as
 * consecutive parts on the same connection, like an OpenFlow multipart
 * reply: every part but the last has RTVNIC_MSG_F_MORE in 'flags' (cf.
 * OFPSF_REPLY_MORE), and 'part' numbers the parts 0, 1, 2... (modulo
 * 65536).  A message that fits in one body has flags 0 and part 0, as before
 * multi-part messages existed.  A receiver acts on the whole list only once
 * the last part arrived; a part out of sequence (one was lost) discards the
 * incomplete list.  The switch queues either all parts of a message to a
 * controller or, if that controller's backlog is full, none of them.
 * REPORT, SET_DEADLINE and CONFIG are always single bodies with flags 0 and
 * part 0.
 *
 * This file is the only encoder and decoder of the format: ovs-vswitchd,
 * ovs-ofctl (printing) and rtvctl all use it. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include "openflow/openflow-common.h"
#include "openvswitch/compiler.h"
#include "openvswitch/list.h"
#include "openvswitch/ofp-errors.h"
#include "openvswitch/ofp-protocol.h"
#include "openvswitch/types.h"

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

/* Wire format. */

/* 'flags' in struct rtvnic_wire_header. */
#define RTVNIC_MSG_F_MORE 0x0001  /* More parts of this list follow. */

struct rtvnic_wire_header {
    ovs_be16 type;              /* RTVNIC_MSG_*. */
    ovs_be16 length;            /* Length of the body, this header included. */
    ovs_be16 flags;             /* RTVNIC_MSG_F_*; was reserved (0). */
    ovs_be16 part;              /* Part number, 0 for the first; was 0. */
};
OFP_ASSERT(sizeof(struct rtvnic_wire_header) == 8);

struct rtvnic_wire_report {
    struct rtvnic_wire_header header;   /* Type RTVNIC_MSG_REPORT. */
    ovs_be32 sender[4];                 /* Sending host, IPv6 or mapped. */
    ovs_be16 vnic_id;
    ovs_be16 near_misses;               /* Saturates at 65535; was pad. */
    ovs_be32 interval_us;
    ovs_be32 packets;
    ovs_be32 misses;
    ovs_be32 lost;
    ovs_be32 deadline_us;
    ovs_32aligned_be64 max_excess_ns;
    ovs_be32 host_mean_ns;
    ovs_be32 host_max_ns;
    ovs_be32 network_mean_ns;
    ovs_be32 network_max_ns;
};
OFP_ASSERT(sizeof(struct rtvnic_wire_report) == 72);

/* Starts a HEARTBEAT or SOURCES body. */
struct rtvnic_wire_list {
    struct rtvnic_wire_header header;
    ovs_be32 n;                 /* Number of entries in this body. */
    ovs_be16 entry_len;         /* 0, or SOURCES: 24; was reserved (0). */
    uint8_t pad[2];
};
OFP_ASSERT(sizeof(struct rtvnic_wire_list) == 16);

struct rtvnic_wire_beat_entry {
    ovs_be32 sender[4];         /* Sending host, IPv6 or mapped. */
    ovs_be16 vnic_id;
    uint8_t pad[2];
    ovs_be32 packets;
    ovs_be32 misses;
    uint8_t pad2[4];
};
OFP_ASSERT(sizeof(struct rtvnic_wire_beat_entry) == 32);

struct rtvnic_wire_set_deadline {
    struct rtvnic_wire_header header;   /* Type RTVNIC_MSG_SET_DEADLINE. */
    ovs_be16 vnic_id;
    uint8_t pad[6];
    ovs_be64 deadline_ns;
};
OFP_ASSERT(sizeof(struct rtvnic_wire_set_deadline) == 24);

struct rtvnic_wire_config {
    struct rtvnic_wire_header header;   /* Type RTVNIC_MSG_CONFIG. */
    ovs_be32 report_interval_us;
    ovs_be16 near_permille;     /* 0: no near misses; was pad. */
    uint8_t pad[2];
};
OFP_ASSERT(sizeof(struct rtvnic_wire_config) == 16);

/* A SOURCES entry with 'entry_len' 0 (the original format). */
struct rtvnic_wire_source_entry_v1 {
    ovs_be16 vnic_id;
    uint8_t pad[2];
    ovs_be32 ofp_port;
    ovs_be32 deadline_us;
    ovs_be32 effective_us;
};
OFP_ASSERT(sizeof(struct rtvnic_wire_source_entry_v1) == 16);

/* A SOURCES entry with 'entry_len' 24. */
struct rtvnic_wire_source_entry {
    ovs_be16 vnic_id;
    uint8_t pad[2];
    ovs_be32 ofp_port;
    ovs_be32 deadline_us;
    ovs_be32 effective_us;
    ovs_be32 miss_target_ppm;   /* 0: none configured. */
    ovs_be32 miss_window_ms;    /* 0: none configured. */
};
OFP_ASSERT(sizeof(struct rtvnic_wire_source_entry) == 24);

/* The longest body: OpenFlow's 16-bit message length less the 16-byte Nicira
 * header, rounded down to a multiple of 8. */
#define RTVNIC_MSG_MAX_LEN 65512
#define RTVNIC_BEAT_MAX_ENTRIES                                         \
    ((RTVNIC_MSG_MAX_LEN - sizeof(struct rtvnic_wire_list))             \
     / sizeof(struct rtvnic_wire_beat_entry))
#define RTVNIC_SOURCES_MAX_ENTRIES                                      \
    ((RTVNIC_MSG_MAX_LEN - sizeof(struct rtvnic_wire_list))             \
     / sizeof(struct rtvnic_wire_source_entry_v1))
/* ...if an entry has a miss target or window (2729). */
#define RTVNIC_SOURCES_MAX_ENTRIES_MISS                                 \
    ((RTVNIC_MSG_MAX_LEN - sizeof(struct rtvnic_wire_list))             \
     / sizeof(struct rtvnic_wire_source_entry))

#define RTVNIC_REPORT_INTERVAL_DEFAULT_US 10000
#define RTVNIC_REPORT_INTERVAL_MIN_US 1000
#define RTVNIC_REPORT_INTERVAL_MAX_US 10000000
#define RTVNIC_HEARTBEAT_INTERVAL_US 1000000
/* Sources sent because a CONFIG asked are at least this far apart, so that
 * a controller that repeats CONFIG costs the switch a bounded effort. */
#define RTVNIC_SOURCES_ASKED_MIN_US 100000
#define RTVNIC_NEAR_PERMILLE_MAX 999

/* NXT_RTVNIC messages a switch queues to one controller connection at most
 * (cf. packet-ins).  A multi-part message is queued whole or not at all, but
 * always if nothing is queued. */
#define RTVNIC_CONTROLLER_BACKLOG 100

/* Decoded messages. */

struct rtvnic_report {
    struct in6_addr sender;
    uint16_t vnic_id;
    uint32_t interval_us;
    uint32_t packets;
    uint32_t misses;
    uint32_t lost;
    uint32_t deadline_us;
    uint64_t max_excess_ns;
    uint32_t near_misses;       /* At most UINT16_MAX on the wire. */
    /* The means are of the interval's misses (its packets that arrived
     * after their deadline), or if none missed of its near misses: they say
     * where those spent their time.  The maxima are of all its packets. */
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
    uint32_t miss_target_ppm;   /* 0: none configured. */
    uint32_t miss_window_ms;    /* 0: none configured. */
};

struct rtvnic_msg {
    enum rtvnic_msg_type type;
    bool more;                  /* RTVNIC_MSG_F_MORE: not the last part. */
    uint16_t part;              /* Part number of a multi-part list. */
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
            uint16_t near_permille;
        } config;
        struct {
            struct rtvnic_source_entry *entries;
            size_t n;
        } sources;
    };
};

/* Encodes 'msg' (with its 'more' and 'part') as one body appended to 'body'.
 * Returns 0, or EMSGSIZE, appending nothing, if it would be longer than
 * RTVNIC_MSG_MAX_LEN. */
int rtvnic_msg_encode(const struct rtvnic_msg *, struct ofpbuf *body)
    OVS_WARN_UNUSED_RESULT;

/* Encodes 'msg' as as many bodies as it needs, each a new ofpbuf appended
 * to 'bodies' (by 'list_node'), and returns their number (at least 1, 0 only
 * for a message of unknown type).  Ignores 'msg''s 'more' and 'part'. */
size_t rtvnic_msg_encode_parts(const struct rtvnic_msg *,
                               struct ovs_list *bodies);
void rtvnic_msg_bodies_delete(struct ovs_list *bodies);

char *rtvnic_msg_decode(const void *body, size_t len, struct rtvnic_msg *)
    OVS_WARN_UNUSED_RESULT;
void rtvnic_msg_uninit(struct rtvnic_msg *);
void rtvnic_msg_format(const struct rtvnic_msg *, struct ds *);

/* NXT_RTVNIC messages.  rtvnic_msg_to_ofp() returns NULL if 'msg' does not
 * fit in one message (use rtvnic_msg_encode_parts()). */
struct ofpbuf *rtvnic_msg_to_ofp(const struct rtvnic_msg *, enum ofp_version);
struct ofpbuf *rtvnic_body_to_ofp(const void *body, size_t len,
                                  enum ofp_version);
char *rtvnic_msg_from_ofp(const struct ofp_header *, struct rtvnic_msg *)
    OVS_WARN_UNUSED_RESULT;

/* Reassembly of multi-part HEARTBEAT and SOURCES messages received on one
 * connection. */
struct rtvnic_reassembly {
    struct rtvnic_msg beat;     /* Parts so far, if 'beat.more'. */
    struct rtvnic_msg sources;  /* Parts so far, if 'sources.more'. */
};

/* At most this many entries are reassembled into one list. */
#define RTVNIC_REASSEMBLY_MAX_ENTRIES (1u << 20)

void rtvnic_reassembly_init(struct rtvnic_reassembly *);
void rtvnic_reassembly_clear(struct rtvnic_reassembly *);
bool rtvnic_reassemble(struct rtvnic_reassembly *, struct rtvnic_msg *,
                       char **errorp);

/* Hooks for OVS's OpenFlow code. */
enum ofperr rtvnic_ofp_print(struct ds *, const struct ofp_header *);
enum ofperr rtvnic_ofp_handle(const struct ofp_header *,
                              enum ofperr role_error);

/* The report interval a controller configured (default 10 ms). */
uint32_t rtvnic_report_interval_us(void);
/* The near-miss fraction a controller configured, in thousandths of a
 * deadline (default 0: none). */
uint16_t rtvnic_report_near_permille(void);

/* Whether an accepted CONFIG asked for this switch's sources since the last
 * rtvnic_ofp_clear_sources_request(). */
bool rtvnic_ofp_sources_requested(void);
void rtvnic_ofp_clear_sources_request(void);

/* Messages refused from controllers, for "rtvnic/show". */
uint64_t rtvnic_ofp_n_refused(void);

#endif /* rtvnic-report.h */
