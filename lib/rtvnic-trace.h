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

#ifndef RTVNIC_TRACE_H
#define RTVNIC_TRACE_H 1

/* A per-packet record of what one RTvNIC egress scheduler did, for offline
 * analysis (e.g. the EDF oracle of tests/test-rtvnic-oracle.c, which asks how
 * few deadline misses were possible for the same arrivals).
 *
 * Contract
 * ========
 *
 * While a trace is attached to a scheduler (rtvnic_sched_trace_start()),
 * every packet that leaves the scheduler -- sent, sent late, dropped because
 * the queue was full, or dropped late -- appends exactly one record, in the
 * order in which they leave.  A trace holds at most the capacity it was
 * created with; records beyond it are only counted ('n_overflow'), so that a
 * forgotten trace costs bounded memory.  Packets still queued when the trace
 * is detached are not in it.
 *
 * Not thread safe: the scheduler's mutex protects the trace attached to it.
 *
 * File format (rtvnic_trace_write()): text, one line per record, after
 * comment lines starting with '#' that give the egress's name, max-rate,
 * default deadline, record count and overflow count:
 *
 *   ARRIVAL_NS DEADLINE_NS LEAVE_NS SIZE SOURCE CLASS FATE
 *
 * ARRIVAL_NS is when the packet entered the host, DEADLINE_NS its absolute
 * deadline, LEAVE_NS when it left the scheduler (released or dropped), all
 * in OVS monotonic nanoseconds; SIZE the bytes the pacer charged; SOURCE the
 * RTvNIC source id (0: best effort); CLASS "c" (conforming) or "x" (excess
 * or best effort); FATE "sent", "late" (sent after its deadline), "drop"
 * (queue full) or "late-drop" (late-policy=drop). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum rtvnic_trace_fate {
    RTVNIC_TRACE_SENT,
    RTVNIC_TRACE_LATE,
    RTVNIC_TRACE_DROP,
    RTVNIC_TRACE_LATE_DROP,
};

struct rtvnic_trace_record {
    uint64_t arrival_ns;
    uint64_t deadline_ns;
    uint64_t leave_ns;
    uint32_t size;
    uint16_t source_id;
    bool conforming;
    uint8_t fate;               /* enum rtvnic_trace_fate. */
};

struct rtvnic_trace {
    struct rtvnic_trace_record *records;
    size_t n;
    size_t capacity;
    uint64_t n_overflow;        /* Records that did not fit. */
};

struct rtvnic_trace *rtvnic_trace_create(size_t capacity);
void rtvnic_trace_destroy(struct rtvnic_trace *);

static inline void
rtvnic_trace_add(struct rtvnic_trace *trace,
                 const struct rtvnic_trace_record *record)
{
    if (trace->n < trace->capacity) {
        trace->records[trace->n++] = *record;
    } else {
        trace->n_overflow++;
    }
}

const char *rtvnic_trace_fate_name(enum rtvnic_trace_fate);
int rtvnic_trace_write(const struct rtvnic_trace *, const char *egress_name,
                       uint64_t rate_bps, uint64_t default_deadline_ns,
                       FILE *);

#endif /* rtvnic-trace.h */
