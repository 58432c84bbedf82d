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

#include <config.h>

#include "rtvnic-report.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "openvswitch/dynamic-string.h"
#include "openvswitch/ofp-msgs.h"
#include "openvswitch/ofpbuf.h"
#include "openvswitch/vlog.h"
#include "ovs-atomic.h"
#include "packets.h"
#include "rtvnic.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(rtvnic_report);

#define HEADER_LEN 8
#define REPORT_LEN 72
#define BEAT_ENTRY_LEN 32
#define SET_DEADLINE_LEN 24
#define CONFIG_LEN 16
#define SOURCE_ENTRY_LEN 16

static atomic_uint32_t report_interval_us = RTVNIC_REPORT_INTERVAL_DEFAULT_US;

uint32_t
rtvnic_report_interval_us(void)
{
    uint32_t us;

    atomic_read_relaxed(&report_interval_us, &us);
    return us;
}

/* Big-endian field writers and readers on unaligned bytes. */

static void
put_be(struct ofpbuf *b, uint64_t x, size_t n)
{
    uint8_t *p = ofpbuf_put_uninit(b, n);

    for (size_t i = 0; i < n; i++) {
        p[i] = x >> (8 * (n - 1 - i));
    }
}

static uint64_t
get_be(const uint8_t **p, size_t n)
{
    uint64_t x = 0;

    for (size_t i = 0; i < n; i++) {
        x = (x << 8) | (*p)[i];
    }
    *p += n;
    return x;
}

static void
put_addr(struct ofpbuf *b, const struct in6_addr *addr)
{
    ofpbuf_put(b, addr, sizeof *addr);
}

static void
get_addr(const uint8_t **p, struct in6_addr *addr)
{
    memcpy(addr, *p, sizeof *addr);
    *p += sizeof *addr;
}

/* Appends the body of 'msg' to 'b'. */
void
rtvnic_msg_encode(const struct rtvnic_msg *msg, struct ofpbuf *b)
{
    size_t start = b->size;
    const struct rtvnic_report *r = &msg->report;

    put_be(b, msg->type, 2);
    put_be(b, 0, 2);            /* Length, filled in below. */
    put_be(b, 0, 4);
    switch (msg->type) {
    case RTVNIC_MSG_REPORT:
        put_addr(b, &r->sender);
        put_be(b, r->vnic_id, 2);
        put_be(b, 0, 2);
        put_be(b, r->interval_us, 4);
        put_be(b, r->packets, 4);
        put_be(b, r->misses, 4);
        put_be(b, r->lost, 4);
        put_be(b, r->deadline_us, 4);
        put_be(b, r->max_excess_ns, 8);
        put_be(b, r->host_mean_ns, 4);
        put_be(b, r->host_max_ns, 4);
        put_be(b, r->network_mean_ns, 4);
        put_be(b, r->network_max_ns, 4);
        break;
    case RTVNIC_MSG_HEARTBEAT:
        put_be(b, msg->beat.n, 4);
        put_be(b, 0, 4);
        for (size_t i = 0; i < msg->beat.n; i++) {
            const struct rtvnic_beat_entry *e = &msg->beat.entries[i];

            put_addr(b, &e->sender);
            put_be(b, e->vnic_id, 2);
            put_be(b, 0, 2);
            put_be(b, e->packets, 4);
            put_be(b, e->misses, 4);
            put_be(b, 0, 4);
        }
        break;
    case RTVNIC_MSG_SET_DEADLINE:
        put_be(b, msg->set_deadline.vnic_id, 2);
        put_be(b, 0, 6);
        put_be(b, msg->set_deadline.deadline_ns, 8);
        break;
    case RTVNIC_MSG_CONFIG:
        put_be(b, msg->config.report_interval_us, 4);
        put_be(b, 0, 4);
        break;
    case RTVNIC_MSG_SOURCES:
        put_be(b, msg->sources.n, 4);
        put_be(b, 0, 4);
        for (size_t i = 0; i < msg->sources.n; i++) {
            const struct rtvnic_source_entry *e = &msg->sources.entries[i];

            put_be(b, e->vnic_id, 2);
            put_be(b, 0, 2);
            put_be(b, e->ofp_port, 4);
            put_be(b, e->deadline_us, 4);
            put_be(b, e->effective_us, 4);
        }
        break;
    }

    uint8_t *len = (uint8_t *) b->data + start + 2;
    size_t n = b->size - start;
    len[0] = n >> 8;
    len[1] = n;
}

