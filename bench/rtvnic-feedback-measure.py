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

"""rtvnic-feedback-measure.py RUNDIR [options]: measures a feedback run
(testbed/rtvnic-feedback-setup.sh) from its own data, afterwards.

Inputs in RUNDIR: t0, flows, NAME.send / NAME.recv (per-datagram logs of
rtvnic-traffic --log), cross.send, rtvctl.log, show.end (host1 rtvnic/show
at the end; show3.end host3's, for flows from its VMs vm3X), rtvctl.end
(rtvctl/show at the end), and if they are there stalls
(testbed/rtvnic-stall-probe.c's log) and congestion ("ONSET END", epoch
seconds: the congestion as the scenario declares it, instead of the first
and last cross datagram).

Definitions (times are CLOCK_REALTIME, as every log here):
  onset      the send time of the first cross-traffic datagram (or as
             RUNDIR/congestion declares it);
  end        the send time of the last one (congestion = [onset, end]);
  miss       an RT datagram whose application-measured one-way delay
             (receive time - send time in its payload) exceeds the flow's
             contract deadline, or that never arrived (lost); it happens
             at its receive time (when the application sees it late), or
             for a lost one at its send time + deadline (when it was due);
  escalation delay  first "escalate" decision of rtvctl for the flow (its
             log, ms resolution) at or after onset, minus onset;
  convergence  "misses stop": M - onset, where M is the time of the last
             miss that happened during the congestion, so that every
             datagram received in (M, end] met its deadline and none due
             then was lost; 0 if none missed.  It includes the time the
             datagrams already queued in the core's best-effort class take
             to arrive after the flow moved to another class.  Not defined
             (reported as such) if the flow was escalated before the onset
             (then there was nothing to converge);
  machine stall  a time when a CPU of the machine failed to wake the
             stall probe's SCHED_FIFO 99 thread for more than 0.5 ms
             (RUNDIR/stalls): nothing of lower priority ran on it then, not
             a switch, the core router or an application.  Only the
             hypervisor (descheduling the virtual CPU) or the kernel with
             interrupts or preemption off can do that; the probe sees such
             stalls on this machine when it is idle, too;
  convergence without machine stalls  the same as convergence, leaving
             out the misses of datagrams that were on their way (from
             10 ms before their send time, for the backlog a stall leaves
             in the queues, to their receive time, or send time + deadline
             if lost) during a machine stall: neither RTvNIC nor the
             network could have prevented those;
  contract restored  the shortest time T after the onset such that, of
             the flow's datagrams due (send time + deadline) in
             [onset + T, end], at most the contract's miss target (the
             policy's miss_target in RUNDIR/policy.json, else rtvctl's
             default 0.001) missed: from then on the contract held for the
             rest of the congestion.  T is 0 or the time of a miss; it is
             never later than convergence, since after the last miss none
             missed.  Computed from every miss and, when RUNDIR/stalls
             exists, without the machine-stall misses (as above).  The
             floor (PASS/FAIL) is judged on the latter when the probe ran,
             otherwise on the former;
  first episode  E - onset, where E is the last miss of the first run of
             misses after the onset that is followed by 100 ms without a
             miss (0 if none missed); "later misses" are the misses during
             the congestion after E: with convergence = first episode, there
             are none;
  baseline misses   misses that happened in the same length of time just
             before onset (from at least 0.5 s after t0): the scenario's noise
             without congestion;
  relax time  from end to the first decision of rtvctl after it (its log)
             that brought the flow back to the bottom of the DSCP ladder
             with its effective deadline at the contract (the state follows
             its decisions); "not relaxed" if none did; a later escalation
             (a stall after the congestion) is noted;
  host late/dropped  the sending host's rtvnic/show counters of the
             flow's source;
  misses in the whole run: the application's, and those host2's switch
             counted (rtvnic/flows: stamp to tunnel pop, before the last
             hop to the VM and its application), from flows2.end.

Options:
  --json FILE        all of it as JSON
  --line LABEL       print one line, LABEL and per flow its misses during
                     the congestion and restore time, on stderr (a
                     matrix's progress line)
  --feedback-md FILE the bench table (make bench-feedback)
  --floor-ms MS      floor for PASS/FAIL on the time until the contract is
                     restored (default 500)
  --header TEXT      markdown put before the table (--feedback-md) or the
                     timeline (--demo-md)
  --timeline         print a per-second timeline (packets, misses, p99 by
                     receive time; DSCP, effective deadline and stage from
                     rtvctl's decisions; best effort's packets and p99 from
                     its receiver's per-second lines, be.out) and the
                     decisions
  --demo-md FILE     the timeline as the demo's markdown
  --plot-prefix P    writes P.dat and P.gp (gnuplot script for P.png, or
                     for the file --png names)
Prints the table; exit status 0 (the caller judges), 2 on unusable input.
"""

