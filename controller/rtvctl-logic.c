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

#include "rtvctl-logic.h"

#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rtvctl-policy.h"
#include "rtvnic-report.h"
#include "util.h"

static void
near_episode_clear(struct rtvctl_flow_state *st)
{
    st->near_start_ms = LLONG_MIN / 2;
    st->near_last_ms = LLONG_MIN / 2;
}

void
rtvctl_flow_state_init(struct rtvctl_flow_state *st)
{
    memset(st, 0, sizeof *st);
    st->last_miss_ms = LLONG_MIN / 2;
    st->last_change_ms = LLONG_MIN / 2;
    st->last_relax_ms = LLONG_MIN / 2;
    st->episode_start_ms = LLONG_MIN / 2;
    st->episode_last_ms = LLONG_MIN / 2;
    near_episode_clear(st);
    st->quiet_factor = 1;
    st->prev_change_ms = LLONG_MIN / 2;
    st->prev_quiet_factor = 1;
    st->win_start_ms = LLONG_MIN / 2;
    st->rate_beat_ms = LLONG_MIN / 2;
    st->rate_round_ms = LLONG_MIN / 2;
    st->kept_from_ms = LLONG_MAX / 2;
    st->kept_until_ms = LLONG_MIN / 2;
}

/* The Wilson score lower bound, one-sided at RTVCTL_WILSON_Z, of a ratio
 * observed as 'misses' of 'packets' (0 if 'packets' is 0). */
double
rtvctl_wilson_lower(double misses, double packets)
{
    if (packets <= 0) {
        return 0;
    }

    double z2 = RTVCTL_WILSON_Z * RTVCTL_WILSON_Z;
    double p = MIN(misses / packets, 1.0);
    double centre = p + z2 / (2 * packets);
    double spread = RTVCTL_WILSON_Z * sqrt(p * (1 - p) / packets
                                           + z2 / (4 * packets * packets));
    return MAX((centre - spread) / (1 + z2 / packets), 0.0);
}

static uint32_t
miss_window_ms(const struct rtvctl_policy *p,
               const struct rtvctl_flow_state *st)
{
    return st->miss_window_ms ? st->miss_window_ms : p->miss_window_ms;
}

static double
miss_target(const struct rtvctl_policy *p, const struct rtvctl_flow_state *st)
{
    return st->miss_target_ppm ? st->miss_target_ppm / 1e6 : p->miss_target;
}

/* The evidence's minimum spread in time: one stall or one bad report
 * interval is not enough. */
static long long int
evidence_spread_ms(const struct rtvctl_policy *p)
{
    return MAX(p->miss_persist_ms, p->report_interval_ms);
}

/* The ratio that the window's lower bound, of misses or with 'risk' of
 * packets at risk, must exceed at 'now_ms': the target, or for a quiet
 * period after a relax the ratio the flow kept while it was stepped up, if
 * that is higher. */
static double
window_bar(const struct rtvctl_policy *p, const struct rtvctl_flow_state *st,
           long long int now_ms, bool risk)
{
    double target = miss_target(p, st);
    double kept = risk ? st->kept_risk_ratio : st->kept_ratio;

    return now_ms < st->kept_until_ms && kept > target ? kept : target;
}

/* Starts counting what the flow keeps at the level it reached at 'now_ms'
 * (see keep()), one evidence spread later. */
static void
kept_restart(const struct rtvctl_policy *p, struct rtvctl_flow_state *st,
             long long int now_ms)
{
    st->kept_from_ms = now_ms + evidence_spread_ms(p);
    st->kept_misses = st->kept_near = 0;
}

/* The share of 'packets' that 'count' of them are (0 if 'packets' is not
 * known). */
static double
kept_share(uint64_t count, double packets)
{
    return packets > 0 ? count / MAX(packets, (double) count) : 0;
}

/* Counts 'misses' and 'near' (those the window counts) of a report at
 * 'now_ms' as kept since the latest step up, if they are. */
static void
keep(struct rtvctl_flow_state *st, uint32_t misses, uint32_t near,
     long long int now_ms)
{
    if (now_ms >= st->kept_from_ms) {
        st->kept_misses += misses;
        st->kept_near += near;
    }
}

/* Empties the window: what it held led to a change, or is too old. */
static void
window_clear(const struct rtvctl_policy *p, struct rtvctl_flow_state *st,
             long long int now_ms)
{
    memset(st->win, 0, sizeof st->win);
    st->win_bucket_ms = MAX(miss_window_ms(p, st) / RTVCTL_MISS_BUCKETS, 1);
    st->win_epoch = now_ms / st->win_bucket_ms;
    st->win_start_ms = now_ms;
}

