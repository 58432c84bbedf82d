#!/bin/bash
# rtvnic-check-deb.sh DEBDIR CACHEDIR: our packages upgrade a stock Debian 12
# hypervisor (make check-deb).
#
# A fresh Debian 12 root (debootstrap --variant=minbase bookworm, cached as
# CACHEDIR/bookworm-minbase.tar; each run starts from a new copy in
# CACHEDIR/root), its commands run by chroot inside a network namespace of
# its own (the bridge's internal port is a kernel tap: it must not appear
# on this machine), with /proc mounted and /dev/net/tun made:
#   0. apt (in this machine's namespace) fetches what 1 and 2 install;
#   1. apt installs Debian's openvswitch-switch (and systemd, for
#      systemd-analyze); ovs-ctl starts it; a userspace bridge br0 gets a
#      QoS row with a Queue;
#   2. apt installs DEBDIR's packages (DEBDIR/packages) over it, as an
#      operator would ("apt-get install ./*.deb");
# Checks: the versions are ours; the maintainer scripts restarted
# ovs-vswitchd; the database, bridge, QoS and Queue rows survived (same
# UUIDs and keys); "ovs-appctl qos/show-types br0" lists rtvnic;
# "rtvctl --version" runs; "systemd-analyze verify" accepts rtvctl.service
# and ovs-vswitchd.service with our drop-in; rtvctl's policy is a conffile;
# the libvirt hook is installed; "apt-get remove" of the packages leaves no
# process of theirs running in the root (uuidd, of uuid-runtime, may stay).
# Prints "PASS: "/"FAIL: " lines and a summary; exit 1 if one failed, 77
# (skip) with the reason if not root or debootstrap or the registry cannot
# be reached.  About 2 minutes (plus 1 to fill the cache).
set -u
debdir=$(cd "$1" && pwd)
cache=$2
top=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
root=$cache/root
tarball=$cache/bookworm-minbase.tar
ns=rtvdeb$$
log=$cache/check-deb.log

skip() { echo "rtvnic-check-deb: SKIP: $*"; exit 77; }

[ "$(id -u)" = 0 ] || skip "must run as root (debootstrap, chroot)"
[ -s "$debdir/packages" ] || { echo "rtvnic-check-deb: no packages in" \
    "$debdir (make deb)" >&2; exit 1; }

# Result printing: pass/fail print one line per check and count it; check
# WHAT CMD... passes or fails by CMD's status ($why holds the details of a
# failure); abort fails and ends the run at once.  The EXIT trap prints the
# summary, "check-deb: N passed, M failed (S s)", or "aborted" when the run
# did not get to its end (done_ok unset).
passed=0
failed=0
start_s=$(date +%s)
pass() { echo "PASS: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $1 (${2:-})"; failed=$((failed + 1)); }
check() {
    local what=$1
    shift
    if "$@"; then pass "$what"; else fail "$what" "$why"; fi
}
abort() { fail "$1" "$2"; done_ok=1; exit 1; }
summary() {
    if [ "${done_ok:-}" = 1 ]; then
        echo "check-deb: $passed passed, $failed failed" \
             "($(( $(date +%s) - start_s )) s)"
        [ "$failed" = 0 ] && exit 0 || exit 1
    fi
    echo "check-deb: aborted (status $1); $passed passed, $failed failed"
    exit 1
}
: > "$log"

# inroot CMD...: runs CMD in the root, in its network namespace.
inroot() {
    ip netns exec "$ns" chroot "$root" /usr/bin/env -i \
        PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C.UTF-8 \
        DEBIAN_FRONTEND=noninteractive "$@"
}

# The processes whose root is the chroot.
procs() {
    local p
    for p in /proc/[0-9]*; do
        [ "$(readlink "$p/root" 2>/dev/null)" = "$root" ] && \
            echo "${p#/proc/} $(cat "$p/comm" 2>/dev/null)"
    done
}

finish() {
    local rc=$? pid
    trap - EXIT INT TERM
    for pid in $(procs | cut -d' ' -f1); do
        kill "$pid" 2>/dev/null
    done
    sleep 0.5
    for pid in $(procs | cut -d' ' -f1); do
        kill -9 "$pid" 2>/dev/null
    done
    umount "$root/proc" 2>/dev/null
    ip netns del "$ns" 2>/dev/null
    [ "$rc" = 77 ] && exit 77
    summary "$rc"
}

