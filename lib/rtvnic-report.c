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

#include "coverage.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/ofp-msgs.h"
#include "openvswitch/ofpbuf.h"
#include "openvswitch/vlog.h"
#include "ovs-atomic.h"
#include "packets.h"
#include "rtvnic.h"
#include "unaligned.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(rtvnic_report);

COVERAGE_DEFINE(rtvnic_ofp_bad_msg);
COVERAGE_DEFINE(rtvnic_ofp_refused);
COVERAGE_DEFINE(rtvnic_ofp_secondary);
COVERAGE_DEFINE(rtvnic_reassembly_drop);

static atomic_uint32_t report_interval_us = RTVNIC_REPORT_INTERVAL_DEFAULT_US;
static atomic_uint16_t near_permille;
static atomic_uint64_t n_refused;
/* A controller's CONFIG asked for the sources (main thread only). */
static bool sources_asked;

uint32_t
rtvnic_report_interval_us(void)
{
    uint32_t us;

    atomic_read_relaxed(&report_interval_us, &us);
    return us;
}

uint16_t
rtvnic_report_near_permille(void)
{
    uint16_t permille;

    atomic_read_relaxed(&near_permille, &permille);
    return permille;
}

/* NXT_RTVNIC messages from controllers that this switch refused (bad, from a
 * secondary controller, or out of range). */
uint64_t
rtvnic_ofp_n_refused(void)
{
    uint64_t n;

    atomic_read_relaxed(&n_refused, &n);
    return n;
}

void
rtvnic_ofp_clear_sources_request(void)
{
    sources_asked = false;
}

bool
rtvnic_ofp_sources_requested(void)
{
    return sources_asked;
}

static void
put_addr(ovs_be32 dst[4], const struct in6_addr *addr)
{
    memcpy(dst, addr, sizeof *addr);
}

static void
get_addr(const ovs_be32 src[4], struct in6_addr *addr)
{
    memcpy(addr, src, sizeof *addr);
}

/* Returns the length of 'msg''s body, or SIZE_MAX if it has more entries
 * than one body holds (so that no 'n' can make the product wrap). */
/* Whether 'msg', a SOURCES, needs the entry format with miss targets. */
static bool
sources_have_miss(const struct rtvnic_msg *msg)
{
    for (size_t i = 0; i < msg->sources.n; i++) {
        const struct rtvnic_source_entry *e = &msg->sources.entries[i];

        if (e->miss_target_ppm || e->miss_window_ms) {
            return true;
        }
    }
    return false;
}

static size_t
source_entry_len(const struct rtvnic_msg *msg)
{
    return (sources_have_miss(msg)
            ? sizeof(struct rtvnic_wire_source_entry)
            : sizeof(struct rtvnic_wire_source_entry_v1));
}

static size_t
msg_body_len(const struct rtvnic_msg *msg)
{
    switch (msg->type) {
    case RTVNIC_MSG_REPORT:
        return sizeof(struct rtvnic_wire_report);
    case RTVNIC_MSG_HEARTBEAT:
        return (msg->beat.n > RTVNIC_BEAT_MAX_ENTRIES
                ? SIZE_MAX
                : sizeof(struct rtvnic_wire_list)
                  + msg->beat.n * sizeof(struct rtvnic_wire_beat_entry));
    case RTVNIC_MSG_SET_DEADLINE:
        return sizeof(struct rtvnic_wire_set_deadline);
    case RTVNIC_MSG_CONFIG:
        return sizeof(struct rtvnic_wire_config);
    case RTVNIC_MSG_SOURCES:
        return (msg->sources.n > RTVNIC_SOURCES_MAX_ENTRIES
                ? SIZE_MAX
                : sizeof(struct rtvnic_wire_list)
                  + msg->sources.n * source_entry_len(msg));
    }
    return SIZE_MAX;
}

