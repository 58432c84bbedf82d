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

# rtvnic-demo-feedback.sh OVSDIR: the embedded default scenario of RTvNIC with
# its feedback loop closed, on the two-host testbed (utilities/rtvnic-testbed).
#
#   vm1a voice  (1000 pps x 200 B, deadline 2 ms)  ─┐ host1 br-int ─ gnv0 ─┐
#   vm1b video  (bursts of 10 x 1172 B, 10 ms)     ─┤ h1-up: RTvNIC egress  │
#   vm1c best effort (9000 pps x 1400 B)           ─┘ paced at 100 Mbit/s   │
#                                                                          core
#   cross traffic (from the core router, 6000 pps x 1500 B, best effort) ► htb
#                                                   CORE_RATE towards host2
#                                                   EF prio 0, AF41 1, BE 7
#   vm2a (receivers: one-way delay measured by the application) ◄── host2 ◄┘
#
# rtvctl runs with a policy mapping host1's tunnel IP to host1's br-int
# (datapath ID 0x11; host2's br-int is 0x21); both br-int are its switches,
# over unix sockets in the hosts' run directories.  br-int's pipeline: table 0
# (rtvctl's DSCP flows, else resubmit(,1)), table 1 NORMAL.  At T_CROSS_ON
# the core's best-effort class is congested, the RT flows (DSCP 0) miss their
# deadlines in the network, host2 reports the misses and rtvctl escalates
# their DSCP (0 -> 34 [-> 46]): they move to the core's AF41/EF classes and
# stop missing.  At T_CROSS_OFF the congestion ends and, after the quiet
# period, rtvctl relaxes them one step at a time.
#
# Policy choices: miss_ratio_threshold 0.5 (a 2-CPU machine delays single
# packets by more than 2 ms now and then; congestion makes every packet of
# an interval late), and quiet_period_ms 12000, longer than the congestion:
# with a shorter one rtvctl gives the priority back while the core is still
# congested, the flows miss again and it re-escalates (e.g. QUIET_MS=3000
# oscillates every ~3.5 s).
#
# Prints a per-second timeline and writes bench/results/demo.md and
# bench/results/demo.png (gnuplot).  Runs as root, in about 50 s; cleans up
# (rtvnic-testbed down) on success, error and Ctrl-C.  Run files (logs,
# samples, receiver output) stay in build/demo-feedback-PREFIX/.
#
# Environment: TESTBED_PREFIX (default rtvfb), DURATION (40 s of traffic),
# T_CROSS_ON (10), T_CROSS_OFF (21), CORE_RATE (120mbit), CROSS_PPS (6000),
# BE_PPS (9000), QUIET_MS (12000).
set -e -o pipefail

ovs=$(cd "${1:?usage: $0 OVSDIR}" && pwd)
top=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
export OVSDIR=$ovs
export TESTBED_PREFIX=${TESTBED_PREFIX:-rtvfb}
export HOST1_VMS="vm1a vm1b vm1c"
export HOST2_VMS="vm2a"
export CORE_RATE=${CORE_RATE:-120mbit}
DURATION=${DURATION:-40}
T_CROSS_ON=${T_CROSS_ON:-10}
T_CROSS_OFF=${T_CROSS_OFF:-21}
CROSS_PPS=${CROSS_PPS:-6000}
BE_PPS=${BE_PPS:-9000}
QUIET_MS=${QUIET_MS:-12000}
tb=$top/utilities/rtvnic-testbed
run=$top/build/demo-feedback-$TESTBED_PREFIX
results=$top/bench/results
rtvctl=$ovs/controller/rtvctl
appctl=$ovs/utilities/ovs-appctl
traffic=$run/rtvnic-traffic
CROSS_DST=198.51.100.77         # nobody: host2's br-phy drops it
CROSS_MAC=02:00:c6:33:64:77
DPID1=0000000000000011
DPID2=0000000000000021
pids=()

die() { echo "rtvnic-demo-feedback: $*" >&2; exit 1; }
say() { echo "== $*"; }

[ "$(id -u)" = 0 ] || die "must run as root (it creates network namespaces)"
[ -x "$rtvctl" ] || die "$rtvctl is missing (build OVS first)"
command -v gnuplot >/dev/null || die "gnuplot is missing (utilities/install-deps.sh)"
command -v python3 >/dev/null || die "python3 is missing"

