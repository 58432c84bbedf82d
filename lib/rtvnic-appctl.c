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


/* The back ends of the unixctl commands that read the port registry:
 * rtvnic/show (rtvnic_show()), rtvnic/trace-start and rtvnic/trace-stop
 * (rtvnic_trace_start(), rtvnic_trace_stop()).  vswitchd/rtvnic-bridge.c
 * registers them with the other rtvnic commands (rtvnic/flows is
 * rtvnic-rx.c's); the trace's records and file format are rtvnic-trace.c's.
 *
 * Each takes 'rtvnic_mutex' only to read the registry and the schedulers'
 * counters; rtvnic_trace_stop() creates and writes its file without it, so
 * that a slow disk never holds up configuration or the main thread's
 * releases. */

#include <config.h>

#include "rtvnic.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "openvswitch/dynamic-string.h"
#include "openvswitch/hmap.h"
#include "openvswitch/vlog.h"
#include "ovs-rcu.h"
#include "ovs-thread.h"
#include "rtvnic-config.h"
#include "rtvnic-private.h"
#include "rtvnic-sched.h"
#include "rtvnic-trace.h"
#include "util.h"

#define this_module RTVNIC_THIS_MODULE

/* "rtvnic/show". */

static int
compare_port_name(const void *a_, const void *b_)
{
    const struct rtvnic_port *const *a = a_;
    const struct rtvnic_port *const *b = b_;

    return strcmp(rtvnic_port_name(*a), rtvnic_port_name(*b));
}

static void
show_egress(struct ds *ds, struct rtvnic_port *port,
            struct rtvnic_port **ports, size_t n_ports)
    OVS_REQUIRES(rtvnic_mutex)
{
    struct rtvnic_sched *sched = ovsrcu_get_protected(struct rtvnic_sched *,
                                                      &port->sched);
    struct rtvnic_source_stats ss;
    struct rtvnic_sched_stats st;

    rtvnic_sched_get_stats(sched, &st);
    ds_put_format(ds, "  egress: max-rate %"PRIu64" bit/s, default-deadline ",
                  port->cfg.max_rate_bps);
    rtvnic_format_duration(ds, port->cfg.default_deadline_ns);
    if (port->cfg.queue_limit_packets) {
        ds_put_format(ds, ", queue-limit %"PRIu32" packets",
                      port->cfg.queue_limit_packets);
    } else {
        ds_put_format(ds, ", queue-limit %"PRIu64" bytes",
                      port->cfg.queue_limit_bytes);
    }
    if (port->cfg.default_min_rate_bps) {
        ds_put_format(ds, ", default-min-rate %"PRIu64" bit/s",
                      port->cfg.default_min_rate_bps);
    }
    ds_put_format(ds, ", late-policy %s",
                  port->cfg.late_policy == RTVNIC_LATE_DROP ? "drop" : "send");
    if (port->cfg.stamp_rate_bps) {
        ds_put_format(ds, ", stamp-rate %"PRIu64" bit/s",
                      port->cfg.stamp_rate_bps);
    }
    ds_put_char(ds, '\n');
    ds_put_format(ds, "    queued: %"PRIu64" packets, %"PRIu64" bytes\n",
                  st.queued_packets, st.queued_bytes);
    ds_put_format(ds, "    enqueued: %"PRIu64", sent: %"PRIu64" packets, "
                  "%"PRIu64" bytes, dropped: %"PRIu64", late: %"PRIu64
                  ", late-dropped: %"PRIu64"\n", st.enqueued, st.sent_packets,
                  st.sent_bytes, st.dropped, st.late, st.late_dropped);
    for (size_t i = 0; i < n_ports; i++) {
        struct rtvnic_port *src = ports[i];

        if (src->source_id
            && rtvnic_sched_get_source_stats(sched, src->source_id, &ss)) {
            ds_put_format(ds, "    source %s: conforming %"PRIu64", excess "
                          "%"PRIu64", sent %"PRIu64" (%"PRIu64" bytes), late "
                          "%"PRIu64", dropped %"PRIu64"\n",
                          rtvnic_port_name(src), ss.conforming, ss.excess,
                          ss.sent_packets, ss.sent_bytes, ss.late,
                          ss.dropped);
        }
    }
    if (rtvnic_sched_get_source_stats(sched, 0, &ss)) {
        ds_put_format(ds, "    best effort: packets %"PRIu64", sent %"PRIu64
                      " (%"PRIu64" bytes), late %"PRIu64", dropped %"PRIu64
                      "\n", ss.excess, ss.sent_packets, ss.sent_bytes,
                      ss.late, ss.dropped);
    }

    size_t n_queues;
    struct rtvnic_queue **queues = rtvnic_port_sorted_queues(port, &n_queues);
    for (size_t i = 0; i < n_queues; i++) {
        if (rtvnic_sched_get_queue_stats(sched, queues[i]->queue_id, &ss)) {
            ds_put_format(ds, "    queue %u: conforming %"PRIu64", excess "
                          "%"PRIu64", sent %"PRIu64" (%"PRIu64" bytes), late "
                          "%"PRIu64", dropped %"PRIu64"\n",
                          queues[i]->queue_id, ss.conforming, ss.excess,
                          ss.sent_packets, ss.sent_bytes, ss.late,
                          ss.dropped);
        }
    }
    free(queues);
    if (n_queues || st.no_queue) {
        ds_put_format(ds, "    no such queue: %"PRIu64" packets, sent as "
                      "best effort\n", st.no_queue);
    }
    if (port->cfg.stamp_rate_bps || st.stamped || st.stamp_over_rate) {
        ds_put_format(ds, "    stamped: %"PRIu64" packets by their stamps' "
                      "deadlines, %"PRIu64" beyond stamp-rate as best "
                      "effort\n", st.stamped, st.stamp_over_rate);
    }
}

