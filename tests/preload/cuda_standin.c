// SPDX-License-Identifier: GPL-2.0
/*
 * A CUDA runtime stand-in for the preload shim's tests, installed as
 * build/lib/cuda-standin/libcudart.so.12: the pinned-memory entry points
 * with the runtime's rules, and pins taken with mlock(2) as the driver
 * takes them.
 *
 *  - cudaHostAlloc/cudaMallocHost map, lock and zero; cudaFreeHost takes
 *    only their pointers.
 *  - cudaHostRegister refuses a range that overlaps a registration (712),
 *    and any above $CUDA_STANDIN_MAX_REGISTER bytes (2: the real runtime
 *    fails registrations of 512 GiB or more); cudaHostUnregister takes
 *    only the exact pointer registered (713 otherwise).
 *  - One device (0; none with $CUDA_STANDIN_DEVICES=0) whose memory is
 *    host memory: cudaMalloc maps it,
 *    cudaFree takes only its pointers.  cudaMemcpy and cudaMemcpyAsync
 *    copy at once (a stream is only a handle) and refuse a device side
 *    outside cudaMalloc memory; cudaMemcpyAsync also refuses a host side
 *    that is not pinned (registered or cudaHostAlloc memory), stricter
 *    than CUDA, which then copies synchronously: the benchmark that uses
 *    it must only ever copy from pinned memory.
 *  - Every pinned-memory call is appended to $CUDA_STANDIN_LOG as one
 *    line: "NAME ptr=0x... size=N flags=N rc=N".
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cuda_standin.h"

#define MAX_ENTRIES 4096

/* struct entry's kinds. */
#define REGISTERED	0
#define HOST_ALLOC	1
#define DEVICE		2

struct entry {
	uintptr_t start;
	size_t size;
	int alloc;	/* HOST_ALLOC, REGISTERED or DEVICE */
};

static struct entry entries[MAX_ENTRIES];
static unsigned int nr_entries;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static cudaError_t logged(const char *name, const void *ptr, size_t size,
			  unsigned int flags, cudaError_t rc)
{
	const char *path = getenv("CUDA_STANDIN_LOG");
	FILE *f;

	if (path && (f = fopen(path, "a"))) {
		fprintf(f, "%s ptr=%p size=%zu flags=%u rc=%d\n", name, ptr, size,
			flags, rc);
		fclose(f);
	}
	return rc;
}

static int find(uintptr_t start, int alloc)
{
	unsigned int i;

	for (i = 0; i < nr_entries; i++)
		if (entries[i].start == start && entries[i].alloc == alloc)
			return (int)i;
	return -1;
}

static int overlaps(uintptr_t start, size_t size)
{
	unsigned int i;

	for (i = 0; i < nr_entries; i++)
		if (start < entries[i].start + entries[i].size &&
		    entries[i].start < start + size)
			return 1;
	return 0;
}

static cudaError_t add(uintptr_t start, size_t size, int alloc)
{
	if (nr_entries == MAX_ENTRIES)
		return cudaErrorMemoryAllocation;
	entries[nr_entries].start = start;
	entries[nr_entries].size = size;
	entries[nr_entries].alloc = alloc;
	nr_entries++;
	return cudaSuccess;
}

static void drop(int i)
{
	entries[i] = entries[--nr_entries];
}

static size_t max_register(void)
{
	const char *v = getenv("CUDA_STANDIN_MAX_REGISTER");

	return v ? strtoull(v, NULL, 0) : (size_t)512 << 30;
}

/* Map @size bytes as an entry of @kind, locked if HOST_ALLOC. */
static cudaError_t map_entry(void **ptr, size_t size, int kind)
{
	cudaError_t rc = cudaErrorMemoryAllocation;
	void *p;

	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return rc;
	pthread_mutex_lock(&lock);
	if (kind != HOST_ALLOC || !mlock(p, size))
		rc = add((uintptr_t)p, size, kind);
	pthread_mutex_unlock(&lock);
	if (rc)
		munmap(p, size);
	else
		*ptr = p;
	return rc;
}

/* Unmap the entry of @kind that starts at @ptr. */
static cudaError_t unmap_entry(void *ptr, int kind)
{
	cudaError_t rc = cudaErrorInvalidValue;
	int i;

	pthread_mutex_lock(&lock);
	i = find((uintptr_t)ptr, kind);
	if (i >= 0) {
		munmap(ptr, entries[i].size);
		drop(i);
		rc = cudaSuccess;
	}
	pthread_mutex_unlock(&lock);
	return rc;
}

static cudaError_t host_alloc(const char *name, void **ptr, size_t size,
			      unsigned int flags)
{
	void *p = NULL;
	cudaError_t rc;

	if (!ptr || !size)
		return logged(name, NULL, size, flags, cudaErrorInvalidValue);
	rc = map_entry(&p, size, HOST_ALLOC);
	if (!rc)
		*ptr = p;
	return logged(name, p, size, flags, rc);
}

cudaError_t cudaHostAlloc(void **ptr, size_t size, unsigned int flags)
{
	return host_alloc("cudaHostAlloc", ptr, size, flags);
}

cudaError_t cudaMallocHost(void **ptr, size_t size)
{
	return host_alloc("cudaMallocHost", ptr, size, 0);
}

cudaError_t cudaFreeHost(void *ptr)
{
	return logged("cudaFreeHost", ptr, 0, 0, unmap_entry(ptr, HOST_ALLOC));
}

