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

/* Tests and benchmarks for the EDF queue declared in rtvnic-edf.h.
 *
 *   check [N_OPS] [SEED]   Random operations checked against a reference
 *                          model, plus deterministic clamping tests.
 *   bench [N_PAIRS] [--csv FILE]
 *                          Steady-state pop-first + reinsert pairs, compared
 *                          against lib/heap.c.  The CSV file may also be
 *                          given in $RTVNIC_EDF_BENCH_CSV. */

#include <config.h>
#undef NDEBUG
#include "rtvnic-edf.h"
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "command-line.h"
#include "heap.h"
#include "openvswitch/util.h"
#include "ovstest.h"
#include "random.h"
#include "util.h"

#define N_BUCKETS ((uint64_t) RTVNIC_EDF_N_BUCKETS)

/* Largest quantised deadline whose deadline fits in 64 bits. */
#define MAX_Q (UINT64_MAX >> RTVNIC_EDF_SHIFT)

static uint64_t
q_of(uint64_t deadline)
{
    return deadline >> RTVNIC_EDF_SHIFT;
}

/* Returns a deadline in the bucket of quantised deadline 'q'. */
static uint64_t
deadline_in(uint64_t q)
{
    return (q << RTVNIC_EDF_SHIFT) | (random_uint64() % RTVNIC_EDF_BUCKET_NS);
}

/* Returns a random integer in [0, n), for n > 0. */
static uint64_t
random_below(uint64_t n)
{
    return random_uint64() % n;
}

/* Reference model.
 * ================
 *
 * A sorted array of (effective q, insertion sequence) in slots
 * [start, start + n) of 'entries', where the effective q is the deadline's
 * q, or the bucket the contract clamps it to. */

struct test_node {
    struct rtvnic_edf_node edf_node;
    size_t idx;                 /* Index in the test's node array. */
    bool queued;
};

struct ref_entry {
    uint64_t q;                 /* Effective quantised deadline. */
    uint64_t seq;               /* Insertion sequence number. */
    uint64_t deadline;          /* Deadline as inserted. */
    struct test_node *node;
};

struct ref {
    struct ref_entry *entries;
    size_t start, n, allocated;
    uint64_t seq;
    uint64_t n_clamped;
};

static void
ref_init(struct ref *ref, size_t max_n)
{
    ref->allocated = 2 * max_n + 1;
    ref->entries = xmalloc(ref->allocated * sizeof *ref->entries);
    ref->start = ref->n = 0;
    ref->seq = 0;
    ref->n_clamped = 0;
}

static void
ref_destroy(struct ref *ref)
{
    free(ref->entries);
}

static struct ref_entry *
ref_first(const struct ref *ref)
{
    return ref->n ? &ref->entries[ref->start] : NULL;
}

static struct ref_entry *
ref_last(const struct ref *ref)
{
    return ref->n ? &ref->entries[ref->start + ref->n - 1] : NULL;
}

/* Returns the bucket in which the contract places a node with quantised
 * deadline 'q', and sets '*clamped' to whether that is a clamped position:
 * a node too far after the earliest queued bucket 'qmin' goes into
 * qmin + N - 1, one too far before the latest queued bucket into 'qmin'. */
static uint64_t
ref_effective_q(const struct ref *ref, uint64_t q, bool *clamped)
{
    *clamped = false;
    if (!ref->n) {
        return q;
    }

    uint64_t qmin = ref_first(ref)->q;
    uint64_t qmax = ref_last(ref)->q;
    if (q >= qmin && q - qmin >= N_BUCKETS) {
        *clamped = true;
        return qmin + N_BUCKETS - 1;
    } else if (q < qmin && qmax - q >= N_BUCKETS) {
        *clamped = true;
        return qmin;
    }
    return q;
}

static void
ref_insert(struct ref *ref, struct test_node *node, uint64_t deadline,
           bool *clamped)
{
    uint64_t q = ref_effective_q(ref, q_of(deadline), clamped);

    if (*clamped) {
        ref->n_clamped++;
    }
    if (ref->start + ref->n >= ref->allocated) {
        memmove(ref->entries, &ref->entries[ref->start],
                ref->n * sizeof *ref->entries);
        ref->start = 0;
    }

    /* Insert after every entry with q' <= q. */
    struct ref_entry *a = &ref->entries[ref->start];
    size_t lo = 0, hi = ref->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (a[mid].q <= q) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    memmove(&a[lo + 1], &a[lo], (ref->n - lo) * sizeof *a);
    a[lo] = (struct ref_entry) {
        .q = q, .seq = ref->seq++, .deadline = deadline, .node = node,
    };
    ref->n++;
}

