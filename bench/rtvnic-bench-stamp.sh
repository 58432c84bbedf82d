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

# rtvnic-bench-stamp.sh [OVSDIR]: forwarding throughput of the Geneve wire
# stamp against plain Geneve, measured in one run on the two-host testbed
# (testbed/rtvnic-testbed).
#
# vm1a (host1) sends UDP datagrams to vm2a (host2) through Geneve, offered
# well above what the two userspace datapaths forward.  Runs alternate
# between "stamped" (vm1a's port is an RTvNIC source: QoS rtvnic
# deadline=2ms min-rate=5000000, so every packet gets the 28-byte option on
# host1 and is measured and stripped on host2) and "plain" (no QoS: plain
# Geneve).  Delivered = what reaches vm2a's eth0 (kernel rx counters of the
# VM's interface; a bound UDP socket that is never read is the sink, so no
# application limits the rate and no ICMP errors flow back).
#
# Writes bench/results/stamp.md and stamp.csv, prints the table and the
# ratio stamped/plain of the delivered packet rates (median over the runs of
# each mode -- robust against the odd run disturbed by other work on a small
# shared machine; the mean and per-pair ratios are shown too); floor: ratio
# >= 0.95 (exit status 1 otherwise, or if the receiver's stamp counters do
# not match the modes).
#
# Environment: BENCH_RUNS (3 per mode), BENCH_SECONDS (10 per run),
# BENCH_SIZE (1300 UDP payload bytes), BENCH_RATE (offered pps, 400000),
# BENCH_BURST (64 datagrams per wake-up), BENCH_FLOOR (0.95), BENCH_PIN
# (1: generator on CPU 0, both switches on CPU 1; 0: no pinning).

set -o pipefail

top=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
OVSDIR=$(cd "${1:-${OVSDIR:-$top/build/ovs}}" && pwd) || exit 2
export OVSDIR
testbed=$top/testbed/rtvnic-testbed
results=$top/bench/results
work=$top/build/bench-stamp
runs=${BENCH_RUNS:-3}
secs=${BENCH_SECONDS:-10}
size=${BENCH_SIZE:-1300}
rate=${BENCH_RATE:-400000}
burst=${BENCH_BURST:-64}
floor=${BENCH_FLOOR:-0.95}
export TESTBED_PREFIX=rtvbs$$
export HOST1_VMS=vm1a HOST2_VMS=vm2a
unset CORE_RATE CORE_RATE_REV

if [ "$(id -u)" != 0 ]; then
    echo "rtvnic-bench-stamp: must run as root (creates network namespaces)" >&2
    exit 2
fi

sink_pid=
cleanup() {
    trap - EXIT INT TERM
    [ -n "$sink_pid" ] && kill "$sink_pid" 2>/dev/null
    "$testbed" down >/dev/null 2>&1
}
trap cleanup EXIT
trap 'exit 130' INT TERM

rm -rf "$work"
mkdir -p "$work" "$results"
traffic=$work/rtvnic-traffic
gcc -O2 -Wall -o "$traffic" "$top/testbed/rtvnic-traffic.c" || exit 1

load0=$(cut -d' ' -f1-3 /proc/loadavg)
echo "== testbed up ($TESTBED_PREFIX)"
"$testbed" up > "$work/env" 2> "$work/testbed-up.log" || {
    cat "$work/testbed-up.log" >&2; exit 1; }
. "$work/env"
tb() { "$testbed" "$@"; }

# The sink: a bound UDP socket in vm2a that is never read.
ip netns exec "$VM2A_NS" python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("", 5001))
time.sleep(100000)' &
sink_pid=$!

vm2a_rx() {
    ip netns exec "$VM2A_NS" cat /sys/class/net/eth0/statistics/rx_packets \
        /sys/class/net/eth0/statistics/rx_bytes | paste -s -d ' '
}

set_mode() {
    if [ "$1" = stamped ]; then
        tb vsctl host1 set port "$VM1A_PORT" qos=@q -- --id=@q create qos \
            type=rtvnic other-config:deadline=2ms \
            other-config:min-rate=5000000 >/dev/null
    else
        tb vsctl host1 clear port "$VM1A_PORT" qos -- --all destroy qos
    fi
    sleep 0.5
}

