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

#include <config.h>

#include "rtvnic-config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "openvswitch/dynamic-string.h"
#include "smap.h"
#include "util.h"

static const char *const rtvnic_keys[] = {
    "deadline", "min-rate", "burst",
    "max-rate", "default-deadline", "default-min-rate", "queue-limit",
    "late-policy", "miss-target", "miss-window", "stamp-rate",
};

/* Parses the leading decimal digits of 'value' into '*n'.  Returns the
 * first character after them, or NULL if 'value' does not start with a digit
 * or the number does not fit in 64 bits. */
static const char *
parse_digits(const char *value, uint64_t *n, bool *overflow)
{
    const char *p = value;
    uint64_t x = 0;

    *overflow = false;
    if (!isdigit((unsigned char) *p)) {
        return NULL;
    }
    for (; isdigit((unsigned char) *p); p++) {
        unsigned int digit = *p - '0';
        if (x > (UINT64_MAX - digit) / 10) {
            *overflow = true;
            return NULL;
        }
        x = x * 10 + digit;
    }
    *n = x;
    return p;
}

static char *
number_error(const char *key, const char *value, bool overflow,
             const char *what)
{
    if (overflow) {
        return xasprintf("%s=\"%s\": number too large", key, value);
    } else if (value[0] == '-') {
        return xasprintf("%s=\"%s\": must not be negative", key, value);
    } else if (value[0] == '\0') {
        return xasprintf("%s=\"\": empty value", key);
    } else {
        return xasprintf("%s=\"%s\": not %s", key, value, what);
    }
}

/* Parses 'value', a miss ratio written as a decimal fraction ("0.001") or a
 * percentage ("0.1%"), into parts per million, which must be from 1 to
 * RTVNIC_MAX_MISS_TARGET_PPM and exact (no finer than 1 ppm).  Returns NULL
 * on success, otherwise a malloc()ed error message that names 'key' and
 * 'value'. */
char *
rtvnic_parse_miss_target(const char *key, const char *value, uint32_t *ppm)
{
    uint64_t whole, frac = 0;
    unsigned int frac_digits = 0;
    bool overflow;
    const char *p = parse_digits(value, &whole, &overflow);

    if (!p) {
        return number_error(key, value, overflow,
                            "a ratio (e.g. 0.001) or a percentage (0.1%)");
    }
    if (*p == '.') {
        for (p++; isdigit((unsigned char) *p); p++) {
            if (frac_digits++ < 8) {
                frac = frac * 10 + (*p - '0');
            } else if (*p != '0') {
                return xasprintf("%s=\"%s\": finer than 1 ppm", key, value);
            }
        }
    }

    bool percent = *p == '%';
    if (percent) {
        p++;
    }
    if (*p) {
        return xasprintf("%s=\"%s\": not a ratio (e.g. 0.001) or a "
                         "percentage (0.1%%)", key, value);
    }
    if (whole > 100) {
        return xasprintf("%s=\"%s\": out of range (at most 50%%)", key,
                         value);
    }

    /* value = (whole + frac / 10^frac_digits) [/ 100]; in units of
     * 10^-8 (of a ratio), exact. */
    uint64_t e8 = whole * 100000000;
    uint64_t scale = 100000000;
    for (unsigned int i = 0; i < MIN(frac_digits, 8); i++) {
        scale /= 10;
    }
    e8 += frac * scale;
    if (percent) {
        if (e8 % 100) {
            return xasprintf("%s=\"%s\": finer than 1 ppm", key, value);
        }
        e8 /= 100;
    }
    if (e8 % 100) {
        return xasprintf("%s=\"%s\": finer than 1 ppm", key, value);
    }
    e8 /= 100;                  /* Now in ppm. */
    if (!e8) {
        return xasprintf("%s=\"%s\": must be greater than zero", key,
                         value);
    }
    if (e8 > RTVNIC_MAX_MISS_TARGET_PPM) {
        return xasprintf("%s=\"%s\": out of range (at most 50%%)", key,
                         value);
    }
    *ppm = e8;
    return NULL;
}

/* Parses 'value', a positive whole number with a "us", "ms" or "s" suffix,
 * into nanoseconds.  Returns NULL on success, otherwise a malloc()ed error
 * message that names 'key' and 'value'. */
