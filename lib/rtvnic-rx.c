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

#include "rtvnic-rx.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cmap.h"
#include "coverage.h"
#include "flow.h"
#include "hash.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/hmap.h"
#include "openvswitch/json.h"
#include "ovs-atomic.h"
#include "ovs-rcu.h"
#include "ovs-thread.h"
#include "packets.h"
#include "rtvnic.h"
#include "rtvnic-config.h"
#include "rtvnic-report.h"
#include "rtvnic-stamp.h"
#include "openvswitch/poll-loop.h"
#include "seq.h"
#include "timeval.h"
#include "util.h"

COVERAGE_DEFINE(rtvnic_rx_untrusted);
COVERAGE_DEFINE(rtvnic_rx_refused);
COVERAGE_DEFINE(rtvnic_rx_expired);
COVERAGE_DEFINE(rtvnic_rx_evicted);
COVERAGE_DEFINE(rtvnic_rx_implausible);
COVERAGE_DEFINE(rtvnic_rx_bad_stamp);
COVERAGE_DEFINE(rtvnic_rx_epoch);
COVERAGE_DEFINE(rtvnic_rx_urgent);
COVERAGE_DEFINE(rtvnic_rx_near_miss);

/* Histogram: log-linear, SUB_BUCKETS per octave, over the delays a plausible
 * stamp can have (below RTVNIC_RX_MAX_DELAY_NS < 2^MAX_OCTAVE ns).  Bucket 0
 * holds the delays below 2^MIN_OCTAVE ns (1.024 us); bucket
 * 1 + SUB_BUCKETS * (k - MIN_OCTAVE) + j the delays d with 2^k <= d < 2^(k+1)
 * whose next SUB_BITS bits after the leading one are j.  A percentile is
 * reported as its bucket's upper bound: at most 1/16 above the true value
 * (and never above the largest delay seen). */
#define SUB_BITS 4
#define SUB_BUCKETS (1 << SUB_BITS)
#define MIN_OCTAVE 10
#define MAX_OCTAVE 34
#define N_BUCKETS (1 + (MAX_OCTAVE - MIN_OCTAVE) * SUB_BUCKETS)
BUILD_ASSERT_DECL(RTVNIC_RX_MAX_DELAY_NS < (UINT64_C(1) << MAX_OCTAVE));

/* One flow's counters.  Copied whole by readers, so keep it small. */
struct rx_stats {
    long long int used_ms;      /* Last stamp, OVS monotonic time. */
    uint32_t deadline_us;       /* From the latest stamp. */
    uint64_t packets;           /* Measured (incl. negative delays). */
    uint64_t misses;
    uint64_t lost;
    uint64_t reordered;
    uint64_t negative;
    uint64_t bad_stamp;
    uint64_t implausible;
    uint64_t epochs;
    uint64_t excess_max_ns;
    uint64_t delay_max_ns;
    uint64_t host_sum_ns, host_max_ns;
    uint64_t net_sum_ns, net_max_ns;
    uint64_t rcv_sum_ns, rcv_max_ns;    /* Waits in this switch's socket. */
    bool seq_valid;
    uint32_t next_seq;
    uint64_t newest_arrival_ns; /* Of the stamps counted in this epoch. */
    uint32_t hist[N_BUCKETS];   /* Saturating. */

    /* Since the last report interval: for miss reports.  The sums are of
     * the misses only, to say where they came from: a few misses' network
     * spike would disappear in a mean over the interval's on-time
     * packets.  Near misses have their own sums, for an interval without
     * misses. */
    struct {
        uint32_t packets, misses, lost, near_misses;
        uint64_t max_excess_ns;
        uint64_t host_max_ns, net_max_ns;
        uint64_t miss_host_sum_ns, miss_net_sum_ns;
        uint64_t near_host_sum_ns, near_net_sum_ns;
    } ival;

    /* Since the last heartbeat. */
    uint32_t beat_packets, beat_misses;

    /* Event-driven reporting: the latest miss, and how many more misses
     * of this episode are urgent. */
    long long int last_miss_ms;
    uint8_t urgent_left;
};

struct rx_flow {
    struct cmap_node node;      /* In 'rx_flows'. */
    struct in6_addr sender;     /* Immutable key. */
    uint16_t vnic_id;           /* Immutable key. */
    struct ovs_mutex mutex;
    struct rx_stats s OVS_GUARDED;
};

/* Writers of 'rx_flows' (insertion and removal of one flow at a time). */
static struct ovs_mutex rx_mutex = OVS_MUTEX_INITIALIZER;
static struct cmap rx_flows = CMAP_INITIALIZER;

static atomic_bool rx_receiver = false;

/* Set when a flow had an urgent miss; 'rx_urgent_seq' changes then, to wake
 * the main thread. */