/* Appends to 'ds' the configuration and admission state of the queues of
 * 'port'. */
static void
show_queues(struct ds *ds, struct rtvnic_port *port)
    OVS_REQUIRES(rtvnic_mutex)
{
    size_t n;
    struct rtvnic_queue **queues = rtvnic_port_sorted_queues(port, &n);

    for (size_t i = 0; i < n; i++) {
        struct rtvnic_queue *q = queues[i];

        ds_put_format(ds, "  queue %u: ", q->queue_id);
        if (q->error) {
            ds_put_format(ds, "invalid configuration: %s\n"
                          "    (Queue row ignored)\n", q->error);
            continue;
        }
        ds_put_cstr(ds, "deadline ");
        rtvnic_format_duration(ds, q->cfg.deadline_ns);
        if (q->cfg.min_rate_bps) {
            ds_put_format(ds, ", min-rate %"PRIu64" bit/s",
                          q->cfg.min_rate_bps);
            if (q->cfg.burst_bits || q->admission != RTVNIC_NO_EGRESS) {
                ds_put_format(ds, ", burst %"PRIu64" bits", q->burst_bits);
            }
        } else {
            ds_put_cstr(ds, ", no min-rate");
        }
        ds_put_format(ds, ": %s\n", rtvnic_queue_admission_name(q->admission));
        if (q->refusal) {
            ds_put_format(ds, "    refused %s\n", q->refusal);
        }
    }
    free(queues);
}

static void
show_port(struct ds *ds, struct rtvnic_port *port,
          struct rtvnic_port **ports, size_t n_ports)
    OVS_REQUIRES(rtvnic_mutex)
{
    ds_put_format(ds, "%s:\n", rtvnic_port_name(port));
    if (port->error) {
        ds_put_format(ds, "  invalid configuration: %s\n"
                      "  (port is best effort)\n", port->error);
        show_queues(ds, port);
        return;
    }
    if (port->source_id) {
        ds_put_format(ds, "  source %"PRIu16": deadline ", port->source_id);
        rtvnic_format_duration(ds, port->cfg.deadline_ns);
        ds_put_cstr(ds, ", effective ");
        rtvnic_format_duration(ds, port->effective_deadline_ns);
        if (port->cfg.min_rate_bps) {
            ds_put_format(ds, ", min-rate %"PRIu64" bit/s, burst %"PRIu64
                          " bits: %s\n", port->cfg.min_rate_bps,
                          port->burst_bits,
                          rtvnic_admission_name(port->admission));
        } else if (port->admission == RTVNIC_ADMITTED
                   || port->admission == RTVNIC_REFUSED) {
            ds_put_format(ds, ", no min-rate, default-min-rate of the "
                          "egress, burst %"PRIu64" bits: %s\n",
                          port->burst_bits,
                          rtvnic_admission_name(port->admission));
        } else {
            ds_put_format(ds, ", no min-rate: %s\n",
                          rtvnic_admission_name(port->admission));
        }
        if (port->refusal) {
            ds_put_format(ds, "    refused %s\n", port->refusal);
        }
        if (port->refusal && !port->cfg.min_rate_bps) {
            ds_put_cstr(ds, "    no bandwidth guarantee: scheduled by its "
                        "deadline\n");
        }
    }
    if (ovsrcu_get_protected(struct rtvnic_sched *, &port->sched)) {
        show_egress(ds, port, ports, n_ports);
    }
    show_queues(ds, port);
}

/* Appends to 'ds' the state of 'name' or, if 'name' is NULL, of every RTvNIC
 * port.  Returns false if 'name' has no RTvNIC QoS. */
bool
rtvnic_show(struct ds *ds, const char *name)
{
    struct rtvnic_port **ports;
    struct rtvnic_port *port;
    size_t n = 0;
    bool found = !name;

    ovs_mutex_lock(&rtvnic_mutex);
    ports = xmalloc(hmap_count(&rtvnic_ports) * sizeof *ports + 1);
    HMAP_FOR_EACH (port, node, &rtvnic_ports) {
        ports[n++] = port;
    }
    qsort(ports, n, sizeof *ports, compare_port_name);
    for (size_t i = 0; i < n; i++) {
        if (!name || !strcmp(name, rtvnic_port_name(ports[i]))) {
            show_port(ds, ports[i], ports, n);
            found = true;
        }
    }
    if (!n && !name) {
        ds_put_cstr(ds, "no port has QoS of type rtvnic\n");
    }
    free(ports);
    ovs_mutex_unlock(&rtvnic_mutex);
    return found;
}