static struct ref_entry
ref_pop_first(struct ref *ref)
{
    struct ref_entry e = ref->entries[ref->start++];

    ref->n--;
    if (!ref->n) {
        ref->start = 0;
    }
    return e;
}

static struct ref_entry
ref_pop_last(struct ref *ref)
{
    struct ref_entry e = ref->entries[ref->start + --ref->n];

    if (!ref->n) {
        ref->start = 0;
    }
    return e;
}

/* Randomised check.
 * ================= */

struct checker {
    struct rtvnic_edf edf;
    struct ref ref;
    struct test_node *nodes;
    size_t *free_idx;           /* Stack of indexes of unqueued nodes. */
    size_t n_free;
    size_t max_nodes;
    uint64_t op;                /* Operation counter, for messages. */
    uint64_t last_q;            /* Last quantised deadline inserted. */
    const char *phase;
};

static void
checker_init(struct checker *c, size_t max_nodes, uint64_t start_q)
{
    rtvnic_edf_init(&c->edf);
    ref_init(&c->ref, max_nodes);
    c->nodes = xcalloc(max_nodes, sizeof *c->nodes);
    c->free_idx = xmalloc(max_nodes * sizeof *c->free_idx);
    for (size_t i = 0; i < max_nodes; i++) {
        c->nodes[i].idx = i;
        c->free_idx[i] = max_nodes - 1 - i;
    }
    c->n_free = max_nodes;
    c->max_nodes = max_nodes;
    c->op = 0;
    c->last_q = start_q;
    c->phase = "";
}

static void
checker_destroy(struct checker *c)
{
    rtvnic_edf_destroy(&c->edf);
    ref_destroy(&c->ref);
    free(c->nodes);
    free(c->free_idx);
}

static struct test_node *
test_node_cast(const struct rtvnic_edf_node *en)
{
    return en ? CONTAINER_OF(en, struct test_node, edf_node) : NULL;
}

static void OVS_PRINTF_FORMAT(2, 3) OVS_NO_RETURN
checker_fail(const struct checker *c, const char *format, ...)
{
    va_list args;
    char *msg;

    va_start(args, format);
    msg = xvasprintf(format, args);
    va_end(args);
    ovs_fatal(0, "check: mismatch in %s phase at operation "
              "%"PRIu64" (queued %"PRIuSIZE", cursor %"PRIu64"): %s",
              c->phase, c->op, c->ref.n, c->edf.cursor, msg);
}

/* Describes node 'en' for a mismatch message. */
static char *
describe(const struct rtvnic_edf_node *en)
{
    if (!en) {
        return xstrdup("(null)");
    }
    return xasprintf("node #%"PRIuSIZE" deadline %"PRIu64" (q %"PRIu64")",
                     test_node_cast(en)->idx, en->deadline,
                     q_of(en->deadline));
}

static void
check_same(const struct checker *c, const char *what,
           const struct rtvnic_edf_node *got, const struct ref_entry *exp)
{
    const struct rtvnic_edf_node *exp_node = exp ? &exp->node->edf_node : NULL;

    if (got != exp_node || (got && got->deadline != exp->deadline)) {
        char *g = describe(got);
        char *e = describe(exp_node);
        checker_fail(c, "%s returned %s, expected %s (expected q %"PRIu64", "
                     "seq %"PRIu64")", what, g, e,
                     exp ? exp->q : 0, exp ? exp->seq : 0);
    }
}

static void
check_state(const struct checker *c)
{
    if (rtvnic_edf_count(&c->edf) != c->ref.n) {
        checker_fail(c, "count is %"PRIuSIZE", expected %"PRIuSIZE,
                     rtvnic_edf_count(&c->edf), c->ref.n);
    }
    if (rtvnic_edf_is_empty(&c->edf) != !c->ref.n) {
        checker_fail(c, "is_empty is wrong");
    }
    if (c->edf.n_clamped != c->ref.n_clamped) {
        checker_fail(c, "n_clamped is %"PRIu64", expected %"PRIu64,
                     c->edf.n_clamped, c->ref.n_clamped);
    }
    check_same(c, "rtvnic_edf_first()", rtvnic_edf_first(&c->edf),
               ref_first(&c->ref));
    check_same(c, "rtvnic_edf_last()", rtvnic_edf_last(&c->edf),
               ref_last(&c->ref));
}

