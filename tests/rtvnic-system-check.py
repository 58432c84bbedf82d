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

"""rtvnic-system-check.py TOPIC DIR CHECK: one check of a system test's run
(tests/system-rtvnic-net.at, -core.at, -feedback.at), read from the files
the test left in DIR.

Each CHECK prints what it measured as one or a few lines whose text depends
only on whether the run did what the test expects: the exact counts where
the scenario fixes them (e.g. "1040 packets"), "yes"/"no" or a fixed phrase
where it bounds them.  The test compares that output exactly (AT_CHECK), so
a failure shows the measured values in the diff; anything that varies from
run to run (delays, times) goes to stderr, which the tests keep in
check-info.log in their directory.
Exit status 0 unless the files cannot be read.

TOPIC net: DIR has params (KEY=VALUE lines: p1_start, p2_start, p2_end,
host1, host2, vm1a, vm1b, vm2a: the phases' times and the addresses),
core-geneve.tsv and core-rtvnic.tsv (tshark fields of the core's capture),
vm1a.pcap, vm1b.pcap, vm2a.pcap, flows.json and tc.txt.

TOPIC core and feedback: DIR is a run directory of
testbed/rtvnic-feedback-setup.sh, measured into DIR/feedback.json by
bench/rtvnic-feedback-measure.py.

TOPIC transit: DIR has core.start and core.end (the OVS core's rtvnic/show)
and flows2.start and flows2.end (host2's rtvnic/flows --json).

TOPIC measure: "fixture" writes a made-up run into DIR, "fields FILE"
prints the judged fields of rtvnic-feedback-measure.py's --json FILE."""

import json
import re
import struct
import sys


def info(*args):
    print(*args, file=sys.stderr)


def read(d, name):
    try:
        with open("%s/%s" % (d, name)) as f:
            return f.read()
    except OSError as e:
        return str(e)


def htb_packets(text):
    """{class: packets sent} of a "tc -s class show"."""
    pk, cur = {}, None
    for line in text.splitlines():
        w = line.split()
        if w[:2] == ["class", "htb"]:
            cur = w[2]
        elif w[:1] == ["Sent"] and cur:
            pk[cur] = int(w[3])
    return pk


