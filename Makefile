# RTvNIC top-level build.
#
#   make            install Debian deps, unpack OVS 3.1.0 into build/ovs, apply
#                   ovs-patches/series, overlay our files, configure, build.
#   make check      build, then run every RTvNIC suite and the OVS testsuite
#                   subsets the patches touch; last line "N passed, M failed".
#   make bench-edf  EDF queue vs lib/heap.c micro-benchmark.
#   make bench-controller  rtvctl: 10,000 simulated switches, reports/s, latency, RSS.
#   make bench-failover  rtvctl --db: kill -9 the leader of three, 12 times;
#                   time until the new leader's role request (min/median/max).
#   make bench-stamp  forwarding with the wire stamp vs plain Geneve.
#   make bench-rx   receiver: ns per stamped packet with 10,000 flows while
#                   rtvnic/flows is formatted in a loop, vs without.
#   make bench-e2e  one host: linux-htb FIFO vs htb DSCP classes vs RTvNIC.
#   make bench-feedback  the feedback loop against six congestion shapes
#                   (step, ramp, on/off, mild, TCP, the sending host's own),
#                   each RUNS (5) times with two baselines in the same run
#                   (no rtvctl; the RT flows in EF from the start): time to
#                   restore the contract, misses, escalations, relax time,
#                   floors (bench/results/feedback.md, feedback-*.png).
#   make bench-core  the same congestion through the testbed's Linux htb core
#                   and its OVS RTvNIC core (CORE=ovs), interleaved pairs:
#                   RT p99/misses, time to restore the contract, best-effort
#                   goodput (bench/results/core.md).
#   make bench-dpdk  OVS-DPDK (PMD) vs main thread: pacing, RT host queueing,
#                   throughput with rtvnic vs egress-policer vs no QoS (needs
#                   hugepages; skipped with a message without them).
#   make bench      all of them.
#   WITH_DPDK=1 make  also builds build/ovs-dpdk: the same OVS, patches and
#                   overlay, configured --with-dpdk=shared (Debian's DPDK).
#   make check-dpdk  builds build/ovs-dpdk and runs the DPDK system tests
#                   (hugepages, af_packet vdevs on veth, a vhost-user guest).
#   make fuzz       builds build/ovs-fuzz (the same OVS, patches and overlay,
#                   clang with -fsanitize=fuzzer-no-link,address,undefined;
#                   only lib/libopenvswitch.la and the targets) and runs each
#                   libFuzzer target of tests/fuzz/ for FUZZ_SECONDS (30)
#                   seconds from its seed corpus; a crash fails, naming the
#                   reproducer.
#   make check-asan  builds build/ovs-asan (the same OVS, patches and overlay,
#                   with ASan and UBSan) and runs the rtvnic autotests there;
#                   any sanitizer report (leaks included) fails it.
#   make check-valgrind-rtvnic  the rtvnic autotests under valgrind in
#                   build/ovs; counts errors and definitely-lost blocks.
#   make deb        Debian 12 binary packages of the patched OVS for a
#                   hypervisor (openvswitch-common, -switch, -pki,
#                   python3-openvswitch) and rtvctl, in build/deb, versioned
#                   to upgrade Debian's 3.1.0-2+deb12u1; lintian errors fail.
#   make check-deb  a debootstrap'ed Debian 12 root (cached in build/):
#                   stock openvswitch-switch with a bridge and a QoS row,
#                   upgraded to build/deb's packages with apt, checked, and
#                   the packages removed (skipped, 77, without a registry).
#   make patches    regenerate ovs-patches/ from the commits in build/ovs.
#   make demo       the embedded default scenario: two hosts, three VMs,
#                   congestion in the core, rtvctl's feedback (about 50 s);
#                   CORE=ovs make demo: through an OVS RTvNIC core switch.
#   make demo-compare  one host: stock OVS + linux-htb vs RTvNIC.
#
# build/ovs is the work tree of a scratch git repository, build/ovs.git: its
# first commit is the pristine Debian tree (tag "pristine"), then one commit
# per patch.  Edit OVS files in build/ovs, commit with build-aux/ovs-git, and
# run "make patches" to export them.

