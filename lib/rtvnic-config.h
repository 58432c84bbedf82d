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

#ifndef RTVNIC_CONFIG_H
#define RTVNIC_CONFIG_H 1

/* Parsing and validation of the other_config of a QoS row of type "rtvnic".
 *
 * One row may carry two roles:
 *
 *   - source (the traffic the VM on this port *sends*): "deadline" (with a
 *     us/ms/s suffix) and optionally "min-rate" (bit/s) and "burst" (bits).
 *     A deadline without a min-rate is a valid contract: scheduled by that
 *     deadline, with no reserved bandwidth (unless an egress offers a
 *     default-min-rate).  "miss-target" (the tolerated ratio of missed
 *     deadlines: a ratio such as "0.001" or a percentage such as "0.1%",
 *     from 1 ppm to 50 %) and "miss-window" (a duration, 100ms to 60s, whole
 *     milliseconds: the window over which the controller measures the
 *     ratio) complete the contract; without them rtvctl's policy gives
 *     them;
 *
 *   - egress (an EDF-scheduled, paced output port): "max-rate" (bit/s) and
 *     optionally "default-deadline", "default-min-rate" (bit/s, the
 *     guarantee that sources without a min-rate ask for at this egress),
 *     "queue-limit" ("N" packets or "NB" bytes), "late-policy" ("send" or
 *     "drop") and "stamp-rate" (bit/s, at most max-rate: how much forwarded
 *     traffic that carries an RTvNIC stamp is scheduled by the stamp's
 *     deadline, on a switch between RTvNIC hosts).
 *
 * A Queue row of a QoS row of type "rtvnic" (queue N, selected by
 * "set_queue:N") is a class of the egress: "deadline" (required, with a
 * us/ms/s suffix) and optionally "min-rate" (bit/s) and "burst" (bits, only
 * with min-rate); rtvnic_queue_config_parse() parses it.
 *
 * rtvnic_config_parse() either fills in a complete, valid configuration or
 * returns an error that names the offending key and value; it never yields a
 * partly applied configuration.  The functions here have no side effects and
 * no knowledge of ports or datapaths. */

#include <stdbool.h>
#include <stdint.h>
#include "openvswitch/compiler.h"

struct smap;
struct ds;

#define RTVNIC_MAX_RATE_BPS        UINT64_C(1000000000000)  /* 1 Tbit/s. */
#define RTVNIC_MAX_DEADLINE_NS     (UINT64_C(60) * 1000 * 1000 * 1000)
#define RTVNIC_MAX_BURST_BITS      (UINT64_C(8) * 1024 * 1024 * 1024)
#define RTVNIC_MAX_QUEUE_PACKETS   (1u << 24)
#define RTVNIC_MAX_QUEUE_BYTES     (UINT64_C(1) << 34)
#define RTVNIC_DEFAULT_DEADLINE_NS (UINT64_C(50) * 1000 * 1000)
#define RTVNIC_DEFAULT_QUEUE_PACKETS 10000
#define RTVNIC_MAX_MISS_TARGET_PPM 500000       /* 50 %. */
#define RTVNIC_MIN_MISS_WINDOW_MS  100
#define RTVNIC_MAX_MISS_WINDOW_MS  60000

enum rtvnic_late_policy {
    RTVNIC_LATE_SEND,           /* Count late packets, send them anyway. */
    RTVNIC_LATE_DROP,           /* Count and drop late packets. */
};

struct rtvnic_config {
    /* Source role. */
    bool is_source;
    uint64_t deadline_ns;       /* Contract deadline. */
    uint64_t min_rate_bps;      /* Guaranteed rate, bit/s; 0: none. */
    uint64_t burst_bits;        /* Token bucket depth; 0: one max packet. */
    uint32_t miss_target_ppm;   /* Tolerated misses per million; 0: none. */
    uint32_t miss_window_ms;    /* Its window; 0: none given. */

    /* Egress role. */
    bool is_egress;
    uint64_t max_rate_bps;      /* Pacing rate, bit/s. */
    uint64_t default_deadline_ns;   /* Deadline of best-effort packets. */
    uint64_t default_min_rate_bps;  /* For sources without min-rate; 0. */
    uint32_t queue_limit_packets;   /* 0 if the limit is in bytes. */
    uint64_t queue_limit_bytes;     /* 0 if the limit is in packets. */
    enum rtvnic_late_policy late_policy;
    uint64_t stamp_rate_bps;        /* Stamped transit traffic scheduled by
                                     * its stamps' deadlines; 0: none. */
};

char *rtvnic_config_parse(const struct smap *other_config,
                          struct rtvnic_config *)
    OVS_WARN_UNUSED_RESULT;

/* A Queue row of a QoS row of type "rtvnic". */
struct rtvnic_queue_config {
    uint64_t deadline_ns;       /* Deadline packets in the queue get. */
    uint64_t min_rate_bps;      /* Guaranteed rate, bit/s; 0: none. */
    uint64_t burst_bits;        /* Token bucket depth; 0: the default. */
};

char *rtvnic_queue_config_parse(unsigned int queue_id,
                                const struct smap *other_config,
                                struct rtvnic_queue_config *)
    OVS_WARN_UNUSED_RESULT;

char *rtvnic_parse_duration(const char *key, const char *value,
                            uint64_t *ns) OVS_WARN_UNUSED_RESULT;
char *rtvnic_parse_rate(const char *key, const char *value, uint64_t max,
                        uint64_t *rate) OVS_WARN_UNUSED_RESULT;

char *rtvnic_parse_miss_target(const char *key, const char *value,
                               uint32_t *ppm) OVS_WARN_UNUSED_RESULT;

void rtvnic_format_duration(struct ds *, uint64_t ns);

#endif /* rtvnic-config.h */
