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

/* A deliberately small HTTP/1.1 server: one listening socket, nonblocking
 * client sockets, OVS's poll loop (which is per thread) in a thread of its
 * own.  Each connection carries one request: read until the blank line that
 * ends the headers, answer, shut down the sending side and drain until the
 * client closes.  Every state of a connection has the same deadline, set at
 * accept(), so a client that trickles its request byte by byte (slowloris)
 * or never reads its reply is dropped as surely as one that sends nothing. */

#include <config.h>

#include "rtvctl-http.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "coverage.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/list.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/vlog.h"
#include "ovs-thread.h"
#include "socket-util.h"
#include "timeval.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(rtvctl_http);

COVERAGE_DEFINE(rtvctl_http_refused);
COVERAGE_DEFINE(rtvctl_http_timeout);

static struct ovs_mutex http_mutex = OVS_MUTEX_INITIALIZER;
static struct ds metrics_text OVS_GUARDED_BY(http_mutex)
    = DS_EMPTY_INITIALIZER;
static struct ds status_text OVS_GUARDED_BY(http_mutex)
    = DS_EMPTY_INITIALIZER;

/* Owned by the HTTP thread once started. */
static int listen_fd = -1;
static int http_timeout_ms;
static int http_max_conns;
static struct ovs_list http_conns = OVS_LIST_INITIALIZER(&http_conns);
static int n_http_conns;
static unsigned long long int n_refused, n_timeouts, n_rejected;

/* A burst of 5, then one message per 5 seconds. */
static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(12, 5);
static struct vlog_rate_limit refused_rl = VLOG_RATE_LIMIT_INIT(12, 5);

enum http_state {
    HTTP_READING,       /* Reading the request. */
    HTTP_WRITING,       /* Sending the reply. */
    HTTP_DRAINING,      /* Reply sent and shut down: waiting for EOF. */
};

struct http_conn {
    struct ovs_list node;       /* In 'http_conns'. */
    int fd;
    enum http_state state;
    long long int deadline;     /* Closed at this time, whatever its state. */
    char in[RTVCTL_HTTP_MAX_HEADERS + 1];
    size_t n_in;
    struct ds out;
    size_t out_ofs;
};

static void
http_conn_close(struct http_conn *conn)
{
    ovs_list_remove(&conn->node);
    close(conn->fd);
    ds_destroy(&conn->out);
    free(conn);
    n_http_conns--;
}

/* Queues the reply 'status' 'reason' with 'body' (of type 'type'), omitted
 * for HEAD ('head'); 'extra' holds further header lines, or is NULL. */
static void
http_reply(struct http_conn *conn, int status, const char *reason,
           const char *type, const char *extra, const char *body, size_t n,
           bool head)
{
    if (status >= 400) {
        n_rejected++;
    }
    ds_put_format(&conn->out, "HTTP/1.1 %d %s\r\n"
                  "Content-Type: %s\r\n"
                  "Content-Length: %"PRIuSIZE"\r\n"
                  "Connection: close\r\n"
                  "%s\r\n",
                  status, reason, type, n, extra ? extra : "");
    if (!head) {
        ds_put_buffer(&conn->out, body, n);
    }
    conn->state = HTTP_WRITING;
}

static void
http_reply_error(struct http_conn *conn, int status, const char *reason,
                 const char *extra)
{
    char *body = xasprintf("%d %s\n", status, reason);

    http_reply(conn, status, reason, "text/plain", extra, body, strlen(body),
               false);
    free(body);
}

/* Returns the value of header 'name' in the header lines 'headers' (each
 * ended by "\r\n" or "\n", the last one followed by a NUL), or NULL. */
static const char *
find_header(const char *headers, const char *name, size_t *lenp)
{
    size_t name_len = strlen(name);
    const char *p = headers;

    while (*p) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? eol - p : strlen(p);

        if (len > name_len && p[name_len] == ':'
            && !strncasecmp(p, name, name_len)) {
            const char *v = p + name_len + 1;
            const char *end = p + len;

            v += strspn(v, " \t");
            while (end > v && strchr("\r \t", end[-1])) {
                end--;
            }
            *lenp = end - v;
            return v;
        }
        p += len + (eol != NULL);
    }
    return NULL;
}

