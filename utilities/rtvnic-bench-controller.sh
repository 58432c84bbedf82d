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

# rtvnic-bench-controller.sh OVSDIR [N_SWITCHES [BENCH-OPTION...]]:
# benchmarks the rtvctl controller with "OVSDIR/tests/ovstest
# test-rtvctl-bench": starts OVSDIR/controller/rtvctl in a temporary run
# directory with a policy that lists the N_SWITCHES (default 10000) simulated
# hosts (switch i: datapath ID i + 1, tunnel IP 10.0.0.0 + i + 1), lets them
# all connect, measures how many reports per second rtvctl absorbs and its
# report-to-reaction latency, stops it, writes bench/results/controller.md,
# prints the table (with rtvctl's resident memory: peak and at the end) and
# checks the performance floor: 10,000 switches, at least 200,000 reports/s,
# p99 latency at most 5 ms.  Exits with status 1 if the floor is not met (or
# the benchmark failed).

set -e -o pipefail

usage() {
    echo "usage: $0 OVSDIR [N_SWITCHES [BENCH-OPTION...]]" >&2
    exit 2
}

if [ $# -lt 1 ]; then
    usage
fi
ovsdir=$(cd "$1" && pwd)
shift
n=${1:-10000}
shift || true
case $n in
    ''|*[!0-9]*) usage ;;
esac

ovstest=$ovsdir/tests/ovstest
rtvctl=$ovsdir/controller/rtvctl
for prog in "$ovstest" "$rtvctl"; do
    if [ ! -x "$prog" ]; then
        echo "$0: $prog not found or not executable (build OVS first)" >&2
        exit 2
    fi
done

min_switches=10000
min_rps=200000
max_p99_ms=5

top=$(cd "$(dirname "$0")/.." && pwd)
results=$top/bench/results
mkdir -p "$results"
md=$results/controller.md

# One descriptor per connection in both rtvctl and the benchmark, plus some.
need=$((n + 256))
if [ "$(ulimit -Sn)" != unlimited ] && [ "$(ulimit -Sn)" -lt "$need" ]; then
    hard=$(ulimit -Hn)
    if [ "$hard" != unlimited ] && [ "$hard" -lt "$need" ]; then
        echo "$0: need $need file descriptors, hard limit is $hard" >&2
        exit 2
    fi
    ulimit -Sn "$need"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/rtvnic-bench-controller.XXXXXX")
export OVS_RUNDIR=$tmp OVS_LOGDIR=$tmp OVS_DBDIR=$tmp OVS_SYSCONFDIR=$tmp
pidfile=$tmp/rtvctl.pid
stop_rtvctl() {
    if [ -s "$pidfile" ]; then
        kill "$(cat "$pidfile")" 2>/dev/null || true
        for _ in $(seq 50); do
            [ -e "$pidfile" ] || break
            sleep 0.1
        done
    fi
}
cleanup() {
    stop_rtvctl
    rm -rf "$tmp"
}
trap cleanup EXIT

# The policy: every simulated switch is a host; a change per miss report
# (no hysteresis), a long DSCP ladder and a low tightening floor, so that
# each vNIC gets several reactions (2000 us tightened by 400 us steps down
# to 100 us: 5 set_deadline, then 7 DSCP steps); no relaxing during the run.
policy=$tmp/policy.json
{
    echo '{'
    echo '    "report_interval_ms": 10,'
    echo '    "miss_ratio_threshold": 0.0,'
    echo '    "tighten_floor_us": 100,'
    echo '    "dscp_ladder": [0, 8, 10, 18, 26, 34, 40, 46],'
    echo '    "quiet_period_ms": 3600000,'
    echo '    "min_step_interval_ms": 0,'
    echo '    "hosts": ['
    for i in $(seq 1 "$n"); do
        sep=,
        [ "$i" -eq "$n" ] && sep=
        printf '        {"tunnel_ip": "10.%d.%d.%d", "datapath_id": %d}%s\n' \
               $((i >> 16 & 255)) $((i >> 8 & 255)) $((i & 255)) "$i" "$sep"
    done
    echo '    ],'
    echo '    "network_switches": []'
    echo '}'
} > "$policy"

sock=$tmp/rtvctl.sock
# The simulated switches answer echo requests only between sends to
# thousands of connections: on a loaded machine that can take longer than
# rtvctl's default 5 s probe, which is about real switches, not this.
"$rtvctl" --detach --no-chdir --pidfile="$pidfile" --inactivity-probe=30 \
          --log-file="$tmp/rtvctl.log" --policy="$policy" "punix:$sock"
pid=$(cat "$pidfile")
ctl=$tmp/rtvctl.$pid.ctl
cpu_ticks() {
    awk '{ print $14 + $15 }' "/proc/$pid/stat"
}
ticks0=$(cpu_ticks)

