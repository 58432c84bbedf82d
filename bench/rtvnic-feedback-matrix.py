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

"""rtvnic-feedback-matrix.py BASE [options]: judges make bench-feedback's
scenario matrix (bench/rtvnic-bench-feedback.sh) from the runs'
measurements, BASE/SCENARIO/SEED-VARIANT/feedback.json (written by
bench/rtvnic-feedback-measure.py, whose definitions hold here), VARIANT
one of feedback, nofb (no rtvctl) and static (the RT flows in EF from the
start).

Per scenario and RT flow, over the scenario's runs (the median run of a
quantity is the median of its values, the worst the largest):
  restored     the time from the onset until the contract's miss ratio
               held for the rest of the congestion, without machine
               stalls (strict: with them), feedback variant;
  misses       RT datagrams that missed during the congestion, per variant;
  escalations  per run, the number of escalation episodes of the flow
               (a maximal sequence of rtvctl decisions after the onset
               that raise its DSCP or tighten its deadline, with no relax
               in between), and relax episodes likewise;
  stage        "1" if rtvctl only tightened the deadline, "2" if it
               escalated the DSCP, "-" if it did neither;
  relax        from the end of the congestion until rtvctl put the flow
               back at DSCP 0 with its contract deadline.
Floors, each on the median run, judged twice: on the misses and restore
times without machine stalls (as rtvnic-feedback-measure.py leaves them
out) and strictly, with them:
  F1 restored <= 500 ms (FLOOR_MS);
  F2 feedback misses <= 10 % of no feedback's;
  F3 feedback misses <= static's + what detection explains: the misses
     the no-feedback runs had from the onset until the loop first acted
     or the contract was restored, whichever is later (a mild episode's
     contract counts as restored from the onset when the loop acted in
     time, but it needed a window of evidence first), + one report
     interval (10 ms) and miss_persist_ms (50 ms), the arithmetic
     printed;
  F4 at most one escalation episode and one relax episode (no
     oscillation);
  F5 (host scenario) stage 1 only: no DSCP escalation, the contract
     restored.
Where no feedback met the contract (its misses within the policy's
miss_target of the datagrams), there was nothing to restore: F2 and F3
then ask only that feedback meet it too.

Options: --md FILE, --json FILE, --png-prefix P (P + SCENARIO.png: the
voice flow's one-way delay around the onset in the first run of each
variant, gnuplot), --idle PCT, --probe-idle FILE, --setup TEXT.
Exit status 0 (the caller reads the verdicts), 2 on unusable input.
"""

import glob
import json
import os
import re
import statistics
import subprocess
import sys

FLOOR_MS = 500
VARIANTS = ("feedback", "nofb", "static")
ORDER = ("step", "ramp", "onoff", "mild", "tcp", "host", "twohost")
REPORT_MS, PERSIST_MS = 10, 50


def die(msg):
    sys.stderr.write("rtvnic-feedback-matrix: %s\n" % msg)
    sys.exit(2)


def episodes(decisions, after):
    """(escalation episodes, relax episodes, stage) from a flow's decisions
    [(t, text)] at or after 'after' (s since t0)."""
    up = down = 0
    last = None
    stage = set()
    for t, text in decisions:
        if t < after:
            continue
        if "escalate DSCP" in text:
            kind = "up"
            stage.add(2)
        elif "tighten deadline" in text:
            kind = "up"
            stage.add(1)
        elif "relax" in text:
            kind = "down"
        else:
            continue
        if kind != last:
            up += kind == "up"
            down += kind == "down"
        last = kind
    return up, down, ("2" if 2 in stage else "1" if stage else "-")


def load(base):
    runs = {}
    for path in sorted(glob.glob(os.path.join(base, "*", "*", "feedback.json"))):
        scen = os.path.basename(os.path.dirname(os.path.dirname(path)))
        m = re.match(r"(\d+)-(\w+)$", os.path.basename(os.path.dirname(path)))
        if not m or m[2] not in VARIANTS:
            continue
        try:
            res = json.load(open(path))
        except ValueError as e:
            die("%s: %s" % (path, e))
        runs.setdefault(scen, {}).setdefault(m[2], {})[int(m[1])] = res
    if not runs:
        die("%s: no runs (*/SEED-VARIANT/feedback.json)" % base)
    return runs