# ---------------------------------------------------------------- net --
class Net:
    def __init__(self, d):
        self.d = d
        p = dict(line.split("=", 1) for line in read(d, "params").split()
                 if "=" in line)
        self.p = p
        self.p1_start = float(p["p1_start"])
        self.p2_start = float(p["p2_start"])
        self.p2_end = float(p["p2_end"])

    def rows(self, name):
        out = []
        for line in read(self.d, name).splitlines():
            out.append([c.split(",") if c else []
                        for c in line.split("\t")])
        return out

    @staticmethod
    def has_opt(r):
        return any(c.lower() == "0xfff0" and t.lower() == "0x52"
                   for c, t in zip(r[2], r[3]))

    def geneve(self):
        """tshark's own Geneve decoder: vm1a's packets, each with one
        option class 0xfff0 type 0x52."""
        p = self.p
        g = self.rows("core-geneve.tsv")
        fwd = [r for r in g if r[1][:1] == [p["host1"]] and len(r[1]) > 1
               and r[1][1] == p["vm1a"]]
        print("vm1a: %d Geneve packets, %d with the option, %d with only it"
              % (len(fwd), sum(1 for r in fwd if self.has_opt(r)),
                 sum(1 for r in fwd if len(r[2]) == 1 and self.has_opt(r))))

    def replies(self):
        """vm2a's best-effort packets (ping replies) carry no option."""
        rev = [r for r in self.rows("core-geneve.tsv")
               if r[1][:1] == [self.p["host2"]]]
        info("packets from host2: %d" % len(rev))
        print("host2 sent packets: %s, with the option: %d"
              % ("yes" if rev else "no",
                 sum(1 for r in rev if self.has_opt(r))))

    def best_effort(self):
        """The best-effort vm1b marked its pings EF: outer DSCP 0, inner
        46, no option."""
        p = self.p
        be = [r for r in self.rows("core-geneve.tsv")
              if r[1][:1] == [p["host1"]] and len(r[1]) > 1
              and r[1][1] == p["vm1b"]]
        bad = [r for r in be if r[4][:2] != ["0", "46"] or self.has_opt(r)]
        if bad:
            info("e.g. outer,inner %s" % bad[0][4])
        print("vm1b: %d packets, %d not outer DSCP 0 inner 46 without option"
              % (len(be), len(bad)))

    def lua_rows(self):
        return [x for x in self.rows("core-rtvnic.tsv") if x[13:14]
                and x[13]]

    def lua(self):
        """utilities/wireshark/rtvnic.lua: every stamp's fields."""
        # columns: 0 time, 1 ip.src, 2 dscp, 3 proto, 4 class, 5 type,
        # 6 arrival, 7 depart_delta, 8 deadline, 9 vnic, 10 dscp, 11 flags,
        # 12 version, 13 seq
        r = self.lua_rows()
        info("tshark stderr: %s" % read(self.d, "core-rtvnic.err")[:300])
        print("stamps decoded: %d" % len(r))
        if not r:
            return
        bad = [x for x in r
               if abs(int(x[6][0]) / 1e9 - float(x[0][0])) > 2.0
               or not (self.p1_start - 5 <= int(x[6][0]) / 1e9
                       <= self.p2_end + 5)
               or int(x[6][0]) / 1e9 > float(x[0][0]) + 0.01]
        d = [float(x[0][0]) - int(x[6][0]) / 1e9 for x in r]
        info("capture time - arrival in [%.6f, %.6f] s" % (min(d), max(d)))
        if bad:
            info("e.g. arrival %s at capture time %s"
                 % (bad[0][6][0], bad[0][0][0]))
        print("arrival_ns implausible: %d" % len(bad))
        for col, name in ((8, "deadline_us"), (9, "vnic_id"),
                          (12, "version")):
            print("%s: %s" % (name, sorted(set(int(x[col][0]) for x in r))))
        seq = [int(x[13][0]) for x in r]
        first = next((i for i, s in enumerate(seq) if s != i), None)
        if first is None:
            print("seq: 0..%d in order" % (len(seq) - 1))
        else:
            print("seq: deviates at packet %d: %s (%d distinct)"
                  % (first, seq[first:first + 5], len(set(seq))))
        dd = max(int(x[7][0]) for x in r)
        info("depart_delta_ns max %d" % dd)
        print("depart_delta_ns below 100 ms: %s"
              % ("yes" if dd < 100e6 else "no (%d)" % dd))

    def dscp(self):
        """Outer and inner DSCP at the core, the option's original DSCP:
        phase 1 outer 0 whatever the guest marked, phase 2 outer 46; inner
        and option keep what vm1a set (ICMP 46 / 10 per phase, UDP 0)."""
        r = self.lua_rows()

        def orig(x):
            if x[3][-1] != "1":
                return 0
            return 46 if float(x[0][0]) < self.p2_start else 10

        for n, outer, sel in (
                (1, "0", [x for x in r if float(x[0][0]) < self.p2_start]),
                (2, "46", [x for x in r
                           if float(x[0][0]) >= self.p2_start])):
            bad = [x for x in sel
                   if not (x[2][:2] == [outer, str(orig(x))]
                           and x[10][0] == str(orig(x))
                           and x[11][0] == "0x01")]
            if bad:
                info("phase %d e.g. outer,inner %s option dscp %s flags %s"
                     % (n, bad[0][2], bad[0][10], bad[0][11]))
            print("phase %d: %d packets, %d wrong" % (n, len(sel), len(bad)))

    @staticmethod
    def frames(path):
        with open(path, "rb") as f:
            data = f.read()
        magic = struct.unpack("<I", data[:4])[0]
        if magic in (0xa1b2c3d4, 0xa1b23c4d):
            e = "<"
        else:
            e = ">"
            magic = struct.unpack(">I", data[:4])[0]
        div = 1e9 if magic == 0xa1b23c4d else 1e6
        off, out = 24, []
        while off + 16 <= len(data):
            sec, frac, incl, _ = struct.unpack(e + "IIII",
                                               data[off:off + 16])
            out.append((sec + frac / div, data[off + 16:off + 16 + incl]))
            off += 16 + incl
        return out

    def sel(self, name, src):
        def ip_b(a):
            return bytes(int(x) for x in a.split("."))
        return [(t, f) for t, f in self.frames("%s/%s.pcap" % (self.d, name))
                if f[12:14] == b"\x08\x00" and f[26:30] == ip_b(src)
                and f[30:34] == ip_b(self.p["vm2a"])]

    def identical(self):
        """What vm2a receives is byte-identical to what vm1a and vm1b
        sent (whole Ethernet frames), per phase."""
        p = self.p
        bs = [f for t, f in self.sel("vm1b", p["vm1b"])]
        bv = [f for t, f in self.sel("vm2a", p["vm1b"])]
        print("vm1b: sent %d, vm2a got %d, identical: %s"
              % (len(bs), len(bv), "yes" if bs == bv else "no"))
        sent = self.sel("vm1a", p["vm1a"])
        recv = self.sel("vm2a", p["vm1a"])
        for n, lo, hi in ((1, 0, self.p2_start), (2, self.p2_start, 1e18)):
            s = [f for t, f in sent if lo <= t < hi]
            v = [f for t, f in recv if lo <= t < hi]
            first = next((i for i, (a, b) in enumerate(zip(s, v))
                          if a != b), None)
            if first is not None:
                a, b = s[first], v[first]
                diff = [i for i in range(min(len(a), len(b)))
                        if a[i] != b[i]][:8]
                info("phase %d: frame %d differs at bytes %s"
                     % (n, first, diff))
            print("phase %d: vm1a sent %d, vm2a got %d, identical: %s"
                  % (n, len(s), len(v), "yes" if s == v else "no"))
            if n == 2:
                ds = sorted(set((f[23], f[15] >> 2) for f in v))
                print("phase 2: vm2a sees (proto, dscp) %s" % ds)

    def flows(self):
        """host2's rtvnic/flows --json: one flow, all keys, every stamped
        packet measured, nothing lost, reordered or bad."""
        try:
            fl = json.loads(read(self.d, "flows.json"))
        except ValueError as ex:
            print("flows.json: %s" % ex)
            return
        keys = {"sender", "vnic_id", "deadline_us", "packets", "misses",
                "lost", "reordered", "negative", "bad_stamp", "p50_ns",
                "p99_ns", "p999_ns", "max_ns", "excess_max_ns",
                "host_mean_ns", "host_max_ns", "network_mean_ns",
                "network_max_ns", "receiver_mean_ns", "receiver_max_ns"}
        info(json.dumps(fl))
        mine = [f for f in fl if f.get("sender") == self.p["host1"]
                and f.get("vnic_id") == 1]
        print("flows %d, of host1 vnic 1: %d, keys missing: %s"
              % (len(fl), len(mine),
                 sorted(keys - set(mine[0])) if mine else "-"))
        for f in mine:
            print("packets %d lost %d bad_stamp %d reordered %d negative %d "
                  "deadline_us %d" % (f["packets"], f["lost"],
                                      f["bad_stamp"], f["reordered"],
                                      f["negative"], f["deadline_us"]))

    def htb(self):
        """The core's DiffServ classes: EF counted exactly the escalated
        packets, AF41 none."""
        pk = htb_packets(read(self.d, "tc.txt"))
        info("class packets %s" % pk)
        print("EF 1:10 %s, AF41 1:20 %s" % (pk.get("1:10"), pk.get("1:20")))


