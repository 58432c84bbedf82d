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

# rtvnic-bench-feedback.sh OVSDIR (make bench-feedback): the feedback loop
# against a matrix of congestion shapes, each with its two baselines, in one
# run on one two-host testbed (testbed/rtvnic-feedback-setup.sh).
#
# The flows are make demo's, scaled to what three userspace switches can
# forward on this 2-CPU machine (as make bench-core's): vm1a voice (1000 pps
# x 200 B, deadline 2 ms), vm1b video (bursts of VIDEO_BURST, 3, x 1172 B,
# VIDEO_PPS, 300, 10 ms), vm1c best effort (BE_PPS, 1500, x 1400 B) through
# host1's RTvNIC egress at EGRESS_RATE (25 Mbit/s); the core's htb towards
# host2 at CORE_RATE (30 Mbit/s), each class's FIFO CORE_QUEUE_PKTS (50)
# long (20 ms at 30 Mbit/s), so the spare capacity host1's traffic leaves
# there is about SPARE_MBIT (7 Mbit/s).  At make demo's rates (120 Mbit/s,
# ~15,000 packets/s through three switches) the CPUs, not the core, were
# the bottleneck: the voice flow missed as often in EF as in best effort.
# Scenarios (congestion from T_ON for CONG seconds):
#   step   cross traffic (the core's own, best effort, towards host2) at
#          CROSS_PPS x 1500 B from the onset;
#   ramp   cross traffic rising linearly over 5 s to 1.5 x the spare
#          capacity, then held for 1 s; the onset is when it exceeds the
#          spare capacity (2/3 of the ramp);
#   onoff  cross traffic at CROSS_PPS in bursts, 50 ms on / 200 ms off;
#   mild   cross traffic at MILD_PPS (40) in bursts of MILD_BURST (6): 0.7
#          Mbit/s on average, far below the spare capacity, but each burst
#          queues 2.4 ms in the core; the unprotected voice flow misses
#          about 1 % of its packets (30 of 2,850 in three runs).  (By rate
#          alone it is a cliff here: 500 datagrams/s in bursts of 4 made
#          voice miss 0.1-0.5 %, 600/s 97 %.)  It lasts MILD_CONG (6 s),
#          not CONG: see cong_s below;
#   tcp    TCP_FLOWS iperf3 flows (CUBIC) from the core to host2;
#   host   the sending host's own congestion: vm1d and vm1e start best
#          effort at BE_PPS each through host1's egress (stage 1 must act);
#   twohost  two RT flows from two hosts in the same core queue: the step
#          congestion, with host3 (testbed/rtvnic-testbed's third host, its
#          own RTvNIC egress at EGRESS_RATE) sending voice3 (vm3a, the same
#          as voice: 1000 pps x 200 B, 2 ms) to vm2a next to host1's flows;
#          both voice flows miss in the core's best-effort class, rtvctl
#          must escalate each on its own host, and both then share EF.
#          Host3 is up for the whole matrix when this scenario is in it
#          (idle otherwise).
# Each scenario runs RUNS times (5; seeded: the seed shifts the onset by
# a few ms and the cross traffic's phase, and is recorded), each time in
# three variants, in turn: feedback (rtvctl running, policy as make demo
# but quiet period QUIET_MS, 3500: the relax, a quiet period after the
# escalation, comes after every scenario's congestion (3 s; TCP's lasts up
# to 3.5 s, but rtvctl escalates ~0.4 s after its onset), since a relax
# while it lasts is a probe that misses again, and "contract restored"
# would measure the probe, not the
# reaction; the ramp's cross traffic lasts 6 s and makes voice miss before
# the onset too, so its runs use RAMP_QUIET_MS, 7000, and the mild
# congestion's MILD_QUIET_MS, 6500; a feedback run ends once every flow is
# back at its contract, see end_run), nofb (rtvctl not running: no
# feedback), static (no rtvctl; the RT vNICs' packets in EF from the start,
# the flow rtvctl's top rung would install).  Between runs the state is
# reset: rtvctl stopped, its flows removed, the effective deadlines back at
# the contract (the QoS row written twice).
#
# Every run is measured by bench/rtvnic-feedback-measure.py from its own
# data (RUN/feedback.json); bench/rtvnic-feedback-matrix.py judges the
# floors on the median run of each scenario and writes
# bench/results/feedback.md, feedback.json and one PNG per scenario
# (feedback-SCENARIO.png).  The exit status is 0 even on FAIL (1 on
# errors), as the other benchmarks.
#
# Environment: RUNS (5), SCENARIOS ("step ramp onoff mild tcp host twohost"),
# SEED (1), T_ON (1.5 s: rtvctl has had the flows' first heartbeat by
# then), T_ON_BASELINE (0.8 s: the onset in the runs without rtvctl),
# CONG (3), MILD_CONG (6), TAIL_MS (500: traffic after the congestion,
# and with feedback after the last flow is back at its contract), QUIET_MS
# (3500), RAMP_QUIET_MS (7000), MILD_QUIET_MS (6500), CROSS_PPS (3000),
# MILD_PPS (40), MILD_BURST (6), TCP_FLOWS (4), BE_PPS (1500),
# VIDEO_PPS (300), VIDEO_BURST (3), EGRESS_RATE (25000000), CORE_RATE
# (30mbit), CORE_QUEUE_PKTS (50), SPARE_MBIT (7), TESTBED_PREFIX (rtvfm), POLICY
# (extra rtvctl policy keys, "key=value ..."), MISS_TARGET (0.005: the
# contracts' tolerated miss ratio, rtvctl's miss_target; this machine's
# CPU stalls alone make a 2 ms flow in EF miss 0.1-0.5 % of its packets,
# so the default 0.001 would have rtvctl act on them), VARIANTS
# ("feedback nofb static"; a subset runs but is not judged), BUSY_WAIT
# (600).  Run
# files stay in build/bench-feedback/SCENARIO/SEED-VARIANT/.  Runs as root,
# about 15 minutes with the defaults.
set -e -o pipefail

