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
ns_host=$prefix-host
ns_sink=$prefix-sink
vms="a b c"
pids=()

if [ "$(id -u)" != 0 ]; then
    echo "rtvnic-demo: must run as root (it creates network namespaces)" >&2
    exit 1
fi

cleanup() {
    set +e
    for p in "${pids[@]}"; do
        kill "$p" 2>/dev/null
    done
    for d in ovs-vswitchd ovsdb-server; do
        if [ -f "$run/$d.pid" ]; then
            kill "$(cat "$run/$d.pid")" 2>/dev/null
        fi
    done
    sleep 0.3
    for ns in $ns_host $ns_sink $(for v in $vms; do echo $prefix-vm$v; done);
    do
        ip netns del "$ns" 2>/dev/null
    done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

in_host() { ip netns exec "$ns_host" env OVS_RUNDIR="$run" OVS_LOGDIR="$run" \
                OVS_DBDIR="$run" OVS_SYSCONFDIR="$run" "$@"; }
vsctl() { in_host "$ovs/utilities/ovs-vsctl" --timeout=10 "$@"; }
appctl() { in_host "$ovs/utilities/ovs-appctl" --timeout=10 "$@"; }

gcc -O2 -Wall -o "$traffic" "$top/utilities/rtvnic-traffic.c"
rm -rf "$run"
mkdir -p "$run"

echo "== setting up namespaces"
ip netns add "$ns_host"
ip netns add "$ns_sink"
ip -n "$ns_host" link set lo up
ip -n "$ns_sink" link set lo up
i=1
for v in $vms; do
    ns=$prefix-vm$v
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    ip link add vnet$v netns "$ns_host" type veth peer name eth0 netns "$ns"
    ip -n "$ns" addr add 10.77.0.$i/24 dev eth0
    ip -n "$ns" link set eth0 mtu 1450 up
    ip -n "$ns_host" link set vnet$v up
    ip netns exec "$ns" ethtool -K eth0 tx off >/dev/null
    ip netns exec "$ns_host" ethtool -K vnet$v tx off >/dev/null
    i=$((i + 1))
done
ip link add up0 netns "$ns_host" type veth peer name eth0 netns "$ns_sink"
ip -n "$ns_sink" addr add 10.77.0.100/24 dev eth0
ip -n "$ns_sink" link set eth0 up
ip -n "$ns_host" link set up0 up
ip netns exec "$ns_sink" ethtool -K eth0 tx off >/dev/null
ip netns exec "$ns_host" ethtool -K up0 tx off >/dev/null

echo "== starting ovsdb-server and ovs-vswitchd (userspace datapath)"
in_host "$ovs/ovsdb/ovsdb-tool" create "$run/conf.db" \
    "$ovs/vswitchd/vswitch.ovsschema"
in_host "$ovs/ovsdb/ovsdb-server" --detach --no-chdir --pidfile \
    --log-file --remote=punix:"$run/db.sock" "$run/conf.db"
vsctl --no-wait init
in_host "$ovs/vswitchd/ovs-vswitchd" --detach --no-chdir --pidfile \
    --log-file --disable-system-route
vsctl add-br br0 -- set bridge br0 datapath_type=netdev
for v in $vms; do
    vsctl add-port br0 vnet$v
done
vsctl add-port br0 up0

# Learn the MACs before measuring.
for v in $vms; do
    ip netns exec $prefix-vm$v ping -c 2 -i 0.2 -q 10.77.0.100 >/dev/null || {
        echo "rtvnic-demo: vm$v cannot reach the sink" >&2; exit 1; }
done

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
