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

#include "rtvnic-sched.h"

#include <string.h>

#include "dp-packet.h"
#include "netdev.h"
#include "openvswitch/util.h"
#include "ovs-atomic.h"
#include "ovs-thread.h"
#include "rtvnic-config.h"
#include "rtvnic-edf.h"
#include "rtvnic-stamp.h"
#include "rtvnic-trace.h"
#include "util.h"

#define NS_PER_S UINT64_C(1000000000)

typedef unsigned __int128 u128;

/* Per-source state inside one egress.  Index 0 collects best effort. */
struct sched_source {
    bool configured;            /* Known source (else treated as BE). */
    bool guaranteed;            /* Admitted: owns a token bucket. */
    uint64_t rate_bps;
    uint64_t depth_nbytes;      /* Bucket depth, in bytes * 1e9. */
    uint64_t tokens_nbytes;     /* Tokens, in bytes * 1e9. */
    uint64_t refill_ns;         /* Time of the last refill. */
    struct rtvnic_source_stats stats;
};

struct rtvnic_sched {
    struct ovs_mutex mutex;

    /* Configuration. */
    uint64_t rate_bps OVS_GUARDED;
    uint64_t default_deadline_ns OVS_GUARDED;
    uint32_t limit_packets OVS_GUARDED;  /* 0: limited in bytes. */
    uint64_t limit_bytes OVS_GUARDED;    /* 0: limited in packets. */
    enum rtvnic_late_policy late_policy OVS_GUARDED;

    /* Queues. */
    struct rtvnic_edf conforming OVS_GUARDED;
    struct rtvnic_edf excess OVS_GUARDED;
    uint64_t n_bytes OVS_GUARDED;

    /* Pacer: the link is busy until 'next_tx_ns' + 'tx_rem' / rate_bps. */
    uint64_t next_tx_ns OVS_GUARDED;
    uint64_t tx_rem OVS_GUARDED;

    struct sched_source *sources OVS_GUARDED;
    size_t n_sources OVS_GUARDED;

    struct rtvnic_sched_stats stats OVS_GUARDED;
    struct rtvnic_trace *trace OVS_GUARDED;     /* Usually NULL. */

    /* Read without the mutex by rtvnic_sched_next_release(). */
    atomic_uint64_t next_release_ns;
};

static struct dp_packet *
packet_from_node(struct rtvnic_edf_node *node)
{
    return CONTAINER_OF(node, struct dp_packet, rtvnic.node);
}

static struct sched_source *
sched_source(struct rtvnic_sched *sched, uint16_t id)
    OVS_REQUIRES(sched->mutex)
{
    return (id < sched->n_sources && sched->sources[id].configured
            ? &sched->sources[id] : &sched->sources[0]);
}

static void
sched_apply_config(struct rtvnic_sched *sched, const struct rtvnic_config *cfg)
    OVS_REQUIRES(sched->mutex)
{
    sched->rate_bps = cfg->max_rate_bps;
    sched->default_deadline_ns = cfg->default_deadline_ns;
    sched->limit_packets = cfg->queue_limit_packets;
    sched->limit_bytes = cfg->queue_limit_bytes;
    sched->late_policy = cfg->late_policy;
}

struct rtvnic_sched *
rtvnic_sched_create(const struct rtvnic_config *cfg)
{
    struct rtvnic_sched *sched = xzalloc(sizeof *sched);

    ovs_mutex_init(&sched->mutex);
    ovs_mutex_lock(&sched->mutex);
    sched_apply_config(sched, cfg);
    rtvnic_edf_init(&sched->conforming);
    rtvnic_edf_init(&sched->excess);
    sched->n_sources = 1;
    sched->sources = xzalloc(sizeof *sched->sources);
    sched->sources[0].configured = true;
    ovs_mutex_unlock(&sched->mutex);
    atomic_init(&sched->next_release_ns, UINT64_MAX);
    return sched;
}

static void
free_queue(struct rtvnic_edf *edf)
{
    struct rtvnic_edf_node *node;

    while ((node = rtvnic_edf_pop_first(edf))) {
        dp_packet_delete(packet_from_node(node));
    }
    rtvnic_edf_destroy(edf);
}

/* Frees 'sched' and every packet still queued in it.  The caller must make
 * sure no other thread can reach 'sched' any more. */
void
rtvnic_sched_destroy(struct rtvnic_sched *sched)
{
    if (sched) {
        free_queue(&sched->conforming);
        free_queue(&sched->excess);
        free(sched->sources);
        rtvnic_trace_destroy(sched->trace);
        ovs_mutex_destroy(&sched->mutex);
        free(sched);
    }
}

