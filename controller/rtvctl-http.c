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

#include "rtvctl-http.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <stdlib.h>
#include <string.h>

#include "openvswitch/dynamic-string.h"
#include "ovs-thread.h"
#include "util.h"

static struct ovs_mutex http_mutex = OVS_MUTEX_INITIALIZER;
static struct ds metrics_text OVS_GUARDED_BY(http_mutex)
    = DS_EMPTY_INITIALIZER;
static struct ds status_text OVS_GUARDED_BY(http_mutex)
    = DS_EMPTY_INITIALIZER;
static struct event_base *base;

static void
serve(struct evhttp_request *req, void *aux OVS_UNUSED)
{
    const char *uri = evhttp_request_get_uri(req);
    struct evbuffer *out = evbuffer_new();
    const char *type;
    struct ds *text;

    if (!strcmp(uri, "/metrics")) {
        text = &metrics_text;
        type = "text/plain; version=0.0.4";
    } else if (!strcmp(uri, "/status")) {
        text = &status_text;
        type = "application/json";
    } else {
        evbuffer_add_printf(out, "not found: try /metrics or /status\n");
        evhttp_send_reply(req, HTTP_NOTFOUND, "Not Found", out);
        evbuffer_free(out);
        return;
    }
    ovs_mutex_lock(&http_mutex);
    evbuffer_add(out, text->string ? text->string : "", text->length);
    ovs_mutex_unlock(&http_mutex);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                      type);
    evhttp_send_reply(req, HTTP_OK, "OK", out);
    evbuffer_free(out);
}

static void *
http_thread(void *aux OVS_UNUSED)
{
    event_base_dispatch(base);
    return NULL;
}

/* What one HTTP client may cost: /metrics and /status take no body and a
 * few short headers, so anything larger is an abuse; a client that has not
 * sent its request (or not read the reply) within the timeout is dropped, so
 * that slow clients cannot hold descriptors the OpenFlow side needs. */
#define HTTP_MAX_HEADERS_SIZE 8192
#define HTTP_MAX_BODY_SIZE 0
#define HTTP_TIMEOUT_S 10

/* Parses 'target', "[IP:]PORT" where IP is an IPv4 address, or an IPv6
 * address in brackets ("[::1]:9100").  Returns NULL and stores a malloc()ed
 * IP in '*ipp' and the port in '*portp', or an error message. */
static char *
parse_target(const char *target, char **ipp, unsigned int *portp)
{
    const char *port_s;
    char *ip = NULL;

    if (target[0] == '[') {
        const char *end = strchr(target, ']');

        if (!end || end[1] != ':') {
            return xasprintf("--http=%s: an IPv6 address needs the form "
                             "[IP]:PORT", target);
        }
        ip = xmemdup0(target + 1, end - target - 1);
        port_s = end + 2;
    } else {
        const char *colon = strrchr(target, ':');

        if (colon && strchr(target, ':') != colon) {
            return xasprintf("--http=%s: write an IPv6 address in brackets: "
                             "[IP]:PORT", target);
        }
        ip = colon ? xmemdup0(target, colon - target) : xstrdup("127.0.0.1");
        port_s = colon ? colon + 1 : target;
    }
    if (!str_to_uint(port_s, 10, portp) || *portp > 65535) {
        free(ip);
        return xasprintf("--http=%s: bad port", target);
    }
    *ipp = ip;
    return NULL;
}

/* Starts serving on 'target' (see parse_target()).  Returns NULL or an
 * error. */
char *
rtvctl_http_start(const char *target)
{
    unsigned int port;
    struct evhttp *http;
    char *error;
    char *ip = NULL;

    error = parse_target(target, &ip, &port);
    if (error) {
        return error;
    }
    base = event_base_new();
    http = evhttp_new(base);
    if (!http || evhttp_bind_socket(http, ip, port)) {
        free(ip);
        return xasprintf("--http=%s: cannot listen", target);
    }
    free(ip);
    evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
    evhttp_set_max_headers_size(http, HTTP_MAX_HEADERS_SIZE);
    evhttp_set_max_body_size(http, HTTP_MAX_BODY_SIZE);
    evhttp_set_timeout(http, HTTP_TIMEOUT_S);
    evhttp_set_gencb(http, serve, NULL);
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
