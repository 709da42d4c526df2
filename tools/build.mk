# SPDX-License-Identifier: GPL-2.0
# tools/: cxltierctl and friends, and the test bed they share with the
# selftests.

JSONC_CFLAGS := $(shell $(PKG_CONFIG) --cflags json-c 2>/dev/null)
JSONC_LIBS   := $(shell $(PKG_CONFIG) --libs json-c 2>/dev/null || echo -ljson-c)

# The test bed (tools/testbed/testbed.h): sysfs tunables, a private
# cxltierd, the fake accelerator, the pinned pool, heat accuracy; linked
# by cxltier-bench, kvreplay and the selftests with $(TESTBED_LIBS).
TESTBED_SRCS := $(wildcard tools/testbed/*.c)
TESTBED_A    := $(LIBDIR_B)/libcxltier-testbed.a
TESTBED_LIBS := -lnuma -lpthread
# Its users' include flag: $(call testbed_user,SOURCE...)
TESTBED_CFLAGS := -Itools/testbed
testbed_user = $(foreach s,$(1),$(eval CFLAGS_$(subst /,_,$(basename $(s))) += $(TESTBED_CFLAGS)))

$(TESTBED_A): $(patsubst %.c,$(OBJ)/%.o,$(TESTBED_SRCS))
	@mkdir -p $(dir $@)
	@echo "  AR      $@"
	$(Q)rm -f $@ && $(AR) rcs $@ $^

LIBS_BUILT += $(TESTBED_A)

CXLTIERCTL_SRCS := $(wildcard tools/cxltierctl/*.c)
$(foreach s,$(CXLTIERCTL_SRCS),$(eval CFLAGS_$(subst /,_,$(basename $(s))) += $(JSONC_CFLAGS)))
# doctor reads cxltierd's config with the daemon's own parser.
$(eval $(call program,cxltierctl,$(CXLTIERCTL_SRCS),$(CXLTIERD_CORE_LIBS) $(TOPOLOGY_LIBS) $(JSONC_LIBS),$(CXLTIERD_CORE_A) $(TOPOLOGY_A) $(LIBCXLTIER_A)))

# kvreplay: KV-cache trace replay against cxltier's policy and baselines.
KVREPLAY_SRCS := tools/kvreplay/main.c tools/kvreplay/trace.c tools/kvreplay/sim.c \
		 tools/kvreplay/scale.c tools/kvreplay/real.c tools/kvreplay/real_pool.c \
		 tools/kvreplay/real_setup.c \
		 tools/kvreplay/baselines.c tools/kvreplay/report.c tools/kvreplay/gen.c
$(foreach s,$(KVREPLAY_SRCS),$(eval CFLAGS_$(subst /,_,$(basename $(s))) += $(JSONC_CFLAGS)))
$(call testbed_user,tools/kvreplay/real.c tools/kvreplay/real_pool.c tools/kvreplay/real_setup.c)
$(eval $(call program,kvreplay,$(KVREPLAY_SRCS),$(CXLTIERD_CORE_LIBS) $(JSONC_LIBS) -lm $(TESTBED_LIBS),$(TESTBED_A) $(CXLTIERD_CORE_A) $(LIBCXLTIER_A)))

# cxltier-bench: one file per subcommand under tools/bench/; policy-cost
# runs the agent's pure policy, from $(CXLTIERD_CORE_A).
BENCH_SRCS := $(wildcard tools/bench/*.c)
$(foreach s,$(BENCH_SRCS),$(eval CFLAGS_$(subst /,_,$(basename $(s))) += $(JSONC_CFLAGS)))
$(call testbed_user,$(BENCH_SRCS))
$(eval $(call program,cxltier-bench,$(BENCH_SRCS),$(CXLTIERD_CORE_LIBS) $(JSONC_LIBS) $(TESTBED_LIBS) -ldl,$(TESTBED_A) $(CXLTIERD_CORE_A) $(LIBCXLTIER_A)))
