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

# system-rtvnic-libvirt.sh: the vNIC contract from libvirt, end to end.
# Debian's libvirtd (QEMU driver, TCG guest from testbed/rtvnic-guest-image)
# with the hook utilities/rtvnic-libvirt-hook installed as
# /etc/libvirt/hooks/qemu.d/rtvnic, and OVS from OVSDIR (build/ovs) at its
# compiled-in paths (/usr/local/var/run/openvswitch), where libvirt's
# ovs-vsctl and the hook find it.  A userspace bridge whose port to a veth
# (its peer in a namespace) is an RTvNIC egress, max-rate 100 Mbit/s.
# Checks:
#   - "virsh start" of a domain whose <metadata> gives its vNIC deadline 2ms
#     and min-rate 5 Mbit/s succeeds; rtvnic/show shows the port as source
#     1 with that deadline, admitted; the guest's 200 datagrams leave the
#     egress as that source's packets (stamped with its source id at
#     reception: conforming + excess = 200, late 0, dropped 0);
#   - "virsh destroy": the port is gone and no QoS row but the egress's, and
#     no Queue row, is left;
#   - a contract with deadline "2" (no unit): "virsh start" fails, naming
#     the interface and ovs-vswitchd's reason, the domain is shut off and no
#     row is left;
#   - a contract whose min-rate exceeds the egress's max-rate: "virsh start"
#     fails with the admission refusal, nothing left;
#   - a contract naming no interface of the domain: fails in "prepare";
#   - a domain without the metadata starts, and its port has no QoS.
# Output: "PASS: ..." / "FAIL: ... (...)" lines, then the summary line;
# exit 77 (skip) when libvirtd cannot run here: not root, no /dev/net/tun,
# libvirt not installable, another libvirtd or OVS at the default paths
# running, a foreign /etc/libvirt/hooks/qemu.d/rtvnic.  Artifacts in
# build/system-rtvnic-libvirt/ (virsh outputs, logs, console).  About 30 s.
#
# Usage: OVSDIR=build/ovs tests/system-rtvnic-libvirt.sh   (as root)

top=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
ovs=$(cd "${OVSDIR:-$top/build/ovs}" && pwd)
work=$top/build/system-rtvnic-libvirt
hook=/etc/libvirt/hooks/qemu.d/rtvnic
p=rtvl$$                        # Prefix of every name made here.
ns=$p-ns
br=$p-br
vnet=$p-vnet0                   # The guest's tap (OVS port).
mac=52:54:00:88:00:01
peer_mac=02:88:00:00:00:02
peer_ip=10.88.99.2
guest_ip=10.88.99.1
count=200

skip() { echo "system-rtvnic-libvirt: SKIP: $*"; exit 77; }

[ "$(id -u)" = 0 ] || skip "must run as root (libvirtd, taps, namespaces)"
[ -c /dev/net/tun ] || skip "no /dev/net/tun: QEMU's taps cannot run here"
pgrep -x libvirtd >/dev/null && \
    skip "a libvirtd is already running; this test starts its own"
if ! bash "$top/build-aux/install-deps.sh" libvirt-daemon-system \
        libvirt-daemon-driver-qemu libvirt-clients \
        > /dev/null 2>&1 \
        || ! command -v libvirtd >/dev/null || ! command -v virtlogd >/dev/null; then
    skip "libvirt (libvirt-daemon-system, libvirt-daemon-driver-qemu) is" \
         "not installable here"
fi
if [ -e "$hook" ] && ! cmp -s "$hook" "$top/utilities/rtvnic-libvirt-hook"; then
    skip "$hook exists and is not utilities/rtvnic-libvirt-hook" \
         "(an installed package's?)"
fi
rundir=$(sed -n 's/.*"\(.*\)", "OVS_RUNDIR".*/\1/p' "$ovs/lib/dirs.c")
[ -n "$rundir" ] || skip "cannot read OVS_RUNDIR from $ovs/lib/dirs.c"
if [ -S "$rundir/db.sock" ] && \
        "$ovs/utilities/ovs-vsctl" --db="unix:$rundir/db.sock" --timeout=2 \
        show >/dev/null 2>&1; then
    skip "an ovsdb-server already serves $rundir/db.sock"