static atomic_bool rx_urgent = false;
static struct seq *rx_urgent_seq;

static struct seq *
urgent_seq(void)
{
    static struct ovsthread_once once = OVSTHREAD_ONCE_INITIALIZER;

    if (ovsthread_once_start(&once)) {
        rx_urgent_seq = seq_create();
        ovsthread_once_done(&once);
    }
    return rx_urgent_seq;
}
static atomic_count rx_max_flows = ATOMIC_COUNT_INIT(
    RTVNIC_RX_MAX_FLOWS_DEFAULT);
static atomic_count rx_idle_timeout_ms = ATOMIC_COUNT_INIT(
    RTVNIC_RX_IDLE_TIMEOUT_DEFAULT);

/* Totals over all flows, including the ones that no longer exist. */
static atomic_uint64_t rx_refused = 0;     /* Stamps of keys not stored. */
static atomic_uint64_t rx_untrusted = 0;   /* Stamps not from a tunnel. */
static uint64_t rx_expired;                /* Main thread only. */
static uint64_t rx_evicted;                /* Main thread only. */
static long long int rx_next_run_ms;       /* Main thread only. */

/* Configuration. */

/* Turns the receiver on even without rtvnic QoS on this switch if
 * 'receiver', and sets the bounds of the flow table. */
void
rtvnic_rx_set_config(bool receiver, size_t max_flows,
                     unsigned int idle_timeout_ms)
{
    atomic_store_relaxed(&rx_receiver, receiver);
    atomic_count_set(&rx_max_flows, MIN(max_flows, UINT_MAX));
    atomic_count_set(&rx_idle_timeout_ms, idle_timeout_ms);
    rx_next_run_ms = 0;
}

/* Returns true if this switch measures RTvNIC stamps it receives.  One or
 * two relaxed loads: datapath threads call it for every Geneve packet. */
bool
rtvnic_rx_enabled(void)
{
    bool receiver;

    atomic_read_relaxed(&rx_receiver, &receiver);
    return receiver || rtvnic_is_enabled();
}

/* Returns the memory one receive flow takes. */
size_t
rtvnic_rx_flow_size(void)
{
    return sizeof(struct rx_flow);
}

/* Trusted tunnels.
 *
 * The main thread keeps every configured Geneve tunnel in 'tunnels' and
 * publishes, after each change, a new 'struct rx_trust' that datapath
 * threads read under RCU. */

struct rx_tunnel {
    struct hmap_node node;      /* In 'tunnels', by 'owner'. */
    const void *owner;
    struct in6_addr remote;
    struct in6_addr local;      /* in6addr_any: any. */
    ovs_be16 dst_port;
};

struct rx_trust {
    struct hmap remotes;        /* Of "struct rx_tunnel"s, by 'remote'. */
};

static struct ovs_mutex tunnel_mutex = OVS_MUTEX_INITIALIZER;
static struct hmap tunnels OVS_GUARDED_BY(tunnel_mutex)
    = HMAP_INITIALIZER(&tunnels);
static OVSRCU_TYPE(struct rx_trust *) rx_trust;

static uint32_t
hash_remote(const struct in6_addr *remote)
{
    return hash_bytes(remote, sizeof *remote, 0);
}

static void
rx_trust_destroy(struct rx_trust *trust)
{
    if (trust) {
        struct rx_tunnel *t;

        HMAP_FOR_EACH_POP (t, node, &trust->remotes) {
            free(t);
        }
        hmap_destroy(&trust->remotes);
        free(trust);
    }
}

static void
rx_trust_publish(void) OVS_REQUIRES(tunnel_mutex)
{
    struct rx_trust *new = xmalloc(sizeof *new);
    struct rx_trust *old;
    struct rx_tunnel *t;

    hmap_init(&new->remotes);
    HMAP_FOR_EACH (t, node, &tunnels) {
        struct rx_tunnel *copy = xmemdup(t, sizeof *t);

        hmap_insert(&new->remotes, &copy->node, hash_remote(&t->remote));
    }
    old = ovsrcu_get_protected(struct rx_trust *, &rx_trust);
    ovsrcu_set(&rx_trust, new);
    if (old) {
        ovsrcu_postpone(rx_trust_destroy, old);
    }
}

static struct rx_tunnel *
tunnel_find(const void *owner) OVS_REQUIRES(tunnel_mutex)
{
    struct rx_tunnel *t;

    HMAP_FOR_EACH_WITH_HASH (t, node, hash_pointer(owner, 0), &tunnels) {
        if (t->owner == owner) {
            return t;
        }
    }
    return NULL;
}

