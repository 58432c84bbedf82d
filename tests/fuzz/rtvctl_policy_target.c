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

/* libFuzzer target: rtvctl's policy parser (controller/rtvctl-policy.c).
 *
 * Input: JSON text, as in a policy file, given to
 * rtvctl_policy_from_string().  Checks (abort() on failure):
 *
 *   - a refused policy comes with a message and leaves the defaults;
 *   - an accepted one is within the documented bounds (report interval,
 *     miss ratio threshold, a strictly increasing DSCP ladder of 1 to 8
 *     DSCPs up to 63, next_table after escalation_table, DSCP queues), and
 *     its lookups find every host by tunnel IP and datapath ID and every
 *     network switch by datapath ID;
 *   - the decision logic (controller/rtvctl-logic.c) runs under it: a fixed
 *     script of miss reports (host and network dominated, at the floor,
 *     below the threshold) and quiet periods drives one flow whose contract
 *     deadline comes from the input's length, and every decision keeps the
 *     flow on the ladder, never loosens the deadline past the contract when
 *     tightening, never tightens below the floor, and keeps the quiet
 *     factor within 1...16. */

#include <config.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "openvswitch/vlog.h"
#include "packets.h"
#include "controller/rtvctl-logic.h"
#include "controller/rtvctl-policy.h"
#include "rtvnic-report.h"
#include "rtvnic-fuzz.h"
#include "util.h"

static void
check_default(const struct rtvctl_policy *p)
{
    struct rtvctl_policy d;

    rtvctl_policy_init_default(&d);
    FUZZ_CHECK(p->report_interval_ms == d.report_interval_ms
          && p->miss_ratio_threshold == d.miss_ratio_threshold
          && p->tighten_floor_us == d.tighten_floor_us
          && p->n_ladder == d.n_ladder
          && !memcmp(p->dscp_ladder, d.dscp_ladder, sizeof d.dscp_ladder)
          && p->quiet_period_ms == d.quiet_period_ms
          && p->escalation_table == d.escalation_table
          && p->next_table == d.next_table
          && !p->n_hosts && !p->n_netswitches);
    rtvctl_policy_destroy(&d);
}

static void
check_policy(const struct rtvctl_policy *p)
{
    FUZZ_CHECK(p->report_interval_ms >= 1 && p->report_interval_ms <= 60000);
    FUZZ_CHECK(p->miss_ratio_threshold >= 0 && p->miss_ratio_threshold < 1);
    FUZZ_CHECK(p->tighten_floor_us >= 1);
    FUZZ_CHECK(p->n_ladder >= 1 && p->n_ladder <= RTVCTL_MAX_LADDER);
    for (size_t i = 0; i < p->n_ladder; i++) {
        FUZZ_CHECK(p->dscp_ladder[i] <= 63);
        FUZZ_CHECK(!i || p->dscp_ladder[i] > p->dscp_ladder[i - 1]);
    }
    FUZZ_CHECK(p->quiet_period_ms >= 1);
    FUZZ_CHECK(p->disconnected_grace_ms >= 100);
    FUZZ_CHECK(p->next_table > p->escalation_table && p->next_table <= 253);
    FUZZ_CHECK(p->escalation_priority >= 2);
    FUZZ_CHECK(p->network_next_table > p->network_table);

    for (size_t i = 0; i < p->n_hosts; i++) {
        const struct rtvctl_host *h = &p->hosts[i];
        const struct rtvctl_host *by_ip
            = rtvctl_policy_host_by_ip(p, &h->tunnel_ip);
        const struct rtvctl_host *by_dpid
            = rtvctl_policy_host_by_dpid(p, h->datapath_id);

        /* Datapath IDs and tunnel IPs are unique: each finds its host. */
        FUZZ_CHECK(by_ip == h);
        FUZZ_CHECK(by_dpid == h);
    }
    for (size_t i = 0; i < p->n_netswitches; i++) {
        const struct rtvctl_netswitch *ns = &p->netswitches[i];
        const struct rtvctl_netswitch *found
            = rtvctl_policy_netswitch(p, ns->datapath_id);

        FUZZ_CHECK(found == ns);
        FUZZ_CHECK(ns->n_queues <= ARRAY_SIZE(ns->dscp));
        for (size_t j = 0; j < ns->n_queues; j++) {
            FUZZ_CHECK(ns->dscp[j] <= 63);
            for (size_t k = 0; k < j; k++) {
                FUZZ_CHECK(ns->dscp[k] != ns->dscp[j]);
            }
        }
    }
}