stop_rtvctl() {
    local pid
    if [ -f "$run/rtvctl.pid" ]; then
        pid=$(cat "$run/rtvctl.pid" 2>/dev/null)
        if [[ $pid =~ ^[0-9]+$ ]] \
                && [ "$(cat /proc/$pid/comm 2>/dev/null)" = rtvctl ]; then
            kill "$pid" 2>/dev/null
        fi
    fi
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM HUP
    set +e
    for p in "${pids[@]}"; do
        kill "$p" 2>/dev/null
    done
    stop_rtvctl
    "$tb" down >/dev/null 2>&1
    if [ "$rc" != 0 ]; then
        echo "rtvnic-demo-feedback: failed (status $rc); testbed is down;" \
             "logs in $run" >&2
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

start=$(date +%s.%N)

# A clean state: a previous run's controller and testbed go first.
stop_rtvctl
"$tb" down >/dev/null 2>&1 || true
rm -rf "$run"
mkdir -p "$run" "$results"
gcc -O2 -Wall -o "$traffic" "$top/utilities/rtvnic-traffic.c"

say "testbed up: host1 (vm1a vm1b vm1c), host2 (vm2a), core $CORE_RATE towards host2"
"$tb" up > "$run/testbed-up.log" 2>&1 || { tail -20 "$run/testbed-up.log" >&2; false; }
. <("$tb" env)

vs1() { "$tb" vsctl host1 "$@"; }
vs2() { "$tb" vsctl host2 "$@"; }
of1() { "$tb" ofctl host1 "$@"; }
of2() { "$tb" ofctl host2 "$@"; }
ctl() { "$appctl" --timeout=5 -t "$run/rtvctl.ctl" "$@"; }

say "host1: RTvNIC egress h1-up at 100 Mbit/s; vm1a voice 2 ms, vm1b video 10 ms, vm1c best effort"
vs1 -- set port h1-up qos=@q -- --id=@q create qos type=rtvnic \
    other-config:max-rate=100000000 other-config:queue-limit=300 >/dev/null
vs1 -- set port "$VM1A_PORT" qos=@q -- --id=@q create qos type=rtvnic \
    other-config:deadline=2ms other-config:min-rate=5000000 >/dev/null
vs1 -- set port "$VM1B_PORT" qos=@q -- --id=@q create qos type=rtvnic \
    other-config:deadline=10ms other-config:min-rate=20000000 \
    other-config:burst=200000 >/dev/null

say "rtvctl: policy host $HOST1_IP -> 0x${DPID1#00000000000000}, ladder [0, 34, 46], quiet period $QUIET_MS ms"
cat > "$run/policy.json" <<EOF
{
    "report_interval_ms": 10,
    "tighten_floor_us": 1000,
    "miss_ratio_threshold": 0.5,
    "dscp_ladder": [0, 34, 46],
    "quiet_period_ms": $QUIET_MS,
    "min_step_interval_ms": 500,
    "escalation_table": 0,
    "next_table": 1,
    "hosts": [{"tunnel_ip": "$HOST1_IP", "datapath_id": "0x$DPID1"},
              {"tunnel_ip": "$HOST2_IP", "datapath_id": "0x$DPID2"}]
}
EOF
"$rtvctl" --detach --no-chdir --pidfile="$run/rtvctl.pid" \
    --log-file="$run/rtvctl.log" --unixctl="$run/rtvctl.ctl" \
    -vconsole:off --policy="$run/policy.json" \
    "punix:$HOST1_RUNDIR/rtvctl.sock" "punix:$HOST2_RUNDIR/rtvctl.sock"

# Both br-int connect to rtvctl, each through a socket in its host's run
# directory (ovs-vswitchd refuses unix controllers elsewhere; namespaces share
# the file system).  The first controller of a bridge flushes its flows, so
# the pipeline (table 0 -> table 1 NORMAL) is installed afterwards.
vs1 set bridge br-int other-config:datapath-id=$DPID1 -- set-fail-mode br-int secure
vs2 set bridge br-int other-config:datapath-id=$DPID2 -- set-fail-mode br-int secure
vs1 set-controller br-int "unix:$HOST1_RUNDIR/rtvctl.sock"
vs2 set-controller br-int "unix:$HOST2_RUNDIR/rtvctl.sock"
for i in $(seq 100); do
    show=$(ctl rtvctl/show 2>/dev/null || true)
    if grep -q "datapath ID 0x11" <<<"$show" \
            && grep -q "datapath ID 0x21" <<<"$show"; then
        break
    fi
    [ "$i" = 100 ] && die "the hosts did not connect to rtvctl"
    sleep 0.1
done
printf 'table=0,priority=0,actions=resubmit(,1)\ntable=1,priority=0,actions=NORMAL\n' \
    > "$run/flows.txt"
of1 add-flows br-int "$run/flows.txt"
of2 add-flows br-int "$run/flows.txt"
# The cross traffic goes to an address nobody has; host2's uplink drops it.
of2 add-flow br-phy "priority=100,ip,nw_dst=$CROSS_DST,actions=drop"
"$tb" core ip neigh replace "$CROSS_DST" lladdr "$CROSS_MAC" dev c-h2 nud permanent
# Reachability through the new pipeline before measuring.
"$tb" vm vm1a ping -c 1 -W 2 -q "$VM2A_IP" >/dev/null || die "vm1a cannot reach vm2a"
for i in $(seq 50); do
    ctl rtvctl/show | grep -q 'contract 10000 us' && break
    sleep 0.1
done

say "traffic for ${DURATION}s; cross traffic in the core from t=${T_CROSS_ON}s to t=${T_CROSS_OFF}s"
# vm2a: one receiver per flow (ids: 1 voice, 2 video, 3 best effort).
"$tb" vm vm2a "$traffic" recv 5001 --duration $((DURATION + 1)) \
    --deadline-us 2000 > "$run/recv-voice.txt" & pids+=($!)
"$tb" vm vm2a "$traffic" recv 5002 --duration $((DURATION + 1)) \
    --deadline-us 10000 > "$run/recv-video.txt" & pids+=($!)
"$tb" vm vm2a "$traffic" recv 5003 --duration $((DURATION + 1)) \
    > "$run/recv-be.txt" & pids+=($!)
t0=$(date +%s.%N)
echo "$t0" > "$run/t0"
"$tb" vm vm1c "$traffic" send "$VM2A_IP" 5003 --id 3 --rate "$BE_PPS" \
    --size 1372 --duration "$DURATION" > /dev/null & pids+=($!)
"$tb" vm vm1b "$traffic" send "$VM2A_IP" 5002 --id 2 --rate 1500 \
    --size 1172 --burst 10 --duration "$DURATION" > /dev/null & pids+=($!)
"$tb" vm vm1a "$traffic" send "$VM2A_IP" 5001 --id 1 --rate 1000 \
    --size 172 --duration "$DURATION" > /dev/null & pids+=($!)

# The controller's view, sampled every second (t = seconds since t0).
(
    for s in $(seq 1 $((DURATION + 1))); do
        sleep "$(python3 -c "import time; print(max(0, $t0 + $s - time.time()))")"
        echo "@ $s"
        "$appctl" --timeout=2 -t "$run/rtvctl.ctl" rtvctl/show 2>/dev/null \
            | grep '^flow' || true
    done > "$run/samples.txt"
) & pids+=($!)
sampler=$!

# The cross traffic, from the core router itself, best effort.
sleep "$(python3 -c "import time; print(max(0, $t0 + $T_CROSS_ON - time.time()))")"
echo "cross-on $(date +%s.%N)" >> "$run/events.txt"
"$tb" core timeout $((T_CROSS_OFF - T_CROSS_ON)) "$traffic" send "$CROSS_DST" 9 \
    --id 9 --rate "$CROSS_PPS" --size 1472 --duration $((T_CROSS_OFF - T_CROSS_ON)) \
    > /dev/null & pids+=($!)
cross=$!
wait "$cross" || true
echo "cross-off $(date +%s.%N)" >> "$run/events.txt"
wait "$sampler" || true
wait "${pids[@]}" 2>/dev/null || true
pids=()

# The timeline, demo.md and the plot.
python3 - "$run" "$results" "$DURATION" "$CORE_RATE" <<'EOF'
import calendar, re, sys, time
run, results, duration, core_rate = sys.argv[1:5]
duration = int(duration)
t0 = float(open(f"{run}/t0").read())

def recv(name):
    per = {}
    for line in open(f"{run}/recv-{name}.txt"):
        m = re.match(r"t=(\d+)s id=\d+ packets=(\d+) lost=(\d+) .* "
                     r"p99=([\d.]+)ms .* max=([\d.]+)ms misses=(\d+)", line)
        if m:
            per[int(m[1])] = dict(pk=int(m[2]), lost=int(m[3]),
                                  p99=float(m[4]), max=float(m[5]),
                                  miss=int(m[6]))
    return per
voice, video, be = recv("voice"), recv("video"), recv("be")

# The controller's state at the end of each second, by contract deadline.
state, vnics, s = {}, {}, None
for line in open(f"{run}/samples.txt"):
    if line.startswith("@ "):
        s = int(line.split()[1])
        continue
    m = re.match(r"flow (\S+) vnic (\d+): (\w+), dscp (\d+), effective "
                 r"deadline (\d+) us \(contract (\d+) us\)", line)
    if m and s is not None:
        kind = {"2000": "voice", "10000": "video"}.get(m[6])
        if kind:
            state[(s, kind)] = (m[3], int(m[4]), int(m[5]) / 1000)
            vnics[m[2]] = kind

# Feedback events from the controller's log, and cross traffic on/off.
events = []
for line in open(f"{run}/rtvctl.log"):
    m = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{3})Z\|\d+\|rtvctl\|"
                 r"INFO\|(.*(tighten|escalate|relax).*)", line)
    if m:
        t = calendar.timegm(time.strptime(m[1], "%Y-%m-%dT%H:%M:%S")) \
            + int(m[2]) / 1000 - t0
        v = re.search(r" vnic (\d+):", m[3])
        kind = vnics.get(v[1], "vnic " + v[1]) if v else ""
        events.append((t, f"{kind}: " + m[3]))
