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

# system-rtvnic-core.sh: system test of an OVS core switch that is
# deadline-scheduled too (CORE=ovs in testbed/rtvnic-testbed), with
# rtvctl's DSCP->queue flows, on real kernel networking (about 40 s):
#
#   vm1a rt: 200 pps x 200 B, deadline 20 ms, min-rate 5 Mbit/s   host1
#   vm1b be: 100 pps x 1000 B, best effort (no RTvNIC source)     egress
#                                                                 100 Mbit/s
#   core: OVS switch br-core (datapath ID 0x31); c-h2, towards host2, an
#   RTvNIC egress at 10 Mbit/s, queue-limit 100, queue 1 (EF-like,
#   deadline 5 ms: at 10 Mbit/s admission needs more than 2 ms) and queue
#   2 (AF41-like, 20 ms); best-effort cross traffic from the core's own
#   stack (1500-byte packets, 1500 pps, more than the egress takes) from
#   t = 5 s to t = 11 s;
#   rtvctl: host1 0x11, host2 0x21, network switch 0x31 (DSCP 46 -> queue
#   1, 34 -> queue 2), ladder [0, 46], threshold 0.5, miss_persist_ms 50,
#   quiet period 60 s (it never relaxes within the test, so the escalation
#   flow and its counter stay for the end).
#
# Checks (one "PASS: ..." or "FAIL: ... (why)" line each):
#   - the core's egress has both queues, admitted;
#   - rtvctl lists the core as a network switch, the hosts not;
#   - before the congestion (t = 2 s): no rtvctl flow in br-core, queues 1
#     and 2 have counted no packet, no decision by rtvctl;
#   - rtvctl escalated the RT flow 0 -> 46 once, during the congestion, and
#     pushed "nw_tos=184,actions=set_queue:1,goto_table:1" to the core;
#   - at the end, queue 1 counted exactly the packets of br-core's DSCP 46
#     flow (its n_packets), at least one, at most the packets host1's
#     escalation flow marked (rtvctl sends host1's flow_mod first, so the
#     first marked packets may cross the core as best effort), and queue 2
#     counted none: best-effort packets (vm1b's, the cross traffic, the RT
#     flow's before the escalation) entered no queue;
#   - stamps survive the core: host2's switch measured every RT datagram
#     vm2a's application received (its packets during the traffic =
#     received; its lost = sent - received), no bad stamp, a network delay;
#   - vm1b's best effort got through.
# The RT flow's misses and convergence are printed as "INFO:", not asserted
# (noise-bound on a busy machine).
# Last line "system-rtvnic-core: N passed, M failed"; exit status 1 if any
# failed, 77 (skip) if not root.  Run files in build/system-rtvnic-core/
# PREFIX/, deleted when every check passed.
#
# Usage: tests/system-rtvnic-core.sh   (as root; OVSDIR as for the testbed)

top=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
ovs=${OVSDIR:-$top/build/ovs}
export TESTBED_PREFIX=rtvco$$
export HOST1_VMS="vm1a vm1b" HOST2_VMS=vm2a
export CORE=ovs CORE_RATE=10mbit CORE_QUEUE_LIMIT=100
export CORE_EF_DEADLINE=5ms CORE_AF41_DEADLINE=20ms
T_ON=5
T_OFF=11
T_END=13

if [ "$(id -u)" != 0 ]; then
    echo "system-rtvnic-core: SKIP: must run as root (creates network namespaces)"
    exit 77
fi

. "$top/tests/rtvnic-system-lib.sh"
st_init system-rtvnic-core

. "$top/testbed/rtvnic-feedback-setup.sh"

finish() {
    local rc=$?
    trap - EXIT INT TERM
    fb_cleanup 2>/dev/null
    if [ "${done_ok:-}" = 1 ] && [ "$failed" = 0 ]; then
        rm -rf "$run"
    elif [ -n "${run:-}" ]; then
        echo "system-rtvnic-core: run files kept in $run"
    fi
    st_summary "$rc"
}
trap finish EXIT
trap 'exit 130' INT TERM

for d in "$top"/build/system-rtvnic-core/rtvco*; do
    [ -d "$d" ] || continue
    kill -0 "${d##*/rtvco}" 2>/dev/null || rm -rf "$d"
done
fb_init "$ovs" "$top/build/system-rtvnic-core/$TESTBED_PREFIX"
run=$fb_run

fb_up
pass "testbed up with an OVS core (prefix $TESTBED_PREFIX, RTvNIC egress $CORE_RATE towards host2)"