def med(v):
    v = [x for x in v if x is not None]
    return statistics.median(v) if v else None


def worst(v):
    v = [x for x in v if x is not None]
    return max(v) if v else None


def judge(runs):
    out = []
    for scen in sorted(runs, key=lambda s: ORDER.index(s)
                       if s in ORDER else len(ORDER)):
        var = runs[scen]
        if any(v not in var for v in VARIANTS):
            die("scenario %s lacks a variant (%s)" % (scen, ", ".join(
                v for v in VARIANTS if v not in var)))
        names = [f["name"] for f in next(iter(var["feedback"].values()))["flows"]]
        for name in names:
            row = {"scenario": scen, "flow": name, "runs": len(var["feedback"])}
            per = {}
            for v in VARIANTS:
                fl = []
                for seed, res in sorted(var[v].items()):
                    f = [x for x in res["flows"] if x["name"] == name][0]
                    fl.append((res, f))
                per[v] = fl
            fb = per["feedback"]
            row["deadline_us"] = fb[0][1]["deadline_us"]
            row["congestion_s"] = med([r["congestion_s"] for r, _ in fb])
            row["restore_own_ms"] = [f["restore_own_ms"] for _, f in fb]
            row["restore_ms"] = [f["restore_ms"] for _, f in fb]
            row["relax_ms"] = [f["relax_ms"] for _, f in fb]
            for v in VARIANTS:
                row["misses_" + v] = [f["misses_congestion"] for _, f in per[v]]
                row["misses_own_" + v] = [f["misses_congestion_own"]
                                          for _, f in per[v]]
                row["packets_" + v] = [f["packets_congestion"] for _, f in per[v]]
            eps = [episodes(f["decisions"], r["onset"] - r["t0"]) for r, f in fb]
            row["escalations"] = [e[0] for e in eps]
            row["relaxes"] = [e[1] for e in eps]
            row["stages"] = [e[2] for e in eps]
            row["seeds"] = sorted(var["feedback"])

            target = fb[0][0].get("miss_target", 0.001)
            row["miss_target"] = target
            row["floors"] = {}
            for mode, sfx in (("own", "_own"), ("strict", "")):
                row["floors"][mode] = floors_for(scen, row, per, target, sfx)
            row["pass"] = all(v["pass"] for m in row["floors"].values()
                              for v in m.values())
            out.append(row)
    return out


def floors_for(scen, row, per, target, sfx):
    """The floors of one scenario/flow row, on misses and restore times
    without machine stalls (sfx "_own") or with them (sfx "")."""
    def misses(v):
        return [f["misses_congestion" + sfx] for _, f in per[v]]

    m_fb, m_no, m_st = (med(misses(v)) for v in VARIANTS)
    packets = med(row["packets_nofb"])
    t_res = med([f["restore" + sfx + "_ms"] for _, f in per["feedback"]])
    # The time the loop took: until it first acted (median over the runs
    # where it acted), or until the contract held again if that was later.
    acted = [f["escalation_delay_ms"] for _, f in per["feedback"]
             if f["escalation_delay_ms"] is not None]
    t_detect = max(t_res, med(acted)) if acted else t_res
    # What the flow missed without feedback in that time: the no-feedback
    # runs' misses from the onset to it + one report interval +
    # miss_persist_ms.
    window = t_detect + REPORT_MS + PERSIST_MS
    early = med([sum(1 for t in f["miss_times" + sfx + "_ms"] if t <= window)
                 for _, f in per["nofb"]])
    allowed = target * packets
    nothing = m_no <= allowed
    fl = {}
    fl["F1"] = (t_res <= FLOOR_MS,
                "restored %.0f ms <= %d ms" % (t_res, FLOOR_MS))
    if nothing:
        ok = m_fb <= allowed
        why = ("no feedback met the contract (%g <= %g %% of %g = %.1f): "
               "feedback %g <= %.1f" % (m_no, target * 100, packets, allowed,
                                        m_fb, allowed))
        fl["F2"] = (ok, why)
        fl["F3"] = (ok, why)
    else:
        fl["F2"] = (m_fb <= 0.1 * m_no,
                    "%g <= 10 %% of %g = %.1f" % (m_fb, m_no, 0.1 * m_no))
        fl["F3"] = (m_fb <= m_st + early,
                    "%g <= static %g + no feedback's misses in the first "
                    "%.0f ms (acted or restored %.0f + %d + %d) %g = %g"
                    % (m_fb, m_st, window, t_detect, REPORT_MS, PERSIST_MS,
                       early, m_st + early))
    fl["F4"] = (med(row["escalations"]) <= 1 and med(row["relaxes"]) <= 1,
                "escalation episodes %g, relax episodes %g (median; worst "
                "%d, %d)" % (med(row["escalations"]), med(row["relaxes"]),
                             worst(row["escalations"]),
                             worst(row["relaxes"])))
    if scen == "host":
        n2 = sum(1 for st in row["stages"] if st == "2")
        fl["F5"] = (n2 == 0 and t_res <= FLOOR_MS,
                    "stages %s: %d of %d runs escalated DSCP"
                    % (" ".join(row["stages"]), n2, len(row["stages"])))
    return {k: {"pass": bool(p), "why": w} for k, (p, w) in fl.items()}


