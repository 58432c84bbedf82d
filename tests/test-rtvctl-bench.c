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

/* ovstest program that benchmarks a running rtvctl:
 *
 *   test-rtvctl-bench [OPTIONS] TARGET [N_SWITCHES]
 *
 * simulates N_SWITCHES (default 1000) RTvNIC hosts that connect to rtvctl at
 * TARGET (e.g. unix:/path/to/rtvctl.sock).  Switch i has datapath ID i + 1
 * and tunnel IP 10.0.0.0 + (i + 1) (so switch 0 is 10.0.0.1, switch 999 is
 * 10.0.3.232): rtvctl's policy must list these as its hosts.  Each switch
 * answers FEATURES_REQUEST, ECHO_REQUEST, flow stats requests and role
 * requests (granted, for a leader of rtvctl --db), sends one
 * SOURCES message (--vnics vNICs 1..V on OpenFlow ports 1..V, deadline
 * --deadline-us), then:
 *
 *   1. Throughput, --rounds times: all switches together send --reports
 *      REPORTs without misses (rtvctl counts them and does nothing) as fast
 *      as they can, then an ECHO_REQUEST each.  Since rtvctl handles a
 *      connection's messages in order, the last echo reply means it has
 *      absorbed every report; with --unixctl, its "reports" counter
 *      (rtvctl/show) must have grown by exactly the number sent.  The
 *      median round's rate is the result.
 *
 *   2. Latency: the switches send --misses miss REPORTs per vNIC whose host
 *      part of the delay dominates, at --rate reports per second in total,
 *      round robin over switches and vNICs, each vNIC waiting for the
 *      reaction to its previous miss.  rtvctl tightens the vNIC's deadline
 *      (NXT_RTVNIC SET_DEADLINE) by --excess-us down to its floor, then
 *      escalates its DSCP one ladder step per report (FLOW_MOD on the vNIC's
 *      in_port).  The latency of a miss is from just before it is sent to
 *      just after its reaction is received on that switch's connection.
 *      Connections are read when their socket is ready (epoll), so that
 *      the benchmark's own work does not delay the reading of a reaction;
 *      the longest such pass is printed.  --samples writes each latency
 *      with its send time, to be judged against rtvnic-stall-probe's log.
 *
 * Prints a markdown table and a "RESULT key=value..." line, with each phase's
 * wall-clock time and the CPU time the benchmark used in it (and rtvctl,
 * given --pid), which tells which of the two saturates.  Exits 1 if
 * rtvctl did not absorb every report or some miss got no reaction (within
 * --reaction-timeout-ms), 0 otherwise: the performance floors are checked by
 * bench/rtvnic-bench-controller.sh. */

#include <config.h>
#undef NDEBUG

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/resource.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/epoll.h>
#endif

#include "command-line.h"
#include "fatal-signal.h"
#include "flow.h"
#include "jsonrpc.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/list.h"
#include "openvswitch/match.h"
#include "openvswitch/ofp-connection.h"
#include "openvswitch/ofp-flow.h"
#include "openvswitch/ofp-msgs.h"
#include "openvswitch/ofp-protocol.h"
#include "openvswitch/ofp-switch.h"
#include "openvswitch/ofp-util.h"
#include "openvswitch/ofpbuf.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/vconn.h"
#include "openvswitch/vlog.h"
#include "ovstest.h"
#include "packets.h"
#include "rtvnic-report.h"
#include "socket-util.h"
#include "timeval.h"
#include "unixctl.h"
#include "util.h"

/* Options. */
static const char *target;
static size_t n_switches = 1000;
static size_t n_vnics = 4;
static uint64_t n_tput_reports = 500000;
static unsigned int n_tput_rounds = 9;
static const char *samples_file;
static const char *gate_file;
static unsigned int misses_per_vnic = 12;
static unsigned int miss_rate = 10000;
static uint32_t deadline_us = 2000;
static uint32_t excess_us = 400;
static const char *unixctl_path;
static long long int phase_timeout_ms = 120000;
static long long int reaction_timeout_ms = 2000;

/* Connections that may be opening at once: rtvctl's listen() backlog is 64
 * and a nonblocking connect() to a full Unix socket backlog fails. */
#define MAX_OPENING 32

/* Messages handled per switch per main loop iteration. */
#define BATCH 64

/* In the latency phase, misses without a reaction within
 * --reaction-timeout-ms are looked for this often. */
#define EXPIRY_MS 10

enum sw_state {
    SW_CLOSED,                  /* Not opened yet (or open failed). */
    SW_OPENING,                 /* OpenFlow hello not completed. */
    SW_CONNECTED,               /* Waiting for FEATURES_REQUEST. */
    SW_SYNCING,                 /* SOURCES sent, barrier outstanding. */
    SW_READY,
};

struct bench_vnic {
    bool outstanding;           /* A miss report awaits its reaction. */
    long long int sent_usec;    /* When it was sent. */
};

struct bench_sw {
    size_t index;
    struct vconn *vconn;
    enum sw_state state;
    enum ofp_version version;
    uint64_t dpid;
    struct in6_addr sender;
    long long int retry_msec;   /* SW_CLOSED: when to try to open again. */

    struct ovs_list txq;        /* struct ofpbuf, queued behind EAGAIN. */
    bool barrier_pending;
    ovs_be32 barrier_xid;

    struct ofpbuf **idle_reports;   /* Per vNIC: a REPORT without misses. */
    struct bench_vnic *vnics;
    size_t n_outstanding;
    uint64_t tput_left;             /* Throughput reports still to send. */
    bool active;                    /* In run_latency()'s 'active'. */

    /* Latency phase (struct ready_set). */
    bool ready;                     /* In the ready set's 'ready'. */
    int fd;                         /* Socket in its epoll set, or -1. */
    uint32_t events;                /* EPOLLIN, EPOLLOUT registered. */
};

static struct bench_sw *switches;

/* Counters. */
static uint64_t n_reactions, n_set_deadline, n_flow_mod, n_unexpected;
static uint64_t n_lost, n_misses_sent;
static size_t n_outstanding;    /* Misses awaiting their reaction. */
static long long int *samples;  /* Latencies of reactions, in usec. */
static long long int *samples_sent; /* When each one's report was sent. */
static unsigned long long int peer_pid;   /* --pid (rtvctl's), or 0. */
static size_t n_samples, allocated_samples;

