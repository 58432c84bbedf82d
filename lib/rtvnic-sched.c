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

#include "coverage.h"
#include "dp-packet.h"
#include "hash.h"
#include "netdev.h"
#include "openvswitch/list.h"
#include "openvswitch/util.h"
#include "openvswitch/vlog.h"
#include "ovs-atomic.h"
#include "ovs-thread.h"
#include "rtvnic-config.h"
#include "rtvnic-edf.h"
#include "rtvnic-stamp.h"
#include "rtvnic-trace.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(rtvnic_sched);

COVERAGE_DEFINE(rtvnic_sched_queue_full);
COVERAGE_DEFINE(rtvnic_sched_late_drop);
COVERAGE_DEFINE(rtvnic_sched_freed);
COVERAGE_DEFINE(rtvnic_sched_no_queue);
COVERAGE_DEFINE(rtvnic_sched_overdue_promoted);
COVERAGE_DEFINE(rtvnic_sched_stamped);
COVERAGE_DEFINE(rtvnic_sched_stamp_over_rate);
COVERAGE_DEFINE(rtvnic_sched_stamp_overdue);

#define NS_PER_S UINT64_C(1000000000)

typedef unsigned __int128 u128;

/* Implementation notes
 * ====================
 *
 * Every packet of a known source (id != 0) waits in its source's FIFO.  Only
 * the FIFO's head (the source's oldest packet, flagged SCHED_HEAD) sits in
 * one of the three EDF queues, so no packet of a source can leave before the
 * packets that arrived before it.  Best-effort packets of no known source
 * (id 0) have one relative deadline, so EDF order among them is their arrival
 * order, and they go straight into the EDF queues.
 *
 * A queue class ("set_queue:N", an OVS Queue row) is a source of its own:
 * the same FIFO, token bucket and statistics, found by queue id in
 * 'queue_map' and by slot (the packet's 'queue_slot') in 'queues'.  Its
 * packets have source id 0.
 *
 * Stamped transit packets are best effort with a deadline of their own:
 * like other best effort they go straight into the EDF queues, where their
 * deadlines order them.  'stamps' is only a token bucket: its FIFO and
 * lists stay empty.  The bucket pays for the larger of the packet's bytes
 * and those of the packets that making room for it pushes out, so that
 * stamps move at most stamp-rate ahead of best effort and push out at most
 * stamp-rate of it, also where queue-limit counts packets.
 *
 * 'conforming' holds heads that were within their token bucket on arrival,
 * 'excess' all other on-time packets, 'overdue_conforming' conforming heads
 * found overdue (and excess heads whose bucket holds them by then), 'late'
 * all other packets found overdue.  The
 * FIFO behind a head links packets through the list node of the EDF node
 * they will use once they are head (a packet is never in both). */

/* rtvnic_packet_meta 'sched_flags'. */
#define SCHED_CONFORMING 0x1    /* Within its token bucket on arrival, or
                                 * when found overdue. */
#define SCHED_HEAD       0x2    /* Its source's head, in an EDF queue. */
#define SCHED_STAMPED    0x4    /* Best effort with its stamp's deadline. */

/* Per-source (or per-queue class) state inside one egress. */
struct sched_source {
    bool guaranteed;            /* Admitted: owns a token bucket. */
    bool own_deadline;          /* Scheduled by its own deadline. */
    uint64_t deadline_ns;       /* Queue class: its deadline.  Source: 0,
                                 * the packet carries the deadline. */
    uint64_t rate_bps;
    uint64_t depth_nbytes;      /* Bucket depth, in bytes * 1e9. */
    uint64_t tokens_nbytes;     /* Tokens, in bytes * 1e9. */
    uint64_t refill_ns;         /* Time of the last refill. */

    struct dp_packet *head;     /* In an EDF queue, or NULL. */
    struct ovs_list fifo;       /* Packets behind 'head', oldest first. */
    struct ovs_list active_node; /* In 'active' while 'fifo' is non-empty. */

    struct rtvnic_source_stats stats;

    /* Queue classes only. */
    struct hmap_node queue_node; /* In 'queue_map', by queue id. */
    uint32_t queue_id;
    uint16_t slot;              /* Index in 'queues'. */
};

/* Most queue classes an egress may have (slot 0 means "none"). */
#define SCHED_MAX_QUEUES UINT16_MAX

struct rtvnic_sched {
    struct ovs_mutex mutex;

    /* Configuration. */
    uint64_t rate_bps OVS_GUARDED;
    uint64_t default_deadline_ns OVS_GUARDED;
    uint32_t limit_packets OVS_GUARDED;  /* 0: limited in bytes. */
    uint64_t limit_bytes OVS_GUARDED;    /* 0: limited in packets. */
    enum rtvnic_late_policy late_policy OVS_GUARDED;
    struct sched_source stamps OVS_GUARDED;     /* Bucket of stamp-rate. */