/* Expires the buckets older than the window at 'now_ms'. */
static void
window_advance(const struct rtvctl_policy *p, struct rtvctl_flow_state *st,
               long long int now_ms)
{
    uint32_t bucket_ms = MAX(miss_window_ms(p, st) / RTVCTL_MISS_BUCKETS, 1);

    if (st->win_bucket_ms != bucket_ms) {
        /* New flow or new window length: start over. */
        window_clear(p, st, now_ms);
        return;
    }

    long long int epoch = now_ms / bucket_ms;
    if (epoch <= st->win_epoch) {
        return;                 /* Time does not go back; if it does, wait. */
    }
    if (epoch - st->win_epoch >= RTVCTL_MISS_BUCKETS) {
        memset(st->win, 0, sizeof st->win);
    } else {
        for (long long int e = st->win_epoch + 1; e <= epoch; e++) {
            memset(&st->win[e % RTVCTL_MISS_BUCKETS], 0, sizeof st->win[0]);
        }
    }
    st->win_epoch = epoch;
}

/* The packets of 'st''s window at 'now_ms': its rate times the time the
 * window covers (at least one report interval), and at least 'misses'
 * (or the misses and near misses it is asked about). */
static double
window_packets(const struct rtvctl_policy *p,
               const struct rtvctl_flow_state *st, long long int now_ms,
               uint64_t misses)
{
    long long int covered = MIN(now_ms - st->win_start_ms,
                                (long long int) miss_window_ms(p, st));

    covered = MAX(covered, (long long int) p->report_interval_ms);
    return MAX(st->rate_pps * covered / 1000.0, (double) misses);
}

void
rtvctl_flow_note_packets(const struct rtvctl_policy *p,
                         struct rtvctl_flow_state *st, uint32_t packets,
                         uint32_t interval_ms, long long int now_ms)
{
    /* The window covers the flow's packets from its first heartbeat on. */
    window_advance(p, st, now_ms);
    if (!interval_ms) {
        return;
    }

    /* Several receivers may each count part of a flow's packets (a VM that
     * sends to several hosts): their heartbeats within one interval of the
     * first of a round add up.  The rate is the larger of this round so far
     * and the previous whole one. */
    if (now_ms - st->rate_round_ms >= interval_ms) {
        st->rate_prev = st->rate_acc;
        st->rate_acc = 0;
        st->rate_round_ms = now_ms;
        st->rate_rounds = MIN(st->rate_rounds + 1, 2);
    }
    st->rate_acc += packets;
    st->rate_pps = MAX(st->rate_acc, st->rate_prev) * 1000.0 / interval_ms;
    st->rate_beat_ms = now_ms;
}

/* Whether packets whose delay was more than 'permille' / 1000 of
 * 'deadline_us' (misses: 1000; near misses: the near-miss line), with mean
 * sending-host and network parts 'host_ns' and 'net_ns', owe it mostly to
 * the receiving host (its switch reading them late): their receiver part,
 * at least the line minus the two, is larger than either.  Then no step
 * would bring them in.  (That the two parts add up to less than the line
 * is not enough: 1.4 ms of network and 0.56 ms of host delay in a 2 ms
 * deadline leave the receiver at least 0.04 ms, and the network made those
 * packets late.)  False when the deadline is not known (0). */
static bool
receiver_bound(uint32_t host_ns, uint32_t net_ns, uint32_t deadline_us,
               unsigned int permille)
{
    uint64_t line_ns = (uint64_t) deadline_us * permille;
    uint64_t parts_ns = (uint64_t) host_ns + net_ns;

    if (!deadline_us || parts_ns >= line_ns) {
        return false;
    }
    uint64_t receiver_ns = line_ns - parts_ns;
    return receiver_ns > host_ns && receiver_ns > net_ns;
}

/* What the window says about 'st' after a report at 'now_ms'. */
struct window_verdict {
    uint64_t misses;            /* In the window. */
    double packets;             /* Estimated, in the window. */
    double ratio, lower, target;
    double bar;                 /* What 'lower' must exceed (window_bar()). */
    long long int span_ms;      /* From its first miss to 'now_ms'. */
    bool over_target;           /* 'lower' > 'target' (delays relaxing). */