/* Answers the complete request in 'conn->in' (NUL-terminated). */
static void
http_handle(struct http_conn *conn)
{
    char *line_end = strchr(conn->in, '\n');
    char *method, *target, *version, *save_ptr = NULL;
    const char *headers = line_end + 1;
    const char *v;
    size_t len;

    *line_end = '\0';
    method = strtok_r(conn->in, " \r", &save_ptr);
    target = method ? strtok_r(NULL, " \r", &save_ptr) : NULL;
    version = target ? strtok_r(NULL, " \r", &save_ptr) : NULL;
    if (!version || strncmp(version, "HTTP/1.", 7)
        || strtok_r(NULL, " \r", &save_ptr)) {
        http_reply_error(conn, 400, "Bad Request", NULL);
        return;
    }

    bool head = !strcmp(method, "HEAD");
    if (!head && strcmp(method, "GET")) {
        http_reply_error(conn, 405, "Method Not Allowed",
                         "Allow: GET, HEAD\r\n");
        return;
    }
    /* GET and HEAD take no body; one announced is refused rather than left
     * unread. */
    v = find_header(headers, "Content-Length", &len);
    if ((v && (len != 1 || v[0] != '0'))
        || find_header(headers, "Transfer-Encoding", &len)) {
        http_reply_error(conn, 413, "Content Too Large", NULL);
        return;
    }

    target[strcspn(target, "?")] = '\0';
    const struct ds *text;
    const char *type;
    if (!strcmp(target, "/metrics")) {
        text = &metrics_text;
        type = "text/plain; version=0.0.4; charset=utf-8";
    } else if (!strcmp(target, "/status")) {
        text = &status_text;
        type = "application/json";
    } else {
        static const char msg[] = "not found: try /metrics or /status\n";

        http_reply(conn, 404, "Not Found", "text/plain", NULL, msg,
                   strlen(msg), head);
        return;
    }

    struct ds body = DS_EMPTY_INITIALIZER;
    ovs_mutex_lock(&http_mutex);
    ds_put_buffer(&body, text->string ? text->string : "", text->length);
    ovs_mutex_unlock(&http_mutex);
    if (text == &metrics_text) {
        /* The HTTP server's own counters, which only this thread knows. */
        ds_put_format(&body,
            "# HELP rtvctl_http_connections_refused_total HTTP connections "
            "closed at once because --http-max-conns were open.\n"
            "# TYPE rtvctl_http_connections_refused_total counter\n"
            "rtvctl_http_connections_refused_total %llu\n"
            "# HELP rtvctl_http_timeouts_total HTTP connections closed "
            "because the request or the reply took longer than "
            "--http-timeout.\n"
            "# TYPE rtvctl_http_timeouts_total counter\n"
            "rtvctl_http_timeouts_total %llu\n"
            "# HELP rtvctl_http_requests_rejected_total HTTP requests "
            "answered with an error status.\n"
            "# TYPE rtvctl_http_requests_rejected_total counter\n"
            "rtvctl_http_requests_rejected_total %llu\n",
            n_refused, n_timeouts, n_rejected);
    }
    http_reply(conn, 200, "OK", type, NULL, ds_cstr(&body), body.length,
               head);
    ds_destroy(&body);
}

/* Makes progress on 'conn'.  Returns false if it is finished and must be
 * closed. */
