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

#include "rtvnic-stamp.h"

#include <string.h>
#include <time.h>

#include "cmap.h"
#include "coverage.h"
#include "csum.h"
#include "dp-packet.h"
#include "flow.h"
#include "hash.h"
#include "odp-netlink.h"
#include "openvswitch/geneve.h"
#include "openvswitch/hmap.h"
#include "ovs-atomic.h"
#include "ovs-rcu.h"
#include "ovs-thread.h"
#include "packets.h"
#include "rtvnic-rx.h"
#include "timeval.h"
#include "unaligned.h"
#include "util.h"

COVERAGE_DEFINE(rtvnic_stamp_no_room);
COVERAGE_DEFINE(rtvnic_stamp_not_geneve);
COVERAGE_DEFINE(rtvnic_seq_dst_overflow);

#define RTVNIC_OPT_LEN (sizeof(struct geneve_opt) + RTVNIC_OPT_DATA_LEN)

/* Offset of depart_delta_ns in the option data. */
#define DEPART_OFS 8

static atomic_uint32_t option_id = ((RTVNIC_OPT_CLASS_DEFAULT << 8)
                                    | RTVNIC_OPT_TYPE_DEFAULT);

void
rtvnic_stamp_set_option(uint16_t opt_class, uint8_t type)
{
    atomic_store_relaxed(&option_id, ((uint32_t) opt_class << 8) | type);
}

void
rtvnic_stamp_get_option(uint16_t *opt_class, uint8_t *type)
{
    uint32_t id;

    atomic_read_relaxed(&option_id, &id);
    *opt_class = id >> 8;
    *type = id & 0xff;
}

void
rtvnic_stamp_encode(const struct rtvnic_stamp *stamp,
                    uint8_t data[RTVNIC_OPT_DATA_LEN])
{
    put_unaligned_be64(ALIGNED_CAST(ovs_be64 *, &data[0]),
                       htonll(stamp->arrival_ns));
    put_unaligned_be32(ALIGNED_CAST(ovs_be32 *, &data[8]),
                       htonl(stamp->depart_delta_ns));
    put_unaligned_be32(ALIGNED_CAST(ovs_be32 *, &data[12]),
                       htonl(stamp->deadline_us));
    put_unaligned_be16(ALIGNED_CAST(ovs_be16 *, &data[16]),
                       htons(stamp->vnic_id));
    data[18] = (stamp->dscp << 2) | (stamp->flags & 0x3);
    data[19] = stamp->version;
    put_unaligned_be32(ALIGNED_CAST(ovs_be32 *, &data[20]),
                       htonl(stamp->seq));
}

void
rtvnic_stamp_decode(const uint8_t data[RTVNIC_OPT_DATA_LEN],
                    struct rtvnic_stamp *stamp)
{
    stamp->arrival_ns = ntohll(get_unaligned_be64(
                                   ALIGNED_CAST(const ovs_be64 *, &data[0])));
    stamp->depart_delta_ns = ntohl(get_unaligned_be32(
                                   ALIGNED_CAST(const ovs_be32 *, &data[8])));
    stamp->deadline_us = ntohl(get_unaligned_be32(
                                   ALIGNED_CAST(const ovs_be32 *, &data[12])));
    stamp->vnic_id = ntohs(get_unaligned_be16(
                               ALIGNED_CAST(const ovs_be16 *, &data[16])));
    stamp->dscp = data[18] >> 2;
    stamp->flags = data[18] & 0x3;
    stamp->version = data[19];
    stamp->seq = ntohl(get_unaligned_be32(
                           ALIGNED_CAST(const ovs_be32 *, &data[20])));
}

/* Clock. */

static atomic_bool clock_fixed = false;
static atomic_int64_t clock_offset_ns = 0;

