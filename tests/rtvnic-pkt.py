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

"""Builds and checks RTvNIC test packets, as hex, for the autotests.

  rtvnic-pkt.py inner [--dscp N] [--sport N]
      An Ethernet/IPv4/UDP frame, as a VM would send it.
  rtvnic-pkt.py geneve [--arrival NS] [--depart NS] [--deadline-us N]
                       [--vnic N] [--dscp N] [--inner-dscp N] [--seq N]
                       [--version N] [--words N] [--no-stamp]
                       [--outer-sport N]
      That frame, with its DSCP set to --inner-dscp, in Geneve (VNI 123) from
      --outer-src (default 1.1.2.92) to 1.1.2.88, UDP source port
      --outer-sport (default 51283), with the RTvNIC option
      (--words: its length in 4-byte words, 6 unless testing malformed
      options).  With --count N: N such frames, one a line, for vNICs
      --vnic, --vnic + 1, ...
  rtvnic-pkt.py geneve-many --count N --senders IP[,IP...] [geneve options]
      N such frames, one per line, from the senders in turn; frame i comes
      from sender i % S with vnic --vnic + i // S: N distinct keys.
  rtvnic-pkt.py inject CTL PORT --count N --senders IP[,IP...]
                       [--queues Q] [--batch B] [geneve options]
      Receives the geneve-many frames on dummy port PORT of the daemon whose
      unixctl socket is CTL: B (default 100, the most a dummy rx queue
      holds) per "netdev-dummy/receive" request, over Q (default 1) rx
      queues in turn, each request after the previous one's reply and
      only while at most 100 - B packets are queued in all (by
      "dpif-netdev/pmd-stats-show"), so that none is dropped.
  rtvnic-pkt.py options HEX...
      For each frame: the RTvNIC option fields found in its Geneve header.
  rtvnic-pkt.py check-udp-csum HEX...
      Prints "ok" if every frame's outer UDP checksum is right (or zero).
  rtvnic-pkt.py outer-dscp HEX...
      For each frame: the DSCP of its (outer) IPv4 header.
  rtvnic-pkt.py decap HEX...
      For each Geneve frame: its inner frame, as hex.
"""

import argparse
import json
import re
import socket
import struct
import sys
import time

OPT_CLASS = 0xfff0
OPT_TYPE = 0x52


def csum(data):
    if len(data) % 2:
        data += b'\0'
    s = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def ipv4(src, dst, proto, payload, tos=0):
    hdr = struct.pack('!BBHHHBBH4s4s', 0x45, tos, 20 + len(payload), 0,
                      0x4000, 64, proto, 0, bytes(src), bytes(dst))
    c = csum(hdr)
    return hdr[:10] + struct.pack('!H', c) + hdr[12:] + payload


def udp(sport, dport, payload):
    return struct.pack('!HHHH', sport, dport, 8 + len(payload), 0) + payload


def eth(dst, src, ethtype, payload):
    return bytes.fromhex(dst) + bytes.fromhex(src) + \
        struct.pack('!H', ethtype) + payload


def inner(dscp, sport):
    payload = bytes(range(32))
    return eth('505400000003', '505400000001', 0x0800,
               ipv4([10, 0, 0, 1], [10, 0, 0, 3], 17,
                    udp(sport, 9, payload), tos=dscp << 2))


def option(a):
    data = struct.pack('!QIIHBBI', a.arrival, a.depart, a.deadline_us,
                       a.vnic, (a.dscp << 2) | 1, a.version, a.seq)
    data = (data + b'\0' * 64)[:a.words * 4]
    return struct.pack('!HBB', OPT_CLASS, OPT_TYPE, a.words) + data