# ------------------------------------------------------ core, feedback --
class Run:
    def __init__(self, d):
        self.d = d
        self.res = json.loads(read(d, "feedback.json"))
        self.on, self.end = self.res["onset"], self.res["end"]
        self.t0 = self.res["t0"]

    def decisions(self, f):
        """(before the onset, escalations during the congestion, relaxes
        after it, others) of flow F's decisions."""
        d = f["decisions"]
        info("%s: decisions %s; congestion %.3f-%.3f s"
             % (f["name"], d, self.on - self.t0, self.end - self.t0))
        return d

    def when(self, d):
        """Decisions D as "WHAT WHEN, ...": WHAT the decision without its
        reasons' numbers, WHEN relative to the congestion."""
        out = []
        for t, text in d:
            m = re.search(r"(escalate|relax) DSCP \d+ -> \d+|"
                          r"(tighten|relax) deadline", text)
            out.append("%s %s" % (m[0] if m else text,
                                  "during the congestion"
                                  if self.on <= t + self.t0 <= self.end
                                  else "before it" if t + self.t0 < self.on
                                  else "after it"))
        return ", ".join(out) or "none"

    def host2_flow(self, name, vnic):
        try:
            rx = [x for x in json.loads(read(self.d, name))
                  if x["sender"] == "192.0.2.1" and x["vnic_id"] == vnic]
        except ValueError:
            return None
        return rx[0] if rx else None


