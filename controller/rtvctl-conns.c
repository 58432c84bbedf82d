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

/* See rtvctl-conns.h for the contract.
 *
 * Bypassing poll_fd_wait() for the switch sockets is confined to this file.
 * The rules that keep it equivalent to a plain poll loop:
 *
 *   - A connection's waits (socket and events, earliest timer) are those
 *     its rconn registers in rconn_run_wait() and rconn_recv_wait(),
 *     captured with a poll_set_hook().  They change only when the rconn
 *     runs or is sent to (rconn_send() may leave messages queued, which
 *     adds POLLOUT), so a connection is "dirty" after either, and
 *     rtvctl_conns_wait() captures the dirty ones again.  A wait that says
 *     "immediately" (e.g. data buffered inside an SSL stream) makes the
 *     connection ready at once.
 *
 *   - The epoll set is level-triggered, as poll() is: a socket with data
 *     left (a pass stopped at RTVCTL_CONNS_BATCH) is reported again.
 *
 *   - A socket is never removed from the epoll set explicitly: closing it
 *     (rconn does that, when it disconnects or is destroyed) removes it.
 *     So a descriptor number that a closed connection registered and
 *     another one reuses can never be removed on the other's behalf.
 *
 *   - epoll's events name the connection (data.ptr); all of a call's events
 *     are turned into "ready" marks before any connection runs, so a
 *     connection destroyed in this pass is never reached through them.
 *
 * Without epoll (not Linux), every connection is run on every pass and
 * waits through poll_fd_wait(), as before. */

#include <config.h>

#include "rtvctl-conns.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/epoll.h>
#endif

#include "heap.h"
#include "openvswitch/list.h"
#include "openvswitch/ofpbuf.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/rconn.h"
#include "openvswitch/vlog.h"
#include "rtvctl-core.h"
#include "timeval.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(rtvctl_conns);

static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);

struct conn {
    struct rtvctl_conns *set;
    struct ovs_list node;       /* In 'set->all'. */
    struct rconn *rconn;
    unsigned int seqno;         /* rconn_get_connection_seqno(). */
    struct rtvctl_sw *sw;

    struct ovs_list ready_node; /* In 'set->ready' if 'ready'. */
    bool ready;
    struct ovs_list dirty_node; /* In 'set->dirty' if 'dirty'. */
    bool dirty;

    /* At or before the earliest rconn timer, in 'set->timers' if not
     * LLONG_MAX. */
    struct heap_node timer_node;
    long long int when;

    /* Socket registered in 'set->epfd' with 'events' (EPOLLIN...), or
     * -1.  Without epoll: the socket and POLLIN, POLLOUT to wait for. */
    int fd;
    uint32_t events;
};

struct rtvctl_conns {
    struct rtvctl_core *core;
    struct ovs_list all;        /* All 'struct conn's. */
    size_t n;
    struct ovs_list ready;      /* Connections to run in the next pass. */
    struct ovs_list dirty;      /* Connections whose waits may change. */
    struct heap timers;         /* Connections with a timer, soonest first. */
    int epfd;                   /* epoll set, -1 without epoll. */
};

/* What a connection's *_wait() functions asked for. */
struct capture {
    struct poll_hook hook;
    int fd;                     /* First socket, or -1. */
    short int events;           /* POLLIN, POLLOUT for 'fd'. */
    bool other_fd;              /* Waited on a second socket. */
    long long int when;         /* Earliest timer, LLONG_MAX if none. */
};

static void
mark_ready(struct conn *conn)
{
    if (!conn->ready) {
        conn->ready = true;
        ovs_list_push_back(&conn->set->ready, &conn->ready_node);
    }
}

static void
mark_dirty(struct conn *conn)
{
    if (!conn->dirty) {
        conn->dirty = true;
        ovs_list_push_back(&conn->set->dirty, &conn->dirty_node);
    }
}

/* Heap priority of a deadline: the soonest is the maximum. */
static uint64_t
timer_priority(long long int when)
{
    return UINT64_MAX - (uint64_t) MAX(when, 0);
}

static void
set_timer(struct conn *conn, long long int when)
{
    struct heap *timers = &conn->set->timers;

    if (when == conn->when) {
        return;
    } else if (conn->when == LLONG_MAX) {
        heap_insert(timers, &conn->timer_node, timer_priority(when));
    } else if (when == LLONG_MAX) {
        heap_remove(timers, &conn->timer_node);
    } else {
        heap_change(timers, &conn->timer_node, timer_priority(when));
    }
    conn->when = when;
}

/* rtvctl_send_func for a connection. */
static void
conn_send(struct ofpbuf *msg, void *conn_)
{
    struct conn *conn = conn_;
    int error = rconn_send(conn->rconn, msg, NULL);

    if (error) {
        VLOG_WARN_RL(&rl, "%s: send failed (%s)", rconn_get_name(conn->rconn),
                     ovs_strerror(error));
        ofpbuf_delete(msg);
    }
    mark_dirty(conn);
}