static void
checker_insert(struct checker *c, uint64_t deadline, bool expect_exact)
{
    ovs_assert(c->n_free > 0);

    struct test_node *node = &c->nodes[c->free_idx[--c->n_free]];
    bool clamped;

    ovs_assert(!node->queued);
    node->queued = true;
    ref_insert(&c->ref, node, deadline, &clamped);
    if (expect_exact && clamped) {
        ovs_fatal(0, "check: internal error: generated a "
                  "clamping deadline in the exact phase");
    }
    rtvnic_edf_insert(&c->edf, &node->edf_node, deadline);
    c->last_q = q_of(deadline);
}

static void
checker_pop(struct checker *c, bool first)
{
    struct rtvnic_edf_node *got;
    struct ref_entry exp;

    if (first) {
        got = rtvnic_edf_pop_first(&c->edf);
    } else {
        got = rtvnic_edf_pop_last(&c->edf);
    }
    if (!c->ref.n) {
        if (got) {
            char *g = describe(got);
            checker_fail(c, "%s on an empty queue returned %s",
                         first ? "pop_first" : "pop_last", g);
        }
        return;
    }

    exp = first ? ref_pop_first(&c->ref) : ref_pop_last(&c->ref);
    check_same(c, first ? "rtvnic_edf_pop_first()" : "rtvnic_edf_pop_last()",
               got, &exp);
    exp.node->queued = false;
    c->free_idx[c->n_free++] = exp.node->idx;
}

/* Removes a random queued node with rtvnic_edf_remove(). */
static void
checker_remove(struct checker *c)
{
    if (!c->ref.n) {
        return;
    }

    struct ref_entry *a = &c->ref.entries[c->ref.start];
    size_t k = random_below(c->ref.n);
    struct test_node *node = a[k].node;

    memmove(&a[k], &a[k + 1], (c->ref.n - k - 1) * sizeof *a);
    c->ref.n--;
    if (!c->ref.n) {
        c->ref.start = 0;
    }
    rtvnic_edf_remove(&c->edf, &node->edf_node);
    node->queued = false;
    c->free_idx[c->n_free++] = node->idx;
}

static uint64_t
clip(uint64_t x, uint64_t lo, uint64_t hi)
{
    return x < lo ? lo : x > hi ? hi : x;
}

/* Returns a quantised deadline for an empty queue. */
static uint64_t
gen_q_empty(const struct checker *c)
{
    uint64_t q = c->last_q;

    switch (random_range(4)) {
    case 0:
        /* Far jump forward (more than a window). */
        q += N_BUCKETS + random_below(UINT64_C(1) << 24);
        break;
    case 1:
        /* Somewhat in the past. */
        q -= MIN(q, random_below(2 * N_BUCKETS));
        break;
    default:
        q += random_below(64);
        break;
    }
    return MIN(q, MAX_Q - 4 * N_BUCKETS);
}

/* Returns a quantised deadline that keeps the queued deadlines within a
 * window of fewer than RTVNIC_EDF_N_BUCKETS buckets. */
static uint64_t
gen_q_exact(const struct checker *c)
{
    if (!c->ref.n) {
        return gen_q_empty(c);
    }

    uint64_t qmin = ref_first(&c->ref)->q;
    uint64_t qmax = ref_last(&c->ref)->q;
    uint64_t lo = qmax - MIN(qmax, N_BUCKETS - 1);
    uint64_t hi = qmin + N_BUCKETS - 1;
    uint64_t cursor = c->edf.cursor;
    uint64_t q;

    switch (random_range(12)) {
    case 0:
    case 1:
        /* Anywhere in the legal range, including far edges. */
        q = lo + random_below(hi - lo + 1);
        break;
    case 2:
        /* Exactly the legal edges. */
        q = random_range(2) ? lo : hi;
        break;
    case 3:
    case 4:
        /* Equal to the previous insertion. */
        q = c->last_q;
        break;
    case 5:
        /* Close to the cursor, including just before it. */
        q = cursor - MIN(cursor, 32) + random_below(64);
        break;
    case 6:
        /* In the past relative to the cursor. */
        q = cursor - MIN(cursor, random_below(N_BUCKETS));
        break;
    case 7:
        /* Equal to the current first or last. */
        q = random_range(2) ? qmin : qmax;
        break;
    default:
        /* Near-term future, the common case. */
        q = qmin + random_below(random_range(2) ? 256 : 16384);
        break;
    }
    return clip(q, lo, hi);
}

