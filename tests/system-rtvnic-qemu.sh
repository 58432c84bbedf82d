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

# system-rtvnic-qemu.sh: system test of a real guest as the RT sender.
# utilities/rtvnic-testbed with VM=qemu: vm1a is a QEMU guest (TCG, Debian
# cloud kernel + busybox initramfs from utilities/rtvnic-guest-image) on a
# tap on host1's br-int, vm2a a namespace VM on host2.
#
# host1's uplink h1-up is an RTvNIC egress (max-rate 95 Mbit/s, queue-limit
# 2000 packets) and vm1a's port an RTvNIC source (deadline 2 ms, min-rate
# 5 Mbit/s), as in tests/system-rtvnic.sh and the demo.  The guest runs
# utilities/rtvnic-traffic (static, in its initramfs) as the sender,
# 1000 datagrams of 200 bytes at 500/s, to a receiver in vm2a.  Checks:
#   - the testbed comes up with the guest, whose eth0 has vm1a's address,
#     MAC, MTU 1400 and a permanent neighbour entry for vm2a, and whose
#     clock was stepped to this machine's;
#   - vm1a's port is an admitted source of host1's egress;
#   - the receiving application got every datagram the guest sent, none
#     lost, and measured plausible one-way delays (guest clock synchronised:
#     no delay below -1 ms);
#   - host1's egress sent them all as vm1a's conforming traffic, dropped
#     and was late with nothing;
#   - host2's rtvnic/flows --json: one flow from host1's tunnel IP, vnic 1,
#     packets == sent, lost 0, bad_stamp 0, deadline 2000 us;
#   - after "rtvnic-testbed down": no namespace of the testbed, no qemu
#     process, no tap, no state directory left.
# Output: one "PASS: ..." or "FAIL: ... (...)" line per check, then
# "system-rtvnic-qemu: N passed, M failed"; exit status 1 if any failed, 77
# (skip) only if this machine cannot run the guest at all: not root, no
# /dev/net/tun, or a QEMU without TCG.  Artifacts stay in
# build/system-rtvnic-qemu/.  About 15 s (plus ~25 s the first time, to
# fetch the kernel and build the image).
#
# Usage: tests/system-rtvnic-qemu.sh   (as root; OVSDIR as for the testbed)

top=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
testbed=$top/utilities/rtvnic-testbed
work=$top/build/system-rtvnic-qemu
export TESTBED_PREFIX=rtvq$$
export HOST1_VMS=vm1a HOST2_VMS=vm2a VM=qemu
unset QEMU_VMS QEMU_RUN
export CORE_RATE=${CORE_RATE:-200mbit}
count=1000
rate=500

if [ "$(id -u)" != 0 ]; then
    echo "system-rtvnic-qemu: SKIP: must run as root (creates network namespaces and taps)"
    exit 77
fi
if [ ! -c /dev/net/tun ]; then
    echo "system-rtvnic-qemu: SKIP: no /dev/net/tun, QEMU's tap networking cannot run here"
    exit 77
fi

. "$top/tests/rtvnic-system-lib.sh"
st_init system-rtvnic-qemu
recv_pid=

finish() {
    local rc=$?
    trap - EXIT INT TERM
    [ -n "$recv_pid" ] && kill "$recv_pid" 2>/dev/null
    "$testbed" down >/dev/null 2>&1
    st_summary "$rc"
}
trap finish EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------------ preparation --
rm -rf "$work"
mkdir -p "$work"
missing=
for t in python3 gcc ethtool; do
    command -v "$t" >/dev/null || missing="$missing $t"
done
if [ -n "$missing" ]; then
    fail "prerequisites" "missing:$missing; run utilities/install-deps.sh"
    done_ok=1
    exit 1
fi
# The guest image (installs qemu-system-x86, busybox-static, cpio if needed).
if ! "$top/utilities/rtvnic-guest-image" > "$work/image.env" 2>"$work/image.log"; then
    fail "build the guest image (utilities/rtvnic-guest-image)" "$(tail -3 "$work/image.log")"
    done_ok=1
    exit 1
