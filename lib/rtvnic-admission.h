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

#ifndef RTVNIC_ADMISSION_H
#define RTVNIC_ADMISSION_H 1

/* EDF admission control for token-bucket constrained flows.
 *
 * Flows sharing a non-preemptive EDF link of capacity C (bit/s), whose
 * largest packet is Lmax (bits), each constrained by a token bucket of rate
 * rho_i (bit/s) and depth sigma_i (bits) and holding deadline d_i, all meet
 * their deadlines if (Georgiadis et al. 1996; Liebeherr et al. 1996):
 *
 *     sum(rho_i) <= C, and for every k (flows sorted by deadline):
 *     Lmax + sum_{d_i <= d_k} (sigma_i + rho_i * (d_k - d_i)) <= C * d_k
 *
 * The test is exact: it runs in 128-bit integer arithmetic, so a flow set on
 * the boundary is accepted and one bit past it is refused.
 *
 * rtvnic-admission.c also applies the test to RTvNIC's ports and queues
 * (rtvnic_admit_all() in rtvnic-private.h); this function itself keeps no
 * state. */

#include <stddef.h>
#include <stdint.h>
#include "openvswitch/compiler.h"

struct rtvnic_admission_flow {
    uint64_t deadline_ns;
    uint64_t rate_bps;
    uint64_t burst_bits;
};

char *rtvnic_admission_test(const struct rtvnic_admission_flow *, size_t n,
                            uint64_t capacity_bps, uint64_t lmax_bits)
    OVS_WARN_UNUSED_RESULT;

#endif /* rtvnic-admission.h */