def queue_packets(text, queue):
    """The packets queue QUEUE of the core's egress took (tx_packets plus
    tx_errors) in a qos/show, None if it has no such queue."""
    m = re.search(r"^Queue %d:\n((?:  .*\n)*)" % queue, text, re.M)
    if not m:
        return None
    sent = re.search(r"^  tx_packets: (\d+)$", m[1], re.M)
    dropped = re.search(r"^  tx_errors: (\d+)$", m[1], re.M)
    return int(sent[1]) + int(dropped[1]) if sent and dropped else None


def flow_packets(text, pattern):
    for line in text.splitlines():
        if re.search(pattern, line):
            m = re.search(r"n_packets=(\d+)", line)
            return int(m[1]) if m else None
    return None


class Core(Run):
    def pre(self):
        """Before the congestion: the snapshot was taken before the
        onset, br-core has no rtvctl flow, queues 1 and 2 counted none."""
        try:
            pre_done = float(read(self.d, "pre.done"))
        except ValueError:
            pre_done = None
        info("snapshot done at %s, onset %.3f" % (pre_done, self.on))
        print("snapshot before the onset: %s"
              % ("yes" if pre_done is not None and pre_done < self.on
                 else "no"))
        flows = read(self.d, "coreflows.pre")
        info(flows)
        print("br-core flows listed: %s, set_queue: %s"
              % ("yes" if "n_packets" in flows else "no",
                 "yes" if "set_queue" in flows else "no"))
        qos = read(self.d, "qos.pre")
        print("queue 1 %s, queue 2 %s"
              % (queue_packets(qos, 1), queue_packets(qos, 2)))

    def decision(self):
        """rtvctl escalated the RT flow 0 -> 46 once, during the
        congestion, and took no other decision."""
        f = self.res["flows"][0]
        d = self.decisions(f)
        info("escalation delay %s ms" % f["escalation_delay_ms"])
        print("decisions: %s" % self.when(d))

    def queues(self):
        """Queue 1 counted exactly the packets of br-core's DSCP 46 flow,
        at least one, at most the packets host1's escalation flow marked
        (rtvctl sends host1's flow_mod before the core's: the first
        DSCP-46 packets can cross the core as best effort, never the other
        way round); queue 2 counted none."""
        marked = flow_packets(read(self.d, "h1flows.end"),
                              r"priority=40000,ip,in_port=1 actions="
                              r"load:0xb8->NXM_NX_TUN_TOS\[\],"
                              r"resubmit\(,1\)")
        crossed = flow_packets(read(self.d, "coreflows.end"),
                               r"priority=40000,ip,nw_tos=184 "
                               r"actions=set_queue:1,resubmit\(,1\)")
        qos = read(self.d, "qos.end")
        q1, q2 = queue_packets(qos, 1), queue_packets(qos, 2)
        info("host1 marked %s, br-core's queue flow %s, queue 1 %s, "
             "queue 2 %s" % (marked, crossed, q1, q2))
        ok = (crossed is not None and crossed > 0 and marked is not None
              and crossed <= marked)
        print("br-core's DSCP 46 flow counted packets, all marked by host1: "
              "%s" % ("yes" if ok else "no"))
        print("queue 1 - br-core's DSCP 46 flow: %s"
              % (q1 - crossed if q1 is not None and crossed is not None
                 else "-"))
        print("queue 2: %s" % q2)

    def stamps(self):
        """Stamps survive the core: host2 measured every RT datagram
        vm2a's application received, counted the lost ones, no bad
        stamp, a network delay."""
        f = self.res["flows"][0]
        h2 = self.host2_flow("flows2.end", f["vnic"])
        h0 = (self.host2_flow("flows2.start", f["vnic"])
              or {"packets": 0, "lost": 0})
        info("host2 before %s, after %s; application sent %d, received %d"
             % (h0, h2, f["sent"], f["received"]))
        if h2 is None:
            print("host2 measured no RT flow")
            return
        print("host2 measured - received: %d, lost - (sent - received): %d, "
              "bad_stamp %d, network delay: %s"
              % (h2["packets"] - h0["packets"] - f["received"],
                 h2["lost"] - h0["lost"] - (f["sent"] - f["received"]),
                 h2["bad_stamp"],
                 "yes" if h2["network_max_ns"] > 0 else "no"))
        info("RT flow: %d sent, %d received, misses in congestion %d, "
             "convergence %s ms, host2 p99 %.3f ms"
             % (f["sent"], f["received"], f["misses_congestion"],
                f["convergence_ms"], h2["p99_ns"] / 1e6))

    def best_effort(self):
        be = re.findall(r"^total id=3 packets=(\d+)", read(self.d, "be.out"),
                        re.M)
        info(read(self.d, "be.out")[-300:])
        print("vm1b's best effort got through: %s"
              % ("yes" if be and int(be[0]) > 0 else "no"))


