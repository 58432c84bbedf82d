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

/* rtvnic-stall-probe: records when this machine itself did not run its
 * highest-priority work, so a benchmark can tell a deadline miss that no
 * scheduler inside the machine could have prevented from one it could.
 *
 *   rtvnic-stall-probe --duration SEC [--period-us US] [--min-us US]
 *                      [--log FILE] [--monotonic]
 *
 * One thread per online CPU, pinned to it, at SCHED_FIFO priority 99 (the
 * highest; nothing else in the benchmarks runs above 20), wakes up every
 * US microseconds (default 1000) on an absolute CLOCK_MONOTONIC timer.  A
 * wake-up later than MIN-US (default 1000) is a stall: for that long the
 * CPU ran neither this thread nor, therefore, anything of lower priority
 * (the hypervisor descheduled the virtual CPU, or the kernel kept
 * interrupts or preemption off, e.g. in a long softirq).  With --log, one
 * line per stall:
 *     "CPU START_NS LATENCY_NS"
 * START_NS the CLOCK_REALTIME time the wake-up was due (the traffic tools'
 * clock; with --monotonic CLOCK_MONOTONIC, OVS's clock, as in the
 * rtvnic/trace-stop records), after a first line "# cpus N period_ns P
 * min_ns M: ...".  At the
 * end it prints one line per CPU: wake-ups, stalls, the longest and total
 * stall time.
 * SIGTERM or SIGINT ends it early, with the summary printed and the log
 * complete.  It locks its memory (a page fault on its own code would look
 * like a stall).  Exits 1 if it cannot lock its memory or get SCHED_FIFO
 * 99 (needs root or CAP_SYS_NICE and real-time CPU time for its cgroup),
 * printing why and leaving no log file, so that a log means the probe
 * ran.
 *
 * A test tool: a plain program with no OVS dependency (so strerror() and
 * calloc(), not OVS's wrappers). */

#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

struct probe {
    pthread_t thread;
    int cpu;
    uint64_t wakeups, stalls, max_ns, total_ns;
};

static uint64_t period_ns = 1000000;
static uint64_t min_ns = 1000000;
static uint64_t end_mono_ns;
static bool log_monotonic;
static FILE *log_file;
static const char *log_name;
static pthread_mutex_t log_mutex = PTHREAD_MUTEX_INITIALIZER;
static volatile sig_atomic_t stop;

static uint64_t
now_ns(clockid_t clock)
{
    struct timespec ts;

    clock_gettime(clock, &ts);
    return (uint64_t) ts.tv_sec * 1000000000u + ts.tv_nsec;
}

static void
on_signal(int signo)
{
    (void) signo;
    stop = 1;
}

static void *
probe_main(void *probe_)
{
    struct probe *probe = probe_;
    /* The offset from CLOCK_MONOTONIC to the log's clock. */
    int64_t to_real = (log_monotonic ? 0
                       : now_ns(CLOCK_REALTIME) - now_ns(CLOCK_MONOTONIC));
    uint64_t due = now_ns(CLOCK_MONOTONIC) + period_ns;

    while (!stop && due < end_mono_ns) {
        struct timespec ts = { due / 1000000000u, due % 1000000000u };
        uint64_t now, late;

        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL)
               == EINTR && !stop) {
            continue;
        }
        now = now_ns(CLOCK_MONOTONIC);
        late = now - due;
        probe->wakeups++;
        if (late > min_ns) {
            probe->stalls++;
            probe->total_ns += late;
            if (late > probe->max_ns) {
                probe->max_ns = late;
            }
            if (log_file) {
                pthread_mutex_lock(&log_mutex);
                fprintf(log_file, "%d %"PRIu64" %"PRIu64"\n", probe->cpu,
                        due + to_real, late);
                pthread_mutex_unlock(&log_mutex);
            }
        }
        /* After a stall, the next wake-up is a period from now, not a burst
         * of wake-ups that catch up. */
        due += period_ns;
        if (due <= now) {
            due = now + period_ns;
        }
    }
    return NULL;
}

/* Exits 1, removing the log: without the probe, no stall is known. */
static void
give_up(void)
{
    if (log_file) {
        fclose(log_file);
        unlink(log_name);
    }
    exit(1);
}