/* Makes 'owner''s tunnel, with remote IP 'remote' (IPv4 mapped, or NULL or
 * unset for a flow-based remote, which is never trusted), local IP 'local'
 * (NULL or unset for any) and UDP destination port 'dst_port', a source of
 * trusted stamps, replacing what 'owner' had before. */
void
rtvnic_rx_tunnel_set(const void *owner, const struct in6_addr *remote,
                     const struct in6_addr *local, ovs_be16 dst_port)
{
    if (!remote || !ipv6_addr_is_set(remote)) {
        rtvnic_rx_tunnel_remove(owner);
        return;
    }

    ovs_mutex_lock(&tunnel_mutex);
    struct rx_tunnel *t = tunnel_find(owner);
    struct in6_addr any = in6addr_any;
    const struct in6_addr *lp = local ? local : &any;

    if (!t || !ipv6_addr_equals(&t->remote, remote)
        || !ipv6_addr_equals(&t->local, lp) || t->dst_port != dst_port) {
        if (!t) {
            t = xzalloc(sizeof *t);
            t->owner = owner;
            hmap_insert(&tunnels, &t->node, hash_pointer(owner, 0));
        }
        t->remote = *remote;
        t->local = *lp;
        t->dst_port = dst_port;
        rx_trust_publish();
    }
    ovs_mutex_unlock(&tunnel_mutex);
}

/* Forgets 'owner''s tunnel, if it has one. */
void
rtvnic_rx_tunnel_remove(const void *owner)
{
    ovs_mutex_lock(&tunnel_mutex);
    struct rx_tunnel *t = tunnel_find(owner);
    if (t) {
        hmap_remove(&tunnels, &t->node);
        free(t);
        rx_trust_publish();
    }
    ovs_mutex_unlock(&tunnel_mutex);
}

/* Returns true if the Geneve packet whose outer headers 'tnl' describes came
 * from the remote of a configured tunnel, to that tunnel's UDP port and (if
 * it has one) local IP. */
bool
rtvnic_rx_is_trusted(const struct flow_tnl *tnl)
{
    struct rx_trust *trust = ovsrcu_get(struct rx_trust *, &rx_trust);
    struct in6_addr src, dst;
    const struct rx_tunnel *t;

    if (!trust) {
        return false;
    }
    if (tnl->ip_dst) {
        in6_addr_set_mapped_ipv4(&src, tnl->ip_src);
        in6_addr_set_mapped_ipv4(&dst, tnl->ip_dst);
    } else {
        src = tnl->ipv6_src;
        dst = tnl->ipv6_dst;
    }
    HMAP_FOR_EACH_WITH_HASH (t, node, hash_remote(&src), &trust->remotes) {
        if (ipv6_addr_equals(&t->remote, &src)
            && t->dst_port == tnl->tp_dst
            && (!ipv6_addr_is_set(&t->local)
                || ipv6_addr_equals(&t->local, &dst))) {
            return true;
        }
    }
    return false;
}

/* Counts a stamp that was not measured because it did not come through a
 * configured tunnel. */
void
rtvnic_rx_record_untrusted(void)
{
    uint64_t orig;

    COVERAGE_INC(rtvnic_rx_untrusted);
    atomic_add_relaxed(&rx_untrusted, 1, &orig);
}

/* Flows. */

static uint32_t
rx_hash(const struct in6_addr *sender, uint16_t vnic_id)
{
    return hash_bytes(sender, sizeof *sender, vnic_id);
}

static struct rx_flow *
rx_flow_find(const struct in6_addr *sender, uint16_t vnic_id, uint32_t hash)
{
    struct rx_flow *f;

    CMAP_FOR_EACH_WITH_HASH (f, node, hash, &rx_flows) {
        if (f->vnic_id == vnic_id && ipv6_addr_equals(&f->sender, sender)) {
            return f;
        }
    }
    return NULL;
}

/* Returns the flow of ('sender', 'vnic_id'), creating it if there is room,
 * or NULL (counted as refused) if there is not. */
static struct rx_flow *
rx_flow_get(const struct in6_addr *sender, uint16_t vnic_id)
{
    uint32_t hash = rx_hash(sender, vnic_id);
    struct rx_flow *f = rx_flow_find(sender, vnic_id, hash);

    if (OVS_LIKELY(f)) {
        return f;
    }

    /* A new key: the only case that takes 'rx_mutex'. */
    ovs_mutex_lock(&rx_mutex);
    f = rx_flow_find(sender, vnic_id, hash);
    if (!f) {
        if (cmap_count(&rx_flows) >= atomic_count_get(&rx_max_flows)) {
            uint64_t orig;

            ovs_mutex_unlock(&rx_mutex);
            COVERAGE_INC(rtvnic_rx_refused);
            atomic_add_relaxed(&rx_refused, 1, &orig);
            return NULL;
        }
        f = xzalloc(sizeof *f);
        f->sender = *sender;
        f->vnic_id = vnic_id;
        ovs_mutex_init(&f->mutex);
        cmap_insert(&rx_flows, &f->node, hash);
    }
    ovs_mutex_unlock(&rx_mutex);
    return f;
}

