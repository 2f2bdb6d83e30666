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
check "every export is versioned KVMREG_0.1 or 0.2" sh -c "! printf '%s\n' \"$exported\" | grep -Ev '@@KVMREG_0.[12]$' | grep -q ."
cat > "$tmp/use.c" <<'PROG'
#include <kvmreg.h>
#include <stdio.h>
int main(void)
{
	char name[64];
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