import bisect
import calendar
import json
import re
import sys
import time


def die(msg):
    sys.stderr.write("rtvnic-feedback-measure: %s\n" % msg)
    sys.exit(2)


def read_sends(path):
    """{seq: send_ns} and the number of send errors."""
    sends, errors = {}, 0
    for line in open(path):
        w = line.split()
        if len(w) >= 3:
            sends[int(w[1])] = int(w[2])
            errors += len(w) > 3
    return sends, errors


def read_recvs(path):
    """[(seq, send_ns, recv_ns)] in receive order."""
    out = []
    for line in open(path):
        if line.startswith("#"):
            continue
        w = line.split()
        if len(w) == 4:
            out.append((int(w[1]), int(w[2]), int(w[3])))
    return out


LOG_RE = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{3})Z\|\d+\|rtvctl\|"
                    r"INFO\|(\S+) vnic (\d+): (.*)")


def read_decisions(path):
    """[(t, (host IP, vnic), kind, frm, to, text)]: kind escalate/relax-dscp/
    tighten/relax-deadline."""
    out = []
    for line in open(path):
        m = LOG_RE.match(line)
        if not m:
            continue
        t = calendar.timegm(time.strptime(m[1], "%Y-%m-%dT%H:%M:%S")) \
            + int(m[2]) / 1000
        text = m[5]
        for kind, rx in (("escalate", r"escalate DSCP (\d+) -> (\d+)"),
                         ("relax-dscp", r"relax DSCP (\d+) -> (\d+)"),
                         ("tighten", r"tighten deadline (\d+) -> (\d+) us"),
                         ("relax-deadline",
                          r"relax deadline (\d+) -> (\d+) us")):
            d = re.search(rx, text)
            if d:
                out.append((t, (m[3], int(m[4])), kind, int(d[1]), int(d[2]),
                            text))
    return out


def read_show(path):
    """A host's rtvnic/show: {port: vnic_id}, {port: (late, dropped, sent)}
    (empty without the file)."""
    ids, counters, port = {}, {}, None
    try:
        lines = open(path).readlines()
    except OSError:
        return ids, counters
    for line in lines:
        m = re.match(r"^(\S+):$", line)
        if m:
            port = m[1]
            continue
        m = re.match(r"^  source (\d+): deadline", line)
        if m and port:
            ids[port] = int(m[1])
        m = re.match(r"^    source (\S+): .* sent (\d+) .*late (\d+), "
                     r"dropped (\d+)", line)
        if m:
            counters[m[1]] = (int(m[3]), int(m[4]), int(m[2]))
    return ids, counters


def read_rtvctl_show(path):
    """{(host IP, vnic): (dscp, effective_us, contract_us)}."""
    out = {}
    for line in open(path):
        m = re.match(r"flow (\S+) vnic (\d+): \w+, dscp (\d+), "
                     r"effective deadline (\d+) us \(contract (\d+) us\)", line)
        if m:
            out[(m[1], int(m[2]))] = (int(m[3]), int(m[4]), int(m[5]))
    return out


# The testbed's sending hosts by the digit in their VMs' names (vm1a, vm3a):
# (tunnel IP, suffix of their RUNDIR/show*.end snapshot).
SENDERS = {"1": ("192.0.2.1", ""), "3": ("203.0.113.1", "3")}


