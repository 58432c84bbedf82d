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
 *       gives HEX back.
 *
 *   test-rtvnic-config split-msg heartbeat|sources|sources-miss N [DROP]
 *       Encodes a list of N entries as NXT_RTVNIC bodies, prints the parts
 *       (part/"more"/bytes), reassembles them (first without part DROP) and
 *       checks the result against the original list. */

#include <config.h>
#undef NDEBUG

#include <errno.h>
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
#include "packets.h"
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
        if (cfg.miss_target_ppm || cfg.miss_window_ms) {
            ds_put_format(&ds, "source: miss-target %"PRIu32" ppm, "
                          "miss-window %"PRIu32" ms\n", cfg.miss_target_ppm,
                          cfg.miss_window_ms);
        }
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
    if (rtvnic_msg_encode(&msg, &out)) {
        ovs_fatal(0, "cannot re-encode the message");
    }
    if (out.size != in.size || memcmp(out.data, in.data, in.size)) {
        ovs_fatal(0, "re-encoding does not give the input back");
    }
    rtvnic_msg_uninit(&msg);
    ofpbuf_uninit(&out);
    ofpbuf_uninit(&in);
    ds_destroy(&ds);
}

/* Feeds the parts in 'bodies' to 'r', leaving out part 'drop' (unless it is
 * SIZE_MAX), and checks the reassembled list against 'orig'. */
static void
reassemble_parts(struct rtvnic_reassembly *r, const struct ovs_list *bodies,
                 size_t drop, const struct rtvnic_msg *orig)
{
    const struct ofpbuf *b;
    size_t i = 0;

    LIST_FOR_EACH (b, list_node, bodies) {
        struct rtvnic_msg msg;
        char *error;

        if (i++ == drop) {
            printf("dropped part %"PRIuSIZE"\n", drop);
            continue;
        }
        error = rtvnic_msg_decode(b->data, b->size, &msg);
        if (error) {
            ovs_fatal(0, "part %"PRIuSIZE": %s", i - 1, error);
        }
        bool complete = rtvnic_reassemble(r, &msg, &error);
        if (error) {
            printf("error: %s\n", error);
            free(error);
        }
        if (complete) {
            bool beat = msg.type == RTVNIC_MSG_HEARTBEAT;
            size_t n = beat ? msg.beat.n : msg.sources.n;
            size_t orig_n = beat ? orig->beat.n : orig->sources.n;

            if (n != orig_n
                || (beat
                    ? memcmp(msg.beat.entries, orig->beat.entries,
                             n * sizeof *msg.beat.entries)
                    : memcmp(msg.sources.entries, orig->sources.entries,
                             n * sizeof *msg.sources.entries))) {
                ovs_fatal(0, "reassembled list differs from the original");
            }
            printf("reassembled %"PRIuSIZE" entries\n", n);
        }
        rtvnic_msg_uninit(&msg);
    }
}

/* "split-msg heartbeat|sources|sources-miss N [DROP]": encodes a list of N
 * entries (sources-miss: with miss targets) as parts, prints them
 * (part/flags/bytes), and reassembles them, first without
 * part DROP if given. */
static void
test_split_msg(struct ovs_cmdl_context *ctx)
{
    bool beat = !strcmp(ctx->argv[1], "heartbeat");
    bool miss = !strcmp(ctx->argv[1], "sources-miss");
    struct rtvnic_msg msg = { .type = (beat ? RTVNIC_MSG_HEARTBEAT
                                       : RTVNIC_MSG_SOURCES) };
    struct rtvnic_reassembly r;
    unsigned long long int drop = SIZE_MAX;
    struct ovs_list bodies = OVS_LIST_INITIALIZER(&bodies);
    const struct ofpbuf *b;
    unsigned int n;
    struct ofpbuf one;
    size_t n_parts;
    int error;

    if (!str_to_uint(ctx->argv[2], 10, &n)
        || (ctx->argc > 3 && !str_to_ullong(ctx->argv[3], 10, &drop))) {
        ovs_fatal(0, "usage: split-msg heartbeat|sources N [DROP]");
    }
    if (beat) {
        msg.beat.n = n;
        msg.beat.entries = xzalloc((n + 1) * sizeof *msg.beat.entries);
        for (size_t i = 0; i < n; i++) {
            struct rtvnic_beat_entry *e = &msg.beat.entries[i];

            e->sender = in6_addr_mapped_ipv4(htonl(0x01010200 + i % 256));
            e->vnic_id = i;
            e->packets = i * 3;
            e->misses = i;
        }
    } else {
        msg.sources.n = n;
        msg.sources.entries = xzalloc((n + 1) * sizeof *msg.sources.entries);
        for (size_t i = 0; i < n; i++) {
            struct rtvnic_source_entry *e = &msg.sources.entries[i];

            e->vnic_id = i + 1;
            e->ofp_port = i + 10;
            e->deadline_us = 2000 + i;
            e->effective_us = 1000 + i;
            if (miss) {
                e->miss_target_ppm = 1 + i % 500000;
                e->miss_window_ms = 1000;
            }
        }
    }

    /* One body only if it fits. */
    ofpbuf_init(&one, 0);
    error = rtvnic_msg_encode(&msg, &one);
    if (error
        ? error != EMSGSIZE || one.size
          || n <= (beat ? RTVNIC_BEAT_MAX_ENTRIES
                   : miss ? RTVNIC_SOURCES_MAX_ENTRIES_MISS
                   : RTVNIC_SOURCES_MAX_ENTRIES)
        : one.size > RTVNIC_MSG_MAX_LEN) {
        ovs_fatal(0, "single-body encoding of %u entries: %s, %"PRIu32
                  " bytes", n, ovs_strerror(error), one.size);
    }
    ofpbuf_uninit(&one);

    n_parts = rtvnic_msg_encode_parts(&msg, &bodies);
    printf("%"PRIuSIZE" parts:", n_parts);
    LIST_FOR_EACH (b, list_node, &bodies) {
        const struct rtvnic_wire_header *h = b->data;

        printf(" %"PRIu16"/%s/%"PRIu32, ntohs(h->part),
               h->flags & htons(RTVNIC_MSG_F_MORE) ? "more" : "0", b->size);
    }
    printf("\n");

    rtvnic_reassembly_init(&r);
    if (drop != SIZE_MAX) {
        reassemble_parts(&r, &bodies, drop, &msg);
    }
    reassemble_parts(&r, &bodies, SIZE_MAX, &msg);
    rtvnic_reassembly_clear(&r);

    rtvnic_msg_bodies_delete(&bodies);
    rtvnic_msg_uninit(&msg);
}

static const struct ovs_cmdl_command commands[] = {
    {"parse", "KEY=VALUE...", 0, INT_MAX, test_parse, OVS_RO},
    {"admit", "MAX_RATE LMAX_BITS DEADLINE:RATE:BURST...", 2, INT_MAX,
     test_admit, OVS_RO},
    {"decode-msg", "HEX", 1, 1, test_decode_msg, OVS_RO},
    {"split-msg", "heartbeat|sources|sources-miss N [DROP]", 2, 3,
     test_split_msg,
     OVS_RO},
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
