# rtvnic-dpdk-lib.sh: the one-host OVS-DPDK topology of "make check-dpdk"
# and "make bench-dpdk", sourced by both (not run on its own).
#
#   <prefix>-vma ns (10.78.0.1) ─veth─ vneta ─┐
#   <prefix>-vmb ns (10.78.0.2) ─veth─ vnetb ─┤ [<prefix>-host ns:
#                                             │  ovs-vswitchd with DPDK,
#                                             │  br0 (netdev), every port
#                                             │  type=dpdk on an af_packet
#                                             │  vdev, one PMD thread]
#   <prefix>-sink ns (10.78.0.100) ─veth─ up0 ┘
#
# POSIX shell (it is sourced by bash scripts and by autotests, which run
# under /bin/sh).
#
# Contract:
#   - The caller sets 'ovs' (an OVS tree built --with-dpdk), 'run' (a state
#     directory) and 'prefix' (a short, unique namespace prefix) before
#     sourcing it.
#   - dpdk_hugepages_get N: makes N 2 MiB hugepages available on a mounted
#     hugetlbfs (mounting /dev/hugepages if nothing is mounted), remembering
#     what it changed.  Returns 1 with a reason in 'dpdk_skip_reason' when
#     they cannot be had.  dpdk_hugepages_put gives back exactly what _get
#     took (the page count it found, and its mount).
#   - dpdk_host_up [vsctl-args]: namespaces, veths (checksum offload off,
#     IPv6 off, static neighbours so that no ARP or IPv6 chatter crosses the
#     switch), ovsdb-server and ovs-vswitchd with dpdk-init=true, one PMD
#     thread, EAL file prefix "$prefix" (so it never touches another DPDK
#     process's files); br0 with the three dpdk ports and static OpenFlow
#     forwarding (vma, vmb -> up0; up0 -> by destination IP).  Returns
#     nonzero, with the reason on stderr, if DPDK does not initialise or a
#     VM cannot reach the sink.
#     'vswitchd_extra' holds extra ovs-vswitchd options.  With
#     host_ports=system the same topology uses plain system ports (veths
#     polled by the main thread) and no DPDK at all: the baseline the
#     benchmark compares the PMD against.
#     The PMD thread (TID in 'pmd_tid') runs at nice -20 (dpdk_pmd_nice).
#   - dpdk_host_down: stops exactly the daemons dpdk_host_up started (by
#     PID) and deletes its namespaces; safe on a partial topology.
#   - dpdk_stop_daemons DIR...: stops the ovs-vswitchd and ovsdb-server
#     whose pidfiles are in each DIR, waits (up to 5 s) until every
#     ovs-vswitchd has exited, so that its hugepages are free, and removes
#     the pidfiles and the EAL runtime directory of "$prefix".
#   - dpdk_tool CMD...: runs CMD at a higher priority than the machine's
#     other jobs (its own session, autogroup nice -10).
#   - dpdk_busy_on/off: create and remove /tmp/rtvnic-dpdk-busy, which tells
#     other timing-sensitive jobs on the machine that a PMD thread is
#     busy-polling a core (it holds our PID; a file whose PID is not
#     running is stale and is taken over).

ns_host=$prefix-host
ns_sink=$prefix-sink
ns_vma=$prefix-vma
ns_vmb=$prefix-vmb
dpdk_skip_reason=
hp_old=
hp_mounted=
busy_file=/tmp/rtvnic-dpdk-busy

in_host() { ip netns exec "$ns_host" env OVS_RUNDIR="$run" OVS_LOGDIR="$run" \
                OVS_DBDIR="$run" OVS_SYSCONFDIR="$run" "$@"; }
vsctl() { in_host "$ovs/utilities/ovs-vsctl" --timeout=20 "$@"; }
ofctl() { in_host "$ovs/utilities/ovs-ofctl" "$@"; }
appctl() { in_host "$ovs/utilities/ovs-appctl" --timeout=20 "$@"; }

dpdk_busy_on() {
    if [ ! -e "$busy_file" ] \
            || ! kill -0 "$(cat "$busy_file" 2>/dev/null)" 2>/dev/null; then
        echo $$ > "$busy_file"
        busy_mine=1
    fi
}
dpdk_busy_off() {
    if [ -n "${busy_mine:-}" ] && [ "$(cat "$busy_file" 2>/dev/null)" = $$ ]
    then
        rm -f "$busy_file"
    fi
    busy_mine=
}

hugepages_total() {
    sed -n 's/^HugePages_Total: *//p' /proc/meminfo
}