def cpu_use(run):
    """(CPU seconds that processes outside this testbed (not its namespaces,
    not rtvctl, not kernel threads) used between cpu.start and cpu.end,
    {command: major page faults} of this testbed's processes meanwhile), or
    (None, None) without those files."""
    try:
        a = open(run + "/cpu.start").read().split("\n")
        b = open(run + "/cpu.end").read().split("\n")
    except OSError:
        return None, None
    clk = int(a[0].split()[1])
    start = {}
    for line in a[1:]:
        w = line.split()
        if len(w) >= 5:
            start[(w[0], w[1])] = (int(w[2]), int(w[4]))
    total, faults = 0, {}
    for line in b[1:]:
        w = line.split()
        if len(w) < 5:
            continue
        ticks0, faults0 = start.get((w[0], w[1]), (0, 0))
        if w[3] == "other":
            total += int(w[2]) - ticks0
        elif w[3] == "ours" and len(w) >= 6 and int(w[4]) > faults0:
            faults[w[5]] = faults.get(w[5], 0) + int(w[4]) - faults0
    return total / clk, faults


# How long before a datagram's send time a machine stall still counts for
# it: what piled up in the queues during the stall drains afterwards.
STALL_BACKLOG_S = 0.010
# rtvctl's miss_target when the policy does not set one.
DEFAULT_MISS_TARGET = 0.001


def read_stalls(run):
    """(cpus, [[(start_s, end_s)] per CPU], [(start_s, end_s)] when all CPUs
    stalled at once), or None without RUNDIR/stalls."""
    try:
        lines = open(run + "/stalls").read().split("\n")
    except OSError:
        return None
    m = re.match(r"# cpus (\d+) ", lines[0])
    if not m:
        die("%s/stalls: no '# cpus N' header" % run)
    cpus = int(m[1])
    per_cpu = [[] for _ in range(cpus)]
    for line in lines[1:]:
        w = line.split()
        if len(w) == 3 and int(w[0]) < cpus:
            start = int(w[1]) / 1e9
            per_cpu[int(w[0])].append((start, start + int(w[2]) / 1e9))
    machine = per_cpu[0]
    for other in per_cpu[1:]:
        machine = [(max(a[0], b[0]), min(a[1], b[1]))
                   for a in machine for b in other
                   if a[0] < b[1] and b[0] < a[1]]
    return cpus, per_cpu, sorted(machine)


def percentile(v, p):
    if not v:
        return float("nan")
    v = sorted(v)
    return v[int(p * (len(v) - 1) + 0.5)]


def miss_target(run):
    """The policy's miss_target for the run, else rtvctl's default."""
    try:
        policy = json.load(open(run + "/policy.json"))
    except OSError:
        return DEFAULT_MISS_TARGET
    return float(policy.get("miss_target", DEFAULT_MISS_TARGET))


def restore_time(misses, due, on, end, target):
    """Seconds from 'on' until the contract held for the rest of [on, end]:
    the smallest T (0 or a miss time - on) such that the misses after
    on + T are at most 'target' of the datagrams due in [on + T, end].
    'misses' and 'due' are sorted times."""
    n = len(misses)
    hi = bisect.bisect_right(due, end)
    for k in range(n + 1):
        start = on if k == 0 else misses[k - 1]
        packets = hi - bisect.bisect_right(due, start)
        if n - k <= target * packets:
            return start - on
    return misses[-1] - on


