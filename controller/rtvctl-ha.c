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

/* rtvctl's active/standby mode: the contract is in rtvctl-ha.h. */

#include <config.h>

#include "rtvctl-ha.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "controller/rtvctl-idl.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/vlog.h"
#include "ovsdb-idl.h"
#include "packets.h"
#include "rtvctl-core.h"
#include "rtvctl-logic.h"
#include "socket-util.h"
#include "sset.h"
#include "svec.h"
#include "timeval.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(rtvctl_ha);

#define LOCK_NAME "rtvctl"

/* While the database is not connected, a new session to the next remote is
 * opened this often (see reconnect_fast()). */
#define RECONNECT_MS 250

/* After a failed takeover transaction, wait this long before the next. */
#define TAKEOVER_RETRY_MS 20

/* Report and miss counters that changed alone are written this often: a
 * report that changes nothing else then costs no transaction of its own
 * (10,000 switches send hundreds of thousands a second). */
#define COUNTER_FLUSH_MS 1000

/* ...and for at most this many flows each time, those waiting longest
 * first.  The counters are for people (rtvctl/show, /metrics), not for
 * decisions, and every row written costs the three database servers and
 * every standby as much as the leader: writing all 40,000 flows of a
 * 10,000-switch benchmark each second took a quarter of the leader's
 * report rate, 1000 a second still a sixth (on 2 CPUs shared by all),
 * 250 a second a few percent.  A new leader's counters may lag by up to
 * flows / COUNTER_FLOWS_PER_FLUSH seconds of reports. */
#define COUNTER_FLOWS_PER_FLUSH 250

/* A transaction writes at most this many Flow rows; the rest wait for the
 * next one.  Building, encoding and (when the update comes back) parsing a
 * transaction happen in one main loop iteration, during which no switch is
 * served: after 500,000 reports the counters of all 40,000 flows of a
 * 10,000-switch benchmark changed, and one transaction of them held the
 * loop for 4.6 s.  At this size an iteration's share stays in the
 * milliseconds. */
#define MAX_FLOWS_PER_TXN 200

enum ha_state {
    HA_STANDBY,
    HA_TAKING_OVER,             /* Generation transaction in flight. */
    HA_LEADER,
};

struct rtvctl_ha {
    struct ovsdb_idl *idl;
    struct ovsdb_idl_index *flow_by_key;    /* Flow by (sender, vnic). */
    struct ovsdb_idl_index *switch_by_dpid; /* Switch by datapath_id. */
    struct rtvctl_core *core;
    char *name;                 /* Leader.name while we lead. */
    enum ha_state state;
    uint64_t generation;        /* Ours, while taking over or leading. */
    struct ovsdb_idl_txn *txn;  /* The one transaction in flight, if any. */
    struct sset inserted;       /* Flow keys inserted, row not seen yet. */
    bool hold_writes;           /* Testing: act, but write nothing. */
    bool write_blocked;         /* Until the IDL's seqno changes. */
    unsigned int blocked_seqno;
    struct svec remotes;        /* --db, split at commas. */
    size_t next_remote;         /* Rotation for reconnect_fast(). */
    long long int next_reconnect;
    long long int next_takeover; /* Earliest retry of a failed takeover. */
    long long int next_counter_flush;
    uint64_t n_takeovers;
    uint64_t n_writes;          /* Flow rows written. */
    uint64_t n_txn_failures;
};

static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);

struct rtvctl_ha *
rtvctl_ha_create(const char *remotes, struct rtvctl_core *core)
{
    struct rtvctl_ha *ha = xzalloc(sizeof *ha);
    char hostname[256];

    ha->idl = ovsdb_idl_create(remotes, &rtvrec_idl_class, true, true);
    svec_init(&ha->remotes);
    char *copy = xstrdup(remotes), *save_ptr = NULL;
    for (char *r = strtok_r(copy, ",", &save_ptr); r;
         r = strtok_r(NULL, ",", &save_ptr)) {
        svec_add(&ha->remotes, r);
    }
    free(copy);
    ovsdb_idl_set_lock(ha->idl, LOCK_NAME);
    ha->flow_by_key = ovsdb_idl_index_create2(ha->idl, &rtvrec_flow_col_sender,
                                              &rtvrec_flow_col_vnic);
    ha->switch_by_dpid = ovsdb_idl_index_create1(
        ha->idl, &rtvrec_switch_col_datapath_id);
    ha->core = core;
    if (gethostname(hostname, sizeof hostname)) {
        ovs_strlcpy(hostname, "unknown", sizeof hostname);
    }
    hostname[sizeof hostname - 1] = '\0';
    ha->name = xasprintf("%s:%ld", hostname, (long int) getpid());
    sset_init(&ha->inserted);
    ha->next_reconnect = time_msec() + RECONNECT_MS;
    rtvctl_core_set_role(core, RTVCTL_ROLE_STANDBY, false, 0);
    return ha;
}

