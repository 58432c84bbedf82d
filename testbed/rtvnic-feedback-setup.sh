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

# rtvnic-feedback-setup.sh: the building blocks of the feedback scenarios,
# sourced (not run) by testbed/rtvnic-demo-feedback.sh (make demo, make
# bench-feedback) and the system autotests tests/system-rtvnic-core.at and
# tests/system-rtvnic-feedback.at (make check), which drive it step by step
# through fb_resume.
#
# The scenario: the two-host testbed (testbed/rtvnic-testbed) with an
# RTvNIC egress on host1's uplink, RTvNIC sources on host1's VMs, rtvctl
# connected to both br-int (host1 datapath ID 0x11, host2 0x21; br-int's
# pipeline: table 0 rtvctl's DSCP flows, else resubmit(,1); table 1 NORMAL),
# with HOST3_VMS also to host3's (0x41; a second sender, its own egress and
# sources, fb_egress and fb_source with a host3 VM),
# receivers in vm2a and best-effort cross traffic sent by the core router
# itself towards an address nobody has (host2's br-phy drops it), so it
# congests only the core's best-effort class towards host2.
#
# With CORE=ovs (exported before fb_up) the core is the testbed's OVS switch
# br-core (datapath ID 0x31) with RTvNIC egresses and queues instead of the
# Linux router: rtvctl's policy names it as a network switch (DSCP 46 ->
# queue 1, EF-like; 34 -> queue 2, AF41-like), rtvctl connects to it too
# and pushes its DSCP->queue flows there; its ovs-vswitchd gets the hosts'
# priority (fb_up); the cross traffic leaves the core's own stack through
# br-core's internal port (a static MAC entry sends it out c-h2 only).
#
# Every traffic tool logs one line per datagram (rtvnic-traffic --log) in the
# run directory, so bench/rtvnic-feedback-measure.py can measure the run
# from its own data afterwards.  Nothing samples during the run: a process
# started every second costs a 2-CPU machine enough to delay packets.
#
# The caller sets, before fb_init: TESTBED_PREFIX, HOST1_VMS, HOST2_VMS,
# CORE_RATE (exported, read by the testbed), and calls:
#   fb_init OVSDIR RUNDIR   checks, empties RUNDIR, builds rtvnic-traffic
#   fb_resume OVSDIR RUNDIR takes up a run fb_init started, in another
#                           shell (RUNDIR/pids: the tools' PIDs)
#   fb_up                   testbed up; its env is sourced (VM1A_PORT, ...);
#                           both ovs-vswitchd at nice FB_NICE (-10) and,
#                           with FB_SCHED=fifo (the default), their main
#                           threads (the userspace datapath) at SCHED_FIFO 20;
#                           RUNDIR/sched says which ("fifo" or "nice": fifo
#                           falls back to nice, with a warning, where the
#                           kernel refuses it)
#   fb_egress RATE LIMIT [HOST]
#                           HOST's (host1's) uplink: RTvNIC egress,
#                           queue-limit LIMIT
#   fb_source NAME VM DEADLINE MIN-RATE [BURST-BITS]
#                           VM's port (on VM's host) becomes an RTvNIC
#                           source; NAME is the flow's name in the run
#                           (voice, video, ...)
#   fb_rtvctl KEY=VALUE...  writes the policy (rtvctl-policy keys; given keys
#                           override the defaults below), starts rtvctl,
#                           connects every host's br-int, installs the
#                           pipeline, waits until rtvctl knows every source
#   fb_t0                   now is t = 0 of the run (writes RUNDIR/t0)
#   fb_recv NAME VM PORT DURATION [DEADLINE-US [nolog]]
#                           receiver in the background (nolog: no per-
#                           datagram log, for best effort); its PID in
#                           fb_last_pid (SIGTERM ends it with its totals)
#   fb_send NAME VM DST PORT ID DURATION ARGS...  sender in the background;
#                           its PID in fb_last_pid (SIGTERM ends it)
#                           (fb_recv and fb_send run their tool at nice
#                           FB_TOOL_NICE, default 0, or with FB_TOOL_RT=1
#                           and RUNDIR/sched fifo at SCHED_FIFO 10: an RT
#                           VM's application, which on a real host has its
#                           own vCPU)
#   fb_probe DURATION       rtvnic-stall-probe for DURATION s in the
#                           background: RUNDIR/stalls lists the times this
#                           machine itself stopped running (see its header);
#                           fb_wait waits for it too, fb_cleanup stops it
#   fb_until T              sleeps until t = T
#   fb_cross ON OFF PPS     cross traffic (1500-byte IP packets, at most PPS
#                           per second) from t = ON to t = OFF, blocks until
#                           it ends; sent by the core itself, or with
#                           CROSS_HOST=1 (exported before fb_up) by the
#                           testbed's cross-traffic host through the core;
#                           its datagram log is cross.send; its
#                           sender at nice FB_CROSS_NICE (default 0), or
#                           with FB_CROSS_RT=1 at the RT tools' priority;
#                           FB_CROSS_BURST datagrams at a time (1)
#   fb_wait                 waits for every background tool
#   fb_snapshot SUFFIX      host1 rtvnic/show, host1 br-int table 0 flows,
#                           rtvctl/show and host2 rtvnic/flows --json into
#                           RUNDIR/{show,h1flows,rtvctl,flows2}.SUFFIX (with
#                           host3 also RUNDIR/{show3,h3flows}.SUFFIX); with
#                           CORE=ovs also the core's rtvnic/show, qos/show
#                           c-h2 and br-core's flows into
#                           RUNDIR/{core,qos,coreflows}.SUFFIX
#   fb_cpu SUFFIX           CPU time of every process (RUNDIR/cpu.SUFFIX)
#   fb_cleanup              stops what fb_* started (by PID), testbed down
#   fb_idle_pct SECONDS     the machine's idle CPU time in percent over SECONDS
#   fb_wait_quiet MAX       waits up to MAX s for a quiet machine (fb_idle,
#                           fb_busy)
# Files in RUNDIR: t0, flows (NAME VM PORT DEADLINE-US per source),
# NAME.recv/NAME.send (per-datagram logs), NAME.out/NAME.sent (the tools'
# summaries), cross.send, events (cross-on/cross-off epoch times), policy.json,
# rtvctl.log, sched, stalls and probe.out (fb_probe).
#
# Needs root; the testbed's own needs; gcc.

