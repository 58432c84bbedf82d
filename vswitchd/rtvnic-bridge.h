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

/* ovs-vswitchd's RTvNIC user interface: the "rtvnic/..." unixctl commands
 * and the global RTvNIC settings in the Open_vSwitch table. */

struct smap;

void rtvnic_bridge_init(void);
void rtvnic_bridge_reconfigure(const struct smap *other_config);

#endif /* rtvnic-bridge.h */
