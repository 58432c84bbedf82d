#!/bin/bash
# rtvnic-deb.sh OUTDIR FILE...: builds RTvNIC's Debian 12 binary packages.
#
# OUTDIR (build/deb) gets a fresh copy of OVS 3.1.0 as Debian ships it
# (openvswitch-source, Debian's debian/ included), with ovs-patches/series
# applied and our FILEs (the overlay: lib/, vswitchd/, controller/, ...)
# copied in at their relative paths, then packaging/debian/ overlaid onto
# its debian/:
#   NAME.append   appended to debian/NAME (control: the rtvctl stanza;
#                 openvswitch-switch.install: our files in that package);
#   other files   copied to debian/ (they must not exist there: OVS's own
#                 files are changed only by patches in ovs-patches/).
# The libvirt hook and the vswitchd scheduling helper come from utilities/.
# A changelog entry RTVNIC_DEB_VERSION (default below) sorts above Debian's
# 3.1.0-2+deb12u1, so apt upgrades the stock packages to ours.
#
# dpkg-buildpackage -b with the build profile pkg.openvswitch.nodpdk (patch
# 0027: no second, DPDK build), DEB_BUILD_OPTIONS="nocheck parallel=2" and
# ccache.  The packages a hypervisor needs stay in OUTDIR (listed in
# OUTDIR/packages); the others dpkg-buildpackage makes anyway go to
# OUTDIR/other/.  lintian runs over the kept ones (OUTDIR/lintian.txt); an
# error (E:) fails the build.
#
# When the inputs (patches, overlay, packaging, this script) are those of
# the last successful build, nothing is rebuilt; when only our files or
# packaging changed, the tree and its build directory are reused
# (dpkg-buildpackage -nc, make rebuilds what changed).
set -e
out=$1
shift
top=$(pwd)
version=${RTVNIC_DEB_VERSION:-3.1.0-2+deb12u1+rtvnic1}
keep="openvswitch-common openvswitch-switch python3-openvswitch
openvswitch-pki rtvctl"
src=$out/openvswitch-3.1.0
profile=pkg.openvswitch.nodpdk

mkdir -p "$out"
out=$(cd "$out" && pwd)
src=$out/openvswitch-3.1.0