/* Returns a quantised deadline that may lie far outside the window. */
static uint64_t
gen_q_clamp(const struct checker *c)
{
    if (!c->ref.n || random_range(4)) {
        return gen_q_exact(c);
    }

    uint64_t qmin = ref_first(&c->ref)->q;
    uint64_t qmax = ref_last(&c->ref)->q;
    uint64_t q;

    switch (random_range(4)) {
    case 0:
        /* Just beyond the far edge. */
        q = qmin + N_BUCKETS + random_below(4);
        break;
    case 1:
        /* Far in the future. */
        q = qmin + N_BUCKETS + random_below(8 * N_BUCKETS);
        break;
    case 2:
        /* Just before the near edge. */
        q = qmax - MIN(qmax, N_BUCKETS + random_below(4));
        break;
    default:
        /* Far in the past. */
        q = qmax - MIN(qmax, N_BUCKETS + random_below(8 * N_BUCKETS));
        break;
    }
    return MIN(q, MAX_Q);
}

static void
checker_drain(struct checker *c)
{
    while (c->ref.n) {
        checker_pop(c, random_range(4) != 0);
        c->op++;
        check_state(c);
    }
}

/* Runs 'n_ops' random operations.  The queue size drifts towards a target
 * that changes every few thousand operations, sometimes to zero. */
static void
checker_run(struct checker *c, const char *phase, uint64_t n_ops,
            bool clamping)
{
    size_t target = 0;

    c->phase = phase;
    for (uint64_t i = 0; i < n_ops; i++, c->op++) {
        if (i % 4096 == 0) {
            static const size_t targets[] = { 0, 1, 2, 16, 256, 1024, 4000 };
            target = targets[random_range(ARRAY_SIZE(targets))];
            target = MIN(target, c->max_nodes);
        }

        int insert_pct = c->ref.n < target ? 70 : c->ref.n > target ? 30 : 50;
        int r = random_range(100);
        if (r < insert_pct && c->n_free) {
            uint64_t q = clamping ? gen_q_clamp(c) : gen_q_exact(c);
            checker_insert(c, deadline_in(q), !clamping);
        } else if (r % 5 == 0) {
            checker_remove(c);
        } else {
            checker_pop(c, r % 4 != 0);
        }
        check_state(c);
    }
    checker_drain(c);
}

/* Deterministic clamping tests.
 * ============================= */

struct det_node {
    struct rtvnic_edf_node edf_node;
    char name;
};

static void
det_expect(struct rtvnic_edf *edf, const char *test, bool first,
           const struct det_node *exp)
{
    struct rtvnic_edf_node *en = (first
                                  ? rtvnic_edf_pop_first(edf)
                                  : rtvnic_edf_pop_last(edf));
    const struct det_node *got = (en
                                  ? CONTAINER_OF(en, struct det_node, edf_node)
                                  : NULL);

    if (got != exp) {
        ovs_fatal(0, "check: clamping test %s: %s returned "
                  "%c, expected %c", test, first ? "pop_first" : "pop_last",
                  got ? got->name : '-', exp ? exp->name : '-');
    }
}

static void
det_expect_clamped(const struct rtvnic_edf *edf, const char *test,
                   uint64_t n_clamped)
{
    if (edf->n_clamped != n_clamped) {
        ovs_fatal(0, "check: clamping test %s: n_clamped is "
                  "%"PRIu64", expected %"PRIu64, test, edf->n_clamped,
                  n_clamped);
    }
}

static void
det_insert(struct rtvnic_edf *edf, struct det_node *node, uint64_t q)
{
    uint64_t deadline = (q << RTVNIC_EDF_SHIFT) | (node->name & 0xff);

    rtvnic_edf_insert(edf, &node->edf_node, deadline);
    if (node->edf_node.deadline != deadline) {
        ovs_fatal(0, "check: node %c deadline changed",
                  node->name);
    }
}

