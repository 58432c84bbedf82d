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

/* rtvctl's core: the controller's switches, flows and actions.  The contract
 * is in rtvctl-core.h.  Its state is rebuilt from the switches when they
 * (re)connect: effective deadlines from their source lists, DSCP levels
 * from the cookies of its own flows, so a restart sends no burst of
 * flow_mods. */

#include <config.h>

#include "rtvctl-core.h"

#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "openflow/nicira-ext.h"
#include "openflow/openflow.h"
#include "bitmap.h"
#include "coverage.h"
#include "heap.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/hmap.h"
#include "openvswitch/list.h"
#include "openvswitch/ofp-errors.h"
#include "openvswitch/ofp-flow.h"
#include "openvswitch/ofp-msgs.h"
#include "openvswitch/ofp-parse.h"
#include "openvswitch/ofp-print.h"
#include "openvswitch/ofp-switch.h"
#include "openvswitch/ofp-util.h"
#include "openvswitch/ofpbuf.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/vlog.h"
#include "packets.h"
#include "rtvctl-logic.h"
#include "rtvctl-policy.h"
#include "rtvnic-report.h"
#include "timeval.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(rtvctl);

COVERAGE_DEFINE(rtvctl_heartbeat_unknown_flow);
COVERAGE_DEFINE(rtvctl_cannot_help);

/* Cookies of rtvctl's DSCP flows: prefix, vNIC id, ladder level; a host's
 * base flow (a ladder whose bottom is not DSCP 0) has COOKIE_BASE and its
 * DSCP instead. */
#define COOKIE_PREFIX UINT64_C(0x5254560000000000)
#define COOKIE_MASK UINT64_C(0xffffff0000000000)
#define COOKIE_BASE UINT64_C(0x100000000)

struct sw_source {
    struct hmap_node node;      /* In 'sw->sources', by vnic_id. */
    uint16_t vnic_id;
    uint32_t ofp_port;
    uint32_t deadline_us;
    uint32_t effective_us;
    uint32_t miss_target_ppm;   /* 0: the policy's. */
    uint32_t miss_window_ms;    /* 0: the policy's. */
};

/* One OpenFlow connection to a switch. */
struct rtvctl_sw {
    struct rtvctl_core *core;
    struct ovs_list node;       /* In 'core->switches'. */
    struct hmap_node dpid_node; /* In 'core->switches_by_dpid', if
                                 * 'have_dpid'. */
    char *name;
    rtvctl_send_func *send;
    void *aux;
    bool connected;
    bool refused;               /* Claimed a datapath ID held by another. */
    enum ofp_version version;   /* If 'connected'. */
    bool have_dpid;
    uint64_t dpid;
    struct hmap sources;        /* struct sw_source, from SOURCES. */
    struct rtvnic_reassembly reasm; /* Multi-part HEARTBEAT, SOURCES. */
    bool dscp_installed[64];    /* Network switch: queue flow installed. */
    bool installed_changed;     /* 'dscp_installed' changed since popped. */
    struct ovs_list changed_node;   /* In 'core->sw_changed' if
                                     * 'installed_changed'. */
    bool synced;                /* Its flows with our cookie are known. */
    bool have_sources;          /* A SOURCES arrived since the last sync. */
    int base_dscp;              /* Host: DSCP of its base flow, -1: none
                                 * (as its flows read back said). */
    ovs_be32 stats_xid;         /* Of the flow stats request in flight. */
    unsigned long *seen;        /* vNIC ids with a flow in its reply. */
    uint64_t n_reports;
};

/* The flows of one sending host, so that what concerns one host costs in
 * proportion to its flows, not to every host's (10,000 hosts resync at
 * once when rtvctl starts). */
struct sender_flows {
    struct hmap_node node;      /* In 'core->senders'. */
    struct in6_addr sender;
    struct ovs_list flows;      /* struct rt_flow, by 'sender_node'. */
    bool orphans;               /* Some flow's 'orphan_since' is nonzero. */
};

/* One RTvNIC flow: a sending host's vNIC. */
struct rt_flow {
    struct hmap_node node;      /* In 'core->flows'. */
    struct ovs_list sender_node; /* In its 'sender_flows'. */
    struct sender_flows *sf;
    struct in6_addr sender;
    uint16_t vnic_id;
    struct rtvctl_flow_state st;
    uint64_t packets;           /* From heartbeats. */
    bool changed;               /* 'st' changed since last popped. */
    bool counters_only;         /* 'changed' by its counters only. */
    struct ovs_list changed_node;   /* In 'core->changed' if 'changed'. */
    bool counters_changed;      /* Only its counters changed since then. */
    struct ovs_list counters_node;  /* In 'core->counters_changed' if
                                     * 'counters_changed'. */
    /* When relax_all() looks at it next (see 'core->relax'), LLONG_MAX if
     * never (then not in the heap). */
    struct heap_node relax_node;
    long long int relax_at;
    long long int orphan_since; /* When its host was first seen not
                                 * connected, 0 while it is. */
    uint64_t asked_us;          /* Last effective deadline asked of its
                                 * host, 0 if none... */
    uint64_t asked_from_us;     /* ...instead of this one. */
    long long int warned_ms;    /* Last "cannot help" warning, 0 if none. */
};

struct rtvctl_core {
    const struct rtvctl_policy *policy;
    struct ovs_list switches;   /* struct rtvctl_sw. */
    struct hmap switches_by_dpid;
    struct hmap flows;          /* struct rt_flow. */
    struct hmap senders;        /* struct sender_flows. */
    long long int next_relax;
    long long int next_gc;      /* Of flows whose host is gone. */
    struct hmap_position gc_pos;    /* gc_flows()'s place in 'senders'. */
    uint64_t n_flows_freed;
    uint64_t n_reports, n_bad_messages, n_flow_mods, n_deadlines;

    enum rtvctl_role role;
    bool have_generation;
    uint64_t generation;
    size_t n_changed;           /* Flows with 'changed'. */
    struct ovs_list changed;    /* Those flows, in the order they changed. */
    size_t n_counters_changed;  /* Flows with 'counters_changed'. */
    struct ovs_list counters_changed;   /* Those flows. */

    /* Flows that may be due to relax, soonest first: at 40,000 flows a scan
     * of all of them every relax tick blocked the loop for milliseconds
     * (tens on a loaded machine), delaying every reaction behind it.  A
     * flow's place is at or before rtvctl_relax_due_ms() of its state,
     * brought forward when that state changes (flow_changed(),
     * rtvctl_core_restore_flow()); an early place is harmless (the flow is
     * looked at, found not due and put back), so only a change that makes
     * a flow due sooner must update it, and every such change is a change
     * of what flow_state_equal() compares. */
    struct heap relax;
    size_t n_sw_changed;        /* Switches with 'installed_changed'. */
    struct ovs_list sw_changed; /* Those switches: 10,000 are too many to
                                 * scan for the few with a change at every
                                 * database transaction. */
    bool classes_dropped;       /* A flow left its class (relaxed, freed,
                                 * resynchronised lower): a network switch
                                 * may hold a queue flow no flow uses. */
    long long int acting_since; /* Start, or when it last became leader. */
};

static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);
/* Misses no step can help come with every report while they last: one
 * warning per flow per this many ms. */
#define CANNOT_HELP_WARN_MS 10000

/* Sends 'msg' to 'sw'.  A null 'msg' is a message that could not be encoded
 * (rtvnic_msg_to_ofp() refuses a body that does not fit). */
static void
send_msg(struct rtvctl_sw *sw, struct ofpbuf *msg)
{
    if (!msg) {
        VLOG_WARN_RL(&rl, "%s: message too long to encode, not sent",
                     sw->name);
        return;
    }
    sw->send(msg, sw->aux);
}

static enum ofputil_protocol
sw_protocol(const struct rtvctl_sw *sw)
{
    return ofputil_protocol_from_ofp_version(sw->version);
}

/* Sends 'sw' the flow_mod in 'text' (ovs-ofctl syntax) with 'command'. */
static void
send_flow_mod(struct rtvctl_sw *sw, int command, const char *text)
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
    sw->core->n_flow_mods++;
}

static struct rtvctl_sw *
sw_by_dpid(const struct rtvctl_core *c, uint64_t dpid)
{
    struct rtvctl_sw *sw;

    HMAP_FOR_EACH_WITH_HASH (sw, dpid_node, hash_uint64(dpid),
                             &c->switches_by_dpid) {
        if (sw->dpid == dpid && sw->connected) {
            return sw;
        }
    }
    return NULL;
}