static void
parse_options(int argc, char *argv[])
{
    enum {
        OPT_REPORTS = UCHAR_MAX + 1,
        OPT_ROUNDS,
        OPT_SAMPLES,
        OPT_GATE,
        OPT_VNICS,
        OPT_MISSES,
        OPT_RATE,
        OPT_DEADLINE,
        OPT_EXCESS,
        OPT_UNIXCTL,
        OPT_TIMEOUT,
        OPT_REACTION_TIMEOUT,
        OPT_PID,
    };
    static const struct option long_options[] = {
        {"reports", required_argument, NULL, OPT_REPORTS},
        {"rounds", required_argument, NULL, OPT_ROUNDS},
        {"samples", required_argument, NULL, OPT_SAMPLES},
        {"gate", required_argument, NULL, OPT_GATE},
        {"vnics", required_argument, NULL, OPT_VNICS},
        {"misses", required_argument, NULL, OPT_MISSES},
        {"rate", required_argument, NULL, OPT_RATE},
        {"deadline-us", required_argument, NULL, OPT_DEADLINE},
        {"excess-us", required_argument, NULL, OPT_EXCESS},
        {"unixctl", required_argument, NULL, OPT_UNIXCTL},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"reaction-timeout-ms", required_argument, NULL,
         OPT_REACTION_TIMEOUT},
        {"pid", required_argument, NULL, OPT_PID},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    unsigned long long int x;

    for (;;) {
        int c = getopt_long(argc, argv, "h", long_options, NULL);
        if (c == -1) {
            break;
        }
        if (c != 'h' && c != '?' && c != OPT_UNIXCTL && c != OPT_SAMPLES
            && c != OPT_GATE
            && !str_to_ullong(optarg, 10, &x)) {
            ovs_fatal(0, "%s: not a number", optarg);
        }
        switch (c) {
        case OPT_REPORTS:
            n_tput_reports = x;
            break;
        case OPT_ROUNDS:
            if (x < 1 || x > 100) {
                ovs_fatal(0, "--rounds must be between 1 and 100");
            }
            n_tput_rounds = x;
            break;
        case OPT_SAMPLES:
            samples_file = optarg;
            break;
        case OPT_GATE:
            gate_file = optarg;
            break;
        case OPT_VNICS:
            if (x < 1 || x > 1000) {
                ovs_fatal(0, "--vnics must be between 1 and 1000");
            }
            n_vnics = x;
            break;
        case OPT_MISSES:
            misses_per_vnic = MIN(x, 1000);
            break;
        case OPT_RATE:
            if (x < 1 || x > 10000000) {
                ovs_fatal(0, "--rate must be between 1 and 10000000");
            }
            miss_rate = x;
            break;
        case OPT_DEADLINE:
            deadline_us = MIN(x, UINT32_MAX);
            break;
        case OPT_EXCESS:
            excess_us = MIN(x, UINT32_MAX / 1000);
            break;
        case OPT_UNIXCTL:
            unixctl_path = optarg;
            break;
        case OPT_TIMEOUT:
            phase_timeout_ms = MAX(x, 1) * 1000;
            break;
        case OPT_REACTION_TIMEOUT:
            reaction_timeout_ms = MAX(x, 1);
            break;
        case OPT_PID:
            peer_pid = x;
            break;
        case 'h':
            printf("usage: %s [OPTIONS] TARGET [N_SWITCHES]\n"
                   "  --reports=N          throughput phase: reports without "
                   "misses per round (%"PRIu64")\n"
                   "  --rounds=N           throughput phase: rounds, the "
                   "median's rate counts (%u)\n"
                   "  --vnics=N            vNICs per switch (%"PRIuSIZE")\n"
                   "  --misses=N           latency phase: miss reports per "
                   "vNIC (%u)\n"
                   "  --rate=N             latency phase: miss reports per "
                   "second (%u)\n"
                   "  --deadline-us=N      contract deadline (%"PRIu32")\n"
                   "  --excess-us=N        excess in miss reports (%"PRIu32
                   ")\n"
                   "  --unixctl=PATH       rtvctl's control socket, to check "
                   "its report counter\n"
                   "  --timeout=SECS       per phase (%lld)\n"
                   "  --reaction-timeout-ms=MS  a miss gets its reaction "
                   "within (%lld)\n"
                   "  --pid=PID            rtvctl's, to print its CPU time "
                   "per phase\n"
                   "  --samples=FILE       latency phase: write \"SENT_US "
                   "LATENCY_US\" per reaction\n"
                   "                       (SENT_US on CLOCK_MONOTONIC)\n"
                   "  --gate=PREFIX        before each throughput round and "
                   "the latency phase,\n"
                   "                       wait for a line from FIFO "
                   "PREFIX.go (\"latency\":\n"
                   "                       no more rounds); after it, write "
                   "one to FIFO PREFIX.done\n",
                   program_name, n_tput_reports, n_tput_rounds, n_vnics,
                   misses_per_vnic,
                   miss_rate, deadline_us, excess_us,
                   phase_timeout_ms / 1000, reaction_timeout_ms);
            exit(EXIT_SUCCESS);
        case '?':
            exit(EXIT_FAILURE);
        default:
            OVS_NOT_REACHED();
        }
    }
    if (argc - optind < 1 || argc - optind > 2) {
        ovs_fatal(0, "usage: %s [OPTIONS] TARGET [N_SWITCHES]; --help for "
                  "help", program_name);
    }
    target = argv[optind];
    if (argc - optind > 1) {
        if (!str_to_ullong(argv[optind + 1], 10, &x) || x < 1
            || x > 0xffffff) {
            ovs_fatal(0, "%s: bad number of switches", argv[optind + 1]);
        }
        n_switches = x;
    }
}

static void
sw_send(struct bench_sw *sw, struct ofpbuf *msg)
{
    if (ovs_list_is_empty(&sw->txq)) {
        int error = vconn_send(sw->vconn, msg);

        if (!error) {
            return;
        } else if (error != EAGAIN) {
            ovs_fatal(error, "switch %"PRIuSIZE": send failed", sw->index);
        }
    }
    ovs_list_push_back(&sw->txq, &msg->list_node);
}

static void
sw_flush(struct bench_sw *sw)
{
    while (!ovs_list_is_empty(&sw->txq)) {
        struct ofpbuf *msg = ofpbuf_from_list(ovs_list_front(&sw->txq));
        int error = vconn_send(sw->vconn, msg);

        if (error == EAGAIN) {
            return;
        } else if (error) {
            ovs_fatal(error, "switch %"PRIuSIZE": send failed", sw->index);
        }
        ovs_list_remove(&msg->list_node);
    }
}

