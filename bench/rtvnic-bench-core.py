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

"""rtvnic-bench-core.py [--md FILE] [--json FILE] [--header TEXT]
[--min-pairs N] [--max-pairs M] RUNDIR...: the table of make bench-core
(bench/rtvnic-bench-core.sh) from its runs' own data.  RUNDIRs in run order; consecutive runs through the htb core and
the OVS core (RUNDIR/core: "linux" or "ovs") form the pairs.

Per run, from bench/rtvnic-feedback-measure.py's measurement (its
definitions: congestion = [first, last cross datagram sent], miss, machine
stall, convergence) and the run's files:
  p99        per RT flow, the one-way delay p99 of the datagrams sent during
             the congestion and received (lost ones are counted apart);
  misses     per RT flow, the misses during the congestion, lost datagrams
             included (feedback-measure.py counts a lost one as a miss at
             its deadline); "own": without
             the misses of datagrams on their way during a machine stall
             (feedback-measure.py's convergence without machine stalls
             leaves out the same);
  restore    per RT flow, the time to restore the contract: congestion onset
             to the last miss during it (convergence without machine
             stalls; "-" if the flow never missed);
  BE goodput best-effort UDP payload that crossed the bottleneck during the
             congestion, Mbit/s: vm1c's flow (its receiver's per-second
             byte counts, the whole seconds inside [onset + 1 s, end],
             seconds counted from t0) plus the cross traffic's (host2's
             br-phy drop flow's packets x 1472 bytes over the congestion's
             length): both share the core's best-effort class or path.
             The sum is the floor's measure: it is what the bottleneck
             carried for best effort, whichever flow the core's drop-tail
             queue happened to favour.
Floors, judged on the pairs as bench/rtvnic-paired.py judges a floor
(each pair's ratio OVS / htb cancels what the machine did to both of its
runs; the geometric mean ratio's 95 % interval from Student's t; at least
N pairs, default 5, at most M, default 10):
  RT misses  the RT misses during the congestion (both flows, all of them;
             a datagram that never arrived is a miss too, so a core that
             drops late packets, late-policy drop, gains nothing by it),
             plus 1 so that a pair without any has a ratio: OVS <= htb,
             i.e. the interval's upper end <= 1;
  BE goodput the sum's ratio within 5 %: the interval inside 0.95..1.05.
The same ratio of the misses without machine stalls is shown for
information: on this machine a run has hundreds to thousands of stalls, so
which misses overlap one, and so that count, follows the run's stall count
more than the core (a pair's two runs differ by up to 5 times in it),
while a miss is a miss in both runs of a pair alike.
Exit status 0 when every floor is decided (PASS, FAIL, or FAIL-UNDECIDED
at M pairs), 3 while one needs more pairs (the caller runs another), 2 on
unusable input.

A run's measurement is kept in RUNDIR/bench-core.json and used again while
that file is newer than every other file of the run and than this script
and rtvnic-feedback-measure.py: the caller runs this after every pair,
each time with all the runs so far.
"""

import importlib.util
import json
import os
import re
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CROSS_PAYLOAD = 1472
BE_FLOOR = 0.05
CACHE = "bench-core.json"


def die(msg):
    sys.stderr.write("rtvnic-bench-core: %s\n" % msg)
    sys.exit(2)


def load_module(name, file_name):
    spec = importlib.util.spec_from_file_location(
        name, os.path.join(HERE, file_name))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def be_goodput(run, t0, on, end):
    """vm1c's goodput (Mbit/s) over the whole seconds in [on + 1, end]."""
    got = []
    try:
        lines = open(run + "/be.out").read().splitlines()
    except OSError:
        return None
    for line in lines:
        m = re.match(r"^t=(\d+)s id=3 .*bytes=(\d+)", line)
        if m:
            sec = int(m[1])
            if t0 + sec - 1 >= on + 1 and t0 + sec <= end:
                got.append(int(m[2]))
    return sum(got) * 8 / 1e6 / len(got) if got else None


def cross_delivered(run):
    try:
        text = open(run + "/cross.delivered").read()
    except OSError:
        return None
    m = re.search(r"n_packets=(\d+)", text)
    return int(m[1]) if m else None


