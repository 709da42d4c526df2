#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# cxltierctl for a runtime user who is not root (kmem topology): with
# /dev/cxltier 0660 to a group the user is in (as the shipped udev rule
# gives it to the cxltier group; here nobody's own group), a buffer the
# user tracks in one process shows in that user's `cxltierctl buffers`
# and `heat` from another process, root's buffer does not and its heat
# reads as no such buffer, and the tunables stay root's.  Root still sees
# both.  Needs cxltier.ko loaded.  TAP output.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/tiers_lib.sh"
load_topology
far=${topo_kmem_node:-2}
dev=/dev/cxltier
tmp=$(mktemp -d)
chmod 777 "$tmp"
saved_mode=$(stat -c %a "$dev") saved_group=$(stat -c %g "$dev")
root_buf= user_buf=
cleanup() {
	[ -n "$root_buf" ] && kill "$root_buf" 2>/dev/null && wait "$root_buf" 2>/dev/null
	[ -n "$user_buf" ] && kill "$user_buf" 2>/dev/null && wait "$user_buf" 2>/dev/null
	chgrp "$saved_group" "$dev"
	chmod "$saved_mode" "$dev"
	rm -rf "$tmp"
}
trap cleanup EXIT
# as_user CMD...: run as nobody, with nobody's group as its only group.
as_user() { setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"; }

echo "TAP version 13"
chgrp 65534 "$dev" && chmod 0660 "$dev"

cxltier-cli-buf --far-node "$far" --touch 1 --label root-buf >"$tmp/root" 2>"$tmp/root.err" &
root_buf=$!
# setpriv itself (not a subshell around it) so that $! is the buffer's pid.
setpriv --reuid=65534 --regid=65534 --clear-groups -- cxltier-cli-buf --far-node "$far" --touch 1 --label user-buf >"$tmp/user" 2>"$tmp/user.err" &
user_buf=$!
wait_for 30 test -s "$tmp/root"
wait_for 30 test -s "$tmp/user"
root_id=$(jq .id "$tmp/root" 2>/dev/null)
user_id=$(jq .id "$tmp/user" 2>/dev/null)
if [ -n "$root_id" ] && [ -n "$user_id" ]; then
	tap OK "root and nobody each track a buffer"
else
	tap FAIL "root and nobody each track a buffer: $(cat "$tmp/root.err" "$tmp/user.err")"
fi

out=$(as_user cxltierctl buffers 2>&1)
check "nobody: buffers lists only its own" "user-buf" "$(jq -r '[.[].label] | join(",")' <<<"$out" 2>&1)"
check "nobody: with its id" "$user_id" "$(jq -r '.[0].id' <<<"$out" 2>&1)"
out=$(as_user cxltierctl heat "$user_id" 2>&1)
check "nobody: heat of its buffer, from another process" 8 "$(jq -r '.chunks | length' <<<"$out" 2>&1)"
as_user cxltierctl heat "$root_id" >/dev/null 2>&1
check "nobody: root's buffer is not found" 1 "$?"
as_user cxltierctl set epoch_ms=500 >/dev/null 2>&1
check "nobody: tunables are refused" 1 "$?"
out=$(cxltierctl buffers 2>&1)
check "root: buffers lists both" "root-buf,user-buf" \
	"$(jq -r '[.[].label] | sort | join(",")' <<<"$out" 2>&1)"

finish