static struct ofpbuf *
make_report(const struct bench_sw *sw, size_t vnic, bool miss,
            enum ofp_version version)
{
    struct rtvnic_msg msg = {
        .type = RTVNIC_MSG_REPORT,
        .report = {
            .sender = sw->sender,
            .vnic_id = vnic + 1,
            .interval_us = RTVNIC_REPORT_INTERVAL_DEFAULT_US,
            .packets = 100,
            .misses = miss ? 10 : 0,
            .deadline_us = deadline_us,
            .max_excess_ns = miss ? (uint64_t) excess_us * 1000 : 0,
            .host_mean_ns = deadline_us * 1000,
            .host_max_ns = deadline_us * 1000 + excess_us * 1000,
            .network_mean_ns = deadline_us * 100,
            .network_max_ns = deadline_us * 200,
        },
    };
    return rtvnic_msg_to_ofp(&msg, version);
}

static void
sw_send_barrier(struct bench_sw *sw)
{
    struct ofpbuf *echo = ofputil_encode_echo_request(sw->version);

    sw->barrier_xid = ((const struct ofp_header *) echo->data)->xid;
    sw->barrier_pending = true;
    sw_send(sw, echo);
}

/* Replies to rtvctl's FEATURES_REQUEST, then tells it the switch's
 * sources and asks for a barrier, so that rtvctl knows the switch's datapath
 * ID and vNICs before any report. */
static void
sw_features(struct bench_sw *sw, const struct ofp_header *request)
{
    struct ofputil_switch_features features = {
        .datapath_id = sw->dpid,
        .n_buffers = 0,
        .n_tables = 254,
        .capabilities = OFPUTIL_C_FLOW_STATS | OFPUTIL_C_TABLE_STATS
                        | OFPUTIL_C_PORT_STATS,
        .ofpacts = 0,
    };
    enum ofputil_protocol protocol
        = ofputil_protocol_from_ofp_version(sw->version);
    struct rtvnic_source_entry *entries = xcalloc(n_vnics, sizeof *entries);

    sw_send(sw, ofputil_encode_switch_features(&features, protocol,
                                               request->xid));
    for (size_t v = 0; v < n_vnics; v++) {
        entries[v].vnic_id = v + 1;
        entries[v].ofp_port = v + 1;
        entries[v].deadline_us = deadline_us;
        entries[v].effective_us = deadline_us;
    }
    struct rtvnic_msg msg = {
        .type = RTVNIC_MSG_SOURCES,
        .sources = { .entries = entries, .n = n_vnics },
    };
    sw_send(sw, rtvnic_msg_to_ofp(&msg, sw->version));
    free(entries);

    sw->idle_reports = xmalloc(n_vnics * sizeof *sw->idle_reports);
    for (size_t v = 0; v < n_vnics; v++) {
        sw->idle_reports[v] = make_report(sw, v, false, sw->version);
    }
    sw_send_barrier(sw);
    sw->state = SW_SYNCING;
}

static void
record_reaction(struct bench_sw *sw, size_t vnic, long long int now)
{
    struct bench_vnic *bv;

    if (vnic >= n_vnics || !sw->vnics[vnic].outstanding) {
        n_unexpected++;
        return;
    }
    bv = &sw->vnics[vnic];
    bv->outstanding = false;
    sw->n_outstanding--;
    n_outstanding--;
    n_reactions++;
    if (n_samples >= allocated_samples) {
        size_t n = allocated_samples;

        samples = x2nrealloc(samples, &allocated_samples, sizeof *samples);
        samples_sent = x2nrealloc(samples_sent, &n, sizeof *samples_sent);
    }
    samples_sent[n_samples] = bv->sent_usec;
    samples[n_samples++] = now - bv->sent_usec;
}

static void
sw_flow_mod(struct bench_sw *sw, const struct ofp_header *oh,
            long long int now)
{
    enum ofputil_protocol protocol
        = ofputil_protocol_from_ofp_version(sw->version);
    struct ofputil_flow_mod fm;
    struct ofpbuf ofpacts;
    enum ofperr error;

    ofpbuf_init(&ofpacts, 64);
    error = ofputil_decode_flow_mod(&fm, oh, protocol, NULL, NULL, &ofpacts,
                                    OFPP_MAX, 255);
    if (error) {
        ovs_fatal(0, "switch %"PRIuSIZE": bad flow_mod from rtvctl (%s)",
                  sw->index, ofperr_to_string(error));
    }

    struct match match;
    minimatch_expand(&fm.match, &match);
    n_flow_mod++;
    record_reaction(sw, ofp_to_u16(match.flow.in_port.ofp_port) - 1, now);
    minimatch_destroy(&fm.match);
    ofpbuf_uninit(&ofpacts);
}

static void
sw_rtvnic(struct bench_sw *sw, const struct ofp_header *oh, long long int now)
{
    struct rtvnic_msg msg;
    char *error = rtvnic_msg_from_ofp(oh, &msg);

    if (error) {
        ovs_fatal(0, "switch %"PRIuSIZE": bad RTvNIC message from rtvctl: "
                  "%s", sw->index, error);
    }
    if (msg.type == RTVNIC_MSG_SET_DEADLINE) {
        n_set_deadline++;
        record_reaction(sw, msg.set_deadline.vnic_id - 1, now);
    } else if (msg.type != RTVNIC_MSG_CONFIG) {
        n_unexpected++;
    }
    rtvnic_msg_uninit(&msg);
}

static void
sw_handle(struct bench_sw *sw, const struct ofp_header *oh, long long int now)
{
    enum ofptype type;

    if (ofptype_decode(&type, oh)) {
        n_unexpected++;
        return;
    }
    switch ((int) type) {
    case OFPTYPE_FEATURES_REQUEST:
        sw_features(sw, oh);
        break;
    case OFPTYPE_ECHO_REQUEST:
        sw_send(sw, ofputil_encode_echo_reply(oh));
        break;
    case OFPTYPE_ECHO_REPLY:
        if (sw->barrier_pending && oh->xid == sw->barrier_xid) {
            sw->barrier_pending = false;
            if (sw->state == SW_SYNCING) {
                sw->state = SW_READY;
            }
        }
        break;
    case OFPTYPE_FLOW_STATS_REQUEST:
        /* rtvctl learns the DSCP levels of its flows: there are none. */
        sw_send(sw, ofpraw_alloc_stats_reply(oh, 0));
        break;
    case OFPTYPE_FLOW_MOD:
        sw_flow_mod(sw, oh, now);
        break;
    case OFPTYPE_ROLE_REQUEST: {
        /* rtvctl --db's leader claims the primary role: grant it. */
        struct ofputil_role_request rr;

        if (ofputil_decode_role_message(oh, &rr)) {
            n_unexpected++;
        } else {
            sw_send(sw, ofputil_encode_role_reply(oh, &rr));
        }
        break;
    }
    case OFPTYPE_NXT_RTVNIC:
        sw_rtvnic(sw, oh, now);
        break;
    case OFPTYPE_SET_CONFIG:
    case OFPTYPE_BARRIER_REPLY:
        break;
    default:
        n_unexpected++;
        break;
    }
}

