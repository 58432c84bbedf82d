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

#include <config.h>

#include "rtvnic.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/timerfd.h>
#endif

#include "coverage.h"
#include "dp-packet.h"
#include "id-pool.h"
#include "netdev-provider.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/hmap.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/vlog.h"
#include "ovs-rcu.h"
#include "ovs-thread.h"
#include "rtvnic-admission.h"
#include "rtvnic-config.h"
#include "rtvnic-sched.h"
#include "rtvnic-stamp.h"
#include "rtvnic-trace.h"
#include "hash.h"
#include "smap.h"
#include "sset.h"
#include "timeval.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(rtvnic);

COVERAGE_DEFINE(rtvnic_admission_refused);
COVERAGE_DEFINE(rtvnic_deadline_refused);
COVERAGE_DEFINE(rtvnic_config_invalid);
COVERAGE_DEFINE(rtvnic_queue_invalid);

/* Largest Geneve-over-IPv4 encapsulation RTvNIC adds in front of a frame:
 * outer Ethernet (14), IPv4 (20), UDP (8), Geneve (8), RTvNIC option (28). */
#define RTVNIC_ENCAP_OVERHEAD 78

/* Ethernet header plus one VLAN tag on top of the MTU. */
#define RTVNIC_L2_OVERHEAD 18

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

static struct ovs_mutex rtvnic_mutex = OVS_MUTEX_INITIALIZER;
static struct hmap rtvnic_ports OVS_GUARDED_BY(rtvnic_mutex)
    = HMAP_INITIALIZER(&rtvnic_ports);
static struct id_pool *source_ids OVS_GUARDED_BY(rtvnic_mutex);
static uint64_t next_admission_seq OVS_GUARDED_BY(rtvnic_mutex);

atomic_bool rtvnic_enabled = false;

static void rtvnic_admit_all(void) OVS_REQUIRES(rtvnic_mutex);
static const char *admission_name(enum rtvnic_admission);
static char *rtvnic_admit__(bool apply, bool effective)
    OVS_REQUIRES(rtvnic_mutex);

static const char *
port_name(const struct rtvnic_port *port)
{
    return netdev_get_name(port->netdev);
}

static struct rtvnic_port *
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

static struct rtvnic_port *
rtvnic_port_lookup_by_name(const char *name) OVS_REQUIRES(rtvnic_mutex)
{
    struct rtvnic_port *port;

    HMAP_FOR_EACH (port, node, &rtvnic_ports) {
        if (!strcmp(port_name(port), name)) {
            return port;
        }
    }
    return NULL;
}

static void
publish_rx_info(struct rtvnic_port *port) OVS_REQUIRES(rtvnic_mutex)
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
static void
postpone_sched_destroy(struct rtvnic_sched *sched)
{
    ovsrcu_postpone__((void (*)(void *)) rtvnic_sched_destroy, sched);
}

static struct rtvnic_queue *
rtvnic_queue_lookup(const struct rtvnic_port *port, unsigned int queue_id)
    OVS_REQUIRES(rtvnic_mutex)
{
    struct rtvnic_queue *q;

    HMAP_FOR_EACH_WITH_HASH (q, node, hash_int(queue_id, 0), &port->queues) {
        if (q->queue_id == queue_id) {
            return q;
        }
    }
    return NULL;
}

/* A queue the scheduler knows: valid, and not the default queue 0. */
static bool
queue_is_valid(const struct rtvnic_queue *q)
{
    return !q->error && q->queue_id;
}

