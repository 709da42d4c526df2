#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# End to end, a block pool that gives one of its slabs back on its own
# (cxltier_pool_release(), no drain asked for it): a pool on DRAM, node
# 1 and the kmem node gives the kmem node's slab back once cxltierd has
# it; cxltierd goes on placing the other slabs, and its advice swaps
# the hot blocks of node 1 into the full DRAM slab, every byte verified.
# TAP.
set -uo pipefail
. "$(dirname "$0")/e2e_lib.sh"

e2e_setup
# This test wants the policy to promote: the default heat threshold.
printf '[policy]\ninterval = 1s\n' >"$conf"

expect "cxltierd starts" start_agent
log=$scratch/app
cxltier-e2e-pool-app --socket "$sock" --blocks 8 --hot 4 --seconds 90 \
	--give-back "$far" >"$log" 2>"$log.err" &
app=$!
app_pids+=("$app")
expect "the program connected" wait_for 60 logged "$log" '^connected 1'
expect "cxltierd took the pool, three slabs" \
	wait_for 30 logged "$scratch/agent.log" "registered pool .*3 slabs"
expect "the program gave its slab on node $far back" \
	wait_for 60 logged "$log" '^released tier 2$'
reap "$app"
rc=$?
expect "cxltierd still moved every hot block to DRAM, no byte wrong" [ $rc = 0 ]
[ $rc = 0 ] || { diag "$log"; diag "$log.err"; tail -20 "$scratch/agent.log" | diag; }
expect "0 corrupt bytes" logged "$log" '^corrupt 0$'
stop_agent
finish
