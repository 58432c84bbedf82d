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


#ifndef RTVNIC_PRIVATE_H
#define RTVNIC_PRIVATE_H 1

/* The state that the files behind rtvnic.h share, and nothing else may use.
 *
 * rtvnic.h's functions are implemented by one file per job:
 *
 *   rtvnic.c            the port registry: one "struct rtvnic_port" per
 *                       netdev with QoS of type "rtvnic", its roles (source
 *                       with an id, egress with a scheduler) and the QoS
 *                       hooks of lib/netdev.c (rtvnic_netdev_*_qos(),
 *                       rtvnic_netdev_destroy()).
 *   rtvnic-queue.c      the Queue rows of such a port, classes of its egress
 *                       scheduler (rtvnic_netdev_*queue*()).
 *   rtvnic-admission.c  the EDF admission test (rtvnic-admission.h) and its
 *                       application over every source and queue.
 *   rtvnic-datapath.c   what the userspace datapath calls: stamping at
 *                       receive, a port's egress scheduler, the main
 *                       thread's wake-up for the next release.
 *   rtvnic-control.c    what the controller-facing side reads and changes:
 *                       the sources and their effective deadlines.
 *   rtvnic-appctl.c     the back ends of rtvnic/show, rtvnic/trace-start and
 *                       rtvnic/trace-stop.
 *
 * Locking
 * -------
 *
 * 'rtvnic_mutex' guards 'rtvnic_ports' and every field of every port and
 * queue, except the two that the datapath reads: 'port->rx_info' and
 * 'port->sched' are published with RCU, as is the port itself in its
 * netdev's 'rtvnic' member.  A datapath thread reads only those three,
 * through ovsrcu_get(), and never takes the mutex; every other access
 * holds it.  A port, an rx_info or a scheduler that is replaced or removed
 * is freed only after an RCU grace period.
 *
 * Logging
 * -------
 *
 * All these files log as the single vlog module "rtvnic" (defined in
 * rtvnic.c), as they did when they were one file, so that "vlog/set rtvnic"
 * keeps covering all of them.  A file other than rtvnic.c that logs has
 *
 *     #define this_module RTVNIC_THIS_MODULE
 *
 * after its includes instead of VLOG_DEFINE_THIS_MODULE: openvswitch/vlog.h's
 * macros (VLOG_WARN() ...) log to 'this_module'. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "openvswitch/hmap.h"
#include "openvswitch/thread.h"
#include "ovs-rcu.h"
#include "rtvnic-config.h"
#include "rtvnic.h"
#include "smap.h"

struct netdev;
struct vlog_module;

extern struct vlog_module *VLM_rtvnic;
#define RTVNIC_THIS_MODULE (*VLM_rtvnic)

/* Where a source or a queue stands with admission control. */
enum rtvnic_admission {
    RTVNIC_ADMITTED,            /* Holds its guarantee at every egress. */
    RTVNIC_REFUSED,             /* Failed the test: best effort. */
    RTVNIC_NO_EGRESS,           /* No RTvNIC egress exists yet. */
    RTVNIC_NO_GUARANTEE,        /* No min-rate, no default-min-rate. */
};

/* A Queue row of an rtvnic QoS row: a class of the port's egress scheduler
 * (rtvnic-sched.h) that packets enter with "set_queue:N".  Only the
 * configuration side lives here, under 'rtvnic_mutex'; the datapath sees the
 * class in the scheduler. */
struct rtvnic_queue {
    struct hmap_node node;      /* In 'port->queues', by queue id. */
    unsigned int queue_id;
    struct smap details;        /* Configuration as given. */
    char *error;                /* Why 'details' is invalid, else NULL. */
    struct rtvnic_queue_config cfg;  /* Valid only if !error. */
    uint64_t burst_bits;        /* Configured, or the default. */
    uint64_t admission_seq;     /* When it became valid: admission order. */
    enum rtvnic_admission admission;
    char *refusal;              /* Reason, if refused. */
};

/* What the receive path needs, replaced as a whole under RCU. */
struct rtvnic_rx_info {
    uint16_t source_id;
    uint64_t rel_deadline_ns;
    uint32_t contract_deadline_us;
};

struct rtvnic_port {
    struct hmap_node node;      /* In 'rtvnic_ports', by netdev pointer. */
    struct netdev *netdev;      /* Not referenced: we go before it does. */
    struct smap details;        /* Configuration as given. */
    char *error;                /* Why 'details' is invalid, else NULL. */
    struct rtvnic_config cfg;   /* Valid only if !error. */

    /* Source role. */
    uint16_t source_id;         /* 0 if not a valid source. */
    uint64_t admission_seq;     /* When it became a source: admission order. */
    uint64_t burst_bits;        /* Configured, or the default. */
    uint64_t effective_deadline_ns;
    enum rtvnic_admission admission;
    char *refusal;              /* Reason, if refused. */
    OVSRCU_TYPE(struct rtvnic_rx_info *) rx_info;

    /* Egress role. */
    uint64_t lmax_bits;
    OVSRCU_TYPE(struct rtvnic_sched *) sched;
    struct hmap queues;         /* "struct rtvnic_queue"s, by queue id. */
};

extern struct ovs_mutex rtvnic_mutex;
extern struct hmap rtvnic_ports OVS_GUARDED_BY(rtvnic_mutex);

/* The port registry (rtvnic.c). */
static inline const char *
rtvnic_port_name(const struct rtvnic_port *port)
{
    return netdev_get_name(port->netdev);
}

struct rtvnic_port *rtvnic_port_lookup(const struct netdev *)
    OVS_REQUIRES(rtvnic_mutex);
struct rtvnic_port *rtvnic_port_lookup_by_name(const char *name)
    OVS_REQUIRES(rtvnic_mutex);
void rtvnic_port_publish_rx_info(struct rtvnic_port *)
    OVS_REQUIRES(rtvnic_mutex);
void rtvnic_smap_assign(struct smap *dst, const struct smap *src);

/* Queues (rtvnic-queue.c). */
void rtvnic_queue_destroy(struct rtvnic_port *, struct rtvnic_queue *)
    OVS_REQUIRES(rtvnic_mutex);
struct rtvnic_queue **rtvnic_port_sorted_queues(const struct rtvnic_port *,
                                                size_t *n)
    OVS_REQUIRES(rtvnic_mutex);

/* A queue the scheduler knows: valid, and not the default queue 0. */
static inline bool
rtvnic_queue_is_valid(const struct rtvnic_queue *q)
{
    return !q->error && q->queue_id;
}

/* Admission control (rtvnic-admission.c). */
uint64_t rtvnic_admission_next_seq(void) OVS_REQUIRES(rtvnic_mutex);
void rtvnic_admit_all(void) OVS_REQUIRES(rtvnic_mutex);
int rtvnic_admit_effective_deadline(struct rtvnic_port *, uint64_t ns,
                                    char **reason)
    OVS_REQUIRES(rtvnic_mutex);
const char *rtvnic_admission_name(enum rtvnic_admission);
const char *rtvnic_queue_admission_name(enum rtvnic_admission);

#endif /* rtvnic-private.h */
