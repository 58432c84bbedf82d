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
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/json.h"
#include "openvswitch/shash.h"
#include "packets.h"
#include "rtvnic-report.h"
#include "sset.h"
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
    p->miss_persist_ms = 0;
    p->miss_target = 0.001;
    p->miss_window_ms = 1000;
    p->miss_min_misses = 3;
    p->near_miss_permille = 0;
    p->near_miss_persist_ms = 50;
    p->disconnected_grace_ms = 60000;
    p->escalation_table = 0;
    p->next_table = 1;
    p->escalation_priority = 40000;
    p->network_table = 0;
    p->network_next_table = 1;
    hmap_init(&p->hosts_by_ip);
    hmap_init(&p->hosts_by_dpid);
    hmap_init(&p->netswitches_by_dpid);
}

void
rtvctl_policy_destroy(struct rtvctl_policy *p)
{
    if (p) {
        hmap_destroy(&p->hosts_by_ip);
        hmap_destroy(&p->hosts_by_dpid);
        hmap_destroy(&p->netswitches_by_dpid);
        free(p->hosts);
        free(p->netswitches);
        p->hosts = NULL;
        p->netswitches = NULL;
    }
}

/* Returns 'v' as JSON text, malloc()ed, for error messages. */
static char *
json_text(const struct json *v)
{
    return json_to_string(v, 0);
}

static char *
get_uint(const struct json *v, const char *key, uint64_t min, uint64_t max,
         uint64_t *out)
{
    char *text;
    int64_t x;

    if (v->type != JSON_INTEGER) {
        text = json_text(v);
        char *error = xasprintf("%s: %s is not an integer", key, text);
        free(text);
        return error;
    }
    x = json_integer(v);
    if (x < 0 || (uint64_t) x < min || (uint64_t) x > max) {
        return xasprintf("%s: %"PRId64" is out of range [%"PRIu64", %"PRIu64
                         "]", key, x, min, max);
    }
    *out = x;
    return NULL;
}

/* Parses 'v', a JSON number, as a ratio from 0 up to 'max' (included if
 * 'max_included'), into '*out'.  Returns NULL or an error naming 'key'. */
static char *
get_ratio(const struct json *v, const char *key, double max,
          bool max_included, double *out)
{
    double d = (v->type == JSON_REAL ? json_real(v)
                : v->type == JSON_INTEGER ? json_integer(v) : -1);

    *out = d;
    if (!(d >= 0 && (max_included ? d <= max : d < max))) {
        char *text = json_text(v);
        char *error = xasprintf("%s: %s is not a number in [0, %g%c", key,
                                text, max, max_included ? ']' : ')');
        free(text);
        return error;
    }
    return NULL;
}

static char *
get_datapath_id(const struct json *v, const char *key, uint64_t *dpid)
{
    unsigned long long int x;

    if (v->type == JSON_INTEGER && json_integer(v) >= 0) {
        *dpid = json_integer(v);
        return NULL;
    }
    /* strtoull() would take "-1" or " 1" as well. */
    if (v->type != JSON_STRING
        || !(json_string(v)[0] >= '0' && json_string(v)[0] <= '9')
        || !str_to_ullong(json_string(v), 0, &x)) {
        char *text = json_text(v);
        char *error = xasprintf("%s: %s is not a datapath ID (integer or "
                                "\"0x...\")", key, text);
        free(text);
        return error;
    }
    *dpid = x;
    return NULL;
}

/* Calls 'cb' for each member of object 'v', in sorted key order, until it
 * returns an error. */
static char *
for_each_member(const struct json *v, const char *what,
                char *(*cb)(const char *key, const struct json *value,
                            void *aux),
                void *aux)
{
    const struct shash_node **nodes;
    char *error = NULL;

    if (v->type != JSON_OBJECT) {
        return xasprintf("%s: not an object", what);
    }
    nodes = shash_sort(json_object(v));
    for (size_t i = 0; i < shash_count(json_object(v)) && !error; i++) {
        error = cb(nodes[i]->name, nodes[i]->data, aux);
    }
    free(nodes);
    return error;
}