def fmt_mw(v, unit=""):
    """'median / worst' of a list."""
    a, b = med(v), worst(v)
    if a is None:
        return "-"
    return "%s / %s%s" % (("%g" % a), ("%g" % b), unit)


def markdown(rows, args):
    L = ["# Feedback under a matrix of congestion shapes (make bench-feedback)", ""]
    L.append("Measured by bench/rtvnic-bench-feedback.sh (scenarios and setup "
             "in its header) and judged by bench/rtvnic-feedback-matrix.py "
             "(definitions and floors in its header); every run measured by "
             "bench/rtvnic-feedback-measure.py.  Setup: %s." % args.get("setup", "?"))
    if args.get("idle"):
        L.append("CPUs %s %% idle before the run." % args["idle"])
    if args.get("probe"):
        L += ["", "The stall probe alone on the machine for 5 s before the "
              "testbed was up:", ""]
        L += ["    " + x for x in args["probe"].strip().split("\n")]
    L += ["", "Cells are *median / worst* over the runs.  Misses: RT datagrams "
          "that missed during the congestion (late or lost), without those "
          "on their way during a machine stall (all of them in brackets).  "
          "Restored: "
          "onset until the contract's miss ratio held for the rest of the "
          "congestion, without machine stalls (strict in brackets, median).  "
          "Esc./relax: escalation and relax episodes per run.  Stage: per "
          "run, 1 = only the deadline tightened, 2 = DSCP escalated, - = no "
          "action.", ""]
    L.append("| scenario | flow | runs | restored ms (strict) | misses: feedback "
             "| no feedback | static best | esc. / relax | stage | relax ms "
             "| floors without stalls | floors strict |")
    L.append("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        fl = {m: " ".join("%s %s" % (k, "PASS" if v["pass"] else "**FAIL**")
                          for k, v in r["floors"][m].items())
              for m in ("own", "strict")}
        L.append("| %s | %s (%g ms) | %d | %s (%g) | %s (%s) | %s (%s) | %s (%s) "
                 "| %s / %s | %s | %s | %s | %s |"
                 % (r["scenario"], r["flow"], r["deadline_us"] / 1000,
                    r["runs"], fmt_mw(r["restore_own_ms"]),
                    med(r["restore_ms"]),
                    fmt_mw(r["misses_own_feedback"]), fmt_mw(r["misses_feedback"]),
                    fmt_mw(r["misses_own_nofb"]), fmt_mw(r["misses_nofb"]),
                    fmt_mw(r["misses_own_static"]), fmt_mw(r["misses_static"]),
                    fmt_mw(r["escalations"]), fmt_mw(r["relaxes"]),
                    " ".join(r["stages"]), fmt_mw(r["relax_ms"]),
                    fl["own"], fl["strict"]))
    L += ["", "## The floors' arithmetic (median runs)", ""]
    for r in rows:
        for m, text in (("own", "without machine stalls"), ("strict", "strict")):
            L.append("- **%s, %s**, %s: %s" % (
                r["scenario"], r["flow"], text, "; ".join(
                    "%s %s (%s)" % (k, "PASS" if v["pass"] else "FAIL", v["why"])
                    for k, v in r["floors"][m].items())))
    for m, text in (("own", "without machine stalls"), ("strict", "strictly")):
        n_pass = sum(all(v["pass"] for v in r["floors"][m].values())
                     for r in rows)
        L.append("")
        L.append("**%s: %d of %d scenario/flow rows pass every floor.**"
                 % (text[0].upper() + text[1:], n_pass, len(rows)))
    return "\n".join(L) + "\n"


