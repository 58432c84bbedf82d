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


#ifndef RTVNIC_METRICS_H
#define RTVNIC_METRICS_H 1

/* A host's RTvNIC numbers in the Prometheus text exposition format
 * ("ovs-appctl rtvnic/metrics", for node_exporter's textfile collector):
 * per egress (port label) its scheduler's counters and queue, per source at
 * that egress (port and source labels) what it sent, per source its
 * deadlines, and per received flow (sender and vnic labels) the receiver's
 * counters and delays.  Every metric has "# HELP" and "# TYPE", times are
 * in seconds, counters end in "_total"; samples are sorted by label, so the
 * same state prints the same text. */

#include <stddef.h>

struct ds;
struct netdev;

void rtvnic_metrics_format(struct ds *, struct netdev *const *netdevs,
                           size_t n_netdevs);

#endif /* rtvnic-metrics.h */
