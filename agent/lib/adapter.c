// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * adapter: the table of adapters, and "none", where the application's
 * own callbacks drop and take the pins.
 */
#include <string.h>

#include "adapter.h"

static int none_probe(char *why, size_t len)
{
	return 0;
}

const struct lib_adapter lib_adapter_none = {
	.name = "none",
	.probe = none_probe,
};

static const struct lib_adapter *const lib_adapters[] = {
	&lib_adapter_none,
	&lib_adapter_test_accel,
	&lib_adapter_cuda,
};

const struct lib_adapter *lib_adapter_find(const char *name)
{
	size_t i;

	if (!name)
		return &lib_adapter_none;
	for (i = 0; i < sizeof(lib_adapters) / sizeof(lib_adapters[0]); i++)
		if (!strcmp(name, lib_adapters[i]->name))
			return lib_adapters[i];
	return NULL;
}