/* Runs 'sw''s connection and, if 'recv', handles up to BATCH messages. */
static void
sw_run(struct bench_sw *sw, bool recv)
{
    if (sw->state == SW_CLOSED) {
        return;
    }
    vconn_run(sw->vconn);
    if (sw->state == SW_OPENING) {
        int error = vconn_connect(sw->vconn);

        if (error == EAGAIN) {
            return;
        } else if (error) {
            ovs_fatal(error, "switch %"PRIuSIZE": OpenFlow hello with %s "
                      "failed", sw->index, target);
        }
        sw->version = vconn_get_version(sw->vconn);
        sw->state = SW_CONNECTED;
        recv = true;
    }
    sw_flush(sw);
    for (int i = 0; recv && i < BATCH; i++) {
        struct ofpbuf *msg;
        int error = vconn_recv(sw->vconn, &msg);

        if (error == EAGAIN) {
            break;
        } else if (error) {
            ovs_fatal(error, "switch %"PRIuSIZE": connection to %s lost",
                      sw->index, target);
        }
        sw_handle(sw, msg->data, time_usec());
        ofpbuf_delete(msg);
    }
    sw_flush(sw);
}

static void
sw_wait(struct bench_sw *sw, bool recv)
{
    if (sw->state == SW_CLOSED) {
        return;
    }
    vconn_run_wait(sw->vconn);
    if (sw->state == SW_OPENING) {
        vconn_connect_wait(sw->vconn);
        return;
    }
    if (!ovs_list_is_empty(&sw->txq)) {
        vconn_send_wait(sw->vconn);
    }
    if (recv) {
        vconn_recv_wait(sw->vconn);
    }
}

static void
check_timeout(long long int start, const char *phase)
{
    if (time_msec() - start > phase_timeout_ms) {
        ovs_fatal(0, "%s phase timed out after %lld s", phase,
                  phase_timeout_ms / 1000);
    }
    poll_timer_wait_until(start + phase_timeout_ms + 1);
}

/* Connects every switch and waits until rtvctl knows all their sources. */
static void
connect_all(void)
{
    long long int start = time_msec();
    size_t n_opening = 0, n_ready = 0, next = 0;

    while (n_ready < n_switches) {
        long long int now = time_msec();

        /* Open more connections, a few at a time. */
        for (size_t i = 0; i < n_switches && n_opening < MAX_OPENING; i++) {
            struct bench_sw *sw = &switches[(next + i) % n_switches];
            int error;

            if (sw->state != SW_CLOSED || sw->retry_msec > now) {
                continue;
            }
            error = vconn_open(target, OFPUTIL_DEFAULT_VERSIONS,
                               DSCP_DEFAULT, &sw->vconn);
            if (!error) {
                sw->state = SW_OPENING;
                n_opening++;
                next = sw->index + 1;
            } else if (error == EPROTO || error == EAGAIN
                       || error == ECONNREFUSED || error == ENOENT) {
                /* Listen backlog full, or rtvctl not listening yet. */
                sw->retry_msec = now + 10;
                break;
            } else {
                ovs_fatal(error, "%s: connection failed", target);
            }
        }

        n_opening = n_ready = 0;
        for (size_t i = 0; i < n_switches; i++) {
            struct bench_sw *sw = &switches[i];

            sw_run(sw, true);
            n_opening += sw->state == SW_OPENING;
            n_ready += sw->state == SW_READY;
        }
        if (n_ready == n_switches) {
            break;
        }
        for (size_t i = 0; i < n_switches; i++) {
            sw_wait(&switches[i], true);
        }
        for (size_t i = 0; i < n_switches && n_opening < MAX_OPENING; i++) {
            if (switches[i].state == SW_CLOSED) {
                poll_timer_wait_until(MAX(switches[i].retry_msec, now));
                break;
            }
        }
        check_timeout(start, "connection");
        poll_block();
    }
    printf("%"PRIuSIZE" switches connected and synchronised in %lld ms\n",
           n_switches, time_msec() - start);
}

/* rtvctl/show's output (to free), from --unixctl's rtvctl. */
static char *
rtvctl_show(void)
{
    struct jsonrpc *client;
    char *result, *error;
    int retval;

    retval = unixctl_client_create(unixctl_path, &client);
    if (retval) {
        ovs_fatal(retval, "%s: cannot connect", unixctl_path);
    }
    retval = unixctl_client_transact(client, "rtvctl/show", 0, NULL,
                                     &result, &error);
    if (retval) {
        ovs_fatal(retval, "%s: rtvctl/show failed", unixctl_path);
    } else if (error) {
        ovs_fatal(0, "%s: rtvctl/show: %s", unixctl_path, error);
    }
    jsonrpc_close(client);
    return result ? result : xstrdup("");
}

/* Returns rtvctl's "reports" counter, or UINT64_MAX without --unixctl. */
static uint64_t
rtvctl_reports(void)
{
    char *result;
    uint64_t n;

    if (!unixctl_path) {
        return UINT64_MAX;
    }
    result = rtvctl_show();
    if (!ovs_scan(result, "reports %"SCNu64, &n)) {
        ovs_fatal(0, "%s: rtvctl/show: no report counter in \"%.60s\"",
                  unixctl_path, result);
    }
    free(result);
    return n;
}

/* With --unixctl, waits until a leader of rtvctl --db has written every
 * flow the switches' source lists created to its database (the line "ha
 * writes: 0 pending" of rtvctl/show; a lone rtvctl has no such line): until
 * then it is still busy with 40,000 inserts, which is not what the
 * throughput phase measures.  Returns how long that took, in ms. */
