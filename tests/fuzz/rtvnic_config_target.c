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

/* libFuzzer target: the other_config parser of QoS type "rtvnic"
 * (lib/rtvnic-config.c) and the admission test it feeds
 * (lib/rtvnic-admission.c).
 *
 * Input: text, one "key=value" a line (a line without '=' is a key with an
 * empty value; a later line replaces an earlier one with the same key, as
 * OVSDB maps have unique keys); a line "--" starts the next QoS row.  Every
 * row goes through rtvnic_config_parse(), as rtvnic_netdev_set_qos() hands
 * it a QoS row's other_config.  Checks (abort() on failure):
 *
 *   - an error names a key and leaves the configuration zeroed; a success
 *     is within the documented bounds;
 *   - a valid configuration, written back as other_config with
 *     rtvnic_format_duration() and decimal numbers, parses to the same
 *     configuration;
 *   - the admission test: the first valid egress row is the link (its
 *     max-rate, 1518-byte frames), every valid source row a flow; the test
 *     runs without overflow, and, if it admits the flow set, it admits
 *     every subset made of the first k flows. */

#include <config.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "openvswitch/dynamic-string.h"
#include "openvswitch/vlog.h"
#include "rtvnic-admission.h"
#include "rtvnic-config.h"
#include "smap.h"
#include "rtvnic-fuzz.h"
#include "util.h"

#define MAX_ROWS 16

static void
check_bounds(const struct rtvnic_config *c)
{
    if (c->is_source) {
        FUZZ_CHECK(c->deadline_ns && c->deadline_ns <= RTVNIC_MAX_DEADLINE_NS);
        FUZZ_CHECK(c->min_rate_bps <= RTVNIC_MAX_RATE_BPS);
        FUZZ_CHECK(c->burst_bits <= RTVNIC_MAX_BURST_BITS);
        FUZZ_CHECK(c->miss_target_ppm <= RTVNIC_MAX_MISS_TARGET_PPM);
        FUZZ_CHECK(!c->miss_window_ms
                   || (c->miss_window_ms >= RTVNIC_MIN_MISS_WINDOW_MS
                       && c->miss_window_ms <= RTVNIC_MAX_MISS_WINDOW_MS));
    } else {
        FUZZ_CHECK(!c->deadline_ns && !c->min_rate_bps && !c->burst_bits);
    }
    if (c->is_egress) {
        FUZZ_CHECK(c->max_rate_bps && c->max_rate_bps <= RTVNIC_MAX_RATE_BPS);
        FUZZ_CHECK(c->default_deadline_ns
              && c->default_deadline_ns <= RTVNIC_MAX_DEADLINE_NS);
        FUZZ_CHECK(c->default_min_rate_bps <= c->max_rate_bps);
        FUZZ_CHECK(!c->queue_limit_packets != !c->queue_limit_bytes);
        FUZZ_CHECK(c->queue_limit_packets <= RTVNIC_MAX_QUEUE_PACKETS);
        FUZZ_CHECK(c->queue_limit_bytes <= RTVNIC_MAX_QUEUE_BYTES);
        FUZZ_CHECK(c->late_policy == RTVNIC_LATE_SEND
              || c->late_policy == RTVNIC_LATE_DROP);
    }
    if (c->is_source && c->is_egress) {
        FUZZ_CHECK(c->min_rate_bps <= c->max_rate_bps);
    }
}

static void
put_duration(struct smap *smap, const char *key, uint64_t ns)
{
    struct ds s = DS_EMPTY_INITIALIZER;

    rtvnic_format_duration(&s, ns);
    smap_add(smap, key, ds_cstr(&s));
    ds_destroy(&s);
}