static void
rx_flow_free(struct rx_flow *f)
{
    ovs_mutex_destroy(&f->mutex);
    free(f);
}

/* Removes 'f' from the table; datapath threads may still use it until the
 * next grace period. */
static void
rx_flow_remove(struct rx_flow *f)
{
    ovs_mutex_lock(&rx_mutex);
    cmap_remove(&rx_flows, &f->node, rx_hash(&f->sender, f->vnic_id));
    ovs_mutex_unlock(&rx_mutex);
    ovsrcu_postpone(rx_flow_free, f);
}

static unsigned int
bucket_of(uint64_t ns)
{
    if (ns < (UINT64_C(1) << MIN_OCTAVE)) {
        return 0;
    }
    int k = MIN(63 - raw_clz64(ns), MAX_OCTAVE - 1);
    return (1 + SUB_BUCKETS * (k - MIN_OCTAVE)
            + ((ns >> (k - SUB_BITS)) & (SUB_BUCKETS - 1)));
}

/* Upper bound of the delays in bucket 'b'. */
static uint64_t
bucket_top(unsigned int b)
{
    if (!b) {
        return (UINT64_C(1) << MIN_OCTAVE) - 1;
    }
    int k = (b - 1) / SUB_BUCKETS + MIN_OCTAVE;
    uint64_t j = (b - 1) % SUB_BUCKETS;
    return (UINT64_C(1) << k) + ((j + 1) << (k - SUB_BITS)) - 1;
}

/* Returns true if a stamp of 'arrival_ns' received at 'now_ns' cannot be
 * true: no clock is that far off, and no packet that late still counts. */
static bool
implausible_time(uint64_t arrival_ns, uint64_t now_ns)
{
    return (!arrival_ns
            || (now_ns >= arrival_ns
                ? now_ns - arrival_ns > RTVNIC_RX_MAX_DELAY_NS
                : arrival_ns - now_ns > RTVNIC_RX_MAX_DELAY_NS));
}

enum seq_verdict {
    SEQ_OK,                     /* In order, or a gap (loss). */
    SEQ_REORDERED,              /* Behind: late or duplicate. */
    SEQ_EPOCH,                  /* The sender restarted. */
    SEQ_IMPLAUSIBLE,            /* Far off, with no newer arrival. */
};

/* Classifies the sequence number of 'stamp' for 's' and updates the sequence
 * state and loss counters accordingly. */
static enum seq_verdict
rx_update_seq(struct rx_stats *s, const struct rtvnic_stamp *stamp)
{
    enum seq_verdict v;

    if (!s->seq_valid) {
        v = SEQ_OK;
    } else {
        uint32_t ahead = stamp->seq - s->next_seq;
        uint32_t behind = s->next_seq - stamp->seq;
        bool newer = (stamp->arrival_ns
                      > s->newest_arrival_ns + RTVNIC_RX_EPOCH_MARGIN_NS);

        if (ahead < RTVNIC_RX_SEQ_WINDOW) {
            v = SEQ_OK;
            s->lost += ahead;
            s->ival.lost += ahead;
        } else if (newer) {
            v = SEQ_EPOCH;
        } else if (behind <= RTVNIC_RX_SEQ_WINDOW) {
            v = SEQ_REORDERED;
        } else {
            return SEQ_IMPLAUSIBLE;
        }
    }

    switch (v) {
    case SEQ_OK:
        s->seq_valid = true;
        s->next_seq = stamp->seq + 1;
        s->newest_arrival_ns = MAX(s->newest_arrival_ns, stamp->arrival_ns);
        break;
    case SEQ_EPOCH:
        COVERAGE_INC(rtvnic_rx_epoch);
        s->epochs++;
        s->next_seq = stamp->seq + 1;
        s->newest_arrival_ns = stamp->arrival_ns;
        break;
    case SEQ_REORDERED:
        /* Late, or duplicate: it was counted lost when passed over. */
        s->reordered++;
        if (s->lost) {
            s->lost--;
        }
        break;
    case SEQ_IMPLAUSIBLE:
    default:
        OVS_NOT_REACHED();
    }
    return v;
}

/* Records 'stamp', read from 'sender''s packet at 'now_ns' (wall clock) and
 * 'now_ms' (OVS monotonic time), after the packet waited 'rx_wait_ns' in
 * this switch's receive socket (0 if unknown). */