static struct sw_source *
sw_source(const struct rtvctl_sw *sw, uint16_t vnic_id)
{
    struct sw_source *s;

    HMAP_FOR_EACH_WITH_HASH (s, node, hash_int(vnic_id, 0), &sw->sources) {
        if (s->vnic_id == vnic_id) {
            return s;
        }
    }
    return NULL;
}

/* The connected host switch whose address is 'sender', or NULL. */
static struct rtvctl_sw *
sender_host(const struct rtvctl_core *c, const struct in6_addr *sender)
{
    const struct rtvctl_host *host = rtvctl_policy_host_by_ip(c->policy,
                                                              sender);
    return host ? sw_by_dpid(c, host->datapath_id) : NULL;
}

/* The connected host switch that sent 'flow', or NULL. */
static struct rtvctl_sw *
flow_host(const struct rtvctl_core *c, const struct rt_flow *flow)
{
    return sender_host(c, &flow->sender);
}

static struct sender_flows *
sender_flows_get(struct rtvctl_core *c, const struct in6_addr *sender,
                 bool create)
{
    uint32_t hash = hash_bytes(sender, sizeof *sender, 0);
    struct sender_flows *sf;

    HMAP_FOR_EACH_WITH_HASH (sf, node, hash, &c->senders) {
        if (ipv6_addr_equals(&sf->sender, sender)) {
            return sf;
        }
    }
    if (!create) {
        return NULL;
    }
    sf = xzalloc(sizeof *sf);
    sf->sender = *sender;
    ovs_list_init(&sf->flows);
    hmap_insert(&c->senders, &sf->node, hash);
    return sf;
}

static void
flow_set_changed(struct rtvctl_core *c, struct rt_flow *flow)
{
    flow->counters_only = false;
    if (!flow->changed) {
        flow->changed = true;
        c->n_changed++;
        ovs_list_push_back(&c->changed, &flow->changed_node);
    }
}

static void
flow_clear_changed(struct rtvctl_core *c, struct rt_flow *flow)
{
    if (flow->changed) {
        flow->changed = false;
        c->n_changed--;
        ovs_list_remove(&flow->changed_node);
    }
}

static void
flow_set_counters_changed(struct rtvctl_core *c, struct rt_flow *flow)
{
    if (!flow->counters_changed) {
        flow->counters_changed = true;
        c->n_counters_changed++;
        ovs_list_push_back(&c->counters_changed, &flow->counters_node);
    }
}

static void
flow_clear_counters_changed(struct rtvctl_core *c, struct rt_flow *flow)
{
    if (flow->counters_changed) {
        flow->counters_changed = false;
        c->n_counters_changed--;
        ovs_list_remove(&flow->counters_node);
    }
}

/* Heap priority of a time: the soonest is the maximum. */
static uint64_t
relax_priority(long long int when)
{
    return UINT64_MAX - (uint64_t) when;
}

/* Puts 'flow' at 'when' in 'c->relax' (LLONG_MAX: out of it). */
static void
relax_set(struct rtvctl_core *c, struct rt_flow *flow, long long int when)
{
    if (when == flow->relax_at) {
        return;
    } else if (flow->relax_at == LLONG_MAX) {
        heap_insert(&c->relax, &flow->relax_node, relax_priority(when));
    } else if (when == LLONG_MAX) {
        heap_remove(&c->relax, &flow->relax_node);
    } else {
        heap_change(&c->relax, &flow->relax_node, relax_priority(when));
    }
    flow->relax_at = when;
}

/* Places 'flow' in 'c->relax' for its state now, if that is sooner than
 * its place.  A later due time (every miss postpones relaxing) leaves the
 * flow where it is: relax_all() then finds it not due and places it again.
 * Moving it down a heap of 40,000 flows at every report cost a tenth of
 * rtvctl's CPU time in the benchmark. */
static void
relax_schedule(struct rtvctl_core *c, struct rt_flow *flow)
{
    long long int when = rtvctl_relax_due_ms(c->policy, &flow->st);

    if (when < flow->relax_at) {
        relax_set(c, flow, when);
    }
}

/* Removes 'flow' from 'c' and frees it. */
static void
flow_destroy(struct rtvctl_core *c, struct rt_flow *flow)
{
    flow_clear_changed(c, flow);
    flow_clear_counters_changed(c, flow);
    relax_set(c, flow, LLONG_MAX);
    hmap_remove(&c->flows, &flow->node);
    ovs_list_remove(&flow->sender_node);
    if (ovs_list_is_empty(&flow->sf->flows)) {
        hmap_remove(&c->senders, &flow->sf->node);
        free(flow->sf);
    }
    free(flow);
}

static struct rt_flow *
flow_find(const struct rtvctl_core *c, const struct in6_addr *sender,
          uint16_t vnic_id)
{
    uint32_t hash = hash_bytes(sender, sizeof *sender, vnic_id);
    struct rt_flow *flow;

    HMAP_FOR_EACH_WITH_HASH (flow, node, hash, &c->flows) {
        if (flow->vnic_id == vnic_id
            && ipv6_addr_equals(&flow->sender, sender)) {
            return flow;
        }
    }
    return NULL;
}

static struct rt_flow *
flow_get(struct rtvctl_core *c, const struct in6_addr *sender,
         uint16_t vnic_id)
{
    uint32_t hash = hash_bytes(sender, sizeof *sender, vnic_id);
    struct rt_flow *flow = flow_find(c, sender, vnic_id);

    if (flow) {
        return flow;
    }
    flow = xzalloc(sizeof *flow);
    flow->sender = *sender;
    flow->vnic_id = vnic_id;
    flow->sf = sender_flows_get(c, sender, true);
    ovs_list_push_back(&flow->sf->flows, &flow->sender_node);
    rtvctl_flow_state_init(&flow->st);
    flow->st.last_miss_ms = time_msec();
    flow->relax_at = LLONG_MAX;
    hmap_insert(&c->flows, &flow->node, hash);
    flow_set_changed(c, flow);
    relax_schedule(c, flow);
    return flow;
}

static void
format_flow_name(const struct rt_flow *flow, struct ds *s)
{
    ipv6_format_mapped(&flow->sender, s);
    ds_put_format(s, " vnic %"PRIu16, flow->vnic_id);
}

/* Whether 'a' and 'b' agree on what a new leader needs to continue: all
 * but the report and miss counters, which are for people to read. */
static bool
flow_state_equal(const struct rtvctl_flow_state *a,
                 const struct rtvctl_flow_state *b)
{
    return (a->contract_us == b->contract_us
            && a->effective_us == b->effective_us
            && a->level == b->level
            && a->last_miss_ms == b->last_miss_ms
            && a->last_change_ms == b->last_change_ms
            && a->last_relax_ms == b->last_relax_ms
            && a->episode_start_ms == b->episode_start_ms
            && a->episode_last_ms == b->episode_last_ms
            && a->quiet_factor == b->quiet_factor);
}

/* 'flow''s state changed (what flow_state_equal() compares). */
static void
flow_changed(struct rtvctl_core *c, struct rt_flow *flow)
{
    flow_set_changed(c, flow);
    relax_schedule(c, flow);
}

/* Marks 'flow' changed if its state differs from 'old', or its counters
 * changed if only they do. */
static void
flow_check_changed(struct rtvctl_core *c, struct rt_flow *flow,
                   const struct rtvctl_flow_state *old)
{
    if (!flow_state_equal(old, &flow->st)) {
        flow_changed(c, flow);
    } else if (old->reports != flow->st.reports
               || old->misses != flow->st.misses) {
        flow_set_counters_changed(c, flow);
    }
}

static void
sw_installed_changed(struct rtvctl_sw *sw)
{
    if (!sw->installed_changed) {
        sw->installed_changed = true;
        sw->core->n_sw_changed++;
        ovs_list_push_back(&sw->core->sw_changed, &sw->changed_node);
    }
}

/* An OpenFlow role request: PRIMARY or SECONDARY with 'generation'. */
static struct ofpbuf *
encode_role_request(enum ofp_version version,
                    enum ofp12_controller_role role, uint64_t generation)
{
    struct ofpbuf *b;