def measure(run, floor_ms):
    t0 = float(open(run + "/t0").read())
    try:
        cross, _ = read_sends(run + "/cross.send")
    except OSError:
        cross = {}
    try:
        # A scenario whose congestion is not its cross datagrams (TCP, the
        # sending host's own VMs, a ramp's first part) declares it.
        w = open(run + "/congestion").read().split()
        on, end = float(w[0]), float(w[1])
    except OSError:
        if not cross:
            die("%s/cross.send: no cross traffic was sent" % run)
        on = min(cross.values()) / 1e9
        end = max(cross.values()) / 1e9
    decisions = read_decisions(run + "/rtvctl.log")
    shows = {h: read_show("%s/show%s.end" % (run, sfx))
             for h, (ip, sfx) in SENDERS.items()}
    try:
        rx = {(f.get("sender"), f["vnic_id"]): f
              for f in json.load(open(run + "/flows2.end"))}
    except (OSError, ValueError):
        rx = {}
    final = read_rtvctl_show(run + "/rtvctl.end")
    target = miss_target(run)
    other_cpu_s, major_faults = cpu_use(run)
    stalls = read_stalls(run)
    any_cpu = [x for cpu in stalls[1] for x in cpu] if stalls else []

    def in_stall(a, b):
        return any(s < b and a - STALL_BACKLOG_S < e for s, e in any_cpu)

    res = {"t0": t0, "onset": on, "end": end, "congestion_s": end - on,
           "stalls": ({"cpus": stalls[0],
                       "all_cpus": [(round(s - t0, 4),
                                     round((e - s) * 1e3, 3))
                                    for s, e in stalls[2]],
                       "cpu_stalls": [len(c) for c in stalls[1]],
                       "cpu_longest_ms": [round(max((e - s for s, e in c),
                                                    default=0) * 1e3, 3)
                                          for c in stalls[1]]}
                      if stalls else None),
           "other_cpu_s": other_cpu_s, "major_faults": major_faults,
           "cross_packets": len(cross), "floor_ms": floor_ms,
           "miss_target": target, "flows": []}
    for line in open(run + "/flows"):
        name, vm, port, dl_us = line.split()
        if vm[2:3] not in SENDERS:
            die("%s/flows: %s's VM %s is on no sending host" % (run, name, vm))
        host_ip = SENDERS[vm[2:3]][0]
        ids, counters = shows[vm[2:3]]
        dl_ns = int(dl_us) * 1000
        sends, errors = read_sends("%s/%s.send" % (run, name))
        recvs = read_recvs("%s/%s.recv" % (run, name))
        got = {}
        for seq, s, r in recvs:
            got.setdefault(seq, r - s)
        lost = [q for q in sends if q not in got]
        dup = len(recvs) - len(got)
        # Misses, at the time they happen, with the time the datagram was
        # on its way.
        missed_w = sorted([((sends[q] + dl_ns) / 1e9, sends[q] / 1e9,
                            (sends[q] + dl_ns) / 1e9) for q in lost]
                          + [(r / 1e9, s / 1e9, r / 1e9) for q, s, r in recvs
                             if r - s > dl_ns and got.get(q) == r - s])
        missed = [w[0] for w in missed_w]
        cong = [t for t in missed if on <= t <= end]
        cong_own = [w[0] for w in missed_w
                    if on <= w[0] <= end and not in_stall(w[1], w[2])]
        # The senders start ~0.2 s after t0.
        base_lo = min(on, max(t0 + 0.5, on - (end - on)))
        base = [t for t in missed if base_lo <= t < on]
        base_own = [w[0] for w in missed_w
                    if base_lo <= w[0] < on and not in_stall(w[1], w[2])]
        vnic = ids.get(port)
        mine = [d for d in decisions if d[1] == (host_ip, vnic)]
        esc = [d for d in mine if d[2] == "escalate"]
        pre = [d for d in esc if d[0] < on]
        esc_after = [d for d in esc if d[0] >= on]
        f = {"name": name, "vm": vm, "port": port, "vnic": vnic,
             "host_ip": host_ip,
             "deadline_us": int(dl_us), "sent": len(sends),
             "send_errors": errors, "received": len(got), "lost": len(lost),
             "duplicates": dup,
             "misses_total": len(missed),
             "misses_congestion": len(cong),
             "packets_congestion": sum(1 for s in sends.values()
                                       if on <= s / 1e9 <= end),
             "misses_baseline": len(base),
             "misses_baseline_own": len(base_own),
             "baseline_s": on - base_lo,
             "escalations_before_onset": len(pre),
             "escalations_during": sum(1 for d in esc_after if d[0] <= end),
             "escalations_after": sum(1 for d in esc_after if d[0] > end),
             "relaxations_during": sum(1 for d in mine
                                       if d[2].startswith("relax")
                                       and on <= d[0] <= end),
             "escalation_delay_ms": (round((esc_after[0][0] - on) * 1000)
                                     if esc_after else None),
             "decisions": [(round(d[0] - t0, 3), d[5]) for d in mine]}
        ep = 0
        while ep + 1 < len(cong) and cong[ep + 1] - cong[ep] < 0.1:
            ep += 1
        f["episode_ms"] = round((cong[ep] - on) * 1000, 1) if cong else 0.0
        f["misses_after_episode"] = len(cong) - ep - 1 if cong else 0
        f["windows_with_misses_after_episode"] = (
            len(set(int((t - on) * 10) for t in cong[ep + 1:])) if cong else 0)
        f["windows_with_misses_baseline"] = len(set(int((on - t) * 10)
                                                    for t in base))
        f["misses_machine_stall"] = len(cong) - len(cong_own)
        f["misses_congestion_own"] = len(cong_own)
        # When they happened, ms after the onset (the scenario matrix,
        # bench/rtvnic-feedback-matrix.py, compares variants over a window).
        f["miss_times_ms"] = [round((t - on) * 1000, 1) for t in cong]
        f["miss_times_own_ms"] = [round((t - on) * 1000, 1) for t in cong_own]
        if pre:
            f["convergence_ms"] = f["convergence_own_ms"] = None
            f["convergence_note"] = "escalated before the onset"
        else:
            f["convergence_ms"] = round((cong[-1] - on) * 1000, 1) if cong else 0.0
            f["convergence_own_ms"] = (round((cong_own[-1] - on) * 1000, 1)
                                       if cong_own else 0.0)
        due = sorted((s + dl_ns) / 1e9 for s in sends.values())
        f["restore_ms"] = round(restore_time(cong, due, on, end, target)
                                * 1000, 1)
        f["restore_own_ms"] = round(restore_time(cong_own, due, on, end,
                                                 target) * 1000, 1)
        # Relax: the first decision after the end that puts the flow back
        # at (DSCP 0, contract deadline), following its decisions.
        fin = final.get((host_ip, vnic))
        f["final"] = ({"dscp": fin[0], "effective_us": fin[1],
                       "contract_us": fin[2]} if fin else None)
        dscp, dl, back = 0, int(dl_us), None
        for d in mine:
            if d[2] in ("escalate", "relax-dscp"):
                dscp = d[4]
            else:
                dl = d[4]
            if (back is None and d[0] > end and d[2].startswith("relax")
                    and dscp == 0 and dl == int(dl_us)):
                back = d
        if not (esc or [d for d in mine if d[2] == "tighten"]):
            f["relax_ms"] = None
            f["relax_note"] = "never escalated or tightened"
        elif back:
            f["relax_ms"] = round((back[0] - end) * 1000)
            later = [d for d in mine if d[0] > back[0]
                     and d[2] in ("escalate", "tighten")]
            if later:
                f["relax_note"] = ("escalated again %.1f s after the end"
                                   % (later[0][0] - end))
        else:
            f["relax_ms"] = None
            f["relax_note"] = "not relaxed by the end of the run"
        # What host2's switch measured for the whole run (stamp to pop).
        h2 = rx.get((host_ip, vnic))
        f["host2_packets"] = h2["packets"] if h2 else None
        f["host2_misses"] = h2["misses"] if h2 else None
        f["misses_run"] = len(missed)
        c = counters.get(port)
        f["host_late"], f["host_dropped"], f["host_sent"] = (
            c if c else (None, None, None))
        f["pass"] = f["restore_own_ms" if stalls else "restore_ms"] <= floor_ms
        f["_delays"] = [(r / 1e9, (r - s) / 1e6) for q, s, r in recvs]
        res["flows"].append(f)
    return res


