#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# test_install.sh: "make install" into a staged root, and "make
# uninstall" out of it.  Checks the module for every installed kernel
# (and that depmod of the staged root finds it for each), the udev rule
# and sysusers entry, the pkg-config file (a program compiles and links
# against the staged library with it), the manifest, that uninstall
# leaves nothing behind, and that a config edited since keeps.  Needs
# what "make" built.  TAP output; host only, a few seconds.
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/tests/lib/tap.sh"
cd "$root" || exit 1

echo "TAP version 13"
if [ ! -x build/bin/cxltierd ] || ! compgen -G "build/*/kmod/cxltier.ko" >/dev/null; then
	echo "1..0 # SKIP not applicable: nothing is built yet (make)"
	exit 0
fi

tmp=$(mktemp -d "$root/build/test-install.XXXXXX")
VERSION_EXPECTED=$(sed -n 's/^VERSION[[:space:]]*:= *//p' Makefile)
trap 'rm -rf "$tmp"' EXIT
st=$tmp/stage
mapfile -t kvers < <(scripts/kernels --installed)

out=$(make -s --no-print-directory install DESTDIR="$st" 2>&1)
rc=$?
if [ $rc -eq 0 ]; then tap OK "make install DESTDIR= succeeds"; else tap FAIL "make install DESTDIR= succeeds" "$out"; fi

for k in "${kvers[@]}"; do
	if [ -f "$st/lib/modules/$k/updates/cxltier.ko" ]; then
		tap OK "module installed for $k"
	else
		tap FAIL "module installed for $k"
	fi
	dm=$(depmod -b "$st" "$k" 2>&1 | grep -v 'could not open modules\.' || true)
	if grep -qx 'updates/cxltier.ko:' "$st/lib/modules/$k/modules.dep" 2>/dev/null; then
		tap OK "depmod of the staged root lists cxltier.ko for $k"
	else
		tap FAIL "depmod of the staged root lists cxltier.ko for $k" "$dm"
	fi
	rm -f "$st/lib/modules/$k"/modules.*
done
for k in $(scripts/kernels); do
	case " ${kvers[*]} " in *" $k "*) continue ;; esac
	if [ ! -e "$st/lib/modules/$k" ]; then
		tap OK "no module for $k, which this host does not have"
	else
		tap FAIL "no module for $k, which this host does not have"
	fi
done

rules=$st/lib/udev/rules.d/60-cxltier.rules
if grep -q 'KERNEL=="cxltier".*GROUP="cxltier".*MODE="0660"' "$rules" 2>/dev/null; then
	tap OK "udev rule gives /dev/cxltier to group cxltier, 0660"
else
	tap FAIL "udev rule gives /dev/cxltier to group cxltier, 0660"
fi
if grep -qE '^g[[:space:]]+cxltier' "$st/usr/lib/sysusers.d/cxltier.conf" 2>/dev/null; then
	tap OK "sysusers.d entry makes the cxltier group"
else
	tap FAIL "sysusers.d entry makes the cxltier group"
fi
if [ -d "$st/var/lib/prometheus/node-exporter" ]; then
	tap OK "metrics directory created"
else
	tap FAIL "metrics directory created"
fi

# A client built the way a runtime's build system would build it.
pc=$(PKG_CONFIG_PATH=$st/usr/local/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$st \
	pkg-config --cflags --libs libcxltier 2>&1)
printf '#include <cxltier/libcxltier.h>\nint main(void) { struct cxltier *c; return cxltier_open(NULL, &c) ? 0 : 0; }\n' >"$tmp/client.c"
# shellcheck disable=SC2086
if cc -o "$tmp/client" "$tmp/client.c" $pc -Wl,-rpath-link,"$st/usr/local/lib" 2>"$tmp/cc.log"; then
	tap OK "a client compiles and links with pkg-config libcxltier"
else
	tap FAIL "a client compiles and links with pkg-config libcxltier" "$pc" "$(cat "$tmp/cc.log")"
fi
# The preload shim, and the Python package finding the staged library
# through the directory install wrote into it (bytecode written there too).
if [ -f "$st/usr/local/lib/libcxltier-preload.so" ]; then
	tap OK "preload shim installed"
else
	tap FAIL "preload shim installed"
fi
pyd=$st/usr/lib/python3/dist-packages
sed -i "s|^LIBDIR = .*|LIBDIR = '$st/usr/local/lib'|" "$pyd/cxltier/_libdir.py" 2>/dev/null
out=$(cd / && PYTHONPATH=$pyd /usr/bin/python3 -c 'import cxltier, cxltier._native as n; print(cxltier.version(), n.lib()._name)' 2>&1)
if [ "$out" = "$VERSION_EXPECTED $st/usr/local/lib/libcxltier.so.1" ]; then
	tap OK "the Python package imports and loads the installed library"
else
	tap FAIL "the Python package imports and loads the installed library" "$out"
fi
if [ -s "$st/usr/local/share/cxltier/install-manifest" ]; then
	tap OK "install manifest written"
else
	tap FAIL "install manifest written"
fi

# Uninstall: an edited config stays, everything else goes.
echo "# edited by the operator" >>"$st/etc/cxltier/cxltierd.conf"
out=$(make -s --no-print-directory uninstall DESTDIR="$st" 2>&1)
rc=$?
if [ $rc -eq 0 ]; then tap OK "make uninstall succeeds"; else tap FAIL "make uninstall succeeds" "$out"; fi
left=$(cd "$st" && find . -mindepth 1 ! -type d | sort)
if [ "$left" = "./etc/cxltier/cxltierd.conf" ]; then
	tap OK "uninstall leaves only the edited config"
else
	tap FAIL "uninstall leaves only the edited config" "left: $left"
fi
rm -f "$st/etc/cxltier/cxltierd.conf"
make -s --no-print-directory install DESTDIR="$st" >/dev/null 2>&1
make -s --no-print-directory uninstall DESTDIR="$st" >/dev/null 2>&1
left=$(cd "$st" && find . -mindepth 1 | sort)
if [ -z "$left" ]; then
	tap OK "install then uninstall leaves nothing behind"
else
	tap FAIL "install then uninstall leaves nothing behind" "left: $left"
fi

echo "1..$n"
exit $fail