static void
check_clamping(uint64_t q0)
{
    struct det_node n[8];
    struct rtvnic_edf edf;

    for (size_t i = 0; i < ARRAY_SIZE(n); i++) {
        n[i].name = 'A' + i;
    }
    struct det_node *a = &n[0], *b = &n[1], *c = &n[2], *d = &n[3];
    struct det_node *e = &n[4];

    rtvnic_edf_init(&edf);
    det_expect(&edf, "empty", true, NULL);
    det_expect(&edf, "empty", false, NULL);
    ovs_assert(!rtvnic_edf_first(&edf) && !rtvnic_edf_last(&edf));

    /* Far edges: q0 + N - 1 is exact, q0 + N and beyond clamp to
     * q0 + N - 1, q0 - 1 clamps to q0. */
    det_insert(&edf, a, q0);
    ovs_assert(edf.cursor == q0);
    det_insert(&edf, b, q0 + N_BUCKETS - 1);
    det_expect_clamped(&edf, "far-edges", 0);
    det_insert(&edf, c, q0 + N_BUCKETS);
    det_expect_clamped(&edf, "far-edges", 1);
    det_insert(&edf, d, q0 + 5 * N_BUCKETS);
    det_expect_clamped(&edf, "far-edges", 2);
    det_insert(&edf, e, q0 - 1);
    det_expect_clamped(&edf, "far-edges", 3);
    ovs_assert(rtvnic_edf_count(&edf) == 5);
    ovs_assert(q_of(c->edf_node.deadline) == q0 + N_BUCKETS);
    ovs_assert(q_of(d->edf_node.deadline) == q0 + 5 * N_BUCKETS);
    ovs_assert(q_of(e->edf_node.deadline) == q0 - 1);
    det_expect(&edf, "far-edges", true, a);
    det_expect(&edf, "far-edges", true, e);
    det_expect(&edf, "far-edges", false, d);
    det_expect(&edf, "far-edges", true, b);
    det_expect(&edf, "far-edges", true, c);
    det_expect(&edf, "far-edges", true, NULL);

    /* Moving the cursor back is exact while the span stays below N. */
    edf.n_clamped = 0;
    det_insert(&edf, a, q0 + 10);
    det_insert(&edf, b, q0);
    ovs_assert(edf.cursor == q0);
    det_insert(&edf, c, q0 + 11 - N_BUCKETS);
    ovs_assert(edf.cursor == q0 + 11 - N_BUCKETS);
    det_expect_clamped(&edf, "move-back", 0);
    det_insert(&edf, d, q0 + 10 - N_BUCKETS);
    det_expect_clamped(&edf, "move-back", 1);
    det_insert(&edf, e, q0 + 10);
    det_expect(&edf, "move-back", true, c);
    det_expect(&edf, "move-back", true, d);
    det_expect(&edf, "move-back", true, b);
    det_expect(&edf, "move-back", true, a);
    det_expect(&edf, "move-back", true, e);
    det_expect(&edf, "move-back", true, NULL);

    /* A cursor lagging behind the first node (here after pop_first() of the
     * only node in the first bucket) does not cause a spurious clamp. */
    edf.n_clamped = 0;
    det_insert(&edf, a, q0);
    det_insert(&edf, b, q0 + 100);
    det_expect(&edf, "lagging-cursor", true, a);
    det_insert(&edf, c, q0 + 100 + N_BUCKETS - 1);
    det_expect_clamped(&edf, "lagging-cursor", 0);
    det_insert(&edf, d, q0 + 100 + N_BUCKETS);
    det_expect_clamped(&edf, "lagging-cursor", 1);
    det_expect(&edf, "lagging-cursor", false, d);
    det_expect(&edf, "lagging-cursor", false, c);
    det_insert(&edf, e, q0 + 50);
    det_expect_clamped(&edf, "lagging-cursor", 1);
    det_expect(&edf, "lagging-cursor", true, e);
    det_expect(&edf, "lagging-cursor", true, b);
    det_expect(&edf, "lagging-cursor", true, NULL);

    /* After pop_last(), the window may move back further. */
    edf.n_clamped = 0;
    det_insert(&edf, a, q0);
    det_insert(&edf, b, q0 + N_BUCKETS - 1);
    det_expect(&edf, "pop-last", false, b);
    det_insert(&edf, c, q0 + 1 - N_BUCKETS);
    det_expect_clamped(&edf, "pop-last", 0);
    det_insert(&edf, d, q0 - N_BUCKETS);
    det_expect_clamped(&edf, "pop-last", 1);
    det_expect(&edf, "pop-last", true, c);
    det_expect(&edf, "pop-last", true, d);
    det_expect(&edf, "pop-last", true, a);

    /* An insertion into an empty queue sets the cursor, however far. */
    edf.n_clamped = 0;
    det_insert(&edf, a, q0 + 1000 * N_BUCKETS);
    ovs_assert(edf.cursor == q0 + 1000 * N_BUCKETS);
    det_insert(&edf, b, q0 + 1000 * N_BUCKETS + 1);
    det_expect(&edf, "empty-reset", true, a);
    det_expect(&edf, "empty-reset", true, b);
    det_insert(&edf, c, q0);
    ovs_assert(edf.cursor == q0);
    det_expect_clamped(&edf, "empty-reset", 0);
    det_expect(&edf, "empty-reset", false, c);

    /* Extremes of the deadline range. */
    rtvnic_edf_insert(&edf, &a->edf_node, UINT64_MAX);
    rtvnic_edf_insert(&edf, &b->edf_node, UINT64_MAX - RTVNIC_EDF_BUCKET_NS);
    rtvnic_edf_insert(&edf, &c->edf_node, 0);
    det_expect_clamped(&edf, "extremes", 1);
    ovs_assert(c->edf_node.deadline == 0);
    det_expect(&edf, "extremes", true, b);
    det_expect(&edf, "extremes", true, c);
    det_expect(&edf, "extremes", true, a);
    rtvnic_edf_insert(&edf, &a->edf_node, 0);
    rtvnic_edf_insert(&edf, &b->edf_node, UINT64_MAX);
    det_expect_clamped(&edf, "extremes", 2);
    det_expect(&edf, "extremes", false, b);
    det_expect(&edf, "extremes", false, a);

    /* Buckets spread over the whole ring, FIFO within each bucket. */
    static struct det_node many[3 * 4096];
    edf.n_clamped = 0;
    for (size_t i = 0; i < ARRAY_SIZE(many); i++) {
        many[i].name = 'a';
        rtvnic_edf_insert(&edf, &many[i].edf_node,
                          (q0 + (i % 4096) * 32) << RTVNIC_EDF_SHIFT);
    }
    for (size_t i = 0; i < ARRAY_SIZE(many); i++) {
        size_t bucket = i / 3, k = i % 3;
        det_expect(&edf, "ring", true, &many[k * 4096 + bucket]);
    }
    det_expect_clamped(&edf, "ring", 0);

    rtvnic_edf_destroy(&edf);
}

