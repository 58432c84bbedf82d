#!/bin/bash
# rtvnic-demo.sh OVSDIR: the embedded default RTvNIC scenario, on real kernel
# networking in network namespaces that it creates and deletes again.
#
#   vma (voice: 1000 pps x 200 B, deadline 2 ms)  ──┐
#   vmb (video: bursts of 10 x 1200 B, 10 ms)     ──┼── host: ovs-vswitchd
#   vmc (best effort: 1400 B at ~220 Mbit/s)      ──┘   (userspace datapath)
#                                                          │ up0: 100 Mbit/s "NIC"
#                                                        sink (receivers)
#
# Phase 1 is stock OVS: QoS linux-htb at 100 Mbit/s on the uplink, so the
# queue is the kernel's (one FIFO class).  Phase 2 is RTvNIC: an rtvnic
# egress paced at 95 Mbit/s on the uplink (it replaces the htb) and the VMs'
# ports as RT sources.  Each phase prints the one-way delay the receivers
# measure per flow.
#
# Environment: PHASE_SECONDS (default 10).
set -e -o pipefail

ovs=$(cd "${1:?usage: $0 OVSDIR}" && pwd)
top=$(cd "$(dirname "$0")/.." && pwd)
secs=${PHASE_SECONDS:-10}
prefix=rtvd$$
run=$top/build/demo
traffic=$top/build/rtvnic-traffic
vms="a b c"
pids=()

if [ "$(id -u)" != 0 ]; then
    echo "rtvnic-demo: must run as root (it creates network namespaces)" >&2
    exit 1
fi

. "$top/testbed/rtvnic-onehost.sh"

cleanup() {
    set +e
    for p in "${pids[@]}"; do
        kill "$p" 2>/dev/null
    done
    onehost_down
}
trap cleanup EXIT
trap 'exit 130' INT TERM

gcc -O2 -Wall -o "$traffic" "$top/testbed/rtvnic-traffic.c"
rm -rf "$run"
mkdir -p "$run"

echo "== setting up namespaces, ovsdb-server and ovs-vswitchd (userspace datapath)"
onehost_up || { echo "rtvnic-demo: topology set-up failed" >&2; exit 1; }

run_phase() {
    local label=$1 out=$run/phase-$2
    local rpids=()

    ip netns exec "$ns_sink" "$traffic" recv 5001 --duration $((secs + 2)) \
        --deadline-us 2000 > "$out-a.txt" & rpids+=($!)
    ip netns exec "$ns_sink" "$traffic" recv 5002 --duration $((secs + 2)) \
        --deadline-us 10000 > "$out-b.txt" & rpids+=($!)
    ip netns exec "$ns_sink" "$traffic" recv 5003 --duration $((secs + 2)) \
        --deadline-us 50000 > "$out-c.txt" & rpids+=($!)
    pids+=("${rpids[@]}")
    sleep 0.5
    ip netns exec $prefix-vmc "$traffic" send 10.77.0.100 5003 --id 3 \
        --rate 20000 --size 1372 --duration "$secs" > /dev/null &
    pids+=($!)
    ip netns exec $prefix-vmb "$traffic" send 10.77.0.100 5002 --id 2 \
        --rate 1500 --size 1172 --burst 10 --duration "$secs" > /dev/null &
    pids+=($!)
    ip netns exec $prefix-vma "$traffic" send 10.77.0.100 5001 --id 1 \
        --rate 1000 --size 172 --duration "$secs" > /dev/null &
    pids+=($!)
    wait "${rpids[@]}"
    printf '%-22s' "$label:"
    grep -h '^total' "$out-a.txt" "$out-b.txt" "$out-c.txt" \
        | sed 's/^total //; 2,$s/^/                      /'
}

echo "== phase 1 (${secs}s): stock OVS, linux-htb QoS (one FIFO class) at" \
     "100 Mbit/s on the uplink"
vsctl -- set port up0 qos=@q -- --id=@q create qos type=linux-htb \
    other-config:max-rate=100000000 >/dev/null
run_phase "stock OVS + htb" 1

echo "== phase 2 (${secs}s): RTvNIC EDF egress at 95 Mbit/s"
vsctl -- set port up0 qos=@q -- --id=@q create qos type=rtvnic \
    other-config:max-rate=95000000 other-config:queue-limit=2000 >/dev/null
vsctl -- set port vneta qos=@q -- --id=@q create qos type=rtvnic \
    other-config:deadline=2ms other-config:min-rate=5000000 >/dev/null
vsctl -- set port vnetb qos=@q -- --id=@q create qos type=rtvnic \
    other-config:deadline=10ms other-config:min-rate=20000000 \
    other-config:burst=200000 >/dev/null
run_phase "RTvNIC" 2

echo "== ovs-appctl rtvnic/show"
appctl rtvnic/show
echo "flow ids: 1 = vma voice (deadline 2 ms), 2 = vmb video (10 ms)," \
     "3 = vmc best effort; misses = one-way delay above the deadline"
