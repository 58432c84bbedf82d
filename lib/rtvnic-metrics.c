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


/* See rtvnic-metrics.h.  Reads only what the rest of RTvNIC publishes:
 * rtvnic_egress() and the scheduler's statistics for egresses,
 * rtvnic_get_sources() for sources, rtvnic_rx_format_json() for received
 * flows, so that the exposition follows those interfaces and nothing
 * else. */

#include <config.h>

#include "rtvnic-metrics.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "netdev.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/json.h"
#include "openvswitch/shash.h"
#include "rtvnic.h"
#include "rtvnic-rx.h"
#include "rtvnic-sched.h"
#include "util.h"

/* One metric family: its name, type and help, and the samples so far. */
struct family {
    const char *name, *type, *help;
    struct ds samples;
};

static void
family_add(struct family *f, const char *labels, uint64_t value)
{
    ds_put_format(&f->samples, "%s{%s} %"PRIu64"\n", f->name, labels, value);
}

static void
family_add_seconds(struct family *f, const char *labels, uint64_t ns)
{
    ds_put_format(&f->samples, "%s{%s} %.9g\n", f->name, labels, ns / 1e9);
}

/* Prints the families, header included even without samples, so that the
 * set of metrics does not depend on the state. */
static void
families_flush(struct ds *out, struct family *fams, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        ds_put_format(out, "# HELP %s %s\n# TYPE %s %s\n%s",
                      fams[i].name, fams[i].help, fams[i].name, fams[i].type,
                      ds_cstr(&fams[i].samples));
        ds_destroy(&fams[i].samples);
    }
}

static int
compare_netdev_names(const void *a_, const void *b_)
{
    struct netdev *const *a = a_;
    struct netdev *const *b = b_;

    return strcmp(netdev_get_name(*a), netdev_get_name(*b));
}

static int
compare_sources(const void *a_, const void *b_)
{
    const struct rtvnic_source_info *a = a_;
    const struct rtvnic_source_info *b = b_;

    return strcmp(a->name, b->name);
}

enum {
    EG_QUEUED_PACKETS, EG_QUEUED_BYTES, EG_ENQUEUED, EG_SENT_PACKETS,
    EG_SENT_BYTES, EG_DROPPED, EG_LATE, EG_LATE_DROPPED, EG_CLAMPED,
    EG_NO_QUEUE, EG_STAMPED, EG_STAMP_OVER_RATE,
    SRC_CONFORMING, SRC_EXCESS, SRC_SENT_PACKETS, SRC_SENT_BYTES, SRC_LATE,
    SRC_DROPPED,
    SRC_DEADLINE, SRC_EFFECTIVE,
    N_HOST_FAMILIES
};

