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

#ifndef RTVNIC_EDF_H
#define RTVNIC_EDF_H 1

/* Earliest-deadline-first queue: a bucketed integer priority queue.
 *
 * Contract
 * ========
 *
 * Nodes are ordered by their quantised deadline
 * q = deadline >> RTVNIC_EDF_SHIFT (deadlines are absolute, in nanoseconds;
 * one bucket is 8.192 us), and first-in first-out among nodes with equal q.
 * rtvnic_edf_pop_first() returns the node that is first in that order,
 * rtvnic_edf_pop_last() the node that is last in it (the latest deadline,
 * most recently inserted among equals).  rtvnic_edf_remove() takes out any
 * queued node.
 *
 * The order is exact as long as the queued quantised deadlines span fewer than
 * RTVNIC_EDF_N_BUCKETS buckets (about 1.07 s).  A node whose deadline lies
 * further than that from the others is clamped into the outermost bucket on
 * its side and counted in 'n_clamped'; nothing is ever lost.
 *
 * Insert, remove, pop-first and pop-last are O(1): a three-level bitmap
 * over the buckets finds the next occupied bucket with three find-first-set
 * operations.  The queue never allocates after rtvnic_edf_init(); nodes are
 * embedded in the queued objects (struct dp_packet embeds one).
 *
 * A queue is not thread-safe; its owner serialises access. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "openvswitch/list.h"

#define RTVNIC_EDF_SHIFT 13
#define RTVNIC_EDF_BUCKET_NS (UINT64_C(1) << RTVNIC_EDF_SHIFT)
#define RTVNIC_EDF_N_BUCKETS (1u << 17)

struct rtvnic_edf_node {
    struct ovs_list list_node;  /* In a bucket of a struct rtvnic_edf. */
    uint64_t deadline;          /* Absolute deadline, ns, as inserted. */
};

struct rtvnic_edf {
    struct ovs_list *buckets;   /* RTVNIC_EDF_N_BUCKETS FIFO lists. */
    uint64_t *bits0;            /* 1 bit per bucket: non-empty. */
    uint64_t *bits1;            /* 1 bit per bits0 word: non-zero. */
    uint64_t bits2[(RTVNIC_EDF_N_BUCKETS / 64 / 64 + 63) / 64];
    uint64_t cursor;            /* Quantised deadline of logical bucket 0. */
    size_t n;                   /* Number of queued nodes. */
    uint64_t n_clamped;         /* Nodes clamped into an outermost bucket. */
};

void rtvnic_edf_init(struct rtvnic_edf *);
void rtvnic_edf_destroy(struct rtvnic_edf *);

void rtvnic_edf_insert(struct rtvnic_edf *, struct rtvnic_edf_node *,
                       uint64_t deadline);
struct rtvnic_edf_node *rtvnic_edf_first(const struct rtvnic_edf *);
struct rtvnic_edf_node *rtvnic_edf_last(const struct rtvnic_edf *);
struct rtvnic_edf_node *rtvnic_edf_pop_first(struct rtvnic_edf *);
struct rtvnic_edf_node *rtvnic_edf_pop_last(struct rtvnic_edf *);
void rtvnic_edf_remove(struct rtvnic_edf *, struct rtvnic_edf_node *);

static inline size_t
rtvnic_edf_count(const struct rtvnic_edf *edf)
{
    return edf->n;
}

static inline bool
rtvnic_edf_is_empty(const struct rtvnic_edf *edf)
{
    return edf->n == 0;
}

#endif /* rtvnic-edf.h */
