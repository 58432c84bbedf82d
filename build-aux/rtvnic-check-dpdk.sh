#!/bin/bash
# rtvnic-check-dpdk.sh OVS-DPDK-DIR: "make check-dpdk".  Runs, against the
# OVS tree built --with-dpdk (build/ovs-dpdk):
#   rtvnic-autotest  OVS's testsuite -k rtvnic (our autotests, dummy ports),
#                    so that the patches and lib/rtvnic-* are also checked
#                    in the DPDK build (struct dp_packet embeds an rte_mbuf);
#   system-dpdk      OVS's "make check-dpdk" (its system-dpdk testsuite)
#                    with TESTSUITEFLAGS='-k rtvnic-dpdk': RTvNIC's DPDK
#                    system tests, tests/system-rtvnic-dpdk*.at (af_packet
#                    vdevs on veth: pacing, min-rate isolation, policers,
#                    EDF order in OVS time; the Geneve wire stamp through a
#                    DPDK uplink; a QEMU guest on a dpdkvhostuserclient and
#                    on a dpdkvhostuser port through an rtvnic uplink).
#                    A test whose prerequisites are missing (no root, no
#                    hugepages: tests/rtvnic-atlocal) is skipped, and the
#                    skip counted apart.
# Prints one line per suite and ends with "N passed, M failed" (", K
# skipped" when a system test skipped).  Exit status: 0 if nothing failed
# and something ran, 1 on any failure, 77 if every system test skipped
# (the reasons are in the tests' logs, copied to build/check-dpdk/).  The
# system tests run with /tmp/rtvnic-dpdk-busy present (a PMD thread
# busy-polls a core).
set -u
ovs=$(cd "$1" && pwd)
top=$(cd "$(dirname "$0")/.." && pwd)
results=$top/build/check-dpdk
jobs=${JOBS:-$(nproc)}
mkdir -p "$results"

total_pass=0
total_fail=0
skipped=0

# The test PKI (OVS's tests/testpki-*.pem, made by ovs-pki) for the TLS
# tests among ours, as build-aux/rtvnic-check.sh makes it.
make -s -C "$ovs" tests/testsuite tests/atconfig tests/atlocal \
    tests/testpki-cacert.pem tests/testpki-cert.pem tests/testpki-privkey.pem \
    tests/testpki-cert2.pem tests/testpki-privkey2.pem >/dev/null ||
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

# RTvNIC's DPDK system tests, through OVS's own "make check-dpdk" (-j1: the
# tests share the kernel and the hugepages).
log=$results/system-dpdk.log
start=$(date +%s)
make -C "$ovs" check-dpdk TESTSUITEFLAGS="-k rtvnic-dpdk" > "$log" 2>&1
pass=$(grep -cE '^ *[0-9]+: .* ok$' "$log")
fail=$(grep -cE '^ *[0-9]+: .* FAILED \(' "$log")
skipped=$(grep -cE '^ *[0-9]+: .* skipped \(' "$log")
if [ $((pass + fail + skipped)) = 0 ]; then
    echo "rtvnic-check-dpdk: the system-dpdk testsuite selected no test" \
         "(see $log)" >&2
    fail=1
fi
printf '%-16s %4d passed, %d failed, %d skipped (%ds)\n' system-dpdk \
    "$pass" "$fail" "$skipped" $(( $(date +%s) - start ))
grep -E 'FAILED \(|skipped \(' "$log" | sed 's/^/    /'
if [ "$fail" != 0 ] || [ "$skipped" != 0 ]; then
    rm -rf "$results/system-dpdk-testsuite.dir"
    cp -r "$ovs/tests/system-dpdk-testsuite.dir" "$results/" 2>/dev/null
fi
total_pass=$((total_pass + pass))
total_fail=$((total_fail + fail))

if [ "$skipped" != 0 ]; then
    echo "$total_pass passed, $total_fail failed, $skipped skipped"
else
    echo "$total_pass passed, $total_fail failed"
fi
[ "$total_fail" = 0 ] || exit 1
[ "$pass" = 0 ] && [ "$skipped" != 0 ] && exit 77
exit 0