# ----------------------------------------------------- the Debian root --
if [ ! -s "$tarball" ]; then
    bash "$top/build-aux/install-deps.sh" debootstrap >> "$log" 2>&1 \
        || skip "debootstrap is not installable: $(tail -1 "$log")"
    rm -rf "$cache/boot"
    echo "rtvnic-check-deb: debootstrap --variant=minbase bookworm" \
         "(cached in $tarball)"
    if ! debootstrap --variant=minbase bookworm "$cache/boot" \
            >> "$log" 2>&1; then
        rm -rf "$cache/boot"
        skip "debootstrap cannot reach the Debian registry:" \
             "$(grep -E '^(E|W):' "$log" | tail -1)"
    fi
    tar -C "$cache/boot" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
    rm -rf "$cache/boot"
fi
if [ -d "$root" ] && [ -n "$(procs)" ]; then
    echo "rtvnic-check-deb: processes still run in $root:" $(procs) >&2
    exit 1
fi
umount "$root/proc" 2>/dev/null
rm -rf "$root"
mkdir -p "$root"
tar -C "$root" -xf "$tarball"
cp /etc/resolv.conf "$root/etc/resolv.conf"
# apt as configured on this machine (a proxy, say); the mirror is debootstrap's.
cp -r /etc/apt/apt.conf.d/. "$root/etc/apt/apt.conf.d/" 2>/dev/null
# No init system runs in the root: invoke-rc.d would block every action of
# the maintainer scripts.  Allow them, as an init system would, so that the
# packages start, restart and stop the daemons (through the init script).
printf '#!/bin/sh\nexit 0\n' > "$root/usr/sbin/policy-rc.d"
chmod 755 "$root/usr/sbin/policy-rc.d"
mkdir -p "$root/dev/net"
[ -c "$root/dev/net/tun" ] || mknod "$root/dev/net/tun" c 10 200
ip netns add "$ns" || { echo "rtvnic-check-deb: ip netns add failed" >&2;
                        exit 1; }
trap finish EXIT
trap 'exit 130' INT TERM
mount -t proc proc "$root/proc"
ip -n "$ns" link set lo up

# ------------------------------------------------------ stock OVS first --
# apt fetches in this machine's network namespace (the root's has only lo):
# the stock packages, and what ours need beyond them, into apt's cache.
rm -rf "$root/tmp/debs"
mkdir -p "$root/tmp/debs"
for f in $(cat "$debdir/packages"); do
    cp "$debdir/$f" "$root/tmp/debs/"
done
fetch() {
    chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
        HOME=/root LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
}
if ! fetch apt-get update >> "$log" 2>&1; then
    skip "apt-get update in the root cannot reach the registry:" \
         "$(grep -E '^(E|W):' "$log" | tail -1)"
fi
if ! fetch apt-get install -y --download-only --no-install-recommends \
        openvswitch-switch systemd >> "$log" 2>&1 \
        || ! fetch sh -c 'apt-get install -y --download-only \
                --no-install-recommends /tmp/debs/*.deb' >> "$log" 2>&1; then
    skip "apt-get cannot fetch from the registry:" \
         "$(grep -E '^(E|W):' "$log" | tail -1)"
fi
if ! inroot apt-get install -y --no-install-recommends openvswitch-switch \
        systemd >> "$log" 2>&1; then
    if grep -q "Could not resolve\|Failed to fetch\|Unable to fetch" "$log"; then
        skip "apt-get install openvswitch-switch: registry unreachable:" \
             "$(grep -E '^(E|W):' "$log" | tail -1)"
    fi
    abort "apt-get install openvswitch-switch systemd (stock)" \
          "$(tail -3 "$log")"
fi
stock=$(inroot dpkg-query -W -f='${Version}' openvswitch-switch)
ours=$(dpkg-deb -f "$root/tmp/debs/$(grep '^openvswitch-switch_' \
           "$debdir/packages")" Version)
why="stock $stock, ours $ours"
check "stock openvswitch-switch $stock installed; ours ($ours) sorts above it" \
    dpkg --compare-versions "$ours" gt "$stock"

inroot /usr/share/openvswitch/scripts/ovs-ctl start --system-id=random \
    >> "$log" 2>&1 || abort "ovs-ctl start (stock)" "$(tail -3 "$log")"
inroot ovs-vsctl add-br br0 -- set bridge br0 datapath_type=netdev \
    -- set port br0 qos=@q -- --id=@q create qos type=linux-htb \
       other-config:max-rate=100000000 queues:1=@q1 \
    -- --id=@q1 create queue other-config:min-rate=10000000 \
    >> "$log" 2>&1 || abort "bridge br0 with a QoS row (stock)" \
                            "$(tail -3 "$log")"