def one(fbm, run):
    core = open(run + "/core").read().strip()
    res = fbm.measure(run, 500)
    on, end, t0 = res["onset"], res["end"], res["t0"]
    stalls = res["stalls"]
    r = {"run": os.path.basename(run), "core": "htb" if core == "linux"
         else core, "onset_s": round(on - t0, 3),
         "congestion_s": round(end - on, 3),
         "machine_stalls": sum(stalls["cpu_stalls"]) if stalls else None,
         "longest_stall_ms": max(stalls["cpu_longest_ms"]) if stalls else None,
         "other_cpu_s": res["other_cpu_s"], "flows": {}}
    try:
        r["idle_pct"] = int(open(run + "/idle").read())
    except (OSError, ValueError):
        r["idle_pct"] = None
    for f in res["flows"]:
        sends, _ = fbm.read_sends("%s/%s.send" % (run, f["name"]))
        recvs = fbm.read_recvs("%s/%s.recv" % (run, f["name"]))
        seen = set()
        delays = []
        for q, s, rcv in recvs:
            if q in seen:
                continue
            seen.add(q)
            if on <= s / 1e9 <= end:
                delays.append((rcv - s) / 1e6)
        lost = sum(1 for q, s in sends.items()
                   if on <= s / 1e9 <= end and q not in seen)
        delays.sort()
        own = f["misses_congestion"] - f["misses_machine_stall"]
        r["flows"][f["name"]] = {
            "deadline_us": f["deadline_us"],
            "packets": len(delays) + lost,
            "p99_ms": (round(fbm.percentile(delays, 0.99), 3)
                       if delays else None),
            "lost": lost,
            "misses": f["misses_congestion"],
            "misses_own": own,
            "restore_ms": (f["convergence_own_ms"] if stalls
                           else f["convergence_ms"]),
            "restore_strict_ms": f["convergence_ms"],
            "escalations": f["escalations_during"],
        }
    vm1c = be_goodput(run, t0, on, end)
    xn = cross_delivered(run)
    cross = (xn * CROSS_PAYLOAD * 8 / 1e6 / (end - on)
             if xn is not None and end > on else None)
    r["be_vm1c_mbit"] = round(vm1c, 2) if vm1c is not None else None
    r["cross_sent"] = res["cross_packets"]
    r["cross_delivered"] = xn
    r["be_cross_mbit"] = round(cross, 2) if cross is not None else None
    r["be_total_mbit"] = (round(vm1c + cross, 2)
                          if vm1c is not None and cross is not None else None)
    return r


def newest_input(run):
    """The newest modification time (ns) of what one() measures 'run' from:
    the run's files and the code that measures them."""
    paths = [os.path.abspath(__file__),
             os.path.join(HERE, "rtvnic-feedback-measure.py")]
    for d, _, names in os.walk(run):
        paths += [os.path.join(d, n) for n in names
                  if d != run or n not in (CACHE, CACHE + ".tmp")]
    newest = 0
    for p in paths:
        try:
            newest = max(newest, os.stat(p).st_mtime_ns)
        except OSError:
            pass
    return newest


def one_cached(fbm, run):
    """one(fbm, run), from RUNDIR/bench-core.json if that is newer than all
    of its inputs, else measured and saved there."""
    cache = os.path.join(run, CACHE)
    try:
        if os.stat(cache).st_mtime_ns > newest_input(run):
            with open(cache) as f:
                r = json.load(f)
            # The same run under another name or path.
            r["run"] = os.path.basename(run)
            return r
    except (OSError, ValueError):
        pass
    r = one(fbm, run)
    try:
        with open(cache + ".tmp", "w") as f:
            json.dump(r, f, indent=1)
        os.replace(cache + ".tmp", cache)
    except OSError:
        pass  # A run directory we may not write to: measured every time.
    return r


def fmt(v, unit=""):
    return "-" if v is None else "%s%s" % (v, unit)