class Transit:
    """An OVS core with stamp-rate and no controller."""

    def __init__(self, d):
        self.d = d

    def core(self, suffix):
        """The core's egress counters: {"stamped", "over", "be",
        "late_dropped"}, zeros for those it does not show."""
        text = read(self.d, "core." + suffix)
        out = {"stamped": 0, "over": 0, "be": 0, "late_dropped": 0}
        m = re.search(r"^    stamped: (\d+) packets by their stamps' "
                      r"deadlines, (\d+) beyond", text, re.M)
        if m:
            out["stamped"], out["over"] = int(m[1]), int(m[2])
        m = re.search(r"^    best effort: packets (\d+),", text, re.M)
        if m:
            out["be"] = int(m[1])
        m = re.search(r"late-dropped: (\d+)$", text, re.M)
        if m:
            out["late_dropped"] = int(m[1])
        return out

    def host2(self, suffix):
        """host2's measurements of host1's RT flows, summed."""
        try:
            flows = json.loads(read(self.d, "flows2." + suffix))
        except ValueError:
            flows = []
        out = {"packets": 0, "misses": 0}
        for f in flows:
            if f["sender"] == "192.0.2.1":
                out["packets"] += f["packets"]
                out["misses"] += f["misses"]
        return out

    def stamped(self):
        """Every RT packet that crossed the core was scheduled by its
        stamp (none beyond stamp-rate): the core's stamped count is what
        host2 measured of host1's RT flow plus what the core dropped late;
        the best effort it forwarded (vm1b's, the cross traffic) was not
        stamped."""
        c0, c1 = self.core("start"), self.core("end")
        h0, h1 = self.host2("start"), self.host2("end")
        c = {k: c1[k] - c0[k] for k in c1}
        h = {k: h1[k] - h0[k] for k in h1}
        info("core %s, host2 %s" % (c, h))
        print("core stamped - host2 measured - core late-dropped: %d"
              % (c["stamped"] - h["packets"] - c["late_dropped"]))
        print("RT packets stamped in the core: %s, beyond stamp-rate: %d"
              % ("yes" if c["stamped"] > 0 else "no", c["over"]))
        print("unstamped best effort crossed the core: %s"
              % ("yes" if c["be"] - c["stamped"] - c["over"] > 0 else "no"))


