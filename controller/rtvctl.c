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

/* rtvctl: the RTvNIC controller.
 *
 * Holds OpenFlow connections to the bridges of every host (and of the
 * network switches its policy names), receives their RTvNIC miss reports,
 * heartbeats and source lists (lib/rtvnic-report.h; a list that a switch
 * split into parts is reassembled and acted on only whole), decides per flow
 * what to do (rtvctl-logic.h) and does it: NXT_RTVNIC set_deadline messages to
 * the sending host, DSCP flow_mods on the sending host, DSCP-to-queue
 * flow_mods on the network switches.  Its state is rebuilt from the switches
 * when it (re)connects: effective deadlines from their source lists, DSCP
 * levels from the cookies of its own flows, so a restart sends no burst of
 * flow_mods.  Serves /metrics and /status over HTTP (rtvctl-http.h). */

#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "command-line.h"
#include "daemon.h"
#include "fatal-signal.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/hmap.h"
#include "openvswitch/list.h"
#include "openvswitch/ofp-errors.h"
#include "openvswitch/ofp-flow.h"
#include "openvswitch/ofp-msgs.h"
#include "openvswitch/ofp-parse.h"
#include "openvswitch/ofp-print.h"
#include "openvswitch/ofp-protocol.h"
#include "openvswitch/ofp-switch.h"
#include "openvswitch/ofp-util.h"
#include "openvswitch/ofpbuf.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/rconn.h"
#include "openvswitch/vconn.h"
#include "openvswitch/vlog.h"
#include "ovs-thread.h"
#include "packets.h"
#include "rtvctl-http.h"
#include "rtvctl-logic.h"
#include "rtvctl-policy.h"
#include "rtvnic-report.h"
#include "socket-util.h"
#include "stream-ssl.h"
#include "timeval.h"
#include "unixctl.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(rtvctl);

/* Cookies of rtvctl's DSCP flows: prefix, vNIC id, ladder level. */
#define COOKIE_PREFIX UINT64_C(0x5254560000000000)
#define COOKIE_MASK UINT64_C(0xffffff0000000000)

#define RELAX_TICK_MS 50

struct sw_source {
    struct hmap_node node;      /* In 'sw->sources', by vnic_id. */
    uint16_t vnic_id;
    uint32_t ofp_port;
    uint32_t deadline_us;
    uint32_t effective_us;
};

/* One OpenFlow connection to a switch. */
struct sw {
    struct ovs_list node;       /* In 'switches'. */
    struct hmap_node dpid_node; /* In 'switches_by_dpid', if 'have_dpid'. */
    struct rconn *rconn;
    unsigned int seqno;         /* rconn_get_connection_seqno(). */
    bool have_dpid;
    uint64_t dpid;
    struct hmap sources;        /* struct sw_source, from SOURCES. */
    struct rtvnic_reassembly reasm; /* Multi-part HEARTBEAT, SOURCES. */
    bool dscp_installed[64];    /* Network switch: queue flow installed. */
    bool synced;                /* Its flows with our cookie are known. */
    uint64_t n_reports;
};

/* One RTvNIC flow: a sending host's vNIC. */
struct rt_flow {
    struct hmap_node node;      /* In 'flows'. */
    struct in6_addr sender;
    uint16_t vnic_id;
    struct rtvctl_flow_state st;
    uint64_t packets;           /* From heartbeats. */
};

static struct rtvctl_policy policy;
static char *policy_file;
static char *http_target;
static char *unixctl_path;
static struct ovs_list switches = OVS_LIST_INITIALIZER(&switches);
static struct hmap flows = HMAP_INITIALIZER(&flows);
static struct hmap switches_by_dpid = HMAP_INITIALIZER(&switches_by_dpid);

static uint64_t n_reports, n_bad_messages, n_flow_mods, n_deadlines;
static bool exiting;

static void parse_options(int argc, char *argv[]);
OVS_NO_RETURN static void usage(void);

static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);

/* Sends 'msg' to 'sw'.  A null 'msg' is a message that could not be encoded
 * (rtvnic_msg_to_ofp() refuses a body that does not fit). */
static void
send_msg(struct sw *sw, struct ofpbuf *msg)
{
    if (!msg) {
        VLOG_WARN_RL(&rl, "%s: message too long to encode, not sent",
                     rconn_get_name(sw->rconn));
        return;
    }

    int error = rconn_send(sw->rconn, msg, NULL);

    if (error) {
        VLOG_WARN_RL(&rl, "%s: send failed (%s)", rconn_get_name(sw->rconn),
                     ovs_strerror(error));
        ofpbuf_delete(msg);
    }
}