qos=$("$fb_tb" appctl core qos/show c-h2 2>&1)
echo "$qos" > "$run/qos.start"
if [ "$(grep -c 'admission: admitted' <<<"$qos")" = 2 ]; then
    pass "core: c-h2's rtvnic egress has queues 1 and 2, both admitted"
else
    fail "core: c-h2's rtvnic egress has queues 1 and 2, both admitted" "$qos"
fi

fb_egress 100000000 300
fb_source rt vm1a 20ms 5000000
fb_rtvctl quiet_period_ms=60000 miss_persist_ms=50 dscp_ladder="[0, 46]" \
    miss_ratio_threshold=0.5 min_step_interval_ms=500
rshow=$(fb_ctl rtvctl/show 2>&1)
if grep -q 'connected, datapath ID 0x31 (network switch)$' <<<"$rshow" \
        && grep -q 'connected, datapath ID 0x11$' <<<"$rshow" \
        && grep -q 'connected, datapath ID 0x21$' <<<"$rshow"; then
    pass "rtvctl lists the core (0x31) as a network switch, the hosts not"
else
    fail "rtvctl lists the core (0x31) as a network switch, the hosts not" \
        "$rshow"
fi

# -------------------------------------------------------------- traffic --
# What host2 measured of vm1a so far (fb_rtvctl's ping).
"$fb_tb" appctl host2 rtvnic/flows --json > "$run/flows2.start" 2>&1
fb_recv rt vm2a 5001 60 20000
recv_pids=($fb_last_pid)
fb_recv be vm2a 5003 60 "" nolog
recv_pids+=($fb_last_pid)
sleep 0.2
fb_t0
fb_send rt vm1a "$VM2A_IP" 5001 1 60 --rate 200 --size 172
send_pids=($fb_last_pid)
fb_send be vm1b "$VM2A_IP" 5003 3 60 --rate 100 --size 972
send_pids+=($fb_last_pid)
# Before the congestion: what br-core has and counted (taken well before
# the onset, which the analysis checks).
( fb_until 2
  "$fb_tb" ofctl core dump-flows "$CORE_BRIDGE" > "$run/coreflows.pre" 2>&1
  "$fb_tb" appctl core qos/show c-h2 > "$run/qos.pre" 2>&1
  date +%s.%N > "$run/pre.done" ) &
pre_pid=$!
fb_cross "$T_ON" "$T_OFF" 1500 || true
wait "$pre_pid"
fb_until "$T_END"
kill -TERM "${send_pids[@]}" 2>/dev/null
for p in "${send_pids[@]}"; do wait "$p"; done
sleep 0.5
kill -TERM "${recv_pids[@]}" 2>/dev/null
for p in "${recv_pids[@]}"; do wait "$p"; done
fb_pids=()
sleep 1        # The revalidators' last statistics reach the rules.
fb_snapshot end
"$fb_tb" ofctl host2 dump-flows br-phy "ip,nw_dst=$FB_CROSS_DST" \
    > "$run/cross.delivered" 2>&1

# ------------------------------------------------------------- analysis --
python3 "$top/bench/rtvnic-feedback-measure.py" "$run" \
    --json "$run/feedback.json" --floor-ms 500 > "$run/measure.txt" 2>&1 \
    || fail "measure the run" "$(tail -3 "$run/measure.txt")"

python3 - "$run" > "$run/analysis.txt" 2>&1 <<'EOF'
import json, re, sys
run = sys.argv[1]
res = json.load(open(run + "/feedback.json"))
on, end, t0 = res["onset"], res["end"], res["t0"]
f = res["flows"][0]


def result(ok, what, why=""):
    print(("PASS: %s" % what) if ok else ("FAIL: %s (%s)" % (what, why)))


def read(name):
    try:
        return open(run + "/" + name).read()
    except OSError as e:
        return str(e)


def queue_packets(text, queue):
    """The packets queue QUEUE of the core's egress took (sent, tx_packets,
    plus dropped, tx_errors) in a qos/show, None if it has no such queue."""
    m = re.search(r"^Queue %d:\n((?:  .*\n)*)" % queue, text, re.M)
    if not m:
        return None
    sent = re.search(r"^  tx_packets: (\d+)$", m[1], re.M)
    dropped = re.search(r"^  tx_errors: (\d+)$", m[1], re.M)
    return int(sent[1]) + int(dropped[1]) if sent and dropped else None


def flow_packets(text, pattern):
    for line in text.splitlines():
        if re.search(pattern, line):
            m = re.search(r"n_packets=(\d+)", line)
            return int(m[1]) if m else None
    return None


