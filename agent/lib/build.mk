# SPDX-License-Identifier: GPL-2.0
# libcxltier: the shared library for accelerator runtimes
# (build/lib/libcxltier.so.1, versioned symbols from libcxltier.map) and
# the internal archive that the daemon and tools link, built from the
# same objects.

LIBCXLTIER_SRCS := agent/lib/kdev.c agent/lib/units.c agent/lib/proto.c \
		   agent/lib/pool_table.c agent/lib/pool_slab.c agent/lib/pool.c \
		   agent/lib/conn.c agent/lib/report.c \
		   agent/lib/libcxltier.c agent/lib/adapter.c \
		   agent/lib/adapter_test_accel.c agent/lib/adapter_cuda.c
LIBCXLTIER_OBJS := $(patsubst %.c,$(OBJ)/%.o,$(LIBCXLTIER_SRCS))
LIBCXLTIER_A    := $(LIBDIR_B)/libcxltier-internal.a
LIBCXLTIER_SO   := $(LIBDIR_B)/libcxltier.so.1
LIBCXLTIER_MAP  := agent/lib/libcxltier.map
# What a program linking the shared library adds to its LDLIBS.
LIBCXLTIER_LINK := -L$(LIBDIR_B) -lcxltier -Wl,-rpath,'$$$$ORIGIN/../lib'

$(LIBCXLTIER_A): $(LIBCXLTIER_OBJS)
	@mkdir -p $(dir $@)
	@echo "  AR      $@"
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(LIBCXLTIER_SO): $(LIBCXLTIER_OBJS) $(LIBCXLTIER_MAP)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -shared -Wl,-soname,libcxltier.so.1 \
		-Wl,--version-script=$(LIBCXLTIER_MAP) -Wl,-z,defs \
		-o $@ $(LIBCXLTIER_OBJS) -lpthread -ldl
	$(Q)ln -sf libcxltier.so.1 $(LIBDIR_B)/libcxltier.so

LIBS_BUILT += $(LIBCXLTIER_A) $(LIBCXLTIER_SO)
