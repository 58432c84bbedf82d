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

/* ovs-vswitchd's RTvNIC interfaces.
 *
 * Registers the "rtvnic/..." unixctl commands, applies the global RTvNIC
 * settings of the Open_vSwitch table, and sends the receiver's miss reports
 * and heartbeats and each bridge's sources (lib/rtvnic-report.h) to the
 * bridges' controllers; the state itself belongs to lib/rtvnic*.c.
 *
 * Every message is built as whole NXT_RTVNIC bodies (a list longer than one
 * body is split into parts) and kept as a list of ofpbufs until every bridge
 * had it.  A controller connection queues at most
 * RTVNIC_CONTROLLER_BACKLOG of them, like packet-ins: beyond that whole
 * messages are dropped and counted ("rtvnic/show", coverage counter
 * rtvnic_report_dropped), so a slow controller costs bounded memory. */

#include <config.h>

#include "rtvnic-bridge.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "coverage.h"
#include "ofproto/ofproto.h"
#include "ofproto/ofproto-provider.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/ofpbuf.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/vlog.h"
#include "rtvnic.h"
#include "rtvnic-metrics.h"
#include "rtvnic-report.h"
#include "rtvnic-rx.h"
#include "rtvnic-stamp.h"
#include "smap.h"
#include "sset.h"
#include "timeval.h"
#include "unixctl.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(rtvnic_bridge);

COVERAGE_DEFINE(rtvnic_report_dropped);

/* NXT_RTVNIC messages queued to controllers, and those dropped because the
 * connection's backlog was full ("rtvnic/show"). */
static uint64_t n_msgs_sent, n_msgs_dropped;

static void
rtvnic_unixctl_show(struct unixctl_conn *conn, int argc, const char *argv[],
                    void *aux OVS_UNUSED)
{
    struct ds ds = DS_EMPTY_INITIALIZER;
    const char *port = argc > 1 ? argv[1] : NULL;

    if (rtvnic_show(&ds, port)) {
        if (!port) {
            ds_put_format(&ds, "controller reports: sent %"PRIu64", dropped "
                          "%"PRIu64" (backlog full)\n"
                          "controller requests: refused %"PRIu64"\n",
                          n_msgs_sent, n_msgs_dropped,
                          rtvnic_ofp_n_refused());
        }
        unixctl_command_reply(conn, ds_cstr(&ds));
    } else {
        ds_put_format(&ds, "%s: no QoS of type rtvnic", port);
        unixctl_command_reply_error(conn, ds_cstr(&ds));
    }
    ds_destroy(&ds);
}

static void
rtvnic_unixctl_flows(struct unixctl_conn *conn, int argc, const char *argv[],
                     void *aux OVS_UNUSED)
{
    struct ds ds = DS_EMPTY_INITIALIZER;

    if (argc > 1 && !strcmp(argv[1], "--json")) {
        rtvnic_rx_format_json(&ds);
    } else if (argc > 1 && !strcmp(argv[1], "--clear")) {
        rtvnic_rx_clear();
    } else if (argc > 1) {
        unixctl_command_reply_error(conn, "usage: rtvnic/flows "
                                    "[--json|--clear]");
        return;
    } else {
        rtvnic_rx_format(&ds);
    }
    unixctl_command_reply(conn, ds_cstr(&ds));
    ds_destroy(&ds);
}

/* "rtvnic/metrics": lib/rtvnic-metrics.c formats, for the netdevs of every
 * bridge's ports (it keeps the RTvNIC egresses among them). */
