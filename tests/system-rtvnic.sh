#!/bin/bash
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

# system-rtvnic.sh: system test of the RTvNIC Geneve wire stamp on real
# kernel networking (testbed/rtvnic-testbed: two OVS hosts in network
# namespaces, Geneve through a DiffServ core router).
#
# vm1a's port on host1 becomes an RTvNIC source (QoS rtvnic deadline=2ms
# min-rate=5000000); vm1b is a best-effort guest (no source).  The tunnels
# have options:tos=flow: the host, not the guest, owns the outer DSCP.  Real
# ping and UDP (testbed/rtvnic-traffic) go from vm1a to vm2a in two phases:
#   1. plain forwarding (NORMAL), vm1a not escalated: pings with DSCP 46
#      (EF, the guest's own marking), 1372-byte UDP datagrams (1400-byte IP
#      packets, the VM MTU);
#   2. vm1a escalated to EF as rtvctl does it (host1's flow
#      set_field:184->tun_tos, the outer DSCP only, output to gnv0): pings
#      with DSCP 10, 64-byte UDP datagrams; meanwhile the best-effort vm1b
#      pings vm2a with DSCP 46.
# tshark captures the outer packets on the core router and the inner frames
# in both VMs, and the test checks:
#   - every packet vm1a sends carries one Geneve option class 0xfff0 type 0x52
#     (tshark's own Geneve decoder), and vm2a's replies (best effort) carry
#     none;
#   - with utilities/wireshark/rtvnic.lua: arrival plausible (close to the
#     capture time), deadline_us 2000, vnic_id 1, version 1, seq 0, 1, 2, ...
#     in order, no duplicates, original DSCP in the option;
#   - outer DSCP: 0 in phase 1 (whatever the guest marked), 46 in phase 2;
#     vm1b's DSCP-46 pings have outer DSCP 0; the core's htb EF class counts
#     exactly vm1a's phase-2 packets (none of phase 1, none of vm1b's), the
#     AF41 class none;
#   - what vm2a receives is byte-identical to what vm1a (and vm1b) sent
#     (whole Ethernet frames), in both phases, the guest's DSCP included;
#   - host2's rtvnic/flows --json: packets == stamped packets sent, lost 0,
#     bad_stamp 0, deadline 2000; the applications saw no loss.
# Output: one "PASS: ..." or "FAIL: ... (...)" line per check, then
# "system-rtvnic: N passed, M failed"; exit status 1 if any failed, 77 (skip)
# if not root.  Artifacts (pcaps, logs) stay in build/system-rtvnic/.
#
# Usage: tests/system-rtvnic.sh        (as root; OVSDIR as for the testbed)

top=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
testbed=$top/testbed/rtvnic-testbed
lua=$top/utilities/wireshark/rtvnic.lua
work=$top/build/system-rtvnic
export TESTBED_PREFIX=rtvst$$
export HOST1_VMS="vm1a vm1b" HOST2_VMS=vm2a
export CORE_RATE=${CORE_RATE:-200mbit}

if [ "$(id -u)" != 0 ]; then
    echo "system-rtvnic: SKIP: must run as root (creates network namespaces)"
    exit 77
fi

. "$top/tests/rtvnic-system-lib.sh"
st_init system-rtvnic
cap_pids=()

finish() {
    local rc=$?
    trap - EXIT INT TERM
    for p in "${cap_pids[@]}"; do
        kill -INT "$p" 2>/dev/null
    done
    for p in "${cap_pids[@]}"; do
        wait "$p" 2>/dev/null
    done
    "$testbed" down >/dev/null 2>&1
    st_summary "$rc"
}
trap finish EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------------ preparation --
rm -rf "$work"
mkdir -p "$work"
missing=
for t in tshark python3 gcc ethtool; do
    command -v "$t" >/dev/null || missing="$missing $t"
done
if [ -n "$missing" ]; then
    fail "prerequisites" "missing:$missing; run build-aux/install-deps.sh"
    done_ok=1
    exit 1