/* Decodes the 'len' bytes at 'body' into 'msg'.  Returns NULL on success
 * (call rtvnic_msg_uninit() when done), otherwise a malloc()ed message that
 * says what is wrong. */
char *
rtvnic_msg_decode(const void *body, size_t len, struct rtvnic_msg *msg)
{
    const uint8_t *p = body;
    size_t declared, expected;
    uint16_t type;

    memset(msg, 0, sizeof *msg);
    if (len < HEADER_LEN) {
        return xasprintf("RTvNIC message of %"PRIuSIZE" bytes is shorter "
                         "than its %d-byte header", len, HEADER_LEN);
    }
    type = get_be(&p, 2);
    declared = get_be(&p, 2);
    p += 4;
    if (declared != len) {
        return xasprintf("RTvNIC message declares %"PRIuSIZE" bytes but has "
                         "%"PRIuSIZE, declared, len);
    }

    switch (type) {
    case RTVNIC_MSG_REPORT:
        expected = REPORT_LEN;
        break;
    case RTVNIC_MSG_HEARTBEAT:
        expected = HEADER_LEN + 8;
        if (len >= expected) {
            const uint8_t *n = p;

            expected += BEAT_ENTRY_LEN * get_be(&n, 4);
        }
        break;
    case RTVNIC_MSG_SET_DEADLINE:
        expected = SET_DEADLINE_LEN;
        break;
    case RTVNIC_MSG_CONFIG:
        expected = CONFIG_LEN;
        break;
    case RTVNIC_MSG_SOURCES:
        expected = HEADER_LEN + 8;
        if (len >= expected) {
            const uint8_t *n = p;

            expected += SOURCE_ENTRY_LEN * get_be(&n, 4);
        }
        break;
    default:
        return xasprintf("unknown RTvNIC message type %"PRIu16, type);
    }
    if (len != expected) {
        return xasprintf("RTvNIC message type %"PRIu16" has %"PRIuSIZE
                         " bytes, expected %"PRIuSIZE, type, len, expected);
    }

    msg->type = type;
    switch (msg->type) {
    case RTVNIC_MSG_REPORT: {
        struct rtvnic_report *r = &msg->report;

        get_addr(&p, &r->sender);
        r->vnic_id = get_be(&p, 2);
        p += 2;
        r->interval_us = get_be(&p, 4);
        r->packets = get_be(&p, 4);
        r->misses = get_be(&p, 4);
        r->lost = get_be(&p, 4);
        r->deadline_us = get_be(&p, 4);
        r->max_excess_ns = get_be(&p, 8);
        r->host_mean_ns = get_be(&p, 4);
        r->host_max_ns = get_be(&p, 4);
        r->network_mean_ns = get_be(&p, 4);
        r->network_max_ns = get_be(&p, 4);
        if (r->misses > r->packets) {
            return xasprintf("RTvNIC report has more misses (%"PRIu32") "
                             "than packets (%"PRIu32")", r->misses,
                             r->packets);
        }
        break;
    }
    case RTVNIC_MSG_HEARTBEAT:
        msg->beat.n = get_be(&p, 4);
        p += 4;
        msg->beat.entries = xcalloc(msg->beat.n + 1,
                                    sizeof *msg->beat.entries);
        for (size_t i = 0; i < msg->beat.n; i++) {
            struct rtvnic_beat_entry *e = &msg->beat.entries[i];

            get_addr(&p, &e->sender);
            e->vnic_id = get_be(&p, 2);
            p += 2;
            e->packets = get_be(&p, 4);
            e->misses = get_be(&p, 4);
            p += 4;
        }
        break;
    case RTVNIC_MSG_SET_DEADLINE:
        msg->set_deadline.vnic_id = get_be(&p, 2);
        p += 6;
        msg->set_deadline.deadline_ns = get_be(&p, 8);
        break;
    case RTVNIC_MSG_CONFIG:
        msg->config.report_interval_us = get_be(&p, 4);
        if (!msg->config.report_interval_us) {
            return xstrdup("RTvNIC config with a zero report interval");
        }
        break;
    case RTVNIC_MSG_SOURCES:
        msg->sources.n = get_be(&p, 4);
        p += 4;
        msg->sources.entries = xcalloc(msg->sources.n + 1,
                                       sizeof *msg->sources.entries);
        for (size_t i = 0; i < msg->sources.n; i++) {
            struct rtvnic_source_entry *e = &msg->sources.entries[i];

            e->vnic_id = get_be(&p, 2);
            p += 2;
            e->ofp_port = get_be(&p, 4);
            e->deadline_us = get_be(&p, 4);
            e->effective_us = get_be(&p, 4);
        }
        break;
    }
    return NULL;
}