static void
format_egresses(struct ds *out, struct netdev *const *netdevs_, size_t n)
{
    struct family f[N_HOST_FAMILIES] = {
#define F(IDX, NAME, TYPE, HELP) \
        [IDX] = { "rtvnic_" NAME, TYPE, HELP, DS_EMPTY_INITIALIZER }
        F(EG_QUEUED_PACKETS, "egress_queued_packets", "gauge",
          "Packets waiting in the egress's EDF scheduler."),
        F(EG_QUEUED_BYTES, "egress_queued_bytes", "gauge",
          "Bytes waiting in the egress's EDF scheduler."),
        F(EG_ENQUEUED, "egress_enqueued_packets_total", "counter",
          "Packets offered to the egress's scheduler."),
        F(EG_SENT_PACKETS, "egress_sent_packets_total", "counter",
          "Packets the egress sent."),
        F(EG_SENT_BYTES, "egress_sent_bytes_total", "counter",
          "Bytes the egress sent."),
        F(EG_DROPPED, "egress_dropped_packets_total", "counter",
          "Packets dropped because the egress's queue was full."),
        F(EG_LATE, "egress_late_packets_total", "counter",
          "Packets the egress released after their deadline."),
        F(EG_LATE_DROPPED, "egress_late_dropped_packets_total", "counter",
          "Late packets dropped (late-policy=drop)."),
        F(EG_CLAMPED, "egress_clamped_packets_total", "counter",
          "Packets whose deadline was outside the EDF window."),
        F(EG_NO_QUEUE, "egress_no_queue_packets_total", "counter",
          "Packets that named a queue the egress does not have."),
        F(EG_STAMPED, "egress_stamped_packets_total", "counter",
          "Forwarded best-effort packets scheduled by their RTvNIC stamp's "
          "deadline (stamp-rate)."),
        F(EG_STAMP_OVER_RATE, "egress_stamp_over_rate_packets_total",
          "counter", "Stamped forwarded packets beyond stamp-rate, sent as "
          "best effort."),
        F(SRC_CONFORMING, "source_conforming_packets_total", "counter",
          "Packets of the source within its token bucket at the egress."),
        F(SRC_EXCESS, "source_excess_packets_total", "counter",
          "Packets of the source beyond its token bucket at the egress."),
        F(SRC_SENT_PACKETS, "source_sent_packets_total", "counter",
          "Packets of the source the egress sent."),
        F(SRC_SENT_BYTES, "source_sent_bytes_total", "counter",
          "Bytes of the source the egress sent."),
        F(SRC_LATE, "source_late_packets_total", "counter",
          "Packets of the source released after their deadline."),
        F(SRC_DROPPED, "source_dropped_packets_total", "counter",
          "Packets of the source dropped (queue full or late)."),
        F(SRC_DEADLINE, "source_deadline_seconds", "gauge",
          "The source's contract deadline."),
        F(SRC_EFFECTIVE, "source_effective_deadline_seconds", "gauge",
          "The deadline the source's packets get now (the contract's or "
          "tighter, as the controller set it)."),
#undef F
    };
    struct rtvnic_source_info *sources;
    size_t n_sources = rtvnic_get_sources(&sources);
    struct netdev **netdevs = xmemdup(netdevs_, n * sizeof *netdevs + 1);
    struct ds labels = DS_EMPTY_INITIALIZER;

    qsort(sources, n_sources, sizeof *sources, compare_sources);
    qsort(netdevs, n, sizeof *netdevs, compare_netdev_names);
    for (size_t i = 0; i < n; i++) {
        struct rtvnic_sched *sched = rtvnic_egress(netdevs[i]);
        struct rtvnic_sched_stats s;

        if (!sched || (i && netdevs[i] == netdevs[i - 1])) {
            continue;
        }
        rtvnic_sched_get_stats(sched, &s);
        ds_clear(&labels);
        ds_put_format(&labels, "port=\"%s\"", netdev_get_name(netdevs[i]));
        const uint64_t v[] = {
            [EG_QUEUED_PACKETS] = s.queued_packets,
            [EG_QUEUED_BYTES] = s.queued_bytes,
            [EG_ENQUEUED] = s.enqueued,
            [EG_SENT_PACKETS] = s.sent_packets,
            [EG_SENT_BYTES] = s.sent_bytes,
            [EG_DROPPED] = s.dropped,
            [EG_LATE] = s.late,
            [EG_LATE_DROPPED] = s.late_dropped,
            [EG_CLAMPED] = s.clamped,
            [EG_NO_QUEUE] = s.no_queue,
            [EG_STAMPED] = s.stamped,
            [EG_STAMP_OVER_RATE] = s.stamp_over_rate,
        };
        for (size_t m = 0; m < ARRAY_SIZE(v); m++) {
            family_add(&f[m], ds_cstr(&labels), v[m]);
        }

        for (size_t j = 0; j < n_sources; j++) {
            struct rtvnic_source_stats ss;

            if (!rtvnic_sched_get_source_stats(sched, sources[j].source_id,
                                               &ss)) {
                continue;
            }
            ds_clear(&labels);
            ds_put_format(&labels, "port=\"%s\",source=\"%s\"",
                          netdev_get_name(netdevs[i]), sources[j].name);
            family_add(&f[SRC_CONFORMING], ds_cstr(&labels), ss.conforming);
            family_add(&f[SRC_EXCESS], ds_cstr(&labels), ss.excess);
            family_add(&f[SRC_SENT_PACKETS], ds_cstr(&labels),
                       ss.sent_packets);
            family_add(&f[SRC_SENT_BYTES], ds_cstr(&labels), ss.sent_bytes);
            family_add(&f[SRC_LATE], ds_cstr(&labels), ss.late);
            family_add(&f[SRC_DROPPED], ds_cstr(&labels), ss.dropped);
        }
    }
    for (size_t j = 0; j < n_sources; j++) {
        ds_clear(&labels);
        ds_put_format(&labels, "source=\"%s\"", sources[j].name);
        family_add_seconds(&f[SRC_DEADLINE], ds_cstr(&labels),
                           sources[j].deadline_ns);
        family_add_seconds(&f[SRC_EFFECTIVE], ds_cstr(&labels),
                           sources[j].effective_deadline_ns);
        free(sources[j].name);
    }
    families_flush(out, f, ARRAY_SIZE(f));
    ds_destroy(&labels);
    free(sources);
    free(netdevs);
}

/* Received flows, from rtvnic_rx_format_json(): which JSON member feeds
 * which metric, and whether it is in nanoseconds (printed in seconds). */
