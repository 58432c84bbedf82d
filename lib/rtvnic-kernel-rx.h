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

#ifndef RTVNIC_KERNEL_RX_H
#define RTVNIC_KERNEL_RX_H 1

/* The kernel's receive timestamps as RTvNIC arrival times, for netdev-linux's
 * AF_PACKET sockets ("system" ports: veth, physical NICs).
 *
 * A packet's host delay starts when the switch receives it.  Read from a
 * socket, "receives" would mean "reads": time the packet waited in the
 * socket for a busy main thread or a preempted PMD would count as network
 * delay at the far end, and the controller would raise DSCP (stage 2) for
 * what the sending host's own CPU caused; on the receiving switch, the same
 * wait for its own CPU would count as network delay too.  So while RTvNIC
 * is in use or the switch is an RTvNIC receiver (rtvnic_rx_enabled()):
 *
 *   - rtvnic_kernel_rx_sync() turns SO_TIMESTAMPNS on for a receive socket
 *     (and off again when neither holds any more: every timestamping
 *     socket makes the kernel read the clock for each packet it receives);
 *
 *   - rtvnic_kernel_rx_cmsg() takes the SCM_TIMESTAMPNS control message
 *     that then comes with each packet into its
 *     struct rtvnic_packet_meta's 'kernel_rx_ns';
 *
 *   - rtvnic_rx_stamp() (lib/rtvnic-datapath.c) keeps how long ago, by
 *     CLOCK_REALTIME, the kernel received it ('ingress_wait_ns'), which
 *     the wire stamp counts as host delay and from which the egress's EDF
 *     deadline and token bucket count (rtvnic_packet_arrival() in
 *     rtvnic-packet.h), and which a receiving switch takes out of the
 *     network part (rtvnic_geneve_receive()).
 *
 * Where no timestamp comes (tap ports, read with read(2); DPDK ports, whose
 * drivers in use here offer no receive timestamp), the arrival is the time
 * the datapath polled the packet, as before.
 *
 * The functions run in the thread that polls the receive queue. */

#include <stdbool.h>
#include <stddef.h>

struct cmsghdr;
struct dp_packet;

/* Room for the control message rtvnic_kernel_rx_cmsg() takes, for a
 * receive's control buffer: CMSG_SPACE(sizeof(struct timespec)). */
#define RTVNIC_KERNEL_RX_CMSG_SPACE 32

void rtvnic_kernel_rx_sync(int fd, bool *timestamps_on, const char *name);
bool rtvnic_kernel_rx_cmsg(const struct cmsghdr *, struct dp_packet *);

#endif /* rtvnic-kernel-rx.h */