struct host_ctx {
    struct rtvctl_host *host;
    size_t index;
    bool have_dpid, have_ip;
};

static char *
parse_host_member(const char *key, const struct json *val, void *ctx_)
{
    struct host_ctx *ctx = ctx_;
    struct rtvctl_host *host = ctx->host;

    if (!strcmp(key, "datapath_id")) {
        char *what = xasprintf("hosts[%"PRIuSIZE"].datapath_id", ctx->index);
        char *error = get_datapath_id(val, what, &host->datapath_id);

        ctx->have_dpid = true;
        free(what);
        return error;
    } else if (!strcmp(key, "tunnel_ip")) {
        ovs_be32 ip4;

        ctx->have_ip = true;
        if (val->type == JSON_STRING && ip_parse(json_string(val), &ip4)) {
            in6_addr_set_mapped_ipv4(&host->tunnel_ip, ip4);
        } else if (val->type != JSON_STRING
                   || !ipv6_parse(json_string(val), &host->tunnel_ip)) {
            char *text = json_text(val);
            char *error = xasprintf("hosts[%"PRIuSIZE"].tunnel_ip: %s is "
                                    "not an IP address", ctx->index, text);
            free(text);
            return error;
        }
        return NULL;
    }
    return xasprintf("hosts[%"PRIuSIZE"]: unknown key \"%s\"", ctx->index,
                     key);
}

static char *
parse_hosts(const struct json *v, struct rtvctl_policy *p)
{
    const struct json_array *a;

    if (v->type != JSON_ARRAY) {
        return xstrdup("hosts: not an array");
    }
    a = json_array(v);
    p->hosts = xcalloc(a->n + 1, sizeof *p->hosts);
    for (size_t i = 0; i < a->n; i++) {
        struct host_ctx ctx = { .host = &p->hosts[i], .index = i };
        char *what = xasprintf("hosts[%"PRIuSIZE"]", i);
        char *error = for_each_member(a->elems[i], what, parse_host_member,
                                      &ctx);
        free(what);
        if (error) {
            return error;
        }
        if (!ctx.have_dpid || !ctx.have_ip) {
            return xasprintf("hosts[%"PRIuSIZE"]: needs datapath_id and "
                             "tunnel_ip", i);
        }
        p->n_hosts++;
    }
    return NULL;
}

struct netsw_ctx {
    struct rtvctl_netswitch *sw;
    size_t index;
    bool have_dpid;
};

static char *
parse_queue(const char *dscp_s, const struct json *q, void *ctx_)
{
    struct netsw_ctx *ctx = ctx_;
    struct rtvctl_netswitch *sw = ctx->sw;
    unsigned int dscp;
    uint64_t queue;
    char *error;

    /* Only the canonical spelling: "1", "01", "001", "+1" and " 1" are
     * distinct JSON keys, and would otherwise name one DSCP several
     * times. */
    size_t len = strlen(dscp_s);
    if (!len || len > 2 || strspn(dscp_s, "0123456789") != len
        || (dscp_s[0] == '0' && dscp_s[1])
        || !str_to_uint(dscp_s, 10, &dscp) || dscp > 63) {
        return xasprintf("network_switches[%"PRIuSIZE"].queues: \"%s\" is "
                         "not a DSCP (0-63)", ctx->index, dscp_s);
    }
    /* A JSON object has distinct keys, so canonical DSCPs always fit; the
     * check keeps it so whatever the parser does. */
    if (sw->n_queues >= ARRAY_SIZE(sw->dscp)) {
        return xasprintf("network_switches[%"PRIuSIZE"].queues: more than "
                         "%"PRIuSIZE" queues", ctx->index,
                         ARRAY_SIZE(sw->dscp));
    }
    /* OFPQ_ALL (0xffffffff) is not a queue. */
    char *what = xasprintf("network_switches[%"PRIuSIZE"].queues.%s",
                           ctx->index, dscp_s);
    error = get_uint(q, what, 0, UINT32_MAX - 1, &queue);
    free(what);
    if (!error) {
        sw->dscp[sw->n_queues] = dscp;
        sw->queue[sw->n_queues++] = queue;
    }
    return error;
}

