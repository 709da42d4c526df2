// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * adapter "cuda": pins through the CUDA runtime, loaded with dlopen() at
 * run time so that libcxltier builds, links and runs on hosts without
 * CUDA or a GPU (the adapter then reports that none is there).
 *
 * cudaHostUnregister() takes the pointer given to cudaHostRegister() and
 * drops that whole registration, so a sub-range can only be released if
 * it was registered on its own: the adapter registers the buffer one
 * chunk at a time and releases and re-pins whole chunks.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "adapter.h"
#include "cudart_sonames.h"

/* cudaError_t values used here (driver_types.h). */
#define CUDA_SUCCESS			0
#define CUDA_ERROR_HOST_MEMORY_ALREADY_REGISTERED 712
/* cudaHostRegisterPortable: the pin is valid in every CUDA context. */
#define CUDA_HOST_REGISTER_PORTABLE	0x01

static const char *const cuda_sonames[] = { CXLTIER_CUDART_SONAMES };

/**
 * struct cuda_api - the CUDA runtime entry points the adapter uses
 * @handle: dlopen() handle, NULL when not loaded
 * @err: dlopen()/probe failure (-errno), 0 when usable
 * @why: reason for @err
 * @host_register: cudaHostRegister
 * @host_unregister: cudaHostUnregister
 * @get_device_count: cudaGetDeviceCount
 * @get_error_string: cudaGetErrorString
 */
struct cuda_api {
	void *handle;
	int err;
	char why[256];
	int (*host_register)(void *ptr, size_t size, unsigned int flags);
	int (*host_unregister)(void *ptr);
	int (*get_device_count)(int *count);
	const char *(*get_error_string)(int err);
};

/* Loaded once per process, on first use. */
static struct cuda_api cuda;
static pthread_once_t cuda_once = PTHREAD_ONCE_INIT;

static void cuda_load(void)
{
	const char *dlerr = "not found";
	int count = 0, rc;
	size_t i;

	for (i = 0; i < sizeof(cuda_sonames) / sizeof(cuda_sonames[0]); i++) {
		cuda.handle = dlopen(cuda_sonames[i], RTLD_NOW | RTLD_LOCAL);
		if (cuda.handle)
			break;
		dlerr = dlerror();
	}
	if (!cuda.handle) {
		cuda.err = -ENODEV;
		snprintf(cuda.why, sizeof(cuda.why),
			 "no CUDA runtime: %s", dlerr ? dlerr : "not found");
		return;
	}
	*(void **)&cuda.host_register = dlsym(cuda.handle, "cudaHostRegister");
	*(void **)&cuda.host_unregister =
		dlsym(cuda.handle, "cudaHostUnregister");
	*(void **)&cuda.get_device_count =
		dlsym(cuda.handle, "cudaGetDeviceCount");
	*(void **)&cuda.get_error_string =
		dlsym(cuda.handle, "cudaGetErrorString");
	if (!cuda.host_register || !cuda.host_unregister ||
	    !cuda.get_device_count || !cuda.get_error_string) {
		cuda.err = -ENODEV;
		snprintf(cuda.why, sizeof(cuda.why),
			 "the CUDA runtime lacks cudaHostRegister and friends");
		return;
	}
	rc = cuda.get_device_count(&count);
	if (rc != CUDA_SUCCESS || count <= 0) {
		cuda.err = -ENODEV;
		snprintf(cuda.why, sizeof(cuda.why), "no CUDA device: %s",
			 rc != CUDA_SUCCESS ? cuda.get_error_string(rc) :
					      "device count is 0");
	}
}

static int cuda_probe(char *why, size_t len)
{
	pthread_once(&cuda_once, cuda_load);
	if (cuda.err && why && len)
		snprintf(why, len, "%s", cuda.why);
	return cuda.err;
}

/* Unregister the chunks of [off, off + len); the first error wins. */
static int cuda_unregister(struct lib_pin *pin, uint64_t off, uint64_t len)
{
	uint64_t o;
	int rc, ret = 0;

	for (o = off; o < off + len; o += pin->chunk_size) {
		rc = cuda.host_unregister((void *)(uintptr_t)(pin->addr + o));
		if (rc != CUDA_SUCCESS && !ret)
			ret = -EIO;
	}
	return ret;
}

static int cuda_register(struct lib_pin *pin, uint64_t off, uint64_t len)
{
	uint64_t o, n;
	int rc;

	for (o = off; o < off + len; o += pin->chunk_size) {
		n = pin->chunk_size;
		if (o + n > pin->length)
			n = pin->length - o;
		rc = cuda.host_register((void *)(uintptr_t)(pin->addr + o),
					(size_t)n, CUDA_HOST_REGISTER_PORTABLE);
		if (rc != CUDA_SUCCESS) {
			if (o > off)
				cuda_unregister(pin, off, o - off);
			return rc == CUDA_ERROR_HOST_MEMORY_ALREADY_REGISTERED ?
				       -EBUSY : -ENOMEM;
		}
	}
	return 0;
}

static int cuda_attach(struct lib_pin *pin, const char *arg, char *why,
		       size_t len)
{
	int ret = cuda_probe(why, len);

	if (ret)
		return ret;
	if (arg) {
		snprintf(why, len, "adapter cuda takes no argument");
		return -EINVAL;
	}
	ret = cuda_register(pin, 0, pin->length);
	if (ret)
		snprintf(why, len, "cudaHostRegister failed: %s",
			 strerror(-ret));
	return ret;
}

static int cuda_release(struct lib_pin *pin, uint64_t off, uint64_t len)
{
	return cuda_unregister(pin, off, len);
}

static int cuda_repin(struct lib_pin *pin, uint64_t off, uint64_t len)
{
	return cuda_register(pin, off, len);
}

static void cuda_detach(struct lib_pin *pin)
{
	cuda_unregister(pin, 0, pin->length);
}

const struct lib_adapter lib_adapter_cuda = {
	.name = "cuda",
	.probe = cuda_probe,
	.attach = cuda_attach,
	.release = cuda_release,
	.repin = cuda_repin,
	.detach = cuda_detach,
};