static enum ofputil_protocol
sw_protocol(const struct sw *sw)
{
    return ofputil_protocol_from_ofp_version(rconn_get_version(sw->rconn));
}

/* Sends 'sw' the flow_mod in 'text' (ovs-ofctl syntax) with 'command'. */
static void
send_flow_mod(struct sw *sw, int command, const char *text)
{
    enum ofputil_protocol usable;
    struct ofputil_flow_mod fm;
    char *error;

    error = parse_ofp_flow_mod_str(&fm, text, NULL, NULL, command, &usable);
    if (error) {
        VLOG_ERR("bad flow_mod \"%s\": %s", text, error);
        free(error);
        return;
    }
    send_msg(sw, ofputil_encode_flow_mod(&fm, sw_protocol(sw)));
    minimatch_destroy(&fm.match);
    free(fm.ofpacts);
    n_flow_mods++;
}

static struct sw *
sw_by_dpid(uint64_t dpid)
{
    struct sw *sw;

    HMAP_FOR_EACH_WITH_HASH (sw, dpid_node, hash_uint64(dpid),
                             &switches_by_dpid) {
        if (sw->dpid == dpid && rconn_is_connected(sw->rconn)) {
            return sw;
        }
    }
    return NULL;
}

static struct sw_source *
sw_source(const struct sw *sw, uint16_t vnic_id)
{
    struct sw_source *s;

    HMAP_FOR_EACH_WITH_HASH (s, node, hash_int(vnic_id, 0), &sw->sources) {
        if (s->vnic_id == vnic_id) {
            return s;
        }
    }
    return NULL;
}

/* The connected host switch that sent 'flow', or NULL. */
static struct sw *
flow_host(const struct rt_flow *flow)
{
    const struct rtvctl_host *host = rtvctl_policy_host_by_ip(&policy,
                                                              &flow->sender);
    return host ? sw_by_dpid(host->datapath_id) : NULL;
}

static struct rt_flow *
flow_get(const struct in6_addr *sender, uint16_t vnic_id)
{
    uint32_t hash = hash_bytes(sender, sizeof *sender, vnic_id);
    struct rt_flow *flow;

    HMAP_FOR_EACH_WITH_HASH (flow, node, hash, &flows) {
        if (flow->vnic_id == vnic_id
            && ipv6_addr_equals(&flow->sender, sender)) {
            return flow;
        }
    }
    flow = xzalloc(sizeof *flow);
    flow->sender = *sender;
    flow->vnic_id = vnic_id;
    rtvctl_flow_state_init(&flow->st);
    flow->st.last_miss_ms = time_msec();
    hmap_insert(&flows, &flow->node, hash);
    return flow;
}

static void
format_flow_name(const struct rt_flow *flow, struct ds *s)
{
    ipv6_format_mapped(&flow->sender, s);
    ds_put_format(s, " vnic %"PRIu16, flow->vnic_id);
}

/* Makes every network switch give DSCP 'dscp' its queue. */
static void
install_queue_flows(uint8_t dscp)
{
    struct sw *sw;

    if (!policy.n_netswitches) {
        return;
    }
    LIST_FOR_EACH (sw, node, &switches) {
        const struct rtvctl_netswitch *ns;

        if (!sw->have_dpid || !sw->synced || !rconn_is_connected(sw->rconn)
            || sw->dscp_installed[dscp]
            || !(ns = rtvctl_policy_netswitch(&policy, sw->dpid))) {
            continue;
        }
        for (size_t i = 0; i < ns->n_queues; i++) {
            if (ns->dscp[i] == dscp) {
                char *text = xasprintf("priority=%u,cookie=%#"PRIx64",ip,"
                                       "nw_tos=%u,actions=set_queue:%"PRIu32
                                       ",normal", policy.escalation_priority,
                                       COOKIE_PREFIX | dscp, dscp << 2,
                                       ns->queue[i]);
                send_flow_mod(sw, OFPFC_ADD, text);
                VLOG_INFO("network switch %#"PRIx64": DSCP %u -> queue %"
                          PRIu32, sw->dpid, dscp, ns->queue[i]);
                free(text);
                sw->dscp_installed[dscp] = true;
            }
        }
    }
}

/* Carries out 'a', decided for 'flow'.  Returns false if it cannot (then
 * the caller forgets the decision). */