void
rtvnic_sched_reconfigure(struct rtvnic_sched *sched,
                         const struct rtvnic_config *cfg)
{
    ovs_mutex_lock(&sched->mutex);
    sched_apply_config(sched, cfg);
    ovs_mutex_unlock(&sched->mutex);
}

/* Makes 'source_id' known to 'sched'.  A 'guaranteed' source gets a token
 * bucket of 'min_rate_bps' and 'burst_bits' (starting full); otherwise its
 * packets are best effort.  Statistics of a known source are kept. */
void
rtvnic_sched_set_source(struct rtvnic_sched *sched, uint16_t source_id,
                        bool guaranteed, uint64_t min_rate_bps,
                        uint64_t burst_bits)
{
    struct sched_source *src;
    uint64_t depth;

    ovs_assert(source_id);
    ovs_mutex_lock(&sched->mutex);
    if (source_id >= sched->n_sources) {
        size_t n = source_id + 1;

        sched->sources = xrealloc(sched->sources, n * sizeof *sched->sources);
        memset(&sched->sources[sched->n_sources], 0,
               (n - sched->n_sources) * sizeof *sched->sources);
        sched->n_sources = n;
    }
    src = &sched->sources[source_id];
    depth = burst_bits / 8 * NS_PER_S;
    if (!src->configured || src->guaranteed != guaranteed
        || src->rate_bps != min_rate_bps || src->depth_nbytes != depth) {
        src->tokens_nbytes = depth;
        src->refill_ns = 0;
    }
    src->configured = true;
    src->guaranteed = guaranteed;
    src->rate_bps = guaranteed ? min_rate_bps : 0;
    src->depth_nbytes = guaranteed ? depth : 0;
    ovs_mutex_unlock(&sched->mutex);
}

void
rtvnic_sched_remove_source(struct rtvnic_sched *sched, uint16_t source_id)
{
    ovs_mutex_lock(&sched->mutex);
    if (source_id && source_id < sched->n_sources) {
        memset(&sched->sources[source_id], 0, sizeof sched->sources[0]);
    }
    ovs_mutex_unlock(&sched->mutex);
}

/* Takes 'size' bytes from 'src''s token bucket, if it holds them. */
static bool
take_tokens(struct sched_source *src, uint32_t size, uint64_t now_ns)
{
    uint64_t need = (uint64_t) size * NS_PER_S;

    if (now_ns > src->refill_ns) {
        u128 add = (u128) (now_ns - src->refill_ns) * src->rate_bps / 8;
        u128 tokens = src->tokens_nbytes + add;

        src->tokens_nbytes = (tokens > src->depth_nbytes
                              ? src->depth_nbytes : (uint64_t) tokens);
        src->refill_ns = now_ns;
    }
    if (src->tokens_nbytes >= need) {
        src->tokens_nbytes -= need;
        return true;
    }
    return false;
}

static bool
over_limit(const struct rtvnic_sched *sched, uint32_t size)
    OVS_REQUIRES(sched->mutex)
{
    size_t n = (rtvnic_edf_count(&sched->conforming)
                + rtvnic_edf_count(&sched->excess));

    return (sched->limit_packets
            ? n + 1 > sched->limit_packets
            : sched->n_bytes + size > sched->limit_bytes);
}

/* Appends to the trace, if any, that 'packet' (due at 'deadline', in the
 * conforming queue or not) leaves the scheduler at 'now_ns' as 'fate'. */
static void
trace_packet(struct rtvnic_sched *sched, const struct dp_packet *packet,
             uint64_t deadline, bool conforming, uint64_t now_ns,
             enum rtvnic_trace_fate fate)
    OVS_REQUIRES(sched->mutex)
{
    if (OVS_UNLIKELY(sched->trace)) {
        const struct rtvnic_packet_meta *meta = &packet->rtvnic;
        struct rtvnic_trace_record record = {
            .arrival_ns = meta->arrival_ns ? meta->arrival_ns : now_ns,
            .deadline_ns = deadline,
            .leave_ns = now_ns,
            .size = dp_packet_size(packet),
            .source_id = meta->source_id,
            .conforming = conforming,
            .fate = fate,
        };
        rtvnic_trace_add(sched->trace, &record);
    }
}

static void
count_drop(struct rtvnic_sched *sched, struct dp_packet *packet,
           uint64_t deadline, bool conforming, uint64_t now_ns)
    OVS_REQUIRES(sched->mutex)
{
    trace_packet(sched, packet, deadline, conforming, now_ns,
                 RTVNIC_TRACE_DROP);
    sched->stats.dropped++;
    sched_source(sched, packet->rtvnic.source_id)->stats.dropped++;
    dp_packet_delete(packet);
}

