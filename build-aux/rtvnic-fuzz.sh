#!/bin/bash
# rtvnic-fuzz.sh OVSDIR SECONDS [TARGET...]: runs each libFuzzer target of
# tests/fuzz/ (built in OVSDIR, the fuzz tree, as OVSDIR/tests/fuzz/
# TARGET_target): first once on every file of its corpus
# tests/fuzz/corpus/TARGET/, whole (seeds and the regression inputs of fixed
# defects), then for SECONDS seconds of fuzzing from a copy of that corpus,
# so that the tree stays clean: the copy and what libFuzzer adds to it, the
# logs and any reproducer go to build/fuzz-run/TARGET/.  tests/fuzz/TARGET.dict is used if it exists, and
# tests/fuzz/TARGET.options holds extra libFuzzer flags, one a line.
#
# Prints one line per target (runs, exec/s, libFuzzer's final cov: and ft:)
# and exits 1 if any target crashed, timed out or ran out of memory, after
# printing the sanitizer's report and the reproducer's path (rerun it with
# "OVSDIR/tests/fuzz/TARGET_target REPRODUCER").
#
# Without TARGET, runs every target.  FUZZ_NICE=N runs them under nice -n N;
# FUZZ_WORK=DIR works in DIR instead of build/fuzz-run.
set -u
ovs=$1
secs=$2
shift 2
targets=${*:-rtvnic_rx rtvnic_report rtvnic_config rtvctl_policy \
rtvctl_switch}
top=$(pwd)
work=${FUZZ_WORK:-$top/build/fuzz-run}
nice=()
if [ -n "${FUZZ_NICE:-}" ]; then
    nice=(nice -n "$FUZZ_NICE")
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

failed=
for t in $targets; do
    bin=$ovs/tests/fuzz/${t}_target
    dir=$work/$t
    if [ ! -x "$bin" ]; then
        echo "fuzz $t: $bin not built" >&2
        failed=yes
        continue
    fi
    rm -rf "$dir"
    mkdir -p "$dir/corpus" "$dir/artifacts"
    cp tests/fuzz/corpus/"$t"/* "$dir/corpus/"

    args=(-max_total_time="$secs" -print_final_stats=1 -timeout=10
          -rss_limit_mb=2048 -artifact_prefix="$dir/artifacts/")
    if [ -f tests/fuzz/"$t".dict ]; then
        args+=(-dict="$top/tests/fuzz/$t.dict")
    fi
    if [ -f tests/fuzz/"$t".options ]; then
        while read -r opt; do
            case $opt in
                -*) args+=("$opt") ;;
            esac
        done < tests/fuzz/"$t".options
    fi

    # First every corpus file once, whole (fuzzing truncates inputs to
    # -max_len): the regression inputs of fixed defects stay fixed.
    if ! "$bin" -artifact_prefix="$dir/artifacts/" tests/fuzz/corpus/"$t"/* \
            > "$dir/regress.log" 2>&1; then
        failed=yes
        echo "fuzz $t: FAILED on its corpus; the report:" >&2
        grep -E -A40 'fuzz check failed|^==[0-9]+==|runtime error' \
            "$dir/regress.log" | head -60 >&2
        grep '^Running: ' "$dir/regress.log" | tail -1 \
            | sed "s/^Running: /fuzz $t: reproducer: /" >&2
        echo "fuzz $t: full log: $dir/regress.log" >&2
        continue
    fi

    "${nice[@]}" "$bin" "${args[@]}" "$dir/corpus" > "$dir/log" 2>&1
    rc=$?

    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" \
           | tail -1)
    speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$dir/log" \
            | tail -1)
    last=$(grep -E '^#[0-9]+.*cov: ' "$dir/log" | tail -1)
    cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
    ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
    crashes=$(find "$dir/artifacts" -type f | wc -l)
    echo "fuzz $t: ${runs:-?} runs in ${secs} s, ${speed:-?} exec/s," \
         "cov ${cov:-?}, ft ${ft:-?}, crashes $crashes"
    if [ $rc != 0 ] || [ "$crashes" != 0 ]; then
        failed=yes
        echo "fuzz $t: FAILED (exit status $rc); the report:" >&2
        grep -E -A40 'fuzz check failed|^==[0-9]+==|runtime error' \
            "$dir/log" | head -60 >&2
        for f in "$dir"/artifacts/*; do
            [ -f "$f" ] && echo "fuzz $t: reproducer: $f" >&2
        done
        echo "fuzz $t: full log: $dir/log" >&2
    fi
done

if [ -n "$failed" ]; then
    echo "fuzz: FAILED" >&2
    exit 1
fi
echo "fuzz: all targets ran ${secs} s each without a crash"
