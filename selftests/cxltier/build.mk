# SPDX-License-Identifier: GPL-2.0
# Guest selftests: user-space programs that drive cxltier.ko, run by
# selftests/cxltier/run_tests.sh inside tools/vm-run.

$(eval $(call program,cxltier-abi-test,selftests/cxltier/abi_test.c,))