for line in open(f"{run}/events.txt"):
    what, when = line.split()
    events.append((float(when) - t0, "cross traffic " +
                   ("starts" if what == "cross-on" else "stops")))
events.sort()

def flowcols(per, kind, s):
    r = per.get(s)
    st = state.get((s, kind))
    cols = (f"{r['pk']:5d} {r['miss']:5d} {r['p99']:8.3f}" if r
            else f"{'-':>5} {'-':>5} {'-':>8}")
    cols += (f" {st[2]:5.1f} {st[1]:4d} {st[0][:9]:9}" if st
             else f" {'-':>5} {'-':>4} {'-':9}")
    return cols

hdr1 = (f"{'':>4} | {'voice (vm1a, deadline 2 ms)':^46} | "
        f"{'video (vm1b, deadline 10 ms)':^46} | {'best effort':^14}")
hdr2 = (f"{'t/s':>4} | {'pkts':>5} {'miss':>5} {'p99/ms':>8} {'dl/ms':>5} "
        f"{'dscp':>4} {'stage':9} | {'pkts':>5} {'miss':>5} {'p99/ms':>8} "
        f"{'dl/ms':>5} {'dscp':>4} {'stage':9} | {'pkts':>5} {'p99/ms':>8}")
lines = [hdr1, hdr2, "-" * len(hdr2)]
ei = 0
for s in range(1, duration + 1):
    while ei < len(events) and events[ei][0] <= s:
        lines.append(f"  >> t={events[ei][0]:6.2f}s  {events[ei][1]}")
        ei += 1
    b = be.get(s)
    bcols = f"{b['pk']:5d} {b['p99']:8.3f}" if b else f"{'-':>5} {'-':>8}"
    lines.append(f"{s:4d} | {flowcols(voice, 'voice', s)} | "
                 f"{flowcols(video, 'video', s)} | {bcols}")