static void
rtvnic_queue_destroy(struct rtvnic_port *port, struct rtvnic_queue *q)
    OVS_REQUIRES(rtvnic_mutex)
{
    struct rtvnic_sched *sched = ovsrcu_get_protected(struct rtvnic_sched *,
                                                      &port->sched);
    if (sched) {
        rtvnic_sched_remove_queue(sched, q->queue_id);
    }
    hmap_remove(&port->queues, &q->node);
    smap_destroy(&q->details);
    free(q->error);
    free(q->refusal);
    free(q);
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
    publish_rx_info(port);
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
                          port_name(port), port->error);
                return;
            }
            port->source_id = id;
            port->admission_seq = ++next_admission_seq;
        }
        port->burst_bits = (cfg->burst_bits ? cfg->burst_bits
                            : (netdev_max_frame_bits(port->netdev)
                               + RTVNIC_ENCAP_OVERHEAD * 8));
        port->effective_deadline_ns = cfg->deadline_ns;
        publish_rx_info(port);
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
            VLOG_INFO("%s: QoS rtvnic removed", port_name(port));
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
                  port_name(port), error);
        port->error = error;
        rtvnic_port_clear_roles(port);
        memset(&port->cfg, 0, sizeof port->cfg);
        retval = EINVAL;
    } else {
        rtvnic_port_apply(port, &cfg);
        retval = port->error ? EINVAL : 0;
        if (!retval) {
            VLOG_INFO("%s: QoS rtvnic configured%s%s", port_name(port),
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
        smap_clear(details);
        smap_clone(details, &port->details);
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

/* Queues. */

/* Configures queue 'queue_id' of 'netdev' with 'details' (the other_config of
 * its Queue row), if 'netdev' has QoS of type "rtvnic".  Returns 0, or
 * EINVAL if the row is invalid (then the whole row is ignored: the queue
 * does not exist for the datapath, a warning names the key and value, and
 * "rtvnic/show" the reason).  Returns -1 if 'netdev' has no rtvnic QoS, so
 * that the caller hands the call to the netdev class. */
int
rtvnic_netdev_set_queue(struct netdev *netdev, unsigned int queue_id,
                        const struct smap *details)
{
    struct rtvnic_queue_config cfg;
    struct rtvnic_port *port;
    struct rtvnic_queue *q;
    bool was_valid;
    char *error;

    if (!ovsrcu_get(struct rtvnic_port *, &netdev->rtvnic)) {
        return -1;
    }
    ovs_mutex_lock(&rtvnic_mutex);
    port = rtvnic_port_lookup(netdev);
    if (!port) {
        ovs_mutex_unlock(&rtvnic_mutex);
        return -1;
    }
    q = rtvnic_queue_lookup(port, queue_id);
    if (!queue_id && smap_is_empty(details)) {
        /* ovs-vswitchd's implicit default queue: nothing to configure. */
        if (q) {
            rtvnic_queue_destroy(port, q);
        }
        ovs_mutex_unlock(&rtvnic_mutex);
        return 0;
    }
    if (q && smap_equal(&q->details, details)) {
        /* bridge reconfigures queues on every database change. */
        ovs_mutex_unlock(&rtvnic_mutex);
        return q->error ? EINVAL : 0;
    }
    was_valid = q && queue_is_valid(q);
    if (!q) {
        q = xzalloc(sizeof *q);
        q->queue_id = queue_id;
        smap_init(&q->details);
        q->admission = RTVNIC_NO_EGRESS;
        hmap_insert(&port->queues, &q->node, hash_int(queue_id, 0));
    }
    smap_destroy(&q->details);
    smap_clone(&q->details, details);
    free(q->error);
    q->error = NULL;

    error = rtvnic_queue_config_parse(queue_id, details, &cfg);
    if (error) {
        struct rtvnic_sched *sched;

        COVERAGE_INC(rtvnic_queue_invalid);
        VLOG_WARN("%s: QoS rtvnic: queue %u: %s; Queue row ignored",
                  port_name(port), queue_id, error);
        q->error = error;
        memset(&q->cfg, 0, sizeof q->cfg);
        free(q->refusal);
        q->refusal = NULL;
        q->admission = RTVNIC_NO_EGRESS;
        sched = ovsrcu_get_protected(struct rtvnic_sched *, &port->sched);
        if (sched) {
            rtvnic_sched_remove_queue(sched, queue_id);
        }
    } else {
        q->cfg = cfg;
        q->burst_bits = cfg.burst_bits;
        if (!was_valid) {
            q->admission_seq = ++next_admission_seq;
        }
        VLOG_INFO("%s: QoS rtvnic: queue %u configured", port_name(port),
                  queue_id);
    }
    rtvnic_admit_all();
    ovs_mutex_unlock(&rtvnic_mutex);
    return error ? EINVAL : 0;
}

/* Deletes queue 'queue_id' of 'netdev', if 'netdev' has QoS of type
 * "rtvnic": its packets already queued stay queued as best effort.  Returns
 * 0, ENOENT if there is no such queue, or -1 if 'netdev' has no rtvnic
 * QoS. */
int
rtvnic_netdev_delete_queue(struct netdev *netdev, unsigned int queue_id)
{
    struct rtvnic_port *port;
    struct rtvnic_queue *q;
    int error = 0;

    if (!ovsrcu_get(struct rtvnic_port *, &netdev->rtvnic)) {
        return -1;
    }
    ovs_mutex_lock(&rtvnic_mutex);
    port = rtvnic_port_lookup(netdev);
    q = port ? rtvnic_queue_lookup(port, queue_id) : NULL;
    if (!port) {
        error = -1;
    } else if (q) {
        VLOG_INFO("%s: QoS rtvnic: queue %u removed", port_name(port),
                  queue_id);
        rtvnic_queue_destroy(port, q);
        rtvnic_admit_all();
    } else if (queue_id) {
        error = ENOENT;
    }
    ovs_mutex_unlock(&rtvnic_mutex);
    return error;
}

static const char *
queue_admission_name(enum rtvnic_admission admission)
{
    return (admission == RTVNIC_NO_EGRESS
            ? "pending (port is not an rtvnic egress)"
            : admission_name(admission));
}

/* Fills 'details' with what "qos/show" prints for queue 'q' of 'port' (NULL
 * for the default queue 0): its configuration as given, and its state. */
static void
queue_details(const struct rtvnic_port *port, const struct rtvnic_queue *q,
              struct smap *details)
    OVS_REQUIRES(rtvnic_mutex)
{
    struct rtvnic_sched *sched = ovsrcu_get_protected(struct rtvnic_sched *,
                                                      &port->sched);
    struct rtvnic_source_stats ss;
    struct ds s = DS_EMPTY_INITIALIZER;

    smap_clear(details);
    if (!q) {
        if (sched) {
            rtvnic_format_duration(&s, port->cfg.default_deadline_ns);
            smap_add(details, "deadline", ds_cstr(&s));
            rtvnic_sched_get_source_stats(sched, 0, &ss);
            smap_add_format(details, "late", "%"PRIu64, ss.late);
        }
        ds_destroy(&s);
        return;
    }

    smap_clone(details, &q->details);
    if (q->error) {
        smap_add_format(details, "error", "%s (Queue row ignored)", q->error);
    } else if (q->refusal) {
        smap_add_format(details, "admission", "refused %s", q->refusal);
    } else {
        smap_add(details, "admission", queue_admission_name(q->admission));
    }
    if (!q->error && q->cfg.min_rate_bps && !q->cfg.burst_bits && sched) {
        smap_add_format(details, "burst", "%"PRIu64, q->burst_bits);
    }
    if (sched && rtvnic_sched_get_queue_stats(sched, q->queue_id, &ss)) {
        smap_add_format(details, "late", "%"PRIu64, ss.late);
    }
    ds_destroy(&s);
}

/* Stores in 'stats' the counters of queue 'queue_id' of 'port' (0: the
 * default queue, best effort).  Returns 0, or EINVAL if there is no such
 * queue. */
static int
queue_stats(const struct rtvnic_port *port, unsigned int queue_id,
            struct netdev_queue_stats *stats)
    OVS_REQUIRES(rtvnic_mutex)
{
    struct rtvnic_sched *sched = ovsrcu_get_protected(struct rtvnic_sched *,
                                                      &port->sched);
    struct rtvnic_source_stats ss;
    bool found;

    *stats = (struct netdev_queue_stats) {
        .tx_bytes = UINT64_MAX,
        .tx_packets = UINT64_MAX,
        .tx_errors = UINT64_MAX,
        .created = LLONG_MIN,
    };
    if (queue_id && !rtvnic_queue_lookup(port, queue_id)) {
        return EINVAL;
    }
    found = (sched && (queue_id
                       ? rtvnic_sched_get_queue_stats(sched, queue_id, &ss)
                       : rtvnic_sched_get_source_stats(sched, 0, &ss)));
    if (found) {
        stats->tx_packets = ss.sent_packets;
        stats->tx_bytes = ss.sent_bytes;
        stats->tx_errors = ss.dropped;
    }
    return 0;
}

/* Stores the configuration and state of queue 'queue_id' of 'netdev' in
 * 'details' (see queue_details()).  Returns 0, EINVAL if there is no such
 * queue, or -1 if 'netdev' has no rtvnic QoS. */
int
rtvnic_netdev_get_queue(const struct netdev *netdev, unsigned int queue_id,
                        struct smap *details)
{
    struct rtvnic_port *port;
    struct rtvnic_queue *q;
    int error = 0;

    if (!ovsrcu_get(struct rtvnic_port *, &netdev->rtvnic)) {
        return -1;
    }
    ovs_mutex_lock(&rtvnic_mutex);
    port = rtvnic_port_lookup(netdev);
    q = port ? rtvnic_queue_lookup(port, queue_id) : NULL;
    if (!port) {
        error = -1;
    } else if (q || !queue_id) {
        queue_details(port, q, details);
    } else {
        error = EINVAL;
    }
    ovs_mutex_unlock(&rtvnic_mutex);
    return error;
}

/* Stores the counters of queue 'queue_id' of 'netdev' in 'stats': packets
 * and bytes sent, packets dropped (queue full, or late under
 * late-policy=drop) as tx_errors.  Returns 0, EINVAL if there is no such
 * queue, or -1 if 'netdev' has no rtvnic QoS. */
int
rtvnic_netdev_get_queue_stats(const struct netdev *netdev,
                              unsigned int queue_id,
                              struct netdev_queue_stats *stats)
{
    struct rtvnic_port *port;
    int error;

    if (!ovsrcu_get(struct rtvnic_port *, &netdev->rtvnic)) {
        return -1;
    }
    ovs_mutex_lock(&rtvnic_mutex);
    port = rtvnic_port_lookup(netdev);
    error = port ? queue_stats(port, queue_id, stats) : -1;
    ovs_mutex_unlock(&rtvnic_mutex);
    return error;
}

static int
compare_queue_id(const void *a_, const void *b_)
{
    const struct rtvnic_queue *const *a = a_;
    const struct rtvnic_queue *const *b = b_;

    return ((*a)->queue_id > (*b)->queue_id) - ((*a)->queue_id
                                                < (*b)->queue_id);
}

/* Returns the queues of 'port' sorted by id, with their number in '*n'. */
static struct rtvnic_queue **
sorted_queues(const struct rtvnic_port *port, size_t *n)
    OVS_REQUIRES(rtvnic_mutex)
{
    struct rtvnic_queue **queues;
    struct rtvnic_queue *q;

    *n = 0;
    queues = xmalloc((hmap_count(&port->queues) + 1) * sizeof *queues);
    HMAP_FOR_EACH (q, node, &port->queues) {
        queues[(*n)++] = q;
    }
    qsort(queues, *n, sizeof *queues, compare_queue_id);
    return queues;
}

/* A queue dump: a snapshot taken at its start. */
struct rtvnic_queue_dump {
    size_t n, next;
    unsigned int *ids;
    struct smap *details;
    struct netdev_queue_stats *stats;
};

static struct rtvnic_queue_dump *
queue_dump_create(const struct netdev *netdev)
{
    struct rtvnic_queue_dump *dump;
    struct rtvnic_queue **queues;
    struct rtvnic_port *port;
    size_t n;

    ovs_mutex_lock(&rtvnic_mutex);
    port = rtvnic_port_lookup(netdev);
    if (!port) {
        ovs_mutex_unlock(&rtvnic_mutex);
        return NULL;
    }
    queues = sorted_queues(port, &n);
    dump = xzalloc(sizeof *dump);
    dump->ids = xmalloc((n + 1) * sizeof *dump->ids);
    dump->details = xmalloc((n + 1) * sizeof *dump->details);
    dump->stats = xmalloc((n + 1) * sizeof *dump->stats);
    if (!n || queues[0]->queue_id) {
        /* The default queue is always there. */
        dump->ids[0] = 0;
        smap_init(&dump->details[0]);
        queue_details(port, NULL, &dump->details[0]);
        queue_stats(port, 0, &dump->stats[0]);
        dump->n = 1;
    }
    for (size_t i = 0; i < n; i++) {
        size_t k = dump->n++;

        dump->ids[k] = queues[i]->queue_id;
        smap_init(&dump->details[k]);
        queue_details(port, queues[i], &dump->details[k]);
        queue_stats(port, queues[i]->queue_id, &dump->stats[k]);
    }
    free(queues);
    ovs_mutex_unlock(&rtvnic_mutex);
    return dump;
}

/* Starts a dump of the queues of 'netdev' (queue 0 first, then in id order)
 * in '*statep'.  Returns 0, or -1 if 'netdev' has no rtvnic QoS. */
int
rtvnic_netdev_queue_dump_start(const struct netdev *netdev, void **statep)
{
    if (!ovsrcu_get(struct rtvnic_port *, &netdev->rtvnic)) {
        return -1;
    }
    *statep = queue_dump_create(netdev);
    return *statep ? 0 : -1;
}

/* Returns the next queue of the dump 'state' in '*queue_id' and 'details'
 * and returns 0, or EOF when there is none left. */
int
rtvnic_netdev_queue_dump_next(void *state, unsigned int *queue_id,
                              struct smap *details)
{
    struct rtvnic_queue_dump *dump = state;

    if (dump->next >= dump->n) {
        return EOF;
    }
    *queue_id = dump->ids[dump->next];
    smap_clear(details);
    smap_clone(details, &dump->details[dump->next]);
    dump->next++;
    return 0;
}

void
rtvnic_netdev_queue_dump_done(void *state)
{
    struct rtvnic_queue_dump *dump = state;

    if (dump) {
        for (size_t i = 0; i < dump->n; i++) {
            smap_destroy(&dump->details[i]);
        }
        free(dump->ids);
        free(dump->details);
        free(dump->stats);
        free(dump);
    }
}

/* Calls 'cb' with the counters of every queue of 'netdev' (see
 * rtvnic_netdev_get_queue_stats()).  Returns 0, or -1 if 'netdev' has no
 * rtvnic QoS. */
int
rtvnic_netdev_dump_queue_stats(const struct netdev *netdev,
                               netdev_dump_queue_stats_cb *cb, void *aux)
{
    struct rtvnic_queue_dump *dump;

    if (!ovsrcu_get(struct rtvnic_port *, &netdev->rtvnic)) {
        return -1;
    }
    dump = queue_dump_create(netdev);
    if (!dump) {
        return -1;
    }
    for (size_t i = 0; i < dump->n; i++) {
        cb(dump->ids[i], &dump->stats[i], aux);
    }
    rtvnic_netdev_queue_dump_done(dump);
    return 0;
}

/* Admission control. */

/* A candidate for admission: a vNIC source, or a queue with its egress. */
struct admit_entry {
    struct rtvnic_port *port;   /* The source, or the queue's egress. */
    struct rtvnic_queue *queue; /* NULL for a source. */
    uint64_t seq;               /* Admission order. */
};

static int
compare_admission_seq(const void *a_, const void *b_)
{
    const struct admit_entry *a = a_;
    const struct admit_entry *b = b_;

    return (a->seq > b->seq) - (a->seq < b->seq);
}

/* Returns the rate that source 'src' asks to have guaranteed at 'egress':
 * its min-rate, else the egress's default-min-rate (0: none). */
static uint64_t
source_rate_at(const struct rtvnic_port *src, const struct rtvnic_port *egress)
{
    return (src->cfg.min_rate_bps ? src->cfg.min_rate_bps
            : egress->cfg.default_min_rate_bps);
}

/* Returns the index of 'port' in the 'n' egresses of 'egresses', or SIZE_MAX
 * if it is not an egress. */
static size_t
egress_index(struct rtvnic_port *const *egresses, size_t n,
             const struct rtvnic_port *port)
{
    for (size_t j = 0; j < n; j++) {
        if (egresses[j] == port) {
            return j;
        }
    }
    return SIZE_MAX;
}

/* Appends the flow with the given parameters to the 'n_admitted' flows of
 * 'row', admitted so far at 'egress', and tests them.  Returns NULL if they
 * pass, else a malloc()ed reason naming the egress. */
static char *
admission_try(struct rtvnic_admission_flow *row, size_t n_admitted,
              const struct rtvnic_port *egress, uint64_t deadline_ns,
              uint64_t rate_bps, uint64_t burst_bits)
{
    char *why, *refusal = NULL;

    row[n_admitted] = (struct rtvnic_admission_flow) {
        .deadline_ns = deadline_ns,
        .rate_bps = rate_bps,
        .burst_bits = burst_bits,
    };
    why = rtvnic_admission_test(row, n_admitted + 1, egress->cfg.max_rate_bps,
                                egress->lmax_bits);
    if (why) {
        refusal = xasprintf("at egress %s: %s", port_name(egress), why);
        free(why);
    }
    return refusal;
}

/* Records the admission outcome 'new' (and 'refusal', which it takes) of
 * queue 'q' of egress 'port'. */
static void
queue_set_admission(struct rtvnic_port *port, struct rtvnic_queue *q,
                    enum rtvnic_admission new, char *refusal)
    OVS_REQUIRES(rtvnic_mutex)
{
    enum rtvnic_admission old = q->admission;

    q->admission = new;
    if (new == RTVNIC_REFUSED
        && (old != RTVNIC_REFUSED || !q->refusal
            || strcmp(q->refusal, refusal))) {
        COVERAGE_INC(rtvnic_admission_refused);
        VLOG_WARN("%s queue %u: RTvNIC admission refused %s; queue is best "
                  "effort", port_name(port), q->queue_id, refusal);
    } else if (new == RTVNIC_ADMITTED && old != RTVNIC_ADMITTED) {
        VLOG_INFO("%s queue %u: admitted (deadline %"PRIu64" ns, min-rate "
                  "%"PRIu64" bit/s, burst %"PRIu64" bits)", port_name(port),
                  q->queue_id, q->cfg.deadline_ns, q->cfg.min_rate_bps,
                  q->burst_bits);
    }
    free(q->refusal);
    q->refusal = refusal;
}

/* Runs admission control over every source and every queue with a min-rate,
 * in admission order (the order in which the ports became sources and the
 * queues became valid, so that those admitted earlier keep their guarantee
 * when a newcomer does not fit, whatever ids they got): a source at every
 * egress, a queue at its own, with the sources' contract deadlines or, if
 * 'effective', their effective deadlines.
 *
 * If 'apply', records the outcome and pushes it into every egress scheduler,
 * and returns NULL.  Otherwise changes nothing and returns NULL if every
 * source and queue admitted now would stay admitted, else a malloc()ed
 * reason. */
static char *
rtvnic_admit__(bool apply, bool effective) OVS_REQUIRES(rtvnic_mutex)
{
    size_t n_ports = hmap_count(&rtvnic_ports);
    struct rtvnic_port **egresses = xmalloc(n_ports * sizeof *egresses);
    struct admit_entry *entries = NULL;
    size_t n_entries = 0, allocated_entries = 0, n_egresses = 0;
    struct rtvnic_admission_flow *admitted;
    size_t *n_admitted;
    struct rtvnic_port *port;
    char *result = NULL;

    HMAP_FOR_EACH (port, node, &rtvnic_ports) {
        struct rtvnic_queue *q;

        if (port->source_id) {
            if (n_entries >= allocated_entries) {
                entries = x2nrealloc(entries, &allocated_entries,
                                     sizeof *entries);
            }
            entries[n_entries++] = (struct admit_entry) {
                .port = port, .seq = port->admission_seq,
            };
        }
        HMAP_FOR_EACH (q, node, &port->queues) {
            if (queue_is_valid(q)) {
                if (n_entries >= allocated_entries) {
                    entries = x2nrealloc(entries, &allocated_entries,
                                         sizeof *entries);
                }
                entries[n_entries++] = (struct admit_entry) {
                    .port = port, .queue = q, .seq = q->admission_seq,
                };
            }
        }
        if (ovsrcu_get_protected(struct rtvnic_sched *, &port->sched)) {
            egresses[n_egresses++] = port;
        }
    }
    if (n_entries) {
        qsort(entries, n_entries, sizeof *entries, compare_admission_seq);
    }

    /* Row 'j' holds the flows admitted so far at egress 'j'. */
    admitted = xmalloc(MAX(1, n_egresses * (n_entries + 1))
                       * sizeof *admitted);
    n_admitted = xcalloc(MAX(1, n_egresses), sizeof *n_admitted);

    for (size_t i = 0; i < n_entries; i++) {
        struct rtvnic_port *src = entries[i].port;
        struct rtvnic_queue *q = entries[i].queue;
        enum rtvnic_admission old = q ? q->admission : src->admission;
        enum rtvnic_admission new;
        bool wants_guarantee = false;
        char *refusal = NULL;

        if (q) {
            size_t j = egress_index(egresses, n_egresses, src);

            if (j != SIZE_MAX) {
                /* One frame of the largest size the egress sends. */
                q->burst_bits = (q->cfg.burst_bits ? q->cfg.burst_bits
                                 : src->lmax_bits);
            }
            if (j == SIZE_MAX) {
                new = RTVNIC_NO_EGRESS;
            } else if (!q->cfg.min_rate_bps) {
                new = RTVNIC_NO_GUARANTEE;
            } else {
                refusal = admission_try(&admitted[j * (n_entries + 1)],
                                        n_admitted[j], src,
                                        q->cfg.deadline_ns,
                                        q->cfg.min_rate_bps, q->burst_bits);
                if (refusal) {
                    new = RTVNIC_REFUSED;
                } else {
                    new = RTVNIC_ADMITTED;
                    n_admitted[j]++;
                }
            }
            if (!apply) {
                if (old == RTVNIC_ADMITTED && new != RTVNIC_ADMITTED
                    && !result) {
                    result = xasprintf("%s queue %u would lose its "
                                       "guarantee %s", port_name(src),
                                       q->queue_id,
                                       refusal ? refusal : "(no egress)");
                }
                free(refusal);
            } else {
                queue_set_admission(src, q, new, refusal);
            }
            continue;
        }

        for (size_t j = 0; j < n_egresses && !refusal; j++) {
            struct rtvnic_port *egress = egresses[j];
            uint64_t rate = source_rate_at(src, egress);

            if (!rate) {
                continue;
            }
            wants_guarantee = true;
            refusal = admission_try(&admitted[j * (n_entries + 1)],
                                    n_admitted[j], egress,
                                    (effective ? src->effective_deadline_ns
                                     : src->cfg.deadline_ns),
                                    rate, src->burst_bits);
        }

        if (!n_egresses) {
            new = RTVNIC_NO_EGRESS;
        } else if (!wants_guarantee) {
            new = RTVNIC_NO_GUARANTEE;
        } else if (refusal) {
            new = RTVNIC_REFUSED;
        } else {
            new = RTVNIC_ADMITTED;
            for (size_t j = 0; j < n_egresses; j++) {
                if (source_rate_at(src, egresses[j])) {
                    n_admitted[j]++;
                }
            }
        }

        if (!apply) {
            if (old == RTVNIC_ADMITTED && new != RTVNIC_ADMITTED
                && !result) {
                result = xasprintf("%s would lose its guarantee %s",
                                   port_name(src),
                                   refusal ? refusal : "(no egress)");
            }
            free(refusal);
            continue;
        }

        src->admission = new;
        if (new == RTVNIC_REFUSED
            && (old != RTVNIC_REFUSED || !src->refusal
                || strcmp(src->refusal, refusal))) {
            COVERAGE_INC(rtvnic_admission_refused);
            VLOG_WARN("%s: RTvNIC admission refused %s; vNIC %s",
                      port_name(src), refusal,
                      (src->cfg.min_rate_bps
                       ? "stays best effort"
                       : "is scheduled by its deadline, without guarantee"));
        } else if (new == RTVNIC_ADMITTED && old != RTVNIC_ADMITTED) {
            VLOG_INFO("%s: RTvNIC source %"PRIu16" admitted (deadline "
                      "%"PRIu64" ns, min-rate %"PRIu64" bit/s%s, burst "
                      "%"PRIu64" bits)", port_name(src), src->source_id,
                      src->cfg.deadline_ns,
                      src->cfg.min_rate_bps ? src->cfg.min_rate_bps
                      : source_rate_at(src, egresses[0]),
                      src->cfg.min_rate_bps ? "" : " (default-min-rate)",
                      src->burst_bits);
        }
        free(src->refusal);
        src->refusal = refusal;
    }

    for (size_t j = 0; apply && j < n_egresses; j++) {
        struct rtvnic_sched *sched;
        struct rtvnic_queue *q;

        sched = ovsrcu_get_protected(struct rtvnic_sched *,
                                     &egresses[j]->sched);
        for (size_t i = 0; i < n_entries; i++) {
            struct rtvnic_port *src = entries[i].port;
            uint64_t rate;

            if (entries[i].queue) {
                continue;
            }
            rate = source_rate_at(src, egresses[j]);
            rtvnic_sched_set_source(sched, src->source_id,
                                    src->admission == RTVNIC_ADMITTED && rate,
                                    !src->cfg.min_rate_bps, rate,
                                    src->burst_bits);
        }
        HMAP_FOR_EACH (q, node, &egresses[j]->queues) {
            if (queue_is_valid(q)
                && !rtvnic_sched_set_queue(sched, q->queue_id,
                                           q->cfg.deadline_ns,
                                           q->admission == RTVNIC_ADMITTED,
                                           !q->cfg.min_rate_bps,
                                           q->cfg.min_rate_bps,
                                           q->burst_bits)) {
                static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(1, 5);

                VLOG_WARN_RL(&rl, "%s queue %u: too many queues at this "
                             "egress; its packets are best effort",
                             port_name(egresses[j]), q->queue_id);
            }
        }
    }

    free(n_admitted);
    free(admitted);
    free(egresses);
    free(entries);
    return result;
}

/* Admits the sources by their contracts, then checks that the deadlines a
 * controller tightened still pass the same test; if they do not (say, an
 * egress became slower), puts them back to the contracts, which pass. */
static void
rtvnic_admit_all(void) OVS_REQUIRES(rtvnic_mutex)
{
    char *why = rtvnic_admit__(true, false);

    ovs_assert(!why);
    why = rtvnic_admit__(false, true);
    if (why) {
        struct rtvnic_port *port;

        HMAP_FOR_EACH (port, node, &rtvnic_ports) {
            if (port->source_id
                && port->effective_deadline_ns != port->cfg.deadline_ns) {
                VLOG_WARN("%s: effective deadline %"PRIu64" ns reset to the "
                          "contract's %"PRIu64" ns: %s", port_name(port),
                          port->effective_deadline_ns, port->cfg.deadline_ns,
                          why);
                COVERAGE_INC(rtvnic_deadline_refused);
                port->effective_deadline_ns = port->cfg.deadline_ns;
                publish_rx_info(port);
            }
        }
        free(why);
    }
}

/* Datapath side. */

/* Stamps every packet of 'batch', just received on 'netdev' at 'now_usec',
 * with its arrival time and, if 'netdev' is an RTvNIC source, the source's
 * id and effective deadline. */
void
rtvnic_rx_stamp(const struct netdev *netdev, struct dp_packet_batch *batch,
                long long int now_usec)
{
    struct rtvnic_port *port = ovsrcu_get(struct rtvnic_port *,
                                          &netdev->rtvnic);
    const struct rtvnic_rx_info *info = NULL;
    uint64_t now_ns = (uint64_t) now_usec * 1000;
    struct dp_packet *packet;

    if (port) {
        info = ovsrcu_get(struct rtvnic_rx_info *, &port->rx_info);
    }
    DP_PACKET_BATCH_FOR_EACH (i, packet, batch) {
        struct rtvnic_packet_meta *meta = &packet->rtvnic;
        uint8_t dscp;

        rtvnic_packet_meta_init(meta);
        meta->arrival_ns = now_ns;
        if (info) {
            meta->source_id = info->source_id;
            meta->rel_deadline_ns = info->rel_deadline_ns;
            meta->contract_deadline_us = info->contract_deadline_us;
            if (rtvnic_packet_get_dscp(packet, &dscp)) {
                meta->orig_dscp = (dscp << 2) | RTVNIC_ORIG_DSCP_VALID;
            }
        }
    }
}

/* Clears the per-packet RTvNIC state of every packet of 'batch', just
 * received while RTvNIC is disabled.  A DPDK mbuf is initialised only once
 * per mempool, so without this a recycled buffer would carry the source id
 * of an RTvNIC configuration removed since and get a bogus stamp.  Only what
 * the datapath reads before rtvnic_rx_stamp() runs again is cleared: a
 * source id of 0 makes every other field unused. */
void
rtvnic_rx_reset(struct dp_packet_batch *batch)
{
    struct dp_packet *packet;

    DP_PACKET_BATCH_FOR_EACH (i, packet, batch) {
        packet->rtvnic.source_id = 0;
        packet->rtvnic.arrival_ns = 0;
    }
}

/* Returns the EDF scheduler of 'netdev', or NULL if it is not an RTvNIC
 * egress.  Valid until the calling thread next quiesces. */
struct rtvnic_sched *
rtvnic_egress(const struct netdev *netdev)
{
    struct rtvnic_port *port = ovsrcu_get(struct rtvnic_port *,
                                          &netdev->rtvnic);

    return port ? ovsrcu_get(struct rtvnic_sched *, &port->sched) : NULL;
}

#ifdef __linux__
/* Wakes the main thread for a release less than a millisecond away, which
 * the poll loop's millisecond timers cannot express. */
static void
wait_sub_msec(uint64_t delta_ns)
{
    static int timer_fd = -1;
    static long long int last_armed_usec;
    struct itimerspec its;
    long long int now_usec = time_usec();
    uint64_t dummy;

    if (timer_fd < 0) {
        timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
        if (timer_fd < 0) {
            VLOG_WARN_ONCE("timerfd_create failed (%s); RTvNIC releases on "
                           "the main thread have millisecond granularity",
                           ovs_strerror(errno));
            return;
        }
    }
    if (read(timer_fd, &dummy, sizeof dummy) < 0) {
        /* EAGAIN: not expired, nothing to clear. */
    }
    if (now_usec == last_armed_usec) {
        /* OVS time stands still ("time/stop"): real time would only spin. */
        return;
    }
    last_armed_usec = now_usec;

    memset(&its, 0, sizeof its);
    its.it_value.tv_sec = delta_ns / 1000000000;
    its.it_value.tv_nsec = delta_ns % 1000000000;
    if (!timerfd_settime(timer_fd, 0, &its, NULL)) {
        poll_fd_wait(timer_fd, POLLIN);
    }
}
#else
static void
wait_sub_msec(uint64_t delta_ns OVS_UNUSED)
{
}
#endif

/* Arranges for the calling (main) thread's poll loop to wake up when the
 * earliest RTvNIC egress can release its next packet.  Egresses on PMD
 * netdevs (DPDK) are left out: PMD threads release those in their loop, and
 * waking the main thread for each of their packets would only make it spin
 * against them. */
void
rtvnic_wait(void)
{
    uint64_t next = UINT64_MAX;
    struct rtvnic_port *port;

    if (!rtvnic_is_enabled()) {
        return;
    }
    ovs_mutex_lock(&rtvnic_mutex);
    HMAP_FOR_EACH (port, node, &rtvnic_ports) {
        struct rtvnic_sched *sched;

        sched = ovsrcu_get_protected(struct rtvnic_sched *, &port->sched);
        if (sched && !netdev_is_pmd(port->netdev)) {
            next = MIN(next, rtvnic_sched_next_release(sched));
        }
    }
    ovs_mutex_unlock(&rtvnic_mutex);

    if (next != UINT64_MAX) {
        uint64_t now_ns = (uint64_t) time_usec() * 1000;

        if (next <= now_ns) {
            poll_immediate_wake();
        } else {
            poll_timer_wait_until(DIV_ROUND_UP(next, 1000000));
            if (next - now_ns < 1000000) {
                wait_sub_msec(next - now_ns);
            }
        }
    }
}

static struct rtvnic_port *
rtvnic_port_lookup_by_source(uint16_t source_id) OVS_REQUIRES(rtvnic_mutex)
{
    struct rtvnic_port *port;

    HMAP_FOR_EACH (port, node, &rtvnic_ports) {
        if (source_id && port->source_id == source_id) {
            return port;
        }
    }
    return NULL;
}

static int
set_effective_deadline(struct rtvnic_port *port, uint64_t ns, char **reason)
    OVS_REQUIRES(rtvnic_mutex)
{
    *reason = NULL;
    if (!port || !port->source_id) {
        return ENOENT;
    } else if (!ns || ns > port->cfg.deadline_ns) {
        return EINVAL;
    } else if (port->effective_deadline_ns != ns) {
        uint64_t old = port->effective_deadline_ns;

        /* The same exact test that admitted the sources, with 'ns'. */
        port->effective_deadline_ns = ns;
        *reason = rtvnic_admit__(false, true);
        if (*reason) {
            port->effective_deadline_ns = old;
            COVERAGE_INC(rtvnic_deadline_refused);
            return EPERM;
        }
        VLOG_INFO("%s: effective deadline %"PRIu64" ns -> %"PRIu64" ns "
                  "(contract %"PRIu64" ns)", port_name(port), old, ns,
                  port->cfg.deadline_ns);
        publish_rx_info(port);
    }
    return 0;
}

/* Sets the deadline that the datapath applies to the source on port 'name'
 * to 'ns', which must not exceed its configured deadline.  Returns 0, ENOENT
 * if there is no such source, EINVAL, or EPERM if admission control refuses
 * 'ns' because a source admitted now would lose its guarantee; then
 * '*reason' is a malloc()ed sentence saying why (else NULL). */
int
rtvnic_set_effective_deadline(const char *name, uint64_t ns, char **reason)
{
    int error;

    ovs_mutex_lock(&rtvnic_mutex);
    error = set_effective_deadline(rtvnic_port_lookup_by_name(name), ns,
                                   reason);
    ovs_mutex_unlock(&rtvnic_mutex);
    return error;
}

/* The same, for the source with id 'source_id'. */
int
rtvnic_set_effective_deadline_by_id(uint16_t source_id, uint64_t ns,
                                    char **reason)
{
    int error;

    ovs_mutex_lock(&rtvnic_mutex);
    error = set_effective_deadline(rtvnic_port_lookup_by_source(source_id),
                                   ns, reason);
    ovs_mutex_unlock(&rtvnic_mutex);
    return error;
}

/* Stores in '*sources' (to be freed by the caller, names included) every
 * valid RTvNIC source, and returns their number. */
size_t
rtvnic_get_sources(struct rtvnic_source_info **sources)
{
    struct rtvnic_port *port;
    size_t n = 0;

    ovs_mutex_lock(&rtvnic_mutex);
    *sources = xmalloc((hmap_count(&rtvnic_ports) + 1) * sizeof **sources);
    HMAP_FOR_EACH (port, node, &rtvnic_ports) {
        if (port->source_id) {
            (*sources)[n++] = (struct rtvnic_source_info) {
                .name = xstrdup(port_name(port)),
                .source_id = port->source_id,
                .deadline_ns = port->cfg.deadline_ns,
                .effective_deadline_ns = port->effective_deadline_ns,
            };
        }
    }
    ovs_mutex_unlock(&rtvnic_mutex);
    return n;
}

/* "rtvnic/show". */

static const char *
admission_name(enum rtvnic_admission admission)
{
    switch (admission) {
    case RTVNIC_ADMITTED:
        return "admitted";
    case RTVNIC_REFUSED:
        return "refused";
    case RTVNIC_NO_EGRESS:
        return "pending (no rtvnic egress)";
    case RTVNIC_NO_GUARANTEE:
        return "no bandwidth guarantee (scheduled by its deadline)";
    }
    OVS_NOT_REACHED();
}

static int
compare_port_name(const void *a_, const void *b_)
{
    const struct rtvnic_port *const *a = a_;
    const struct rtvnic_port *const *b = b_;

    return strcmp(port_name(*a), port_name(*b));
}

static void
show_egress(struct ds *ds, struct rtvnic_port *port,
            struct rtvnic_port **ports, size_t n_ports)
    OVS_REQUIRES(rtvnic_mutex)
{
    struct rtvnic_sched *sched = ovsrcu_get_protected(struct rtvnic_sched *,
                                                      &port->sched);
    struct rtvnic_source_stats ss;
    struct rtvnic_sched_stats st;

    rtvnic_sched_get_stats(sched, &st);
    ds_put_format(ds, "  egress: max-rate %"PRIu64" bit/s, default-deadline ",
                  port->cfg.max_rate_bps);
    rtvnic_format_duration(ds, port->cfg.default_deadline_ns);
    if (port->cfg.queue_limit_packets) {
        ds_put_format(ds, ", queue-limit %"PRIu32" packets",
                      port->cfg.queue_limit_packets);
    } else {
        ds_put_format(ds, ", queue-limit %"PRIu64" bytes",
                      port->cfg.queue_limit_bytes);
    }
    if (port->cfg.default_min_rate_bps) {
        ds_put_format(ds, ", default-min-rate %"PRIu64" bit/s",
                      port->cfg.default_min_rate_bps);
    }
    ds_put_format(ds, ", late-policy %s\n",
                  port->cfg.late_policy == RTVNIC_LATE_DROP ? "drop" : "send");
    ds_put_format(ds, "    queued: %"PRIu64" packets, %"PRIu64" bytes\n",
                  st.queued_packets, st.queued_bytes);
    ds_put_format(ds, "    enqueued: %"PRIu64", sent: %"PRIu64" packets, "
                  "%"PRIu64" bytes, dropped: %"PRIu64", late: %"PRIu64
                  ", late-dropped: %"PRIu64"\n", st.enqueued, st.sent_packets,
                  st.sent_bytes, st.dropped, st.late, st.late_dropped);
    for (size_t i = 0; i < n_ports; i++) {
        struct rtvnic_port *src = ports[i];

        if (src->source_id
            && rtvnic_sched_get_source_stats(sched, src->source_id, &ss)) {
            ds_put_format(ds, "    source %s: conforming %"PRIu64", excess "
                          "%"PRIu64", sent %"PRIu64" (%"PRIu64" bytes), late "
                          "%"PRIu64", dropped %"PRIu64"\n", port_name(src),
                          ss.conforming, ss.excess, ss.sent_packets,
                          ss.sent_bytes, ss.late, ss.dropped);
        }
    }
    if (rtvnic_sched_get_source_stats(sched, 0, &ss)) {
        ds_put_format(ds, "    best effort: packets %"PRIu64", sent %"PRIu64
                      " (%"PRIu64" bytes), late %"PRIu64", dropped %"PRIu64
                      "\n", ss.excess, ss.sent_packets, ss.sent_bytes,
                      ss.late, ss.dropped);
    }

    size_t n_queues;
    struct rtvnic_queue **queues = sorted_queues(port, &n_queues);
    for (size_t i = 0; i < n_queues; i++) {
        if (rtvnic_sched_get_queue_stats(sched, queues[i]->queue_id, &ss)) {
            ds_put_format(ds, "    queue %u: conforming %"PRIu64", excess "
                          "%"PRIu64", sent %"PRIu64" (%"PRIu64" bytes), late "
                          "%"PRIu64", dropped %"PRIu64"\n",
                          queues[i]->queue_id, ss.conforming, ss.excess,
                          ss.sent_packets, ss.sent_bytes, ss.late,
                          ss.dropped);
        }
    }
    free(queues);
    if (n_queues || st.no_queue) {
        ds_put_format(ds, "    no such queue: %"PRIu64" packets, sent as "
                      "best effort\n", st.no_queue);
    }
}

/* Appends to 'ds' the configuration and admission state of the queues of
 * 'port'. */
static void
show_queues(struct ds *ds, struct rtvnic_port *port)
    OVS_REQUIRES(rtvnic_mutex)
{
    size_t n;
    struct rtvnic_queue **queues = sorted_queues(port, &n);

    for (size_t i = 0; i < n; i++) {
        struct rtvnic_queue *q = queues[i];

        ds_put_format(ds, "  queue %u: ", q->queue_id);
        if (q->error) {
            ds_put_format(ds, "invalid configuration: %s\n"
                          "    (Queue row ignored)\n", q->error);
            continue;
        }
        ds_put_cstr(ds, "deadline ");
        rtvnic_format_duration(ds, q->cfg.deadline_ns);
        if (q->cfg.min_rate_bps) {
            ds_put_format(ds, ", min-rate %"PRIu64" bit/s",
                          q->cfg.min_rate_bps);
            if (q->cfg.burst_bits || q->admission != RTVNIC_NO_EGRESS) {
                ds_put_format(ds, ", burst %"PRIu64" bits", q->burst_bits);
            }
        } else {
            ds_put_cstr(ds, ", no min-rate");
        }
        ds_put_format(ds, ": %s\n", queue_admission_name(q->admission));
        if (q->refusal) {
            ds_put_format(ds, "    refused %s\n", q->refusal);
        }
    }
    free(queues);
}

static void
show_port(struct ds *ds, struct rtvnic_port *port,
          struct rtvnic_port **ports, size_t n_ports)
    OVS_REQUIRES(rtvnic_mutex)
{
    ds_put_format(ds, "%s:\n", port_name(port));
    if (port->error) {
        ds_put_format(ds, "  invalid configuration: %s\n"
                      "  (port is best effort)\n", port->error);
        show_queues(ds, port);
        return;
    }
    if (port->source_id) {
        ds_put_format(ds, "  source %"PRIu16": deadline ", port->source_id);
        rtvnic_format_duration(ds, port->cfg.deadline_ns);
        ds_put_cstr(ds, ", effective ");
        rtvnic_format_duration(ds, port->effective_deadline_ns);
        if (port->cfg.min_rate_bps) {
            ds_put_format(ds, ", min-rate %"PRIu64" bit/s, burst %"PRIu64
                          " bits: %s\n", port->cfg.min_rate_bps,
                          port->burst_bits, admission_name(port->admission));
        } else if (port->admission == RTVNIC_ADMITTED
                   || port->admission == RTVNIC_REFUSED) {
            ds_put_format(ds, ", no min-rate, default-min-rate of the "
                          "egress, burst %"PRIu64" bits: %s\n",
                          port->burst_bits, admission_name(port->admission));
        } else {
            ds_put_format(ds, ", no min-rate: %s\n",
                          admission_name(port->admission));
        }
        if (port->refusal) {
            ds_put_format(ds, "    refused %s\n", port->refusal);
        }
        if (port->refusal && !port->cfg.min_rate_bps) {
            ds_put_cstr(ds, "    no bandwidth guarantee: scheduled by its "
                        "deadline\n");
        }
    }
    if (ovsrcu_get_protected(struct rtvnic_sched *, &port->sched)) {
        show_egress(ds, port, ports, n_ports);
    }
    show_queues(ds, port);
}

/* Appends to 'ds' the state of 'name' or, if 'name' is NULL, of every RTvNIC
 * port.  Returns false if 'name' has no RTvNIC QoS. */
bool
rtvnic_show(struct ds *ds, const char *name)
{
    struct rtvnic_port **ports;
    struct rtvnic_port *port;
    size_t n = 0;
    bool found = !name;

    ovs_mutex_lock(&rtvnic_mutex);
    ports = xmalloc(hmap_count(&rtvnic_ports) * sizeof *ports + 1);
    HMAP_FOR_EACH (port, node, &rtvnic_ports) {
        ports[n++] = port;
    }
    qsort(ports, n, sizeof *ports, compare_port_name);
    for (size_t i = 0; i < n; i++) {
        if (!name || !strcmp(name, port_name(ports[i]))) {
            show_port(ds, ports[i], ports, n);
            found = true;
        }
    }
    if (!n && !name) {
        ds_put_cstr(ds, "no port has QoS of type rtvnic\n");
    }
    free(ports);
    ovs_mutex_unlock(&rtvnic_mutex);
    return found;
}

/* Returns the RTvNIC egress port 'name' (a port with a scheduler) and its
 * scheduler in '*schedp', or NULL with an error message in '*errorp' (to be
 * freed by the caller). */
static struct rtvnic_port *
lookup_egress_by_name(const char *name, struct rtvnic_sched **schedp,
                      char **errorp)
    OVS_REQUIRES(rtvnic_mutex)
{
    struct rtvnic_port *port = rtvnic_port_lookup_by_name(name);

    *schedp = (port
               ? ovsrcu_get_protected(struct rtvnic_sched *, &port->sched)
               : NULL);
    if (!*schedp) {
        *errorp = xasprintf("%s: no such RTvNIC egress (a port with QoS "
                            "type rtvnic and max-rate)", name);
        return NULL;
    }
    *errorp = NULL;
    return port;
}

/* Starts recording what the egress 'name' does with each packet, in a trace
 * of at most 'capacity' records, discarding a trace already running there.
 * Returns NULL, or an error message to be freed by the caller. */
char *
rtvnic_trace_start(const char *name, size_t capacity)
{
    struct rtvnic_sched *sched;
    char *error;

    if (!capacity || capacity > RTVNIC_TRACE_MAX_RECORDS) {
        return xasprintf("trace size %"PRIuSIZE" out of range (1 to %d "
                         "records)", capacity, RTVNIC_TRACE_MAX_RECORDS);
    }
    ovs_mutex_lock(&rtvnic_mutex);
    if (lookup_egress_by_name(name, &sched, &error)) {
        rtvnic_sched_trace_start(sched, capacity);
        VLOG_INFO("%s: tracing up to %"PRIuSIZE" packets", name, capacity);
    }
    ovs_mutex_unlock(&rtvnic_mutex);
    return error;
}

/* Stops the trace of the egress 'name' and writes it to 'file_name' (see
 * rtvnic-trace.h for the format), with a summary in 'reply'.
 *
 * 'file_name' must not exist: it is created exclusively, so that a typo can
 * never truncate or remove a file that is already there (a database, a log).
 * The port is checked before the file is created, and if the file cannot be
 * created the trace keeps running, so that its records are not lost.  A
 * failed write loses them and removes the file this call created.  Returns
 * NULL, or an error message to be freed by the caller. */
char *
rtvnic_trace_stop(const char *name, const char *file_name, struct ds *reply)
{
    struct rtvnic_trace *trace = NULL;
    uint64_t rate_bps = 0, default_deadline_ns = 0;
    struct rtvnic_sched *sched;
    FILE *stream;
    char *error;
    int fd;

    ovs_mutex_lock(&rtvnic_mutex);
    lookup_egress_by_name(name, &sched, &error);
    ovs_mutex_unlock(&rtvnic_mutex);
    if (error) {
        return error;
    }

    fd = open(file_name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        return (errno == EEXIST
                ? xasprintf("%s: exists; rtvnic/trace-stop writes only a new "
                            "file", file_name)
                : xasprintf("%s: cannot create (%s)", file_name,
                            ovs_strerror(errno)));
    }
    stream = fdopen(fd, "w");
    if (!stream) {
        error = xasprintf("%s: cannot create (%s)", file_name,
                          ovs_strerror(errno));
        close(fd);
        unlink(file_name);
        return error;
    }

    /* The port may have gone while the file was created: look again. */
    ovs_mutex_lock(&rtvnic_mutex);
    struct rtvnic_port *port = lookup_egress_by_name(name, &sched, &error);
    if (port) {
        rate_bps = port->cfg.max_rate_bps;
        default_deadline_ns = port->cfg.default_deadline_ns;
        trace = rtvnic_sched_trace_stop(sched);
        if (!trace) {
            error = xasprintf("%s: not being traced (start with "
                              "rtvnic/trace-start)", name);
        }
    }
    ovs_mutex_unlock(&rtvnic_mutex);

    if (!error) {
        int retval = rtvnic_trace_write(trace, name, rate_bps,
                                        default_deadline_ns, stream);
        if (fclose(stream) && !retval) {
            retval = errno;
        }
        stream = NULL;
        if (retval) {
            error = xasprintf("%s: write failed (%s)", file_name,
                              ovs_strerror(retval));
            unlink(file_name);
        } else {
            ds_put_format(reply, "%s: wrote %"PRIuSIZE" records to %s",
                          name, trace->n, file_name);
            if (trace->n_overflow) {
                ds_put_format(reply, " (%"PRIu64" more did not fit)",
                              trace->n_overflow);
            }
            ds_put_char(reply, '\n');
        }
        rtvnic_trace_destroy(trace);
    }
    if (stream) {
        /* Nothing was written: remove the file this call created. */
        fclose(stream);
        unlink(file_name);
    }
    return error;
}