void
rtvnic_rx_record(const struct in6_addr *sender,
                 const struct rtvnic_stamp *stamp, uint64_t now_ns,
                 uint64_t rx_wait_ns, long long int now_ms)
{
    struct rx_flow *f = rx_flow_get(sender, stamp->vnic_id);

    if (!f) {
        return;
    }

    uint16_t near_permille = rtvnic_report_near_permille();
    bool urgent = false;

    ovs_mutex_lock(&f->mutex);
    struct rx_stats *s = &f->s;

    s->used_ms = now_ms;
    if (implausible_time(stamp->arrival_ns, now_ns)
        || rx_update_seq(s, stamp) == SEQ_IMPLAUSIBLE) {
        COVERAGE_INC(rtvnic_rx_implausible);
        s->implausible++;
        ovs_mutex_unlock(&f->mutex);
        return;
    }

    s->deadline_us = stamp->deadline_us;
    s->packets++;
    if (now_ns < stamp->arrival_ns) {
        s->negative++;
    } else {
        uint64_t delay = now_ns - stamp->arrival_ns;
        uint64_t host = MIN(stamp->depart_delta_ns, delay);
        uint64_t rcv = MIN(rx_wait_ns, delay - host);
        uint64_t net = delay - host - rcv;
        uint64_t deadline = (uint64_t) stamp->deadline_us * 1000;
        uint32_t *bucket = &s->hist[bucket_of(delay)];

        *bucket += *bucket < UINT32_MAX;
        s->ival.packets++;
        s->ival.host_max_ns = MAX(s->ival.host_max_ns, host);
        s->ival.net_max_ns = MAX(s->ival.net_max_ns, net);
        s->beat_packets++;
        s->delay_max_ns = MAX(s->delay_max_ns, delay);
        s->host_sum_ns += host;
        s->host_max_ns = MAX(s->host_max_ns, host);
        s->net_sum_ns += net;
        s->net_max_ns = MAX(s->net_max_ns, net);
        s->rcv_sum_ns += rcv;
        s->rcv_max_ns = MAX(s->rcv_max_ns, rcv);
        if (deadline && delay > deadline) {
            if (now_ms - s->last_miss_ms >= RTVNIC_RX_EPISODE_GAP_MS) {
                s->urgent_left = RTVNIC_RX_URGENT_MISSES;
            }
            s->last_miss_ms = now_ms;
            if (s->urgent_left) {
                s->urgent_left--;
                urgent = true;
            }
            s->misses++;
            s->excess_max_ns = MAX(s->excess_max_ns, delay - deadline);
            s->ival.misses++;
            s->ival.miss_host_sum_ns += host;
            s->ival.miss_net_sum_ns += net;
            s->ival.max_excess_ns = MAX(s->ival.max_excess_ns,
                                        delay - deadline);
            s->beat_misses++;
        } else if (deadline && near_permille
                   && delay * 1000 > deadline * near_permille) {
            COVERAGE_INC(rtvnic_rx_near_miss);
            s->ival.near_misses++;
            s->ival.near_host_sum_ns += host;
            s->ival.near_net_sum_ns += net;
        }
    }
    ovs_mutex_unlock(&f->mutex);

    if (urgent) {
        struct seq *seq = urgent_seq();

        COVERAGE_INC(rtvnic_rx_urgent);
        /* Flag first, then the seq: rtvnic_rx_urgent_wait() reads them in
         * the opposite order, so it cannot miss both. */
        atomic_store(&rx_urgent, true);
        seq_change(seq);
    }
}

bool
rtvnic_rx_urgent_pending(void)
{
    bool urgent;

    atomic_read(&rx_urgent, &urgent);
    return urgent;
}

void
rtvnic_rx_urgent_clear(void)
{
    atomic_store(&rx_urgent, false);
}

void
rtvnic_rx_urgent_wait(long long int not_before_ms)
{
    struct seq *seq = urgent_seq();
    uint64_t seqno = seq_read(seq);

    if (rtvnic_rx_urgent_pending()) {
        poll_timer_wait_until(not_before_ms);
    } else {
        seq_wait(seq, seqno);
    }
}

/* Counts a malformed stamp from 'sender' (and 'vnic_id', if it could be
 * read; 0 otherwise). */
void
rtvnic_rx_record_bad(const struct in6_addr *sender, uint16_t vnic_id,
                     long long int now_ms)
{
    struct rx_flow *f = rx_flow_get(sender, vnic_id);

    COVERAGE_INC(rtvnic_rx_bad_stamp);
    if (f) {
        ovs_mutex_lock(&f->mutex);
        f->s.bad_stamp++;
        f->s.used_ms = now_ms;
        ovs_mutex_unlock(&f->mutex);
    }
}