rows() {
    inroot ovs-vsctl --columns=_uuid,type,other_config,queues list qos
    inroot ovs-vsctl --columns=_uuid,other_config list queue
    inroot ovs-vsctl --bare get port br0 qos
    inroot ovs-vsctl --bare get bridge br0 datapath_type
    inroot ovs-vsctl get open_vswitch . external_ids:system-id
}
rows > "$cache/rows-before.txt" 2>&1
old_pid=$(cat "$root/run/openvswitch/ovs-vswitchd.pid" 2>/dev/null)
why="$(cat "$cache/rows-before.txt")"
check "stock OVS runs (ovs-vswitchd $old_pid), bridge br0 has a linux-htb QoS row with one Queue" \
    grep -q 'linux-htb' "$cache/rows-before.txt"

# --------------------------------------------------- upgrade to ours --
start=$(date +%s)
if inroot sh -c 'apt-get install -y --no-install-recommends /tmp/debs/*.deb' \
        > "$cache/upgrade.log" 2>&1; then
    pass "apt-get install of $(wc -w < "$debdir/packages") packages over the stock ones ($(( $(date +%s) - start )) s)"
else
    cat "$cache/upgrade.log" >> "$log"
    abort "apt-get install of our packages" "$(tail -3 "$cache/upgrade.log")"
fi
vers=$(inroot dpkg-query -W -f='${Package}=${Version} ' openvswitch-common \
           openvswitch-switch python3-openvswitch rtvctl)
why="$vers"
check "installed: $vers" eval '[ "$(grep -o "=$ours" <<<"$vers" | wc -l)" = 4 ]'

new_pid=$(cat "$root/run/openvswitch/ovs-vswitchd.pid" 2>/dev/null)
why="pid before $old_pid, after ${new_pid:-none}"
check "the upgrade restarted ovs-vswitchd ($old_pid -> ${new_pid:-none})" \
    eval '[ -n "$new_pid" ] && [ "$new_pid" != "$old_pid" ] &&
          [ -d /proc/$new_pid ]'

rows > "$cache/rows-after.txt" 2>&1
why="$(diff "$cache/rows-before.txt" "$cache/rows-after.txt" | tr '\n' ' ')"
check "the database survived: same QoS and Queue rows (UUIDs, keys), bridge, system-id" \
    cmp -s "$cache/rows-before.txt" "$cache/rows-after.txt"

types=$(inroot ovs-appctl qos/show-types br0 2>&1)
why="$types"
check "ovs-appctl qos/show-types br0 lists rtvnic" \
    grep -qx 'QoS type: rtvnic' <<<"$types"

version=$(inroot rtvctl --version 2>&1)
why="$version"
check "rtvctl --version: $(head -1 <<<"$version")" \
    eval 'grep -q "^rtvctl" <<<"$version"'

inroot systemd-analyze verify --man=no rtvctl.service ovs-vswitchd.service \
    > "$cache/verify.txt" 2>&1
rc=$?
why="status $rc: $(tr '\n' ' ' < "$cache/verify.txt")"
check "systemd-analyze verify rtvctl.service ovs-vswitchd.service (with rtvnic-realtime.conf): accepted" \
    [ $rc = 0 ]
dropin=$(inroot systemd-analyze cat-config \
             systemd/system/ovs-vswitchd.service.d/rtvnic-realtime.conf \
             2>&1 | grep -c 'ExecStartPost=/usr/share/openvswitch/scripts/rtvnic-vswitchd-realtime')
why="cat-config: $dropin"
check "the drop-in ovs-vswitchd.service.d/rtvnic-realtime.conf is installed" \
    [ "$dropin" = 1 ]

conf=$(inroot dpkg-query -W -f='${Conffiles}' rtvctl openvswitch-switch)
why="$conf"
check "conffiles: /etc/rtvctl/policy.json, /etc/default/rtvctl, /etc/default/rtvnic, the libvirt hook" \
    eval 'for f in /etc/rtvctl/policy.json /etc/default/rtvctl /etc/default/rtvnic \
                 /etc/libvirt/hooks/qemu.d/rtvnic; do
              grep -q " $f " <<<"$conf" || exit 1; done'
[ -x "$root/etc/libvirt/hooks/qemu.d/rtvnic" ] || \
    fail "the libvirt hook is executable" "$(ls -l "$root/etc/libvirt/hooks/qemu.d/")"

# ---------------------------------------------------------- removal --
inroot apt-get remove -y openvswitch-switch openvswitch-common \
    python3-openvswitch rtvctl openvswitch-pki > "$cache/remove.log" 2>&1
rc=$?
sleep 1
# uuidd belongs to uuid-runtime, which stays installed.
left=$(procs | grep -v ' uuidd$' | tr '\n' ' ')
why="apt-get remove status $rc; running: $left; $(tail -2 "$cache/remove.log")"
check "apt-get remove of the packages leaves no process in the root" \
    eval '[ $rc = 0 ] && [ -z "$left" ]'

done_ok=1
