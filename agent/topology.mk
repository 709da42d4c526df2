# SPDX-License-Identifier: GPL-2.0
# agent/topology.c: host memory topology (libnuma, libcxl, libdaxctl),
# a reusable unit for cxltierd and cxltierctl.  Users link
# $(TOPOLOGY_A) and $(TOPOLOGY_LIBS).

TOPOLOGY_PKGS   := numa libcxl libdaxctl
TOPOLOGY_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(TOPOLOGY_PKGS) 2>/dev/null)
TOPOLOGY_LIBS   := $(shell $(PKG_CONFIG) --libs $(TOPOLOGY_PKGS) 2>/dev/null || echo -lnuma -lcxl -ldaxctl)
TOPOLOGY_A      := $(LIBDIR_B)/libcxltier-topology.a

CFLAGS_agent_topology += $(TOPOLOGY_CFLAGS)

$(TOPOLOGY_A): $(OBJ)/agent/topology.o
	@mkdir -p $(dir $@)
	@echo "  AR      $@"
	$(Q)rm -f $@ && $(AR) rcs $@ $^

LIBS_BUILT += $(TOPOLOGY_A)