pre_flows = read("coreflows.pre")
try:
    pre_done = float(read("pre.done"))
except ValueError:
    pre_done = None
result(pre_done is not None and pre_done < on,
       "the first snapshot of the core was taken before the onset",
       "snapshot done at %s, onset %.3f" % (pre_done, on))
result("set_queue" not in pre_flows and "n_packets" in pre_flows,
       "before the congestion br-core has no rtvctl flow (no set_queue)",
       pre_flows.replace("\n", " | "))
q1, q2 = queue_packets(read("qos.pre"), 1), queue_packets(read("qos.pre"), 2)
result(q1 == 0 and q2 == 0,
       "before the congestion queues 1 and 2 counted no packet",
       "queue 1 %s, queue 2 %s" % (q1, q2))
d = f["decisions"]
pre = [x for x in d if x[0] + t0 < on]
esc = [x for x in d if "escalate DSCP 0 -> 46" in x[1]]
result(not pre and len(esc) == 1 and on <= esc[0][0] + t0 <= end
       and len(d) == 1,
       "rtvctl escalated the RT flow 0 -> 46 once, during the congestion "
       "(%s ms after the onset), no other decision" % f["escalation_delay_ms"],
       "decisions %s; congestion %.3f-%.3f s" % (d, on - t0, end - t0))
log = read("rtvctl.log")
result(re.search(r"network switch 0x31: DSCP 46 -> queue 1$", log, re.M)
       is not None,
       "rtvctl pushed DSCP 46 -> queue 1 to the core", "no such log line")

h1 = read("h1flows.end")
core_end = read("coreflows.end")
qos_end = read("qos.end")
marked = flow_packets(h1, r"priority=40000,ip,in_port=1 "
                      r"actions=load:0xb8->NXM_NX_TUN_TOS\[\],resubmit\(,1\)")
crossed = flow_packets(core_end, r"priority=40000,ip,nw_tos=184 "
                       r"actions=set_queue:1,resubmit\(,1\)")
q1, q2 = queue_packets(qos_end, 1), queue_packets(qos_end, 2)
# rtvctl sends host1's flow_mod before the core's: the first DSCP-46
# packets can cross the core before its flow takes effect (best effort
# there), never the other way round.
result(crossed is not None and crossed > 0 and q1 == crossed
       and marked is not None and crossed <= marked,
       "queue 1 counted exactly the %s packets of br-core's DSCP 46 flow, "
       "all of them marked by host1's escalation flow (%s)"
       % (crossed, marked),
       "host1 marked %s, br-core's queue flow %s, queue 1 %s"
       % (marked, crossed, q1))
print("INFO: %s DSCP-46 packets crossed the core before its queue flow "
      "took effect" % (marked - crossed if marked is not None
                       and crossed is not None else "-"))
result(q2 == 0, "queue 2 counted no packet: best effort entered no queue",
       "queue 2 %s" % q2)



def host2_flow(name):
    rx = [x for x in json.load(open(run + "/" + name))
          if x["sender"] == "192.0.2.1" and x["vnic_id"] == f["vnic"]]
    return rx[0] if rx else None


h2 = host2_flow("flows2.end")
h0 = host2_flow("flows2.start") or {"packets": 0, "lost": 0}
result(h2 is not None and h2["packets"] - h0["packets"] == f["received"]
       and h2["lost"] - h0["lost"] == f["sent"] - f["received"]
       and h2["bad_stamp"] == 0 and h2["network_max_ns"] > 0,
       "stamps survive the core: host2 measured all %d RT datagrams vm2a "
       "received (%d lost in the core), no bad stamp" % (f["received"],
                                                       f["sent"]
                                                       - f["received"]),
       "host2 before %s, after %s; application sent %d, received %d"
       % (h0, h2, f["sent"], f["received"]))
be = re.findall(r"^total id=3 packets=(\d+)", read("be.out"), re.M)
result(be and int(be[0]) > 0,
       "vm1b's best effort got through the core (%s datagrams)"
       % (be[0] if be else "-"), read("be.out")[-300:])
print("INFO: RT flow: %d sent, %d received, misses in congestion %d, "
      "convergence %s ms, host2 p99 %.3f ms, network max %.3f ms"
      % (f["sent"], f["received"], f["misses_congestion"],
         f["convergence_ms"], h2["p99_ns"] / 1e6 if h2 else -1,
         h2["network_max_ns"] / 1e6 if h2 else -1))
EOF
arc=$?
st_results "$run/analysis.txt"
[ "$arc" = 0 ] || fail "analysis" "python3 exited with status $arc, see $run/analysis.txt"

done_ok=1
