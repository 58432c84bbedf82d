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


/* The RTvNIC port registry: one "struct rtvnic_port" for each netdev with QoS
 * of type "rtvnic", found by netdev (its 'rtvnic' member, under RCU, or the
 * 'rtvnic_ports' map under 'rtvnic_mutex') or by name.
 *
 * lib/netdev.c hands this file every QoS configuration and a netdev's end
 * (rtvnic_netdev_*_qos*(), rtvnic_netdev_destroy(); the Queue rows go to
 * rtvnic-queue.c).  A valid
 * configuration gives the port its roles: a source gets an id (1...65535,
 * kept while its configuration stays a valid source) and the rx_info the
 * receive path stamps with, an egress gets an EDF scheduler.  An invalid one
 * takes every role away, so the port is best effort, with the reason kept
 * for rtvnic/show.  Every change ends with rtvnic_admit_all(), so that
 * admission control (rtvnic-admission.c) has always run over the current
 * set of sources, queues and egresses.  See rtvnic-private.h for the locking
 * rules. */

#include <config.h>

#include "rtvnic.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "coverage.h"
#include "hash.h"
#include "id-pool.h"
#include "netdev-provider.h"
#include "openvswitch/hmap.h"
#include "openvswitch/vlog.h"
#include "ovs-rcu.h"
#include "ovs-thread.h"
#include "rtvnic-config.h"
#include "rtvnic-private.h"
#include "rtvnic-sched.h"
#include "rtvnic-stamp.h"
#include "smap.h"
#include "sset.h"
#include "util.h"

/* The vlog module of every file behind rtvnic.h (see rtvnic-private.h). */
VLOG_DEFINE_THIS_MODULE(rtvnic);

COVERAGE_DEFINE(rtvnic_config_invalid);

/* Largest Geneve-over-IPv4 encapsulation RTvNIC adds in front of a frame:
 * outer Ethernet (14), IPv4 (20), UDP (8), Geneve (8), RTvNIC option (28). */
#define RTVNIC_ENCAP_OVERHEAD 78

/* Ethernet header plus one VLAN tag on top of the MTU. */
#define RTVNIC_L2_OVERHEAD 18

struct ovs_mutex rtvnic_mutex = OVS_MUTEX_INITIALIZER;
struct hmap rtvnic_ports OVS_GUARDED_BY(rtvnic_mutex)
    = HMAP_INITIALIZER(&rtvnic_ports);
static struct id_pool *source_ids OVS_GUARDED_BY(rtvnic_mutex);

atomic_bool rtvnic_enabled = false;

struct rtvnic_port *
rtvnic_port_lookup(const struct netdev *netdev) OVS_REQUIRES(rtvnic_mutex)
{
    struct rtvnic_port *port;

    HMAP_FOR_EACH_WITH_HASH (port, node, hash_pointer(netdev, 0),
                             &rtvnic_ports) {
        if (port->netdev == netdev) {
            return port;
        }
    }
    return NULL;
}

struct rtvnic_port *
rtvnic_port_lookup_by_name(const char *name) OVS_REQUIRES(rtvnic_mutex)
{
    struct rtvnic_port *port;

    HMAP_FOR_EACH (port, node, &rtvnic_ports) {
        if (!strcmp(rtvnic_port_name(port), name)) {
            return port;
        }
    }
    return NULL;
}

/* Publishes to the receive path what it needs of 'port' now: its source id
 * and effective deadline, or nothing if it is no source. */
void
rtvnic_port_publish_rx_info(struct rtvnic_port *port)
    OVS_REQUIRES(rtvnic_mutex)
{
    struct rtvnic_rx_info *old = ovsrcu_get_protected(struct rtvnic_rx_info *,
                                                      &port->rx_info);
    struct rtvnic_rx_info *new = NULL;

    if (port->source_id) {
        new = xmalloc(sizeof *new);
        new->source_id = port->source_id;
        new->rel_deadline_ns = port->effective_deadline_ns;
        new->contract_deadline_us = MIN(port->cfg.deadline_ns / 1000,
                                        UINT32_MAX);
    }
    ovsrcu_set(&port->rx_info, new);
    if (old) {
        ovsrcu_postpone(free, old);
    }
}

/* struct rtvnic_sched is opaque, which ovsrcu_postpone() does not accept. */
/* Replaces the contents of 'dst', an smap its caller initialized and
 * owns (OVS's get_qos, get_queue and queue dump callers pass one and reuse
 * it across calls), by a copy of 'src'.  smap_clone() would initialize
 * 'dst' again and leak the bucket array it already has. */
void
rtvnic_smap_assign(struct smap *dst, const struct smap *src)
{
    struct smap_node *node;

    smap_clear(dst);
    SMAP_FOR_EACH (node, src) {
        smap_add(dst, node->key, node->value);
    }
}

