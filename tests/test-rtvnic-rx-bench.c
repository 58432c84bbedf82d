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

/* ovstest test-rtvnic-rx-bench [N_FLOWS [N_PACKETS [ROUNDS]]]
 *
 * What a datapath thread pays per stamped packet it records
 * (rtvnic_rx_record()) with N_FLOWS receive flows (default 10000), alone
 * ("idle") and while another thread formats "rtvnic/flows"
 * (rtvnic_rx_format()) in a loop ("polled"), as "rtvnic/flows" polled from
 * the main thread would.  Each round records N_PACKETS (default 2000000)
 * stamps round robin over the flows, once idle and once polled; prints per
 * round the mean ns per packet, in wall-clock time and in the recording
 * thread's CPU time (which leaves out the time the thread was not running:
 * on a machine without two free cores the formatting thread takes CPU from
 * the recording one), and the longest time one batch of 32 packets took
 * (a wait for a lock shows there), then the medians and their ratios
 * polled/idle:
 *
 *   result: idle_ns X polled_ns Y ratio Z idle_cpu_ns X' polled_cpu_ns Y'
 *   cpu_ratio Z' idle_max_batch_us A polled_max_batch_us B formats C
 */

#include <config.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "openvswitch/dynamic-string.h"
#include "openvswitch/util.h"
#include "ovs-atomic.h"
#include "ovs-thread.h"
#include "ovstest.h"
#include "packets.h"
#include "rtvnic-rx.h"
#include "rtvnic-stamp.h"
#include "util.h"

#define BATCH 32

static atomic_bool stop_formatting;
static atomic_uint64_t n_formats;

