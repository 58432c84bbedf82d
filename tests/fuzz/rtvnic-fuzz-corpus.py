#! /usr/bin/env python3
# Copyright (c) 2026 RTvNIC authors.
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at:
#
#     http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.

"""Writes the seed corpora of the RTvNIC fuzz targets.

  rtvnic-fuzz-corpus.py DIR

writes DIR/<target>/seed-<name> for every target of tests/fuzz/: meaningful
inputs in the formats that tests/fuzz/*_target.c document (the wire layouts
of lib/rtvnic-stamp.h and lib/rtvnic-report.h).  The seeds are committed in
tests/fuzz/corpus/; run this again after a format change.  Regression inputs
(regress-*, named after the defect they found) are kept there by hand and not
written here; build-aux/rtvnic-fuzz.sh runs every file once, whole, before it
fuzzes (which truncates inputs to the target's -max_len).
"""

import json
import os
import struct
import sys

T0_NS = 1800000000 * 10**9      # rtvnic_rx_target's wall clock.
OPT_CLASS, OPT_TYPE = 0xfff0, 0x52


# Packets (as tests/rtvnic-pkt.py builds them).

def csum(data):
    if len(data) % 2:
        data += b'\0'
    s = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def ip4(s):
    return bytes(int(x) for x in s.split('.'))


def ip6(s):
    import socket
    return socket.inet_pton(socket.AF_INET6, s)


def ipv4(src, dst, proto, payload, tos=0):
    hdr = struct.pack('!BBHHHBBH4s4s', 0x45, tos, 20 + len(payload), 0,
                      0x4000, 64, proto, 0, ip4(src), ip4(dst))
    return hdr[:10] + struct.pack('!H', csum(hdr)) + hdr[12:] + payload


def ipv6(src, dst, proto, payload, tc=0):
    return struct.pack('!IHBB16s16s', (6 << 28) | (tc << 20), len(payload),
                       proto, 64, ip6(src), ip6(dst)) + payload


def udp(sport, dport, payload):
    return struct.pack('!HHHH', sport, dport, 8 + len(payload), 0) + payload


def eth(ethtype, payload, vlan=None):
    hdr = bytes.fromhex('aa55aa550000f8bc124434b6')
    if vlan is not None:
        hdr += struct.pack('!HH', 0x8100, vlan)
    return hdr + struct.pack('!H', ethtype) + payload


def inner(v6=False, dscp=0):
    payload = bytes(range(32))
    l2 = bytes.fromhex('505400000003505400000001')
    if v6:
        return l2 + struct.pack('!H', 0x86dd) + ipv6(
            'fd00::1', 'fd00::3', 17, udp(5000, 9, payload), tc=dscp << 2)
    return l2 + struct.pack('!H', 0x0800) + ipv4(
        '10.0.0.1', '10.0.0.3', 17, udp(5000, 9, payload), tos=dscp << 2)


def stamp(arrival=T0_NS - 500000, depart=20000, deadline_us=2000, vnic=1,
          dscp=46, flags=1, version=1, seq=1, words=6, cls=OPT_CLASS,
          typ=OPT_TYPE):
    data = struct.pack('!QIIHBBI', arrival, depart, deadline_us, vnic,
                       (dscp << 2) | flags, version, seq)
    data = (data + b'\0' * 128)[:words * 4]
    return struct.pack('!HBB', cls, typ, words) + data


def other_option(words=2):
    return struct.pack('!HBB', 0x0101, 0x01, words) + b'\x11' * (words * 4)


def geneve(opts, opt_words=None, v6=False, src=None, dst=None, vlan=None,
           inner_v6=False, dport=6081):
    if opt_words is None:
        opt_words = len(opts) // 4
    gnv = struct.pack('!BBHI', opt_words, 0, 0x6558, 123 << 8) + opts
    payload = udp(51283, dport, gnv + inner(inner_v6))
    if v6:
        return eth(0x86dd, ipv6(src or '2001:db8::1', dst or '2001:db8::2',
                                17, payload), vlan)
    return eth(0x0800, ipv4(src or '192.0.2.1', dst or '192.0.2.2', 17,
                            payload), vlan)