class Feedback(Run):
    def source_counters(self, name):
        out = {}
        for line in read(self.d, name).splitlines():
            m = re.match(r"^    source (\S+): .* sent (\d+) .*late (\d+), "
                         r"dropped (\d+)", line)
            if m:
                out[m[1]] = tuple(int(x) for x in m.group(2, 3, 4))
        return out

    def flow(self, name):
        for f in self.res["flows"]:
            if f["name"] == name:
                return f
        raise SystemExit("no flow %s in feedback.json" % name)

    def apps(self, name):
        """Every datagram sent arrived: received = sent, no loss, no
        duplicate, no send error."""
        f = self.flow(name)
        info("%s: sent %d" % (name, f["sent"]))
        print("sent: %s, received - sent: %d, lost %d, duplicates %d, "
              "send errors %d"
              % ("yes" if f["sent"] > 0 else "no", f["received"] - f["sent"],
                 f["lost"], f["duplicates"], f["send_errors"]))

    @staticmethod
    def host_of(f):
        """The number of the host that runs flow F's VM (vm1a: 1)."""
        return int(f["vm"][2])

    @staticmethod
    def suffix(host):
        """Host HOST's snapshot file suffix: show.end is host1's,
        show3.end host3's (testbed/rtvnic-feedback-setup.sh)."""
        return "" if host == 1 else str(host)

    def host(self, name):
        """The sending host's source counted exactly the datagrams its
        application sent, late 0, dropped 0."""
        f = self.flow(name)
        h = self.host_of(f)
        sfx = self.suffix(h)
        s0 = self.source_counters("show%s.start" % sfx).get(f["port"])
        s1 = self.source_counters("show%s.end" % sfx).get(f["port"])
        info("host%d source %s: start %s, end %s (sent, late, dropped)"
             % (h, f["port"], s0, s1))
        if s0 is None or s1 is None:
            print("host%d has no source %s" % (h, f["port"]))
            return
        print("host%d sent - application sent: %d, late %d, dropped %d"
              % (h, s1[0] - s0[0] - f["sent"], s1[1], s1[2]))

    def missed(self, name):
        """The congestion made the flow miss."""
        f = self.flow(name)
        info("%s: %d misses in the congestion, first episode ends %s ms "
             "after the onset; escalation delay %s ms, convergence %s ms, "
             "relax time %s ms, misses before the onset %d"
             % (name, f["misses_congestion"], f["episode_ms"],
                f["escalation_delay_ms"], f["convergence_ms"],
                f["relax_ms"], f["misses_baseline"]))
        print("missed in the congestion: %s"
              % ("yes" if f["misses_congestion"] > 0 else "no"))

    def decision(self, name):
        """rtvctl took no decision before the congestion, escalated the
        flow 0 -> 34 once during it, relaxed it 34 -> 0 once after it."""
        f = self.flow(name)
        d = self.decisions(f)
        print("decisions: %s" % self.when(d))

    def marked(self, name):
        """The sending host's br-int marked the flow's packets DSCP 34
        during the congestion (dump-flows at t = 8 s, with packets)."""
        f = self.flow(name)
        # A VM's port's ofport is its letter's index (testbed/rtvnic-testbed).
        ofport = ord(f["vm"][3]) - ord("a") + 1
        mid = read(self.d, "h%dflows.mid" % self.host_of(f))
        m = re.search(r"n_packets=(\d+), .*priority=40000,ip,in_port=%d "
                      r"actions=load:0x88->NXM_NX_TUN_TOS\[\],"
                      r"resubmit\(,1\)" % ofport, mid)
        info(mid)
        print("DSCP-34 flow at t = 8 s: %s"
              % ("no" if m is None else "with packets" if int(m[1]) > 0
                 else "without packets"))

    def final(self, name):
        """At the end rtvctl shows DSCP 0 and the contract deadline."""
        f = self.flow(name)
        fin = f["final"]
        info(read(self.d, "rtvctl.end"))
        if fin is None:
            print("rtvctl does not show the flow")
            return
        print("dscp %d, effective %d us, contract %d us"
              % (fin["dscp"], fin["effective_us"], fin["contract_us"]))

    def at_end(self):
        """The sending hosts' table 0 has no escalation flow left; their
        effective deadlines are the contracts; the core's AF41 class
        carried packets, its EF class none."""
        hosts = sorted(set(self.host_of(f) for f in self.res["flows"]))
        left = [x for h in hosts
                for x in read(self.d, "h%dflows.end" % h).splitlines()
                if "priority=40000" in x]
        info(" | ".join(left))
        print("escalation flows left: %d" % len(left))
        eff = re.findall(r"source \d+: deadline (\S+), effective (\S+),",
                         "".join(read(self.d, "show%s.end" % self.suffix(h))
                                 for h in hosts))
        print("deadline, effective: %s" % sorted(eff))
        pk = htb_packets(read(self.d, "tc.end"))
        info("class packets %s" % pk)
        print("AF41 1:20 carried packets: %s, EF 1:10 %s"
              % ("yes" if pk.get("1:20", 0) > 0 else "no", pk.get("1:10")))


