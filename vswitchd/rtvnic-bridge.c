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
 * Registers the "rtvnic/..." unixctl commands and applies the global RTvNIC
 * settings of the Open_vSwitch table; the state itself belongs to
 * lib/rtvnic*.c. */

#include <config.h>

#include "rtvnic-bridge.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "openvswitch/dynamic-string.h"
#include "openvswitch/vlog.h"
#include "rtvnic.h"
#include "rtvnic-rx.h"
#include "rtvnic-stamp.h"
#include "smap.h"
#include "timeval.h"
#include "unixctl.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(rtvnic_bridge);

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

static void
rtvnic_unixctl_flows(struct unixctl_conn *conn, int argc, const char *argv[],
                     void *aux OVS_UNUSED)
{
    struct ds ds = DS_EMPTY_INITIALIZER;

    if (argc > 1 && !strcmp(argv[1], "--json")) {
        rtvnic_rx_format_json(&ds);
    } else if (argc > 1 && !strcmp(argv[1], "--clear")) {
        rtvnic_rx_clear();
    } else if (argc > 1) {
        unixctl_command_reply_error(conn, "usage: rtvnic/flows "
                                    "[--json|--clear]");
        return;
    } else {
        rtvnic_rx_format(&ds);
    }
    unixctl_command_reply(conn, ds_cstr(&ds));
    ds_destroy(&ds);
}

/* "rtvnic/clock [auto|OFFSET_NS]": shows OVS's monotonic time and the offset
 * RTvNIC adds to it for wire-clock stamps, or fixes that offset (tests use
 * this, with "time/stop", to predict stamps exactly). */
static void
rtvnic_unixctl_clock(struct unixctl_conn *conn, int argc, const char *argv[],
                     void *aux OVS_UNUSED)
{
    struct ds ds = DS_EMPTY_INITIALIZER;
    long long int offset;
    bool fixed;

    if (argc > 1) {
        if (!strcmp(argv[1], "auto")) {
            rtvnic_clock_set_offset(false, 0);
        } else if (str_to_llong(argv[1], 10, &offset)) {
            rtvnic_clock_set_offset(true, offset);
        } else {
            unixctl_command_reply_error(conn, "usage: rtvnic/clock "
                                        "[auto|OFFSET_NS]");
            return;
        }
    }
    offset = rtvnic_clock_get_offset(&fixed);
    ds_put_format(&ds, "monotonic_ns %lld offset_ns %lld (%s)\n",
                  time_usec() * 1000, offset, fixed ? "fixed" : "auto");
    unixctl_command_reply(conn, ds_cstr(&ds));
    ds_destroy(&ds);
}

void
rtvnic_bridge_init(void)
{
    unixctl_command_register("rtvnic/show", "[port]", 0, 1,
                             rtvnic_unixctl_show, NULL);
    unixctl_command_register("rtvnic/flows", "[--json|--clear]", 0, 1,
                             rtvnic_unixctl_flows, NULL);
    unixctl_command_register("rtvnic/clock", "[auto|OFFSET_NS]", 0, 1,
                             rtvnic_unixctl_clock, NULL);
}

/* Parses the value of 'key' in 'other_config' as an integer from 0 to 'max'
 * (decimal, or hexadecimal with 0x).  Returns 'dflt' if the key is absent
 * or, with a warning naming the key and value, if it is invalid. */
static unsigned long long int
get_option_number(const struct smap *other_config, const char *key,
                  unsigned long long int max, unsigned long long int dflt)
{
    const char *value = smap_get(other_config, key);
    unsigned long long int x;

    if (!value) {
        return dflt;
    }
    if (!str_to_ullong(value, 0, &x) || x > max) {
        static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(1, 5);

        VLOG_WARN_RL(&rl, "Open_vSwitch other_config: invalid %s=\"%s\" "
                     "(must be 0 to %#llx); using %#llx", key, value, max,
                     dflt);
        return dflt;
    }
    return x;
}

void
rtvnic_bridge_reconfigure(const struct smap *other_config)
{
    uint16_t old_class, opt_class;
    uint8_t old_type, type;

    opt_class = get_option_number(other_config, "rtvnic-geneve-class",
                                  UINT16_MAX, RTVNIC_OPT_CLASS_DEFAULT);
    type = get_option_number(other_config, "rtvnic-geneve-type", UINT8_MAX,
                             RTVNIC_OPT_TYPE_DEFAULT);
    rtvnic_stamp_get_option(&old_class, &old_type);
    if (opt_class != old_class || type != old_type) {
        VLOG_INFO("RTvNIC stamps use Geneve option class %#"PRIx16", type "
                  "%#"PRIx8, opt_class, type);
        rtvnic_stamp_set_option(opt_class, type);
    }
}
