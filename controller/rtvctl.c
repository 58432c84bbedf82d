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

/* rtvctl: the RTvNIC controller.
 *
 * Holds OpenFlow connections to the bridges of every host (and of the
 * network switches its policy names) and hands what they send to the
 * controller's core (rtvctl-core.h), which decides per flow and acts: this
 * file is the plumbing around it, options, the rconns and listeners, the
 * unixctl commands and the HTTP server for /metrics and /status
 * (rtvctl-http.h).  With --db, the instance is one of an active/standby
 * group on a (clustered) OVSDB (rtvctl-ha.h). */

#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "command-line.h"
#include "daemon.h"
#include "fatal-signal.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/ofp-protocol.h"
#include "openvswitch/ofpbuf.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/rconn.h"
#include "openvswitch/vconn.h"
#include "openvswitch/vlog.h"
#include "rtvctl-conns.h"
#include "rtvctl-core.h"
#include "rtvctl-ha.h"
#include "rtvctl-http.h"
#include "rtvctl-policy.h"
#include "socket-util.h"
#include "stream-ssl.h"
#include "timeval.h"
#include "unixctl.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(rtvctl_main);

static struct rtvctl_policy policy;
static char *policy_file;
static char *http_target;
static int http_timeout_s = RTVCTL_HTTP_DEFAULT_TIMEOUT_S;
static int http_max_conns = RTVCTL_HTTP_DEFAULT_MAX_CONNS;
/* Seconds of silence on a switch connection before an echo request, and
 * as long again for the reply before the connection is dropped (0: never,
 * else at least 5, as rconn enforces). */
static int probe_interval = 5;
static char *unixctl_path;
static char *db_remotes;
static struct rtvctl_ha *ha;
static struct rtvctl_conns *conns;
static struct rtvctl_core *core;
static bool exiting;

static void parse_options(int argc, char *argv[]);
OVS_NO_RETURN static void usage(void);

static void
rtvctl_unixctl_show(struct unixctl_conn *conn, int argc OVS_UNUSED,
                    const char *argv[] OVS_UNUSED, void *aux OVS_UNUSED)
{
    struct ds s = DS_EMPTY_INITIALIZER;

    rtvctl_core_format_show(core, &s);
    if (ha) {
        rtvctl_ha_format_status(ha, &s);
    }
    unixctl_command_reply(conn, ds_cstr(&s));
    ds_destroy(&s);
}

/* rtvctl/ha-hold-writes on|off: testing only, see rtvctl-ha.h. */
static void
rtvctl_unixctl_hold_writes(struct unixctl_conn *conn, int argc OVS_UNUSED,
                           const char *argv[], void *aux OVS_UNUSED)
{
    if (!ha) {
        unixctl_command_reply_error(conn, "not running with --db");
    } else if (!strcmp(argv[1], "on") || !strcmp(argv[1], "off")) {
        rtvctl_ha_hold_writes(ha, !strcmp(argv[1], "on"));
        unixctl_command_reply(conn, NULL);
    } else {
        unixctl_command_reply_error(conn, "argument must be on or off");
    }
}

static void
rtvctl_unixctl_exit(struct unixctl_conn *conn, int argc OVS_UNUSED,
                    const char *argv[] OVS_UNUSED, void *aux OVS_UNUSED)
{
    exiting = true;
    unixctl_command_reply(conn, NULL);
}

#define MAX_LISTENERS 16

