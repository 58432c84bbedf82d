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

#ifndef RTVNIC_RX_H
#define RTVNIC_RX_H 1

/* Receiver-side delay statistics, per (sender IP, vnic_id).
 *
 * For every trusted RTvNIC wire stamp a receiving switch pops, it records the
 * one-way delay (receive time minus the stamp's arrival time, both wall
 * clock), split into three parts: the host part (the stamp's departure
 * delta: queueing in the sending switch), the receiver's part (how long the
 * packet waited in this switch's receive socket before the datapath read it,
 * from the kernel's receive timestamp where the port has one, else 0) and
 * the network part (the rest).  The receiver's part is neither the sending
 * host's nor the network's, so it is kept out of both: a busy receiving
 * switch must not make the controller raise DSCP.  A miss when the delay
 * exceeds the stamp's deadline, and by how much; a near miss (for the
 * controller's reports only) when it does not, but exceeds the fraction of
 * the deadline the controller configured (rtvnic_report_near_permille():
 * the flow's slack is running out); losses as gaps in the
 * sequence numbers; delays below zero (clock skew) apart; malformed stamps
 * ("bad_stamp"); stamps whose time or sequence number cannot be true
 * ("implausible": they count nothing else); and sender restarts ("epochs").
 * Delays go into a log-linear histogram (16 buckets per octave, from 1 us to
 * RTVNIC_RX_MAX_DELAY_NS) of 32-bit counts, for percentiles.
 *
 * Trust: a stamp is measured only if the receiver is on (some rtvnic QoS on
 * the switch, or rtvnic_rx_set_config()'s 'receiver') and the packet's outer
 * source is the remote of a Geneve tunnel port (with the same UDP port
 * and, if the tunnel has a local_ip, outer destination).  ofproto's tunnel
 * module tells this module about Geneve tunnel ports through
 * rtvnic_rx_tunnel_set() and rtvnic_rx_tunnel_remove(); a flow-based remote
 * (remote_ip=flow) is no trusted remote.  Everything else counts only as
 * "untrusted".
 *
 * Event-driven reporting: a flow's first RTVNIC_RX_URGENT_MISSES misses of
 * an episode (misses, each less than RTVNIC_RX_EPISODE_GAP_MS after the
 * previous one) are urgent: rtvnic_rx_urgent_pending() becomes true and
 * rtvnic_rx_urgent_wait() wakes the main thread, which then takes the
 * reports at once instead of at the end of the report interval (see
 * vswitchd/rtvnic-bridge.c, which rate-limits that to one early round per
 * RTVNIC_REPORT_INTERVAL_MIN_US).  So urgent rounds are bounded by
 * RTVNIC_RX_URGENT_MISSES per flow per episode and by 1000 a second.
 *
 * Bounds: at most 'max_flows' flows; a stamp of a new key while the table is
 * full is refused (counted, not stored).  rtvnic_rx_run(), on the main
 * thread, expires flows idle for 'idle_timeout_ms' and evicts the least
 * recently used ones if 'max_flows' was lowered.
 *
 * Thread safety: datapath threads record without waiting for anything the
 * main thread holds for longer than O(1): flows are found in a cmap; a new
 * flow is inserted under a mutex that others hold only to insert or remove
 * one flow; each flow's counters have their own mutex, which readers hold
 * only to copy one flow's counters.  Flows are freed after an RCU grace
 * period.  Everything else is for the main thread (or, for tests, one
 * thread at a time). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "openvswitch/types.h"

struct ds;
struct flow_tnl;
struct in6_addr;
struct rtvnic_beat_entry;
struct rtvnic_report;
struct rtvnic_stamp;

/* Stamps whose delay is longer than this (or that come from further in the
 * future) are implausible. */
#define RTVNIC_RX_MAX_DELAY_NS (UINT64_C(10) * 1000 * 1000 * 1000)

/* Sequence epochs: a stamp whose sequence number is behind (or more than
 * RTVNIC_RX_SEQ_WINDOW ahead of) the expected one starts a new epoch if its
 * arrival time is more than RTVNIC_RX_EPOCH_MARGIN_NS newer than the newest
 * seen from its key: the sender restarted. */
#define RTVNIC_RX_SEQ_WINDOW (UINT32_C(1) << 20)
#define RTVNIC_RX_EPOCH_MARGIN_NS (UINT64_C(1000) * 1000)

/* Event-driven reporting (see above). */
#define RTVNIC_RX_EPISODE_GAP_MS 1000
#define RTVNIC_RX_URGENT_MISSES 4

#define RTVNIC_RX_MAX_FLOWS_DEFAULT 16384
#define RTVNIC_RX_IDLE_TIMEOUT_DEFAULT 60000    /* ms */

void rtvnic_rx_set_config(bool receiver, size_t max_flows,
                          unsigned int idle_timeout_ms);
bool rtvnic_rx_enabled(void);
size_t rtvnic_rx_flow_size(void);
void rtvnic_rx_run(void);

/* Trusted Geneve tunnels, by an opaque owner (the tunnel's ofport). */
void rtvnic_rx_tunnel_set(const void *owner, const struct in6_addr *remote,
                          const struct in6_addr *local, ovs_be16 dst_port);
void rtvnic_rx_tunnel_remove(const void *owner);
bool rtvnic_rx_is_trusted(const struct flow_tnl *);
void rtvnic_rx_record_untrusted(void);

void rtvnic_rx_record(const struct in6_addr *sender,
                      const struct rtvnic_stamp *, uint64_t now_wall_ns,
                      uint64_t rx_wait_ns, long long int now_ms);
void rtvnic_rx_record_bad(const struct in6_addr *sender, uint16_t vnic_id,
                          long long int now_ms);

size_t rtvnic_rx_take_reports(struct rtvnic_report **, uint32_t interval_us);
bool rtvnic_rx_urgent_pending(void);
void rtvnic_rx_urgent_clear(void);
void rtvnic_rx_urgent_wait(long long int not_before_ms);
size_t rtvnic_rx_take_heartbeat(struct rtvnic_beat_entry **);
bool rtvnic_rx_is_empty(void);

void rtvnic_rx_format(struct ds *);
void rtvnic_rx_format_json(struct ds *);
void rtvnic_rx_clear(void);

#endif /* rtvnic-rx.h */
