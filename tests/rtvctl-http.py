#! /usr/bin/env python3
# Copyright (c) 2026 RTvNIC authors.
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at:
#
#     http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.

"""An HTTP client that misbehaves on purpose, for rtvctl's HTTP tests.

  request HOST PORT METHOD PATH [--pad N] [--body N] [--show HEADER]
      one request (N bytes of padding in a header, a body of N bytes);
      prints the status code and the values of the headers asked for
  get HOST PORT PATH
      prints the body of a GET
  slowloris HOST PORT INTERVAL MIN MAX
      sends a request one byte every INTERVAL seconds, never finishing it;
      prints "closed in [MIN, MAX) s" if the server closed it that many
      seconds after the connection, else what happened
  hold HOST PORT N SECONDS
      opens N connections that send nothing, then makes one request more
      and prints "extra: closed" if the server closed that one without a
      reply, else "extra: " and its status line; then prints "ready", holds
      the N SECONDS (or until the server closes them) and prints how many
      the server closed.  The extra request comes from the same process
      right after the N, so the server's connection timeout cannot run out
      in between however slowly a loaded machine starts processes.
"""

import socket
import sys
import time


def connect(host, port):
    return socket.create_connection((host, int(port)), timeout=10)


def read_all(s):
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            return data
        data += chunk


def extra_request(host, port):
    """Connects and sends a request; returns "closed" if the server closed
    the connection without a reply, else the status line."""
    s = connect(host, port)
    try:
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        reply = read_all(s)
    except OSError:
        reply = b""
    s.close()
    return reply.split(b"\r\n")[0].decode() if reply else "closed"


def request(host, port, method, path, args):
    pad = body = 0
    show = []
    while args:
        opt, val = args[0], args[1]
        args = args[2:]
        if opt == "--pad":
            pad = int(val)
        elif opt == "--body":
            body = int(val)
        elif opt == "--show":
            show.append(val.lower())
    req = "%s %s HTTP/1.1\r\nHost: %s\r\n" % (method, path, host)
    if pad:
        req += "X-Pad: %s\r\n" % ("x" * pad)
    if body:
        req += "Content-Length: %d\r\n" % body
    req += "\r\n" + "b" * body
    s = connect(host, port)
    try:
        s.sendall(req.encode())
    except OSError:
        pass
    reply = read_all(s).decode(errors="replace")
    head = reply.split("\r\n\r\n")[0].split("\r\n")
    print(head[0].split()[1])
    for line in head[1:]:
        name, _, value = line.partition(":")
        if name.lower() in show:
            print("%s: %s" % (name, value.strip()))


def main():
    cmd, host, port = sys.argv[1:4]
    args = sys.argv[4:]
    if cmd == "request":
        request(host, port, args[0], args[1], args[2:])
    elif cmd == "get":
        s = connect(host, port)
        s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % args[0]).encode())
        reply = read_all(s).decode()
        head, _, body = reply.partition("\r\n\r\n")
        if head.split()[1] != "200":
            sys.exit("status %s" % head.split()[1])
        sys.stdout.write(body)
    elif cmd == "slowloris":
        interval = float(args[0])
        start = time.time()
        s = connect(host, port)
        req = b"GET /metrics HTTP/1.1\r\nX-Slow: " + b"x" * 10000
        for i in range(len(req)):
            try:
                s.sendall(req[i:i + 1])
                s.settimeout(interval)
                if s.recv(1) == b"":
                    break
            except socket.timeout:
                continue
            except OSError:
                break
        else:
            print("never closed")
            return
        elapsed = time.time() - start
        lo, hi = float(args[1]), float(args[2])
        if lo <= elapsed < hi:
            print("closed in [%s, %s) s" % (args[1], args[2]))
        else:
            print("closed after %.3f s" % elapsed)
    elif cmd == "hold":
        n, seconds = int(args[0]), float(args[1])
        conns = [connect(host, port) for _ in range(n)]
        print("extra: %s" % extra_request(host, port))
        print("ready", flush=True)
        closed = 0
        end = time.time() + seconds
        for s in conns:
            s.settimeout(max(0.01, end - time.time()))
            try:
                if s.recv(1) == b"":
                    closed += 1
            except socket.timeout:
                pass
            except OSError:
                closed += 1
        print("closed %d" % closed)
    else:
        sys.exit("unknown command %s" % cmd)


if __name__ == "__main__":
    main()
