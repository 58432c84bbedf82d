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

# rtvnic-bench-core.sh OVSDIR (make bench-core): the same congestion through
# the two DiffServ cores of the testbed, in one run, interleaved:
#
#   htb  the Linux router with hand-written htb/u32 classes (CORE=linux):
#        EF prio 0, AF41 prio 1, best effort prio 7, at CORE_RATE;
#   ovs  an OVS userspace switch (CORE=ovs) whose egress towards host2 is an
#        RTvNIC egress at CORE_RATE with queue 1 (EF-like, deadline 2 ms)
#        and queue 2 (AF41-like, 10 ms), which rtvctl's DSCP->queue flows
#        select (it names the core as a network switch), and stamp-rate
#        (the testbed's CORE_STAMP_PCT, 80 % of the rate): stamped packets in
#        no queue, the RT flows before rtvctl escalates them, get their
#        stamps' deadlines ahead of best effort, which the htb core, whose
#        filters match DSCP only, cannot do.
#
# Each run is the feedback scenario of make demo (testbed/rtvnic-feedback-
# setup.sh, as testbed/rtvnic-demo-feedback.sh uses it), shortened and
# scaled to what three userspace switches can forward on this 2-CPU
# machine: vm1a voice (VOICE_PPS, 500, x 200 B, deadline VOICE_MS, 5), vm1b
# video (bursts of VIDEO_BURST, 5, x 1172 B, VIDEO_PPS, 500, deadline
# VIDEO_MS, 20), vm1c best effort (BE_PPS, 700, x 1400 B) through host1's
# RTvNIC egress at 100 Mbit/s, a core of CORE_RATE (20 Mbit/s, about 70 %
# loaded before the congestion), best-effort cross traffic (CROSS_PPS,
# 1500, x 1500 B) from the testbed's cross-traffic host (CROSS_HOST=1)
# through the core towards host2 from T_CROSS_ON to T_CROSS_OFF, rtvctl (ladder [0, 34, 46], top_rung_deadline_us = voice's
# deadline, so voice goes to EF and video to AF41) escalating the flows
# that miss, with a quiet period longer than the congestion.  Why a
# cross-traffic host, not the core's own stack: under the kernel's htb a
# local sender's datagrams count against its socket's send buffer while
# they wait in the qdisc, so it blocked and sent only ~465 of its 1500
# datagrams/s, the htb's best-effort queue never filled (0 drops) and the
# link idled whenever the sender was not scheduled at once (best effort
# 13.2 Mbit/s through htb against 13.95 through OVS, whose internal port
# never blocks); forwarded datagrams meet both cores' queues alike.  The OVS
# core's queue deadlines are the flows' (queue 1 VOICE_MS, queue 2
# VIDEO_MS).  Why not the demo's rates: every userspace switch here wakes
# its main thread about once per packet it receives and once per packet an
# RTvNIC egress releases (each wake-up costs ~70 us of main loop here), and
# with the demo's ~10,000 packets/s through three switches the CPUs, not
# the core's link, were the bottleneck (best effort reached 19-37 Mbit/s of
# 120, in both cores; the OVS core alone took 0.6 CPU for 4,000 packets/s
# in).  Why 5 and 20 ms: at 20 Mbit/s a video burst of 5 takes 2.4 ms on
# the wire, more than the demo's 2 ms voice deadline, so voice would miss
# behind video before any congestion, in either core.  Every tool runs at
# nice -10 or SCHED_FIFO 10 (RT), the switches' main threads at SCHED_FIFO
# 20: on this shared machine a best-effort sender at nice 0 fell behind its
# rate, and then the congestion was not the same in both runs.
# 3 s before the congestion rtvctl is restarted with no memory, its flows
# removed and the deadlines back at the contracts (as make bench-feedback
# does between runs): what it did on the flows' first packets and the
# machine's stalls must not relax inside the congestion.
# The runs alternate htb, ovs, htb, ovs, ... (PAIRS pairs at least, default
# 5, until every floor is decided, at most MAX_PAIRS, default 10), each
# on a fresh testbed, so that slow drifts of this shared machine's load hit
# both cores alike; the stall probe (testbed/rtvnic-stall-probe.c) records
# when the machine itself stopped running in every run.
#
# Measured per run by bench/rtvnic-bench-core.py (definitions in its
# header): per RT flow the one-way p99 of the datagrams sent during the
# congestion and its misses (all; and without those on their way during a
# machine stall), the time to restore the contract (misses stop, as
# rtvnic-feedback-measure.py's convergence without machine stalls); best-
# effort goodput through the bottleneck during the congestion (vm1c's, the
# cross traffic's that reached host2, their sum).  Floors, judged on the
# pairs' ratios OVS / htb and their 95 % interval (bench/rtvnic-paired.py,
# as bench-e2e and bench-dpdk judge theirs): RT misses during the congestion
# (all, lost datagrams included) through the OVS core <= through the htb
# core, best-effort goodput
# within 5 %; after PAIRS pairs, another pair runs while an interval
# straddles its floor, up to MAX_PAIRS.  Prints the table with
# PASS/FAIL per floor and writes bench/results/core.md and core.json; the
# exit status is 0 even on FAIL (1 on errors), as the other benchmarks.
#
# Environment: PAIRS (5), MAX_PAIRS (10), TESTBED_PREFIX (rtvbc), DURATION (24 s of
# traffic), T_CROSS_ON (8), T_CROSS_OFF (18), CORE_RATE (20mbit), VOICE_MS
# (5), VOICE_PPS (500), VIDEO_MS (20), VIDEO_PPS (500), VIDEO_BURST (5),
# CROSS_PPS (1500), BE_PPS (700), QUIET_MS (12000), BUSY_WAIT (600: wait
# that long for /tmp/rtvnic-dpdk-busy to go and the CPUs to be at least
# 80 % idle), FB_SCHED (fifo, as make demo).  Run files stay in
# build/bench-core/ (one directory per run, with rtvnic-bench-core.py's
# measurement of the run in bench-core.json: it runs after every pair, on
# all the runs so far, and measures each run once).  Runs as root, about
# 45 s per run.
set -e -o pipefail

