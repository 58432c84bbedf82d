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

# system-rtvnic-dpdk.sh: QoS type rtvnic on the DPDK datapath, with real
# traffic (testbed/rtvnic-traffic) between network namespaces.
#
# Topology (testbed/rtvnic-dpdk-lib.sh): ovs-vswitchd built --with-dpdk in
# its own namespace, every port type=dpdk on an af_packet vdev over a veth,
# one PMD thread; vma and vmb send to a sink behind the uplink up0.
#
# Checks, each printed as "PASS: ..." or "FAIL: ... (details)":
#   setup     DPDK initialises; qos/show-types lists rtvnic beside the
#             netdev-dpdk policers.
#   real time (OVS's clock running; timing on a shared 2-core machine is
#             noisy, so these assert what holds under CPU contention):
#     pacing    up0 rtvnic max-rate 20 Mbit/s, vmb offers ~42 Mbit/s: up0
#               never exceeds max-rate by more than 1 % and keeps the link
#               above 75 % of it; the sink receives exactly the packets the
#               scheduler sent; the main thread stays nearly idle (the PMD
#               thread releases, not the main thread's timer).
#     isolation vma (deadline 3ms, min-rate 5 Mbit/s, ~1 Mbit/s) and vmb
#               (same contract, ~80 Mbit/s) share up0 at 50 Mbit/s: vma loses
#               nothing, every packet of it is conforming, at most 1 % late
#               at the host; vmb's excess is dropped at the queue limit and
#               vmb still gets more than its min-rate.
#     policer   egress-policer (10 Mbit/s) drops part of vmb's 16 Mbit/s;
#               replacing it with rtvnic (max-rate 30 Mbit/s) in one
#               transaction stops the drops and delivers every packet (no
#               stacking); back to egress-policer drops again; no QoS
#               delivers everything; an invalid rtvnic configuration also
#               removes the policer (port best effort); trtcm-policer drops
#               and rtvnic replaces it as well.
#   OVS time stopped ("time/stop", then "time/warp" in 1 ms steps; exact):
#     EDF       vmb's 20 best-effort datagrams and vma's 5 (1 conforming, 4
#               excess with deadline 2ms) leave as: vmb's first (idle link),
#               vma's 5, vmb's other 19.
#     isolation vma (deadline 10ms, within its bucket) leaves before vmb's
#               excess (deadline 2ms, beyond its bucket).
#     pacing    40 frames of 1042 bytes at 20 Mbit/s: exactly 24 sent by
#               T0+10ms, 39 by T0+16ms, 40 after, all received.
#
# Ends with "system-rtvnic-dpdk: N passed, M failed".  Exit status 0 if all
# passed, 1 otherwise, 77 (skip, with the reason) when not root or when 512
# hugepages of 2 MiB cannot be had.  Hugepages it set up, and a hugetlbfs it
# mounted, are given back on exit.  Artifacts stay in build/system-rtvnic-dpdk.
#
# Usage: tests/system-rtvnic-dpdk.sh OVS-DPDK-BUILD-DIR

top=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
ovs=$(cd "${1:-$top/build/ovs-dpdk}" 2>/dev/null && pwd)
work=$top/build/system-rtvnic-dpdk
run=$work/run
prefix=rtvd$$
. "$top/testbed/rtvnic-dpdk-lib.sh"

. "$top/tests/rtvnic-system-lib.sh"
st_init system-rtvnic-dpdk

finish() {
    local rc=$?
    trap - EXIT INT TERM
    dpdk_host_down
    dpdk_busy_off
    dpdk_hugepages_put
    st_summary "$rc"
}

dpdk_test_prereqs "system-rtvnic-dpdk" "${1:-build/ovs-dpdk}"
trap finish EXIT
trap 'exit 130' INT TERM

rm -rf "$work"
mkdir -p "$run"
traffic=$work/rtvnic-traffic
if ! gcc -O2 -Wall -o "$traffic" "$top/testbed/rtvnic-traffic.c" \
        2>"$work/gcc.log"; then
    fail "build rtvnic-traffic" "$(head -3 "$work/gcc.log")"
    done_ok=1
    exit 1
fi

