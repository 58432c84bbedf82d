#!/bin/bash
# rtvnic-check-valgrind.sh OVSDIR: runs the rtvnic autotests (rtvctl's
# included) with their processes under valgrind, the way OVS's "make
# check-valgrind" does (its tests/valgrind-wrapper.in, its VALGRIND options
# and suppressions, CHECK_VALGRIND=true, -d), then counts, over every
# valgrind.PID log of every test, the errors and the definitely-lost blocks
# (utilities/rtvnic-valgrind-summary.py).  Ends with
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
    tests/atconfig tests/atlocal >/dev/null ||
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
rm -rf "$ovs/tests/testsuite.dir"
VALGRIND="valgrind --log-file=valgrind.%p --leak-check=full \
${RTVNIC_VALGRIND_OPTIONS:-} --num-callers=30 \
--suppressions=$ovs/tests/glibc.supp --suppressions=$ovs/tests/openssl.supp \
--suppressions=$top/tests/rtvnic-valgrind.supp"
(cd "$ovs/tests" && nice -n 10 ./testsuite -d -j"$jobs" -k rtvnic \
    ${TESTSUITEFLAGS:-} CHECK_VALGRIND=true VALGRIND="$VALGRIND" \
    AUTOTEST_PATH="$wrappers:$ovs/utilities:$ovs/vswitchd:$ovs/ovsdb:$ovs/vtep:$ovs/tests:$ovs/controller::" \
    > "$log" 2>&1)

pass=$(grep -cE '^ *[0-9]+: .* ok$' "$log")
fail=$(grep -cE '^ *[0-9]+: .* FAILED \(' "$log")
skip=$(grep -cE '^ *[0-9]+: .* skipped \(' "$log")
if [ $((pass + fail)) = 0 ]; then
    echo "check-valgrind-rtvnic: no test ran (see $log)" >&2
    fail=1
fi
grep -E 'FAILED \(' "$log" | sed 's/^/    /'
python3 "$top/utilities/rtvnic-valgrind-summary.py" \
    "$ovs/tests/testsuite.dir" > "$results/valgrind-summary.txt"
vg=$?
grep -v '^valgrind: ' "$results/valgrind-summary.txt" | head -200
echo "check-valgrind-rtvnic: $pass passed, $fail failed, $skip skipped" \
    "($(( $(date +%s) - start ))s; logs in $ovs/tests/testsuite.dir/*/valgrind.*)"
tail -1 "$results/valgrind-summary.txt"
[ "$fail" = 0 ] && [ "$vg" = 0 ]
