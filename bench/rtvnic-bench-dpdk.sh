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

# rtvnic-bench-dpdk.sh OVS-DPDK-DIR: "make bench-dpdk".  RTvNIC on the DPDK
# datapath (PMD thread) against the same RTvNIC on system ports (main
# thread), measured in one run on the topology of testbed/rtvnic-dpdk-lib.sh
# (one OVS host in a namespace; vma, vmb and a sink behind up0).
#
# 1. Latency and pacing, once with every port type=dpdk (af_packet vdevs,
#    released by the PMD thread) and once with the same veths as system
#    ports (no DPDK; released by the main thread via its timerfd):
#    up0 rtvnic max-rate=100 Mbit/s, queue-limit 1000; vma an RT source
#    (deadline 2ms, min-rate 5 Mbit/s, burst 100 kbit) sending 1000
#    datagrams/s of 200 bytes; vmb best effort, offering ~125 Mbit/s of
#    1000-byte datagrams, so the egress is saturated throughout.  A
#    scheduler trace (rtvnic/trace-start) of RUN_S seconds gives, per packet,
#    arrival and release in OVS time:
#      pacing error   bytes released per second in the middle of the run
#                     (saturated) against max-rate; floor: within 0.5 %;
#      RT host queueing  release - arrival of vma's packets: p50/p99/max;
#                     floor: p99 <= vma's frame transmission time at
#                     max-rate + 100 us (the DPDK run);
#    LAT_REPS runs of each (default 3); the floors use the run whose
#    releasing thread waited least for a CPU, the table shows all;
#      late           vma packets released after their deadline.
# 2. Forwarding throughput on the DPDK ports: a veth pair inside the host,
#    both ends DPDK ports whose flows bounce every packet back out of the
#    port it came in, so 256 injected 64-byte datagrams circulate through
#    the PMD as fast as it forwards them (no generator limits the rate);
#    packets/s forwarded with no QoS, with netdev-dpdk's egress-policer
#    (cir 10 Gbit/s) and with rtvnic (max-rate 10 Gbit/s) on both loop
#    ports; rounds of the three back to back (order rotating) until the
#    95 % interval of the rtvnic / no QoS ratios of the rounds decides the
#    floor (bench/rtvnic-paired.py; REPS_MIN to REPS_MAX rounds).  Floor:
#    rtvnic >= 0.9 x no QoS.
#
# Writes bench/results/dpdk.md and prints it.  Without root or hugepages it
# prints "bench-dpdk: skipped: REASON" and exits 0 (results untouched).
# Exit status 1 if a floor is missed.  A PMD thread busy-polls a core while
# it runs: /tmp/rtvnic-dpdk-busy exists meanwhile.
#
# Usage: bench/rtvnic-bench-dpdk.sh OVS-DPDK-DIR
#        (RUN_S, REPS_MIN, REPS_MAX, LAT_REPS: env)

top=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
ovs=$(cd "${1:-$top/build/ovs-dpdk}" 2>/dev/null && pwd)
work=$top/build/bench-dpdk
run=$work/run
prefix=rtvdb$$
out=$top/bench/results/dpdk.md
RUN_S=${RUN_S:-4}
REPS_MIN=${REPS_MIN:-5}
REPS_MAX=${REPS_MAX:-15}
LAT_REPS=${LAT_REPS:-3}
. "$top/testbed/rtvnic-dpdk-lib.sh"

if [ ! -x "$ovs/vswitchd/ovs-vswitchd" ] ||
        ! grep -q '^#define DPDK_NETDEV' "$ovs/config.h" 2>/dev/null; then
    echo "bench-dpdk: ${1:-build/ovs-dpdk} is not an OVS tree built --with-dpdk" >&2
    exit 1
fi
if ! dpdk_hugepages_get 512; then
    echo "bench-dpdk: skipped: $dpdk_skip_reason"
    exit 0
fi
cleanup() {
    dpdk_host_down
    dpdk_busy_off
    dpdk_hugepages_put
}
trap cleanup EXIT
trap 'exit 130' INT TERM

