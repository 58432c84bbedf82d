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

#include "rtvnic-admission.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "openvswitch/dynamic-string.h"
#include "rtvnic-config.h"
#include "util.h"

#define NS_PER_S UINT64_C(1000000000)

typedef unsigned __int128 u128;

static int
compare_deadline(const void *a_, const void *b_)
{
    const struct rtvnic_admission_flow *a = a_;
    const struct rtvnic_admission_flow *b = b_;

    return (a->deadline_ns < b->deadline_ns ? -1
            : a->deadline_ns > b->deadline_ns);
}

/* Returns 'x' / NS_PER_S rounded up, saturated to UINT64_MAX. */
static uint64_t
bits_from_bit_ns(u128 x)
{
    u128 bits = (x + NS_PER_S - 1) / NS_PER_S;
    return bits > UINT64_MAX ? UINT64_MAX : (uint64_t) bits;
}

/* Tests whether the 'n' flows in 'flows' are EDF-schedulable on a link of
 * 'capacity_bps' whose largest packet is 'lmax_bits' long.  Returns NULL if
 * they are, otherwise a malloc()ed sentence saying which condition fails. */
char *
rtvnic_admission_test(const struct rtvnic_admission_flow *flows, size_t n,
                      uint64_t capacity_bps, uint64_t lmax_bits)
{
    struct rtvnic_admission_flow *sorted;
    u128 rate_sum = 0;
    char *error = NULL;

    for (size_t i = 0; i < n; i++) {
        rate_sum += flows[i].rate_bps;
    }
    if (rate_sum > capacity_bps) {
        return xasprintf("sum of min-rates %"PRIu64" bit/s exceeds max-rate "
                         "%"PRIu64" bit/s", bits_from_bit_ns(rate_sum
                                                             * NS_PER_S),
                         capacity_bps);
    }

    sorted = xmemdup(flows, n * sizeof *flows);
    qsort(sorted, n, sizeof *sorted, compare_deadline);

    /* All quantities in bit*ns, so that no division is needed. */
    for (size_t k = 0; k < n && !error; k++) {
        uint64_t d_k = sorted[k].deadline_ns;
        u128 demand = (u128) lmax_bits * NS_PER_S;
        u128 supply = (u128) capacity_bps * d_k;

        /* Flows after 'k' with the same deadline belong to the same point. */
        for (size_t i = 0; i < n && sorted[i].deadline_ns <= d_k; i++) {
            demand += (u128) sorted[i].burst_bits * NS_PER_S;
            demand += (u128) sorted[i].rate_bps
                      * (d_k - sorted[i].deadline_ns);
        }
        if (demand > supply) {
            struct ds s = DS_EMPTY_INITIALIZER;

            ds_put_cstr(&s, "EDF test fails at deadline ");
            rtvnic_format_duration(&s, d_k);
            ds_put_format(&s, ": worst-case demand %"PRIu64" bits exceeds "
                          "%"PRIu64" bits the link sends in that time",
                          bits_from_bit_ns(demand),
                          (uint64_t) (supply / NS_PER_S));
            error = ds_steal_cstr(&s);
        }
    }
    free(sorted);
    return error;
}
