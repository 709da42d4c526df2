/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The part of the CUDA runtime API (cuda_runtime_api.h) that the test
 * application and cxltier-bench cuda use and that the stand-in provides:
 * the real names, types and values, so that the application is built
 * exactly as it would be against CUDA.
 */
#ifndef CXLTIER_TESTS_CUDA_STANDIN_H
#define CXLTIER_TESTS_CUDA_STANDIN_H

#include <stddef.h>

typedef int cudaError_t;
typedef struct standin_stream *cudaStream_t;

enum cudaMemcpyKind {
	cudaMemcpyHostToHost = 0,
	cudaMemcpyHostToDevice = 1,
	cudaMemcpyDeviceToHost = 2,
	cudaMemcpyDeviceToDevice = 3,
	cudaMemcpyDefault = 4,
};

#define cudaSuccess				0
#define cudaErrorInvalidValue			1
#define cudaErrorMemoryAllocation		2
#define cudaErrorInvalidDevice			101
#define cudaErrorHostMemoryAlreadyRegistered	712
#define cudaErrorHostMemoryNotRegistered	713

#define cudaHostAllocDefault		0x00
#define cudaHostAllocPortable		0x01
#define cudaHostAllocMapped		0x02
#define cudaHostAllocWriteCombined	0x04
#define cudaHostRegisterDefault		0x00
#define cudaHostRegisterPortable	0x01
#define cudaHostRegisterMapped		0x02

cudaError_t cudaHostAlloc(void **ptr, size_t size, unsigned int flags);
cudaError_t cudaMallocHost(void **ptr, size_t size);
cudaError_t cudaFreeHost(void *ptr);
cudaError_t cudaHostRegister(void *ptr, size_t size, unsigned int flags);
cudaError_t cudaHostUnregister(void *ptr);
const char *cudaGetErrorString(cudaError_t err);
cudaError_t cudaGetDeviceCount(int *count);
cudaError_t cudaSetDevice(int device);
cudaError_t cudaRuntimeGetVersion(int *version);
cudaError_t cudaMalloc(void **ptr, size_t size);
cudaError_t cudaFree(void *ptr);
cudaError_t cudaMemcpy(void *dst, const void *src, size_t count,
		       enum cudaMemcpyKind kind);
cudaError_t cudaMemcpyAsync(void *dst, const void *src, size_t count,
			    enum cudaMemcpyKind kind, cudaStream_t stream);
cudaError_t cudaStreamCreate(cudaStream_t *stream);
cudaError_t cudaStreamDestroy(cudaStream_t stream);
cudaError_t cudaStreamSynchronize(cudaStream_t stream);

#endif /* CXLTIER_TESTS_CUDA_STANDIN_H */
