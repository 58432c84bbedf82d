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

# rtvnic-bench-rx.sh OVSDIR [N_FLOWS [N_PACKETS [ROUNDS]]]: what a datapath
# thread pays to record one stamped packet with N_FLOWS (default 10000)
# receive flows while another thread formats "rtvnic/flows" in a loop,
# against the same without it ("OVSDIR/tests/ovstest test-rtvnic-rx-bench").
# Writes bench/results/rx.md, prints the table and checks the target: the
# recording thread's CPU time per packet, polled, within 10 % of the same
# idle (medians).  Exits with status 1 if it is not met.  The wall-clock
# ratio is printed too: with fewer than two free cores it measures the
# scheduler (the formatting thread takes CPU from the recording one) more
# than the locking; the longest batch shows any wait.

set -e -o pipefail

if [ $# -lt 1 ] || [ $# -gt 4 ]; then
    echo "usage: $0 OVSDIR [N_FLOWS [N_PACKETS [ROUNDS]]]" >&2
    exit 2
fi
ovsdir=$1
shift
ovstest=$ovsdir/tests/ovstest
if [ ! -x "$ovstest" ]; then
    echo "$0: $ovstest not found or not executable (build OVS first)" >&2
    exit 2
fi
max_ratio=1.10

top=$(cd "$(dirname "$0")/.." && pwd)
results=$top/bench/results
mkdir -p "$results"
md=$results/rx.md
out=$(mktemp)
trap 'rm -f "$out"' EXIT

"$ovstest" test-rtvnic-rx-bench "$@" | tee "$out"
result=$(grep '^result:' "$out")
ratio=$(echo "$result" | sed 's/.* cpu_ratio \([0-9.]*\).*/\1/')
wall_ratio=$(echo "$result" | sed 's/.* ratio \([0-9.]*\) .*/\1/')
if awk -v r="$ratio" -v m="$max_ratio" 'BEGIN { exit !(r <= m) }'; then
    verdict=PASS
else
    verdict=FAIL
fi

cpu=$(grep -m1 '^model name' /proc/cpuinfo 2>/dev/null \
      | sed 's/^[^:]*: *//')
[ -n "$cpu" ] || cpu=$(uname -p)
ncpu=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo '?')
{
    echo "# rtvnic-rx benchmark"
    echo
    echo "- Date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "- Machine: $(uname -m), $cpu ($ncpu CPUs), Linux $(uname -r)," \
         "load average $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- Command: \`ovstest test-rtvnic-rx-bench $*\`"
    echo
    echo '```'
    grep -v '^result:' "$out"
    echo '```'
    echo
    echo "$result"
    echo
    echo "Target: recording thread CPU ns/packet, polled/idle <=" \
         "$max_ratio: $ratio: **$verdict** (wall clock: $wall_ratio)"
} > "$md"

echo
echo "wrote $md"
echo "$verdict: polled/idle CPU ns per packet ratio $ratio (target <=" \
     "$max_ratio); wall clock ratio $wall_ratio"
[ "$verdict" = PASS ]
