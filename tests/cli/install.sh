#!/bin/sh
# `make install` gives what a packager expects: the static and shared
# library with soname libkvmreg.so.0, only kvmreg_* symbols exported and
# versioned, the one header, kvmreg.pc, the CLI and the man pages; and a
# program builds against them with pkg-config.
. "$(dirname "$0")/lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
make -s --no-print-directory install DESTDIR="$tmp" PREFIX=/usr BUILD="${BUILD:-build}" >/dev/null 2>&1
check "install succeeds" [ -f "$tmp/usr/include/kvmreg.h" ]
check "the id constants header" [ -f "$tmp/usr/include/kvmreg_ids.h" ]
check "docs under share/doc/kvmreg" [ -f "$tmp/usr/share/doc/kvmreg/format.md" ] && [ -f "$tmp/usr/share/doc/kvmreg/example-vmm.md" ]
check "every doc a man page cites is installed" sh -c \
	"for d in \$(sed 's/\\\\-/-/g' man/* | grep -ohE '/usr/share/doc/kvmreg/[a-z0-9-]+\.md' | sort -u); do [ -f '$tmp'\$d ] || { echo missing \$d; exit 1; }; done"
check "static library" [ -f "$tmp/usr/lib/libkvmreg.a" ]
check "shared library soname link" [ -L "$tmp/usr/lib/libkvmreg.so.0" ]
check "pkg-config file" [ -f "$tmp/usr/lib/pkgconfig/kvmreg.pc" ]
check "CLI" [ -x "$tmp/usr/bin/kvmreg" ]
check "man page per call" [ -f "$tmp/usr/share/man/man3/kvmreg_save.3" ]
check "CLI man page" [ -f "$tmp/usr/share/man/man1/kvmreg.1" ]
so=$(readlink -f "$tmp/usr/lib/libkvmreg.so.0")
check "soname is libkvmreg.so.0" sh -c "readelf -d '$so' | grep -q 'SONAME.*libkvmreg.so.0'"
exported=$(nm -D --defined-only "$so" | awk '$2 == "T" {print $3}')
check "exports only kvmreg_ calls" sh -c "! printf '%s\n' \"$exported\" | grep -v '^kvmreg_' | grep -q ."
# The version script names every export (no wildcard): the exports are
# exactly its names, each in the node of the release it came with, and
# exactly the functions the header declares.
map_names() { sed -n "/^$1 {/,/^}/p" src/libkvmreg.map | grep -oE '^[[:space:]]+kvmreg_[a-z0-9_]+;' | tr -d ' \t;' | sort; }
check "the version script has no wildcard export" sh -c "! grep -qE '^[[:space:]]+kvmreg_[a-z0-9_]*\\*' src/libkvmreg.map"
nodes=$(sed -n 's/^\(KVMREG_[0-9.]*\) {.*/\1/p' src/libkvmreg.map)
for node in $nodes; do
	map_names "$node" > "$tmp/map.$node"
	nm -D --defined-only "$so" | awk -v n="@@$node" '$2 == "T" && index($3, n) {sub(/@.*/, "", $3); print $3}' | sort > "$tmp/so.$node"
	check "exports of $node are the names of its node" cmp -s "$tmp/map.$node" "$tmp/so.$node"
done
cat "$tmp"/map.KVMREG_* | sort > "$tmp/map.all"
grep -oE '\bkvmreg_[a-z0-9_]+\(' include/kvmreg.h | tr -d '(' | sort -u > "$tmp/header"
check "the version script names every function of kvmreg.h, and only those" cmp -s "$tmp/map.all" "$tmp/header"
# debian/libkvmreg0.symbols follows the map (check-package builds with it).
for node in $nodes; do
	grep -oE "^ kvmreg_[a-z0-9_]+@$node " debian/libkvmreg0.symbols | sed 's/^ //; s/@.*//' | sort > "$tmp/sym.$node"
	check "debian/libkvmreg0.symbols lists the names of $node" cmp -s "$tmp/map.$node" "$tmp/sym.$node"
done
# The build refuses a release whose three versions disagree.
mkdir "$tmp/tree"
git ls-files -z 2>/dev/null | xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh |
	tar --null -T - -cf - | tar -xf - -C "$tmp/tree"
check "version check passes as committed" make -s -C "$tmp/tree" BUILD="$tmp/b1" "$tmp/b1/version.ok"
sed -i 's/^#define KVMREG_VERSION_MINOR .*/#define KVMREG_VERSION_MINOR 99/' "$tmp/tree/include/kvmreg.h"
check "version check fails when kvmreg.h disagrees" sh -c \
	"! make -s -C '$tmp/tree' BUILD='$tmp/b2' '$tmp/b2/version.ok' 2>'$tmp/verr' && grep -q 'version mismatch: Makefile VERSION' '$tmp/verr'"
git show HEAD:include/kvmreg.h > "$tmp/tree/include/kvmreg.h" 2>/dev/null || cp include/kvmreg.h "$tmp/tree/include/kvmreg.h"
printf 'KVMREG_0.99 {\n} KVMREG_0.2;\n' >> "$tmp/tree/src/libkvmreg.map"
check "version check fails when the newest map node disagrees" sh -c \
	"! make -s -C '$tmp/tree' BUILD='$tmp/b3' '$tmp/b3/version.ok' 2>/dev/null"
check "the newest node is this release" [ "$(echo $nodes | awk '{print $NF}')" = "KVMREG_$("$tmp/usr/bin/kvmreg" --version | cut -d' ' -f2)" ]
cat > "$tmp/use.c" <<'PROG'
#include <kvmreg.h>
#include <kvmreg_ids.h>
#include <stdio.h>
#include <string.h>
int main(void)
{
	char name[64];
	if (kvmreg_id_name(KVMREG_ARCH_NONE, KVMREG_X86_CR8, KVMREG_NAME_SHORT,
			   name, sizeof(name)) < 0 || strcmp(name, "cr8"))
		return 1;
	return kvmreg_id_name(KVMREG_ARCH_NONE, 0x6030000000100000ULL,
			      KVMREG_NAME_SHORT, name, sizeof(name)) > 0 ? 0 : 1;
}
PROG
flags=$(PKG_CONFIG_SYSROOT_DIR="$tmp" PKG_CONFIG_LIBDIR="$tmp/usr/lib/pkgconfig" pkg-config --cflags --libs kvmreg 2>/dev/null)
check "pkg-config answers" [ -n "$flags" ]
# shellcheck disable=SC2086
check "a program builds and runs against the install" sh -c \
	"cc -o '$tmp/use' '$tmp/use.c' $flags -Wl,-rpath,'$tmp/usr/lib' && '$tmp/use'"
finish
