#!/bin/bash
# rtvnic-check.sh OVSDIR: runs every RTvNIC test suite and the OVS testsuite
# subsets in the areas our patches touch, prints each suite's result, and
# ends with one line "N passed, M failed".  Exits 1 if anything failed or a
# suite selected no test at all.  A suite's failed tests run once more, as
# in OVS's CI (RECHECK=yes): one that passes then counts as passed and is
# listed as flaky, after the output of its first failure.
#
# RTVNIC_CHECK_SUITES overrides the list of suites (names as below).
set -u
ovs=$(cd "$1" && pwd)
jobs=${JOBS:-$(nproc)}
top=$(cd "$(dirname "$0")/.." && pwd)
results=$top/build/check
mkdir -p "$results"

# name:testsuite keyword (OR-ed keywords are separate suites: commas in one
# -k would mean AND).
default_suites="rtvnic:rtvnic dpif-netdev:dpif-netdev
tunnel_push_pop:tunnel_push_pop qos:qos ofp-actions:ofp-actions
pmd:pmd"
suites=${RTVNIC_CHECK_SUITES:-$default_suites}

# The test PKI (OVS's tests/testpki-*.pem, made by ovs-pki): the TLS tests
# of rtvctl use it as OVS's own ssl tests do.
make -s -C "$ovs" tests/testsuite tests/atconfig tests/atlocal \
    tests/testpki-cacert.pem tests/testpki-cert.pem tests/testpki-privkey.pem \
    tests/testpki-cert2.pem tests/testpki-privkey2.pem >/dev/null ||
    { echo "rtvnic-check: cannot build $ovs/tests/testsuite" >&2; exit 1; }

# For each failed test of LOG, whose test directories are under DIR: its
# log's last lines (the check or wait that failed), so that a CI run's
# output alone says where a test failed.
show_failures () {
    local log=$1 dir=$2 n at start
    for n in $(sed -n 's/^ *\([0-9][0-9]*\): .* FAILED (.*/\1/p' "$log"); do
        # file.at:LINE of the check that failed.
        at=$(sed -n "s/^ *$n: .* FAILED (\(.*\))\$/\1/p" "$log" | head -n 1)
        # The log is named after the suite: testsuite.log,
        # system-userspace-testsuite.log.
        for f in "$dir/$n/"*testsuite.log; do
            # The failed check's own output (its diff: a check_logs
            # failure names the unexpected log line there), then the end
            # of the log (the daemons' logs the test captured).
            start=$(grep -n "^\./$at: " "$f" 2>/dev/null | tail -n 1 |
                    cut -d: -f1)
            if [ -n "$start" ]; then
                echo "    --- test $n: the check at $at:"
                sed -n "$start,$((start + 40))p" "$f" | sed 's/^/    | /'
            fi
            echo "    --- test $n: $f, last lines:"
            tail -n 25 "$f" 2>/dev/null | sed 's/^/    | /'
        done
    done
}

# recheck TESTSUITE LOG: runs TESTSUITE's tests that failed in its last
# run (whose log is LOG) once more, as OVS's CI does with RECHECK=yes, and
# sets 'flaky' to the number that passed then and 'fail' to the number
# that failed again.  Those that passed are listed: they are flaky, which
# is a defect too, just not one that fails CI.  The first failures' output
# is printed before, so it is not lost.
recheck () {
    local testsuite=$1 log=$2 still
    (cd "$ovs/tests" && ./$testsuite --recheck -j1 \
        AUTOTEST_PATH="$ovs/utilities:$ovs/vswitchd:$ovs/ovsdb:$ovs/vtep:$ovs/tests:$ovs/ipsec:$ovs/controller::" \
        > "$log.recheck" 2>&1)
    still=$(grep -cE '^ *[0-9]+: .* FAILED \(' "$log.recheck")
    flaky=$((fail - still))
    if [ "$flaky" -gt 0 ]; then
        echo "    recheck: $flaky of them passed when run again (flaky):"
        grep -E '^ *[0-9]+: .* ok$' "$log.recheck" | sed 's/^/        /'
    fi
    fail=$still
}

