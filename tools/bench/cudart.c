// SPDX-License-Identifier: GPL-2.0
/*
 * cxltier-bench: the CUDA runtime, loaded at run time.  See cudart.h.
 */
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "cudart.h"
#include "cudart_sonames.h"

static const char *const cudart_sonames[] = { CXLTIER_CUDART_SONAMES };

#define SYM(field, name) { offsetof(struct cudart, field), name }

static const struct {
	size_t offset;	/* of the function pointer in struct cudart */
	const char *name;
} cudart_syms[] = {
	SYM(get_device_count, "cudaGetDeviceCount"),
	SYM(set_device, "cudaSetDevice"),
	SYM(runtime_get_version, "cudaRuntimeGetVersion"),
	SYM(host_register, "cudaHostRegister"),
	SYM(host_unregister, "cudaHostUnregister"),
	SYM(malloc, "cudaMalloc"),
	SYM(free, "cudaFree"),
	SYM(memcpy, "cudaMemcpy"),
	SYM(memcpy_async, "cudaMemcpyAsync"),
	SYM(stream_create, "cudaStreamCreate"),
	SYM(stream_destroy, "cudaStreamDestroy"),
	SYM(stream_synchronize, "cudaStreamSynchronize"),
	SYM(get_error_string, "cudaGetErrorString"),
};

int cudart_load(struct cudart *c, char *why, size_t len)
{
	const char *dlerr = "not found";
	struct link_map *lm = NULL;
	size_t i;
	int rc;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < sizeof(cudart_sonames) / sizeof(cudart_sonames[0]); i++) {
		c->handle = dlopen(cudart_sonames[i], RTLD_NOW | RTLD_LOCAL);
		if (c->handle)
			break;
		dlerr = dlerror();
	}
	if (!c->handle) {
		snprintf(why, len, "no CUDA runtime: %s", dlerr ? dlerr : "not found");
		return -ENODEV;
	}
	if (!dlinfo(c->handle, RTLD_DI_LINKMAP, &lm) && lm && lm->l_name)
		snprintf(c->path, sizeof(c->path), "%s", lm->l_name);
	for (i = 0; i < sizeof(cudart_syms) / sizeof(cudart_syms[0]); i++) {
		void **slot = (void **)((char *)c + cudart_syms[i].offset);

		*slot = dlsym(c->handle, cudart_syms[i].name);
		if (!*slot) {
			snprintf(why, len, "the CUDA runtime %s has no %s",
				 c->path, cudart_syms[i].name);
			cudart_unload(c);
			return -ENODEV;
		}
	}
	rc = c->get_device_count(&c->devices);
	if (rc != CUDART_SUCCESS || c->devices <= 0) {
		snprintf(why, len, "no CUDA device: %s",
			 rc != CUDART_SUCCESS ? cudart_strerror(c, rc) :
						"device count is 0");
		cudart_unload(c);
		return -ENODEV;
	}
	if (c->runtime_get_version(&c->version) != CUDART_SUCCESS)
		c->version = -1;
	return 0;
}

void cudart_unload(struct cudart *c)
{
	if (c->handle)
		dlclose(c->handle);
	memset(c, 0, sizeof(*c));
}

const char *cudart_strerror(const struct cudart *c, int err)
{
	const char *s = c->get_error_string ? c->get_error_string(err) : NULL;

	return s ? s : "unknown CUDA error";
}