dpdk_busy_on
# --enable-dummy only adds "time/stop" and "time/warp" (for the EDF check);
# every port stays a real DPDK port.
vswitchd_extra=--enable-dummy
if ! dpdk_host_up >"$work/up.log" 2>&1; then
    fail "OVS-DPDK host up" "$(tail -3 "$work/up.log")"
    done_ok=1
    exit 1
fi
pass "OVS-DPDK up: af_packet vdevs vneta, vnetb, up0 (type dpdk), one PMD thread, VMs reach the sink"
vswitchd_pid=$(cat "$run/ovs-vswitchd.pid")

types=$(appctl qos/show-types up0 2>&1)
why=$types
check "qos/show-types up0 lists rtvnic, egress-policer and trtcm-policer" \
    eval 'grep -qx "QoS type: rtvnic" <<<"$types" &&
          grep -qx "QoS type: egress-policer" <<<"$types" &&
          grep -qx "QoS type: trtcm-policer" <<<"$types"'

# set_qos PORT TYPE KEY=VALUE...: replaces PORT's QoS in one transaction
# (so that netdev_set_qos() goes straight from the old type to the new);
# TYPE "" clears it.  Unreferenced QoS rows are garbage-collected.
set_qos() {
    local port=$1 type=$2 cfg= kv
    shift 2
    for kv in "$@"; do
        cfg="$cfg other-config:$kv"
    done
    if [ -n "$type" ]; then
        vsctl set port "$port" qos=@q -- --id=@q create qos type="$type" \
            $cfg >/dev/null
    else
        vsctl clear port "$port" qos >/dev/null
    fi
}

# recv_start NAME DURATION: a receiver in the sink, output in $work/NAME.
recv_start() {
    ip netns exec "$ns_sink" "$traffic" recv 5001 --duration "$2" \
        --deadline-us 2000 --log "$work/$1.log" > "$work/$1.txt" 2>&1 &
    recv_pid=$!
    sleep 0.2
}
# total NAME ID FIELD: a field of the receiver's final line for flow ID.
total() {
    sed -n "s/^total id=$2 .*\<$3=\([0-9.]*\).*/\1/p" "$work/$1.txt"
}
# sent NAME: packets the sender reports.
sent() {
    sed -n 's/^sent id=[0-9]* packets=\([0-9]*\) send-errors=0$/\1/p' \
        "$work/$1.txt"
}
# tx_dropped: up0's live "TX dropped" counter (netdev-dpdk counts policer
# drops there; OVSDB's statistics column lags by up to 5 s).
tx_dropped() {
    appctl dpctl/show -s | awk '
        / port [0-9]+: / { mine = ($3 == "up0") }
        mine && /TX packets:/ { sub(/.*dropped:/, ""); print $1 + 0; exit }'
}

# ------------------------------------------------------------------ pacing --
set_qos up0 rtvnic max-rate=20000000 queue-limit=1000
recv_start pacing 4.5
ip netns exec "$ns_vmb" "$traffic" send 10.78.0.100 5001 --rate 5000 \
    --size 1000 --duration 3 --id 2 > "$work/pacing-send.txt" 2>&1 &
send_pid=$!
sleep 0.7
main_tid=$vswitchd_pid
t1=$(date +%s.%N); b1=$(rtvnic_sent up0); c1=$(thread_cpu_ticks $vswitchd_pid $main_tid)
sleep 2
t2=$(date +%s.%N); b2=$(rtvnic_sent up0); c2=$(thread_cpu_ticks $vswitchd_pid $main_tid)
wait $send_pid
wait $recv_pid
show=$(appctl rtvnic/show up0)
echo "$show" > "$work/pacing-show.txt"
rate=$(awk -v b1="$b1" -v b2="$b2" -v t1="$t1" -v t2="$t2" \
       'BEGIN { printf "%.0f", (b2 - b1) * 8 / (t2 - t1) }')
why="measured $rate bit/s over $(awk -v a=$t1 -v b=$t2 'BEGIN{printf "%.3f", b-a}') s"
check "pacing (real time): up0 never exceeds max-rate 20 Mbit/s by more than 1 % and keeps the saturated link above 75 % of it ($rate bit/s) while vmb offers ~42 Mbit/s" \
    awk -v r="$rate" 'BEGIN { exit !(r >= 15000000 && r <= 20200000) }'
