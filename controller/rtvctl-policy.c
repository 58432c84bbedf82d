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

#include "rtvctl-policy.h"

#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "openvswitch/dynamic-string.h"
#include "packets.h"
#include "util.h"

void
rtvctl_policy_init_default(struct rtvctl_policy *p)
{
    static const uint8_t ladder[] = { 0, 18, 34, 46 };

    memset(p, 0, sizeof *p);
    p->report_interval_ms = 10;
    p->miss_ratio_threshold = 0;
    p->tighten_floor_us = 200;
    memcpy(p->dscp_ladder, ladder, sizeof ladder);
    p->n_ladder = ARRAY_SIZE(ladder);
    p->quiet_period_ms = 2000;
    p->min_step_interval_ms = 50;
    p->escalation_table = 0;
    p->next_table = 1;
    p->escalation_priority = 40000;
}

void
rtvctl_policy_destroy(struct rtvctl_policy *p)
{
    if (p) {
        free(p->hosts);
        free(p->netswitches);
        p->hosts = NULL;
        p->netswitches = NULL;
    }
}

static char *
get_uint(struct json_object *v, const char *key, uint64_t min, uint64_t max,
         uint64_t *out)
{
    int64_t x;

    if (!json_object_is_type(v, json_type_int)) {
        return xasprintf("%s: %s is not an integer", key,
                         json_object_to_json_string(v));
    }
    x = json_object_get_int64(v);
    if (x < 0 || (uint64_t) x < min || (uint64_t) x > max) {
        return xasprintf("%s: %"PRId64" is out of range [%"PRIu64", %"PRIu64
                         "]", key, x, min, max);
    }
    *out = x;
    return NULL;
}

static char *
get_datapath_id(struct json_object *v, const char *key, uint64_t *dpid)
{
    const char *s;
    unsigned long long int x;

    if (json_object_is_type(v, json_type_int)
        && json_object_get_int64(v) >= 0) {
        *dpid = json_object_get_int64(v);
        return NULL;
    }
    if (!json_object_is_type(v, json_type_string)
        || !(s = json_object_get_string(v))
        || !str_to_ullong(s, 0, &x)) {
        return xasprintf("%s: %s is not a datapath ID (integer or \"0x...\")",
                         key, json_object_to_json_string(v));
    }
    *dpid = x;
    return NULL;
}

static char *
parse_hosts(struct json_object *v, struct rtvctl_policy *p)
{
    size_t n;

    if (!json_object_is_type(v, json_type_array)) {
        return xstrdup("hosts: not an array");
    }
    n = json_object_array_length(v);
    p->hosts = xcalloc(n + 1, sizeof *p->hosts);
    for (size_t i = 0; i < n; i++) {
        struct json_object *h = json_object_array_get_idx(v, i);
        struct rtvctl_host *host = &p->hosts[i];
        bool have_dpid = false, have_ip = false;
        char *error;

        if (!json_object_is_type(h, json_type_object)) {
            return xasprintf("hosts[%"PRIuSIZE"]: not an object", i);
        }
        json_object_object_foreach (h, key, val) {
            if (!strcmp(key, "datapath_id")) {
                error = get_datapath_id(val, "hosts[].datapath_id",
                                        &host->datapath_id);
                if (error) {
                    return error;
                }
                have_dpid = true;
            } else if (!strcmp(key, "tunnel_ip")) {
                const char *s = json_object_get_string(val);
                ovs_be32 ip4;

                if (json_object_is_type(val, json_type_string)
                    && ip_parse(s, &ip4)) {
                    in6_addr_set_mapped_ipv4(&host->tunnel_ip, ip4);
                } else if (!json_object_is_type(val, json_type_string)
                           || !ipv6_parse(s, &host->tunnel_ip)) {
                    return xasprintf("hosts[%"PRIuSIZE"].tunnel_ip: %s is not "
                                     "an IP address", i,
                                     json_object_to_json_string(val));
                }
                have_ip = true;
            } else {
                return xasprintf("hosts[%"PRIuSIZE"]: unknown key \"%s\"", i,
                                 key);
            }
        }
        if (!have_dpid || !have_ip) {
            return xasprintf("hosts[%"PRIuSIZE"]: needs datapath_id and "
                             "tunnel_ip", i);
        }
        p->n_hosts++;
    }
    return NULL;
}

