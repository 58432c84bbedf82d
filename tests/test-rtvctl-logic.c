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

/* ovstest program for rtvctl's decisions (controller/rtvctl-logic.c):
 *
 *   test-rtvctl-logic [POLICY-JSON]
 *       Reads events from stdin, one per line, and prints the decision for
 *       each:
 *         TIME report PACKETS MISSES HOST_MEAN_US NET_MEAN_US EXCESS_US
 *              [NEAR_MISSES]
 *         (the network maximum is the mean, the deadline the stamps')
 *         TIME stamps DEADLINE_US        (the deadline the next reports'
 *                                        stamps carry; 0, the default, as
 *                                        if not known)
 *         TIME relax
 *         TIME refused DEADLINE_US FROM_US
 *                                        (the host refused the step to
 *                                        DEADLINE_US from FROM_US)
 *         TIME beat PACKETS              (a heartbeat: packets in 1 s)
 *         TIME contract DEADLINE_US [TARGET_PPM WINDOW_MS]
 *                                        (what SOURCES would say)
 *         TIME wilson MISSES PACKETS     (prints the lower bound, in ppm)
 *       TIME in ms.  Each output line: "TIME: <action> (<why>)" plus the
 *       flow's state (level, effective deadline, quiet factor). */

#include <config.h>
#undef NDEBUG

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/rtvctl-logic.h"
#include "controller/rtvctl-policy.h"
#include "ovstest.h"
#include "rtvnic-report.h"
#include "util.h"

static void
print_action(long long int t, const struct rtvctl_action *a,
             const struct rtvctl_flow_state *st)
{
    const char *what = (a->type == RTVCTL_ACT_SET_DEADLINE ? "set-deadline"
                        : a->type == RTVCTL_ACT_SET_LEVEL ? "set-level"
                        : "none");

    printf("%lld: %s", t, what);
    if (a->type == RTVCTL_ACT_SET_DEADLINE) {
        printf(" %"PRIu64, a->deadline_us);
    } else if (a->type == RTVCTL_ACT_SET_LEVEL) {
        printf(" %"PRIuSIZE, a->level);
    }
    if (a->why[0]) {
        printf(" (%s)", a->why);
    }
    printf(" [level %"PRIuSIZE", deadline %"PRIu64", quiet x%u]\n",
           st->level, st->effective_us, st->quiet_factor);
}

static void
test_rtvctl_logic_main(int argc, char *argv[])
{
    struct rtvctl_flow_state st;
    struct rtvctl_policy policy;
    char line[256];

    set_program_name(argv[0]);
    if (argc > 1) {
        char *error = rtvctl_policy_from_string(argv[1], &policy);
        if (error) {
            ovs_fatal(0, "%s", error);
        }
    } else {
        rtvctl_policy_init_default(&policy);
    }
    rtvctl_flow_state_init(&st);

    uint32_t stamp_us = 0;
    while (fgets(line, sizeof line, stdin)) {
        struct rtvctl_action a;
        long long int t;
        char cmd[32];
        unsigned int pkts, misses, host_us, net_us, excess_us, near = 0;
        unsigned long long int contract;
        unsigned int target_ppm, window_ms, stamps, refused_us, from_us;
        int n;

        if (sscanf(line, "%lld %31s", &t, cmd) != 2) {
            continue;
        }
        if (!strcmp(cmd, "report")
            && sscanf(line, "%*d %*s %u %u %u %u %u %u", &pkts, &misses,
                      &host_us, &net_us, &excess_us, &near) >= 5) {
            struct rtvnic_report r = {
                .packets = pkts,
                .misses = misses,
                .near_misses = near,
                .host_mean_ns = host_us * 1000,
                .network_mean_ns = net_us * 1000,
                .network_max_ns = net_us * 1000,
                .max_excess_ns = (uint64_t) excess_us * 1000,
                .deadline_us = stamp_us,
            };
            rtvctl_decide_report(&policy, &st, &r, t, &a);
            print_action(t, &a, &st);
        } else if (!strcmp(cmd, "relax")) {
            rtvctl_decide_relax(&policy, &st, t, &a);
            print_action(t, &a, &st);
        } else if (!strcmp(cmd, "refused")
                   && sscanf(line, "%*d %*s %u %u", &refused_us,
                             &from_us) == 2) {
            rtvctl_flow_deadline_refused(&st, refused_us, from_us, t);
            printf("%lld: refused %u, floor %u [level %"PRIuSIZE", deadline %"
                   PRIu64", quiet x%u]\n", t, refused_us, from_us, st.level,
                   st.effective_us, st.quiet_factor);
        } else if (!strcmp(cmd, "beat")
                   && sscanf(line, "%*d %*s %u", &pkts) == 1) {
            rtvctl_flow_note_packets(&policy, &st, pkts, 1000, t);
        } else if (!strcmp(cmd, "stamps")
                   && sscanf(line, "%*d %*s %u", &stamps) == 1) {
            stamp_us = stamps;
        } else if (!strcmp(cmd, "wilson")
                   && sscanf(line, "%*d %*s %u %u", &misses, &pkts) == 2) {
            printf("%lld: wilson %u/%u: %.0f ppm\n", t, misses, pkts,
                   rtvctl_wilson_lower(misses, pkts) * 1e6);
        } else if (!strcmp(cmd, "contract")
                   && (n = sscanf(line, "%*d %*s %llu %u %u", &contract,
                                  &target_ppm, &window_ms)) >= 1) {
            st.contract_us = st.effective_us = contract;
            if (n == 3) {
                st.miss_target_ppm = target_ppm;
                st.miss_window_ms = window_ms;
            }
        } else {
            ovs_fatal(0, "bad event: %s", line);
        }
    }
    rtvctl_policy_destroy(&policy);
}

OVSTEST_REGISTER("test-rtvctl-logic", test_rtvctl_logic_main);
