#!/bin/bash
# install-deps.sh: installs, from Debian's archive only, every package that
# building RTvNIC (OVS 3.1.0 from openvswitch-source plus our overlay) and
# running `make check` need.  Idempotent: asks apt only for what is missing.
#
# Usage: build-aux/install-deps.sh [extra-package...]
set -e

packages="openvswitch-source autoconf automake libtool make gcc pkg-config
python3 ccache libssl-dev libcap-ng-dev iproute2 ethtool procps xz-utils
tar patch iputils-ping tshark gnuplot-nox prometheus iperf3
qemu-system-x86 busybox-static cpio libc6-dev $*"

missing=
for p in $packages; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null \
            | grep -q 'install ok installed'; then
        missing="$missing $p"
    fi
done

if [ -n "$missing" ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "install-deps: missing Debian packages:$missing" >&2
        echo "install-deps: run as root to install them" >&2
        exit 1
    fi
    echo "install-deps: installing:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq || apt-get update
    # Another apt (a parallel job) may hold the lock: wait for it.
    apt-get install -y -qq --no-install-recommends \
        -o DPkg::Lock::Timeout=600 $missing
fi
