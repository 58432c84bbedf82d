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

#include "rtvnic-trace.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "util.h"

struct rtvnic_trace *
rtvnic_trace_create(size_t capacity)
{
    struct rtvnic_trace *trace = xzalloc(sizeof *trace);

    trace->records = xcalloc(capacity ? capacity : 1,
                             sizeof *trace->records);
    trace->capacity = capacity;
    return trace;
}

void
rtvnic_trace_destroy(struct rtvnic_trace *trace)
{
    if (trace) {
        free(trace->records);
        free(trace);
    }
}

const char *
rtvnic_trace_fate_name(enum rtvnic_trace_fate fate)
{
    switch (fate) {
    case RTVNIC_TRACE_SENT:
        return "sent";
    case RTVNIC_TRACE_LATE:
        return "late";
    case RTVNIC_TRACE_DROP:
        return "drop";
    case RTVNIC_TRACE_LATE_DROP:
        return "late-drop";
    }
    return "?";
}

/* Writes 'trace' of the egress 'egress_name' (paced at 'rate_bps', best
 * effort due 'default_deadline_ns' after arrival) to 'stream' in the format
 * described in rtvnic-trace.h.  Returns 0 or an errno value. */
int
rtvnic_trace_write(const struct rtvnic_trace *trace, const char *egress_name,
                   uint64_t rate_bps, uint64_t default_deadline_ns,
                   FILE *stream)
{
    fprintf(stream, "# rtvnic trace of egress %s\n", egress_name);
    fprintf(stream, "# max-rate %"PRIu64" bit/s, default-deadline %"PRIu64
            " ns\n", rate_bps, default_deadline_ns);
    fprintf(stream, "# records %"PRIuSIZE", overflow %"PRIu64"\n",
            trace->n, trace->n_overflow);
    fprintf(stream, "# arrival_ns deadline_ns leave_ns size source class "
            "fate\n");
    for (size_t i = 0; i < trace->n; i++) {
        const struct rtvnic_trace_record *r = &trace->records[i];

        fprintf(stream, "%"PRIu64" %"PRIu64" %"PRIu64" %"PRIu32" %"PRIu16
                " %c %s\n", r->arrival_ns, r->deadline_ns, r->leave_ns,
                r->size, r->source_id, r->conforming ? 'c' : 'x',
                rtvnic_trace_fate_name(r->fate));
    }
    return ferror(stream) ? EIO : 0;
}
