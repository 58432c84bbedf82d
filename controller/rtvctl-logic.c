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

#include <config.h>

#include "rtvctl-logic.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "rtvctl-policy.h"
#include "rtvnic-report.h"
#include "util.h"

void
rtvctl_flow_state_init(struct rtvctl_flow_state *st)
{
    memset(st, 0, sizeof *st);
    st->last_miss_ms = LLONG_MIN / 2;
    st->last_change_ms = LLONG_MIN / 2;
    st->last_relax_ms = LLONG_MIN / 2;
    st->episode_start_ms = LLONG_MIN / 2;
    st->episode_last_ms = LLONG_MIN / 2;
    st->quiet_factor = 1;
}

static void
act(struct rtvctl_action *a, enum rtvctl_action_type type)
{
    a->type = type;
}

/* A flow whose deadline leaves no time to try the ladder's middle rungs one
 * 'min_step_interval_ms' after another uses only its bottom and top. */
static bool
uses_top_rung(const struct rtvctl_policy *p,
              const struct rtvctl_flow_state *st)
{
    return st->contract_us && st->contract_us <= p->top_rung_deadline_us;
}

void
rtvctl_decide_report(const struct rtvctl_policy *p,
                     struct rtvctl_flow_state *st,
                     const struct rtvnic_report *r, long long int now_ms,
                     struct rtvctl_action *a)
{
    memset(a, 0, sizeof *a);
    st->reports++;
    st->misses += r->misses;
    if (!r->misses || !r->packets
        || (double) r->misses / r->packets < p->miss_ratio_threshold) {
        snprintf(a->why, sizeof a->why, "%"PRIu32" of %"PRIu32" packets "
                 "missed, below the threshold", r->misses, r->packets);
        return;
    }
    if (now_ms - st->episode_last_ms > p->miss_persist_ms) {
        st->episode_start_ms = now_ms;
    }
    st->episode_last_ms = now_ms;
    if (now_ms - st->episode_start_ms < p->miss_persist_ms) {
        /* Not (yet) persistent: neither acts nor delays relaxing. */
        snprintf(a->why, sizeof a->why, "%"PRIu32"/%"PRIu32" misses, for "
                 "%lld ms, not yet miss_persist_ms %"PRIu32, r->misses,
                 r->packets, now_ms - st->episode_start_ms,
                 p->miss_persist_ms);
        return;
    }
    st->last_miss_ms = now_ms;
    if (now_ms - st->last_change_ms < p->min_step_interval_ms) {
        snprintf(a->why, sizeof a->why, "last change %lld ms ago, within "
                 "min_step_interval_ms %"PRIu32, now_ms - st->last_change_ms,
                 p->min_step_interval_ms);
        return;
    }

    bool host_dominates = r->host_mean_ns >= r->network_mean_ns;
    /* Rounded up, so at least 1 us for a miss: a tightening always
     * tightens.  (DIV_ROUND_UP() would wrap to 0 for a 'max_excess_ns'
     * within 999 of UINT64_MAX, and a report may say anything.) */
    uint64_t excess_us = MAX(r->max_excess_ns / 1000
                             + (r->max_excess_ns % 1000 != 0), 1);

    if (host_dominates && st->contract_us
        && st->effective_us > p->tighten_floor_us) {
        uint64_t target = (st->effective_us > excess_us + p->tighten_floor_us
                           ? st->effective_us - excess_us
                           : p->tighten_floor_us);

        snprintf(a->why, sizeof a->why, "%"PRIu32"/%"PRIu32" misses, host "
                 "mean %"PRIu32" us >= network mean %"PRIu32" us, excess "
                 "%"PRIu64" us: tighten deadline %"PRIu64" -> %"PRIu64" us",
                 r->misses, r->packets, r->host_mean_ns / 1000,
                 r->network_mean_ns / 1000, excess_us, st->effective_us,
                 target);
        st->effective_us = target;
        a->deadline_us = target;
        act(a, RTVCTL_ACT_SET_DEADLINE);
    } else if (st->level + 1 < p->n_ladder) {
        size_t from = st->level;

        st->level = uses_top_rung(p, st) ? p->n_ladder - 1 : st->level + 1;
        snprintf(a->why, sizeof a->why, "%"PRIu32"/%"PRIu32" misses, %s: "
                 "escalate DSCP %u -> %u", r->misses, r->packets,
                 (host_dominates
                  ? "deadline at its floor"
                  : "network part dominates"),
                 p->dscp_ladder[from], p->dscp_ladder[st->level]);
        a->level = st->level;
        act(a, RTVCTL_ACT_SET_LEVEL);
    } else {
        snprintf(a->why, sizeof a->why, "%"PRIu32"/%"PRIu32" misses at the "
                 "top of the DSCP ladder: nothing left to do", r->misses,
                 r->packets);
        return;
    }
    if (now_ms - st->last_relax_ms
        < (long long int) p->quiet_period_ms * st->quiet_factor) {
        /* Relaxed too early: wait longer next time. */
        st->quiet_factor = MIN(st->quiet_factor * 2, 16);
    }
    st->last_change_ms = now_ms;
}

bool
rtvctl_relax_is_due(const struct rtvctl_policy *p,
                    const struct rtvctl_flow_state *st, long long int now_ms)
{
    long long int quiet_ms = (long long int) p->quiet_period_ms
                             * st->quiet_factor;

    return (now_ms - st->last_miss_ms >= quiet_ms
            && now_ms - st->last_change_ms >= quiet_ms
            && (st->level > 0
                || (st->contract_us && st->effective_us < st->contract_us)));
}

void
rtvctl_decide_relax(const struct rtvctl_policy *p,
                    struct rtvctl_flow_state *st, long long int now_ms,
                    struct rtvctl_action *a)
{
    memset(a, 0, sizeof *a);
    if (!rtvctl_relax_is_due(p, st, now_ms)) {
        return;
    }
    if (st->level > 0) {
        size_t from = st->level;

        st->level = uses_top_rung(p, st) ? 0 : st->level - 1;
        snprintf(a->why, sizeof a->why, "no misses for %lld ms: relax DSCP "
                 "%u -> %u", now_ms - st->last_miss_ms,
                 p->dscp_ladder[from], p->dscp_ladder[st->level]);
        a->level = st->level;
        act(a, RTVCTL_ACT_SET_LEVEL);
    } else if (st->contract_us && st->effective_us < st->contract_us) {
        snprintf(a->why, sizeof a->why, "no misses for %lld ms: relax "
                 "deadline %"PRIu64" -> %"PRIu64" us (contract)",
                 now_ms - st->last_miss_ms, st->effective_us,
                 st->contract_us);
        st->effective_us = st->contract_us;
        a->deadline_us = st->contract_us;
        act(a, RTVCTL_ACT_SET_DEADLINE);
    } else {
        return;
    }
    st->last_change_ms = now_ms;
    st->last_relax_ms = now_ms;
    if (!st->level && st->effective_us >= st->contract_us) {
        st->quiet_factor = 1;
    }
}

const char *
rtvctl_stage_name(const struct rtvctl_flow_state *st)
{
    return (st->level ? "escalated"
            : st->contract_us && st->effective_us < st->contract_us
            ? "tightened" : "normal");
}