static bool
http_conn_run(struct http_conn *conn, long long int now)
{
    if (now >= conn->deadline) {
        n_timeouts++;
        COVERAGE_INC(rtvctl_http_timeout);
        VLOG_INFO_RL(&rl, "HTTP client closed after %d ms (%s)",
                     http_timeout_ms,
                     conn->state == HTTP_READING ? "incomplete request"
                     : conn->state == HTTP_WRITING ? "reply not read"
                     : "did not close");
        return false;
    }

    if (conn->state == HTTP_READING) {
        size_t room = sizeof conn->in - 1 - conn->n_in;
        ssize_t n = recv(conn->fd, conn->in + conn->n_in, room, 0);

        if (n < 0) {
            return errno == EAGAIN || errno == EINTR;
        } else if (n == 0) {
            return false;
        }
        conn->n_in += n;
        conn->in[conn->n_in] = '\0';
        if (strstr(conn->in, "\r\n\r\n") || strstr(conn->in, "\n\n")) {
            http_handle(conn);
        } else if (conn->n_in >= sizeof conn->in - 1) {
            http_reply_error(conn, 431, "Request Header Fields Too Large",
                             NULL);
        } else {
            return true;
        }
    }

    if (conn->state == HTTP_WRITING) {
        while (conn->out_ofs < conn->out.length) {
            ssize_t n = send(conn->fd, conn->out.string + conn->out_ofs,
                             conn->out.length - conn->out_ofs, MSG_NOSIGNAL);
            if (n < 0) {
                return errno == EAGAIN || errno == EINTR;
            }
            conn->out_ofs += n;
        }
        /* Closing a socket with unread input would send an RST that could
         * destroy the reply before the client reads it: end the reply with
         * a FIN and wait for the client's. */
        shutdown(conn->fd, SHUT_WR);
        conn->state = HTTP_DRAINING;
    }

    if (conn->state == HTTP_DRAINING) {
        char buf[4096];

        for (;;) {
            ssize_t n = recv(conn->fd, buf, sizeof buf, 0);

            if (n < 0) {
                return errno == EAGAIN || errno == EINTR;
            } else if (n == 0) {
                return false;
            }
        }
    }
    return true;
}

static void
http_accept(long long int now)
{
    for (;;) {
        int fd = accept(listen_fd, NULL, NULL);

        if (fd < 0) {
            if (errno != EAGAIN && errno != EINTR) {
                VLOG_WARN_RL(&rl, "HTTP accept failed (%s)",
                             ovs_strerror(errno));
            }
            return;
        }
        if (n_http_conns >= http_max_conns) {
            n_refused++;
            COVERAGE_INC(rtvctl_http_refused);
            VLOG_WARN_RL(&refused_rl, "HTTP connection refused: %d open, "
                         "the most allowed (--http-max-conns) (%llu refused "
                         "so far)", n_http_conns, n_refused);
            close(fd);
            continue;
        }
        if (set_nonblocking(fd)) {
            close(fd);
            continue;
        }

        struct http_conn *conn = xzalloc(sizeof *conn);
        conn->fd = fd;
        conn->state = HTTP_READING;
        conn->deadline = now + http_timeout_ms;
        ds_init(&conn->out);
        ovs_list_push_back(&http_conns, &conn->node);
        n_http_conns++;
    }
}

static void *
http_thread(void *aux OVS_UNUSED)
{
    for (;;) {
        long long int now = time_msec();
        struct http_conn *conn;

        /* Connections that ended (a client's FIN, a deadline) are reaped
         * before new ones are accepted: a client that closed and a new one
         * that connected right after it wake this thread once, and the
         * cap must count only the connections still open. */
        LIST_FOR_EACH_SAFE (conn, node, &http_conns) {
            if (!http_conn_run(conn, now)) {
                http_conn_close(conn);
            }
        }
        http_accept(now);

        poll_fd_wait(listen_fd, POLLIN);
        LIST_FOR_EACH (conn, node, &http_conns) {
            poll_fd_wait(conn->fd, (conn->state == HTTP_WRITING
                                    ? POLLOUT : POLLIN));
            poll_timer_wait_until(conn->deadline);
        }
        poll_block();
    }
    return NULL;
}

/* Parses 'target', "[HOST:]PORT" where HOST is a host name, an IPv4 address,
 * or an IPv6 address in brackets ("[::1]:9100"), 127.0.0.1 if omitted.
 * Returns NULL and stores malloc()ed strings in '*hostp' and '*portp', or an
 * error message. */
