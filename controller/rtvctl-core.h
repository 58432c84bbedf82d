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

#ifndef RTVCTL_CORE_H
#define RTVCTL_CORE_H 1

/* rtvctl's core: what the controller does with its switches' OpenFlow
 * messages, without sockets.
 *
 * A 'struct rtvctl_core' holds the controller's state: its switches (one
 * 'struct rtvctl_sw' per OpenFlow connection), its RTvNIC flows (one per
 * sending host's vNIC, with the rtvctl-logic.h state) and its counters.  The
 * caller owns the transport: it creates a switch with a function that sends
 * that switch's outgoing messages (to an rconn in rtvctl, to a queue in a
 * test or a fuzz target), tells the core when the connection comes up or
 * goes down, feeds it every message the switch sends, and calls
 * rtvctl_core_run() for the timers (relaxing, once per RTVCTL_RELAX_TICK_MS
 * of time_msec()).
 *
 * What the core does:
 *
 *   - On connection: FEATURES_REQUEST and the RTvNIC CONFIG (report
 *     interval); on FEATURES_REPLY: a flow stats request for rtvctl's own
 *     flows (by cookie), from which it rebuilds DSCP levels (hosts) or the
 *     DSCP-to-queue flows in place (network switches), so a restarted
 *     rtvctl resynchronises without flow_mods; a flow it believed escalated
 *     that has no flow there (the host restarted) is back at level 0.  Only
 *     the reply whose xid is that of the latest request counts.
 *   - NXT_RTVNIC miss reports, heartbeats and source lists (a list split in
 *     parts is acted on only whole): decides per flow (rtvctl-logic.h) and
 *     acts: NXT_RTVNIC set_deadline to the sending host, DSCP flow_mods on
 *     the sending host (set_field:...->tun_tos: the outer DSCP of a tunnel
 *     with options:tos=flow, never the inner header), DSCP-to-queue
 *     flow_mods on the network switches (set_queue, then goto_table to the
 *     policy's network_next_table, never NORMAL).
 *   - A class no flow is escalated to loses its queue flow on every network
 *     switch (checked each relax tick after a flow changed level, and at a
 *     network switch's sync), once the levels of every policy host's flows
 *     are known: each host connected and synced, or disconnected_grace_ms
 *     since the core started or became leader.
 *   - A host gets a base flow (every IP packet marked with the ladder's
 *     bottom DSCP) if that is not 0; one left by an earlier policy whose
 *     base differs is replaced or removed at the host's sync.
 *   - A heartbeat updates the flows it names but creates only those of a
 *     policy's host whose connected switch lists that vNIC as a source, so
 *     the flow table is bounded by the real sources, whatever a receiver
 *     reports (others are counted: rtvctl_heartbeat_unknown_flow).
 *   - Flows whose sending host has not been connected for the policy's
 *     disconnected_grace_ms (checked about every RTVCTL_GC_TICK_MS, a slice
 *     of the hosts at a time) are freed.
 *   - ECHO_REQUEST gets its reply; errors from switches are logged.
 *   - A datapath ID is held by one connection: a second one that claims a
 *     connected switch's ID is refused (logged at WARN).
 *
 * Any byte sequence may be fed to rtvctl_sw_receive(): malformed messages
 * are counted ("bad messages") and logged (rate-limited), never trusted.
 * Not thread-safe: one thread drives a core and all its switches. */

#include <stdbool.h>
#include <stdint.h>
#include "openvswitch/ofp-protocol.h"

struct ds;
struct in6_addr;
struct ofpbuf;
struct rtvctl_flow_state;
struct rtvctl_policy;

#define RTVCTL_RELAX_TICK_MS 50
#define RTVCTL_GC_TICK_MS 1000
#define RTVCTL_GC_SLICES 20         /* Calls of the flow GC per tick. */

struct rtvctl_core;
struct rtvctl_sw;

/* Sends 'msg' (an OpenFlow message, owned by the callee from then on) to the
 * switch whose connection was created with 'aux'.  Failures are the
 * callee's to log; the core does not retry. */
typedef void rtvctl_send_func(struct ofpbuf *msg, void *aux);

/* The controller.  'policy' must outlive it. */
struct rtvctl_core *rtvctl_core_create(const struct rtvctl_policy *policy);
void rtvctl_core_destroy(struct rtvctl_core *);

/* Relaxes flows whose quiet period has passed, at most once per tick. */
void rtvctl_core_run(struct rtvctl_core *);
void rtvctl_core_wait(struct rtvctl_core *);

/* A switch connection, disconnected until rtvctl_sw_connected().  'name'
 * (copied) names it in logs and in rtvctl/show. */
struct rtvctl_sw *rtvctl_sw_create(struct rtvctl_core *, const char *name,
                                   rtvctl_send_func *, void *aux);
void rtvctl_sw_destroy(struct rtvctl_sw *);

