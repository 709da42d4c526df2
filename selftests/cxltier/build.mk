# SPDX-License-Identifier: GPL-2.0
# Guest selftests: user-space programs that drive cxltier.ko, run by
# selftests/cxltier/run_tests.sh inside tools/vm-run.

$(eval $(call program,cxltier-abi-test,selftests/cxltier/abi_test.c,))
# The harness's TEST_F wrapper trips -Wclobbered on some fixtures.
CFLAGS_selftests_cxltier_tiers_test += -Wno-clobbered
$(eval $(call program,cxltier-tiers-test,selftests/cxltier/tiers_test.c,))