static void
rtvnic_unixctl_metrics(struct unixctl_conn *conn, int argc OVS_UNUSED,
                       const char *argv[] OVS_UNUSED, void *aux OVS_UNUSED)
{
    struct sset types = SSET_INITIALIZER(&types);
    struct sset names = SSET_INITIALIZER(&names);
    struct ds ds = DS_EMPTY_INITIALIZER;
    struct netdev **netdevs = NULL;
    size_t n = 0, allocated = 0;
    const char *type, *name;

    ofproto_enumerate_types(&types);
    SSET_FOR_EACH (type, &types) {
        ofproto_enumerate_names(type, &names);
        SSET_FOR_EACH (name, &names) {
            struct ofproto *ofproto = ofproto_lookup(name);
            struct ofport *ofport;

            if (!ofproto) {
                continue;
            }
            HMAP_FOR_EACH (ofport, hmap_node, &ofproto->ports) {
                if (n >= allocated) {
                    netdevs = x2nrealloc(netdevs, &allocated, sizeof *netdevs);
                }
                netdevs[n++] = ofport->netdev;
            }
        }
    }
    rtvnic_metrics_format(&ds, netdevs, n);
    unixctl_command_reply(conn, ds_cstr(&ds));
    ds_destroy(&ds);
    free(netdevs);
    sset_destroy(&names);
    sset_destroy(&types);
}

/* "rtvnic/clock [auto|OFFSET_NS]": shows OVS's monotonic time and the offset
 * RTvNIC adds to it for wire-clock stamps, or fixes that offset (tests use
 * this, with "time/stop", to predict stamps exactly). */
static void
rtvnic_unixctl_clock(struct unixctl_conn *conn, int argc, const char *argv[],
                     void *aux OVS_UNUSED)
{
    struct ds ds = DS_EMPTY_INITIALIZER;
    long long int offset;
    bool fixed;

    if (argc > 1) {
        if (!strcmp(argv[1], "auto")) {
            rtvnic_clock_set_offset(false, 0);
        } else if (str_to_llong(argv[1], 10, &offset)) {
            rtvnic_clock_set_offset(true, offset);
        } else {
            unixctl_command_reply_error(conn, "usage: rtvnic/clock "
                                        "[auto|OFFSET_NS]");
            return;
        }
    }
    offset = rtvnic_clock_get_offset(&fixed);
    ds_put_format(&ds, "monotonic_ns %lld offset_ns %lld (%s)\n",
                  time_usec() * 1000, offset, fixed ? "fixed" : "auto");
    unixctl_command_reply(conn, ds_cstr(&ds));
    ds_destroy(&ds);
}

static void
rtvnic_unixctl_trace_start(struct unixctl_conn *conn, int argc,
                           const char *argv[], void *aux OVS_UNUSED)
{
    unsigned long long int capacity = 1000000;
    char *error;

    if (argc > 2 && !str_to_ullong(argv[2], 10, &capacity)) {
        unixctl_command_reply_error(conn, "usage: rtvnic/trace-start PORT "
                                    "[MAX_RECORDS]");
        return;
    }
    error = rtvnic_trace_start(argv[1], MIN(capacity, SIZE_MAX));
    if (error) {
        unixctl_command_reply_error(conn, error);
        free(error);
    } else {
        unixctl_command_reply(conn, NULL);
    }
}

static void
rtvnic_unixctl_trace_stop(struct unixctl_conn *conn, int argc OVS_UNUSED,
                          const char *argv[], void *aux OVS_UNUSED)
{
    struct ds reply = DS_EMPTY_INITIALIZER;
    char *error = rtvnic_trace_stop(argv[1], argv[2], &reply);

    if (error) {
        unixctl_command_reply_error(conn, error);
        free(error);
    } else {
        unixctl_command_reply(conn, ds_cstr(&reply));
    }
    ds_destroy(&reply);
}

void
rtvnic_bridge_init(void)
{
    unixctl_command_register("rtvnic/show", "[port]", 0, 1,
                             rtvnic_unixctl_show, NULL);
    unixctl_command_register("rtvnic/flows", "[--json|--clear]", 0, 1,
                             rtvnic_unixctl_flows, NULL);
    unixctl_command_register("rtvnic/metrics", "", 0, 0,
                             rtvnic_unixctl_metrics, NULL);
    unixctl_command_register("rtvnic/clock", "[auto|OFFSET_NS]", 0, 1,
                             rtvnic_unixctl_clock, NULL);
    unixctl_command_register("rtvnic/trace-start", "PORT [MAX_RECORDS]", 1, 2,
                             rtvnic_unixctl_trace_start, NULL);
    unixctl_command_register("rtvnic/trace-stop", "PORT FILE", 2, 2,
                             rtvnic_unixctl_trace_stop, NULL);
}