static char *
parse_netswitches(struct json_object *v, struct rtvctl_policy *p)
{
    size_t n;

    if (!json_object_is_type(v, json_type_array)) {
        return xstrdup("network_switches: not an array");
    }
    n = json_object_array_length(v);
    p->netswitches = xcalloc(n + 1, sizeof *p->netswitches);
    for (size_t i = 0; i < n; i++) {
        struct json_object *o = json_object_array_get_idx(v, i);
        struct rtvctl_netswitch *sw = &p->netswitches[i];
        bool have_dpid = false;
        char *error;

        if (!json_object_is_type(o, json_type_object)) {
            return xasprintf("network_switches[%"PRIuSIZE"]: not an object",
                             i);
        }
        json_object_object_foreach (o, key, val) {
            if (!strcmp(key, "datapath_id")) {
                error = get_datapath_id(val, "network_switches[].datapath_id",
                                        &sw->datapath_id);
                if (error) {
                    return error;
                }
                have_dpid = true;
            } else if (!strcmp(key, "queues")
                       && json_object_is_type(val, json_type_object)) {
                json_object_object_foreach (val, dscp_s, q) {
                    unsigned int dscp;
                    uint64_t queue;

                    if (!str_to_uint(dscp_s, 10, &dscp) || dscp > 63) {
                        return xasprintf("network_switches[%"PRIuSIZE"]."
                                         "queues: \"%s\" is not a DSCP "
                                         "(0-63)", i, dscp_s);
                    }
                    error = get_uint(q, "network_switches[].queues[]", 0,
                                     UINT32_MAX - 1, &queue);
                    if (error) {
                        return error;
                    }
                    sw->dscp[sw->n_queues] = dscp;
                    sw->queue[sw->n_queues++] = queue;
                }
            } else {
                return xasprintf("network_switches[%"PRIuSIZE"]: unknown or "
                                 "invalid key \"%s\"", i, key);
            }
        }
        if (!have_dpid) {
            return xasprintf("network_switches[%"PRIuSIZE"]: needs "
                             "datapath_id", i);
        }
        p->n_netswitches++;
    }
    return NULL;
}

static char *
parse_ladder(struct json_object *v, struct rtvctl_policy *p)
{
    size_t n;

    if (!json_object_is_type(v, json_type_array)
        || (n = json_object_array_length(v)) < 1 || n > RTVCTL_MAX_LADDER) {
        return xasprintf("dscp_ladder: %s is not an array of 1 to %d DSCPs",
                         json_object_to_json_string(v), RTVCTL_MAX_LADDER);
    }
    for (size_t i = 0; i < n; i++) {
        uint64_t dscp;
        char *error = get_uint(json_object_array_get_idx(v, i),
                               "dscp_ladder[]", 0, 63, &dscp);
        if (error) {
            return error;
        }
        if (i && dscp <= p->dscp_ladder[i - 1]) {
            return xasprintf("dscp_ladder: %s does not increase",
                             json_object_to_json_string(v));
        }
        p->dscp_ladder[i] = dscp;
    }
    p->n_ladder = n;
    return NULL;
}