def rx_seeds():
    # Control byte: see tests/fuzz/rtvnic_rx_target.c.
    readers = 0x40
    s = {}
    s['v4-stamp'] = bytes([readers | 3]) + geneve(stamp())
    s['v4-miss'] = bytes([readers | 3]) + geneve(
        stamp(arrival=T0_NS - 5000000, deadline_us=1000, seq=7))
    s['v4-negative-delay'] = bytes([3]) + geneve(
        stamp(arrival=T0_NS + 1000000))
    s['v4-implausible'] = bytes([3]) + geneve(
        stamp(arrival=T0_NS - 20 * 10**9))
    s['v4-bad-version'] = bytes([3]) + geneve(stamp(version=2))
    s['v4-short-option'] = bytes([3]) + geneve(stamp(words=5))
    s['v4-option-past-end'] = bytes([3]) + geneve(stamp(), opt_words=4)
    s['v4-options-around'] = bytes([readers | 4]) + geneve(
        other_option() + stamp(vnic=9) + other_option(1))
    s['v4-two-stamps'] = bytes([readers | 4]) + geneve(
        stamp(vnic=2, seq=5) + stamp(vnic=3, seq=9))
    s['v4-untrusted'] = bytes([3]) + geneve(stamp(), src='203.0.113.9')
    s['v4-local-ok'] = bytes([3]) + geneve(stamp(), src='198.51.100.1',
                                           dst='198.51.100.2')
    s['v4-local-wrong'] = bytes([3]) + geneve(stamp(), src='198.51.100.1',
                                              dst='198.51.100.9')
    s['v4-vlan'] = bytes([3]) + geneve(stamp(), vlan=10)
    s['v4-no-options'] = bytes([3]) + geneve(b'')
    s['v4-no-dscp-flag'] = bytes([3]) + geneve(stamp(flags=0))
    s['v4-inner-v6'] = bytes([3]) + geneve(stamp(dscp=34), inner_v6=True)
    s['v4-other-class'] = bytes([0x10 | 3]) + geneve(
        stamp(cls=0x0102, typ=0x80))
    s['v4-cap-1-clear'] = bytes([0x80 | readers | 0]) + geneve(
        stamp(vnic=77, arrival=T0_NS - 3000000, deadline_us=1000))
    s['v4-idle-1s'] = bytes([0x08 | 5]) + geneve(stamp(vnic=5, seq=100))
    s['v4-csum-offloaded'] = bytes([0x20 | 3]) + geneve(stamp(seq=2))
    s['v6-stamp'] = bytes([readers | 3]) + geneve(stamp(vnic=4), v6=True)
    s['v6-untrusted-local'] = bytes([3]) + geneve(stamp(), v6=True,
                                                  dst='2001:db8::9')
    return s


# NXT_RTVNIC bodies (lib/rtvnic-report.h).

def hdr(typ, length, flags=0, part=0):
    return struct.pack('!HHHH', typ, length, flags, part)


def report(packets=100, misses=10, sender='::ffff:192.0.2.1', vnic=1):
    body = struct.pack('!16sH2xIIIIIQIIII', ip6(sender), vnic, 10000, packets,
                       misses, 0, 2000, 300000, 900000, 1200000, 50000,
                       80000)
    return hdr(1, 8 + len(body)) + body


def beat_list(typ, entries, flags=0, part=0, n=None):
    body = struct.pack('!I4x', len(entries) if n is None else n)
    body += b''.join(entries)
    return hdr(typ, 8 + len(body), flags, part) + body


def beat_entry(i):
    return struct.pack('!16sH2xII4x', ip6('::ffff:192.0.2.%d' % (i % 250)), i,
                       1000 + i, i % 3)