static char *
parse_netswitch_member(const char *key, const struct json *val, void *ctx_)
{
    struct netsw_ctx *ctx = ctx_;

    if (!strcmp(key, "datapath_id")) {
        char *what = xasprintf("network_switches[%"PRIuSIZE"].datapath_id",
                               ctx->index);
        char *error = get_datapath_id(val, what, &ctx->sw->datapath_id);

        ctx->have_dpid = true;
        free(what);
        return error;
    } else if (!strcmp(key, "queues")) {
        char *what = xasprintf("network_switches[%"PRIuSIZE"].queues",
                               ctx->index);
        char *error = for_each_member(val, what, parse_queue, ctx);
        free(what);
        return error;
    }
    return xasprintf("network_switches[%"PRIuSIZE"]: unknown key \"%s\"",
                     ctx->index, key);
}

static char *
parse_netswitches(const struct json *v, struct rtvctl_policy *p)
{
    const struct json_array *a;

    if (v->type != JSON_ARRAY) {
        return xstrdup("network_switches: not an array");
    }
    a = json_array(v);
    p->netswitches = xcalloc(a->n + 1, sizeof *p->netswitches);
    for (size_t i = 0; i < a->n; i++) {
        struct netsw_ctx ctx = { .sw = &p->netswitches[i], .index = i };
        char *what = xasprintf("network_switches[%"PRIuSIZE"]", i);
        char *error = for_each_member(a->elems[i], what,
                                      parse_netswitch_member, &ctx);
        free(what);
        if (error) {
            return error;
        }
        if (!ctx.have_dpid) {
            return xasprintf("network_switches[%"PRIuSIZE"]: needs "
                             "datapath_id", i);
        }
        p->n_netswitches++;
    }
    return NULL;
}

static char *
parse_ladder(const struct json *v, struct rtvctl_policy *p)
{
    const struct json_array *a = v->type == JSON_ARRAY ? json_array(v) : NULL;

    if (!a || a->n < 1 || a->n > RTVCTL_MAX_LADDER) {
        char *text = json_text(v);
        char *error = xasprintf("dscp_ladder: %s is not an array of 1 to %d "
                                "DSCPs", text, RTVCTL_MAX_LADDER);
        free(text);
        return error;
    }
    for (size_t i = 0; i < a->n; i++) {
        uint64_t dscp;
        char *what = xasprintf("dscp_ladder[%"PRIuSIZE"]", i);
        char *error = get_uint(a->elems[i], what, 0, 63, &dscp);

        free(what);
        if (error) {
            return error;
        }
        if (i && dscp <= p->dscp_ladder[i - 1]) {
            char *text = json_text(v);
            error = xasprintf("dscp_ladder: %s does not increase", text);
            free(text);
            return error;
        }
        p->dscp_ladder[i] = dscp;
    }
    p->n_ladder = a->n;
    return NULL;
}

