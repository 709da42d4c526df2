# SPDX-License-Identifier: GPL-2.0
# libcxltier-preload.so: the LD_PRELOAD shim for unmodified CUDA
# applications (build/lib/libcxltier-preload.so).  It carries its own
# copies of libcxltier and the config reader, and exports nothing but
# the CUDA entry points it interposes (preload.map).

PRELOAD_SRCS := agent/preload/preload.c agent/preload/place.c
PRELOAD_OBJS := $(patsubst %.c,$(OBJ)/%.o,$(PRELOAD_SRCS))
PRELOAD_SO   := $(LIBDIR_B)/libcxltier-preload.so
PRELOAD_MAP  := agent/preload/preload.map

CFLAGS_agent_preload_preload += -fvisibility=default

$(PRELOAD_SO): $(PRELOAD_OBJS) $(PRELOAD_MAP) $(CXLTIERD_CORE_A) $(LIBCXLTIER_A)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -shared -Wl,--version-script=$(PRELOAD_MAP) -Wl,-z,defs \
		-o $@ $(PRELOAD_OBJS) $(CXLTIERD_CORE_A) $(LIBCXLTIER_A) \
		$(CXLTIERD_CORE_LIBS) -lpthread -ldl

LIBS_BUILT += $(PRELOAD_SO)