fi
if ! qemu-system-x86_64 -accel help 2>/dev/null | grep -qx tcg; then
    echo "system-rtvnic-qemu: SKIP: qemu-system-x86_64 has no TCG accelerator here"
    exit 77
fi
. "$work/image.env"
traffic=$(dirname "$GUEST_INITRD")/rtvnic-traffic   # static, as in the guest

if ! "$testbed" up >"$work/env" 2>"$work/testbed-up.log"; then
    fail "testbed up with a QEMU vm1a" "$(tail -4 "$work/testbed-up.log")"
    done_ok=1
    exit 1
fi
. "$work/env"
clock=$(grep -o 'clock: .*' "$work/testbed-up.log" | tail -1)
pass "testbed up (prefix $TESTBED_PREFIX), vm1a a QEMU guest booted in ${VM1A_BOOT_S}s, $clock"
qemu_pid=$(cat "$VM1A_PIDFILE" 2>/dev/null)

tb() { "$testbed" "$@"; }

# ------------------------------------------------------ the guest's eth0 --
tb vm vm1a sh -c 'uname -r; ip -o -4 addr show dev eth0; cat /sys/class/net/eth0/mtu;
    cat /sys/class/net/eth0/address; cat /proc/net/arp' > "$work/guest.txt" 2>&1
why="$(tr '\n' ' ' < "$work/guest.txt")"
check "guest eth0: $VM1A_IP/24, MAC $VM1A_MAC, MTU 1400, permanent neighbour $VM2A_IP" \
    eval 'grep -q "inet $VM1A_IP/24" "$work/guest.txt" &&
          grep -qx 1400 "$work/guest.txt" && grep -qx "$VM1A_MAC" "$work/guest.txt" &&
          grep -Eq "^$VM2A_IP +0x1 +0x6 +$VM2A_MAC " "$work/guest.txt"'

# ------------------------------------------------------------------- QoS --
tb vsctl host1 set port h1-up qos=@q -- --id=@q create qos type=rtvnic \
    other-config:max-rate=95000000 other-config:queue-limit=2000 >/dev/null
tb vsctl host1 set port "$VM1A_PORT" qos=@q -- --id=@q create qos \
    type=rtvnic other-config:deadline=2ms other-config:min-rate=5000000 \
    >/dev/null
show=$(tb appctl host1 rtvnic/show 2>&1)
why="rtvnic/show: $show"
check "vm1a's port is RTvNIC source 1 (deadline 2ms), admitted by host1's egress h1-up" \
    eval 'grep -q "source 1: deadline 2ms.*: admitted" <<<"$show" &&
          grep -q "egress: max-rate 95000000" <<<"$show"'

# --------------------------------------------------------------- traffic --
duration=$(awk -v c=$count -v r=$rate 'BEGIN { print c / r }')
ip netns exec "$VM2A_NS" "$traffic" recv 5001 --duration $((${duration%.*} + 3)) \
    --deadline-us 2000 --log "$work/recv.log" > "$work/recv.txt" 2>&1 &
recv_pid=$!
sleep 0.3
tb vm vm1a rtvnic-traffic send "$VM2A_IP" 5001 --rate $rate --size 200 \
    --duration "$duration" --id 1 > "$work/send.txt" 2>&1
wait "$recv_pid"
recv_pid=
sent=$(sed -n 's/^sent id=1 packets=\([0-9]*\) send-errors=0$/\1/p' "$work/send.txt")
got=$(sed -n 's/^total id=1 packets=\([0-9]*\) lost=0 .*/\1/p' "$work/recv.txt")
why="send: $(cat "$work/send.txt"); recv: $(grep '^total' "$work/recv.txt")"
check "the guest sent ${sent:-?} datagrams, vm2a's application received ${got:-?}, none lost" \
    eval '[ "$sent" = "$count" ] && [ "$got" = "$sent" ]'

# One-way delay, guest -> namespace VM (application clocks).
delays=$(awk '!/^#/ { d = ($4 - $3) / 1e6; print d }' "$work/recv.log" | sort -g \
    | awk '{ v[NR] = $1 } END { if (NR) printf "%.3f %.3f %.3f %.3f %.3f",
        v[1], v[int(NR * 0.5 + 0.5)], v[int(NR * 0.99 + 0.5)], v[NR], NR }')
