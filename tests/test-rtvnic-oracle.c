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

/* ovstest test-rtvnic-oracle TRACE [RATE_BPS]: the offline EDF oracle.
 *
 * Replays the arrivals recorded in TRACE (written by "ovs-appctl
 * rtvnic/trace-stop", format in lib/rtvnic-trace.h) through an ideal
 * scheduler and compares its deadline misses with the ones the RTvNIC
 * egress had on the same packets.
 *
 * The ideal scheduler is non-preemptive earliest-deadline-first on a link
 * of RATE_BPS (default: the egress's max-rate from the trace's header),
 * work-conserving, with no wake-up latency and no queue limit: at each
 * instant the link is free it starts the queued packet with the earliest
 * absolute deadline, which then occupies the link for SIZE * 8 / RATE.  A
 * packet is late when it starts after its deadline, as in lib/rtvnic-sched.c.
 * It replays exactly the packets that the egress accepted: those it dropped
 * because the queue was full are left out (that is overload policy, not
 * scheduling), those it dropped late are replayed.
 *
 * The heap is OVS's lib/heap.c, not rtvnic-edf, so that the oracle does not
 * share code with what it judges.
 *
 * Output, one line per source (best effort last), then the RT total:
 *
 *   source 1: packets 10000, rtvnic late 0, oracle late 0
 *   best effort: packets 90000, rtvnic late 3, oracle late 1
 *   rt: packets 25010, rtvnic late 0, oracle late 0, excess 0 (0.000%)
 *
 * where "excess" is rtvnic's RT misses minus the oracle's, and the
 * percentage is relative to the RT packets. */

#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heap.h"
#include "openvswitch/util.h"
#include "ovstest.h"
#include "util.h"

#define NS_PER_S UINT64_C(1000000000)

struct oracle_packet {
    struct heap_node heap_node;
    uint64_t arrival_ns;
    uint64_t deadline_ns;
    uint32_t size;
    uint16_t source_id;
    bool rtvnic_late;
    size_t index;               /* In the trace: keeps the sort stable. */
};

struct oracle_source {
    uint64_t packets;
    uint64_t rtvnic_late;
    uint64_t oracle_late;
};

static int
compare_arrival(const void *a_, const void *b_)
{
    const struct oracle_packet *a = a_;
    const struct oracle_packet *b = b_;

    return (a->arrival_ns != b->arrival_ns
            ? (a->arrival_ns < b->arrival_ns ? -1 : 1)
            : (a->index < b->index ? -1 : a->index > b->index));
}

/* Reads the trace in 'file_name' into '*packetsp' (the accepted packets, in
 * arrival order) and returns their number; stores the egress rate from the
 * header in '*rate_bps' (0 if absent) and the number of packets dropped at
 * the queue in '*n_dropped'.  Exits with a message naming the line on
 * malformed input. */
static size_t
read_trace(const char *file_name, struct oracle_packet **packetsp,
           uint64_t *rate_bps, uint64_t *n_dropped)
{
    struct oracle_packet *packets = NULL;
    size_t n = 0, allocated = 0;
    char line[256];
    int line_number = 0;
    FILE *stream;

    stream = fopen(file_name, "r");
    if (!stream) {
        ovs_fatal(errno, "%s: open failed", file_name);
    }
    *rate_bps = 0;
    *n_dropped = 0;
    while (fgets(line, sizeof line, stream)) {
        uint64_t arrival, deadline, leave;
        uint32_t size;
        uint16_t source;
        char class, fate[16];
        int consumed = 0;

        line_number++;
        if (line[0] == '#') {
            sscanf(line, "# max-rate %"SCNu64, rate_bps);
            continue;
        }
        if (sscanf(line, "%"SCNu64" %"SCNu64" %"SCNu64" %"SCNu32" %"SCNu16
                   " %c %15s%n", &arrival, &deadline, &leave, &size, &source,
                   &class, fate, &consumed) != 7
            || line[consumed] != '\n'
            || (class != 'c' && class != 'x')
            || (strcmp(fate, "sent") && strcmp(fate, "late")
                && strcmp(fate, "drop") && strcmp(fate, "late-drop"))) {
            ovs_fatal(0, "%s:%d: malformed trace record", file_name,
                      line_number);
        }
        if (!strcmp(fate, "drop")) {
            (*n_dropped)++;
            continue;
        }
        if (n >= allocated) {
            packets = x2nrealloc(packets, &allocated, sizeof *packets);
        }
        packets[n] = (struct oracle_packet) {
            .arrival_ns = arrival,
            .deadline_ns = deadline,
            .size = size,
            .source_id = source,
            .rtvnic_late = !strncmp(fate, "late", 4),
            .index = n,
        };
        n++;
    }
    if (ferror(stream)) {
        ovs_fatal(errno, "%s: read failed", file_name);
    }
    fclose(stream);

    qsort(packets, n, sizeof *packets, compare_arrival);
    *packetsp = packets;
    return n;
}