static long long int
wait_database_settled(void)
{
    long long int start = time_msec();

    while (unixctl_path) {
        char *result = rtvctl_show();
        static const char zero[] = "\nha writes: 0 pending,";
        const char *line = strstr(result, "\nha writes: ");
        bool settled = !line || !strncmp(line, zero, strlen(zero));
        free(result);
        if (settled) {
            break;
        }
        check_timeout(start, "database settling");
        poll_timer_wait(100);
        poll_block();
    }
    return time_msec() - start;
}

/* CPU time (user + system), in ms, of this process and of rtvctl (-1 without
 * --pid), to tell which of the two saturates in a phase. */
struct cpu_sample {
    long long int wall, self, peer;
    /* Time runnable but waiting for a CPU (/proc/PID/schedstat), in ms, -1
     * if unknown: high when other processes take the CPUs. */
    long long int self_wait, peer_wait;
};

static long long int
sched_wait_ms(const char *pid)
{
    char *name = xasprintf("%s/%s/schedstat", "/proc", pid);
    FILE *f = fopen(name, "r");
    unsigned long long int run, wait;
    long long int ms = -1;

    if (f && fscanf(f, "%llu %llu", &run, &wait) == 2) {
        ms = wait / 1000000;
    }
    if (f) {
        fclose(f);
    }
    free(name);
    return ms;
}

static struct cpu_sample
cpu_sample(void)
{
    struct cpu_sample c = { .wall = time_msec(), .peer = -1,
                            .peer_wait = -1 };
    struct rusage ru;

    c.self_wait = sched_wait_ms("self");
    getrusage(RUSAGE_SELF, &ru);
    c.self = (timeval_to_msec(&ru.ru_utime)
              + timeval_to_msec(&ru.ru_stime));
    if (peer_pid) {
        char *name = xasprintf("%s/%llu/stat", "/proc", peer_pid);
        FILE *f = fopen(name, "r");
        char line[1024];

        if (f && fgets(line, sizeof line, f)) {
            /* Fields 14 and 15 (utime, stime), after the ")" that ends
             * field 2, in clock ticks. */
            const char *p = strrchr(line, ')');
            unsigned long long int ut, st;

            if (p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u "
                            "%*u %*u %llu %llu", &ut, &st) == 2) {
                c.peer = (ut + st) * 1000 / sysconf(_SC_CLK_TCK);
            }
        }
        if (f) {
            fclose(f);
        }
        free(name);

        char pid[32];
        snprintf(pid, sizeof pid, "%llu", peer_pid);
        c.peer_wait = sched_wait_ms(pid);
    }
    return c;
}

/* Adds to '*start' what a counter grew by from 'a' to 'b', if all three are
 * known (not -1). */
static void
cpu_shift(long long int *start, long long int a, long long int b)
{
    if (*start >= 0 && a >= 0 && b >= 0) {
        *start += b - a;
    }
}

/* With --gate, waits for a line from the FIFO PREFIX.go (returns false if
 * it is "latency": no more throughput rounds), and moves
 * 'phase_start' forward by the wait, so that the phase's CPU and wall time
 * exclude it.  Another benchmark process against another rtvctl then runs
 * its rounds in turns with ours (whoever writes the FIFOs decides the
 * order), and the two rates are compared round by round: drifts of a shared
 * machine's load then hit both alike. */
static bool
gate_wait(struct cpu_sample *phase_start)
{
    if (!gate_file) {
        return true;
    }

    struct cpu_sample a = cpu_sample();
    char *name = xasprintf("%s.go", gate_file);
    FILE *f = fopen(name, "r");
    char line[64];

    if (!f) {
        ovs_fatal(errno, "%s: open failed", name);
    }
    if (!fgets(line, sizeof line, f)) {
        ovs_fatal(0, "%s: closed without a line", name);
    }
    fclose(f);
    free(name);
    bool more = strcmp(line, "latency\n") != 0;

    struct cpu_sample b = cpu_sample();
    cpu_shift(&phase_start->wall, a.wall, b.wall);
    cpu_shift(&phase_start->self, a.self, b.self);
    cpu_shift(&phase_start->peer, a.peer, b.peer);
    cpu_shift(&phase_start->self_wait, a.self_wait, b.self_wait);
    cpu_shift(&phase_start->peer_wait, a.peer_wait, b.peer_wait);
    return more;
}

/* With --gate, tells the FIFO PREFIX.done that a step ended. */
static void
gate_done(const char *step)
{
    if (!gate_file) {
        return;
    }

    char *name = xasprintf("%s.done", gate_file);
    FILE *f = fopen(name, "w");

    if (!f || fprintf(f, "%s\n", step) < 0 || fclose(f)) {
        ovs_fatal(errno, "%s: write failed", name);
    }
    free(name);
}

/* Prints and returns (as RESULT fields) the CPU use between 'a' and now. */
static char *
cpu_report(const char *phase, struct cpu_sample a)
{
    struct cpu_sample b = cpu_sample();
    long long int wall = MAX(b.wall - a.wall, 1);
    long long int peer = a.peer >= 0 && b.peer >= 0 ? b.peer - a.peer : -1;
    long long int self_wait = (a.self_wait >= 0 && b.self_wait >= 0
                               ? b.self_wait - a.self_wait : -1);
    long long int peer_wait = (a.peer_wait >= 0 && b.peer_wait >= 0
                               ? b.peer_wait - a.peer_wait : -1);

    printf("%s phase: %lld ms; benchmark: CPU %lld ms (%.0f%% of a core), "
           "waiting for a CPU %lld ms; rtvctl: CPU %lld ms (%.0f%%), waiting "
           "for a CPU %lld ms\n", phase, wall, b.self - a.self,
           100.0 * (b.self - a.self) / wall, self_wait, peer,
           100.0 * peer / wall, peer_wait);
    return xasprintf("%s_ms=%lld %s_bench_cpu_ms=%lld %s_rtvctl_cpu_ms=%lld "
                     "%s_bench_wait_ms=%lld %s_rtvctl_wait_ms=%lld",
                     phase, wall, phase, b.self - a.self, phase, peer,
                     phase, self_wait, phase, peer_wait);
}

/* Phase 1.  Returns reports per second; '*confirmed' tells whether rtvctl's
 * counter agrees (or true without --unixctl). */
