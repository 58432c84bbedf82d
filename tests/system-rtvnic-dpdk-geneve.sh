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

# system-rtvnic-dpdk-geneve.sh: the RTvNIC Geneve wire stamp through a DPDK
# uplink.
#
#   vm1 ns (10.79.0.1) ─veth─ vnet1 ┐ [h1 ns: ovs-vswitchd with DPDK, one PMD;
#                                    │  br-int: vnet1 (dpdk), gnv0 (geneve,
#                                    │  remote 192.0.2.2, tos=flow);
#                                    │  br-phy: up0 (dpdk), 192.0.2.1]
#                                    └─ up0 ─veth─ h2up ┐
#   vm2 ns (10.79.0.2) ─veth─ vnet2 ─ [h2 ns: ovs-vswitchd, no DPDK; br-int:
#                                      vnet2, gnv0; br-phy: h2up, 192.0.2.2]
#
# Every port of host 1 is a DPDK port (af_packet vdevs); host 2 uses system
# ports.  vnet1 is an RTvNIC source (deadline 2ms, min-rate 5 Mbit/s) and
# up0 an RTvNIC egress (max-rate 100 Mbit/s), so the Geneve push happens in
# the PMD thread and the departure field is written when the DPDK uplink's
# scheduler releases the packet.  vm1 sends 500 UDP datagrams (and pings)
# to vm2.  Checks:
#   - every packet vm1 sent crossed the wire (tshark on h2up, host 2's
#     uplink) as Geneve with exactly one option, class 0xfff0 type 0x52;
#   - host 2's rtvnic/flows --json: packets == what vm1 sent, lost 0,
#     bad_stamp 0, deadline 2000 us, host (departure) delay recorded;
#   - up0's scheduler sent every one of them (source vnet1 at up0);
#   - the receiving application got every datagram;
#   - after both rtvnic QoS rows are removed, vm1's packets cross the wire
#     as Geneve with no option at all (no stale stamp from recycled mbufs).
# Ends with "system-rtvnic-dpdk-geneve: N passed, M failed"; exit 1 if any
# failed, 77 (skip, with the reason) without root or hugepages.
#
# Usage: tests/system-rtvnic-dpdk-geneve.sh OVS-DPDK-BUILD-DIR

top=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
ovs=$(cd "${1:-$top/build/ovs-dpdk}" 2>/dev/null && pwd)
work=$top/build/system-rtvnic-dpdk-geneve
prefix=rtvdt$$
run=$work/h1
. "$top/testbed/rtvnic-dpdk-lib.sh"
ns_h1=$prefix-h1 ns_h2=$prefix-h2 ns_vm1=$prefix-vm1 ns_vm2=$prefix-vm2

. "$top/tests/rtvnic-system-lib.sh"
st_init system-rtvnic-dpdk-geneve
cap_pid=

# inh N CMD...: runs CMD in host N's namespace with its OVS run directory.
inh() {
    local n=$1
    shift
    ip netns exec "$prefix-h$n" env OVS_RUNDIR="$work/h$n" \
        OVS_LOGDIR="$work/h$n" OVS_DBDIR="$work/h$n" \
        OVS_SYSCONFDIR="$work/h$n" "$@"
}
vs() { local n=$1; shift; inh "$n" "$ovs/utilities/ovs-vsctl" --timeout=20 "$@"; }
ap() { local n=$1; shift; inh "$n" "$ovs/utilities/ovs-appctl" --timeout=20 "$@"; }

down() {
    local n
    [ -n "$cap_pid" ] && kill -INT "$cap_pid" 2>/dev/null && wait "$cap_pid"
    cap_pid=
    dpdk_stop_daemons "$work/h1" "$work/h2"
    for n in $ns_h1 $ns_h2 $ns_vm1 $ns_vm2; do
        ip netns del "$n" 2>/dev/null
    done
}
finish() {
    local rc=$?
    trap - EXIT INT TERM
    down
    dpdk_busy_off
    dpdk_hugepages_put
    st_summary "$rc"
}

if ! command -v tshark >/dev/null; then
    echo "system-rtvnic-dpdk-geneve: FAIL: tshark missing (build-aux/install-deps.sh)"
    exit 1