ovs=$(cd "${1:?usage: $0 OVSDIR}" && pwd)
top=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
export TESTBED_PREFIX=${TESTBED_PREFIX:-rtvfm}
export HOST1_VMS="vm1a vm1b vm1c vm1d vm1e"
export HOST2_VMS="vm2a"
export CORE_RATE=${CORE_RATE:-30mbit}
export CORE_QUEUE_PKTS=${CORE_QUEUE_PKTS:-50}
export CORE=linux
RUNS=${RUNS:-5}
SCENARIOS=${SCENARIOS:-"step ramp onoff mild tcp host twohost"}
SEED=${SEED:-1}
VARIANTS=${VARIANTS:-"feedback nofb static"}
MISS_TARGET=${MISS_TARGET:-0.005}
T_ON=${T_ON:-1.5}
T_ON_BASELINE=${T_ON_BASELINE:-0.8}
TAIL_MS=${TAIL_MS:-500}
CONG=${CONG:-3}
MILD_CONG=${MILD_CONG:-6}
QUIET_MS=${QUIET_MS:-3500}
RAMP_QUIET_MS=${RAMP_QUIET_MS:-7000}
MILD_QUIET_MS=${MILD_QUIET_MS:-6500}
CROSS_PPS=${CROSS_PPS:-3000}
MILD_PPS=${MILD_PPS:-40}
MILD_BURST=${MILD_BURST:-6}
TCP_FLOWS=${TCP_FLOWS:-4}
BE_PPS=${BE_PPS:-1500}
VIDEO_PPS=${VIDEO_PPS:-300}
VIDEO_BURST=${VIDEO_BURST:-3}
EGRESS_RATE=${EGRESS_RATE:-25000000}
SPARE_MBIT=${SPARE_MBIT:-7}
results=$top/bench/results
. "$top/testbed/rtvnic-feedback-setup.sh"