static void
put_header(struct rtvnic_wire_header *h, const struct rtvnic_msg *msg,
           size_t len)
{
    h->type = htons(msg->type);
    h->length = htons(len);
    h->flags = htons(msg->more ? RTVNIC_MSG_F_MORE : 0);
    h->part = htons(msg->part);
}

int
rtvnic_msg_encode(const struct rtvnic_msg *msg, struct ofpbuf *b)
{
    size_t len = msg_body_len(msg);

    /* Checked here, before anything is written: the 16-bit 'length' field
     * (and OpenFlow's) cannot hold more. */
    if (len > RTVNIC_MSG_MAX_LEN) {
        return EMSGSIZE;
    }

    switch (msg->type) {
    case RTVNIC_MSG_REPORT: {
        const struct rtvnic_report *r = &msg->report;
        struct rtvnic_wire_report *w = ofpbuf_put_zeros(b, sizeof *w);

        put_header(&w->header, msg, len);
        put_addr(w->sender, &r->sender);
        w->vnic_id = htons(r->vnic_id);
        w->near_misses = htons(MIN(r->near_misses, UINT16_MAX));
        w->interval_us = htonl(r->interval_us);
        w->packets = htonl(r->packets);
        w->misses = htonl(r->misses);
        w->lost = htonl(r->lost);
        w->deadline_us = htonl(r->deadline_us);
        put_32aligned_be64(&w->max_excess_ns, htonll(r->max_excess_ns));
        w->host_mean_ns = htonl(r->host_mean_ns);
        w->host_max_ns = htonl(r->host_max_ns);
        w->network_mean_ns = htonl(r->network_mean_ns);
        w->network_max_ns = htonl(r->network_max_ns);
        break;
    }
    case RTVNIC_MSG_HEARTBEAT: {
        struct rtvnic_wire_list *l = ofpbuf_put_zeros(b, sizeof *l);

        put_header(&l->header, msg, len);
        l->n = htonl(msg->beat.n);
        for (size_t i = 0; i < msg->beat.n; i++) {
            const struct rtvnic_beat_entry *e = &msg->beat.entries[i];
            struct rtvnic_wire_beat_entry *w = ofpbuf_put_zeros(b, sizeof *w);

            put_addr(w->sender, &e->sender);
            w->vnic_id = htons(e->vnic_id);
            w->packets = htonl(e->packets);
            w->misses = htonl(e->misses);
        }
        break;
    }
    case RTVNIC_MSG_SET_DEADLINE: {
        struct rtvnic_wire_set_deadline *w = ofpbuf_put_zeros(b, sizeof *w);

        put_header(&w->header, msg, len);
        w->vnic_id = htons(msg->set_deadline.vnic_id);
        w->deadline_ns = htonll(msg->set_deadline.deadline_ns);
        break;
    }
    case RTVNIC_MSG_CONFIG: {
        struct rtvnic_wire_config *w = ofpbuf_put_zeros(b, sizeof *w);

        put_header(&w->header, msg, len);
        w->report_interval_us = htonl(msg->config.report_interval_us);
        w->near_permille = htons(msg->config.near_permille);
        break;
    }
    case RTVNIC_MSG_SOURCES: {
        struct rtvnic_wire_list *l = ofpbuf_put_zeros(b, sizeof *l);
        size_t entry_len = source_entry_len(msg);

        put_header(&l->header, msg, len);
        l->n = htonl(msg->sources.n);
        if (entry_len != sizeof(struct rtvnic_wire_source_entry_v1)) {
            l->entry_len = htons(entry_len);
        }
        for (size_t i = 0; i < msg->sources.n; i++) {
            const struct rtvnic_source_entry *e = &msg->sources.entries[i];
            /* The original entry is a prefix of the new one. */
            struct rtvnic_wire_source_entry *w = ofpbuf_put_zeros(b,
                                                                  entry_len);

            w->vnic_id = htons(e->vnic_id);
            w->ofp_port = htonl(e->ofp_port);
            w->deadline_us = htonl(e->deadline_us);
            w->effective_us = htonl(e->effective_us);
            if (entry_len == sizeof *w) {
                w->miss_target_ppm = htonl(e->miss_target_ppm);
                w->miss_window_ms = htonl(e->miss_window_ms);
            }
        }
        break;
    }
    }
    return 0;
}