sched_sent=$(sed -n 's/.*best effort: packets [0-9]*, sent \([0-9]*\) .*/\1/p' <<<"$show")
sched_drop=$(sed -n 's/.*best effort: .*, dropped \([0-9]*\)$/\1/p' <<<"$show")
got=$(total pacing 2 packets)
why="scheduler sent $sched_sent, dropped $sched_drop; sink got ${got:-none}; sender $(sent pacing-send)"
check "pacing: the sink got exactly the $sched_sent datagrams the scheduler sent (it dropped $sched_drop at queue-limit 1000)" \
    eval '[ -n "$got" ] && [ "$got" = "$sched_sent" ] && [ "${sched_drop:-0}" -gt 0 ]'
hz=$(getconf CLK_TCK)
main_pct=$(awk -v c1="$c1" -v c2="$c2" -v t1="$t1" -v t2="$t2" -v hz="$hz" \
           'BEGIN { printf "%.0f", (c2 - c1) / hz / (t2 - t1) * 100 }')
why="main thread used ${main_pct}% of a CPU"
check "pacing: releases run on the PMD thread; the main thread stays below 20 % CPU (${main_pct}%)" \
    awk -v p="$main_pct" 'BEGIN { exit !(p < 20) }'

# --------------------------------------------------------------- isolation --
set_qos up0 rtvnic max-rate=50000000 queue-limit=500
# vma's bucket holds 100 kbit (~50 of its datagrams): a sender on a busy
# 2-core machine sends in catch-up bursts after it was descheduled.
vsctl set port vneta qos=@q -- --id=@q create qos type=rtvnic \
    other-config:deadline=3ms other-config:min-rate=5000000 \
    other-config:burst=100000 >/dev/null
vsctl set port vnetb qos=@q -- --id=@q create qos type=rtvnic \
    other-config:deadline=3ms other-config:min-rate=5000000 >/dev/null
show=$(appctl rtvnic/show)
why=$show
check "isolation: vneta and vnetb are admitted RTvNIC sources at up0" \
    eval '[ "$(grep -c "deadline 3ms, effective 3ms, min-rate 5000000 bit/s, burst [0-9]* bits: admitted" <<<"$show")" = 2 ]'
recv_start iso 4
ip netns exec "$ns_vmb" "$traffic" send 10.78.0.100 5001 --rate 10000 \
    --size 1000 --duration 3 --id 2 > "$work/iso-sendb.txt" 2>&1 &
send_pid=$!
sleep 0.3
ip netns exec "$ns_vma" "$traffic" send 10.78.0.100 5001 --rate 500 \
    --size 200 --duration 2 --id 1 > "$work/iso-senda.txt" 2>&1
wait $send_pid
wait $recv_pid
show=$(appctl rtvnic/show up0)
echo "$show" > "$work/iso-show.txt"
a_sent=$(sent iso-senda)
a_got=$(total iso 1 packets)
a_lost=$(total iso 1 lost)
a_p99=$(total iso 1 p99)
why="vma sent ${a_sent:-?}, sink got ${a_got:-?}, lost ${a_lost:-?}, p99 ${a_p99:-?} ms"
check "isolation: vma's ${a_sent:-?} RT datagrams all arrive (application-measured one-way delay p50 $(total iso 1 p50) ms, p99 ${a_p99:-?} ms)" \
    eval '[ -n "$a_sent" ] && [ "$a_got" = "$a_sent" ] && [ "$a_lost" = 0 ]'
srca=$(grep 'source vneta:' <<<"$show")
srcb=$(grep 'source vnetb:' <<<"$show")
why="$srca"
a_late=$(sed -n 's/.*, late \([0-9]*\), dropped.*/\1/p' <<<"$srca")
check "isolation: at up0 all of vneta's packets are conforming, none dropped; late (host queueing above its 3 ms) ${a_late:-?}, at most 1 %" \
    eval 'grep -qE "source vneta: conforming $a_sent, excess 0, sent $a_sent \([0-9]+ bytes\), late [0-9]+, dropped 0" <<<"$srca" &&
          [ $((a_late * 100)) -le "$a_sent" ]'
