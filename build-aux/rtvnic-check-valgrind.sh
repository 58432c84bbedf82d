#!/bin/bash
# rtvnic-check-valgrind.sh OVSDIR: runs the rtvnic autotests (rtvctl's
# included) with their processes under valgrind, the way OVS's "make
# check-valgrind" does (its tests/valgrind-wrapper.in, its VALGRIND options
# and suppressions, CHECK_VALGRIND=true, -d), then counts, over every
# valgrind.PID log of every test, the errors and the definitely-lost blocks
# (build-aux/rtvnic-valgrind-summary.py).  Ends with
#   "check-valgrind-rtvnic: N passed, M failed, S skipped"
#   "valgrind: L logs, E errors (...), D definitely lost blocks (...)..."
# and fails unless M, E and D are all 0.  Slow (tens of minutes); runs at
# nice 10.
#
# The programs that run RTvNIC code go under valgrind: ovs-vswitchd,
# ovs-ofctl (NXT_RTVNIC decoding and printing), ovstest (our unit tests) and
# rtvctl.  ovsdb-server, ovs-vsctl and ovs-appctl, stock programs with none
# of our code that the tests start hundreds of times, run natively: under
# valgrind each start costs a second or more of CPU, which made a run take
# hours here, and on a loaded machine their "Unreasonably long poll
# interval" warnings break the tests' stderr checks.
# RTVNIC_VALGRIND_PROGRAMS=all wraps every program OVS's check-valgrind
# wraps, plus rtvctl.  --track-origins=yes, which OVS uses, doubles the
# cost; RTVNIC_VALGRIND_OPTIONS=--track-origins=yes adds it back (to find
# where an uninitialised value came from).
#
# tests/rtvnic-valgrind.supp holds the suppressions for stock OVS code, each
# with its reason.  TESTSUITEFLAGS adds testsuite options (test numbers).
set -u
ovs=$(cd "$1" && pwd)
top=$(cd "$(dirname "$0")/.." && pwd)
jobs=${JOBS:-$(nproc)}
results=$top/build/check
mkdir -p "$results"
log=$results/valgrind.log

programs=${RTVNIC_VALGRIND_PROGRAMS:-ovs-vswitchd ovs-ofctl ovstest rtvctl}
if [ "$programs" = all ]; then
    programs="ovs-appctl ovs-ofctl ovs-vsctl ovs-vswitchd ovsdb-client
ovsdb-server ovsdb-tool ovstest test-ovsdb test-skiplist test-strtok_r
test-type-props rtvctl"
fi

command -v valgrind >/dev/null ||
    { echo "check-valgrind-rtvnic: valgrind is not installed" >&2; exit 1; }
make -s -C "$ovs" -j"$jobs" all tests/ovstest tests/testsuite \
    tests/atconfig tests/atlocal tests/testpki-cacert.pem \
    tests/testpki-cert.pem tests/testpki-privkey.pem tests/testpki-cert2.pem \
    tests/testpki-privkey2.pem >/dev/null ||
    { echo "check-valgrind-rtvnic: cannot build $ovs" >&2; exit 1; }
wrappers=$ovs/tests/valgrind-rtvnic
rm -rf "$wrappers"
mkdir -p "$wrappers"
for p in $programs; do
    sed -e "s,[@]wrap_program[@],$p," "$ovs/tests/valgrind-wrapper.in" \
        > "$wrappers/$p"
    chmod +x "$wrappers/$p"
done

start=$(date +%s)
dir=$ovs/tests/testsuite.dir
first=$results/valgrind-first
rm -rf "$dir" "$first" "$results/valgrind-recheck.log"
VALGRIND="valgrind --log-file=valgrind.%p --leak-check=full \
${RTVNIC_VALGRIND_OPTIONS:-} --num-callers=30 \
--suppressions=$ovs/tests/glibc.supp --suppressions=$ovs/tests/openssl.supp \
--suppressions=$top/tests/rtvnic-valgrind.supp"
# Time limits of the tests x20 under valgrind; RSS bounds are make check's
# (see build-aux/rtvnic-check-asan.sh).
export RTVNIC_SLOW=20 RTVNIC_SANITIZED=valgrind

run_testsuite() {
    local out=$1
    shift
    (cd "$ovs/tests" && nice -n 10 ./testsuite -d -j"$jobs" "$@" \
        CHECK_VALGRIND=true VALGRIND="$VALGRIND" \
        AUTOTEST_PATH="$wrappers:$ovs/utilities:$ovs/vswitchd:$ovs/ovsdb:$ovs/vtep:$ovs/tests:$ovs/controller::" \
        > "$out" 2>&1)
}
count() {
    grep -cE "^ *[0-9]+: .* $1" "$2"
}

run_testsuite "$log" -k rtvnic ${TESTSUITEFLAGS:-}
pass=$(count 'ok$' "$log")
fail=$(count 'FAILED \(' "$log")
skip=$(count 'skipped \(' "$log")
if [ $((pass + fail)) = 0 ]; then
    echo "check-valgrind-rtvnic: no test ran (see $log)" >&2
    fail=1
fi
failed_first=$(grep -E 'FAILED \(' "$log")

# Tests that failed (valgrind makes the daemons ~20 times slower, and some
# tests check timing) run once more, as OVS's RECHECK=yes does; the first
# run's logs of those tests are kept in $first and counted too.
rechecked=0
if [ "$fail" != 0 ]; then
    mkdir -p "$first"
    for t in $(echo "$failed_first" | sed -n 's/^ *\([0-9]*\):.*/\1/p'); do
        (cd "$dir" && find "$t" -name 'valgrind.*' \
            -exec cp --parents {} "$first/" \;)
    done
    run_testsuite "$results/valgrind-recheck.log" --recheck
    still=$(count 'FAILED \(' "$results/valgrind-recheck.log")
    rechecked=$((fail - still))
    pass=$((pass + rechecked))
    fail=$still
fi

python3 "$top/build-aux/rtvnic-valgrind-summary.py" "$dir" \
    $( [ -d "$first" ] && echo "$first") > "$results/valgrind-summary.txt"
vg=$?
grep -v '^valgrind: ' "$results/valgrind-summary.txt" | head -200
if [ -n "$failed_first" ]; then
    echo "failed in the first run:"
    echo "$failed_first" | sed 's/^/    /'
    echo "recheck: $rechecked of them passed when run again"
    grep -E 'FAILED \(' "$results/valgrind-recheck.log" | sed 's/^/    /'
fi
echo "check-valgrind-rtvnic: $pass passed, $fail failed, $skip skipped" \
    "($(( $(date +%s) - start ))s; logs in $dir/*/valgrind.*)"
tail -1 "$results/valgrind-summary.txt"
[ "$fail" = 0 ] && [ "$vg" = 0 ]
