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

# system-rtvnic-dpdk-guest.sh: a real QEMU guest (TCG) on a vhost-user port
# (dpdkvhostuserclient, or dpdkvhostuser with VHOST_MODE=server) sends
# real-time UDP through an rtvnic-scheduled
# DPDK uplink that a best-effort namespace VM saturates; the receiving
# application measures the guest's one-way delay.
#
# Topology: testbed/rtvnic-dpdk-lib.sh (OVS-DPDK in a namespace, vma, vmb
# and the sink on af_packet vdevs) plus port vhu0 (type
# dpdkvhostuserclient, ofport 4) whose socket server is QEMU -- or, with
# VHOST_MODE=server, port vhs0 (type dpdkvhostuser) whose socket OVS
# serves and QEMU connects to: the guest of
# testbed/rtvnic-guest-image (Debian cloud kernel, busybox initramfs,
# static rtvnic-traffic), virtio-net-pci with vectors=0 (TCG needs it), its
# clock stepped to the host's over its serial command channel
# (testbed/rtvnic-guest-ctl sync, error at most half a round trip).
#
# Two runs, identical but for up0's QoS: vmb floods ~42 Mbit/s of 1000-byte
# datagrams for 6 s, meanwhile the guest sends 200 datagrams/s of 1000 bytes
# for 3 s:
#   rtvnic          up0 max-rate=30 Mbit/s, queue-limit 1000; vhu0 a source
#                   with deadline 5ms, min-rate 5 Mbit/s, burst 100 kbit
#   egress-policer  up0 egress-policer at the same 30 Mbit/s (cir 3750000
#                   bytes/s): what OVS-DPDK offers without RTvNIC
# Checks: the guest boots and its clock is synchronised; with rtvnic every
# guest datagram arrives, all are conforming at up0 and none is late at the
# host (host queueing within the 5 ms deadline), and the application's
# one-way delay p99 stays below the deadline plus the clock-sync error
# bound plus 5 ms for the TCG guest's own send path; with the policer, the
# guest loses datagrams (the policer cannot tell RT from best effort).
#
# Ends with "system-rtvnic-dpdk-guest-MODE: N passed, M failed"; exit 1 if
# any failed, 77 (skip, with the reason) without root or hugepages.
# Hugepages and mounts it set up are given back.  Artifacts:
# build/system-rtvnic-dpdk-guest-MODE.
#
# Usage: [VHOST_MODE=client|server] tests/system-rtvnic-dpdk-guest.sh OVS-DPDK-BUILD-DIR

top=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
ovs=$(cd "${1:-$top/build/ovs-dpdk}" 2>/dev/null && pwd)
mode=${VHOST_MODE:-client}
case $mode in
client) port=vhu0 ptype=dpdkvhostuserclient ;;
server) port=vhs0 ptype=dpdkvhostuser ;;
*) echo "system-rtvnic-dpdk-guest: FAIL: VHOST_MODE must be client or server"
   exit 1 ;;
esac
name=system-rtvnic-dpdk-guest-$mode
work=$top/build/$name
run=$work/run
prefix=rtvdg$$
guestctl=$top/testbed/rtvnic-guest-ctl
. "$top/testbed/rtvnic-dpdk-lib.sh"

. "$top/tests/rtvnic-system-lib.sh"
st_init "$name"
qemu_pid=

finish() {
    local rc=$?
    trap - EXIT INT TERM
    if [ -n "$qemu_pid" ] && kill -0 "$qemu_pid" 2>/dev/null; then
        kill "$qemu_pid"
        wait "$qemu_pid" 2>/dev/null
    fi
    dpdk_host_down
    dpdk_busy_off
    dpdk_hugepages_put
    st_summary "$rc"
}

dpdk_test_prereqs "$name" "${1:-build/ovs-dpdk}"
trap finish EXIT
trap 'exit 130' INT TERM

rm -rf "$work"
mkdir -p "$run"

# The guest image (cached in build/guest; built from Debian packages).
if ! "$top/testbed/rtvnic-guest-image" > "$work/image.env" \
        2> "$work/image.log"; then
    abort "guest image (testbed/rtvnic-guest-image)" "$(tail -2 "$work/image.log")"
fi
. "$work/image.env"
traffic=$(dirname "$GUEST_INITRD")/rtvnic-traffic