fi

. "$top/tests/rtvnic-system-lib.sh"
st_init system-rtvnic-libvirt

export PATH=$ovs/utilities:$ovs/vswitchd:$ovs/ovsdb:$PATH
export OVS_RUNDIR=$rundir OVS_LOGDIR=$work OVS_DBDIR=$work
hook_made=
hookdir_made=
domains=

finish() {
    local rc=$?
    trap - EXIT INT TERM
    for d in $domains; do
        virsh -q destroy "$d" >/dev/null 2>&1
        virsh -q undefine "$d" >/dev/null 2>&1
    done
    for d in libvirtd virtlogd; do
        [ -f "$work/$d.pid" ] && kill "$(cat "$work/$d.pid")" 2>/dev/null
    done
    sleep 0.5
    [ -n "$hook_made" ] && rm -f "$hook"
    [ -n "$hookdir_made" ] && rmdir "$hookdir_made" 2>/dev/null
    # The bridge's internal port is a kernel tap that outlives ovs-vswitchd.
    ovs-vsctl --timeout=5 --if-exists del-br "$br" >/dev/null 2>&1
    ip link del "$br" 2>/dev/null
    for d in ovs-vswitchd ovsdb-server; do
        [ -f "$rundir/$d.pid" ] && \
            ovs-appctl -t "$rundir/$d.$(cat "$rundir/$d.pid").ctl" exit \
                >/dev/null 2>&1
    done
    ip link del "$p-e0" 2>/dev/null
    ip netns del "$ns" 2>/dev/null
    [ "$rc" = 77 ] && exit 77
    st_summary "$rc"
}
trap finish EXIT
trap 'exit 130' INT TERM

rm -rf "$work"
mkdir -p "$work" "$rundir"

# ----------------------------------------------------------------- guest --
if ! "$top/testbed/rtvnic-guest-image" > "$work/image.env" \
        2> "$work/image.log"; then
    abort "build the guest image" "$(tail -3 "$work/image.log")"
fi
. "$work/image.env"

# ------------------------------------------------------------------- OVS --
ovsdb-tool create "$work/conf.db" "$ovs/vswitchd/vswitch.ovsschema" \
    || abort "ovsdb-tool create" ""
ovsdb-server "$work/conf.db" --remote="punix:$rundir/db.sock" \
    --pidfile="$rundir/ovsdb-server.pid" --detach \
    --log-file="$work/ovsdb-server.log" 2>/dev/null \
    || abort "start ovsdb-server" ""
ovs-vsctl --no-wait init
ovs-vswitchd --pidfile="$rundir/ovs-vswitchd.pid" --detach \
    --log-file="$work/ovs-vswitchd.log" "unix:$rundir/db.sock" 2>/dev/null \
    || abort "start ovs-vswitchd" "$(tail -3 "$work/ovs-vswitchd.log")"
ip netns add "$ns"
ip link add "$p-e0" type veth peer name eth0 netns "$ns" address "$peer_mac"
ip link set "$p-e0" up
ip -n "$ns" addr add "$peer_ip/24" dev eth0
ip -n "$ns" link set eth0 up
ovs-vsctl add-br "$br" -- set bridge "$br" datapath_type=netdev \
    -- add-port "$br" "$p-e0" \
    -- set port "$p-e0" qos=@q -- --id=@q create qos type=rtvnic \
           other-config:max-rate=100000000 >/dev/null \
    || abort "bridge $br with the egress $p-e0" ""

# --------------------------------------------------------------- libvirt --
mkdir -p /var/log/libvirt
if [ ! -d "$(dirname "$hook")" ]; then
    mkdir -p "$(dirname "$hook")"
    hookdir_made=$(dirname "$hook")
fi
if [ ! -e "$hook" ]; then
    cp "$top/utilities/rtvnic-libvirt-hook" "$hook"
    chmod 755 "$hook"
    hook_made=1
fi
# libvirtd reads the hooks at start; it runs ovs-vsctl, and the hook, with
# its own PATH: ours, so that they are build/ovs's.
virtlogd -d -p "$work/virtlogd.pid" || abort "start virtlogd" ""
libvirtd -d -p "$work/libvirtd.pid" || abort "start libvirtd" ""
for i in $(seq 50); do
    virsh -c qemu:///system version >/dev/null 2>&1 && break
    sleep 0.2