    /* The same of the packets at risk: misses and near misses. */
    uint64_t at_risk;
    double risk_packets, risk_ratio, risk_lower, risk_bar;
    long long int risk_span_ms;

    bool violated;              /* With enough evidence: act. */
    bool by_risk;               /* Only with the near misses. */

    /* The report's bucket before it, for window_forget(). */
    struct rtvctl_window_bucket bucket;
};

/* Why 'r''s near misses are not the network's, or NULL if they are: their
 * network part is above their sending-host part, and the receiver's part
 * is not the largest.  The means are the misses' if 'r' has any, else the
 * near misses'. */
static const char *
near_misses_not_network(const struct rtvctl_policy *p,
                        const struct rtvnic_report *r)
{
    return (r->network_mean_ns <= r->host_mean_ns
            ? "host mean >= network mean"
            : receiver_bound(r->host_mean_ns, r->network_mean_ns,
                             r->deadline_us,
                             r->misses ? 1000 : p->near_miss_permille)
            ? "receiver-bound (the receiver's part the largest)"
            : NULL);
}

/* Whether 'r''s near misses count in the window: only those the network
 * made, as for the near-miss rule; the host's EDF may use the slack its
 * deadline gives it. */
static bool
near_misses_count(const struct rtvctl_policy *p,
                  const struct rtvnic_report *r)
{
    return (p->near_miss_permille && r->near_misses
            && !near_misses_not_network(p, r));
}

/* Adds 'r''s misses and the near misses that count to the window's newest
 * bucket, saving it first into 'saved'. */
static void
window_add(const struct rtvctl_policy *p, struct rtvctl_flow_state *st,
           const struct rtvnic_report *r, long long int now_ms,
           struct rtvctl_window_bucket *saved)
{
    struct rtvctl_window_bucket *b
        = &st->win[st->win_epoch % RTVCTL_MISS_BUCKETS];
    uint32_t near = near_misses_count(p, r) ? r->near_misses : 0;

    *saved = *b;
    if ((r->misses || near) && !b->misses && !b->near_misses) {
        b->first_risk_ms = now_ms;
    }
    if (r->misses && !b->misses) {
        b->first_miss_ms = now_ms;
    }
    b->misses = (b->misses > UINT32_MAX - r->misses
                 ? UINT32_MAX : b->misses + r->misses);
    b->near_misses = (b->near_misses > UINT32_MAX - near
                      ? UINT32_MAX : b->near_misses + near);
}

static void
window_report(const struct rtvctl_policy *p, struct rtvctl_flow_state *st,
              const struct rtvnic_report *r, long long int now_ms,
              struct window_verdict *v)
{
    memset(v, 0, sizeof *v);
    window_advance(p, st, now_ms);

    /* A heartbeat counts every packet of a second; without a recent one,
     * the report's own interval tells the rate.  A flow's first heartbeat
     * counted only the part of its second since the flow began (a flow
     * that started 100 ms before it looks 10 times slower than it is, and
     * its first few misses 10 times as many), so until a whole round
     * follows it is only a lower bound. */
    if (r->packets) {
        uint32_t interval_us = (r->interval_us ? r->interval_us
                                : p->report_interval_ms * 1000);
        double report_pps = r->packets * 1e6 / interval_us;

        if (now_ms - st->rate_beat_ms > 2 * 1000 + 500) {
            st->rate_pps = report_pps;
        } else if (st->rate_rounds < 2) {
            st->rate_pps = MAX(st->rate_pps, report_pps);
        }
    }

    window_add(p, st, r, now_ms, &v->bucket);

    long long int first = now_ms, first_risk = now_ms;
    uint64_t near = 0;
    for (size_t i = 0; i < RTVCTL_MISS_BUCKETS; i++) {
        const struct rtvctl_window_bucket *b = &st->win[i];

        if (b->misses) {
            v->misses += b->misses;
            first = MIN(first, b->first_miss_ms);
        }
        if (b->misses || b->near_misses) {
            near += b->near_misses;
            first_risk = MIN(first_risk, b->first_risk_ms);
        }
    }
    v->span_ms = now_ms - first;
    v->target = miss_target(p, st);
    v->bar = window_bar(p, st, now_ms, false);
    v->risk_bar = window_bar(p, st, now_ms, true);
    if (!v->misses || v->target <= 0) {
        return;
    }
    long long int spread_ms = evidence_spread_ms(p);
    v->packets = window_packets(p, st, now_ms, v->misses);
    v->ratio = v->misses / v->packets;
    v->lower = rtvctl_wilson_lower(v->misses, v->packets);
    v->over_target = v->lower > v->target;
    v->violated = (v->lower > v->bar
                   && v->misses >= p->miss_min_misses
                   && v->span_ms >= spread_ms);
    if (v->violated || !near) {
        return;
    }