static int64_t
real_clock_ns(clockid_t clock)
{
    struct timespec ts;

    clock_gettime(clock, &ts);
    return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Converts 'monotonic_ns', a time read from OVS's monotonic clock, to wall
 * clock nanoseconds, with the offset rtvnic_clock_refresh() last computed
 * (or the fixed one), so that the per-packet cost is one atomic load. */
uint64_t
rtvnic_clock_wall_ns(uint64_t monotonic_ns)
{
    int64_t offset;

    atomic_read_relaxed(&clock_offset_ns, &offset);
    return monotonic_ns + offset;
}

/* Recomputes the offset from the monotonic to the wall clock, unless it is
 * fixed.  The main thread calls it on every iteration, so that the offset
 * follows the wall clock's adjustments. */
void
rtvnic_clock_refresh(void)
{
    bool fixed;

    atomic_read_relaxed(&clock_fixed, &fixed);
    if (!fixed) {
        atomic_store_relaxed(&clock_offset_ns,
                             (real_clock_ns(CLOCK_REALTIME)
                              - real_clock_ns(CLOCK_MONOTONIC)));
    }
}

/* Fixes the offset from OVS's monotonic clock to the wall clock at
 * 'offset_ns' or, if '!fixed', lets it follow the real clocks again. */
void
rtvnic_clock_set_offset(bool fixed, int64_t offset_ns)
{
    atomic_store_relaxed(&clock_offset_ns, offset_ns);
    atomic_store_relaxed(&clock_fixed, fixed);
    rtvnic_clock_refresh();
}

int64_t
rtvnic_clock_get_offset(bool *fixedp)
{
    int64_t offset;
    bool fixed;

    atomic_read_relaxed(&clock_fixed, &fixed);
    if (fixed) {
        atomic_read_relaxed(&clock_offset_ns, &offset);
    } else {
        offset = (real_clock_ns(CLOCK_REALTIME)
                  - real_clock_ns(CLOCK_MONOTONIC));
    }
    if (fixedp) {
        *fixedp = fixed;
    }
    return offset;
}

/* Sequence numbers, per (source, tunnel destination): a receiver counts a
 * gap as loss, so a vNIC that talks to several hosts must not spread one
 * sequence over them.
 *
 * Datapath threads find a counter in 'seq_counters' without a lock and take
 * a number with an atomic add; only a new (source, destination) takes
 * 'seq_mutex', which rtvnic_stamp_source_removed() also holds while it
 * removes the source's counters.  A source has at most RTVNIC_SEQ_MAX_DSTS
 * counters of its own; further destinations share the source's overflow
 * counter (destination ::), so their receivers see gaps, counted as loss,
 * instead of the switch growing without bound. */

struct seq_counter {
    struct cmap_node node;      /* In 'seq_counters'. */
    uint16_t source_id;
    struct in6_addr dst;
    atomic_uint32_t next;
};

/* Number of counters per source, for the bound. */
struct seq_source {
    struct hmap_node node;      /* In 'seq_sources', by 'source_id'. */
    uint16_t source_id;
    size_t n_dsts;
};

static struct ovs_mutex seq_mutex = OVS_MUTEX_INITIALIZER;
static struct cmap seq_counters = CMAP_INITIALIZER;
static struct hmap seq_sources OVS_GUARDED_BY(seq_mutex)
    = HMAP_INITIALIZER(&seq_sources);

static uint32_t
seq_hash(uint16_t source_id, const struct in6_addr *dst)
{
    return hash_bytes(dst, sizeof *dst, source_id);
}

static struct seq_counter *
seq_find(uint16_t source_id, const struct in6_addr *dst, uint32_t hash)
{
    struct seq_counter *c;

    CMAP_FOR_EACH_WITH_HASH (c, node, hash, &seq_counters) {
        if (c->source_id == source_id && ipv6_addr_equals(&c->dst, dst)) {
            return c;
        }
    }
    return NULL;
}

static struct seq_source *
seq_source_find(uint16_t source_id) OVS_REQUIRES(seq_mutex)
{
    struct seq_source *src;

    HMAP_FOR_EACH_WITH_HASH (src, node, hash_int(source_id, 0),
                             &seq_sources) {
        if (src->source_id == source_id) {
            return src;
        }
    }
    return NULL;
}

/* Returns the counter of ('source_id', '*dst'), creating it (or, beyond the
 * bound, falling back to the source's overflow counter). */
static struct seq_counter *
seq_counter_create(uint16_t source_id, const struct in6_addr *dst)
{
    uint32_t hash = seq_hash(source_id, dst);
    struct seq_counter *c;

    ovs_mutex_lock(&seq_mutex);
    c = seq_find(source_id, dst, hash);
    if (!c) {
        struct seq_source *src = seq_source_find(source_id);

        if (!src) {
            src = xzalloc(sizeof *src);
            src->source_id = source_id;
            hmap_insert(&seq_sources, &src->node, hash_int(source_id, 0));
        }
        if (src->n_dsts >= RTVNIC_SEQ_MAX_DSTS
            && ipv6_addr_is_set(dst)) {
            COVERAGE_INC(rtvnic_seq_dst_overflow);
            dst = &in6addr_any;
            hash = seq_hash(source_id, dst);
            c = seq_find(source_id, dst, hash);
        }
        if (!c) {
            c = xzalloc(sizeof *c);
            c->source_id = source_id;
            c->dst = *dst;
            atomic_init(&c->next, 0);
            cmap_insert(&seq_counters, &c->node, hash);
            src->n_dsts++;
        }
    }
    ovs_mutex_unlock(&seq_mutex);
    return c;
}

static uint32_t
next_seq(uint16_t source_id, const struct in6_addr *dst)
{
    struct seq_counter *c = seq_find(source_id, dst,
                                     seq_hash(source_id, dst));
    uint32_t seq;

    if (OVS_UNLIKELY(!c)) {
        c = seq_counter_create(source_id, dst);
    }
    atomic_add_relaxed(&c->next, 1, &seq);
    return seq;
}

/* Forgets the sequence counters of 'source_id', which is no source any
 * more: if its id is reused, the new source starts again at 0. */
void
rtvnic_stamp_source_removed(uint16_t source_id)
{
    struct seq_counter *c;

    ovs_mutex_lock(&seq_mutex);
    struct seq_source *src = seq_source_find(source_id);
    if (src) {
        CMAP_FOR_EACH (c, node, &seq_counters) {
            if (c->source_id == source_id) {
                cmap_remove(&seq_counters, &c->node,
                            seq_hash(source_id, &c->dst));
                ovsrcu_postpone(free, c);
            }
        }
        hmap_remove(&seq_sources, &src->node);
        free(src);
    }
    ovs_mutex_unlock(&seq_mutex);
}

/* Returns the offset of the Geneve header in the tunnel header template
 * 'header' of 'len' bytes, or 0 if it is not Ethernet + IP + UDP + Geneve;
 * stores the tunnel destination in '*dst'. */
static size_t
geneve_offset(const uint8_t *header, size_t len, struct in6_addr *dst)
{
    const struct eth_header *eth;
    size_t l3 = ETH_HEADER_LEN;

    if (len < l3 + IP_HEADER_LEN) {
        return 0;
    }
    eth = ALIGNED_CAST(const struct eth_header *, header);
    if (eth->eth_type == htons(ETH_TYPE_IP)) {
        const struct ip_header *ip;

        ip = ALIGNED_CAST(const struct ip_header *, header + l3);
        in6_addr_set_mapped_ipv4(dst, get_16aligned_be32(&ip->ip_dst));
        l3 += IP_IHL(ip->ip_ihl_ver) * 4;
    } else if (eth->eth_type == htons(ETH_TYPE_IPV6)
               && len >= l3 + IPV6_HEADER_LEN) {
        const struct ovs_16aligned_ip6_hdr *ip6;

        ip6 = ALIGNED_CAST(const struct ovs_16aligned_ip6_hdr *,
                           header + l3);
        memcpy(dst, &ip6->ip6_dst, sizeof *dst);
        l3 += IPV6_HEADER_LEN;
    } else {
        return 0;
    }
    return (l3 + UDP_HEADER_LEN + sizeof(struct genevehdr) <= len
            ? l3 + UDP_HEADER_LEN : 0);
}

/* If 'packet' comes from an RTvNIC source, stores in '*stamped' a copy of
 * the Geneve tnl_push 'data' whose header carries the RTvNIC option for
 * 'packet', records where the departure field will be, and returns true.
 * Otherwise returns false and 'packet' is pushed unstamped. */
bool
rtvnic_geneve_stamp(struct dp_packet *packet,
                    const struct ovs_action_push_tnl *data,
                    struct ovs_action_push_tnl *stamped)
{
    struct rtvnic_packet_meta *meta = &packet->rtvnic;
    struct rtvnic_stamp stamp;
    struct genevehdr *gnh;
    struct geneve_opt *opt;
    struct in6_addr dst;
    size_t gnv_ofs, opt_ofs, udp_ofs;
    uint16_t opt_class;
    uint8_t type;

    if (!meta->source_id) {
        return false;
    }
    gnv_ofs = geneve_offset((const uint8_t *) data->header, data->header_len,
                            &dst);
    if (!gnv_ofs) {
        COVERAGE_INC(rtvnic_stamp_not_geneve);
        return false;
    }
    gnh = ALIGNED_CAST(struct genevehdr *,
                       (uint8_t *) data->header + gnv_ofs);
    if (data->header_len + RTVNIC_OPT_LEN > sizeof data->header
        || gnh->opt_len + RTVNIC_OPT_LEN / 4 > 63) {
        /* The tunnel's own options leave no room for the stamp. */
        COVERAGE_INC(rtvnic_stamp_no_room);
        return false;
    }

    /* Copy only what the push reads. */
    memcpy(stamped, data, offsetof(struct ovs_action_push_tnl, header));
    memcpy(stamped->header, data->header, data->header_len);

    opt_ofs = data->header_len;
    stamped->header_len += RTVNIC_OPT_LEN;
    gnh = ALIGNED_CAST(struct genevehdr *,
                       (uint8_t *) stamped->header + gnv_ofs);
    gnh->opt_len += RTVNIC_OPT_LEN / 4;

    rtvnic_stamp_get_option(&opt_class, &type);
    opt = ALIGNED_CAST(struct geneve_opt *,
                       (uint8_t *) stamped->header + opt_ofs);
    memset(opt, 0, sizeof *opt);
    opt->opt_class = htons(opt_class);
    opt->type = type;
    opt->length = RTVNIC_OPT_DATA_LEN / 4;

    /* Packets not stamped on receipt (e.g. packet-outs) arrive now.  The
     * departure is written by the EDF egress, if the packet goes through
     * one; until then the host part of the delay counts as zero. */
    uint64_t arrival = (meta->arrival_ns
                        ? rtvnic_packet_arrival(meta, 0)
                        : (uint64_t) time_usec() * 1000);
    stamp = (struct rtvnic_stamp) {
        .arrival_ns = rtvnic_clock_wall_ns(arrival),
        .depart_delta_ns = 0,
        .deadline_us = meta->contract_deadline_us,
        .vnic_id = meta->source_id,
        .dscp = meta->orig_dscp >> 2,
        .flags = (meta->orig_dscp & RTVNIC_ORIG_DSCP_VALID
                  ? RTVNIC_STAMP_F_DSCP : 0),
        .version = RTVNIC_STAMP_VERSION,
        .seq = next_seq(meta->source_id, &dst),
    };
    rtvnic_stamp_encode(&stamp, (uint8_t *) (opt + 1));

    /* After the push the packet starts with the header. */
    size_t size = dp_packet_size(packet) + stamped->header_len;
    meta->stamp_tail = size - (opt_ofs + sizeof *opt + DEPART_OFS);
    udp_ofs = gnv_ofs - UDP_HEADER_LEN;
    meta->csum_tail = size - (udp_ofs + offsetof(struct udp_header,
                                                 udp_csum));
    return true;
}

/* Writes into the wire stamp of 'packet', if it has one, that it leaves the
 * switch at 'now_ns' (OVS monotonic time). */
void
rtvnic_stamp_depart(struct dp_packet *packet, uint64_t now_ns)
{
    struct rtvnic_packet_meta *meta = &packet->rtvnic;
    uint32_t size = dp_packet_size(packet);
    uint8_t *base = dp_packet_data(packet);

    if (!meta->stamp_tail || meta->stamp_tail > size
        || meta->csum_tail > size) {
        return;
    }

    uint64_t arrival = rtvnic_packet_arrival(meta, now_ns);
    uint64_t delta = now_ns > arrival ? now_ns - arrival : 0;
    uint8_t *field = base + size - meta->stamp_tail;
    ovs_be32 old, new = htonl(MIN(delta, UINT32_MAX));

    memcpy(&old, field, sizeof old);
    memcpy(field, &new, sizeof new);
    if (meta->csum_tail) {
        uint8_t *csum_field = base + size - meta->csum_tail;
        ovs_be16 csum;

        memcpy(&csum, csum_field, sizeof csum);
        if (csum) {
            csum = recalc_csum32(csum, old, new);
            if (!csum) {
                csum = htons(0xffff);
            }
            memcpy(csum_field, &csum, sizeof csum);
        }
    }
    meta->stamp_tail = 0;
}

/* Receiver. */

/* Locates the IP header of the Ethernet frame 'packet' (skipping one VLAN
 * tag).  Returns NULL if it carries neither IPv4 nor IPv6. */
static uint8_t *
find_ip(const struct dp_packet *packet, bool *is_ipv6)
{
    uint8_t *p = dp_packet_data(packet);
    size_t size = dp_packet_size(packet);
    size_t ofs = 2 * ETH_ADDR_LEN;
    ovs_be16 type;

    if (size < ETH_HEADER_LEN + VLAN_HEADER_LEN + IPV6_HEADER_LEN
        && size < ETH_HEADER_LEN + IP_HEADER_LEN) {
        return NULL;
    }
    memcpy(&type, p + ofs, sizeof type);
    if (type == htons(ETH_TYPE_VLAN) || type == htons(ETH_TYPE_VLAN_8021AD)) {
        ofs += VLAN_HEADER_LEN;
        memcpy(&type, p + ofs, sizeof type);
    }
    ofs += 2;
    if (type == htons(ETH_TYPE_IP) && size >= ofs + IP_HEADER_LEN) {
        *is_ipv6 = false;
        return p + ofs;
    } else if (type == htons(ETH_TYPE_IPV6) && size >= ofs + IPV6_HEADER_LEN) {
        *is_ipv6 = true;
        return p + ofs;
    }
    return NULL;
}

/* If 'packet' is an Ethernet frame (with at most one VLAN tag) carrying IPv4
 * (not a fragment) or IPv6 (no extension header), UDP to the Geneve port
 * 6081, and Geneve version 0 whose options hold the RTvNIC option, 24 bytes
 * long and of version RTVNIC_STAMP_VERSION, stores the stamp in '*stamp'
 * and returns true.  Otherwise returns false.  Reads only bytes inside
 * 'packet', whatever the headers claim, and changes nothing. */
bool
rtvnic_stamp_peek(const struct dp_packet *packet, struct rtvnic_stamp *stamp)
{
    const uint8_t *end = (const uint8_t *) dp_packet_data(packet)
                         + dp_packet_size(packet);
    const uint8_t *ip, *udp, *opts;
    uint16_t opt_class, dst_port;
    unsigned int opts_len;
    bool is_ipv6;
    uint8_t type;

    ip = find_ip(packet, &is_ipv6);
    if (!ip) {
        return false;
    }
    if (is_ipv6) {
        if (ip[6] != IPPROTO_UDP) {
            return false;
        }
        udp = ip + IPV6_HEADER_LEN;
    } else {
        size_t ihl = (ip[0] & 0x0f) * 4;
        ovs_be16 frag;

        memcpy(&frag, ip + 6, sizeof frag);
        if (ip[0] >> 4 != 4 || ihl < IP_HEADER_LEN || ip[9] != IPPROTO_UDP
            || frag & htons(IP_MORE_FRAGMENTS | IP_FRAG_OFF_MASK)
            || ihl > end - ip) {
            return false;
        }
        udp = ip + ihl;
    }
    if (end - udp < UDP_HEADER_LEN + sizeof(struct genevehdr)) {
        return false;
    }
    memcpy(&dst_port, udp + 2, sizeof dst_port);
    if (dst_port != htons(RTVNIC_GENEVE_PORT) || udp[UDP_HEADER_LEN] >> 6) {
        return false;
    }
    opts_len = (udp[UDP_HEADER_LEN] & 0x3f) * 4;
    opts = udp + UDP_HEADER_LEN + sizeof(struct genevehdr);
    if (opts_len > end - opts) {
        return false;
    }

    rtvnic_stamp_get_option(&opt_class, &type);
    for (unsigned int ofs = 0; ofs + sizeof(struct geneve_opt) <= opts_len;) {
        const uint8_t *opt = opts + ofs;
        unsigned int len = (opt[3] & 0x1f) * 4;
        ovs_be16 class;

        ofs += sizeof(struct geneve_opt) + len;
        if (ofs > opts_len) {
            return false;
        }
        memcpy(&class, opt, sizeof class);
        if (class == htons(opt_class) && opt[2] == type) {
            if (len != RTVNIC_OPT_DATA_LEN) {
                return false;
            }
            rtvnic_stamp_decode(opt + sizeof(struct geneve_opt), stamp);
            return stamp->version == RTVNIC_STAMP_VERSION;
        }
    }
    return false;
}

bool
rtvnic_packet_get_dscp(const struct dp_packet *packet, uint8_t *dscp)
{
    bool is_ipv6;
    uint8_t *ip = find_ip(packet, &is_ipv6);

    if (!ip) {
        return false;
    }
    *dscp = (is_ipv6
             ? (((ip[0] & 0x0f) << 4) | (ip[1] >> 4)) >> 2
             : ip[1] >> 2);
    return true;
}

/* Processes the 'opts_len' bytes of Geneve options at 'opts' of a packet that
 * arrived through the tunnel described by 'tnl', after waiting 'rx_wait_ns'
 * in this switch's receive socket (0: unknown).  If this switch is an
 * RTvNIC receiver and the packet comes from a configured tunnel, measures
 * the RTvNIC stamp, if there is one, and removes it; otherwise leaves the
 * options as they are (an untrusted stamp is only counted), as stock OVS
 * would.  Returns the new length of the options.  Fills in '*restore' with
 * what rtvnic_geneve_restore() must do once the packet is decapsulated. */
unsigned int
rtvnic_geneve_receive(const struct flow_tnl *tnl, struct geneve_opt *opts,
                      unsigned int opts_len, uint64_t rx_wait_ns,
                      struct rtvnic_restore *restore)
{
    uint8_t *base = (uint8_t *) opts;
    unsigned int ofs = 0;
    uint16_t opt_class;
    uint8_t type;
    struct in6_addr sender;
    int trusted = -1;           /* -1: not checked yet. */

    restore->dscp_valid = false;
    if (!rtvnic_rx_enabled()) {
        return opts_len;
    }
    rtvnic_stamp_get_option(&opt_class, &type);
    while (ofs + sizeof(struct geneve_opt) <= opts_len) {
        struct geneve_opt *opt = ALIGNED_CAST(struct geneve_opt *,
                                                base + ofs);
        unsigned int len = sizeof *opt + opt->length * 4;

        if (opt->opt_class != htons(opt_class) || opt->type != type) {
            ofs += len;
            continue;
        }

        if (trusted < 0) {
            trusted = rtvnic_rx_is_trusted(tnl);
        }
        if (!trusted) {
            /* Delivered as it came, option included. */
            rtvnic_rx_record_untrusted();
            ofs += len;
            continue;
        }

        long long int now_ms = time_msec();
        if (tnl->ip_dst) {
            in6_addr_set_mapped_ipv4(&sender, tnl->ip_src);
        } else {
            sender = tnl->ipv6_src;
        }
        if (ofs + len > opts_len) {
            /* Runs past the options: drop it and what follows. */
            rtvnic_rx_record_bad(&sender, 0, now_ms);
            return ofs;
        }
        if (opt->length * 4 != RTVNIC_OPT_DATA_LEN) {
            rtvnic_rx_record_bad(&sender, 0, now_ms);
        } else {
            struct rtvnic_stamp stamp;

            rtvnic_stamp_decode((const uint8_t *) (opt + 1), &stamp);
            if (stamp.version != RTVNIC_STAMP_VERSION) {
                rtvnic_rx_record_bad(&sender, stamp.vnic_id, now_ms);
            } else {
                uint64_t now = rtvnic_clock_wall_ns((uint64_t) time_usec()
                                                    * 1000);
                rtvnic_rx_record(&sender, &stamp, now, rx_wait_ns, now_ms);
                if (stamp.flags & RTVNIC_STAMP_F_DSCP) {
                    restore->dscp_valid = true;
                    restore->dscp = stamp.dscp;
                }
            }
        }
        memmove(opt, base + ofs + len, opts_len - ofs - len);
        opts_len -= len;
    }
    return opts_len;
}

/* Gives the decapsulated 'packet' back the DSCP its sender sent it with. */
void
rtvnic_geneve_restore(struct dp_packet *packet,
                      const struct rtvnic_restore *restore)
{
    bool is_ipv6;
    uint8_t *ip;

    if (!restore->dscp_valid || !(ip = find_ip(packet, &is_ipv6))) {
        return;
    }
    if (is_ipv6) {
        /* Traffic class: the low 4 bits of byte 0, the high 4 of byte 1. */
        uint8_t tc = (restore->dscp << 2) | (((ip[1] >> 4) & IP_ECN_MASK));

        ip[0] = (ip[0] & 0xf0) | (tc >> 4);
        ip[1] = (ip[1] & 0x0f) | (tc << 4);
    } else {
        uint8_t tos = (restore->dscp << 2) | (ip[1] & IP_ECN_MASK);

        if (tos != ip[1]) {
            /* Byte 1 is the low half of the header's first 16-bit word. */
            ovs_be16 csum;

            memcpy(&csum, ip + 10, sizeof csum);
            csum = recalc_csum16(csum, htons(ip[1]), htons(tos));
            memcpy(ip + 10, &csum, sizeof csum);
            ip[1] = tos;
        }
    }
}
