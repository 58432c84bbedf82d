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


/* The Queue rows of a port with QoS of type "rtvnic": classes of its egress
 * scheduler, each with a deadline and optionally a min-rate, that a packet of
 * no source enters with "set_queue" (its skb_priority).
 *
 * lib/netdev.c hands this file a port's Queue rows (rtvnic_netdev_*queue*())
 * once the port has rtvnic QoS; for any other port every hook returns -1 so
 * that the netdev class gets the call.  A valid row reaches the scheduler
 * through admission control (rtvnic-admission.c, run after every change
 * here), which judges its min-rate; an invalid row is ignored whole, with a
 * warning naming key and value and the reason kept for rtvnic/show and
 * qos/show.  Queue 0 is the egress's default class: it is configured on the
 * QoS row, never by a Queue row, and is always listed.  See
 * rtvnic-private.h for the locking rules. */

#include <config.h>

#include "rtvnic.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "coverage.h"
#include "hash.h"
#include "netdev-provider.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/hmap.h"
#include "openvswitch/vlog.h"
#include "ovs-rcu.h"
#include "ovs-thread.h"
#include "rtvnic-config.h"
#include "rtvnic-private.h"
#include "rtvnic-sched.h"
#include "smap.h"
#include "util.h"

#define this_module RTVNIC_THIS_MODULE

COVERAGE_DEFINE(rtvnic_queue_invalid);

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

/* Removes queue 'q' from 'port' and from its egress scheduler, and frees it.
 * Packets already queued in its class stay queued as best effort. */
void
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
    was_valid = q && rtvnic_queue_is_valid(q);
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
                  rtvnic_port_name(port), queue_id, error);
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
            q->admission_seq = rtvnic_admission_next_seq();
        }
        VLOG_INFO("%s: QoS rtvnic: queue %u configured",
                  rtvnic_port_name(port), queue_id);
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
        VLOG_INFO("%s: QoS rtvnic: queue %u removed", rtvnic_port_name(port),
                  queue_id);
        rtvnic_queue_destroy(port, q);
        rtvnic_admit_all();
    } else if (queue_id) {
        error = ENOENT;
    }
    ovs_mutex_unlock(&rtvnic_mutex);
    return error;
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

    rtvnic_smap_assign(details, &q->details);
    if (q->error) {
        smap_add_format(details, "error", "%s (Queue row ignored)", q->error);
    } else if (q->refusal) {
        smap_add_format(details, "admission", "refused %s", q->refusal);
    } else {
        smap_add(details, "admission",
                 rtvnic_queue_admission_name(q->admission));
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
struct rtvnic_queue **
rtvnic_port_sorted_queues(const struct rtvnic_port *port, size_t *n)
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
    queues = rtvnic_port_sorted_queues(port, &n);
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
    rtvnic_smap_assign(details, &dump->details[dump->next]);
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
