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
 *      network mean) tightens the vNIC's effective deadline on its host by
 *      the observed excess, not below the policy's floor.
 *
 *   2. A miss report whose network part dominates, or arrives when the
 *      deadline is at its floor, raises the flow's DSCP one step up the
 *      policy's ladder (at most one step per report).  A flow whose
 *      contract deadline is at most the policy's 'top_rung_deadline_us'
 *      goes straight to the top of the ladder.
 *
 *   3. After a quiet period without misses, one step is given back: first
 *      DSCP, one level at a time (for a 'top_rung_deadline_us' flow,
 *      straight back to the bottom), then the deadline, back to the
 *      contract.
 *
 * Reports with a miss ratio below the policy's threshold are ignored.  The
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

struct rtvctl_policy;
struct rtvnic_report;

struct rtvctl_flow_state {
    uint64_t contract_us;       /* Configured deadline; 0 if not known. */
    uint64_t effective_us;      /* Deadline the host applies. */
    size_t level;               /* Index in the DSCP ladder. */
    long long int last_miss_ms;
    long long int last_change_ms;
    long long int last_relax_ms;
    long long int episode_start_ms; /* First report of the miss episode. */
    long long int episode_last_ms;  /* Its latest report. */
    unsigned int quiet_factor;  /* Quiet period multiplier, 1...16. */
    uint64_t reports;
    uint64_t misses;
};

enum rtvctl_action_type {
    RTVCTL_ACT_NONE,
    RTVCTL_ACT_SET_DEADLINE,    /* Set effective deadline 'deadline_us'. */
    RTVCTL_ACT_SET_LEVEL,       /* Mark the flow with ladder['level']. */
};

struct rtvctl_action {
    enum rtvctl_action_type type;
    uint64_t deadline_us;
    size_t level;
    char why[160];              /* The numbers behind the decision. */
};

void rtvctl_flow_state_init(struct rtvctl_flow_state *);
void rtvctl_decide_report(const struct rtvctl_policy *,
                          struct rtvctl_flow_state *,
                          const struct rtvnic_report *, long long int now_ms,
                          struct rtvctl_action *);
void rtvctl_decide_relax(const struct rtvctl_policy *,
                         struct rtvctl_flow_state *, long long int now_ms,
                         struct rtvctl_action *);
/* Whether rtvctl_decide_relax() would act now (it checks this first): cheap
 * and read-only, for a caller that scans many flows. */
bool rtvctl_relax_is_due(const struct rtvctl_policy *,
                         const struct rtvctl_flow_state *,
                         long long int now_ms);
const char *rtvctl_stage_name(const struct rtvctl_flow_state *);

#endif /* rtvctl-logic.h */