rm -rf "$work"
mkdir -p "$run"
traffic=$work/rtvnic-traffic
gcc -O2 -Wall -o "$traffic" "$top/testbed/rtvnic-traffic.c" || exit 1
dpdk_busy_on

# latency MODE: the latency and pacing scenario; trace in $work/MODE.trace.
latency() {
    local mode=$1 bpid apid
    vsctl set port up0 qos=@q -- --id=@q create qos type=rtvnic \
        other-config:max-rate=100000000 other-config:queue-limit=1000 -- \
        set port vneta qos=@a -- --id=@a create qos type=rtvnic \
        other-config:deadline=2ms other-config:min-rate=5000000 \
        other-config:burst=100000 >/dev/null
    appctl rtvnic/show > "$work/$mode-config.txt"
    ip netns exec "$ns_sink" "$traffic" recv 5001 \
        --duration $((RUN_S + 3)) --deadline-us 2000 \
        > "$work/$mode-recv.txt" 2>&1 &
    rpid=$!
    sleep 0.3
    ip netns exec "$ns_vmb" "$traffic" send 10.78.0.100 5001 --rate 15000 \
        --size 1000 --duration $((RUN_S + 1)) --id 2 \
        > "$work/$mode-vmb.txt" 2>&1 &
    bpid=$!
    sleep 0.5
    appctl rtvnic/trace-start up0 400000 >/dev/null
    # The releasing thread's scheduler statistics: time run, time spent
    # runnable but waiting for a CPU (ns), and the wall time around them.
    local pid tid
    pid=$(cat "$run/ovs-vswitchd.pid")
    tid=${pmd_tid:-$pid}
    echo "$(date +%s%N) $(cat /proc/$pid/task/$tid/schedstat)" \
        > "$work/$mode.schedstat"
    ip netns exec "$ns_vma" "$traffic" send 10.78.0.100 5001 --rate 1000 \
        --size 200 --duration "$RUN_S" --id 1 > "$work/$mode-vma.txt" 2>&1
    echo "$(date +%s%N) $(cat /proc/$pid/task/$tid/schedstat)" \
        >> "$work/$mode.schedstat"
    appctl rtvnic/trace-stop up0 "$work/$mode.trace" >/dev/null
    wait "$bpid"
    wait "$rpid"
    appctl rtvnic/show up0 > "$work/$mode-show.txt"
    vsctl clear port up0 qos -- clear port vneta qos >/dev/null
}

# tx_packets PORT: PORT's TX packet counter.
tx_packets() {
    appctl dpctl/show -s | awk -v port="$1" '
        / port [0-9]+: / { mine = ($3 == port) }
        mine && /TX packets:/ { sub(/.*TX packets:/, ""); print $1 + 0; exit }'
}

# loop_up: a veth pair lpa-lpb inside the host, both ends DPDK ports (ofport
# 5 and 6) whose flows send every packet back out of the port it came in:
# what leaves lpa arrives on lpb and the other way round, so packets
# injected into the loop circulate through the PMD as fast as it forwards
# them, with no traffic generator in the way.
loop_up() {
    ip -n "$ns_host" link add lpa type veth peer name lpb
    for d in lpa lpb; do
        ip -n "$ns_host" link set $d up
        ip netns exec "$ns_host" ethtool -K $d tx off >/dev/null
    done
    vsctl add-port br0 lpa -- set interface lpa type=dpdk \
        "options:dpdk-devargs=net_af_packet3,iface=lpa" ofport_request=5 \
        -- add-port br0 lpb -- set interface lpb type=dpdk \
        "options:dpdk-devargs=net_af_packet4,iface=lpb" ofport_request=6
}