void
rtvctl_ha_destroy(struct rtvctl_ha *ha)
{
    if (ha) {
        if (ha->txn) {
            ovsdb_idl_txn_destroy(ha->txn);
        }
        ovsdb_idl_destroy(ha->idl);
        sset_destroy(&ha->inserted);
        svec_destroy(&ha->remotes);
        free(ha->name);
        free(ha);
    }
}

bool
rtvctl_ha_is_leader(const struct rtvctl_ha *ha)
{
    return ha->state == HA_LEADER;
}

/* Times: the core's are time_msec() (monotonic, this process), the
 * database's wall-clock ms, so that another host can read them; 0 is
 * "never" (rtvctl_flow_state_init()'s LLONG_MIN / 2). */
static int64_t
time_to_db(long long int ms, long long int mono_now, long long int wall_now)
{
    return ms <= LLONG_MIN / 4 ? 0 : ms - mono_now + wall_now;
}

static long long int
time_from_db(int64_t ms, long long int mono_now, long long int wall_now)
{
    return ms ? ms - wall_now + mono_now : LLONG_MIN / 2;
}

static bool
parse_sender(const char *s, struct in6_addr *ip6)
{
    ovs_be32 ip4;

    if (ip_parse(s, &ip4)) {
        in6_addr_set_mapped_ipv4(ip6, ip4);
        return true;
    }
    return ipv6_parse(s, ip6);
}

static char *
flow_key(const char *sender, uint16_t vnic_id)
{
    return xasprintf("%s/%"PRIu16, sender, vnic_id);
}

/* Loads every Flow row into the core. */
static void
load_flows(struct rtvctl_ha *ha)
{
    long long int mono_now = time_msec(), wall_now = time_wall_msec();
    const struct rtvrec_flow *row;
    size_t n = 0;

    RTVREC_FLOW_FOR_EACH (row, ha->idl) {
        struct rtvctl_flow_state st;
        struct in6_addr sender;

        if (!parse_sender(row->sender, &sender)) {
            VLOG_WARN_RL(&rl, "Flow row with bad sender \"%s\" ignored",
                         row->sender);
            continue;
        }
        rtvctl_flow_state_init(&st);
        st.level = row->level;
        st.effective_us = row->effective_us;
        st.contract_us = row->contract_us;
        st.last_miss_ms = time_from_db(row->last_miss, mono_now, wall_now);
        st.last_change_ms = time_from_db(row->last_change, mono_now,
                                         wall_now);
        st.last_relax_ms = time_from_db(row->last_relax, mono_now, wall_now);
        st.episode_start_ms = time_from_db(row->episode_start, mono_now,
                                           wall_now);
        st.episode_last_ms = time_from_db(row->episode_last, mono_now,
                                          wall_now);
        st.quiet_factor = row->quiet_factor ? row->quiet_factor : 1;
        st.reports = row->reports;
        st.misses = row->misses;
        rtvctl_core_restore_flow(ha->core, &sender, row->vnic, &st);
        n++;
    }
    VLOG_INFO("loaded the state of %"PRIuSIZE" flows from the database", n);
}

struct write_ctx {
    struct rtvctl_ha *ha;
    long long int mono_now, wall_now;
    size_t n;                   /* Rows written. */
    size_t n_deferred;          /* Rows not visible yet. */
};

/* Writes into 'row' the part of 'st' that is not a counter. */
static void
write_flow_state(const struct rtvrec_flow *row,
                 const struct rtvctl_flow_state *st,
                 const struct write_ctx *ctx)
{
    rtvrec_flow_set_level(row, st->level);
    rtvrec_flow_set_effective_us(row, st->effective_us);
    rtvrec_flow_set_contract_us(row, st->contract_us);
    rtvrec_flow_set_last_miss(row, time_to_db(st->last_miss_ms,
                                              ctx->mono_now, ctx->wall_now));
    rtvrec_flow_set_last_change(row, time_to_db(st->last_change_ms,
                                                ctx->mono_now,
                                                ctx->wall_now));
    rtvrec_flow_set_last_relax(row, time_to_db(st->last_relax_ms,
                                               ctx->mono_now, ctx->wall_now));
    rtvrec_flow_set_episode_start(row, time_to_db(st->episode_start_ms,
                                                  ctx->mono_now,
                                                  ctx->wall_now));
    rtvrec_flow_set_episode_last(row, time_to_db(st->episode_last_ms,
                                                 ctx->mono_now,
                                                 ctx->wall_now));
    rtvrec_flow_set_quiet_factor(row, MIN(st->quiet_factor, 16));
}