/* Parses the value of 'key' in 'other_config' as an integer from 'min' to
 * 'max' (decimal, or hexadecimal with 0x).  Returns 'dflt' if the key is
 * absent or, with a warning naming the key and value, if it is invalid. */
static unsigned long long int
get_option_number(const struct smap *other_config, const char *key,
                  unsigned long long int min, unsigned long long int max,
                  unsigned long long int dflt)
{
    const char *value = smap_get(other_config, key);
    unsigned long long int x;

    if (!value) {
        return dflt;
    }
    if (!str_to_ullong(value, 0, &x) || x < min || x > max) {
        static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(1, 5);

        VLOG_WARN_RL(&rl, "Open_vSwitch other_config: invalid %s=\"%s\" "
                     "(must be %llu to %llu); using %llu", key, value, min,
                     max, dflt);
        return dflt;
    }
    return x;
}

/* Geneve option classes that belong to others (IANA "Geneve Option Class"
 * registry, RFC 8926): a stamp in one of them would be taken for, or strip,
 * someone else's option. */
static const char *
geneve_class_owner(uint16_t opt_class)
{
    if (opt_class <= 0x00ff) {
        return "the IETF standards range (0x0000-0x00ff)";
    }
    switch (opt_class) {
    case 0x0100:
        return "Linux";
    case 0x0101:
        return "Open vSwitch";
    case 0x0102:
        return "OVN";
    case 0x0103:
        return "the registration after OVN's in IANA's registry";
    default:
        return NULL;
    }
}

/* Limits of the receiver's settings. */
#define RX_MAX_FLOWS_MAX 1048576
#define RX_IDLE_TIMEOUT_MIN 1000
#define RX_IDLE_TIMEOUT_MAX 86400000

void
rtvnic_bridge_reconfigure(const struct smap *other_config)
{
    uint16_t old_class, opt_class;
    uint8_t old_type, type;
    static int refused_class = -1;
    const char *owner;

    rtvnic_stamp_get_option(&old_class, &old_type);
    opt_class = get_option_number(other_config, "rtvnic-geneve-class", 0,
                                  UINT16_MAX, RTVNIC_OPT_CLASS_DEFAULT);
    owner = geneve_class_owner(opt_class);
    if (!owner) {
        refused_class = -1;
    } else {
        /* Warns once per refused value, not on every reconfiguration. */
        if (opt_class != refused_class) {
            VLOG_WARN("Open_vSwitch other_config: rtvnic-geneve-class="
                      "0x%04"PRIx16" belongs to %s; keeping 0x%04"PRIx16,
                      opt_class, owner, old_class);
            refused_class = opt_class;
        }
        opt_class = old_class;
    }
    type = get_option_number(other_config, "rtvnic-geneve-type", 0,
                             UINT8_MAX, RTVNIC_OPT_TYPE_DEFAULT);
    if (opt_class != old_class || type != old_type) {
        VLOG_INFO("RTvNIC stamps use Geneve option class %#"PRIx16", type "
                  "%#"PRIx8, opt_class, type);
        rtvnic_stamp_set_option(opt_class, type);
    }

    rtvnic_rx_set_config(
        smap_get_bool(other_config, "rtvnic-receiver", false),
        get_option_number(other_config, "rtvnic-rx-max-flows", 1,
                          RX_MAX_FLOWS_MAX, RTVNIC_RX_MAX_FLOWS_DEFAULT),
        get_option_number(other_config, "rtvnic-rx-idle-timeout",
                          RX_IDLE_TIMEOUT_MIN, RX_IDLE_TIMEOUT_MAX,
                          RTVNIC_RX_IDLE_TIMEOUT_DEFAULT));
}

/* Miss reports. */

/* One message for the controllers: a single NXT_RTVNIC body, or all parts of
 * a multi-part HEARTBEAT, which are queued to a controller all or none. */