    /* A flow whose packets come within the near-miss line of its deadline
     * more often than its target allows, and have begun to miss, misses
     * more often than that as soon as the network's queue grows a little;
     * waiting for the misses alone to prove it takes about 1 / target of
     * its packets.  The near misses that count are those the network made
     * (see near_misses_count()). */
    v->at_risk = v->misses + near;
    v->risk_span_ms = now_ms - first_risk;
    v->risk_packets = window_packets(p, st, now_ms, v->at_risk);
    v->risk_ratio = v->at_risk / v->risk_packets;
    v->risk_lower = rtvctl_wilson_lower(v->at_risk, v->risk_packets);
    v->by_risk = (v->risk_lower > v->risk_bar
                  && v->at_risk >= p->miss_min_misses
                  && v->risk_span_ms >= spread_ms);
    v->violated = v->by_risk;
}

/* Takes back what window_report() just counted into 'v'. */
static void
window_forget(struct rtvctl_flow_state *st, const struct window_verdict *v)
{
    st->win[st->win_epoch % RTVCTL_MISS_BUCKETS] = v->bucket;
}

static void
act(struct rtvctl_action *a, enum rtvctl_action_type type)
{
    a->type = type;
}

/* A flow whose deadline leaves no time to try the ladder's middle rungs one
 * 'min_step_interval_ms' after another uses only its bottom and top. */
static bool
uses_top_rung(const struct rtvctl_policy *p,
              const struct rtvctl_flow_state *st)
{
    return st->contract_us && st->contract_us <= p->top_rung_deadline_us;
}

/* The lowest effective deadline to ask 'st''s host for: the policy's floor,
 * or the deadline the host kept when its admission control refused a lower
 * one (the other sources' guarantees would not hold with it). */
static uint64_t
deadline_floor_us(const struct rtvctl_policy *p,
                  const struct rtvctl_flow_state *st, long long int now_ms)
{
    /* The host's sources change: a refusal is tried again after a quiet
     * period. */
    bool fresh = (now_ms - st->host_floor_ms
                  < (long long int) p->quiet_period_ms);

    return MAX(p->tighten_floor_us, fresh ? st->host_floor_us : 0);
}

void
rtvctl_flow_deadline_refused(struct rtvctl_flow_state *st,
                             uint64_t refused_us, uint64_t from_us,
                             long long int now_ms)
{
    /* Deadlines between the two might pass; trying them one report after
     * another would only delay stage 2. */
    st->host_floor_us = from_us;
    st->host_floor_ms = now_ms;
    if (st->effective_us == refused_us) {
        st->effective_us = from_us;
        st->last_change_ms = st->prev_change_ms;
        st->quiet_factor = st->prev_quiet_factor;
    }
}

/* A step was taken at 'now_ms': what every step does besides its action. */
static void
stepped_up(const struct rtvctl_policy *p, struct rtvctl_flow_state *st,
           long long int now_ms)
{
    st->prev_change_ms = st->last_change_ms;
    st->prev_quiet_factor = st->quiet_factor;
    if (now_ms - st->last_relax_ms
        < (long long int) p->quiet_period_ms * st->quiet_factor) {
        /* Relaxed too early: wait longer next time. */
        st->quiet_factor = MIN(st->quiet_factor * 2, 16);
    }
    st->last_change_ms = now_ms;
    kept_restart(p, st, now_ms);
    st->kept_until_ms = LLONG_MIN / 2;  /* A bar is for stepping up again. */
    near_episode_clear(st);
    window_clear(p, st, now_ms);
}

/* The near-miss rule (see rtvctl-logic.h), for a report with near misses
 * under a policy with them.  Returns true if it acted. */
static bool
decide_near_misses(const struct rtvctl_policy *p,
                   struct rtvctl_flow_state *st,
                   const struct rtvnic_report *r, long long int now_ms,
                   struct rtvctl_action *a)
{
    uint64_t at_risk = (uint64_t) r->misses + r->near_misses;
    bool most = r->packets && at_risk * 2 >= r->packets;
    const char *not_network = near_misses_not_network(p, r);
    char ev[96];

