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
 * (JSON), served by libevent in a thread of its own, so that slow HTTP
 * clients never delay OpenFlow.  The main loop publishes snapshots; the
 * thread serves the latest. */

struct ds;

char *rtvctl_http_start(const char *target);
void rtvctl_http_publish(struct ds *metrics, struct ds *status);

#endif /* rtvctl-http.h */