say() { echo "== $*"; }

for s in $SCENARIOS; do
    case $s in
        step | ramp | onoff | mild | tcp | host | twohost) ;;
        *) fb_die "unknown scenario '$s' (step ramp onoff mild tcp host twohost)" ;;
    esac
done
# Host3 only for the scenario that needs it.
export HOST3_VMS=
if [[ " $SCENARIOS " == *" twohost "* ]]; then HOST3_VMS=vm3a; fi
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || fb_die "RUNS must be a positive integer"
command -v gnuplot >/dev/null || fb_die "gnuplot is missing (build-aux/install-deps.sh)"
if [[ " $SCENARIOS " == *" tcp "* ]]; then
    command -v iperf3 >/dev/null || fb_die "iperf3 is missing (build-aux/install-deps.sh)"
fi

cleanup() {
    local rc=$?
    trap - EXIT INT TERM HUP
    set +e
    fb_run=$base
    [ -n "${iperf_pid:-}" ] && kill "$iperf_pid" 2>/dev/null
    [ -n "${prestarted:-}" ] && fb_run=$prestarted fb_stop_rtvctl
    fb_cleanup
    [ "$rc" = 0 ] || echo "rtvnic-bench-feedback: failed (status $rc);" \
                          "testbed is down; logs in $base" >&2
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

start=$(date +%s)
fb_wait_quiet "${BUSY_WAIT:-600}"
idle=$fb_idle

base=$top/build/bench-feedback
fb_init "$ovs" "$base"
say "the machine alone: stall probe for 5 s before the testbed is up"
"$fb_stall_probe" --duration 5 --min-us 500 > "$base/probe-idle.out" 2>&1 \
    || echo "rtvnic-bench-feedback: stall probe: $(cat "$base/probe-idle.out")" >&2
say "testbed up: host1 ($HOST1_VMS), host2 ($HOST2_VMS),${HOST3_VMS:+ host3 ($HOST3_VMS),} core htb $CORE_RATE towards host2"
fb_up
fb_egress "$EGRESS_RATE" 300
fb_source voice vm1a 2ms 5000000
fb_source video vm1b 10ms 4000000 40000
# The RT sources, HOST:PORT, that reset_state and static_best handle.
RT_SOURCES="host1:$VM1A_PORT host1:$VM1B_PORT"
if [ -n "$HOST3_VMS" ]; then
    fb_egress "$EGRESS_RATE" 300 host3
    fb_source voice3 vm3a 2ms 5000000
    RT_SOURCES="$RT_SOURCES host3:$VM3A_PORT"
fi
fb_rtvctl quiet_period_ms="$QUIET_MS" top_rung_deadline_us=2000 \
    miss_target="$MISS_TARGET" $POLICY
cp "$base/policy.json" "$base/policy.base"
# Every run's flows file lists the flows it runs: host3's only in twohost.
cp "$base/flows" "$base/flows.all"
grep -v '^voice3 ' "$base/flows.all" > "$base/flows" || true
# rtvctl restarts for every feedback run.  A new one has a new socket, which
# the switches connect to at once (fb_rtvctl_launch); this bounds their
# retries of the old one.
for h in $(fb_hosts); do
    "$fb_tb" vsctl host$h set controller br-int max_backoff=1000
done

# stop_rtvctl: the last rtvctl started (its run directory in rtvctl_run)
# gone.
rtvctl_run=$base
stop_rtvctl() {
    fb_run=$rtvctl_run fb_rtvctl_gone
}

# reset_state: no rtvctl, none of its flows or ours on the sending hosts,
# the RT sources' effective deadlines at their contracts.
reset_state() {
    local h
    fb_run=$rtvctl_run fb_rtvctl_forget $RT_SOURCES
    for h in $(fb_senders); do
        fb_sw host$h ovs-ofctl del-flows br-int "table=0,cookie=0x1/-1"
    done
}

# start_rtvctl QUIET-MS: a fresh rtvctl (no memory of earlier runs) with
# that quiet period, connected to every host and knowing every RT source.
start_rtvctl() {
    if [ "$prestarted" != "$fb_run" ]; then
        write_policy "$fb_run" "$1"
        fb_rtvctl_launch
    fi
    prestarted=
    rtvctl_run=$fb_run
    fb_rtvctl_ready "$base/flows.all"
}

# write_policy RUNDIR QUIET-MS: the matrix's rtvctl policy with that quiet
# period, as RUNDIR/policy.json.
write_policy() {
    sed "s/\"quiet_period_ms\": [0-9]*/\"quiet_period_ms\": $2/" \
        "$base/policy.base" > "$1/policy.json"
}

# prestart_rtvctl RUNDIR QUIET-MS: start_rtvctl's rtvctl for the feedback
# run in RUNDIR, started at the end of the run before it, once that run's
# traffic is over (it sees neither packets nor misses), so that the
# switches have connected to it and sent it their sources (which its
# CONFIG asks for) by the time the run starts.  It has no memory of
# earlier runs either; reset_state before the
# run does not stop it (that is the previous rtvctl's, rtvctl_run's), and
# removes no flow of it (it acted on nothing).
prestarted=
prestart_rtvctl() {
    mkdir -p "$1"
    write_policy "$1" "$2"
    fb_run=$1 fb_rtvctl_launch
    prestarted=$1
}

# static_best: the RT vNICs' packets leave their hosts in EF, as rtvctl's
# top rung marks them.
static_best() {
    local src h port ofport
    for src in $RT_SOURCES; do
        h=${src%%:*} port=${src#*:}
        ofport=$(fb_sw $h ovs-vsctl get interface "$port" ofport)
        fb_sw $h ovs-ofctl add-flow br-int "table=0,priority=1000,cookie=0x1,in_port=$ofport,ip,actions=set_field:184->tun_tos,resubmit(,1)"
    done
}

# secs MS: MS milliseconds in seconds, as the traffic tool takes them.
secs() { awk -v m="$1" 'BEGIN { printf "%.3f", m / 1000 }'; }

# ns_name NAME: ns_of[NAME] is the testbed namespace of NAME, asked of the
# testbed once.  Call it in the shell that keeps the answer, not in a
# subshell (a background in_ns forgets it).
ns_name() {
    if [ -z "${ns_of[$1]:-}" ]; then
        ns_of[$1]=$("$fb_tb" ns "$1") || fb_die "no namespace for $1"
    fi
}

# in_ns NAME CMD...: CMD in the testbed namespace of NAME (core, vm1d...)
# at the RT tools' priority, started at once (the testbed's own wrapper
# takes ~0.7 s to start a command here, too long for an onset).
declare -A ns_of
in_ns() {
    local ns
    ns_name "$1"
    ns=${ns_of[$1]}
    shift
    ip netns exec "$ns" $(FB_TOOL_RT=1 FB_TOOL_NICE=-10 fb_tool_sched) "$@"
}

# cross_send ON OFF ARGS...: the core's own best-effort datagrams towards
# host2 from t = ON to t = OFF (blocks), logged to cross.send.  The core is
# another machine: its sender gets the RT tools' priority here, or the 2
# CPUs' switches starve it below the rate it is asked.
cross_send() {
    local on=$1 off=$2 rc=0
    shift 2
    fb_until "$on"
    in_ns core timeout "$(awk -v a="$on" -v b="$off" 'BEGIN { print b - a }')" \
        "$fb_traffic" send "$FB_CROSS_DST" 9 --id 9 --size 1472 \
        --duration $((${off%.*} - ${on%.*} + 2)) --log "$fb_run/cross.send" "$@" \
        > "$fb_run/cross.sent" 2>&1 || rc=$?
    [ "$rc" = 0 ] || [ "$rc" = 124 ] \
        || fb_die "cross traffic failed (status $rc): $(cat "$fb_run/cross.sent")"
}

# first_last SHIFT FILE...: "FIRST+SHIFT LAST" (epoch s) of the send times
# in rtvnic-traffic --log FILEs: a congestion as its traffic made it.
first_last() {
    local shift=$1
    shift
    cat "$@" | awk -v d="$shift" '
        NF >= 3 { t = $3 / 1e9; if (!n++ || t < a) a = t; if (t > b) b = t }
        END { if (n) printf "%.6f %.6f\n", a + d, b }'
}

# cong_s SCEN: how long SCEN's congestion lasts, in s.  Mild congestion's
# bursts come 150 ms apart, and a single one looks exactly like a CPU stall
# of a few ms (this machine has them several times a minute), so rtvctl
# needs a second burst to act (miss_persist_ms): feedback's misses are then about
# 2 bursts' worth, i.e. 2 x 150 ms of the episode.  The 500 ms the restore
# floor allows is 10 % of an episode of 5 s: a 3 s episode would ask mild
# congestion to be detected in a third of that time.
cong_s() {
    if [ "$1" = mild ]; then echo "$MILD_CONG"; else echo "$CONG"; fi
}

# quiet_ms SCEN: rtvctl's quiet period in SCEN, longer than its congestion.
quiet_ms() {
    case $1 in
        ramp) echo "$RAMP_QUIET_MS" ;;
        mild) echo "$MILD_QUIET_MS" ;;
        *) echo "$QUIET_MS" ;;
    esac
}

