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

#include "openvswitch/dynamic-string.h"
#include "openvswitch/hmap.h"
#include "openvswitch/json.h"
#include "ovs-thread.h"
#include "packets.h"
#include "rtvnic-config.h"
#include "rtvnic-report.h"
#include "rtvnic-stamp.h"
#include "util.h"

/* Histogram: log-linear, SUB_BUCKETS per octave.  Bucket SUB_BUCKETS * k + j
 * holds delays d (ns) with 2^k <= d < 2^(k+1) whose next SUB_BITS bits after
 * the leading one are j; delays below SUB_BUCKETS ns have a bucket each.  A
 * percentile is reported as its bucket's upper bound: at most 1/16 above the
 * true value. */
#define SUB_BITS 4
#define SUB_BUCKETS (1 << SUB_BITS)
#define N_BUCKETS (64 * SUB_BUCKETS)

struct rx_flow {
    struct hmap_node node;
    struct in6_addr sender;
    uint16_t vnic_id;

    uint32_t deadline_us;       /* From the latest stamp. */
    uint64_t packets;
    uint64_t misses;
    uint64_t lost;
    uint64_t reordered;
    uint64_t negative;
    uint64_t bad_stamp;
    uint64_t excess_max_ns;
    uint64_t delay_max_ns;
    uint64_t host_sum_ns, host_max_ns;
    uint64_t net_sum_ns, net_max_ns;
    bool seq_valid;
    uint32_t next_seq;
    uint64_t hist[N_BUCKETS];

    /* Since the last report interval: for miss reports. */
    struct {
        uint32_t packets, misses, lost;
        uint64_t max_excess_ns;
        uint64_t host_sum_ns, host_max_ns, net_sum_ns, net_max_ns;
    } ival;

    /* Since the last heartbeat. */
    uint32_t beat_packets, beat_misses;
};

static struct ovs_mutex rx_mutex = OVS_MUTEX_INITIALIZER;
static struct hmap rx_flows OVS_GUARDED_BY(rx_mutex)
    = HMAP_INITIALIZER(&rx_flows);

static struct rx_flow *
rx_flow_get(const struct in6_addr *sender, uint16_t vnic_id)
    OVS_REQUIRES(rx_mutex)
{
    uint32_t hash = hash_bytes(sender, sizeof *sender, vnic_id);
    struct rx_flow *f;

    HMAP_FOR_EACH_WITH_HASH (f, node, hash, &rx_flows) {
        if (f->vnic_id == vnic_id && ipv6_addr_equals(&f->sender, sender)) {
            return f;
        }
    }
    f = xzalloc(sizeof *f);
    f->sender = *sender;
    f->vnic_id = vnic_id;
    hmap_insert(&rx_flows, &f->node, hash);
    return f;
}

static struct rx_flow **sorted_flows(size_t *n) OVS_REQUIRES(rx_mutex);

static unsigned int
bucket_of(uint64_t ns)
{
    if (ns < SUB_BUCKETS) {
        return ns;
    }
    int k = 63 - raw_clz64(ns);
    return SUB_BUCKETS * k + ((ns >> (k - SUB_BITS)) & (SUB_BUCKETS - 1));
}

/* Upper bound of the delays in bucket 'b'. */
static uint64_t
bucket_top(unsigned int b)
{
    if (b < SUB_BUCKETS) {
        return b;
    }
    int k = b / SUB_BUCKETS;
    uint64_t j = b % SUB_BUCKETS;
    return (UINT64_C(1) << k) + ((j + 1) << (k - SUB_BITS)) - 1;
}

void
rtvnic_rx_record(const struct in6_addr *sender,
                 const struct rtvnic_stamp *stamp, uint64_t now_ns)
{
    struct rx_flow *f;

    ovs_mutex_lock(&rx_mutex);
    f = rx_flow_get(sender, stamp->vnic_id);
    f->deadline_us = stamp->deadline_us;
    f->packets++;

    if (f->seq_valid) {
        int32_t gap = stamp->seq - f->next_seq;

        if (gap > 0) {
            f->lost += gap;
            f->ival.lost += gap;
        } else if (gap < 0) {
            /* Late, or duplicate: it was counted lost when passed over. */
            f->reordered++;
            if (f->lost) {
                f->lost--;
            }
        }
    }
    if (!f->seq_valid || (int32_t) (stamp->seq - f->next_seq) >= 0) {
        f->next_seq = stamp->seq + 1;
        f->seq_valid = true;
    }

    if (now_ns < stamp->arrival_ns) {
        f->negative++;
    } else {
        uint64_t delay = now_ns - stamp->arrival_ns;
        uint64_t host = MIN(stamp->depart_delta_ns, delay);
        uint64_t net = delay - host;
        uint64_t deadline = (uint64_t) stamp->deadline_us * 1000;

        f->hist[bucket_of(delay)]++;
        f->ival.packets++;
        f->ival.host_sum_ns += host;
        f->ival.host_max_ns = MAX(f->ival.host_max_ns, host);
        f->ival.net_sum_ns += net;
        f->ival.net_max_ns = MAX(f->ival.net_max_ns, net);
        f->beat_packets++;
        f->delay_max_ns = MAX(f->delay_max_ns, delay);
        f->host_sum_ns += host;
        f->host_max_ns = MAX(f->host_max_ns, host);
        f->net_sum_ns += net;
        f->net_max_ns = MAX(f->net_max_ns, net);
        if (deadline && delay > deadline) {
            f->misses++;
            f->excess_max_ns = MAX(f->excess_max_ns, delay - deadline);
            f->ival.misses++;
            f->ival.max_excess_ns = MAX(f->ival.max_excess_ns,
                                        delay - deadline);
            f->beat_misses++;
        }
    }
    ovs_mutex_unlock(&rx_mutex);
}