/* Writes 'c' back as other_config and parses it again. */
static void
check_round_trip(const struct rtvnic_config *c)
{
    struct smap smap = SMAP_INITIALIZER(&smap);
    struct rtvnic_config back;
    char *error;

    if (c->is_source) {
        put_duration(&smap, "deadline", c->deadline_ns);
        if (c->min_rate_bps) {
            smap_add_format(&smap, "min-rate", "%"PRIu64, c->min_rate_bps);
        }
        if (c->burst_bits) {
            smap_add_format(&smap, "burst", "%"PRIu64, c->burst_bits);
        }
        if (c->miss_target_ppm) {
            smap_add_format(&smap, "miss-target", "0.%06"PRIu32,
                            c->miss_target_ppm);
        }
        if (c->miss_window_ms) {
            smap_add_format(&smap, "miss-window", "%"PRIu32"ms",
                            c->miss_window_ms);
        }
    }
    if (c->is_egress) {
        smap_add_format(&smap, "max-rate", "%"PRIu64, c->max_rate_bps);
        put_duration(&smap, "default-deadline", c->default_deadline_ns);
        if (c->default_min_rate_bps) {
            smap_add_format(&smap, "default-min-rate", "%"PRIu64,
                            c->default_min_rate_bps);
        }
        if (c->queue_limit_bytes) {
            smap_add_format(&smap, "queue-limit", "%"PRIu64"B",
                            c->queue_limit_bytes);
        } else {
            smap_add_format(&smap, "queue-limit", "%"PRIu32,
                            c->queue_limit_packets);
        }
        smap_add(&smap, "late-policy",
                 c->late_policy == RTVNIC_LATE_DROP ? "drop" : "send");
        if (c->stamp_rate_bps) {
            smap_add_format(&smap, "stamp-rate", "%"PRIu64,
                            c->stamp_rate_bps);
        }
    }
    error = rtvnic_config_parse(&smap, &back);
    FUZZ_CHECK(!error);
    FUZZ_CHECK(!memcmp(c, &back, sizeof *c));
    smap_destroy(&smap);
}

/* Parses one row.  Returns true if it is valid. */
static bool
parse_row(const struct smap *row, struct rtvnic_config *c)
{
    char *error = rtvnic_config_parse(row, c);

    if (error) {
        struct rtvnic_config zero;

        memset(&zero, 0, sizeof zero);
        FUZZ_CHECK(!memcmp(c, &zero, sizeof zero));
        /* Every message names the offending key: "key=...". */
        FUZZ_CHECK(strchr(error, '=') != NULL);
        free(error);
        return false;
    }
    check_bounds(c);
    check_round_trip(c);
    return true;
}

static void
check_admission(const struct rtvnic_config *rows, size_t n)
{
    struct rtvnic_admission_flow flows[MAX_ROWS];
    const struct rtvnic_config *egress = NULL;
    size_t n_flows = 0;
    char *error;

    for (size_t i = 0; i < n; i++) {
        if (rows[i].is_egress && !egress) {
            egress = &rows[i];
        }
        if (rows[i].is_source) {
            flows[n_flows++] = (struct rtvnic_admission_flow) {
                .deadline_ns = rows[i].deadline_ns,
                .rate_bps = rows[i].min_rate_bps,
                .burst_bits = rows[i].burst_bits,
            };
        }
    }
    if (!egress) {
        return;
    }
    error = rtvnic_admission_test(flows, n_flows, egress->max_rate_bps,
                                  1518 * 8);
    if (error) {
        free(error);
        return;
    }
    /* Taking flows away never makes a schedulable set unschedulable. */
    for (size_t k = 0; k < n_flows; k++) {
        error = rtvnic_admission_test(flows, k, egress->max_rate_bps,
                                      1518 * 8);
        FUZZ_CHECK(!error);
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool initialized;
    struct rtvnic_config rows[MAX_ROWS];
    size_t n_rows = 0;
    struct smap row = SMAP_INITIALIZER(&row);
    char *text, *save_ptr = NULL;

    if (!initialized) {
        vlog_set_levels(NULL, VLF_ANY_DESTINATION, VLL_OFF);
        initialized = true;
    }

    text = xmemdup0((const char *) data, size);
    for (char *line = strtok_r(text, "\n", &save_ptr); ;
         line = strtok_r(NULL, "\n", &save_ptr)) {
        if (!line || !strcmp(line, "--")) {
            if (n_rows < MAX_ROWS && parse_row(&row, &rows[n_rows])) {
                n_rows++;
            }
            smap_clear(&row);
            if (!line) {
                break;
            }
            continue;
        }

        char *eq = strchr(line, '=');
        if (eq) {
            *eq = '\0';
        }
        smap_replace(&row, line, eq ? eq + 1 : "");
    }
    smap_destroy(&row);
    free(text);

    check_admission(rows, n_rows);
    return 0;
}
