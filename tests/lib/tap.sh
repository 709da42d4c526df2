# SPDX-License-Identifier: GPL-2.0
#
# tap.sh: sourced by the host test scripts in tests/scripts/.
# tap OK|FAIL DESCRIPTION [DETAIL...] prints one TAP line (DETAIL lines as
# diagnostics under a failure); $fail is 1 once anything failed.

n=0
fail=0
tap() {
	n=$((n + 1))
	if [ "$1" = OK ]; then
		echo "ok $n $2"
	else
		echo "not ok $n $2"
		shift 2
		[ $# -gt 0 ] && printf '%s\n' "$@" | sed 's/^/#   /'
		fail=1
	fi
}