    if (version >= OFP12_VERSION) {
        struct ofp12_role_request *rr;

        b = ofpraw_alloc(OFPRAW_OFPT12_ROLE_REQUEST, version, 0);
        rr = ofpbuf_put_zeros(b, sizeof *rr);
        rr->role = htonl(role);
        rr->generation_id = htonll(generation);
    } else {
        struct nx_role_request *nrr;

        b = ofpraw_alloc(OFPRAW_NXT_ROLE_REQUEST, version, 0);
        nrr = ofpbuf_put_zeros(b, sizeof *nrr);
        nrr->role = htonl(role == OFPCR12_ROLE_PRIMARY ? NX_ROLE_PRIMARY
                          : NX_ROLE_SECONDARY);
    }
    return b;
}

/* The NXT_RTVNIC CONFIG message that tells a switch what 'p' wants of its
 * reports. */
static struct ofpbuf *
encode_config(const struct rtvctl_policy *p, enum ofp_version version)
{
    struct rtvnic_msg msg = {
        .type = RTVNIC_MSG_CONFIG,
        .config = {
            .report_interval_us = p->report_interval_ms * 1000,
            .near_permille = p->near_miss_permille,
        },
    };

    return rtvnic_msg_to_ofp(&msg, version);
}

/* The flow that gives DSCP 'dscp' its queue on a network switch, in the
 * policy's 'network_table': it chooses the queue and continues with the
 * switch's own pipeline at 'network_next_table', so the operator's ACLs
 * there still apply (NORMAL here would skip them). */
static char *
queue_flow_text(const struct rtvctl_policy *p, uint8_t dscp, uint32_t queue)
{
    return xasprintf("table=%u,priority=%u,cookie=%#"PRIx64",ip,nw_tos=%u,"
                     "actions=set_queue:%"PRIu32",goto_table:%u",
                     p->network_table, p->escalation_priority,
                     COOKIE_PREFIX | dscp, dscp << 2, queue,
                     p->network_next_table);
}

/* Makes every network switch give DSCP 'dscp' its queue. */
static void
install_queue_flows(struct rtvctl_core *c, uint8_t dscp)
{
    const struct rtvctl_policy *p = c->policy;
    struct rtvctl_sw *sw;

    if (!p->n_netswitches || c->role == RTVCTL_ROLE_STANDBY) {
        return;
    }
    LIST_FOR_EACH (sw, node, &c->switches) {
        const struct rtvctl_netswitch *ns;

        if (!sw->have_dpid || !sw->synced || !sw->connected
            || sw->dscp_installed[dscp]
            || !(ns = rtvctl_policy_netswitch(p, sw->dpid))) {
            continue;
        }
        for (size_t i = 0; i < ns->n_queues; i++) {
            if (ns->dscp[i] == dscp) {
                char *text = queue_flow_text(p, dscp, ns->queue[i]);

                send_flow_mod(sw, OFPFC_ADD, text);
                VLOG_INFO("network switch %#"PRIx64": DSCP %u -> queue %"
                          PRIu32, sw->dpid, dscp, ns->queue[i]);
                free(text);
                sw->dscp_installed[dscp] = true;
                sw_installed_changed(sw);
            }
        }
    }
}

/* The DSCPs of the ladder levels that some flow is at (the base class,
 * level 0, is never counted: it needs no queue flow). */
static uint64_t
classes_in_use(const struct rtvctl_core *c)
{
    const struct rt_flow *flow;
    uint64_t in_use = 0;

    HMAP_FOR_EACH (flow, node, &c->flows) {
        if (flow->st.level) {
            in_use |= UINT64_C(1) << c->policy->dscp_ladder[flow->st.level];
        }
    }
    return in_use;
}

/* Removes from network switch 'sw' the queue flows of the DSCPs not in
 * 'in_use': a class no escalated flow uses must not give whoever else marks
 * that DSCP its queue.  install_queue_flows() puts one back when a flow
 * needs it again. */
static void
remove_queue_flows(struct rtvctl_sw *sw, uint64_t in_use)
{
    const struct rtvctl_policy *p = sw->core->policy;

    for (int dscp = 0; dscp < 64; dscp++) {
        if (sw->dscp_installed[dscp]
            && !(in_use & (UINT64_C(1) << dscp))) {
            char *text = xasprintf("table=%u,priority=%u,ip,nw_tos=%u",
                                   p->network_table, p->escalation_priority,
                                   dscp << 2);
            send_flow_mod(sw, OFPFC_DELETE_STRICT, text);
            free(text);
            VLOG_INFO("network switch %#"PRIx64": DSCP %d no longer in use, "
                      "its queue flow removed", sw->dpid, dscp);
            sw->dscp_installed[dscp] = false;
            sw_installed_changed(sw);
        }
    }
}

/* Whether 'c' knows the level of every flow that may use a class: each
 * policy host is connected with its flows read back, or 'c' has acted for
 * disconnected_grace_ms (then a host still away has its flows freed, as
 * gc_flows() does, and its classes count no more).  Before that, a host
 * that has not reconnected since a restart or a failover may still send
 * escalated packets that need their queue. */
static bool
levels_known(const struct rtvctl_core *c)
{
    const struct rtvctl_policy *p = c->policy;

    if (time_msec() - c->acting_since >= p->disconnected_grace_ms) {
        return true;
    }
    for (size_t i = 0; i < p->n_hosts; i++) {
        const struct rtvctl_sw *sw = sw_by_dpid(c, p->hosts[i].datapath_id);

        if (!sw || !sw->synced) {
            return false;
        }
    }
    return true;
}

/* Removes every network switch's queue flows that no flow uses, or leaves
 * 'c->classes_dropped' set to try again later if it cannot tell yet. */
static void
remove_unused_queue_flows(struct rtvctl_core *c)
{
    struct rtvctl_sw *sw;

    if (!c->policy->n_netswitches) {
        return;
    }
    if (!levels_known(c)) {
        c->classes_dropped = true;
        return;
    }

    uint64_t in_use = classes_in_use(c);
    LIST_FOR_EACH (sw, node, &c->switches) {
        if (sw->have_dpid && sw->synced && sw->connected
            && rtvctl_policy_netswitch(c->policy, sw->dpid)) {
            remove_queue_flows(sw, in_use);
        }
    }
}

/* Carries out 'a', decided for 'flow'.  Returns false if it cannot (then
 * the caller forgets the decision). */
static bool
execute(struct rtvctl_core *c, struct rt_flow *flow,
        const struct rtvctl_action *a)
{
    const struct rtvctl_policy *p = c->policy;
    struct ds name = DS_EMPTY_INITIALIZER;
    struct sw_source *src;
    struct rtvctl_sw *host;
    bool ok = true;

    if (a->type == RTVCTL_ACT_NONE) {
        if (a->cannot_help && c->role != RTVCTL_ROLE_STANDBY) {
            /* The contract is broken where rtvctl cannot mend it: the
             * operator can (the hosts' load, their admission).  Once per
             * flow per interval, so that no flow hides another's. */
            long long int now = time_msec();

            COVERAGE_INC(rtvctl_cannot_help);
            if (!flow->warned_ms
                || now - flow->warned_ms >= CANNOT_HELP_WARN_MS) {
                flow->warned_ms = now;
                format_flow_name(flow, &name);
                VLOG_WARN("%s: %s", ds_cstr(&name), a->why);
                ds_destroy(&name);
            }
        }
        return true;
    }
    if (c->role == RTVCTL_ROLE_STANDBY) {
        return false;
    }
    host = flow_host(c, flow);
    format_flow_name(flow, &name);
    if (!host) {
        VLOG_WARN_RL(&rl, "%s: sending host not connected (or not in the "
                     "policy's hosts): cannot act", ds_cstr(&name));
        ds_destroy(&name);
        return false;
    }
    if (c->role == RTVCTL_ROLE_LEADER
        && (!host->synced || !host->have_sources)) {
        /* A previous leader may have acted on this host after it last
         * wrote the database: learn what the host has first. */
        VLOG_INFO_RL(&rl, "%s: waiting for the host's flows and sources "
                     "before acting", ds_cstr(&name));
        ds_destroy(&name);
        return false;
    }

    if (a->type == RTVCTL_ACT_SET_DEADLINE) {
        struct rtvnic_msg msg = {
            .type = RTVNIC_MSG_SET_DEADLINE,
            .set_deadline = { .vnic_id = flow->vnic_id,
                              .deadline_ns = a->deadline_us * 1000 },
        };
        send_msg(host, rtvnic_msg_to_ofp(&msg, host->version));
        c->n_deadlines++;
        flow->asked_us = a->deadline_us;
        flow->asked_from_us = a->from_us;
    } else if (!(src = sw_source(host, flow->vnic_id))) {
        VLOG_WARN_RL(&rl, "%s: port of the vNIC on its host not known yet",
                     ds_cstr(&name));
        ok = false;
    } else if (a->level == 0) {
        char *text = xasprintf("table=%u,priority=%u,in_port=%"PRIu32",ip",
                               p->escalation_table,
                               p->escalation_priority, src->ofp_port);
        send_flow_mod(host, OFPFC_DELETE_STRICT, text);
        free(text);
        c->classes_dropped = true;
    } else {
        uint8_t dscp = p->dscp_ladder[a->level];
        char *text = xasprintf("table=%u,priority=%u,cookie=%#"PRIx64","
                               "in_port=%"PRIu32",ip,actions=set_field:%u"
                               "->tun_tos,resubmit(,%u)",
                               p->escalation_table,
                               p->escalation_priority,
                               (COOKIE_PREFIX | ((uint64_t) flow->vnic_id
                                                 << 8) | a->level),
                               src->ofp_port, dscp << 2, p->next_table);
        send_flow_mod(host, OFPFC_ADD, text);
        free(text);
        install_queue_flows(c, dscp);
        /* The flow may have left a class (relax_all() sweeps). */
        c->classes_dropped = true;
    }
    if (ok) {
        VLOG_INFO("%s: %s", ds_cstr(&name), a->why);
    }
    ds_destroy(&name);
    return ok;
}