    if (!most || not_network) {
        near_episode_clear(st);
        snprintf(a->why, sizeof a->why, "%"PRIu32" near misses and %"
                 PRIu32" misses of %"PRIu32" packets, %s: no near-miss "
                 "episode", r->near_misses, r->misses, r->packets,
                 !most ? "less than half" : not_network);
        return false;
    }
    long long int gap_ms = 2 * (long long int) p->report_interval_ms;
    if (now_ms - st->near_last_ms > gap_ms) {
        st->near_start_ms = now_ms;
        st->near_first_net_ns = r->network_max_ns;
    }
    st->near_last_ms = now_ms;

    snprintf(ev, sizeof ev, "%"PRIu64"/%"PRIu32" packets above %.1f%% of "
             "the deadline", at_risk, r->packets,
             p->near_miss_permille / 10.0);
    long long int span_ms = now_ms - st->near_start_ms;
    if (span_ms < p->near_miss_persist_ms) {
        snprintf(a->why, sizeof a->why, "%s, for %lld ms, not yet "
                 "near_miss_persist_ms %"PRIu32, ev, span_ms,
                 p->near_miss_persist_ms);
        return false;
    }
    if (r->network_max_ns < st->near_first_net_ns) {
        /* A queue that drains (the backlog of a stall somewhere on the
         * path) gives the slack back by itself; a growing one does not.
         * The maxima are of all of a report's packets, so they compare
         * across reports with and without misses; the means do not. */
        snprintf(a->why, sizeof a->why, "%s for %lld ms, but network max %"
                 PRIu32" us < %"PRIu32" us at the episode's start: "
                 "draining, not growing", ev, span_ms,
                 r->network_max_ns / 1000, st->near_first_net_ns / 1000);
        return false;
    }
    /* The network keeps using up the flow's slack: it is not quiet. */
    st->last_miss_ms = now_ms;
    if (st->level + 1 >= p->n_ladder) {
        snprintf(a->why, sizeof a->why, "%s for %lld ms at the top of the "
                 "DSCP ladder: nothing left to do", ev, span_ms);
        return false;
    }
    if (now_ms - st->last_change_ms < p->min_step_interval_ms) {
        snprintf(a->why, sizeof a->why, "near misses, but last change %lld "
                 "ms ago, within min_step_interval_ms %"PRIu32,
                 now_ms - st->last_change_ms, p->min_step_interval_ms);
        return false;
    }

    size_t from = st->level;
    st->level = uses_top_rung(p, st) ? p->n_ladder - 1 : st->level + 1;
    snprintf(a->why, sizeof a->why, "near misses: %s for %lld ms, network "
             "mean %"PRIu32" us > host mean %"PRIu32" us: escalate DSCP %u "
             "-> %u", ev, span_ms, r->network_mean_ns / 1000,
             r->host_mean_ns / 1000, p->dscp_ladder[from],
             p->dscp_ladder[st->level]);
    a->level = st->level;
    act(a, RTVCTL_ACT_SET_LEVEL);
    stepped_up(p, st, now_ms);
    return true;
}

static void decide_misses(const struct rtvctl_policy *,
                          struct rtvctl_flow_state *,
                          const struct rtvnic_report *, long long int now_ms,
                          struct rtvctl_action *);
static bool take_step(const struct rtvctl_policy *,
                      struct rtvctl_flow_state *,
                      const struct rtvnic_report *, long long int now_ms,
                      const char *ev, struct rtvctl_action *);

/* "target X%", or the ratio 'bar' kept since the last step up if it is
 * higher (see window_bar()). */
static void
format_bar(const struct window_verdict *v, double bar, char *s, size_t size)
{
    if (bar > v->target) {
        snprintf(s, size, "%.3f%% kept when stepped up (target %.3f%%)",
                 bar * 100, v->target * 100);
    } else {
        snprintf(s, size, "target %.3f%%", v->target * 100);
    }
}

static void
format_risk(const struct window_verdict *v, char *ev, size_t size)
{
    char bar[64];

    format_bar(v, v->risk_bar, bar, sizeof bar);
    snprintf(ev, size, "window %"PRIu64" misses + %"PRIu64" near misses/"
             "%.0f in %lld ms, %.3f%% (lower bound %.3f%%) > %s",
             v->misses, v->at_risk - v->misses, v->risk_packets,
             v->risk_span_ms, v->risk_ratio * 100, v->risk_lower * 100, bar);
}

