# SPDX-License-Identifier: GPL-2.0
#
# cxltier top-level build.
#
#   make              cxltier.ko for every supported kernel, user space
#                     into build/bin and build/lib; installs nothing: a
#                     missing build dependency is named with the apt-get
#                     line that installs it
#   make deps         install the build and test-bed dependencies, and
#                     prepare Debian unstable's newest kernel under
#                     build/kernels/ (scripts/newest-kernel)
#   make KDIR=<dir>   the module for that one kernel only
#   make check        deps, everything, host unit tests, the fresh-machine
#                     stage, guest selftests
#   make stress       the long runs: a million fuzzed ioctls and long
#                     races, per kernel (scripts/stress)
#   make demo         the emulated DRAM + CXL test bed, end to end: a
#                     KV-cache trace replayed for real (TRACE=FILE: a
#                     Mooncake-format trace; default: data/'s)
#   make install      what make built (it never builds); DESTDIR and
#                     PREFIX honoured
#   make uninstall    removes what make install installed
#
# User space is one non-recursive make: each directory adds its programs
# in a build.mk fragment.  The module builds through Kbuild per kernel.

VERSION		:= 0.1.0

B		:= build
BIN		:= $(B)/bin
LIBDIR_B	:= $(B)/lib
OBJ		:= $(B)/obj

CC		?= gcc
AR		?= ar
PKG_CONFIG	?= pkg-config
CFLAGS		?= -O2 -g
WARNINGS	:= -Wall -Wextra -Wformat=2 -Wshadow -Wmissing-prototypes \
		   -Wstrict-prototypes -Wno-unused-parameter
ifeq ($(WERROR),1)
WARNINGS	+= -Werror
endif
CPPFLAGS	+= -D_GNU_SOURCE -DCXLTIER_VERSION='"$(VERSION)"' \
		   -Iinclude/uapi -Iinclude -Iagent/lib -Iagent -I$(B)/include
ALL_CFLAGS	= -std=gnu11 $(WARNINGS) $(CFLAGS) -fPIC -MMD -MP

# make check also runs sparse over the module (C=1): any warning fails.
ifeq ($(WERROR),1)
SPARSE		:= C=1
endif

# Kernels: every supported one, or the one KDIR points at.
ifdef KDIR
KVERS		:= $(shell $(MAKE) -s -C $(KDIR) kernelrelease 2>/dev/null)
export KDIR
else
KVERS		:= $(shell scripts/kernels)
endif

ifeq ($(V),1)
Q :=
else
Q := @
endif

# Install locations (make install).
PREFIX		?= /usr/local
BINDIR		?= $(PREFIX)/bin
SBINDIR		?= $(PREFIX)/sbin
LIBDIR		?= $(PREFIX)/lib
INCLUDEDIR	?= $(PREFIX)/include
MANDIR		?= $(PREFIX)/share/man
SYSCONFDIR	?= /etc
UNITDIR		?= /lib/systemd/system
MODDIR		?= /lib/modules
# Debian's python3 site directory (the cxltier package).
PYTHONDIR	?= /usr/lib/python3/dist-packages

PROGS		:=
UNIT_TESTS	:=
LIBS_BUILT	:=

all: deps-build modules user

# --- dependencies -----------------------------------------------------

deps:
	$(Q)scripts/deps
	$(Q)scripts/newest-kernel

# Plain make installs nothing; it stops with the apt-get line to run.
deps-build:
	$(Q)scripts/deps --check --build || { echo "(or run 'make deps', which installs the test bed too)"; exit 1; }

# --- kernel modules, one tree per kernel ------------------------------

# The test modules link against cxltier.ko's exports: Kbuild does not
# relink them when those change (their CRCs, with MODVERSIONS), so they
# are rebuilt whenever cxltier's Module.symvers differs from the one
# they were built against.
modules: | deps-build
	+$(Q)kvers="$(KVERS)"; [ -n "$$kvers" ] || kvers=$$(scripts/kernels); \
	[ -n "$$kvers" ] || { echo "no supported kernel headers found (make deps)"; exit 1; }; \
	for k in $$kvers; do \
		echo "  MODULES $$k"; \
		scripts/kbuild $$k kmod $(B)/$$k/kmod CONFIG_CXLTIER=m $(SPARSE) || exit 1; \
		cmp -s $(B)/$$k/kmod/Module.symvers $(B)/$$k/selftests/.cxltier-symvers || \
			rm -rf $(B)/$$k/selftests; \
		scripts/kbuild $$k selftests/cxltier/kmod $(B)/$$k/selftests \
			CONFIG_CXLTIER_TEST_ACCEL=m CONFIG_CXLTIER_TEST_WARN=m \
			KBUILD_EXTRA_SYMBOLS=$(CURDIR)/$(B)/$$k/kmod/Module.symvers || exit 1; \
		cp $(B)/$$k/kmod/Module.symvers $(B)/$$k/selftests/.cxltier-symvers; \
	done

