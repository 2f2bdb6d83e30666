#!/bin/sh
# The state file commands as a user meets them: save/capture on this host,
# show, diff, compat and convert on files built from hand-written JSON (so
# most of this runs without /dev/kvm), and bad input: a one-line error
# naming the command and the file, and exit 1 (runtime) or 2 (usage).
# diff and compat answer "no" with exit 3.
. "$(dirname "$0")/lib.sh"

dir=$(mktemp -d "${TMPDIR:-/tmp}/kvmreg-cli-state.XXXXXX")
trap 'rm -rf "$dir"' EXIT

# An arm64 state: x0, pc, v0 (128 bits), MPIDR_EL1, as hand-written JSON.
state_json() {	# pc-value extra-register-json
	cat <<EOF
{"format": "kvmreg-state", "version": 1, "arch": "arm64",
 "kernel": "6.12.0-test", "capture": false, "registers": [
  {"id": "0x6030000000100000", "value": "0x1"},
  {"id": "0x6030000000100040", "value": "$1"},
  {"id": "0x6040000000100054", "value": "0x000102030405060708090a0b0c0d0e0f"},
  {"id": "0x603000000013c005", "value": "0x80000000"}$2
]}
EOF
}
state_json 0x1000 "" > "$dir/a.json"
state_json 0x2000 "" > "$dir/b.json"
state_json 0x1000 ', {"id": "0x603000000013c080", "value": "0x0"}' > "$dir/more.json"

for cmd in save show diff capture compat convert; do
	expect_exit 0 "$cmd --help" "$KVMREG" "$cmd" --help
	expect_stdout "$cmd --help shows usage" "usage: kvmreg $cmd" "$KVMREG" "$cmd" --help
done

# convert: JSON in, snapshot out, and back to the same JSON.
expect_exit 0 "convert json to snapshot" "$KVMREG" convert "$dir/a.json" "$dir/a.kvmreg"
expect_exit 0 "convert snapshot to json" "$KVMREG" convert --json "$dir/a.kvmreg" "$dir/a2.json"
expect_exit 0 "convert json to json" "$KVMREG" convert --json "$dir/a2.json" "$dir/a3.json"
check "json round trip is exact" cmp "$dir/a2.json" "$dir/a3.json"
"$KVMREG" convert "$dir/a3.json" "$dir/a3.kvmreg" >/dev/null 2>&1
check "snapshot round trip is exact" cmp "$dir/a.kvmreg" "$dir/a3.kvmreg"
"$KVMREG" show --json "$dir/a.kvmreg" > "$dir/shown.json" 2>/dev/null
check "show --json is the convert --json output" cmp "$dir/shown.json" "$dir/a2.json"
"$KVMREG" convert "$dir/b.json" "$dir/b.kvmreg" >/dev/null 2>&1
"$KVMREG" convert "$dir/more.json" "$dir/more.kvmreg" >/dev/null 2>&1

# show
expect_stdout "show: summary" "arm64 state, saved on Linux 6.12.0-test, 4 registers" "$KVMREG" show "$dir/a.kvmreg"
expect_stdout "show: value of pc" "0x0000000000001000" "$KVMREG" show "$dir/a.kvmreg"
expect_stdout "show: 128-bit value" "0x000102030405060708090a0b0c0d0e0f" "$KVMREG" show "$dir/a.kvmreg"
expect_stdout "show: reads JSON too" "4 registers" "$KVMREG" show "$dir/a.json"

# diff: exit 0 same, 3 differ.
expect_exit 0 "diff: same file" "$KVMREG" diff "$dir/a.kvmreg" "$dir/a.kvmreg"
expect_stdout "diff: says same" "same: 4 registers" "$KVMREG" diff "$dir/a.kvmreg" "$dir/a.json"
expect_exit 3 "diff: value differs" "$KVMREG" diff "$dir/a.kvmreg" "$dir/b.kvmreg"
expect_stdout "diff: value line" "~ 0x6030000000100040" "$KVMREG" diff "$dir/a.kvmreg" "$dir/b.kvmreg"
expect_stdout "diff: old -> new" "0x0000000000001000 -> 0x0000000000002000" "$KVMREG" diff "$dir/a.kvmreg" "$dir/b.kvmreg"
expect_exit 3 "diff: register only in B" "$KVMREG" diff "$dir/a.kvmreg" "$dir/more.kvmreg"
expect_stdout "diff: + line" "+ 0x603000000013c080" "$KVMREG" diff "$dir/a.kvmreg" "$dir/more.kvmreg"
expect_stdout "diff: - line" "- 0x603000000013c080" "$KVMREG" diff "$dir/more.kvmreg" "$dir/a.kvmreg"
expect_stdout "diff: says how volatile registers count" "volatile registers: compared" "$KVMREG" diff "$dir/a.kvmreg" "$dir/b.kvmreg"