    /* Queues. */
    struct rtvnic_edf conforming OVS_GUARDED;
    struct rtvnic_edf excess OVS_GUARDED;
    struct rtvnic_edf overdue_conforming OVS_GUARDED;
    struct rtvnic_edf late OVS_GUARDED;
    struct ovs_list active OVS_GUARDED;  /* Sources with a non-empty FIFO. */
    uint64_t n_packets OVS_GUARDED;
    uint64_t n_bytes OVS_GUARDED;

    /* Pacer: the link is busy until 'next_tx_ns' + 'tx_rem' / rate_bps. */
    uint64_t next_tx_ns OVS_GUARDED;
    uint64_t tx_rem OVS_GUARDED;

    /* 'sources[0]' collects best effort; other entries may be NULL. */
    struct sched_source **sources OVS_GUARDED;
    size_t n_sources OVS_GUARDED;

    /* Queue classes: 'queues[slot]' (slot 0 unused; entries may be NULL),
     * and the same by queue id. */
    struct sched_source **queues OVS_GUARDED;
    size_t n_queue_slots OVS_GUARDED;
    struct hmap queue_map OVS_GUARDED;

    struct rtvnic_sched_stats stats OVS_GUARDED;
    struct rtvnic_trace *trace OVS_GUARDED;     /* Usually NULL. */

    /* Read without the mutex by rtvnic_sched_next_release(). */
    atomic_uint64_t next_release_ns;

    /* Held by the one thread that releases and transmits. */
    atomic_flag releasing;
};

static struct dp_packet *
packet_from_node(struct rtvnic_edf_node *node)
{
    return CONTAINER_OF(node, struct dp_packet, rtvnic.node);
}

static struct dp_packet *
packet_from_list(struct ovs_list *list_node)
{
    return CONTAINER_OF(list_node, struct dp_packet, rtvnic.node.list_node);
}

/* Returns the source 'id' at 'sched', or the best-effort source if 'sched'
 * does not know 'id'. */
static struct sched_source *
sched_source(struct rtvnic_sched *sched, uint16_t id)
    OVS_REQUIRES(sched->mutex)
{
    return (id < sched->n_sources && sched->sources[id]
            ? sched->sources[id] : sched->sources[0]);
}

/* Returns the class 'packet' waits in at 'sched': its queue class, its
 * source, or best effort. */
static struct sched_source *
packet_class(struct rtvnic_sched *sched, const struct dp_packet *packet)
    OVS_REQUIRES(sched->mutex)
{
    uint16_t slot = packet->rtvnic.queue_slot;

    if (slot) {
        ovs_assert(slot < sched->n_queue_slots && sched->queues[slot]);
        return sched->queues[slot];
    }
    return sched_source(sched, packet->rtvnic.source_id);
}

static struct sched_source *
sched_queue_lookup(const struct rtvnic_sched *sched, uint32_t queue_id)
    OVS_REQUIRES(sched->mutex)
{
    struct sched_source *q;

    HMAP_FOR_EACH_WITH_HASH (q, queue_node, hash_int(queue_id, 0),
                             &sched->queue_map) {
        if (q->queue_id == queue_id) {
            return q;
        }
    }
    return NULL;
}

static struct sched_source *
sched_source_create(void)
{
    struct sched_source *src = xzalloc(sizeof *src);

    ovs_list_init(&src->fifo);
    ovs_list_init(&src->active_node);
    return src;
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
    if (sched->stamps.rate_bps != cfg->stamp_rate_bps) {
        BUILD_ASSERT(RTVNIC_MAX_RATE_BPS
                     <= UINT64_MAX / RTVNIC_STAMP_BURST_NS);
        uint64_t depth = MAX(cfg->stamp_rate_bps * RTVNIC_STAMP_BURST_NS / 8,
                             RTVNIC_STAMP_MIN_BURST_BYTES * NS_PER_S);

        sched->stamps.rate_bps = cfg->stamp_rate_bps;
        sched->stamps.depth_nbytes = depth;
        sched->stamps.tokens_nbytes = depth;
        sched->stamps.refill_ns = 0;
    }
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
    rtvnic_edf_init(&sched->overdue_conforming);
    rtvnic_edf_init(&sched->late);
    ovs_list_init(&sched->active);
    ovs_list_init(&sched->stamps.fifo);
    ovs_list_init(&sched->stamps.active_node);
    sched->n_sources = 1;
    sched->sources = xmalloc(sizeof *sched->sources);
    sched->sources[0] = sched_source_create();
    hmap_init(&sched->queue_map);
    ovs_mutex_unlock(&sched->mutex);
    atomic_init(&sched->next_release_ns, UINT64_MAX);
    atomic_flag_clear(&sched->releasing);
    return sched;
}

static size_t
free_queue(struct rtvnic_edf *edf)
{
    struct rtvnic_edf_node *node;
    size_t n = 0;

    while ((node = rtvnic_edf_pop_first(edf))) {
        dp_packet_delete(packet_from_node(node));
        n++;
    }
    rtvnic_edf_destroy(edf);
    return n;
}