static double
run_throughput(bool *confirmed)
{
    uint64_t before = rtvctl_reports();
    long long int start_ms = time_msec();
    long long int start, end;
    size_t n_waiting = n_switches;

    for (size_t i = 0; i < n_switches; i++) {
        switches[i].tput_left = (n_tput_reports / n_switches
                                 + (i < n_tput_reports % n_switches));
    }

    start = time_usec();
    while (n_waiting) {
        bool more = false;

        n_waiting = 0;
        for (size_t i = 0; i < n_switches; i++) {
            struct bench_sw *sw = &switches[i];

            sw_run(sw, true);
            for (int j = 0; j < BATCH && sw->tput_left
                            && ovs_list_is_empty(&sw->txq); j++) {
                struct ofpbuf *r = sw->idle_reports[sw->tput_left % n_vnics];

                sw_send(sw, ofpbuf_clone(r));
                if (!--sw->tput_left) {
                    sw_send_barrier(sw);
                }
            }
            more |= sw->tput_left && ovs_list_is_empty(&sw->txq);
            n_waiting += sw->tput_left || sw->barrier_pending;
        }
        if (!n_waiting) {
            break;
        }
        for (size_t i = 0; i < n_switches; i++) {
            sw_wait(&switches[i], true);
        }
        if (more) {
            poll_immediate_wake();
        }
        check_timeout(start_ms, "throughput");
        poll_block();
    }
    end = time_usec();

    uint64_t after = rtvctl_reports();
    *confirmed = (before == UINT64_MAX
                  || after - before == n_tput_reports);
    if (before != UINT64_MAX) {
        printf("rtvctl's report counter: %"PRIu64" -> %"PRIu64" (+%"PRIu64
               ", sent %"PRIu64")\n", before, after, after - before,
               n_tput_reports);
    }
    return n_tput_reports / ((end - start) / 1e6);
}

/* The latency phase's passes (the work between two poll_block()s): a
 * reaction that arrives during one waits for it to end, so the longest pass
 * bounds what the benchmark itself adds to a latency. */
static uint64_t n_passes, n_long_passes;
static long long int pass_max_us, pass_total_us;
#define LONG_PASS_US 1000

static void
pass_stats_add(long long int us)
{
    n_passes++;
    n_long_passes += us > LONG_PASS_US;
    pass_total_us += us;
    pass_max_us = MAX(pass_max_us, us);
}

/* Readiness of the switches' connections in the latency phase.
 *
 * Reactions must be read when they arrive: a pass that runs every switch
 * (10,000 vconn_run() and recv() calls, tens of milliseconds) delays every
 * reaction that arrives meanwhile, and the benchmark would measure itself.
 * So each connection's waits (what vconn_run_wait() and vconn_recv_wait()
 * ask for) are captured with a poll_set_hook() and kept in a level-triggered
 * epoll set, and a pass runs only the switches whose socket is ready (or
 * that asked to run again at once: bytes read ahead may hold a message).
 * A switch's waits change only when it runs or is sent to, so only those
 * are captured again.  Without epoll (not Linux), every switch runs on
 * every pass and waits through poll_fd_wait(). */
struct ready_set {
    int epfd;                   /* -1 without epoll. */
    struct bench_sw **ready;    /* Switches to run in the next pass. */
    size_t n_ready;
};

struct capture {
    struct poll_hook hook;
    int fd;                     /* The socket, or -1. */
    short int events;           /* POLLIN, POLLOUT. */
    bool immediate;             /* A timer already due. */
};

static void
capture_fd_wait(struct poll_hook *hook, int fd, short int events)
{
    struct capture *c = CONTAINER_OF(hook, struct capture, hook);

    if (c->fd >= 0 && c->fd != fd) {
        ovs_fatal(0, "a simulated switch waits on two sockets");
    }
    c->fd = fd;
    c->events |= events;
}

static void
capture_timer_wait(struct poll_hook *hook, long long int when)
{
    struct capture *c = CONTAINER_OF(hook, struct capture, hook);

    c->immediate |= when <= time_msec();
}

static void
ready_mark(struct ready_set *rs, struct bench_sw *sw)
{
    if (!sw->ready) {
        sw->ready = true;
        rs->ready[rs->n_ready++] = sw;
    }
}

/* Captures what 'sw' waits for now and registers it in 'rs'. */
static void
ready_capture(struct ready_set *rs, struct bench_sw *sw)
{
    struct capture c = {
        .hook = { capture_fd_wait, capture_timer_wait },
        .fd = -1,
    };

    poll_set_hook(&c.hook);
    sw_wait(sw, true);
    poll_set_hook(NULL);

    if (c.immediate) {
        ready_mark(rs, sw);
    }
#ifdef __linux__
    uint32_t ev = ((c.events & POLLIN ? EPOLLIN : 0)
                   | (c.events & POLLOUT ? EPOLLOUT : 0));
    if (c.fd != sw->fd || ev != sw->events) {
        struct epoll_event event = { .events = ev, .data.ptr = sw };
        int op = sw->fd < 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;

        if (c.fd != sw->fd && sw->fd >= 0) {
            ovs_fatal(0, "switch %"PRIuSIZE": socket changed", sw->index);
        }
        if (epoll_ctl(rs->epfd, op, c.fd, &event)) {
            ovs_fatal(errno, "switch %"PRIuSIZE": epoll_ctl failed",
                      sw->index);
        }
        sw->fd = c.fd;
        sw->events = ev;
    }
#endif
}

static void
ready_init(struct ready_set *rs)
{
    rs->ready = xmalloc(n_switches * sizeof *rs->ready);
    rs->n_ready = 0;
    rs->epfd = -1;
#ifdef __linux__
    rs->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (rs->epfd < 0) {
        ovs_fatal(errno, "epoll_create1 failed");
    }
    for (size_t i = 0; i < n_switches; i++) {
        switches[i].fd = -1;
        ready_capture(rs, &switches[i]);
    }
#endif
}

static void
ready_destroy(struct ready_set *rs)
{
    for (size_t i = 0; i < rs->n_ready; i++) {
        rs->ready[i]->ready = false;
    }
    free(rs->ready);
    if (rs->epfd >= 0) {
        close(rs->epfd);    /* Removes every registration. */
    }
}

/* Marks ready the switches whose socket is. */
static void
ready_collect(struct ready_set *rs)
{
#ifdef __linux__
    struct epoll_event events[256];
    size_t max_calls = n_switches / ARRAY_SIZE(events) + 1;

    /* Level-triggered: a socket left unread is reported again, after the
     * others (epoll rotates its ready list), so a bounded number of calls
     * sees each ready socket once; any missed is seen in the next pass. */
    for (size_t i = 0; i < max_calls; i++) {
        int n = epoll_wait(rs->epfd, events, ARRAY_SIZE(events), 0);

        if (n < 0 && errno != EINTR) {
            ovs_fatal(errno, "epoll_wait failed");
        }
        for (int j = 0; j < n; j++) {
            ready_mark(rs, events[j].data.ptr);
        }
        if (n < (int) ARRAY_SIZE(events)) {
            break;
        }
    }
#else
    for (size_t i = 0; i < n_switches; i++) {
        ready_mark(rs, &switches[i]);
    }
#endif
}