static void
postpone_sched_destroy(struct rtvnic_sched *sched)
{
    ovsrcu_postpone__((void (*)(void *)) rtvnic_sched_destroy, sched);
}

static void
rtvnic_port_free__(struct rtvnic_port *port)
{
    rtvnic_sched_destroy(ovsrcu_get_protected(struct rtvnic_sched *,
                                              &port->sched));
    free(ovsrcu_get_protected(struct rtvnic_rx_info *, &port->rx_info));
    smap_destroy(&port->details);
    free(port->error);
    free(port->refusal);
    free(port);
}

static void
update_enabled(void) OVS_REQUIRES(rtvnic_mutex)
{
    atomic_store_relaxed(&rtvnic_enabled, !hmap_is_empty(&rtvnic_ports));
}

/* Makes 'port' no source any more: frees its id and forgets it at every
 * egress. */
static void
rtvnic_port_drop_source(struct rtvnic_port *port) OVS_REQUIRES(rtvnic_mutex)
{
    struct rtvnic_port *other;

    if (!port->source_id) {
        return;
    }
    HMAP_FOR_EACH (other, node, &rtvnic_ports) {
        struct rtvnic_sched *sched;

        sched = ovsrcu_get_protected(struct rtvnic_sched *, &other->sched);
        if (sched) {
            rtvnic_sched_remove_source(sched, port->source_id);
        }
    }
    rtvnic_stamp_source_removed(port->source_id);
    id_pool_free_id(source_ids, port->source_id);
    port->source_id = 0;
    rtvnic_port_publish_rx_info(port);
}

/* Drops every role 'port' has: its source id, its scheduler (queued packets
 * are freed once no datapath thread can reach them any more). */
static void
rtvnic_port_clear_roles(struct rtvnic_port *port) OVS_REQUIRES(rtvnic_mutex)
{
    struct rtvnic_sched *sched = ovsrcu_get_protected(struct rtvnic_sched *,
                                                      &port->sched);
    if (sched) {
        ovsrcu_set(&port->sched, NULL);
        postpone_sched_destroy(sched);
    }
    rtvnic_port_drop_source(port);
    free(port->refusal);
    port->refusal = NULL;
    port->admission = RTVNIC_NO_EGRESS;
}

static void
rtvnic_port_destroy(struct rtvnic_port *port) OVS_REQUIRES(rtvnic_mutex)
{
    struct rtvnic_queue *q;

    rtvnic_port_clear_roles(port);
    HMAP_FOR_EACH_SAFE (q, node, &port->queues) {
        rtvnic_queue_destroy(port, q);
    }
    hmap_destroy(&port->queues);
    hmap_remove(&rtvnic_ports, &port->node);
    ovsrcu_set(&port->netdev->rtvnic, NULL);
    ovsrcu_postpone(rtvnic_port_free__, port);
    update_enabled();
}

static uint64_t
netdev_max_frame_bits(const struct netdev *netdev)
{
    int mtu;

    if (netdev_get_mtu(netdev, &mtu) || mtu <= 0) {
        mtu = ETH_PAYLOAD_MAX;
    }
    return (uint64_t) (mtu + RTVNIC_L2_OVERHEAD) * 8;
}

/* Applies a valid 'cfg' to 'port', creating or updating its roles. */
static void
rtvnic_port_apply(struct rtvnic_port *port, const struct rtvnic_config *cfg)
    OVS_REQUIRES(rtvnic_mutex)
{
    struct rtvnic_sched *sched = ovsrcu_get_protected(struct rtvnic_sched *,
                                                      &port->sched);

    port->cfg = *cfg;
    if (cfg->is_egress) {
        port->lmax_bits = netdev_max_frame_bits(port->netdev);
        if (sched) {
            rtvnic_sched_reconfigure(sched, cfg);
        } else {
            ovsrcu_set(&port->sched, rtvnic_sched_create(cfg));
        }
    } else if (sched) {
        ovsrcu_set(&port->sched, NULL);
        postpone_sched_destroy(sched);
    }

    if (cfg->is_source) {
        if (!port->source_id) {
            uint32_t id;

            if (!id_pool_alloc_id(source_ids, &id)) {
                free(port->error);
                port->error = xstrdup("no free RTvNIC source id");
                COVERAGE_INC(rtvnic_config_invalid);
                VLOG_WARN("%s: QoS rtvnic: %s, port stays best effort",
                          rtvnic_port_name(port), port->error);
                return;
            }
            port->source_id = id;
            port->admission_seq = rtvnic_admission_next_seq();
        }
        port->burst_bits = (cfg->burst_bits ? cfg->burst_bits
                            : (netdev_max_frame_bits(port->netdev)
                               + RTVNIC_ENCAP_OVERHEAD * 8));
        port->effective_deadline_ns = cfg->deadline_ns;
        rtvnic_port_publish_rx_info(port);
    } else {
        rtvnic_port_drop_source(port);
    }
}

