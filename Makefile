# RTvNIC top-level build.
#
#   make            install Debian deps, unpack OVS 3.1.0 into build/ovs, apply
#                   ovs-patches/series, overlay our files, configure, build.
#   make check      build, then run every RTvNIC suite and the OVS testsuite
#                   subsets the patches touch; last line "N passed, M failed".
#   make bench-edf  EDF queue vs lib/heap.c micro-benchmark.
#   make bench-controller  rtvctl: 1000 simulated switches, reports/s, latency.
#   make bench-stamp  forwarding with the wire stamp vs plain Geneve.
#   make bench-e2e  one host: linux-htb FIFO vs htb DSCP classes vs RTvNIC.
#   make bench      all of them.
#   make patches    regenerate ovs-patches/ from the commits in build/ovs.
#   make demo       the embedded default scenario: two hosts, three VMs,
#                   congestion in the core, rtvctl's feedback (about 50 s).
#   make demo-compare  one host: stock OVS + linux-htb vs RTvNIC.
#
# build/ovs is the work tree of a scratch git repository, build/ovs.git: its
# first commit is the pristine Debian tree (tag "pristine"), then one commit
# per patch.  Edit OVS files in build/ovs, commit with utilities/ovs-git, and
# run "make patches" to export them.

OVS_VERSION     := 3.1.0
OVS_TARBALL     := /usr/src/openvswitch/openvswitch.tar.gz
BUILD           := build
OVS             := $(BUILD)/ovs
JOBS            ?= $(shell nproc)
TOP             := $(CURDIR)

# Our files, overlaid into the OVS tree at the same relative path.
OVERLAY = $(shell find lib vswitchd tests Documentation controller \
                -type f ! -name '*~' ! -name '.*' 2>/dev/null) rtvnic.mk

.PHONY: all deps build check bench bench-edf bench-controller bench-stamp \
	bench-e2e \
	patches demo demo-compare clean distclean overlay

all: build

deps:
	@bash utilities/install-deps.sh

$(OVS)/.unpacked: | deps
	@bash utilities/rtvnic-unpack.sh "$(OVS_TARBALL)" "$(OVS)" "$(OVS_VERSION)"
	@touch $@

$(OVS)/.patched: $(OVS)/.unpacked ovs-patches/series $(wildcard ovs-patches/*.patch)
	@bash utilities/rtvnic-apply-patches.sh "$(OVS)" ovs-patches
	@touch $@

overlay: $(OVS)/.patched
	@bash utilities/rtvnic-overlay.sh "$(OVS)" $(OVERLAY)

$(OVS)/Makefile: $(OVS)/.patched
	@$(MAKE) --no-print-directory overlay
	cd $(OVS) && ./boot.sh >/dev/null && \
	    ./configure --enable-silent-rules CC="ccache gcc" \
	        CFLAGS="-g -O2 -Wno-error" >/dev/null
	@echo "configured $(OVS)"

build: deps $(OVS)/Makefile
	@$(MAKE) --no-print-directory overlay
	$(MAKE) -C $(OVS) -j$(JOBS)

check: build
	@bash utilities/rtvnic-check.sh "$(OVS)"

bench-edf: build
	@bash utilities/rtvnic-bench-edf.sh "$(OVS)"

bench-controller: build
	@bash utilities/rtvnic-bench-controller.sh "$(OVS)"

bench-stamp: build
	@bash utilities/rtvnic-bench-stamp.sh "$(OVS)"

bench-e2e: build
	@bash utilities/rtvnic-bench-e2e.sh "$(OVS)"

bench: bench-edf bench-controller bench-stamp bench-e2e

demo: build
	@bash utilities/rtvnic-demo-feedback.sh "$(OVS)"

demo-compare: build
	@bash utilities/rtvnic-demo.sh "$(OVS)"

patches:
	@bash utilities/rtvnic-export-patches.sh "$(OVS)" ovs-patches

clean:
	-$(MAKE) -C $(OVS) clean

distclean:
	rm -rf $(BUILD)