# throughput CONFIG: packets/s the PMD forwards around the loop with QoS
# CONFIG (noqos, policer, rtvnic) on both loop ports.
throughput() {
    local cfg=$1 p1 p2 t1 t2 d
    for d in lpa lpb; do
        case $cfg in
        policer)
            vsctl set port $d qos=@q -- --id=@q create qos \
                type=egress-policer other-config:cir=1250000000 \
                other-config:cbs=1000000 >/dev/null ;;
        rtvnic)
            vsctl set port $d qos=@q -- --id=@q create qos type=rtvnic \
                other-config:max-rate=10000000000 >/dev/null ;;
        esac
    done
    ofctl add-flow br0 "priority=40000,in_port=5,actions=in_port"
    ofctl add-flow br0 "priority=40000,in_port=6,actions=in_port"
    # Inject 256 datagrams from vmb into lpa.
    ofctl add-flow br0 "priority=40000,in_port=2,actions=output:5"
    # Datapath flows cached for the old table must go before injecting.
    appctl revalidator/wait >/dev/null
    ip netns exec "$ns_vmb" "$traffic" send 10.78.0.100 5001 --rate 1000 \
        --burst 256 --size 64 --duration 0.001 --id 2 > /dev/null 2>&1
    sleep 0.2
    ofctl --strict del-flows br0 "priority=40000,in_port=2"
    appctl revalidator/wait >/dev/null
    sleep 0.3
    appctl dpif-netdev/pmd-stats-clear >/dev/null
    p1=$(tx_packets lpa); t1=$(date +%s.%N)
    sleep "$RUN_S"
    p2=$(tx_packets lpa); t2=$(date +%s.%N)
    appctl dpif-netdev/pmd-stats-show > "$work/pmd-stats-$cfg.txt"
    busy=$(sed -n 's/^ *processing cycles: *[0-9]* *(\([0-9.]*\)%).*/\1/p' \
           "$work/pmd-stats-$cfg.txt" | head -1)
    # Empty the loop, then remove the QoS.
    ofctl --strict del-flows br0 "priority=40000,in_port=5"
    ofctl --strict del-flows br0 "priority=40000,in_port=6"
    appctl revalidator/wait >/dev/null
    sleep 0.3
    vsctl clear port lpa qos -- clear port lpb qos >/dev/null
    echo "$cfg $(awk -v a="$p1" -v b="$p2" -v s="$t1" -v e="$t2" \
        'BEGIN { printf "%.0f", 2 * (b - a) / (e - s) }') ${busy:-0}" \
        >> "$work/throughput.txt"
}

echo "bench-dpdk: PMD (dpdk ports): latency and pacing, $RUN_S s" >&2
host_ports=dpdk
dpdk_host_up > "$work/up-dpdk.log" 2>&1 ||
    { echo "bench-dpdk: OVS-DPDK host up failed: $(tail -2 "$work/up-dpdk.log")" >&2; exit 1; }
for r in $(seq "$LAT_REPS"); do
    latency pmd$r
done
echo "bench-dpdk: throughput: no QoS / egress-policer / rtvnic, $RUN_S s each, until the 95 % interval decides ($REPS_MIN to $REPS_MAX rounds)" >&2
loop_up
: > "$work/throughput.txt"
: > "$work/throughput-pairs.txt"
r=0
while :; do
    r=$((r + 1))
    case $((r % 3)) in
    1) order="noqos policer rtvnic" ;;
    2) order="policer rtvnic noqos" ;;
    0) order="rtvnic noqos policer" ;;
    esac
    for c in $order; do
        throughput $c
    done
    # This round's no QoS and rtvnic rates: the last three lines.
    tail -3 "$work/throughput.txt" | awk '{ r[$1] = $2 }
        END { print r["noqos"], r["rtvnic"] }' >> "$work/throughput-pairs.txt"
    # Exit 3 ("more pairs") is not an error under set -e.
    rc=0
    python3 "$top/bench/rtvnic-paired.py" --floor 0.9 --min "$REPS_MIN" \
        --max "$REPS_MAX" "$work/throughput-pairs.txt" \
        > "$work/throughput-verdict.txt" || rc=$?
    sed 's/^/bench-dpdk:   /' "$work/throughput-verdict.txt" >&2
    [ $rc = 3 ] || break
done
cp "$run/ovs-vswitchd.log" "$work/ovs-vswitchd-dpdk.log"
dpdk_host_down
dpdk_busy_off
dpdk_hugepages_put

