# SPDX-License-Identifier: GPL-2.0
#
# Sourced by the selftest scripts: kernel log lines above info level that
# a test must not cause.  Excluded are the one-time notices any
# out-of-tree module causes, the deliberate warning of vm-run's own
# self-test, and what a TCG guest on a loaded host prints about its own
# timekeeping (slow timer interrupts, clocksource watchdog skips), which
# says nothing about the code under test, and what a test brackets as
# expected (the kernel's warnings about pages an offline cannot migrate)
# between "cxltier-test: expected warnings begin" and "... end".

log_problems() {
	dmesg --level=emerg,alert,crit,err,warn,notice 2>/dev/null |
		awk '/cxltier-test: expected warnings begin/ { skip = 1; next }
		     /cxltier-test: expected warnings end/ { skip = 0; next }
		     !skip' |
		grep -v -e 'loading out-of-tree module taints kernel' \
			-e 'module verification failed' \
			-e 'cxltier_test_warn' \
			-e 'hrtimer: interrupt took' \
			-e 'clocksource: Long readout interval' \
			-e 'clocksource: timekeeping watchdog' \
			-e "clocksource: Marking clocksource 'tsc' as unstable" \
			-e 'clocksource: .*skew' \
			-e 'tsc: Marking TSC unstable' \
			-e 'sched_clock: Marking unstable' || true
}

# log_new BEFORE AFTER: lines of AFTER past BEFORE (the log only grows).
log_new() {
	if [ -z "$1" ]; then
		printf '%s' "$2"
	else
		tail -n +$(($(wc -l <<<"$1") + 1)) <<<"$2"
	fi
}