size_t
rtvnic_msg_encode_parts(const struct rtvnic_msg *msg_, struct ovs_list *bodies)
{
    struct rtvnic_msg msg = *msg_;
    size_t n, max, ofs = 0, n_parts = 0;

    if (msg.type == RTVNIC_MSG_HEARTBEAT) {
        n = msg_->beat.n;
        max = RTVNIC_BEAT_MAX_ENTRIES;
    } else if (msg.type == RTVNIC_MSG_SOURCES) {
        n = msg_->sources.n;
        max = (sources_have_miss(msg_) ? RTVNIC_SOURCES_MAX_ENTRIES_MISS
               : RTVNIC_SOURCES_MAX_ENTRIES);
    } else {
        n = max = 0;
    }

    msg.part = 0;
    do {
        size_t chunk = MIN(n - ofs, max);
        struct ofpbuf *b;

        if (msg.type == RTVNIC_MSG_HEARTBEAT) {
            msg.beat.entries = msg_->beat.entries + ofs;
            msg.beat.n = chunk;
        } else if (msg.type == RTVNIC_MSG_SOURCES) {
            msg.sources.entries = msg_->sources.entries + ofs;
            msg.sources.n = chunk;
        }
        ofs += chunk;
        msg.more = ofs < n;

        /* Every part is at most 'max' entries long, so only a message of
         * an unknown type can fail here. */
        b = ofpbuf_new(0);
        if (rtvnic_msg_encode(&msg, b)) {
            static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(1, 5);

            VLOG_WARN_RL(&rl, "cannot encode RTvNIC message of type %d",
                         msg.type);
            ofpbuf_delete(b);
            break;
        }
        ovs_list_push_back(bodies, &b->list_node);
        msg.part++;             /* Wraps at 65536, as documented. */
        n_parts++;
    } while (ofs < n);

    return n_parts;
}

void
rtvnic_msg_bodies_delete(struct ovs_list *bodies)
{
    ofpbuf_list_delete(bodies);
}

/* Decodes the 'len' bytes at 'body' into 'msg'.  Returns NULL on success
 * (call rtvnic_msg_uninit() when done), otherwise a malloc()ed message that
 * says what is wrong. */
