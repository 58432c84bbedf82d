#!/bin/bash
# rtvnic-apply-patches.sh OVSDIR PATCHDIR: brings OVSDIR to "pristine + every
# patch in PATCHDIR/series", one commit per patch.  Does nothing when the
# series already applied is the current one, so rebuilds stay incremental.
set -e
ovs=$1
export GIT_DIR=$(cd "$ovs" && pwd).git GIT_WORK_TREE=$(cd "$ovs" && pwd)
patches=$(cd "$2" && pwd)

sum=$(cd "$patches" && { cat series; for p in $(grep -v '^#' series); do
          cat "$p"; done; } | sha1sum | cut -d' ' -f1)
stamp=$GIT_DIR/rtvnic-series
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sum" ]; then
    exit 0
fi

cd "$ovs"
if ! git diff --quiet HEAD; then
    echo "rtvnic: $ovs has uncommitted changes to OVS files; commit them" \
         "and run 'make patches', or discard them, before re-applying" >&2
    exit 1
fi
git reset -q --hard pristine
for p in $(grep -v '^#' "$patches/series"); do
    if ! git am -q --whitespace=nowarn "$patches/$p"; then
        git am --abort || true
        echo "rtvnic: patch $p does not apply to OVS" \
             "$(git log -1 --format=%s pristine)" >&2
        exit 1
    fi
done
echo "$sum" > "$stamp"
echo "rtvnic: applied $(grep -vc '^#' "$patches/series") patches"