static void
capture_fd_wait(struct poll_hook *hook, int fd, short int events)
{
    struct capture *c = CONTAINER_OF(hook, struct capture, hook);

    if (c->fd < 0 || c->fd == fd) {
        c->fd = fd;
        c->events |= events;
    } else {
        c->other_fd = true;
    }
}

static void
capture_timer_wait(struct poll_hook *hook, long long int when)
{
    struct capture *c = CONTAINER_OF(hook, struct capture, hook);

    c->when = MIN(c->when, when);
}

#ifdef __linux__
/* Makes 'conn''s registration in the epoll set that of 'fd' with 'events'
 * (POLLIN, POLLOUT). */
static void
update_fd(struct conn *conn, int fd, short int events)
{
    uint32_t ev = ((events & POLLIN ? EPOLLIN : 0)
                   | (events & POLLOUT ? EPOLLOUT : 0));
    struct epoll_event event = { .events = ev, .data.ptr = conn };
    int epfd = conn->set->epfd;

    if (fd != conn->fd) {
        /* The old socket, if any, was closed: that removed it. */
        conn->fd = -1;
    }
    if (fd < 0 || (fd == conn->fd && ev == conn->events)) {
        return;
    }
    if (fd == conn->fd) {
        if (!epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &event)) {
            conn->events = ev;
            return;
        } else if (errno != ENOENT) {
            goto error;
        }
        /* Closed and reopened with the same number: add it again. */
    }
    if (!epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &event)
        || (errno == EEXIST && !epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &event))) {
        conn->fd = fd;
        conn->events = ev;
        return;
    }

error:
    /* Never seen; run it every pass rather than lose it. */
    VLOG_WARN_RL(&rl, "%s: epoll_ctl on fd %d failed (%s)",
                 rconn_get_name(conn->rconn), fd, ovs_strerror(errno));
    conn->fd = -1;
    set_timer(conn, time_msec());
}
#else
/* Without epoll: rtvctl_conns_wait() hands 'fd' to poll_fd_wait(). */
static void
update_fd(struct conn *conn, int fd, short int events)
{
    conn->fd = fd;
    conn->events = events;
}
#endif

/* Learns what 'conn' waits for now and registers it. */
static void
conn_capture(struct conn *conn)
{
    struct capture c = {
        .hook = { capture_fd_wait, capture_timer_wait },
        .fd = -1,
        .when = LLONG_MAX,
    };

    poll_set_hook(&c.hook);
    rconn_run_wait(conn->rconn);
    rconn_recv_wait(conn->rconn);
    poll_set_hook(NULL);

    if (c.other_fd) {
        /* rconn waits on one socket; should that change, run this
         * connection every pass rather than miss its events. */
        VLOG_WARN_RL(&rl, "%s: waits on more than one socket",
                     rconn_get_name(conn->rconn));
        c.when = LLONG_MIN;
    }
    update_fd(conn, c.fd, c.events);
    if (c.when <= time_msec()) {
        set_timer(conn, LLONG_MAX);
        mark_ready(conn);
    } else if (c.when < conn->when) {
        set_timer(conn, c.when);
    }
    /* A later timer (the inactivity probe moves with every message) leaves
     * the connection's place: it then runs early once, harmlessly, and is
     * placed again.  Moving it down a heap of 10,000 connections at every
     * message cost several percent of rtvctl's CPU time. */
}

static void
conn_destroy(struct conn *conn)
{
    struct rtvctl_conns *set = conn->set;

    if (conn->ready) {
        ovs_list_remove(&conn->ready_node);
    }
    if (conn->dirty) {
        ovs_list_remove(&conn->dirty_node);
    }
    set_timer(conn, LLONG_MAX);
    ovs_list_remove(&conn->node);
    set->n--;
    rtvctl_sw_destroy(conn->sw);
    rconn_destroy(conn->rconn);     /* Closes the socket: out of epfd. */
    free(conn);
}

/* Runs 'conn': its rconn, then at most RTVCTL_CONNS_BATCH messages.
 * Returns true if it may have more. */
static bool
conn_run(struct conn *conn)
{
    rconn_run(conn->rconn);
    if (conn->seqno != rconn_get_connection_seqno(conn->rconn)) {
        conn->seqno = rconn_get_connection_seqno(conn->rconn);
        if (rconn_is_connected(conn->rconn)) {
            rtvctl_sw_connected(conn->sw, rconn_get_version(conn->rconn));
        } else {
            rtvctl_sw_disconnected(conn->sw);
        }
    }
    for (int i = 0; i < RTVCTL_CONNS_BATCH; i++) {
        struct ofpbuf *b;

        if (!rconn_is_connected(conn->rconn)
            || rtvctl_sw_is_refused(conn->sw)) {
            return false;
        }
        b = rconn_recv(conn->rconn);
        if (!b) {
            return false;
        }
        rtvctl_sw_receive(conn->sw, b);
        ofpbuf_delete(b);
    }
    return true;
}

