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

/* rtvnic-traffic: UDP traffic with per-packet one-way delay, measured by the
 * application, independently of the switch's own counters.
 *
 *   rtvnic-traffic send DST-IP PORT --rate PPS --size BYTES --duration SEC
 *                       [--id N] [--burst N] [--log FILE]
 *       Sends UDP datagrams of BYTES payload bytes, PPS per second on average,
 *       in bursts of N back-to-back datagrams (default 1).  Each payload
 *       starts with a magic, the flow id, a sequence number and the
 *       CLOCK_REALTIME send time in ns.  With --log, also writes one line
 *       per datagram to FILE: "ID SEQ SEND_NS" (SEND_NS the payload's send
 *       time; a datagram whose send() failed is logged with a trailing " E").
 *       SIGTERM or SIGINT (e.g. from timeout(1)) ends the sending early, and
 *       it still prints its summary and completes the log.
 *       Shapes (for congestion scenarios): --ramp SEC raises the rate
 *       linearly from PPS/100 to PPS over the first SEC seconds;
 *       --on-off ON_MS:OFF_MS sends only in the first ON_MS of every
 *       ON_MS + OFF_MS cycle, at PPS while on.
 *
 *   rtvnic-traffic recv PORT --duration SEC [--deadline-us US] [--quiet]
 *                       [--log FILE] [--count N]
 *       Receives them and prints, every second and at the end, per flow id:
 *       packets, lost (sequence gaps), bytes, one-way delay p50/p99/p999/max
 *       and misses (delay above the deadline).  Sender and receiver must
 *       share a clock: they run on one machine (e.g. in two namespaces).
 *       With --log, also writes one line per received datagram to FILE:
 *       "ID SEQ SEND_NS RECV_NS" (CLOCK_REALTIME ns; the one-way delay is
 *       RECV_NS - SEND_NS), after a first line starting with "#".  The
 *       printed output is the same with or without --log.  SIGTERM or SIGINT
 *       ends the receiving early, with the final "total" lines printed.
 *       --count N ends it once N datagrams have arrived (a test that knows
 *       how many to expect need not wait out a long --duration).
 *       --kernel-time takes RECV_NS from the kernel's receive timestamp
 *       (SO_TIMESTAMPNS: when the datagram entered the receiving
 *       namespace's stack) instead of the time the tool read it, so that
 *       the delay ends where the path ends, not when a busy machine gets
 *       round to scheduling the receiver; a datagram without a timestamp
 *       is timed when read and counted in the final line
 *       "kernel-time missing=N".
 *
 *   --mlock (either mode) locks the tool's memory first: where the kernel
 *   pages out idle file-backed memory (DAMON with a "pageout" scheme does,
 *   on this machine), a datagram could otherwise wait for the disk to give
 *   the tool its code back.
 *
 * It is a test tool: a plain program with no OVS dependency. */

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAGIC 0x52545654u       /* "RTVT" */
#define MAX_FLOWS 16
#define MAX_SAMPLES (1 << 20)

struct header {
    uint32_t magic;
    uint32_t id;
    uint64_t seq;
    uint64_t send_ns;
};

struct flow {
    bool active;
    uint64_t next_seq;
    uint64_t packets, lost, bytes, misses, max_ns;
    uint64_t *samples;          /* Delays of the current interval, ns. */
    size_t n_samples;
    uint64_t total_packets, total_lost, total_bytes, total_misses;
    uint64_t *all;              /* Delays of the whole run, ns. */
    size_t n_all;
};

static volatile sig_atomic_t stop_sending;

static void
on_stop_signal(int sig)
{
    (void) sig;
    stop_sending = 1;
}

/* SIGTERM and SIGINT set 'stop_sending'.  No SA_RESTART: a blocked send(),
 * poll() or sleep returns at once. */
static void
catch_stop_signals(void)
{
    struct sigaction sa = { .sa_handler = on_stop_signal };

    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
}