struct rtvnic_out {
    struct ovs_list node;       /* In 'pending'. */
    struct ovs_list bodies;     /* struct ofpbuf, one per NXT_RTVNIC. */
    size_t n_bodies;
};

static long long int next_report_usec;
static long long int last_round_usec;   /* Reports were last taken. */
static long long int next_beat_usec;
static struct ovs_list pending = OVS_LIST_INITIALIZER(&pending);
static bool send_sources;               /* Send each bridge its sources. */
/* Sources that a CONFIG asked for are not sent before this. */
static long long int next_asked_sources_usec;
static struct sset sent_to = SSET_INITIALIZER(&sent_to); /* Controllers. */
static size_t round_dropped;            /* Dropped since reports_due(). */

static void
add_pending(const struct rtvnic_msg *msg)
{
    struct rtvnic_out *out = xmalloc(sizeof *out);

    ovs_list_init(&out->bodies);
    out->n_bodies = rtvnic_msg_encode_parts(msg, &out->bodies);
    ovs_list_push_back(&pending, &out->node);
}

bool
rtvnic_bridge_reports_due(void)
{
    long long int now = time_usec();

    rtvnic_clock_refresh();
    rtvnic_rx_run();
    uint32_t interval = rtvnic_report_interval_us();

    /* A controller that just connected asked for the sources with its
     * CONFIG: without them it cannot act until the next heartbeat. */
    if (rtvnic_is_enabled() && rtvnic_ofp_sources_requested()
        && now >= next_asked_sources_usec) {
        rtvnic_ofp_clear_sources_request();
        next_asked_sources_usec = now + RTVNIC_SOURCES_ASKED_MIN_US;
        send_sources = true;
    }

    /* A switch that neither has RTvNIC sources nor receives stamps has
     * nothing to tell its controllers. */
    if (rtvnic_rx_is_empty()
        && (!rtvnic_is_enabled() || now < next_beat_usec)) {
        rtvnic_rx_urgent_clear();   /* Its flow is gone: no busy wait. */
        return send_sources;
    }
    /* A flow's first misses of an episode are reported at once, in an
     * early round (one per RTVNIC_REPORT_INTERVAL_MIN_US at most) whose
     * interval is the time since the previous round. */
    uint32_t round_us = interval;
    if (now < next_report_usec) {
        if (!rtvnic_rx_urgent_pending()
            || now < last_round_usec + RTVNIC_REPORT_INTERVAL_MIN_US) {
            return send_sources;
        }
        round_us = MAX(now - last_round_usec, 1);
    }
    rtvnic_rx_urgent_clear();

    struct rtvnic_report *reports;
    size_t n = rtvnic_rx_take_reports(&reports, round_us);

    for (size_t i = 0; i < n; i++) {
        struct rtvnic_msg msg = { .type = RTVNIC_MSG_REPORT,
                                  .report = reports[i] };

        add_pending(&msg);
    }
    free(reports);

    if (now >= next_beat_usec) {
        struct rtvnic_msg msg = { .type = RTVNIC_MSG_HEARTBEAT };

        msg.beat.n = rtvnic_rx_take_heartbeat(&msg.beat.entries);
        add_pending(&msg);
        free(msg.beat.entries);
        next_beat_usec = now + RTVNIC_HEARTBEAT_INTERVAL_US;
        send_sources = true;
    }
    next_report_usec = now + interval;
    last_round_usec = now;
    if (ovs_list_is_empty(&pending) && !send_sources) {
        rtvnic_bridge_reports_sent();
        return false;
    }
    return true;
}

/* Sends 'out' to 'ofproto''s controllers and counts what was queued and what
 * the controllers' backlogs dropped. */
static void
send_out(struct ofproto *ofproto, const struct rtvnic_out *out,
         struct sset *done)
{
    size_t sent = 0, dropped = 0;

    ofproto_send_rtvnic(ofproto, &out->bodies, out->n_bodies, done, &sent,
                        &dropped);
    n_msgs_sent += sent;
    if (dropped) {
        COVERAGE_ADD(rtvnic_report_dropped, dropped);
        n_msgs_dropped += dropped;
        round_dropped += dropped;
    }
}

