# SPDX-License-Identifier: GPL-2.0
# cxltierd: the daemon (its pure logic is in $(CXLTIERD_CORE_A), see
# agent/build.mk).

CXLTIERD_SRCS := agent/cxltierd.c agent/server.c agent/executor.c \
		 agent/observe.c agent/plan.c agent/metrics.c agent/log.c
CXLTIERD_LIBS := $(CXLTIERD_CORE_LIBS) \
		 $(shell $(PKG_CONFIG) --libs libsystemd 2>/dev/null || echo -lsystemd)

$(eval $(call program,cxltierd,$(CXLTIERD_SRCS),$(CXLTIERD_LIBS),$(CXLTIERD_CORE_A) $(LIBCXLTIER_A)))
