// SPDX-License-Identifier: GPL-2.0
/*
 * cxltierctl info: what the loaded module is and what it can do.
 */
#include <stdio.h>
#include <string.h>

#include "cmds.h"
#include "kdev.h"

/*
 * Names of the CXLTIER_FEAT_* bits and of the ioctl numbers: each is the
 * macro's suffix in lower case with '-' for '_' (cxltierctl(8)).
 */
static const char *const feature_names[] = {
	"tiers", "track", "cpu-scan", "dev-report", "poll", "retier", "pidfd",
	"placement",
};

static const char *const ioctl_names[] = {
	"handshake", "get-nodes", "track", "untrack", "report", "get-heat",
	"get-ranges",
};

static struct json_object *mask_to_array(uint64_t mask,
					 const char *const *names, size_t n)
{
	struct json_object *arr = json_object_new_array();
	size_t i;

	for (i = 0; i < 64; i++) {
		char unknown[16];

		if (!(mask & (1ULL << i)))
			continue;
		if (i < n) {
			json_object_array_add(arr, json_object_new_string(names[i]));
		} else {
			snprintf(unknown, sizeof(unknown), "bit%zu", i);
			json_object_array_add(arr, json_object_new_string(unknown));
		}
	}
	return arr;
}

int cmd_info(int argc, char **argv, const struct ctl_opts *opts)
{
	struct json_object *obj;
	struct kdev dev;
	char version[64];

	if (argc > 1) {
		fprintf(stderr, "usage: cxltierctl info\n");
		return CTL_EXIT_USAGE;
	}
	if (ctl_open_dev(opts, &dev))
		return CTL_EXIT_NODEV;

	obj = json_object_new_object();
	if (!ctl_read_sysfs(opts, "version", version, sizeof(version)))
		json_object_object_add(obj, "version", json_object_new_string(version));
	json_object_object_add(obj, "api_version",
			       json_object_new_int64(dev.api_version));
	json_object_object_add(obj, "features",
			       mask_to_array(dev.features, feature_names,
					     sizeof(feature_names) / sizeof(feature_names[0])));
	json_object_object_add(obj, "ioctls",
			       mask_to_array(dev.ioctls, ioctl_names,
					     sizeof(ioctl_names) / sizeof(ioctl_names[0])));
	kdev_close(&dev);
	ctl_print_json(obj);
	return CTL_EXIT_OK;
}