def fmt(v, unit=""):
    return "-" if v is None else "%s%s" % (v, unit)


def table(res):
    hdr = ("| RT flow | deadline | escalation delay | first miss episode ends "
           "| convergence (misses stop) | contract restored "
           "(miss ratio <= %g %%) | contract restored without machine "
           "stalls | relax time | misses in congestion (in machine stalls) "
           "| later misses (100 ms windows) | misses before onset, same "
           "length (windows; without machine stalls) | host late / dropped "
           "| lost "
           "| misses in the whole run: application / host2's switch "
           "| contract restored <= %d ms |"
           % (res["miss_target"] * 100, res["floor_ms"]))
    lines = [hdr, "|" + "---|" * 15]
    for f in res["flows"]:
        conv = (fmt(f["convergence_ms"], " ms")
                if f["convergence_ms"] is not None
                else f["convergence_note"])
        own = (fmt(f["restore_own_ms"], " ms") if res["stalls"]
               else "no probe")
        relax = (fmt(f["relax_ms"], " ms") if f["relax_ms"] is not None
                 else f["relax_note"])
        if f["relax_ms"] is not None and f.get("relax_note"):
            relax += " (%s)" % f["relax_note"]
        lines.append(
            "| %s (%s) | %.1f ms | %s | %s ms | %s | %s ms | %s | %s "
            "| %d of %d (%d) "
            "| %d (%d) | %d (%d; %s) | %s / %s | %d | %d / %s | %s |"
            % (f["name"], f["vm"], f["deadline_us"] / 1000,
               fmt(f["escalation_delay_ms"], " ms"), f["episode_ms"], conv,
               f["restore_ms"], own, relax, f["misses_congestion"], f["packets_congestion"],
               f["misses_machine_stall"],
               f["misses_after_episode"],
               f["windows_with_misses_after_episode"], f["misses_baseline"],
               f["windows_with_misses_baseline"],
               f["misses_baseline_own"] if res["stalls"] else "-",
               fmt(f["host_late"]),
               fmt(f["host_dropped"]), f["lost"], f["misses_run"],
               fmt(f["host2_misses"]), "PASS" if f["pass"] else "FAIL"))
    return lines