def geneve(a, src='1.1.2.92'):
    opts = b'' if a.no_stamp else option(a)
    gnv = struct.pack('!BBHI', len(opts) // 4, 0, 0x6558, 123 << 8) + opts
    frame = inner(a.inner_dscp, a.sport)
    return eth('aa55aa550000', 'f8bc124434b6', 0x0800,
               ipv4([int(x) for x in src.split('.')], [1, 1, 2, 88], 17,
                    udp(a.outer_sport, 6081, gnv + frame)))


def geneve_many(a):
    senders = a.senders.split(',')
    vnic = a.vnic
    out = []
    for i in range(a.count):
        a.vnic = vnic + i // len(senders)
        out.append(geneve(a, senders[i % len(senders)]).hex())
    a.vnic = vnic
    return '\n'.join(out)


def unixctl(sock, buf, req_id, method, params):
    sock.sendall(json.dumps({'id': req_id, 'method': method,
                             'params': params}).encode())
    decoder = json.JSONDecoder()
    while True:
        try:
            reply, end = decoder.raw_decode(buf[0].decode())
            buf[0] = buf[0][end:]
            break
        except ValueError:
            data = sock.recv(65536)
            if not data:
                sys.exit('%s: connection closed' % method)
            buf[0] += data
    if reply.get('error'):
        sys.exit('%s: %s' % (method, reply['error']))
    return reply.get('result')


def received(sock, buf):
    """Packets the datapath threads have received, in all."""
    text = unixctl(sock, buf, 'stats', 'dpif-netdev/pmd-stats-show', [])
    return sum(int(x) for x in re.findall(r'packets received: (\d+)', text))


def inject(a):
    if not 1 <= a.batch <= 100:
        sys.exit('rtvnic-pkt.py: --batch %d: a dummy rx queue holds 1 to 100'
                 % a.batch)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(a.frames[0])
    port = a.frames[1]
    senders = a.senders.split(',')
    vnic = a.vnic
    buf = [b'']
    batch = []
    n = 0
    # A dummy rx queue drops what does not fit (NETDEV_DUMMY_MAX_QUEUE,
    # 100) without counting it.  A batch is sent only while no more than
    # 100 - B packets are queued in all, so that even the queue it goes to
    # holds them all.
    limit = max(0, 100 - a.batch)
    start = received(sock, buf)
    done = 0                    # Received, as last seen.
    for i in range(a.count):
        a.vnic = vnic + i // len(senders)
        batch.append(geneve(a, senders[i % len(senders)]).hex())
        if len(batch) == a.batch or i == a.count - 1:
            sent = i + 1 - len(batch)
            while sent - done > limit:
                done = received(sock, buf) - start
                if sent - done > limit:
                    time.sleep(0.001)
            unixctl(sock, buf, n, 'netdev-dummy/receive',
                    [port, '--qid', str(n % a.queues)] + batch)
            n += 1
            batch = []
    a.vnic = vnic


def parse_options(frame):
    ihl = (frame[14] & 0x0f) * 4
    gnv = 14 + ihl + 8
    opt_len = (frame[gnv] & 0x3f) * 4
    ofs = gnv + 8
    end = ofs + opt_len
    found = []
    while ofs + 4 <= end:
        cls, typ, length = struct.unpack('!HBB', frame[ofs:ofs + 4])
        length = (length & 0x1f) * 4
        if cls == OPT_CLASS and typ == OPT_TYPE and length == 24:
            f = struct.unpack('!QIIHBBI', frame[ofs + 4:ofs + 28])
            found.append('arrival=%d depart=%d deadline_us=%d vnic=%d '
                         'dscp=%d flags=%d version=%d seq=%d'
                         % (f[0], f[1], f[2], f[3], f[4] >> 2, f[4] & 3,
                            f[5], f[6]))
        ofs += 4 + length
    return found


def check_udp_csum(frame):
    ihl = (frame[14] & 0x0f) * 4
    ip = frame[14:14 + ihl]
    total = struct.unpack('!H', ip[2:4])[0]
    seg = frame[14 + ihl:14 + total]
    if struct.unpack('!H', seg[6:8])[0] == 0:
        return True
    pseudo = ip[12:20] + struct.pack('!BBH', 0, 17, len(seg))
    return csum(pseudo + seg) == 0


def main():
    p = argparse.ArgumentParser()
    p.add_argument('cmd')
    p.add_argument('frames', nargs='*')
    p.add_argument('--arrival', type=int, default=0)
    p.add_argument('--depart', type=int, default=0)
    p.add_argument('--deadline-us', type=int, default=2000)
    p.add_argument('--vnic', type=int, default=7)
    p.add_argument('--dscp', type=int, default=0)
    p.add_argument('--inner-dscp', type=int, default=0)
    p.add_argument('--seq', type=int, default=0)
    p.add_argument('--version', type=int, default=1)
    p.add_argument('--words', type=int, default=6)
    p.add_argument('--sport', type=int, default=1000)
    p.add_argument('--no-stamp', action='store_true')
    p.add_argument('--outer-src', default='1.1.2.92')
    p.add_argument('--outer-sport', type=int, default=51283)
    p.add_argument('--count', type=int, default=0)
    p.add_argument('--senders', default='1.1.2.92')
    p.add_argument('--queues', type=int, default=1)
    p.add_argument('--batch', type=int, default=100)
    a = p.parse_args()

    if a.cmd == 'inner':
        print(inner(a.dscp, a.sport).hex())
    elif a.cmd == 'geneve' and a.count:
        first = a.vnic
        for a.vnic in range(first, first + a.count):
            print(geneve(a, a.outer_src).hex())
    elif a.cmd == 'geneve':
        print(geneve(a, a.outer_src).hex())
    elif a.cmd == 'geneve-many':
        print(geneve_many(a))
    elif a.cmd == 'inject':
        inject(a)
    elif a.cmd == 'options':
        for f in a.frames:
            print(' '.join(parse_options(bytes.fromhex(f))) or 'none')
    elif a.cmd == 'decap':
        # The inner frame of each Geneve frame, as hex.
        for f in a.frames:
            f = bytes.fromhex(f)
            gnv = 14 + (f[14] & 0x0f) * 4 + 8
            print(f[gnv + 8 + (f[gnv] & 0x3f) * 4:].hex())
    elif a.cmd == 'outer-dscp':
        for f in a.frames:
            print(bytes.fromhex(f)[15] >> 2)
    elif a.cmd == 'check-udp-csum':
        bad = [i for i, f in enumerate(a.frames)
               if not check_udp_csum(bytes.fromhex(f))]
        print('ok' if not bad else 'bad checksum in frames %s' % bad)
    else:
        sys.exit('unknown command %s' % a.cmd)


if __name__ == '__main__':
    main()
