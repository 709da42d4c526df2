# SPDX-License-Identifier: GPL-2.0
# libcxltier: the internal archive that the daemon and tools link, built
# from the same objects as the shared library.

LIBCXLTIER_SRCS := agent/lib/kdev.c agent/lib/units.c agent/lib/proto.c
LIBCXLTIER_OBJS := $(patsubst %.c,$(OBJ)/%.o,$(LIBCXLTIER_SRCS))
LIBCXLTIER_A    := $(LIBDIR_B)/libcxltier-internal.a

$(LIBCXLTIER_A): $(LIBCXLTIER_OBJS)
	@mkdir -p $(dir $@)
	@echo "  AR      $@"
	$(Q)rm -f $@ && $(AR) rcs $@ $^

LIBS_BUILT += $(LIBCXLTIER_A)
