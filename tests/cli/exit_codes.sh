#!/bin/sh
# One exit-status rule for every command (kvmreg(1), EXIT STATUS): 0 done,
# 1 a runtime error (KVM, a file, the kernel refused), 2 bad usage (an
# option, operand, name, id or value that is wrong; nothing was done),
# 3 a negative answer (diff: they differ; compat: incompatible). Each
# command is run into each status it can give.
. "$(dirname "$0")/lib.sh"
dir=$(mktemp -d "${TMPDIR:-/tmp}/kvmreg-cli-exit.XXXXXX")
trap 'rm -rf "$dir"' EXIT

cat > "$dir/a.json" <<'JSON'
{"format": "kvmreg-state", "version": 1, "arch": "arm64", "kernel": "6.12.0",
 "capture": false, "registers": [{"id": "0x6030000000100000", "value": "0x1"}]}
JSON
sed 's/"0x1"/"0x2"/' "$dir/a.json" > "$dir/b.json"
sed -e 's/"capture": false/"capture": true/' -e 's/"0x6030000000100000", "value": "0x1"/"0x6030000000100002"/' \
	"$dir/a.json" > "$dir/other.json"

# Every command: an unknown option, and too many or too few operands, are 2.
for cmd in list decode encode get set table order save show diff capture compat convert; do
	expect_exit 2 "$cmd: unknown option" "$KVMREG" "$cmd" --no-such-option
done
for cmd in decode encode get set save show diff capture compat convert; do
	expect_exit 2 "$cmd: missing operand" "$KVMREG" "$cmd"
done
for cmd in table order; do
	expect_exit 2 "$cmd: unexpected operand" "$KVMREG" "$cmd" extra
done
# A wrong name, id, value, architecture or feature is usage: 2.
expect_exit 2 "decode: malformed id" "$KVMREG" decode 0xzz
expect_exit 2 "encode: unknown name" "$KVMREG" encode --arch x86_64 nosuch
expect_exit 2 "get: unknown name" "$KVMREG" get nosuch
expect_exit 2 "set: unknown name" "$KVMREG" set nosuch=0x5
expect_exit 2 "set: bad value" "$KVMREG" set rax=zz
expect_exit 2 "set: value too wide" "$KVMREG" set rax=0x112233445566778899
expect_exit 2 "table: unknown arch" "$KVMREG" table --arch vax
expect_exit 2 "table: unknown feature" "$KVMREG" table --arch loongarch64 --features bogus
expect_exit 2 "table: an arch without a table" "$KVMREG" table --arch mips
expect_exit 2 "list: unknown group" "$KVMREG" list --group nosuch
# Success without KVM.
expect_exit 0 "decode" "$KVMREG" decode 0x6030000000100000
expect_exit 0 "encode" "$KVMREG" encode --arch arm64 core.pc
expect_exit 0 "table" "$KVMREG" table --arch riscv64
expect_exit 0 "show" "$KVMREG" show "$dir/a.json"
expect_exit 0 "convert" "$KVMREG" convert "$dir/a.json" "$dir/a.kvmreg"
expect_exit 0 "diff: the same" "$KVMREG" diff "$dir/a.json" "$dir/a.kvmreg"
expect_exit 0 "compat: restorable" "$KVMREG" compat "$dir/a.json" "$dir/b.json"
# What the file commands print on success.
expect_stdout "convert: says what it wrote" "$dir/c.kvmreg: arm64 state, saved on Linux 6.12.0, 1 register" "$KVMREG" convert "$dir/a.json" "$dir/c.kvmreg"
expect_stdout "show: the summary line" "arm64 state, saved on Linux 6.12.0, 1 register, 0 volatile" "$KVMREG" show "$dir/a.json"
expect_stdout "diff: the same" "same: 1 register" "$KVMREG" diff "$dir/a.json" "$dir/a.kvmreg"
expect_stdout "compat: the verdict" "compatible: the same 1 register, with the same sizes" "$KVMREG" compat "$dir/a.json" "$dir/b.json"
expect_stdout "compat: incompatible, and why" "incompatible: 1 missing on the host, 0 of another size, 1 only on the host" "$KVMREG" compat "$dir/a.json" "$dir/other.json"
# The negative answers: 3.
expect_exit 3 "diff: they differ" "$KVMREG" diff "$dir/a.json" "$dir/b.json"
expect_exit 3 "compat: incompatible" "$KVMREG" compat "$dir/a.json" "$dir/other.json"
# Runtime errors of the file commands: 1.
expect_exit 1 "show: missing file" "$KVMREG" show "$dir/nope"
expect_exit 1 "diff: missing file" "$KVMREG" diff "$dir/a.json" "$dir/nope"
expect_exit 1 "compat: missing file" "$KVMREG" compat "$dir/nope" "$dir/a.json"
expect_exit 1 "convert: unwritable output" "$KVMREG" convert "$dir/a.json" "$dir/no/dir/x"

if ! [ -r /dev/kvm ] || ! [ -w /dev/kvm ]; then
	skip scratch "*** NO KVM *** /dev/kvm is not accessible"
else
	expect_exit 0 "list" "$KVMREG" list --no-values
	expect_exit 0 "order" "$KVMREG" order
	expect_exit 0 "save" "$KVMREG" save "$dir/host.kvmreg"
	expect_exit 0 "capture" "$KVMREG" capture "$dir/cap.kvmreg"
	expect_stdout "save: says what it wrote" "$dir/host2.kvmreg: $("$KVMREG" save "$dir/h.kvmreg" | cut -d' ' -f2) state, saved on Linux $(uname -r)" \
		"$KVMREG" save "$dir/host2.kvmreg"
	expect_stdout "capture: says what it wrote" "capture, taken on Linux $(uname -r)" "$KVMREG" capture "$dir/cap2.kvmreg"
	expect_exit 0 "compat: own capture, this host" "$KVMREG" compat "$dir/cap.kvmreg"
	if [ "$(uname -m)" = x86_64 ]; then
		expect_exit 0 "get" "$KVMREG" get rip
		expect_exit 0 "set" "$KVMREG" set rax=0x1234
		expect_exit 1 "set: KVM refuses the value" "$KVMREG" set cr4=0xffffffffffffffff
		expect_exit 1 "list: no register matches" "$KVMREG" list 'zz*'
		expect_exit 2 "list: an empty --group" "$KVMREG" list --group ''
		expect_exit 2 "list: an empty name in --group" "$KVMREG" list --group regs,
		expect_exit 2 "set: an empty name" "$KVMREG" set =0x1
		expect_exit 2 "set: an empty value" "$KVMREG" set rax=
	fi
	expect_exit 3 "compat: an arm64 state on this host" sh -c \
		"[ \"\$(uname -m)\" = aarch64 ] && exit 3; '$KVMREG' compat '$dir/a.json'"
fi
# A /dev/kvm that is not KVM (this mount namespace only): every command
# that needs a vCPU fails at run time, 1.
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null 2>&1 &&
   unshare --mount true 2>/dev/null && [ -e /dev/kvm ]; then
	for args in "list" "get rip" "set rax=0x1" "order" "save $dir/x" "capture $dir/x" "compat $dir/a.json"; do
		expect_exit 1 "${args%% *}: no KVM" unshare --mount sh -c \
			"mount --bind /dev/null /dev/kvm && exec '$KVMREG' $args"
	done
	expect_stderr "no KVM: one line naming the command" "kvmreg list: KVM_CREATE_VM" \
		unshare --mount sh -c "mount --bind /dev/null /dev/kvm && exec '$KVMREG' list"
else
	skip no_kvm "needs root and unshare to hide /dev/kvm"
fi
finish