char *
rtvnic_parse_duration(const char *key, const char *value, uint64_t *ns)
{
    static const struct {
        const char *suffix;
        uint64_t ns;
    } units[] = {
        { "us", 1000 },
        { "ms", 1000 * 1000 },
        { "s", 1000 * 1000 * 1000 },
    };
    uint64_t n;
    bool overflow;
    const char *suffix = parse_digits(value, &n, &overflow);

    if (!suffix) {
        return number_error(key, value, overflow,
                            "a duration (e.g. 2ms, 500us, 1s)");
    }
    if (*suffix == '\0') {
        return xasprintf("%s=\"%s\": missing unit (us, ms or s)",
                         key, value);
    }
    for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
        if (!strcmp(suffix, units[i].suffix)) {
            if (n == 0) {
                return xasprintf("%s=\"%s\": must be greater than zero",
                                 key, value);
            }
            if (n > RTVNIC_MAX_DEADLINE_NS / units[i].ns) {
                return xasprintf("%s=\"%s\": out of range (at most 60s)",
                                 key, value);
            }
            *ns = n * units[i].ns;
            return NULL;
        }
    }
    return xasprintf("%s=\"%s\": unknown unit \"%s\" (use us, ms or s)",
                     key, value, suffix);
}

/* Parses 'value', a positive whole number no greater than 'max', into
 * '*rate'.  Returns NULL on success, otherwise a malloc()ed error message
 * that names 'key' and 'value'. */
char *
rtvnic_parse_rate(const char *key, const char *value, uint64_t max,
                  uint64_t *rate)
{
    uint64_t n;
    bool overflow;
    const char *end = parse_digits(value, &n, &overflow);

    if (!end || *end != '\0') {
        return number_error(key, value, overflow, "a whole number");
    }
    if (n == 0) {
        return xasprintf("%s=\"%s\": must be greater than zero", key, value);
    }
    if (n > max) {
        return xasprintf("%s=\"%s\": out of range (at most %"PRIu64")",
                         key, value, max);
    }
    *rate = n;
    return NULL;
}

static char *
parse_queue_limit(const char *value, struct rtvnic_config *cfg)
{
    uint64_t n;
    bool overflow;
    const char *end = parse_digits(value, &n, &overflow);

    if (!end || (*end != '\0' && strcmp(end, "B"))) {
        return number_error("queue-limit", value, overflow,
                            "a packet count (N) or a byte count (NB)");
    }
    if (n == 0) {
        return xasprintf("queue-limit=\"%s\": must be greater than zero",
                         value);
    }
    if (*end == 'B') {
        if (n > RTVNIC_MAX_QUEUE_BYTES) {
            return xasprintf("queue-limit=\"%s\": out of range (at most "
                             "%"PRIu64"B)", value, RTVNIC_MAX_QUEUE_BYTES);
        }
        cfg->queue_limit_bytes = n;
        cfg->queue_limit_packets = 0;
    } else {
        if (n > RTVNIC_MAX_QUEUE_PACKETS) {
            return xasprintf("queue-limit=\"%s\": out of range (at most %u "
                             "packets)", value, RTVNIC_MAX_QUEUE_PACKETS);
        }
        cfg->queue_limit_packets = n;
        cfg->queue_limit_bytes = 0;
    }
    return NULL;
}

static bool
is_known_key(const char *key)
{
    for (size_t i = 0; i < ARRAY_SIZE(rtvnic_keys); i++) {
        if (!strcmp(key, rtvnic_keys[i])) {
            return true;
        }
    }
    return false;
}

/* Parses 'other_config' into '*cfg'.  Returns NULL on success.  On failure
 * returns a malloc()ed message naming the first offending key and value (keys
 * are examined in sorted order, so the message is deterministic) and leaves
 * '*cfg' zeroed: a configuration is applied whole or not at all. */