dpdk_hugepages_get() {
    local want=$1 nr=/proc/sys/vm/nr_hugepages

    if [ "$(id -u)" != 0 ]; then
        dpdk_skip_reason="must run as root (hugepages, network namespaces)"
        return 1
    fi
    if [ ! -w "$nr" ]; then
        dpdk_skip_reason="$nr is not writable (no hugepage support)"
        return 1
    fi
    if [ "$(sed -n 's/^Hugepagesize: *//p' /proc/meminfo)" != "2048 kB" ]; then
        dpdk_skip_reason="default hugepage size is not 2 MiB"
        return 1
    fi
    hp_old=$(cat "$nr")
    if [ "$hp_old" -lt "$want" ]; then
        echo "$want" > "$nr" 2>/dev/null
    fi
    if [ "$(hugepages_total)" -lt "$want" ]; then
        dpdk_skip_reason="could only get $(hugepages_total) of $want 2 MiB hugepages"
        echo "$hp_old" > "$nr" 2>/dev/null
        hp_old=
        return 1
    fi
    if ! grep -q '^[^ ]* [^ ]* hugetlbfs ' /proc/mounts; then
        mkdir -p /dev/hugepages
        if ! mount -t hugetlbfs nodev /dev/hugepages; then
            dpdk_skip_reason="cannot mount hugetlbfs on /dev/hugepages"
            dpdk_hugepages_put
            return 1
        fi
        hp_mounted=/dev/hugepages
    fi
    return 0
}

dpdk_hugepages_put() {
    if [ -n "$hp_mounted" ]; then
        umount "$hp_mounted" 2>/dev/null
        hp_mounted=
    fi
    if [ -n "$hp_old" ]; then
        echo "$hp_old" > /proc/sys/vm/nr_hugepages
        hp_old=
    fi
}

# dpdk_veth NS DEV HOSTDEV [IP]: a veth from NS (DEV) into the host (HOSTDEV).
dpdk_veth() {
    local ns=$1 dev=$2 hdev=$3 ip=$4

    ip link add "$hdev" netns "$ns_host" type veth peer name "$dev" netns "$ns"
    [ -n "$ip" ] && ip -n "$ns" addr add "$ip/24" dev "$dev"
    ip -n "$ns" link set "$dev" up
    ip -n "$ns_host" link set "$hdev" up
    ip netns exec "$ns" ethtool -K "$dev" tx off >/dev/null
    ip netns exec "$ns_host" ethtool -K "$hdev" tx off >/dev/null
}

mac_of() {                      # mac_of NS DEV
    cat "/sys/class/net/$2/address" 2>/dev/null ||
        ip netns exec "$1" cat "/sys/class/net/$2/address"
}

dpdk_host_up() {
    local ns n=0 d

    for ns in $ns_host $ns_sink $ns_vma $ns_vmb; do
        ip netns add "$ns" || return 1
        ip -n "$ns" link set lo up
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
            net.ipv6.conf.default.disable_ipv6=1
    done
    dpdk_veth "$ns_vma" eth0 vneta 10.78.0.1
    dpdk_veth "$ns_vmb" eth0 vnetb 10.78.0.2
    dpdk_veth "$ns_sink" eth0 up0 10.78.0.100
    mac_vma=$(ip netns exec "$ns_vma" cat /sys/class/net/eth0/address)
    mac_vmb=$(ip netns exec "$ns_vmb" cat /sys/class/net/eth0/address)
    mac_sink=$(ip netns exec "$ns_sink" cat /sys/class/net/eth0/address)
    ip -n "$ns_vma" neigh replace 10.78.0.100 lladdr "$mac_sink" dev eth0
    ip -n "$ns_vmb" neigh replace 10.78.0.100 lladdr "$mac_sink" dev eth0
    ip -n "$ns_sink" neigh replace 10.78.0.1 lladdr "$mac_vma" dev eth0
    ip -n "$ns_sink" neigh replace 10.78.0.2 lladdr "$mac_vmb" dev eth0

    in_host "$ovs/ovsdb/ovsdb-tool" create "$run/conf.db" \
        "$ovs/vswitchd/vswitch.ovsschema" || return 1
    in_host "$ovs/ovsdb/ovsdb-server" --detach --no-chdir --pidfile \
        --log-file --remote=punix:"$run/db.sock" "$run/conf.db" || return 1
    vsctl --no-wait init
    if [ "${host_ports:-dpdk}" = dpdk ]; then
        vsctl --no-wait set Open_vSwitch . other_config:dpdk-init=true \
            other_config:dpdk-socket-mem=512 other_config:dpdk-lcore-mask=0x1 \
            other_config:pmd-cpu-mask=0x2 \
            "other_config:dpdk-extra=--file-prefix=$prefix --no-pci --huge-unlink --no-telemetry" "$@"
    fi
    in_host "$ovs/vswitchd/ovs-vswitchd" --detach --no-chdir --pidfile \
        --log-file --disable-system-route ${vswitchd_extra:-} || return 1
    if [ "${host_ports:-dpdk}" = dpdk ] &&
            [ "$(vsctl get Open_vSwitch . dpdk_initialized)" != true ]; then
        echo "DPDK did not initialise; see $run/ovs-vswitchd.log" >&2
        return 1
    fi
    vsctl add-br br0 -- set bridge br0 datapath_type=netdev \
        fail-mode=secure || return 1
    for d in vneta vnetb up0; do
        if [ "${host_ports:-dpdk}" = dpdk ]; then
            vsctl add-port br0 $d -- set interface $d type=dpdk \
                "options:dpdk-devargs=net_af_packet$n,iface=$d" \
                ofport_request=$((n + 1)) || return 1
        else
            vsctl add-port br0 $d -- set interface $d \
                ofport_request=$((n + 1)) || return 1
        fi
        n=$((n + 1))
    done
    pmd_tid=
    [ "${host_ports:-dpdk}" = dpdk ] && dpdk_pmd_nice
    ofctl add-flow br0 "in_port=1,actions=output:3"
    ofctl add-flow br0 "in_port=2,actions=output:3"
    ofctl add-flow br0 "in_port=3,ip,nw_dst=10.78.0.1,actions=output:1"
    ofctl add-flow br0 "in_port=3,ip,nw_dst=10.78.0.2,actions=output:2"
    for ns in $ns_vma $ns_vmb; do
        if ! ip netns exec "$ns" ping -c 2 -i 0.2 -W 2 -q 10.78.0.100 \
                >/dev/null; then
            echo "$ns cannot reach the sink through OVS-DPDK" >&2
            return 1
        fi
    done
}