def source_entry(i):
    return struct.pack('!H2xIII', i, i + 1, 2000 + i, 1500 + i)


def report_seeds():
    s = {}
    s['report'] = report()
    s['report-misses-over-packets'] = report(packets=1, misses=2)
    s['report-v6'] = report(sender='2001:db8::1', vnic=65535)
    s['heartbeat-empty'] = beat_list(2, [])
    s['heartbeat-3'] = beat_list(2, [beat_entry(i) for i in range(3)])
    s['heartbeat-n-lies'] = beat_list(2, [beat_entry(1)], n=2)
    s['set-deadline'] = hdr(3, 24) + struct.pack('!H6xQ', 7, 1500000)
    s['config'] = hdr(4, 16) + struct.pack('!I4x', 10000)
    s['config-zero'] = hdr(4, 16) + struct.pack('!I4x', 0)
    s['config-flags'] = hdr(4, 16, flags=1) + struct.pack('!I4x', 10000)
    s['sources-2'] = beat_list(5, [source_entry(i) for i in range(2)])
    s['unknown-type'] = hdr(9, 16) + b'\0' * 8
    s['length-lies'] = hdr(1, 72) + b'\0' * 8
    s['heartbeat-3-parts'] = (
        beat_list(2, [beat_entry(1), beat_entry(2)], flags=1, part=0)
        + beat_list(2, [beat_entry(3)], flags=1, part=1)
        + beat_list(2, [beat_entry(4)], flags=0, part=2))
    s['sources-part-lost'] = (
        beat_list(5, [source_entry(1)], flags=1, part=0)
        + beat_list(5, [source_entry(2)], flags=0, part=2))
    s['sources-part-without-first'] = beat_list(5, [source_entry(1)],
                                                flags=0, part=3)
    s['heartbeat-wraps-part'] = (
        beat_list(2, [beat_entry(1)], flags=1, part=0)
        + beat_list(2, [beat_entry(2)], flags=0, part=1)
        + beat_list(2, [beat_entry(3)], flags=1, part=65535))
    s['all-types'] = b''.join([
        report(), beat_list(2, [beat_entry(5)]),
        hdr(3, 24) + struct.pack('!H6xQ', 1, 1000000),
        hdr(4, 16) + struct.pack('!I4x', 1000),
        beat_list(5, [source_entry(9)])])
    return s


def config_seeds():
    return {
        'source': 'deadline=2ms\nmin-rate=20000000\nburst=120000\n',
        'source-deadline-only': 'deadline=500us\n',
        'egress': ('max-rate=950000000\ndefault-deadline=50ms\n'
                   'default-min-rate=1000000\nqueue-limit=10000\n'
                   'late-policy=drop\n'),
        'egress-bytes': 'max-rate=1000000000\nqueue-limit=1500000B\n',
        'both-roles': 'deadline=1s\nmin-rate=1000000000000\n'
                      'max-rate=1000000000000\nburst=8589934592\n',
        'admission': ('max-rate=100000000\n--\ndeadline=2ms\n'
                      'min-rate=20000000\nburst=120000\n--\ndeadline=10ms\n'
                      'min-rate=50000000\n--\ndeadline=100us\n'
                      'min-rate=1000000\nburst=12000\n'),
        'admission-refused': ('max-rate=10000000\n--\ndeadline=1ms\n'
                              'min-rate=9000000\nburst=100000\n'),
        'errors': ('deadline=0ms\n--\ndeadline=61s\n--\nmin-rate=-5\n--\n'
                   'queue-limit=100B\n--\nburst=99999999999999999999999\n'
                   '--\nmax-rate=1\ndefault-min-rate=2\n--\ncolour=red\n'
                   '--\ndeadline=5\n--\ndeadline=5ns\n--\nlate-policy=x\n'),
    }