echo "bench-dpdk: main thread (system ports): latency and pacing, $RUN_S s" >&2
host_ports=system
rm -rf "$run"; mkdir -p "$run"
dpdk_host_up > "$work/up-system.log" 2>&1 ||
    { echo "bench-dpdk: system-port host up failed: $(tail -2 "$work/up-system.log")" >&2; exit 1; }
for r in $(seq "$LAT_REPS"); do
    latency main$r
done
dpdk_host_down

python3 - "$work" "$out" "$RUN_S" "$(nproc)" "$LAT_REPS" <<'EOF'
import re, statistics, sys

work, out, run_s, ncpu, lat_reps = sys.argv[1:]
RATE = 100e6
RT_FRAME = 200 + 42

def load(mode):
    recs = []
    for line in open("%s/%s.trace" % (work, mode)):
        if line.startswith("#") or not line.strip():
            continue
        a, d, l, size, src, cls, fate = line.split()
        recs.append((int(a), int(d), int(l), int(size), int(src), cls, fate))
    return recs

def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(p / 100.0 * len(v)))] if v else float("nan")

def analyse(mode):
    r = load(mode)
    sent = [x for x in r if x[6] in ("sent", "late")]
    t0, t1 = min(x[2] for x in sent), max(x[2] for x in sent)
    # The middle of the run: both flows on, the queue saturated.
    lo, hi = t0 + (t1 - t0) * 0.2, t0 + (t1 - t0) * 0.8
    mid = sorted(x[2] for x in sent if lo <= x[2] < hi)
    nbytes = sum(x[3] for x in sent if mid[0] <= x[2] < mid[-1])
    rate = nbytes * 8 / ((mid[-1] - mid[0]) / 1e9)
    rt_src = {x[4] for x in r if x[4] != 0}
    rt = [x for x in sent if x[4] in rt_src]
    q = [(x[2] - x[0]) / 1e3 for x in rt]
    drops = sum(1 for x in r if x[6] == "drop" and x[4] == 0)
    late = sum(1 for x in rt if x[6] == "late")
    # Was the queue ever empty in the window?  (Then the link idled for want
    # of packets, not because of the pacer.)
    ev = sorted([(x[0], 1) for x in r] + [(x[2], -1) for x in r])
    occ, empty = 0, 0
    for t, dv in ev:
        occ += dv
        if occ == 0 and lo <= t < hi:
            empty += 1
    # Releases more than the pacer's 1 ms catch-up slack apart while packets
    # waited: link time the releasing thread lost by not running.
    rel = sorted(x[2] for x in sent)
    lost = sum(b - a - 1e6 for a, b in zip(rel, rel[1:])
               if lo <= a < hi and b - a > 1e6) / 1e6
    # Catch-up bursts: packets released at the same instant as the previous
    # one (the pacer behind by up to its slack): their queueing moves below
    # OVS, into the kernel's or the NIC's queue.
    same = [b == a for a, b in zip(rel, rel[1:])]
    burst_pct = 100.0 * sum(same) / max(1, len(same))
    run_len, longest = 0, 0
    for flag in same:
        run_len = run_len + 1 if flag else 0
        longest = max(longest, run_len)
    s0, s1 = [l.split() for l in open("%s/%s.schedstat" % (work, mode))]
    wall = (int(s1[0]) - int(s0[0])) / 1e6
    waited = (int(s1[2]) - int(s0[2])) / 1e6
    # The receiving application's one-way delay of the RT flow (it also
    # counts waiting before OVS read the packet, and after OVS sent it).
    app = {}
    for line in open("%s/%s-recv.txt" % (work, mode)):
        if line.startswith("total id=1 "):
            app = dict(kv.split("=") for kv in line.split()[1:])
    def ms(key):
        return float(app.get(key, "nan").rstrip("ms"))
    return dict(rate=rate, err=(rate / RATE - 1) * 100, n_rt=len(rt),
                app_p50=ms("p50"), app_p99=ms("p99"), app_max=ms("max"),
                empty=empty, lost=lost, waited=waited, wall=wall,
                burst_pct=burst_pct, longest=longest + 1,
                p50=pct(q, 50), p99=pct(q, 99), max=max(q) if q else 0,
                late=late, be_drops=drops, window=(mid[-1] - mid[0]) / 1e9,
                rt_drops=sum(1 for x in r if x[4] in rt_src and x[6] == "drop"))

