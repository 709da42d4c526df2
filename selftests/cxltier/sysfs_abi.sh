#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Every file in Documentation/ABI/testing/sysfs-kernel-cxltier exists with
# its documented mode, and every file under /sys/kernel/cxltier is
# documented.  The first line of each Description says "(RO, 0444)" or
# "(RW, 0644)"; path components such as tier<N> stand for tier0, tier1...
# Placeholder paths may match nothing (no such tier on this topology);
# exact paths must exist.  Needs cxltier.ko loaded.  TAP output.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
doc=$here/../../Documentation/ABI/testing/sysfs-kernel-cxltier
# CXLTIER_SYSFS_ROOT: check a copy of the tree instead (the script's own test).
root=${CXLTIER_SYSFS_ROOT:-/sys/kernel/cxltier}

echo "TAP version 13"
[ -r "$doc" ] || { echo "1..0 # SKIP cannot read $doc"; exit 1; }

# One find and one awk: spawning a process per file is slow in a TCG guest.
# Paths are normalised so that tier0, node12 ... read tier<N>, node<N>.
find "$root" -type f -printf '%m %p\n' | awk -v root="$root" '
	function norm(p,   n, parts, i, out) {
		n = split(p, parts, "/")
		out = ""
		if (n == 1)
			return p
		for (i = 2; i <= n; i++) {
			if (parts[i] ~ /^[a-z_]+[0-9]+$/)
				sub(/[0-9]+$/, "<N>", parts[i])
			out = out "/" parts[i]
		}
		return out
	}
	function tap(ok, what) {
		n++
		print (ok ? "ok " : "not ok ") n " " what
		if (!ok)
			fail = 1
	}
	FNR == NR {
		if ($0 ~ /^What:/) { what = $2; want = 1; next }
		if (want && match($0, /\((RO|RW|WO), 0[0-7][0-7][0-7]\)/)) {
			match($0, /0[0-7][0-7][0-7]/)
			key = what
			sub(/^\/sys\/kernel\/cxltier/, "", key)
			gsub(/<[A-Za-z_]+>/, "<N>", key)
			doc[key] = substr($0, RSTART + 1, 3)
			docname[key] = what
			order[++ndoc] = key
			want = 0
		}
		next
	}
	{
		mode = $1
		path = $2
		k = norm(substr(path, length(root) + 1))
		files++
		count[k]++
		# Test membership first: reading doc[k] would create it.
		if (!(k in doc))
			undocumented = undocumented " " path
		else if (mode != doc[k])
			badmode[k] = badmode[k] " " path ":" mode
	}
	END {
		if (!files)
			tap(0, root " has files")
		for (i = 1; i <= ndoc; i++) {
			k = order[i]
			if (!count[k]) {
				if (k ~ /<N>/)
					print "# " docname[k] ": no instance on this system"
				else
					tap(0, docname[k] " exists")
				continue
			}
			if (k in badmode)
				tap(0, docname[k] " has mode " doc[k] " (found" badmode[k] ")")
			else
				tap(1, docname[k] " has mode " doc[k] " (" count[k] " files)")
		}
		tap(undocumented == "", "every file under " root " is documented" \
		    (undocumented == "" ? "" : " (missing:" undocumented ")"))
		print "1.." n
		exit fail
	}' "$doc" -