/* The windowed rule on a report without misses, under a policy with near
 * misses: the report's near misses may complete the evidence of packets at
 * risk of a window that holds misses (see window_report()); a burst in the
 * network whose packets all met their deadline, after earlier ones whose
 * packets did not, is as much evidence as one more miss.  Returns true if
 * it acted. */
static bool
decide_risk(const struct rtvctl_policy *p, struct rtvctl_flow_state *st,
            const struct rtvnic_report *r, long long int now_ms,
            struct rtvctl_action *a)
{
    struct window_verdict v;
    char ev[192];

    window_report(p, st, r, now_ms, &v);
    if (!near_misses_count(p, r)) {
        return false;
    }
    keep(st, 0, r->near_misses, now_ms);
    if (!v.by_risk) {
        return false;
    }
    format_risk(&v, ev, sizeof ev);
    return take_step(p, st, r, now_ms, ev, a);
}

void
rtvctl_decide_report(const struct rtvctl_policy *p,
                     struct rtvctl_flow_state *st,
                     const struct rtvnic_report *r, long long int now_ms,
                     struct rtvctl_action *a)
{
    memset(a, 0, sizeof *a);
    st->reports++;
    st->misses += r->misses;
    st->near_misses += r->near_misses;
    if (r->misses) {
        decide_misses(p, st, r, now_ms, a);
        if (a->type != RTVCTL_ACT_NONE) {
            near_episode_clear(st);
            return;
        }
    }

    if (!p->near_miss_permille || !r->near_misses) {
        /* No near-miss rule to apply: 'why' stays the misses'. */
        return;
    }
    if (!r->misses && decide_risk(p, st, r, now_ms, a)) {
        near_episode_clear(st);
        return;
    }
    char why[sizeof a->why];
    ovs_strlcpy(why, a->why, sizeof why);
    if (!decide_near_misses(p, st, r, now_ms, a) && r->misses) {
        /* The misses' reasons say more than the near misses'. */
        ovs_strlcpy(a->why, why, sizeof a->why);
    }
}

static void
decide_misses(const struct rtvctl_policy *p, struct rtvctl_flow_state *st,
              const struct rtvnic_report *r, long long int now_ms,
              struct rtvctl_action *a)
{
    struct window_verdict v;
    char ev[192], bar[64];

    window_report(p, st, r, now_ms, &v);
    bool severe = (r->misses && r->packets
                   && (double) r->misses / r->packets
                      >= p->miss_ratio_threshold);
    if (receiver_bound(r->host_mean_ns, r->network_mean_ns, r->deadline_us,
                       1000)) {
        /* Evidence about the receiving host, not for a step: the window
         * forgets these misses again (the verdict still counts them, to
         * say whether the contract is broken), the severe rule's episode
         * does not count them, and they do not delay relaxing. */
        window_forget(st, &v);
        snprintf(a->why, sizeof a->why, "%"PRIu32"/%"PRIu32" misses, host "
                 "mean %"PRIu32" us + network mean %"PRIu32" us leave the "
                 "receiver more than %"PRIu32" us of the %"PRIu32" us "
                 "deadline: receiver-bound, neither stage can help",
                 r->misses, r->packets, r->host_mean_ns / 1000,
                 r->network_mean_ns / 1000,
                 (uint32_t) ((r->deadline_us * 1000ULL - r->host_mean_ns
                              - r->network_mean_ns) / 1000),
                 r->deadline_us);
        a->cannot_help = severe || v.over_target;
        return;
    }
    if (v.over_target) {
        st->last_miss_ms = now_ms;
    }
    keep(st, r->misses, near_misses_count(p, r) ? r->near_misses : 0,
         now_ms);

