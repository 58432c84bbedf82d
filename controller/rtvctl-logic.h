/*
 * Copyright (c) 2026 RTvNIC authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at:
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS,
 * WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 * See the License for the specific language governing permissions and
 * limitations under the License.
 */

#ifndef RTVCTL_LOGIC_H
#define RTVCTL_LOGIC_H 1

/* rtvctl's decisions for one RTvNIC flow (a sender's vNIC), as the RTvNIC
 * paper's two stages plus relaxing:
 *
 *   1. A miss report whose host part of the delay dominates (host mean >=
 *      network mean, both of the interval's misses: see struct
 *      rtvnic_report) tightens the vNIC's effective deadline on its host by
 *      the observed excess, not below the policy's floor.  If the host's
 *      admission control refuses the tighter deadline, the one it kept is
 *      the flow's floor for a quiet period, or until the flow relaxes back
 *      to its contract.
 *
 *   2. A miss report whose network part dominates, or arrives when the
 *      deadline is at its floor, raises the flow's DSCP one step up the
 *      policy's ladder (at most one step per report).  A flow whose
 *      contract deadline is at most the policy's 'top_rung_deadline_us'
 *      goes straight to the top of the ladder.  Not at the floor when
 *      the misses' host mean alone is at least their (contract) deadline:
 *      such misses are "host-bound" (a stalled or CPU-starved sending
 *      switch), no network priority could have brought them in, and a
 *      higher DSCP would only take priority from other flows.  They are
 *      logged (a warning) and delay relaxing.
 *
 *   3. After a quiet period without misses, one step is given back: first
 *      DSCP, one level at a time (for a 'top_rung_deadline_us' flow,
 *      straight back to the bottom), then the deadline, back to the
 *      contract.
 *
 * Neither stage acts on "receiver-bound" misses, whose host and network
 * means leave the receiving host more of their deadline than either
 * (their receiver part is at least the deadline minus the two): they are
 * late mostly because of that host (its switch reading them late, which
 * the receiver's own kernel timestamps keep out of the network part), and
 * neither the sender's deadline nor its DSCP changes that.
 * They are logged (a warning) and, saying nothing about the sender or
 * the network, are no evidence for a step (neither in the window nor in
 * the severe rule's persistence) and do not delay relaxing.  For the same
 * reason near misses whose receiver part (above the near-miss line) is
 * the largest make no episode and are no evidence.
 *
 * Two rules decide that misses call for a step (stage 1 or 2):
 *
 *   - Severe: a report whose own miss ratio is at least the policy's
 *     'miss_ratio_threshold'.
 *
 *   - Windowed (the contract): the flow's miss ratio over its window
 *     ('miss_window_ms', default 'miss_window_ms' of the policy) exceeds its
 *     target ('miss_target', default the policy's 'miss_target'; 0: no
 *     windowed rule) with enough evidence: at least the policy's
 *     'miss_min_misses' misses in the window, spread over at least
 *     max('miss_persist_ms', 'report_interval_ms') (so that one stall or one
 *     bad report interval is not enough), and the Wilson score lower bound
 *     (one-sided 95 %, z = 1.645) of the ratio above the target.  The window
 *     counts misses from the reports in RTVCTL_MISS_BUCKETS buckets (bounded
 *     state; older buckets expire); its packets are the flow's rate (from
 *     heartbeats, summed over the receivers that count the flow, else from
 *     the latest report) times the time the window covers.  With near
 *     misses (below), the window also counts those the network made
 *     (network mean > host mean, of the report's misses or else of its
 *     near misses), and once it holds a miss the same test on misses plus
 *     near misses (packets at risk) is evidence too: a flow that comes
 *     within the near-miss line more often than its target allows and has
 *     begun to miss misses more often than that as soon as the network's
 *     queue grows a little, and the misses alone would take about 1 /
 *     target of its packets to prove it.  Every change
 *     of the flow empties the window: a further step needs evidence
 *     gathered after the previous one.  For the policy's quiet period
 *     after a relax, a step up also needs the lower bound above the ratio
 *     that the flow kept at the level it relaxed from, of misses (for the
 *     misses' test) or of packets at risk (for theirs), counted from one
 *     evidence spread after it reached that level (packets already queued
 *     behind the congestion do not count) until the relax: what a higher
 *     class or a tighter deadline did not remove (CPUs that stall, two
 *     flows of one class in one queue) the same step would not remove
 *     again, and a flow must not oscillate on it.  A step up ends the bar.
 *     A report after
 *     which the window's lower bound is above the target also delays
 *     relaxing (even with fewer than 'miss_min_misses'); other misses do
 *     not.
 *
 * A third rule acts before misses, on near misses (packets that met their
 * deadline with less than 1 - 'near_miss_fraction' of it to spare; the
 * switches report them once the policy's fraction is not 0): reports in
 * which at least half of the interval's packets were near misses or
 * misses, whose network part dominates (network mean > host mean, of the
 * misses or else of the near misses), each at most two report intervals
 * after the previous one, for at least 'near_miss_persist_ms', raise DSCP
 * one step (to the top for a 'top_rung_deadline_us' flow), as stage 2,
 * unless the report's network maximum (of all its packets) is below the
 * episode's first report's: a queue that drains (the backlog a stall left
 * on the path) gives the slack back by itself.  Such an episode also
 * delays relaxing.  A standing queue in the network that grows towards the
 * deadline (a ramp) shows up this way before any packet misses; a queue
 * that only bursts, or the host's EDF using the slack it was given (host
 * part dominates: the deadline is the host's to use), does not.
 *
 * Reports below the threshold act only through the windowed rule.  The
 * others act only once misses have persisted for the policy's
 * 'miss_persist_ms': they form an episode while each follows the previous
 * one within that time, and the episode must have lasted that long (0: act
 * on the first); misses that have not persisted do not delay relaxing
 * either.  Two
 * changes of one flow are at least 'min_step_interval_ms' apart, and a relax
 * step needs a full quiet period since the last change, so a flow never
 * oscillates faster than the policy allows.  If misses force a step up again
 * within a quiet period of a relax step (the congestion is still there), the
 * flow's quiet period doubles, up to 16 times the policy's; a flow that
 * relaxes all the way goes back to the policy's.
 *
 * Pure logic: no I/O, time passed in, so it is unit-testable. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Buckets of a flow's miss window: each covers a tenth of the window. */
