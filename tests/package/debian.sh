#!/bin/sh
# `make check-package`: build the Debian packages (libkvmreg0,
# libkvmreg-dev, kvmreg) from the tracked files with dpkg-buildpackage,
# check them with lintian (no error, no warning), check the symbols file
# against the version script, unpack them into a throwaway root (dpkg -x,
# never onto this host's /usr), build and run a program against the
# unpacked library through pkg-config (PKG_CONFIG_SYSROOT_DIR), and run
# the packaged kvmreg.
set -u
cd "$(dirname "$0")/../.."
name=debian
passed=0 failed=0 skipped=0
pass() { echo "PASS package.$1"; passed=$((passed + 1)); }
fail() { echo "FAIL package.$1"; failed=$((failed + 1)); }
skip() { echo "SKIP package.$1: $2"; skipped=$((skipped + 1)); }
check() { what=$1; shift; if "$@" >/dev/null 2>&1; then pass "$what"; else fail "$what"; fi; }
finish() { echo "# $name: $passed passed, $failed failed, $skipped skipped"; [ "$failed" -eq 0 ]; exit; }

for tool in dpkg-buildpackage dh lintian pkg-config; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		fail "tools: $tool missing (tests/install-deps installs it as root)"
		finish
	fi
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kvmreg-package.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/src" "$tmp/root"

# The tracked files, as a fresh clone has them (uncommitted edits of them
# included); without git, the tree minus build output.
if git rev-parse --git-dir >/dev/null 2>&1; then
	git ls-files -z | xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh |
		tar --null -T - -cf - | tar -xf - -C "$tmp/src"
else
	tar --exclude=./build --exclude=./debian/build -cf - . | tar -xf - -C "$tmp/src"
fi

start=$(date +%s)
if (cd "$tmp/src" && dpkg-buildpackage -us -uc -b) > "$tmp/build.log" 2>&1; then
	pass "dpkg-buildpackage -us -uc -b ($(( $(date +%s) - start )) s)"
else
	tail -30 "$tmp/build.log" | sed 's/^/    /'
	fail "dpkg-buildpackage -us -uc -b"
	finish
fi
for p in libkvmreg0 libkvmreg-dev kvmreg; do
	check "built $p" sh -c "ls '$tmp'/${p}_*.deb"
done

# lintian: no error and no warning (info and pedantic tags are shown).
lintian --fail-on error,warning --info "$tmp"/kvmreg_*.changes > "$tmp/lintian.log" 2>&1
status=$?
grep -v 'running with root privileges' "$tmp/lintian.log" | sed 's/^/    /'
check "lintian: no errors or warnings" [ "$status" = 0 ]

# The symbols file lists exactly the version script's names, node by node.
sym_ok=1
for node in $(sed -n 's/^\(KVMREG_[0-9.]*\) {.*/\1/p' src/libkvmreg.map); do
	sed -n "/^$node {/,/^}/p" src/libkvmreg.map | grep -oE '^[[:space:]]+kvmreg_[a-z0-9_]+;' | tr -d ' \t;' | sort > "$tmp/map"
	grep -oE "^ kvmreg_[a-z0-9_]+@$node " debian/libkvmreg0.symbols | sed 's/^ //; s/@.*//' | sort > "$tmp/sym"
	if ! cmp -s "$tmp/map" "$tmp/sym"; then
		echo "    $node: src/libkvmreg.map and debian/libkvmreg0.symbols differ:"
		diff "$tmp/map" "$tmp/sym" | sed 's/^/      /'
		sym_ok=0
	fi
	grep -q "^ $node@$node " debian/libkvmreg0.symbols || { echo "    no $node@$node in the symbols file"; sym_ok=0; }
done
check "debian/libkvmreg0.symbols is in step with src/libkvmreg.map" [ "$sym_ok" = 1 ]

# A throwaway root: the packages unpacked, never installed.
for deb in "$tmp"/libkvmreg0_*.deb "$tmp"/libkvmreg-dev_*.deb "$tmp"/kvmreg_*.deb; do
	dpkg -x "$deb" "$tmp/root"