class Measure:
    """bench/rtvnic-feedback-measure.py on a made-up run."""
    def __init__(self, d):
        self.d = d

    def fixture(self):
        """Writes the run: voice every 10 ms from t0+1 s to t0+29 s,
        0.5 ms one-way; congestion from t0+10 s to t0+20 s; the five sent
        in its first 50 ms take 5 ms (the first episode ends at 45 ms); the
        one sent at t0+15 s takes 3 ms after a machine stall (CPU 1, 1 ms,
        from 5 ms before it was sent), and so does the one at t0+5 s,
        before the onset."""
        d, t0, s9 = self.d, 1000, 10**9

        def write(name, text):
            with open(d + "/" + name, "w") as f:
                f.write(text)

        write("t0", "%d.0\n" % t0)
        write("flows", "voice vm1a vnet1a 2000\n")
        write("cross.send", "9 0 %d\n9 1 %d\n"
              % ((t0 + 10) * s9, (t0 + 20) * s9))
        for name in ("rtvctl.log", "show.end", "rtvctl.end"):
            write(name, "")
        snd, rcv = [], ["# id seq send_ns recv_ns\n"]
        for seq in range(2801):
            s = (t0 + 1) * s9 + seq * 10**7
            delay = 500000
            if (t0 + 10) * s9 <= s < (t0 + 10) * s9 + 5 * 10**7:
                delay = 5000000
            elif s in ((t0 + 15) * s9, (t0 + 5) * s9):
                delay = 3000000
            snd.append("1 %d %d\n" % (seq, s))
            rcv.append("1 %d %d %d\n" % (seq, s, s + delay))
        write("voice.send", "".join(snd))
        write("voice.recv", "".join(rcv))
        write("stalls",
              "# cpus 2 period_ns 1000000 min_ns 500000: cpu start_ns "
              "latency_ns\n1 %d 1000000\n1 %d 1000000\n"
              % ((t0 + 15) * s9 - 5 * 10**6, (t0 + 5) * s9 - 5 * 10**6))

    def fields(self, path):
        """The judged fields of measure.py's --json output PATH."""
        with open(path) as f:
            fl = json.load(f)["flows"][0]
        print(fl["convergence_ms"], fl["convergence_own_ms"],
              fl["restore_ms"], fl["restore_own_ms"],
              fl["misses_machine_stall"], fl["misses_baseline"],
              fl["misses_baseline_own"], fl["pass"])


def main():
    topic, d, check = sys.argv[1:4]
    args = sys.argv[4:]
    cls = {"net": Net, "core": Core, "feedback": Feedback,
           "transit": Transit, "measure": Measure}[topic]
    getattr(cls(d), check.replace("-", "_"))(*args)


if __name__ == "__main__":
    main()