static uint32_t
clamp32(uint64_t x)
{
    return MIN(x, UINT32_MAX);
}

static int
compare_flows(const void *a_, const void *b_)
{
    const struct rx_flow *const *a = a_;
    const struct rx_flow *const *b = b_;
    int cmp = memcmp(&(*a)->sender, &(*b)->sender, sizeof (*a)->sender);

    return cmp ? cmp : (int) (*a)->vnic_id - (int) (*b)->vnic_id;
}

/* Returns the flows, sorted by sender and vnic_id if 'sort', in an array
 * the caller frees.  The flows stay valid until the caller quiesces. */
static struct rx_flow **
all_flows(size_t *n, bool sort)
{
    size_t allocated = cmap_count(&rx_flows) + 16;
    struct rx_flow **flows = xmalloc(allocated * sizeof *flows);
    struct rx_flow *f;

    *n = 0;
    CMAP_FOR_EACH (f, node, &rx_flows) {
        if (*n >= allocated) {
            flows = x2nrealloc(flows, &allocated, sizeof *flows);
        }
        flows[(*n)++] = f;
    }
    if (sort) {
        qsort(flows, *n, sizeof *flows, compare_flows);
    }
    return flows;
}

/* Stores in '*reports' (to be freed by the caller) one report for each flow
 * that had misses or near misses since the previous call, which was
 * 'interval_us' ago, and starts a new interval for every flow.  Returns the
 * number of reports. */
size_t
rtvnic_rx_take_reports(struct rtvnic_report **reports, uint32_t interval_us)
{
    struct rx_flow **flows;
    size_t n_flows, n = 0;

    flows = all_flows(&n_flows, false);
    *reports = xmalloc((n_flows + 1) * sizeof **reports);
    for (size_t i = 0; i < n_flows; i++) {
        struct rx_flow *f = flows[i];

        ovs_mutex_lock(&f->mutex);
        struct rx_stats *s = &f->s;
        if (s->ival.misses || s->ival.near_misses) {
            uint32_t pkts = s->ival.packets;
            uint32_t misses = s->ival.misses;
            uint32_t near = s->ival.near_misses;
            /* Where the misses spent their time, or without any, the near
             * misses. */
            uint32_t n_mean = misses ? misses : near;
            uint64_t host_sum = (misses ? s->ival.miss_host_sum_ns
                                 : s->ival.near_host_sum_ns);
            uint64_t net_sum = (misses ? s->ival.miss_net_sum_ns
                                : s->ival.near_net_sum_ns);

            (*reports)[n++] = (struct rtvnic_report) {
                .sender = f->sender,
                .vnic_id = f->vnic_id,
                .interval_us = interval_us,
                .packets = pkts,
                .misses = misses,
                .near_misses = near,
                .lost = s->ival.lost,
                .deadline_us = s->deadline_us,
                .max_excess_ns = s->ival.max_excess_ns,
                .host_mean_ns = clamp32(host_sum / n_mean),
                .host_max_ns = clamp32(s->ival.host_max_ns),
                .network_mean_ns = clamp32(net_sum / n_mean),
                .network_max_ns = clamp32(s->ival.net_max_ns),
            };
        }
        memset(&s->ival, 0, sizeof s->ival);
        ovs_mutex_unlock(&f->mutex);
    }
    free(flows);
    return n;
}

/* Stores in '*entries' (to be freed by the caller) every flow's packets and
 * misses since the previous call, and starts counting anew.  Returns the
 * number of entries. */
size_t
rtvnic_rx_take_heartbeat(struct rtvnic_beat_entry **entries)
{
    struct rx_flow **flows;
    size_t n;

    flows = all_flows(&n, true);
    *entries = xmalloc((n + 1) * sizeof **entries);
    for (size_t i = 0; i < n; i++) {
        struct rx_flow *f = flows[i];

        ovs_mutex_lock(&f->mutex);
        (*entries)[i] = (struct rtvnic_beat_entry) {
            .sender = f->sender,
            .vnic_id = f->vnic_id,
            .packets = f->s.beat_packets,
            .misses = f->s.beat_misses,
        };
        f->s.beat_packets = f->s.beat_misses = 0;
        ovs_mutex_unlock(&f->mutex);
    }
    free(flows);
    return n;
}

bool
rtvnic_rx_is_empty(void)
{
    return cmap_is_empty(&rx_flows);
}

/* Forgets every flow and zeroes the totals. */
void
rtvnic_rx_clear(void)
{
    struct rx_flow **flows;
    size_t n;

    flows = all_flows(&n, false);
    for (size_t i = 0; i < n; i++) {
        rx_flow_remove(flows[i]);
    }
    free(flows);
    atomic_store_relaxed(&rx_refused, 0);
    atomic_store_relaxed(&rx_untrusted, 0);
    rx_expired = rx_evicted = 0;
}