int
main(int argc, char *argv[])
{
    struct pvconn *listeners[MAX_LISTENERS];
    struct unixctl_server *unixctl;
    long long int next_publish = 0;
    int n_listeners = 0;
    int retval;
    char *error;

    ovs_cmdl_proctitle_init(argc, argv);
    set_program_name(argv[0]);
    service_start(&argc, &argv);
    parse_options(argc, argv);
    fatal_ignore_sigpipe();

    if (policy_file) {
        error = rtvctl_policy_from_file(policy_file, &policy);
        if (error) {
            ovs_fatal(0, "invalid policy: %s", error);
        }
    } else {
        rtvctl_policy_init_default(&policy);
    }
    core = rtvctl_core_create(&policy);
    conns = rtvctl_conns_create(core);
    if (db_remotes) {
        ha = rtvctl_ha_create(db_remotes, core);
    }
    if (argc - optind < 1) {
        ovs_fatal(0, "at least one connection method required; "
                  "use --help for usage");
    }

    for (int i = optind; i < argc; i++) {
        const char *name = argv[i];
        uint32_t versions = OFPUTIL_DEFAULT_VERSIONS;
        struct pvconn *pvconn;

        if (!vconn_verify_name(name)) {
            struct rconn *rconn = rconn_create(probe_interval, 8, DSCP_DEFAULT,
                                               versions);

            rconn_connect(rconn, name, name);
            rtvctl_conns_add(conns, rconn);
        } else if (!pvconn_verify_name(name)) {
            retval = pvconn_open(name, versions, DSCP_DEFAULT, &pvconn);
            if (retval) {
                ovs_fatal(retval, "%s: listen failed", name);
            }
            if (n_listeners >= MAX_LISTENERS) {
                ovs_fatal(0, "at most %d listeners", MAX_LISTENERS);
            }
            listeners[n_listeners++] = pvconn;
        } else {
            ovs_fatal(0, "%s: not an OpenFlow connection method", name);
        }
    }

    daemonize_start(false);
    retval = unixctl_server_create(unixctl_path, &unixctl);
    if (retval) {
        exit(EXIT_FAILURE);
    }
    unixctl_command_register("rtvctl/show", "", 0, 0, rtvctl_unixctl_show,
                             NULL);
    unixctl_command_register("exit", "", 0, 0, rtvctl_unixctl_exit, NULL);
    unixctl_command_register("rtvctl/ha-hold-writes", "on|off", 1, 1,
                             rtvctl_unixctl_hold_writes, NULL);
    if (http_target) {
        error = rtvctl_http_start(http_target, http_timeout_s,
                                  http_max_conns);
        if (error) {
            ovs_fatal(0, "%s", error);
        }
    }
    daemonize_complete();
    VLOG_INFO("rtvctl started: report interval %"PRIu32" ms, DSCP ladder of "
              "%"PRIuSIZE" steps, %"PRIuSIZE" hosts, %"PRIuSIZE" network "
              "switches", policy.report_interval_ms, policy.n_ladder,
              policy.n_hosts, policy.n_netswitches);

    while (!exiting) {
        for (int i = 0; i < n_listeners; i++) {
            struct vconn *vconn;

            while (!pvconn_accept(listeners[i], &vconn)) {
                struct rconn *rconn = rconn_create(probe_interval, 0,
                                                   DSCP_DEFAULT,
                                                   OFPUTIL_DEFAULT_VERSIONS);

                rconn_connect_unreliably(rconn, vconn, NULL);
                rtvctl_conns_add(conns, rconn);
            }
        }
        rtvctl_conns_run(conns);

        rtvctl_core_run(core);
        if (ha) {
            /* After the core, so that what it did this iteration is
             * written at once. */
            rtvctl_ha_run(ha);
        }
        long long int now = time_msec();
        if (http_target && now >= next_publish) {
            struct ds metrics = DS_EMPTY_INITIALIZER;
            struct ds status = DS_EMPTY_INITIALIZER;

            rtvctl_core_format_metrics(core, &metrics);
            rtvctl_core_format_status(core, &status);
            rtvctl_http_publish(&metrics, &status);
            next_publish = now + 100;
        }
        unixctl_server_run(unixctl);

        for (int i = 0; i < n_listeners; i++) {
            pvconn_wait(listeners[i]);
        }
        rtvctl_core_wait(core);
        if (ha) {
            rtvctl_ha_wait(ha);
        }
        if (http_target) {
            poll_timer_wait_until(next_publish);
        }
        unixctl_server_wait(unixctl);
        /* Last: everything that may send to a switch has run. */
        rtvctl_conns_wait(conns);
        poll_block();
    }

    /* 'listeners' goes out of scope with main(): close them, or a leak
     * checker counts them as lost. */
    for (int i = 0; i < n_listeners; i++) {
        pvconn_close(listeners[i]);
    }
    unixctl_server_destroy(unixctl);
    rtvctl_ha_destroy(ha);
    rtvctl_conns_destroy(conns);
    return 0;
}

