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
# TESTSUITEFLAGS adds testsuite options (e.g. a list of test numbers).
set -u
ovs=$(cd "$1" && pwd)
jobs=${JOBS:-$(nproc)}
top=$(cd "$(dirname "$0")/.." && pwd)
results=$top/build/check
mkdir -p "$results"
log=$results/asan.log

make -s -C "$ovs" tests/testsuite tests/atconfig tests/atlocal >/dev/null ||
    { echo "check-asan: cannot build $ovs/tests/testsuite" >&2; exit 1; }

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=true:log_path=asan:detect_stack_use_after_return=1:strict_string_checks=1"
export LSAN_OPTIONS="suppressions=$top/tests/rtvnic-lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=ubsan"

start=$(date +%s)
dir=$ovs/tests/testsuite.dir
rm -rf "$dir"
(cd "$ovs/tests" && ./testsuite -d -j"$jobs" -k rtvnic ${TESTSUITEFLAGS:-} \
    AUTOTEST_PATH="$ovs/utilities:$ovs/vswitchd:$ovs/ovsdb:$ovs/vtep:$ovs/tests:$ovs/controller::" \
    > "$log" 2>&1)

# The cleanup of the last tests may still be stopping daemons: wait for the
# processes whose pidfiles are in the tests' directories (at most 30 s).
for i in $(seq 60); do
    alive=
    for p in "$dir"/*/*.pid "$dir"/*/*/*.pid; do
        [ -f "$p" ] && kill -0 "$(cat "$p" 2>/dev/null)" 2>/dev/null &&
            alive=yes
    done
    [ -z "$alive" ] && break
    sleep 0.5
done

pass=$(grep -cE '^ *[0-9]+: .* ok$' "$log")
fail=$(grep -cE '^ *[0-9]+: .* FAILED \(' "$log")
skip=$(grep -cE '^ *[0-9]+: .* skipped \(' "$log")
if [ $((pass + fail)) = 0 ]; then
    echo "check-asan: no test ran (see $log)" >&2
    fail=1
fi

# One report per "ERROR: AddressSanitizer/LeakSanitizer" header or UBSan
# "runtime error:" line; a file that has neither still counts as one.
reports=0
files=$(find "$dir" -name 'asan.*' -o -name 'ubsan.*' | sort)
rm -rf "$results/asan-reports"
for f in $files; do
    n=$(grep -cE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$f")
    [ "$n" = 0 ] && n=1
    reports=$((reports + n))
    t=$(basename "$(dirname "${f#"$dir"/}")")
    mkdir -p "$results/asan-reports/$t"
    cp "$f" "$results/asan-reports/$t/"
done

echo "check-asan: rtvnic autotests with ASan+UBSan ($(( $(date +%s) - start ))s)"
grep -E 'FAILED \(' "$log" | sed 's/^/    /'
if [ -n "$files" ]; then
    echo "sanitizer reports (copied to $results/asan-reports/):"
    for f in $files; do
        t=${f#"$dir"/}
        first=$(grep -m1 -E 'ERROR: |runtime error:' "$f" | cut -c1-150)
        echo "    test ${t%%/*}: $(basename "$f"): $first"
    done
fi
if [ "$fail" != 0 ] || [ "$reports" != 0 ]; then
    rm -rf "$results/asan.testsuite.dir"
    cp -r "$dir" "$results/asan.testsuite.dir" 2>/dev/null || true
fi
echo "check-asan: $pass passed, $fail failed, $skip skipped;" \
    "$reports sanitizer reports"
[ "$fail" = 0 ] && [ "$reports" = 0 ]
