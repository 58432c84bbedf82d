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

#ifndef RTVCTL_CONNS_H
#define RTVCTL_CONNS_H 1

/* rtvctl's switch connections, at a cost per poll-loop iteration that grows
 * with the connections that have work, not with all of them.
 *
 * A 'struct rtvctl_conns' owns a set of rconns, each tied to a switch of
 * the controller's core (rtvctl_sw_create()).  rtvctl_conns_run() runs
 * only the connections that are "ready": their socket became readable or
 * writable, one of their rconn timers (inactivity probe, reconnect backoff,
 * connect timeout) is due (or was, before it moved later: such a run finds
 * nothing to do), they were just added, or they still had messages after
 * the last pass.  Each ready connection handles at most
 * RTVCTL_CONNS_BATCH messages per pass; one with more waits for the next
 * pass, behind the others (round robin).  A connection that closes
 * (passive, not alive any more) or whose switch the core refused is
 * destroyed.
 *
 * rtvctl_conns_wait() makes the next poll_block() wake up when a
 * connection has work.  It does so through one descriptor (an epoll set
 * on Linux) and one timer, the earliest of the connections' deadlines (a
 * heap): the connections' own sockets are not handed to poll_fd_wait().
 * What each connection waits for is learned by calling its rconn's *_wait()
 * functions under a poll_set_hook() (a patch to OVS's poll-loop.c), and
 * only for the connections that ran or were sent to since their last
 * wait, so rconn's own logic decides, as it does in a plain poll loop.
 *
 * The caller must call rtvctl_conns_wait() after every run of anything
 * that may send to a switch (the core's timers, HA) and before
 * poll_block(). */

#include <stddef.h>

struct rconn;
struct rtvctl_core;

/* Messages a connection handles per pass at most. */
#define RTVCTL_CONNS_BATCH 64

struct rtvctl_conns *rtvctl_conns_create(struct rtvctl_core *);
void rtvctl_conns_destroy(struct rtvctl_conns *);

/* Adds 'rconn' (the set owns it from then on) as a new switch. */
void rtvctl_conns_add(struct rtvctl_conns *, struct rconn *);

void rtvctl_conns_run(struct rtvctl_conns *);
void rtvctl_conns_wait(struct rtvctl_conns *);

size_t rtvctl_conns_count(const struct rtvctl_conns *);

#endif /* rtvctl-conns.h */