static uint64_t
now_ns(clockid_t clock)
{
    struct timespec ts;

    clock_gettime(clock, &ts);
    return (uint64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void
usage(void)
{
    fprintf(stderr,
            "usage: rtvnic-traffic send DST-IP PORT --rate PPS --size BYTES "
            "--duration SEC [--id N] [--burst N] [--log FILE] [--mlock]\n"
            "                           [--ramp SEC] [--on-off ON_MS:OFF_MS]\n"
            "       rtvnic-traffic recv PORT --duration SEC "
            "[--deadline-us US] [--quiet] [--log FILE] [--count N] "
            "[--kernel-time] [--mlock]\n");
    exit(2);
}

static double
arg_number(int argc, char *argv[], const char *name, double dflt)
{
    for (int i = 0; i < argc - 1; i++) {
        if (!strcmp(argv[i], name)) {
            char *end;
            double x = strtod(argv[i + 1], &end);

            if (*end || x < 0) {
                fprintf(stderr, "rtvnic-traffic: %s %s: not a number\n",
                        name, argv[i + 1]);
                exit(2);
            }
            return x;
        }
    }
    if (dflt < 0) {
        fprintf(stderr, "rtvnic-traffic: %s is required\n", name);
        exit(2);
    }
    return dflt;
}

static bool
arg_flag(int argc, char *argv[], const char *name)
{
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], name)) {
            return true;
        }
    }
    return false;
}

/* The file named by option 'name' opened for writing, or NULL if the option
 * is absent.  Exits if it cannot be opened. */
static FILE *
arg_log(int argc, char *argv[], const char *name)
{
    for (int i = 0; i < argc - 1; i++) {
        if (!strcmp(argv[i], name)) {
            FILE *f = fopen(argv[i + 1], "w");

            if (!f) {
                fprintf(stderr, "rtvnic-traffic: %s ", name);
                perror(argv[i + 1]);
                exit(1);
            }
            setvbuf(f, NULL, _IOFBF, 1 << 20);
            return f;
        }
    }
    return NULL;
}

static int
close_log(FILE *f)
{
    if (f && (ferror(f) | fclose(f))) {
        fprintf(stderr, "rtvnic-traffic: writing the --log file failed\n");
        return 1;
    }
    return 0;
}

/* The time to the next burst, 'elapsed' ns after the start: 'interval' at
 * full rate, longer while a ramp of 'ramp' seconds is still rising (from
 * 1/100 of the rate, so that the first burst is not a long wait). */
static uint64_t
next_interval(uint64_t interval, double ramp, uint64_t elapsed)
{
    double share = ramp > 0 ? elapsed / (ramp * 1e9) : 1;

    return share >= 1 ? interval : interval / (share < 0.01 ? 0.01 : share);
}

static int
do_send(int argc, char *argv[])
{
    struct sockaddr_in dst = { .sin_family = AF_INET };
    double rate = arg_number(argc, argv, "--rate", -1);
    size_t size = arg_number(argc, argv, "--size", -1);
    double duration = arg_number(argc, argv, "--duration", -1);
    uint32_t id = arg_number(argc, argv, "--id", 1);
    unsigned int burst = arg_number(argc, argv, "--burst", 1);
    double ramp = arg_number(argc, argv, "--ramp", 0);
    uint64_t on_ns = 0, cycle_ns = 0;
    FILE *log;
    char buf[65536];
    uint64_t start, end, interval, next, seq = 0, errors = 0;
    int fd;

    for (int i = 0; i < argc - 1; i++) {
        if (!strcmp(argv[i], "--on-off")) {
            unsigned int on_ms, off_ms;
            char c;

            if (sscanf(argv[i + 1], "%u:%u%c", &on_ms, &off_ms, &c) != 2
                || !on_ms) {
                fprintf(stderr, "rtvnic-traffic: --on-off %s: not "
                        "ON_MS:OFF_MS with ON_MS > 0\n", argv[i + 1]);
                return 2;
            }
            on_ns = on_ms * UINT64_C(1000000);
            cycle_ns = on_ns + off_ms * UINT64_C(1000000);
        }
    }
    log = arg_log(argc, argv, "--log");

    if (argc < 2 || inet_pton(AF_INET, argv[0], &dst.sin_addr) != 1) {
        usage();
    }
    dst.sin_port = htons(atoi(argv[1]));
    if (size < sizeof(struct header) || size > sizeof buf || !rate || !burst) {
        fprintf(stderr, "rtvnic-traffic: bad --size, --rate or --burst\n");
        return 2;
    }
    fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *) &dst, sizeof dst)) {
        perror("rtvnic-traffic: socket");
        return 1;
    }
    memset(buf, 0x5a, sizeof buf);

    catch_stop_signals();

    interval = 1e9 / rate * burst;
    start = now_ns(CLOCK_MONOTONIC);
    end = start + duration * 1e9;
    for (next = start; next < end && !stop_sending;
         next += next_interval(interval, ramp, next - start)) {
        if (cycle_ns && (next - start) % cycle_ns >= on_ns) {
            /* Off: on again at the next cycle. */
            next += cycle_ns - (next - start) % cycle_ns;
            if (next >= end) {
                break;
            }
        }
        struct timespec ts = { next / 1000000000, next % 1000000000 };

        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
        for (unsigned int i = 0; i < burst && !stop_sending; i++) {
            struct header h = {
                .magic = htonl(MAGIC),
                .id = htonl(id),
                .seq = seq++,
                .send_ns = now_ns(CLOCK_REALTIME),
            };
            memcpy(buf, &h, sizeof h);
            bool failed = send(fd, buf, size, 0) < 0;
            if (failed && stop_sending) {
                seq--;          /* Interrupted: not sent. */
                break;
            }
            if (failed) {
                errors++;
            }
            if (log) {
                fprintf(log, "%"PRIu32" %"PRIu64" %"PRIu64"%s\n", id, h.seq,
                        h.send_ns, failed ? " E" : "");
            }
        }
    }
    printf("sent id=%"PRIu32" packets=%"PRIu64" send-errors=%"PRIu64"\n",
           id, seq, errors);
    close(fd);
    return close_log(log);
}