char *
rtvnic_config_parse(const struct smap *other_config, struct rtvnic_config *cfg)
{
    const struct smap_node **nodes = smap_sort(other_config);
    size_t n = smap_count(other_config);
    char *error = NULL;
    const char *value;

    memset(cfg, 0, sizeof *cfg);
    cfg->default_deadline_ns = RTVNIC_DEFAULT_DEADLINE_NS;
    cfg->queue_limit_packets = RTVNIC_DEFAULT_QUEUE_PACKETS;
    cfg->late_policy = RTVNIC_LATE_SEND;

    for (size_t i = 0; i < n && !error; i++) {
        const char *key = nodes[i]->key;

        value = nodes[i]->value;
        if (!is_known_key(key)) {
            error = xasprintf("%s=\"%s\": unknown key (valid keys: deadline, "
                              "min-rate, burst, miss-target, miss-window, "
                              "max-rate, default-deadline, "
                              "default-min-rate, queue-limit, late-policy, "
                              "stamp-rate)",
                              key, value);
        } else if (!strcmp(key, "deadline")) {
            error = rtvnic_parse_duration(key, value, &cfg->deadline_ns);
            cfg->is_source = true;
        } else if (!strcmp(key, "min-rate")) {
            error = rtvnic_parse_rate(key, value, RTVNIC_MAX_RATE_BPS,
                                      &cfg->min_rate_bps);
        } else if (!strcmp(key, "burst")) {
            error = rtvnic_parse_rate(key, value, RTVNIC_MAX_BURST_BITS,
                                      &cfg->burst_bits);
        } else if (!strcmp(key, "miss-target")) {
            error = rtvnic_parse_miss_target(key, value,
                                             &cfg->miss_target_ppm);
        } else if (!strcmp(key, "miss-window")) {
            uint64_t ns;

            error = rtvnic_parse_duration(key, value, &ns);
            if (!error && (ns % (1000 * 1000)
                           || ns < RTVNIC_MIN_MISS_WINDOW_MS * 1000 * 1000)) {
                error = xasprintf("%s=\"%s\": must be whole milliseconds, "
                                  "at least %dms", key, value,
                                  RTVNIC_MIN_MISS_WINDOW_MS);
            } else if (!error) {
                cfg->miss_window_ms = ns / (1000 * 1000);
            }
        } else if (!strcmp(key, "max-rate")) {
            error = rtvnic_parse_rate(key, value, RTVNIC_MAX_RATE_BPS,
                                      &cfg->max_rate_bps);
            cfg->is_egress = true;
        } else if (!strcmp(key, "default-deadline")) {
            error = rtvnic_parse_duration(key, value,
                                          &cfg->default_deadline_ns);
        } else if (!strcmp(key, "default-min-rate")) {
            error = rtvnic_parse_rate(key, value, RTVNIC_MAX_RATE_BPS,
                                      &cfg->default_min_rate_bps);
        } else if (!strcmp(key, "queue-limit")) {
            error = parse_queue_limit(value, cfg);
        } else if (!strcmp(key, "late-policy")) {
            if (!strcmp(value, "send")) {
                cfg->late_policy = RTVNIC_LATE_SEND;
            } else if (!strcmp(value, "drop")) {
                cfg->late_policy = RTVNIC_LATE_DROP;
            } else {
                error = xasprintf("late-policy=\"%s\": must be \"send\" or "
                                  "\"drop\"", value);
            }
        } else if (!strcmp(key, "stamp-rate")) {
            error = rtvnic_parse_rate(key, value, RTVNIC_MAX_RATE_BPS,
                                      &cfg->stamp_rate_bps);
        }
    }
    free(nodes);

    if (!error) {
        if (!cfg->is_source && cfg->min_rate_bps) {
            error = xasprintf("min-rate=\"%s\": a source needs deadline too",
                              smap_get(other_config, "min-rate"));
        } else if (!cfg->is_source && cfg->burst_bits) {
            error = xasprintf("burst=\"%s\": a source needs deadline too",
                              smap_get(other_config, "burst"));
        } else if (!cfg->is_source && cfg->miss_target_ppm) {
            error = xasprintf("miss-target=\"%s\": a source needs deadline "
                              "too", smap_get(other_config, "miss-target"));
        } else if (!cfg->is_source && cfg->miss_window_ms) {
            error = xasprintf("miss-window=\"%s\": a source needs deadline "
                              "too", smap_get(other_config, "miss-window"));
        } else if (!cfg->is_egress
                   && (value = smap_get(other_config, "default-min-rate"))) {
            error = xasprintf("default-min-rate=\"%s\": only valid with "
                              "max-rate", value);
        } else if (cfg->is_egress
                   && cfg->default_min_rate_bps > cfg->max_rate_bps) {
            error = xasprintf("default-min-rate=\"%s\": exceeds "
                              "max-rate=\"%s\"",
                              smap_get(other_config, "default-min-rate"),
                              smap_get(other_config, "max-rate"));
        } else if (!cfg->is_egress
                   && (value = smap_get(other_config, "default-deadline"))) {
            error = xasprintf("default-deadline=\"%s\": only valid with "
                              "max-rate", value);
        } else if (!cfg->is_egress
                   && (value = smap_get(other_config, "queue-limit"))) {
            error = xasprintf("queue-limit=\"%s\": only valid with max-rate",
                              value);
        } else if (!cfg->is_egress
                   && (value = smap_get(other_config, "late-policy"))) {
            error = xasprintf("late-policy=\"%s\": only valid with max-rate",
                              value);
        } else if (!cfg->is_egress && cfg->stamp_rate_bps) {
            error = xasprintf("stamp-rate=\"%s\": only valid with max-rate",
                              smap_get(other_config, "stamp-rate"));
        } else if (cfg->stamp_rate_bps > cfg->max_rate_bps) {
            error = xasprintf("stamp-rate=\"%s\": exceeds max-rate=\"%s\"",
                              smap_get(other_config, "stamp-rate"),
                              smap_get(other_config, "max-rate"));
        } else if (cfg->is_source && cfg->is_egress
                   && cfg->min_rate_bps > cfg->max_rate_bps) {
            error = xasprintf("min-rate=\"%s\": exceeds max-rate=\"%s\"",
                              smap_get(other_config, "min-rate"),
                              smap_get(other_config, "max-rate"));
        }
    }

    if (error) {
        memset(cfg, 0, sizeof *cfg);
    }
    return error;
}