void
rtvnic_msg_uninit(struct rtvnic_msg *msg)
{
    if (msg && msg->type == RTVNIC_MSG_HEARTBEAT) {
        free(msg->beat.entries);
        msg->beat.entries = NULL;
    } else if (msg && msg->type == RTVNIC_MSG_SOURCES) {
        free(msg->sources.entries);
        msg->sources.entries = NULL;
    }
}

void
rtvnic_msg_format(const struct rtvnic_msg *msg, struct ds *s)
{
    const struct rtvnic_report *r = &msg->report;

    switch (msg->type) {
    case RTVNIC_MSG_REPORT:
        ds_put_cstr(s, "report sender=");
        ipv6_format_mapped(&r->sender, s);
        ds_put_format(s, " vnic=%"PRIu16" interval_us=%"PRIu32" packets=%"
                      PRIu32" misses=%"PRIu32" lost=%"PRIu32" deadline_us=%"
                      PRIu32" max_excess_ns=%"PRIu64" host_mean_ns=%"PRIu32
                      " host_max_ns=%"PRIu32" network_mean_ns=%"PRIu32
                      " network_max_ns=%"PRIu32, r->vnic_id, r->interval_us,
                      r->packets, r->misses, r->lost, r->deadline_us,
                      r->max_excess_ns, r->host_mean_ns, r->host_max_ns,
                      r->network_mean_ns, r->network_max_ns);
        break;
    case RTVNIC_MSG_HEARTBEAT:
        ds_put_format(s, "heartbeat flows=%"PRIuSIZE, msg->beat.n);
        for (size_t i = 0; i < msg->beat.n; i++) {
            const struct rtvnic_beat_entry *e = &msg->beat.entries[i];

            ds_put_cstr(s, " (sender=");
            ipv6_format_mapped(&e->sender, s);
            ds_put_format(s, " vnic=%"PRIu16" packets=%"PRIu32" misses=%"
                          PRIu32")", e->vnic_id, e->packets, e->misses);
        }
        break;
    case RTVNIC_MSG_SET_DEADLINE:
        ds_put_format(s, "set_deadline vnic=%"PRIu16" deadline_ns=%"PRIu64,
                      msg->set_deadline.vnic_id,
                      msg->set_deadline.deadline_ns);
        break;
    case RTVNIC_MSG_CONFIG:
        ds_put_format(s, "config report_interval_us=%"PRIu32,
                      msg->config.report_interval_us);
        break;
    case RTVNIC_MSG_SOURCES:
        ds_put_format(s, "sources n=%"PRIuSIZE, msg->sources.n);
        for (size_t i = 0; i < msg->sources.n; i++) {
            const struct rtvnic_source_entry *e = &msg->sources.entries[i];

            ds_put_format(s, " (vnic=%"PRIu16" port=%"PRIu32" deadline_us=%"
                          PRIu32" effective_us=%"PRIu32")", e->vnic_id,
                          e->ofp_port, e->deadline_us, e->effective_us);
        }
        break;
    }
}