char *
rtvnic_msg_decode(const void *body, size_t len, struct rtvnic_msg *msg)
{
    const struct rtvnic_wire_header *h;
    size_t declared, expected;
    void *copy = NULL;
    uint16_t type, flags;
    char *error = NULL;

    memset(msg, 0, sizeof *msg);
    if (len < sizeof *h) {
        return xasprintf("RTvNIC message of %"PRIuSIZE" bytes is shorter "
                         "than its %"PRIuSIZE"-byte header", len, sizeof *h);
    }
    if (len > RTVNIC_MSG_MAX_LEN) {
        /* No encoder writes one (nor fits one in an OpenFlow message), so
         * a decoded message always encodes again. */
        return xasprintf("RTvNIC message of %"PRIuSIZE" bytes is longer "
                         "than the maximum of %d", len, RTVNIC_MSG_MAX_LEN);
    }
    if ((uintptr_t) body % 8) {
        /* The wire structs need the alignment of an OpenFlow body. */
        body = copy = xmemdup(body, len);
    }
    h = body;
    type = ntohs(h->type);
    declared = ntohs(h->length);
    flags = ntohs(h->flags);
    if (declared != len) {
        error = xasprintf("RTvNIC message declares %"PRIuSIZE" bytes but has "
                          "%"PRIuSIZE, declared, len);
        goto out;
    }

    switch (type) {
    case RTVNIC_MSG_REPORT:
        expected = sizeof(struct rtvnic_wire_report);
        break;
    case RTVNIC_MSG_HEARTBEAT:
        expected = sizeof(struct rtvnic_wire_list);
        if (len >= expected) {
            const struct rtvnic_wire_list *l = body;

            if (l->entry_len) {
                error = xasprintf("RTvNIC heartbeat has entry length %"
                                  PRIu16", expected 0", ntohs(l->entry_len));
                goto out;
            }
            expected += (sizeof(struct rtvnic_wire_beat_entry)
                         * (uint64_t) ntohl(l->n));
        }
        break;
    case RTVNIC_MSG_SET_DEADLINE:
        expected = sizeof(struct rtvnic_wire_set_deadline);
        break;
    case RTVNIC_MSG_CONFIG:
        expected = sizeof(struct rtvnic_wire_config);
        break;
    case RTVNIC_MSG_SOURCES:
        expected = sizeof(struct rtvnic_wire_list);
        if (len >= expected) {
            const struct rtvnic_wire_list *l = body;
            uint16_t entry_len = ntohs(l->entry_len);

            if (!entry_len) {
                entry_len = sizeof(struct rtvnic_wire_source_entry_v1);
            } else if (entry_len != sizeof(struct rtvnic_wire_source_entry)) {
                error = xasprintf("RTvNIC sources have entry length %"PRIu16
                                  ", expected 0 (16) or %"PRIuSIZE,
                                  entry_len,
                                  sizeof(struct rtvnic_wire_source_entry));
                goto out;
            }
            expected += entry_len * (uint64_t) ntohl(l->n);
        }
        break;
    default:
        error = xasprintf("unknown RTvNIC message type %"PRIu16, type);
        goto out;
    }
    if (len != expected) {
        error = xasprintf("RTvNIC message type %"PRIu16" has %"PRIuSIZE
                          " bytes, expected %"PRIuSIZE, type, len, expected);
        goto out;
    }
    if (flags & ~RTVNIC_MSG_F_MORE
        || ((flags || h->part) && type != RTVNIC_MSG_HEARTBEAT
            && type != RTVNIC_MSG_SOURCES)) {
        error = xasprintf("RTvNIC message type %"PRIu16" has flags %#"PRIx16
                          " and part %"PRIu16", which it cannot have", type,
                          flags, ntohs(h->part));
        goto out;
    }

    msg->type = type;
    msg->more = (flags & RTVNIC_MSG_F_MORE) != 0;
    msg->part = ntohs(h->part);
    switch (msg->type) {
    case RTVNIC_MSG_REPORT: {
        const struct rtvnic_wire_report *w = body;
        struct rtvnic_report *r = &msg->report;

        get_addr(w->sender, &r->sender);
        r->vnic_id = ntohs(w->vnic_id);
        r->near_misses = ntohs(w->near_misses);
        r->interval_us = ntohl(w->interval_us);
        r->packets = ntohl(w->packets);
        r->misses = ntohl(w->misses);
        r->lost = ntohl(w->lost);
        r->deadline_us = ntohl(w->deadline_us);
        r->max_excess_ns = ntohll(get_32aligned_be64(&w->max_excess_ns));
        r->host_mean_ns = ntohl(w->host_mean_ns);
        r->host_max_ns = ntohl(w->host_max_ns);
        r->network_mean_ns = ntohl(w->network_mean_ns);
        r->network_max_ns = ntohl(w->network_max_ns);
        if (r->misses > r->packets) {
            error = xasprintf("RTvNIC report has more misses (%"PRIu32") "
                              "than packets (%"PRIu32")", r->misses,
                              r->packets);
        } else if (r->near_misses > r->packets - r->misses) {
            error = xasprintf("RTvNIC report has more near misses (%"PRIu32
                              ") than packets that met their deadline (%"
                              PRIu32")", r->near_misses,
                              r->packets - r->misses);
        }
        break;
    }
    case RTVNIC_MSG_HEARTBEAT: {
        const struct rtvnic_wire_list *l = body;
        const struct rtvnic_wire_beat_entry *w = (const void *) (l + 1);

        msg->beat.n = ntohl(l->n);
        msg->beat.entries = xcalloc(msg->beat.n + 1,
                                    sizeof *msg->beat.entries);
        for (size_t i = 0; i < msg->beat.n; i++, w++) {
            struct rtvnic_beat_entry *e = &msg->beat.entries[i];

            get_addr(w->sender, &e->sender);
            e->vnic_id = ntohs(w->vnic_id);
            e->packets = ntohl(w->packets);
            e->misses = ntohl(w->misses);
        }
        break;
    }
    case RTVNIC_MSG_SET_DEADLINE: {
        const struct rtvnic_wire_set_deadline *w = body;

        msg->set_deadline.vnic_id = ntohs(w->vnic_id);
        msg->set_deadline.deadline_ns = ntohll(w->deadline_ns);
        break;
    }
    case RTVNIC_MSG_CONFIG: {
        const struct rtvnic_wire_config *w = body;

        msg->config.report_interval_us = ntohl(w->report_interval_us);
        msg->config.near_permille = ntohs(w->near_permille);
        if (!msg->config.report_interval_us) {
            error = xstrdup("RTvNIC config with a zero report interval");
        } else if (msg->config.near_permille > RTVNIC_NEAR_PERMILLE_MAX) {
            error = xasprintf("RTvNIC config with a near-miss fraction of "
                              "%"PRIu16"/1000, not below 1",
                              msg->config.near_permille);
        }
        break;
    }
    case RTVNIC_MSG_SOURCES: {
        const struct rtvnic_wire_list *l = body;
        const uint8_t *w = (const void *) (l + 1);
        size_t entry_len = (l->entry_len
                            ? sizeof(struct rtvnic_wire_source_entry)
                            : sizeof(struct rtvnic_wire_source_entry_v1));

        msg->sources.n = ntohl(l->n);
        msg->sources.entries = xcalloc(msg->sources.n + 1,
                                       sizeof *msg->sources.entries);
        for (size_t i = 0; i < msg->sources.n; i++, w += entry_len) {
            const struct rtvnic_wire_source_entry *we = (const void *) w;
            struct rtvnic_source_entry *e = &msg->sources.entries[i];

            e->vnic_id = ntohs(we->vnic_id);
            e->ofp_port = ntohl(we->ofp_port);
            e->deadline_us = ntohl(we->deadline_us);
            e->effective_us = ntohl(we->effective_us);
            if (entry_len == sizeof *we) {
                e->miss_target_ppm = ntohl(we->miss_target_ppm);
                e->miss_window_ms = ntohl(we->miss_window_ms);
            }
        }
        break;
    }
    }

out:
    if (error) {
        rtvnic_msg_uninit(msg);
        memset(msg, 0, sizeof *msg);
    }
    free(copy);
    return error;
}