struct rtvctl_conns *
rtvctl_conns_create(struct rtvctl_core *core)
{
    struct rtvctl_conns *set = xzalloc(sizeof *set);

    set->core = core;
    ovs_list_init(&set->all);
    ovs_list_init(&set->ready);
    ovs_list_init(&set->dirty);
    heap_init(&set->timers);
    set->epfd = -1;
#ifdef __linux__
    set->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (set->epfd < 0) {
        ovs_fatal(errno, "epoll_create1 failed");
    }
#endif
    return set;
}

void
rtvctl_conns_destroy(struct rtvctl_conns *set)
{
    if (set) {
        struct conn *conn;

        LIST_FOR_EACH_SAFE (conn, node, &set->all) {
            conn_destroy(conn);
        }
        heap_destroy(&set->timers);
        if (set->epfd >= 0) {
            close(set->epfd);
        }
        free(set);
    }
}

void
rtvctl_conns_add(struct rtvctl_conns *set, struct rconn *rconn)
{
    struct conn *conn = xzalloc(sizeof *conn);

    conn->set = set;
    conn->rconn = rconn;
    conn->sw = rtvctl_sw_create(set->core, rconn_get_name(rconn), conn_send,
                                conn);
    conn->when = LLONG_MAX;
    conn->fd = -1;
    ovs_list_push_back(&set->all, &conn->node);
    set->n++;
    mark_ready(conn);
}

size_t
rtvctl_conns_count(const struct rtvctl_conns *set)
{
    return set->n;
}

/* Marks ready the connections whose socket or timer says so. */
static void
collect_ready(struct rtvctl_conns *set)
{
    long long int now = time_msec();

#ifdef __linux__
    struct epoll_event events[256];
    int n;

    /* A few calls at most: a socket not reported now is next time. */
    for (int i = 0; i < 8; i++) {
        n = epoll_wait(set->epfd, events, ARRAY_SIZE(events), 0);
        if (n < 0 && errno != EINTR) {
            VLOG_WARN_RL(&rl, "epoll_wait failed (%s)", ovs_strerror(errno));
        }
        for (int j = 0; j < n; j++) {
            mark_ready(events[j].data.ptr);
        }
        if (n < (int) ARRAY_SIZE(events)) {
            break;
        }
    }
#else
    struct conn *conn;

    /* poll() told nothing per socket: run them all. */
    LIST_FOR_EACH (conn, node, &set->all) {
        mark_ready(conn);
    }
#endif

    while (!heap_is_empty(&set->timers)) {
        struct conn *conn = CONTAINER_OF(heap_max(&set->timers), struct conn,
                                         timer_node);
        if (conn->when > now) {
            break;
        }
        set_timer(conn, LLONG_MAX);
        mark_ready(conn);
    }
}

void
rtvctl_conns_run(struct rtvctl_conns *set)
{
    struct ovs_list pass;

    collect_ready(set);

    /* Run the connections ready now once each; those that become ready
     * meanwhile (a batch left over) wait for the next pass. */
    ovs_list_move(&pass, &set->ready);
    ovs_list_init(&set->ready);
    while (!ovs_list_is_empty(&pass)) {
        struct conn *conn = CONTAINER_OF(ovs_list_pop_front(&pass),
                                         struct conn, ready_node);
        bool more;

        conn->ready = false;
        more = conn_run(conn);
        if (!rconn_is_alive(conn->rconn) || rtvctl_sw_is_refused(conn->sw)) {
            VLOG_INFO("%s: connection closed", rconn_get_name(conn->rconn));
            conn_destroy(conn);
            continue;
        }
        mark_dirty(conn);
        if (more) {
            mark_ready(conn);
        }
    }
}

void
rtvctl_conns_wait(struct rtvctl_conns *set)
{
    while (!ovs_list_is_empty(&set->dirty)) {
        struct conn *conn = CONTAINER_OF(ovs_list_pop_front(&set->dirty),
                                         struct conn, dirty_node);

        conn->dirty = false;
        conn_capture(conn);
    }
#ifndef __linux__
    struct conn *conn;

    LIST_FOR_EACH (conn, node, &set->all) {
        if (conn->fd >= 0) {
            poll_fd_wait(conn->fd, conn->events);
        }
    }
#endif

    if (!ovs_list_is_empty(&set->ready)) {
        poll_immediate_wake();
    } else if (!heap_is_empty(&set->timers)) {
        struct conn *conn = CONTAINER_OF(heap_max(&set->timers), struct conn,
                                         timer_node);
        poll_timer_wait_until(conn->when);
    }
    if (set->epfd >= 0) {
        poll_fd_wait(set->epfd, POLLIN);
    }
}
