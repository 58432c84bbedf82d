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


/* Admission control, in two halves.
 *
 * rtvnic_admission_test() is the EDF schedulability test of
 * rtvnic-admission.h, on a plain array of flows: no state, no locking (the
 * unit tests and the fuzz targets call it directly).
 *
 * The rest applies it to the port registry (rtvnic-private.h), under
 * 'rtvnic_mutex': rtvnic_admit_all() runs it over every source and every
 * queue with a min-rate, in admission order, at every egress, records who is
 * admitted, refused or pending (with the reason, for rtvnic/show) and pushes
 * the outcome into every egress scheduler; rtvnic_admit_effective_deadline()
 * runs the same test for a deadline a controller tightens, and refuses it
 * if anyone admitted would lose a guarantee. */

#include <config.h>

#include "rtvnic-admission.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "coverage.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/hmap.h"
#include "openvswitch/vlog.h"
#include "ovs-rcu.h"
#include "ovs-thread.h"
#include "rtvnic-config.h"
#include "rtvnic-private.h"
#include "rtvnic-sched.h"
#include "util.h"

#define this_module RTVNIC_THIS_MODULE

COVERAGE_DEFINE(rtvnic_admission_refused);
COVERAGE_DEFINE(rtvnic_deadline_refused);

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

/* Admission over the port registry. */

/* Admission order: a source or queue that became valid earlier keeps its
 * guarantee when a newcomer does not fit. */
static uint64_t next_admission_seq OVS_GUARDED_BY(rtvnic_mutex);

/* Returns the next admission order number, for a port that just became a
 * source or a queue that just became valid. */
uint64_t
rtvnic_admission_next_seq(void) OVS_REQUIRES(rtvnic_mutex)
{
    return ++next_admission_seq;
}

/* A candidate for admission: a vNIC source, or a queue with its egress. */
struct admit_entry {
    struct rtvnic_port *port;   /* The source, or the queue's egress. */
    struct rtvnic_queue *queue; /* NULL for a source. */
    uint64_t seq;               /* Admission order. */
};

static int
compare_admission_seq(const void *a_, const void *b_)
{
    const struct admit_entry *a = a_;
    const struct admit_entry *b = b_;

    return (a->seq > b->seq) - (a->seq < b->seq);
}

/* Returns the rate that source 'src' asks to have guaranteed at 'egress':
 * its min-rate, else the egress's default-min-rate (0: none). */
static uint64_t
source_rate_at(const struct rtvnic_port *src, const struct rtvnic_port *egress)
{
    return (src->cfg.min_rate_bps ? src->cfg.min_rate_bps
            : egress->cfg.default_min_rate_bps);
}

/* Returns the index of 'port' in the 'n' egresses of 'egresses', or SIZE_MAX
 * if it is not an egress. */
static size_t
egress_index(struct rtvnic_port *const *egresses, size_t n,
             const struct rtvnic_port *port)
{
    for (size_t j = 0; j < n; j++) {
        if (egresses[j] == port) {
            return j;
        }
    }
    return SIZE_MAX;
}

/* Appends the flow with the given parameters to the 'n_admitted' flows of
 * 'row', admitted so far at 'egress', and tests them.  Returns NULL if they
 * pass, else a malloc()ed reason naming the egress. */
static char *
admission_try(struct rtvnic_admission_flow *row, size_t n_admitted,
              const struct rtvnic_port *egress, uint64_t deadline_ns,
              uint64_t rate_bps, uint64_t burst_bits)
{
    char *why, *refusal = NULL;

    row[n_admitted] = (struct rtvnic_admission_flow) {
        .deadline_ns = deadline_ns,
        .rate_bps = rate_bps,
        .burst_bits = burst_bits,
    };
    why = rtvnic_admission_test(row, n_admitted + 1, egress->cfg.max_rate_bps,
                                egress->lmax_bits);
    if (why) {
        refusal = xasprintf("at egress %s: %s", rtvnic_port_name(egress), why);
        free(why);
    }
    return refusal;
}

/* Records the admission outcome 'new' (and 'refusal', which it takes) of
 * queue 'q' of egress 'port'. */