static void
handle_report(struct rtvctl_core *c, const struct rtvnic_report *r)
{
    if (c->role == RTVCTL_ROLE_STANDBY) {
        return;
    }

    struct rt_flow *flow = flow_get(c, &r->sender, r->vnic_id);
    struct rtvctl_sw *host = flow_host(c, flow);
    struct sw_source *src = host ? sw_source(host, r->vnic_id) : NULL;
    struct rtvctl_flow_state before = flow->st;
    struct rtvctl_action a;

    c->n_reports++;
    if (src) {
        flow->st.contract_us = src->deadline_us;
        flow->st.miss_target_ppm = src->miss_target_ppm;
        flow->st.miss_window_ms = src->miss_window_ms;
    }
    if (!flow->st.effective_us) {
        flow->st.effective_us = (src ? src->effective_us
                                 : r->deadline_us);
    }
    struct rtvctl_flow_state old = flow->st;
    rtvctl_decide_report(c->policy, &flow->st, r, time_msec(), &a);
    if (!execute(c, flow, &a)) {
        old.reports = flow->st.reports;
        old.misses = flow->st.misses;
        old.near_misses = flow->st.near_misses;
        old.last_miss_ms = flow->st.last_miss_ms;
        old.episode_start_ms = flow->st.episode_start_ms;
        old.episode_last_ms = flow->st.episode_last_ms;
        /* The window keeps the report's misses and near misses (emptied
         * if the decision emptied it: then evidence is gathered again). */
        memcpy(old.win, flow->st.win, sizeof old.win);
        old.win_epoch = flow->st.win_epoch;
        old.win_bucket_ms = flow->st.win_bucket_ms;
        old.win_start_ms = flow->st.win_start_ms;
        old.rate_pps = flow->st.rate_pps;
        old.rate_beat_ms = flow->st.rate_beat_ms;
        flow->st = old;
    }
    flow_check_changed(c, flow, &before);
}

/* An error 'oh' from 'sw': if it refuses the latest effective deadline
 * asked for one of its flows (its admission control would not keep the
 * other sources' guarantees), the deadline the host kept becomes the flow's
 * floor, so that the flow does not ask again and again but moves on to
 * stage 2. */
static void
handle_error(struct rtvctl_sw *sw, const struct ofp_header *oh)
{
    struct rtvctl_core *c = sw->core;
    const struct rtvctl_host *host;
    struct ofpbuf payload;
    struct rtvnic_msg msg;
    char *error;

    if (c->role == RTVCTL_ROLE_STANDBY || !sw->have_dpid
        || !(host = rtvctl_policy_host_by_dpid(c->policy, sw->dpid))) {
        return;
    }
    /* The echoed request is the switch's word: decoded only if it is a
     * whole NXT_RTVNIC message (rtvnic_msg_from_ofp() asserts that). */
    const struct ofp_header *req = NULL;
    enum ofptype type;
    if (ofperr_decode_msg(oh, &payload) == OFPERR_OFPBRC_EPERM
        && payload.size >= sizeof *req) {
        req = payload.data;
        if (ntohs(req->length) != payload.size
            || ofptype_decode(&type, req) || type != OFPTYPE_NXT_RTVNIC) {
            req = NULL;
        }
    }
    if (!req) {
        ofpbuf_uninit(&payload);
        return;
    }
    error = rtvnic_msg_from_ofp(req, &msg);
    ofpbuf_uninit(&payload);
    if (error) {
        free(error);
        return;
    }
    if (msg.type == RTVNIC_MSG_SET_DEADLINE) {
        struct rt_flow *flow = flow_find(c, &host->tunnel_ip,
                                         msg.set_deadline.vnic_id);
        uint64_t us = msg.set_deadline.deadline_ns / 1000;

        if (flow && flow->asked_us && flow->asked_us == us
            && us < flow->asked_from_us) {
            struct rtvctl_flow_state old = flow->st;
            struct ds name = DS_EMPTY_INITIALIZER;

            rtvctl_flow_deadline_refused(&flow->st, us, flow->asked_from_us,
                                         time_msec());
            format_flow_name(flow, &name);
            VLOG_INFO("%s: host refused deadline %"PRIu64" us: %"PRIu64
                      " us is its floor", ds_cstr(&name), us,
                      flow->asked_from_us);
            flow->asked_us = flow->asked_from_us = 0;
            ds_destroy(&name);
            flow_check_changed(c, flow, &old);
        }
    }
    rtvnic_msg_uninit(&msg);
}

/* A host's list of sources is the truth about effective deadlines. */
static void
handle_sources(struct rtvctl_sw *sw, const struct rtvnic_msg *msg)
{
    struct rtvctl_core *c = sw->core;
    const struct rtvctl_host *host = (sw->have_dpid
                                      && c->role != RTVCTL_ROLE_STANDBY
                                      ? rtvctl_policy_host_by_dpid(c->policy,
                                                                   sw->dpid)
                                      : NULL);
    struct sw_source *s;

    sw->have_sources = true;
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
        s->miss_target_ppm = e->miss_target_ppm;
        s->miss_window_ms = e->miss_window_ms;
        hmap_insert(&sw->sources, &s->node, hash_int(s->vnic_id, 0));
        if (host) {
            struct rt_flow *flow = flow_get(c, &host->tunnel_ip, e->vnic_id);
            struct rtvctl_flow_state old = flow->st;

            flow->st.contract_us = e->deadline_us;
            flow->st.effective_us = e->effective_us;
            flow->st.miss_target_ppm = e->miss_target_ppm;
            flow->st.miss_window_ms = e->miss_window_ms;
            flow_check_changed(c, flow, &old);
        }
    }
}

static void
handle_heartbeat(struct rtvctl_core *c, const struct rtvnic_msg *msg)
{
    if (c->role == RTVCTL_ROLE_STANDBY) {
        return;
    }
    for (size_t i = 0; i < msg->beat.n; i++) {
        const struct rtvnic_beat_entry *e = &msg->beat.entries[i];

        struct rt_flow *flow = flow_find(c, &e->sender, e->vnic_id);

        /* A heartbeat lists whatever the receiver saw: it creates only
         * flows of a policy's host whose source list names that vNIC, so
         * that it cannot grow the table beyond the real sources. */
        if (!flow) {
            const struct rtvctl_host *host
                = rtvctl_policy_host_by_ip(c->policy, &e->sender);
            struct rtvctl_sw *sw = (host
                                    ? sw_by_dpid(c, host->datapath_id)
                                    : NULL);

            if (!sw || !sw_source(sw, e->vnic_id)) {
                COVERAGE_INC(rtvctl_heartbeat_unknown_flow);
                continue;
            }
            flow = flow_get(c, &e->sender, e->vnic_id);
        }
        flow->packets += e->packets;
        /* The windowed miss ratio's denominator: heartbeats come once a
         * second and count every packet of it. */
        rtvctl_flow_note_packets(c->policy, &flow->st, e->packets,
                                 RTVNIC_HEARTBEAT_INTERVAL_US / 1000,
                                 time_msec());
    }
}

