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


/* What the controller-facing side (rtvnic-report.c's NXT_RTVNIC messages,
 * vswitchd/rtvnic-bridge.c) reads and changes: the list of sources, and the
 * deadline the datapath applies to each (its effective deadline, which a
 * controller may tighten below the contract in the database, never loosen
 * past it).  A new effective deadline is admitted by the same test as the
 * contracts (rtvnic_admit_effective_deadline()) and published to the receive
 * path; the OVSDB contract is never touched. */

#include <config.h>

#include "rtvnic.h"

#include <stdlib.h>

#include "openvswitch/hmap.h"
#include "ovs-thread.h"
#include "rtvnic-private.h"
#include "util.h"

static struct rtvnic_port *
rtvnic_port_lookup_by_source(uint16_t source_id) OVS_REQUIRES(rtvnic_mutex)
{
    struct rtvnic_port *port;

    HMAP_FOR_EACH (port, node, &rtvnic_ports) {
        if (source_id && port->source_id == source_id) {
            return port;
        }
    }
    return NULL;
}

/* Sets the deadline that the datapath applies to the source on port 'name'
 * to 'ns', which must not exceed its configured deadline.  Returns 0, ENOENT
 * if there is no such source, EINVAL, or EPERM if admission control refuses
 * 'ns' because a source admitted now would lose its guarantee; then
 * '*reason' is a malloc()ed sentence saying why (else NULL). */
int
rtvnic_set_effective_deadline(const char *name, uint64_t ns, char **reason)
{
    int error;

    ovs_mutex_lock(&rtvnic_mutex);
    error = rtvnic_admit_effective_deadline(rtvnic_port_lookup_by_name(name),
                                            ns, reason);
    ovs_mutex_unlock(&rtvnic_mutex);
    return error;
}

/* The same, for the source with id 'source_id'. */
int
rtvnic_set_effective_deadline_by_id(uint16_t source_id, uint64_t ns,
                                    char **reason)
{
    struct rtvnic_port *port;
    int error;

    ovs_mutex_lock(&rtvnic_mutex);
    port = rtvnic_port_lookup_by_source(source_id);
    error = rtvnic_admit_effective_deadline(port, ns, reason);
    ovs_mutex_unlock(&rtvnic_mutex);
    return error;
}

/* Stores in '*sources' (to be freed by the caller, names included) every
 * valid RTvNIC source, and returns their number. */
size_t
rtvnic_get_sources(struct rtvnic_source_info **sources)
{
    struct rtvnic_port *port;
    size_t n = 0;

    ovs_mutex_lock(&rtvnic_mutex);
    *sources = xmalloc((hmap_count(&rtvnic_ports) + 1) * sizeof **sources);
    HMAP_FOR_EACH (port, node, &rtvnic_ports) {
        if (port->source_id) {
            (*sources)[n++] = (struct rtvnic_source_info) {
                .name = xstrdup(rtvnic_port_name(port)),
                .source_id = port->source_id,
                .deadline_ns = port->cfg.deadline_ns,
                .effective_deadline_ns = port->effective_deadline_ns,
                .miss_target_ppm = port->cfg.miss_target_ppm,
                .miss_window_ms = port->cfg.miss_window_ms,
            };
        }
    }
    ovs_mutex_unlock(&rtvnic_mutex);
    return n;
}