done
root=$tmp/root
ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
check "unpacked: the shared library" [ -f "$root/usr/lib/$ma/libkvmreg.so.0" ]
check "unpacked: the headers" [ -f "$root/usr/include/kvmreg.h" ] && [ -f "$root/usr/include/kvmreg_ids.h" ]
check "unpacked: the pages and their .so links" [ -e "$root/usr/share/man/man3/kvmreg_set.3.gz" ]
cited=$(zcat -f "$root"/usr/share/man/man*/*.gz | sed 's/\\-/-/g' | grep -oE '/usr/share/doc/kvmreg/[a-z0-9-]+\.md' | sort -u)
missing=""
for d in $cited; do [ -f "$root$d" ] || missing="$missing $d"; done
[ -z "$missing" ] || echo "    cited, not packaged:$missing"
check "every doc a packaged page cites is packaged (uncompressed)" [ -n "$cited" ] && [ -z "$missing" ]

export PKG_CONFIG_SYSROOT_DIR="$root" PKG_CONFIG_LIBDIR="$root/usr/lib/$ma/pkgconfig"
check "pkg-config --modversion is the release" [ "$(pkg-config --modversion kvmreg)" = "$(sed -n 's/^VERSION *:= *//p' Makefile)" ]
flags=$(pkg-config --cflags --libs kvmreg)
echo "    pkg-config --cflags --libs kvmreg: $flags"
unset PKG_CONFIG_SYSROOT_DIR PKG_CONFIG_LIBDIR
cat > "$tmp/use.c" <<'PROG'
#include <kvmreg.h>
#include <kvmreg_ids.h>
#include <stdio.h>
#include <string.h>

int main(void)
{
	char name[64];
	uint64_t id;

	if (kvmreg_id_parse(KVMREG_ARCH_X86_64, "cr8", &id) || id != KVMREG_X86_CR8)
		return 1;
	if (kvmreg_id_name(KVMREG_ARCH_NONE, KVMREG_X86_LAPIC_TPR,
			   KVMREG_NAME_SHORT, name, sizeof(name)) < 0)
		return 2;
	printf("libkvmreg %d.%d: %s\n", KVMREG_VERSION_MAJOR, KVMREG_VERSION_MINOR, name);
	return strcmp(name, "lapic.TPR") ? 3 : 0;
}
PROG
# shellcheck disable=SC2086
check "a program builds against the unpacked -dev through pkg-config" \
	cc -Wall -Werror -o "$tmp/use" "$tmp/use.c" $flags
check "it links the shared library by soname, versioned" sh -c \
	"readelf -d '$tmp/use' | grep -q 'NEEDED.*libkvmreg.so.0' && objdump -T '$tmp/use' | grep -q KVMREG_0.1"
check "it loads the unpacked library, not another" sh -c \
	"LD_LIBRARY_PATH='$root/usr/lib/$ma' ldd '$tmp/use' | grep -q '$root/usr/lib/$ma/libkvmreg.so.0'"
out=$(LD_LIBRARY_PATH="$root/usr/lib/$ma" "$tmp/use" 2>&1)
echo "    $out"
check "and runs" [ "$out" = "libkvmreg $(sed -n 's/^VERSION *:= *\([0-9]*\.[0-9]*\).*/\1/p' Makefile): lapic.TPR" ]

# The packaged CLI.
kvmreg=$root/usr/bin/kvmreg
check "kvmreg --version" [ "$("$kvmreg" --version)" = "kvmreg $(sed -n 's/^VERSION *:= *\([0-9]*\.[0-9]*\).*/\1/p' Makefile)" ]
if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
	"$kvmreg" list > "$tmp/list" 2>&1
	status=$?
	head -4 "$tmp/list" | sed 's/^/    /'
	check "packaged kvmreg list: exit 0" [ "$status" = 0 ]
	check "packaged kvmreg list: grouped, general registers first" sh -c \
		"grep -E '^[a-z_]+: [0-9]+ registers?$' '$tmp/list' | head -1 | grep -qE '^(regs|core):'"
else
	skip "kvmreg list" "*** NO KVM *** /dev/kvm is not accessible"
fi
check "packaged kvmreg table (no KVM needed)" sh -c "'$kvmreg' table --arch arm64 | grep -q MPIDR_EL1"
check "packaged man page renders" sh -c "man -l '$root/usr/share/man/man1/kvmreg.1.gz' 2>/dev/null | grep -q 'EXIT STATUS'"
finish