static void
test_check(struct ovs_cmdl_context *ctx)
{
    uint64_t n_ops = 1000000;
    uint32_t seed = 1;

    if (ctx->argc > 1) {
        unsigned long long int x;
        if (!str_to_ullong(ctx->argv[1], 10, &x)) {
            ovs_fatal(0, "%s: bad N_OPS", ctx->argv[1]);
        }
        n_ops = x;
    }
    if (ctx->argc > 2) {
        unsigned int x;
        if (!str_to_uint(ctx->argv[2], 10, &x)) {
            ovs_fatal(0, "%s: bad SEED", ctx->argv[2]);
        }
        seed = x;
    }
    random_set_seed(seed);

    /* Deterministic clamping tests at several offsets in the ring. */
    static const uint64_t offsets[] = {
        0, 1, 63, 64, 4095, 4096, N_BUCKETS - 1, N_BUCKETS / 2 + 17,
    };
    for (size_t i = 0; i < ARRAY_SIZE(offsets); i++) {
        check_clamping(16 * N_BUCKETS + offsets[i]);
    }

    /* Exact phase, then clamping phase. */
    struct checker c;
    uint64_t start_q = (UINT64_C(1) << 40) + random_below(N_BUCKETS);
    checker_init(&c, 4096, start_q);
    checker_run(&c, "exact", n_ops - n_ops / 5, false);
    if (c.edf.n_clamped) {
        ovs_fatal(0, "check: %"PRIu64" nodes clamped in the "
                  "exact phase", c.edf.n_clamped);
    }
    checker_run(&c, "clamping", n_ops / 5, true);
    uint64_t n_clamped = c.edf.n_clamped;
    checker_destroy(&c);

    printf("test-rtvnic-edf check: %"PRIu64" operations, 0 mismatches "
           "(seed %"PRIu32", %"PRIu64" clamped in the clamping phase)\n",
           n_ops, seed, n_clamped);
}

/* Benchmark.
 * ========== */

/* A queued object: in contiguous shape, nodes are adjacent in one array; in
 * scattered shape, each node heads its own packet-buffer-sized allocation. */
struct bench_node {
    struct rtvnic_edf_node edf_node;
    struct heap_node heap_node;
};