# scenario SCEN SEED: this run's congestion.  Its onset and end are those
# of the traffic that makes it (the first and last cross datagram, by
# default), written to RUNDIR/congestion where they are not.
scenario() {
    local scen=$1 seed=$2 on off jitter
    # The seed moves the onset by up to 40 ms against the report interval,
    # the senders' phase and the machine's stalls.
    jitter=$(awk -v s="$seed" 'BEGIN { srand(s); printf "%.3f", rand() * 0.04 }')
    on=$(awk -v a="$t_on" -v j="$jitter" 'BEGIN { print a + j }')
    off=$(awk -v a="$on" -v c="$(cong_s "$scen")" 'BEGIN { print a + c }')
    case $scen in
    step | twohost)
        cross_send "$on" "$off" --rate "$CROSS_PPS" --burst 5 ;;
    ramp)
        # 1.5 x the spare capacity in 1500-byte datagrams, reached in 5 s,
        # held for 1 s; the onset is when it passes the spare capacity.
        off=$(awk -v a="$on" 'BEGIN { print a + 6 }')
        cross_send "$on" "$off" --rate $((SPARE_MBIT * 1500000 / 12000)) --ramp 5
        first_last "$(awk 'BEGIN { print 5 / 1.5 }')" "$fb_run/cross.send" \
            > "$fb_run/congestion" ;;
    onoff)
        cross_send "$on" "$off" --rate "$CROSS_PPS" --burst 5 --on-off 50:200 ;;
    mild)
        cross_send "$on" "$off" --rate "$MILD_PPS" --burst "$MILD_BURST" ;;
    tcp)
        local a b i rc=0
        ns_name host2
        ns_name core
        in_ns host2 iperf3 -s -1 -p 5201 > "$fb_run/iperf3-s.out" 2>&1 &
        iperf_pid=$!
        # The server listens before the client connects (a client that
        # finds no server fails, and the one-off server would wait on).
        for i in $(seq 200); do
            ip netns exec "${ns_of[host2]}" ss -Hltn 'sport = :5201' \
                | grep -q . && break
            sleep 0.01
        done
        fb_until "$on"
        a=$(date +%s.%N)
        in_ns core iperf3 -c "$HOST2_IP" -p 5201 -P "$TCP_FLOWS" -C cubic \
            -t "$CONG" -J > "$fb_run/iperf3.json" 2>&1 || rc=$?
        b=$(date +%s.%N)
        [ "$rc" = 0 ] || kill "$iperf_pid" 2>/dev/null
        wait "$iperf_pid" || true
        iperf_pid=
        [ "$rc" = 0 ] || fb_die "iperf3 failed (status $rc): $(tail -5 "$fb_run/iperf3.json")"
        echo "$a $b" > "$fb_run/congestion" ;;
    host)
        ns_name vm1d
        ns_name vm1e
        fb_until "$on"
        in_ns vm1d "$fb_traffic" send "$VM2A_IP" 5003 --id 4 --rate "$BE_PPS" \
            --size 1372 --duration "$CONG" --log "$fb_run/be2.send" \
            > "$fb_run/be2.sent" 2>&1 &
        in_ns vm1e "$fb_traffic" send "$VM2A_IP" 5003 --id 5 --rate "$BE_PPS" \
            --size 1372 --duration "$CONG" --log "$fb_run/be3.send" \
            > "$fb_run/be3.sent" 2>&1 || fb_die "vm1e's best effort failed"
        wait $! || fb_die "vm1d's best effort failed"
        first_last 0 "$fb_run/be2.send" "$fb_run/be3.send" > "$fb_run/congestion" ;;
    esac
}