fi
dpdk_test_prereqs "system-rtvnic-dpdk-geneve" "${1:-build/ovs-dpdk}"
trap finish EXIT
trap 'exit 130' INT TERM

rm -rf "$work"
mkdir -p "$work/h1" "$work/h2"
traffic=$work/rtvnic-traffic
gcc -O2 -Wall -o "$traffic" "$top/testbed/rtvnic-traffic.c" ||
    abort "build rtvnic-traffic" "gcc failed"
dpdk_busy_on

# veth NS-A DEV-A NS-B DEV-B
veth() {
    ip link add "$2" netns "$1" type veth peer name "$4" netns "$3"
    ip -n "$1" link set "$2" up
    ip -n "$3" link set "$4" up
    ip netns exec "$1" ethtool -K "$2" tx off >/dev/null
    ip netns exec "$3" ethtool -K "$4" tx off >/dev/null
}
up() {
    local n
    for n in $ns_h1 $ns_h2 $ns_vm1 $ns_vm2; do
        ip netns add "$n" || return 1
        ip -n "$n" link set lo up
        ip netns exec "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
            net.ipv6.conf.default.disable_ipv6=1
    done
    veth "$ns_vm1" eth0 "$ns_h1" vnet1
    veth "$ns_vm2" eth0 "$ns_h2" vnet2
    veth "$ns_h1" up0 "$ns_h2" h2up
    ip -n "$ns_vm1" addr add 10.79.0.1/24 dev eth0
    ip -n "$ns_vm2" addr add 10.79.0.2/24 dev eth0
    ip -n "$ns_vm1" link set eth0 mtu 1400
    ip -n "$ns_vm2" link set eth0 mtu 1400
    ip -n "$ns_vm1" neigh replace 10.79.0.2 lladdr \
        "$(ip netns exec "$ns_vm2" cat /sys/class/net/eth0/address)" dev eth0
    ip -n "$ns_vm2" neigh replace 10.79.0.1 lladdr \
        "$(ip netns exec "$ns_vm1" cat /sys/class/net/eth0/address)" dev eth0
    # The kernels of the hosts must leave the uplinks to OVS (see
    # testbed/rtvnic-testbed).
    ip netns exec "$ns_h2" sysctl -qw net.ipv4.conf.h2up.rp_filter=1 \
        net.ipv4.conf.h2up.arp_ignore=8
    ip netns exec "$ns_h1" sysctl -qw net.ipv4.conf.up0.rp_filter=1 \
        net.ipv4.conf.up0.arp_ignore=8

    for n in 1 2; do
        inh $n "$ovs/ovsdb/ovsdb-tool" create "$work/h$n/conf.db" \
            "$ovs/vswitchd/vswitch.ovsschema" || return 1
        inh $n "$ovs/ovsdb/ovsdb-server" --detach --no-chdir --pidfile \
            --log-file --remote=punix:"$work/h$n/db.sock" \
            "$work/h$n/conf.db" || return 1
        vs $n --no-wait init
    done
    vs 1 --no-wait set Open_vSwitch . other_config:dpdk-init=true \
        other_config:dpdk-socket-mem=512 other_config:dpdk-lcore-mask=0x1 \
        other_config:pmd-cpu-mask=0x2 \
        "other_config:dpdk-extra=--file-prefix=$prefix --no-pci --huge-unlink --no-telemetry"
    for n in 1 2; do
        inh $n "$ovs/vswitchd/ovs-vswitchd" --detach --no-chdir --pidfile \
            --log-file || return 1
    done
    [ "$(vs 1 get Open_vSwitch . dpdk_initialized)" = true ] ||
        { echo "DPDK did not initialise on host 1" >&2; return 1; }

    local mac1 mac2
    mac1=$(ip netns exec "$ns_h1" cat /sys/class/net/up0/address)
    mac2=$(ip netns exec "$ns_h2" cat /sys/class/net/h2up/address)
    vs 1 add-br br-phy -- set bridge br-phy datapath_type=netdev \
        other-config:hwaddr="$mac1" -- add-port br-phy up0 \
        -- set interface up0 type=dpdk \
        "options:dpdk-devargs=net_af_packet0,iface=up0" || return 1
    vs 2 add-br br-phy -- set bridge br-phy datapath_type=netdev \
        other-config:hwaddr="$mac2" -- add-port br-phy h2up || return 1
    ip -n "$ns_h1" addr add 192.0.2.1/24 dev br-phy
    ip -n "$ns_h2" addr add 192.0.2.2/24 dev br-phy
    ip -n "$ns_h1" link set br-phy up
    ip -n "$ns_h2" link set br-phy up
    vs 1 add-br br-int -- set bridge br-int datapath_type=netdev \
        -- add-port br-int vnet1 -- set interface vnet1 type=dpdk \
        "options:dpdk-devargs=net_af_packet1,iface=vnet1" \
        -- add-port br-int gnv0 -- set interface gnv0 type=geneve \
        options:remote_ip=192.0.2.2 options:key=5 options:tos=flow ||
        return 1
    # Host 2 has no rtvnic QoS: it measures stamps because it is told to.
    vs 2 set Open_vSwitch . other_config:rtvnic-receiver=true || return 1
    vs 2 add-br br-int -- set bridge br-int datapath_type=netdev \
        -- add-port br-int vnet2 \
        -- add-port br-int gnv0 -- set interface gnv0 type=geneve \
        options:remote_ip=192.0.2.1 options:key=5 options:tos=flow ||
        return 1
    run=$work/h1
    pmd_tid=
    dpdk_pmd_nice
    for _ in $(seq 20); do
        ip netns exec "$ns_vm1" ping -c 1 -W 1 -q 10.79.0.2 >/dev/null &&
            return 0
    done
    echo "vm1 cannot reach vm2 through the Geneve tunnel" >&2
    return 1
}