static bool
execute(struct rt_flow *flow, const struct rtvctl_action *a)
{
    struct ds name = DS_EMPTY_INITIALIZER;
    struct sw_source *src;
    struct sw *host;
    bool ok = true;

    if (a->type == RTVCTL_ACT_NONE) {
        return true;
    }
    host = flow_host(flow);
    format_flow_name(flow, &name);
    if (!host) {
        VLOG_WARN_RL(&rl, "%s: sending host not connected (or not in the "
                     "policy's hosts): cannot act", ds_cstr(&name));
        ds_destroy(&name);
        return false;
    }

    if (a->type == RTVCTL_ACT_SET_DEADLINE) {
        struct rtvnic_msg msg = {
            .type = RTVNIC_MSG_SET_DEADLINE,
            .set_deadline = { .vnic_id = flow->vnic_id,
                              .deadline_ns = a->deadline_us * 1000 },
        };
        send_msg(host, rtvnic_msg_to_ofp(&msg, rconn_get_version(
                                             host->rconn)));
        n_deadlines++;
    } else if (!(src = sw_source(host, flow->vnic_id))) {
        VLOG_WARN_RL(&rl, "%s: port of the vNIC on its host not known yet",
                     ds_cstr(&name));
        ok = false;
    } else if (a->level == 0) {
        char *text = xasprintf("table=%u,priority=%u,in_port=%"PRIu32",ip",
                               policy.escalation_table,
                               policy.escalation_priority, src->ofp_port);
        send_flow_mod(host, OFPFC_DELETE_STRICT, text);
        free(text);
    } else {
        uint8_t dscp = policy.dscp_ladder[a->level];
        char *text = xasprintf("table=%u,priority=%u,cookie=%#"PRIx64","
                               "in_port=%"PRIu32",ip,actions=mod_nw_tos:%u,"
                               "resubmit(,%u)", policy.escalation_table,
                               policy.escalation_priority,
                               (COOKIE_PREFIX | ((uint64_t) flow->vnic_id
                                                 << 8) | a->level),
                               src->ofp_port, dscp << 2, policy.next_table);
        send_flow_mod(host, OFPFC_ADD, text);
        free(text);
        install_queue_flows(dscp);
    }
    if (ok) {
        VLOG_INFO("%s: %s", ds_cstr(&name), a->why);
    }
    ds_destroy(&name);
    return ok;
}

static void
handle_report(const struct rtvnic_report *r)
{
    struct rt_flow *flow = flow_get(&r->sender, r->vnic_id);
    struct sw *host = flow_host(flow);
    struct sw_source *src = host ? sw_source(host, r->vnic_id) : NULL;
    struct rtvctl_action a;

    n_reports++;
    if (src) {
        flow->st.contract_us = src->deadline_us;
    }
    if (!flow->st.effective_us) {
        flow->st.effective_us = (src ? src->effective_us
                                 : r->deadline_us);
    }
    struct rtvctl_flow_state old = flow->st;
    rtvctl_decide_report(&policy, &flow->st, r, time_msec(), &a);
    if (!execute(flow, &a)) {
        old.reports = flow->st.reports;
        old.misses = flow->st.misses;
        old.last_miss_ms = flow->st.last_miss_ms;
        old.episode_start_ms = flow->st.episode_start_ms;
        old.episode_last_ms = flow->st.episode_last_ms;
        flow->st = old;
    }
}

/* A host's list of sources is the truth about effective deadlines. */
static void
handle_sources(struct sw *sw, const struct rtvnic_msg *msg)
{
    const struct rtvctl_host *host = (sw->have_dpid
                                      ? rtvctl_policy_host_by_dpid(&policy,
                                                                   sw->dpid)
                                      : NULL);
    struct sw_source *s;

    HMAP_FOR_EACH_POP (s, node, &sw->sources) {
        free(s);
    }
    for (size_t i = 0; i < msg->sources.n; i++) {
        const struct rtvnic_source_entry *e = &msg->sources.entries[i];

        s = xmalloc(sizeof *s);
        s->vnic_id = e->vnic_id;
        s->ofp_port = e->ofp_port;
        s->deadline_us = e->deadline_us;
        s->effective_us = e->effective_us;
        hmap_insert(&sw->sources, &s->node, hash_int(s->vnic_id, 0));
        if (host) {
            struct rt_flow *flow = flow_get(&host->tunnel_ip, e->vnic_id);

            flow->st.contract_us = e->deadline_us;
            flow->st.effective_us = e->effective_us;
        }
    }
}