dpdk_busy_on
if ! dpdk_host_up >"$work/up.log" 2>&1; then
    abort "OVS-DPDK host up" "$(tail -3 "$work/up.log")"
fi
guest_ip=10.78.0.3
guest_mac=02:78:00:00:00:03
if [ "$mode" = client ]; then
    # OVS connects to QEMU's socket.
    sock=$run/$port.sock
    vsctl add-port br0 $port -- set interface $port type=$ptype \
        "options:vhost-server-path=$sock" ofport_request=4 >/dev/null
    qemu_chardev="socket,id=c0,path=$sock,server=on"
else
    # OVS creates the socket in its run directory; QEMU connects to it.
    sock=$run/$port
    vsctl add-port br0 $port -- set interface $port type=$ptype \
        ofport_request=4 >/dev/null
    qemu_chardev="socket,id=c0,path=$sock"
fi
ofctl add-flow br0 "in_port=4,actions=output:3"
ofctl add-flow br0 "in_port=3,ip,nw_dst=$guest_ip,actions=output:4"
ip -n "$ns_sink" neigh replace "$guest_ip" lladdr "$guest_mac" dev eth0

append="console=ttyS0 quiet panic=-1 rtvnic.name=vmq rtvnic.ip=$guest_ip/24"
append="$append rtvnic.mac=$guest_mac rtvnic.mtu=1400"
append="$append rtvnic.arp=10.78.0.100@$mac_sink"
ip netns exec "$ns_host" qemu-system-x86_64 -name "$prefix-vmq" \
    -accel tcg -m 256 -smp 1 -nodefaults -no-user-config -display none \
    -no-reboot -kernel "$GUEST_KERNEL" -initrd "$GUEST_INITRD" \
    -append "$append" \
    -object memory-backend-memfd,id=mem,size=256M,share=on \
    -machine pc,memory-backend=mem \
    -chardev file,id=con,path="$work/console.log" -serial chardev:con \
    -chardev socket,id=ctl,path="$run/ctl.sock",server=on,wait=off \
    -serial chardev:ctl \
    -chardev "$qemu_chardev" \
    -netdev vhost-user,id=n0,chardev=c0 \
    -device virtio-net-pci,netdev=n0,mac=$guest_mac,vectors=0,romfile= \
    > "$work/qemu.log" 2>&1 &
qemu_pid=$!
boot_start=$(date +%s.%N)
for i in $(seq 1200); do
    grep -q '^rtvnic-guest: ready' "$work/console.log" 2>/dev/null && break
    kill -0 "$qemu_pid" 2>/dev/null ||
        abort "QEMU guest boots" "qemu exited: $(tail -3 "$work/qemu.log")"
    sleep 0.1
