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

/* rtvnic-guest-clock: the guest half of the clock synchronisation between a
 * QEMU guest of testbed/rtvnic-testbed and the machine it runs on, over
 * the guest's command channel (a serial port; see testbed/rtvnic-guest-ctl
 * for the host half).
 *
 * A TCG guest starts with the RTC's whole seconds as its wall clock, so
 * one-way delays measured between the guest and a namespace VM (the host's
 * clock) would be off by up to a second.  The host measures the guest's
 * offset NTP-style (the round trip with the smallest delay bounds the
 * error by half of it) and tells the guest to step its CLOCK_REALTIME.
 *
 *   rtvnic-guest-clock ID      (stdin/stdout: the command channel, raw)
 *
 * Prints "@@RTVQ ID CLOCK", then reads lines:
 *   "P..."       answers "G <CLOCK_REALTIME ns>" at once;
 *   "A <ns>"     steps CLOCK_REALTIME by <ns> (signed), answers "OK" or
 *                "ERR <errno text>";
 *   "E"          prints "@@RTVQ ID RC 0" and exits.
 * Exits 1 on end of file or a read error.
 *
 * Built statically by testbed/rtvnic-guest-image into the guest's
 * initramfs; it has no other use. */

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int64_t
now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void
say(const char *s)
{
    size_t n = strlen(s);

    while (n) {
        ssize_t w = write(STDOUT_FILENO, s, n);

        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            exit(1);
        }
        s += w;
        n -= w;
    }
}

/* Handles one line; returns 0 to go on, 1 to stop. */
static int
handle(const char *line, int64_t t_recv, const char *id)
{
    char out[128];

    if (line[0] == 'P') {
        snprintf(out, sizeof out, "G %"PRId64"\n", t_recv);
        say(out);
    } else if (line[0] == 'A') {
        int64_t delta = strtoll(line + 1, NULL, 10);
        int64_t t = now_ns() + delta;
        struct timespec ts = { .tv_sec = t / 1000000000,
                               .tv_nsec = t % 1000000000 };

        if (clock_settime(CLOCK_REALTIME, &ts)) {
            snprintf(out, sizeof out, "ERR %s\n", strerror(errno));
        } else {
            snprintf(out, sizeof out, "OK\n");
        }
        say(out);
    } else if (line[0] == 'E') {
        snprintf(out, sizeof out, "@@RTVQ %s RC 0\n", id);
        say(out);
        return 1;
    }
    return 0;
}

int
main(int argc, char *argv[])
{
    char buf[256], out[128];
    size_t len = 0;
    const char *id = argc > 1 ? argv[1] : "0";

    snprintf(out, sizeof out, "@@RTVQ %s CLOCK\n", id);
    say(out);
    for (;;) {
        ssize_t n = read(STDIN_FILENO, buf + len, sizeof buf - 1 - len);
        int64_t t = now_ns();
        char *nl;

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return 1;
        }
        len += n;
        buf[len] = '\0';
        while ((nl = strchr(buf, '\n'))) {
            *nl = '\0';
            if (handle(buf, t, id)) {
                return 0;
            }
            len -= nl + 1 - buf;
            memmove(buf, nl + 1, len + 1);
        }
        if (len == sizeof buf - 1) {
            len = 0;            /* A line too long: not ours, drop it. */
        }
    }
}
