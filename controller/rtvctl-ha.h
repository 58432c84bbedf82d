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

#ifndef RTVCTL_HA_H
#define RTVCTL_HA_H 1

/* rtvctl's active/standby mode on a (clustered) OVSDB: "rtvctl --db=".
 *
 * Every rtvctl instance of a group connects to the same database (schema
 * controller/rtvctl.ovsschema, usually a 3-member Raft cluster) and asks for
 * the OVSDB lock "rtvctl", as ovn-northd does.  The one that holds it is the
 * leader; the others are standbys.
 *
 *   - Taking over: the new leader increments Leader.generation in one
 *     transaction, which asserts the lock (the IDL adds the assertion) and
 *     verifies the generation it read, so generations rise strictly and
 *     each belongs to one takeover.  Only once that commits does it load
 *     every Flow row into the core (times are stored as wall-clock
 *     milliseconds) and make the core the leader (rtvctl-core.h): role
 *     request PRIMARY with that generation to every switch, which demotes
 *     any older leader's connection and refuses its later messages with a
 *     stale generation.
 *
 *   - As leader: after each main-loop iteration, the state of every flow
 *     that changed, and the DSCP-to-queue flows of each network switch
 *     (table Switch, for operators: a new leader reads them back from the
 *     switches), are written in a transaction (one in flight at a time,
 *     so they batch under load; at most MAX_FLOWS_PER_TXN flows each, those
 *     that changed first, so that no iteration is held up by a huge one).
 *     The core acts first and the state is
 *     written right after, in the same iteration; a leader that dies in
 *     between leaves the switch ahead of the database, and its successor
 *     adopts what the switch has (the core re-reads its flows and source
 *     lists before acting on a host), so no step is repeated or skipped.
 *     A flow whose report and miss counters alone changed is written with
 *     the next other change or within a second (COUNTER_FLUSH_MS), then as
 *     those two columns only: the counters are for people, a successor
 *     needs the rest.
 *
 *   - Losing the lock (the database connection dropped or the server said
 *     so): the instance becomes a standby at once and acts on nothing.
 *
 *   - As standby: role request SECONDARY with the database's generation; the
 *     switches then send it no RTvNIC messages, and it sends nothing that
 *     changes a switch.
 */

#include <stdbool.h>

struct ds;
struct rtvctl_core;
struct rtvctl_ha;

/* 'remotes': OVSDB remotes, comma-separated (OVS syntax, e.g.
 * "tcp:127.0.0.1:6641,tcp:127.0.0.1:6642").  'core' must outlive it. */
struct rtvctl_ha *rtvctl_ha_create(const char *remotes,
                                   struct rtvctl_core *core);
void rtvctl_ha_destroy(struct rtvctl_ha *);

/* Call once per main-loop iteration, after the core has run. */
void rtvctl_ha_run(struct rtvctl_ha *);
void rtvctl_ha_wait(struct rtvctl_ha *);

bool rtvctl_ha_is_leader(const struct rtvctl_ha *);

/* For testing: while 'hold' is true a leader acts but writes nothing, as
 * one that dies between acting and writing would leave things. */
void rtvctl_ha_hold_writes(struct rtvctl_ha *, bool hold);

/* One line: "ha: leader|standby|taking over, generation N, lock
 * held|contended|not held, database connected|not connected". */
void rtvctl_ha_format_status(const struct rtvctl_ha *, struct ds *);

#endif /* rtvctl-ha.h */