static void
queue_set_admission(struct rtvnic_port *port, struct rtvnic_queue *q,
                    enum rtvnic_admission new, char *refusal)
    OVS_REQUIRES(rtvnic_mutex)
{
    enum rtvnic_admission old = q->admission;

    q->admission = new;
    if (new == RTVNIC_REFUSED
        && (old != RTVNIC_REFUSED || !q->refusal
            || strcmp(q->refusal, refusal))) {
        COVERAGE_INC(rtvnic_admission_refused);
        VLOG_WARN("%s queue %u: RTvNIC admission refused %s; queue is best "
                  "effort", rtvnic_port_name(port), q->queue_id, refusal);
    } else if (new == RTVNIC_ADMITTED && old != RTVNIC_ADMITTED) {
        VLOG_INFO("%s queue %u: admitted (deadline %"PRIu64" ns, min-rate "
                  "%"PRIu64" bit/s, burst %"PRIu64" bits)",
                  rtvnic_port_name(port), q->queue_id, q->cfg.deadline_ns,
                  q->cfg.min_rate_bps, q->burst_bits);
    }
    free(q->refusal);
    q->refusal = refusal;
}

/* Runs admission control over every source and every queue with a min-rate,
 * in admission order (the order in which the ports became sources and the
 * queues became valid, so that those admitted earlier keep their guarantee
 * when a newcomer does not fit, whatever ids they got): a source at every
 * egress, a queue at its own, with the sources' contract deadlines or, if
 * 'effective', their effective deadlines.
 *
 * If 'apply', records the outcome and pushes it into every egress scheduler,
 * and returns NULL.  Otherwise changes nothing and returns NULL if every
 * source and queue admitted now would stay admitted, else a malloc()ed
 * reason. */