# end_run VARIANT: called at the end of the run's congestion, returns once
# the run's traffic is over.  Without feedback that is when the senders
# end; with feedback once every flow rtvctl knows has been back at its
# contract (stage "normal") for TAIL_MS, and TAIL_MS after the congestion
# at the earliest.  rtvctl relaxes a quiet period after its last change,
# about 1 s after the end here: the rest of the quiet period that the
# senders' duration allows for (a flow whose last miss was at the end
# relaxes before the run ends) would be idle time.  Then the senders, and
# after what is still on its way (the longest queues hold ~150 ms) the
# receivers and the stall probe (whose duration is whole seconds) get
# SIGTERM, which ends each with its log complete.  The tools (one_run's
# senders and receivers) are this shell's children, not waited for yet: a
# PID is still theirs.
end_run() {
    local start now calm= p
    start=$(date +%s%N)
    while ! senders_done; do
        now=$(date +%s%N)
        if [ "$1" = feedback ]; then
            if fb_ctl rtvctl/show 2>/dev/null | grep '^flow ' \
                    | grep -qv ': normal, '; then
                calm=
            elif [ -z "$calm" ]; then
                calm=$now
            fi
            if [ -n "$calm" ] \
                    && [ $((now - start)) -ge $((TAIL_MS * 1000000)) ] \
                    && [ $((now - calm)) -ge $((TAIL_MS * 1000000)) ]; then
                echo "at-rest $(date +%s.%N)" >> "$fb_run/events"
                break
            fi
        fi
        sleep 0.05
    done
    for p in "${senders[@]}"; do
        kill -TERM "$p" 2>/dev/null || true
    done
    sleep 0.3
    for p in "${receivers[@]}" $fb_probe_pid; do
        kill -TERM "$p" 2>/dev/null || true
    done
}

