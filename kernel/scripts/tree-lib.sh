# Shared by check-kernel and check-kunit (sourced, not run): the cache
# layout, harness lines, the sid chroot, and the Linux 7.2 tree with
# kernel/patches applied. The caller sets $stage (the harness prefix),
# $log (the harness log) and $here (kernel/scripts) first.
# shellcheck shell=bash

top=$(cd "$here/../.." && pwd)
cache=$(realpath -m "${KVMREG_CACHE:-/var/cache/kvmreg}")
export KVMREG_CACHE=$cache
work=$cache/kernel
tree=$work/linux-7.2
build=$work/build-loongarch
hdr=$work/headers
selftests=$work/selftests
kunit=$work/kunit
logs=$work/logs
tarball=/usr/src/linux-source-7.2.tar.xz
make_la="make ARCH=loongarch CROSS_COMPILE=loongarch64-linux-gnu- O=$build -j$(nproc)"
failed=0

mkdir -p "$work" "$logs" "$(dirname "$log")"
# One check at a time uses the tree: both stages reset it.
exec 8>"$work/check.lock"
flock 8

pass() { echo "PASS $stage.$1" | tee -a "$log"; }
# fail NAME WHY [LOGFILE]: the harness line, and the log's tail for a human.
fail() {
	echo "FAIL $stage.$1: $2" | tee -a "$log"
	if [ -n "${3:-}" ] && [ -f "$3" ]; then
		echo "--- last lines of $3:"
		tail -25 "$3"
		echo "---"
	fi
	failed=1
}
skip_rest() {
	local name
	for name in "$@"; do
		echo "SKIP $stage.$name: an earlier $stage check failed" | tee -a "$log"
	done
}
in_chroot() {
	"$here/sid-chroot" run -b "$work" -b "$top" -- "$@"
}

# The chroot, the pristine tree (unpacked and committed once), and the
# series applied on it: "$stage.applies". Exits on failure.
prepare_tree() {
	# --- the sid chroot -----------------------------------------------------
	if ! "$here/sid-chroot" ensure > "$logs/chroot.log" 2>&1; then
		fail chroot "cannot create the sid chroot" "$logs/chroot.log"
		exit 1
	fi
	root=$(tail -1 "$logs/chroot.log")

	# --- the pristine tree, committed once ------------------------------------
	tarsum=$(sha256sum "$root$tarball" | cut -d' ' -f1)
	if [ "$(cat "$work/linux-7.2.stamp" 2>/dev/null)" != "$tarsum" ]; then
		echo "$stage: unpacking $tarball into a git repo at $tree"
		rm -rf --one-file-system "$tree" "$build" "$hdr" "$selftests" "$kunit" \
			"$work/linux-7.2.stamp"
		if ! in_chroot bash -euo pipefail -c '
			mkdir -p "$1" && tar -xJf "$2" -C "$1" --strip-components=1
			cd "$1"
			git init -q
			git config user.name "kvmreg check"
			git config user.email "kvmreg-check@example.invalid"
			git config gc.auto 0
			# Debian ignores every top-level path in the tarball: force.
			git add -f -A .
			git commit -q -m "Linux 7.2 ($(head -5 Makefile | grep -E "^(VERSION|PATCHLEVEL|SUBLEVEL)" | tr "\n" " "))"
			git tag pristine
		' unpack "$tree" "$tarball" > "$logs/unpack.log" 2>&1; then
			fail applies "cannot unpack $tarball into a git repo" "$logs/unpack.log"
			exit 1
		fi
		echo "$tarsum" > "$work/linux-7.2.stamp"
	fi

	# --- the series applies -----------------------------------------------------
	mapfile -t patches < <(ls "$top"/kernel/patches/[0-9][0-9][0-9][0-9]-*.patch | grep -v '/0000-cover-letter.patch$')
	if [ "${#patches[@]}" -eq 0 ]; then
		fail applies "no patches in kernel/patches"
		exit 1
	fi
	if in_chroot bash -euo pipefail -c '
		cd "$1"; shift
		git am --abort >/dev/null 2>&1 || true
		git checkout -q -f --detach pristine
		git clean -q -f -d -x
		git am -q "$@"
		git log --oneline pristine..HEAD
	' am "$tree" "${patches[@]}" > "$logs/am.log" 2>&1; then
		pass applies
	else
		fail applies "git am of kernel/patches onto Linux 7.2 failed" "$logs/am.log"
		skip_rest "$@"
		exit 1
	fi
}
