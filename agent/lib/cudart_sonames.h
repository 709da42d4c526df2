/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The CUDA runtime's sonames, tried in turn with dlopen(): the
 * development link, then the runtime ones.  One list for libcxltier's
 * cuda adapter and cxltier-bench cuda, so that both load the same
 * runtime in one process and see one set of registrations.
 */
#ifndef CXLTIER_CUDART_SONAMES_H
#define CXLTIER_CUDART_SONAMES_H

#define CXLTIER_CUDART_SONAMES \
	"libcudart.so", "libcudart.so.13", "libcudart.so.12", "libcudart.so.11.0"

#endif /* CXLTIER_CUDART_SONAMES_H */
