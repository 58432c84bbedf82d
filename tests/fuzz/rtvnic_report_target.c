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

/* libFuzzer target: the NXT_RTVNIC codec of lib/rtvnic-report.c.
 *
 * Input: a sequence of NXT_RTVNIC bodies as one connection would carry them,
 * each as long as its header's 'length' says (the last one, or one whose
 * 'length' is below the header's size, gets the rest of the input, so
 * lengths that lie reach the decoder too).  For every body:
 *
 *   - rtvnic_msg_decode(); then the round trip: a decoded message must
 *     encode (rtvnic_msg_encode()) and decode again to the same message, and
 *     encoding that gives the same bytes;
 *   - a body whose length is no multiple of 8 must be refused (OpenFlow
 *     cannot carry it); any other, wrapped in an NXT_RTVNIC OpenFlow message
 *     (OpenFlow 1.0 and 1.5 in turn), must pass ofptype_decode() and decode
 *     through rtvnic_msg_from_ofp() exactly as the bare body did;
 *     ofp_to_string() prints it (rtvnic_ofp_print()), and the switch's
 *     handler of controller messages, rtvnic_ofp_handle(), takes it as from
 *     a primary and from a secondary controller;
 *   - rtvnic_msg_format();
 *   - rtvnic_reassemble() on one reassembly state for the whole input, as
 *     rtvctl keeps one per switch: a message it returns complete has no
 *     'more' flag and part 0; a complete HEARTBEAT or SOURCES list is then
 *     split again with rtvnic_msg_encode_parts(), every part must decode,
 *     and reassembling the parts must give the same list.
 *
 * Any mismatch calls abort(). */

#include <config.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "openflow/openflow.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/ofp-errors.h"
#include "openvswitch/ofp-msgs.h"
#include "openvswitch/ofp-print.h"
#include "openvswitch/ofpbuf.h"
#include "openvswitch/vlog.h"
#include "rtvnic-report.h"
#include "rtvnic-fuzz.h"
#include "util.h"

static bool
msg_equal(const struct rtvnic_msg *a, const struct rtvnic_msg *b)
{
    if (a->type != b->type || a->more != b->more || a->part != b->part) {
        return false;
    }
    switch (a->type) {
    case RTVNIC_MSG_REPORT:
        return !memcmp(&a->report, &b->report, sizeof a->report);
    case RTVNIC_MSG_HEARTBEAT:
        if (a->beat.n != b->beat.n) {
            return false;
        }
        for (size_t i = 0; i < a->beat.n; i++) {
            const struct rtvnic_beat_entry *x = &a->beat.entries[i];
            const struct rtvnic_beat_entry *y = &b->beat.entries[i];

            if (memcmp(&x->sender, &y->sender, sizeof x->sender)
                || x->vnic_id != y->vnic_id || x->packets != y->packets
                || x->misses != y->misses) {
                return false;
            }
        }
        return true;
    case RTVNIC_MSG_SET_DEADLINE:
        return (a->set_deadline.vnic_id == b->set_deadline.vnic_id
                && a->set_deadline.deadline_ns
                   == b->set_deadline.deadline_ns);
    case RTVNIC_MSG_CONFIG:
        return a->config.report_interval_us == b->config.report_interval_us;
    case RTVNIC_MSG_SOURCES:
        if (a->sources.n != b->sources.n) {
            return false;
        }
        for (size_t i = 0; i < a->sources.n; i++) {
            const struct rtvnic_source_entry *x = &a->sources.entries[i];
            const struct rtvnic_source_entry *y = &b->sources.entries[i];

            if (x->vnic_id != y->vnic_id || x->ofp_port != y->ofp_port
                || x->deadline_us != y->deadline_us
                || x->effective_us != y->effective_us
                || x->miss_target_ppm != y->miss_target_ppm
                || x->miss_window_ms != y->miss_window_ms) {
                return false;
            }
        }
        return true;
    }
    return false;
}

/* decode -> encode -> decode gives 'msg' again, and the same bytes. */
static void
round_trip(const struct rtvnic_msg *msg)
{
    struct rtvnic_msg back;
    struct ofpbuf b1, b2;
    char *error;

    ofpbuf_init(&b1, 0);
    ofpbuf_init(&b2, 0);
    FUZZ_CHECK(!rtvnic_msg_encode(msg, &b1));
    error = rtvnic_msg_decode(b1.data, b1.size, &back);
    FUZZ_CHECK(!error);
    FUZZ_CHECK(msg_equal(msg, &back));
    FUZZ_CHECK(!rtvnic_msg_encode(&back, &b2));
    FUZZ_CHECK(b1.size == b2.size && !memcmp(b1.data, b2.data, b1.size));
    rtvnic_msg_uninit(&back);
    ofpbuf_uninit(&b1);
    ofpbuf_uninit(&b2);
}

