#!/bin/bash
# rtvnic-check-valgrind.sh OVSDIR: runs the rtvnic autotests (rtvctl's
# included) under valgrind through OVS's "make check-valgrind" in OVSDIR,
# then counts, over every valgrind.PID log of every test, the errors and the
# definitely-lost blocks (utilities/rtvnic-valgrind-summary.py).  Ends with
#   "check-valgrind-rtvnic: N passed, M failed, S skipped"
#   "valgrind: L logs, E errors (...), D definitely lost blocks (...)..."
# and fails unless M, E and D are all 0.  Slow (tens of minutes); runs at
# nice 10.
#
# OVS's wrappers (tests/valgrind/PROGRAM) cover its daemons and utilities;
# this adds one for rtvctl, and controller/ to AUTOTEST_PATH.
# tests/rtvnic-valgrind.supp holds the suppressions for stock OVS code, each
# with its reason.  TESTSUITEFLAGS adds testsuite options.
set -u
ovs=$(cd "$1" && pwd)
top=$(cd "$(dirname "$0")/.." && pwd)
jobs=${JOBS:-$(nproc)}
results=$top/build/check
mkdir -p "$results"
log=$results/valgrind.log

command -v valgrind >/dev/null ||
    { echo "check-valgrind-rtvnic: valgrind is not installed" >&2; exit 1; }
make -s -C "$ovs" -j"$jobs" tests/ovstest >/dev/null ||
    { echo "check-valgrind-rtvnic: cannot build $ovs/tests/ovstest" >&2
      exit 1; }
mkdir -p "$ovs/tests/valgrind"
sed -e 's,[@]wrap_program[@],tests/valgrind/rtvctl,' \
    "$ovs/tests/valgrind-wrapper.in" > "$ovs/tests/valgrind/rtvctl"
chmod +x "$ovs/tests/valgrind/rtvctl"

start=$(date +%s)
rm -rf "$ovs/tests/testsuite.dir"
VALGRIND="valgrind --log-file=valgrind.%p --leak-check=full \
--track-origins=yes --num-callers=30 \
--suppressions=$ovs/tests/glibc.supp --suppressions=$ovs/tests/openssl.supp \
--suppressions=$top/tests/rtvnic-valgrind.supp"
nice -n 10 make -C "$ovs" check-valgrind VALGRIND="$VALGRIND" \
    AUTOTEST_PATH="utilities:vswitchd:ovsdb:vtep:tests:ipsec:controller" \
    TESTSUITEFLAGS="-j$jobs -k rtvnic ${TESTSUITEFLAGS:-}" > "$log" 2>&1

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