static void
parse_options(int argc, char *argv[])
{
    enum {
        OPT_POLICY = UCHAR_MAX + 1,
        OPT_HTTP,
        OPT_HTTP_TIMEOUT,
        OPT_HTTP_MAX_CONNS,
        OPT_INACTIVITY_PROBE,
        OPT_UNIXCTL,
        OPT_PEER_CA_CERT,
        OPT_DB,
        VLOG_OPTION_ENUMS,
        DAEMON_OPTION_ENUMS,
        SSL_OPTION_ENUMS,
    };
    static const struct option long_options[] = {
        {"policy", required_argument, NULL, OPT_POLICY},
        {"http", required_argument, NULL, OPT_HTTP},
        {"http-timeout", required_argument, NULL, OPT_HTTP_TIMEOUT},
        {"http-max-conns", required_argument, NULL, OPT_HTTP_MAX_CONNS},
        {"inactivity-probe", required_argument, NULL, OPT_INACTIVITY_PROBE},
        {"unixctl", required_argument, NULL, OPT_UNIXCTL},
        {"db", required_argument, NULL, OPT_DB},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {"peer-ca-cert", required_argument, NULL, OPT_PEER_CA_CERT},
        DAEMON_LONG_OPTIONS,
        VLOG_LONG_OPTIONS,
        STREAM_SSL_LONG_OPTIONS,
        {NULL, 0, NULL, 0},
    };
    /* Static: an option that exits from inside the loop (a bad value,
     * --help, --version) leaves it reachable rather than leaked. */
    static char *short_options;

    short_options = ovs_cmdl_long_options_to_short_options(long_options);

    for (;;) {
        int c = getopt_long(argc, argv, short_options, long_options, NULL);
        if (c == -1) {
            break;
        }
        switch (c) {
        case OPT_POLICY:
            policy_file = optarg;
            break;
        case OPT_HTTP:
            http_target = optarg;
            break;
        case OPT_HTTP_TIMEOUT:
            if (!str_to_int(optarg, 10, &http_timeout_s)
                || http_timeout_s < 1 || http_timeout_s > 3600) {
                ovs_fatal(0, "--http-timeout=%s: not a number of seconds "
                          "from 1 to 3600", optarg);
            }
            break;
        case OPT_HTTP_MAX_CONNS:
            if (!str_to_int(optarg, 10, &http_max_conns)
                || http_max_conns < 1 || http_max_conns > 1024) {
                ovs_fatal(0, "--http-max-conns=%s: not a number from 1 to "
                          "1024", optarg);
            }
            break;
        case OPT_INACTIVITY_PROBE:
            if (!str_to_int(optarg, 10, &probe_interval)
                || (probe_interval && probe_interval < 5)
                || probe_interval > 3600) {
                ovs_fatal(0, "--inactivity-probe=%s: not 0 or a number of "
                          "seconds from 5 to 3600", optarg);
            }
            break;
        case OPT_UNIXCTL:
            unixctl_path = optarg;
            break;
        case OPT_DB:
            db_remotes = optarg;
            break;
        case 'h':
            usage();
        case 'V':
            ovs_print_version(0, 0);
            exit(EXIT_SUCCESS);
        case OPT_PEER_CA_CERT:
            stream_ssl_set_peer_ca_cert_file(optarg);
            break;
        VLOG_OPTION_HANDLERS
        DAEMON_OPTION_HANDLERS
        STREAM_SSL_OPTION_HANDLERS
        case '?':
            exit(EXIT_FAILURE);
        default:
            OVS_NOT_REACHED();
        }
    }
    free(short_options);
    short_options = NULL;
}

static void
usage(void)
{
    printf("%s: the RTvNIC controller\n"
           "usage: %s [OPTIONS] METHOD...\n"
           "where METHOD is an active (tcp:HOST:PORT, unix:FILE) or passive\n"
           "(ptcp:PORT, punix:FILE) OpenFlow connection method.\n",
           program_name, program_name);
    vconn_usage(true, true, true);
    daemon_usage();
    vlog_usage();
    printf("\nOther options:\n"
           "  --policy=FILE           policy (JSON), see rtvctl(8)\n"
           "  --http=[HOST:]PORT      serve /metrics and /status over HTTP\n"
           "                          (HOST: 127.0.0.1, [IPv6] or a name)\n"
           "  --http-timeout=SECS     close HTTP clients after SECS (10)\n"
           "  --http-max-conns=N      at most N HTTP clients at once (16)\n"
           "  --inactivity-probe=SECS echo a silent switch after SECS (5)\n"
           "  --unixctl=SOCKET        override default control socket name\n"
           "  --db=REMOTE[,REMOTE...] active/standby on this OVSDB (cluster)\n"
           "  -h, --help              display this help message\n"
           "  -V, --version           display version information\n");
    exit(EXIT_SUCCESS);
}