void
rtvnic_msg_uninit(struct rtvnic_msg *msg)
{
    if (msg && msg->type == RTVNIC_MSG_HEARTBEAT) {
        free(msg->beat.entries);
        msg->beat.entries = NULL;
        msg->beat.n = 0;
    } else if (msg && msg->type == RTVNIC_MSG_SOURCES) {
        free(msg->sources.entries);
        msg->sources.entries = NULL;
        msg->sources.n = 0;
    }
}

/* Formats the part number and "more" flag of a multi-part list, nothing for
 * a message that is a single body. */
static void
format_part(const struct rtvnic_msg *msg, struct ds *s)
{
    if (msg->part || msg->more) {
        ds_put_format(s, " part=%"PRIu16"%s", msg->part,
                      msg->more ? " more" : "");
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
        if (r->near_misses) {
            ds_put_format(s, " near_misses=%"PRIu32, r->near_misses);
        }
        break;
    case RTVNIC_MSG_HEARTBEAT:
        ds_put_format(s, "heartbeat");
        format_part(msg, s);
        ds_put_format(s, " flows=%"PRIuSIZE, msg->beat.n);
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
        if (msg->config.near_permille) {
            ds_put_format(s, " near_permille=%"PRIu16,
                          msg->config.near_permille);
        }
        break;
    case RTVNIC_MSG_SOURCES:
        ds_put_format(s, "sources");
        format_part(msg, s);
        ds_put_format(s, " n=%"PRIuSIZE, msg->sources.n);
        for (size_t i = 0; i < msg->sources.n; i++) {
            const struct rtvnic_source_entry *e = &msg->sources.entries[i];

            ds_put_format(s, " (vnic=%"PRIu16" port=%"PRIu32" deadline_us=%"
                          PRIu32" effective_us=%"PRIu32, e->vnic_id,
                          e->ofp_port, e->deadline_us, e->effective_us);
            if (e->miss_target_ppm || e->miss_window_ms) {
                ds_put_format(s, " miss_target_ppm=%"PRIu32
                              " miss_window_ms=%"PRIu32, e->miss_target_ppm,
                              e->miss_window_ms);
            }
            ds_put_char(s, ')');
        }
        break;
    }
}

