/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * adapter: who pins a libcxltier buffer.  An adapter pins the whole
 * buffer at registration in pieces it can drop and take again one range
 * at a time, and unpins it at unregistration.  Not part of the public
 * API: adapters are chosen by name in cxltier_buffer_desc.adapter.
 */
#ifndef CXLTIER_ADAPTER_H
#define CXLTIER_ADAPTER_H

#include <stddef.h>
#include <stdint.h>

/**
 * struct lib_pin - what an adapter knows of the buffer it pins
 * @addr: start of the buffer
 * @length: bytes
 * @chunk_size: unit of release and re-pin
 * @handle: the adapter's handle of the pin, if it has one
 * @has_handle: @handle is meaningful
 * @priv: adapter state
 */
struct lib_pin {
	uint64_t addr;
	uint64_t length;
	uint64_t chunk_size;
	uint64_t handle;
	int has_handle;
	void *priv;
};

/**
 * struct lib_adapter - one way of pinning
 * @name: as in cxltier_buffer_desc.adapter
 * @probe: can it work here?  0 or -errno, a reason in @why
 * @attach: pin all of @pin (NULL: the application pins)
 * @release: drop the pin on [off, off + len) only
 * @repin: pin [off, off + len) again
 * @detach: unpin everything and free @pin->priv
 *
 * All return 0 or a negative errno; @why (may be NULL) gets a reason.
 */
struct lib_adapter {
	const char *name;
	int (*probe)(char *why, size_t len);
	int (*attach)(struct lib_pin *pin, const char *arg, char *why,
		      size_t len);
	int (*release)(struct lib_pin *pin, uint64_t off, uint64_t len);
	int (*repin)(struct lib_pin *pin, uint64_t off, uint64_t len);
	void (*detach)(struct lib_pin *pin);
};

extern const struct lib_adapter lib_adapter_none;
extern const struct lib_adapter lib_adapter_test_accel;
extern const struct lib_adapter lib_adapter_cuda;

/* The adapter called @name (NULL: "none"), or NULL. */
const struct lib_adapter *lib_adapter_find(const char *name);

#endif /* CXLTIER_ADAPTER_H */
