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

/* libFuzzer target: rtvctl's handling of OpenFlow messages from switches,
 * decisions included (controller/rtvctl-core.c, rtvctl-logic.c,
 * rtvctl-policy.c, and NXT_RTVNIC decoding and reassembly).
 *
 * Every input drives a new controller core (rtvctl_core_create()) under a
 * fixed policy: hosts 192.0.2.1 (datapath ID 1) and 2001:db8::1 (2), a
 * network switch (0xa) with queues for DSCPs 0, 18, 34 and 46, a 1 ms quiet
 * period and no minimum step interval, so that decisions, escalations and
 * relaxing all happen within a run.  Three switch connections, one per
 * datapath, are connected and, unless the control byte says otherwise,
 * handshaken: each gets a FEATURES_REPLY with its datapath ID and an empty
 * flow stats reply, as a real switch sends them.
 *
 * Input: a control byte (bits 0-1: the OpenFlow version of the connections,
 * 1.0, 1.3, 1.4 or 1.5; bit 2: no handshake; bit 3: the policy's
 * top_rung_deadline_us is 5 ms instead of 0), then records: a selector byte
 * (bits 0-1: which switch sends, 3 meaning the first; bit 2: its connection
 * drops and comes back first; bit 3: the core's timers run afterwards) and
 * one OpenFlow message, as long as its header says (the last one, or one
 * whose length is below the header's, gets the rest of the input).
 *
 * Checks (abort() on failure): every message the controller sends decodes
 * (an NXT_RTVNIC through rtvnic_msg_from_ofp(), a flow_mod through
 * ofputil_decode_flow_mod()); the status, metrics and show output are
 * produced; the core is destroyed without a leak. */

#include <config.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "controller/rtvctl-core.h"
#include "controller/rtvctl-policy.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/ofp-flow.h"
#include "openvswitch/ofp-msgs.h"
#include "openvswitch/ofp-protocol.h"
#include "openvswitch/ofp-switch.h"
#include "openvswitch/ofpbuf.h"
#include "openvswitch/vlog.h"
#include "rtvnic-fuzz.h"
#include "rtvnic-report.h"
#include "util.h"

#define N_SWITCHES 3

static const uint64_t dpids[N_SWITCHES] = { 1, 2, 0xa };

static const char policy_json[] =
    "{\"report_interval_ms\": 10, \"tighten_floor_us\": 200,"
    " \"dscp_ladder\": [0, 18, 34, 46], \"quiet_period_ms\": 1,"
    " \"min_step_interval_ms\": 0, \"escalation_table\": 0,"
    " \"next_table\": 1, \"top_rung_deadline_us\": %d,"
    " \"hosts\": [{\"datapath_id\": 1, \"tunnel_ip\": \"192.0.2.1\"},"
    "            {\"datapath_id\": \"0x2\", \"tunnel_ip\": \"2001:db8::1\"}],"
    " \"network_switches\": [{\"datapath_id\": \"0xa\","
    "     \"queues\": {\"0\": 0, \"18\": 1, \"34\": 2, \"46\": 3}}]}";

static struct rtvctl_policy policies[2];

struct conn {
    struct rtvctl_sw *sw;
    enum ofp_version version;
};

/* The send function of every switch: what the controller sends must be
 * valid. */
static void
check_sent(struct ofpbuf *msg, void *conn_)
{
    const struct conn *conn = conn_;
    const struct ofp_header *oh = msg->data;
    enum ofptype type;

    /* As vconn_send() does: encoders may leave the length to it. */
    FUZZ_CHECK(msg->size >= sizeof *oh);
    ofpmsg_update_length(msg);
    FUZZ_CHECK(!ofptype_decode(&type, oh));
    /* An echo reply mirrors the request, whose version vconn lets by. */
    FUZZ_CHECK(oh->version == conn->version || type == OFPTYPE_ECHO_REPLY);
    if (type == OFPTYPE_NXT_RTVNIC) {
        struct rtvnic_msg m;
        char *error = rtvnic_msg_from_ofp(oh, &m);

        FUZZ_CHECK(!error);
        rtvnic_msg_uninit(&m);
    } else if (type == OFPTYPE_FLOW_MOD) {
        enum ofputil_protocol protocol
            = ofputil_protocol_from_ofp_version(conn->version);
        struct ofputil_flow_mod fm;
        struct ofpbuf ofpacts;

        ofpbuf_init(&ofpacts, 0);
        FUZZ_CHECK(!ofputil_decode_flow_mod(&fm, oh, protocol, NULL, NULL,
                                            &ofpacts, OFPP_MAX, 255));
        minimatch_destroy(&fm.match);
        ofpbuf_uninit(&ofpacts);
    }
    ofpbuf_delete(msg);
}