static void
handle_heartbeat(const struct rtvnic_msg *msg)
{
    for (size_t i = 0; i < msg->beat.n; i++) {
        const struct rtvnic_beat_entry *e = &msg->beat.entries[i];

        flow_get(&e->sender, e->vnic_id)->packets += e->packets;
    }
}

/* Rebuilds DSCP levels from rtvctl's own flows on a host. */
static void
handle_flow_stats(struct sw *sw, const struct ofp_header *oh)
{
    const struct rtvctl_host *host = rtvctl_policy_host_by_dpid(&policy,
                                                                sw->dpid);
    struct ofpbuf b = ofpbuf_const_initializer(oh, ntohs(oh->length));
    bool netsw = rtvctl_policy_netswitch(&policy, sw->dpid) != NULL;
    struct ofpbuf ofpacts;
    ofpbuf_init(&ofpacts, 0);
    for (;;) {
        struct ofputil_flow_stats fs;
        int retval = ofputil_decode_flow_stats_reply(&fs, &b, false,
                                                     &ofpacts);
        if (retval) {
            break;
        }
        uint64_t cookie = ntohll(fs.cookie);
        if ((cookie & COOKIE_MASK) == COOKIE_PREFIX && netsw) {
            sw->dscp_installed[cookie & 63] = true;
        } else if ((cookie & COOKIE_MASK) == COOKIE_PREFIX && host) {
            uint16_t vnic = (cookie >> 8) & 0xffff;
            size_t level = cookie & 0xff;

            if (level < policy.n_ladder) {
                struct rt_flow *flow = flow_get(&host->tunnel_ip, vnic);

                if (flow->st.level != level) {
                    struct ds s = DS_EMPTY_INITIALIZER;

                    format_flow_name(flow, &s);
                    VLOG_INFO("%s: resynchronised at DSCP %u from the host's "
                              "flows", ds_cstr(&s), policy.dscp_ladder[level]);
                    ds_destroy(&s);
                }
                if (flow->st.level != level) {
                    /* Give the restored state a full quiet period. */
                    flow->st.last_change_ms = time_msec();
                }
                flow->st.level = level;
            }
        }
    }
    ofpbuf_uninit(&ofpacts);

    if (!ofpmp_more(oh)) {
        /* Now give the classes in use their queues where they lack them. */
        uint64_t in_use = 0;
        struct rt_flow *flow;

        sw->synced = true;
        if (policy.n_netswitches) {
            HMAP_FOR_EACH (flow, node, &flows) {
                if (flow->st.level) {
                    uint8_t dscp = policy.dscp_ladder[flow->st.level];

                    in_use |= UINT64_C(1) << dscp;
                }
            }
        }
        for (int dscp = 0; dscp < 64; dscp++) {
            if (in_use & (UINT64_C(1) << dscp)) {
                install_queue_flows(dscp);
            }
        }
    }
}

static void
on_connect(struct sw *sw)
{
    struct rtvnic_msg msg = {
        .type = RTVNIC_MSG_CONFIG,
        .config = { .report_interval_us = policy.report_interval_ms * 1000 },
    };
    enum ofp_version version = rconn_get_version(sw->rconn);

    if (sw->have_dpid) {
        hmap_remove(&switches_by_dpid, &sw->dpid_node);
    }
    sw->have_dpid = false;
    sw->synced = false;
    rtvnic_reassembly_clear(&sw->reasm);
    memset(sw->dscp_installed, 0, sizeof sw->dscp_installed);
    send_msg(sw, ofpraw_alloc(OFPRAW_OFPT_FEATURES_REQUEST, version, 0));
    send_msg(sw, rtvnic_msg_to_ofp(&msg, version));
}

static void
on_features(struct sw *sw, uint64_t dpid)
{
    struct ofputil_flow_stats_request fsr;

    if (sw->have_dpid) {
        hmap_remove(&switches_by_dpid, &sw->dpid_node);
    }
    sw->dpid = dpid;
    sw->have_dpid = true;
    hmap_insert(&switches_by_dpid, &sw->dpid_node, hash_uint64(dpid));
    VLOG_INFO("%s: connected, datapath ID %#"PRIx64"%s",
              rconn_get_name(sw->rconn), dpid,
              rtvctl_policy_netswitch(&policy, dpid) ? " (network switch)"
              : "");

    /* Learn the DSCP levels (on hosts) or the queue flows (on network
     * switches) that our flows already set up there. */
    memset(&fsr, 0, sizeof fsr);
    fsr.aggregate = false;
    match_init_catchall(&fsr.match);
    fsr.table_id = (rtvctl_policy_netswitch(&policy, dpid)
                    ? 0 : policy.escalation_table);
    fsr.out_port = OFPP_ANY;
    fsr.out_group = OFPG_ANY;
    fsr.cookie = htonll(COOKIE_PREFIX);
    fsr.cookie_mask = htonll(COOKIE_MASK);
    send_msg(sw, ofputil_encode_flow_stats_request(&fsr, sw_protocol(sw)));
}