#define RTVCTL_MISS_BUCKETS 10

/* One-sided 95 % normal quantile for the Wilson score lower bound. */
#define RTVCTL_WILSON_Z 1.645

struct rtvctl_policy;
struct rtvnic_report;

/* What a flow's reports said in a tenth of its miss window. */
struct rtvctl_window_bucket {
    uint32_t misses;
    uint32_t near_misses;       /* Those that count (see above). */
    long long int first_miss_ms;    /* First report with misses. */
    long long int first_risk_ms;    /* First with misses or near misses. */
};

struct rtvctl_flow_state {
    uint64_t contract_us;       /* Configured deadline; 0 if not known. */
    uint64_t effective_us;      /* Deadline the host applies. */
    uint64_t host_floor_us;     /* Deadline the host kept when it refused
                                 * a lower one, at 'host_floor_ms' (for a
                                 * quiet period, until the flow is back at
                                 * its contract); 0 if none. */
    long long int host_floor_ms;
    size_t level;               /* Index in the DSCP ladder. */
    long long int last_miss_ms;
    long long int last_change_ms;
    long long int last_relax_ms;
    long long int episode_start_ms; /* First report of the miss episode. */
    long long int episode_last_ms;  /* Its latest report. */
    long long int near_start_ms;    /* First report of a near-miss episode. */
    long long int near_last_ms;     /* Its latest report. */
    uint32_t near_first_net_ns;     /* Its first report's network max. */
    unsigned int quiet_factor;  /* Quiet period multiplier, 1...16. */
    /* 'last_change_ms' and 'quiet_factor' before the latest step up, for
     * a step the host refuses: it changed nothing. */
    long long int prev_change_ms;
    unsigned int prev_quiet_factor;
    uint64_t reports;
    uint64_t misses;
    uint64_t near_misses;