struct ofpbuf *
rtvnic_msg_to_ofp(const struct rtvnic_msg *msg, enum ofp_version version)
{
    struct ofpbuf *b = ofpraw_alloc_xid(OFPRAW_NXT_RTVNIC, version, htonl(0),
                                        REPORT_LEN);

    rtvnic_msg_encode(msg, b);
    ofpmsg_update_length(b);
    return b;
}

/* Decodes the NXT_RTVNIC message 'oh' into 'msg'. */
char *
rtvnic_msg_from_ofp(const struct ofp_header *oh, struct rtvnic_msg *msg)
{
    struct ofpbuf b = ofpbuf_const_initializer(oh, ntohs(oh->length));
    enum ofpraw raw = ofpraw_pull_assert(&b);

    ovs_assert(raw == OFPRAW_NXT_RTVNIC);
    return rtvnic_msg_decode(b.data, b.size, msg);
}

enum ofperr
rtvnic_ofp_print(struct ds *s, const struct ofp_header *oh)
{
    struct rtvnic_msg msg;
    char *error = rtvnic_msg_from_ofp(oh, &msg);

    ds_put_char(s, ' ');
    if (error) {
        ds_put_format(s, "***%s***", error);
        free(error);
    } else {
        rtvnic_msg_format(&msg, s);
        rtvnic_msg_uninit(&msg);
    }
    return 0;
}

/* Handles an NXT_RTVNIC message that a controller sent to this switch. */
enum ofperr
rtvnic_ofp_handle(const struct ofp_header *oh)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);
    enum ofperr ofperr = 0;
    struct rtvnic_msg msg;
    char *error;
    char *reason = NULL;
    int retval;

    error = rtvnic_msg_from_ofp(oh, &msg);
    if (error) {
        VLOG_WARN_RL(&rl, "bad RTvNIC message from controller: %s", error);
        free(error);
        return OFPERR_OFPBRC_BAD_LEN;
    }

    switch (msg.type) {
    case RTVNIC_MSG_SET_DEADLINE:
        retval = rtvnic_set_effective_deadline_by_id(
            msg.set_deadline.vnic_id, msg.set_deadline.deadline_ns, &reason);
        if (retval == EPERM) {
            VLOG_WARN_RL(&rl, "controller's deadline %"PRIu64" ns for RTvNIC "
                         "source %"PRIu16" refused: %s",
                         msg.set_deadline.deadline_ns,
                         msg.set_deadline.vnic_id, reason);
            free(reason);
            ofperr = OFPERR_OFPBRC_EPERM;
        } else if (retval == ENOENT) {
            VLOG_WARN_RL(&rl, "controller set the deadline of unknown RTvNIC "
                         "source %"PRIu16, msg.set_deadline.vnic_id);
            ofperr = OFPERR_OFPBRC_BAD_PORT;
        } else if (retval) {
            VLOG_WARN_RL(&rl, "controller set RTvNIC source %"PRIu16"'s "
                         "deadline to %"PRIu64" ns, outside (0, contract]",
                         msg.set_deadline.vnic_id,
                         msg.set_deadline.deadline_ns);
            ofperr = OFPERR_OFPBRC_EPERM;
        }
        break;
    case RTVNIC_MSG_CONFIG:
        if (msg.config.report_interval_us != rtvnic_report_interval_us()) {
            VLOG_INFO("controller set the RTvNIC report interval to %"PRIu32
                      " us", msg.config.report_interval_us);
            atomic_store_relaxed(&report_interval_us,
                                 msg.config.report_interval_us);
        }
        break;
    case RTVNIC_MSG_REPORT:
    case RTVNIC_MSG_HEARTBEAT:
    case RTVNIC_MSG_SOURCES:
        ofperr = OFPERR_OFPBRC_BAD_TYPE;
        break;
    }
    rtvnic_msg_uninit(&msg);
    return ofperr;
}