static char *
parse_member(const char *key, const struct json *val, void *p_)
{
    struct rtvctl_policy *p = p_;
    char *error = NULL;
    uint64_t x = 0;

    if (!strcmp(key, "report_interval_ms")) {
        error = get_uint(val, key, 1, 60000, &x);
        p->report_interval_ms = x;
    } else if (!strcmp(key, "miss_ratio_threshold")) {
        error = get_ratio(val, key, 1, false, &p->miss_ratio_threshold);
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
    } else if (!strcmp(key, "miss_persist_ms")) {
        error = get_uint(val, key, 0, 60000, &x);
        p->miss_persist_ms = x;
    } else if (!strcmp(key, "miss_target")) {
        error = get_ratio(val, key, 0.5, true, &p->miss_target);
    } else if (!strcmp(key, "miss_window_ms")) {
        error = get_uint(val, key, 100, 60000, &x);
        p->miss_window_ms = x;
    } else if (!strcmp(key, "miss_min_misses")) {
        error = get_uint(val, key, 1, 1000000, &x);
        p->miss_min_misses = x;
    } else if (!strcmp(key, "near_miss_fraction")) {
        double fraction;

        error = get_ratio(val, key, 1, false, &fraction);
        if (!error && fraction
            && (fraction < 0.001
                || fraction > RTVNIC_NEAR_PERMILLE_MAX / 1000.0)) {
            char *text = json_text(val);

            error = xasprintf("%s: %s is neither 0 nor in [0.001, %g]", key,
                              text, RTVNIC_NEAR_PERMILLE_MAX / 1000.0);
            free(text);
        }
        p->near_miss_permille = error ? 0 : lround(fraction * 1000);
    } else if (!strcmp(key, "near_miss_persist_ms")) {
        error = get_uint(val, key, 0, 60000, &x);
        p->near_miss_persist_ms = x;
    } else if (!strcmp(key, "top_rung_deadline_us")) {
        error = get_uint(val, key, 0, 60000000, &x);
        p->top_rung_deadline_us = x;
    } else if (!strcmp(key, "disconnected_grace_ms")) {
        error = get_uint(val, key, 100, 86400000, &x);
        p->disconnected_grace_ms = x;
    } else if (!strcmp(key, "escalation_table")) {
        error = get_uint(val, key, 0, 253, &x);
        p->escalation_table = x;
    } else if (!strcmp(key, "next_table")) {
        error = get_uint(val, key, 0, 253, &x);
        p->next_table = x;
    } else if (!strcmp(key, "escalation_priority")) {
        /* One below it is the hosts' base flow. */
        error = get_uint(val, key, 2, 65535, &x);
        p->escalation_priority = x;
    } else if (!strcmp(key, "network_table")) {
        error = get_uint(val, key, 0, 253, &x);
        p->network_table = x;
    } else if (!strcmp(key, "network_next_table")) {
        error = get_uint(val, key, 1, 254, &x);
        p->network_next_table = x;
    } else if (!strcmp(key, "hosts")) {
        error = parse_hosts(val, p);
    } else if (!strcmp(key, "network_switches")) {
        error = parse_netswitches(val, p);
    } else {
        error = xasprintf("unknown key \"%s\"", key);
    }
    return error;
}

/* Indexes the hosts and network switches of 'p', refusing two hosts with
 * one datapath ID or tunnel IP and two network switches with one datapath
 * ID: lookups would find only one of them, and which one would depend on
 * the order of the file. */
static char *
index_policy(struct rtvctl_policy *p)
{
    for (size_t i = 0; i < p->n_hosts; i++) {
        struct rtvctl_host *host = &p->hosts[i];
        const struct rtvctl_host *other;

        other = rtvctl_policy_host_by_dpid(p, host->datapath_id);
        if (other) {
            return xasprintf("hosts[%"PRIuSIZE"].datapath_id: %#"PRIx64" is "
                             "also that of hosts[%"PRIdPTR"]", i,
                             host->datapath_id, other - p->hosts);
        }
        other = rtvctl_policy_host_by_ip(p, &host->tunnel_ip);
        if (other) {
            struct ds ip = DS_EMPTY_INITIALIZER;
            char *error;

            ipv6_format_mapped(&host->tunnel_ip, &ip);
            error = xasprintf("hosts[%"PRIuSIZE"].tunnel_ip: %s is also "
                              "that of hosts[%"PRIdPTR"]", i, ds_cstr(&ip),
                              other - p->hosts);
            ds_destroy(&ip);
            return error;
        }
        hmap_insert(&p->hosts_by_dpid, &host->dpid_node,
                    hash_uint64(host->datapath_id));
        hmap_insert(&p->hosts_by_ip, &host->ip_node,
                    hash_bytes(&host->tunnel_ip, sizeof host->tunnel_ip, 0));
    }
    for (size_t i = 0; i < p->n_netswitches; i++) {
        struct rtvctl_netswitch *ns = &p->netswitches[i];
        const struct rtvctl_netswitch *other;

        other = rtvctl_policy_netswitch(p, ns->datapath_id);
        if (other) {
            return xasprintf("network_switches[%"PRIuSIZE"].datapath_id: "
                             "%#"PRIx64" is also that of "
                             "network_switches[%"PRIdPTR"]", i,
                             ns->datapath_id, other - p->netswitches);
        }
        hmap_insert(&p->netswitches_by_dpid, &ns->dpid_node,
                    hash_uint64(ns->datapath_id));
    }
    return NULL;
}

