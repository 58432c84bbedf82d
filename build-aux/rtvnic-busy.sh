#!/bin/bash
# rtvnic-busy.sh COMMAND [ARG...]: runs COMMAND while /tmp/rtvnic-dpdk-busy
# exists, so that timing-sensitive benchmarks running on the same machine
# can tell that a busy-polling PMD thread or a heavy compile is competing for
# the CPUs.  The file holds the PID of this script; it is removed afterwards
# only if no enclosing rtvnic-busy.sh created it; a file whose PID is not
# running is stale (its job was killed) and is taken over.  Exits with
# COMMAND's status.
busy=/tmp/rtvnic-dpdk-busy
mine=
if [ ! -e "$busy" ] || ! kill -0 "$(cat "$busy" 2>/dev/null)" 2>/dev/null; then
    echo $$ > "$busy"
    mine=yes
fi
cleanup() {
    if [ -n "$mine" ] && [ "$(cat "$busy" 2>/dev/null)" = $$ ]; then
        rm -f "$busy"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
"$@"