/* The switch says 'flow' is at 'level': believe it. */
static void
adopt_level(struct rtvctl_core *c, struct rt_flow *flow, size_t level)
{
    if (flow->st.level != level) {
        struct ds s = DS_EMPTY_INITIALIZER;

        format_flow_name(flow, &s);
        VLOG_INFO("%s: resynchronised at DSCP %u from the host's flows",
                  ds_cstr(&s), c->policy->dscp_ladder[level]);
        ds_destroy(&s);
        /* Give the restored state a full quiet period. */
        flow->st.last_change_ms = time_msec();
        if (level < flow->st.level) {
            c->classes_dropped = true;
        }
        flow->st.level = level;
        flow_changed(c, flow);
    }
}

/* Gives host 'sw' the flow that marks every IP packet with the bottom of the
 * ladder, if that is not DSCP 0 (what a tunnel with options:tos=flow sends
 * when no flow marks a packet), or removes one that a previous policy left.
 * It is in the escalation table at one below the escalation flows, so that
 * those take precedence. */
static void
sync_base_flow(struct rtvctl_sw *sw)
{
    const struct rtvctl_policy *p = sw->core->policy;
    int base = p->dscp_ladder[0];
    unsigned int priority = p->escalation_priority - 1;
    char *text;

    if (base == sw->base_dscp || (!base && sw->base_dscp < 0)) {
        return;
    }
    if (base) {
        text = xasprintf("table=%u,priority=%u,cookie=%#"PRIx64",ip,"
                         "actions=set_field:%d->tun_tos,resubmit(,%u)",
                         p->escalation_table, priority,
                         COOKIE_PREFIX | COOKIE_BASE | base, base << 2,
                         p->next_table);
        send_flow_mod(sw, OFPFC_ADD, text);
        VLOG_INFO("host %#"PRIx64": base DSCP %d", sw->dpid, base);
        sw->base_dscp = base;
    } else {
        text = xasprintf("table=%u,priority=%u,ip", p->escalation_table,
                         priority);
        send_flow_mod(sw, OFPFC_DELETE_STRICT, text);
        VLOG_INFO("host %#"PRIx64": base DSCP flow removed (base DSCP 0)",
                  sw->dpid);
        sw->base_dscp = -1;
    }
    free(text);
}

/* Rebuilds DSCP levels from rtvctl's own flows on a host. */
static void
handle_flow_stats(struct rtvctl_sw *sw, const struct ofp_header *oh)
{
    struct rtvctl_core *c = sw->core;
    const struct rtvctl_policy *p = c->policy;
    const struct rtvctl_host *host = rtvctl_policy_host_by_dpid(p, sw->dpid);
    struct ofpbuf b = ofpbuf_const_initializer(oh, ntohs(oh->length));
    bool netsw = rtvctl_policy_netswitch(p, sw->dpid) != NULL;
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
        if ((cookie & (COOKIE_MASK | COOKIE_BASE))
            == (COOKIE_PREFIX | COOKIE_BASE)) {
            sw->base_dscp = cookie & 63;
        } else if ((cookie & COOKIE_MASK) == COOKIE_PREFIX && netsw) {
            if (!sw->dscp_installed[cookie & 63]) {
                sw->dscp_installed[cookie & 63] = true;
                sw_installed_changed(sw);
            }
        } else if ((cookie & COOKIE_MASK) == COOKIE_PREFIX && host
                   && c->role != RTVCTL_ROLE_STANDBY) {
            uint16_t vnic = (cookie >> 8) & 0xffff;
            size_t level = cookie & 0xff;

            if (level < p->n_ladder) {
                adopt_level(c, flow_get(c, &host->tunnel_ip, vnic), level);
                if (sw->seen) {
                    bitmap_set1(sw->seen, vnic);
                }
            }
        }
    }
    ofpbuf_uninit(&ofpacts);

    if (!ofpmp_more(oh)) {
        /* Now give the classes in use their queues where they lack them. */
        uint64_t in_use = 0;
        struct rt_flow *flow;

        /* A host without the flow of an escalated flow of ours lost it (it
         * restarted, or a leader relaxed it and died before it wrote
         * that down): the flow is at the bottom of the ladder. */
        struct sender_flows *sf = (host
                                   ? sender_flows_get(c, &host->tunnel_ip,
                                                      false)
                                   : NULL);
        if (sf && sw->seen) {
            LIST_FOR_EACH (flow, sender_node, &sf->flows) {
                if (flow->st.level
                    && !bitmap_is_set(sw->seen, flow->vnic_id)) {
                    adopt_level(c, flow, 0);
                }
            }
        }
        free(sw->seen);
        sw->seen = NULL;
        sw->synced = true;
        if (host && c->role != RTVCTL_ROLE_STANDBY) {
            sync_base_flow(sw);
        }
        if (netsw) {
            sw_installed_changed(sw);
        }
        /* A network switch needs a queue for every class in use; a host's
         * sync can only bring its own flows' classes into use. */
        if (p->n_netswitches && netsw) {
            /* ...and none for a class nobody uses (a leader that died
             * before it removed one left it behind). */
            in_use = classes_in_use(c);
            if (c->role == RTVCTL_ROLE_STANDBY) {
                /* Acts on nothing. */
            } else if (levels_known(c)) {
                remove_queue_flows(sw, in_use);
            } else {
                c->classes_dropped = true;
            }
        } else if (p->n_netswitches && sf) {
            LIST_FOR_EACH (flow, sender_node, &sf->flows) {
                if (flow->st.level) {
                    in_use |= UINT64_C(1) << p->dscp_ladder[flow->st.level];
                }
            }
        }
        for (int dscp = 0; dscp < 64; dscp++) {
            if (in_use & (UINT64_C(1) << dscp)) {
                install_queue_flows(c, dscp);
            }
        }
    }
}

/* Learns the DSCP levels (on hosts) or the queue flows (on network
 * switches) that our flows set up on 'sw'. */
static void
request_flows(struct rtvctl_sw *sw)
{
    const struct rtvctl_policy *p = sw->core->policy;
    uint64_t dpid = sw->dpid;
    struct ofputil_flow_stats_request fsr;
    struct ofpbuf *msg;

    sw->synced = false;
    sw->base_dscp = -1;
    memset(&fsr, 0, sizeof fsr);
    fsr.aggregate = false;
    match_init_catchall(&fsr.match);
    fsr.table_id = (rtvctl_policy_netswitch(p, dpid)
                    ? p->network_table : p->escalation_table);
    fsr.out_port = OFPP_ANY;
    fsr.out_group = OFPG_ANY;
    fsr.cookie = htonll(COOKIE_PREFIX);
    fsr.cookie_mask = htonll(COOKIE_MASK);
    msg = ofputil_encode_flow_stats_request(&fsr, sw_protocol(sw));
    sw->stats_xid = ((const struct ofp_header *) msg->data)->xid;
    if (sw->core->role != RTVCTL_ROLE_STANDBY
        && rtvctl_policy_host_by_dpid(p, dpid)) {
        free(sw->seen);
        sw->seen = bitmap_allocate(UINT16_MAX + 1);
    }
    send_msg(sw, msg);
}

static void
on_features(struct rtvctl_sw *sw, uint64_t dpid)
{
    struct rtvctl_core *c = sw->core;
    struct rtvctl_sw *holder = sw_by_dpid(c, dpid);

    if (holder && holder != sw) {
        /* Whoever holds a datapath ID gets its hosts' deadlines and
         * flow_mods: the first connection keeps it. */
        VLOG_WARN("%s: datapath ID %#"PRIx64" is held by %s: connection "
                  "refused", sw->name, dpid, holder->name);
        sw->refused = true;
        return;
    }
    if (sw->have_dpid) {
        hmap_remove(&c->switches_by_dpid, &sw->dpid_node);
    }
    sw->dpid = dpid;
    sw->have_dpid = true;
    hmap_insert(&c->switches_by_dpid, &sw->dpid_node, hash_uint64(dpid));
    VLOG_INFO("%s: connected, datapath ID %#"PRIx64"%s", sw->name, dpid,
              rtvctl_policy_netswitch(c->policy, dpid)
              ? " (network switch)" : "");
    request_flows(sw);
}