fb_die() { echo "rtvnic-feedback: $*" >&2; exit 1; }

# fb_idle_pct SECONDS: the machine's idle CPU time in percent over SECONDS.
fb_idle_pct() {
    local a b
    a=$(awk '/^cpu /{print $5 + $6, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9}' /proc/stat)
    sleep "$1"
    b=$(awk '/^cpu /{print $5 + $6, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9}' /proc/stat)
    echo "$a $b" | awk '{ printf "%d", 100 * ($3 - $1) / ($4 - $2) }'
}

# fb_wait_quiet MAX: a timing measurement on 2 shared CPUs waits, up to MAX
# s (0: not at all), while another job says it is busy-polling or building
# (/tmp/rtvnic-dpdk-busy) or the CPUs are less than 80 % idle.  Sets fb_idle
# (the last idle percentage measured) and fb_busy ("yes" if still busy).
# fb_busy_marked: whether a running job holds /tmp/rtvnic-dpdk-busy (it
# holds its PID); a marker whose job is gone (killed with SIGKILL, say) is
# removed, or it would make every benchmark wait for nothing.
fb_busy_marked() {
    local f=/tmp/rtvnic-dpdk-busy pid
    [ -e "$f" ] || return 1
    pid=$(cat "$f" 2>/dev/null)
    if [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
        return 0
    fi
    echo "== removing a stale $f (PID '${pid}' is not running)" >&2
    rm -f "$f"
    return 1
}

fb_wait_quiet() {
    local max=$1 waited=0
    fb_idle=$(fb_idle_pct 2)
    if [ "$max" -gt 0 ] \
            && { fb_busy_marked || [ "$fb_idle" -lt 80 ]; }; then
        echo "== CPUs ${fb_idle} % idle: waiting up to $max s for a quiet machine"
        while [ "$waited" -lt "$max" ]; do
            fb_idle=$(fb_idle_pct 2)
            ! fb_busy_marked && [ "$fb_idle" -ge 80 ] && break
            sleep 3
            waited=$((waited + 5))
        done
    fi
    fb_busy=
    if fb_busy_marked || [ "$fb_idle" -lt 80 ]; then
        fb_busy=yes
    fi
}

# fb_vars OVSDIR RUNDIR: the variables every fb_* function uses.
fb_vars() {
    fb_ovs=$(cd "${1:?fb_vars OVSDIR RUNDIR}" && pwd)
    fb_run=${2:?fb_vars OVSDIR RUNDIR}
    fb_top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
    fb_tb=$fb_top/testbed/rtvnic-testbed
    fb_rtvctl_bin=$fb_ovs/controller/rtvctl
    fb_appctl=$fb_ovs/utilities/ovs-appctl
    fb_traffic=$fb_run/rtvnic-traffic
    fb_stall_probe=$fb_run/rtvnic-stall-probe
    fb_pids=()
    FB_CROSS_DST=198.51.100.77      # nobody: host2's br-phy drops it
    FB_CROSS_MAC=02:00:c6:33:64:77
    FB_DPID1=0000000000000011
    FB_DPID2=0000000000000021
    FB_DPID3=0000000000000041       # (0x31 is the OVS core's)
    export OVSDIR=$fb_ovs
}

fb_init() {
    fb_vars "$@"
    [ "$(id -u)" = 0 ] || fb_die "must run as root (it creates network namespaces)"
    [ -x "$fb_rtvctl_bin" ] || fb_die "$fb_rtvctl_bin is missing (build OVS first)"
    command -v python3 >/dev/null || fb_die "python3 is missing"
    fb_stop_rtvctl
    "$fb_tb" down >/dev/null 2>&1 || true
    rm -rf "$fb_run"
    mkdir -p "$fb_run"
    : > "$fb_run/flows"
    : > "$fb_run/events"
    gcc -O2 -Wall -o "$fb_traffic" "$fb_top/testbed/rtvnic-traffic.c" \
        || fb_die "cannot build testbed/rtvnic-traffic.c"
    gcc -O2 -Wall -pthread -o "$fb_stall_probe" \
        "$fb_top/testbed/rtvnic-stall-probe.c" \
        || fb_die "cannot build testbed/rtvnic-stall-probe.c"
}

# fb_resume OVSDIR RUNDIR: takes up, in another shell, the run that fb_init
# and fb_up started (its testbed's variables, t = 0, the scheduling), so that
# a caller can drive a run step by step from separate processes (the system
# autotests, tests/system-rtvnic-feedback.at); the PIDs of the tools that
# fb_recv and fb_send start are kept in RUNDIR/pids for fb_cleanup.
fb_resume() {
    fb_vars "$@"
    [ -d "$fb_run" ] || fb_die "fb_resume: no run directory $fb_run"
    local env
    if env=$("$fb_tb" env 2>/dev/null); then
        eval "$env"
    fi
    [ -f "$fb_run/t0" ] && fb_t0=$(cat "$fb_run/t0")
    [ -f "$fb_run/sched" ] && fb_sched=$(cat "$fb_run/sched")
    return 0
}

fb_up() {
    local n pid
    "$fb_tb" up > "$fb_run/testbed-up.log" 2>&1 \
        || { tail -20 "$fb_run/testbed-up.log" >&2; fb_die "testbed up failed"; }
    . <("$fb_tb" env)
    # The hosts' datapaths get the CPU first, as on a host that reserves
    # cores for its switch: on 2 shared CPUs, anything else runnable (the
    # traffic tools, another job) otherwise delays a release by a whole
    # time slice, longer than the deadlines.  nice alone is not enough for
    # a 2 ms deadline: with both ovs-vswitchd at nice -10 the voice flow
    # still missed now and then when the core was congested, and never did
    # with their main threads at SCHED_FIFO (bench/results/feedback.md).
    # Only the main thread: it runs the userspace datapath for non-PMD
    # ports and never busy-polls, so it sleeps as often as before.
    fb_sched=${FB_SCHED:-fifo}
    case $fb_sched in
        fifo | nice) ;;
        *) fb_die "FB_SCHED must be fifo or nice, not '$fb_sched'" ;;
    esac
    # An OVS core is a switch of the same kind: the same priority.
    for n in $(fb_hosts) $([ "$CORE" = ovs ] && echo CORE); do
        if [ "$n" = CORE ]; then
            pid=$(cat "$CORE_RUNDIR/ovs-vswitchd.pid")
        else
            pid=$(cat "$(eval echo "\$HOST${n}_RUNDIR")/ovs-vswitchd.pid")
        fi
        renice -n "${FB_NICE:--10}" -p "$pid" >/dev/null \
            || fb_die "renice ovs-vswitchd $n ($pid) failed"
        if [ "$fb_sched" = fifo ] && ! chrt -f -p 20 "$pid" 2>/dev/null; then
            echo "rtvnic-feedback: WARNING: the kernel refused SCHED_FIFO" \
                 "for ovs-vswitchd ($pid); using nice ${FB_NICE:--10} only" >&2
            fb_sched=nice
        fi
    done
    echo "$fb_sched" > "$fb_run/sched"
}