static void
handle_msg(struct sw *sw, struct ofpbuf *b)
{
    const struct ofp_header *oh = b->data;
    struct rtvnic_msg msg;
    enum ofptype type;
    char *error;

    if (ofptype_decode(&type, oh)) {
        n_bad_messages++;
        return;
    }
    switch ((int) type) {
    case OFPTYPE_ECHO_REQUEST:
        send_msg(sw, ofputil_encode_echo_reply(oh));
        break;
    case OFPTYPE_FEATURES_REPLY: {
        struct ofputil_switch_features features;
        struct ofpbuf bb = ofpbuf_const_initializer(oh, ntohs(oh->length));

        if (!ofputil_pull_switch_features(&bb, &features)) {
            on_features(sw, features.datapath_id);
        }
        break;
    }
    case OFPTYPE_FLOW_STATS_REPLY:
        handle_flow_stats(sw, oh);
        break;
    case OFPTYPE_ERROR: {
        char *s = ofp_to_string(oh, ntohs(oh->length), NULL, NULL, 1);
        VLOG_WARN("%s: %s", rconn_get_name(sw->rconn), s);
        free(s);
        break;
    }
    case OFPTYPE_NXT_RTVNIC:
        error = rtvnic_msg_from_ofp(oh, &msg);
        if (error) {
            VLOG_WARN_RL(&rl, "%s: malformed RTvNIC message: %s",
                         rconn_get_name(sw->rconn), error);
            free(error);
            n_bad_messages++;
            break;
        }
        /* Act on whole lists only: SOURCES replaces the switch's table. */
        bool complete = rtvnic_reassemble(&sw->reasm, &msg, &error);
        if (error) {
            VLOG_WARN_RL(&rl, "%s: %s", rconn_get_name(sw->rconn), error);
            free(error);
            n_bad_messages++;
        }
        if (!complete) {
            rtvnic_msg_uninit(&msg);
            break;
        }
        if (msg.type == RTVNIC_MSG_REPORT) {
            sw->n_reports++;
            handle_report(&msg.report);
        } else if (msg.type == RTVNIC_MSG_HEARTBEAT) {
            handle_heartbeat(&msg);
        } else if (msg.type == RTVNIC_MSG_SOURCES) {
            handle_sources(sw, &msg);
        } else {
            n_bad_messages++;
        }
        rtvnic_msg_uninit(&msg);
        break;
    default:
        break;
    }
}

static void
sw_run(struct sw *sw)
{
    rconn_run(sw->rconn);
    if (sw->seqno != rconn_get_connection_seqno(sw->rconn)) {
        sw->seqno = rconn_get_connection_seqno(sw->rconn);
        if (rconn_is_connected(sw->rconn)) {
            on_connect(sw);
        }
    }
    for (int i = 0; i < 50 && rconn_is_connected(sw->rconn); i++) {
        struct ofpbuf *b = rconn_recv(sw->rconn);

        if (!b) {
            break;
        }
        handle_msg(sw, b);
        ofpbuf_delete(b);
    }
}

static void
new_switch(struct rconn *rconn)
{
    struct sw *sw = xzalloc(sizeof *sw);

    sw->rconn = rconn;
    hmap_init(&sw->sources);
    rtvnic_reassembly_init(&sw->reasm);
    ovs_list_push_back(&switches, &sw->node);
}

static void
sw_destroy(struct sw *sw)
{
    struct sw_source *s;

    ovs_list_remove(&sw->node);
    if (sw->have_dpid) {
        hmap_remove(&switches_by_dpid, &sw->dpid_node);
    }
    HMAP_FOR_EACH_POP (s, node, &sw->sources) {
        free(s);
    }
    hmap_destroy(&sw->sources);
    rtvnic_reassembly_clear(&sw->reasm);
    rconn_destroy(sw->rconn);
    free(sw);
}

static void
relax_all(void)
{
    long long int now = time_msec();
    struct rt_flow *flow;

    HMAP_FOR_EACH (flow, node, &flows) {
        struct rtvctl_flow_state old = flow->st;
        struct rtvctl_action a;

        rtvctl_decide_relax(&policy, &flow->st, now, &a);
        if (!execute(flow, &a)) {
            flow->st = old;
        }
    }
}

