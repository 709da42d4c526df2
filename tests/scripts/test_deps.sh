#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# test_deps.sh: scripts/deps from a new machine to a complete one, with
# stand-ins for dpkg-query, apt-get, apt-cache and id on PATH.  The
# stand-ins keep the "installed" packages in a state file, so an install
# is seen by the next dpkg-query as on a real machine.  TAP output; host
# only, about a second.
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/tests/lib/tap.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
standins=$tmp/bin
mkdir -p "$standins"

# dpkg-query -W -f=FORMAT PATTERN...: the installed packages matching
# each glob PATTERN, in FORMAT (${Package} and ${Status} only); exit 1
# when a pattern matches nothing, as dpkg-query does.
cat >"$standins/dpkg-query" <<'EOF'
#!/bin/bash
fmt='${Package}\n' rc=0
while [ $# -gt 0 ]; do
	case "$1" in
	-W) ;;
	-f=*) fmt=${1#-f=} ;;
	-f) shift; fmt=$1 ;;
	*)
		found=0
		while read -r p; do
			[ -n "$p" ] || continue
			# shellcheck disable=SC2053
			[[ $p == $1 ]] || continue
			found=1
			out=${fmt//'${Package}'/$p}
			out=${out//'${Status}'/install ok installed}
			printf "${out//%/%%}"
		done <"$STUB_STATE/installed"
		[ $found = 1 ] || { echo "dpkg-query: no packages found matching $1" >&2; rc=1; }
		;;
	esac
	shift
done
exit $rc
EOF
# apt-get update | install [OPTIONS] PKG...
cat >"$standins/apt-get" <<'EOF'
#!/bin/bash
echo "apt-get $*" >>"$STUB_STATE/calls"
case "$1" in
update)
	if [ -n "${STUB_UPDATE_FAIL:-}" ]; then
		echo "W: Failed to fetch http://example.invalid/dists/bookworm/InRelease  Temporary failure resolving 'example.invalid'" >&2
		echo "E: Some index files failed to download. They have been ignored, or old ones used instead." >&2
		exit 100
	fi
	cp "$STUB_STATE/available.new" "$STUB_STATE/available" 2>/dev/null
	exit 0 ;;
install)
	shift
	pkgs=()
	for a in "$@"; do
		case "$a" in -*) ;; *) pkgs+=("$a") ;; esac
	done
	for p in "${pkgs[@]}"; do
		grep -qxF "$p" "$STUB_STATE/available" || {
			echo "E: Unable to locate package $p" >&2
			exit 100
		}
	done
	printf '%s\n' "${pkgs[@]}" >>"$STUB_STATE/installed"
	# linux-headers-amd64 depends on the versioned 6.1 headers.
	printf '%s\n' "${pkgs[@]}" | grep -qx linux-headers-amd64 &&
		echo linux-headers-6.1.0-57-amd64 >>"$STUB_STATE/installed"
	exit 0 ;;
esac
exit 1
EOF
# apt-cache search --names-only REGEX
cat >"$standins/apt-cache" <<'EOF'
#!/bin/bash
[ "$1" = search ] || exit 1
grep -E "${!#}" "$STUB_STATE/available" | sed 's/$/ - stand-in package/'
exit 0
EOF
printf '#!/bin/sh\necho 0\n' >"$standins/id"
# guest-kernel [--check] KVER...: "unpacks" a kernel whose headers are in
# the lists into $CXLTIER_KERNELS_DIR/KVER/ready; a kernel whose image is
# "installed" needs nothing.
cat >"$standins/guest-kernel" <<'EOF'
#!/bin/bash
check=0 rc=0
[ "$1" = --check ] && { check=1; shift; }
[ $check = 1 ] || echo "guest-kernel $*" >>"$STUB_STATE/calls"
for k in "$@"; do
	grep -qxF "linux-image-$k" "$STUB_STATE/installed" && continue
	[ -f "$CXLTIER_KERNELS_DIR/$k/ready" ] && continue
	[ $check = 0 ] || { rc=1; continue; }
	grep -qxF "linux-headers-$k" "$STUB_STATE/available" ||
		{ echo "guest-kernel: no linux-headers-$k in the apt lists" >&2; exit 1; }
	mkdir -p "$CXLTIER_KERNELS_DIR/$k" && touch "$CXLTIER_KERNELS_DIR/$k/ready"