/* Runs the ideal scheduler over 'packets' at 'rate_bps' and counts, per
 * source, its misses and the egress's into 'sources' (UINT16_MAX + 1
 * entries). */
static void
replay(struct oracle_packet *packets, size_t n, uint64_t rate_bps,
       struct oracle_source *sources)
{
    uint64_t now = 0, rem = 0;
    struct heap queue;
    size_t next = 0;

    heap_init(&queue);
    while (next < n || !heap_is_empty(&queue)) {
        if (heap_is_empty(&queue) && now < packets[next].arrival_ns) {
            now = packets[next].arrival_ns;     /* The link was idle. */
            rem = 0;
        }
        for (; next < n && packets[next].arrival_ns <= now; next++) {
            heap_insert(&queue, &packets[next].heap_node,
                        UINT64_MAX - packets[next].deadline_ns);
        }

        struct oracle_packet *p = CONTAINER_OF(heap_max(&queue),
                                               struct oracle_packet,
                                               heap_node);
        heap_remove(&queue, &p->heap_node);

        struct oracle_source *src = &sources[p->source_id];
        uint64_t bits = (uint64_t) p->size * 8;

        src->packets++;
        src->rtvnic_late += p->rtvnic_late;
        src->oracle_late += now > p->deadline_ns;

        now += bits * NS_PER_S / rate_bps;
        rem += bits * NS_PER_S % rate_bps;
        if (rem >= rate_bps) {
            rem -= rate_bps;
            now++;
        }
    }
    heap_destroy(&queue);
}

static void
print_source(const char *name, const struct oracle_source *src)
{
    printf("%s: packets %"PRIu64", rtvnic late %"PRIu64", oracle late %"
           PRIu64"\n", name, src->packets, src->rtvnic_late,
           src->oracle_late);
}

static void
test_rtvnic_oracle_main(int argc, char *argv[])
{
    struct oracle_source *sources;
    struct oracle_source rt = { 0, 0, 0 };
    struct oracle_packet *packets;
    uint64_t rate_bps, n_dropped;
    size_t n;

    set_program_name(argv[0]);
    if (argc < 2 || argc > 3) {
        ovs_fatal(0, "usage: %s TRACE [RATE_BPS]", argv[0]);
    }
    n = read_trace(argv[1], &packets, &rate_bps, &n_dropped);
    if (argc > 2) {
        unsigned long long int rate;

        if (!str_to_ullong(argv[2], 10, &rate) || !rate) {
            ovs_fatal(0, "%s: invalid rate (bit/s, more than 0)", argv[2]);
        }
        rate_bps = rate;
    }
    if (!rate_bps) {
        ovs_fatal(0, "%s: no max-rate in the header; give RATE_BPS",
                  argv[1]);
    }

    sources = xcalloc(UINT16_MAX + 1, sizeof *sources);
    replay(packets, n, rate_bps, sources);

    printf("trace: %"PRIuSIZE" packets replayed at %"PRIu64" bit/s, %"PRIu64
           " dropped at the queue (not replayed)\n", n, rate_bps, n_dropped);
    for (size_t id = 1; id <= UINT16_MAX; id++) {
        const struct oracle_source *src = &sources[id];

        if (src->packets) {
            char *name = xasprintf("source %"PRIuSIZE, id);

            print_source(name, src);
            free(name);
            rt.packets += src->packets;
            rt.rtvnic_late += src->rtvnic_late;
            rt.oracle_late += src->oracle_late;
        }
    }
    if (sources[0].packets) {
        print_source("best effort", &sources[0]);
    }

    int64_t excess = (int64_t) rt.rtvnic_late - (int64_t) rt.oracle_late;
    printf("rt: packets %"PRIu64", rtvnic late %"PRIu64", oracle late %"
           PRIu64", excess %"PRId64" (%.3f%%)\n", rt.packets, rt.rtvnic_late,
           rt.oracle_late, excess,
           rt.packets ? 100.0 * excess / rt.packets : 0.0);

    free(sources);
    free(packets);
}

OVSTEST_REGISTER("test-rtvnic-oracle", test_rtvnic_oracle_main);