static int
compare_used(const void *a_, const void *b_)
{
    const long long int *a = a_;
    const long long int *b = b_;

    return *a < *b ? -1 : *a > *b;
}

/* Main thread: expires the flows idle for longer than the idle timeout and,
 * if there are more flows than allowed, evicts the least recently used.
 * Walks the table at most every tenth of the idle timeout (and every
 * second at most). */
void
rtvnic_rx_run(void)
{
    long long int now = time_msec();
    unsigned int idle = atomic_count_get(&rx_idle_timeout_ms);
    size_t max = atomic_count_get(&rx_max_flows);
    bool over = cmap_count(&rx_flows) > max;

    if ((now < rx_next_run_ms && !over) || cmap_is_empty(&rx_flows)) {
        return;
    }
    rx_next_run_ms = now + MAX(1, MIN(idle / 10, 1000));

    struct rx_flow **flows;
    size_t n, n_left = 0;

    flows = all_flows(&n, false);
    for (size_t i = 0; i < n; i++) {
        struct rx_flow *f = flows[i];
        long long int used;

        ovs_mutex_lock(&f->mutex);
        used = f->s.used_ms;
        ovs_mutex_unlock(&f->mutex);
        if (now - used >= idle) {
            COVERAGE_INC(rtvnic_rx_expired);
            rx_expired++;
            rx_flow_remove(f);
        } else {
            flows[n_left++] = f;
        }
    }

    if (n_left > max) {
        /* Evicts the flows used least recently: those not used since the
         * (n_left - max)th oldest use. */
        long long int *used = xmalloc(n_left * sizeof *used);
        size_t excess = n_left - max;

        for (size_t i = 0; i < n_left; i++) {
            ovs_mutex_lock(&flows[i]->mutex);
            used[i] = flows[i]->s.used_ms;
            ovs_mutex_unlock(&flows[i]->mutex);
        }
        long long int *sorted = xmemdup(used, n_left * sizeof *used);
        qsort(sorted, n_left, sizeof *sorted, compare_used);
        long long int cutoff = sorted[excess - 1];
        free(sorted);

        for (size_t i = 0; i < n_left && excess; i++) {
            if (used[i] <= cutoff) {
                COVERAGE_INC(rtvnic_rx_evicted);
                rx_evicted++;
                excess--;
                rx_flow_remove(flows[i]);
            }
        }
        free(used);
    }
    free(flows);
}

static uint64_t
percentile(const struct rx_stats *s, unsigned int per_mille_x10)
{
    uint64_t n = 0, seen = 0, rank;

    for (int b = 0; b < N_BUCKETS; b++) {
        n += s->hist[b];
    }
    if (!n) {
        return 0;
    }
    /* Smallest bucket covering 'rank' = ceil(n * p) samples. */
    rank = (n * per_mille_x10 + 9999) / 10000;
    for (int b = 0; b < N_BUCKETS; b++) {
        seen += s->hist[b];
        if (seen >= rank) {
            return MIN(bucket_top(b), s->delay_max_ns);
        }
    }
    return s->delay_max_ns;
}

static uint64_t
measured(const struct rx_stats *s)
{
    return s->packets - s->negative;
}

/* Copies 'f''s counters into '*s', holding 'f''s mutex only for that. */
static void
snapshot(struct rx_flow *f, struct rx_stats *s)
{
    ovs_mutex_lock(&f->mutex);
    *s = f->s;
    ovs_mutex_unlock(&f->mutex);
}

static void
put_us(struct ds *ds, uint64_t ns)
{
    ds_put_format(ds, "%"PRIu64".%03"PRIu64"us", ns / 1000, ns % 1000);
}

