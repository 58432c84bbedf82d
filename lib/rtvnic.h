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

#ifndef RTVNIC_H
#define RTVNIC_H 1

/* RTvNIC ports: the QoS type "rtvnic" on the netdevs of a userspace datapath.
 *
 * This module owns every netdev's RTvNIC state and is the only thing the OVS
 * hook points call:
 *
 *   - lib/netdev.c hands it QoS of type "rtvnic" (rtvnic_netdev_*()): the
 *     other_config is parsed whole (rtvnic-config.h), admission control
 *     (rtvnic-admission.h) re-runs over all sources and egresses, and the
 *     result is published to the datapath through RCU.  An invalid
 *     configuration leaves the port best effort, logs a warning naming port,
 *     key and value, and keeps the reason for "rtvnic/show".  The Queue
 *     rows of such a QoS row (rtvnic_netdev_*_queue*()) are classes of the
 *     port's egress scheduler, each with a deadline and optionally a
 *     min-rate that admission control treats like a source's; a packet of
 *     no source enters one with "set_queue" (its skb_priority).  An invalid
 *     Queue row is ignored whole, with a warning and the reason kept.
 *
 *   - lib/dpif-netdev.c stamps received packets (rtvnic_rx_stamp(), or
 *     rtvnic_rx_reset() while RTvNIC is disabled, so that no packet carries
 *     per-packet RTvNIC state from an earlier life of its buffer), diverts
 *     output to an RTvNIC egress into its scheduler (rtvnic_egress()), and
 *     arms the main thread's wake-up for the next release (rtvnic_wait()).
 *
 * Sources get small integer ids (1...65535), stable while the port has a
 * valid source configuration.
 *
 * The files behind this interface, one per job, and the state they share
 * are described in rtvnic-private.h. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "netdev.h"
#include "ovs-atomic.h"

struct ds;
struct dp_packet_batch;
struct netdev;
struct rtvnic_sched;
struct smap;
struct sset;

#define RTVNIC_QOS_TYPE "rtvnic"

/* Hooks for lib/netdev.c. */
void rtvnic_netdev_add_qos_types(const struct netdev *, struct sset *);
int rtvnic_netdev_set_qos(struct netdev *, const char *type,
                          const struct smap *details);
bool rtvnic_netdev_get_qos(const struct netdev *, const char **typep,
                           struct smap *details);
void rtvnic_netdev_destroy(struct netdev *);
int rtvnic_netdev_set_queue(struct netdev *, unsigned int queue_id,
                            const struct smap *details);
int rtvnic_netdev_delete_queue(struct netdev *, unsigned int queue_id);
int rtvnic_netdev_get_queue(const struct netdev *, unsigned int queue_id,
                            struct smap *details);
int rtvnic_netdev_get_queue_stats(const struct netdev *,
                                  unsigned int queue_id,
                                  struct netdev_queue_stats *);
int rtvnic_netdev_queue_dump_start(const struct netdev *, void **statep);
int rtvnic_netdev_queue_dump_next(void *state, unsigned int *queue_id,
                                  struct smap *details);
void rtvnic_netdev_queue_dump_done(void *state);
int rtvnic_netdev_dump_queue_stats(const struct netdev *,
                                   netdev_dump_queue_stats_cb *, void *aux);

/* Hooks for the userspace datapath. */
extern atomic_bool rtvnic_enabled;

/* Returns true if any port has RTvNIC state, so that datapath hooks cost one
 * relaxed load when RTvNIC is not in use. */
static inline bool
rtvnic_is_enabled(void)
{
    bool enabled;

    atomic_read_relaxed(&rtvnic_enabled, &enabled);
    return enabled;
}

void rtvnic_rx_stamp(const struct netdev *, struct dp_packet_batch *,
                     long long int now_usec);
void rtvnic_rx_reset(struct dp_packet_batch *);
struct rtvnic_sched *rtvnic_egress(const struct netdev *);
void rtvnic_wait(void);

/* For the controller-facing side: the deadline the datapath applies to a
 * source (the OVSDB contract is left untouched). */
int rtvnic_set_effective_deadline(const char *port_name, uint64_t ns,
                                  char **reason);
int rtvnic_set_effective_deadline_by_id(uint16_t source_id, uint64_t ns,
                                        char **reason);

struct rtvnic_source_info {
    char *name;                 /* Port name. */
    uint16_t source_id;
    uint64_t deadline_ns;
    uint64_t effective_deadline_ns;
    uint32_t miss_target_ppm;   /* 0: not configured. */
    uint32_t miss_window_ms;    /* 0: not configured. */
};
size_t rtvnic_get_sources(struct rtvnic_source_info **);

/* "rtvnic/show". */
bool rtvnic_show(struct ds *, const char *port_name);

/* "rtvnic/trace-start" and "rtvnic/trace-stop" (see rtvnic-trace.h). */
#define RTVNIC_TRACE_MAX_RECORDS 10000000
char *rtvnic_trace_start(const char *port_name, size_t capacity)
    OVS_WARN_UNUSED_RESULT;
char *rtvnic_trace_stop(const char *port_name, const char *file_name,
                        struct ds *reply) OVS_WARN_UNUSED_RESULT;

#endif /* rtvnic.h */