    if (severe) {
        if (now_ms - st->episode_last_ms > p->miss_persist_ms) {
            st->episode_start_ms = now_ms;
        }
        st->episode_last_ms = now_ms;
        if (now_ms - st->episode_start_ms < p->miss_persist_ms) {
            severe = false;
        }
    }
    if (severe) {
        snprintf(ev, sizeof ev, "%"PRIu32"/%"PRIu32" misses", r->misses,
                 r->packets);
    } else if (v.by_risk) {
        format_risk(&v, ev, sizeof ev);
    } else if (v.violated) {
        format_bar(&v, v.bar, bar, sizeof bar);
        snprintf(ev, sizeof ev, "window %"PRIu64"/%.0f misses in %lld ms, "
                 "%.3f%% (lower bound %.3f%%) > %s", v.misses, v.packets,
                 v.span_ms, v.ratio * 100, v.lower * 100, bar);
    } else if (!r->misses || !r->packets
               || (double) r->misses / r->packets < p->miss_ratio_threshold) {
        if (v.misses && v.target > 0) {
            format_bar(&v, v.bar, bar, sizeof bar);
            snprintf(a->why, sizeof a->why, "%"PRIu32" of %"PRIu32" "
                     "packets missed, below the threshold; window %"PRIu64
                     "/%.0f, %.3f%% (lower bound %.3f%%), %s",
                     r->misses, r->packets, v.misses, v.packets,
                     v.ratio * 100, v.lower * 100, bar);
        } else {
            snprintf(a->why, sizeof a->why, "%"PRIu32" of %"PRIu32" "
                     "packets missed, below the threshold", r->misses,
                     r->packets);
        }
        return;
    } else {
        /* Not (yet) persistent: neither acts nor delays relaxing. */
        snprintf(a->why, sizeof a->why, "%"PRIu32"/%"PRIu32" misses, for "
                 "%lld ms, not yet miss_persist_ms %"PRIu32, r->misses,
                 r->packets, now_ms - st->episode_start_ms,
                 p->miss_persist_ms);
        return;
    }
    take_step(p, st, r, now_ms, ev, a);
}

/* Misses (or packets at risk), as 'ev' says, call for a step: takes it,
 * by the host/network split of 'r''s means.  Returns true if it acted. */
static bool
take_step(const struct rtvctl_policy *p, struct rtvctl_flow_state *st,
          const struct rtvnic_report *r, long long int now_ms, const char *ev,
          struct rtvctl_action *a)
{
    st->last_miss_ms = now_ms;
    /* A relax that the flow's misses prove premature is undone at once
     * (and the next quiet period doubles, below): the change to wait for
     * is the one that caused them. */
    if (now_ms - st->last_change_ms < p->min_step_interval_ms
        && st->last_change_ms != st->last_relax_ms) {
        snprintf(a->why, sizeof a->why, "last change %lld ms ago, within "
                 "min_step_interval_ms %"PRIu32, now_ms - st->last_change_ms,
                 p->min_step_interval_ms);
        return false;
    }

    bool host_dominates = r->host_mean_ns >= r->network_mean_ns;
    /* Rounded up, so at least 1 us for a miss: a tightening always
     * tightens.  (DIV_ROUND_UP() would wrap to 0 for a 'max_excess_ns'
     * within 999 of UINT64_MAX, and a report may say anything.) */
    uint64_t excess_us = MAX(r->max_excess_ns / 1000
                             + (r->max_excess_ns % 1000 != 0), 1);

    uint64_t floor_us = deadline_floor_us(p, st, now_ms);
    if (host_dominates && st->contract_us && st->effective_us > floor_us) {
        uint64_t target = (st->effective_us > excess_us + floor_us
                           ? st->effective_us - excess_us
                           : floor_us);

        snprintf(a->why, sizeof a->why, "%s, host mean %"PRIu32" us >= "
                 "network mean %"PRIu32" us, excess %"PRIu64" us: tighten "
                 "deadline %"PRIu64" -> %"PRIu64" us", ev,
                 r->host_mean_ns / 1000,
                 r->network_mean_ns / 1000, excess_us, st->effective_us,
                 target);
        a->from_us = st->effective_us;
        st->effective_us = target;
        a->deadline_us = target;
        act(a, RTVCTL_ACT_SET_DEADLINE);
    } else if (host_dominates && r->deadline_us
               && r->host_mean_ns >= (uint64_t) r->deadline_us * 1000) {
        /* The sending host alone kept the misses longer than their whole
         * deadline: no network priority could have brought them in, and a
         * higher DSCP would only take priority from other flows. */
        snprintf(a->why, sizeof a->why, "%s, deadline at its floor, host "
                 "mean %"PRIu32" us >= the %"PRIu32" us deadline: "
                 "host-bound, a higher DSCP cannot help", ev,
                 r->host_mean_ns / 1000, r->deadline_us);
        a->cannot_help = true;
        return false;
    } else if (st->level + 1 < p->n_ladder) {
        size_t from = st->level;

        st->level = uses_top_rung(p, st) ? p->n_ladder - 1 : st->level + 1;
        snprintf(a->why, sizeof a->why, "%s, %s: escalate DSCP %u -> %u",
                 ev,
                 (host_dominates
                  ? "deadline at its floor"
                  : "network part dominates"),
                 p->dscp_ladder[from], p->dscp_ladder[st->level]);
        a->level = st->level;
        act(a, RTVCTL_ACT_SET_LEVEL);
    } else {
        snprintf(a->why, sizeof a->why, "%s at the top of the DSCP ladder: "
                 "nothing left to do", ev);
        return false;
    }
    stepped_up(p, st, now_ms);
    return true;
}