# Each scenario ran LAT_REPS times; the floors use the run in which the
# releasing thread waited least for a CPU (the least disturbed by other
# jobs on this shared machine); the table shows every run.
runs = {m: [analyse("%s%d" % (m, i)) for i in range(1, int(lat_reps) + 1)]
        for m in ("pmd", "main")}
pmd = min(runs["pmd"], key=lambda m: m["waited"])
main = min(runs["main"], key=lambda m: m["waited"])
tx_us = RT_FRAME * 8 / RATE * 1e6
tp, busy = {}, {}
for line in open("%s/throughput.txt" % work):
    c, pps, b = line.split()
    tp.setdefault(c, []).append(float(pps))
    busy.setdefault(c, []).append(float(b))
# Best of the interleaved runs, for the table; the floor is judged on the
# rounds' paired ratios (bench/rtvnic-paired.py's verdict).
best = {c: max(v) for c, v in tp.items()}
reps = len(tp["noqos"])
try:
    vline = open("%s/throughput-verdict.txt" % work).read().strip()
except OSError:
    vline = ""
vd = dict(re.findall(r"(\w+)=(\S+)", vline))

floors = [
    ("pacing within 0.5 % of max-rate (PMD)", abs(pmd["err"]) <= 0.5,
     "%+.3f %%" % pmd["err"]),
    ("RT host queueing p99 <= %.1f us (frame time at max-rate) + 100 us (PMD)"
     % tx_us, pmd["p99"] <= tx_us + 100, "%.1f us" % pmd["p99"]),
    ("forwarding throughput with rtvnic >= 0.9 x no QoS, on the 95 %% "
     "interval of %s paired rounds" % vd.get("pairs", "?"),
     vd.get("verdict") == "PASS",
     "ratio %s, interval %s: %s" % (vd.get("ratio", "?"), vd.get("ci95", "?"),
                                    vd.get("verdict", "no verdict"))),
]

L = []
L.append("# RTvNIC on the DPDK datapath: PMD vs main thread, throughput")
L.append("")
L.append("Measured by `make bench-dpdk` (bench/rtvnic-bench-dpdk.sh) on this "
         "machine (%s CPUs, no KVM; another engineer's jobs may share the CPUs), "
         "one run, RUN_S=%s, %s throughput rounds. OVS 3.1.0 + RTvNIC built `--with-dpdk=shared` "
         "against Debian's DPDK 22.11; DPDK ports are af_packet vdevs on veths; "
         "one PMD thread on core 1 (nice -20)." % (ncpu, run_s, reps))
L.append("")
L.append("## 1. Pacing and RT host queueing under a saturating best-effort source")
L.append("")
L.append("up0: rtvnic max-rate 100 Mbit/s, queue-limit 1000. vma: RT source "
         "(deadline 2 ms, min-rate 5 Mbit/s, burst 100 kbit), 1000 datagrams/s "
         "of 200 B (%d-B frames, %.1f us at max-rate). vmb: best effort, ~125 "
         "Mbit/s offered. From the scheduler's own per-packet trace "
         "(`rtvnic/trace-start`): host queueing = release - arrival in OVS time."
         % (RT_FRAME, tx_us))
L.append("")
L.append("| release by | paced rate (Mbit/s) | error vs max-rate | RT packets | "
         "RT queueing p50 (us) | p99 (us) | max (us) | RT late | RT dropped | "
         "BE dropped | queue empty | link time lost to stalls > 1 ms | "
         "releasing thread waited for a CPU | released in catch-up bursts | "
         "longest burst | RT one-way delay at the application p50 / p99 / max "
         "(ms) |")