fi
traffic=$work/rtvnic-traffic
if ! gcc -O2 -Wall -o "$traffic" "$top/testbed/rtvnic-traffic.c" \
        2>"$work/gcc.log"; then
    fail "build rtvnic-traffic" "$(head -3 "$work/gcc.log")"
    done_ok=1
    exit 1
fi

if ! "$testbed" up >"$work/env" 2>"$work/testbed-up.log"; then
    fail "testbed up" "$(tail -3 "$work/testbed-up.log")"
    done_ok=1
    exit 1
fi
. "$work/env"
pass "testbed up (prefix $TESTBED_PREFIX, core htb $CORE_RATE towards host2)"

tb() { "$testbed" "$@"; }

tb vsctl host1 set port "$VM1A_PORT" qos=@q -- --id=@q create qos \
    type=rtvnic other-config:deadline=2ms other-config:min-rate=5000000 \
    >/dev/null
show=$(tb appctl host1 rtvnic/show "$VM1A_PORT" 2>&1)
why="rtvnic/show: $show"
check "vm1a's port is RTvNIC source 1 with deadline 2ms" \
    grep -q 'source 1: deadline 2ms' <<<"$show"

# ---------------------------------------------------------------- capture --
# capture NAME NS IFACE FILTER: tshark in the background until finish.
capture() {
    local name=$1 ns=$2 dev=$3 filter=$4 i
    ip netns exec "$ns" tshark -q -i "$dev" -F pcap -f "$filter" \
        -w "$work/$name.pcap" 2>"$work/$name.tshark.log" &
    cap_pids+=($!)
    for i in $(seq 50); do
        grep -q 'Capturing on' "$work/$name.tshark.log" && return 0
        sleep 0.1
    done
    return 1
}
stop_captures() {
    sleep 0.5
    for p in "${cap_pids[@]}"; do
        kill -INT "$p" 2>/dev/null
    done
    for p in "${cap_pids[@]}"; do
        wait "$p" 2>/dev/null
    done
    cap_pids=()
}

why="see $work/*.tshark.log"
check "tshark captures on the core (c-h1) and in vm1a, vm1b and vm2a" eval '
    capture core "$NS_CORE" c-h1 "udp port 6081" &&
    capture vm1a "$VM1A_NS" eth0 "ip" &&
    capture vm1b "$VM1B_NS" eth0 "ip" &&
    capture vm2a "$VM2A_NS" eth0 "ip"'
sleep 0.5