/* Metrics and status. */

static size_t
n_connected(void)
{
    struct sw *sw;
    size_t n = 0;

    LIST_FOR_EACH (sw, node, &switches) {
        n += rconn_is_connected(sw->rconn);
    }
    return n;
}

static void
format_labels(const struct rt_flow *flow, struct ds *s)
{
    ds_put_cstr(s, "{sender=\"");
    ipv6_format_mapped(&flow->sender, s);
    ds_put_format(s, "\",vnic=\"%"PRIu16"\"}", flow->vnic_id);
}

static void
format_metrics(struct ds *s)
{
    struct rt_flow *flow;

    ds_put_format(s, "# TYPE rtvctl_reports_received_total counter\n"
                  "rtvctl_reports_received_total %"PRIu64"\n"
                  "# TYPE rtvctl_bad_messages_total counter\n"
                  "rtvctl_bad_messages_total %"PRIu64"\n"
                  "# TYPE rtvctl_flow_mods_sent_total counter\n"
                  "rtvctl_flow_mods_sent_total %"PRIu64"\n"
                  "# TYPE rtvctl_deadline_changes_total counter\n"
                  "rtvctl_deadline_changes_total %"PRIu64"\n"
                  "# TYPE rtvctl_switches_connected gauge\n"
                  "rtvctl_switches_connected %"PRIuSIZE"\n",
                  n_reports, n_bad_messages, n_flow_mods, n_deadlines,
                  n_connected());
    static const char *names[] = {
        "rtvctl_flow_misses_total", "rtvctl_flow_reports_total",
        "rtvctl_flow_stage", "rtvctl_flow_dscp",
        "rtvctl_flow_effective_deadline_us",
    };
    for (size_t m = 0; m < ARRAY_SIZE(names); m++) {
        ds_put_format(s, "# TYPE %s %s\n", names[m],
                      m < 2 ? "counter" : "gauge");
        HMAP_FOR_EACH (flow, node, &flows) {
            uint64_t v[] = {
                flow->st.misses, flow->st.reports,
                (flow->st.level ? 2
                 : !strcmp(rtvctl_stage_name(&flow->st), "tightened")),
                policy.dscp_ladder[flow->st.level], flow->st.effective_us,
            };
            ds_put_cstr(s, names[m]);
            format_labels(flow, s);
            ds_put_format(s, " %"PRIu64"\n", v[m]);
        }
    }
}

static void
format_status(struct ds *s)
{
    struct rt_flow *flow;
    struct sw *sw;
    bool first = true;

    ds_put_format(s, "{\"reports\": %"PRIu64", \"bad_messages\": %"PRIu64
                  ", \"switches\": [", n_reports, n_bad_messages);
    LIST_FOR_EACH (sw, node, &switches) {
        ds_put_format(s, "%s{\"name\": \"%s\", \"connected\": %s, "
                      "\"datapath_id\": \"%#"PRIx64"\"}", first ? "" : ", ",
                      rconn_get_name(sw->rconn),
                      rconn_is_connected(sw->rconn) ? "true" : "false",
                      sw->have_dpid ? sw->dpid : 0);
        first = false;
    }
    ds_put_cstr(s, "], \"flows\": [");
    first = true;
    HMAP_FOR_EACH (flow, node, &flows) {
        ds_put_format(s, "%s{\"sender\": \"", first ? "" : ", ");
        ipv6_format_mapped(&flow->sender, s);
        ds_put_format(s, "\", \"vnic\": %"PRIu16", \"stage\": \"%s\", "
                      "\"dscp\": %u, \"effective_deadline_us\": %"PRIu64", "
                      "\"contract_deadline_us\": %"PRIu64", \"misses\": %"
                      PRIu64", \"reports\": %"PRIu64"}", flow->vnic_id,
                      rtvctl_stage_name(&flow->st),
                      policy.dscp_ladder[flow->st.level],
                      flow->st.effective_us, flow->st.contract_us,
                      flow->st.misses, flow->st.reports);
        first = false;
    }
    ds_put_cstr(s, "]}\n");
}

