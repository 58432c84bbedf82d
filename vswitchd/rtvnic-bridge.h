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

#ifndef RTVNIC_BRIDGE_H
#define RTVNIC_BRIDGE_H 1

#include <stdbool.h>

/* ovs-vswitchd's RTvNIC interfaces: the "rtvnic/..." unixctl commands, the
 * global RTvNIC settings in the Open_vSwitch table, and the miss reports to
 * OpenFlow controllers. */

struct ofproto;
struct smap;

void rtvnic_bridge_init(void);
void rtvnic_bridge_reconfigure(const struct smap *other_config);

/* Miss reports, heartbeats and sources to the controllers (whole messages,
 * at most RTVNIC_CONTROLLER_BACKLOG queued per connection; drops are counted
 * in "rtvnic/show").  bridge_run() calls
 * rtvnic_bridge_send_reports() for every bridge when
 * rtvnic_bridge_reports_due(), then rtvnic_bridge_reports_sent(). */
bool rtvnic_bridge_reports_due(void);
void rtvnic_bridge_send_reports(struct ofproto *);
void rtvnic_bridge_reports_sent(void);
void rtvnic_bridge_wait(void);

#endif /* rtvnic-bridge.h */
