# SPDX-License-Identifier: GPL-2.0
# cxltierd: the daemon (its pure logic is in $(CXLTIERD_CORE_A), see
# agent/build.mk; the host's topology in $(TOPOLOGY_A), agent/topology.mk).

CXLTIERD_SRCS := agent/cxltierd.c agent/server.c agent/executor.c \
		 agent/observe.c agent/plan.c agent/metrics.c agent/log.c
CXLTIERD_LIBS := $(CXLTIERD_CORE_LIBS) $(TOPOLOGY_LIBS) \
		 $(shell $(PKG_CONFIG) --libs libsystemd 2>/dev/null || echo -lsystemd)

$(eval $(call program,cxltierd,$(CXLTIERD_SRCS),$(CXLTIERD_LIBS),$(CXLTIERD_CORE_A) $(TOPOLOGY_A) $(LIBCXLTIER_A)))