OVS_VERSION     := 3.1.0
OVS_TARBALL     := /usr/src/openvswitch/openvswitch.tar.gz
BUILD           := build
OVS             := $(BUILD)/ovs
JOBS            ?= $(shell nproc)
TOP             := $(CURDIR)
OVS_DPDK        := $(BUILD)/ovs-dpdk
WITH_DPDK       ?=
OVS_FUZZ        := $(BUILD)/ovs-fuzz
FUZZ_SECONDS    ?= 30
FUZZ_DEPS       := clang libfuzzer-14-dev
# Every object of the fuzz tree is instrumented for coverage (fuzzer-no-link),
# ASan and UBSan; undefined behaviour aborts like a crash.  -Wno-error: the
# fuzz tree is built by clang, whose warnings differ from gcc's, and must not
# stop a fuzz run (the default gcc build keeps -Werror on our files).
FUZZ_CFLAGS     := -g -O1 -fno-omit-frame-pointer \
                   -fsanitize=fuzzer-no-link,address,undefined \
                   -fno-sanitize-recover=undefined -Wno-error
DPDK_DEPS       := dpdk-dev libdpdk-dev libnuma-dev

# Our files, overlaid into the OVS tree at the same relative path.
OVERLAY = $(shell find lib vswitchd tests Documentation controller \
                -type f ! -name '*~' ! -name '.*' 2>/dev/null) rtvnic.mk

.PHONY: all deps build build-testbed check bench bench-edf bench-controller bench-stamp \
	bench-failover \
	bench-rx \
	bench-e2e bench-feedback bench-core bench-dpdk deps-dpdk build-dpdk check-dpdk overlay-dpdk \
	patches demo demo-compare clean distclean overlay \
	deps-fuzz overlay-fuzz build-fuzz fuzz \
	deps-asan overlay-asan build-asan check-asan check-valgrind-rtvnic \
	deb check-deb

all: build $(if $(filter 1 yes,$(WITH_DPDK)),build-dpdk)

deps:
	@bash build-aux/install-deps.sh

$(OVS)/.unpacked: | deps
	@bash build-aux/rtvnic-unpack.sh "$(OVS_TARBALL)" "$(OVS)" "$(OVS_VERSION)"
	@touch $@