ovs=$(cd "${1:?usage: $0 OVSDIR}" && pwd)
top=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
export TESTBED_PREFIX=${TESTBED_PREFIX:-rtvbc}
export HOST1_VMS="vm1a vm1b vm1c"
export HOST2_VMS="vm2a"
export CROSS_HOST=1
export CORE_RATE=${CORE_RATE:-20mbit}
VOICE_MS=${VOICE_MS:-5}
VOICE_PPS=${VOICE_PPS:-500}
VIDEO_MS=${VIDEO_MS:-20}
VIDEO_PPS=${VIDEO_PPS:-500}
VIDEO_BURST=${VIDEO_BURST:-5}
export CORE_EF_DEADLINE=${VOICE_MS}ms CORE_AF41_DEADLINE=${VIDEO_MS}ms
export FB_TOOL_NICE=-10 FB_CROSS_NICE=-10
PAIRS=${PAIRS:-5}
MAX_PAIRS=${MAX_PAIRS:-10}
DURATION=${DURATION:-24}
T_CROSS_ON=${T_CROSS_ON:-8}
T_CROSS_OFF=${T_CROSS_OFF:-18}
CROSS_PPS=${CROSS_PPS:-1500}
BE_PPS=${BE_PPS:-700}
QUIET_MS=${QUIET_MS:-12000}
RT_NICE=${RT_NICE:--10}
results=$top/bench/results
base=$top/build/bench-core
. "$top/testbed/rtvnic-feedback-setup.sh"

say() { echo "== $*"; }
# The script itself, which starts the cross traffic on time, must not wait
# behind the traffic it started (the tools run at nice -10 or SCHED_FIFO).
renice -n -10 -p $$ >/dev/null
[[ $PAIRS =~ ^[1-9][0-9]*$ && $PAIRS -ge 2 ]] \
    || fb_die "PAIRS must be an integer >= 2, not '$PAIRS'"
[[ $MAX_PAIRS =~ ^[1-9][0-9]*$ && $MAX_PAIRS -ge $PAIRS ]] \
    || fb_die "MAX_PAIRS must be an integer >= PAIRS ($PAIRS), not '$MAX_PAIRS'"