read -r dmin dp50 dp99 dmax dn <<<"$delays"
why="min/p50/p99/max ms: ${delays:-none}"
check "application one-way delay guest -> vm2a: min ${dmin:-?} p50 ${dp50:-?} p99 ${dp99:-?} max ${dmax:-?} ms (clock synchronised: min > -1 ms)" \
    eval '[ -n "$dn" ] && awk -v m="$dmin" -v p="$dp50" "BEGIN { exit !(m > -1 && p < 100) }"'

# ----------------------------------------------------- the switches' view --
sleep 0.2
tb appctl host1 rtvnic/show > "$work/show.txt" 2>&1
tb appctl host2 rtvnic/flows --json > "$work/flows.json" 2>&1
tb appctl host2 rtvnic/flows > "$work/flows.txt" 2>&1
why="$(grep -E 'enqueued|source vnet1a' "$work/show.txt" | tr -s ' ')"
check "host1's egress h1-up sent all $sent as vm1a's conforming traffic, dropped 0" \
    eval 'grep -q "enqueued: .* dropped: 0, late: 0, late-dropped: 0" "$work/show.txt" &&
          grep -q "source $VM1A_PORT: conforming $sent, excess 0, sent $sent (.*), late 0, dropped 0" "$work/show.txt"'

python3 - "$work/flows.json" "$HOST1_IP" "$sent" > "$work/flows-check.txt" 2>&1 <<'EOF'
import json, sys
path, host1, sent = sys.argv[1], sys.argv[2], int(sys.argv[3] or -1)
try:
    fl = json.load(open(path))
except Exception as ex:
    print("FAIL: host2 rtvnic/flows --json parses (%s: %s)"
          % (ex, open(path).read()[:200]))
    sys.exit(0)
mine = [f for f in fl if f.get("sender") == host1 and f.get("vnic_id") == 1]
if len(fl) == 1 and len(mine) == 1:
    f = mine[0]
    ok = (f["packets"] == sent and f["lost"] == 0 and f["bad_stamp"] == 0
          and f["deadline_us"] == 2000)
    print("%s: host2 rtvnic/flows: sender %s vnic 1: packets %d == %d sent, "
          "lost %d, bad_stamp %d, deadline %d us (p50 %.1f us, max %.1f us, "
          "misses %d)%s"
          % ("PASS" if ok else "FAIL", host1, f["packets"], sent, f["lost"],
             f["bad_stamp"], f["deadline_us"], f["p50_ns"] / 1e3,
             f["max_ns"] / 1e3, f["misses"],
             "" if ok else " (%s)" % json.dumps(f)))
else:
    print("FAIL: host2 rtvnic/flows --json: one flow from %s, vnic 1 (%s)"
          % (host1, json.dumps(fl)[:400]))
EOF
st_results "$work/flows-check.txt"
grep -q '^PASS: \|^FAIL: ' "$work/flows-check.txt" \
    || fail "host2 rtvnic/flows check" "$(head -3 "$work/flows-check.txt")"

# ------------------------------------------------------------------ down --
tb down > "$work/down.log" 2>&1
sleep 0.2
left=
for ns in $(ip netns list | awk '{print $1}' | grep "^$TESTBED_PREFIX-"); do
    left="$left namespace $ns;"
done
if [ -n "$qemu_pid" ] && [ -e "/proc/$qemu_pid" ] \
        && [ "$(sed 's/.*) //' "/proc/$qemu_pid/stat" 2>/dev/null | cut -c1)" != Z ]; then
    left="$left qemu pid $qemu_pid;"
fi
ip -o link show "$VM1A_PORT" >/dev/null 2>&1 && left="$left tap $VM1A_PORT;"
[ -e "$TESTBED_DIR" ] && left="$left $TESTBED_DIR;"
why="left behind:$left"
check "down left nothing behind (namespaces, qemu pid ${qemu_pid:-?}, tap, state)" \
    [ -z "$left" ]

done_ok=1