if ! up > "$work/up.log" 2>&1; then
    abort "two hosts up (host 1 OVS-DPDK)" "$(tail -3 "$work/up.log")"
fi
pass "two hosts up: host 1 all-DPDK (vnet1, up0 af_packet vdevs), Geneve to host 2; vm1 reaches vm2"

vs 1 set port up0 qos=@q -- --id=@q create qos type=rtvnic \
    other-config:max-rate=100000000 -- \
    set port vnet1 qos=@s -- --id=@s create qos type=rtvnic \
    other-config:deadline=2ms other-config:min-rate=5000000 >/dev/null
show=$(ap 1 rtvnic/show)
why=$show
check "host 1: vnet1 (dpdk) admitted as RTvNIC source at egress up0 (dpdk)" \
    grep -q "source 1: deadline 2ms, .*: admitted" <<<"$show"
ap 2 rtvnic/flows --clear >/dev/null 2>&1

# start_capture NAME: captures host 2's Geneve traffic on h2up into
# $work/NAME.pcap (tshark's messages in $work/NAME.log) in the background,
# once tshark is capturing; its pid is $cap_pid.
start_capture () {
    ip netns exec "$ns_h2" tshark -q -i h2up -F pcap -f "udp port 6081" \
        -w "$work/$1.pcap" 2> "$work/$1.log" &
    cap_pid=$!
    for _ in $(seq 50); do
        grep -q 'Capturing on' "$work/$1.log" && break
        sleep 0.1
    done
}
start_capture wire
ip netns exec "$ns_vm2" "$traffic" recv 5001 --duration 3 --quiet \
    > "$work/recv.txt" 2>&1 &
rpid=$!
sleep 0.2
ip netns exec "$ns_vm1" ping -c 10 -i 0.05 -W 1 10.79.0.2 > "$work/ping.txt" 2>&1
ip netns exec "$ns_vm1" "$traffic" send 10.79.0.2 5001 --rate 1000 \
    --size 1000 --duration 0.5 --id 1 > "$work/send.txt" 2>&1
wait "$rpid"
sleep 0.5
kill -INT "$cap_pid"
wait "$cap_pid"
cap_pid=

