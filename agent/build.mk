# SPDX-License-Identifier: GPL-2.0
# agent/: cxltierd and the pieces of it that other programs link.
#
#   $(CXLTIERD_CORE_A)     build/lib/libcxltierd-core.a: the config
#                          (agent/conffile.c, the strict INI reader;
#                          agent/config.c, the schema), the placement policy
#                          (agent/policy.c, pure) and libnuma's message
#                          routing (agent/numalog.c), linked by the
#                          daemon, kvreplay and the unit tests
#   $(CXLTIERD_CORE_LIBS)  what a program linking it adds to its LDLIBS
#   $(TOPOLOGY_A)          build/lib/libcxltier-topology.a: the host's
#                          memory topology (agent/topology.c: libnuma,
#                          libcxl, libdaxctl), for cxltierd and cxltierctl
#   $(TOPOLOGY_LIBS)       what a program linking it adds to its LDLIBS

CXLTIERD_CORE_SRCS := agent/conffile.c agent/config.c agent/node_meminfo.c agent/numalog.c agent/policy.c agent/pool_heat.c agent/pool_plan.c
CXLTIERD_CORE_OBJS := $(patsubst %.c,$(OBJ)/%.o,$(CXLTIERD_CORE_SRCS))
CXLTIERD_CORE_A    := $(LIBDIR_B)/libcxltierd-core.a
CXLTIERD_CORE_LIBS := $(shell $(PKG_CONFIG) --libs inih 2>/dev/null || echo -linih) -lnuma -lm

$(CXLTIERD_CORE_A): $(CXLTIERD_CORE_OBJS)
	@mkdir -p $(dir $@)
	@echo "  AR      $@"
	$(Q)rm -f $@ && $(AR) rcs $@ $^

TOPOLOGY_PKGS   := numa libcxl libdaxctl
TOPOLOGY_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(TOPOLOGY_PKGS) 2>/dev/null)
TOPOLOGY_LIBS   := $(shell $(PKG_CONFIG) --libs $(TOPOLOGY_PKGS) 2>/dev/null || echo -lnuma -lcxl -ldaxctl)
TOPOLOGY_A      := $(LIBDIR_B)/libcxltier-topology.a

CFLAGS_agent_topology += $(TOPOLOGY_CFLAGS)

$(TOPOLOGY_A): $(OBJ)/agent/topology.o
	@mkdir -p $(dir $@)
	@echo "  AR      $@"
	$(Q)rm -f $@ && $(AR) rcs $@ $^

LIBS_BUILT += $(CXLTIERD_CORE_A) $(TOPOLOGY_A)

# cxltierd: the daemon, over the two archives above and libcxltier's.
CXLTIERD_SRCS := agent/cxltierd.c agent/server.c agent/executor.c \
		 agent/peer_access.c agent/peer_limits.c agent/ratelimit.c \
		 agent/observe.c agent/placement.c agent/plan.c agent/metrics.c agent/tunables.c agent/pin_place.c \
		 agent/log.c agent/drain.c agent/admin.c agent/inspect.c
CXLTIERD_LIBS := $(CXLTIERD_CORE_LIBS) $(TOPOLOGY_LIBS) \
		 $(shell $(PKG_CONFIG) --libs libsystemd 2>/dev/null || echo -lsystemd)

$(eval $(call program,cxltierd,$(CXLTIERD_SRCS),$(CXLTIERD_LIBS),$(CXLTIERD_CORE_A) $(TOPOLOGY_A) $(LIBCXLTIER_A)))
