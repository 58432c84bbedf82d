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

#ifndef RTVCTL_POLICY_H
#define RTVCTL_POLICY_H 1

/* rtvctl's policy: what the controller does about deadline misses.
 *
 * Read from a JSON file with OVS's own JSON parser (lib/json.c).  json-c,
 * which the design named, cannot be linked with libopenvswitch: both define
 * json_object_put(), and OVS's wins, so json-c's objects could not be freed.
 * Every key is optional and has the default shown in
 * controller/policy/default.json; an unknown key or an invalid value makes
 * the whole file invalid, with a message that names the key (with its
 * index in arrays) and the value.  Invalid includes every value out of its
 * range, a DSCP written other than in decimal without leading zeros (so
 * that "1", "01" and "001" cannot name one DSCP three times), two hosts
 * with one datapath ID or tunnel IP and two network switches with one
 * datapath ID.  A policy is a struct that holds hmaps: do not copy it.
 * Lookups by datapath ID and by tunnel IP are hashed.  Nothing here talks
 * to switches. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include "openvswitch/compiler.h"
#include "openvswitch/hmap.h"

#define RTVCTL_MAX_LADDER 8

/* A host: a switch that sends RTvNIC traffic, known by its datapath ID, and
 * the tunnel source IP its stamps carry. */
struct rtvctl_host {
    struct hmap_node ip_node;   /* In 'hosts_by_ip' of the policy. */
    struct hmap_node dpid_node; /* In 'hosts_by_dpid' of the policy. */
    uint64_t datapath_id;
    struct in6_addr tunnel_ip;
};

/* A switch of the network, and the queue each DSCP gets there. */
struct rtvctl_netswitch {
    struct hmap_node dpid_node; /* In 'netswitches_by_dpid' of the policy. */
    uint64_t datapath_id;
    size_t n_queues;            /* At most 64: DSCPs are distinct. */
    uint8_t dscp[64];
    uint32_t queue[64];
};

struct rtvctl_policy {
    uint32_t report_interval_ms;
    double miss_ratio_threshold;    /* Misses/packets that count, 0..1. */
    uint32_t tighten_floor_us;      /* Smallest effective deadline. */
    uint8_t dscp_ladder[RTVCTL_MAX_LADDER];  /* Increasing; [0] is base. */
    size_t n_ladder;
    uint32_t quiet_period_ms;       /* Without misses, before relaxing. */
    uint32_t min_step_interval_ms;  /* Between two changes of one flow. */
    uint32_t miss_persist_ms;       /* Misses must last this long to act. */
    double miss_target;             /* Windowed miss ratio a vNIC without
                                     * its own 'miss-target' tolerates,
                                     * 0..0.5 (0: no windowed rule). */
    uint32_t miss_window_ms;        /* Its window, without 'miss-window'. */
    uint32_t miss_min_misses;       /* Evidence: misses in the window. */
    uint16_t near_miss_permille;    /* Near miss: delay above this many
                                     * thousandths of the deadline (0:
                                     * switches report no near misses). */
    uint32_t near_miss_persist_ms;  /* Near misses must last this long. */
    uint32_t top_rung_deadline_us;  /* Flows with a contract deadline up to
                                     * this climb the ladder in one step, to
                                     * its top, and relax in one (0: none). */
    uint32_t disconnected_grace_ms; /* State of flows whose host stays
                                     * disconnected this long is freed. */
    uint8_t escalation_table;       /* Where the DSCP flows go... */
    uint8_t next_table;             /* ...and where they resubmit to. */
    uint16_t escalation_priority;   /* Of those and of the queue flows. */
    uint8_t network_table;          /* Where network switches' queue flows
                                     * go... */
    uint8_t network_next_table;     /* ...and which table they continue
                                     * with (goto_table). */

    struct rtvctl_host *hosts;
    size_t n_hosts;
    struct hmap hosts_by_ip;    /* 'hosts', indexed by tunnel IP... */
    struct hmap hosts_by_dpid;  /* ...and by datapath ID. */
    struct rtvctl_netswitch *netswitches;
    size_t n_netswitches;
    struct hmap netswitches_by_dpid;  /* 'netswitches' by datapath ID. */
};

void rtvctl_policy_init_default(struct rtvctl_policy *);
char *rtvctl_policy_from_file(const char *file_name, struct rtvctl_policy *)
    OVS_WARN_UNUSED_RESULT;
char *rtvctl_policy_from_string(const char *json, struct rtvctl_policy *)
    OVS_WARN_UNUSED_RESULT;
void rtvctl_policy_destroy(struct rtvctl_policy *);

const struct rtvctl_host *rtvctl_policy_host_by_ip(
    const struct rtvctl_policy *, const struct in6_addr *);
const struct rtvctl_host *rtvctl_policy_host_by_dpid(
    const struct rtvctl_policy *, uint64_t datapath_id);
const struct rtvctl_netswitch *rtvctl_policy_netswitch(
    const struct rtvctl_policy *, uint64_t datapath_id);

#endif /* rtvctl-policy.h */