b_bytes=$(total iso 2 bytes)
b_pk=$(total iso 2 packets)
b_rate=$(awk -v b="${b_bytes:-0}" -v p="${b_pk:-0}" \
         'BEGIN { printf "%.0f", (b + p * 42) * 8 / 3 }')
why="$srcb; sink got $b_pk datagrams (~$b_rate bit/s over the 3 s it sent)"
check "isolation: vnetb's excess is dropped at the queue limit, and it still gets more than its 5 Mbit/s min-rate (~$b_rate bit/s)" \
    eval 'grep -qE "source vnetb: conforming [0-9]+, excess [1-9][0-9]*, .* dropped [1-9][0-9]*" <<<"$srcb" &&
          [ "$b_rate" -gt 5000000 ]'
vsctl clear port vneta qos -- clear port vnetb qos >/dev/null

# ---------------------------------------------------------------- policers --
# policer_phase NAME: vmb sends 2000 datagrams of 1000 bytes in 1 s.
policer_phase() {
    local d0
    d0=$(tx_dropped)
    recv_start "$1" 2
    ip netns exec "$ns_vmb" "$traffic" send 10.78.0.100 5001 --rate 2000 \
        --size 1000 --duration 1 --id 2 > "$work/$1-send.txt" 2>&1
    wait $recv_pid
    ph_sent=$(sent "$1-send")
    ph_got=$(total "$1" 2 packets)
    ph_drops=$(( $(tx_dropped) - d0 ))
    ph_qos=$(appctl qos/show up0 2>&1 | head -1)
}
set_qos up0 egress-policer cir=1250000 cbs=4000
policer_phase pol1
why="$ph_qos; sent $ph_sent, got $ph_got, TX dropped +$ph_drops"
check "policer: egress-policer (10 Mbit/s) on the dpdk port drops ($ph_drops) part of 16 Mbit/s ($ph_got of $ph_sent delivered)" \
    eval '[ "$ph_qos" = "QoS: up0 egress-policer" ] && [ "$ph_drops" -gt 0 ] &&
          [ "$ph_got" -lt "$ph_sent" ] && [ $((ph_got + ph_drops)) = "$ph_sent" ]'
set_qos up0 rtvnic max-rate=30000000
policer_phase pol2
why="$ph_qos; sent $ph_sent, got $ph_got, TX dropped +$ph_drops"
check "policer: rtvnic replaces it: no policer drops, all $ph_sent delivered" \
    eval '[ "$ph_qos" = "QoS: up0 rtvnic" ] && [ "$ph_drops" = 0 ] &&
          [ -n "$ph_sent" ] && [ "$ph_got" = "$ph_sent" ]'
set_qos up0 egress-policer cir=1250000 cbs=4000
policer_phase pol3
show=$(appctl rtvnic/show 2>&1)
why="$ph_qos; sent $ph_sent, got $ph_got, drops +$ph_drops; rtvnic/show: $show"
check "policer: back to egress-policer: it drops again ($ph_drops), RTvNIC forgot up0" \
    eval '[ "$ph_qos" = "QoS: up0 egress-policer" ] && [ "$ph_drops" -gt 0 ] &&
          [ $((ph_got + ph_drops)) = "$ph_sent" ] &&
          [ "$(head -1 <<<"$show")" = "no port has QoS of type rtvnic" ]'
set_qos up0 ""
policer_phase pol4
why="$ph_qos; sent $ph_sent, got $ph_got, drops +$ph_drops"
check "policer: no QoS: no drops, all $ph_sent delivered" \
    eval '[ "$ph_qos" = "QoS not configured on up0" ] && [ "$ph_drops" = 0 ] &&
          [ "$ph_got" = "$ph_sent" ]'
set_qos up0 egress-policer cir=1250000 cbs=4000
set_qos up0 rtvnic max-rate=lots
policer_phase pol5
show=$(appctl rtvnic/show up0 2>&1)
why="$ph_qos; got $ph_got of $ph_sent, drops +$ph_drops; $show"
check "policer: an invalid rtvnic config (max-rate=lots) also removes the policer: port best effort, all delivered" \
    eval '[ "$ph_drops" = 0 ] && [ "$ph_got" = "$ph_sent" ] &&
          grep -q "invalid configuration: .*max-rate" <<<"$show"'