# senders_done: every one of one_run's senders has exited (a zombie until
# fb_wait reaps it).
senders_done() {
    local p
    for p in "${senders[@]}"; do
        ! fb_running "$p" || return 1
    done
}

# one_run SCEN SEED VARIANT [NEXT]: NEXT, "SCEN SEED VARIANT", is the run
# after it, if any.
one_run() {
    local scen=$1 seed=$2 variant=$3 quiet cong
    fb_run=$base/$scen/$seed-$variant
    mkdir -p "$fb_run"
    if [ "$scen" = twohost ]; then
        cp "$base/flows.all" "$fb_run/flows"
    else
        cp "$base/flows" "$fb_run/flows"
    fi
    reset_state
    [ "$prestarted" = "$fb_run" ] || : > "$fb_run/rtvctl.log"
    quiet=$(quiet_ms "$scen")
    cong=$(cong_s "$scen")
    # The onset, in s after t0 (scenario reads it).  rtvctl needs a
    # heartbeat of the flows before it (its windowed miss ratio counts
    # their packets); without rtvctl, the traffic needs only to settle.
    t_on=$T_ON
    [ "$variant" = feedback ] || t_on=$T_ON_BASELINE
    case $variant in
        feedback) start_rtvctl "$quiet" ;;
        static) static_best; cp "$base/policy.base" "$fb_run/policy.json" ;;
        nofb) cp "$base/policy.base" "$fb_run/policy.json" ;;
    esac
    # Traffic until TAIL_MS after the congestion ends, and with feedback
    # a quiet period more at most: a flow whose last miss was before the
    # end relaxes before the run ends (end_run ends it earlier once
    # every flow is back at its contract).  (Times in ms: t_on may be
    # fractional.)
    local tail_ms=$TAIL_MS dur_ms dur recv_dur
    [ "$variant" = feedback ] && tail_ms=$((TAIL_MS + quiet))
    dur_ms=$(awk -v a="$t_on" -v c="$cong" -v t="$tail_ms" \
                 'BEGIN { printf "%d", (a + c) * 1000 + t }')
    [ "$scen" = ramp ] && dur_ms=$((dur_ms + 3000))
    dur=$(secs "$dur_ms")
    # The receivers outlive the senders by what is still on its way (the
    # longest queues, host1's egress and the core's class, hold ~150 ms).
    recv_dur=$(secs $((dur_ms + 300)))
    local senders=() receivers=()
    FB_TOOL_NICE=-10 FB_TOOL_RT=1 fb_recv voice vm2a 5001 "$recv_dur" 2000
    receivers+=("$fb_last_pid")
    FB_TOOL_NICE=-10 FB_TOOL_RT=1 fb_recv video vm2a 5002 "$recv_dur" 10000
    receivers+=("$fb_last_pid")
    if [ "$scen" = twohost ]; then
        FB_TOOL_NICE=-10 FB_TOOL_RT=1 fb_recv voice3 vm2a 5004 "$recv_dur" 2000
        receivers+=("$fb_last_pid")
    fi
    fb_recv be vm2a 5003 "$recv_dur" "" nolog
    receivers+=("$fb_last_pid")
    fb_t0
    fb_probe $(( (dur_ms + 999) / 1000 ))
    fb_send be vm1c "$VM2A_IP" 5003 3 "$dur" --rate "$BE_PPS" --size 1372
    senders+=("$fb_last_pid")
    FB_TOOL_NICE=-10 FB_TOOL_RT=1 fb_send video vm1b "$VM2A_IP" 5002 2 "$dur" \
        --rate "$VIDEO_PPS" --size 1172 --burst "$VIDEO_BURST"
    senders+=("$fb_last_pid")
    FB_TOOL_NICE=-10 FB_TOOL_RT=1 fb_send voice vm1a "$VM2A_IP" 5001 1 "$dur" \
        --rate 1000 --size 172
    senders+=("$fb_last_pid")
    if [ "$scen" = twohost ]; then
        FB_TOOL_NICE=-10 FB_TOOL_RT=1 fb_send voice3 vm3a "$VM2A_IP" 5004 6 \
            "$dur" --rate 1000 --size 172
        senders+=("$fb_last_pid")
    fi
    scenario "$scen" "$seed"
    end_run "$variant"
    fb_wait
    local nscen nseed nvariant
    read -r nscen nseed nvariant <<<"${4:-}"
    if [ "$variant" != feedback ] && [ "$nvariant" = feedback ]; then
        prestart_rtvctl "$base/$nscen/$nseed-feedback" "$(quiet_ms "$nscen")"
    fi
    set +e      # Without rtvctl, its part of the snapshot fails.
    fb_snapshot end
    set -e
    echo "$scen $seed $variant" > "$fb_run/run"
    # rtvctl goes now: the runs without it must not see it.
    if [ "$variant" = feedback ]; then stop_rtvctl; fi
    echo "$fb_run" >> "$base/runs"
}

