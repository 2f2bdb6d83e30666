#!/bin/sh
# What the register commands print on their success paths, as a user reads
# it: decode, encode, table (no KVM needed), and list, get, set, order on
# a scratch vCPU of this host (x86_64 register names).
. "$(dirname "$0")/lib.sh"
out=$(mktemp "${TMPDIR:-/tmp}/kvmreg-cli-regs.XXXXXX")
trap 'rm -f "$out"' EXIT

# decode / encode: exact lines.
expect_stdout "decode: id, arch, name, size, group" \
	"0x6030000000100000  arm64       core.regs[0]                     size 8  core" \
	"$KVMREG" decode 0x6030000000100000
expect_stdout "decode --json" '"name": "MPIDR_EL1"' "$KVMREG" decode --json 0x603000000013c005
check "decode --json of two ids is one JSON array" sh -c \
	"'$KVMREG' decode --json 0x603000000013c005 0x6030000000100000 | python3 -c 'import json,sys; assert len(json.load(sys.stdin)) == 2'"
check "decode: a bad id among good ones still prints the good ones" sh -c \
	"'$KVMREG' decode 0x6030000000100000 0xzz 2>/dev/null | grep -q core.regs"
expect_stdout "encode: the id" "0x603000000013c005" "$KVMREG" encode MPIDR_EL1
expect_stdout "encode: macro style" "0x603000000013c005" "$KVMREG" encode --arch arm64 "ARM64_SYS_REG(3, 0, 0, 0, 5)"
expect_stdout "encode: x86 library id" "0x20306b0200000004" "$KVMREG" encode --arch x86_64 cr8

# table: the fallback table, in restore order, with a header.
expect_stdout "table: header" "ID                  NAME" "$KVMREG" table --arch arm64
expect_stdout "table: a register" "MPIDR_EL1" "$KVMREG" table --arch arm64
expect_stdout "table: loongarch features" "csr.CRMD" "$KVMREG" table --arch loongarch64 --features pmu=2
check "table --json is JSON with an entry per register" sh -c \
	"'$KVMREG' table --arch arm64 --json | python3 -c 'import json,sys; assert len(json.load(sys.stdin)) > 100'"

if [ "$(uname -m)" != x86_64 ] || ! [ -r /dev/kvm ] || ! [ -w /dev/kvm ]; then
	skip scratch "needs /dev/kvm on an x86_64 host (this is $(uname -m))"
	finish
	exit
fi

# list: grouped, general registers first, bulk state last.
"$KVMREG" list > "$out" 2>&1
check "list: exit 0" [ $? = 0 ]
groups=$(grep -E '^[a-z_]+: [0-9]+ registers?$' "$out" | cut -d: -f1 | tr '\n' ' ')
check "list: general registers come first (got: $groups)" [ "${groups%% *}" = regs ]
check "list: then sregs and segments" sh -c "echo '$groups' | grep -q '^regs sregs segment dtable '"
check "list: cpuid comes last" [ "$(echo $groups | awk '{print $NF}')" = cpuid ]
check "list: rax is the first register" [ "$(grep -m1 '^0x' "$out" | awk '{print $2}')" = rax ]
check "list: a group heading counts its registers" grep -qx 'regs: 18 registers' "$out"
check "list: segments shown by field" grep -qE '^0x20506b0300000000  cs +32  library +selector=0xf000 base=0x00000000ffff0000 limit=0x0000ffff type=11 present=1' "$out"
check "list: descriptor tables shown by field" grep -qE '  gdt +16  library +base=0x0000000000000000 limit=0xffff$' "$out"
check "list: CPUID entries shown by register" grep -qE 'cpuid.0x40000000.0 .*eax=0x40000001 ebx=0x4b4d564b ecx=0x564b4d56 edx=0x0000004d' "$out"
check "list: rip has its reset value" grep -qE '  rip +8  library +0x000000000000fff0$' "$out"
check "list: MSRs say where the id came from" grep -qE '  IA32_SYSENTER_CS +8  msr-index +0x' "$out"
check "list --json keeps segments raw" sh -c "'$KVMREG' list --json --group segment | grep -q '\"name\": \"cs\", .*\"value\": \"0x00000000000000000000000000010000010bf0000000ffff00000000ffff0000\"'"
check "list --json is one JSON array, every register" sh -c \
	"'$KVMREG' list --json | python3 -c 'import json,sys; l=json.load(sys.stdin); assert len(l) == $(grep -c '^0x' "$out"), len(l)'"