static char *
rtvnic_admit__(bool apply, bool effective) OVS_REQUIRES(rtvnic_mutex)
{
    size_t n_ports = hmap_count(&rtvnic_ports);
    struct rtvnic_port **egresses = xmalloc(n_ports * sizeof *egresses);
    struct admit_entry *entries = NULL;
    size_t n_entries = 0, allocated_entries = 0, n_egresses = 0;
    struct rtvnic_admission_flow *admitted;
    size_t *n_admitted;
    struct rtvnic_port *port;
    char *result = NULL;

    HMAP_FOR_EACH (port, node, &rtvnic_ports) {
        struct rtvnic_queue *q;

        if (port->source_id) {
            if (n_entries >= allocated_entries) {
                entries = x2nrealloc(entries, &allocated_entries,
                                     sizeof *entries);
            }
            entries[n_entries++] = (struct admit_entry) {
                .port = port, .seq = port->admission_seq,
            };
        }
        HMAP_FOR_EACH (q, node, &port->queues) {
            if (rtvnic_queue_is_valid(q)) {
                if (n_entries >= allocated_entries) {
                    entries = x2nrealloc(entries, &allocated_entries,
                                         sizeof *entries);
                }
                entries[n_entries++] = (struct admit_entry) {
                    .port = port, .queue = q, .seq = q->admission_seq,
                };
            }
        }
        if (ovsrcu_get_protected(struct rtvnic_sched *, &port->sched)) {
            egresses[n_egresses++] = port;
        }
    }
    if (n_entries) {
        qsort(entries, n_entries, sizeof *entries, compare_admission_seq);
    }

    /* Row 'j' holds the flows admitted so far at egress 'j'. */
    admitted = xmalloc(MAX(1, n_egresses * (n_entries + 1))
                       * sizeof *admitted);
    n_admitted = xcalloc(MAX(1, n_egresses), sizeof *n_admitted);

    for (size_t i = 0; i < n_entries; i++) {
        struct rtvnic_port *src = entries[i].port;
        struct rtvnic_queue *q = entries[i].queue;
        enum rtvnic_admission old = q ? q->admission : src->admission;
        enum rtvnic_admission new;
        bool wants_guarantee = false;
        char *refusal = NULL;

        if (q) {
            size_t j = egress_index(egresses, n_egresses, src);

            if (j != SIZE_MAX) {
                /* One frame of the largest size the egress sends. */
                q->burst_bits = (q->cfg.burst_bits ? q->cfg.burst_bits
                                 : src->lmax_bits);
            }
            if (j == SIZE_MAX) {
                new = RTVNIC_NO_EGRESS;
            } else if (!q->cfg.min_rate_bps) {
                new = RTVNIC_NO_GUARANTEE;
            } else {
                refusal = admission_try(&admitted[j * (n_entries + 1)],
                                        n_admitted[j], src,
                                        q->cfg.deadline_ns,
                                        q->cfg.min_rate_bps, q->burst_bits);
                if (refusal) {
                    new = RTVNIC_REFUSED;
                } else {
                    new = RTVNIC_ADMITTED;
                    n_admitted[j]++;
                }
            }
            if (!apply) {
                if (old == RTVNIC_ADMITTED && new != RTVNIC_ADMITTED
                    && !result) {
                    result = xasprintf("%s queue %u would lose its "
                                       "guarantee %s", rtvnic_port_name(src),
                                       q->queue_id,
                                       refusal ? refusal : "(no egress)");
                }
                free(refusal);
            } else {
                queue_set_admission(src, q, new, refusal);
            }
            continue;
        }

        for (size_t j = 0; j < n_egresses && !refusal; j++) {
            struct rtvnic_port *egress = egresses[j];
            uint64_t rate = source_rate_at(src, egress);

            if (!rate) {
                continue;
            }
            wants_guarantee = true;
            refusal = admission_try(&admitted[j * (n_entries + 1)],
                                    n_admitted[j], egress,
                                    (effective ? src->effective_deadline_ns
                                     : src->cfg.deadline_ns),
                                    rate, src->burst_bits);
        }

        if (!n_egresses) {
            new = RTVNIC_NO_EGRESS;
        } else if (!wants_guarantee) {
            new = RTVNIC_NO_GUARANTEE;
        } else if (refusal) {
            new = RTVNIC_REFUSED;
        } else {
            new = RTVNIC_ADMITTED;
            for (size_t j = 0; j < n_egresses; j++) {
                if (source_rate_at(src, egresses[j])) {
                    n_admitted[j]++;
                }
            }
        }

        if (!apply) {
            if (old == RTVNIC_ADMITTED && new != RTVNIC_ADMITTED
                && !result) {
                result = xasprintf("%s would lose its guarantee %s",
                                   rtvnic_port_name(src),
                                   refusal ? refusal : "(no egress)");
            }
            free(refusal);
            continue;
        }

        src->admission = new;
        if (new == RTVNIC_REFUSED
            && (old != RTVNIC_REFUSED || !src->refusal
                || strcmp(src->refusal, refusal))) {
            COVERAGE_INC(rtvnic_admission_refused);
            VLOG_WARN("%s: RTvNIC admission refused %s; vNIC %s",
                      rtvnic_port_name(src), refusal,
                      (src->cfg.min_rate_bps
                       ? "stays best effort"
                       : "is scheduled by its deadline, without guarantee"));
        } else if (new == RTVNIC_ADMITTED && old != RTVNIC_ADMITTED) {
            VLOG_INFO("%s: RTvNIC source %"PRIu16" admitted (deadline "
                      "%"PRIu64" ns, min-rate %"PRIu64" bit/s%s, burst "
                      "%"PRIu64" bits)", rtvnic_port_name(src), src->source_id,
                      src->cfg.deadline_ns,
                      src->cfg.min_rate_bps ? src->cfg.min_rate_bps
                      : source_rate_at(src, egresses[0]),
                      src->cfg.min_rate_bps ? "" : " (default-min-rate)",
                      src->burst_bits);
        }
        free(src->refusal);
        src->refusal = refusal;
    }

    for (size_t j = 0; apply && j < n_egresses; j++) {
        struct rtvnic_sched *sched;
        struct rtvnic_queue *q;

        sched = ovsrcu_get_protected(struct rtvnic_sched *,
                                     &egresses[j]->sched);
        for (size_t i = 0; i < n_entries; i++) {
            struct rtvnic_port *src = entries[i].port;
            uint64_t rate;

            if (entries[i].queue) {
                continue;
            }
            rate = source_rate_at(src, egresses[j]);
            rtvnic_sched_set_source(sched, src->source_id,
                                    src->admission == RTVNIC_ADMITTED && rate,
                                    !src->cfg.min_rate_bps, rate,
                                    src->burst_bits);
        }
        HMAP_FOR_EACH (q, node, &egresses[j]->queues) {
            if (rtvnic_queue_is_valid(q)
                && !rtvnic_sched_set_queue(sched, q->queue_id,
                                           q->cfg.deadline_ns,
                                           q->admission == RTVNIC_ADMITTED,
                                           !q->cfg.min_rate_bps,
                                           q->cfg.min_rate_bps,
                                           q->burst_bits)) {
                static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(1, 5);

                VLOG_WARN_RL(&rl, "%s queue %u: too many queues at this "
                             "egress; its packets are best effort",
                             rtvnic_port_name(egresses[j]), q->queue_id);
            }
        }
    }

    free(n_admitted);
    free(admitted);
    free(egresses);
    free(entries);
    return result;
}