def policy_seeds():
    default = {
        "report_interval_ms": 10, "miss_ratio_threshold": 0.0,
        "tighten_floor_us": 200, "dscp_ladder": [0, 18, 34, 46],
        "quiet_period_ms": 2000, "min_step_interval_ms": 50,
        "miss_persist_ms": 0, "top_rung_deadline_us": 0,
        "escalation_table": 0, "next_table": 1,
        "escalation_priority": 40000, "hosts": [], "network_switches": []}
    full = dict(default)
    full.update({
        "miss_ratio_threshold": 0.05, "miss_persist_ms": 30,
        "top_rung_deadline_us": 1000, "escalation_table": 3,
        "next_table": 7,
        "hosts": [{"datapath_id": "0x1", "tunnel_ip": "192.0.2.1"},
                  {"datapath_id": 2, "tunnel_ip": "2001:db8::1"}],
        "network_switches": [
            {"datapath_id": "0xa", "queues": {"0": 0, "46": 1, "34": 2}}]})
    return {
        'default': json.dumps(default, indent=1),
        'full': json.dumps(full, indent=1),
        'empty-object': '{}',
        'errors-ladder': '{"dscp_ladder": [0, 18, 18]}',
        'errors-table': '{"escalation_table": 5, "next_table": 5}',
        'errors-syntax': '{"hosts": [{"datapath_id": 1, "tunnel_ip": }',
        'errors-queue': ('{"network_switches": [{"datapath_id": 1, '
                         '"queues": {"01": 1}}]}'),
        'errors-unknown': '{"colour": "red"}',
        'real-threshold': '{"miss_ratio_threshold": 0.999999}',
    }


# OpenFlow messages from switches, for rtvctl_switch_target.

def ofp(typ, body, version=4, xid=0):
    return struct.pack('!BBHI', version, typ, 8 + len(body), xid) + body


def nxt_rtvnic(body, version=4):
    return ofp(4, struct.pack('!II', 0x2320, 96) + body, version)


def features_reply(dpid):
    return ofp(6, struct.pack('!QIBB2xII', dpid, 256, 254, 0, 0x4f, 0))


def flow_stats_reply(cookies, flags=0):
    entries = b''
    for cookie in cookies:
        match = struct.pack('!HH4x', 1, 4)
        entries += struct.pack('!HBxIIHHHH4xQQQ', 56, 0, 1, 0, 40000, 0, 0,
                               0, cookie, 10, 1000) + match
    return ofp(19, struct.pack('!HH4x', 1, flags) + entries)


def sources(entries, flags=0, part=0):
    return nxt_rtvnic(beat_list(5, [struct.pack('!H2xIII', *e)
                                    for e in entries], flags, part))


def report_host(sender='::ffff:192.0.2.1', vnic=1, host_ns=900000,
                net_ns=10000, excess_ns=300000, packets=100, misses=20):
    body = struct.pack('!16sH2xIIIIIQIIII', ip6(sender), vnic, 10000, packets,
                       misses, 0, 2000, excess_ns, host_ns, host_ns, net_ns,
                       net_ns)
    return nxt_rtvnic(hdr(1, 8 + len(body)) + body)