# --- user space -------------------------------------------------------

# kselftest_harness.h, from Debian's kernel source package.
KSFT_TARBALL	:= $(firstword $(wildcard /usr/src/linux-source-6.12.tar.xz))
$(B)/include/kselftest_harness.h: | deps-build
	$(Q)mkdir -p $(B)/include
	$(Q)tar -xJf $(or $(KSFT_TARBALL),/usr/src/linux-source-6.12.tar.xz) -C $(B)/include \
		--strip-components=4 --wildcards \
		'*/tools/testing/selftests/kselftest_harness.h' \
		'*/tools/testing/selftests/kselftest.h'
	$(Q)touch $@

$(OBJ)/%.o: %.c | $(B)/include/kselftest_harness.h
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(CFLAGS_$(subst /,_,$(basename $<))) -c -o $@ $<

# kselftest_harness.h's macros compare mixed signedness and define
# functions without prototypes; tests get those two warnings off.
$(OBJ)/tests/%.o $(OBJ)/selftests/%.o: WARNINGS += -Wno-sign-compare -Wno-missing-prototypes

# $(call program,NAME,SOURCES,LDLIBS): a binary in build/bin.
define program
$(BIN)/$(1): $(patsubst %.c,$(OBJ)/%.o,$(2)) $(4)
	@mkdir -p $(BIN)
	@echo "  LD      $$@"
	$(Q)$(CC) $(LDFLAGS) -o $$@ $$(filter %.o %.a,$$^) $(3)
PROGS += $(BIN)/$(1)
endef

# $(call unit_test,NAME,SOURCES,LDLIBS,DEPS): a host unit test.
define unit_test
$(call program,$(1),$(2),$(3),$(4))
UNIT_TESTS += $(BIN)/$(1)
endef

include agent/lib/build.mk
include agent/build.mk
include agent/preload/build.mk
include tools/build.mk
include tests/unit/build.mk
include tests/fuzz/build.mk
include tests/preload/build.mk
include selftests/cxltier/build.mk

user: $(PROGS) $(LIBS_BUILT)

-include $(shell find $(OBJ) $(FUZZ_OBJ) -name '*.d' 2>/dev/null)

# --- tests --------------------------------------------------------------

unit: user
	$(Q)scripts/run-unit $(UNIT_TESTS) $(UNIT_SCRIPTS)

# Host tests written as scripts (TAP), run with the unit tests.
UNIT_SCRIPTS := $(sort $(wildcard tests/scripts/*.sh))

print-unit-tests:
	@printf '%s\n' $(UNIT_TESTS) $(UNIT_SCRIPTS)

# KVERS is read before deps may prepare a kernel: the sub-make and
# scripts/check look the kernels up again (unless KDIR chose one).
check:
	$(Q)scripts/deps
	$(Q)scripts/newest-kernel
	$(Q)$(MAKE) --no-print-directory WERROR=1 all
	$(Q)scripts/check $(if $(KDIR),$(KVERS))

stress:
	$(Q)$(MAKE) --no-print-directory WERROR=1 all
	$(Q)scripts/stress $(if $(KDIR),$(KVERS))

demo:
	$(Q)scripts/deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)scripts/demo $(TRACE)

# --- install ------------------------------------------------------------

# Installs what "make" built; it never builds (no rebuild as root).
INSTALL_ARGS = --destdir "$(DESTDIR)" --prefix "$(PREFIX)" \
		--bindir "$(BINDIR)" --sbindir "$(SBINDIR)" --libdir "$(LIBDIR)" \
		--includedir "$(INCLUDEDIR)" --mandir "$(MANDIR)" \
		--sysconfdir "$(SYSCONFDIR)" --unitdir "$(UNITDIR)" \
		--moddir "$(MODDIR)" --pythondir "$(PYTHONDIR)" --version "$(VERSION)" \
		$(if $(KDIR),--kvers "$(KVERS)")

install:
	$(Q)scripts/install $(INSTALL_ARGS)

uninstall:
	$(Q)scripts/install --uninstall $(INSTALL_ARGS)

clean:
	rm -rf $(B)

.PHONY: all deps deps-build modules user unit print-unit-tests check stress demo \
	install uninstall clean