/* The connection came up (again), speaking 'version': the core forgets
 * what it knew of this switch and asks it again. */
void rtvctl_sw_connected(struct rtvctl_sw *, enum ofp_version version);
/* The connection went down: the core acts on the switch no more. */
void rtvctl_sw_disconnected(struct rtvctl_sw *);
bool rtvctl_sw_is_connected(const struct rtvctl_sw *);
/* The switch claimed a datapath ID that another connected switch holds:
 * the core ignores it from then on; the caller should close it. */
bool rtvctl_sw_is_refused(const struct rtvctl_sw *);

/* Handles one OpenFlow message that the switch sent. */
void rtvctl_sw_receive(struct rtvctl_sw *, const struct ofpbuf *);

/* Roles, for active/standby (rtvctl-ha.h).  A core starts ALONE: it acts
 * and sends no role requests, as rtvctl without --db.
 *
 * STANDBY: sends a switch that connects a role request SECONDARY with the
 * generation, once known (a switch refuses a stale one), and no RTvNIC
 * CONFIG (a switch refuses it from a secondary); reads the switches'
 * flows, but ignores reports, heartbeats and relaxing, and sends nothing
 * that changes a switch.  Switches send RTvNIC messages only to primary and
 * equal controllers, so a standby learns the flows' state from the
 * database (rtvctl_core_restore_flow()) when it takes over.
 *
 * LEADER: sends every switch, now and when it connects, a role request
 * PRIMARY with 'generation' and the RTvNIC CONFIG, and asks again for its
 * flows: levels the switch has that differ from the core's are adopted
 * (the previous leader may have acted and died before writing).  Until a
 * host's flows and a source list from it have arrived since, the core
 * does not act on that host's flows, so it never repeats or skips a step
 * that the previous leader took. */
enum rtvctl_role {
    RTVCTL_ROLE_ALONE,
    RTVCTL_ROLE_STANDBY,
    RTVCTL_ROLE_LEADER,
};
void rtvctl_core_set_role(struct rtvctl_core *, enum rtvctl_role,
                          bool have_generation, uint64_t generation);
enum rtvctl_role rtvctl_core_get_role(const struct rtvctl_core *);
const char *rtvctl_role_name(enum rtvctl_role);

/* The state, for a database.  A flow "changes" when what a new leader needs
 * of its rtvctl_flow_state does; a change of its report and miss counters
 * alone waits for rtvctl_core_flush_counters(), so that reports that change
 * nothing else cost no database write each.  rtvctl_core_restore_flow()
 * does not count as a change. */
typedef void rtvctl_flow_func(const struct in6_addr *sender, uint16_t vnic_id,
                              const struct rtvctl_flow_state *,
                              bool counters_only, void *aux);
/* Whether a flow or a switch changed since popped, and how many did. */
bool rtvctl_core_has_changes(const struct rtvctl_core *);
size_t rtvctl_core_n_changes(const struct rtvctl_core *);
/* Calls 'func' for the flows that changed since popped, at most 'max' of
 * them, those that changed first first; returns how many.  'counters_only'
 * tells 'func' that only the counters changed since the flow was last
 * popped (flushed by rtvctl_core_flush_counters()). */
size_t rtvctl_core_pop_changed_flows(struct rtvctl_core *, rtvctl_flow_func *,
                                     void *aux, size_t max);
void rtvctl_core_mark_all_changed(struct rtvctl_core *);
/* Whether some flow's counters alone changed since popped, and marking at
 * most 'max' of those flows changed, those whose counters changed first
 * first. */
bool rtvctl_core_has_counter_changes(const struct rtvctl_core *);
void rtvctl_core_flush_counters(struct rtvctl_core *, size_t max);
void rtvctl_core_mark_flow_changed(struct rtvctl_core *,
                                   const struct in6_addr *sender,
                                   uint16_t vnic_id);
void rtvctl_core_mark_switch_changed(struct rtvctl_core *,
                                     uint64_t datapath_id);
/* Calls 'func' for every connected network switch whose DSCP-to-queue flows
 * changed since the last call, with the DSCPs that have one (bit N: DSCP
 * N).  Only a switch whose flows the core has read counts. */
typedef void rtvctl_switch_func(uint64_t datapath_id, uint64_t dscps,
                                void *aux);
void rtvctl_core_pop_changed_switches(struct rtvctl_core *,
                                      rtvctl_switch_func *, void *aux);
void rtvctl_core_restore_flow(struct rtvctl_core *,
                              const struct in6_addr *sender, uint16_t vnic_id,
                              const struct rtvctl_flow_state *);

/* Output for rtvctl/show, /metrics (Prometheus text) and /status (JSON). */
void rtvctl_core_format_show(const struct rtvctl_core *, struct ds *);
void rtvctl_core_format_metrics(const struct rtvctl_core *, struct ds *);
void rtvctl_core_format_status(const struct rtvctl_core *, struct ds *);

#endif /* rtvctl-core.h */
