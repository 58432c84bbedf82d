#!/bin/bash
# rtvnic-unpack.sh TARBALL DEST VERSION: unpacks Debian's openvswitch-source
# tarball into DEST and makes DEST the work tree of a scratch git repository,
# DEST.git, whose first commit, tagged "pristine", is the unmodified tree.
# Fails, saying so, when the packaged OVS is not the VERSION our patches
# target.
#
# The repository lives beside the tree, not in DEST/.git: OVS's Makefile runs
# git-based source checks whenever $(srcdir)/.git exists, and those flag the
# generated files that the Debian tarball ships.  Use build-aux/ovs-git to
# work in it.
set -e
tarball=$1 dest=$2 want=$3

if [ ! -f "$tarball" ]; then
    echo "rtvnic: $tarball not found (is openvswitch-source installed?)" >&2
    exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tar xzf "$tarball" --no-same-owner -C "$tmp"
src=$tmp/openvswitch
have=$(sed -n 's/^m4_define(\[AT_PACKAGE_VERSION\], *\[\(.*\)\])$/\1/p' \
       "$src/package.m4")
if [ "$have" != "$want" ]; then
    pkg=$(dpkg-query -W -f='${Version}' openvswitch-source 2>/dev/null || true)
    echo "rtvnic: openvswitch-source $pkg contains OVS $have, but" \
         "ovs-patches/ target OVS $want; refusing to build" >&2
    exit 1
fi

rm -rf "$dest" "$dest.git"
mkdir -p "$(dirname "$dest")"
mv "$src" "$dest"
export GIT_DIR=$(cd "$(dirname "$dest")" && pwd)/$(basename "$dest").git
export GIT_WORK_TREE=$(cd "$dest" && pwd)
cd "$dest"
git init -q
git config user.name "RTvNIC build"
git config user.email "rtvnic@localhost"
git config core.autocrlf false
# Generated and overlaid files never belong to the pristine tree or patches.
cat >> "$GIT_DIR/info/exclude" <<'EXCL'
*.o
*.lo
*.la
.libs/
.deps/
.dirstamp
/rtvnic.mk
rtvnic-*
/tests/test-rtvnic-*
/controller/
EXCL
# Files the autotools or the build regenerate are not part of the pristine
# commit: otherwise every build would dirty the tree, and OVS's git-based
# source checks (check-assert-h-usage, ...) would scan the regenerated
# build-aux/ltmain.sh.
generated="configure aclocal.m4 config.h.in Makefile.in tests/testsuite
build-aux/ltmain.sh build-aux/config.guess build-aux/config.sub
build-aux/install-sh build-aux/missing build-aux/depcomp build-aux/compile
build-aux/test-driver build-aux/ar-lib m4/libtool.m4 m4/ltoptions.m4
m4/ltsugar.m4 m4/ltversion.m4 m4/lt~obsolete.m4 tests/*testsuite"
for f in $generated; do
    echo "/$f" >> "$GIT_DIR/info/exclude"
done
set -f
git add -A -f .
git rm -q --cached --ignore-unmatch -- $generated
set +f
git commit -q -m "OVS $have from Debian openvswitch-source (pristine)"
git tag pristine
echo "rtvnic: unpacked OVS $have into $dest"
