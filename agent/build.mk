# SPDX-License-Identifier: GPL-2.0
# cxltierd's pure logic, linked by the daemon, by kvreplay and by the unit
# tests: the config loader (agent/config.c), the placement policy
# (agent/policy.c) and libnuma's message routing (agent/numalog.c).
#
#   $(CXLTIERD_CORE_A)     the archive (build/lib/libcxltierd-core.a)
#   $(CXLTIERD_CORE_LIBS)  what a program linking it adds to its LDLIBS

CXLTIERD_CORE_SRCS := agent/config.c agent/numalog.c agent/policy.c
CXLTIERD_CORE_OBJS := $(patsubst %.c,$(OBJ)/%.o,$(CXLTIERD_CORE_SRCS))
CXLTIERD_CORE_A    := $(LIBDIR_B)/libcxltierd-core.a
CXLTIERD_CORE_LIBS := $(shell $(PKG_CONFIG) --libs inih 2>/dev/null || echo -linih) -lnuma

$(CXLTIERD_CORE_A): $(CXLTIERD_CORE_OBJS)
	@mkdir -p $(dir $@)
	@echo "  AR      $@"
	$(Q)rm -f $@ && $(AR) rcs $@ $^

LIBS_BUILT += $(CXLTIERD_CORE_A)