#define BENCH_SCATTERED_SIZE 2048
#define BENCH_N_OFFSETS 16384   /* Power of 2. */
#define BENCH_WINDOW_NS 100000000 /* Deadlines now..now+100 ms. */
#define BENCH_START_NS (UINT64_C(1) << 40)

/* Precomputed uniform(0, 100 ms) offsets, so that random number generation
 * is not timed. */
static uint32_t bench_offsets[BENCH_N_OFFSETS];

/* Keeps the compiler from optimising away the benchmark loops. */
static volatile uint64_t bench_sink;

static uint64_t
monotonic_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Runs 'n' pop-earliest + reinsert pairs on 'edf'; returns the elapsed
 * nanoseconds. */
static uint64_t
bench_edf_pairs(struct rtvnic_edf *edf, size_t n, size_t *offset_idx)
{
    uint64_t sum = 0;
    size_t k = *offset_idx;
    uint64_t start = monotonic_ns();

    for (size_t i = 0; i < n; i++) {
        struct rtvnic_edf_node *en = rtvnic_edf_pop_first(edf);
        uint64_t now = en->deadline;

        sum += now;
        rtvnic_edf_insert(edf, en,
                          now + bench_offsets[k++ & (BENCH_N_OFFSETS - 1)]);
    }

    uint64_t elapsed = monotonic_ns() - start;
    bench_sink += sum;
    *offset_idx = k;
    return elapsed;
}

/* Same as bench_edf_pairs() for a max-heap with priority
 * UINT64_MAX - deadline. */
static uint64_t
bench_heap_pairs(struct heap *heap, size_t n, size_t *offset_idx)
{
    uint64_t sum = 0;
    size_t k = *offset_idx;
    uint64_t start = monotonic_ns();

    for (size_t i = 0; i < n; i++) {
        struct heap_node *hn = heap_max(heap);
        uint64_t now = UINT64_MAX - hn->priority;

        heap_remove(heap, hn);
        sum += now;
        now += bench_offsets[k++ & (BENCH_N_OFFSETS - 1)];
        heap_insert(heap, hn, UINT64_MAX - now);
    }

    uint64_t elapsed = monotonic_ns() - start;
    bench_sink += sum;
    *offset_idx = k;
    return elapsed;
}

#define BENCH_ROUNDS 3

/* Measures one case; returns the best ns/pair of BENCH_ROUNDS rounds for the
 * EDF queue in '*edf_ns' and for the heap in '*heap_ns'. */
static void
bench_case(size_t n_queued, bool scattered, size_t n_pairs,
           double *edf_ns, double *heap_ns)
{
    struct bench_node **nodes = xmalloc(n_queued * sizeof *nodes);
    struct bench_node *array = NULL;
    size_t warmup = MAX(2 * n_queued, 100000);

    if (scattered) {
        for (size_t i = 0; i < n_queued; i++) {
            nodes[i] = xmalloc(BENCH_SCATTERED_SIZE);
            memset(nodes[i], 0, sizeof *nodes[i]);
        }
        /* Shuffle so that address order tells nothing about deadlines. */
        for (size_t i = n_queued - 1; i > 0; i--) {
            size_t j = random_below(i + 1);
            struct bench_node *tmp = nodes[i];
            nodes[i] = nodes[j];
            nodes[j] = tmp;
        }
    } else {
        array = xcalloc(n_queued, sizeof *array);
        for (size_t i = 0; i < n_queued; i++) {
            nodes[i] = &array[i];
        }
    }

    /* EDF queue. */
    struct rtvnic_edf edf;
    size_t k = 0;
    uint64_t best = UINT64_MAX;

    random_set_seed(12345);
    rtvnic_edf_init(&edf);
    for (size_t i = 0; i < n_queued; i++) {
        rtvnic_edf_insert(&edf, &nodes[i]->edf_node,
                          BENCH_START_NS + random_below(BENCH_WINDOW_NS));
    }
    bench_edf_pairs(&edf, warmup, &k);
    for (int r = 0; r < BENCH_ROUNDS; r++) {
        best = MIN(best, bench_edf_pairs(&edf, n_pairs, &k));
    }
    ovs_assert(rtvnic_edf_count(&edf) == n_queued);
    ovs_assert(edf.n_clamped == 0);
    rtvnic_edf_destroy(&edf);
    *edf_ns = (double) best / n_pairs;

    /* Heap. */
    struct heap heap;
    k = 0;
    best = UINT64_MAX;

    random_set_seed(12345);
    heap_init(&heap);
    for (size_t i = 0; i < n_queued; i++) {
        uint64_t deadline = BENCH_START_NS + random_below(BENCH_WINDOW_NS);
        heap_insert(&heap, &nodes[i]->heap_node, UINT64_MAX - deadline);
    }
    bench_heap_pairs(&heap, warmup, &k);
    for (int r = 0; r < BENCH_ROUNDS; r++) {
        best = MIN(best, bench_heap_pairs(&heap, n_pairs, &k));
    }
    ovs_assert(heap_count(&heap) == n_queued);
    heap_destroy(&heap);
    *heap_ns = (double) best / n_pairs;

    if (scattered) {
        for (size_t i = 0; i < n_queued; i++) {
            free(nodes[i]);
        }
    }
    free(array);
    free(nodes);
}

