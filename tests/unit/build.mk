# SPDX-License-Identifier: GPL-2.0
# Host unit tests of pure user-space logic; each is a kselftest-harness
# program printing TAP, run by scripts/run-unit.

$(eval $(call unit_test,test-units,tests/unit/test_units.c,,$(LIBCXLTIER_A)))
$(eval $(call unit_test,test-heat,tests/unit/test_heat.c,-lm))
$(eval $(call unit_test,test-tiers,tests/unit/test_tiers.c,))

$(eval $(call unit_test,test-config,tests/unit/test_config.c,$(CXLTIERD_CORE_LIBS),$(CXLTIERD_CORE_A) $(LIBCXLTIER_A)))

$(eval $(call unit_test,test-pin-place,tests/unit/test_pin_place.c agent/pin_place.c agent/log.c,$(CXLTIERD_CORE_LIBS),$(CXLTIERD_CORE_A) $(LIBCXLTIER_A)))
$(eval $(call unit_test,test-node-meminfo,tests/unit/test_node_meminfo.c,$(CXLTIERD_CORE_LIBS),$(CXLTIERD_CORE_A) $(LIBCXLTIER_A)))
$(eval $(call unit_test,test-policy,tests/unit/test_policy.c,$(CXLTIERD_CORE_LIBS),$(CXLTIERD_CORE_A) $(LIBCXLTIER_A)))
$(eval $(call unit_test,test-pool-plan,tests/unit/test_pool_plan.c,$(CXLTIERD_CORE_LIBS),$(CXLTIERD_CORE_A) $(LIBCXLTIER_A)))
$(eval $(call unit_test,test-pool-heat,tests/unit/test_pool_heat.c,$(CXLTIERD_CORE_LIBS),$(CXLTIERD_CORE_A) $(LIBCXLTIER_A)))

KVREPLAY_TEST_SRCS := tests/unit/test_kvreplay.c tools/kvreplay/trace.c tools/kvreplay/sim.c \
		      tools/kvreplay/baselines.c tools/kvreplay/report.c tools/kvreplay/scale.c \
		      tools/kvreplay/gen.c
CFLAGS_tests_unit_test_kvreplay += -Itools/kvreplay $(JSONC_CFLAGS)
$(eval $(call unit_test,test-kvreplay,$(KVREPLAY_TEST_SRCS),$(CXLTIERD_CORE_LIBS) $(JSONC_LIBS) -lm,$(CXLTIERD_CORE_A) $(LIBCXLTIER_A)))

$(eval $(call unit_test,test-topology,tests/unit/test_topology.c,$(TOPOLOGY_LIBS),$(TOPOLOGY_A)))
$(eval $(call unit_test,test-proto,tests/unit/test_proto.c,,$(LIBCXLTIER_A)))
$(eval $(call unit_test,test-proto-pool,tests/unit/test_proto_pool.c,-lpthread -ldl -lm,$(LIBCXLTIER_A)))
$(eval $(call unit_test,test-libcxltier,tests/unit/test_libcxltier.c,$(LIBCXLTIER_LINK) -ldl,$(LIBCXLTIER_SO)))
$(eval $(call unit_test,test-plan,tests/unit/test_plan.c agent/plan.c,$(CXLTIERD_CORE_LIBS),$(CXLTIERD_CORE_A) $(LIBCXLTIER_A)))
$(eval $(call unit_test,test-metrics,tests/unit/test_metrics.c agent/metrics.c agent/plan.c,$(CXLTIERD_CORE_LIBS),$(CXLTIERD_CORE_A) $(LIBCXLTIER_A)))
$(eval $(call unit_test,test-executor,tests/unit/test_executor.c agent/executor.c agent/plan.c agent/server.c agent/peer_access.c agent/peer_limits.c agent/ratelimit.c agent/metrics.c agent/log.c,$(CXLTIERD_CORE_LIBS),$(CXLTIERD_CORE_A) $(LIBCXLTIER_A)))
$(eval $(call unit_test,test-server,tests/unit/test_server.c agent/server.c agent/peer_access.c agent/peer_limits.c agent/ratelimit.c agent/log.c agent/pool_heat.c agent/policy.c,,$(LIBCXLTIER_A)))
$(eval $(call unit_test,test-pool-table,tests/unit/test_pool_table.c,-lpthread,$(LIBCXLTIER_A)))
$(eval $(call unit_test,test-preload-place,tests/unit/test_preload_place.c agent/preload/place.c,$(CXLTIERD_CORE_LIBS),$(CXLTIERD_CORE_A) $(LIBCXLTIER_A)))
$(eval $(call unit_test,test-observe,tests/unit/test_observe.c agent/observe.c agent/placement.c,,$(LIBCXLTIER_A)))
$(eval $(call unit_test,test-admin,tests/unit/test_admin.c agent/admin.c agent/inspect.c agent/drain.c agent/executor.c agent/plan.c agent/server.c agent/peer_access.c agent/peer_limits.c agent/ratelimit.c agent/metrics.c agent/observe.c agent/placement.c agent/log.c,$(CXLTIERD_CORE_LIBS),$(CXLTIERD_CORE_A) $(LIBCXLTIER_A)))