# dpdk_pmd_nice: gives the PMD thread nice -20 once it exists.  On a
# dedicated core (isolcpus) a PMD thread is never preempted; on this shared
# 2-core machine, at nice 0 it gets half a core whenever anything else runs
# there, and a PMD preempted for more than the pacer's 1 ms catch-up slack
# loses link time.  At nice -20 other tasks still run, in short slices.
# With autogroup scheduling (/proc/sys/kernel/sched_autogroup_enabled, on
# in Debian's kernels) a thread's nice counts only within its session's
# group, and ovs-vswitchd --detach starts a session: its group competes
# with every other session's at equal weight, so beside other jobs (a
# valgrind run at nice 19) the PMD thread waited half its time.  Giving
# the group nice -20 as well (/proc/PID/autogroup) fixed that, but on a
# quiet machine it starved the softirq that delivers up0's packets to the
# sink (ksoftirqd on the PMD's CPU): not done; the real-time tests need an
# otherwise idle machine.
dpdk_pmd_nice() {
    local pid t
    pid=$(cat "$run/ovs-vswitchd.pid" 2>/dev/null) || return 1
    for _ in $(seq 50); do
        for t in /proc/"$pid"/task/*; do
            case $(cat "$t/comm" 2>/dev/null) in
            pmd-*) pmd_tid=${t##*/} ;;
            esac
        done
        [ -n "$pmd_tid" ] && break
        sleep 0.1
    done
    [ -n "$pmd_tid" ] && renice -n -20 -p "$pmd_tid" >/dev/null
}

# dpdk_tool CMD...: runs CMD (a traffic tool, a guest) in a session of its
# own whose autogroup has nice -10, so that with autogroup scheduling it is
# not one group among the machine's other jobs at equal weight (see
# dpdk_pmd_nice).  Without autogroup it is just CMD.
dpdk_tool() {
    setsid -w sh -c 'echo -10 2>/dev/null > /proc/self/autogroup; exec "$@"' \
        dpdk_tool "$@"
}

# rtvnic_sent PORT [SOURCE]: bytes RTvNIC egress PORT has sent (in total, or
# of SOURCE: a port name, or "best effort").
rtvnic_sent() {
    local show
    show=$(appctl rtvnic/show "$1") || return 1
    if [ -z "${2:-}" ]; then
        sed -n 's/.*enqueued: [0-9]*, sent: [0-9]* packets, \([0-9]*\) bytes.*/\1/p' <<EOF
$show
EOF
    elif [ "$2" = "best effort" ]; then
        sed -n 's/.*best effort: .* sent [0-9]* (\([0-9]*\) bytes).*/\1/p' <<EOF
$show
EOF
    else
        sed -n "s/.*source $2: .* sent [0-9]* (\([0-9]*\) bytes).*/\1/p" <<EOF
$show
EOF
    fi
}

# thread_cpu_ticks PID TID: utime + stime of one thread, in clock ticks.
thread_cpu_ticks() {
    awk '{ print $14 + $15 }' "/proc/$1/task/$2/stat" 2>/dev/null
}

is_pid() {                      # is_pid WORD: WORD is a process id
    case $1 in
    ''|*[!0-9]*) return 1 ;;
    esac
}

dpdk_stop_daemons() {
    local dir d pid alive

    for dir in "$@"; do
        for d in ovs-vswitchd ovsdb-server; do
            pid=$(cat "$dir/$d.pid" 2>/dev/null)
            is_pid "$pid" && kill "$pid" 2>/dev/null
        done
    done
    for _ in $(seq 50); do
        alive=
        for dir in "$@"; do
            pid=$(cat "$dir/ovs-vswitchd.pid" 2>/dev/null)
            is_pid "$pid" && kill -0 "$pid" 2>/dev/null && alive=1
        done
        [ -n "$alive" ] || break
        sleep 0.1
    done
    for dir in "$@"; do
        rm -f "$dir"/*.pid
    done
    rm -rf "/var/run/dpdk/$prefix"
}

dpdk_host_down() {
    local ns

    dpdk_stop_daemons "$run"
    for ns in $ns_host $ns_sink $ns_vma $ns_vmb; do
        ip netns del "$ns" 2>/dev/null
    done
}