static void
check_action(const struct rtvctl_policy *p, const struct rtvctl_flow_state *st,
             const struct rtvctl_flow_state *old,
             const struct rtvctl_action *a)
{
    FUZZ_CHECK(st->level < p->n_ladder);
    FUZZ_CHECK(st->quiet_factor >= 1 && st->quiet_factor <= 16);
    if (a->type == RTVCTL_ACT_SET_DEADLINE) {
        FUZZ_CHECK(a->deadline_us == st->effective_us);
        FUZZ_CHECK(a->deadline_us != old->effective_us);
        if (a->deadline_us < old->effective_us) {
            /* Tightened: by the excess, not below the floor. */
            FUZZ_CHECK(a->deadline_us >= p->tighten_floor_us);
        } else {
            /* Relaxed: back to the contract, and only that. */
            FUZZ_CHECK(a->deadline_us == st->contract_us);
        }
    } else if (a->type == RTVCTL_ACT_SET_LEVEL) {
        FUZZ_CHECK(a->level == st->level && a->level != old->level);
    } else {
        FUZZ_CHECK(a->type == RTVCTL_ACT_NONE);
        FUZZ_CHECK(st->level == old->level
              && st->effective_us == old->effective_us);
    }
    FUZZ_CHECK(memchr(a->why, '\0', sizeof a->why) != NULL);
}

/* Drives one flow through a fixed script of reports and quiet periods. */
static void
run_logic(const struct rtvctl_policy *p, uint64_t contract_us)
{
    static const struct {
        uint32_t packets, misses;
        uint32_t host_mean_ns, network_mean_ns;
        uint64_t max_excess_ns;
        long long int advance_ms;   /* Before this step. */
        bool relax;                 /* A relax tick instead of a report. */
    } script[] = {
        { 100, 10, 900000, 10000, 300000, 0, false },
        { 100, 50, 900000, 10000, 5000000, 5, false },
        { 100, 50, 900000, 10000, UINT64_MAX, 100, false },
        { 100, 1, 900000, 10000, 1000, 100, false },
        { 100, 20, 10000, 900000, 100000, 100, false },
        { 100, 20, 10000, 900000, 100000, 1, false },
        { 100, 20, 10000, 900000, 100000, 1000, false },
        { 0, 0, 0, 0, 0, 5000, true },
        { 100, 20, 10000, 900000, 100000, 10, false },
        { 0, 0, 0, 0, 0, 100000, true },
        { 0, 0, 0, 0, 0, 100000, true },
        { UINT32_MAX, UINT32_MAX, UINT32_MAX, 0, UINT64_MAX - 1, 60000,
          false },
        { 0, 0, 0, 0, 0, 3600000, true },
        { 0, 0, 0, 0, 0, 3600000, true },
        { 0, 0, 0, 0, 0, 3600000, true },
    };
    struct rtvctl_flow_state st;
    long long int now = 1000000;

    rtvctl_flow_state_init(&st);
    st.contract_us = st.effective_us = contract_us;
    for (size_t i = 0; i < ARRAY_SIZE(script); i++) {
        struct rtvctl_flow_state old = st;
        struct rtvctl_action a;

        now += script[i].advance_ms;
        if (script[i].relax) {
            rtvctl_decide_relax(p, &st, now, &a);
        } else {
            struct rtvnic_report r = {
                .packets = script[i].packets,
                .misses = script[i].misses,
                .deadline_us = contract_us,
                .max_excess_ns = script[i].max_excess_ns,
                .host_mean_ns = script[i].host_mean_ns,
                .network_mean_ns = script[i].network_mean_ns,
            };
            rtvctl_decide_report(p, &st, &r, now, &a);
        }
        check_action(p, &st, &old, &a);
        (void) rtvctl_stage_name(&st);
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool initialized;
    struct rtvctl_policy p;
    char *text, *error;

    if (!initialized) {
        vlog_set_levels(NULL, VLF_ANY_DESTINATION, VLL_OFF);
        initialized = true;
    }

    text = xmemdup0((const char *) data, size);
    error = rtvctl_policy_from_string(text, &p);
    free(text);
    if (error) {
        FUZZ_CHECK(error[0] != '\0');
        free(error);
        check_default(&p);
    } else {
        check_policy(&p);
        run_logic(&p, 100 + (size % 7) * 1000);
        run_logic(&p, p.top_rung_deadline_us);
    }
    rtvctl_policy_destroy(&p);
    return 0;
}