def timeline(res, run):
    """Per-second lines and the decision/event lines, by time since t0."""
    t0 = res["t0"]
    flows = res["flows"]
    duration = int(max(t for f in flows for t, d in f["_delays"]) - t0) + 1
    events = [(res["onset"] - t0, "cross traffic starts"),
              (res["end"] - t0, "cross traffic stops")]
    for f in flows:
        for t, text in f["decisions"]:
            events.append((t, "%s: vnic %s: %s" % (f["name"], f["vnic"], text)))
    events.sort()
    # State per flow from the decisions: (dscp, effective deadline).
    state = {f["name"]: [(0.0, 0, f["deadline_us"])] for f in flows}
    for f in flows:
        for t, text in f["decisions"]:
            dscp, dl = state[f["name"]][-1][1:]
            m = re.search(r"(?:escalate|relax) DSCP \d+ -> (\d+)", text)
            if m:
                dscp = int(m[1])
            m = re.search(r"deadline \d+ -> (\d+) us", text)
            if m:
                dl = int(m[1])
            state[f["name"]].append((t, dscp, dl))

    def state_at(name, s):
        return [x for x in state[name] if x[0] <= s][-1][1:]

    per = {}
    for f in flows:
        b = {}
        for t, d in f["_delays"]:
            b.setdefault(int(t - t0) + 1, []).append(d)
        per[f["name"]] = b
    # Best effort, from its receiver's per-second lines, if there is one.
    be = {}
    try:
        for line in open(run + "/be.out"):
            m = re.match(r"t=(\d+)s id=\d+ packets=(\d+) .* p99=([\d.]+)ms",
                         line)
            if m:
                be[int(m[1])] = (int(m[2]), float(m[3]))
    except OSError:
        pass
    head1 = "%4s |" % "" + "".join(
        " %-44s |" % ("%s (%s, %g ms)" % (f["name"], f["vm"],
                                         f["deadline_us"] / 1000))
        for f in flows) + (" %-14s" % "best effort" if be else "")
    head2 = "%4s |" % "t/s" + "".join(
        " %5s %5s %8s %5s %4s %9s |" % ("pkts", "miss", "p99/ms", "dl/ms",
                                        "dscp", "stage")
        for f in flows) + (" %5s %8s" % ("pkts", "p99/ms") if be else "")
    lines = [head1, head2, "-" * len(head2)]
    ei = 0
    for s in range(1, duration + 1):
        while ei < len(events) and events[ei][0] <= s:
            lines.append("  >> t=%6.2fs  %s" % events[ei])
            ei += 1
        row = "%4d |" % s
        for f in flows:
            d = per[f["name"]].get(s, [])
            dscp, dl = state_at(f["name"], s)
            miss = sum(1 for x in d if x > f["deadline_us"] / 1000)
            stage = ("escalated" if dscp else "tightened"
                     if dl < f["deadline_us"] else "normal")
            row += " %5d %5d %8.3f %5.1f %4d %9s |" % (
                len(d), miss, percentile(d, 0.99) if d else 0, dl / 1000, dscp,
                stage)
        if be:
            row += (" %5d %8.3f" % be[s]) if s in be else " %5s %8s" % ("-", "-")
        lines.append(row)
    for e in events[ei:]:
        lines.append("  >> t=%6.2fs  %s" % e)
    return lines, events, per, duration