# trtcm-policer (RFC 4115; committed + excess rate 10 Mbit/s) the same way.
set_qos up0 trtcm-policer cir=625000 cbs=4000 eir=625000 ebs=4000
policer_phase pol6
why="$ph_qos; sent $ph_sent, got $ph_got, drops +$ph_drops"
check "policer: trtcm-policer (10 Mbit/s) drops ($ph_drops) part of 16 Mbit/s ($ph_got of $ph_sent delivered)" \
    eval '[ "$ph_qos" = "QoS: up0 trtcm-policer" ] && [ "$ph_drops" -gt 0 ] &&
          [ $((ph_got + ph_drops)) = "$ph_sent" ]'
set_qos up0 rtvnic max-rate=30000000
policer_phase pol7
why="$ph_qos; sent $ph_sent, got $ph_got, drops +$ph_drops"
check "policer: rtvnic replaces trtcm-policer too: no policer drops, all $ph_sent delivered" \
    eval '[ "$ph_qos" = "QoS: up0 rtvnic" ] && [ "$ph_drops" = 0 ] &&
          [ -n "$ph_sent" ] && [ "$ph_got" = "$ph_sent" ]'
set_qos up0 ""

# ---------------------------------------------------- OVS time stopped --
# Last, because OVS time stays stopped: every packet of a phase arrives at
# the same OVS time T0, and "time/warp" then moves the scheduler's clock in
# 1 ms steps (no more than its catch-up slack, so the pacer loses no credit).
appctl time/stop >/dev/null

# stopped_phase NAME: clears all QoS, moves the clock on by 100 ms (so that
# the previous phase's pacer is idle) and starts a receiver.
stopped_phase() {
    phase=$1
    vsctl clear port up0 qos -- clear port vneta qos -- clear port vnetb qos \
        >/dev/null
    appctl time/warp 100 10 >/dev/null
    recv_start "$1" 3
}
# burst NS ID COUNT SIZE: COUNT back-to-back datagrams of SIZE bytes; prints
# how many were sent.
burst() {
    ip netns exec "$1" "$traffic" send 10.78.0.100 5001 --rate 1000 \
        --burst "$3" --size "$4" --duration 0.001 --id "$2" \
        > "$work/$phase-send$2.txt" 2>&1
    sent "$phase-send$2"
}
# wait_queued N: waits until up0 holds N packets; prints what it holds.
wait_queued() {
    local q
    for _ in $(seq 50); do
        q=$(appctl rtvnic/show up0 |
            sed -n 's/.*queued: \([0-9]*\) packets.*/\1/p')
        [ "$q" = "$1" ] && break
        sleep 0.1
    done
    echo "$q"
}
# order NAME: "id:seq ..." in the order the sink received them.
order() {
    awk '!/^#/ { printf "%s%s:%s", sep, $1, $2; sep = " " }' "$work/$1.log"
}
seqs() {                        # seqs ID FROM TO
    local i
    for i in $(seq "$2" "$3"); do printf ' %s:%s' "$1" "$i"; done
}

# EDF: vmb is best effort (default deadline 50ms); vma is a source with
# deadline 2ms whose bucket (min-rate 1 Mbit/s, default burst: one
# maximum-size frame) covers only the first of its 5 datagrams, so the other
# 4 are excess, like vmb's, and compete with them by deadline alone.
stopped_phase edf
vsctl set port up0 qos=@q -- --id=@q create qos type=rtvnic \
    other-config:max-rate=100000000 -- \
    set port vneta qos=@r -- --id=@r create qos type=rtvnic \
    other-config:deadline=2ms other-config:min-rate=1000000 >/dev/null
nb=$(burst "$ns_vmb" 2 20 1000)
queued_b=$(wait_queued 19)      # vmb's are in OVS before vma sends.
na=$(burst "$ns_vma" 1 5 1000)
queued=$(wait_queued 24)
why="sent $nb best effort + $na RT, queued $queued"
check "EDF: with time stopped, all but vmb's first datagram wait at up0 ($queued queued)" \
    eval '[ "$nb" = 20 ] && [ "$na" = 5 ] && [ "$queued" = 24 ]'