def plot(base, runs, prefix):
    for scen, var in runs.items():
        gp = []
        datas = []
        for v in VARIANTS:
            if not var.get(v):
                continue
            seed = min(var[v])
            res = var[v][seed]
            recv = os.path.join(base, scen, "%d-%s" % (seed, v), "voice.recv")
            dat = os.path.join(base, scen, "voice-%s.dat" % v)
            try:
                with open(recv) as src, open(dat, "w") as dst:
                    for line in src:
                        w = line.split()
                        if len(w) == 4 and not line.startswith("#"):
                            dst.write("%.4f %.4f\n" % (
                                int(w[2]) / 1e9 - res["onset"],
                                (int(w[3]) - int(w[2])) / 1e6))
            except OSError:
                continue
            datas.append((dat, v))
        if not datas:
            continue
        r0 = var["feedback"][min(var["feedback"])]
        gp.append("set terminal pngcairo size 1000,450")
        gp.append("set output '%s%s.png'" % (prefix, scen))
        gp.append("set title 'bench-feedback, scenario %s: voice (2 ms) "
                  "one-way delay, first run of each variant'" % scen)
        gp.append("set xlabel 'seconds since the onset'")
        gp.append("set ylabel 'one-way delay (ms)'")
        gp.append("set logscale y")
        gp.append("set xrange [-1:%g]" % (r0["congestion_s"] + 1.5))
        gp.append("set arrow from 0, graph 0 to 0, graph 1 nohead dt 2")
        gp.append("set arrow from %g, graph 0 to %g, graph 1 nohead dt 2"
                  % (r0["congestion_s"], r0["congestion_s"]))
        gp.append("set arrow from graph 0, first 2 to graph 1, first 2 nohead lc rgb 'red'")
        gp.append("plot " + ", ".join("'%s' using 1:2 with points pt 7 ps 0.25 title '%s'"
                                      % (d, v) for d, v in datas))
        try:
            subprocess.run(["gnuplot"], input="\n".join(gp) + "\n",
                           text=True, check=True)
        except (OSError, subprocess.CalledProcessError) as e:
            sys.stderr.write("rtvnic-feedback-matrix: gnuplot: %s\n" % e)


def main(argv):
    if len(argv) < 2:
        die("usage: rtvnic-feedback-matrix.py BASE [--md F] [--json F] "
            "[--png-prefix P] [--idle PCT] [--probe-idle F] [--setup TEXT]")
    base = argv[1]
    opts = {}
    rest = argv[2:]
    if len(rest) % 2:
        die("option %s needs a value" % rest[-1])
    for k, v in zip(rest[::2], rest[1::2]):
        if k not in ("--md", "--json", "--png-prefix", "--idle",
                     "--probe-idle", "--setup"):
            die("unknown option %s" % k)
        opts[k] = v
    runs = load(base)
    rows = judge(runs)
    args = {"setup": opts.get("--setup", ""), "idle": opts.get("--idle")}
    if "--probe-idle" in opts:
        try:
            args["probe"] = open(opts["--probe-idle"]).read()
        except OSError:
            pass
    md = markdown(rows, args)
    sys.stdout.write(md)
    if "--md" in opts:
        open(opts["--md"], "w").write(md)
    if "--json" in opts:
        json.dump(rows, open(opts["--json"], "w"), indent=1)
    if "--png-prefix" in opts:
        plot(base, runs, opts["--png-prefix"])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