done
export LIBVIRT_DEFAULT_URI=qemu:///system
virsh version > "$work/virsh-version.txt" 2>&1 \
    || skip "libvirtd does not answer: $(tail -1 "$work/virsh-version.txt")"

# domain NAME CONTRACT-ELEMENTS [TARGET-DEV]: defines a TCG domain whose vNIC
# is on $br; CONTRACT-ELEMENTS empty: no <metadata> at all.
domain() {
    local name=$1 contract=$2 dev=${3:-$vnet} meta= run
    if [ -n "$contract" ]; then
        meta="<metadata><rtvnic:contract xmlns:rtvnic=\"urn:rtvnic:libvirt:1\">$contract</rtvnic:contract></metadata>"
    fi
    run=$(printf '%s\n' "sleep 1; rtvnic-traffic send $peer_ip 5001 --rate 200 --size 200 --duration 1 --id 1" | base64 -w0)
    cat > "$work/$name.xml" <<EOF
<domain type='qemu'>
  <name>$name</name>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  $meta
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$GUEST_KERNEL</kernel>
    <initrd>$GUEST_INITRD</initrd>
    <cmdline>console=ttyS0 quiet panic=-1 rtvnic.name=$name rtvnic.ip=$guest_ip/24 rtvnic.mac=$mac rtvnic.mtu=1400 rtvnic.arp=$peer_ip@$peer_mac rtvnic.run=$run</cmdline>
  </os>
  <on_reboot>destroy</on_reboot>
  <devices>
    <interface type='bridge'>
      <source bridge='$br'/>
      <virtualport type='openvswitch'/>
      <mac address='$mac'/>
      <target dev='$dev'/>
      <model type='virtio'/>
    </interface>
    <serial type='file'>
      <source path='$work/$name.console'/>
      <target port='0'/>
    </serial>
    <serial type='null'>
      <target port='1'/>
    </serial>
    <memballoon model='none'/>
  </devices>
  <seclabel type='static' model='dac' relabel='no'>
    <label>+0:+0</label>
  </seclabel>
</domain>
EOF
    virsh -q define "$work/$name.xml" > "$work/$name.define" 2>&1 \
        || abort "virsh define $name" "$(cat "$work/$name.define")"
    domains="$domains $name"
}

# rows: the QoS and Queue rows left, one line.
rows() {
    echo "qos: $(ovs-vsctl --bare --columns=_uuid list qos | grep -c .)," \
         "egress qos: $(ovs-vsctl --bare get port "$p-e0" qos | grep -c .)," \
         "tagged: $(ovs-vsctl --bare --columns=external_ids list qos \
                    | grep -c rtvnic-vm-uuid)," \
         "queues: $(ovs-vsctl --bare --columns=_uuid list queue | grep -c .)"
}
no_rows="qos: 1, egress qos: 1, tagged: 0, queues: 0"

# ----------------------------------------------------- a valid contract --
domain $p-rt "<rtvnic:interface mac='$mac' deadline='2ms' min-rate='5000000'/>"
virsh start $p-rt > "$work/start-rt.txt" 2>&1
rc=$?
why="virsh start: $(cat "$work/start-rt.txt")"
check "virsh start $p-rt (contract deadline 2ms, min-rate 5000000 on $mac) succeeds" \
    [ $rc = 0 ]
ovs-appctl rtvnic/show "$vnet" > "$work/show-rt.txt" 2>&1
why="rtvnic/show: $(cat "$work/show-rt.txt")"
check "rtvnic/show $vnet: source 1: deadline 2ms, effective 2ms, min-rate 5000000 bit/s: admitted" \
    grep -Eq "^  source 1: deadline 2ms, effective 2ms, min-rate 5000000 bit/s, burst [0-9]+ bits: admitted$" \
        "$work/show-rt.txt"
tags=$(ovs-vsctl --bare --columns=external_ids find qos \
           "external_ids:rtvnic-mac=\"$mac\"")
why="external_ids: $tags"
check "the vNIC's QoS row names the domain and the MAC" \
    eval 'grep -q "rtvnic-vm-name=$p-rt" <<<"$tags" &&
          grep -q "rtvnic-vm-uuid=$(virsh domuuid $p-rt | head -1)" <<<"$tags"'

