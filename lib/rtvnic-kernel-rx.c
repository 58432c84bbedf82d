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

/* Kernel receive timestamps for netdev-linux's sockets: the contract is in
 * rtvnic-kernel-rx.h. */

#include <config.h>

#include "rtvnic-kernel-rx.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "coverage.h"
#include "dp-packet.h"
#include "openvswitch/vlog.h"
#include "rtvnic.h"
#include "rtvnic-rx.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(rtvnic_kernel_rx);

COVERAGE_DEFINE(rtvnic_kernel_rx_on);

BUILD_ASSERT_DECL(CMSG_SPACE(sizeof(struct timespec))
                  <= RTVNIC_KERNEL_RX_CMSG_SPACE);

/* Makes receive socket 'fd' (of netdev 'name') timestamp what it receives
 * exactly while RTvNIC is in use; '*timestamps_on' says what 'fd' does now.
 * A socket that refuses keeps what it does and is not asked again until
 * RTvNIC's use changes. */
void
rtvnic_kernel_rx_sync(int fd, bool *timestamps_on, const char *name)
{
    bool want = rtvnic_rx_enabled();

    if (OVS_LIKELY(want == *timestamps_on)) {
        return;
    }
    *timestamps_on = want;
#ifdef SO_TIMESTAMPNS
    int val = want;

    if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &val, sizeof val)) {
        static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(1, 5);

        VLOG_WARN_RL(&rl, "%s: cannot turn %s kernel receive timestamps "
                     "(%s); RTvNIC arrival is the poll time",
                     name, want ? "on" : "off", ovs_strerror(errno));
        return;
    }
    if (want) {
        COVERAGE_INC(rtvnic_kernel_rx_on);
        VLOG_DBG("%s: kernel receive timestamps on", name);
    }
#else
    (void) fd;
    (void) name;
#endif
}

/* If 'cmsg' is a receive timestamp, keeps it in 'packet' and returns true;
 * otherwise returns false. */
bool
rtvnic_kernel_rx_cmsg(const struct cmsghdr *cmsg, struct dp_packet *packet)
{
#ifdef SCM_TIMESTAMPNS
    if (cmsg->cmsg_level == SOL_SOCKET
        && cmsg->cmsg_type == SCM_TIMESTAMPNS
        && cmsg->cmsg_len >= CMSG_LEN(sizeof(struct timespec))) {
        struct timespec ts;

        memcpy(&ts, CMSG_DATA(cmsg), sizeof ts);
        if (ts.tv_sec > 0) {
            packet->rtvnic.kernel_rx_ns = (uint64_t) ts.tv_sec * 1000000000
                                          + ts.tv_nsec;
        }
        return true;
    }
#else
    (void) cmsg;
    (void) packet;
#endif
    return false;
}