/* Frees 'sched' and every packet still queued in it, counting them in the
 * coverage counter rtvnic_sched_freed.  The caller must make sure no other
 * thread can reach 'sched' any more: that is why it reads the fields that
 * 'sched->mutex' guards without taking it (and clang's thread-safety
 * analysis is told so). */
void
rtvnic_sched_destroy(struct rtvnic_sched *sched)
    OVS_NO_THREAD_SAFETY_ANALYSIS
{
    if (sched) {
        size_t n = 0;

        for (size_t i = 0; i < sched->n_sources; i++) {
            struct sched_source *src = sched->sources[i];

            if (src) {
                struct dp_packet *packet;

                LIST_FOR_EACH_POP (packet, rtvnic.node.list_node,
                                   &src->fifo) {
                    dp_packet_delete(packet);
                    n++;
                }
                free(src);
            }
        }
        for (size_t i = 0; i < sched->n_queue_slots; i++) {
            struct sched_source *q = sched->queues[i];

            if (q) {
                struct dp_packet *packet;

                LIST_FOR_EACH_POP (packet, rtvnic.node.list_node, &q->fifo) {
                    dp_packet_delete(packet);
                    n++;
                }
                free(q);
            }
        }
        hmap_destroy(&sched->queue_map);
        free(sched->queues);
        n += free_queue(&sched->conforming);
        n += free_queue(&sched->excess);
        n += free_queue(&sched->overdue_conforming);
        n += free_queue(&sched->late);
        if (n) {
            COVERAGE_ADD(rtvnic_sched_freed, n);
            VLOG_INFO("RTvNIC egress removed with %"PRIuSIZE" packets "
                      "queued: freed them", n);
        }
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

/* Gives 'src' (new or known) a token bucket as rtvnic_sched_set_source()
 * describes; a bucket whose parameters change starts full again. */
static void
source_set_bucket(struct sched_source *src, bool guaranteed,
                  bool own_deadline, uint64_t min_rate_bps,
                  uint64_t burst_bits)
{
    uint64_t depth = guaranteed ? burst_bits / 8 * NS_PER_S : 0;

    min_rate_bps = guaranteed ? min_rate_bps : 0;
    if (src->guaranteed != guaranteed || src->rate_bps != min_rate_bps
        || src->depth_nbytes != depth) {
        src->tokens_nbytes = depth;
        src->refill_ns = 0;
    }
    src->guaranteed = guaranteed;
    src->own_deadline = guaranteed || own_deadline;
    src->rate_bps = min_rate_bps;
    src->depth_nbytes = depth;
}

/* Makes 'source_id' known to 'sched'.  A 'guaranteed' source gets a token
 * bucket of 'min_rate_bps' and 'burst_bits' (starting full).  Otherwise its
 * packets are not guaranteed: scheduled by their own deadline if
 * 'own_deadline' (a source that asked for no bandwidth), else by the
 * egress's default deadline, like best effort.  Statistics and queued
 * packets of a known source are kept. */
void
rtvnic_sched_set_source(struct rtvnic_sched *sched, uint16_t source_id,
                        bool guaranteed, bool own_deadline,
                        uint64_t min_rate_bps, uint64_t burst_bits)
{
    struct sched_source *src;

    ovs_assert(source_id);
    ovs_mutex_lock(&sched->mutex);
    if (source_id >= sched->n_sources) {
        size_t n = source_id + 1;

        sched->sources = xrealloc(sched->sources, n * sizeof *sched->sources);
        memset(&sched->sources[sched->n_sources], 0,
               (n - sched->n_sources) * sizeof *sched->sources);
        sched->n_sources = n;
    }
    src = sched->sources[source_id];
    if (!src) {
        src = sched->sources[source_id] = sched_source_create();
    }
    source_set_bucket(src, guaranteed, own_deadline, min_rate_bps,
                      burst_bits);
    ovs_mutex_unlock(&sched->mutex);
}

/* Frees 'src' (a source or queue class that the caller has unlinked),
 * leaving its queued packets queued, in their order, as best effort. */
static void
source_to_best_effort(struct rtvnic_sched *sched, struct sched_source *src)
    OVS_REQUIRES(sched->mutex)
{
    struct dp_packet *packet;

    if (src->head) {
        src->head->rtvnic.source_id = 0;
        src->head->rtvnic.queue_slot = 0;
        src->head->rtvnic.sched_flags &= ~SCHED_HEAD;
    }
    LIST_FOR_EACH_POP (packet, rtvnic.node.list_node, &src->fifo) {
        packet->rtvnic.source_id = 0;
        packet->rtvnic.queue_slot = 0;
        packet->rtvnic.sched_flags = 0;
        rtvnic_edf_insert(&sched->excess, &packet->rtvnic.node,
                          packet->rtvnic.node.deadline);
    }
    ovs_list_remove(&src->active_node);
    free(src);
}

/* Forgets 'source_id' at 'sched'.  Its queued packets stay queued, in their
 * order, as best effort. */
void
rtvnic_sched_remove_source(struct rtvnic_sched *sched, uint16_t source_id)
{
    struct sched_source *src;

    ovs_mutex_lock(&sched->mutex);
    src = (source_id && source_id < sched->n_sources
           ? sched->sources[source_id] : NULL);
    if (src) {
        source_to_best_effort(sched, src);
        sched->sources[source_id] = NULL;
    }
    ovs_mutex_unlock(&sched->mutex);
}

/* Makes 'queue_id' a queue class of 'sched' whose packets get 'deadline_ns'
 * (relative) if 'guaranteed' or 'own_deadline', else the default deadline;
 * the token bucket as in rtvnic_sched_set_source().  Statistics and queued
 * packets of a known queue are kept.  Returns false if 'sched' has
 * SCHED_MAX_QUEUES queues already. */
bool
rtvnic_sched_set_queue(struct rtvnic_sched *sched, uint32_t queue_id,
                       uint64_t deadline_ns, bool guaranteed,
                       bool own_deadline, uint64_t min_rate_bps,
                       uint64_t burst_bits)
{
    struct sched_source *q;
    bool ok = true;

    ovs_assert(queue_id && deadline_ns);
    ovs_mutex_lock(&sched->mutex);
    q = sched_queue_lookup(sched, queue_id);
    if (!q) {
        size_t slot;

        for (slot = 1; slot < sched->n_queue_slots; slot++) {
            if (!sched->queues[slot]) {
                break;
            }
        }
        if (slot > SCHED_MAX_QUEUES) {
            ok = false;
            goto out;
        }
        if (slot >= sched->n_queue_slots) {
            sched->n_queue_slots = slot + 1;
            sched->queues = xrealloc(sched->queues, sched->n_queue_slots
                                     * sizeof *sched->queues);
            sched->queues[0] = NULL;
        }
        q = sched->queues[slot] = sched_source_create();
        q->queue_id = queue_id;
        q->slot = slot;
        hmap_insert(&sched->queue_map, &q->queue_node, hash_int(queue_id, 0));
    }
    q->deadline_ns = deadline_ns;
    source_set_bucket(q, guaranteed, own_deadline, min_rate_bps, burst_bits);
out:
    ovs_mutex_unlock(&sched->mutex);
    return ok;
}

/* Forgets queue 'queue_id' at 'sched'.  Its queued packets stay queued, in
 * their order, as best effort; packets that name it later are counted as
 * naming no queue. */
void
rtvnic_sched_remove_queue(struct rtvnic_sched *sched, uint32_t queue_id)
{
    struct sched_source *q;

    ovs_mutex_lock(&sched->mutex);
    q = sched_queue_lookup(sched, queue_id);
    if (q) {
        hmap_remove(&sched->queue_map, &q->queue_node);
        sched->queues[q->slot] = NULL;
        source_to_best_effort(sched, q);
    }
    ovs_mutex_unlock(&sched->mutex);
}

/* Brings 'src''s token bucket up to 'now_ns'. */
static void
refill_tokens(struct sched_source *src, uint64_t now_ns)
{
    if (now_ns > src->refill_ns) {
        u128 add = (u128) (now_ns - src->refill_ns) * src->rate_bps / 8;
        u128 tokens = src->tokens_nbytes + add;

        src->tokens_nbytes = (tokens > src->depth_nbytes
                              ? src->depth_nbytes : (uint64_t) tokens);
        src->refill_ns = now_ns;
    }
}

/* Takes 'size' bytes from 'src''s token bucket, if it holds them. */
static bool
take_tokens(struct sched_source *src, uint32_t size, uint64_t now_ns)
{
    uint64_t need = (uint64_t) size * NS_PER_S;

    refill_tokens(src, now_ns);
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
    return (sched->limit_packets
            ? sched->n_packets + 1 > sched->limit_packets
            : sched->n_bytes + size > sched->limit_bytes);
}

/* Appends to the trace, if any, that 'packet' leaves the scheduler at
 * 'now_ns' as 'fate'. */
static void
trace_packet(struct rtvnic_sched *sched, const struct dp_packet *packet,
             uint64_t now_ns, enum rtvnic_trace_fate fate)
    OVS_REQUIRES(sched->mutex)
{
    if (OVS_UNLIKELY(sched->trace)) {
        const struct rtvnic_packet_meta *meta = &packet->rtvnic;
        struct rtvnic_trace_record record = {
            .arrival_ns = meta->arrival_ns ? meta->arrival_ns : now_ns,
            .deadline_ns = meta->node.deadline,
            .leave_ns = now_ns,
            .size = dp_packet_size(packet),
            .source_id = meta->source_id,
            .conforming = (meta->sched_flags & SCHED_CONFORMING) != 0,
            .fate = fate,
        };
        rtvnic_trace_add(sched->trace, &record);
    }
}

/* Makes the next packet in 'src''s FIFO, if any, its head.  Its token bucket
 * decided on arrival which queue it goes to. */
static void
advance_source(struct rtvnic_sched *sched, struct sched_source *src)
    OVS_REQUIRES(sched->mutex)
{
    src->head = NULL;
    if (!ovs_list_is_empty(&src->fifo)) {
        struct dp_packet *next = packet_from_list(ovs_list_pop_front(
                                                      &src->fifo));
        struct rtvnic_packet_meta *meta = &next->rtvnic;

        if (ovs_list_is_empty(&src->fifo)) {
            ovs_list_remove(&src->active_node);
            ovs_list_init(&src->active_node);
        }
        meta->sched_flags |= SCHED_HEAD;
        src->head = next;
        rtvnic_edf_insert(meta->sched_flags & SCHED_CONFORMING
                          ? &sched->conforming : &sched->excess,
                          &meta->node, meta->node.deadline);
    }
}

/* 'packet' just left 'queue' (an EDF queue): if it was its source's head,
 * lets the next packet of the source in. */
static void
packet_left_queue(struct rtvnic_sched *sched, struct dp_packet *packet)
    OVS_REQUIRES(sched->mutex)
{
    sched->n_packets--;
    sched->n_bytes -= dp_packet_size(packet);
    if (packet->rtvnic.sched_flags & SCHED_HEAD) {
        advance_source(sched, packet_class(sched, packet));
    }
}

/* A queued packet that the queue limit may push out. */
struct victim {
    struct dp_packet *packet;
    struct rtvnic_edf *queue;   /* NULL: in its source's FIFO. */
    struct sched_source *src;   /* Its source, if in a FIFO. */
};

static void
consider_edf_last(struct victim *v, struct rtvnic_edf *queue)
{
    struct rtvnic_edf_node *last = rtvnic_edf_last(queue);

    if (last && (!v->packet
                 || last->deadline > v->packet->rtvnic.node.deadline)) {
        v->packet = packet_from_node(last);
        v->queue = queue;
        v->src = NULL;
    }
}

/* Finds in 'v' the queued packet with the latest deadline, among the packets
 * that are not guaranteed (conforming == false) or among the conforming ones
 * (conforming == true).  Overdue packets count as not guaranteed.  Ties go
 * to a packet at the tail of a source's queue, else to the packet queued
 * last. */
static void
find_victim(struct rtvnic_sched *sched, bool conforming, struct victim *v)
    OVS_REQUIRES(sched->mutex)
{
    struct sched_source *src;

    memset(v, 0, sizeof *v);
    LIST_FOR_EACH (src, active_node, &sched->active) {
        struct dp_packet *packet;

        /* Within a source the deadlines do not decrease (but for a
         * tightened effective deadline), so the last packet of the class
         * sought is the latest. */
        LIST_FOR_EACH_REVERSE (packet, rtvnic.node.list_node, &src->fifo) {
            bool c = (packet->rtvnic.sched_flags & SCHED_CONFORMING) != 0;

            if (c == conforming) {
                if (!v->packet || (packet->rtvnic.node.deadline
                                   >= v->packet->rtvnic.node.deadline)) {
                    v->packet = packet;
                    v->queue = NULL;
                    v->src = src;
                }
                break;
            }
        }
    }
    if (conforming) {
        consider_edf_last(v, &sched->conforming);
    } else {
        consider_edf_last(v, &sched->excess);
        consider_edf_last(v, &sched->overdue_conforming);
        consider_edf_last(v, &sched->late);
    }
}

static void
count_drop(struct rtvnic_sched *sched, struct dp_packet *packet,
           uint64_t now_ns)
    OVS_REQUIRES(sched->mutex)
{
    trace_packet(sched, packet, now_ns, RTVNIC_TRACE_DROP);
    COVERAGE_INC(rtvnic_sched_queue_full);
    sched->stats.dropped++;
    packet_class(sched, packet)->stats.dropped++;
    dp_packet_delete(packet);
}

static void
drop_victim(struct rtvnic_sched *sched, struct victim *v, uint64_t now_ns)
    OVS_REQUIRES(sched->mutex)
{
    struct dp_packet *packet = v->packet;

    if (v->queue) {
        rtvnic_edf_remove(v->queue, &packet->rtvnic.node);
        packet_left_queue(sched, packet);
    } else {
        ovs_list_remove(&packet->rtvnic.node.list_node);
        if (ovs_list_is_empty(&v->src->fifo)) {
            ovs_list_remove(&v->src->active_node);
            ovs_list_init(&v->src->active_node);
        }
        sched->n_packets--;
        sched->n_bytes -= dp_packet_size(packet);
    }
    count_drop(sched, packet, now_ns);
}

enum room {
    ROOM_MADE,
    ROOM_NONE,                  /* The arriving packet is the one to drop. */
    ROOM_OVER_BUDGET,           /* The next to drop is beyond the budget. */
};

/* Makes room for a packet of 'size' bytes, with absolute deadline 'deadline',
 * conforming or not, by dropping the queued packets with the latest deadline
 * among those not guaranteed, then among the conforming ones.  With a
 * nonnull 'budget', drops only packets whose bytes '*budget' still holds,
 * taking them from it. */
static enum room
make_room(struct rtvnic_sched *sched, uint32_t size, bool conforming,
          uint64_t deadline, uint64_t *budget, uint64_t now_ns)
    OVS_REQUIRES(sched->mutex)
{
    while (over_limit(sched, size)) {
        struct victim v;

        find_victim(sched, false, &v);
        if (v.packet) {
            if (!conforming && deadline >= v.packet->rtvnic.node.deadline) {
                return ROOM_NONE;
            }
        } else {
            if (!conforming) {
                return ROOM_NONE;
            }
            find_victim(sched, true, &v);
            if (!v.packet || deadline >= v.packet->rtvnic.node.deadline) {
                return ROOM_NONE;
            }
        }
        if (budget) {
            uint32_t victim_size = dp_packet_size(v.packet);

            if (victim_size > *budget) {
                return ROOM_OVER_BUDGET;
            }
            *budget -= victim_size;
        }
        drop_victim(sched, &v, now_ns);
    }
    return ROOM_MADE;
}

/* Gives best-effort 'packet' of 'size' bytes, arriving at 'arrival', its
 * RTvNIC stamp's deadline, making room for it, if it carries a stamp with a
 * deadline earlier than the default and the stamp-rate bucket holds its
 * bytes and those of the packets that making room pushes out; it pays the
 * larger of the two (in a queue limited in bytes they are about equal; in
 * one limited in packets a small frame may push out a large one).  Returns
 * true if so.  Otherwise returns false (counting a stamp beyond the bucket):
 * the packet is best effort like any other, which also leaves it to be
 * dropped if even its stamp's deadline would not make room.  The bucket
 * pays for what was pushed out either way. */
static bool
stamp_admit(struct rtvnic_sched *sched, struct dp_packet *packet,
            uint32_t size, uint64_t arrival, uint64_t now_ns)
    OVS_REQUIRES(sched->mutex)
{
    struct rtvnic_packet_meta *meta = &packet->rtvnic;
    struct rtvnic_stamp stamp;
    enum room room = ROOM_OVER_BUDGET;
    uint64_t rel_ns, budget;

    if (!rtvnic_stamp_peek(packet, &stamp) || !stamp.deadline_us) {
        return false;
    }
    rel_ns = (uint64_t) stamp.deadline_us * 1000;
    if (rel_ns >= sched->default_deadline_ns) {
        return false;
    }
    refill_tokens(&sched->stamps, now_ns);
    budget = sched->stamps.tokens_nbytes / NS_PER_S;
    if (budget >= size) {
        uint64_t held = budget, pushed_out;

        room = make_room(sched, size, false, arrival + rel_ns, &budget,
                         now_ns);
        pushed_out = held - budget;
        sched->stamps.tokens_nbytes -= (room == ROOM_MADE
                                        ? MAX(size, pushed_out)
                                        : pushed_out) * NS_PER_S;
    }
    if (room != ROOM_MADE) {
        if (room == ROOM_OVER_BUDGET) {
            COVERAGE_INC(rtvnic_sched_stamp_over_rate);
            sched->stats.stamp_over_rate++;
        }
        return false;
    }
    COVERAGE_INC(rtvnic_sched_stamped);
    sched->stats.stamped++;
    meta->node.deadline = arrival + rel_ns;
    meta->sched_flags |= SCHED_STAMPED;
    if (!meta->arrival_ns) {
        /* handle_overdue() may need the arrival again. */
        meta->arrival_ns = arrival;
    }
    return true;
}

static void
update_next_release(struct rtvnic_sched *sched) OVS_REQUIRES(sched->mutex)
{
    atomic_store_relaxed(&sched->next_release_ns,
                         sched->n_packets ? sched->next_tx_ns : UINT64_MAX);
}

/* Queues every packet of 'batch' (taking ownership of them) at time
 * 'now_ns'. */
void
rtvnic_sched_enqueue(struct rtvnic_sched *sched, struct dp_packet_batch *batch,
                     uint64_t now_ns)
{
    struct dp_packet *packet;

    ovs_mutex_lock(&sched->mutex);
    if (!sched->n_packets && sched->next_tx_ns < now_ns) {
        /* An idle link saves up no credit. */
        sched->next_tx_ns = now_ns;
        sched->tx_rem = 0;
    }
    DP_PACKET_BATCH_FOR_EACH (i, packet, batch) {
        struct rtvnic_packet_meta *meta = &packet->rtvnic;
        struct sched_source *src = sched_source(sched, meta->source_id);
        struct sched_source *be = sched->sources[0];
        uint32_t size = dp_packet_size(packet);
        uint64_t arrival = rtvnic_packet_arrival(meta, now_ns);
        uint64_t rel_deadline = sched->default_deadline_ns;
        bool conforming = false;

        meta->queue_slot = 0;
        if (src == be) {
            /* Unknown source ids are accounted as best effort.  A vNIC
             * source's own contract takes precedence over "set_queue" (see
             * rtvnic.rst): only packets of no source here enter a queue. */
            meta->source_id = 0;
            if (OVS_UNLIKELY(packet->md.skb_priority)) {
                struct sched_source *q;

                q = sched_queue_lookup(sched, packet->md.skb_priority);
                if (q) {
                    src = q;
                    meta->queue_slot = q->slot;
                } else {
                    COVERAGE_INC(rtvnic_sched_no_queue);
                    sched->stats.no_queue++;
                }
            }
        }
        if (src != be) {
            if (src->own_deadline) {
                if (src->deadline_ns) {
                    rel_deadline = src->deadline_ns;
                } else if (meta->rel_deadline_ns) {
                    rel_deadline = meta->rel_deadline_ns;
                }
            }
            if (src->guaranteed) {
                /* At the kernel's receive time, where it is known: packets
                 * that waited together in a socket arrived apart, and are
                 * no burst beyond the bucket. */
                conforming = take_tokens(src, size, (meta->ingress_wait_ns
                                                     ? arrival : now_ns));
            }
        }
        sched->stats.enqueued++;
        if (conforming) {
            src->stats.conforming++;
        } else {
            src->stats.excess++;
        }

        meta->node.deadline = arrival + rel_deadline;
        meta->sched_flags = conforming ? SCHED_CONFORMING : 0;
        if (src == be && sched->stamps.rate_bps
            && stamp_admit(sched, packet, size, arrival, now_ns)) {
            /* Room is made. */
        } else if (make_room(sched, size, conforming, meta->node.deadline,
                             NULL, now_ns) != ROOM_MADE) {
            count_drop(sched, packet, now_ns);
            continue;
        }
        sched->n_packets++;
        sched->n_bytes += size;
        if (src == be) {
            rtvnic_edf_insert(&sched->excess, &meta->node,
                              meta->node.deadline);
        } else if (!src->head) {
            meta->sched_flags |= SCHED_HEAD;
            src->head = packet;
            rtvnic_edf_insert(conforming ? &sched->conforming : &sched->excess,
                              &meta->node, meta->node.deadline);
        } else {
            if (ovs_list_is_empty(&src->fifo)) {
                ovs_list_push_back(&sched->active, &src->active_node);
            }
            ovs_list_push_back(&src->fifo, &meta->node.list_node);
        }
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

/* Whether the overdue excess head 'packet' becomes conforming: its class
 * has a token bucket and the bucket holds the packet's bytes now.  Such a
 * packet was excess only because it came in a burst (a guest's sender that
 * woke late catches up at once); in the late queue it would hold every later
 * packet of its class until the egress is empty, which at this testbed's
 * 85 % load took 20-120 ms.  A class that keeps exceeding its rate finds its
 * bucket empty and still goes last. */
static bool
promote_overdue_excess(struct rtvnic_sched *sched, struct dp_packet *packet,
                       uint64_t now_ns)
    OVS_REQUIRES(sched->mutex)
{
    struct sched_source *src = packet_class(sched, packet);

    if (!(packet->rtvnic.sched_flags & SCHED_HEAD) || !src->guaranteed
        || !take_tokens(src, dp_packet_size(packet), now_ns)) {
        return false;
    }
    packet->rtvnic.sched_flags |= SCHED_CONFORMING;
    COVERAGE_INC(rtvnic_sched_overdue_promoted);
    return true;
}

/* Takes the overdue 'node' out of 'queue': drops it under late-policy=drop,
 * otherwise moves it to 'overdue_conforming' if it comes from 'conforming' or
 * promote_overdue_excess() makes it conforming, else to the late queue (see
 * rtvnic_sched_dequeue() for their order).  Under late-policy=send a stamped
 * packet is first best effort again, with the deadline it would have had
 * without its stamp: a stamp that could not be met must not put the packet
 * behind all best effort. */
static void
handle_overdue(struct rtvnic_sched *sched, struct rtvnic_edf *queue,
               struct rtvnic_edf_node *node, uint64_t now_ns)
    OVS_REQUIRES(sched->mutex)
{
    struct dp_packet *packet = packet_from_node(node);

    rtvnic_edf_remove(queue, node);
    if (packet->rtvnic.sched_flags & SCHED_STAMPED
        && sched->late_policy != RTVNIC_LATE_DROP) {
        uint64_t deadline = (rtvnic_packet_arrival(&packet->rtvnic, now_ns)
                             + sched->default_deadline_ns);

        packet->rtvnic.sched_flags &= ~SCHED_STAMPED;
        COVERAGE_INC(rtvnic_sched_stamp_overdue);
        if (deadline >= now_ns) {
            rtvnic_edf_insert(&sched->excess, node, deadline);
            return;
        }
    }
    if (sched->late_policy == RTVNIC_LATE_DROP) {
        struct sched_source *src = packet_class(sched, packet);

        trace_packet(sched, packet, now_ns, RTVNIC_TRACE_LATE_DROP);
        COVERAGE_INC(rtvnic_sched_late_drop);
        sched->stats.late++;
        sched->stats.late_dropped++;
        src->stats.late++;
        src->stats.dropped++;
        packet_left_queue(sched, packet);
        dp_packet_delete(packet);
    } else {
        bool conforming = (queue == &sched->conforming
                           || promote_overdue_excess(sched, packet, now_ns));

        rtvnic_edf_insert(conforming ? &sched->overdue_conforming
                                     : &sched->late,
                          node, node->deadline);
    }
}

/* Moves into 'out' (which must be empty) up to NETDEV_MAX_BURST packets that
 * may leave at 'now_ns', in the order described in rtvnic-sched.h.  Returns
 * the number of packets moved.
 *
 * A caller that transmits the packets must hold the release token
 * (rtvnic_sched_release_begin()) from before this call until the transmit
 * is done, so that two threads do not interleave their batches. */
size_t
rtvnic_sched_dequeue(struct rtvnic_sched *sched, uint64_t now_ns,
                     struct dp_packet_batch *out)
{
    ovs_mutex_lock(&sched->mutex);
    while (dp_packet_batch_size(out) < NETDEV_MAX_BURST
           && sched->next_tx_ns <= now_ns) {
        /* On-time conforming, overdue conforming, on-time excess, late.
         * An overdue conforming head was delayed by the host (admission
         * bounds conforming traffic): behind excess it would hold its whole
         * source for as long as best effort saturates the link. */
        struct rtvnic_edf *queues[] = {
            &sched->conforming, &sched->overdue_conforming, &sched->excess,
            &sched->late,
        };
        struct rtvnic_edf *queue = NULL;
        struct rtvnic_edf_node *node = NULL;

        for (size_t i = 0; !node && i < ARRAY_SIZE(queues); i++) {
            queue = queues[i];
            node = rtvnic_edf_first(queue);
        }
        if (!node) {
            break;
        }
        if (now_ns > node->deadline
            && (queue == &sched->conforming || queue == &sched->excess)) {
            handle_overdue(sched, queue, node, now_ns);
            continue;
        }
        rtvnic_edf_remove(queue, node);

        struct dp_packet *packet = packet_from_node(node);
        struct sched_source *src = packet_class(sched, packet);
        uint32_t size = dp_packet_size(packet);
        bool late = now_ns > node->deadline;

        if (late) {
            sched->stats.late++;
            src->stats.late++;
        }
        packet_left_queue(sched, packet);
        trace_packet(sched, packet, now_ns,
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

/* Tries to take 'sched''s release token, which serialises release and
 * transmit: returns true if the caller now holds it (and must give it back
 * with rtvnic_sched_release_end()), false if another thread is releasing
 * from 'sched' right now (then the caller skips it).  Enqueueing never
 * waits for the token. */
bool
rtvnic_sched_release_begin(struct rtvnic_sched *sched)
{
    return !atomic_flag_test_and_set_explicit(&sched->releasing,
                                              memory_order_acquire);
}

void
rtvnic_sched_release_end(struct rtvnic_sched *sched)
{
    atomic_flag_clear_explicit(&sched->releasing, memory_order_release);
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
    stats->queued_packets = sched->n_packets;
    stats->queued_bytes = sched->n_bytes;
    stats->clamped = (sched->conforming.n_clamped + sched->excess.n_clamped
                      + sched->overdue_conforming.n_clamped
                      + sched->late.n_clamped);
    ovs_mutex_unlock(&sched->mutex);
}

/* Copies the statistics of queue 'queue_id' at 'sched' into 'stats'.
 * Returns false, zeroing 'stats', if 'sched' does not know it. */
bool
rtvnic_sched_get_queue_stats(struct rtvnic_sched *sched, uint32_t queue_id,
                             struct rtvnic_source_stats *stats)
{
    struct sched_source *q;

    ovs_mutex_lock(&sched->mutex);
    q = sched_queue_lookup(sched, queue_id);
    if (q) {
        *stats = q->stats;
    } else {
        memset(stats, 0, sizeof *stats);
    }
    ovs_mutex_unlock(&sched->mutex);
    return q != NULL;
}

/* Copies the statistics of 'source_id' (0: best effort) at 'sched' into
 * 'stats'.  Returns false, zeroing 'stats', if 'sched' does not know it. */
bool
rtvnic_sched_get_source_stats(struct rtvnic_sched *sched, uint16_t source_id,
                              struct rtvnic_source_stats *stats)
{
    bool found;

    ovs_mutex_lock(&sched->mutex);
    found = source_id < sched->n_sources && sched->sources[source_id];
    if (found) {
        *stats = sched->sources[source_id]->stats;
    } else {
        memset(stats, 0, sizeof *stats);
    }
    ovs_mutex_unlock(&sched->mutex);
    return found;
}