static void
write_flow(const struct in6_addr *sender, uint16_t vnic_id,
           const struct rtvctl_flow_state *st, bool counters_only,
           void *ctx_)
{
    struct write_ctx *ctx = ctx_;
    struct rtvctl_ha *ha = ctx->ha;
    struct ds s = DS_EMPTY_INITIALIZER;
    const struct rtvrec_flow *row;
    struct rtvrec_flow *key;

    ipv6_format_mapped(sender, &s);
    key = rtvrec_flow_index_init_row(ha->flow_by_key);
    rtvrec_flow_index_set_sender(key, ds_cstr(&s));
    rtvrec_flow_index_set_vnic(key, vnic_id);
    row = rtvrec_flow_index_find(ha->flow_by_key, key);
    rtvrec_flow_index_destroy_row(key);

    /* Whether to write more than the counters: a flow whose counters alone
     * changed had the rest written before (or all of it is written again
     * after a failed transaction); the counters of all 40,000 flows of a
     * benchmark change every second, and writing only them keeps the
     * database's work (3 servers and the other instances' replicas)
     * small. */
    bool whole = true;
    char *k = flow_key(ds_cstr(&s), vnic_id);
    if (row) {
        sset_find_and_delete(&ha->inserted, k);
        whole = !counters_only;
    } else if (sset_contains(&ha->inserted, k)) {
        /* Inserted by a transaction whose update has not reached us: write
         * it with the next transaction. */
        rtvctl_core_mark_flow_changed(ha->core, sender, vnic_id);
        ctx->n_deferred++;
        free(k);
        ds_destroy(&s);
        return;
    } else {
        struct rtvrec_flow *new = rtvrec_flow_insert(ha->txn);

        rtvrec_flow_set_sender(new, ds_cstr(&s));
        rtvrec_flow_set_vnic(new, vnic_id);
        sset_add(&ha->inserted, k);
        row = new;
    }
    free(k);
    ds_destroy(&s);

    if (whole) {
        write_flow_state(row, st, ctx);
    }
    rtvrec_flow_set_reports(row, MIN(st->reports, INT64_MAX));
    rtvrec_flow_set_misses(row, MIN(st->misses, INT64_MAX));
    ctx->n++;
}

/* A network switch's DSCP-to-queue flows.  Informational: a new leader
 * reads them back from the switch itself. */
static void
write_switch(uint64_t dpid, uint64_t dscps, void *ctx_)
{
    struct write_ctx *ctx = ctx_;
    struct rtvctl_ha *ha = ctx->ha;
    char *name = xasprintf("%#"PRIx64, dpid);
    const struct rtvrec_switch *row;
    struct rtvrec_switch *key;
    int64_t values[64];
    size_t n = 0;

    key = rtvrec_switch_index_init_row(ha->switch_by_dpid);
    rtvrec_switch_index_set_datapath_id(key, name);
    row = rtvrec_switch_index_find(ha->switch_by_dpid, key);
    rtvrec_switch_index_destroy_row(key);
    if (!row) {
        if (sset_contains(&ha->inserted, name)) {
            rtvctl_core_mark_switch_changed(ha->core, dpid);
            ctx->n_deferred++;
            free(name);
            return;
        }
        struct rtvrec_switch *new = rtvrec_switch_insert(ha->txn);

        rtvrec_switch_set_datapath_id(new, name);
        sset_add(&ha->inserted, name);
        row = new;
    } else {
        sset_find_and_delete(&ha->inserted, name);
    }
    for (int i = 0; i < 64; i++) {
        if (dscps & (UINT64_C(1) << i)) {
            values[n++] = i;
        }
    }
    rtvrec_switch_set_queue_dscps(row, values, n);
    free(name);
    ctx->n++;
}

