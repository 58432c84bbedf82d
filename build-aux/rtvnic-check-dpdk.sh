#!/bin/bash
# rtvnic-check-dpdk.sh OVS-DPDK-DIR: "make check-dpdk".  Runs, against the
# OVS tree built --with-dpdk (build/ovs-dpdk):
#   rtvnic-autotest  OVS's testsuite -k rtvnic (our autotests, dummy ports),
#                    so that the patches and lib/rtvnic-* are also checked
#                    in the DPDK build (struct dp_packet embeds an rte_mbuf);
#   dpdk-ports       tests/system-rtvnic-dpdk.sh (af_packet vdevs on veth:
#                    pacing, min-rate isolation, EDF order, policers);
#   dpdk-geneve      tests/system-rtvnic-dpdk-geneve.sh (the Geneve wire
#                    stamp pushed and departure-stamped on a DPDK uplink,
#                    measured by a second host);
#   dpdk-guest       tests/system-rtvnic-dpdk-guest.sh (a QEMU guest on a
#                    dpdkvhostuserclient port through an rtvnic uplink);
#   dpdk-guest-srv   the same on a dpdkvhostuser port (OVS serves the
#                    socket, QEMU connects).
# Prints one line per suite and ends with "N passed, M failed" (", K
# skipped" when a system test skipped).  Exit status: 0 if nothing failed
# and something ran, 1 on any failure, 77 if every system test skipped (no
# root or no hugepages: the reason is printed).  The system tests run with
# /tmp/rtvnic-dpdk-busy present (a PMD thread busy-polls a core).
set -u
ovs=$(cd "$1" && pwd)
top=$(cd "$(dirname "$0")/.." && pwd)
results=$top/build/check-dpdk
jobs=${JOBS:-$(nproc)}
mkdir -p "$results"

total_pass=0
total_fail=0
skipped=0

make -s -C "$ovs" tests/testsuite tests/atconfig tests/atlocal >/dev/null ||
    { echo "rtvnic-check-dpdk: cannot build $ovs/tests/testsuite" >&2; exit 1; }
log=$results/rtvnic-autotest.log
start=$(date +%s)
(cd "$ovs/tests" && ./testsuite -j"$jobs" -k rtvnic \
    AUTOTEST_PATH="$ovs/utilities:$ovs/vswitchd:$ovs/ovsdb:$ovs/vtep:$ovs/tests:$ovs/ipsec:$ovs/controller::" \
    > "$log" 2>&1)
pass=$(grep -cE '^ *[0-9]+: .* ok$' "$log")
fail=$(grep -cE '^ *[0-9]+: .* FAILED \(' "$log")
if [ $((pass + fail)) = 0 ]; then
    echo "rtvnic-check-dpdk: the rtvnic autotests selected no test" >&2
    fail=1
fi
printf '%-16s %4d passed, %d failed (%ds)\n' rtvnic-autotest "$pass" "$fail" \
    $(( $(date +%s) - start ))
grep -E 'FAILED \(' "$log" | sed 's/^/    /'
total_pass=$((total_pass + pass))
total_fail=$((total_fail + fail))

# name:script[:VHOST_MODE]
for t in dpdk-ports:system-rtvnic-dpdk.sh dpdk-geneve:system-rtvnic-dpdk-geneve.sh \
        dpdk-guest:system-rtvnic-dpdk-guest.sh:client \
        dpdk-guest-srv:system-rtvnic-dpdk-guest.sh:server
do
    name=${t%%:*}
    script=${t#*:}
    vmode=client
    case $script in
    *:*) vmode=${script#*:}; script=${script%%:*} ;;
    esac
    log=$results/$name.log
    start=$(date +%s)
    VHOST_MODE=$vmode bash "$top/tests/$script" "$ovs" > "$log" 2>&1
    rc=$?
    pass=$(grep -c '^PASS: ' "$log")
    fail=$(grep -c '^FAIL: ' "$log")
    if [ $rc = 77 ]; then
        printf '%-16s skipped: %s\n' "$name" "$(tail -1 "$log")"
        skipped=$((skipped + 1))
        continue
    fi
    if [ $rc != 0 ] && [ "$fail" = 0 ]; then
        fail=1                  # It failed before its first check.
    fi
    printf '%-16s %4d passed, %d failed (%ds)\n' "$name" "$pass" "$fail" \
        $(( $(date +%s) - start ))
    grep '^FAIL: ' "$log" | sed 's/^/    /'
    [ $rc != 0 ] && [ "$(grep -c '^FAIL: ' "$log")" = 0 ] &&
        tail -3 "$log" | sed 's/^/    /'
    total_pass=$((total_pass + pass))
    total_fail=$((total_fail + fail))
done

if [ "$skipped" != 0 ]; then
    echo "$total_pass passed, $total_fail failed, $skipped skipped"
else
    echo "$total_pass passed, $total_fail failed"
fi
[ "$total_fail" = 0 ] || exit 1
[ "$skipped" = 4 ] && exit 77
exit 0