# --ignore-volatile, on a register the arm64 driver calls volatile.
vol=""
for id in 0x603000000013df1a 0x603000000013df02; do
	if "$KVMREG" decode "$id" 2>/dev/null | grep -q volatile; then vol=$id; break; fi
done
if [ -n "$vol" ]; then
	state_json 0x1000 ", {\"id\": \"$vol\", \"value\": \"0x100\"}" > "$dir/t1.json"
	state_json 0x1000 ", {\"id\": \"$vol\", \"value\": \"0x200\"}" > "$dir/t2.json"
	expect_exit 3 "diff: volatile counts by default" "$KVMREG" diff "$dir/t1.json" "$dir/t2.json"
	expect_stdout "diff: volatile marked" "(volatile)" "$KVMREG" diff "$dir/t1.json" "$dir/t2.json"
	expect_exit 0 "diff --ignore-volatile" "$KVMREG" diff --ignore-volatile "$dir/t1.json" "$dir/t2.json"
	expect_stdout "diff --ignore-volatile says so" "values ignored (1 differed)" "$KVMREG" diff --ignore-volatile "$dir/t1.json" "$dir/t2.json"
else
	skip diff_ignore_volatile "the arm64 driver marks no counter volatile"
fi

# compat: a capture of "host B", made from JSON.
sed -e 's/"capture": false/"capture": true/' -e 's/, "value": "[^"]*"//g' \
	"$dir/more.json" > "$dir/hostmore.json"
"$KVMREG" convert "$dir/hostmore.json" "$dir/hostmore.kvmreg" >/dev/null 2>&1
expect_stdout "capture from JSON" "arm64 capture" "$KVMREG" show "$dir/hostmore.kvmreg"
expect_exit 0 "compat: host has more registers" "$KVMREG" compat "$dir/a.kvmreg" "$dir/hostmore.kvmreg"
expect_stdout "compat: names the extra register" "only on the host" "$KVMREG" compat "$dir/a.kvmreg" "$dir/hostmore.kvmreg"
expect_exit 3 "compat --strict: extra registers fail" "$KVMREG" compat --strict "$dir/a.kvmreg" "$dir/hostmore.kvmreg"
expect_exit 3 "compat: host lacks a register" "$KVMREG" compat "$dir/more.kvmreg" "$dir/a.kvmreg"
expect_stdout "compat: names the missing register" "missing on the host" "$KVMREG" compat "$dir/more.kvmreg" "$dir/a.kvmreg"
expect_stdout "compat: verdict line" "incompatible: 1 missing on the host" "$KVMREG" compat "$dir/more.kvmreg" "$dir/a.kvmreg"
expect_exit 0 "compat: same list" "$KVMREG" compat "$dir/a.kvmreg" "$dir/b.kvmreg"
cat > "$dir/riscv.json" <<EOF
{"format": "kvmreg-state", "version": 1, "arch": "riscv64", "kernel": "",
 "capture": true, "registers": [{"id": "0x8030000002000000"}]}
EOF
expect_exit 3 "compat: another architecture" "$KVMREG" compat "$dir/a.kvmreg" "$dir/riscv.json"
expect_stdout "compat: says which" "the state is arm64, the host riscv64" "$KVMREG" compat "$dir/a.kvmreg" "$dir/riscv.json"
expect_exit 3 "diff: another architecture" "$KVMREG" diff "$dir/a.kvmreg" "$dir/riscv.json"