/* Counts a malformed stamp from 'sender' (and 'vnic_id', if it could be
 * read; 0 otherwise). */
void
rtvnic_rx_record_bad(const struct in6_addr *sender, uint16_t vnic_id)
{
    ovs_mutex_lock(&rx_mutex);
    rx_flow_get(sender, vnic_id)->bad_stamp++;
    ovs_mutex_unlock(&rx_mutex);
}

static uint32_t
clamp32(uint64_t x)
{
    return MIN(x, UINT32_MAX);
}

/* Stores in '*reports' (to be freed by the caller) one report for each flow
 * that had misses since the previous call, which was 'interval_us' ago, and
 * starts a new interval for every flow.  Returns the number of reports. */
size_t
rtvnic_rx_take_reports(struct rtvnic_report **reports, uint32_t interval_us)
{
    struct rx_flow *f;
    size_t n = 0;

    ovs_mutex_lock(&rx_mutex);
    *reports = xmalloc((hmap_count(&rx_flows) + 1) * sizeof **reports);
    HMAP_FOR_EACH (f, node, &rx_flows) {
        if (f->ival.misses) {
            uint32_t pkts = f->ival.packets;

            (*reports)[n++] = (struct rtvnic_report) {
                .sender = f->sender,
                .vnic_id = f->vnic_id,
                .interval_us = interval_us,
                .packets = pkts,
                .misses = f->ival.misses,
                .lost = f->ival.lost,
                .deadline_us = f->deadline_us,
                .max_excess_ns = f->ival.max_excess_ns,
                .host_mean_ns = clamp32(pkts ? f->ival.host_sum_ns / pkts : 0),
                .host_max_ns = clamp32(f->ival.host_max_ns),
                .network_mean_ns = clamp32(pkts ? f->ival.net_sum_ns / pkts
                                           : 0),
                .network_max_ns = clamp32(f->ival.net_max_ns),
            };
        }
        memset(&f->ival, 0, sizeof f->ival);
    }
    ovs_mutex_unlock(&rx_mutex);
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

    ovs_mutex_lock(&rx_mutex);
    flows = sorted_flows(&n);
    *entries = xmalloc((n + 1) * sizeof **entries);
    for (size_t i = 0; i < n; i++) {
        struct rx_flow *f = flows[i];

        (*entries)[i] = (struct rtvnic_beat_entry) {
            .sender = f->sender,
            .vnic_id = f->vnic_id,
            .packets = f->beat_packets,
            .misses = f->beat_misses,
        };
        f->beat_packets = f->beat_misses = 0;
    }
    free(flows);
    ovs_mutex_unlock(&rx_mutex);
    return n;
}

bool
rtvnic_rx_is_empty(void)
{
    bool empty;

    ovs_mutex_lock(&rx_mutex);
    empty = hmap_is_empty(&rx_flows);
    ovs_mutex_unlock(&rx_mutex);
    return empty;
}

void
rtvnic_rx_clear(void)
{
    struct rx_flow *f;

    ovs_mutex_lock(&rx_mutex);
    HMAP_FOR_EACH_POP (f, node, &rx_flows) {
        free(f);
    }
    ovs_mutex_unlock(&rx_mutex);
}

static uint64_t
percentile(const struct rx_flow *f, unsigned int per_mille_x10)
{
    uint64_t n = 0, seen = 0, rank;

    for (int b = 0; b < N_BUCKETS; b++) {
        n += f->hist[b];
    }
    if (!n) {
        return 0;
    }
    /* Smallest bucket covering 'rank' = ceil(n * p) samples. */
    rank = (n * per_mille_x10 + 9999) / 10000;
    for (int b = 0; b < N_BUCKETS; b++) {
        seen += f->hist[b];
        if (seen >= rank) {
            return MIN(bucket_top(b), f->delay_max_ns);
        }
    }
    return f->delay_max_ns;
}

static int
compare_flows(const void *a_, const void *b_)
{
    const struct rx_flow *const *a = a_;
    const struct rx_flow *const *b = b_;
    int cmp = memcmp(&(*a)->sender, &(*b)->sender, sizeof (*a)->sender);

    return cmp ? cmp : (int) (*a)->vnic_id - (int) (*b)->vnic_id;
}

