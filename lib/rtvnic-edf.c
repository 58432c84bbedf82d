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
#include "rtvnic-edf.h"

#include <stdlib.h>
#include <string.h>

#include "openvswitch/util.h"
#include "util.h"

/* Implementation notes
 * ====================
 *
 * Bucket 'p' (the "physical" index) holds the nodes whose (possibly clamped)
 * quantised deadline 'q' satisfies q % RTVNIC_EDF_N_BUCKETS == p.  The queue
 * keeps the invariant that every queued 'q' lies in the window
 * [cursor, cursor + RTVNIC_EDF_N_BUCKETS), so that the "logical" index
 * q - cursor of a bucket identifies its 'q' uniquely and the logical order of
 * the buckets, starting at the cursor's physical bucket and wrapping around
 * at the end of the array, is the order of their deadlines.
 *
 * The cursor never lies above the smallest queued 'q' but may lag below it
 * (e.g. after rtvnic_edf_pop_last()); the slow paths of
 * rtvnic_edf_insert() bring it up to date before deciding to clamp.
 *
 * Clamping: with 'first' and 'last' the earliest and latest queued buckets, a
 * node with q >= first + N is queued in bucket first + N - 1, and one with
 * q <= last - N at the tail of bucket 'first' (N = RTVNIC_EDF_N_BUCKETS).
 * Any other 'q' is exact: if it lies below the cursor, the cursor moves back
 * to it.
 *
 * Bitmap levels: bit 'p' of 'bits0' is set iff bucket 'p' is non-empty, bit
 * 'i' of 'bits1' iff word 'i' of 'bits0' is non-zero, bit 'j' of 'bits2' iff
 * word 'j' of 'bits1' is non-zero. */

#define EDF_MASK (RTVNIC_EDF_N_BUCKETS - 1)
#define EDF_N_WORDS0 (RTVNIC_EDF_N_BUCKETS / 64)
#define EDF_N_WORDS1 DIV_ROUND_UP(EDF_N_WORDS0, 64)

/* Returned by the bitmap searches when they find nothing. */
#define EDF_NONE UINT32_MAX

BUILD_ASSERT_DECL((RTVNIC_EDF_N_BUCKETS & EDF_MASK) == 0);
BUILD_ASSERT_DECL(RTVNIC_EDF_N_BUCKETS >= 64 * 64);
BUILD_ASSERT_DECL(EDF_N_WORDS1 <= 64);
BUILD_ASSERT_DECL(ARRAY_SIZE(((struct rtvnic_edf *) NULL)->bits2) == 1);

static inline struct rtvnic_edf_node *
edf_node_from_list(const struct ovs_list *list_node)
{
    return CONTAINER_OF(list_node, struct rtvnic_edf_node, list_node);
}

/* Marks bucket 'p' non-empty. */
static inline void
edf_set_bit(struct rtvnic_edf *edf, uint32_t p)
{
    edf->bits0[p / 64] |= UINT64_C(1) << (p % 64);
    edf->bits1[p / 64 / 64] |= UINT64_C(1) << (p / 64 % 64);
    edf->bits2[0] |= UINT64_C(1) << (p / 64 / 64);
}

/* Marks bucket 'p' empty if 'empty' is true.  Whether a pop empties its
 * bucket is hard to predict, so the first level is updated without a
 * branch; the upper levels rarely change. */
static inline void
edf_update_bit(struct rtvnic_edf *edf, uint32_t p, bool empty)
{
    uint64_t *word0 = &edf->bits0[p / 64];

    *word0 &= ~((uint64_t) empty << (p % 64));
    if (OVS_UNLIKELY(!*word0)) {
        uint64_t *word1 = &edf->bits1[p / 64 / 64];

        *word1 &= ~(UINT64_C(1) << (p / 64 % 64));
        if (!*word1) {
            edf->bits2[0] &= ~(UINT64_C(1) << (p / 64 / 64));
        }
    }
}

/* Returns the lowest non-empty bucket.  The queue must not be empty. */
static inline uint32_t
edf_find_lowest(const struct rtvnic_edf *edf)
{
    uint32_t w1 = raw_ctz(edf->bits2[0]);
    uint32_t w0 = w1 * 64 + raw_ctz(edf->bits1[w1]);

    return w0 * 64 + raw_ctz(edf->bits0[w0]);
}

/* Returns the highest non-empty bucket.  The queue must not be empty. */
static inline uint32_t
edf_find_highest(const struct rtvnic_edf *edf)
{
    uint32_t w1 = log_2_floor(edf->bits2[0]);
    uint32_t w0 = w1 * 64 + log_2_floor(edf->bits1[w1]);

    return w0 * 64 + log_2_floor(edf->bits0[w0]);
}