pings=$(sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\1 \2/p' "$work/ping.txt")
udp_tx=$(sed -n 's/^sent id=1 packets=\([0-9]*\) send-errors=0$/\1/p' "$work/send.txt")
udp_rx=$(sed -n 's/^total id=1 packets=\([0-9]*\) lost=0 .*/\1/p' "$work/recv.txt")
stamped=$(( ${pings%% *} + ${udp_tx:-0} ))
why="ping: $pings; send: $(cat "$work/send.txt"); recv: $(grep '^total' "$work/recv.txt")"
check "vm2 got all ${udp_tx:-?} UDP datagrams and 10 pings were answered (applications)" \
    eval '[ "$pings" = "10 10" ] && [ -n "$udp_tx" ] && [ "$udp_tx" = "$udp_rx" ]'

tshark -r "$work/wire.pcap" -T fields -E separator=/t -e ip.src \
    -e geneve.option.class -e geneve.option.type \
    > "$work/wire.tsv" 2> "$work/wire.err"
from1=$(awk -F'\t' '$1 ~ /^192.0.2.1/' "$work/wire.tsv" | wc -l)
opt1=$(awk -F'\t' '$1 ~ /^192.0.2.1/ && tolower($2) == "0xfff0" && tolower($3) == "0x52"' "$work/wire.tsv" | wc -l)
why="Geneve packets from host 1: $from1, with exactly one option 0xfff0/0x52: $opt1, vm1 sent $stamped"
check "wire (host 2's uplink): all $stamped packets vm1 sent are Geneve with one RTvNIC option (class 0xfff0, type 0x52)" \
    eval '[ "$from1" = "$stamped" ] && [ "$opt1" = "$stamped" ]'

ap 2 rtvnic/flows --json > "$work/flows.json" 2>&1
why=$(cat "$work/flows.json")
check "host 2 measured the stamps: packets $stamped, lost 0, bad_stamp 0, deadline 2000 us, host (departure) delay recorded" \
    python3 -c '
import json, sys
f = json.load(open(sys.argv[1]))
m = [x for x in f if x["sender"] == "192.0.2.1" and x["vnic_id"] == 1]
ok = (len(m) == 1 and m[0]["packets"] == int(sys.argv[2]) and m[0]["lost"] == 0
      and m[0]["bad_stamp"] == 0 and m[0]["deadline_us"] == 2000
      and m[0]["host_max_ns"] > 0 and m[0]["negative"] == 0)
sys.exit(0 if ok else 1)' "$work/flows.json" "$stamped"
src=$(ap 1 rtvnic/show up0 | grep 'source vnet1:')
why=$src
check "host 1: up0's scheduler sent all $stamped of vnet1's packets, none dropped" \
    grep -qE "source vnet1: conforming [0-9]+, excess [0-9]+, sent $stamped \(" <<<"$src"
ap 2 rtvnic/flows > "$work/flows.txt" 2>&1

# No stale state (issue 11): with every rtvnic QoS gone, the mbufs that
# carried vnet1's packets are recycled with their old RTvNIC source id; the
# receive hook must clear it, so that none of them is stamped.
vs 1 clear port vnet1 qos -- clear port up0 qos
start_capture wire2
ip netns exec "$ns_vm1" "$traffic" send 10.79.0.2 5001 --rate 1000 \
    --size 1000 --duration 0.5 --id 2 > "$work/send2.txt" 2>&1
sleep 0.5
kill -INT "$cap_pid"
wait "$cap_pid"
cap_pid=
tshark -r "$work/wire2.pcap" -T fields -E separator=/t -e ip.src \
    -e geneve.option.class -e geneve.option.type \
    > "$work/wire2.tsv" 2> "$work/wire2.err"
from1=$(awk -F'\t' '$1 ~ /^192.0.2.1/' "$work/wire2.tsv" | wc -l)
opt1=$(awk -F'\t' '$1 ~ /^192.0.2.1/ && $2 != ""' "$work/wire2.tsv" | wc -l)
# Sends the kernel refused (send-errors) never reach the switch.
sent2=$(sed -n 's/^sent id=2 packets=\([0-9]*\) send-errors=\([0-9]*\)$/\1 - \2/p' \
            "$work/send2.txt")
sent2=${sent2:+$((sent2))}
why="after removing the rtvnic QoS: Geneve packets from host 1: $from1, with an option: $opt1, vm1 sent ${sent2:-?} ($(cat "$work/send2.txt"))"
check "rtvnic QoS removed: the ${sent2:-?} packets vm1 sent cross the wire as Geneve without any stamp" \
    eval '[ -n "$sent2" ] && [ "$from1" -ge "$sent2" ] && [ "$opt1" = 0 ]'

done_ok=1