long long int
rtvctl_relax_due_ms(const struct rtvctl_policy *p,
                    const struct rtvctl_flow_state *st)
{
    long long int quiet_ms = (long long int) p->quiet_period_ms
                             * st->quiet_factor;

    if (!st->level
        && !(st->contract_us && st->effective_us < st->contract_us)) {
        return LLONG_MAX;
    }
    return MAX(st->last_miss_ms, st->last_change_ms) + quiet_ms;
}

bool
rtvctl_relax_is_due(const struct rtvctl_policy *p,
                    const struct rtvctl_flow_state *st, long long int now_ms)
{
    return now_ms >= rtvctl_relax_due_ms(p, st);
}

void
rtvctl_decide_relax(const struct rtvctl_policy *p,
                    struct rtvctl_flow_state *st, long long int now_ms,
                    struct rtvctl_action *a)
{
    memset(a, 0, sizeof *a);
    if (!rtvctl_relax_is_due(p, st, now_ms)) {
        return;
    }
    if (st->level > 0) {
        size_t from = st->level;

        st->level = uses_top_rung(p, st) ? 0 : st->level - 1;
        snprintf(a->why, sizeof a->why, "no misses for %lld ms: relax DSCP "
                 "%u -> %u", now_ms - st->last_miss_ms,
                 p->dscp_ladder[from], p->dscp_ladder[st->level]);
        a->level = st->level;
        act(a, RTVCTL_ACT_SET_LEVEL);
    } else if (st->contract_us && st->effective_us < st->contract_us) {
        snprintf(a->why, sizeof a->why, "no misses for %lld ms: relax "
                 "deadline %"PRIu64" -> %"PRIu64" us (contract)",
                 now_ms - st->last_miss_ms, st->effective_us,
                 st->contract_us);
        a->from_us = st->effective_us;
        st->effective_us = st->contract_us;
        st->host_floor_us = 0;  /* The host's other sources may have gone. */
        a->deadline_us = st->contract_us;
        act(a, RTVCTL_ACT_SET_DEADLINE);
    } else {
        return;
    }

    /* The flow's packets since the step up, as the window counts them; 0
     * if its rate is not known (then there is no bar).  The bar lasts the
     * policy's quiet period, not the flow's longer one: however high the
     * ratio it kept, the windowed rule is held back that long at most. */
    long long int quiet_ms = p->quiet_period_ms;
    double kept_packets = (now_ms > st->kept_from_ms
                           ? st->rate_pps * (now_ms - st->kept_from_ms)
                             / 1000.0
                           : 0);

    st->kept_ratio = kept_share(st->kept_misses, kept_packets);
    st->kept_risk_ratio = kept_share(st->kept_misses + st->kept_near,
                                     kept_packets);
    st->kept_until_ms = now_ms + quiet_ms;
    if (st->kept_risk_ratio > miss_target(p, st)) {
        size_t n = strlen(a->why);

        snprintf(a->why + n, sizeof a->why - n, "; it kept %"PRIu64
                 " misses and %"PRIu64" near misses of %.0f packets since "
                 "%lld ms after the step up (%.3f%%, at risk %.3f%%): the "
                 "windowed rule's bars for %lld ms", st->kept_misses,
                 st->kept_near, kept_packets, evidence_spread_ms(p),
                 st->kept_ratio * 100, st->kept_risk_ratio * 100, quiet_ms);
    }
    st->last_change_ms = now_ms;
    st->last_relax_ms = now_ms;
    near_episode_clear(st);
    window_clear(p, st, now_ms);
    if (!st->level && st->effective_us >= st->contract_us) {
        st->quiet_factor = 1;
        st->kept_from_ms = LLONG_MAX / 2;  /* At rest: nothing to keep. */
    } else {
        /* Still stepped up: the next relax's bar is what this level
         * keeps. */
        kept_restart(p, st, now_ms);
    }
}

const char *
rtvctl_stage_name(const struct rtvctl_flow_state *st)
{
    return (st->level ? "escalated"
            : st->contract_us && st->effective_us < st->contract_us
            ? "tightened" : "normal");
}
