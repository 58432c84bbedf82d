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

"""rtvnic-paired.py: a floor judged on paired, interleaved runs.

    rtvnic-paired.py [--floor F] [--ceiling C] [--min N] [--max M] FILE

FILE has one line per pair of runs made back to back: "BASELINE CANDIDATE"
(e.g. packets per second without QoS and with rtvnic).  The ratio of a
pair, CANDIDATE / BASELINE, cancels what the machine did to both runs of
it; the pairs' geometric mean ratio has a 95 % confidence interval from
Student's t on the log ratios.  One line is printed:

    pairs=N ratio=R ci95=LOW..HIGH floor=F ceiling=C verdict=V

A floor F (higher is better: throughput) holds when LOW >= F; a ceiling C
(lower is better: misses, or the upper side of "within 5 %") holds when
HIGH <= C; at least one of them is given, both for a band.  V is PASS (every
bound holds), FAIL (the interval lies wholly outside one: HIGH < F or
LOW > C), or, while the interval straddles a bound, MORE (fewer than M
pairs: run another) and FAIL-UNDECIDED (M pairs and still straddling: a
floor not shown to hold is not met).  Fewer than N pairs (default 5) is
always MORE.  The parts of the line for a bound not given are left out.

Exit status: 0 for PASS or FAIL (decided), 3 for MORE, 1 for
FAIL-UNDECIDED, 2 for bad input.  A benchmark runs pairs until the status
is not 3, so that two runs of it give the same verdict unless the truth is
within the interval's width of the bound, and says how many pairs it took
and how wide the interval was.  Other benchmark scripts import judge() and
verdict_line() (bench/rtvnic-bench-core.py).
"""

import argparse
import math
import sys

# Student's t, two-sided 95 % (0.975 quantile), by degrees of freedom.
T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262,
        2.228, 2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101,
        2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052,
        2.048, 2.045, 2.042]


def t975(df):
    return T975[df - 1] if df <= len(T975) else 1.960


def judge(pairs, floor, min_pairs, max_pairs, ceiling=None):
    """Returns (n, ratio, low, high, verdict) for 'pairs' of
    (baseline, candidate); 'floor' or 'ceiling' may be None."""
    logs = [math.log(c / b) for b, c in pairs]
    n = len(logs)
    mean = sum(logs) / n
    if n > 1:
        sd = math.sqrt(sum((x - mean) ** 2 for x in logs) / (n - 1))
        half = t975(n - 1) * sd / math.sqrt(n)
    else:
        half = math.inf
    low, high = math.exp(mean - half), math.exp(mean + half)
    holds = ((floor is None or low >= floor)
             and (ceiling is None or high <= ceiling))
    broken = ((floor is not None and high < floor)
              or (ceiling is not None and low > ceiling))
    if n < min_pairs:
        verdict = 'MORE'
    elif holds:
        verdict = 'PASS'
    elif broken:
        verdict = 'FAIL'
    elif n < max_pairs:
        verdict = 'MORE'
    else:
        verdict = 'FAIL-UNDECIDED'
    return n, math.exp(mean), low, high, verdict


def verdict_line(judged, floor, ceiling=None):
    """The printed line for judge()'s result."""
    n, ratio, low, high, verdict = judged
    return ('pairs=%d ratio=%.3f ci95=%.3f..%s%s%s verdict=%s'
            % (n, ratio, low, '%.3f' % high if math.isfinite(high) else 'inf',
               '' if floor is None else ' floor=%g' % floor,
               '' if ceiling is None else ' ceiling=%g' % ceiling, verdict))


def fail(msg):
    sys.stderr.write('rtvnic-paired.py: %s\n' % msg)
    sys.exit(2)


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--floor', type=float)
    p.add_argument('--ceiling', type=float)
    p.add_argument('--min', type=int, default=5)
    p.add_argument('--max', type=int, default=15)
    p.add_argument('file')
    a = p.parse_args()

    pairs = []
    with open(a.file) as f:
        for n, line in enumerate(f, 1):
            fields = line.split()
            if not fields:
                continue
            try:
                b, c = (float(x) for x in fields)
            except ValueError:
                b = c = 0
            if not (b > 0 and c > 0 and math.isfinite(b)
                    and math.isfinite(c)):
                fail('%s:%d: want two positive numbers, got "%s"'
                     % (a.file, n, line.strip()))
            pairs.append((b, c))
    if not pairs:
        fail('%s: no pairs' % a.file)
    if a.floor is None and a.ceiling is None:
        fail('want --floor, --ceiling or both')
    if not ((a.floor is None or a.floor > 0)
            and (a.ceiling is None or a.ceiling > 0)
            and 2 <= a.min <= a.max):
        fail('want --floor > 0, --ceiling > 0 and 2 <= --min <= --max')

    judged = judge(pairs, a.floor, a.min, a.max, a.ceiling)
    print(verdict_line(judged, a.floor, a.ceiling))
    sys.exit({'PASS': 0, 'FAIL': 0, 'MORE': 3,
              'FAIL-UNDECIDED': 1}[judged[4]])


if __name__ == '__main__':
    main()