# Filters.
check "list --group: only that group" sh -c \
	"[ \"\$('$KVMREG' list --group dtable | grep '^0x' | awk '{print \$2}' | tr '\n' ' ')\" = 'gdt idt ' ]"
check "list --group a,b: both, in group order" sh -c \
	"'$KVMREG' list --group dtable,regs | grep -E '^[a-z]+: ' | tr '\n' ' ' | grep -q '^regs: 18 registers dtable: 2 registers $'"
check "list GLOB: names matching" sh -c \
	"[ \"\$('$KVMREG' list 'cr?' | grep '^0x' | awk '{print \$2}' | tr '\n' ' ')\" = 'cr0 cr2 cr3 cr4 cr8 ' ]"
check "list GLOB is case-insensitive" sh -c "'$KVMREG' list 'ia32_sysenter_c?' | grep -q IA32_SYSENTER_CS"
check "list GLOB and --group together" sh -c \
	"[ \"\$('$KVMREG' list --group regs 'r1*' | grep -c '^0x')\" = 6 ]"
check "list --no-values: no value column" sh -c "! '$KVMREG' list --no-values --group regs | grep -q '0x000000000000fff0'"
expect_stdout "list --macro: macro names" "KVMREG_X86_REGS(rip)" "$KVMREG" list --macro --group regs
expect_stderr "list --group: an unknown group names the ones there are" \
	"has no register group 'nosuch' (it has: regs sregs segment" "$KVMREG" list --group nosuch
expect_stderr "list GLOB: no match says so" "no register of this x86_64 vCPU matches 'zz*'" "$KVMREG" list 'zz*'

# get: NAME = VALUE, fields for structured registers.
expect_stdout "get: rip" "rip = 0x000000000000fff0" "$KVMREG" get rip
expect_stdout "get: an MSR" "IA32_SYSENTER_CS = 0x0000000000000000" "$KVMREG" get IA32_SYSENTER_CS
expect_stdout "get: a segment adds its fields" "(selector=0xf000 base=0x00000000ffff0000" "$KVMREG" get cs
check "get: one line per name, in order" sh -c \
	"[ \"\$('$KVMREG' get rax rip | cut -d' ' -f1 | tr '\n' ' ')\" = 'rax rip ' ]"

# set: writes, reads back, says what it was.
expect_stdout "set: one register" "rax = 0x0000000000001234 (was 0x0000000000000000)" "$KVMREG" set rax=0x1234
"$KVMREG" set rax=0x1 rbx=0x5 > "$out" 2>&1
check "set: two registers, exit 0" [ $? = 0 ]
check "set: two registers, both lines" sh -c "grep -qx 'rax = 0x0000000000000001 (was 0x0000000000000000)' '$out' && grep -qx 'rbx = 0x0000000000000005 (was 0x0000000000000000)' '$out'"
expect_stdout "set: an MSR" "IA32_SYSENTER_CS = 0x0000000000000010 (was 0x0000000000000000)" "$KVMREG" set IA32_SYSENTER_CS=0x10
expect_stdout "set: by id" "0x20306b0100000000 = 0x00000000000000ff (was" "$KVMREG" set 0x20306b0100000000=0xff
expect_stdout "set: the same register twice, in order" "rax = 0x0000000000000002 (was 0x0000000000000001)" "$KVMREG" set rax=0x1 rax=0x2
expect_stderr "set: KVM refusing a value names the register" "kvmreg set: writing cr4" "$KVMREG" set cr4=0xffffffffffffffff

# show: a saved x86 state reads like list (segments by field).
"$KVMREG" save "$out.kvmreg" > /dev/null 2>&1
expect_stdout "show: segments by field" "  cs                                 32  selector=0xf000 base=0x00000000ffff0000" "$KVMREG" show "$out.kvmreg"
check "show --json keeps them raw" sh -c "'$KVMREG' show --json '$out.kvmreg' | grep -q '\"value\": \"0x00000000000000000000000000010000010bf0000000ffff00000000ffff0000\"'"
rm -f "$out.kvmreg"

# order: every saved register once, with a rank and a reason.
"$KVMREG" order > "$out" 2>&1
check "order: exit 0" [ $? = 0 ]
check "order: one line per saved register" [ "$(wc -l < "$out")" -ge 200 ]
check "order: ranks never go down" sh -c "awk '{print \$3}' '$out' | sort -n -c"
finish