static void
receive(struct conn *conn, struct ofpbuf *msg)
{
    rtvctl_sw_receive(conn->sw, msg);
    ofpbuf_delete(msg);
}

/* What a switch says first: its features, then its (empty) flow table. */
static void
handshake(struct conn *conn, uint64_t dpid)
{
    enum ofputil_protocol protocol
        = ofputil_protocol_from_ofp_version(conn->version);
    struct ofputil_switch_features features = {
        .datapath_id = dpid,
        .n_tables = 254,
    };
    struct ofputil_flow_stats_request fsr;
    struct ofpbuf *request;

    receive(conn, ofputil_encode_switch_features(&features, protocol,
                                                 htonl(1)));

    memset(&fsr, 0, sizeof fsr);
    match_init_catchall(&fsr.match);
    fsr.table_id = 0xff;
    fsr.out_port = OFPP_ANY;
    fsr.out_group = OFPG_ANY;
    request = ofputil_encode_flow_stats_request(&fsr, protocol);
    receive(conn, ofpraw_alloc_stats_reply(request->data, 0));
    ofpbuf_delete(request);
}

static void
init(void)
{
    vlog_set_levels(NULL, VLF_ANY_DESTINATION, VLL_OFF);
    for (int i = 0; i < 2; i++) {
        char *json = xasprintf(policy_json, i ? 5000 : 0);
        char *error = rtvctl_policy_from_string(json, &policies[i]);

        if (error) {
            ovs_fatal(0, "fuzz policy: %s", error);
        }
        free(json);
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const enum ofp_version versions[4] = {
        OFP10_VERSION, OFP13_VERSION, OFP14_VERSION, OFP15_VERSION,
    };
    static bool initialized;
    struct conn conns[N_SWITCHES];
    struct rtvctl_core *core;
    struct ds s;
    uint8_t ctl;

    if (!initialized) {
        init();
        initialized = true;
    }
    if (size < 1) {
        return 0;
    }
    ctl = *data++;
    size--;

    core = rtvctl_core_create(&policies[(ctl >> 3) & 1]);
    for (int i = 0; i < N_SWITCHES; i++) {
        char name[16];

        snprintf(name, sizeof name, "sw%d", i);
        conns[i].version = versions[ctl & 3];
        conns[i].sw = rtvctl_sw_create(core, name, check_sent, &conns[i]);
        rtvctl_sw_connected(conns[i].sw, conns[i].version);
        if (!(ctl & 4)) {
            handshake(&conns[i], dpids[i]);
        }
    }

    while (size >= 1) {
        uint8_t sel = *data++;
        struct conn *conn = &conns[(sel & 3) % N_SWITCHES];
        size_t len;

        size--;
        len = size;
        if (size >= sizeof(struct ofp_header)) {
            size_t declared = (data[2] << 8) | data[3];

            if (declared >= sizeof(struct ofp_header)) {
                len = MIN(declared, size);
            }
        }
        if (sel & 4) {
            rtvctl_sw_disconnected(conn->sw);
            FUZZ_CHECK(!rtvctl_sw_is_connected(conn->sw));
            rtvctl_sw_connected(conn->sw, conn->version);
        }
        /* An aligned copy, as rconn delivers it; vconn drops a message of
         * another version than the connection's, except types 0 to 3 (hello,
         * error, echo request and reply, the same in every version). */
        if (len < sizeof(struct ofp_header) || data[0] == conn->version
            || data[1] <= 3) {
            receive(conn, ofpbuf_clone_data(data, len));
        }
        if (sel & 8) {
            rtvctl_core_run(core);
        }
        data += len;
        size -= len;
    }
    rtvctl_core_run(core);

    ds_init(&s);
    rtvctl_core_format_show(core, &s);
    rtvctl_core_format_metrics(core, &s);
    rtvctl_core_format_status(core, &s);
    ds_destroy(&s);

    rtvctl_core_destroy(core);
    return 0;
}
