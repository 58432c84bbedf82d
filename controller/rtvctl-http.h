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

#ifndef RTVCTL_HTTP_H
#define RTVCTL_HTTP_H 1

/* rtvctl's HTTP endpoint: /metrics (Prometheus text format) and /status
 * (JSON), served in a thread of its own, so that HTTP clients never delay
 * OpenFlow.  The main loop publishes snapshots; the thread serves the
 * latest.
 *
 * What one client may cost is bounded, so that no client can take the
 * descriptors or the time the OpenFlow side needs: GET and HEAD only (405
 * otherwise), a request of at most RTVCTL_HTTP_MAX_HEADERS bytes (431) and no
 * body (413), one request per connection, which must arrive whole and whose
 * reply must be read within 'timeout_s' of the connection (else it is
 * closed), and at most 'max_conns' connections at a time (others are
 * accepted and closed at once, logged with a rate limit). */

#include "openvswitch/compiler.h"

struct ds;

#define RTVCTL_HTTP_MAX_HEADERS 8192
#define RTVCTL_HTTP_DEFAULT_TIMEOUT_S 10
#define RTVCTL_HTTP_DEFAULT_MAX_CONNS 16

char *rtvctl_http_start(const char *target, int timeout_s, int max_conns)
    OVS_WARN_UNUSED_RESULT;
void rtvctl_http_publish(struct ds *metrics, struct ds *status);

#endif /* rtvctl-http.h */
