#!/bin/bash
# rtvnic-check-asan.sh OVSDIR: runs the rtvnic autotests (the rtvctl ones
# included) against OVSDIR, a tree built with -fsanitize=address,undefined
# (make build-asan), and fails if any test fails or any process wrote a
# sanitizer report.  Ends with one line:
#   "check-asan: N passed, M failed, S skipped; R sanitizer reports"
#
# Every process of a test (ovs-vswitchd, ovsdb-server, rtvctl, the utilities,
# ovstest) writes its reports to asan.PID / ubsan.PID in the test's
# directory (tests/atlocal's log_path, relative: the daemons run with
# --no-chdir).  OVS's AT_CLEANUP fails the test when such a file exists at
# its end; the testsuite runs with -d so that the directories of passed tests
# are kept, and this script counts the reports of every test afterwards:
# that also catches what a daemon wrote while the test's cleanup killed it.
#
# Leak checking is on (tests/atlocal turns it off by default; later options
# win).  LeakSanitizer checks a process when it exits normally: a daemon
# stopped by OVS_VSWITCHD_STOP or "ovs-appctl exit", not one killed by the
# cleanup's SIGTERM (OVS re-raises fatal signals).  tests/rtvnic-lsan.supp
# lists the leaks of stock OVS that are suppressed, each with its reason.
#
# Like OVS's "make check RECHECK=yes", tests that failed with no sanitizer
# report are run once more (a loaded machine delays the sanitized daemons
# past some tests' timing checks); the line before the last says how many
# passed only then.  A report in either run counts.
#
# TESTSUITEFLAGS adds testsuite options (e.g. a list of test numbers).
set -u
ovs=$(cd "$1" && pwd)
jobs=${JOBS:-$(nproc)}
top=$(cd "$(dirname "$0")/.." && pwd)
results=$top/build/check
mkdir -p "$results"
log=$results/asan.log
dir=$ovs/tests/testsuite.dir
reportdir=$results/asan-reports

make -s -C "$ovs" tests/testsuite tests/atconfig tests/atlocal >/dev/null ||
    { echo "check-asan: cannot build $ovs/tests/testsuite" >&2; exit 1; }

# Sanitized programs run several times slower.  The scale tests (thousands
# of QoS rows, heartbeats of 10,000 keys) then outlast OVS_CTL_TIMEOUT, the
# limit of every ovs-vsctl/ovs-appctl call and OVS_WAIT_UNTIL, which
# tests/atlocal sets to 30 s after reading the testsuite's command line.
# The generated atlocal (build tree only) gets a limit for slow binaries.
sed -i "s/^OVS_CTL_TIMEOUT=.*/OVS_CTL_TIMEOUT=${CTL_TIMEOUT:-300}/" \
    "$ovs/tests/atlocal"

# The tests' own time limits (an ovs-appctl answer within 1 s under load)
# are multiplied by RTVNIC_SLOW, and their RSS bounds are left to make
# check's normal build (tests/rtvnic-rx.at says why).
export RTVNIC_SLOW=5 RTVNIC_SANITIZED=asan
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=true:log_path=asan:detect_stack_use_after_return=1:strict_string_checks=1"
export LSAN_OPTIONS="suppressions=$top/tests/rtvnic-lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=ubsan"

# run_testsuite LOG ARG...: runs the testsuite, keeping every test's
# directory, then waits for the daemons that the last tests' cleanups are
# still stopping (those with pidfiles in the tests' directories, 30 s at
# most).
run_testsuite() {
    local out=$1
    shift
    (cd "$ovs/tests" && ./testsuite -d -j"$jobs" "$@" \
        AUTOTEST_PATH="$ovs/utilities:$ovs/vswitchd:$ovs/ovsdb:$ovs/vtep:$ovs/tests:$ovs/controller::" \
        > "$out" 2>&1)
    for i in $(seq 60); do
        alive=
        for p in "$dir"/*/*.pid "$dir"/*/*/*.pid; do
            [ -f "$p" ] && kill -0 "$(cat "$p" 2>/dev/null)" 2>/dev/null &&
                alive=yes
        done
        [ -z "$alive" ] && break
        sleep 0.5
    done
}

# collect: copies the report files of the tests' directories to
# $reportdir/TEST/ and adds their reports to $reports: one per
# "ERROR: AddressSanitizer/LeakSanitizer" header or UBSan "runtime error:"
# line (a file with neither still counts as one).
reports=0
collect() {
    local f rel n
    for f in $(find "$dir" -name 'asan.*' -o -name 'ubsan.*' | sort); do
        rel=${f#"$dir"/}
        n=$(grep -cE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$f")
        [ "$n" = 0 ] && n=1
        reports=$((reports + n))
        mkdir -p "$reportdir/${rel%%/*}"
        cp "$f" "$reportdir/${rel%%/*}/"
        echo "    test ${rel%%/*}: $rel:" \
            "$(grep -m1 -E 'ERROR: |runtime error:' "$f" | cut -c1-150)" \
            >> "$results/asan-reports.txt"
    done
}

count() {
    grep -cE "^ *[0-9]+: .* $1" "$2"
}

start=$(date +%s)
rm -rf "$dir" "$reportdir" "$results/asan-reports.txt" \
    "$results/asan-recheck.log"
run_testsuite "$log" -k rtvnic ${TESTSUITEFLAGS:-}
collect
pass=$(count 'ok$' "$log")
fail=$(count 'FAILED \(' "$log")
skip=$(count 'skipped \(' "$log")
if [ $((pass + fail)) = 0 ]; then
    echo "check-asan: no test ran (see $log)" >&2
    fail=1
fi
failed_first=$(grep -E 'FAILED \(' "$log")

rechecked=0
if [ "$fail" != 0 ] && [ "$reports" = 0 ]; then
    run_testsuite "$results/asan-recheck.log" --recheck
    collect                 # The first run left no report to count twice.
    still=$(count 'FAILED \(' "$results/asan-recheck.log")
    rechecked=$((fail - still))
    pass=$((pass + rechecked))
    fail=$still
fi

echo "check-asan: rtvnic autotests with ASan+UBSan" \
    "($(( $(date +%s) - start ))s, logs in build/check/asan*.log)"
if [ -n "$failed_first" ]; then
    echo "failed in the first run:"
    echo "$failed_first" | sed 's/^/    /'
fi
if [ "$rechecked" != 0 ] || [ -f "$results/asan-recheck.log" ]; then
    echo "recheck: $rechecked of them passed when run again"
    grep -E 'FAILED \(' "$results/asan-recheck.log" | sed 's/^/    /'
fi
if [ "$reports" != 0 ]; then
    echo "sanitizer reports (copied to $reportdir/):"
    cat "$results/asan-reports.txt"
fi
if [ "$fail" != 0 ] || [ "$reports" != 0 ]; then
    rm -rf "$results/asan.testsuite.dir"
    cp -r "$dir" "$results/asan.testsuite.dir" 2>/dev/null || true
fi
echo "check-asan: $pass passed, $fail failed, $skip skipped;" \
    "$reports sanitizer reports"
[ "$fail" = 0 ] && [ "$reports" = 0 ]