static const struct {
    const char *member;
    const char *name, *type, *help;
    bool ns;
} rx_metrics[] = {
    { "packets", "rtvnic_rx_packets_total", "counter",
      "Stamped packets received from the flow.", false },
    { "misses", "rtvnic_rx_misses_total", "counter",
      "Packets of the flow that arrived after their deadline.", false },
    { "lost", "rtvnic_rx_lost_packets_total", "counter",
      "Packets of the flow lost (gaps in sequence numbers).", false },
    { "reordered", "rtvnic_rx_reordered_packets_total", "counter",
      "Packets of the flow that arrived out of order.", false },
    { "negative", "rtvnic_rx_negative_delays_total", "counter",
      "Packets with a delay below zero (clock skew).", false },
    { "bad_stamp", "rtvnic_rx_bad_stamps_total", "counter",
      "Malformed stamps from the flow.", false },
    { "implausible", "rtvnic_rx_implausible_stamps_total", "counter",
      "Stamps whose time or sequence number cannot be true.", false },
    { "epochs", "rtvnic_rx_sender_restarts_total", "counter",
      "Times the sender restarted its sequence numbers.", false },
    { "deadline_us", "rtvnic_rx_deadline_seconds", "gauge",
      "The deadline the flow's last stamp carried.", false },
    { "p50_ns", "rtvnic_rx_delay_p50_seconds", "gauge",
      "Median one-way delay of the flow.", true },
    { "p99_ns", "rtvnic_rx_delay_p99_seconds", "gauge",
      "99th percentile of the flow's one-way delay.", true },
    { "p999_ns", "rtvnic_rx_delay_p999_seconds", "gauge",
      "99.9th percentile of the flow's one-way delay.", true },
    { "max_ns", "rtvnic_rx_delay_max_seconds", "gauge",
      "Largest one-way delay of the flow.", true },
    { "excess_max_ns", "rtvnic_rx_excess_max_seconds", "gauge",
      "Largest delay beyond the deadline.", true },
    { "host_mean_ns", "rtvnic_rx_host_delay_mean_seconds", "gauge",
      "Mean delay in the sending host.", true },
    { "network_mean_ns", "rtvnic_rx_network_delay_mean_seconds", "gauge",
      "Mean delay in the network.", true },
};

static void
format_rx_flows(struct ds *out)
{
    struct family f[ARRAY_SIZE(rx_metrics)];
    struct ds text = DS_EMPTY_INITIALIZER;
    struct ds labels = DS_EMPTY_INITIALIZER;
    struct json *flows;

    for (size_t m = 0; m < ARRAY_SIZE(f); m++) {
        f[m] = (struct family) { rx_metrics[m].name, rx_metrics[m].type,
                                 rx_metrics[m].help, DS_EMPTY_INITIALIZER };
    }
    rtvnic_rx_format_json(&text);
    flows = json_from_string(ds_cstr(&text));
    for (size_t i = 0; flows->type == JSON_ARRAY && i < json_array(flows)->n;
         i++) {
        const struct json *flow = json_array(flows)->elems[i];
        const struct json *sender = shash_find_data(json_object(flow),
                                                    "sender");
        const struct json *vnic = shash_find_data(json_object(flow),
                                                  "vnic_id");

        ds_clear(&labels);
        ds_put_format(&labels, "sender=\"%s\",vnic=\"%"PRId64"\"",
                      json_string(sender), json_integer(vnic));
        for (size_t m = 0; m < ARRAY_SIZE(rx_metrics); m++) {
            const struct json *v = shash_find_data(json_object(flow),
                                                   rx_metrics[m].member);
            uint64_t x = v && v->type == JSON_INTEGER ? json_integer(v) : 0;

            if (rx_metrics[m].ns) {
                family_add_seconds(&f[m], ds_cstr(&labels), x);
            } else if (!strcmp(rx_metrics[m].member, "deadline_us")) {
                family_add_seconds(&f[m], ds_cstr(&labels), x * 1000);
            } else {
                family_add(&f[m], ds_cstr(&labels), x);
            }
        }
    }
    families_flush(out, f, ARRAY_SIZE(f));
    json_destroy(flows);
    ds_destroy(&labels);
    ds_destroy(&text);
}

/* Appends to 'out' the host's metrics: those of each of 'netdevs' that is
 * an RTvNIC egress (others are skipped), of every source, and of every
 * received flow.  Call from the main thread. */
void
rtvnic_metrics_format(struct ds *out, struct netdev *const *netdevs,
                      size_t n_netdevs)
{
    format_egresses(out, netdevs, n_netdevs);
    format_rx_flows(out);
}