def switch_seeds():
    # Control byte 1: OpenFlow 1.3, handshake.  Selector: switch 0 (host
    # 192.0.2.1, datapath 1), 1 (host 2001:db8::1, datapath 2), 2 (network
    # switch 0xa); | 4: reconnect first; | 8: run the timers after.
    def rec(sel, msg):
        return bytes([sel]) + msg
    src1 = sources([(1, 5, 2000, 2000), (2, 6, 10000, 10000)])
    cookie = 0x5254560000000000
    s = {}
    s['tighten'] = bytes([1]) + rec(0, src1) + rec(8, report_host()) + \
        rec(8, report_host(excess_ns=5000000))
    s['escalate'] = bytes([1]) + rec(0, src1) + b''.join(
        rec(8, report_host(host_ns=1000, net_ns=800000)) for _ in range(4))
    s['escalate-top-rung'] = bytes([9]) + rec(0, src1) + rec(
        8, report_host(host_ns=1000, net_ns=800000))
    s['v6-host'] = bytes([1]) + rec(1, sources([(3, 7, 500, 400)])) + rec(
        9, report_host(sender='2001:db8::1', vnic=3, host_ns=1, net_ns=2))
    s['unknown-sender'] = bytes([1]) + rec(0, report_host(
        sender='::ffff:203.0.113.5'))
    s['heartbeat'] = bytes([1]) + rec(2, nxt_rtvnic(beat_list(
        2, [beat_entry(i) for i in range(4)])))
    s['sources-in-parts'] = bytes([1]) + rec(0, sources(
        [(1, 5, 2000, 2000)], flags=1, part=0)) + rec(0, sources(
            [(2, 6, 3000, 3000)], flags=0, part=1)) + rec(8, report_host())
    s['flow-stats-resync'] = bytes([1]) + rec(0, flow_stats_reply(
        [cookie | (1 << 8) | 2, cookie | (2 << 8) | 9])) + rec(
            2, flow_stats_reply([cookie | 18, cookie | 46]))
    s['flow-stats-more'] = bytes([5]) + rec(0, features_reply(1)) + rec(
        0, flow_stats_reply([cookie | (1 << 8) | 1], flags=1)) + rec(
            0, flow_stats_reply([cookie | (1 << 8) | 3]))
    s['echo-error'] = bytes([1]) + rec(0, ofp(2, b'ping')) + rec(
        2, ofp(1, struct.pack('!HH', 1, 2) + features_reply(1)[:16]))
    s['same-dpid-twice'] = bytes([1]) + rec(1, features_reply(1)) + rec(
        0, src1) + rec(8, report_host())
    s['reconnect'] = bytes([1]) + rec(0, src1) + rec(4, features_reply(1)) + \
        rec(8, report_host())
    s['no-handshake-of10'] = bytes([4]) + rec(0, ofp(
        6, struct.pack('!QIB3xII', 1, 256, 254, 0x87, 0xfff), version=1)) + \
        rec(0, nxt_rtvnic(hdr(4, 16) + struct.pack('!I4x', 1000), version=1))
    s['bad-messages'] = bytes([1]) + rec(0, nxt_rtvnic(b'\0' * 8)) + rec(
        0, ofp(99, b'')) + rec(0, b'\x04')
    # OFPBRC_EPERM errors: one refusing a SET_DEADLINE (its floor), others
    # echoing what is not an NXT_RTVNIC message, or only part of one.
    eperm = struct.pack('!HH', 1, 5)
    refused = nxt_rtvnic(hdr(3, 24) + struct.pack('!H6xQ', 1, 1000000))
    s['refused-deadline'] = bytes([1]) + rec(0, src1) + rec(
        8, report_host(excess_ns=5000000)) + rec(0, ofp(1, eperm + refused)) \
        + rec(8, report_host(excess_ns=5000000))
    s['eperm-not-rtvnic'] = bytes([1]) + rec(0, ofp(1, eperm + ofp(0, b''))) \
        + rec(0, ofp(1, eperm + refused[:20])) + rec(
            0, ofp(1, eperm + ofp(14, b'\0' * 40)))
    return s


def main():
    out = sys.argv[1]
    for target, seeds in (('rtvnic_rx', rx_seeds()),
                          ('rtvnic_report', report_seeds()),
                          ('rtvnic_config', config_seeds()),
                          ('rtvctl_policy', policy_seeds()),
                          ('rtvctl_switch', switch_seeds())):
        d = os.path.join(out, target)
        os.makedirs(d, exist_ok=True)
        for name, data in seeds.items():
            if isinstance(data, str):
                data = data.encode()
            with open(os.path.join(d, 'seed-' + name), 'wb') as f:
                f.write(data)


if __name__ == '__main__':
    main()
