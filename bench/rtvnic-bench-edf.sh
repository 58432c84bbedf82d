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

# rtvnic-bench-edf.sh OVSDIR [N_PAIRS]: benchmarks the rtvnic-edf queue
# against OVS's lib/heap.c with "OVSDIR/tests/ovstest test-rtvnic-edf bench",
# writes bench/results/edf.md and bench/results/edf.csv, prints the table and
# checks the performance floor: with 100k nodes queued in a contiguous array,
# at most 40 ns per pop+insert pair and at least 3x faster than the heap.
# Exits with status 1 if the floor is not met.

set -e -o pipefail

usage() {
    echo "usage: $0 OVSDIR [N_PAIRS]" >&2
    exit 2
}

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
    usage
fi
ovsdir=$1
pairs=${2:-}
ovstest=$ovsdir/tests/ovstest
if [ ! -x "$ovstest" ]; then
    echo "$0: $ovstest not found or not executable (build OVS first)" >&2
    exit 2
fi

max_ns=40
min_speedup=3

top=$(cd "$(dirname "$0")/.." && pwd)
results=$top/bench/results
mkdir -p "$results"
md=$results/edf.md
csv=$results/edf.csv
tmp_csv=$results/edf.csv.tmp
trap 'rm -f "$tmp_csv"' EXIT

"$ovstest" test-rtvnic-edf bench ${pairs:+"$pairs"} --csv "$tmp_csv"
mv -f "$tmp_csv" "$csv"

# Floor check on the 100k contiguous row.
row=$(awk -F, '$1 == 100000 && $2 == "contiguous"' "$csv")
if [ -z "$row" ]; then
    echo "$0: no 100000/contiguous row in $csv" >&2
    exit 1
fi
edf_ns=$(echo "$row" | cut -d, -f3)
heap_ns=$(echo "$row" | cut -d, -f4)
speedup=$(echo "$row" | cut -d, -f5)
if awk -v e="$edf_ns" -v s="$speedup" -v m="$max_ns" -v k="$min_speedup" \
       'BEGIN { exit !(e <= m && s >= k) }'; then
    verdict=PASS
else
    verdict=FAIL
fi
floor="100k contiguous: $edf_ns ns/pair (floor <= $max_ns), ${speedup}x vs\
 heap $heap_ns ns/pair (floor >= ${min_speedup}x)"

cpu=$(grep -m1 '^model name' /proc/cpuinfo 2>/dev/null \
      | sed 's/^[^:]*: *//')
[ -n "$cpu" ] || cpu=$(uname -p)
ncpu=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo '?')
{
    echo "# rtvnic-edf benchmark"
    echo
    echo "- Date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "- Machine: $(uname -m), $cpu ($ncpu CPUs), Linux $(uname -r)"
    echo "- Command: \`ovstest test-rtvnic-edf bench${pairs:+ $pairs}\`" \
         "(steady-state pop-earliest + reinsert pairs, deadlines" \
         "now + uniform(0, 100 ms); best of 3 runs per case)"
    echo "- Baseline: OVS lib/heap.c (heap_max() + heap_remove() +" \
         "heap_insert())"
    echo
    echo "| queued | shape | rtvnic-edf ns/pair | heap ns/pair | speedup |"
    echo "|-------:|-------|-------------------:|-------------:|--------:|"
    tail -n +2 "$csv" | awk -F, \
        '{ printf "| %s | %s | %.1f | %.1f | %.2fx |\n", $1, $2, $3, $4, $5 }'
    echo
    echo "Floor: $floor: **$verdict**"
} > "$md"

echo
echo "wrote $md and $csv"
echo "$verdict: $floor"
[ "$verdict" = PASS ]
