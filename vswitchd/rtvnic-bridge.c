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

/* ovs-vswitchd's RTvNIC user interface.
 *
 * Registers the "rtvnic/..." unixctl commands; the state they show belongs
 * to lib/rtvnic.c. */

#include <config.h>

#include "rtvnic-bridge.h"

#include "openvswitch/dynamic-string.h"
#include "rtvnic.h"
#include "unixctl.h"

static void
rtvnic_unixctl_show(struct unixctl_conn *conn, int argc, const char *argv[],
                    void *aux OVS_UNUSED)
{
    struct ds ds = DS_EMPTY_INITIALIZER;
    const char *port = argc > 1 ? argv[1] : NULL;

    if (rtvnic_show(&ds, port)) {
        unixctl_command_reply(conn, ds_cstr(&ds));
    } else {
        ds_put_format(&ds, "%s: no QoS of type rtvnic", port);
        unixctl_command_reply_error(conn, ds_cstr(&ds));
    }
    ds_destroy(&ds);
}

void
rtvnic_bridge_init(void)
{
    unixctl_command_register("rtvnic/show", "[port]", 0, 1,
                             rtvnic_unixctl_show, NULL);
}