void
rtvctl_sw_receive(struct rtvctl_sw *sw, const struct ofpbuf *b)
{
    struct rtvctl_core *c = sw->core;
    const struct ofp_header *oh = b->data;
    struct rtvnic_msg msg;
    enum ofptype type;
    char *error;

    if (sw->refused) {
        return;
    }
    if (b->size < sizeof *oh || ntohs(oh->length) != b->size
        || ofptype_decode(&type, oh)) {
        c->n_bad_messages++;
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
        /* Only the reply to the latest request says what the switch has
         * now. */
        if (oh->xid == sw->stats_xid) {
            handle_flow_stats(sw, oh);
        }
        break;
    case OFPTYPE_ERROR: {
        char *s = ofp_to_string(oh, ntohs(oh->length), NULL, NULL, 1);
        VLOG_WARN_RL(&rl, "%s: %s", sw->name, s);
        free(s);
        handle_error(sw, oh);
        break;
    }
    case OFPTYPE_NXT_RTVNIC:
        error = rtvnic_msg_from_ofp(oh, &msg);
        if (error) {
            VLOG_WARN_RL(&rl, "%s: malformed RTvNIC message: %s",
                         sw->name, error);
            free(error);
            c->n_bad_messages++;
            break;
        }
        /* Act on whole lists only: SOURCES replaces the switch's table. */
        bool complete = rtvnic_reassemble(&sw->reasm, &msg, &error);
        if (error) {
            VLOG_WARN_RL(&rl, "%s: %s", sw->name, error);
            free(error);
            c->n_bad_messages++;
        }
        if (!complete) {
            rtvnic_msg_uninit(&msg);
            break;
        }
        if (msg.type == RTVNIC_MSG_REPORT) {
            sw->n_reports++;
            handle_report(c, &msg.report);
        } else if (msg.type == RTVNIC_MSG_HEARTBEAT) {
            handle_heartbeat(c, &msg);
        } else if (msg.type == RTVNIC_MSG_SOURCES) {
            handle_sources(sw, &msg);
        } else {
            c->n_bad_messages++;
        }
        rtvnic_msg_uninit(&msg);
        break;
    default:
        break;
    }
}

struct rtvctl_sw *
rtvctl_sw_create(struct rtvctl_core *c, const char *name,
                 rtvctl_send_func *send, void *aux)
{
    struct rtvctl_sw *sw = xzalloc(sizeof *sw);

    sw->core = c;
    sw->name = xstrdup(name);
    sw->send = send;
    sw->aux = aux;
    hmap_init(&sw->sources);
    rtvnic_reassembly_init(&sw->reasm);
    ovs_list_push_back(&c->switches, &sw->node);
    return sw;
}

void
rtvctl_sw_destroy(struct rtvctl_sw *sw)
{
    struct sw_source *s;

    if (!sw) {
        return;
    }
    ovs_list_remove(&sw->node);
    if (sw->have_dpid) {
        hmap_remove(&sw->core->switches_by_dpid, &sw->dpid_node);
    }
    if (sw->installed_changed) {
        sw->core->n_sw_changed--;
        ovs_list_remove(&sw->changed_node);
    }
    HMAP_FOR_EACH_POP (s, node, &sw->sources) {
        free(s);
    }
    hmap_destroy(&sw->sources);
    rtvnic_reassembly_clear(&sw->reasm);
    free(sw->seen);
    free(sw->name);
    free(sw);
}

void
rtvctl_sw_connected(struct rtvctl_sw *sw, enum ofp_version version)
{
    struct rtvctl_core *c = sw->core;

    sw->connected = true;
    sw->version = version;
    if (sw->have_dpid) {
        hmap_remove(&c->switches_by_dpid, &sw->dpid_node);
    }
    sw->have_dpid = false;
    sw->synced = false;
    sw->have_sources = false;
    rtvnic_reassembly_clear(&sw->reasm);
    memset(sw->dscp_installed, 0, sizeof sw->dscp_installed);
    if (c->role == RTVCTL_ROLE_LEADER) {
        send_msg(sw, encode_role_request(version, OFPCR12_ROLE_PRIMARY,
                                         c->generation));
    } else if (c->role == RTVCTL_ROLE_STANDBY && c->have_generation) {
        send_msg(sw, encode_role_request(version, OFPCR12_ROLE_SECONDARY,
                                         c->generation));
    }
    send_msg(sw, ofpraw_alloc(OFPRAW_OFPT_FEATURES_REQUEST, version, 0));
    if (c->role != RTVCTL_ROLE_STANDBY) {
        send_msg(sw, encode_config(c->policy, version));
    }
}

void
rtvctl_sw_disconnected(struct rtvctl_sw *sw)
{
    sw->connected = false;
}

bool
rtvctl_sw_is_connected(const struct rtvctl_sw *sw)
{
    return sw->connected;
}

bool
rtvctl_sw_is_refused(const struct rtvctl_sw *sw)
{
    return sw->refused;
}

struct rtvctl_core *
rtvctl_core_create(const struct rtvctl_policy *policy)
{
    struct rtvctl_core *c = xzalloc(sizeof *c);

    c->policy = policy;
    c->acting_since = time_msec();
    ovs_list_init(&c->switches);
    hmap_init(&c->switches_by_dpid);
    hmap_init(&c->flows);
    hmap_init(&c->senders);
    ovs_list_init(&c->changed);
    ovs_list_init(&c->counters_changed);
    ovs_list_init(&c->sw_changed);
    heap_init(&c->relax);
    return c;
}

void
rtvctl_core_destroy(struct rtvctl_core *c)
{
    struct rtvctl_sw *sw;
    struct rt_flow *flow;

    if (!c) {
        return;
    }
    LIST_FOR_EACH_SAFE (sw, node, &c->switches) {
        rtvctl_sw_destroy(sw);
    }
    HMAP_FOR_EACH_SAFE (flow, node, &c->flows) {
        flow_destroy(c, flow);
    }
    hmap_destroy(&c->flows);
    hmap_destroy(&c->senders);
    hmap_destroy(&c->switches_by_dpid);
    heap_destroy(&c->relax);
    free(c);
}

static void
relax_all(struct rtvctl_core *c)
{
    long long int now = time_msec();
    struct rt_flow **retry = NULL;
    size_t n_retry = 0, allocated_retry = 0;

    if (c->role == RTVCTL_ROLE_STANDBY) {
        return;
    }
    while (!heap_is_empty(&c->relax)) {
        struct rt_flow *flow = CONTAINER_OF(heap_max(&c->relax),
                                            struct rt_flow, relax_node);
        struct rtvctl_flow_state old;
        struct rtvctl_action a;

        if (flow->relax_at > now) {
            break;
        }
        relax_set(c, flow, LLONG_MAX);
        if (rtvctl_relax_is_due(c->policy, &flow->st, now)) {
            old = flow->st;
            rtvctl_decide_relax(c->policy, &flow->st, now, &a);
            if (!execute(c, flow, &a)) {
                flow->st = old;
            }
            flow_check_changed(c, flow, &old);
        }
        if (flow->relax_at == LLONG_MAX) {
            /* Not placed again by a change: not due yet (placed early),
             * or due but the action could not be taken, which the next
             * tick tries again. */
            if (rtvctl_relax_is_due(c->policy, &flow->st, now)) {
                if (n_retry >= allocated_retry) {
                    retry = x2nrealloc(retry, &allocated_retry,
                                       sizeof *retry);
                }
                retry[n_retry++] = flow;
            } else {
                relax_schedule(c, flow);
            }
        }
    }
    for (size_t i = 0; i < n_retry; i++) {
        relax_set(c, retry[i], now);
    }
    free(retry);
    if (c->classes_dropped) {
        c->classes_dropped = false;
        remove_unused_queue_flows(c);
    }
}

/* Frees the flows whose host has not been connected for the policy's
 * 'disconnected_grace_ms': a host gone for good (or a sender that no
 * policy host is) would otherwise hold them forever.  A host that comes
 * back is learned again from its flows and sources, as at a restart.
 *
 * Each call looks at the next slice of the senders, RTVCTL_GC_SLICES calls
 * per RTVCTL_GC_TICK_MS, so that every sender is looked at about once per
 * tick and no call holds the loop long (all 10,000 senders of a benchmark
 * at once took 8 to 16 ms). */
