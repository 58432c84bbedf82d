# rtvnic-onehost.sh: the one-host topology of "make demo-compare" and
# "make bench-e2e", sourced by both (not run on its own).
#
#   vm<v> ns (10.77.0.N) ─veth─ vnet<v> ─┐
#                                        [<prefix>-host: ovs-vswitchd, br0
#                                         (netdev), NORMAL switching]
#                              up0 ─veth─ eth0 [<prefix>-sink: 10.77.0.100]
#
# The caller sets 'ovs' (the OVS build tree), 'run' (a state directory),
# 'prefix' (namespace prefix) and 'vms' (VM letters, e.g. "a b c") before
# sourcing it, then calls onehost_up, and onehost_down from its cleanup.

ns_host=$prefix-host
ns_sink=$prefix-sink

in_host() { ip netns exec "$ns_host" env OVS_RUNDIR="$run" OVS_LOGDIR="$run" \
                OVS_DBDIR="$run" OVS_SYSCONFDIR="$run" "$@"; }
vsctl() { in_host "$ovs/utilities/ovs-vsctl" --timeout=10 "$@"; }
ofctl() { in_host "$ovs/utilities/ovs-ofctl" "$@"; }
appctl() { in_host "$ovs/utilities/ovs-appctl" --timeout=10 "$@"; }

# Creates the namespaces and veths (checksum offload off on every end, as
# the userspace datapath needs), starts ovsdb-server and ovs-vswitchd in the
# host, bridges the VMs and the uplink, and lets the bridge learn every VM's
# MAC.  Returns nonzero if a VM cannot reach the sink.
onehost_up() {
    local i=1 v ns

    ip netns add "$ns_host"
    ip netns add "$ns_sink"
    ip -n "$ns_host" link set lo up
    ip -n "$ns_sink" link set lo up
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

    in_host "$ovs/ovsdb/ovsdb-tool" create "$run/conf.db" \
        "$ovs/vswitchd/vswitch.ovsschema"
    in_host "$ovs/ovsdb/ovsdb-server" --detach --no-chdir --pidfile \
        --log-file --remote=punix:"$run/db.sock" "$run/conf.db"
    vsctl --no-wait init
    # --mlockall, as ovs-ctl starts it (see rtvnic-testbed).
    in_host "$ovs/vswitchd/ovs-vswitchd" --detach --no-chdir --pidfile \
        --log-file --disable-system-route --mlockall
    vsctl add-br br0 -- set bridge br0 datapath_type=netdev
    for v in $vms; do
        vsctl add-port br0 vnet$v
    done
    vsctl add-port br0 up0

    for v in $vms; do
        if ! ip netns exec $prefix-vm$v ping -c 2 -i 0.2 -q 10.77.0.100 \
                >/dev/null; then
            echo "vm$v cannot reach the sink" >&2
            return 1
        fi
    done
}

# Stops the daemons onehost_up started and deletes its namespaces; works on
# a partly built topology.
onehost_down() {
    local d pid ns

    for d in ovs-vswitchd ovsdb-server; do
        if [ -f "$run/$d.pid" ]; then
            pid=$(cat "$run/$d.pid" 2>/dev/null)
            [[ $pid =~ ^[0-9]+$ ]] && kill "$pid" 2>/dev/null
        fi
    done
    sleep 0.3
    for ns in $ns_host $ns_sink $(for v in $vms; do echo $prefix-vm$v; done);
    do
        ip netns del "$ns" 2>/dev/null
    done
}