# Bad input: a clear error, the right exit, nothing written.
expect_exit 2 "show: no file" "$KVMREG" show
expect_exit 2 "diff: one file" "$KVMREG" diff "$dir/a.kvmreg"
expect_exit 2 "diff: three files" "$KVMREG" diff "$dir/a.kvmreg" "$dir/a.kvmreg" "$dir/a.kvmreg"
expect_exit 2 "show: unknown option" "$KVMREG" show --frob "$dir/a.kvmreg"
expect_stderr "show: unknown option named" "kvmreg show: unknown or incomplete option '--frob'" "$KVMREG" show --frob "$dir/a.kvmreg"
expect_exit 2 "diff: option of another command" "$KVMREG" diff --strict "$dir/a.kvmreg" "$dir/b.kvmreg"
expect_exit 1 "show: missing file" "$KVMREG" show "$dir/nope"
expect_stderr "show: missing file named" "kvmreg show: $dir/nope: No such file or directory" "$KVMREG" show "$dir/nope"
head -c 50 "$dir/a.kvmreg" > "$dir/short.kvmreg"
expect_exit 1 "show: truncated file" "$KVMREG" show "$dir/short.kvmreg"
expect_stderr "show: truncated named" "$dir/short.kvmreg: truncated snapshot" "$KVMREG" show "$dir/short.kvmreg"
# Flip one byte of pc's value: only the checksum can tell.
cp "$dir/a.kvmreg" "$dir/flip.kvmreg"
printf '\377' | dd of="$dir/flip.kvmreg" bs=1 seek=130 conv=notrunc 2>/dev/null
expect_exit 1 "diff: corrupt file" "$KVMREG" diff "$dir/a.kvmreg" "$dir/flip.kvmreg"
expect_stderr "diff: corrupt named" "kvmreg diff: $dir/flip.kvmreg: snapshot checksum mismatch" "$KVMREG" diff "$dir/a.kvmreg" "$dir/flip.kvmreg"
echo "not a snapshot" > "$dir/text"
expect_stderr "compat: not a snapshot" "not a kvmreg snapshot" "$KVMREG" compat "$dir/text" "$dir/a.kvmreg"
sed 's/0x6030000000100040/0x6030000000100000/' "$dir/a.json" > "$dir/dup.json"
expect_exit 1 "convert: duplicate id" "$KVMREG" convert "$dir/dup.json" "$dir/dup.kvmreg"
expect_stderr "convert: duplicate id named" "registers[1] (0x6030000000100000): the register appears twice" "$KVMREG" convert "$dir/dup.json" "$dir/dup.kvmreg"
check "convert: nothing written on error" [ ! -e "$dir/dup.kvmreg" ]
sed 's/"value": "0x1"}/"value": "0x1",}/' "$dir/a.json" > "$dir/comma.json"
expect_stderr "convert: JSON syntax error has a line" "JSON line 3, column" "$KVMREG" convert "$dir/comma.json" "$dir/x"
expect_exit 1 "convert: unwritable output" "$KVMREG" convert "$dir/a.json" "$dir/no/such/dir/x"
check "no temporary files left" [ -z "$(ls "$dir" | grep tmp)" ]

# On this host: save and capture, then compare them.
if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
	# One CPU for both saves: x86 scratch vCPUs take their CPUID from
	# KVM_GET_SUPPORTED_CPUID, which carries the APIC id of the host CPU
	# the call ran on (leaf 1 EBX, leaf 0xb EDX).
	pin=""
	command -v taskset >/dev/null 2>&1 && pin="taskset -c $(cut -d- -f1 /sys/devices/system/cpu/online | cut -d, -f1)"
	expect_exit 0 "save" $pin "$KVMREG" save "$dir/host.kvmreg"
	expect_exit 0 "save --json" $pin "$KVMREG" save --json "$dir/host.json"
	expect_exit 0 "capture" "$KVMREG" capture "$dir/hostcap.kvmreg"
	expect_stdout "capture is a capture" "capture, taken on Linux $(uname -r)" "$KVMREG" show "$dir/hostcap.kvmreg"
	expect_exit 0 "compat: own save on own capture" "$KVMREG" compat "$dir/host.kvmreg" "$dir/hostcap.kvmreg"
	expect_exit 0 "compat: own save on this host" "$KVMREG" compat "$dir/host.kvmreg"
	expect_exit 0 "diff --ignore-volatile: two fresh saves" "$KVMREG" diff --ignore-volatile "$dir/host.kvmreg" "$dir/host.json"
	if [ "$(uname -m)" != aarch64 ]; then
		expect_exit 3 "compat: arm64 state on this host" "$KVMREG" compat "$dir/a.kvmreg" "$dir/hostcap.kvmreg"
	fi
else
	skip save_capture "*** NO KVM *** /dev/kvm is not accessible"
fi
finish
