# SPDX-License-Identifier: GPL-2.0
# Guest selftests: user-space programs that drive cxltier.ko, run by
# selftests/cxltier/run_tests.sh inside tools/vm-run.

$(eval $(call program,cxltier-abi-test,selftests/cxltier/abi_test.c,))
# The harness's TEST_F wrapper trips -Wclobbered on some fixtures.
CFLAGS_selftests_cxltier_tiers_test += -Wno-clobbered
$(eval $(call program,cxltier-tiers-test,selftests/cxltier/tiers_test.c,))
$(eval $(call program,cxltier-heat-abi-test,selftests/cxltier/heat_abi_test.c,-lpthread))
$(eval $(call program,cxltier-fuzz-ioctl,selftests/cxltier/fuzz_ioctl.c,-lpthread))
$(eval $(call program,cxltier-accel-test,selftests/cxltier/accel_test.c,))
$(eval $(call program,cxltier-hostile-test,selftests/cxltier/hostile_test.c,))
$(eval $(call program,cxltier-race-test,selftests/cxltier/race_test.c,-lpthread))
$(eval $(call program,cxltier-heat-accuracy-test,selftests/cxltier/heat_accuracy_test.c tools/bench/heat_accuracy.c tools/bench/util.c,$(JSONC_LIBS),$(LIBCXLTIER_A)))
CFLAGS_tools_bench_heat_accuracy += $(JSONC_CFLAGS)
# The harness's setjmp trips -Wclobbered in long TEST_F bodies.
$(foreach t,heat_abi_test fuzz_ioctl heat_accuracy_test accel_test hostile_test race_test,\
	$(eval CFLAGS_selftests_cxltier_$(t) += -Wno-clobbered))

# End-to-end: the test application (libcxltier, test-accel adapter).
CFLAGS_selftests_cxltier_e2e_app += -Iselftests/cxltier/kmod
$(eval $(call program,cxltier-e2e-app,selftests/cxltier/e2e_app.c,$(LIBCXLTIER_LINK) -lnuma -lpthread,$(LIBCXLTIER_SO)))
$(eval $(call program,cxltier-e2e-rogue,selftests/cxltier/e2e_rogue.c,,$(LIBCXLTIER_A)))

# cxltierctl's tests: a tracked buffer with known contents and hot set.
$(eval $(call program,cxltier-cli-buf,selftests/cxltier/cli_buf.c,-lnuma))
