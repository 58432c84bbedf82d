#!/bin/bash
# rtvnic-export-patches.sh OVSDIR PATCHDIR: writes the commits pristine..HEAD
# of OVSDIR as PATCHDIR/NNNN-*.patch plus PATCHDIR/series, and records them as
# applied so the next build does not re-apply them.
set -e
ovs=$1
export GIT_DIR=$(cd "$ovs" && pwd).git GIT_WORK_TREE=$(cd "$ovs" && pwd)
patches=$(cd "$2" && pwd)
cd "$ovs"
if ! git diff --quiet HEAD; then
    echo "rtvnic: uncommitted changes in $ovs are not exported" >&2
fi
rm -f "$patches"/*.patch
git format-patch -q --no-signature --zero-commit -N -o "$patches" pristine..HEAD
(cd "$patches" && ls *.patch 2>/dev/null > series || : > series)
sum=$(cd "$patches" && { cat series; for p in $(cat series); do
          cat "$p"; done; } | sha1sum | cut -d' ' -f1)
echo "$sum" > "$GIT_DIR/rtvnic-series"
touch .patched
echo "rtvnic: exported $(wc -l < "$patches/series") patches to $patches"