static void
rtvctl_unixctl_show(struct unixctl_conn *conn, int argc OVS_UNUSED,
                    const char *argv[] OVS_UNUSED, void *aux OVS_UNUSED)
{
    struct ds s = DS_EMPTY_INITIALIZER;
    struct rt_flow *flow;
    struct sw *sw;

    ds_put_format(&s, "reports %"PRIu64", bad messages %"PRIu64", flow_mods "
                  "%"PRIu64", deadline changes %"PRIu64"\n", n_reports,
                  n_bad_messages, n_flow_mods, n_deadlines);
    LIST_FOR_EACH (sw, node, &switches) {
        ds_put_format(&s, "switch %s: %s", rconn_get_name(sw->rconn),
                      rconn_is_connected(sw->rconn) ? "connected"
                      : "disconnected");
        if (sw->have_dpid) {
            ds_put_format(&s, ", datapath ID %#"PRIx64, sw->dpid);
        }
        ds_put_char(&s, '\n');
    }
    HMAP_FOR_EACH (flow, node, &flows) {
        ds_put_cstr(&s, "flow ");
        format_flow_name(flow, &s);
        ds_put_format(&s, ": %s, dscp %u, effective deadline %"PRIu64" us "
                      "(contract %"PRIu64" us), reports %"PRIu64", misses %"
                      PRIu64"\n", rtvctl_stage_name(&flow->st),
                      policy.dscp_ladder[flow->st.level],
                      flow->st.effective_us, flow->st.contract_us,
                      flow->st.reports, flow->st.misses);
    }
    unixctl_command_reply(conn, ds_cstr(&s));
    ds_destroy(&s);
}

static void
rtvctl_unixctl_exit(struct unixctl_conn *conn, int argc OVS_UNUSED,
                    const char *argv[] OVS_UNUSED, void *aux OVS_UNUSED)
{
    exiting = true;
    unixctl_command_reply(conn, NULL);
}

#define MAX_LISTENERS 16

int
main(int argc, char *argv[])
{
    struct pvconn *listeners[MAX_LISTENERS];
    struct unixctl_server *unixctl;
    long long int next_relax = 0, next_publish = 0;
    int n_listeners = 0;
    int retval;
    char *error;

    ovs_cmdl_proctitle_init(argc, argv);
    set_program_name(argv[0]);
    service_start(&argc, &argv);
    parse_options(argc, argv);
    fatal_ignore_sigpipe();

    if (policy_file) {
        error = rtvctl_policy_from_file(policy_file, &policy);
        if (error) {
            ovs_fatal(0, "invalid policy: %s", error);
        }
    } else {
        rtvctl_policy_init_default(&policy);
    }
    if (argc - optind < 1) {
        ovs_fatal(0, "at least one connection method required; "
                  "use --help for usage");
    }

    for (int i = optind; i < argc; i++) {
        const char *name = argv[i];
        uint32_t versions = OFPUTIL_DEFAULT_VERSIONS;
        struct pvconn *pvconn;

        if (!vconn_verify_name(name)) {
            struct rconn *rconn = rconn_create(5, 8, DSCP_DEFAULT, versions);

            rconn_connect(rconn, name, name);
            new_switch(rconn);
        } else if (!pvconn_verify_name(name)) {
            retval = pvconn_open(name, versions, DSCP_DEFAULT, &pvconn);
            if (retval) {
                ovs_fatal(retval, "%s: listen failed", name);
            }
            if (n_listeners >= MAX_LISTENERS) {
                ovs_fatal(0, "at most %d listeners", MAX_LISTENERS);
            }
            listeners[n_listeners++] = pvconn;
        } else {
            ovs_fatal(0, "%s: not an OpenFlow connection method", name);
        }
    }

    daemonize_start(false);
    retval = unixctl_server_create(unixctl_path, &unixctl);
    if (retval) {
        exit(EXIT_FAILURE);
    }
    unixctl_command_register("rtvctl/show", "", 0, 0, rtvctl_unixctl_show,
                             NULL);
    unixctl_command_register("exit", "", 0, 0, rtvctl_unixctl_exit, NULL);
    if (http_target) {
        error = rtvctl_http_start(http_target);
        if (error) {
            ovs_fatal(0, "%s", error);
        }
    }
    daemonize_complete();
    VLOG_INFO("rtvctl started: report interval %"PRIu32" ms, DSCP ladder of "
              "%"PRIuSIZE" steps, %"PRIuSIZE" hosts, %"PRIuSIZE" network "
              "switches", policy.report_interval_ms, policy.n_ladder,
              policy.n_hosts, policy.n_netswitches);

    while (!exiting) {
        struct sw *sw;

        for (int i = 0; i < n_listeners; i++) {
            struct vconn *vconn;

            while (!pvconn_accept(listeners[i], &vconn)) {
                struct rconn *rconn = rconn_create(5, 0, DSCP_DEFAULT,
                                                   OFPUTIL_DEFAULT_VERSIONS);

                rconn_connect_unreliably(rconn, vconn, NULL);
                new_switch(rconn);
            }
        }
        LIST_FOR_EACH_SAFE (sw, node, &switches) {
            sw_run(sw);
            if (!rconn_is_alive(sw->rconn)) {
                VLOG_INFO("%s: connection closed", rconn_get_name(sw->rconn));
                sw_destroy(sw);
            }
        }

        long long int now = time_msec();
        if (now >= next_relax) {
            relax_all();
            next_relax = now + RELAX_TICK_MS;
        }
        if (http_target && now >= next_publish) {
            struct ds metrics = DS_EMPTY_INITIALIZER;
            struct ds status = DS_EMPTY_INITIALIZER;

            format_metrics(&metrics);
            format_status(&status);
            rtvctl_http_publish(&metrics, &status);
            next_publish = now + 100;
        }
        unixctl_server_run(unixctl);

        for (int i = 0; i < n_listeners; i++) {
            pvconn_wait(listeners[i]);
        }
        LIST_FOR_EACH (sw, node, &switches) {
            rconn_run_wait(sw->rconn);
            rconn_recv_wait(sw->rconn);
        }
        poll_timer_wait_until(next_relax);
        if (http_target) {
            poll_timer_wait_until(next_publish);
        }
        unixctl_server_wait(unixctl);
        poll_block();
    }

    /* 'listeners' goes out of scope with main(): close them, or a leak
     * checker counts them as lost. */
    for (int i = 0; i < n_listeners; i++) {
        pvconn_close(listeners[i]);
    }
    unixctl_server_destroy(unixctl);
    return 0;
}