def write_plot(res, prefix, png, events, per, duration):
    flows = res["flows"]
    with open(prefix + ".dat", "w") as f:
        for s in range(1, duration + 1):
            cols = []
            for fl in flows:
                d = per[fl["name"]].get(s, [])
                cols += ["%.3f" % percentile(d, 0.99) if d else "NaN",
                         "%.3f" % max(d) if d else "NaN"]
            f.write("%.1f %s\n" % (s - 0.5, " ".join(cols)))
    colors = ["blue", "purple", "dark-cyan", "brown"]
    with open(prefix + ".gp", "w") as f:
        f.write('set terminal pngcairo size 1200,650 font ",10"\n'
                'set output "%s"\n'
                'set title "RTvNIC feedback: per-second p99 and max one-way '
                'delay of the RT flows, measured by the receiving application '
                '(gray: cross traffic in the core)"\n'
                'set xlabel "time (s)"\nset ylabel "one-way delay (ms)"\n'
                'set logscale y\nset yrange [0.05:1000]\nset xrange [0:%d]\n'
                'set grid ytics\nset key bottom right opaque box\n'
                % (png, duration))
        f.write('set object 1 rect from %.2f, graph 0 to %.2f, graph 1 behind '
                'fc rgb "#eeeeee" fs solid noborder\n'
                % (res["onset"] - res["t0"], res["end"] - res["t0"]))
        for n, (t, what) in enumerate(events, 1):
            short = re.sub(r" \(.*\)", "", what.split(": ")[0] + ": "
                           + what.split(": ")[-1]) if ":" in what else what
            color = ("gray40" if "cross" in what else "red" if "escalate" in what
                     else "dark-green" if "relax" in what else "orange")
            just = ("right offset -0.3,0" if t > 0.75 * duration
                    else "left offset 0.3,0")
            f.write('set arrow %d from %.2f, graph 0 to %.2f, graph 1 nohead '
                    'lc rgb "%s" dt %d\n' % (n, t, t, color,
                                             2 if "cross" in what else 3))
            f.write('set label %d "%s" at %.2f, graph %.3f %s font ",8" '
                    'tc rgb "%s"\n' % (n, short, t, 0.97 - 0.045 * ((n - 1) % 10),
                                       just, color))
        plots = []
        for i, fl in enumerate(flows):
            c = colors[i % len(colors)]
            plots.append('"%s.dat" using 1:%d with linespoints pt 7 ps 0.6 '
                         'lc rgb "%s" title "%s (%s) p99"'
                         % (prefix, 2 + 2 * i, c, fl["name"], fl["vm"]))
            plots.append('"%s.dat" using 1:%d with points pt 6 ps 0.6 lc rgb '
                         '"%s" title "%s max"' % (prefix, 3 + 2 * i, c,
                                                  fl["name"]))
            plots.append('%g with lines lc rgb "%s" dt 4 title "%s deadline '
                         '%g ms"' % (fl["deadline_us"] / 1000, c, fl["name"],
                                     fl["deadline_us"] / 1000))
        f.write("plot " + ", \\\n     ".join(plots) + "\n")


