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

/* libFuzzer target: the receive path of a stamped Geneve packet.
 *
 * Input: one control byte, then a whole outer Ethernet frame as it arrives
 * from the underlay.  First a transit switch's egress reads the frame's
 * stamp (rtvnic_stamp_peek(), for stamp-rate).  Then the frame goes where
 * the userspace datapath sends a packet for its Geneve tnl_pop action:
 * flow_extract() sets its header offsets (dpif-netdev's
 * miniflow_extract()), then OVS's own netdev_geneve_pop_header() runs,
 * whose RTvNIC hook (ovs-patches 0008) calls rtvnic_geneve_receive() and
 * rtvnic_geneve_restore(): the option is parsed, measured into the
 * receiver's flow table (lib/rtvnic-rx.c) and stripped.  The flow table
 * persists from one input to the next, so inputs fill it, hit its cap, and
 * lowering the cap evicts; rtvnic_rx_run() expires idle flows as time
 * passes.
 *
 * Control byte:
 *   bits 0-2  the table's max_flows: 1, 2, 3, 4, 8, 16, 32 or 64;
 *   bit  3    idle timeout 1 s (the least rtvnic-rx-idle-timeout allows)
 *             instead of the default 60 s;
 *   bit  4    stamps use Geneve option class 0x0102, type 0x80 instead of
 *             the default 0xfff0, 0x52;
 *   bit  5    the NIC validated the outer checksums (DPDK's offload flags),
 *             so a fuzzed IPv4 header checksum does not stop the packet;
 *   bit  6    run the readers: rtvnic/flows (text and JSON), the miss
 *             reports and the heartbeat, and decode what they encode;
 *   bit  7    forget every flow first.
 *
 * Trusted tunnels: remotes 192.0.2.1 (any local IP) and 2001:db8::1 (local
 * 2001:db8::2), and 198.51.100.1 only to local 198.51.100.2, all on UDP
 * port 6081.  The wall clock reads T0_NS at every input, so stamps whose
 * arrival is near T0_NS are measured, not implausible.
 *
 * Only frames that the datapath's tnl_pop flow would match (IPv4 or IPv6,
 * UDP to port 6081, not a later fragment) reach the pop, as in the switch.
 *
 * Checks (abort() on failure): a popped packet from a trusted remote has no
 * RTvNIC option left in its tunnel metadata; the options never grow; the
 * flow table holds at most max_flows after rtvnic_rx_run(); every miss
 * report the table yields encodes and decodes. */

#include <config.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dp-packet.h"
#include "flow.h"
#include "netdev-native-tnl.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/ofpbuf.h"
#include "openvswitch/vlog.h"
#include "ovs-rcu.h"
#include "packets.h"
#include "rtvnic-report.h"
#include "rtvnic-rx.h"
#include "rtvnic-stamp.h"
#include "timeval.h"
#include "rtvnic-fuzz.h"
#include "util.h"

/* The wall clock the receiver sees: 2027-01-15, in ns. */
#define T0_NS (UINT64_C(1800000000) * 1000 * 1000 * 1000)

static const size_t max_flows_menu[8] = { 1, 2, 3, 4, 8, 16, 32, 64 };

/* Owners of the trusted tunnels (tunnel.c passes the ofport). */
static int tunnel_a, tunnel_b, tunnel_c;

static void
init(void)
{
    struct in6_addr remote, local;

    vlog_set_levels(NULL, VLF_ANY_DESTINATION, VLL_OFF);

    in6_addr_set_mapped_ipv4(&remote, htonl(0xc0000201));  /* 192.0.2.1 */
    rtvnic_rx_tunnel_set(&tunnel_a, &remote, NULL, htons(6081));

    ovs_assert(ipv6_parse("2001:db8::1", &remote));
    ovs_assert(ipv6_parse("2001:db8::2", &local));
    rtvnic_rx_tunnel_set(&tunnel_b, &remote, &local, htons(6081));

    in6_addr_set_mapped_ipv4(&remote, htonl(0xc6336401));  /* .100.1 */
    in6_addr_set_mapped_ipv4(&local, htonl(0xc6336402));
    rtvnic_rx_tunnel_set(&tunnel_c, &remote, &local, htons(6081));
}

/* Aborts if the 'len' bytes of Geneve options at 'opts' still hold an
 * option of class 'opt_class' and 'type'. */
static void
check_stripped(const uint8_t *opts, unsigned int len, uint16_t opt_class,
               uint8_t type)
{
    unsigned int ofs = 0;

    while (ofs + sizeof(struct geneve_opt) <= len) {
        const struct geneve_opt *opt = ALIGNED_CAST(const struct geneve_opt *,
                                                    opts + ofs);

        FUZZ_CHECK(opt->opt_class != htons(opt_class) || opt->type != type);
        ofs += sizeof *opt + opt->length * 4;
    }
}

