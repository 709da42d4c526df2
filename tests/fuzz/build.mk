# SPDX-License-Identifier: GPL-2.0
# Random drivers of the parsers and of the server's state machine
# (tests/fuzz/fuzz.h), built with AddressSanitizer, UndefinedBehavior-
# Sanitizer and LeakSanitizer into their own objects.  Run bounded by
# make unit, longer by make stress (scripts/stress).

FUZZ_OBJ	:= $(B)/obj-fuzz
FUZZ_SAN	:= -fsanitize=address,undefined -fno-sanitize-recover=all \
		   -fno-omit-frame-pointer
FUZZERS		:=

# Instrumented code confuses gcc's -Wformat-truncation (bounds it cannot
# see through); the normal build keeps that warning.
$(FUZZ_OBJ)/%.o: WARNINGS += -Wno-format-truncation
$(FUZZ_OBJ)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC ASAN $<"
	$(Q)$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(FUZZ_SAN) $(CFLAGS_$(subst /,_,$(basename $<))) -c -o $@ $<

# $(call fuzzer,NAME,SOURCES,LDLIBS): a sanitized driver, run by make unit.
define fuzzer
$(BIN)/$(1): $(patsubst %.c,$(FUZZ_OBJ)/%.o,$(2))
	@mkdir -p $(BIN)
	@echo "  LD      $$@"
	$(Q)$(CC) $(LDFLAGS) $(FUZZ_SAN) -o $$@ $$(filter %.o,$$^) $(3)
PROGS += $(BIN)/$(1)
UNIT_TESTS += $(BIN)/$(1)
FUZZERS += $(BIN)/$(1)
endef

FUZZ_SERVER_SRCS := tests/fuzz/fuzz_server.c agent/server.c agent/peer_access.c \
		    agent/peer_limits.c agent/ratelimit.c agent/log.c \
		    agent/pool_heat.c agent/policy.c \
		    agent/lib/proto.c agent/lib/proto_pool.c \
		    agent/lib/proto_pool_peer.c agent/lib/kdev.c
$(eval $(call fuzzer,fuzz-server,$(FUZZ_SERVER_SRCS),))

FUZZ_CONFIG_SRCS := tests/fuzz/fuzz_config.c agent/conffile.c agent/config.c \
		    agent/numalog.c agent/lib/units.c
$(eval $(call fuzzer,fuzz-config,$(FUZZ_CONFIG_SRCS),$(CXLTIERD_CORE_LIBS)))

FUZZ_TRACE_SRCS := tests/fuzz/fuzz_trace.c tools/kvreplay/trace.c
CFLAGS_tests_fuzz_fuzz_trace += -Itools/kvreplay $(JSONC_CFLAGS)
$(eval $(call fuzzer,fuzz-trace,$(FUZZ_TRACE_SRCS),$(JSONC_LIBS)))