for e in events[ei:]:
    lines.append(f"  >> t={e[0]:6.2f}s  {e[1]}")

def total(per):
    return sum(r["pk"] for r in per.values()), sum(r["miss"] for r in per.values())
def window(per, a, b):
    return sum(per[s]["miss"] for s in per if a < s <= b)
esc = [e for e in events if "escalate" in e[1]]
rel = [e for e in events if "relax" in e[1]]
summary = [
    f"voice: {total(voice)[0]} packets, {total(voice)[1]} misses; "
    f"video: {total(video)[0]} packets, {total(video)[1]} misses",
    f"feedback: {len(esc)} escalations, {len(rel)} relaxations, "
    f"{len([e for e in events if 'tighten' in e[1]])} deadline tightenings",
]
print("\n".join(lines))
print()
print("\n".join(summary))

with open(f"{results}/demo.md", "w") as f:
    f.write("# RTvNIC feedback demo (utilities/rtvnic-demo-feedback.sh)\n\n")
    f.write(f"Run {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime(t0))}. "
            f"host1: vm1a voice (1000 pps x 200 B, deadline 2 ms, min-rate "
            f"5 Mbit/s), vm1b video (bursts of 10 x 1172 B, 1500 pps, 10 ms, "
            f"20 Mbit/s), vm1c best effort (9000 pps x 1400 B, more than the "
            f"uplink takes), uplink an RTvNIC "
            f"egress paced at 100 Mbit/s.  Core towards host2: htb "
            f"{core_rate} (EF prio 0, AF41 prio 1, BE prio 7).  Best-effort "
            f"cross traffic in the core between the events below.  "
            f"Per second: packets, misses and p99 one-way delay as vm2a's "
            f"application measures them; effective deadline, DSCP and stage "
            f"as `rtvctl/show` reports them at the end of the second; `>>` "
            f"lines are rtvctl's decisions (its log) and the cross traffic.\n\n")
    f.write("```\n" + "\n".join(lines) + "\n```\n\n")
    f.write("\n".join("* " + s for s in summary) + "\n\n![](demo.png)\n")