/* Makes room for 'packet' (of 'size' bytes, with absolute deadline
 * 'deadline', conforming or not).  Returns false if 'packet' itself is the
 * one to drop. */
static bool
make_room(struct rtvnic_sched *sched, uint32_t size, bool conforming,
          uint64_t deadline, uint64_t now_ns) OVS_REQUIRES(sched->mutex)
{
    while (over_limit(sched, size)) {
        struct rtvnic_edf *victim_queue;
        struct rtvnic_edf_node *last;

        if (!rtvnic_edf_is_empty(&sched->excess)) {
            victim_queue = &sched->excess;
            last = rtvnic_edf_last(victim_queue);
            if (!conforming && deadline >= last->deadline) {
                return false;
            }
        } else if (!conforming || rtvnic_edf_is_empty(&sched->conforming)) {
            return false;
        } else {
            victim_queue = &sched->conforming;
            last = rtvnic_edf_last(victim_queue);
            if (deadline >= last->deadline) {
                return false;
            }
        }
        rtvnic_edf_pop_last(victim_queue);
        sched->n_bytes -= dp_packet_size(packet_from_node(last));
        count_drop(sched, packet_from_node(last), last->deadline,
                   victim_queue == &sched->conforming, now_ns);
    }
    return true;
}

static void
update_next_release(struct rtvnic_sched *sched) OVS_REQUIRES(sched->mutex)
{
    uint64_t next = UINT64_MAX;

    if (!rtvnic_edf_is_empty(&sched->conforming)
        || !rtvnic_edf_is_empty(&sched->excess)) {
        next = sched->next_tx_ns;
    }
    atomic_store_relaxed(&sched->next_release_ns, next);
}

/* Queues every packet of 'batch' (taking ownership of them) at time
 * 'now_ns'. */
void
rtvnic_sched_enqueue(struct rtvnic_sched *sched, struct dp_packet_batch *batch,
                     uint64_t now_ns)
{
    struct dp_packet *packet;

    ovs_mutex_lock(&sched->mutex);
    if (rtvnic_edf_is_empty(&sched->conforming)
        && rtvnic_edf_is_empty(&sched->excess)
        && sched->next_tx_ns < now_ns) {
        /* An idle link saves up no credit. */
        sched->next_tx_ns = now_ns;
        sched->tx_rem = 0;
    }
    DP_PACKET_BATCH_FOR_EACH (i, packet, batch) {
        struct rtvnic_packet_meta *meta = &packet->rtvnic;
        struct sched_source *src = sched_source(sched, meta->source_id);
        uint32_t size = dp_packet_size(packet);
        uint64_t arrival = meta->arrival_ns ? meta->arrival_ns : now_ns;
        uint64_t rel_deadline = sched->default_deadline_ns;
        bool conforming = false;

        if (src != &sched->sources[0] && src->guaranteed) {
            rel_deadline = meta->rel_deadline_ns;
            conforming = take_tokens(src, size, now_ns);
        }
        if (src == &sched->sources[0]) {
            /* Unknown source ids are accounted as best effort. */
            meta->source_id = 0;
        }
        sched->stats.enqueued++;
        if (conforming) {
            src->stats.conforming++;
        } else {
            src->stats.excess++;
        }

        uint64_t deadline = arrival + rel_deadline;
        if (!make_room(sched, size, conforming, deadline, now_ns)) {
            count_drop(sched, packet, deadline, conforming, now_ns);
            continue;
        }
        rtvnic_edf_insert(conforming ? &sched->conforming : &sched->excess,
                          &meta->node, deadline);
        sched->n_bytes += size;
    }
    dp_packet_batch_init(batch);
    update_next_release(sched);
    ovs_mutex_unlock(&sched->mutex);
}

/* Advances the pacer by the transmission time of 'size' bytes sent at
 * 'now_ns'. */
static void
pace(struct rtvnic_sched *sched, uint32_t size, uint64_t now_ns)
    OVS_REQUIRES(sched->mutex)
{
    uint64_t bits = (uint64_t) size * 8;

    if (sched->next_tx_ns + RTVNIC_PACER_SLACK_NS < now_ns) {
        /* The releasing thread woke up late: catch up, but by no more than
         * the slack, so that the burst handed to the NIC stays short. */
        sched->next_tx_ns = now_ns - RTVNIC_PACER_SLACK_NS;
        sched->tx_rem = 0;
    }
    sched->next_tx_ns += bits * NS_PER_S / sched->rate_bps;
    sched->tx_rem += bits * NS_PER_S % sched->rate_bps;
    if (sched->tx_rem >= sched->rate_bps) {
        sched->tx_rem -= sched->rate_bps;
        sched->next_tx_ns++;
    }
}