static int
compare_u64(const void *a_, const void *b_)
{
    uint64_t a = *(const uint64_t *) a_, b = *(const uint64_t *) b_;
    return a < b ? -1 : a > b;
}

static double
percentile_ms(uint64_t *v, size_t n, double p)
{
    if (!n) {
        return 0;
    }
    size_t i = p * (n - 1) + 0.5;
    return v[i] / 1e6;
}

static void
print_flow(const char *when, uint32_t id, uint64_t packets, uint64_t lost,
           uint64_t bytes, uint64_t misses, uint64_t *v, size_t n)
{
    qsort(v, n, sizeof *v, compare_u64);
    printf("%s id=%"PRIu32" packets=%"PRIu64" lost=%"PRIu64" bytes=%"PRIu64
           " p50=%.3fms p99=%.3fms p999=%.3fms max=%.3fms misses=%"PRIu64"\n",
           when, id, packets, lost, bytes, percentile_ms(v, n, 0.5),
           percentile_ms(v, n, 0.99), percentile_ms(v, n, 0.999),
           n ? v[n - 1] / 1e6 : 0.0, misses);
}

/* The SO_TIMESTAMPNS receive time that came with 'msg', CLOCK_REALTIME ns,
 * or 0 if none did. */
static uint64_t
kernel_timestamp(struct msghdr *msg)
{
    for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS
            && c->cmsg_len >= CMSG_LEN(sizeof(struct timespec))) {
            struct timespec ts;

            memcpy(&ts, CMSG_DATA(c), sizeof ts);
            return (uint64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
        }
    }
    return 0;
}