fb_vs1() { fb_sw host1 ovs-vsctl "$@"; }
# fb_hosts: the testbed's hosts (1 2, and 3 with HOST3_VMS).
fb_hosts() {
    echo 1 2
    if [ -n "${HOST3_VMS:-}" ]; then echo 3; fi
}
# fb_senders: the hosts with RTvNIC sources (1, and 3 with HOST3_VMS).
fb_senders() {
    echo 1
    if [ -n "${HOST3_VMS:-}" ]; then echo 3; fi
}
# fb_sw HOST PROG ARGS...: OVS's PROG (ovs-vsctl, ovs-ofctl or ovs-appctl)
# against the daemons of HOST (host1..host3, 1..3, or core with CORE=ovs),
# as "rtvnic-testbed PROG HOST ARGS..." runs it, but without the testbed
# script's start-up and its "ip netns exec" (a few tenths of a second each
# while the testbed's switches keep the CPUs busy, several times a run):
# the daemons' sockets are files in the host's run directory, which any
# namespace reaches.
fb_sw() {
    local n=${1#host} rd prog=$2 timeout=
    n=${n#h}
    if [ "$n" = core ]; then
        rd=$CORE_RUNDIR
    else
        rd=$(eval echo "\$HOST${n}_RUNDIR")
    fi
    [ -n "$rd" ] || fb_die "fb_sw: no run directory for $1"
    shift 2
    case $prog in
        ovs-vsctl | ovs-appctl) timeout=--timeout=20 ;;
    esac
    OVS_RUNDIR=$rd OVS_LOGDIR=$rd OVS_DBDIR=$rd OVS_SYSCONFDIR=$rd \
        "$fb_ovs/utilities/$prog" $timeout "$@"
}
fb_of1() { fb_sw host1 ovs-ofctl "$@"; }
fb_ctl() { "$fb_appctl" --timeout=5 -t "$fb_run/rtvctl.ctl" "$@"; }

fb_egress() {
    local h=${3:-host1}
    "$fb_tb" vsctl "$h" -- set port "h${h#host}-up" qos=@q \
        -- --id=@q create qos type=rtvnic \
        other-config:max-rate="$1" other-config:queue-limit="$2" >/dev/null
}

fb_source() {
    local name=$1 vm=$2 deadline=$3 rate=$4 burst=${5:-} port us
    port=$(eval echo "\$${vm^^}_PORT")
    case $deadline in
        *us) us=${deadline%us} ;;
        *ms) us=$((${deadline%ms} * 1000)) ;;
        *) fb_die "fb_source: deadline '$deadline' needs a us or ms suffix" ;;
    esac
    "$fb_tb" vsctl "host${vm:2:1}" -- set port "$port" qos=@q \
        -- --id=@q create qos type=rtvnic \
        other-config:deadline="$deadline" other-config:min-rate="$rate" \
        ${burst:+other-config:burst=$burst} >/dev/null
    echo "$name $vm $port $us" >> "$fb_run/flows"
}

