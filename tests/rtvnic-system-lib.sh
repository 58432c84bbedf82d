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

# rtvnic-system-lib.sh: the result bookkeeping of the network-namespace
# system tests (tests/system-rtvnic*.sh), sourced by them, not run.  The
# runners (build-aux/rtvnic-check.sh, rtvnic-check-dpdk.sh) count the
# "PASS: " and "FAIL: " lines it prints.
#
#   st_init NAME        starts counting; NAME heads the summary line
#   pass WHAT           a check passed: prints "PASS: WHAT"
#   fail WHAT [DETAILS] a check failed: prints "FAIL: WHAT (DETAILS)"
#   check WHAT CMD...   pass or fail by CMD's exit status; the details of a
#                       failure are in $why, which CMD may set
#   abort WHAT DETAILS  fails and ends the test at once (done, not aborted)
#   st_results FILE     the checks a helper program wrote to FILE: prints
#                       its "INFO: ", "PASS: " and "FAIL: " lines and counts
#                       the last two; anything else goes to stderr
#   st_summary RC       prints the summary line and exits: 0 if the test
#                       got to its end (the caller set done_ok=1) with no
#                       failure, else 1; RC is the status the test exited
#                       with, shown when it did not get to its end
#
# A test's EXIT trap tears down what it started, then calls st_summary.

st_init() {
    st_name=$1
    passed=0
    failed=0
    start_s=$(date +%s)
}

pass() { echo "PASS: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $1 (${2:-})"; failed=$((failed + 1)); }

check() {
    local what=$1
    shift
    if "$@"; then pass "$what"; else fail "$what" "$why"; fi
}

abort() { fail "$1" "$2"; done_ok=1; exit 1; }

st_results() {
    grep -v '^INFO: \|^PASS: \|^FAIL: ' "$1" >&2
    grep '^INFO: \|^PASS: \|^FAIL: ' "$1"
    passed=$((passed + $(grep -c '^PASS: ' "$1")))
    failed=$((failed + $(grep -c '^FAIL: ' "$1")))
}

st_summary() {
    if [ "${done_ok:-}" = 1 ]; then
        echo "$st_name: $passed passed, $failed failed ($(( $(date +%s) - start_s )) s)"
        [ "$failed" = 0 ] && exit 0 || exit 1
    fi
    echo "$st_name: aborted (status $1); $passed passed, $failed failed"
    exit 1
}