static char *
parse_policy(const struct json *root, struct rtvctl_policy *p)
{
    char *error;

    if (root->type == JSON_STRING) {
        /* json_from_*() report a syntax error this way. */
        return xasprintf("policy is not valid JSON: %s", json_string(root));
    }
    error = for_each_member(root, "policy", parse_member, p);
    if (!error && p->next_table <= p->escalation_table) {
        error = xasprintf("next_table: %u must be after escalation_table %u",
                          p->next_table, p->escalation_table);
    }
    if (!error && p->network_next_table <= p->network_table) {
        /* goto_table only goes forward. */
        error = xasprintf("network_next_table: %u must be after "
                          "network_table %u", p->network_next_table,
                          p->network_table);
    }
    if (!error) {
        error = index_policy(p);
    }
    return error;
}

/* One object or array being scanned by find_duplicate_key(). */
struct json_scope {
    bool is_object;
    bool expect_key;        /* An object's next string is a key. */
    struct sset keys;       /* An object's keys so far. */
    size_t index;           /* An array's current member. */
    char *path;             /* As the parser's errors name it, or NULL for
                             * the top level. */
};

/* The path of a value that 'parent' holds: under key 'key' if 'parent' is
 * an object, as its current member if it is an array. */
static char *
json_scope_child_path(const struct json_scope *parent, const char *key)
{
    if (!parent) {
        return NULL;
    } else if (parent->is_object) {
        return (parent->path
                ? xasprintf("%s.%s", parent->path, key)
                : xstrdup(key));
    } else {
        return xasprintf("%s[%"PRIuSIZE"]", parent->path ? parent->path : "",
                         parent->index);
    }
}

/* OVS's JSON parser keeps the last of repeated keys in an object, so a
 * policy that sets a key twice would silently take the second value.
 * Scans 'text', which must be valid JSON, for an object that has a key twice
 * (after unescaping: "a" and "\u0061" are the same key).  Returns NULL or a
 * malloc()ed error naming the key and the object it is in. */
static char *
find_duplicate_key(const char *text)
{
    struct json_scope *stack = NULL;
    size_t n = 0, allocated = 0;
    char *last_key = NULL;
    char *error = NULL;

    for (const char *c = text; *c && !error; c++) {
        struct json_scope *top = n ? &stack[n - 1] : NULL;

        if (*c == '"') {
            const char *start = ++c;
            char *key;

            while (*c && *c != '"') {
                c += *c == '\\' && c[1] ? 2 : 1;
            }
            if (!*c) {
                break;          /* Not valid JSON: the parser said so. */
            }
            if (!top || !top->is_object || !top->expect_key) {
                continue;
            }
            if (!json_string_unescape(start, c - start, &key)) {
                free(key);
                continue;       /* The parser has refused it already. */
            }
            top->expect_key = false;
            if (!sset_add(&top->keys, key)) {
                error = (top->path
                         ? xasprintf("%s: duplicate key \"%s\"", top->path,
                                     key)
                         : xasprintf("duplicate key \"%s\"", key));
            }
            free(last_key);
            last_key = key;
        } else if (*c == '{' || *c == '[') {
            char *path = json_scope_child_path(top, last_key);

            if (n >= allocated) {
                stack = x2nrealloc(stack, &allocated, sizeof *stack);
                for (size_t i = 0; i < n; i++) {
                    sset_moved(&stack[i].keys);
                }
            }
            stack[n].is_object = *c == '{';
            stack[n].expect_key = *c == '{';
            sset_init(&stack[n].keys);
            stack[n].index = 0;
            stack[n].path = path;
            n++;
        } else if ((*c == '}' || *c == ']') && n) {
            n--;
            sset_destroy(&stack[n].keys);
            free(stack[n].path);
        } else if (*c == ',' && top) {
            if (top->is_object) {
                top->expect_key = true;
            } else {
                top->index++;
            }
        }
    }
    while (n--) {
        sset_destroy(&stack[n].keys);
        free(stack[n].path);
    }
    free(stack);
    free(last_key);
    return error;
}