static void
test_bench(struct ovs_cmdl_context *ctx)
{
    static const size_t sizes[] = { 1000, 10000, 100000 };
    const char *csv_name = getenv("RTVNIC_EDF_BENCH_CSV");
    size_t n_pairs = 2000000;
    FILE *csv = NULL;

    for (int i = 1; i < ctx->argc; i++) {
        const char *arg = ctx->argv[i];
        unsigned long long int x;

        if (!strcmp(arg, "--csv")) {
            if (++i >= ctx->argc) {
                ovs_fatal(0, "--csv requires a file name");
            }
            csv_name = ctx->argv[i];
        } else if (!strncmp(arg, "--csv=", 6)) {
            csv_name = arg + 6;
        } else if (str_to_ullong(arg, 10, &x) && x > 0) {
            n_pairs = x;
        } else {
            ovs_fatal(0, "%s: bad argument (expected N_PAIRS or --csv FILE)",
                      arg);
        }
    }

    if (csv_name && csv_name[0]) {
        csv = fopen(csv_name, "w");
        if (!csv) {
            ovs_fatal(errno, "%s: open failed", csv_name);
        }
        fprintf(csv, "queued,shape,edf_ns_per_pair,heap_ns_per_pair,"
                "speedup\n");
    }

    random_set_seed(1);
    for (size_t i = 0; i < BENCH_N_OFFSETS; i++) {
        bench_offsets[i] = random_below(BENCH_WINDOW_NS);
    }

    double edf_100k = 0, heap_100k = 0;
    printf("%-8s %-11s %-20s %-14s %s\n",
           "queued", "shape", "rtvnic-edf ns/pair", "heap ns/pair",
           "speedup");
    fflush(stdout);
    for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
        for (int scattered = 0; scattered < 2; scattered++) {
            const char *shape = scattered ? "scattered" : "contiguous";
            double edf_ns, heap_ns;

            bench_case(sizes[i], scattered, n_pairs, &edf_ns, &heap_ns);
            printf("%-8"PRIuSIZE" %-11s %-20.1f %-14.1f %.2fx\n",
                   sizes[i], shape, edf_ns, heap_ns, heap_ns / edf_ns);
            fflush(stdout);
            if (csv) {
                fprintf(csv, "%"PRIuSIZE",%s,%.2f,%.2f,%.2f\n",
                        sizes[i], shape, edf_ns, heap_ns, heap_ns / edf_ns);
            }
            if (sizes[i] == 100000 && !scattered) {
                edf_100k = edf_ns;
                heap_100k = heap_ns;
            }
        }
    }
    printf("100k contiguous: rtvnic-edf %.1f ns/pair, heap %.1f ns/pair, "
           "speedup %.2fx (%"PRIuSIZE" pairs, best of %d)\n",
           edf_100k, heap_100k, heap_100k / edf_100k, n_pairs,
           BENCH_ROUNDS);

    if (csv && fclose(csv)) {
        ovs_fatal(errno, "%s: write failed", csv_name);
    }
}

static const struct ovs_cmdl_command commands[] = {
    { "check", "[N_OPS] [SEED]", 0, 2, test_check, OVS_RO },
    { "bench", "[N_PAIRS] [--csv FILE]", 0, 3, test_bench, OVS_RO },
    { NULL, NULL, 0, 0, NULL, OVS_RO },
};

static void
test_rtvnic_edf_main(int argc, char *argv[])
{
    struct ovs_cmdl_context ctx = {
        .argc = argc - 1,
        .argv = argv + 1,
    };

    set_program_name(argv[0]);
    ovs_cmdl_run_command(&ctx, commands);
}

OVSTEST_REGISTER("test-rtvnic-edf", test_rtvnic_edf_main);