/* Sends 'ofproto''s controllers the RTvNIC sources on its ports. */
static void
send_bridge_sources(struct ofproto *ofproto)
{
    struct rtvnic_msg msg = { .type = RTVNIC_MSG_SOURCES };
    struct rtvnic_source_info *sources;
    size_t n = rtvnic_get_sources(&sources);

    msg.sources.entries = xmalloc((n + 1) * sizeof *msg.sources.entries);
    for (size_t i = 0; i < n; i++) {
        /* Not ofproto_port_query_by_name(): with thousands of ports its
         * linear search in dpif-netdev stalled the main thread for 1 s. */
        ofp_port_t ofp_port = ofproto_port_get_ofp_port_by_name(
            ofproto, sources[i].name);

        if (ofp_port != OFPP_NONE) {
            struct rtvnic_source_entry *e;

            e = &msg.sources.entries[msg.sources.n++];
            e->vnic_id = sources[i].source_id;
            e->ofp_port = ofp_to_u16(ofp_port);
            e->deadline_us = sources[i].deadline_ns / 1000;
            e->effective_us = sources[i].effective_deadline_ns / 1000;
            e->miss_target_ppm = sources[i].miss_target_ppm;
            e->miss_window_ms = sources[i].miss_window_ms;
        }
        free(sources[i].name);
    }
    free(sources);

    if (msg.sources.n) {
        struct rtvnic_out out;

        ovs_list_init(&out.bodies);
        out.n_bodies = rtvnic_msg_encode_parts(&msg, &out.bodies);
        send_out(ofproto, &out, NULL);
        rtvnic_msg_bodies_delete(&out.bodies);
    }
    free(msg.sources.entries);
}

/* Sends every pending message to 'ofproto''s controllers. */
void
rtvnic_bridge_send_reports(struct ofproto *ofproto)
{
    if (send_sources) {
        send_bridge_sources(ofproto);
    }
    if (ovs_list_is_empty(&pending)) {
        return;
    }

    /* A controller that several bridges share gets the reports once. */
    struct sset done = SSET_INITIALIZER(&done);
    const struct rtvnic_out *out;

    LIST_FOR_EACH (out, node, &pending) {
        sset_destroy(&done);
        sset_clone(&done, &sent_to);
        send_out(ofproto, out, &done);
    }
    sset_swap(&sent_to, &done);
    sset_destroy(&done);
}

void
rtvnic_bridge_reports_sent(void)
{
    struct rtvnic_out *out;

    if (round_dropped) {
        static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(1, 5);

        VLOG_WARN_RL(&rl, "controller backlog full: dropped %"PRIuSIZE
                     " RTvNIC messages", round_dropped);
        round_dropped = 0;
    }
    LIST_FOR_EACH_POP (out, node, &pending) {
        rtvnic_msg_bodies_delete(&out->bodies);
        free(out);
    }
    send_sources = false;
    sset_clear(&sent_to);
}

void
rtvnic_bridge_wait(void)
{
    /* Even with no flow yet: the first stamp may bring an urgent miss. */
    rtvnic_rx_urgent_wait(DIV_ROUND_UP(last_round_usec
                                       + RTVNIC_REPORT_INTERVAL_MIN_US,
                                       1000));
    if (!rtvnic_rx_is_empty()) {
        poll_timer_wait_until(DIV_ROUND_UP(next_report_usec, 1000));
    } else if (rtvnic_is_enabled()) {
        poll_timer_wait_until(DIV_ROUND_UP(next_beat_usec, 1000));
    }
    /* A request that is due now was served in this iteration's
     * rtvnic_bridge_reports_due(), unless bridge_run() did not get that far
     * (then it waits for the next round, rather than spin). */
    if (rtvnic_is_enabled() && rtvnic_ofp_sources_requested()
        && next_asked_sources_usec > time_usec()) {
        poll_timer_wait_until(DIV_ROUND_UP(next_asked_sources_usec, 1000));
    }
}