static void
gc_flows(struct rtvctl_core *c, long long int now)
{
    long long int grace = c->policy->disconnected_grace_ms;
    size_t n = hmap_count(&c->senders) / RTVCTL_GC_SLICES + 1;
    size_t n_freed = 0;

    /* A flow's host depends on its sender only: one look-up per sender, and
     * the flows of a connected host are not touched unless some of them
     * were counted as orphans.  hmap_at_position() copes with senders freed
     * in between (one may be skipped until the next round). */
    for (size_t i = 0; i < n; i++) {
        struct hmap_node *node = hmap_at_position(&c->senders, &c->gc_pos);

        if (!node) {
            /* The end: start over with the next slice. */
            memset(&c->gc_pos, 0, sizeof c->gc_pos);
            break;
        }

        struct sender_flows *sf = CONTAINER_OF(node, struct sender_flows,
                                               node);
        struct rt_flow *flow;

        if (sender_host(c, &sf->sender)) {
            if (sf->orphans) {
                LIST_FOR_EACH (flow, sender_node, &sf->flows) {
                    flow->orphan_since = 0;
                }
                sf->orphans = false;
            }
            continue;
        }

        /* flow_destroy() frees 'sf' with its last flow. */
        struct rt_flow **doomed = xmalloc(ovs_list_size(&sf->flows)
                                          * sizeof *doomed);
        size_t n_doomed = 0;

        sf->orphans = true;
        LIST_FOR_EACH (flow, sender_node, &sf->flows) {
            if (!flow->orphan_since) {
                flow->orphan_since = now;
            } else if (now - flow->orphan_since >= grace) {
                doomed[n_doomed++] = flow;
            }
        }
        for (size_t j = 0; j < n_doomed; j++) {
            c->classes_dropped |= doomed[j]->st.level != 0;
            flow_destroy(c, doomed[j]);
        }
        n_freed += n_doomed;
        free(doomed);
    }
    if (n_freed) {
        c->n_flows_freed += n_freed;
        VLOG_INFO("freed %"PRIuSIZE" flows whose host was not connected for "
                  "%lld ms", n_freed, grace);
    }
}

void
rtvctl_core_run(struct rtvctl_core *c)
{
    long long int now = time_msec();

    if (now >= c->next_relax) {
        relax_all(c);
        c->next_relax = now + RTVCTL_RELAX_TICK_MS;
    }
    if (now >= c->next_gc) {
        gc_flows(c, now);
        c->next_gc = now + RTVCTL_GC_TICK_MS / RTVCTL_GC_SLICES;
    }
}

void
rtvctl_core_wait(struct rtvctl_core *c)
{
    poll_timer_wait_until(MIN(c->next_relax, c->next_gc));
}

void
rtvctl_core_set_role(struct rtvctl_core *c, enum rtvctl_role role,
                     bool have_generation, uint64_t generation)
{
    struct rtvctl_sw *sw;

    if (role == c->role && have_generation == c->have_generation
        && generation == c->generation) {
        return;
    }

    enum rtvctl_role old_role = c->role;
    bool had_generation = c->have_generation;

    c->role = role;
    c->have_generation = have_generation;
    c->generation = generation;
    if (role == RTVCTL_ROLE_LEADER && old_role != RTVCTL_ROLE_LEADER) {
        c->acting_since = time_msec();
        LIST_FOR_EACH (sw, node, &c->switches) {
            if (!sw->connected) {
                continue;
            }
            send_msg(sw, encode_role_request(sw->version,
                                             OFPCR12_ROLE_PRIMARY,
                                             generation));
            send_msg(sw, encode_config(c->policy, sw->version));
            sw->have_sources = false;
            if (sw->have_dpid) {
                request_flows(sw);
            }
        }
    } else if (role == RTVCTL_ROLE_STANDBY && have_generation
               && (old_role != RTVCTL_ROLE_STANDBY || !had_generation)) {
        /* A former leader says nothing: its successor's PRIMARY request,
         * with a newer generation, has demoted it on every switch. */
        if (old_role == RTVCTL_ROLE_LEADER) {
            return;
        }
        LIST_FOR_EACH (sw, node, &c->switches) {
            if (sw->connected) {
                send_msg(sw, encode_role_request(sw->version,
                                                 OFPCR12_ROLE_SECONDARY,
                                                 generation));
            }
        }
    }
}

enum rtvctl_role
rtvctl_core_get_role(const struct rtvctl_core *c)
{
    return c->role;
}

const char *
rtvctl_role_name(enum rtvctl_role role)
{
    return (role == RTVCTL_ROLE_LEADER ? "leader"
            : role == RTVCTL_ROLE_STANDBY ? "standby"
            : "alone");
}

size_t
rtvctl_core_n_changes(const struct rtvctl_core *c)
{
    return c->n_changed + c->n_sw_changed;
}

bool
rtvctl_core_has_changes(const struct rtvctl_core *c)
{
    return rtvctl_core_n_changes(c) > 0;
}

size_t
rtvctl_core_pop_changed_flows(struct rtvctl_core *c, rtvctl_flow_func *func,
                              void *aux, size_t max)
{
    size_t n = MIN(max, c->n_changed);
    struct rt_flow **flows = xmalloc(n * sizeof *flows);
    bool *counters_only = xmalloc(n * sizeof *counters_only);

    /* Taken off the list first: 'func' may mark a flow changed again. */
    for (size_t i = 0; i < n; i++) {
        struct rt_flow *flow = CONTAINER_OF(ovs_list_front(&c->changed),
                                            struct rt_flow, changed_node);

        counters_only[i] = flow->counters_only;
        flow_clear_changed(c, flow);
        flow_clear_counters_changed(c, flow);
        flows[i] = flow;
    }
    for (size_t i = 0; i < n; i++) {
        func(&flows[i]->sender, flows[i]->vnic_id, &flows[i]->st,
             counters_only[i], aux);
    }
    free(counters_only);
    free(flows);
    return n;
}

bool
rtvctl_core_has_counter_changes(const struct rtvctl_core *c)
{
    return c->n_counters_changed > 0;
}

void
rtvctl_core_flush_counters(struct rtvctl_core *c, size_t max)
{
    for (size_t i = 0; i < max && !ovs_list_is_empty(&c->counters_changed);
         i++) {
        struct rt_flow *flow = CONTAINER_OF(
            ovs_list_front(&c->counters_changed), struct rt_flow,
            counters_node);

        flow_clear_counters_changed(c, flow);
        if (!flow->changed) {
            flow_set_changed(c, flow);
            flow->counters_only = true;
        }
    }
}

void
rtvctl_core_mark_all_changed(struct rtvctl_core *c)
{
    struct rt_flow *flow;
    struct rtvctl_sw *sw;

    HMAP_FOR_EACH (flow, node, &c->flows) {
        flow_set_changed(c, flow);
    }
    LIST_FOR_EACH (sw, node, &c->switches) {
        sw_installed_changed(sw);
    }
}

void
rtvctl_core_pop_changed_switches(struct rtvctl_core *c,
                                 rtvctl_switch_func *func, void *aux)
{
    struct ovs_list todo;
    struct rtvctl_sw *sw;

    /* Taken off the list first: 'func' may mark a switch changed again
     * (its row is not in the database yet), and that must stay marked. */
    ovs_list_move(&todo, &c->sw_changed);
    ovs_list_init(&c->sw_changed);
    c->n_sw_changed = 0;
    LIST_FOR_EACH_POP (sw, changed_node, &todo) {
        sw->installed_changed = false;
        if (sw->have_dpid && sw->synced
            && rtvctl_policy_netswitch(c->policy, sw->dpid)) {
            uint64_t dscps = 0;

            for (int i = 0; i < 64; i++) {
                dscps |= (uint64_t) sw->dscp_installed[i] << i;
            }
            func(sw->dpid, dscps, aux);
        }
    }
}

void
rtvctl_core_mark_flow_changed(struct rtvctl_core *c,
                              const struct in6_addr *sender, uint16_t vnic_id)
{
    uint32_t hash = hash_bytes(sender, sizeof *sender, vnic_id);
    struct rt_flow *flow;

    HMAP_FOR_EACH_WITH_HASH (flow, node, hash, &c->flows) {
        if (flow->vnic_id == vnic_id
            && ipv6_addr_equals(&flow->sender, sender)) {
            flow_changed(c, flow);
        }
    }
}

