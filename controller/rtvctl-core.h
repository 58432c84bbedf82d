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
 *     rtvctl resynchronises without flow_mods.
 *   - NXT_RTVNIC miss reports, heartbeats and source lists (a list split in
 *     parts is acted on only whole): decides per flow (rtvctl-logic.h) and
 *     acts: NXT_RTVNIC set_deadline to the sending host, DSCP flow_mods on
 *     the sending host, DSCP-to-queue flow_mods on the network switches.
 *   - ECHO_REQUEST gets its reply; errors from switches are logged.
 *
 * Any byte sequence may be fed to rtvctl_sw_receive(): malformed messages
 * are counted ("bad messages") and logged (rate-limited), never trusted.
 * Not thread-safe: one thread drives a core and all its switches. */

#include <stdbool.h>
#include <stdint.h>
#include "openvswitch/ofp-protocol.h"

struct ds;
struct ofpbuf;
struct rtvctl_policy;

#define RTVCTL_RELAX_TICK_MS 50

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

/* Handles one OpenFlow message that the switch sent. */
void rtvctl_sw_receive(struct rtvctl_sw *, const struct ofpbuf *);

/* Output for rtvctl/show, /metrics (Prometheus text) and /status (JSON). */
void rtvctl_core_format_show(const struct rtvctl_core *, struct ds *);
void rtvctl_core_format_metrics(const struct rtvctl_core *, struct ds *);
void rtvctl_core_format_status(const struct rtvctl_core *, struct ds *);

#endif /* rtvctl-core.h */