# measure RUNDIR: rtvnic-feedback-measure.py on a run, its line on stderr.
measure() {
    local run=$1 scen seed variant
    read -r scen seed variant < "$run/run"
    python3 "$top/bench/rtvnic-feedback-measure.py" "$run" \
        --json "$run/feedback.json" \
        --line "$(printf '   %-5s seed %s %-8s' "$scen" "$seed" "$variant")" \
        2>&1 > "$run/measure.txt" \
        || { echo "rtvnic-bench-feedback: measuring $run failed" >&2; return 1; }
}

runs=()
for scen in $SCENARIOS; do
    for r in $(seq "$RUNS"); do
        for variant in $VARIANTS; do
            runs+=("$scen $((SEED + r - 1)) $variant")
        done
    done
done
n=${#runs[@]}
: > "$base/runs"
for i in "${!runs[@]}"; do
    read -r scen seed variant <<<"${runs[$i]}"
    if [ "$i" = 0 ] || [ "${runs[$((i - 1))]%% *}" != "$scen" ]; then
        say "scenario $scen: $RUNS runs x ($VARIANTS)"
    fi
    one_run "$scen" "$seed" "$variant" "${runs[$((i + 1))]:-}"
done
fb_run=$base
reset_state
say "$n runs done in $(( $(date +%s) - start )) s; measuring them"
# Once all have run, two at a time (the CPUs' number here): measuring
# during a run would take CPU time its switches need.
failed=0
pair=()
while read -r run; do
    measure "$run" &
    pair+=($!)
    if [ "${#pair[@]}" = 2 ]; then
        wait "${pair[0]}" || failed=1
        wait "${pair[1]}" || failed=1
        pair=()
    fi
done < "$base/runs"
for p in "${pair[@]}"; do
    wait "$p" || failed=1
done
[ "$failed" = 0 ] || fb_die "measuring runs failed"
say "measured in $(( $(date +%s) - start )) s; judging"

# The floors compare the three variants: a subset (VARIANTS, for a quick
# look) keeps its runs but is not judged.
for v in feedback nofb static; do
    if [[ " $VARIANTS " != *" $v "* ]]; then
        say "VARIANTS lacks $v: the runs stay in $base, not judged"
        exit 0
    fi
done
mkdir -p "$results"
python3 "$top/bench/rtvnic-feedback-matrix.py" "$base" \
    --md "$results/feedback.md" --json "$results/feedback.json" \
    --png-prefix "$results/feedback-" --idle "$idle" \
    --probe-idle "$base/probe-idle.out" \
    --setup "MISS_TARGET $MISS_TARGET, EGRESS_RATE $EGRESS_RATE, CORE_RATE $CORE_RATE, CORE_QUEUE_PKTS $CORE_QUEUE_PKTS, VIDEO_PPS $VIDEO_PPS x burst $VIDEO_BURST, spare $SPARE_MBIT Mbit/s, T_ON $T_ON s, CONG $CONG s (mild $MILD_CONG s), TAIL_MS $TAIL_MS, QUIET_MS $QUIET_MS (ramp $RAMP_QUIET_MS, mild $MILD_QUIET_MS), CROSS_PPS $CROSS_PPS, MILD_PPS $MILD_PPS x burst $MILD_BURST, TCP_FLOWS $TCP_FLOWS, BE_PPS $BE_PPS, RUNS $RUNS, SEED $SEED, sched $(cat "$base/sched")"
say "wrote $results/feedback.md; done in $(( $(date +%s) - start )) s"
