# SPDX-License-Identifier: GPL-2.0
# tools/: cxltierctl and friends.

JSONC_CFLAGS := $(shell $(PKG_CONFIG) --cflags json-c 2>/dev/null)
JSONC_LIBS   := $(shell $(PKG_CONFIG) --libs json-c 2>/dev/null || echo -ljson-c)

CXLTIERCTL_SRCS := $(wildcard tools/cxltierctl/*.c)
$(foreach s,$(CXLTIERCTL_SRCS),$(eval CFLAGS_$(subst /,_,$(basename $(s))) += $(JSONC_CFLAGS)))
CFLAGS_tools_cxltierctl_cmd_tiers += -Iagent
$(eval $(call program,cxltierctl,$(CXLTIERCTL_SRCS),$(TOPOLOGY_LIBS) $(JSONC_LIBS),$(TOPOLOGY_A) $(LIBCXLTIER_A)))

# kvreplay: KV-cache trace replay against cxltier's policy and baselines.
KVREPLAY_SRCS := tools/kvreplay/main.c tools/kvreplay/trace.c tools/kvreplay/sim.c \
		 tools/kvreplay/scale.c tools/kvreplay/real.c \
		 tools/kvreplay/baselines.c tools/kvreplay/report.c tools/kvreplay/gen.c
$(foreach s,$(KVREPLAY_SRCS),$(eval CFLAGS_$(subst /,_,$(basename $(s))) += -Iagent $(JSONC_CFLAGS)))
CFLAGS_tools_kvreplay_real += -Iagent/lib -Iselftests/cxltier/kmod
$(eval $(call program,kvreplay,$(KVREPLAY_SRCS),$(CXLTIERD_CORE_LIBS) $(JSONC_LIBS) -lm -lnuma -lpthread,$(CXLTIERD_CORE_A) $(LIBCXLTIER_A)))

# cxltier-bench: one file per subcommand under tools/bench/.
BENCH_SRCS := $(wildcard tools/bench/*.c)
$(foreach s,$(BENCH_SRCS),$(eval CFLAGS_$(subst /,_,$(basename $(s))) += $(JSONC_CFLAGS)))
$(eval $(call program,cxltier-bench,$(BENCH_SRCS),$(JSONC_LIBS) -lnuma -lpthread -ldl,$(LIBCXLTIER_A)))