out=$tmp/bench.out
cmd="ovstest test-rtvctl-bench --unixctl=CTL${*:+ $*} unix:SOCK $n"
status=0
"$ovstest" test-rtvctl-bench --unixctl="$ctl" "$@" "unix:$sock" "$n" \
    | tee "$out" || status=$?

ticks1=$(cpu_ticks)
# Resident memory of rtvctl, peak and now, in MiB.
rss_mib() {
    awk -v k="$1:" '$1 == k { printf "%.1f", $2 / 1024 }' "/proc/$pid/status"
}
rss_peak=$(rss_mib VmHWM)
rss_end=$(rss_mib VmRSS)
rtvctl_cpu_s=$(awk -v t=$((ticks1 - ticks0)) -v hz="$(getconf CLK_TCK)" \
                   'BEGIN { printf "%.2f", t / hz }')
"$ovsdir/utilities/ovs-appctl" -t "$ctl" exit 2>/dev/null || true
stop_rtvctl

result=$(grep '^RESULT ' "$out" || true)
if [ -z "$result" ]; then
    keep=${TMPDIR:-/tmp}/rtvnic-bench-controller-rtvctl.log
    cp "$tmp/rtvctl.log" "$keep"
    echo "$0: the benchmark failed (status $status); rtvctl's log, kept" \
         "as $keep, ends:" >&2
    grep -v 'connection closed' "$tmp/rtvctl.log" | tail -20 >&2
    exit 1
fi
get() {
    echo "$result" | tr ' ' '\n' | sed -n "s/^$1=//p"
}
switches=$(get switches)
rps=$(get reports_per_s)
p50=$(get p50_ms)
p99=$(get p99_ms)
max=$(get max_ms)
reactions=$(get reactions)
expected=$(get expected)
tput=$(get tput_reports)
misses=$(get misses)
miss_rate=$(get miss_rate)
vnics=$(get vnics)
confirmed=$(get confirmed)
lost=$(get lost)

if [ "$status" -eq 0 ] && [ "$switches" -ge "$min_switches" ] \
   && awk -v r="$rps" -v p="$p99" -v mr="$min_rps" -v mp="$max_p99_ms" \
          'BEGIN { exit !(r >= mr && p <= mp) }'; then
    verdict=PASS
else
    verdict=FAIL
fi
floor="$switches switches (floor >= $min_switches), $rps reports/s\
 (floor >= $min_rps), p99 $p99 ms (floor <= $max_p99_ms)"
if [ "$status" -ne 0 ]; then
    floor="$floor; incomplete run: confirmed=$confirmed, $reactions of\
 $expected reactions, $lost lost"
fi

cpu=$(grep -m1 '^model name' /proc/cpuinfo 2>/dev/null \
      | sed 's/^[^:]*: *//')
[ -n "$cpu" ] || cpu=$(uname -p)
ncpu=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo '?')
{
    echo "# rtvctl controller benchmark"
    echo
    echo "- Date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "- Machine: $(uname -m), $cpu ($ncpu CPUs), Linux $(uname -r)"
    echo "- Command: \`utilities/rtvnic-bench-controller.sh OVSDIR $n$(
          [ $# -gt 0 ] && printf ' %s' "$@")\` (runs \`$cmd\` against" \
         "\`rtvctl --policy=... punix:SOCK\` on the same machine)"
    echo "- Setup: $switches simulated switches (OpenFlow over Unix sockets)," \
         "$vnics vNICs each; policy min_step_interval_ms 0, DSCP ladder" \
         "[0, 8, 10, 18, 26, 34, 40, 46], tighten floor 100 us"
    echo "- Throughput: $tput reports without misses, sent as fast as" \
         "possible over all connections; absorbed = rtvctl answered an echo" \
         "request sent after the last report on every connection, and its" \
         "report counter grew by exactly $tput (confirmed: $confirmed)"
    echo "- Latency: $misses miss reports at $miss_rate/s in total, round" \
         "robin over switches and vNICs (one outstanding per vNIC); from" \
         "sending the report to receiving rtvctl's SET_DEADLINE or" \
         "FLOW_MOD on that switch's connection"
    echo "- rtvctl CPU time over both phases: $rtvctl_cpu_s s; resident" \
         "memory: peak $rss_peak MiB, $rss_end MiB at the end"
    echo
    printf '%s%s\n' "| switches | vNICs | reports sent | reports/s | reactions " \
           "| latency p50 (ms) | p99 (ms) | max (ms) | RSS peak (MiB) |"
    printf '%s%s\n' "|---------:|------:|-------------:|----------:|----------:" \
           "|-----------------:|---------:|---------:|---------------:|"
    echo "| $switches | $((switches * vnics)) | $((tput + misses)) | $rps" \
         "| $reactions | $p50 | $p99 | $max | $rss_peak |"
    echo
    echo "Floor: $floor: **$verdict**"
} > "$md"

echo
cat "$md"
echo
echo "wrote $md"
echo "$verdict: $floor"
[ "$verdict" = PASS ]
