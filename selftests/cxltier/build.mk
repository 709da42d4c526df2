# SPDX-License-Identifier: GPL-2.0
# Guest selftests: user-space programs that drive cxltier.ko, run by
# selftests/cxltier/run_tests.sh inside tools/vm-run.

$(eval $(call program,cxltier-abi-test,selftests/cxltier/abi_test.c,))
$(eval $(call program,cxltier-heat-abi-test,selftests/cxltier/heat_abi_test.c,-lpthread))
# The harness's setjmp trips -Wclobbered in long TEST_F bodies.
CFLAGS_selftests_cxltier_heat_abi_test += -Wno-clobbered