static char *
policy_from_json(struct json *root, const char *text, struct rtvctl_policy *p)
{
    char *error;

    rtvctl_policy_init_default(p);
    error = parse_policy(root, p);
    if (!error && text) {
        error = find_duplicate_key(text);
    }
    json_destroy(root);
    if (error) {
        rtvctl_policy_destroy(p);
        rtvctl_policy_init_default(p);
    }
    return error;
}

/* Parses 'json' into '*p'.  Returns NULL, or a malloc()ed error message
 * naming the offending key and value (then '*p' holds the defaults). */
char *
rtvctl_policy_from_string(const char *json, struct rtvctl_policy *p)
{
    return policy_from_json(json_from_string(json), json, p);
}

char *
rtvctl_policy_from_file(const char *file_name, struct rtvctl_policy *p)
{
    FILE *file = fopen(file_name, "r");
    struct ds text = DS_EMPTY_INITIALIZER;
    char *error;
    int c;

    if (!file) {
        rtvctl_policy_init_default(p);
        return xasprintf("%s: cannot open (%s)", file_name,
                         ovs_strerror(errno));
    }
    while ((c = getc(file)) != EOF && c) {
        ds_put_char(&text, c);
    }
    if (ferror(file)) {
        error = xasprintf("%s: cannot read (%s)", file_name,
                          ovs_strerror(errno));
        fclose(file);
        ds_destroy(&text);
        rtvctl_policy_init_default(p);
        return error;
    }
    fclose(file);
    if (c != EOF) {
        /* json_from_string() would stop at it and take what came before. */
        rtvctl_policy_init_default(p);
        ds_destroy(&text);
        return xasprintf("%s: contains a NUL byte", file_name);
    }

    error = policy_from_json(json_from_string(ds_cstr(&text)),
                             ds_cstr(&text), p);
    ds_destroy(&text);
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
    const struct rtvctl_host *host;

    HMAP_FOR_EACH_WITH_HASH (host, ip_node, hash_bytes(ip, sizeof *ip, 0),
                             &p->hosts_by_ip) {
        if (ipv6_addr_equals(&host->tunnel_ip, ip)) {
            return host;
        }
    }
    return NULL;
}

const struct rtvctl_host *
rtvctl_policy_host_by_dpid(const struct rtvctl_policy *p,
                           uint64_t datapath_id)
{
    const struct rtvctl_host *host;

    HMAP_FOR_EACH_WITH_HASH (host, dpid_node, hash_uint64(datapath_id),
                             &p->hosts_by_dpid) {
        if (host->datapath_id == datapath_id) {
            return host;
        }
    }
    return NULL;
}

const struct rtvctl_netswitch *
rtvctl_policy_netswitch(const struct rtvctl_policy *p, uint64_t datapath_id)
{
    const struct rtvctl_netswitch *ns;

    HMAP_FOR_EACH_WITH_HASH (ns, dpid_node, hash_uint64(datapath_id),
                             &p->netswitches_by_dpid) {
        if (ns->datapath_id == datapath_id) {
            return ns;
        }
    }
    return NULL;
}