for i in $(seq 600); do
    grep -aq "sent id=1 \|^rtvnic-guest: FATAL" "$work/$p-rt.console" \
        2>/dev/null && break
    sleep 0.1
done
sent=$(sed -n 's/^\(workload: \)\{0,1\}sent id=1 packets=\([0-9]*\) send-errors=0.*/\2/p' \
           "$work/$p-rt.console")
sleep 0.3
ovs-appctl rtvnic/show "$p-e0" > "$work/show-egress.txt" 2>&1
line=$(grep "source $vnet:" "$work/show-egress.txt")
conf=$(sed -n 's/.*conforming \([0-9]*\), excess \([0-9]*\),.*/\1/p' <<<"$line")
exc=$(sed -n 's/.*conforming \([0-9]*\), excess \([0-9]*\),.*/\2/p' <<<"$line")
why="guest console: $(grep -a 'sent id\|FATAL' "$work/$p-rt.console" | head -2); egress: $line"
check "the guest sent $count datagrams; the egress $p-e0 scheduled them as source $vnet's: conforming ${conf:-?} + excess ${exc:-?} = $count, late 0, dropped 0" \
    eval '[ "$sent" = $count ] && [ $((conf + exc)) = $count ] &&
          grep -q ", late 0, dropped 0$" <<<"$line"'

virsh destroy $p-rt > "$work/destroy-rt.txt" 2>&1
left=$(rows)
why="$left; ports: $(ovs-vsctl list-ports "$br" | tr '\n' ' ')"
check "virsh destroy: port $vnet gone, no QoS row but the egress's, no Queue row" \
    eval '[ "$left" = "$no_rows" ] && ! ovs-vsctl list-ports "$br" | grep -qx "$vnet"'

# ---------------------------------------------------- invalid contracts --
# start_fails NAME WHAT REGEX: virsh start NAME fails, its message matches
# REGEX, the domain is shut off and no row is left.
start_fails() {
    local name=$1 what=$2 re=$3 out state left
    virsh start "$name" > "$work/start-$name.txt" 2>&1
    rc=$?
    out=$(cat "$work/start-$name.txt")
    state=$(virsh domstate "$name" 2>&1 | head -1)
    left=$(rows)
    why="status $rc, state $state, $left: $out"
    check "$what" eval '[ $rc != 0 ] && grep -Eq "$re" <<<"$out" &&
        [ "$state" = "shut off" ] && [ "$left" = "$no_rows" ]'
}

domain $p-bad "<rtvnic:interface mac='$mac' deadline='2'/>"
start_fails $p-bad "deadline '2' (no unit): virsh start fails naming the interface and the reason, nothing left" \
    "rtvnic: domain $p-bad: interface $mac \\(port $vnet\\): invalid contract: .*deadline.*2"

domain $p-big "<rtvnic:interface dev='$vnet' deadline='2ms' min-rate='200000000'/>"
start_fails $p-big "min-rate 200000000 > max-rate: virsh start fails with the admission refusal, nothing left" \
    "rtvnic: domain $p-big: interface $mac \\(port $vnet\\): admission refused .*$p-e0"

domain $p-none "<rtvnic:interface mac='52:54:00:99:99:99' deadline='2ms'/>"
start_fails $p-none "a contract for no interface of the domain: virsh start fails, nothing left" \
    "rtvnic: domain $p-none: interface 52:54:00:99:99:99: the domain has no such interface"

# --------------------------------------------------------- no metadata --
domain $p-plain ""
virsh start $p-plain > "$work/start-plain.txt" 2>&1
rc=$?
qos=$(ovs-vsctl --bare get port "$vnet" qos 2>&1)
why="status $rc: $(cat "$work/start-plain.txt"); qos: $qos; $(rows)"
check "a domain without the metadata starts and its port $vnet has no QoS" \
    eval '[ $rc = 0 ] && [ "$qos" = "[]" ] && [ "$(rows)" = "$no_rows" ]'
virsh destroy $p-plain > /dev/null 2>&1
echo "INFO: checks done after $(( $(date +%s) - start_s )) s"

done_ok=1