    /* The contract's miss ratio, from the source list (0: the policy's). */
    uint32_t miss_target_ppm;   /* Parts per million of packets. */
    uint32_t miss_window_ms;

    /* Soft state of the windowed rule (not kept in a database). */
    struct rtvctl_window_bucket win[RTVCTL_MISS_BUCKETS];
    long long int win_epoch;    /* now / bucket length of the newest. */
    uint32_t win_bucket_ms;     /* 0: window not started. */
    long long int win_start_ms; /* When the window was last emptied. */
    double rate_pps;            /* Packets per second, 0 if unknown. */
    long long int rate_beat_ms; /* Last heartbeat that gave 'rate_pps'. */
    long long int rate_round_ms;    /* First heartbeat of this round. */
    uint64_t rate_acc, rate_prev;   /* Packets: this round, the previous. */
    unsigned int rate_rounds;   /* Heartbeat rounds seen, up to 2. */

    /* Misses and near misses (those the window counts) that the flow kept
     * after its latest step up, which that step did not remove: counted
     * from 'kept_from_ms' (LLONG_MAX / 2: not counting).  At a relax,
     * their ratios become the windowed rule's bars until 'kept_until_ms'
     * (see above). */
    long long int kept_from_ms;
    uint64_t kept_misses, kept_near;
    double kept_ratio, kept_risk_ratio;
    long long int kept_until_ms;
};

enum rtvctl_action_type {
    RTVCTL_ACT_NONE,
    RTVCTL_ACT_SET_DEADLINE,    /* Set effective deadline 'deadline_us'. */
    RTVCTL_ACT_SET_LEVEL,       /* Mark the flow with ladder['level']. */
};

struct rtvctl_action {
    enum rtvctl_action_type type;
    uint64_t deadline_us;
    uint64_t from_us;           /* SET_DEADLINE: the deadline before. */
    size_t level;
    char why[320];              /* The numbers behind the decision. */
    bool cannot_help;           /* No step: host-bound or receiver-bound
                                 * misses (see above); worth a warning. */
};

void rtvctl_flow_state_init(struct rtvctl_flow_state *);
void rtvctl_decide_report(const struct rtvctl_policy *,
                          struct rtvctl_flow_state *,
                          const struct rtvnic_report *, long long int now_ms,
                          struct rtvctl_action *);
void rtvctl_flow_note_packets(const struct rtvctl_policy *,
                              struct rtvctl_flow_state *, uint32_t packets,
                              uint32_t interval_ms, long long int now_ms);
double rtvctl_wilson_lower(double misses, double packets);
/* The flow's host refused the effective deadline 'refused_us' that an
 * action asked for instead of 'from_us': 'from_us' becomes the flow's
 * floor.  If 'refused_us' is still the latest, it is the flow's deadline
 * again and the step does not count as a change (neither for
 * 'min_step_interval_ms' nor for the quiet period's doubling), so the next
 * misses go on to stage 2 at once. */
void rtvctl_flow_deadline_refused(struct rtvctl_flow_state *,
                                  uint64_t refused_us, uint64_t from_us,
                                  long long int now_ms);
void rtvctl_decide_relax(const struct rtvctl_policy *,
                         struct rtvctl_flow_state *, long long int now_ms,
                         struct rtvctl_action *);
/* Whether rtvctl_decide_relax() would act now (it checks this first): cheap
 * and read-only, for a caller that scans many flows. */
bool rtvctl_relax_is_due(const struct rtvctl_policy *,
                         const struct rtvctl_flow_state *,
                         long long int now_ms);
/* The time from which rtvctl_relax_is_due() is true as long as the state
 * does not change (LLONG_MAX: a flow at rest never is), for a caller that
 * keeps its flows in a timer heap rather than scanning them. */
long long int rtvctl_relax_due_ms(const struct rtvctl_policy *,
                                  const struct rtvctl_flow_state *);
const char *rtvctl_stage_name(const struct rtvctl_flow_state *);

#endif /* rtvctl-logic.h */