static char *
parse_policy(struct json_object *root, struct rtvctl_policy *p)
{
    char *error = NULL;
    uint64_t x;

    if (!json_object_is_type(root, json_type_object)) {
        return xstrdup("policy is not a JSON object");
    }
    json_object_object_foreach (root, key, val) {
        if (!strcmp(key, "report_interval_ms")) {
            error = get_uint(val, key, 1, 60000, &x);
            p->report_interval_ms = x;
        } else if (!strcmp(key, "miss_ratio_threshold")) {
            if (!json_object_is_type(val, json_type_double)
                && !json_object_is_type(val, json_type_int)) {
                error = xasprintf("%s: %s is not a number", key,
                                  json_object_to_json_string(val));
            } else {
                double d = json_object_get_double(val);

                if (!(d >= 0 && d < 1)) {
                    error = xasprintf("%s: %s is out of range [0, 1)", key,
                                      json_object_to_json_string(val));
                }
                p->miss_ratio_threshold = d;
            }
        } else if (!strcmp(key, "tighten_floor_us")) {
            error = get_uint(val, key, 1, 60000000, &x);
            p->tighten_floor_us = x;
        } else if (!strcmp(key, "dscp_ladder")) {
            error = parse_ladder(val, p);
        } else if (!strcmp(key, "quiet_period_ms")) {
            error = get_uint(val, key, 1, 3600000, &x);
            p->quiet_period_ms = x;
        } else if (!strcmp(key, "min_step_interval_ms")) {
            error = get_uint(val, key, 0, 3600000, &x);
            p->min_step_interval_ms = x;
        } else if (!strcmp(key, "escalation_table")) {
            error = get_uint(val, key, 0, 253, &x);
            p->escalation_table = x;
        } else if (!strcmp(key, "next_table")) {
            error = get_uint(val, key, 0, 253, &x);
            p->next_table = x;
        } else if (!strcmp(key, "escalation_priority")) {
            error = get_uint(val, key, 1, 65535, &x);
            p->escalation_priority = x;
        } else if (!strcmp(key, "hosts")) {
            error = parse_hosts(val, p);
        } else if (!strcmp(key, "network_switches")) {
            error = parse_netswitches(val, p);
        } else {
            error = xasprintf("unknown key \"%s\"", key);
        }
        if (error) {
            return error;
        }
    }
    if (p->next_table <= p->escalation_table) {
        return xasprintf("next_table: %u must be after escalation_table %u",
                         p->next_table, p->escalation_table);
    }
    return NULL;
}

/* Parses 'json' into '*p'.  Returns NULL, or a malloc()ed error message
 * naming the offending key and value (then '*p' holds the defaults). */
char *
rtvctl_policy_from_string(const char *json, struct rtvctl_policy *p)
{
    enum json_tokener_error jerr;
    struct json_object *root = json_tokener_parse_verbose(json, &jerr);
    char *error;

    rtvctl_policy_init_default(p);
    if (!root) {
        return xasprintf("policy is not valid JSON: %s",
                         json_tokener_error_desc(jerr));
    }
    error = parse_policy(root, p);
    json_object_put(root);
    if (error) {
        rtvctl_policy_destroy(p);
        rtvctl_policy_init_default(p);
    }
    return error;
}

char *
rtvctl_policy_from_file(const char *file_name, struct rtvctl_policy *p)
{
    FILE *file = fopen(file_name, "r");
    struct ds s = DS_EMPTY_INITIALIZER;
    char *error;

    if (!file) {
        rtvctl_policy_init_default(p);
        return xasprintf("%s: cannot open (%s)", file_name,
                         ovs_strerror(errno));
    }
    int c;
    while ((c = getc(file)) != EOF) {
        ds_put_char(&s, c);
    }
    fclose(file);

    error = rtvctl_policy_from_string(ds_cstr(&s), p);
    ds_destroy(&s);
    if (error) {
        char *e = xasprintf("%s: %s", file_name, error);
        free(error);
        error = e;
    }
    return error;
}

const struct rtvctl_host *
rtvctl_policy_host_by_ip(const struct rtvctl_policy *p,
                         const struct in6_addr *ip)
{
    for (size_t i = 0; i < p->n_hosts; i++) {
        if (ipv6_addr_equals(&p->hosts[i].tunnel_ip, ip)) {
            return &p->hosts[i];
        }
    }
    return NULL;
}

const struct rtvctl_netswitch *
rtvctl_policy_netswitch(const struct rtvctl_policy *p, uint64_t datapath_id)
{
    for (size_t i = 0; i < p->n_netswitches; i++) {
        if (p->netswitches[i].datapath_id == datapath_id) {
            return &p->netswitches[i];
        }
    }
    return NULL;
}