appctl time/warp 20 1 >/dev/null
wait $recv_pid
got=$(order edf)
expect="2:0$(seqs 1 0 4)$(seqs 2 1 19)"
src=$(appctl rtvnic/show up0 | grep 'source vneta:')
why="got: $got; expected: $expect; $src"
check "EDF: the sink receives vmb's first datagram (sent on the idle link), vma's 5 (1 conforming, then 4 excess with earlier deadlines), then vmb's other 19" \
    eval '[ "$got" = "$expect" ] &&
          grep -q "source vneta: conforming 1, excess 4, sent 5 " <<<"$src"'

# Min-rate isolation: vmb (deadline 2ms, min-rate 1 Mbit/s) exceeds its
# bucket after one datagram; vma (deadline 10ms, min-rate 5 Mbit/s, burst
# 100 kbit) stays within it.  vma's conforming datagrams leave before vmb's
# excess although vmb's deadlines are earlier.
stopped_phase iso-order
vsctl set port up0 qos=@q -- --id=@q create qos type=rtvnic \
    other-config:max-rate=20000000 -- \
    set port vnetb qos=@b -- --id=@b create qos type=rtvnic \
    other-config:deadline=2ms other-config:min-rate=1000000 -- \
    set port vneta qos=@a -- --id=@a create qos type=rtvnic \
    other-config:deadline=10ms other-config:min-rate=5000000 \
    other-config:burst=100000 >/dev/null
show=$(appctl rtvnic/show)
nb=$(burst "$ns_vmb" 2 20 1000)
queued_b=$(wait_queued 19)
na=$(burst "$ns_vma" 1 5 100)
queued=$(wait_queued 24)
appctl time/warp 20 1 >/dev/null
wait $recv_pid
got=$(order iso-order)
expect="2:0$(seqs 1 0 4)$(seqs 2 1 19)"
show2=$(appctl rtvnic/show up0)
why="admitted: $(grep -c ': admitted' <<<"$show") of 2; sent $nb + $na, queued $queued; got: $got; expected: $expect; $show2"
check "isolation (OVS time): vma's conforming datagrams (deadline 10ms) leave before vmb's excess (deadline 2ms); vmb conforming 1, excess 19" \
    eval '[ "$(grep -c ": admitted" <<<"$show")" = 2 ] && [ "$queued" = 24 ] &&
          [ "$got" = "$expect" ] &&
          grep -q "source vneta: conforming 5, excess 0, sent 5 " <<<"$show2" &&
          grep -q "source vnetb: conforming 1, excess 19, sent 20 " <<<"$show2"'

# Exact pacing: 40 datagrams of 1000 bytes are 1042-byte frames, 416.8 us
# each at 20 Mbit/s.  The first leaves at T0; frame k may leave at
# T0 + k * 416.8 us: k = 0..23 (24 frames) by T0 + 10 ms, k = 0..38 (39)
# by T0 + 16 ms, all 40 later.
stopped_phase pacing-exact
vsctl set port up0 qos=@q -- --id=@q create qos type=rtvnic \
    other-config:max-rate=20000000 >/dev/null
nb=$(burst "$ns_vmb" 2 40 1000)
queued=$(wait_queued 39)
sent_at() {
    sleep 0.3
    appctl rtvnic/show up0 |
        sed -n 's/.*enqueued: [0-9]*, sent: \([0-9]*\) packets, \([0-9]*\) bytes.*/\1 \2/p'
}
appctl time/warp 10 1 >/dev/null
s10=$(sent_at)
appctl time/warp 6 1 >/dev/null
s16=$(sent_at)
appctl time/warp 10 1 >/dev/null
s26=$(sent_at)
wait $recv_pid
got=$(order pacing-exact | wc -w)
why="sent $nb, queued $queued after the burst; sent (packets bytes) by T0+10ms: $s10, T0+16ms: $s16, T0+26ms: $s26; sink got $got"
check "pacing (OVS time): at 20 Mbit/s up0 has sent exactly 24 frames by T0+10ms, 39 by T0+16ms, 40 after; the sink got all 40" \
    eval '[ "$nb" = 40 ] && [ "$queued" = 39 ] && [ "$s10" = "24 25008" ] &&
          [ "$s16" = "39 40638" ] && [ "$s26" = "40 41680" ] && [ "$got" = 40 ]'

done_ok=1