done
boot_s=$(awk -v a="$boot_start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
grep -q '^rtvnic-guest: ready' "$work/console.log" 2>/dev/null ||
    abort "QEMU guest boots" "no 'ready' in 120 s; console: $(tail -3 "$work/console.log")"
state=$(vsctl get interface $port link_state 2>&1)
why="$port link_state $state; $(grep -i 'vhost' "$run/ovs-vswitchd.log" | tail -2)"
check "QEMU guest (TCG) booted in $boot_s s on $ptype $port (link up)" \
    [ "$state" = up ]
if ! "$guestctl" "$run/ctl.sock" sync --timeout 30 > "$work/clock.log" 2>&1
then
    abort "guest clock synchronised" "$(tail -1 "$work/clock.log")"
fi
clock=$(tail -1 "$work/clock.log")
# "clock: offset X s -> Y us (round trip Z us)": the error bound is Z / 2.
sync_err_us=$(sed -n 's/.*round trip \([0-9.]*\) us.*/\1/p' <<<"$clock" |
              awk '{ printf "%.0f", $1 / 2 }')
pass "guest clock synchronised over its serial channel ($clock)"
if ! "$guestctl" "$run/ctl.sock" run --timeout 20 ping -c 3 -W 2 10.78.0.100 \
        > "$work/ping.txt" 2>&1; then
    abort "guest reaches the sink through OVS-DPDK" "$(tail -2 "$work/ping.txt")"
fi
pass "guest pings the sink through $port and up0: $(grep -o 'round-trip.*' "$work/ping.txt")"

# guest_run NAME: vmb floods, the guest sends RT; the sink measures.
guest_run() {
    local name=$1 bpid
    ip netns exec "$ns_sink" "$traffic" recv 5001 --duration 9 \
        --deadline-us 5000 --log "$work/$name.log" > "$work/$name.txt" 2>&1 &
    rpid=$!
    sleep 0.3
    ip netns exec "$ns_vmb" "$traffic" send 10.78.0.100 5001 --rate 5000 \
        --size 1000 --duration 6 --id 2 > "$work/$name-vmb.txt" 2>&1 &
    bpid=$!
    sleep 0.3
    "$guestctl" "$run/ctl.sock" run --timeout 30 rtvnic-traffic send \
        10.78.0.100 5001 --rate 200 --size 1000 --duration 3 --id 1 \
        > "$work/$name-guest.txt" 2>&1
    wait "$bpid"
    wait "$rpid"
}
field() {                       # field NAME ID KEY
    sed -n "s/^total id=$2 .*\<$3=\([0-9.]*\).*/\1/p" "$work/$1.txt"
}

vsctl set port up0 qos=@q -- --id=@q create qos type=rtvnic \
    other-config:max-rate=30000000 other-config:queue-limit=1000 -- \
    set port $port qos=@g -- --id=@g create qos type=rtvnic \
    other-config:deadline=5ms other-config:min-rate=5000000 \
    other-config:burst=100000 >/dev/null
show=$(appctl rtvnic/show $port)
why=$show
check "$port ($ptype) is an admitted RTvNIC source" \
    grep -q "source [0-9]*: deadline 5ms, .*: admitted" <<<"$show"
guest_run rtvnic
show=$(appctl rtvnic/show up0)
echo "$show" > "$work/rtvnic-show.txt"
g_sent=$(sed -n 's/^sent id=1 packets=\([0-9]*\) send-errors=0$/\1/p' "$work/rtvnic-guest.txt")
g_got=$(field rtvnic 1 packets)
g_lost=$(field rtvnic 1 lost)
g_p50=$(field rtvnic 1 p50)
g_p99=$(field rtvnic 1 p99)
g_max=$(field rtvnic 1 max)
src=$(grep "source $port:" <<<"$show")
be=$(grep 'best effort:' <<<"$show")
why="guest: $(cat "$work/rtvnic-guest.txt"); sink: $(grep '^total' "$work/rtvnic.txt"); $src; $be"
check "rtvnic: all ${g_sent:-?} guest datagrams arrive while vmb saturates up0 (best effort dropped: $(sed -n 's/.*dropped \([0-9]*\)$/\1/p' <<<"$be"))" \
    eval '[ -n "$g_sent" ] && [ "$g_got" = "$g_sent" ] && [ "$g_lost" = 0 ] &&
          grep -qE "best effort: .*dropped [1-9]" <<<"$be"'
why=$src
check "rtvnic: at up0 every guest datagram is conforming and none is late (host queueing within the 5 ms deadline)" \
    grep -qE "source $port: conforming $g_sent, excess 0, sent $g_sent \([0-9]+ bytes\), late 0, dropped 0" <<<"$src"
bound_ms=$(awk -v e="${sync_err_us:-0}" 'BEGIN { printf "%.3f", 5 + e / 1000 + 5 }')
why="p50 $g_p50 ms, p99 $g_p99 ms, max $g_max ms; bound $bound_ms ms"
check "rtvnic: guest one-way delay (application) p50 $g_p50 ms, p99 $g_p99 ms <= 5 ms deadline + sync error ${sync_err_us} us + 5 ms TCG send path" \
    awk -v p="${g_p99:-999}" -v b="$bound_ms" 'BEGIN { exit !(p <= b) }'

vsctl set port up0 qos=@q -- --id=@q create qos type=egress-policer \
    other-config:cir=3750000 other-config:cbs=4000 >/dev/null
guest_run policer
p_sent=$(sed -n 's/^sent id=1 packets=\([0-9]*\) send-errors=0$/\1/p' "$work/policer-guest.txt")
p_got=$(field policer 1 packets)
why="guest: $(cat "$work/policer-guest.txt"); sink: $(grep '^total' "$work/policer.txt")"
check "egress-policer baseline: the guest loses $(( ${p_sent:-0} - ${p_got:-0} )) of ${p_sent:-?} datagrams (p99 of the rest $(field policer 1 p99) ms)" \
    eval '[ -n "$p_sent" ] && [ -n "$p_got" ] && [ "$p_got" -lt "$p_sent" ]'

done_ok=1