/* Runs the switches that are ready, once each. */
static void
ready_run(struct ready_set *rs)
{
    size_t n = rs->n_ready;
    struct bench_sw **pass = xmemdup(rs->ready, n * sizeof *pass);

    rs->n_ready = 0;
    for (size_t i = 0; i < n; i++) {
        pass[i]->ready = false;
    }
    for (size_t i = 0; i < n; i++) {
        sw_run(pass[i], true);
        ready_capture(rs, pass[i]);
    }
    free(pass);
}

static void
ready_wait(const struct ready_set *rs)
{
    if (rs->n_ready) {
        poll_immediate_wake();
    }
#ifdef __linux__
    poll_fd_wait(rs->epfd, POLLIN);
#else
    for (size_t i = 0; i < n_switches; i++) {
        sw_wait(&switches[i], true);
    }
#endif
}

/* Phase 2.  Driven by readiness (see struct ready_set): a pass costs in
 * proportion to the switches that received something, so each reaction is
 * read, and timestamped, as soon as this process gets a CPU after it
 * arrived.  The longest pass is printed: it bounds what the benchmark adds
 * to a latency. */
static void
run_latency(void)
{
    uint64_t total = (uint64_t) n_switches * n_vnics * misses_per_vnic;
    long long int start_ms = time_msec();
    long long int start = time_usec();
    long long int next_expiry = 0;
    struct bench_sw **active = xmalloc(n_switches * sizeof *active);
    size_t n_active = 0;
    uint64_t k = 0;
    bool stalled = false;
    struct ready_set rs;

    ready_init(&rs);
    n_outstanding = 0;
    while (k < total || n_outstanding) {
        long long int now = time_usec();
        long long int now_ms = time_msec();
        /* Miss number 'k' is due 'k / miss_rate' seconds after the start:
         * 'due' misses are due by now. */
        uint64_t due = (now - start) * miss_rate / 1000000 + 1;

        /* Send them, round robin over switches, then over vNICs.  A vNIC
         * with its previous miss still outstanding holds up the schedule
         * (that takes a latency above N_SWITCHES * N_VNICS / rate). */
        stalled = false;
        while (k < total && k < due) {
            struct bench_sw *sw = &switches[k % n_switches];
            size_t v = (k / n_switches) % n_vnics;
            struct bench_vnic *bv = &sw->vnics[v];

            if (bv->outstanding) {
                stalled = true;
                break;
            }
            bv->outstanding = true;
            sw->n_outstanding++;
            n_outstanding++;
            bv->sent_usec = time_usec();
            sw_send(sw, make_report(sw, v, true, sw->version));
            /* Queued behind EAGAIN, it needs POLLOUT. */
            ready_capture(&rs, sw);
            n_misses_sent++;
            k++;
            if (!sw->active) {
                sw->active = true;
                active[n_active++] = sw;
            }
        }

        ready_collect(&rs);
        ready_run(&rs);
        pass_stats_add(time_usec() - now);

        /* Misses without a reaction in time are lost.  'active' holds the
         * switches with misses outstanding (or that had some). */
        if (now_ms >= next_expiry) {
            size_t ai = 0;

            next_expiry = now_ms + EXPIRY_MS;
            while (ai < n_active) {
                struct bench_sw *sw = active[ai];

                for (size_t v = 0; sw->n_outstanding && v < n_vnics; v++) {
                    struct bench_vnic *bv = &sw->vnics[v];

                    if (bv->outstanding && (now - bv->sent_usec
                                            > reaction_timeout_ms * 1000)) {
                        bv->outstanding = false;
                        sw->n_outstanding--;
                        n_outstanding--;
                        n_lost++;
                    }
                }
                if (!sw->n_outstanding) {
                    sw->active = false;
                    active[ai] = active[--n_active];
                } else {
                    ai++;
                }
            }
        }
        if (k >= total && !n_outstanding) {
            break;
        }
        ready_wait(&rs);
        if (n_outstanding) {
            poll_timer_wait_until(next_expiry);
        }
        if (k < total && !stalled) {
            /* Wake up at the first millisecond when the next miss is due
             * (and send all those due by then at once), rather than spin. */
            long long int next_usec = start + k * 1000000 / miss_rate;

            poll_timer_wait_until(DIV_ROUND_UP(next_usec, 1000));
        }
        check_timeout(start_ms, "latency");
        poll_block();
    }
    for (size_t i = 0; i < n_active; i++) {
        active[i]->active = false;
    }
    free(active);
    ready_destroy(&rs);
}

static int
compare_ll(const void *a_, const void *b_)
{
    long long int a = *(const long long int *) a_;
    long long int b = *(const long long int *) b_;

    return a < b ? -1 : a > b;
}

static int
compare_double(const void *a_, const void *b_)
{
    const double *a = a_, *b = b_;

    return *a < *b ? -1 : *a > *b;
}

/* So that a latency can be judged against what else happened meanwhile
 * (rtvnic-stall-probe --monotonic records this machine's stalls on the
 * same clock). */
static void
write_samples(const char *file_name)
{
    FILE *f = fopen(file_name, "w");

    if (!f) {
        ovs_fatal(errno, "%s: create failed", file_name);
    }
    for (size_t i = 0; i < n_samples; i++) {
        fprintf(f, "%lld %lld\n", samples_sent[i], samples[i]);
    }
    if (fclose(f)) {
        ovs_fatal(errno, "%s: write failed", file_name);
    }
}

/* The 'p'th percentile of the sorted samples (nearest rank), in ms. */
static double
percentile_ms(double p)
{
    size_t rank;

    if (!n_samples) {
        return 0;
    }
    rank = (size_t) (p / 100.0 * n_samples + 0.999999);
    rank = MIN(MAX(rank, 1), n_samples);
    return samples[rank - 1] / 1000.0;
}

