# SPDX-License-Identifier: GPL-2.0
# The preload shim's test bed: a CUDA runtime stand-in
# (build/lib/cuda-standin/libcudart.so.12, with the libcudart.so link a
# CUDA application is built against) and an application of the pinned
# memory API linked with -lcudart (build/bin/cxltier-pinned-app).

CUDA_STANDIN_DIR := $(LIBDIR_B)/cuda-standin
CUDA_STANDIN_SO  := $(CUDA_STANDIN_DIR)/libcudart.so.12

$(CUDA_STANDIN_SO): $(OBJ)/tests/preload/cuda_standin.o
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -shared -Wl,-soname,libcudart.so.12 -Wl,-z,defs \
		-o $@ $^ -lpthread
	$(Q)ln -sf libcudart.so.12 $(CUDA_STANDIN_DIR)/libcudart.so

LIBS_BUILT += $(CUDA_STANDIN_SO)

CUDA_STANDIN_LINK := -L$(CUDA_STANDIN_DIR) -lcudart \
		     -Wl,-rpath,'$$$$ORIGIN/../lib/cuda-standin'

$(eval $(call program,cxltier-pinned-app,tests/preload/pinned_app.c,$(CUDA_STANDIN_LINK) -lnuma,$(CUDA_STANDIN_SO)))