# run_one N MODE: one run; appends a CSV row.
run_one() {
    local n=$1 mode=$2 p0 b0 p1 b1 t0 t1 sent stamps
    set_mode "$mode"
    tb appctl host2 rtvnic/flows --clear >/dev/null
    read -r p0 b0 <<<"$(vm2a_rx)"
    t0=$(date +%s.%N)
    ip netns exec "$VM1A_NS" $pin_gen "$traffic" send "$VM2A_IP" 5001 \
        --rate "$rate" --burst "$burst" --size "$size" --duration "$secs" \
        --id 1 > "$work/send-$n.txt"
    t1=$(date +%s.%N)
    sleep 0.2
    read -r p1 b1 <<<"$(vm2a_rx)"
    sent=$(sed -n 's/^sent id=1 packets=\([0-9]*\).*/\1/p' "$work/send-$n.txt")
    stamps=$(tb appctl host2 rtvnic/flows --json | python3 -c '
import json, sys
print(sum(f["packets"] for f in json.load(sys.stdin)))')
    echo "$n,$mode,$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'),$size,$sent,$((p1 - p0)),$((b1 - b0)),$stamps" \
        >> "$work/runs.csv"
    awk -F, '{ printf "   run %d %-7s %5.2fs offered %7.1f kpps  delivered %7.1f kpps %7.1f Mbit/s  stamps at host2 %d\n",
               $1, $2, $3, $5 / $3 / 1e3, $6 / $3 / 1e3, $7 * 8 / $3 / 1e6, $8 }' \
        <<<"$(tail -1 "$work/runs.csv")"
}

# CPUs: the load generator on CPU 0, both ovs-vswitchd (and so the whole
# path from host1's datapath to vm2a's socket, which the kernel runs in
# their context) on CPU 1, so that the generator, which has to be busy to
# offer more than OVS forwards, does not take turns with the switches.
pin_gen=
if [ "${BENCH_PIN:-1}" = 1 ] && [ "$(nproc)" -ge 2 ]; then
    pin_gen="taskset -c 0"
    for n in 1 2; do
        eval "rd=\$HOST${n}_RUNDIR"
        taskset -a -cp 1 "$(cat "$rd/ovs-vswitchd.pid")" >/dev/null
    done
    echo "== pinned: generator on CPU 0, both ovs-vswitchd on CPU 1"
fi

# Warm-up (MAC tables, tunnel neighbour, caches), not measured.
echo "== warm-up (2 s)"
ip netns exec "$VM1A_NS" $pin_gen "$traffic" send "$VM2A_IP" 5001 \
    --rate "$rate" --burst "$burst" --size "$size" --duration 2 --id 1 >/dev/null

echo "== $runs runs per mode, ${secs}s each, $size-byte UDP payload," \
     "offered $rate pps, alternating"
echo "run,mode,seconds,size,sent,delivered_packets,delivered_bytes,stamps_at_receiver" \
    > "$work/runs.csv"
n=0
for i in $(seq "$runs"); do
    for mode in stamped plain; do
        n=$((n + 1))
        # Alternate which mode goes first in each pair.
        [ $((i % 2)) = 0 ] && mode=$([ "$mode" = stamped ] && echo plain || echo stamped)
        run_one "$n" "$mode"
    done
done
cp "$work/runs.csv" "$results/stamp.csv"

python3 - "$work/runs.csv" "$results/stamp.md" "$floor" "$rate" "$burst" \
    "$(uname -m)" "$(nproc)" "$(uname -r)" \
    "$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')" \
    "$(cd "$top" && git rev-parse --short HEAD 2>/dev/null)$(cd "$top" && git diff --quiet HEAD -- lib vswitchd ovs-patches 2>/dev/null || echo +local)" \
    "$load0" "${pin_gen:+generator on CPU 0, both ovs-vswitchd on CPU 1}" <<'EOF'
import csv, statistics, sys, time

(src, dst, floor, rate, burst, arch, ncpu, kernel, cpu, commit, load0,
 pin) = sys.argv[1:]