/* Returns the lowest non-empty bucket at or after 'from', or EDF_NONE. */
static inline uint32_t
edf_find_next(const struct rtvnic_edf *edf, uint32_t from)
{
    uint32_t w0 = from / 64;
    uint64_t word = edf->bits0[w0] & (UINT64_MAX << (from % 64));

    if (OVS_LIKELY(word)) {
        return w0 * 64 + raw_ctz(word);
    }

    /* Next non-zero word of 'bits0' after 'w0'. */
    uint32_t i1 = w0 + 1;
    if (i1 >= EDF_N_WORDS0) {
        return EDF_NONE;
    }
    uint32_t w1 = i1 / 64;
    word = edf->bits1[w1] & (UINT64_MAX << (i1 % 64));
    if (!word) {
        /* Next non-zero word of 'bits1' after 'w1'. */
        uint32_t i2 = w1 + 1;
        if (i2 >= EDF_N_WORDS1) {
            return EDF_NONE;
        }
        word = edf->bits2[0] & (UINT64_MAX << i2);
        if (!word) {
            return EDF_NONE;
        }
        w1 = raw_ctz(word);
        word = edf->bits1[w1];
    }
    w0 = w1 * 64 + raw_ctz(word);
    return w0 * 64 + raw_ctz(edf->bits0[w0]);
}

/* Returns the highest non-empty bucket at or before 'from', or EDF_NONE. */
static inline uint32_t
edf_find_prev(const struct rtvnic_edf *edf, uint32_t from)
{
    uint32_t w0 = from / 64;
    uint64_t word = edf->bits0[w0] & (UINT64_MAX >> (63 - from % 64));

    if (OVS_LIKELY(word)) {
        return w0 * 64 + log_2_floor(word);
    }

    /* Previous non-zero word of 'bits0' before 'w0'. */
    if (!w0) {
        return EDF_NONE;
    }
    uint32_t i1 = w0 - 1;
    uint32_t w1 = i1 / 64;
    word = edf->bits1[w1] & (UINT64_MAX >> (63 - i1 % 64));
    if (!word) {
        /* Previous non-zero word of 'bits1' before 'w1'. */
        if (!w1) {
            return EDF_NONE;
        }
        uint32_t i2 = w1 - 1;
        word = edf->bits2[0] & (UINT64_MAX >> (63 - i2));
        if (!word) {
            return EDF_NONE;
        }
        w1 = log_2_floor(word);
        word = edf->bits1[w1];
    }
    w0 = w1 * 64 + log_2_floor(word);
    return w0 * 64 + log_2_floor(edf->bits0[w0]);
}

/* Returns the physical index of the logically first non-empty bucket.  The
 * queue must not be empty. */
static inline uint32_t
edf_first_bucket(const struct rtvnic_edf *edf)
{
    uint32_t p = edf_find_next(edf, edf->cursor & EDF_MASK);

    return OVS_LIKELY(p != EDF_NONE) ? p : edf_find_lowest(edf);
}

/* Returns the physical index of the logically last non-empty bucket.  The
 * queue must not be empty. */
static inline uint32_t
edf_last_bucket(const struct rtvnic_edf *edf)
{
    uint32_t pc = edf->cursor & EDF_MASK;
    uint32_t p = pc ? edf_find_prev(edf, pc - 1) : EDF_NONE;

    return p != EDF_NONE ? p : edf_find_highest(edf);
}

/* Returns the quantised deadline of physical bucket 'p', which must lie in
 * the window. */
static inline uint64_t
edf_bucket_q(const struct rtvnic_edf *edf, uint32_t p)
{
    return edf->cursor + ((p - edf->cursor) & EDF_MASK);
}

/* Initializes 'edf' as an empty queue.  This is the only function that
 * allocates memory. */
void
rtvnic_edf_init(struct rtvnic_edf *edf)
{
    edf->buckets = xmalloc(RTVNIC_EDF_N_BUCKETS * sizeof *edf->buckets);
    for (size_t i = 0; i < RTVNIC_EDF_N_BUCKETS; i++) {
        ovs_list_init(&edf->buckets[i]);
    }
    edf->bits0 = xcalloc(EDF_N_WORDS0, sizeof *edf->bits0);
    edf->bits1 = xcalloc(EDF_N_WORDS1, sizeof *edf->bits1);
    memset(edf->bits2, 0, sizeof edf->bits2);
    edf->cursor = 0;
    edf->n = 0;
    edf->n_clamped = 0;
}

/* Frees the memory owned by 'edf'.  Nodes still queued are not touched; they
 * belong to the caller. */
void
rtvnic_edf_destroy(struct rtvnic_edf *edf)
{
    if (edf) {
        free(edf->buckets);
        free(edf->bits0);
        free(edf->bits1);
        edf->buckets = NULL;
        edf->bits0 = NULL;
        edf->bits1 = NULL;
        edf->n = 0;
    }
}