def main(argv):
    md = js = None
    header = ""
    min_pairs, max_pairs = 5, 10
    runs = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("--md", "--json", "--header", "--min-pairs",
                 "--max-pairs"):
            if i + 1 >= len(argv):
                die("%s needs an argument" % a)
            if a == "--md":
                md = argv[i + 1]
            elif a == "--json":
                js = argv[i + 1]
            elif a in ("--min-pairs", "--max-pairs"):
                try:
                    v = int(argv[i + 1])
                except ValueError:
                    v = 0
                if v < 2:
                    die("%s wants an integer >= 2, not '%s'"
                        % (a, argv[i + 1]))
                if a == "--min-pairs":
                    min_pairs = v
                else:
                    max_pairs = v
            else:
                header = argv[i + 1]
            i += 2
        else:
            runs.append(a)
            i += 1
    if not runs:
        die("no run directories")
    if min_pairs > max_pairs:
        die("--min-pairs %d > --max-pairs %d" % (min_pairs, max_pairs))
    fbm = load_module("fbmeasure", "rtvnic-feedback-measure.py")
    paired = load_module("paired", "rtvnic-paired.py")
    res = [one_cached(fbm, r) for r in runs]
    names = sorted({n for r in res for n in r["flows"]},
                   key=lambda n: min(r["flows"][n]["deadline_us"]
                                     for r in res if n in r["flows"]))

    pairs = []
    k = 0
    while k + 1 < len(res):
        if res[k]["core"] == "htb" and res[k + 1]["core"] == "ovs":
            pairs.append((res[k], res[k + 1]))
            k += 2
        else:
            k += 1
    if not pairs:
        die("no (htb, ovs) pair of runs")

    out = []
    out.append("| run | core | RT flow | p99 in congestion | misses in "
               "congestion (without machine stalls) | lost | time to "
               "restore the contract (strict) | BE goodput: vm1c + cross "
               "= total | machine stalls (longest) | other jobs' CPU |")
    out.append("|---|---|---|---|---|---|---|---|---|---|")
    for r in res:
        for j, n in enumerate(names):
            f = r["flows"].get(n)
            if not f:
                continue
            be = ("%s + %s = **%s** Mbit/s" % (fmt(r["be_vm1c_mbit"]),
                                               fmt(r["be_cross_mbit"]),
                                               fmt(r["be_total_mbit"]))
                  if j == 0 else "")
            st = ("%s (%s ms)" % (fmt(r["machine_stalls"]),
                                  fmt(r["longest_stall_ms"]))
                  if j == 0 else "")
            cpu = fmt(r["other_cpu_s"], " s") if j == 0 else ""
            out.append("| %s | %s | %s (%d ms) | %s | %d (%d) | %d | %s (%s) "
                       "| %s | %s | %s |"
                       % (r["run"] if j == 0 else "", r["core"] if j == 0
                          else "", n, f["deadline_us"] // 1000,
                          fmt(f["p99_ms"], " ms"), f["misses"],
                          f["misses_own"], f["lost"],
                          fmt(f["restore_ms"], " ms"),
                          fmt(f["restore_strict_ms"], " ms"), be, st, cpu))

    def med(vals):
        vals = [v for v in vals if v is not None]
        return round(statistics.median(vals), 3) if vals else None

    summary = {"pairs": len(pairs), "cores": {}}
    for core in ("htb", "ovs"):
        rs = [p[0] if core == "htb" else p[1] for p in pairs]
        c = {"misses_own": sum(f["misses_own"] for r in rs
                               for f in r["flows"].values()),
             "misses": sum(f["misses"] for r in rs
                           for f in r["flows"].values()),
             "be_total_mbit": (round(statistics.mean(
                 [r["be_total_mbit"] for r in rs]), 2)
                 if all(r["be_total_mbit"] is not None for r in rs)
                 else None),
             "be_vm1c_mbit": med([r["be_vm1c_mbit"] for r in rs]),
             "be_cross_mbit": med([r["be_cross_mbit"] for r in rs]),
             "flows": {}}
        for n in names:
            c["flows"][n] = {
                "p99_ms_median": med([r["flows"][n]["p99_ms"] for r in rs
                                      if n in r["flows"]]),
                "misses_own": sum(r["flows"][n]["misses_own"] for r in rs
                                  if n in r["flows"]),
                "misses": sum(r["flows"][n]["misses"] for r in rs
                              if n in r["flows"]),
                "restore_ms_median": med([r["flows"][n]["restore_ms"]
                                          for r in rs if n in r["flows"]]),
            }
        summary["cores"][core] = c
    h, o = summary["cores"]["htb"], summary["cores"]["ovs"]
    def rt_misses(r, key):
        return sum(f[key] for f in r["flows"].values())

    def judged(values, floor, ceiling):
        j = paired.judge(values, floor, min_pairs, max_pairs, ceiling)
        return {"line": paired.verdict_line(j, floor, ceiling),
                "ratio": round(j[1], 4), "low": round(j[2], 4),
                "high": round(j[3], 4) if j[3] != float("inf") else None,
                "verdict": j[4]}

    wins = sum(1 for a, b in pairs
               if rt_misses(b, "misses") <= rt_misses(a, "misses"))
    f1 = judged([(rt_misses(a, "misses") + 1, rt_misses(b, "misses") + 1)
                 for a, b in pairs], None, 1.0)
    f1_own = judged([(rt_misses(a, "misses_own") + 1,
                      rt_misses(b, "misses_own") + 1) for a, b in pairs],
                    None, 1.0)
    per_flow = {n: judged([(a["flows"][n]["misses"] + 1,
                            b["flows"][n]["misses"] + 1)
                           for a, b in pairs
                           if n in a["flows"] and n in b["flows"]],
                          None, 1.0)
                for n in names}
    if all(a["be_total_mbit"] and b["be_total_mbit"] for a, b in pairs):
        f2 = judged([(a["be_total_mbit"], b["be_total_mbit"])
                     for a, b in pairs], 1 - BE_FLOOR, 1 + BE_FLOOR)
    else:
        f2 = {"line": "a run without best-effort goodput", "ratio": None,
              "verdict": "FAIL"}
    ratio = f2["ratio"]
    summary.update({"floor_misses": f1, "info_misses_own": f1_own,
                    "info_misses_per_flow": per_flow,
                    "pairs_ovs_not_worse": wins, "be_ratio": ratio,
                    "floor_be": f2,
                    "decided": all(f["verdict"] != "MORE"
                                   for f in (f1, f2))})

    out.append("")
    out.append("Over the %d pairs (medians of the runs; misses summed):"
               % len(pairs))
    out.append("")
    out.append("| core | " + " | ".join(
        "%s p99 / misses (without machine stalls) / restore" % n
        for n in names) + " | BE goodput vm1c + cross (medians) | BE "
               "goodput total (mean) |")
    out.append("|---|" + "---|" * len(names) + "---|---|")
    for core in ("htb", "ovs"):
        c = summary["cores"][core]
        out.append("| %s | " % core + " | ".join(
            "%s / %d (%d) / %s" % (fmt(c["flows"][n]["p99_ms_median"], " ms"),
                                   c["flows"][n]["misses"],
                                   c["flows"][n]["misses_own"],
                                   fmt(c["flows"][n]["restore_ms_median"],
                                       " ms"))
            for n in names) + " | %s + %s Mbit/s | %s Mbit/s |"
            % (fmt(c["be_vm1c_mbit"]), fmt(c["be_cross_mbit"]),
               fmt(c["be_total_mbit"])))
    out.append("")
    out.append("| floor (judged on %d pairs, paired ratios OVS / htb, "
               "95 %% interval) | htb core (sum) | OVS core (sum) | "
               "pairs' ratio and interval | result |" % len(pairs))
    out.append("|---|---|---|---|---|")
    out.append("| RT misses in congestion, all, lost ones included (+1 per "
               "run): OVS <= htb, the interval's upper end <= 1 (OVS not "
               "worse in %d of %d pairs) | %d | %d | `%s` | %s |"
               % (wins, len(pairs), h["misses"], o["misses"], f1["line"],
                  f1["verdict"]))
    out.append("| (for information) RT misses in congestion without machine "
               "stalls (+1 per run) | %d | %d | `%s` | - |"
               % (h["misses_own"], o["misses_own"], f1_own["line"]))
    for n in names:
        out.append("| (for information) %s's misses in congestion, all "
                   "(+1 per run) | %d | %d | `%s` | - |"
                   % (n, h["flows"][n]["misses"], o["flows"][n]["misses"],
                      per_flow[n]["line"]))
    out.append("| best-effort goodput through the bottleneck: OVS within "
               "5 %% of htb, the interval inside 0.95..1.05 | %s Mbit/s | "
               "%s Mbit/s | `%s` | %s |"
               % (fmt(h["be_total_mbit"]), fmt(o["be_total_mbit"]),
                  f2["line"], f2["verdict"]))
    text = "\n".join(out) + "\n"
    sys.stdout.write(text)
    if md:
        with open(md, "w") as f:
            if header:
                f.write(header.rstrip("\n") + "\n\n")
            f.write(text)
            f.write("\n" + __doc__.split("\n", 4)[4].split(
                "Exit status")[0].rstrip() + "\n")
    if js:
        with open(js, "w") as f:
            json.dump({"runs": res, "summary": summary}, f, indent=1)
    return 0 if summary["decided"] else 3


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