/* Returns an NXT_RTVNIC message with the 'len' bytes at 'body', which must
 * be at most RTVNIC_MSG_MAX_LEN and a multiple of 8 (as every body that
 * rtvnic_msg_encode() writes): OpenFlow refuses other lengths. */
struct ofpbuf *
rtvnic_body_to_ofp(const void *body, size_t len, enum ofp_version version)
{
    struct ofpbuf *b = ofpraw_alloc_xid(OFPRAW_NXT_RTVNIC, version, htonl(0),
                                        len);

    ofpbuf_put(b, body, len);
    ofpmsg_update_length(b);
    return b;
}

struct ofpbuf *
rtvnic_msg_to_ofp(const struct rtvnic_msg *msg, enum ofp_version version)
{
    struct ofpbuf *b = ofpraw_alloc_xid(OFPRAW_NXT_RTVNIC, version, htonl(0),
                                        sizeof(struct rtvnic_wire_report));

    if (rtvnic_msg_encode(msg, b)) {
        ofpbuf_delete(b);
        return NULL;
    }
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

/* Reassembly. */

void
rtvnic_reassembly_init(struct rtvnic_reassembly *r)
{
    memset(r, 0, sizeof *r);
    r->beat.type = RTVNIC_MSG_HEARTBEAT;
    r->sources.type = RTVNIC_MSG_SOURCES;
}

/* Forgets the incomplete lists in 'r' (e.g. when its connection drops). */
void
rtvnic_reassembly_clear(struct rtvnic_reassembly *r)
{
    rtvnic_msg_uninit(&r->beat);
    rtvnic_msg_uninit(&r->sources);
    rtvnic_reassembly_init(r);
}

/* Feeds 'msg', decoded from the connection that 'r' belongs to, to 'r'.
 * Returns true if 'msg' now holds a complete message to act on (a REPORT,
 * SET_DEADLINE or CONFIG as it was, or a whole HEARTBEAT or SOURCES list,
 * with 'more' false).  Returns false if it was one part of a list that is not
 * complete yet; then 'r' took its entries.  Either way the caller calls
 * rtvnic_msg_uninit(msg) when done.  If incomplete parts had to be thrown
 * away (a part is missing, or the list is longer than
 * RTVNIC_REASSEMBLY_MAX_ENTRIES), '*errorp' gets a malloc()ed message that
 * says why, otherwise NULL. */
bool
rtvnic_reassemble(struct rtvnic_reassembly *r, struct rtvnic_msg *msg,
                  char **errorp)
{
    struct rtvnic_msg *acc;
    void **accp, **inp;
    size_t *acc_n, *in_n, size;

    *errorp = NULL;
    if (msg->type == RTVNIC_MSG_HEARTBEAT) {
        acc = &r->beat;
        accp = (void **) &acc->beat.entries;
        acc_n = &acc->beat.n;
        inp = (void **) &msg->beat.entries;
        in_n = &msg->beat.n;
        size = sizeof *msg->beat.entries;
    } else if (msg->type == RTVNIC_MSG_SOURCES) {
        acc = &r->sources;
        accp = (void **) &acc->sources.entries;
        acc_n = &acc->sources.n;
        inp = (void **) &msg->sources.entries;
        in_n = &msg->sources.n;
        size = sizeof *msg->sources.entries;
    } else {
        return true;
    }

    if (acc->more && msg->part != (uint16_t) (acc->part + 1)) {
        COVERAGE_INC(rtvnic_reassembly_drop);
        *errorp = xasprintf("%s: part %"PRIu16" follows part %"PRIu16
                            ", discarding %"PRIuSIZE" entries of an "
                            "incomplete list",
                            msg->type == RTVNIC_MSG_HEARTBEAT
                            ? "heartbeat" : "sources",
                            msg->part, acc->part, *acc_n);
        free(*accp);
        *accp = NULL;
        *acc_n = 0;
        acc->more = false;
    }
    if (!acc->more) {
        if (!msg->part && !msg->more) {
            return true;        /* The common case: a single body. */
        } else if (msg->part) {
            if (!*errorp) {
                COVERAGE_INC(rtvnic_reassembly_drop);
                *errorp = xasprintf("%s: part %"PRIu16" without its first "
                                    "part, discarded",
                                    msg->type == RTVNIC_MSG_HEARTBEAT
                                    ? "heartbeat" : "sources", msg->part);
            }
            return false;
        }
    } else if (*acc_n + *in_n > RTVNIC_REASSEMBLY_MAX_ENTRIES) {
        COVERAGE_INC(rtvnic_reassembly_drop);
        *errorp = xasprintf("%s list longer than %u entries, discarded",
                            msg->type == RTVNIC_MSG_HEARTBEAT
                            ? "heartbeat" : "sources",
                            RTVNIC_REASSEMBLY_MAX_ENTRIES);
        free(*accp);
        *accp = NULL;
        *acc_n = 0;
        acc->more = false;
        return false;
    }

    /* Append this part's entries. */
    *accp = xrealloc(*accp, (*acc_n + *in_n + 1) * size);
    memcpy((char *) *accp + *acc_n * size, *inp, *in_n * size);
    *acc_n += *in_n;
    acc->part = msg->part;
    acc->more = msg->more;
    if (acc->more) {
        return false;
    }

    /* Complete: hand the whole list over in 'msg'. */
    free(*inp);
    *inp = *accp;
    *in_n = *acc_n;
    *accp = NULL;
    *acc_n = 0;
    msg->part = 0;
    msg->more = false;
    return true;
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

static enum ofperr
refuse(enum ofperr error)
{
    COVERAGE_INC(rtvnic_ofp_refused);
    atomic_count_inc64(&n_refused);
    return error;
}

/* Handles an NXT_RTVNIC message that a controller sent to this switch.
 *
 * Every valid NXT_RTVNIC from a controller changes this switch's state, so
 * ofproto passes the result of its reject_secondary_controller() as
 * 'role_error': nonzero (OFPERR_OFPBRC_IS_SECONDARY, the OpenFlow error
 * once called OFPBRC_IS_SLAVE) refuses a SET_DEADLINE or CONFIG with that
 * error, as for flow_mods.  Service connections (ovs-ofctl, the operator's
 * ptcp: and punix: listeners) are in the "equal" role unless they ask for
 * another, so they are obeyed. */
enum ofperr
rtvnic_ofp_handle(const struct ofp_header *oh, enum ofperr role_error)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);
    enum ofperr ofperr = 0;
    struct rtvnic_msg msg;
    char *error;
    int retval;

    error = rtvnic_msg_from_ofp(oh, &msg);
    if (error) {
        COVERAGE_INC(rtvnic_ofp_bad_msg);
        VLOG_WARN_RL(&rl, "bad RTvNIC message from controller: %s", error);
        free(error);
        return refuse(OFPERR_OFPBRC_BAD_LEN);
    }
    if (role_error && (msg.type == RTVNIC_MSG_SET_DEADLINE
                       || msg.type == RTVNIC_MSG_CONFIG)) {
        struct ds s = DS_EMPTY_INITIALIZER;

        COVERAGE_INC(rtvnic_ofp_secondary);
        rtvnic_msg_format(&msg, &s);
        VLOG_WARN_RL(&rl, "secondary controller may not change RTvNIC "
                     "state, refused: %s", ds_cstr(&s));
        ds_destroy(&s);
        rtvnic_msg_uninit(&msg);
        return refuse(role_error);
    }

    switch (msg.type) {
    case RTVNIC_MSG_SET_DEADLINE: {
        char *reason = NULL;

        retval = rtvnic_set_effective_deadline_by_id(
            msg.set_deadline.vnic_id, msg.set_deadline.deadline_ns, &reason);
        if (retval == ENOENT) {
            VLOG_WARN_RL(&rl, "controller set the deadline of unknown RTvNIC "
                         "source %"PRIu16, msg.set_deadline.vnic_id);
            ofperr = refuse(OFPERR_OFPBRC_BAD_PORT);
        } else if (retval == EPERM && reason) {
            /* Admission refused the tightened deadline. */
            VLOG_WARN_RL(&rl, "controller's deadline %"PRIu64" ns for RTvNIC "
                         "source %"PRIu16" refused: %s",
                         msg.set_deadline.deadline_ns,
                         msg.set_deadline.vnic_id, reason);
            ofperr = refuse(OFPERR_OFPBRC_EPERM);
        } else if (retval) {
            VLOG_WARN_RL(&rl, "controller set RTvNIC source %"PRIu16"'s "
                         "deadline to %"PRIu64" ns, outside (0, contract]",
                         msg.set_deadline.vnic_id,
                         msg.set_deadline.deadline_ns);
            ofperr = refuse(OFPERR_OFPBRC_EPERM);
        }
        free(reason);
        break;
    }
    case RTVNIC_MSG_CONFIG: {
        uint32_t us = msg.config.report_interval_us;

        if (us < RTVNIC_REPORT_INTERVAL_MIN_US
            || us > RTVNIC_REPORT_INTERVAL_MAX_US) {
            VLOG_WARN_RL(&rl, "controller set the RTvNIC report interval to "
                         "%"PRIu32" us, outside %d to %d us: refused", us,
                         RTVNIC_REPORT_INTERVAL_MIN_US,
                         RTVNIC_REPORT_INTERVAL_MAX_US);
            ofperr = refuse(OFPERR_OFPBRC_EPERM);
        } else {
            /* A controller that keeps changing them must not flood the
             * log. */
            static struct vlog_rate_limit info_rl
                = VLOG_RATE_LIMIT_INIT(5, 5);
            uint16_t permille = msg.config.near_permille;

            if (us != rtvnic_report_interval_us()) {
                VLOG_INFO_RL(&info_rl, "controller set the RTvNIC report "
                             "interval to %"PRIu32" us", us);
                atomic_store_relaxed(&report_interval_us, us);
            }
            if (permille != rtvnic_report_near_permille()) {
                VLOG_INFO_RL(&info_rl, "controller set the RTvNIC near-miss "
                             "fraction to %"PRIu16"/1000 of the deadline",
                             permille);
                atomic_store_relaxed(&near_permille, permille);
            }
            sources_asked = true;
        }
        break;
    }
    case RTVNIC_MSG_REPORT:
    case RTVNIC_MSG_HEARTBEAT:
    case RTVNIC_MSG_SOURCES:
        COVERAGE_INC(rtvnic_ofp_bad_msg);
        VLOG_WARN_RL(&rl, "bad RTvNIC message from controller: type %d is "
                     "for controllers", msg.type);
        ofperr = refuse(OFPERR_OFPBRC_BAD_TYPE);
        break;
    }
    rtvnic_msg_uninit(&msg);
    return ofperr;
}