cleanup() {
    local rc=$?
    trap - EXIT INT TERM HUP
    set +e
    fb_cleanup
    if [ "$rc" != 0 ]; then
        echo "rtvnic-bench-core: failed (status $rc); testbed is down;" \
             "logs in $base" >&2
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

start=$(date +%s.%N)
fb_wait_quiet "${BUSY_WAIT:-600}"
idle=$fb_idle busy=$fb_busy
rm -rf "$base"
mkdir -p "$base" "$results"

# one_run N CORE: one run of the scenario through CORE into $base/N-CORE.
one_run() {
    local n=$1 core=$2 rt
    export CORE=$core
    fb_init "$ovs" "$base/$n-$core"
    echo "$core" > "$fb_run/core"
    fb_idle_pct 1 > "$fb_run/idle"
    fb_up
    fb_egress 100000000 300
    fb_source voice vm1a "${VOICE_MS}ms" 5000000
    fb_source video vm1b "${VIDEO_MS}ms" 20000000 200000
    fb_rtvctl quiet_period_ms="$QUIET_MS" \
        top_rung_deadline_us=$((VOICE_MS * 1000))
    rt() { FB_TOOL_NICE=$RT_NICE FB_TOOL_RT=1 "$@"; }
    fb_cpu start
    # The receivers outlive the senders (a sender that fell behind its
    # schedule sends on after DURATION); they are stopped once the senders
    # ended.
    local recv=() send=() p
    rt fb_recv voice vm2a 5001 $((DURATION + 60)) $((VOICE_MS * 1000))
    recv+=($fb_last_pid)
    rt fb_recv video vm2a 5002 $((DURATION + 60)) $((VIDEO_MS * 1000))
    recv+=($fb_last_pid)
    fb_recv be vm2a 5003 $((DURATION + 60)) "" nolog
    recv+=($fb_last_pid)
    sleep 0.2
    fb_t0
    fb_probe $((DURATION + 2))
    # The senders run until DURATION, and at least 3 s after the cross
    # traffic ended (on a busy machine it may start late).
    fb_send be vm1c "$VM2A_IP" 5003 3 $((DURATION + 60)) --rate "$BE_PPS" \
        --size 1372
    send+=($fb_last_pid)
    rt fb_send video vm1b "$VM2A_IP" 5002 2 $((DURATION + 60)) \
        --rate "$VIDEO_PPS" --size 1172 --burst "$VIDEO_BURST"
    send+=($fb_last_pid)
    rt fb_send voice vm1a "$VM2A_IP" 5001 1 $((DURATION + 60)) \
        --rate "$VOICE_PPS" --size 172
    send+=($fb_last_pid)
    # What rtvctl did before the congestion (on a flow's first packets, on
    # the machine's stalls) is forgotten 3 s before it: a flow escalated
    # then relaxed a quiet period later, inside the congestion, into the
    # core's 1,000-packet best-effort queue, and missed ~400 packets before
    # its first miss came back (~600 ms at CORE_RATE), in whichever core
    # it happened.
    fb_until $((T_CROSS_ON - 3))
    fb_rtvctl_forget "host1:$VM1A_PORT" "host1:$VM1B_PORT"
    fb_rtvctl_start
    echo "rtvctl-restart $(date +%s.%N)" >> "$fb_run/events"
    fb_cross "$T_CROSS_ON" "$T_CROSS_OFF" "$CROSS_PPS"
    sleep 3
    fb_until "$DURATION"
    kill -TERM "${send[@]}" 2>/dev/null || true
    for p in "${send[@]}"; do wait "$p" || true; done
    sleep 1
    kill -TERM "${recv[@]}" 2>/dev/null || true
    for p in "${recv[@]}"; do wait "$p" || true; done
    fb_pids=()
    fb_wait
    fb_cpu end
    fb_snapshot end
    # The cross traffic that crossed the core: host2's br-phy drops it.
    "$fb_tb" ofctl host2 dump-flows br-phy "ip,nw_dst=$FB_CROSS_DST" \
        > "$fb_run/cross.delivered" 2>&1
    if [ "$core" = linux ]; then
        "$fb_tb" core tc -s class show dev c-h2 > "$fb_run/tc.end" 2>&1
    fi
    fb_cleanup
    python3 "$top/bench/rtvnic-feedback-measure.py" "$fb_run" \
        --json "$fb_run/feedback.json" > "$fb_run/measure.txt"
    unset CORE
}

say "the machine alone: stall probe for 10 s"
gcc -O2 -Wall -pthread -o "$base/rtvnic-stall-probe" \
    "$top/testbed/rtvnic-stall-probe.c"
"$base/rtvnic-stall-probe" --duration 10 --min-us 500 > "$base/probe-idle.out" 2>&1 \
    || echo "rtvnic-bench-core: stall probe: $(cat "$base/probe-idle.out")" >&2
runs=()
n=0
p=0
while [ "$p" -lt "$MAX_PAIRS" ]; do
    p=$((p + 1))
    for core in linux ovs; do
        n=$((n + 1))
        say "run $n: pair $p (at least $PAIRS, at most $MAX_PAIRS), core $core" \
            "(${DURATION}s, congestion t=${T_CROSS_ON}-${T_CROSS_OFF}s)"
        one_run "$n" "$core"
        runs+=("$base/$n-$core")
    done
    [ "$p" -ge "$PAIRS" ] || continue
    rc=0
    python3 "$top/bench/rtvnic-bench-core.py" --min-pairs "$PAIRS" \
        --max-pairs "$MAX_PAIRS" "${runs[@]}" > "$base/verdict.md" || rc=$?
    case $rc in
    0) break ;;
    3) say "after $p pairs a floor's interval straddles it: one more pair" ;;
    *) fb_die "rtvnic-bench-core.py failed (status $rc)" ;;
    esac