void
rtvctl_core_mark_switch_changed(struct rtvctl_core *c, uint64_t dpid)
{
    struct rtvctl_sw *sw;

    HMAP_FOR_EACH_WITH_HASH (sw, dpid_node, hash_uint64(dpid),
                             &c->switches_by_dpid) {
        if (sw->dpid == dpid) {
            sw_installed_changed(sw);
        }
    }
}

void
rtvctl_core_restore_flow(struct rtvctl_core *c, const struct in6_addr *sender,
                         uint16_t vnic_id,
                         const struct rtvctl_flow_state *st)
{
    struct rt_flow *flow = flow_get(c, sender, vnic_id);

    flow->st = *st;
    flow_clear_changed(c, flow);
    relax_schedule(c, flow);
}

/* Metrics and status. */

static size_t
n_connected(const struct rtvctl_core *c)
{
    struct rtvctl_sw *sw;
    size_t n = 0;

    LIST_FOR_EACH (sw, node, &c->switches) {
        n += sw->connected;
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

/* Prometheus text exposition format: every metric with "# HELP" and
 * "# TYPE", in base units (seconds), counters ending in "_total". */
void
rtvctl_core_format_metrics(const struct rtvctl_core *c, struct ds *s)
{
    const struct rtvctl_policy *p = c->policy;
    struct rt_flow *flow;

    static const struct {
        const char *name, *type, *help;
    } totals[] = {
        { "rtvctl_reports_received_total", "counter",
          "RTvNIC miss reports received from hosts." },
        { "rtvctl_bad_messages_total", "counter",
          "Malformed or unexpected RTvNIC messages received." },
        { "rtvctl_flow_mods_sent_total", "counter",
          "Flow modifications sent to switches." },
        { "rtvctl_deadline_changes_total", "counter",
          "Effective deadline changes (set_deadline) sent to hosts." },
        { "rtvctl_switches_connected", "gauge",
          "OpenFlow switches connected now." },
        { "rtvctl_flows", "gauge",
          "RTvNIC flows (sending hosts' vNICs) rtvctl holds state for." },
        { "rtvctl_flows_freed_total", "counter",
          "Flows freed because their host stayed disconnected past "
          "disconnected_grace_ms." },
    };
    const uint64_t total_values[] = {
        c->n_reports, c->n_bad_messages, c->n_flow_mods, c->n_deadlines,
        n_connected(c), hmap_count(&c->flows), c->n_flows_freed,
    };
    for (size_t m = 0; m < ARRAY_SIZE(totals); m++) {
        ds_put_format(s, "# HELP %s %s\n# TYPE %s %s\n%s %"PRIu64"\n",
                      totals[m].name, totals[m].help, totals[m].name,
                      totals[m].type, totals[m].name, total_values[m]);
    }

    static const struct {
        const char *name, *type, *help;
    } per_flow[] = {
        { "rtvctl_flow_misses_total", "counter",
          "Deadline misses the flow's host reported." },
        { "rtvctl_flow_reports_total", "counter",
          "Miss reports received for the flow." },
        { "rtvctl_flow_stage", "gauge",
          "0: at its contract, 1: deadline tightened, 2: DSCP escalated." },
        { "rtvctl_flow_dscp", "gauge",
          "DSCP the flow's packets leave their host with." },
        { "rtvctl_flow_effective_deadline_seconds", "gauge",
          "Deadline the flow's host applies now (the contract's or "
          "tighter)." },
    };
    for (size_t m = 0; m < ARRAY_SIZE(per_flow); m++) {
        ds_put_format(s, "# HELP %s %s\n# TYPE %s %s\n",
                      per_flow[m].name, per_flow[m].help, per_flow[m].name,
                      per_flow[m].type);
        HMAP_FOR_EACH (flow, node, &c->flows) {
            uint64_t v[] = {
                flow->st.misses, flow->st.reports,
                (flow->st.level ? 2
                 : !strcmp(rtvctl_stage_name(&flow->st), "tightened")),
                p->dscp_ladder[flow->st.level],
            };
            ds_put_cstr(s, per_flow[m].name);
            format_labels(flow, s);
            if (m < ARRAY_SIZE(v)) {
                ds_put_format(s, " %"PRIu64"\n", v[m]);
            } else {
                ds_put_format(s, " %.9g\n", flow->st.effective_us / 1e6);
            }
        }
    }
}

void
rtvctl_core_format_status(const struct rtvctl_core *c, struct ds *s)
{
    const struct rtvctl_policy *p = c->policy;
    struct rt_flow *flow;
    struct rtvctl_sw *sw;
    bool first = true;

    ds_put_format(s, "{\"reports\": %"PRIu64", \"bad_messages\": %"PRIu64
                  ", \"switches\": [", c->n_reports, c->n_bad_messages);
    LIST_FOR_EACH (sw, node, &c->switches) {
        ds_put_format(s, "%s{\"name\": \"%s\", \"connected\": %s, "
                      "\"datapath_id\": \"%#"PRIx64"\"}", first ? "" : ", ",
                      sw->name, sw->connected ? "true" : "false",
                      sw->have_dpid ? sw->dpid : 0);
        first = false;
    }
    ds_put_cstr(s, "], \"flows\": [");
    first = true;
    HMAP_FOR_EACH (flow, node, &c->flows) {
        ds_put_format(s, "%s{\"sender\": \"", first ? "" : ", ");
        ipv6_format_mapped(&flow->sender, s);
        ds_put_format(s, "\", \"vnic\": %"PRIu16", \"stage\": \"%s\", "
                      "\"dscp\": %u, \"effective_deadline_us\": %"PRIu64", "
                      "\"contract_deadline_us\": %"PRIu64", \"misses\": %"
                      PRIu64", \"reports\": %"PRIu64"}", flow->vnic_id,
                      rtvctl_stage_name(&flow->st),
                      p->dscp_ladder[flow->st.level],
                      flow->st.effective_us, flow->st.contract_us,
                      flow->st.misses, flow->st.reports);
        first = false;
    }
    ds_put_cstr(s, "]}\n");
}

void
rtvctl_core_format_show(const struct rtvctl_core *c, struct ds *s)
{
    const struct rtvctl_policy *p = c->policy;
    struct rt_flow *flow;
    struct rtvctl_sw *sw;

    ds_put_format(s, "reports %"PRIu64", bad messages %"PRIu64", flow_mods "
                  "%"PRIu64", deadline changes %"PRIu64"\n", c->n_reports,
                  c->n_bad_messages, c->n_flow_mods, c->n_deadlines);
    LIST_FOR_EACH (sw, node, &c->switches) {
        ds_put_format(s, "switch %s: %s", sw->name,
                      sw->connected ? "connected" : "disconnected");
        if (sw->have_dpid) {
            ds_put_format(s, ", datapath ID %#"PRIx64"%s", sw->dpid,
                          rtvctl_policy_netswitch(p, sw->dpid)
                          ? " (network switch)" : "");
        }
        if (c->role == RTVCTL_ROLE_LEADER && sw->connected) {
            /* Whether the core acts on this switch's flows yet. */
            bool host = (sw->have_dpid
                         && rtvctl_policy_host_by_dpid(p, sw->dpid));

            ds_put_cstr(s, sw->synced && (sw->have_sources || !host)
                        ? ", in sync" : ", syncing");
        }
        ds_put_char(s, '\n');
    }
    HMAP_FOR_EACH (flow, node, &c->flows) {
        ds_put_cstr(s, "flow ");
        format_flow_name(flow, s);
        ds_put_format(s, ": %s, dscp %u, effective deadline %"PRIu64" us "
                      "(contract %"PRIu64" us), reports %"PRIu64", misses %"
                      PRIu64, rtvctl_stage_name(&flow->st),
                      p->dscp_ladder[flow->st.level],
                      flow->st.effective_us, flow->st.contract_us,
                      flow->st.reports, flow->st.misses);
        if (flow->st.near_misses) {
            /* Only with near misses, so that the line stays as it was for
             * a policy without them. */
            ds_put_format(s, ", near misses %"PRIu64, flow->st.near_misses);
        }
        ds_put_char(s, '\n');
    }
}