load1 = " ".join(open("/proc/loadavg").read().split()[:3])
floor = float(floor)
rows = list(csv.DictReader(open(src)))
for r in rows:
    s = float(r["seconds"])
    r["offered_kpps"] = int(r["sent"]) / s / 1e3
    r["kpps"] = int(r["delivered_packets"]) / s / 1e3
    r["mbps"] = int(r["delivered_bytes"]) * 8 / s / 1e6

def agg(mode, key):
    v = [r[key] for r in rows if r["mode"] == mode]
    return (statistics.mean(v), statistics.stdev(v) if len(v) > 1 else 0.0,
            statistics.median(v))

sk, sks, skm = agg("stamped", "kpps")
pk, pks, pkm = agg("plain", "kpps")
sm, _, smm = agg("stamped", "mbps")
pm, _, pmm = agg("plain", "mbps")
ratio_mean = sk / pk if pk else 0.0
ratio = skm / pkm if pkm else 0.0
# Each pair of adjacent runs (one of each mode) gives a ratio too.
pairs = []
for i in range(0, len(rows) - 1, 2):
    a, b = rows[i], rows[i + 1]
    st, pl = (a, b) if a["mode"] == "stamped" else (b, a)
    pairs.append(st["kpps"] / pl["kpps"] if pl["kpps"] else 0.0)
ok = ratio >= floor
stamps_ok = all((int(r["stamps_at_receiver"]) > 0) == (r["mode"] == "stamped")
                for r in rows)

out = []
out.append("# RTvNIC wire stamp: forwarding throughput, stamped vs plain Geneve\n")
out.append("- Date: %s" % time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()))
out.append("- Machine: %s, %s (%s CPUs), Linux %s" % (arch, cpu, ncpu, kernel))
out.append("- Code: %s" % (commit or "unknown"))
out.append("- Set-up: testbed/rtvnic-testbed (two ovs-vswitchd, userspace "
           "datapath, veth, Geneve through a core router namespace, no "
           "bottleneck); vm1a -> vm2a UDP, %s-byte payload (%d-byte inner "
           "frames), offered %s pps in bursts of %s; delivered = vm2a eth0 "
           "rx counters; CPUs: %s" % (rows[0]["size"], int(rows[0]["size"]) + 42,
                                     rate, burst, pin or "not pinned"))
out.append("- stamped: vm1a's port is an RTvNIC source (deadline 2ms, min-rate "
           "5 Mbit/s), every packet carries the 28-byte option, host2 measures "
           "and strips it; plain: no QoS, plain Geneve. Runs alternate.\n")
out.append("| run | mode | seconds | offered kpps | delivered kpps | delivered Mbit/s | stamps at host2 |")
out.append("|----:|------|--------:|-------------:|---------------:|-----------------:|----------------:|")
for r in rows:
    out.append("| %s | %s | %s | %.1f | %.1f | %.1f | %s |" % (
        r["run"], r["mode"], r["seconds"], r["offered_kpps"], r["kpps"],
        r["mbps"], r["stamps_at_receiver"]))
out.append("")
out.append("| mode | median kpps | median Mbit/s | mean kpps | stdev kpps | mean Mbit/s |")
out.append("|------|------------:|--------------:|----------:|-----------:|------------:|")
out.append("| stamped | %.1f | %.1f | %.1f | %.1f | %.1f |" % (skm, smm, sk, sks, sm))
out.append("| plain | %.1f | %.1f | %.1f | %.1f | %.1f |" % (pkm, pmm, pk, pks, pm))
out.append("")
out.append("Ratio stamped/plain, delivered packets/s: median **%.3f**, mean %.3f, "
           "per adjacent pair %s" % (ratio, ratio_mean,
                                     ", ".join("%.3f" % x for x in pairs)))
out.append("")
out.append("Load average (1/5/15 min) at start: %s; at end: %s" % (load0, load1))
out.append("")
out.append("Floor: median ratio >= %.2f: **%s**%s" % (
    floor, "PASS" if ok else "FAIL",
    "" if stamps_ok else " (but stamps at host2 do not match the modes!)"))
text = "\n".join(out) + "\n"
open(dst, "w").write(text)
print(text)
sys.exit(0 if ok and stamps_ok else 1)
EOF
rc=$?
echo "rtvnic-bench-stamp: wrote $results/stamp.md and $results/stamp.csv"
exit $rc