done

hdr="# The OVS RTvNIC core vs the Linux htb core (make bench-core)

Run $(date -u -d @"${start%.*}" '+%Y-%m-%d %H:%M:%S UTC') by bench/rtvnic-bench-core.sh, $p pairs of runs
interleaved (htb, ovs, htb, ovs, ...; at least $PAIRS, then until every floor's
95 % interval is clear of it, at most $MAX_PAIRS), each on a fresh testbed; CPUs ${idle} %
idle before the first${busy:+ (WARNING: another CPU-heavy job was running: not a final measurement)}.
Scenario (make demo's, shortened and scaled, see the script's header):
host1's RTvNIC egress at 100 Mbit/s with vm1a voice ($VOICE_PPS pps x 200 B,
deadline ${VOICE_MS} ms), vm1b video (bursts of $VIDEO_BURST x 1172 B, $VIDEO_PPS pps, ${VIDEO_MS} ms), vm1c
best effort ($BE_PPS pps x 1400 B); the core towards host2 at $CORE_RATE, congested
from t=${T_CROSS_ON}s to t=${T_CROSS_OFF}s by best-effort cross traffic (up to $CROSS_PPS pps x
1500 B) from a cross-traffic host through the core; rtvctl (quiet period $QUIET_MS ms, ladder
[0, 34, 46], top_rung_deadline_us $((VOICE_MS * 1000))) escalates the flows that miss.  htb
core: Linux router, htb EF prio 0 / AF41 prio 1 / BE prio 7 (30 % / 30 % /
rest guaranteed, all borrow up to the rate), u32 DSCP filters, leaf queues
pfifo 1000 packets.  ovs core: OVS userspace switch, RTvNIC egress
max-rate $CORE_RATE, queue-limit 1000 packets, late-policy drop, queue 1
deadline ${VOICE_MS} ms min-rate 30 %, queue 2 deadline ${VIDEO_MS} ms min-rate 30 %, best
effort (no queue) with a default-deadline twice a full queue's drain time
(never overdue: a FIFO), stamp-rate ${CORE_STAMP_PCT:-80} % (stamped packets in no queue by
their stamps' deadlines); rtvctl's flows DSCP 46 -> queue 1, 34 -> queue 2.
Switches' main threads at SCHED_FIFO 20 (the OVS core's too), RT
applications at SCHED_FIFO 10, the other tools at nice -10.

The stall probe alone on the machine for 10 s before the runs:
$(sed 's/^/    /' "$base/probe-idle.out")"
python3 "$top/bench/rtvnic-bench-core.py" --header "$hdr" \
    --min-pairs "$PAIRS" --max-pairs "$MAX_PAIRS" \
    --md "$results/core.md" --json "$results/core.json" "${runs[@]}" \
    || [ $? = 3 ]
say "wrote $results/core.md"
say "done in $(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%d", b - a }') s"