static int
do_recv(int argc, char *argv[])
{
    struct sockaddr_in addr = { .sin_family = AF_INET };
    double duration = arg_number(argc, argv, "--duration", -1);
    uint64_t deadline_ns = arg_number(argc, argv, "--deadline-us", 0) * 1000;
    bool quiet = arg_flag(argc, argv, "--quiet");
    FILE *log = arg_log(argc, argv, "--log");
    uint64_t count = arg_number(argc, argv, "--count", 0);
    bool kernel_time = arg_flag(argc, argv, "--kernel-time");
    uint64_t received = 0, no_kernel_time = 0;
    static struct flow flows[MAX_FLOWS];
    uint64_t start, end, next_report;
    unsigned int second = 0;
    char buf[65536];
    int fd, rcvbuf = 4 << 20;

    if (argc < 1) {
        usage();
    }
    addr.sin_port = htons(atoi(argv[0]));
    fd = socket(AF_INET, SOCK_DGRAM, 0);
    /* SO_RCVBUF is capped at net.core.rmem_max (208 kB by default: about
     * 90 datagrams of 1000 bytes, 15 ms at 6000/s); as root, go past it,
     * so that a receiver descheduled for a while does not lose what the
     * switch delivered in time. */
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf)) {
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    }
    if (fd < 0 || bind(fd, (struct sockaddr *) &addr, sizeof addr)) {
        perror("rtvnic-traffic: bind");
        return 1;
    }
    int on = 1;
    if (kernel_time
        && setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on)) {
        perror("rtvnic-traffic: --kernel-time: SO_TIMESTAMPNS");
        return 1;
    }

    if (log) {
        fprintf(log, "# id seq send_ns recv_ns\n");
    }
    catch_stop_signals();
    start = now_ns(CLOCK_MONOTONIC);
    end = start + duration * 1e9;
    next_report = start + 1000000000;
    for (;;) {
        uint64_t mono = now_ns(CLOCK_MONOTONIC);
        struct pollfd pfd = { .fd = fd, .events = POLLIN };

        if (stop_sending) {
            end = mono;
        }
        if (mono >= next_report || mono >= end) {
            char when[32];

            second++;
            snprintf(when, sizeof when, "t=%us", second);
            for (uint32_t id = 0; id < MAX_FLOWS; id++) {
                struct flow *f = &flows[id];

                if (f->active && !quiet) {
                    print_flow(when, id, f->packets, f->lost, f->bytes,
                               f->misses, f->samples, f->n_samples);
                }
                f->packets = f->lost = f->bytes = f->misses = 0;
                f->n_samples = 0;
            }
            fflush(stdout);
            next_report += 1000000000;
            if (mono >= end) {
                break;
            }
        }
        if (poll(&pfd, 1, 10) <= 0) {
            continue;
        }

        union {
            char buf[CMSG_SPACE(sizeof(struct timespec))];
            struct cmsghdr align;
        } control;
        struct iovec iov = { .iov_base = buf, .iov_len = sizeof buf };
        struct msghdr msg = {
            .msg_iov = &iov, .msg_iovlen = 1,
            .msg_control = &control, .msg_controllen = sizeof control,
        };
        ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT);
        uint64_t rx = now_ns(CLOCK_REALTIME);
        struct header h;
        if (n < (ssize_t) sizeof h) {
            continue;
        }
        memcpy(&h, buf, sizeof h);
        uint32_t id = ntohl(h.id);
        if (ntohl(h.magic) != MAGIC || id >= MAX_FLOWS) {
            continue;
        }
        if (kernel_time) {
            uint64_t kernel_rx = kernel_timestamp(&msg);

            if (kernel_rx) {
                rx = kernel_rx;
            } else {
                no_kernel_time++;
            }
        }

        struct flow *f = &flows[id];
        if (!f->active) {
            f->active = true;
            f->samples = calloc(MAX_SAMPLES, sizeof *f->samples);
            f->all = calloc(MAX_SAMPLES * 8, sizeof *f->all);
        }
        if (h.seq > f->next_seq) {
            f->lost += h.seq - f->next_seq;
            f->total_lost += h.seq - f->next_seq;
        }
        if (h.seq >= f->next_seq) {
            f->next_seq = h.seq + 1;
        }
        uint64_t delay = rx > h.send_ns ? rx - h.send_ns : 0;
        if (log) {
            fprintf(log, "%"PRIu32" %"PRIu64" %"PRIu64" %"PRIu64"\n", id,
                    h.seq, h.send_ns, rx);
        }
        f->packets++;
        f->total_packets++;
        f->bytes += n;
        f->total_bytes += n;
        if (deadline_ns && delay > deadline_ns) {
            f->misses++;
            f->total_misses++;
        }
        if (f->n_samples < MAX_SAMPLES) {
            f->samples[f->n_samples++] = delay;
        }
        if (f->n_all < MAX_SAMPLES * 8) {
            f->all[f->n_all++] = delay;
        }
        if (count && ++received >= count) {
            end = now_ns(CLOCK_MONOTONIC);
        }
    }

    for (uint32_t id = 0; id < MAX_FLOWS; id++) {
        struct flow *f = &flows[id];

        if (f->active) {
            print_flow("total", id, f->total_packets, f->total_lost,
                       f->total_bytes,
                       f->total_misses, f->all, f->n_all);
        }
    }
    if (kernel_time) {
        printf("kernel-time missing=%"PRIu64"\n", no_kernel_time);
    }
    close(fd);
    return close_log(log);
}

int
main(int argc, char *argv[])
{
    if (argc < 2) {
        usage();
    }
    if (arg_flag(argc, argv, "--mlock") && mlockall(MCL_CURRENT)) {
        perror("rtvnic-traffic: --mlock: mlockall");
        return 1;
    }
    if (!strcmp(argv[1], "send")) {
        return do_send(argc - 2, argv + 2);
    } else if (!strcmp(argv[1], "recv")) {
        return do_recv(argc - 2, argv + 2);
    }
    usage();
    return 2;
}