void
rtvnic_rx_format(struct ds *ds)
{
    struct rx_stats *s = xmalloc(sizeof *s);
    struct rx_flow **flows;
    uint64_t refused, untrusted;
    size_t n;

    flows = all_flows(&n, true);
    for (size_t i = 0; i < n; i++) {
        const struct rx_flow *f = flows[i];

        snapshot(flows[i], s);
        uint64_t m = measured(s);

        ds_put_cstr(ds, "sender ");
        ipv6_format_mapped(&f->sender, ds);
        ds_put_format(ds, " vnic %"PRIu16": deadline ", f->vnic_id);
        rtvnic_format_duration(ds, (uint64_t) s->deadline_us * 1000);
        ds_put_format(ds, "\n  packets %"PRIu64", misses %"PRIu64", lost %"
                      PRIu64", reordered %"PRIu64", negative %"PRIu64
                      ", bad_stamp %"PRIu64"\n", s->packets, s->misses,
                      s->lost, s->reordered, s->negative, s->bad_stamp);
        ds_put_cstr(ds, "  delay p50 ");
        put_us(ds, percentile(s, 5000));
        ds_put_cstr(ds, ", p99 ");
        put_us(ds, percentile(s, 9900));
        ds_put_cstr(ds, ", p999 ");
        put_us(ds, percentile(s, 9990));
        ds_put_cstr(ds, ", max ");
        put_us(ds, s->delay_max_ns);
        ds_put_cstr(ds, ", excess max ");
        put_us(ds, s->excess_max_ns);
        ds_put_cstr(ds, "\n  host mean ");
        put_us(ds, m ? s->host_sum_ns / m : 0);
        ds_put_cstr(ds, ", max ");
        put_us(ds, s->host_max_ns);
        ds_put_cstr(ds, "; network mean ");
        put_us(ds, m ? s->net_sum_ns / m : 0);
        ds_put_cstr(ds, ", max ");
        put_us(ds, s->net_max_ns);
        if (s->rcv_max_ns) {
            ds_put_cstr(ds, "; receiver mean ");
            put_us(ds, m ? s->rcv_sum_ns / m : 0);
            ds_put_cstr(ds, ", max ");
            put_us(ds, s->rcv_max_ns);
        }
        ds_put_format(ds, "\n  implausible %"PRIu64", epochs %"PRIu64"\n",
                      s->implausible, s->epochs);
    }
    if (!n) {
        ds_put_cstr(ds, "no RTvNIC stamps received\n");
    }
    free(flows);
    free(s);

    atomic_read_relaxed(&rx_refused, &refused);
    atomic_read_relaxed(&rx_untrusted, &untrusted);
    ds_put_format(ds, "receiver %s: flows %"PRIuSIZE" (max %u, %"PRIuSIZE
                  " bytes each, idle timeout %u ms), refused %"PRIu64
                  ", evicted %"PRIu64", expired %"PRIu64", untrusted %"
                  PRIu64"\n", rtvnic_rx_enabled() ? "on" : "off", n,
                  atomic_count_get(&rx_max_flows), rtvnic_rx_flow_size(),
                  atomic_count_get(&rx_idle_timeout_ms), refused, rx_evicted,
                  rx_expired, untrusted);
}

static void
put_u64(struct json *obj, const char *name, uint64_t x)
{
    json_object_put(obj, name, json_integer_create(x));
}

void
rtvnic_rx_format_json(struct ds *ds)
{
    struct json *array = json_array_create_empty();
    struct rx_stats *s = xmalloc(sizeof *s);
    struct rx_flow **flows;
    size_t n;

    flows = all_flows(&n, true);
    for (size_t i = 0; i < n; i++) {
        const struct rx_flow *f = flows[i];
        struct json *obj = json_object_create();
        struct ds sender = DS_EMPTY_INITIALIZER;

        snapshot(flows[i], s);
        uint64_t m = measured(s);

        ipv6_format_mapped(&f->sender, &sender);
        json_object_put_string(obj, "sender", ds_cstr(&sender));
        ds_destroy(&sender);
        put_u64(obj, "vnic_id", f->vnic_id);
        put_u64(obj, "deadline_us", s->deadline_us);
        put_u64(obj, "packets", s->packets);
        put_u64(obj, "misses", s->misses);
        put_u64(obj, "lost", s->lost);
        put_u64(obj, "reordered", s->reordered);
        put_u64(obj, "negative", s->negative);
        put_u64(obj, "bad_stamp", s->bad_stamp);
        put_u64(obj, "implausible", s->implausible);
        put_u64(obj, "epochs", s->epochs);
        put_u64(obj, "p50_ns", percentile(s, 5000));
        put_u64(obj, "p99_ns", percentile(s, 9900));
        put_u64(obj, "p999_ns", percentile(s, 9990));
        put_u64(obj, "max_ns", s->delay_max_ns);
        put_u64(obj, "excess_max_ns", s->excess_max_ns);
        put_u64(obj, "host_mean_ns", m ? s->host_sum_ns / m : 0);
        put_u64(obj, "host_max_ns", s->host_max_ns);
        put_u64(obj, "network_mean_ns", m ? s->net_sum_ns / m : 0);
        put_u64(obj, "network_max_ns", s->net_max_ns);
        put_u64(obj, "receiver_mean_ns", m ? s->rcv_sum_ns / m : 0);
        put_u64(obj, "receiver_max_ns", s->rcv_max_ns);
        json_array_add(array, obj);
    }
    free(flows);
    free(s);

    json_to_ds(array, JSSF_SORT, ds);
    ds_put_char(ds, '\n');
    json_destroy(array);
}