cudaError_t cudaHostRegister(void *ptr, size_t size, unsigned int flags)
{
	cudaError_t rc;

	if (!ptr || !size)
		return logged("cudaHostRegister", ptr, size, flags, cudaErrorInvalidValue);
	pthread_mutex_lock(&lock);
	if (size > max_register())
		rc = cudaErrorMemoryAllocation;
	else if (overlaps((uintptr_t)ptr, size))
		rc = cudaErrorHostMemoryAlreadyRegistered;
	else if (mlock(ptr, size))
		rc = cudaErrorMemoryAllocation;
	else if ((rc = add((uintptr_t)ptr, size, REGISTERED)))
		munlock(ptr, size);
	pthread_mutex_unlock(&lock);
	return logged("cudaHostRegister", ptr, size, flags, rc);
}

cudaError_t cudaHostUnregister(void *ptr)
{
	cudaError_t rc = cudaErrorHostMemoryNotRegistered;
	size_t size = 0;
	int i;

	pthread_mutex_lock(&lock);
	i = find((uintptr_t)ptr, REGISTERED);
	if (i >= 0) {
		size = entries[i].size;
		munlock(ptr, size);
		drop(i);
		rc = cudaSuccess;
	}
	pthread_mutex_unlock(&lock);
	return logged("cudaHostUnregister", ptr, size, 0, rc);
}

const char *cudaGetErrorString(cudaError_t err)
{
	switch (err) {
	case cudaSuccess: return "no error";
	case cudaErrorInvalidValue: return "invalid argument";
	case cudaErrorMemoryAllocation: return "out of memory";
	case cudaErrorInvalidDevice: return "invalid device ordinal";
	case cudaErrorHostMemoryAlreadyRegistered: return "part or all of the requested memory range is already mapped";
	case cudaErrorHostMemoryNotRegistered: return "pointer does not correspond to a registered memory region";
	}
	return "unknown error";
}

/* $CUDA_STANDIN_DEVICES=0: a runtime without a GPU (count 0). */
cudaError_t cudaGetDeviceCount(int *count)
{
	const char *v = getenv("CUDA_STANDIN_DEVICES");

	if (!count)
		return cudaErrorInvalidValue;
	*count = v && !strcmp(v, "0") ? 0 : 1;
	return cudaSuccess;
}

cudaError_t cudaSetDevice(int device)
{
	return device == 0 ? cudaSuccess : cudaErrorInvalidDevice;
}

/* 0: not a CUDA release, so that no one mistakes the stand-in for one. */
cudaError_t cudaRuntimeGetVersion(int *version)
{
	if (!version)
		return cudaErrorInvalidValue;
	*version = 0;
	return cudaSuccess;
}

cudaError_t cudaMalloc(void **ptr, size_t size)
{
	if (!ptr || !size)
		return cudaErrorInvalidValue;
	return map_entry(ptr, size, DEVICE);
}

cudaError_t cudaFree(void *ptr)
{
	return ptr ? unmap_entry(ptr, DEVICE) : cudaSuccess;
}

/* Is [p, p + len) covered by entries of @kind (pinned: both host kinds)? */
static int covered(const void *p, size_t len, int kind)
{
	uintptr_t at = (uintptr_t)p, end = at + len;
	unsigned int i;
	int more = 1, ok;

	pthread_mutex_lock(&lock);
	while (at < end && more) {
		more = 0;
		for (i = 0; i < nr_entries; i++) {
			ok = kind == DEVICE ? entries[i].alloc == DEVICE :
					      entries[i].alloc != DEVICE;
			if (ok && entries[i].start <= at &&
			    at < entries[i].start + entries[i].size) {
				at = entries[i].start + entries[i].size;
				more = 1;
				break;
			}
		}
	}
	pthread_mutex_unlock(&lock);
	return at >= end;
}

static cudaError_t copy(void *dst, const void *src, size_t count,
			enum cudaMemcpyKind kind, int pinned_only)
{
	if (!dst || !src)
		return cudaErrorInvalidValue;
	switch (kind) {
	case cudaMemcpyHostToDevice:
		if (!covered(dst, count, DEVICE) ||
		    (pinned_only && !covered(src, count, REGISTERED)))
			return cudaErrorInvalidValue;
		break;
	case cudaMemcpyDeviceToHost:
		if (!covered(src, count, DEVICE) ||
		    (pinned_only && !covered(dst, count, REGISTERED)))
			return cudaErrorInvalidValue;
		break;
	default:
		return cudaErrorInvalidValue;
	}
	memcpy(dst, src, count);
	return cudaSuccess;
}

cudaError_t cudaMemcpy(void *dst, const void *src, size_t count,
		       enum cudaMemcpyKind kind)
{
	return copy(dst, src, count, kind, 0);
}

cudaError_t cudaMemcpyAsync(void *dst, const void *src, size_t count,
			    enum cudaMemcpyKind kind, cudaStream_t stream)
{
	(void)stream;
	return copy(dst, src, count, kind, 1);
}

/* A stream is a handle only: every copy is done when it returns. */
cudaError_t cudaStreamCreate(cudaStream_t *stream)
{
	if (!stream)
		return cudaErrorInvalidValue;
	*stream = malloc(1);
	return *stream ? cudaSuccess : cudaErrorMemoryAllocation;
}

cudaError_t cudaStreamDestroy(cudaStream_t stream)
{
	free(stream);
	return cudaSuccess;
}

cudaError_t cudaStreamSynchronize(cudaStream_t stream)
{
	(void)stream;
	return cudaSuccess;
}