void
rtvnic_netdev_add_qos_types(const struct netdev *netdev, struct sset *types)
{
    const char *dpif_type = netdev_get_dpif_type(netdev);

    if (!dpif_type || !strcmp(dpif_type, "netdev")
        || !strcmp(dpif_type, "dummy")) {
        sset_add(types, RTVNIC_QOS_TYPE);
    }
}

/* Configures QoS 'type' with 'details' on 'netdev', as far as RTvNIC is
 * concerned.  Returns 0 or a positive errno value if 'type' is "rtvnic";
 * returns -1 if 'type' is another type (after dropping any RTvNIC state of
 * 'netdev'), so that the caller hands it to the netdev class. */
int
rtvnic_netdev_set_qos(struct netdev *netdev, const char *type,
                      const struct smap *details)
{
    struct rtvnic_port *port;
    struct rtvnic_config cfg;
    const char *dpif_type;
    char *error;
    int retval = 0;

    ovs_mutex_lock(&rtvnic_mutex);
    port = rtvnic_port_lookup(netdev);
    if (strcmp(type, RTVNIC_QOS_TYPE)) {
        if (port) {
            VLOG_INFO("%s: QoS rtvnic removed", rtvnic_port_name(port));
            rtvnic_port_destroy(port);
            rtvnic_admit_all();
        }
        ovs_mutex_unlock(&rtvnic_mutex);
        return -1;
    }

    if (!details) {
        static const struct smap empty = SMAP_INITIALIZER(&empty);
        details = &empty;
    }
    if (port && smap_equal(&port->details, details)) {
        /* bridge reconfigures QoS on every database change. */
        ovs_mutex_unlock(&rtvnic_mutex);
        return port->error ? EINVAL : 0;
    }

    if (!source_ids) {
        source_ids = id_pool_create(1, UINT16_MAX);
    }
    if (!port) {
        port = xzalloc(sizeof *port);
        port->netdev = netdev;
        smap_init(&port->details);
        ovsrcu_init(&port->rx_info, NULL);
        ovsrcu_init(&port->sched, NULL);
        hmap_init(&port->queues);
        port->admission = RTVNIC_NO_EGRESS;
        hmap_insert(&rtvnic_ports, &port->node, hash_pointer(netdev, 0));
        ovsrcu_set(&netdev->rtvnic, port);
        update_enabled();
    }
    smap_destroy(&port->details);
    smap_clone(&port->details, details);
    free(port->error);
    port->error = NULL;

    dpif_type = netdev_get_dpif_type(netdev);
    if (dpif_type && strcmp(dpif_type, "netdev")
        && strcmp(dpif_type, "dummy")) {
        error = xasprintf("needs a userspace (netdev) datapath, not \"%s\"",
                          dpif_type);
        cfg.is_source = cfg.is_egress = false;
    } else {
        error = rtvnic_config_parse(details, &cfg);
    }

    if (error) {
        COVERAGE_INC(rtvnic_config_invalid);
        VLOG_WARN("%s: QoS rtvnic: %s; port stays best effort",
                  rtvnic_port_name(port), error);
        port->error = error;
        rtvnic_port_clear_roles(port);
        memset(&port->cfg, 0, sizeof port->cfg);
        retval = EINVAL;
    } else {
        rtvnic_port_apply(port, &cfg);
        retval = port->error ? EINVAL : 0;
        if (!retval) {
            VLOG_INFO("%s: QoS rtvnic configured%s%s", rtvnic_port_name(port),
                      cfg.is_source ? " as source" : "",
                      cfg.is_egress ? " as egress" : "");
        }
    }
    rtvnic_admit_all();
    ovs_mutex_unlock(&rtvnic_mutex);
    return retval;
}

/* If 'netdev' has QoS of type "rtvnic" (valid or not), stores the type in
 * '*typep', the configuration in 'details', and returns true. */
bool
rtvnic_netdev_get_qos(const struct netdev *netdev, const char **typep,
                      struct smap *details)
{
    struct rtvnic_port *port;

    if (!rtvnic_is_enabled()) {
        return false;
    }
    ovs_mutex_lock(&rtvnic_mutex);
    port = rtvnic_port_lookup(netdev);
    if (port) {
        *typep = RTVNIC_QOS_TYPE;
        rtvnic_smap_assign(details, &port->details);
    }
    ovs_mutex_unlock(&rtvnic_mutex);
    return port != NULL;
}

void
rtvnic_netdev_destroy(struct netdev *netdev)
{
    struct rtvnic_port *port;

    if (!ovsrcu_get(struct rtvnic_port *, &netdev->rtvnic)) {
        return;
    }
    ovs_mutex_lock(&rtvnic_mutex);
    port = rtvnic_port_lookup(netdev);
    if (port) {
        rtvnic_port_destroy(port);
        rtvnic_admit_all();
    }
    ovs_mutex_unlock(&rtvnic_mutex);
}