/* Slow path of rtvnic_edf_insert() for a non-empty queue and a quantised
 * deadline 'q' outside the current window.  Moves the cursor if that keeps
 * the order exact, otherwise clamps.  Returns the (possibly clamped) 'q' at
 * which to queue the node. */
static uint64_t
edf_insert_outside(struct rtvnic_edf *edf, uint64_t q)
{
    if (q < edf->cursor) {
        uint64_t high = edf_bucket_q(edf, edf_last_bucket(edf));

        if (high - q < RTVNIC_EDF_N_BUCKETS) {
            edf->cursor = q;
            return q;
        }
        /* Clamp into the first occupied bucket. */
        edf->cursor = edf_bucket_q(edf, edf_first_bucket(edf));
        edf->n_clamped++;
        return edf->cursor;
    } else {
        /* The cursor may lag behind the first occupied bucket: catch up
         * before deciding to clamp. */
        edf->cursor = edf_bucket_q(edf, edf_first_bucket(edf));
        if (q - edf->cursor < RTVNIC_EDF_N_BUCKETS) {
            return q;
        }
        edf->n_clamped++;
        return edf->cursor + RTVNIC_EDF_N_BUCKETS - 1;
    }
}

/* Queues 'node' with absolute deadline 'deadline' (in ns) behind all queued
 * nodes with the same quantised deadline. */
void
rtvnic_edf_insert(struct rtvnic_edf *edf, struct rtvnic_edf_node *node,
                  uint64_t deadline)
{
    uint64_t q = deadline >> RTVNIC_EDF_SHIFT;

    node->deadline = deadline;
    if (OVS_UNLIKELY(!edf->n)) {
        edf->cursor = q;
    } else if (OVS_UNLIKELY(q - edf->cursor >= RTVNIC_EDF_N_BUCKETS)) {
        /* Unsigned wrap-around makes this catch 'q < cursor' as well. */
        q = edf_insert_outside(edf, q);
    }

    uint32_t p = q & EDF_MASK;
    ovs_list_push_back(&edf->buckets[p], &node->list_node);
    edf_set_bit(edf, p);
    edf->n++;
}

/* Returns the first node in 'edf' without removing it, or NULL if 'edf' is
 * empty. */
struct rtvnic_edf_node *
rtvnic_edf_first(const struct rtvnic_edf *edf)
{
    if (!edf->n) {
        return NULL;
    }
    return edf_node_from_list(edf->buckets[edf_first_bucket(edf)].next);
}

/* Returns the last node in 'edf' without removing it, or NULL if 'edf' is
 * empty. */
struct rtvnic_edf_node *
rtvnic_edf_last(const struct rtvnic_edf *edf)
{
    if (!edf->n) {
        return NULL;
    }
    return edf_node_from_list(edf->buckets[edf_last_bucket(edf)].prev);
}

/* Removes and returns the first node in 'edf', or returns NULL if 'edf' is
 * empty.  Advances the cursor to the node's bucket. */
struct rtvnic_edf_node *
rtvnic_edf_pop_first(struct rtvnic_edf *edf)
{
    if (OVS_UNLIKELY(!edf->n)) {
        return NULL;
    }

    uint32_t p = edf_first_bucket(edf);
    struct ovs_list *bucket = &edf->buckets[p];
    struct ovs_list *list_node = ovs_list_pop_front(bucket);

    edf->cursor = edf_bucket_q(edf, p);
    edf_update_bit(edf, p, ovs_list_is_empty(bucket));
    edf->n--;
    return edf_node_from_list(list_node);
}

/* Removes 'node', which must be queued in 'edf'. */
void
rtvnic_edf_remove(struct rtvnic_edf *edf, struct rtvnic_edf_node *node)
{
    struct ovs_list *next = node->list_node.next;

    if (next == node->list_node.prev) {
        /* 'node' is alone in its bucket, so both neighbours are the bucket's
         * list head, which tells which bucket it is (a clamped node is not
         * in the bucket its deadline names). */
        uint32_t p = next - edf->buckets;

        ovs_list_remove(&node->list_node);
        edf_update_bit(edf, p, true);
    } else {
        ovs_list_remove(&node->list_node);
    }
    edf->n--;
}

/* Removes and returns the last node in 'edf', or returns NULL if 'edf' is
 * empty. */
struct rtvnic_edf_node *
rtvnic_edf_pop_last(struct rtvnic_edf *edf)
{
    if (OVS_UNLIKELY(!edf->n)) {
        return NULL;
    }

    uint32_t p = edf_last_bucket(edf);
    struct ovs_list *bucket = &edf->buckets[p];
    struct ovs_list *list_node = ovs_list_pop_back(bucket);

    edf_update_bit(edf, p, ovs_list_is_empty(bucket));
    edf->n--;
    return edf_node_from_list(list_node);
}
