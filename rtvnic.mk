# RTvNIC's additions to OVS's build.  Overlaid into the OVS tree and included
# at the end of its Makefile.am (patch "build: Include rtvnic.mk").

# Our code is built into convenience libraries of its own, as OVS does for
# its AVX512 code, so that it alone gets -Werror on top of OVS's warning
# flags (-Wall -Wextra ...): a new warning in our files fails the build,
# while OVS's own files build as upstream.  (The DPDK tree is configured with
# CFLAGS=-Wno-error, which comes last and turns this off there.)
RTVNIC_WERROR = -Werror

noinst_LTLIBRARIES += lib/librtvnic.la
lib_librtvnic_la_CFLAGS = $(AM_CFLAGS) $(RTVNIC_WERROR)
lib_librtvnic_la_SOURCES = \
	lib/rtvnic.c \
	lib/rtvnic.h \
	lib/rtvnic-admission.c \
	lib/rtvnic-admission.h \
	lib/rtvnic-config.c \
	lib/rtvnic-config.h \
	lib/rtvnic-edf.c \
	lib/rtvnic-edf.h \
	lib/rtvnic-packet.h \
	lib/rtvnic-report.c \
	lib/rtvnic-report.h \
	lib/rtvnic-rx.c \
	lib/rtvnic-rx.h \
	lib/rtvnic-sched.c \
	lib/rtvnic-sched.h \
	lib/rtvnic-stamp.c \
	lib/rtvnic-stamp.h \
	lib/rtvnic-trace.c \
	lib/rtvnic-trace.h
lib_libopenvswitch_la_LIBADD += lib/librtvnic.la

noinst_LTLIBRARIES += vswitchd/librtvnic_bridge.la
vswitchd_librtvnic_bridge_la_CFLAGS = $(AM_CFLAGS) $(RTVNIC_WERROR)
vswitchd_librtvnic_bridge_la_SOURCES = \
	vswitchd/rtvnic-bridge.c \
	vswitchd/rtvnic-bridge.h
# Archives are linked in order: the libraries it calls into come again
# after it.
vswitchd_ovs_vswitchd_LDADD += \
	vswitchd/librtvnic_bridge.la \
	ofproto/libofproto.la \
	lib/libopenvswitch.la

tests_ovstest_SOURCES += \
	controller/rtvctl-logic.c \
	controller/rtvctl-policy.c \
	tests/test-rtvctl-logic.c \
	tests/test-rtvnic-edf.c \
	tests/test-rtvnic-oracle.c \
	tests/test-rtvnic-config.c \
	tests/test-rtvnic-rx-bench.c \
	tests/test-rtvctl-bench.c

TESTSUITE_AT += \
	tests/rtvnic.at \
	tests/rtvnic-msg.at \
	tests/rtvnic-rx.at \
	tests/rtvnic-sched.at \
	tests/rtvnic-queue.at

DOC_SOURCE += Documentation/topics/rtvnic.rst

bin_PROGRAMS += controller/rtvctl
controller_rtvctl_SOURCES = \
	controller/rtvctl.c \
	controller/rtvctl-http.c \
	controller/rtvctl-http.h \
	controller/rtvctl-logic.c \
	controller/rtvctl-logic.h \
	controller/rtvctl-policy.c \
	controller/rtvctl-policy.h
controller_rtvctl_CFLAGS = $(AM_CFLAGS) $(RTVNIC_WERROR)
controller_rtvctl_LDADD = lib/libopenvswitch.la -levent
man_MANS += controller/rtvctl.8