with open(f"{run}/delay.dat", "w") as f:
    for s in range(1, duration + 1):
        v, w = voice.get(s), video.get(s)
        f.write(f"{s - 0.5} {v['p99'] if v and v['pk'] else 'NaN'} "
                f"{w['p99'] if w and w['pk'] else 'NaN'} "
                f"{v['max'] if v and v['pk'] else 'NaN'} "
                f"{w['max'] if w and w['pk'] else 'NaN'}\n")
with open(f"{run}/plot.gp", "w") as f:
    f.write(f"""set terminal pngcairo size 1200,650 font ",10"
set output "{results}/demo.png"
set title "RTvNIC feedback: per-second p99 and max one-way delay of the RT flows, measured by the receiving application (gray: cross traffic in the core)"
set xlabel "time (s)"
set ylabel "one-way delay p99 (ms)"
set logscale y
set yrange [0.05:1000]
set xrange [0:{duration}]
set grid ytics
set key bottom right opaque box
""")
    on = [t for t, w in events if w == "cross traffic starts"]
    off = [t for t, w in events if w == "cross traffic stops"]
    if on:
        f.write(f'set object 1 rect from {on[0]:.2f}, graph 0 to '
                f'{(off[0] if off else duration):.2f}, graph 1 behind '
                f'fc rgb "#eeeeee" fs solid noborder\n')
    n = 0
    for t, what in events:
        n += 1
        short = what if "cross" in what else (
            what.split(": ")[0] + ": " + what.split(": ")[-1])
        short = re.sub(r" \(.*\)", "", short)
        just = "right offset -0.3,0" if t > 0.75 * duration else "left offset 0.3,0"
        color = "gray40" if "cross" in what else (
            "red" if "escalate" in what else
            "dark-green" if "relax" in what else "orange")
        f.write(f'set arrow {n} from {t:.2f}, graph 0 to {t:.2f}, graph 1 '
                f'nohead lc rgb "{color}" dt {2 if "cross" in what else 3}\n')
        f.write(f'set label {n} "{short}" at {t:.2f}, graph '
                f'{0.97 - 0.045 * ((n - 1) % 10):.3f} {just} '
                f'font ",8" tc rgb "{color}"\n')
    f.write(f"""plot "{run}/delay.dat" using 1:2 with linespoints pt 7 ps 0.6 lc rgb "blue" title "voice (vm1a) p99", \\
     "{run}/delay.dat" using 1:3 with linespoints pt 5 ps 0.6 lc rgb "purple" title "video (vm1b) p99", \\
     "{run}/delay.dat" using 1:4 with points pt 6 ps 0.6 lc rgb "blue" title "voice max", \\
     "{run}/delay.dat" using 1:5 with points pt 4 ps 0.6 lc rgb "purple" title "video max", \\
     2 with lines lc rgb "blue" dt 4 title "voice deadline 2 ms", \\
     10 with lines lc rgb "purple" dt 4 title "video deadline 10 ms"
""")
EOF
gnuplot "$run/plot.gp"
say "feedback decisions (rtvctl log):"
grep -E 'tighten|escalate|relax' "$run/rtvctl.log" | sed 's/^/   /' || true
say "wrote $results/demo.md and $results/demo.png" \
    "($(python3 -c "import time; print(round(time.time() - $start))") s)"