L.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
for name, m in ([("PMD thread (dpdk ports), run %d%s" % (
                      i + 1, " (least disturbed)" if m is pmd else ""), m)
                  for i, m in enumerate(runs["pmd"])]
                 + [("main thread (system ports), run %d%s" % (
                      i + 1, " (least disturbed)" if m is main else ""), m)
                    for i, m in enumerate(runs["main"])]):
    L.append("| %s | %.3f | %+.3f %% | %d | %.1f | %.1f | %.1f | %d | %d | %d | "
             "%d times | %.1f ms (%.2f %%) | %.1f ms of %.0f ms | %.1f %% | "
             "%d packets | %.3f / %.3f / %.3f |"
             % (name, m["rate"] / 1e6, m["err"], m["n_rt"], m["p50"], m["p99"],
                m["max"], m["late"], m["rt_drops"], m["be_drops"], m["empty"],
                m["lost"], m["lost"] / (m["window"] * 1e3) * 100, m["waited"],
                m["wall"], m["burst_pct"], m["longest"], m["app_p50"],
                m["app_p99"], m["app_max"]))
L.append("")
L.append("Paced rate: bytes released in the middle 60 % of the run (queue "
         "saturated) per second. Link time lost: sum of (gap - 1 ms) over "
         "consecutive releases more than the pacer's 1 ms catch-up slack apart. "
         "Waited for a CPU: the releasing thread's run-queue wait "
         "(/proc/.../schedstat) during the run: on this shared 2-core machine "
         "the PMD thread does not own its core. Catch-up bursts: packets "
         "released at the same microsecond as the one before, because the "
         "releasing thread woke up after their pacing time; the main thread "
         "(timerfd wake-ups) releases much of its traffic that way, so its "
         "short host queueing is partly queueing moved below OVS, into the "
         "kernel's queue, while the PMD spaces packets at the link rate. "
         "The application's one-way delay (sender to receiver, same clock) "
         "also counts the time a packet waits before OVS reads it: OVS stamps "
         "arrival when the PMD polls the port, so while the PMD thread is "
         "preempted (see its CPU wait) packets wait in the af_packet receive "
         "ring, unseen by the scheduler; on a core of its own that wait is "
         "not there.")
L.append("")
L.append("Each scenario ran %s times; the floors below use the least "
         "disturbed run of each (smallest CPU wait of the releasing thread)."
         % lat_reps)
L.append("")
L.append("RT queueing p99 of the least disturbed runs, main thread / PMD: **%.1fx**." % (main["p99"] / pmd["p99"]
         if pmd["p99"] > 0 else float("nan")))
L.append("")
L.append("## 2. Forwarding throughput on the DPDK ports")
L.append("")
L.append("A veth pair inside the host, both ends DPDK ports (af_packet), with "
         "flows that send each packet back out of the port it arrived on: 256 "
         "injected 64-B datagrams (106-B frames) circulate through the PMD as "
         "fast as it forwards them, so no traffic generator limits the rate. "
         "Packets/s forwarded (TX of both loop ports) over %s s with the QoS on "
         "both loop ports; %s rounds of the three back to back (order "
         "rotating), as many as it took the 95 %% interval of the rounds' "
         "rtvnic / no QoS ratios to decide the floor; the table shows the best "
         "run of each. PMD busy: processing cycles share "
         "(`dpif-netdev/pmd-stats-show`)." % (run_s, reps))
L.append("")
L.append("| loop ports' QoS | packets/s (best) | all runs | vs no QoS | PMD busy |")
L.append("|---|---|---|---|---|")
for c, name in (("noqos", "none"), ("policer", "egress-policer (cir 10 Gbit/s)"),
                ("rtvnic", "rtvnic (max-rate 10 Gbit/s)")):
    L.append("| %s | %.0f | %s | %.3f | %s |" % (
        name, best[c], ", ".join("%.0f" % v for v in tp[c]),
        best[c] / best["noqos"], ", ".join("%.0f %%" % b for b in busy[c])))
L.append("")
L.append("## Floors")
L.append("")
L.append("| floor | measured | result |")
L.append("|---|---|---|")
for what, ok, val in floors:
    L.append("| %s | %s | %s |" % (what, val, "PASS" if ok else "FAIL"))
L.append("")
open(out, "w").write("\n".join(L))
print("\n".join(L))
sys.exit(0 if all(ok for _, ok, _ in floors) else 1)
EOF
