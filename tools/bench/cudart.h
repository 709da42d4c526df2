/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The CUDA runtime entry points cxltier-bench cuda uses, loaded with
 * dlopen() at run time (no CUDA headers or libraries at build time), from
 * libcxltier's cuda adapter's list of sonames (cudart_sonames.h), so that
 * the two share one runtime and its registrations.
 */
#ifndef CXLTIER_BENCH_CUDART_H
#define CXLTIER_BENCH_CUDART_H

#include <limits.h>
#include <stddef.h>

/* Values from driver_types.h. */
#define CUDART_SUCCESS			0
#define CUDART_MEMCPY_H2D		1
#define CUDART_MEMCPY_D2H		2
#define CUDART_HOST_REGISTER_PORTABLE	0x01

/**
 * struct cudart - a loaded CUDA runtime
 * @handle: dlopen() handle
 * @path: the file it came from
 * @version: cudaRuntimeGetVersion (12040 for 12.4)
 * @devices: cudaGetDeviceCount
 */
struct cudart {
	void *handle;
	char path[PATH_MAX];
	int version;
	int devices;
	int (*get_device_count)(int *count);
	int (*set_device)(int device);
	int (*runtime_get_version)(int *version);
	int (*host_register)(void *ptr, size_t size, unsigned int flags);
	int (*host_unregister)(void *ptr);
	int (*malloc)(void **ptr, size_t size);
	int (*free)(void *ptr);
	int (*memcpy)(void *dst, const void *src, size_t count, int kind);
	int (*memcpy_async)(void *dst, const void *src, size_t count, int kind,
			    void *stream);
	int (*stream_create)(void **stream);
	int (*stream_destroy)(void *stream);
	int (*stream_synchronize)(void *stream);
	const char *(*get_error_string)(int err);
};

/*
 * Load the runtime and count its devices.  0, or -ENODEV with the reason
 * in @why: no runtime, a runtime without these entry points, no device.
 */
int cudart_load(struct cudart *c, char *why, size_t len);
void cudart_unload(struct cudart *c);

/* The runtime's name for @err. */
const char *cudart_strerror(const struct cudart *c, int err);

#endif /* CXLTIER_BENCH_CUDART_H */