def main(argv):
    if len(argv) < 2:
        die("usage: rtvnic-feedback-measure.py RUNDIR [options]")
    run = argv[1]
    opts = {}
    args = argv[2:]
    while args:
        a = args.pop(0)
        if a == "--timeline":
            opts[a] = True
        elif a in ("--json", "--feedback-md", "--floor-ms", "--demo-md",
                   "--plot-prefix", "--png", "--header", "--line"):
            if not args:
                die("%s needs a value" % a)
            opts[a] = args.pop(0)
        else:
            die("unknown option %s" % a)
    try:
        res = measure(run, float(opts.get("--floor-ms", 500)))
    except (OSError, ValueError) as e:
        die("cannot read the run in %s: %s" % (run, e))

    tl = None
    if opts.get("--timeline") or "--demo-md" in opts or "--plot-prefix" in opts:
        tl, events, per, duration = timeline(res, run)
    if opts.get("--timeline"):
        print("\n".join(tl))
        print()
    tab = table(res)
    cross = ("Cross traffic: %d datagrams of 1500 B (IP) in %.3f s, %.0f/s "
             "(%.1f Mbit/s) on average." % (
                 res["cross_packets"], res["congestion_s"],
                 res["cross_packets"] / res["congestion_s"],
                 res["cross_packets"] * 1500 * 8 / res["congestion_s"] / 1e6))
    if res["other_cpu_s"] is not None:
        cross += (" Other jobs on the machine used %.1f CPU-seconds during "
                  "the run (of 2 CPUs)." % res["other_cpu_s"])
    if res["major_faults"] is not None:
        cross += (" Major page faults of this testbed's processes during the "
                  "run: %s." % (", ".join("%s %d" % x for x in
                                          sorted(res["major_faults"].items()))
                                or "none"))
    st = res["stalls"]
    if st is None:
        cross += (" No stall probe ran (rtvnic-stall-probe needs SCHED_FIFO"
                  "): the floor is judged on every miss.")
    else:
        cross += (" Machine stalls (a CPU did not run the stall probe's "
                  "SCHED_FIFO 99 thread for more than 0.5 ms): %s; all %d "
                  "CPUs at once: %d%s." % (
                      ", ".join("CPU %d %d, longest %.2f ms" % (i, n, m)
                                for i, (n, m) in enumerate(
                                    zip(st["cpu_stalls"],
                                        st["cpu_longest_ms"]))),
                      st["cpus"], len(st["all_cpus"]),
                      (" (" + ", ".join("t = %.3f s %.2f ms" % x
                                        for x in st["all_cpus"]) + ")")
                      if st["all_cpus"] else ""))
    tab = [cross, ""] + tab
    print("\n".join(tab))
    if "--json" in opts:
        with open(opts["--json"], "w") as f:
            json.dump({**res, "flows": [{k: v for k, v in fl.items()
                                         if not k.startswith("_")}
                                        for fl in res["flows"]]}, f, indent=1)
    if "--line" in opts:
        sys.stderr.write(opts["--line"] + "".join(
            "  %s: misses %d/%d restored %s ms" % (
                f["name"], f["misses_congestion"], f["packets_congestion"],
                f["restore_own_ms"]) for f in res["flows"]) + "\n")
    header = opts.get("--header", "")
    if "--feedback-md" in opts:
        with open(opts["--feedback-md"], "w") as f:
            f.write(header + "\n\n" + "\n".join(tab) + "\n")
    if "--demo-md" in opts:
        with open(opts["--demo-md"], "w") as f:
            f.write(header + "\n\n```\n" + "\n".join(tl) + "\n```\n\n"
                    + "\n".join(tab) + "\n\n![](demo.png)\n")
    if "--plot-prefix" in opts:
        write_plot(res, opts["--plot-prefix"],
                   opts.get("--png", opts["--plot-prefix"] + ".png"),
                   events, per, duration)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