total_pass=0
total_fail=0
for suite in $suites; do
    name=${suite%%:*}
    keyword=${suite#*:}
    log=$results/$name.log
    start=$(date +%s)
    (cd "$ovs/tests" && ./testsuite -j"$jobs" -k "$keyword" \
        AUTOTEST_PATH="$ovs/utilities:$ovs/vswitchd:$ovs/ovsdb:$ovs/vtep:$ovs/tests:$ovs/ipsec:$ovs/controller::" \
        > "$log" 2>&1)
    pass=$(grep -cE '^ *[0-9]+: .* ok$' "$log")
    fail=$(grep -cE '^ *[0-9]+: .* FAILED \(' "$log")
    skip=$(grep -cE '^ *[0-9]+: .* skipped \(' "$log")
    ran=$((pass + fail))
    if [ "$ran" = 0 ]; then
        echo "rtvnic-check: suite $name ($keyword) selected no test" >&2
        fail=1
    fi
    printf '%-16s %4d passed, %d failed, %d skipped (%ds)\n' \
        "$name" "$pass" "$fail" "$skip" $(( $(date +%s) - start ))
    if [ "$fail" != 0 ]; then
        grep -E 'FAILED \(' "$log" | sed 's/^/    /'
        rm -rf "$results/$name.testsuite.dir"
        cp -r "$ovs/tests/testsuite.dir" "$results/$name.testsuite.dir" \
            2>/dev/null || true
        show_failures "$log" "$results/$name.testsuite.dir"
        if [ "$ran" != 0 ]; then
            recheck testsuite "$log"
            pass=$((pass + flaky))
        fi
    fi
    total_pass=$((total_pass + pass))
    total_fail=$((total_fail + fail))
done

# Coding style: every C file of ours that builds against OVS's library,
# through OVS's utilities/checkpatch.py (a warning fails it).  The guest and
# testbed tools in testbed/ are built without libopenvswitch, so OVS's
# "use xcalloc()/ovs_strerror()" rules do not apply to them.
if [ -z "${RTVNIC_CHECK_SUITES:-}" ]; then
    log=$results/checkpatch.log
    start=$(date +%s)
    (cd "$top" && python3 "$ovs/utilities/checkpatch.py" -f \
        lib/rtvnic*.[ch] vswitchd/rtvnic-bridge.[ch] controller/*.[ch] \
        tests/test-rtv*.c tests/fuzz/*.[ch]) > "$log" 2>&1
    # One block per file: '== Checking "FILE" ==' ... 'Lines checked: N,'
    # then 'no obvious problems found' or the warning and error counts.
    failed_files=$(awk '/^== Checking "/ { f = $3; gsub(/"/, "", f) }
                        /^Lines checked:/ && !/no obvious problems/ {
                            print f }' "$log")
    pass=$(grep -c 'no obvious problems found' "$log")
    fail=$(echo "$failed_files" | grep -c .)
    printf '%-16s %4d passed, %d failed (%ds)\n' checkpatch "$pass" "$fail" \
        $(( $(date +%s) - start ))
    for f in $failed_files; do
        echo "    $f (see $log)"
    done
    total_pass=$((total_pass + pass))
    total_fail=$((total_fail + fail))
fi

# The system tests in OVS's system-userspace testsuite (tests/system-rtvnic.at
# and the topic files it includes: -net, -core, -feedback, -libvirt; keyword
# rtvnic-system): real kernel networking in network namespaces and QEMU
# guests, rtvctl's feedback loop, an OVS core switch, a libvirt guest whose
# domain XML carries the vNIC's contract; a test whose prerequisites are
# missing is skipped, and the skip counted apart.
if [ -z "${RTVNIC_CHECK_SUITES:-}" ] || [ "${RTVNIC_CHECK_SYSTEM:-}" = yes ]; then
    log=$results/system-userspace.log
    start=$(date +%s)
    # libvirt for the libvirt test (tests/rtvnic-atlocal skips it, saying
    # why, if it cannot be had): not in install-deps.sh's list for "make",
    # because installing libvirt-daemon-system may start a libvirtd.
    bash "$top/build-aux/install-deps.sh" libvirt-daemon-system \
        libvirt-daemon-driver-qemu libvirt-clients >/dev/null 2>&1
    make -s -C "$ovs" tests/system-userspace-testsuite tests/atconfig \
        tests/atlocal >/dev/null ||
        { echo "rtvnic-check: cannot build the system-userspace testsuite" >&2
          exit 1; }
    # -j1 as OVS's check-system-userspace: the tests share the kernel.
    (cd "$ovs/tests" && ./system-userspace-testsuite -j1 -k rtvnic-system \
        AUTOTEST_PATH="$ovs/utilities:$ovs/vswitchd:$ovs/ovsdb:$ovs/vtep:$ovs/tests:$ovs/controller::" \
        > "$log" 2>&1)
    pass=$(grep -cE '^ *[0-9]+: .* ok$' "$log")
    fail=$(grep -cE '^ *[0-9]+: .* FAILED \(' "$log")
    skip=$(grep -cE '^ *[0-9]+: .* skipped \(' "$log")
    ran=$((pass + fail + skip))
    if [ "$ran" = 0 ]; then
        echo "rtvnic-check: the system-userspace testsuite selected no test" >&2
        fail=1
    fi
    printf '%-16s %4d passed, %d failed, %d skipped (%ds)\n' system-at \
        "$pass" "$fail" "$skip" $(( $(date +%s) - start ))
    if [ "$fail" != 0 ]; then
        grep -E 'FAILED \(' "$log" | sed 's/^/    /'
        rm -rf "$results/system-userspace.testsuite.dir"
        cp -r "$ovs/tests/system-userspace-testsuite.dir" \
            "$results/system-userspace.testsuite.dir" 2>/dev/null || true
        show_failures "$log" "$results/system-userspace.testsuite.dir"
        if [ "$ran" != 0 ]; then
            recheck system-userspace-testsuite "$log"
            pass=$((pass + flaky))
        fi
    fi
    total_pass=$((total_pass + pass))
    total_fail=$((total_fail + fail))
fi

echo "$total_pass passed, $total_fail failed"
[ "$total_fail" = 0 ]