/* Writes the flows that changed, in one transaction. */
static void
write_changes(struct rtvctl_ha *ha)
{
    struct write_ctx ctx = {
        .ha = ha, .mono_now = time_msec(), .wall_now = time_wall_msec(),
    };

    if (!rtvctl_core_has_changes(ha->core)) {
        return;
    }
    ha->txn = ovsdb_idl_txn_create(ha->idl);
    ovsdb_idl_txn_add_comment(ha->txn, "rtvctl: flow state");
    rtvctl_core_pop_changed_flows(ha->core, write_flow, &ctx,
                                  MAX_FLOWS_PER_TXN);
    rtvctl_core_pop_changed_switches(ha->core, write_switch, &ctx);
    if (!ctx.n && ctx.n_deferred) {
        /* Nothing but rows that are not here yet: wait for the database
         * rather than spin. */
        ha->write_blocked = true;
        ha->blocked_seqno = ovsdb_idl_get_seqno(ha->idl);
    }
    ha->n_writes += ctx.n;
    ovsdb_idl_txn_commit(ha->txn);
}

static void
start_takeover(struct rtvctl_ha *ha)
{
    const struct rtvrec_leader *row = rtvrec_leader_first(ha->idl);

    ha->txn = ovsdb_idl_txn_create(ha->idl);
    ovsdb_idl_txn_add_comment(ha->txn, "rtvctl: %s takes over", ha->name);
    if (row) {
        rtvrec_leader_verify_generation(row);
        ha->generation = row->generation + 1;
    } else {
        row = rtvrec_leader_insert(ha->txn);
        ha->generation = 1;
    }
    rtvrec_leader_set_generation(row, ha->generation);
    rtvrec_leader_set_name(row, ha->name);
    ha->state = HA_TAKING_OVER;
    ovsdb_idl_txn_commit(ha->txn);
}

static void
txn_done(struct rtvctl_ha *ha, enum ovsdb_idl_txn_status status)
{
    bool ok = status == TXN_SUCCESS || status == TXN_UNCHANGED;

    if (ha->state == HA_TAKING_OVER) {
        if (ok) {
            ha->state = HA_LEADER;
            ha->n_takeovers++;
            load_flows(ha);
            rtvctl_core_set_role(ha->core, RTVCTL_ROLE_LEADER, true,
                                 ha->generation);
            VLOG_INFO("leader: took over with generation %"PRIu64,
                      ha->generation);
        } else {
            /* Typically "try again": the lock came before the contents on a
             * new connection.  Retry soon, not in a busy loop. */
            VLOG_INFO_RL(&rl, "taking over failed (%s), still standby",
                         ovsdb_idl_txn_status_to_string(status));
            ha->state = HA_STANDBY;
            ha->next_takeover = time_msec() + TAKEOVER_RETRY_MS;
        }
    } else if (!ok) {
        ha->n_txn_failures++;
        VLOG_WARN_RL(&rl, "writing flow state failed (%s)",
                     ovsdb_idl_txn_status_to_string(status));
        /* Write everything again with the next transaction.  Rows we
         * inserted in this one do not exist. */
        sset_clear(&ha->inserted);
        rtvctl_core_mark_all_changed(ha->core);
    }
}

/* The clients of a clustered database follow its Raft leader.  When that
 * server dies, the IDL tries the others, which answer "not the leader"
 * until they have elected one, and backs off 1, 2, 4, 8 s between rounds:
 * failover would wait that long.  Instead, while not connected, open a new
 * session (which starts without backoff) to the remotes, rotated, every
 * RECONNECT_MS. */
static void
reconnect_fast(struct rtvctl_ha *ha)
{
    long long int now = time_msec();
    size_t n = ha->remotes.n;

    if (n < 2 || ovsdb_idl_is_connected(ha->idl)) {
        ha->next_reconnect = now + RECONNECT_MS;
        return;
    }
    if (now < ha->next_reconnect) {
        return;
    }

    struct ds s = DS_EMPTY_INITIALIZER;

    ha->next_remote = (ha->next_remote + 1) % n;
    for (size_t i = 0; i < n; i++) {
        ds_put_format(&s, "%s%s", i ? "," : "",
                      ha->remotes.names[(ha->next_remote + i) % n]);
    }
    ovsdb_idl_set_remote(ha->idl, ds_cstr(&s), true);
    ds_destroy(&s);
    ha->next_reconnect = now + RECONNECT_MS;
}