static void
test_rtvctl_bench_main(int argc, char *argv[])
{
    bool confirmed;
    double rps;

    set_program_name(argv[0]);
    /* A connection rtvctl closed is an error to report, not a SIGPIPE. */
    fatal_ignore_sigpipe();
    vlog_set_levels(NULL, VLF_CONSOLE, VLL_WARN);
    parse_options(argc, argv);

    switches = xcalloc(n_switches, sizeof *switches);
    for (size_t i = 0; i < n_switches; i++) {
        struct bench_sw *sw = &switches[i];

        sw->index = i;
        sw->state = SW_CLOSED;
        sw->dpid = i + 1;
        in6_addr_set_mapped_ipv4(&sw->sender, htonl(0x0a000000 | (i + 1)));
        ovs_list_init(&sw->txq);
        sw->vnics = xcalloc(n_vnics, sizeof *sw->vnics);
    }

    printf("rtvctl benchmark: %"PRIuSIZE" switches x %"PRIuSIZE" vNICs "
           "against %s\n", n_switches, n_vnics, target);
    fflush(stdout);
    connect_all();
    long long int settle_ms = wait_database_settled();
    if (settle_ms > 0) {
        printf("rtvctl's database writes settled in %lld ms\n", settle_ms);
        fflush(stdout);
    }

    /* Rounds, each of --reports, the median's rate counting: a round takes
     * a second or two, in which one stall of this machine or a burst of
     * another process's work moves the rate by tens of percent. */
    struct cpu_sample cpu0 = cpu_sample();
    double *round_rps = xcalloc(n_tput_rounds, sizeof *round_rps);
    struct ds rounds = DS_EMPTY_INITIALIZER;

    unsigned int n_rounds;
    bool latency_gate_open = false;

    confirmed = true;
    for (n_rounds = 0; n_rounds < n_tput_rounds; n_rounds++) {
        unsigned int i = n_rounds;
        bool round_confirmed;

        if (!gate_wait(&cpu0)) {
            latency_gate_open = true;
            break;
        }
        round_rps[i] = run_throughput(&round_confirmed);
        confirmed &= round_confirmed;
        ds_put_format(&rounds, "%s%.0f", i ? "," : "", round_rps[i]);
        printf("round %u: %.0f reports/s\n", i + 1, round_rps[i]);
        fflush(stdout);
        gate_done("round");
    }
    char *tput_cpu = cpu_report("throughput", cpu0);
    if (!n_rounds) {
        ovs_fatal(0, "no throughput round ran");
    }
    qsort(round_rps, n_rounds, sizeof *round_rps, compare_double);
    rps = round_rps[n_rounds / 2];
    printf("throughput: %u rounds of %"PRIu64" reports absorbed at %s "
           "reports/s, median %.0f%s\n", n_rounds, n_tput_reports,
           ds_cstr(&rounds), rps, confirmed ? "" : " (NOT CONFIRMED)");
    fflush(stdout);
    free(round_rps);
    if (n_reactions || n_unexpected) {
        printf("warning: %"PRIu64" reactions, %"PRIu64" unexpected messages "
               "to reports without misses\n", n_reactions, n_unexpected);
    }

    cpu0 = cpu_sample();
    if (!latency_gate_open) {
        gate_wait(&cpu0);
    }
    run_latency();
    gate_done("latency");
    char *lat_cpu = cpu_report("latency", cpu0);
    if (samples_file) {
        write_samples(samples_file);
    }
    qsort(samples, n_samples, sizeof *samples, compare_ll);

    uint64_t expected = (uint64_t) n_switches * n_vnics * misses_per_vnic;
    double p50 = percentile_ms(50), p99 = percentile_ms(99);
    double max = n_samples ? samples[n_samples - 1] / 1000.0 : 0;

    printf("latency: %"PRIu64" miss reports at %u/s, %"PRIu64" reactions "
           "(%"PRIu64" set_deadline, %"PRIu64" flow_mod), %"PRIu64" without "
           "reaction within %lld ms, %"PRIu64" unexpected\n\n",
           n_misses_sent, miss_rate, n_reactions, n_set_deadline, n_flow_mod,
           n_lost, reaction_timeout_ms, n_unexpected);
    printf("benchmark's own passes in the latency phase: %"PRIu64", mean "
           "%.3f ms, longest %.3f ms, %"PRIu64" longer than %d ms\n",
           n_passes, n_passes ? pass_total_us / 1000.0 / n_passes : 0.0,
           pass_max_us / 1000.0, n_long_passes, LONG_PASS_US / 1000);
    printf("| switches | reports sent | reports/s | reactions "
           "| latency p50 (ms) | p99 (ms) | max (ms) |\n");
    printf("|---------:|-------------:|----------:|----------:"
           "|-----------------:|---------:|---------:|\n");
    printf("| %"PRIuSIZE" | %"PRIu64" | %.0f | %"PRIu64" | %.3f | %.3f "
           "| %.3f |\n\n", n_switches,
           n_tput_reports * n_rounds + n_misses_sent, rps,
           n_reactions, p50, p99, max);
    printf("RESULT switches=%"PRIuSIZE" vnics=%"PRIuSIZE" tput_reports=%"
           PRIu64" tput_rounds=%s reports_per_s=%.0f confirmed=%s misses=%"
           PRIu64
           " miss_rate=%u reactions=%"PRIu64" expected=%"PRIu64" lost=%"
           PRIu64" unexpected=%"PRIu64" p50_ms=%.3f p99_ms=%.3f "
           "max_ms=%.3f pass_max_ms=%.3f long_passes=%"PRIu64" %s %s\n",
           n_switches, n_vnics, n_tput_reports * n_rounds,
           ds_cstr(&rounds), rps,
           confirmed ? "yes" : "no", n_misses_sent, miss_rate, n_reactions,
           expected, n_lost, n_unexpected, p50, p99, max,
           pass_max_us / 1000.0, n_long_passes, tput_cpu, lat_cpu);
    free(tput_cpu);
    free(lat_cpu);
    ds_destroy(&rounds);

    bool ok = confirmed && n_reactions == expected && !n_lost;
    for (size_t i = 0; i < n_switches; i++) {
        struct bench_sw *sw = &switches[i];
        struct ofpbuf *msg;

        LIST_FOR_EACH_POP (msg, list_node, &sw->txq) {
            ofpbuf_delete(msg);
        }
        for (size_t v = 0; sw->idle_reports && v < n_vnics; v++) {
            ofpbuf_delete(sw->idle_reports[v]);
        }
        free(sw->idle_reports);
        free(sw->vnics);
        vconn_close(sw->vconn);
    }
    free(switches);
    free(samples);
    free(samples_sent);
    exit(ok ? EXIT_SUCCESS : EXIT_FAILURE);
}

OVSTEST_REGISTER("test-rtvctl-bench", test_rtvctl_bench_main);