fb_stop_rtvctl() {
    local pid
    [ -n "${fb_run:-}" ] && [ -f "$fb_run/rtvctl.pid" ] || return 0
    pid=$(cat "$fb_run/rtvctl.pid" 2>/dev/null)
    if [[ $pid =~ ^[0-9]+$ ]] \
            && [ "$(cat /proc/$pid/comm 2>/dev/null)" = rtvctl ]; then
        kill "$pid" 2>/dev/null || true
    fi
}

# fb_rtvctl_gone: the run's rtvctl stopped and no longer running.  A
# daemon that exited stays a zombie until PID 1 reaps it (up to ~2 s here),
# so "gone" is "not running".
fb_rtvctl_gone() {
    local pid i
    pid=$(cat "$fb_run/rtvctl.pid" 2>/dev/null) || return 0
    fb_stop_rtvctl
    for i in $(seq 250); do
        fb_running "$pid" || return 0
        sleep 0.02
    done
    fb_die "rtvctl ($pid) did not exit"
}

# fb_running PID: PID is a process that has not exited: neither gone nor
# a zombie (an exited process stays one until its parent reaps it).
fb_running() {
    local st
    st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) || return 1
    [ "${st%% *}" != Z ]
}

# fb_rtvctl_forget HOST:PORT...: the run's rtvctl gone and what it did
# undone: its DSCP flows on the sending hosts removed, the effective
# deadlines of the RT sources HOST:PORT (e.g. 1:vm1a) back at their
# contracts.
fb_rtvctl_forget() {
    local src h port uuid dl
    fb_rtvctl_gone
    for h in $(fb_senders); do
        fb_sw host$h ovs-ofctl del-flows br-int \
            "table=0,cookie=0x5254560000000000/0xffffff0000000000"
    done
    # A changed QoS row is applied afresh, with the effective deadline at
    # the contract: the same deadline written in us, then as it was.  Only
    # where rtvctl left it tightened (each write waits for ovs-vswitchd).
    for src in "$@"; do
        h=${src%%:*} port=${src#*:}
        fb_sw $h ovs-appctl rtvnic/show "$port" \
            | grep -Eq 'deadline ([0-9a-z]+), effective \1,' && continue
        uuid=$(fb_sw $h ovs-vsctl get port "$port" qos)
        dl=$(fb_sw $h ovs-vsctl get qos "$uuid" other-config:deadline | tr -d '"')
        fb_sw $h ovs-vsctl set qos "$uuid" other-config:deadline="$((${dl%ms} * 1000))us"
        fb_sw $h ovs-vsctl set qos "$uuid" other-config:deadline="$dl"
    done
}

# fb_rtvctl_start [FLOWS]: a fresh rtvctl (no memory of earlier ones) with
# the run's policy.json, on new sockets the switches move to, once it
# knows every switch and the RT sources FLOWS lists (default: the run's):
# fb_rtvctl_launch, then fb_rtvctl_ready.
fb_rtvctl_start() {
    fb_rtvctl_launch
    fb_rtvctl_ready "$@"
}

# fb_rtvctl_launch: fb_rtvctl_start's rtvctl started, not waited for.  It
# listens on the socket name (fb_sock) that the switches did not use last,
# and they move to it: a switch connects to a new controller target at
# once, but to the old one only after its reconnection backoff (1 s).
fb_rtvctl_launch() {
    local n pids=()
    if [ "$fb_sock" = rtvctl.sock ]; then
        fb_sock=rtvctl-next.sock
    else
        fb_sock=rtvctl.sock
    fi
    "$fb_rtvctl_bin" --detach --no-chdir --pidfile="$fb_run/rtvctl.pid" \
        --log-file="$fb_run/rtvctl.log" --unixctl="$fb_run/rtvctl.ctl" \
        -vconsole:off --policy="$fb_run/policy.json" $(fb_rtvctl_remotes) \
        2> "$fb_run/rtvctl.stderr" \
        || fb_die "rtvctl did not start: $(cat "$fb_run/rtvctl.stderr")"
    for n in $(fb_hosts); do
        fb_sw host$n ovs-vsctl --no-wait set controller br-int \
            target="\"unix:$(eval echo "\$HOST${n}_RUNDIR")/$fb_sock\"" &
        pids+=($!)
    done
    if [ "$CORE" = ovs ]; then
        fb_sw core ovs-vsctl --no-wait set controller "$CORE_BRIDGE" \
            target="\"unix:$CORE_RUNDIR/$fb_sock\"" &
        pids+=($!)
    fi
    for n in "${pids[@]}"; do
        wait "$n" || fb_die "a switch did not move to rtvctl's $fb_sock"
    done
}

# fb_rtvctl_ready [FLOWS]: waits until the run's rtvctl knows every switch
# and the RT sources FLOWS lists (default: the run's).
fb_rtvctl_ready() {
    local flows=${1:-$fb_run/flows} i show core_id=
    [ "$CORE" = ovs ] && core_id=$(printf '%#x' $((16#$CORE_DPID)))
    for i in $(seq 200); do
        show=$(fb_ctl rtvctl/show 2>/dev/null || true)
        if grep -q "datapath ID 0x21" <<<"$show" \
                && { [ -z "$core_id" ] \
                     || grep -q "datapath ID $core_id" <<<"$show"; } \
                && fb_knows_sources "$flows" "$show"; then
            return 0
        fi
        sleep 0.05
    done
    fb_die "rtvctl did not learn the switches and sources: $show"
}

fb_rtvctl() {
    local kv k v i show n
    declare -A pol=(
        [report_interval_ms]=10 [tighten_floor_us]=1000
        [miss_ratio_threshold]=0.5 [dscp_ladder]="[0, 34, 46]"
        [quiet_period_ms]=12000 [min_step_interval_ms]=500
        [miss_persist_ms]=50 [near_miss_fraction]=0.5
        [escalation_table]=0 [next_table]=1)
    for kv in "$@"; do
        pol[${kv%%=*}]=${kv#*=}
    done
    {
        echo "{"
        for k in "${!pol[@]}"; do
            echo "    \"$k\": ${pol[$k]},"
        done
        if [ "$CORE" = ovs ]; then
            echo "    \"network_switches\": [{\"datapath_id\": \"0x$CORE_DPID\","
            echo "                          \"queues\": {\"46\": 1, \"34\": 2}}],"
        fi
        echo "    \"hosts\": [{\"tunnel_ip\": \"$HOST1_IP\", \"datapath_id\": \"0x$FB_DPID1\"},"
        if [ -n "${HOST3_VMS:-}" ]; then
            echo "              {\"tunnel_ip\": \"$HOST3_IP\", \"datapath_id\": \"0x$FB_DPID3\"},"
        fi
        echo "              {\"tunnel_ip\": \"$HOST2_IP\", \"datapath_id\": \"0x$FB_DPID2\"}]"
        echo "}"
    } > "$fb_run/policy.json"
    "$fb_rtvctl_bin" --detach --no-chdir --pidfile="$fb_run/rtvctl.pid" \
        --log-file="$fb_run/rtvctl.log" --unixctl="$fb_run/rtvctl.ctl" \
        -vconsole:off --policy="$fb_run/policy.json" \
        $(fb_rtvctl_remotes) \
        || fb_die "rtvctl did not start (policy $fb_run/policy.json)"

    # Every br-int connects to rtvctl, each through a socket in its host's
    # run directory (ovs-vswitchd refuses unix controllers elsewhere;
    # namespaces share the file system).  The first controller of a bridge
    # flushes its flows, so the pipeline is installed afterwards.
    for n in $(fb_hosts); do
        "$fb_tb" vsctl host$n \
            set bridge br-int other-config:datapath-id=$(eval echo "\$FB_DPID$n") \
            -- set-fail-mode br-int secure \
            -- set-controller br-int "unix:$(eval echo "\$HOST${n}_RUNDIR")/$fb_sock"
    done
    if [ "$CORE" = ovs ]; then
        # The core's flows go with the flush; the testbed puts them back.
        "$fb_tb" vsctl core set-controller "$CORE_BRIDGE" \
            "unix:$CORE_RUNDIR/$fb_sock"
        "$fb_tb" core-flows
    fi
    for i in $(seq 100); do
        show=$(fb_ctl rtvctl/show 2>/dev/null || true)
        if grep -q "datapath ID 0x11" <<<"$show" \
                && grep -q "datapath ID 0x21" <<<"$show" \
                && { [ -z "${HOST3_VMS:-}" ] \
                     || grep -q "datapath ID 0x41" <<<"$show"; } \
                && { [ "$CORE" != ovs ] \
                     || grep -q "datapath ID $(printf '%#x' $((16#$CORE_DPID))) (network switch)" \
                            <<<"$show"; }; then
            break
        fi
        [ "$i" = 100 ] && fb_die "the switches did not connect to rtvctl: $show"
        sleep 0.1
    done
    printf 'table=0,priority=0,actions=resubmit(,1)\ntable=1,priority=0,actions=NORMAL\n' \
        > "$fb_run/pipeline.txt"
    for n in $(fb_hosts); do
        "$fb_tb" ofctl host$n add-flows br-int "$fb_run/pipeline.txt"
    done
    "$fb_tb" ofctl host2 add-flow br-phy \
        "priority=100,ip,nw_dst=$FB_CROSS_DST,actions=drop"
    "$fb_tb" core ip neigh replace "$FB_CROSS_DST" lladdr "$FB_CROSS_MAC" \
        dev "$CORE_KDEV_HOST2" nud permanent
    if [ "$CORE" = ovs ]; then
        "$fb_tb" appctl core fdb/add "$CORE_BRIDGE" c-h2 0 "$FB_CROSS_MAC" \
            >/dev/null
    fi
    "$fb_tb" vm vm1a ping -c 1 -W 2 -q "$VM2A_IP" >/dev/null \
        || fb_die "vm1a cannot reach vm2a through the new pipeline"
    if [ -n "${HOST3_VMS:-}" ]; then
        "$fb_tb" vm "${HOST3_VMS%% *}" ping -c 1 -W 2 -q "$VM2A_IP" >/dev/null \
            || fb_die "${HOST3_VMS%% *} cannot reach vm2a through the new pipeline"
    fi
    # rtvctl learns the sources (and their contract deadlines) from their
    # hosts.
    for i in $(seq 100); do
        show=$(fb_ctl rtvctl/show 2>/dev/null || true)
        fb_knows_sources "$fb_run/flows" "$show" && break
        [ "$i" = 100 ] && fb_die "rtvctl did not learn the sources of $fb_run/flows: $show"
        sleep 0.1
    done
}

# The name of the socket, in each switch's run directory, that the
# switches connect to and the last rtvctl listens on.
fb_sock=rtvctl.sock

# fb_rtvctl_remotes: the sockets rtvctl listens on, one per switch.
fb_rtvctl_remotes() {
    local n
    for n in $(fb_hosts); do
        echo "punix:$(eval echo "\$HOST${n}_RUNDIR")/$fb_sock"
    done
    if [ "$CORE" = ovs ]; then echo "punix:$CORE_RUNDIR/$fb_sock"; fi
}

# fb_knows_sources FLOWS SHOW: whether rtvctl/show's output SHOW lists, for
# every sending host, at least as many of its vNICs as FLOWS has sources
# there.
fb_knows_sources() {
    local n want ip
    for n in $(fb_senders); do
        want=$(awk -v h="vm$n" 'substr($2, 1, 3) == h' "$1" | wc -l)
        ip=$(eval echo "\$HOST${n}_IP")
        [ "$(grep -c "^flow ${ip//./\\.} vnic" <<<"$2")" -ge "$want" ] || return 1
    done
}

fb_t0() {
    fb_t0=$(date +%s.%N)
    echo "$fb_t0" > "$fb_run/t0"
}

# fb_tool_sched: the command prefix that runs a traffic tool at its priority.
fb_tool_sched() {
    if [ "${FB_TOOL_RT:-0}" = 1 ] && [ "$fb_sched" = fifo ]; then
        echo "chrt -f 10"
    else
        echo "nice -n ${FB_TOOL_NICE:-0}"
    fi
}

# fb_tool_mlock: an RT VM's tool locks its memory, like the switches.
fb_tool_mlock() {
    [ "${FB_TOOL_RT:-0}" = 1 ] && echo --mlock
}

fb_probe() {
    # Its failure (no SCHED_FIFO here) is not the run's: it leaves no
    # stalls file, and measure.py says so.
    "$fb_stall_probe" --duration "$1" --min-us 500 \
        --log "$fb_run/stalls" > "$fb_run/probe.out" 2>&1 &
    fb_probe_pid=$!
}

# fb_vm_exec VM CMD...: replaces the shell by CMD in VM, a namespace VM
# through "ip netns exec" itself: the testbed script's start-up would
# delay a tool by a few tenths of a second on the loaded machine.  A QEMU
# guest's command goes through the testbed script.
fb_vm_exec() {
    local ns
    ns=$(eval echo "\${${1^^}_NS:-}")     # The testbed's env: empty for QEMU.
    if [ -n "$ns" ]; then
        shift
        exec ip netns exec "$ns" "$@"
    fi
    exec "$fb_tb" vm "$@"
}

fb_recv() {
    local name=$1 vm=$2 port=$3 duration=$4 deadline=${5:-} log=
    [ "${6:-}" = nolog ] || log=$fb_run/$name.recv
    fb_vm_exec "$vm" $(fb_tool_sched) \
        "$fb_traffic" recv "$port" --duration "$duration" $(fb_tool_mlock) \
        ${deadline:+--deadline-us "$deadline"} ${log:+--log "$log"} \
        > "$fb_run/$name.out" 2>&1 &
    fb_pids+=($!)
    echo $! >> "$fb_run/pids"
    fb_last_pid=$!
}

fb_send() {
    local name=$1 vm=$2 dst=$3 port=$4 id=$5 duration=$6
    shift 6
    fb_vm_exec "$vm" $(fb_tool_sched) \
        "$fb_traffic" send "$dst" "$port" --id "$id" $(fb_tool_mlock) \
        --duration "$duration" --log "$fb_run/$name.send" "$@" \
        > "$fb_run/$name.sent" 2>&1 &
    fb_pids+=($!)
    echo $! >> "$fb_run/pids"
    fb_last_pid=$!
}

fb_until() {
    local now
    now=$(date +%s.%N)
    sleep "$(awk -v a="$fb_t0" -v t="$1" -v n="$now" \
        'BEGIN { d = a + t - n; if (d < 0) d = 0; printf "%.3f", d }')"
}

fb_cross() {
    local on=$1 off=$2 pps=$3 rc=0
    fb_until "$on"
    echo "cross-on $(date +%s.%N)" >> "$fb_run/events"
    # From the core itself, the sender blocks when its socket buffer is
    # full (the core's queue holds its datagrams), so it may fall behind
    # PPS; from the cross-traffic host, the core drops what its queue
    # cannot hold.  timeout(1) ends it at OFF either way (status 124), and
    # it still completes its log.
    local where=core
    [ "${CROSS_HOST:-0}" = 1 ] && where=cross
    # FB_CROSS_RT=1: the core is another machine, so its sender gets the
    # RT tools' priority, or the switches on the same CPUs starve it below
    # PPS; FB_CROSS_BURST datagrams per send time (default 1).
    "$fb_tb" "$where" $(if [ "${FB_CROSS_RT:-0}" = 1 ]; then
                        FB_TOOL_RT=1 fb_tool_sched
                    else
                        echo nice -n "${FB_CROSS_NICE:-0}"
                    fi) timeout $((off - on)) \
        "$fb_traffic" send \
        "$FB_CROSS_DST" 9 --id 9 --rate "$pps" --size 1472 \
        --burst "${FB_CROSS_BURST:-1}" \
        --duration $((off - on + 1)) --log "$fb_run/cross.send" \
        > "$fb_run/cross.sent" 2>&1 || rc=$?
    echo "cross-off $(date +%s.%N)" >> "$fb_run/events"
    [ "$rc" = 0 ] || [ "$rc" = 124 ] \
        || fb_die "cross traffic failed (status $rc): $(cat "$fb_run/cross.sent")"
}

fb_wait() {
    local p rc=0
    for p in "${fb_pids[@]}"; do
        wait "$p" || rc=$?
    done
    fb_pids=()
    if [ -n "${fb_probe_pid:-}" ]; then
        wait "$fb_probe_pid" || true
        fb_probe_pid=
    fi
    return $rc
}

# fb_snapshot's files are independent of each other, so they are written
# at once (each command is mostly process start-up).  Its status is that of
# host2's rtvnic/flows, the file every caller measures.
fb_snapshot() {
    local pids=() p rc=0
    fb_sw host1 ovs-appctl rtvnic/show > "$fb_run/show.$1" 2>&1 &
    pids+=($!)
    fb_of1 dump-flows br-int table=0 > "$fb_run/h1flows.$1" 2>&1 &
    pids+=($!)
    fb_ctl rtvctl/show > "$fb_run/rtvctl.$1" 2>&1 &
    pids+=($!)
    if [ -n "${HOST3_VMS:-}" ]; then
        fb_sw host3 ovs-appctl rtvnic/show > "$fb_run/show3.$1" 2>&1 &
        pids+=($!)
        fb_sw host3 ovs-ofctl dump-flows br-int table=0 > "$fb_run/h3flows.$1" 2>&1 &
        pids+=($!)
    fi
    if [ "$CORE" = ovs ]; then
        fb_sw core ovs-appctl rtvnic/show > "$fb_run/core.$1" 2>&1 &
        pids+=($!)
        fb_sw core ovs-appctl qos/show c-h2 > "$fb_run/qos.$1" 2>&1 &
        pids+=($!)
        fb_sw core ovs-ofctl dump-flows "$CORE_BRIDGE" > "$fb_run/coreflows.$1" 2>&1 &
        pids+=($!)
    fi
    fb_sw host2 ovs-appctl rtvnic/flows --json > "$fb_run/flows2.$1" 2>&1 || rc=$?
    for p in "${pids[@]}"; do
        wait "$p" || true
    done
    return $rc
}

# fb_cpu SUFFIX: the CPU time and major page faults of every process on the
# machine so far ("PID START TICKS ours|kthread|other MAJFLT COMM" lines,
# after "clk HZ"), into RUNDIR/cpu.SUFFIX, so that
# rtvnic-feedback-measure.py can tell how much CPU other jobs took meanwhile
# (the stall probe, in the root namespace, is ours too).
fb_cpu() {
    python3 - "$fb_run/cpu.$1" "$TESTBED_PREFIX" "$fb_run/rtvctl.pid" <<'EOF'
import os, sys
out, prefix, ctl = sys.argv[1:4]
ours = set()
for name in os.listdir("/run/netns"):
    if name.startswith(prefix + "-"):
        ours.add(os.stat("/run/netns/" + name).st_ino)
try:
    ctl_pid = open(ctl).read().strip()
except OSError:
    ctl_pid = ""
with open(out, "w") as f:
    f.write("clk %d\n" % os.sysconf("SC_CLK_TCK"))
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            st = open("/proc/%s/stat" % pid).read()
            w = st[st.rindex(")") + 2:].split()
            ns = os.stat("/proc/%s/ns/net" % pid).st_ino
        except OSError:
            continue
        # w[1] ppid, w[9] majflt, w[11] utime, w[12] stime, w[19]
        # starttime (ticks).
        kthread = w[1] == "2" or pid == "2"
        comm = st[st.index("(") + 1:st.rindex(")")]
        mine = (ns in ours or pid == ctl_pid or pid == str(os.getpid())
                or comm == "rtvnic-stall-pr")
        f.write("%s %s %d %s %s %s\n"
                % (pid, w[19], int(w[11]) + int(w[12]),
                   "ours" if mine else "kthread" if kthread else "other",
                   w[9], comm.replace(" ", "_")))
EOF
}

fb_cleanup() {
    local p
    [ -n "${fb_tb:-}" ] || return 0     # fb_init did not run.
    # Tools that already ended (a caller stopped them) are no error, also
    # under a caller's "set -e".
    for p in "${fb_pids[@]}" ${fb_probe_pid:-} \
            $(cat "$fb_run/pids" 2>/dev/null); do
        kill "$p" 2>/dev/null || true
    done
    rm -f "$fb_run/pids"
    fb_pids=()
    fb_probe_pid=
    fb_stop_rtvctl
    "$fb_tb" down >/dev/null 2>&1
}