# Everything the packages are made of.
inputs=$( { echo "$version"; cat "$0" ovs-patches/series;
            for p in $(grep -v '^#' ovs-patches/series); do
                cat "ovs-patches/$p"; done
            for f in "$@" packaging/debian/* utilities/rtvnic-libvirt-hook \
                    utilities/rtvnic-vswitchd-realtime; do
                echo "$f"; cat "$f"; done; } | sha1sum | cut -d' ' -f1)
if [ -f "$out/.inputs" ] && [ "$(cat "$out/.inputs")" = "$inputs" ] \
        && [ -f "$out/packages" ]; then
    echo "rtvnic-deb: packages up to date in $out:"
    (cd "$out" && ls -l $(cat packages))
    exit 0
fi
rm -f "$out/.inputs"

bash build-aux/install-deps.sh dpkg-dev debhelper dh-exec dh-python \
    lintian fakeroot

# The tree: made afresh when the patches changed (or there is none);
# otherwise kept with its build directory (_debian), so that make rebuilds
# only what changed.  Our files are copied over only where they differ, and
# debian/ goes back to OVS's (patched) files before our overlay.
patches_sum=$( { cat ovs-patches/series; for p in $(grep -v '^#' \
                     ovs-patches/series); do cat "ovs-patches/$p"; done; } \
                 | sha1sum | cut -d' ' -f1)
if [ -f "$src/.rtvnic-patches" ] && \
        [ "$(cat "$src/.rtvnic-patches")" = "$patches_sum" ]; then
    echo "rtvnic-deb: reusing $src (incremental build)"
    # debhelper-build-stamp (dh's "build done") stays while our files are
    # unchanged: then only the binary phase runs.
    (export GIT_DIR=$src.git GIT_WORK_TREE=$src
     cd "$src" && git checkout -q HEAD -- debian && \
         git clean -fdxq -e debhelper-build-stamp -- debian)
    nc=-nc
else
    echo "rtvnic-deb: preparing $src"
    tarball=/usr/src/openvswitch/openvswitch.tar.gz
    bash build-aux/rtvnic-unpack.sh "$tarball" "$src" 3.1.0 >/dev/null
    bash build-aux/rtvnic-apply-patches.sh "$src" ovs-patches
    echo "$patches_sum" > "$src/.rtvnic-patches"
    nc=
fi
for f in "$@"; do
    [ -f "$f" ] || continue
    cmp -s "$f" "$src/$f" && continue
    mkdir -p "$src/$(dirname "$f")"
    cp "$f" "$src/$f"
    # The build phase again, except for documentation, which goes only into
    # openvswitch-doc, a package this script does not keep.
    case $f in
    Documentation/*) ;;
    *) rm -f "$src/debian/debhelper-build-stamp" ;;
    esac
done
# Scripts generated for another Python than Debian's (a tree configured
# with a pyenv or venv Python first in PATH): make install makes them anew.
if [ -d "$src/_debian" ]; then
    for f in $(grep -rlI -m1 '^#!.*python' "$src/_debian/utilities" \
                   "$src/_debian/ovsdb" "$src/_debian/vtep" \
                   "$src/_debian/ipsec" 2>/dev/null); do
        head -1 "$f" | grep -q '^#! */usr/bin/python3$' || rm -f "$f"
    done
fi
for f in packaging/debian/*; do
    name=$(basename "$f")
    case $name in
    *.append)
        dst=$src/debian/${name%.append}
        if [ ! -f "$dst" ]; then
            echo "rtvnic-deb: $f: debian/${name%.append} does not exist" >&2
            exit 1
        fi
        cat "$f" >> "$dst"
        ;;
    *)
        if [ -e "$src/debian/$name" ]; then
            echo "rtvnic-deb: $f would replace OVS's debian/$name;" \
                 "change OVS's files with a patch" >&2
            exit 1
        fi
        cp -p "$f" "$src/debian/$name"
        ;;
    esac
done
cp -p utilities/rtvnic-libvirt-hook utilities/rtvnic-vswitchd-realtime \
    "$src/debian/"

# Our changelog entry on top of Debian's.
date=$(git log -1 --format=%cD 2>/dev/null || date -R)
# lintian refuses a changelog signed by a @localhost address.
who=${RTVNIC_DEB_MAINTAINER:-$(git log -1 --format='%an <%ae>' 2>/dev/null)}
[ -n "$who" ] || who="RTvNIC build <rtvnic@rtvnic.example.org>"
{
    cat <<EOF
openvswitch ($version) bookworm; urgency=medium

  * RTvNIC: real-time vNICs for the userspace datapath (QoS type rtvnic,
    EDF egress scheduler, admission control, Geneve wire stamp, miss
    reports), OVS patches from ovs-patches/.
  * New package rtvctl: the RTvNIC controller, its policy and unit.
  * openvswitch-switch: ovs-vswitchd's main thread at SCHED_FIFO 20
    (drop-in rtvnic-realtime.conf, /etc/default/rtvnic); the libvirt hook
    /etc/libvirt/hooks/qemu.d/rtvnic applies a vNIC's contract from the
    domain XML.

 -- $who  $date

EOF
    cat "$src/debian/changelog"
} > "$src/debian/changelog.new"
mv "$src/debian/changelog.new" "$src/debian/changelog"

# Build dependencies Debian's control asks for, without DPDK's.
missing=$(cd "$src" && dpkg-checkbuilddeps -P "$profile" 2>&1 \
              | sed -n 's/.*Unmet build dependencies: //p' \
              | sed 's/([^)]*)//g; s/\[[^]]*\]//g; s/<[^>]*>//g; s/|[^ ]*//g')
if [ -n "$missing" ]; then
    bash build-aux/install-deps.sh $missing
fi

echo "rtvnic-deb: dpkg-buildpackage (log: $out/build.log)"
rm -rf "$out"/*.deb "$out"/*.ddeb "$out"/*.buildinfo "$out"/*.changes \
    "$out/other"
# Debian's tools and Python only: a Python of the PATH (pyenv, a venv) has
# no --install-layout=deb, which debian/rules gives setup.py.
start=$(date +%s)
if ! (cd "$src" && \
      PATH=/usr/lib/ccache:/usr/sbin:/usr/bin:/sbin:/bin \
      DEB_BUILD_OPTIONS="nocheck parallel=2" \
      nice -n 10 dpkg-buildpackage -b -uc -us $nc -P"$profile") \
        > "$out/build.log" 2>&1; then
    tail -40 "$out/build.log" >&2
    echo "rtvnic-deb: dpkg-buildpackage failed; see $out/build.log" >&2
    exit 1
fi
echo "rtvnic-deb: built in $(( $(date +%s) - start )) s"

mkdir -p "$out/other"
: > "$out/packages"
for deb in "$out"/*.deb "$out"/*.ddeb; do
    [ -f "$deb" ] || continue
    pkg=$(dpkg-deb -f "$deb" Package)
    if echo $keep | tr ' ' '\n' | grep -qx "$pkg"; then
        basename "$deb" >> "$out/packages"
    else
        mv "$deb" "$out/other/"
    fi
done

(cd "$out" && lintian --tag-display-limit 0 $(cat packages)) \
    > "$out/lintian.txt" 2>&1 || true
errors=$(grep -c '^E:' "$out/lintian.txt" || true)
warnings=$(grep -c '^W:' "$out/lintian.txt" || true)
(cd "$out" && ls -l $(cat packages))
echo "rtvnic-deb: lintian: $errors errors, $warnings warnings" \
     "($out/lintian.txt)"
if [ "$errors" != 0 ]; then
    grep '^E:' "$out/lintian.txt" >&2
    exit 1
fi
echo "$inputs" > "$out/.inputs"
