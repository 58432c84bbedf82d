#!/usr/bin/env python3
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

"""rtvnic-latency-stalls.py SAMPLES STALL_LOG: latency percentiles with and
without this machine's stalls.

SAMPLES has one line "SENT_US LATENCY_US" per measured latency, SENT_US on
CLOCK_MONOTONIC (test-rtvctl-bench --samples).  STALL_LOG is
rtvnic-stall-probe's --monotonic log ("CPU START_NS LATENCY_NS" per stall,
'#' comments).  A sample is "in a stall" when its interval [sent, sent +
latency] overlaps a stall of any CPU or the same length of time after it:
for that long the processes measured did not run, and afterwards they work
off what arrived meanwhile.

Prints one line of key=value pairs:
    samples=N p50_ms= p99_ms= max_ms= stalls=S stall_ms=T
    in_stalls=K outside=N-K p99_outside_ms= max_outside_ms=
Exits 2 on unreadable or malformed input, naming the file and line."""

import bisect
import math
import os
import sys


def fail(msg):
    sys.stderr.write("%s: %s\n" % (os.path.basename(sys.argv[0]), msg))
    sys.exit(2)


def read_pairs(name, fields):
    pairs = []
    try:
        with open(name) as f:
            for n, line in enumerate(f, 1):
                if not line.strip() or line.startswith('#'):
                    continue
                words = line.split()
                try:
                    values = [int(w) for w in words]
                except ValueError:
                    values = []
                if len(values) != fields or min(values) < 0:
                    fail("%s:%d: expected %d non-negative integers, got %r"
                         % (name, n, fields, line.strip()))
                pairs.append(values)
    except OSError as e:
        fail("%s: %s" % (name, e.strerror))
    return pairs


def percentile(sorted_values, p):
    # Nearest rank, as test-rtvctl-bench computes its own.
    if not sorted_values:
        return 0.0
    rank = math.ceil(p / 100.0 * len(sorted_values) - 1e-6)
    return sorted_values[min(max(rank, 1), len(sorted_values)) - 1]


def merged_windows(stalls):
    """Stall windows [start, start + 2 * length] in microseconds, merged."""
    windows = sorted((s // 1000, (s + 2 * length) // 1000 + 1)
                     for _, s, length in stalls)
    merged = []
    for start, end in windows:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return merged


def main():
    if len(sys.argv) != 3:
        fail("usage: SAMPLES STALL_LOG")
    samples = read_pairs(sys.argv[1], 2)
    stalls = read_pairs(sys.argv[2], 3)
    windows = merged_windows(stalls)
    starts = [w[0] for w in windows]

    def in_stall(sent, latency):
        # The last window that starts before the sample ends.
        i = bisect.bisect_right(starts, sent + latency) - 1
        return i >= 0 and windows[i][1] >= sent

    all_lat = sorted(lat for _, lat in samples)
    outside = sorted(lat for sent, lat in samples if not in_stall(sent, lat))
    print("samples=%d p50_ms=%.3f p99_ms=%.3f max_ms=%.3f stalls=%d "
          "stall_ms=%.1f in_stalls=%d outside=%d p99_outside_ms=%.3f "
          "max_outside_ms=%.3f"
          % (len(all_lat), percentile(all_lat, 50) / 1000.0,
             percentile(all_lat, 99) / 1000.0,
             (all_lat[-1] if all_lat else 0) / 1000.0, len(stalls),
             sum(s[2] for s in stalls) / 1e6, len(all_lat) - len(outside),
             len(outside), percentile(outside, 99) / 1000.0,
             (outside[-1] if outside else 0) / 1000.0))


if __name__ == '__main__':
    main()