# ----------------------------------------------------------------- phases --
# run_phase N PING-TOS UDP-SIZE: 20 pings and 500 UDP datagrams, vm1a->vm2a.
run_phase() {
    local n=$1 tos=$2 size=$3 rpid sent_line
    ip netns exec "$VM2A_NS" "$traffic" recv 5001 --duration 3 --quiet \
        > "$work/recv$n.txt" 2>&1 &
    rpid=$!
    sleep 0.2
    ip netns exec "$VM1A_NS" ping -c 20 -i 0.05 -W 1 -Q "$tos" "$VM2A_IP" \
        > "$work/ping$n.txt" 2>&1
    ip netns exec "$VM1A_NS" "$traffic" send "$VM2A_IP" 5001 --rate 1000 \
        --size "$size" --duration 0.5 --id 1 > "$work/send$n.txt" 2>&1
    wait "$rpid"
    ping_tx[$n]=$(sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\1/p' "$work/ping$n.txt")
    ping_rx[$n]=$(sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\2/p' "$work/ping$n.txt")
    udp_tx[$n]=$(sed -n 's/^sent id=1 packets=\([0-9]*\) send-errors=0$/\1/p' "$work/send$n.txt")
    udp_rx[$n]=$(sed -n 's/^total id=1 packets=\([0-9]*\) lost=0 .*/\1/p' "$work/recv$n.txt")
    why="ping: $(grep transmitted "$work/ping$n.txt"); send: $(cat "$work/send$n.txt"); recv: $(grep '^total' "$work/recv$n.txt")"
    check "phase $n: vm2a got all ${ping_tx[$n]:-?} pings and ${udp_tx[$n]:-?} UDP datagrams (applications)" \
        eval '[ -n "${ping_tx[$n]}" ] && [ "${ping_tx[$n]}" = "${ping_rx[$n]}" ] &&
              [ -n "${udp_tx[$n]}" ] && [ "${udp_tx[$n]}" = "${udp_rx[$n]}" ]'
}

phase1_start=$(date +%s.%N)
run_phase 1 0xb8 1372

# rtvctl's escalation flow (its resubmit to the forwarding table is an
# output here: br-int's only table forwards with NORMAL).
tb ofctl host1 add-flow br-int \
    "priority=40000,in_port=$VM1A_OFPORT,ip,actions=set_field:184->tun_tos,output:$GNV_OFPORT"
phase2_start=$(date +%s.%N)
ip netns exec "$VM1B_NS" ping -c 30 -i 0.05 -W 1 -Q 0xb8 "$VM2A_IP" \
    > "$work/ping-vm1b.txt" 2>&1 &
be_pid=$!
run_phase 2 0x28 64
wait "$be_pid"
phase2_end=$(date +%s.%N)
be_tx=$(sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\1/p' "$work/ping-vm1b.txt")
be_rx=$(sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\2/p' "$work/ping-vm1b.txt")
why="$(grep transmitted "$work/ping-vm1b.txt")"
check "best-effort vm1b: vm2a answered all ${be_tx:-?} of its DSCP-46 pings" \
    eval '[ -n "$be_tx" ] && [ "$be_tx" = "$be_rx" ]'
flows=$(tb ofctl host1 dump-flows br-int "in_port=$VM1A_OFPORT,ip" 2>&1)
why="$flows"
check "host1's escalation flow (outer DSCP 46) matched the phase-2 packets" \
    grep -q "n_packets=$(( ${ping_tx[2]:-0} + ${udp_tx[2]:-0} ))," <<<"$flows"

stop_captures
sleep 0.2

# ------------------------------------------------- receiver's measurement --
tb appctl host2 rtvnic/flows --json > "$work/flows.json" 2>&1
tb appctl host2 rtvnic/flows > "$work/flows.txt" 2>&1
tb core tc -s class show dev c-h2 > "$work/tc.txt" 2>&1
tb appctl host1 rtvnic/show > "$work/show.txt" 2>&1

# ---------------------------------------------------------------- analysis --
stamped=$(( ${ping_tx[1]:-0} + ${udp_tx[1]:-0} + ${ping_tx[2]:-0} + ${udp_tx[2]:-0} ))
phase2=$(( ${ping_tx[2]:-0} + ${udp_tx[2]:-0} ))

fields="-e frame.time_epoch -e ip.src -e ip.dsfield.dscp -e ip.proto
        -e geneve.option.class -e geneve.option.type -e rtvnic.arrival_ns
        -e rtvnic.depart_delta_ns -e rtvnic.deadline_us -e rtvnic.vnic_id
        -e rtvnic.dscp -e rtvnic.flags -e rtvnic.version -e rtvnic.seq"
tshark -r "$work/core.pcap" -T fields -E separator=/t \
    -e frame.time_epoch -e ip.src -e geneve.option.class -e geneve.option.type \
    -e ip.dsfield.dscp \
    > "$work/core-geneve.tsv" 2>"$work/core-geneve.err"
tshark -X lua_script:"$lua" -r "$work/core.pcap" -T fields -E separator=/t \
    $fields > "$work/core-rtvnic.tsv" 2>"$work/core-rtvnic.err"

python3 - "$work" "$stamped" "$phase2" "${ping_tx[1]:-0}" "$phase1_start" \
    "$phase2_start" "$phase2_end" "$HOST1_IP" "$HOST2_IP" "$VM1A_IP" \
    "$VM2A_IP" "$CORE_RATE" "$VM1B_IP" "${be_tx:-0}" \
    > "$work/analysis.txt" 2>&1 <<'EOF'
import json, struct, sys

(work, stamped, phase2, pings1, p1_start, p2_start, p2_end, host1, host2,
 vm1, vm2, core_rate, vm1b, be_pings) = sys.argv[1:]
stamped, phase2, pings1 = int(stamped), int(phase2), int(pings1)
be_pings = int(be_pings)
p1_start, p2_start, p2_end = float(p1_start), float(p2_start), float(p2_end)

def result(ok, what, why=""):
    print(("PASS: %s" % what) if ok else ("FAIL: %s (%s)" % (what, why)))

def rows(name):
    out = []
    for line in open("%s/%s" % (work, name)):
        out.append([c.split(",") if c else [] for c in line.rstrip("\n").split("\t")])
    return out

# --- tshark's own Geneve decoder.
g = rows("core-geneve.tsv")
fwd = [r for r in g if r[1] and r[1][0] == host1 and len(r[1]) > 1 and r[1][1] == vm1]
rev = [r for r in g if r[1] and r[1][0] == host2]
def has_opt(r):
    return any(c.lower() == "0xfff0" and t.lower() == "0x52"
               for c, t in zip(r[2], r[3]))
n_opt = sum(1 for r in fwd if has_opt(r))
n_one = sum(1 for r in fwd if len(r[2]) == 1 and has_opt(r))
result(len(fwd) == stamped and n_opt == stamped and n_one == stamped,
       "core: tshark decodes all %d packets vm1a sent as Geneve with one option "
       "class 0xfff0 type 0x52" % stamped,
       "Geneve packets from vm1a: %d, with the option: %d, with only it: %d, "
       "expected %d" % (len(fwd), n_opt, n_one, stamped))
n_rev_opt = sum(1 for r in rev if has_opt(r))
result(len(rev) > 0 and n_rev_opt == 0,
       "core: vm2a's %d best-effort packets (ping replies) carry no RTvNIC option" % len(rev),
       "packets from host2: %d, with the option: %d" % (len(rev), n_rev_opt))
# The best-effort guest vm1b marked its pings EF: outer DSCP 0, inner 46.
be = [r for r in g if r[1] and r[1][0] == host1 and len(r[1]) > 1
      and r[1][1] == vm1b]
be_bad = [r for r in be if r[4][:2] != ["0", "46"] or has_opt(r)]
result(len(be) == be_pings and be_pings > 0 and not be_bad,
       "core: best-effort vm1b's %d DSCP-46 pings have outer DSCP 0 (inner "
       "46), no RTvNIC option" % be_pings,
       "%d packets (expected %d), %d wrong, e.g. outer,inner %s"
       % (len(be), be_pings, len(be_bad), be_bad[0][4] if be_bad else ""))

# --- the Lua dissector.
# columns: 0 time, 1 ip.src, 2 dscp, 3 proto, 4 class, 5 type, 6 arrival,
# 7 depart_delta, 8 deadline, 9 vnic, 10 dscp, 11 flags, 12 version, 13 seq
r = [x for x in rows("core-rtvnic.tsv") if x[13]]
lua_err = open("%s/core-rtvnic.err" % work).read().replace("\n", " ")[:300]
result(len(r) == stamped, "lua: rtvnic.lua decodes %d stamps" % stamped,
       "decoded %d; tshark stderr: %s" % (len(r), lua_err))
if r:
    bad = [x for x in r if abs(int(x[6][0]) / 1e9 - float(x[0][0])) > 2.0
           or not (p1_start - 5 <= int(x[6][0]) / 1e9 <= p2_end + 5)
           or int(x[6][0]) / 1e9 > float(x[0][0]) + 0.01]
    d = [float(x[0][0]) - int(x[6][0]) / 1e9 for x in r]
    result(not bad, "lua: rtvnic.arrival_ns plausible (capture time - arrival "
           "in [%.6f, %.6f] s)" % (min(d), max(d)),
           "%d implausible, e.g. arrival %s at capture time %s"
           % (len(bad), bad[0][6][0] if bad else "", bad[0][0][0] if bad else ""))
    dl = sorted(set(int(x[8][0]) for x in r))
    result(dl == [2000], "lua: rtvnic.deadline_us == 2000", "values %s" % dl)
    vn = sorted(set(int(x[9][0]) for x in r))
    result(vn == [1], "lua: rtvnic.vnic_id == 1", "values %s" % vn)
    ve = sorted(set(int(x[12][0]) for x in r))
    result(ve == [1], "lua: rtvnic.version == 1", "values %s" % ve)
    seq = [int(x[13][0]) for x in r]
    exp = list(range(len(seq)))
    first_bad = next((i for i, (a, b) in enumerate(zip(seq, exp)) if a != b), None)
    result(seq == exp and len(set(seq)) == len(seq),
           "lua: rtvnic.seq is 0..%d in order, no duplicates" % (len(seq) - 1),
           "%d distinct of %d, first deviation at packet %s: %s" %
           (len(set(seq)), len(seq), first_bad,
            seq[first_bad:first_bad + 5] if first_bad is not None else ""))
    dd = [int(x[7][0]) for x in r]
    result(max(dd) < 100e6, "lua: rtvnic.depart_delta_ns plausible (max %d ns)" % max(dd),
           "max %d ns" % max(dd))

    # Outer/inner DSCP at the core and the option's original DSCP.
    p1 = [x for x in r if float(x[0][0]) < p2_start]
    p2 = [x for x in r if float(x[0][0]) >= p2_start]
    def orig(x):            # what vm1a set: ICMP 46 / 10 per phase, UDP 0
        if x[3][-1] != "1":
            return 0
        return 46 if float(x[0][0]) < p2_start else 10
    bad1 = [x for x in p1 if not (x[2][0] == "0" and x[2][1] == str(orig(x))
                                  and x[10][0] == str(orig(x)) and x[11][0] == "0x01")]
    result(p1 and not bad1, "phase 1: outer DSCP 0 whatever the guest marked "
           "(inner and option: ICMP 46, UDP 0) (%d packets)" % len(p1),
           "%d of %d wrong, e.g. outer,inner %s option dscp %s flags %s"
           % (len(bad1), len(p1), bad1[0][2] if bad1 else "",
              bad1[0][10] if bad1 else "", bad1[0][11] if bad1 else ""))
    bad2 = [x for x in p2 if not (x[2][0] == "46" and x[2][1] == str(orig(x))
                                  and x[10][0] == str(orig(x))
                                  and x[11][0] == "0x01")]
    result(len(p2) == phase2 and not bad2,
           "phase 2: outer DSCP 46 after set_field:184->tun_tos, inner and "
           "option keep the guest's DSCP (ICMP 10, UDP 0) (%d packets)" % len(p2),
           "%d packets (expected %d), %d wrong, e.g. outer,inner %s option dscp %s"
           % (len(p2), phase2, len(bad2), bad2[0][2] if bad2 else "",
              bad2[0][10] if bad2 else ""))

# --- byte identity, from the pcaps in the VMs.
def frames(name):
    data = open("%s/%s.pcap" % (work, name), "rb").read()
    magic = struct.unpack("<I", data[:4])[0]
    if magic in (0xa1b2c3d4, 0xa1b23c4d):
        e = "<"
    else:
        e = ">"
        magic = struct.unpack(">I", data[:4])[0]
    div = 1e9 if magic == 0xa1b23c4d else 1e6
    off, out = 24, []
    while off + 16 <= len(data):
        sec, frac, incl, orig_len = struct.unpack(e + "IIII", data[off:off + 16])
        out.append((sec + frac / div, data[off + 16:off + 16 + incl]))
        off += 16 + incl
    return out

def ip_b(a):
    return bytes(int(p) for p in a.split("."))

def sel(fr, src=vm1):
    return [(t, f) for t, f in fr
            if f[12:14] == b"\x08\x00" and f[26:30] == ip_b(src) and f[30:34] == ip_b(vm2)]

try:
    sent, recv = sel(frames("vm1a")), sel(frames("vm2a"))
    be_sent, be_recv = sel(frames("vm1b"), vm1b), sel(frames("vm2a"), vm1b)
except Exception as ex:
    sent, recv, be_sent, be_recv = [], [], [], []
    print("FAIL: read VM captures (%s)" % ex)
bs, bv = [f for t, f in be_sent], [f for t, f in be_recv]
result(bs and bs == bv and len(bs) == be_pings,
       "best-effort vm1b: vm2a received its %d frames byte-identical (DSCP "
       "46 inside)" % len(bs),
       "vm1b sent %d frames, vm2a got %d, identical %s"
       % (len(bs), len(bv), bs == bv))
for n, lo, hi, what in ((1, 0, p2_start, "not escalated"),
                        (2, p2_start, 1e18, "escalated, outer DSCP 46")):
    s = [f for t, f in sent if lo <= t < hi]
    v = [f for t, f in recv if lo <= t < hi]
    first = next((i for i, (a, b) in enumerate(zip(s, v)) if a != b), None)
    why = "vm1a sent %d frames, vm2a got %d" % (len(s), len(v))
    if first is not None:
        a, b = s[first], v[first]
        diff = [i for i in range(min(len(a), len(b))) if a[i] != b[i]][:8]
        why += "; frame %d differs at bytes %s (sent %s / got %s)" % (
            first, diff, a[diff[0]:diff[0] + 2].hex() if diff else a[:0].hex(),
            b[diff[0]:diff[0] + 2].hex() if diff else "")
    result(s and s == v, "phase %d (%s): vm2a received %d frames byte-identical "
           "to what vm1a sent" % (n, what, len(s)), why)
    if n == 2:
        ds = sorted(set((f[23], f[15] >> 2) for f in v))   # (proto, dscp)
        result(ds == [(1, 10), (17, 0)],
               "phase 2: vm2a sees the original DSCP (ICMP 10, UDP 0), not 46",
               "(proto, dscp) seen: %s" % ds)

# --- host2's rtvnic/flows --json.
try:
    fl = json.load(open("%s/flows.json" % work))
except Exception as ex:
    fl = None
    result(False, "host2 rtvnic/flows --json parses",
           "%s: %s" % (ex, open("%s/flows.json" % work).read()[:200]))
if fl is not None:
    keys = {"sender", "vnic_id", "deadline_us", "packets", "misses", "lost",
            "reordered", "negative", "bad_stamp", "p50_ns", "p99_ns", "p999_ns",
            "max_ns", "excess_max_ns", "host_mean_ns", "host_max_ns",
            "network_mean_ns", "network_max_ns"}
    mine = [f for f in fl if f.get("sender") == host1 and f.get("vnic_id") == 1]
    result(len(fl) == 1 and len(mine) == 1 and keys <= set(mine[0]),
           "host2 rtvnic/flows --json: one flow (sender %s, vnic 1) with all keys" % host1,
           "%s" % json.dumps(fl)[:400])
    if mine:
        f = mine[0]
        result(f["packets"] == stamped and f["lost"] == 0 and f["bad_stamp"] == 0
               and f["deadline_us"] == 2000 and f["reordered"] == 0
               and f["negative"] == 0,
               "host2 rtvnic/flows: packets %d == %d sent, lost 0, bad_stamp 0, "
               "reordered 0, negative 0, deadline 2000 (p50 %.1f us, max %.1f us, "
               "misses %d)" % (f["packets"], stamped, f["p50_ns"] / 1e3,
                               f["max_ns"] / 1e3, f["misses"]),
               json.dumps(f))

# --- the core's DiffServ classes.
if core_rate:
    tc = open("%s/tc.txt" % work).read()
    pk = {}
    cur = None
    for line in tc.splitlines():
        w = line.split()
        if w[:2] == ["class", "htb"]:
            cur = w[2]
        elif w[:1] == ["Sent"] and cur:
            pk[cur] = int(w[3])
    result(pk.get("1:10") == phase2 and pk.get("1:20") == 0,
           "core htb: EF class 1:10 counted exactly the %d packets of the "
           "escalated vNIC (none of the %d + %d the guests marked EF "
           "themselves), AF41 class 1:20 none" % (phase2, pings1, be_pings),
           "class packets %s" % pk)
EOF
rc=$?
st_results "$work/analysis.txt"
[ "$rc" = 0 ] || fail "analysis" "python3 exited with status $rc, see $work/analysis.txt"

done_ok=1
