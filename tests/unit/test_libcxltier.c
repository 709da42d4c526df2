// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests for libcxltier.so what needs no module: its exported
 * symbols and version, adapter probing (the CUDA adapter must report
 * cleanly that there is no CUDA runtime or no device here), and the argument checks of
 * cxltier_open().  Everything that talks to the module and the agent is
 * tested in the guest (selftests/cxltier/e2e_*.sh).
 */
#include <dlfcn.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "libcxltier.h"

/* The library reports the project's version. */
TEST(version)
{
	EXPECT_STREQ(CXLTIER_VERSION, cxltier_version());
}

/* Every public function is exported under the CXLTIER_1.0 node. */
TEST(versioned_symbols)
{
	static const char *const syms[] = {
		"cxltier_open", "cxltier_close", "cxltier_connected",
		"cxltier_register", "cxltier_unregister", "cxltier_buffer_id",
		"cxltier_buffer_handle", "cxltier_report", "cxltier_flush",
		"cxltier_move", "cxltier_adapter_probe", "cxltier_version",
	};
	void *h = dlopen("libcxltier.so.1", RTLD_NOW);
	size_t i;

	ASSERT_NE(NULL, h) TH_LOG("%s", dlerror());
	for (i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		const char *name = syms[i];

		EXPECT_TRUE(dlvsym(h, name, "CXLTIER_1.0") != NULL)
			TH_LOG("%s is not exported as CXLTIER_1.0", name);
	}
	/* Internals stay internal. */
	EXPECT_EQ(NULL, dlsym(h, "proto_decode"));
	EXPECT_EQ(NULL, dlsym(h, "kdev_open"));
	dlclose(h);
}

/* The pool functions are exported under CXLTIER_1.1, and only there. */
TEST(pool_symbols)
{
	static const char *const syms[] = {
		"cxltier_pool_create", "cxltier_pool_destroy", "cxltier_pool_id",
		"cxltier_block_alloc", "cxltier_block_free", "cxltier_block_get",
		"cxltier_block_put", "cxltier_block_lookup", "cxltier_pool_hint",
		"cxltier_pool_report", "cxltier_pool_move", "cxltier_pool_stats",
	};
	void *h = dlopen("libcxltier.so.1", RTLD_NOW);
	size_t i;

	ASSERT_NE(NULL, h) TH_LOG("%s", dlerror());
	for (i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		EXPECT_TRUE(dlvsym(h, syms[i], "CXLTIER_1.1") != NULL)
			TH_LOG("%s is not exported as CXLTIER_1.1", syms[i]);
		EXPECT_EQ(NULL, dlvsym(h, syms[i], "CXLTIER_1.0"));
	}
	EXPECT_EQ(NULL, dlsym(h, "pt_get"));
	EXPECT_EQ(NULL, dlsym(h, "pool_slab_create"));
	dlclose(h);
}

/* Pool calls without a pool or context are -EINVAL, never a crash. */
TEST(pool_null_args)
{
	struct cxltier_pool_desc d = { .size = sizeof(d), .nr_blocks = 1 };
	struct cxltier_pool_stats st = { .size = sizeof(st) };
	struct cxltier_block_move mv = { 0 };
	struct cxltier_block_ref ref;
	struct cxltier_pool *p;
	cxltier_block_t b;

	EXPECT_EQ(-EINVAL, cxltier_pool_create(NULL, &d, &p));
	EXPECT_EQ(-EINVAL, cxltier_pool_destroy(NULL));
	EXPECT_EQ(-EINVAL, cxltier_block_alloc(NULL, 0, &b));
	EXPECT_EQ(-EINVAL, cxltier_block_free(NULL, 1));
	EXPECT_EQ(-EINVAL, cxltier_block_get(NULL, 1, 0, &ref));
	EXPECT_EQ(-EINVAL, cxltier_block_lookup(NULL, 1, &ref));
	EXPECT_EQ(-EINVAL, cxltier_pool_hint(NULL, CXLTIER_HINT_DONE, &b, 1, 0));
	EXPECT_EQ(-EINVAL, cxltier_pool_report(NULL, &b, 1, 1));
	EXPECT_EQ(-EINVAL, cxltier_pool_move(NULL, &mv, 1));
	EXPECT_EQ(-EINVAL, cxltier_pool_stats(NULL, &st));
	cxltier_block_put(NULL, &ref);
}

/* "none" always works; an unknown adapter is -ENOENT and says so. */
TEST(adapter_probe)
{
	char why[256];

	EXPECT_EQ(0, cxltier_adapter_probe("none", why, sizeof(why)));
	EXPECT_STREQ("", why);
	EXPECT_EQ(-ENOENT, cxltier_adapter_probe("opencl", why, sizeof(why)));
	EXPECT_NE(NULL, strstr(why, "opencl"));
}

/*
 * With no CUDA runtime, or a runtime but no GPU (no driver), the cuda
 * adapter is -ENODEV with a reason that says which.
 */
TEST(cuda_absent)
{
	char why[256];
	void *h = dlopen("libcudart.so", RTLD_NOW);

	if (!access("/dev/nvidiactl", F_OK))
		SKIP(return, "not applicable: an NVIDIA GPU driver is loaded");
	EXPECT_EQ(-ENODEV, cxltier_adapter_probe("cuda", why, sizeof(why)));
	if (h) {
		EXPECT_NE(NULL, strstr(why, "no CUDA device")) TH_LOG("%s", why);
		dlclose(h);
	} else {
		EXPECT_NE(NULL, strstr(why, "no CUDA runtime")) TH_LOG("%s", why);
	}
	/* Asking twice gives the same answer (loaded once). */
	EXPECT_EQ(-ENODEV, cxltier_adapter_probe("cuda", NULL, 0));
}

/* Bad options are refused before anything is opened. */
TEST(open_arguments)
{
	struct {
		struct cxltier_options o;
		char tail[8];
	} big;
	struct cxltier_options o;
	struct cxltier *ctx = NULL;

	memset(&o, 0, sizeof(o));
	o.size = sizeof(o);
	o.flags = 0x80;
	EXPECT_EQ(-EINVAL, cxltier_open(&o, &ctx));
	o.flags = 0;
	o.size = 2;
	EXPECT_EQ(-EINVAL, cxltier_open(&o, &ctx));

	memset(&big, 0, sizeof(big));
	big.o.size = sizeof(big);
	big.tail[3] = 1;
	EXPECT_EQ(-E2BIG, cxltier_open(&big.o, &ctx));

	o.size = sizeof(o);
	o.device_path = "/nonexistent/cxltier";
	o.log = NULL;
	EXPECT_EQ(-ENOENT, cxltier_open(&o, &ctx));
	EXPECT_EQ(NULL, ctx);
}

TEST_HARNESS_MAIN
