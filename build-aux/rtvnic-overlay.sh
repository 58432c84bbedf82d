#!/bin/bash
# rtvnic-overlay.sh OVSDIR FILE...: links each of our FILEs into OVSDIR at
# the same relative path, so OVS's build compiles them in place.
set -e
ovs=$1
shift
top=$(pwd)
for f in "$@"; do
    [ -f "$f" ] || continue
    mkdir -p "$ovs/$(dirname "$f")"
    if [ "$(readlink "$ovs/$f")" != "$top/$f" ]; then
        ln -sfn "$top/$f" "$ovs/$f"
    fi
done