static uint64_t
clock_ns(clockid_t clock)
{
    struct timespec ts;

    clock_gettime(clock, &ts);
    return (uint64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static uint64_t
now_ns(void)
{
    return clock_ns(CLOCK_MONOTONIC);
}

static void *
format_loop(void *aux OVS_UNUSED)
{
    struct ds ds = DS_EMPTY_INITIALIZER;
    bool stop = false;

    while (!stop) {
        uint64_t orig;

        ds_clear(&ds);
        rtvnic_rx_format(&ds);
        atomic_add_relaxed(&n_formats, 1, &orig);
        atomic_read_relaxed(&stop_formatting, &stop);
    }
    ds_destroy(&ds);
    return NULL;
}

struct sample {
    double ns_per_packet;       /* Wall clock. */
    double cpu_ns_per_packet;   /* The recording thread's CPU time. */
    double max_batch_us;
};

static struct in6_addr *senders;
static uint32_t *seqs;

static struct sample
record_run(size_t n_flows, size_t n_packets)
{
    const uint64_t wall = UINT64_C(1700000000000000000);
    uint64_t max_batch = 0;
    uint64_t start = now_ns();
    uint64_t cpu_start = clock_ns(CLOCK_THREAD_CPUTIME_ID);
    size_t flow = 0;

    for (size_t done = 0; done < n_packets; done += BATCH) {
        uint64_t t0 = now_ns();

        for (int i = 0; i < BATCH; i++) {
            struct rtvnic_stamp stamp = {
                .arrival_ns = wall - 1000000 + (flow & 0xff) * 1000,
                .depart_delta_ns = 200000,
                .deadline_us = 2000,
                .vnic_id = flow % 50000 + 1,
                .version = RTVNIC_STAMP_VERSION,
                .seq = seqs[flow]++,
            };
            rtvnic_rx_record(&senders[flow], &stamp, wall, 0, 0);
            if (++flow >= n_flows) {
                flow = 0;
            }
        }
        max_batch = MAX(max_batch, now_ns() - t0);
    }
    return (struct sample) {
        .ns_per_packet = (double) (now_ns() - start) / n_packets,
        .cpu_ns_per_packet = ((double) (clock_ns(CLOCK_THREAD_CPUTIME_ID)
                                        - cpu_start) / n_packets),
        .max_batch_us = max_batch / 1000.0,
    };
}

static int
compare_doubles(const void *a_, const void *b_)
{
    const double *a = a_, *b = b_;

    return *a < *b ? -1 : *a > *b;
}

static double
median(double *x, size_t n)
{
    qsort(x, n, sizeof *x, compare_doubles);
    return n % 2 ? x[n / 2] : (x[n / 2 - 1] + x[n / 2]) / 2;
}

static void
test_rtvnic_rx_bench_main(int argc, char *argv[])
{
    size_t n_flows = argc > 1 ? strtoul(argv[1], NULL, 10) : 10000;
    size_t n_packets = argc > 2 ? strtoul(argv[2], NULL, 10) : 2000000;
    size_t rounds = argc > 3 ? strtoul(argv[3], NULL, 10) : 5;

    if (!n_flows || !n_packets || !rounds) {
        ovs_fatal(0, "usage: %s [N_FLOWS [N_PACKETS [ROUNDS]]]", argv[0]);
    }
    rtvnic_rx_set_config(true, n_flows, RTVNIC_RX_IDLE_TIMEOUT_DEFAULT);

    /* Two flows per sender at most 50000 vNICs apart, as from hosts with
     * many vNICs each. */
    senders = xmalloc(n_flows * sizeof *senders);
    seqs = xzalloc(n_flows * sizeof *seqs);
    for (size_t i = 0; i < n_flows; i++) {
        in6_addr_set_mapped_ipv4(&senders[i],
                                 htonl(0x0a000000 | (i / 50000 + 1)));
    }
    record_run(n_flows, n_flows);       /* Creates the flows. */

    double *idle = xmalloc(rounds * sizeof *idle);
    double *polled = xmalloc(rounds * sizeof *polled);
    double *idle_cpu = xmalloc(rounds * sizeof *idle_cpu);
    double *polled_cpu = xmalloc(rounds * sizeof *polled_cpu);
    double idle_max = 0, polled_max = 0;
    uint64_t formats;

    printf("rtvnic-rx bench: %"PRIuSIZE" flows (%"PRIuSIZE" bytes each), "
           "%"PRIuSIZE" packets per run\n", n_flows, rtvnic_rx_flow_size(),
           n_packets);
    printf("%5s %12s %13s %12s %13s %10s %12s\n", "round", "idle ns/pkt",
           "polled ns/pkt", "idle cpu ns", "polled cpu ns", "idle max",
           "polled max");
    atomic_init(&n_formats, 0);
    for (size_t r = 0; r < rounds; r++) {
        struct sample a = record_run(n_flows, n_packets);

        atomic_store_relaxed(&stop_formatting, false);
        pthread_t thread = ovs_thread_create("rx-format", format_loop, NULL);
        struct sample b = record_run(n_flows, n_packets);
        atomic_store_relaxed(&stop_formatting, true);
        xpthread_join(thread, NULL);

        idle[r] = a.ns_per_packet;
        polled[r] = b.ns_per_packet;
        idle_cpu[r] = a.cpu_ns_per_packet;
        polled_cpu[r] = b.cpu_ns_per_packet;
        idle_max = MAX(idle_max, a.max_batch_us);
        polled_max = MAX(polled_max, b.max_batch_us);
        printf("%5"PRIuSIZE" %12.1f %13.1f %12.1f %13.1f %8.0fus %10.0fus\n",
               r + 1, a.ns_per_packet, b.ns_per_packet, a.cpu_ns_per_packet,
               b.cpu_ns_per_packet, a.max_batch_us, b.max_batch_us);
    }
    atomic_read_relaxed(&n_formats, &formats);

    double mi = median(idle, rounds);
    double mp = median(polled, rounds);
    double mic = median(idle_cpu, rounds);
    double mpc = median(polled_cpu, rounds);
    printf("result: idle_ns %.1f polled_ns %.1f ratio %.3f "
           "idle_cpu_ns %.1f polled_cpu_ns %.1f cpu_ratio %.3f "
           "idle_max_batch_us %.1f polled_max_batch_us %.1f formats %"
           PRIu64"\n", mi, mp, mp / mi, mic, mpc, mpc / mic, idle_max,
           polled_max, formats);
    free(idle);
    free(polled);
    free(idle_cpu);
    free(polled_cpu);
    free(senders);
    free(seqs);
}

OVSTEST_REGISTER("test-rtvnic-rx-bench", test_rtvnic_rx_bench_main);