/* Parses the other_config of the Queue row for queue 'queue_id' into
 * '*cfg'.  Returns NULL on success.  On failure returns a malloc()ed message
 * naming the first offending key and value (keys in sorted order) and leaves
 * '*cfg' zeroed, so that the whole row is ignored.
 *
 * Queue 0 is the egress's default class (packets without "set_queue", best
 * effort and vNIC sources by their own contracts): ovs-vswitchd gives it an
 * empty row when the QoS row names none, and a non-empty one is refused,
 * since default-deadline and default-min-rate on the QoS row say the same
 * thing. */
char *
rtvnic_queue_config_parse(unsigned int queue_id,
                          const struct smap *other_config,
                          struct rtvnic_queue_config *cfg)
{
    const struct smap_node **nodes = smap_sort(other_config);
    size_t n = smap_count(other_config);
    char *error = NULL;

    memset(cfg, 0, sizeof *cfg);
    if (!queue_id && n) {
        error = xasprintf("%s=\"%s\": queue 0 is the default class, "
                          "configured by default-deadline and "
                          "default-min-rate on the QoS row",
                          nodes[0]->key, nodes[0]->value);
    }
    for (size_t i = 0; i < n && !error; i++) {
        const char *key = nodes[i]->key;
        const char *value = nodes[i]->value;

        if (!strcmp(key, "deadline")) {
            error = rtvnic_parse_duration(key, value, &cfg->deadline_ns);
        } else if (!strcmp(key, "min-rate")) {
            error = rtvnic_parse_rate(key, value, RTVNIC_MAX_RATE_BPS,
                                      &cfg->min_rate_bps);
        } else if (!strcmp(key, "burst")) {
            error = rtvnic_parse_rate(key, value, RTVNIC_MAX_BURST_BITS,
                                      &cfg->burst_bits);
        } else {
            error = xasprintf("%s=\"%s\": unknown key (valid queue keys: "
                              "deadline, min-rate, burst)", key, value);
        }
    }
    free(nodes);

    if (!error && queue_id) {
        const char *value;

        if (!cfg->deadline_ns) {
            error = xstrdup("deadline: missing (a queue of type rtvnic needs "
                            "a deadline)");
        } else if (!cfg->min_rate_bps
                   && (value = smap_get(other_config, "burst"))) {
            error = xasprintf("burst=\"%s\": only valid with min-rate",
                              value);
        }
    }
    if (error) {
        memset(cfg, 0, sizeof *cfg);
    }
    return error;
}

/* Appends 'ns' to 'ds' in the largest of s, ms, us that represents it
 * exactly, else in ns. */
void
rtvnic_format_duration(struct ds *ds, uint64_t ns)
{
    if (ns && ns % 1000000000 == 0) {
        ds_put_format(ds, "%"PRIu64"s", ns / 1000000000);
    } else if (ns && ns % 1000000 == 0) {
        ds_put_format(ds, "%"PRIu64"ms", ns / 1000000);
    } else if (ns % 1000 == 0) {
        ds_put_format(ds, "%"PRIu64"us", ns / 1000);
    } else {
        ds_put_format(ds, "%"PRIu64"ns", ns);
    }
}