static void
usage(void)
{
    fprintf(stderr, "usage: rtvnic-stall-probe --duration SEC "
            "[--period-us US] [--min-us US] [--log FILE] [--monotonic]\n");
    exit(2);
}

static uint64_t
parse_positive(const char *name, const char *s, uint64_t max)
{
    char *end;
    unsigned long long v;

    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno || *end || !*s || v == 0 || v > max) {
        fprintf(stderr, "rtvnic-stall-probe: %s: \"%s\" is not an integer "
                "in 1..%"PRIu64"\n", name, s, max);
        exit(2);
    }
    return v;
}

int
main(int argc, char *argv[])
{
    uint64_t duration = 0;
    struct sched_param param = { .sched_priority = 99 };
    struct probe *probes;
    long n_cpus;
    int i;

    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--monotonic")) {
            log_monotonic = true;
            continue;
        }
        if (i + 1 >= argc) {
            usage();
        }
        if (!strcmp(argv[i], "--duration")) {
            duration = parse_positive("--duration", argv[++i], 86400);
        } else if (!strcmp(argv[i], "--period-us")) {
            period_ns = parse_positive("--period-us", argv[++i], 1000000)
                        * 1000;
        } else if (!strcmp(argv[i], "--min-us")) {
            min_ns = parse_positive("--min-us", argv[++i], 1000000) * 1000;
        } else if (!strcmp(argv[i], "--log")) {
            log_name = argv[++i];
        } else {
            usage();
        }
    }
    if (!duration) {
        usage();
    }

    if (log_name) {
        log_file = fopen(log_name, "w");
        if (!log_file) {
            fprintf(stderr, "rtvnic-stall-probe: %s: %s\n", log_name,
                    strerror(errno));
            return 1;
        }
    }
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    /* A page fault on our own code would look like a stall of the CPU. */
    if (mlockall(MCL_CURRENT | MCL_FUTURE)) {
        fprintf(stderr, "rtvnic-stall-probe: mlockall: %s\n",
                strerror(errno));
        give_up();
    }

    n_cpus = sysconf(_SC_NPROCESSORS_ONLN);
    if (n_cpus < 1) {
        n_cpus = 1;
    }
    if (log_file) {
        fprintf(log_file, "# cpus %ld period_ns %"PRIu64" min_ns %"PRIu64
                ": cpu start_ns latency_ns\n", n_cpus, period_ns, min_ns);
    }
    probes = calloc(n_cpus, sizeof *probes);
    if (!probes) {
        fprintf(stderr, "rtvnic-stall-probe: out of memory\n");
        give_up();
    }
    end_mono_ns = now_ns(CLOCK_MONOTONIC) + duration * 1000000000u;
    for (i = 0; i < n_cpus; i++) {
        pthread_attr_t attr;
        cpu_set_t cpus;
        int error;

        probes[i].cpu = i;
        CPU_ZERO(&cpus);
        CPU_SET(i, &cpus);
        pthread_attr_init(&attr);
        pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED);
        pthread_attr_setschedpolicy(&attr, SCHED_FIFO);
        pthread_attr_setschedparam(&attr, &param);
        pthread_attr_setaffinity_np(&attr, sizeof cpus, &cpus);
        error = pthread_create(&probes[i].thread, &attr, probe_main,
                               &probes[i]);
        pthread_attr_destroy(&attr);
        if (error) {
            fprintf(stderr, "rtvnic-stall-probe: cannot start a SCHED_FIFO "
                    "99 thread on CPU %d: %s\n", i, strerror(error));
            give_up();
        }
    }
    for (i = 0; i < n_cpus; i++) {
        pthread_join(probes[i].thread, NULL);
    }
    for (i = 0; i < n_cpus; i++) {
        printf("cpu %d: %"PRIu64" wake-ups, %"PRIu64" stalls above %"PRIu64
               " us, longest %.3f ms, total %.3f ms\n", i, probes[i].wakeups,
               probes[i].stalls, min_ns / 1000, probes[i].max_ns / 1e6,
               probes[i].total_ns / 1e6);
    }
    if (log_file && fclose(log_file)) {
        fprintf(stderr, "rtvnic-stall-probe: %s: %s\n", log_name,
                strerror(errno));
        return 1;
    }
    return 0;
}