/* Admits the sources by their contracts, then checks that the deadlines a
 * controller tightened still pass the same test; if they do not (say, an
 * egress became slower), puts them back to the contracts, which pass. */
void
rtvnic_admit_all(void) OVS_REQUIRES(rtvnic_mutex)
{
    char *why = rtvnic_admit__(true, false);

    ovs_assert(!why);
    why = rtvnic_admit__(false, true);
    if (why) {
        struct rtvnic_port *port;

        HMAP_FOR_EACH (port, node, &rtvnic_ports) {
            if (port->source_id
                && port->effective_deadline_ns != port->cfg.deadline_ns) {
                VLOG_WARN("%s: effective deadline %"PRIu64" ns reset to the "
                          "contract's %"PRIu64" ns: %s",
                          rtvnic_port_name(port), port->effective_deadline_ns,
                          port->cfg.deadline_ns, why);
                COVERAGE_INC(rtvnic_deadline_refused);
                port->effective_deadline_ns = port->cfg.deadline_ns;
                rtvnic_port_publish_rx_info(port);
            }
        }
        free(why);
    }
}

/* Makes 'ns' the effective deadline of the source 'port' (which may be NULL)
 * if 'ns' is not 0, does not exceed the contract's deadline and passes
 * admission control: every source and queue admitted now stays admitted with
 * it.  Returns 0, ENOENT if 'port' is NULL or no source, EINVAL for a bad
 * 'ns', or EPERM with a malloc()ed reason in '*reason' (else '*reason' is
 * NULL). */
int
rtvnic_admit_effective_deadline(struct rtvnic_port *port, uint64_t ns,
                                char **reason)
    OVS_REQUIRES(rtvnic_mutex)
{
    *reason = NULL;
    if (!port || !port->source_id) {
        return ENOENT;
    } else if (!ns || ns > port->cfg.deadline_ns) {
        return EINVAL;
    } else if (port->effective_deadline_ns != ns) {
        uint64_t old = port->effective_deadline_ns;

        /* The same exact test that admitted the sources, with 'ns'. */
        port->effective_deadline_ns = ns;
        *reason = rtvnic_admit__(false, true);
        if (*reason) {
            port->effective_deadline_ns = old;
            COVERAGE_INC(rtvnic_deadline_refused);
            return EPERM;
        }
        VLOG_INFO("%s: effective deadline %"PRIu64" ns -> %"PRIu64" ns "
                  "(contract %"PRIu64" ns)", rtvnic_port_name(port), old, ns,
                  port->cfg.deadline_ns);
        rtvnic_port_publish_rx_info(port);
    }
    return 0;
}

/* Names of the admission states, as rtvnic/show and qos/show print them. */

const char *
rtvnic_admission_name(enum rtvnic_admission admission)
{
    switch (admission) {
    case RTVNIC_ADMITTED:
        return "admitted";
    case RTVNIC_REFUSED:
        return "refused";
    case RTVNIC_NO_EGRESS:
        return "pending (no rtvnic egress)";
    case RTVNIC_NO_GUARANTEE:
        return "no bandwidth guarantee (scheduled by its deadline)";
    }
    OVS_NOT_REACHED();
}

const char *
rtvnic_queue_admission_name(enum rtvnic_admission admission)
{
    return (admission == RTVNIC_NO_EGRESS
            ? "pending (port is not an rtvnic egress)"
            : rtvnic_admission_name(admission));
}