void
rtvctl_ha_run(struct rtvctl_ha *ha)
{
    reconnect_fast(ha);
    ovsdb_idl_run(ha->idl);

    if (ha->txn) {
        enum ovsdb_idl_txn_status status = ovsdb_idl_txn_commit(ha->txn);

        if (status == TXN_INCOMPLETE) {
            goto check_lock;
        }
        ovsdb_idl_txn_destroy(ha->txn);
        ha->txn = NULL;
        txn_done(ha, status);
    }

check_lock:;
    bool has_lock = ovsdb_idl_has_lock(ha->idl);
    const struct rtvrec_leader *leader = rtvrec_leader_first(ha->idl);

    if (!has_lock && ha->state != HA_STANDBY) {
        VLOG_WARN("lost the database lock: standby from now on");
        ha->state = HA_STANDBY;
    }
    if (ha->state == HA_STANDBY) {
        rtvctl_core_set_role(ha->core, RTVCTL_ROLE_STANDBY,
                             leader != NULL, leader ? leader->generation : 0);
        if (has_lock && !ha->txn && ovsdb_idl_has_ever_connected(ha->idl)
            && time_msec() >= ha->next_takeover) {
            start_takeover(ha);
        }
    } else if (ha->state == HA_LEADER && !ha->txn && !ha->hold_writes) {
        if (ha->write_blocked
            && ovsdb_idl_get_seqno(ha->idl) != ha->blocked_seqno) {
            ha->write_blocked = false;
        }
        if (time_msec() >= ha->next_counter_flush) {
            rtvctl_core_flush_counters(ha->core, COUNTER_FLOWS_PER_FLUSH);
            ha->next_counter_flush = time_msec() + COUNTER_FLUSH_MS;
        }
        if (!ha->write_blocked) {
            write_changes(ha);
        }
    }
}

void
rtvctl_ha_wait(struct rtvctl_ha *ha)
{
    ovsdb_idl_wait(ha->idl);
    if (ha->remotes.n > 1 && !ovsdb_idl_is_connected(ha->idl)) {
        poll_timer_wait_until(ha->next_reconnect);
    }
    if (ha->state == HA_STANDBY && ovsdb_idl_has_lock(ha->idl)) {
        poll_timer_wait_until(ha->next_takeover);
    }
    if (ha->txn) {
        ovsdb_idl_txn_wait(ha->txn);
    }
    if (ha->state == HA_LEADER && !ha->hold_writes && !ha->txn
        && rtvctl_core_has_counter_changes(ha->core)) {
        /* With a transaction in flight the flush waits for it (its
         * completion wakes us through ovsdb_idl_wait()): a timer already
         * due would make the loop spin until then. */
        poll_timer_wait_until(ha->next_counter_flush);
    }
    if (ha->state == HA_LEADER && !ha->hold_writes && !ha->write_blocked
        && rtvctl_core_has_changes(ha->core)) {
        /* Transactions in flight complete through ovsdb_idl_wait(). */
        if (!ha->txn) {
            poll_immediate_wake();
        }
    }
}

void
rtvctl_ha_hold_writes(struct rtvctl_ha *ha, bool hold)
{
    ha->hold_writes = hold;
}

void
rtvctl_ha_format_status(const struct rtvctl_ha *ha, struct ds *s)
{
    static const char *states[] = {
        [HA_STANDBY] = "standby",
        [HA_TAKING_OVER] = "taking over",
        [HA_LEADER] = "leader",
    };
    const struct rtvrec_leader *leader = rtvrec_leader_first(ha->idl);

    ds_put_format(s, "ha: %s, generation %"PRId64", lock %s, database %s",
                  states[ha->state], leader ? leader->generation : 0,
                  (ovsdb_idl_has_lock(ha->idl) ? "held"
                   : ovsdb_idl_is_lock_contended(ha->idl) ? "contended"
                   : "not held"),
                  ovsdb_idl_is_connected(ha->idl) ? "connected"
                  : "not connected");
    if (leader && ha->state != HA_LEADER) {
        ds_put_format(s, ", leader %s", leader->name);
    }
    ds_put_format(s, ", takeovers %"PRIu64"\n", ha->n_takeovers);
    if (ha->state == HA_LEADER) {
        /* How far the database is behind this leader: what a successor
         * would not know yet (counters waiting for their turn aside). */
        ds_put_format(s, "ha writes: %"PRIuSIZE" pending, %"PRIu64" rows "
                      "written, %"PRIu64" failed transactions\n",
                      rtvctl_core_n_changes(ha->core), ha->n_writes,
                      ha->n_txn_failures);
    }
}