static char *
parse_target(const char *target, char **hostp, char **portp)
{
    const char *port_s;
    unsigned int port;
    char *host;

    if (target[0] == '[') {
        const char *end = strchr(target, ']');

        if (!end || end[1] != ':') {
            return xasprintf("--http=%s: an IPv6 address needs the form "
                             "[IP]:PORT", target);
        }
        host = xmemdup0(target + 1, end - target - 1);
        port_s = end + 2;
    } else {
        const char *colon = strrchr(target, ':');

        if (colon && strchr(target, ':') != colon) {
            return xasprintf("--http=%s: write an IPv6 address in brackets: "
                             "[IP]:PORT", target);
        }
        host = (colon ? xmemdup0(target, colon - target)
                : xstrdup("127.0.0.1"));
        port_s = colon ? colon + 1 : target;
    }
    if (!host[0]) {
        free(host);
        return xasprintf("--http=%s: bad host", target);
    }
    if (!str_to_uint(port_s, 10, &port) || port > 65535) {
        free(host);
        return xasprintf("--http=%s: bad port", target);
    }
    *hostp = host;
    *portp = xstrdup(port_s);
    return NULL;
}

/* Binds and listens on the first address of 'host' and 'port' that
 * works. */
static char *
open_listener(const char *target, const char *host, const char *port)
{
    struct addrinfo hints = {
        .ai_flags = AI_PASSIVE | AI_NUMERICSERV,
        .ai_family = AF_UNSPEC,
        .ai_socktype = SOCK_STREAM,
    };
    struct addrinfo *res;
    int error = 0;

    int gai = getaddrinfo(host, port, &hints, &res);
    if (gai) {
        return xasprintf("--http=%s: %s", target, gai_strerror(gai));
    }
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        int on = 1;

        if (fd < 0) {
            error = errno;
            continue;
        }
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
        if (ai->ai_family == AF_INET6) {
            /* "[::]:PORT" means IPv6 and IPv4 alike only if the system says
             * so; an explicit address is that address. */
            setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
        }
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 64)
            || set_nonblocking(fd)) {
            error = errno;
            close(fd);
            continue;
        }
        listen_fd = fd;

        /* The address and port, which the kernel chose for port 0. */
        struct sockaddr_storage ss;
        socklen_t len = sizeof ss;
        if (!getsockname(fd, (struct sockaddr *) &ss, &len)) {
            struct ds addr = DS_EMPTY_INITIALIZER;

            ss_format_address(&ss, &addr);
            VLOG_INFO("HTTP: listening on %s:%"PRIu16, ds_cstr(&addr),
                      ss_get_port(&ss));
            ds_destroy(&addr);
        }
        break;
    }
    freeaddrinfo(res);
    return (listen_fd < 0
            ? xasprintf("--http=%s: cannot listen (%s)", target,
                        ovs_strerror(error))
            : NULL);
}

/* Starts serving on 'target' (see parse_target()), closing any connection
 * still open 'timeout_s' seconds after it was accepted and keeping at most
 * 'max_conns' open.  Returns NULL or an error. */
char *
rtvctl_http_start(const char *target, int timeout_s, int max_conns)
{
    char *host = NULL, *port = NULL;
    char *error;

    ovs_assert(timeout_s > 0 && max_conns > 0);
    error = parse_target(target, &host, &port);
    if (!error) {
        error = open_listener(target, host, port);
        free(host);
        free(port);
    }
    if (error) {
        return error;
    }
    http_timeout_ms = timeout_s * 1000;
    http_max_conns = max_conns;
    ovs_thread_create("rtvctl_http", http_thread, NULL);
    return NULL;
}

/* Replaces the texts served, taking the contents of 'metrics' and
 * 'status'. */
void
rtvctl_http_publish(struct ds *metrics, struct ds *status)
{
    ovs_mutex_lock(&http_mutex);
    ds_swap(&metrics_text, metrics);
    ds_swap(&status_text, status);
    ovs_mutex_unlock(&http_mutex);
    ds_destroy(metrics);
    ds_destroy(status);
}
