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


/* What the userspace datapath (lib/dpif-netdev.c) calls on every packet or
 * poll loop iteration.
 *
 * rtvnic_rx_stamp(), rtvnic_rx_reset() and rtvnic_egress() run in any
 * datapath thread (PMD or main) and never take 'rtvnic_mutex': they read the
 * netdev's port, its rx_info and its scheduler under RCU only, and are valid
 * until the thread next quiesces.  rtvnic_wait() runs in the main thread's
 * poll loop: it arms a timer (a timerfd for less than a millisecond) for the
 * earliest release of the egresses that the main thread releases. */

#include <config.h>

#include "rtvnic.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/timerfd.h>
#endif

#include "coverage.h"
#include "dp-packet.h"
#include "netdev-provider.h"
#include "openvswitch/hmap.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/vlog.h"
#include "ovs-rcu.h"
#include "ovs-thread.h"
#include "rtvnic-private.h"
#include "rtvnic-sched.h"
#include "rtvnic-stamp.h"
#include "timeval.h"
#include "util.h"

#define this_module RTVNIC_THIS_MODULE

COVERAGE_DEFINE(rtvnic_rx_kernel_time);
COVERAGE_DEFINE(rtvnic_rx_kernel_time_implausible);

/* A kernel receive timestamp further from the present than this (the
 * wall clock was stepped) is not believed. */
#define KERNEL_RX_MAX_AGE_NS (UINT64_C(10) * 1000 * 1000 * 1000)

/* How long ago, by the wall clock, the kernel received a packet at
 * wall-clock 'kernel_rx_ns' that the datapath received at 'now_ns' (OVS
 * monotonic); 0 if the timestamp is not believable.  '*wall_now_ns' caches
 * the wall clock for one batch (0: not read yet). */
static uint64_t
kernel_rx_age(uint64_t kernel_rx_ns, uint64_t now_ns, uint64_t *wall_now_ns)
{
    if (!*wall_now_ns) {
        struct timespec ts;

        xclock_gettime(CLOCK_REALTIME, &ts);
        *wall_now_ns = (uint64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
    }
    if (kernel_rx_ns >= *wall_now_ns) {
        return 0;
    }

    uint64_t age = *wall_now_ns - kernel_rx_ns;
    if (age > KERNEL_RX_MAX_AGE_NS || age > now_ns) {
        COVERAGE_INC(rtvnic_rx_kernel_time_implausible);
        return 0;
    }
    return age;
}

/* Stamps every packet of 'batch', just received on 'netdev' at 'now_usec',
 * with its arrival time (and how long before it the kernel received it, if
 * the netdev got its timestamp: rtvnic-kernel-rx.h) and, if 'netdev' is an
 * RTvNIC source, the source's id and effective deadline. */
void
rtvnic_rx_stamp(const struct netdev *netdev, struct dp_packet_batch *batch,
                long long int now_usec)
{
    struct rtvnic_port *port = ovsrcu_get(struct rtvnic_port *,
                                          &netdev->rtvnic);
    const struct rtvnic_rx_info *info = NULL;
    uint64_t now_ns = (uint64_t) now_usec * 1000;
    uint64_t wall_now_ns = 0;
    size_t n_kernel_time = 0;
    struct dp_packet *packet;

    if (port) {
        info = ovsrcu_get(struct rtvnic_rx_info *, &port->rx_info);
    }
    DP_PACKET_BATCH_FOR_EACH (i, packet, batch) {
        struct rtvnic_packet_meta *meta = &packet->rtvnic;
        uint64_t ingress_wait_ns = 0;
        uint8_t dscp;

        /* A DPDK mbuf keeps what a clone once copied into it. */
        if (meta->kernel_rx_ns && packet->source != DPBUF_DPDK) {
            ingress_wait_ns = kernel_rx_age(meta->kernel_rx_ns, now_ns,
                                            &wall_now_ns);
            n_kernel_time++;
        }
        rtvnic_packet_meta_init(meta);
        meta->arrival_ns = now_ns;
        meta->ingress_wait_ns = ingress_wait_ns;
        if (info) {
            meta->source_id = info->source_id;
            meta->rel_deadline_ns = info->rel_deadline_ns;
            meta->contract_deadline_us = info->contract_deadline_us;
            if (rtvnic_packet_get_dscp(packet, &dscp)) {
                meta->orig_dscp = (dscp << 2) | RTVNIC_ORIG_DSCP_VALID;
            }
        }
    }
    if (n_kernel_time) {
        COVERAGE_ADD(rtvnic_rx_kernel_time, n_kernel_time);
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
        packet->rtvnic.kernel_rx_ns = 0;
        packet->rtvnic.ingress_wait_ns = 0;
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