done
exit $rc
EOF
chmod +x "$standins"/*

k612=6.12.117+deb12-amd64
k61=6.1.0-57-amd64
# Every package scripts/deps names, plus the versioned kernels.
all_pkgs=$(sed -n '/^build_pkgs=(/,/^)/p; /^testbed_pkgs=(/,/^)/p' "$root/scripts/deps" |
	grep -v -e '^[a-z_]*=(' -e '^)' -e '^[[:space:]]*#' | tr -s ' \t' '\n\n' | grep . | sort -u)

# scenario NAME: a fresh state directory; the lists start out holding
# every package (available), nothing installed, no kernel unpacked.
scenario() {
	export STUB_STATE=$tmp/$1
	export CXLTIER_KERNELS_DIR=$STUB_STATE/kernels
	mkdir -p "$STUB_STATE" "$CXLTIER_KERNELS_DIR"
	{
		echo "$all_pkgs"
		echo "linux-image-$k612"; echo "linux-headers-$k612"
		echo "linux-image-$k61"; echo "linux-headers-$k61"
	} >"$STUB_STATE/available"
	: >"$STUB_STATE/installed"
	: >"$STUB_STATE/calls"
	unset STUB_UPDATE_FAIL
}
# complete: every package installed (no kernel image), both kernels unpacked.
complete() {
	grep -v '^linux-image-' "$STUB_STATE/available" >"$STUB_STATE/installed"
	grep -vx "linux-headers-$k612" "$STUB_STATE/installed" >"$STUB_STATE/x" && mv "$STUB_STATE/x" "$STUB_STATE/installed"
	mkdir -p "$CXLTIER_KERNELS_DIR/$k61" "$CXLTIER_KERNELS_DIR/$k612"
	touch "$CXLTIER_KERNELS_DIR/$k61/ready" "$CXLTIER_KERNELS_DIR/$k612/ready"
}
run_deps() { # run_deps ARGS...: output in $out, status in $rc
	out=$(PATH="$standins:$PATH" CXLTIER_GUEST_KERNEL="$standins/guest-kernel" ${DEBUG_DEPS:+bash -x} "$root/scripts/deps" "$@" 2>&1)
	rc=$?; [ -z "${DEBUG_DEPS:-}" ] || echo "$out" >&2
}
has() { grep -qxF "$1" "$STUB_STATE/installed"; }
no_image() { ! grep -q '^linux-image-' "$STUB_STATE/installed"; }
expect() { # expect DESCRIPTION CONDITION...
	local d=$1
	shift
	if "$@"; then
		tap OK "$d"
	else
		tap FAIL "$d" "exit status $rc" "$out"
	fi
}

echo "TAP version 13"

# 1. A new machine: nothing installed, empty lists until apt-get update.
scenario fresh
mv "$STUB_STATE/available" "$STUB_STATE/available.new"
: >"$STUB_STATE/available"
run_deps
expect "nothing installed: deps installs and exits 0" test $rc -eq 0
expect "nothing installed: apt-get update ran before the install" \
	grep -q '^apt-get update' <(head -n 1 "$STUB_STATE/calls")
expect "nothing installed: no kernel image is installed" no_image
expect "nothing installed: the 6.12 headers are not installed (their package needs the image)" \
	eval '! has linux-headers-$k612'
expect "nothing installed: the newest 6.1 and 6.12 kernels are unpacked for the guests" \
	eval 'grep -qx "guest-kernel $k61 $k612" "$STUB_STATE/calls"'
expect "nothing installed: qemu, kernel source and mmdebstrap were installed" \
	eval 'has qemu-system-x86 && has linux-source-6.12 && has mmdebstrap'
expect "nothing installed: deps says what it installs" grep -q '^deps: installing ' <<<"$out"
: >"$STUB_STATE/calls"
run_deps
expect "second run: exit 0, quiet, apt-get not run" \
	eval '[ $rc -eq 0 ] && [ -z "$out" ] && [ ! -s "$STUB_STATE/calls" ]'

# 2. Everything there: nothing to do, apt is not called.
scenario complete
complete
run_deps
expect "everything there: exit 0, quiet, apt-get not run" \
	eval '[ $rc -eq 0 ] && [ -z "$out" ] && [ ! -s "$STUB_STATE/calls" ]'
run_deps --check
expect "everything there: --check exits 0 quietly" eval '[ $rc -eq 0 ] && [ -z "$out" ]'

# 3. No 6.12 kernel anywhere, every package installed.
scenario no612
complete
rm -rf "${CXLTIER_KERNELS_DIR:?}/$k612"
run_deps --check
expect "6.12 missing: --check exits 1 and names it" \
	eval '[ $rc -eq 1 ] && grep -q "6.12 headers" <<<"$out"'
expect "6.12 missing: --check says to run make deps" grep -q "make deps" <<<"$out"
expect "6.12 missing: --check installed nothing" test ! -s "$STUB_STATE/calls"
run_deps --check --build
expect "6.12 missing: plain make's check names the 6.12 headers" \
	eval '[ $rc -eq 1 ] && grep -q "6.12 headers" <<<"$out"'
run_deps
expect "6.12 missing: deps unpacks it and installs no image" \
	eval '[ $rc -eq 0 ] && [ -f "$CXLTIER_KERNELS_DIR/$k612/ready" ] && no_image'

# 4. A host with a 6.12 image of its own, its headers not installed.
scenario noheaders
complete
rm -rf "${CXLTIER_KERNELS_DIR:?}/$k612"
echo "linux-image-$k612" >>"$STUB_STATE/installed"
run_deps
expect "6.12 image on the host, headers missing: deps installs exactly them" \
	eval '[ $rc -eq 0 ] && has linux-headers-$k612 && grep -qx "deps: installing linux-headers-$k612" <<<"$out"'
expect "6.12 image on the host: nothing unpacked for it" test ! -e "$CXLTIER_KERNELS_DIR/$k612"

# 5. No network: apt-get update fails.
scenario offline
export STUB_UPDATE_FAIL=1
run_deps
expect "apt-get update failing: exit 1" test $rc -eq 1
expect "apt-get update failing: says what failed and what to check" \
	eval 'grep -q "apt-get update. failed" <<<"$out" && grep -q "Temporary failure resolving" <<<"$out" && grep -q "sources.list" <<<"$out"'
expect "apt-get update failing: nothing installed" test ! -s "$STUB_STATE/installed"

# 6. A package the lists do not have.
scenario notfound
grep -vx 'libinih-dev' "$STUB_STATE/available" >"$STUB_STATE/x" && mv "$STUB_STATE/x" "$STUB_STATE/available"
run_deps
expect "package not found: exit 1" test $rc -eq 1
expect "package not found: apt-get's error and a retry line are shown" \
	eval 'grep -q "Unable to locate package libinih-dev" <<<"$out" && grep -q "to retry by hand" <<<"$out"'

# 6b. A newer 6.12's headers in the lists before its image: the newest
# release with both is unpacked.
scenario headersfirst
echo "linux-headers-6.12.200+deb12-amd64" >>"$STUB_STATE/available"
run_deps
expect "newer 6.12 headers without their image: the release with both is unpacked" \
	eval '[ $rc -eq 0 ] && [ -f "$CXLTIER_KERNELS_DIR/$k612/ready" ] && [ ! -e "$CXLTIER_KERNELS_DIR/6.12.200+deb12-amd64" ]'

# 7. No 6.12 kernel in the lists at all.
scenario no612lists
grep -v 'linux-.*-6\.12\.' "$STUB_STATE/available" >"$STUB_STATE/x" && mv "$STUB_STATE/x" "$STUB_STATE/available"
run_deps
expect "no 6.12 kernel in the lists: exit 1 with the reason" \
	eval '[ $rc -eq 1 ] && grep -q "no linux-headers-6.12" <<<"$out"'

# 8. --build: plain make's check names build packages only.
scenario buildonly
complete
grep -v -e '^qemu-system-x86$' -e '^libjson-c-dev$' "$STUB_STATE/installed" >"$STUB_STATE/x" && mv "$STUB_STATE/x" "$STUB_STATE/installed"
run_deps --check --build
expect "--check --build: names the missing build package, not the test bed's" \
	eval '[ $rc -eq 1 ] && grep -q libjson-c-dev <<<"$out" && ! grep -q qemu <<<"$out"'
expect "--check --build: the apt-get line to run" \
	grep -qF "apt-get install --no-install-recommends libjson-c-dev" <<<"$out"
run_deps --bogus
expect "an unknown option: exit 2 with a message" \
	eval '[ $rc -eq 2 ] && grep -q "unknown option" <<<"$out"'

echo "1..$n"
exit $fail