$(OVS)/.patched: $(OVS)/.unpacked ovs-patches/series $(wildcard ovs-patches/*.patch)
	@bash build-aux/rtvnic-apply-patches.sh "$(OVS)" ovs-patches
	@touch $@

overlay: $(OVS)/.patched
	@bash build-aux/rtvnic-overlay.sh "$(OVS)" $(OVERLAY)

$(OVS)/Makefile: $(OVS)/.patched
	@$(MAKE) --no-print-directory overlay
	cd $(OVS) && ./boot.sh >/dev/null && \
	    ./configure --enable-silent-rules CC="ccache gcc" \
	        CFLAGS="-g -O2" >/dev/null
	@echo "configured $(OVS)"

build: deps $(OVS)/Makefile
	@$(MAKE) --no-print-directory overlay
	$(MAKE) -C $(OVS) -j$(JOBS)

# Only the programs the testbed runs (make demo, bench-feedback, bench-core),
# after the generated sources that automake makes only before "all".
TESTBED_PROGRAMS = vswitchd/ovs-vswitchd ovsdb/ovsdb-server ovsdb/ovsdb-tool \
	utilities/ovs-vsctl utilities/ovs-appctl utilities/ovs-ofctl \
	controller/rtvctl
build-testbed: deps $(OVS)/Makefile
	@$(MAKE) --no-print-directory overlay
	printf 'rtvnic-built-sources: $$(BUILT_SOURCES)\n' \
	    | $(MAKE) -C $(OVS) -j$(JOBS) -f Makefile -f - rtvnic-built-sources
	$(MAKE) -C $(OVS) -j$(JOBS) $(TESTBED_PROGRAMS)

# The DPDK tree: same pristine OVS, same series, same overlay (symlinks to
# the same files), its own configure --with-dpdk=shared.  build/ovs is never
# touched by these rules.
deps-dpdk: deps
	@bash build-aux/install-deps.sh $(DPDK_DEPS)

$(OVS_DPDK)/.unpacked: | deps-dpdk
	@bash build-aux/rtvnic-unpack.sh "$(OVS_TARBALL)" "$(OVS_DPDK)" \
	    "$(OVS_VERSION)"
	@touch $@

$(OVS_DPDK)/.patched: $(OVS_DPDK)/.unpacked ovs-patches/series \
		$(wildcard ovs-patches/*.patch)
	@bash build-aux/rtvnic-apply-patches.sh "$(OVS_DPDK)" ovs-patches
	@touch $@

overlay-dpdk: $(OVS_DPDK)/.patched
	@bash build-aux/rtvnic-overlay.sh "$(OVS_DPDK)" $(OVERLAY)

$(OVS_DPDK)/Makefile: $(OVS_DPDK)/.patched
	@$(MAKE) --no-print-directory overlay-dpdk
	cd $(OVS_DPDK) && ./boot.sh >/dev/null && \
	    ./configure --enable-silent-rules --with-dpdk=shared \
	        CC="ccache gcc" CFLAGS="-g -O2 -Wno-error" >/dev/null
	@echo "configured $(OVS_DPDK) --with-dpdk=shared"

build-dpdk: deps-dpdk $(OVS_DPDK)/Makefile
	@$(MAKE) --no-print-directory overlay-dpdk
	@bash build-aux/rtvnic-busy.sh $(MAKE) -C $(OVS_DPDK) -j$(JOBS)

check-dpdk: build-dpdk
	@bash build-aux/rtvnic-check-dpdk.sh "$(OVS_DPDK)"

bench-dpdk: build-dpdk
	@bash bench/rtvnic-bench-dpdk.sh "$(OVS_DPDK)"

# The fuzz tree: same pristine OVS, same series, same overlay, configured
# with clang and the sanitizers.  Only what the targets link is built:
# OVS's generated sources, lib/libopenvswitch.la and the targets
# (rtvnic.mk's rtvnic-fuzz-targets).  build/ovs is never touched.
deps-fuzz: deps
	@bash build-aux/install-deps.sh $(FUZZ_DEPS)

$(OVS_FUZZ)/.unpacked: | deps-fuzz
	@bash build-aux/rtvnic-unpack.sh "$(OVS_TARBALL)" "$(OVS_FUZZ)" \
	    "$(OVS_VERSION)"
	@touch $@

$(OVS_FUZZ)/.patched: $(OVS_FUZZ)/.unpacked ovs-patches/series \
		$(wildcard ovs-patches/*.patch)
	@bash build-aux/rtvnic-apply-patches.sh "$(OVS_FUZZ)" ovs-patches
	@touch $@

overlay-fuzz: $(OVS_FUZZ)/.patched
	@bash build-aux/rtvnic-overlay.sh "$(OVS_FUZZ)" $(OVERLAY)

$(OVS_FUZZ)/Makefile: $(OVS_FUZZ)/.patched
	@$(MAKE) --no-print-directory overlay-fuzz
	cd $(OVS_FUZZ) && ./boot.sh >/dev/null && \
	    ./configure --enable-silent-rules CC="ccache clang" \
	        CFLAGS="$(FUZZ_CFLAGS)" >/dev/null
	@echo "configured $(OVS_FUZZ) for libFuzzer"

build-fuzz: deps-fuzz $(OVS_FUZZ)/Makefile
	@$(MAKE) --no-print-directory overlay-fuzz
	@bash build-aux/rtvnic-busy.sh $(MAKE) -C $(OVS_FUZZ) -j$(JOBS) \
	    rtvnic-fuzz-targets

fuzz: build-fuzz
	@bash build-aux/rtvnic-fuzz.sh "$(OVS_FUZZ)" "$(FUZZ_SECONDS)"

check: build
	@bash build-aux/rtvnic-check.sh "$(OVS)"

# --- Sanitizers and valgrind (issue 14) ---
# The ASan/UBSan tree: same pristine OVS, same series, same overlay, its own
# configure.  -fno-sanitize-recover makes every UBSan report fatal, as every
# ASan report is.  Only what the rtvnic autotests run is built (not the man
# pages, vtep, ipsec, ovs-testcontroller...), to keep CI short.  clang, not
# gcc: gcc 12 links ASan and UBSan as two runtimes, and with both the
# log_path option that OVS's tests rely on (asan.PID/ubsan.PID in the test's
# directory) is lost: every report goes to stderr, which is /dev/null for a
# detached daemon.  clang's single runtime writes them.  clang also runs
# OVS's -Wthread-safety over our files (with our -Werror).
OVS_ASAN        := $(BUILD)/ovs-asan
ASAN_CFLAGS     := -g -O1 -fno-omit-frame-pointer -fno-common \
	-fsanitize=address,undefined -fno-sanitize-recover=undefined
# OVS's test PKI (ovs-pki), for the TLS tests.
TESTPKI         := tests/testpki-cacert.pem tests/testpki-cert.pem \
	tests/testpki-privkey.pem tests/testpki-cert2.pem \
	tests/testpki-privkey2.pem
ASAN_TARGETS    := vswitchd/ovs-vswitchd ovsdb/ovsdb-server ovsdb/ovsdb-tool \
	ovsdb/ovsdb-client utilities/ovs-vsctl utilities/ovs-ofctl \
	utilities/ovs-appctl utilities/ovs-dpctl utilities/ovs-pcap \
	controller/rtvctl tests/ovstest tests/testsuite tests/atconfig \
	tests/atlocal python/ovs/dirs.py python/ovs/version.py \
	$(TESTPKI)

deps-asan: deps
	@bash build-aux/install-deps.sh clang libclang-rt-14-dev

$(OVS_ASAN)/.unpacked: | deps-asan
	@bash build-aux/rtvnic-unpack.sh "$(OVS_TARBALL)" "$(OVS_ASAN)" \
	    "$(OVS_VERSION)"
	@touch $@

$(OVS_ASAN)/.patched: $(OVS_ASAN)/.unpacked ovs-patches/series \
		$(wildcard ovs-patches/*.patch)
	@bash build-aux/rtvnic-apply-patches.sh "$(OVS_ASAN)" ovs-patches
	@touch $@

overlay-asan: $(OVS_ASAN)/.patched
	@bash build-aux/rtvnic-overlay.sh "$(OVS_ASAN)" $(OVERLAY)

$(OVS_ASAN)/Makefile: $(OVS_ASAN)/.patched
	@$(MAKE) --no-print-directory overlay-asan
	cd $(OVS_ASAN) && ./boot.sh >/dev/null && \
	    ./configure --enable-silent-rules CC="ccache clang" \
	        CFLAGS="$(ASAN_CFLAGS)" >/dev/null
	@echo "configured $(OVS_ASAN) with ASan and UBSan (clang)"

build-asan: deps-asan $(OVS_ASAN)/Makefile
	@$(MAKE) --no-print-directory overlay-asan
	@bash build-aux/rtvnic-busy.sh $(MAKE) -C $(OVS_ASAN) -j$(JOBS) \
	    rtvnic-built-sources
	@bash build-aux/rtvnic-busy.sh $(MAKE) -C $(OVS_ASAN) -j$(JOBS) \
	    $(ASAN_TARGETS)

check-asan: build-asan
	@bash build-aux/rtvnic-check-asan.sh "$(OVS_ASAN)"

check-valgrind-rtvnic: build
	@bash build-aux/install-deps.sh valgrind
	@bash build-aux/rtvnic-check-valgrind.sh "$(OVS)"
# --- end of sanitizers and valgrind ---

# --- Debian packages (issue 15) ---
# build/deb is its own copy of the OVS tree (Debian's debian/ included),
# patched and overlaid like build/ovs, with packaging/debian/ on top.
deb: deps
	@bash build-aux/rtvnic-deb.sh $(BUILD)/deb $(OVERLAY)

check-deb: deb
	@bash build-aux/rtvnic-check-deb.sh $(BUILD)/deb $(BUILD)/debootstrap
# --- end of Debian packages ---

bench-edf: build
	@bash bench/rtvnic-bench-edf.sh "$(OVS)"

bench-controller: build
	@bash bench/rtvnic-bench-controller.sh "$(OVS)"

bench-failover: build
	@bash bench/rtvnic-bench-failover.sh "$(OVS)"

bench-stamp: build
	@bash bench/rtvnic-bench-stamp.sh "$(OVS)"

bench-rx: build
	@bash bench/rtvnic-bench-rx.sh "$(OVS)"

bench-e2e: build
	@bash bench/rtvnic-bench-e2e.sh "$(OVS)"

# bench-dpdk builds the DPDK tree (installing Debian's DPDK) and prints a
# clear "skipped" when hugepages cannot be had.
bench: bench-edf bench-controller bench-failover bench-stamp bench-rx bench-e2e \
	bench-feedback bench-core bench-dpdk

bench-feedback: build-testbed
	@bash bench/rtvnic-bench-feedback.sh "$(OVS)"

bench-core: build-testbed
	@bash bench/rtvnic-bench-core.sh "$(OVS)"

demo: build-testbed
	@bash testbed/rtvnic-demo-feedback.sh "$(OVS)"

demo-compare: build
	@bash testbed/rtvnic-demo.sh "$(OVS)"

patches:
	@bash build-aux/rtvnic-export-patches.sh "$(OVS)" ovs-patches

clean:
	-$(MAKE) -C $(OVS) clean

distclean:
	rm -rf $(BUILD)