static void
parse_options(int argc, char *argv[])
{
    enum {
        OPT_POLICY = UCHAR_MAX + 1,
        OPT_HTTP,
        OPT_UNIXCTL,
        OPT_PEER_CA_CERT,
        VLOG_OPTION_ENUMS,
        DAEMON_OPTION_ENUMS,
        SSL_OPTION_ENUMS,
    };
    static const struct option long_options[] = {
        {"policy", required_argument, NULL, OPT_POLICY},
        {"http", required_argument, NULL, OPT_HTTP},
        {"unixctl", required_argument, NULL, OPT_UNIXCTL},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {"peer-ca-cert", required_argument, NULL, OPT_PEER_CA_CERT},
        DAEMON_LONG_OPTIONS,
        VLOG_LONG_OPTIONS,
        STREAM_SSL_LONG_OPTIONS,
        {NULL, 0, NULL, 0},
    };
    char *short_options = ovs_cmdl_long_options_to_short_options(long_options);

    for (;;) {
        int c = getopt_long(argc, argv, short_options, long_options, NULL);
        if (c == -1) {
            break;
        }
        switch (c) {
        case OPT_POLICY:
            policy_file = optarg;
            break;
        case OPT_HTTP:
            http_target = optarg;
            break;
        case OPT_UNIXCTL:
            unixctl_path = optarg;
            break;
        case 'h':
            usage();
        case 'V':
            ovs_print_version(0, 0);
            exit(EXIT_SUCCESS);
        case OPT_PEER_CA_CERT:
            stream_ssl_set_peer_ca_cert_file(optarg);
            break;
        VLOG_OPTION_HANDLERS
        DAEMON_OPTION_HANDLERS
        STREAM_SSL_OPTION_HANDLERS
        case '?':
            exit(EXIT_FAILURE);
        default:
            OVS_NOT_REACHED();
        }
    }
    free(short_options);
}

static void
usage(void)
{
    printf("%s: the RTvNIC controller\n"
           "usage: %s [OPTIONS] METHOD...\n"
           "where METHOD is an active (tcp:HOST:PORT, unix:FILE) or passive\n"
           "(ptcp:PORT, punix:FILE) OpenFlow connection method.\n",
           program_name, program_name);
    vconn_usage(true, true, true);
    daemon_usage();
    vlog_usage();
    printf("\nOther options:\n"
           "  --policy=FILE           policy (JSON), see rtvctl(8)\n"
           "  --http=[IP:]PORT        serve /metrics and /status over HTTP\n"
           "  --unixctl=SOCKET        override default control socket name\n"
           "  -h, --help              display this help message\n"
           "  -V, --version           display version information\n");
    exit(EXIT_SUCCESS);
}