/* "rtvnic/trace-start" and "rtvnic/trace-stop". */

/* Returns the RTvNIC egress port 'name' (a port with a scheduler) and its
 * scheduler in '*schedp', or NULL with an error message in '*errorp' (to be
 * freed by the caller). */
static struct rtvnic_port *
lookup_egress_by_name(const char *name, struct rtvnic_sched **schedp,
                      char **errorp)
    OVS_REQUIRES(rtvnic_mutex)
{
    struct rtvnic_port *port = rtvnic_port_lookup_by_name(name);

    *schedp = (port
               ? ovsrcu_get_protected(struct rtvnic_sched *, &port->sched)
               : NULL);
    if (!*schedp) {
        *errorp = xasprintf("%s: no such RTvNIC egress (a port with QoS "
                            "type rtvnic and max-rate)", name);
        return NULL;
    }
    *errorp = NULL;
    return port;
}

/* Starts recording what the egress 'name' does with each packet, in a trace
 * of at most 'capacity' records, discarding a trace already running there.
 * Returns NULL, or an error message to be freed by the caller. */
char *
rtvnic_trace_start(const char *name, size_t capacity)
{
    struct rtvnic_sched *sched;
    char *error;

    if (!capacity || capacity > RTVNIC_TRACE_MAX_RECORDS) {
        return xasprintf("trace size %"PRIuSIZE" out of range (1 to %d "
                         "records)", capacity, RTVNIC_TRACE_MAX_RECORDS);
    }
    ovs_mutex_lock(&rtvnic_mutex);
    if (lookup_egress_by_name(name, &sched, &error)) {
        rtvnic_sched_trace_start(sched, capacity);
        VLOG_INFO("%s: tracing up to %"PRIuSIZE" packets", name, capacity);
    }
    ovs_mutex_unlock(&rtvnic_mutex);
    return error;
}

/* Stops the trace of the egress 'name' and writes it to 'file_name' (see
 * rtvnic-trace.h for the format), with a summary in 'reply'.
 *
 * 'file_name' must not exist: it is created exclusively, so that a typo can
 * never truncate or remove a file that is already there (a database, a log).
 * The port is checked before the file is created, and if the file cannot be
 * created the trace keeps running, so that its records are not lost.  A
 * failed write loses them and removes the file this call created.  Returns
 * NULL, or an error message to be freed by the caller. */
char *
rtvnic_trace_stop(const char *name, const char *file_name, struct ds *reply)
{
    struct rtvnic_trace *trace = NULL;
    uint64_t rate_bps = 0, default_deadline_ns = 0;
    struct rtvnic_sched *sched;
    FILE *stream;
    char *error;
    int fd;

    ovs_mutex_lock(&rtvnic_mutex);
    lookup_egress_by_name(name, &sched, &error);
    ovs_mutex_unlock(&rtvnic_mutex);
    if (error) {
        return error;
    }

    fd = open(file_name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        return (errno == EEXIST
                ? xasprintf("%s: exists; rtvnic/trace-stop writes only a new "
                            "file", file_name)
                : xasprintf("%s: cannot create (%s)", file_name,
                            ovs_strerror(errno)));
    }
    stream = fdopen(fd, "w");
    if (!stream) {
        error = xasprintf("%s: cannot create (%s)", file_name,
                          ovs_strerror(errno));
        close(fd);
        unlink(file_name);
        return error;
    }

    /* The port may have gone while the file was created: look again. */
    ovs_mutex_lock(&rtvnic_mutex);
    struct rtvnic_port *port = lookup_egress_by_name(name, &sched, &error);
    if (port) {
        rate_bps = port->cfg.max_rate_bps;
        default_deadline_ns = port->cfg.default_deadline_ns;
        trace = rtvnic_sched_trace_stop(sched);
        if (!trace) {
            error = xasprintf("%s: not being traced (start with "
                              "rtvnic/trace-start)", name);
        }
    }
    ovs_mutex_unlock(&rtvnic_mutex);

    if (!error) {
        int retval = rtvnic_trace_write(trace, name, rate_bps,
                                        default_deadline_ns, stream);
        if (fclose(stream) && !retval) {
            retval = errno;
        }
        stream = NULL;
        if (retval) {
            error = xasprintf("%s: write failed (%s)", file_name,
                              ovs_strerror(retval));
            unlink(file_name);
        } else {
            ds_put_format(reply, "%s: wrote %"PRIuSIZE" records to %s",
                          name, trace->n, file_name);
            if (trace->n_overflow) {
                ds_put_format(reply, " (%"PRIu64" more did not fit)",
                              trace->n_overflow);
            }
            ds_put_char(reply, '\n');
        }
        rtvnic_trace_destroy(trace);
    }
    if (stream) {
        /* Nothing was written: remove the file this call created. */
        fclose(stream);
        unlink(file_name);
    }
    return error;
}