/* Moves into 'out' (which must be empty) up to NETDEV_MAX_BURST packets that
 * may leave at 'now_ns', in EDF order.  Returns the number of packets moved;
 * 0 also if another thread is releasing from 'sched' right now. */
size_t
rtvnic_sched_dequeue(struct rtvnic_sched *sched, uint64_t now_ns,
                     struct dp_packet_batch *out)
{
    if (ovs_mutex_trylock(&sched->mutex)) {
        return 0;
    }
    while (dp_packet_batch_size(out) < NETDEV_MAX_BURST
           && sched->next_tx_ns <= now_ns) {
        struct rtvnic_edf *queue = (!rtvnic_edf_is_empty(&sched->conforming)
                                    ? &sched->conforming : &sched->excess);
        struct rtvnic_edf_node *node = rtvnic_edf_pop_first(queue);
        if (!node) {
            break;
        }

        struct dp_packet *packet = packet_from_node(node);
        struct sched_source *src = sched_source(sched,
                                                packet->rtvnic.source_id);
        uint32_t size = dp_packet_size(packet);

        bool late = now_ns > node->deadline;
        bool conforming = queue == &sched->conforming;

        sched->n_bytes -= size;
        if (late) {
            sched->stats.late++;
            src->stats.late++;
            if (sched->late_policy == RTVNIC_LATE_DROP) {
                trace_packet(sched, packet, node->deadline, conforming,
                             now_ns, RTVNIC_TRACE_LATE_DROP);
                sched->stats.late_dropped++;
                src->stats.dropped++;
                dp_packet_delete(packet);
                continue;
            }
        }
        trace_packet(sched, packet, node->deadline, conforming, now_ns,
                     late ? RTVNIC_TRACE_LATE : RTVNIC_TRACE_SENT);
        pace(sched, size, now_ns);
        rtvnic_stamp_depart(packet, now_ns);
        sched->stats.sent_packets++;
        sched->stats.sent_bytes += size;
        src->stats.sent_packets++;
        src->stats.sent_bytes += size;
        dp_packet_batch_add(out, packet);
    }
    update_next_release(sched);
    ovs_mutex_unlock(&sched->mutex);
    return dp_packet_batch_size(out);
}

/* Attaches a new trace of at most 'capacity' records to 'sched', replacing
 * (and freeing) any trace attached before. */
void
rtvnic_sched_trace_start(struct rtvnic_sched *sched, size_t capacity)
{
    struct rtvnic_trace *trace = rtvnic_trace_create(capacity);

    ovs_mutex_lock(&sched->mutex);
    rtvnic_trace_destroy(sched->trace);
    sched->trace = trace;
    ovs_mutex_unlock(&sched->mutex);
}

/* Detaches and returns the trace attached to 'sched' (NULL if none); the
 * caller frees it with rtvnic_trace_destroy(). */
struct rtvnic_trace *
rtvnic_sched_trace_stop(struct rtvnic_sched *sched)
{
    struct rtvnic_trace *trace;

    ovs_mutex_lock(&sched->mutex);
    trace = sched->trace;
    sched->trace = NULL;
    ovs_mutex_unlock(&sched->mutex);
    return trace;
}

/* Returns the time at which rtvnic_sched_dequeue() will next release a
 * packet, or UINT64_MAX if nothing is queued. */
uint64_t
rtvnic_sched_next_release(struct rtvnic_sched *sched)
{
    uint64_t next;

    atomic_read_relaxed(&sched->next_release_ns, &next);
    return next;
}

void
rtvnic_sched_get_stats(struct rtvnic_sched *sched,
                       struct rtvnic_sched_stats *stats)
{
    ovs_mutex_lock(&sched->mutex);
    *stats = sched->stats;
    stats->queued_packets = (rtvnic_edf_count(&sched->conforming)
                             + rtvnic_edf_count(&sched->excess));
    stats->queued_bytes = sched->n_bytes;
    stats->clamped = sched->conforming.n_clamped + sched->excess.n_clamped;
    ovs_mutex_unlock(&sched->mutex);
}

/* Copies the statistics of 'source_id' (0: best effort) at 'sched' into
 * 'stats'.  Returns false, zeroing 'stats', if 'sched' does not know it. */
bool
rtvnic_sched_get_source_stats(struct rtvnic_sched *sched, uint16_t source_id,
                              struct rtvnic_source_stats *stats)
{
    bool found;

    ovs_mutex_lock(&sched->mutex);
    found = (source_id < sched->n_sources
             && sched->sources[source_id].configured);
    if (found) {
        *stats = sched->sources[source_id].stats;
    } else {
        memset(stats, 0, sizeof *stats);
    }
    ovs_mutex_unlock(&sched->mutex);
    return found;
}