/* Returns the flows sorted by sender and vnic_id, in an array the caller
 * frees.  Caller holds 'rx_mutex'. */
static struct rx_flow **
sorted_flows(size_t *n) OVS_REQUIRES(rx_mutex)
{
    struct rx_flow **flows = xmalloc(hmap_count(&rx_flows) * sizeof *flows
                                     + 1);
    struct rx_flow *f;

    *n = 0;
    HMAP_FOR_EACH (f, node, &rx_flows) {
        flows[(*n)++] = f;
    }
    qsort(flows, *n, sizeof *flows, compare_flows);
    return flows;
}

static uint64_t
measured(const struct rx_flow *f)
{
    return f->packets - f->negative;
}

static void
put_us(struct ds *ds, uint64_t ns)
{
    ds_put_format(ds, "%"PRIu64".%03"PRIu64"us", ns / 1000, ns % 1000);
}

void
rtvnic_rx_format(struct ds *ds)
{
    struct rx_flow **flows;
    size_t n;

    ovs_mutex_lock(&rx_mutex);
    flows = sorted_flows(&n);
    for (size_t i = 0; i < n; i++) {
        const struct rx_flow *f = flows[i];
        uint64_t m = measured(f);

        ds_put_cstr(ds, "sender ");
        ipv6_format_mapped(&f->sender, ds);
        ds_put_format(ds, " vnic %"PRIu16": deadline ", f->vnic_id);
        rtvnic_format_duration(ds, (uint64_t) f->deadline_us * 1000);
        ds_put_format(ds, "\n  packets %"PRIu64", misses %"PRIu64", lost %"
                      PRIu64", reordered %"PRIu64", negative %"PRIu64
                      ", bad_stamp %"PRIu64"\n", f->packets, f->misses,
                      f->lost, f->reordered, f->negative, f->bad_stamp);
        ds_put_cstr(ds, "  delay p50 ");
        put_us(ds, percentile(f, 5000));
        ds_put_cstr(ds, ", p99 ");
        put_us(ds, percentile(f, 9900));
        ds_put_cstr(ds, ", p999 ");
        put_us(ds, percentile(f, 9990));
        ds_put_cstr(ds, ", max ");
        put_us(ds, f->delay_max_ns);
        ds_put_cstr(ds, ", excess max ");
        put_us(ds, f->excess_max_ns);
        ds_put_cstr(ds, "\n  host mean ");
        put_us(ds, m ? f->host_sum_ns / m : 0);
        ds_put_cstr(ds, ", max ");
        put_us(ds, f->host_max_ns);
        ds_put_cstr(ds, "; network mean ");
        put_us(ds, m ? f->net_sum_ns / m : 0);
        ds_put_cstr(ds, ", max ");
        put_us(ds, f->net_max_ns);
        ds_put_char(ds, '\n');
    }
    if (!n) {
        ds_put_cstr(ds, "no RTvNIC stamps received\n");
    }
    free(flows);
    ovs_mutex_unlock(&rx_mutex);
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
    struct rx_flow **flows;
    size_t n;

    ovs_mutex_lock(&rx_mutex);
    flows = sorted_flows(&n);
    for (size_t i = 0; i < n; i++) {
        const struct rx_flow *f = flows[i];
        struct json *obj = json_object_create();
        struct ds sender = DS_EMPTY_INITIALIZER;
        uint64_t m = measured(f);

        ipv6_format_mapped(&f->sender, &sender);
        json_object_put_string(obj, "sender", ds_cstr(&sender));
        ds_destroy(&sender);
        put_u64(obj, "vnic_id", f->vnic_id);
        put_u64(obj, "deadline_us", f->deadline_us);
        put_u64(obj, "packets", f->packets);
        put_u64(obj, "misses", f->misses);
        put_u64(obj, "lost", f->lost);
        put_u64(obj, "reordered", f->reordered);
        put_u64(obj, "negative", f->negative);
        put_u64(obj, "bad_stamp", f->bad_stamp);
        put_u64(obj, "p50_ns", percentile(f, 5000));
        put_u64(obj, "p99_ns", percentile(f, 9900));
        put_u64(obj, "p999_ns", percentile(f, 9990));
        put_u64(obj, "max_ns", f->delay_max_ns);
        put_u64(obj, "excess_max_ns", f->excess_max_ns);
        put_u64(obj, "host_mean_ns", m ? f->host_sum_ns / m : 0);
        put_u64(obj, "host_max_ns", f->host_max_ns);
        put_u64(obj, "network_mean_ns", m ? f->net_sum_ns / m : 0);
        put_u64(obj, "network_max_ns", f->net_max_ns);
        json_array_add(array, obj);
    }
    free(flows);
    ovs_mutex_unlock(&rx_mutex);

    json_to_ds(array, JSSF_SORT, ds);
    ds_put_char(ds, '\n');
    json_destroy(array);
}
