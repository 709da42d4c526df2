# SPDX-License-Identifier: GPL-2.0
# Guest selftests: user-space programs that drive cxltier.ko, run by
# selftests/cxltier/run_tests.sh inside tools/vm-run.

$(eval $(call program,cxltier-abi-test,selftests/cxltier/abi_test.c,))
# The harness's TEST_F wrapper trips -Wclobbered on some fixtures.
CFLAGS_selftests_cxltier_tiers_test += -Wno-clobbered
$(eval $(call program,cxltier-tiers-test,selftests/cxltier/tiers_test.c,))
# heat_util.h's and e2e_app.c's sysfs, tunables and accelerator are the
# test bed's (tools/testbed/).
$(call testbed_user,$(addprefix selftests/cxltier/,heat_abi_test.c fuzz_ioctl.c accel_test.c \
	heat_accuracy_test.c cli_buf.c e2e_app.c hostile_test.c race_test.c))
$(eval $(call program,cxltier-heat-abi-test,selftests/cxltier/heat_abi_test.c,$(TESTBED_LIBS),$(TESTBED_A)))
$(eval $(call program,cxltier-fuzz-ioctl,selftests/cxltier/fuzz_ioctl.c,$(TESTBED_LIBS),$(TESTBED_A)))
$(eval $(call program,cxltier-accel-test,selftests/cxltier/accel_test.c,$(TESTBED_LIBS),$(TESTBED_A)))
$(eval $(call program,cxltier-hostile-test,selftests/cxltier/hostile_test.c,$(TESTBED_LIBS),$(TESTBED_A)))
$(eval $(call program,cxltier-race-test,selftests/cxltier/race_test.c,$(TESTBED_LIBS),$(TESTBED_A)))
$(eval $(call program,cxltier-heat-accuracy-test,selftests/cxltier/heat_accuracy_test.c,$(TESTBED_LIBS),$(TESTBED_A) $(LIBCXLTIER_A)))
# The harness's setjmp trips -Wclobbered in long TEST_F bodies.
$(foreach t,heat_abi_test fuzz_ioctl heat_accuracy_test accel_test hostile_test race_test,\
	$(eval CFLAGS_selftests_cxltier_$(t) += -Wno-clobbered))

# End-to-end: the test application (libcxltier, test-accel adapter).
$(eval $(call program,cxltier-e2e-app,selftests/cxltier/e2e_app.c,$(LIBCXLTIER_LINK) $(TESTBED_LIBS),$(TESTBED_A) $(LIBCXLTIER_SO)))
# Block pools through the shared library (test-accel adapter).
$(call testbed_user,selftests/cxltier/pool_test.c)
$(eval $(call program,cxltier-pool-test,selftests/cxltier/pool_test.c,$(LIBCXLTIER_LINK) $(TESTBED_LIBS),$(TESTBED_A) $(LIBCXLTIER_SO)))
CFLAGS_selftests_cxltier_pool_test += -Wno-clobbered
# Pools placed by cxltierd, end to end.
$(call testbed_user,selftests/cxltier/e2e_pool_app.c)
$(eval $(call program,cxltier-e2e-pool-app,selftests/cxltier/e2e_pool_app.c,$(LIBCXLTIER_LINK) $(TESTBED_LIBS),$(TESTBED_A) $(LIBCXLTIER_SO)))
# The library's side of pool advice (internal: links the static library).
$(call testbed_user,selftests/cxltier/pool_advice_test.c)
$(eval $(call program,cxltier-pool-advice-test,selftests/cxltier/pool_advice_test.c,$(TESTBED_LIBS) -ldl,$(TESTBED_A) $(LIBCXLTIER_A)))
CFLAGS_selftests_cxltier_pool_advice_test += -Wno-clobbered
$(eval $(call program,cxltier-e2e-rogue,selftests/cxltier/e2e_rogue.c,,$(LIBCXLTIER_A)))

# cxltierctl's tests: a tracked buffer with known contents and hot set.
$(eval $(call program,cxltier-cli-buf,selftests/cxltier/cli_buf.c,$(TESTBED_LIBS),$(TESTBED_A)))
$(eval $(call program,cxltier-e2e-flood,selftests/cxltier/e2e_flood.c,,$(LIBCXLTIER_A)))

# Reclaim under memory pressure (run by reclaim.sh in a memory cgroup).
$(call testbed_user,selftests/cxltier/reclaim_test.c)
$(eval $(call program,cxltier-reclaim-test,selftests/cxltier/reclaim_test.c,$(TESTBED_LIBS),$(TESTBED_A)))