/* Runs the readers of the flow table, and checks that what the switch would
 * send its controllers decodes. */
static void
run_readers(size_t max_flows)
{
    struct rtvnic_report *reports;
    struct rtvnic_beat_entry *beat;
    struct ds s = DS_EMPTY_INITIALIZER;
    size_t n;

    rtvnic_rx_format(&s);
    rtvnic_rx_format_json(&s);
    ds_destroy(&s);

    n = rtvnic_rx_take_reports(&reports, 10000);
    for (size_t i = 0; i < n; i++) {
        struct rtvnic_msg msg = { .type = RTVNIC_MSG_REPORT,
                                  .report = reports[i] };
        struct ofpbuf b;
        struct rtvnic_msg back;
        char *error;

        ofpbuf_init(&b, 0);
        FUZZ_CHECK(!rtvnic_msg_encode(&msg, &b));
        /* The switch would send a report its controller cannot read. */
        error = rtvnic_msg_decode(b.data, b.size, &back);
        FUZZ_CHECK(!error);
        rtvnic_msg_uninit(&back);
        ofpbuf_uninit(&b);
    }
    free(reports);

    /* rtvnic_rx_run() has brought the table within its bound. */
    n = rtvnic_rx_take_heartbeat(&beat);
    FUZZ_CHECK(n <= max_flows);
    free(beat);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool initialized;
    uint16_t opt_class;
    uint8_t ctl, type;

    if (!initialized) {
        init();
        initialized = true;
    }
    if (size < 1 + ETH_HEADER_LEN) {
        /* No NIC delivers a frame shorter than its Ethernet header. */
        return 0;
    }
    ctl = data[0];
    data++;
    size--;

    if (ctl & 0x80) {
        rtvnic_rx_clear();
    }
    size_t max_flows = max_flows_menu[ctl & 7];
    rtvnic_rx_set_config(true, max_flows, ctl & 0x08 ? 1000 : 60000);
    if (ctl & 0x10) {
        rtvnic_stamp_set_option(0x0102, 0x80);
    } else {
        rtvnic_stamp_set_option(RTVNIC_OPT_CLASS_DEFAULT,
                                RTVNIC_OPT_TYPE_DEFAULT);
    }
    rtvnic_stamp_get_option(&opt_class, &type);
    rtvnic_clock_set_offset(true, (int64_t) (T0_NS - time_usec() * 1000));

    struct dp_packet *packet = dp_packet_clone_data(data, size);
    struct flow flow;

    if (ctl & 0x20) {
        *dp_packet_ol_flags_ptr(packet) |= (DP_PACKET_OL_RX_IP_CKSUM_GOOD
                                            | DP_PACKET_OL_RX_L4_CKSUM_GOOD);
    }
    /* What a transit switch's egress reads (stamp-rate). */
    struct rtvnic_stamp stamp;
    if (rtvnic_stamp_peek(packet, &stamp)) {
        FUZZ_CHECK(stamp.version == RTVNIC_STAMP_VERSION);
    }

    flow_extract(packet, &flow);
    /* What the datapath's tnl_pop flow matches: UDP to the Geneve port,
     * not a later fragment. */
    if ((flow.dl_type == htons(ETH_TYPE_IP)
         || flow.dl_type == htons(ETH_TYPE_IPV6))
        && flow.nw_proto == IPPROTO_UDP && flow.tp_dst == htons(6081)
        && !(flow.nw_frag & FLOW_NW_FRAG_LATER) && dp_packet_l4(packet)) {
        const struct udp_header *udp = dp_packet_l4(packet);
        unsigned int opts_before = 0;

        if (dp_packet_l4_size(packet) >= UDP_HEADER_LEN + 1) {
            opts_before = ((const uint8_t *) (udp + 1))[0] & 0x3f;
        }
        packet = netdev_geneve_pop_header(packet);
        if (packet) {
            const struct flow_tnl *tnl = &packet->md.tunnel;

            FUZZ_CHECK(tnl->metadata.present.len <= opts_before * 4);
            if (rtvnic_rx_is_trusted(tnl)) {
                check_stripped((const uint8_t *) tnl->metadata.opts.gnv,
                               tnl->metadata.present.len, opt_class, type);
            }
        }
    }
    dp_packet_delete(packet);

    rtvnic_rx_run();
    if (ctl & 0x40) {
        run_readers(max_flows);
    }
    ovsrcu_quiesce();
    return 0;
}