/* The body inside an NXT_RTVNIC message decodes as the bare body did. */
static void
check_ofp(const void *body, size_t len, const struct rtvnic_msg *msg,
          const char *error, enum ofp_version version)
{
    struct ofpbuf *b;
    struct rtvnic_msg m;
    enum ofptype type;
    char *e, *s;

    if (len > RTVNIC_MSG_MAX_LEN) {
        return;                 /* Does not fit in an OpenFlow message. */
    }
    if (len % 8) {
        /* OpenFlow cannot carry it (NXT_RTVNIC's body is a multiple of 8
         * bytes), and no valid body has such a length. */
        FUZZ_CHECK(error);
        return;
    }
    b = rtvnic_body_to_ofp(body, len, version);
    /* As ofproto and rtvctl do, before rtvnic_msg_from_ofp(). */
    FUZZ_CHECK(!ofptype_decode(&type, b->data)
               && type == OFPTYPE_NXT_RTVNIC);
    e = rtvnic_msg_from_ofp(b->data, &m);
    FUZZ_CHECK(!e == !error);
    if (e) {
        FUZZ_CHECK(!strcmp(e, error));
        free(e);
    } else {
        FUZZ_CHECK(msg_equal(msg, &m));
        rtvnic_msg_uninit(&m);
    }

    s = ofp_to_string(b->data, b->size, NULL, NULL, 2);
    free(s);

    (void) rtvnic_ofp_handle(b->data, 0);
    (void) rtvnic_ofp_handle(b->data, OFPERR_OFPBRC_IS_SECONDARY);
    ofpbuf_delete(b);
}

/* Splits the complete list 'msg' into parts and reassembles them. */
static void
check_parts(const struct rtvnic_msg *msg)
{
    struct rtvnic_reassembly r;
    struct ovs_list bodies;
    struct ofpbuf *body;
    size_t n_parts, n_seen = 0;
    bool done = false;

    ovs_list_init(&bodies);
    n_parts = rtvnic_msg_encode_parts(msg, &bodies);
    FUZZ_CHECK(n_parts >= 1 && ovs_list_size(&bodies) == n_parts);

    rtvnic_reassembly_init(&r);
    LIST_FOR_EACH (body, list_node, &bodies) {
        struct rtvnic_msg part;
        char *error = rtvnic_msg_decode(body->data, body->size, &part);
        bool complete;

        FUZZ_CHECK(!error && !done);
        n_seen++;
        FUZZ_CHECK(part.more == (n_seen < n_parts));
        complete = rtvnic_reassemble(&r, &part, &error);
        FUZZ_CHECK(!error);
        FUZZ_CHECK(complete == (n_seen == n_parts));
        if (complete) {
            FUZZ_CHECK(msg_equal(msg, &part));
            done = true;
        }
        rtvnic_msg_uninit(&part);
    }
    FUZZ_CHECK(done);
    rtvnic_reassembly_clear(&r);
    rtvnic_msg_bodies_delete(&bodies);
}

static void
one_body(struct rtvnic_reassembly *r, const uint8_t *body, size_t len,
         enum ofp_version version)
{
    struct rtvnic_msg msg;
    char *error = rtvnic_msg_decode(body, len, &msg);
    struct ds s = DS_EMPTY_INITIALIZER;

    check_ofp(body, len, &msg, error, version);
    if (error) {
        free(error);
        return;
    }
    round_trip(&msg);
    rtvnic_msg_format(&msg, &s);
    ds_destroy(&s);

    if (rtvnic_reassemble(r, &msg, &error)) {
        FUZZ_CHECK(!msg.more && !msg.part);
        if (msg.type == RTVNIC_MSG_HEARTBEAT
            || msg.type == RTVNIC_MSG_SOURCES) {
            check_parts(&msg);
        }
    }
    free(error);
    rtvnic_msg_uninit(&msg);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool initialized;
    struct rtvnic_reassembly r;
    unsigned int i = 0;

    if (!initialized) {
        vlog_set_levels(NULL, VLF_ANY_DESTINATION, VLL_OFF);
        initialized = true;
    }

    rtvnic_reassembly_init(&r);
    while (size > 0) {
        size_t len = size;

        if (size >= sizeof(struct rtvnic_wire_header)) {
            size_t declared = (data[2] << 8) | data[3];

            if (declared >= sizeof(struct rtvnic_wire_header)) {
                len = MIN(declared, size);
            }
        }
        /* rtvnic_msg_decode() copies a misaligned body; an OpenFlow body is
         * aligned.  Feed both. */
        one_body(&r, data, len, i++ % 2 ? OFP15_VERSION : OFP10_VERSION);
        data += len;
        size -= len;
    }
    rtvnic_reassembly_clear(&r);
    return 0;
}
