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

/* ovstest programs for RTvNIC's configuration parser and admission test:
 *
 *   test-rtvnic-config parse KEY=VALUE...
 *       Parses the keys as a QoS rtvnic other_config; prints the resulting
 *       configuration, or "error: ..." (and exits 1).
 *
 *   test-rtvnic-config admit MAX_RATE LMAX_BITS DEADLINE:RATE:BURST...
 *       Runs the EDF admission test; prints "admitted" or "refused: ..."
 *       (and exits 1).
 *
 *   test-rtvnic-config decode-msg HEX
 *       Decodes HEX as the body of an NXT_RTVNIC message; prints it, or
 *       "error: ..." (and exits 1), and checks that encoding the result
 *       gives HEX back. */

#include <config.h>
#undef NDEBUG

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "command-line.h"
#include "openvswitch/dynamic-string.h"
#include "ovstest.h"
#include "rtvnic-admission.h"
#include "rtvnic-config.h"
#include "rtvnic-report.h"
#include "openvswitch/ofpbuf.h"
#include "smap.h"
#include "util.h"

static void
test_parse(struct ovs_cmdl_context *ctx)
{
    struct smap details = SMAP_INITIALIZER(&details);
    struct ds ds = DS_EMPTY_INITIALIZER;
    struct rtvnic_config cfg;
    char *error;

    for (int i = 1; i < ctx->argc; i++) {
        char *key = xstrdup(ctx->argv[i]);
        char *value = strchr(key, '=');

        if (!value) {
            ovs_fatal(0, "%s: argument must be KEY=VALUE", ctx->argv[i]);
        }
        *value++ = '\0';
        smap_add(&details, key, value);
        free(key);
    }

    error = rtvnic_config_parse(&details, &cfg);
    if (error) {
        printf("error: %s\n", error);
        free(error);
        smap_destroy(&details);
        exit(1);
    }
    if (cfg.is_source) {
        ds_put_cstr(&ds, "source: deadline ");
        rtvnic_format_duration(&ds, cfg.deadline_ns);
        ds_put_format(&ds, ", min-rate %"PRIu64", burst %"PRIu64"\n",
                      cfg.min_rate_bps, cfg.burst_bits);
    }
    if (cfg.is_egress) {
        ds_put_format(&ds, "egress: max-rate %"PRIu64", default-deadline ",
                      cfg.max_rate_bps);
        rtvnic_format_duration(&ds, cfg.default_deadline_ns);
        ds_put_format(&ds, ", queue-limit %"PRIu32" packets %"PRIu64" bytes, "
                      "late-policy %s\n", cfg.queue_limit_packets,
                      cfg.queue_limit_bytes,
                      cfg.late_policy == RTVNIC_LATE_DROP ? "drop" : "send");
        if (cfg.default_min_rate_bps) {
            ds_put_format(&ds, "egress: default-min-rate %"PRIu64"\n",
                          cfg.default_min_rate_bps);
        }
    }
    if (!cfg.is_source && !cfg.is_egress) {
        ds_put_cstr(&ds, "no role\n");
    }
    fputs(ds_cstr(&ds), stdout);
    ds_destroy(&ds);
    smap_destroy(&details);
}

static uint64_t
parse_u64(const char *s)
{
    unsigned long long int x;

    if (!str_to_ullong(s, 10, &x)) {
        ovs_fatal(0, "%s: not a number", s);
    }
    return x;
}

static void
test_admit(struct ovs_cmdl_context *ctx)
{
    uint64_t capacity = parse_u64(ctx->argv[1]);
    uint64_t lmax = parse_u64(ctx->argv[2]);
    size_t n = ctx->argc - 3;
    struct rtvnic_admission_flow *flows = xcalloc(n, sizeof *flows);
    char *error;

    for (size_t i = 0; i < n; i++) {
        char *arg = xstrdup(ctx->argv[i + 3]);
        char *save = NULL;
        char *deadline = strtok_r(arg, ":", &save);
        char *rate = strtok_r(NULL, ":", &save);
        char *burst = strtok_r(NULL, ":", &save);

        if (!deadline || !rate || !burst) {
            ovs_fatal(0, "%s: flow must be DEADLINE:RATE:BURST",
                      ctx->argv[i + 3]);
        }
        error = rtvnic_parse_duration("deadline", deadline,
                                      &flows[i].deadline_ns);
        if (error) {
            ovs_fatal(0, "%s", error);
        }
        flows[i].rate_bps = parse_u64(rate);
        flows[i].burst_bits = parse_u64(burst);
        free(arg);
    }

    error = rtvnic_admission_test(flows, n, capacity, lmax);
    free(flows);
    if (error) {
        printf("refused: %s\n", error);
        free(error);
        exit(1);
    }
    printf("admitted\n");
}

static void
test_decode_msg(struct ovs_cmdl_context *ctx)
{
    struct ds ds = DS_EMPTY_INITIALIZER;
    struct ofpbuf in, out;
    struct rtvnic_msg msg;
    char *error;

    ofpbuf_init(&in, 0);
    if (ofpbuf_put_hex(&in, ctx->argv[1], NULL)[0] != '\0') {
        ovs_fatal(0, "%s: not hex", ctx->argv[1]);
    }
    error = rtvnic_msg_decode(in.data, in.size, &msg);
    if (error) {
        printf("error: %s\n", error);
        free(error);
        ofpbuf_uninit(&in);
        exit(1);
    }
    rtvnic_msg_format(&msg, &ds);
    printf("%s\n", ds_cstr(&ds));

    ofpbuf_init(&out, 0);
    rtvnic_msg_encode(&msg, &out);
    if (out.size != in.size || memcmp(out.data, in.data, in.size)) {
        ovs_fatal(0, "re-encoding does not give the input back");
    }
    rtvnic_msg_uninit(&msg);
    ofpbuf_uninit(&out);
    ofpbuf_uninit(&in);
    ds_destroy(&ds);
}

static const struct ovs_cmdl_command commands[] = {
    {"parse", "KEY=VALUE...", 0, INT_MAX, test_parse, OVS_RO},
    {"admit", "MAX_RATE LMAX_BITS DEADLINE:RATE:BURST...", 2, INT_MAX,
     test_admit, OVS_RO},
    {"decode-msg", "HEX", 1, 1, test_decode_msg, OVS_RO},
    {NULL, NULL, 0, 0, NULL, OVS_RO},
};

static void
test_rtvnic_config_main(int argc, char *argv[])
{
    struct ovs_cmdl_context ctx = {
        .argc = argc - 1,
        .argv = argv + 1,
    };

    set_program_name(argv[0]);
    ovs_cmdl_run_command(&ctx, commands);
}

OVSTEST_REGISTER("test-rtvnic-config", test_rtvnic_config_main);
