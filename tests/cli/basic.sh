#!/bin/sh
# The kvmreg CLI's contract: exit 0 on success, 1 on a runtime error, 2 on
# bad usage (an option, a name, an id or a value that is wrong); errors are
# one line on stderr naming the command. exit_codes.sh checks the rule
# command by command, regs.sh what each register command prints.
. "$(dirname "$0")/lib.sh"

expect_exit 0 "help" "$KVMREG" --help
expect_exit 2 "no command" "$KVMREG"
expect_exit 2 "unknown command" "$KVMREG" frobnicate
check "unknown command: one line" [ "$("$KVMREG" frobnicate 2>&1 | wc -l)" = 1 ]
expect_stderr "unknown command: named, with the way to the list" \
	"kvmreg: unknown command 'frobnicate' ('kvmreg --help' lists the commands)" "$KVMREG" frobnicate
expect_stderr "unknown command: a near miss gets a suggestion" "did you mean 'list'?" "$KVMREG" lsit
expect_stdout "--version" "kvmreg 0." "$KVMREG" --version
expect_stdout "help lists every command" "convert" "$KVMREG" --help
expect_stdout "help gives the exit statuses" "2 bad usage" "$KVMREG" --help
for cmd in list decode encode get set table order; do
	expect_exit 0 "$cmd --help" "$KVMREG" "$cmd" --help
	expect_stdout "$cmd --help shows usage" "usage: kvmreg $cmd" "$KVMREG" "$cmd" --help
done
expect_exit 2 "list: unknown option" "$KVMREG" list --frob
expect_stderr "list: unknown option named" "kvmreg list: unknown or incomplete option '--frob'" "$KVMREG" list --frob
expect_exit 2 "decode: no id" "$KVMREG" decode
expect_exit 2 "decode: malformed id" "$KVMREG" decode 0xzz
expect_exit 2 "decode: unknown arch field" "$KVMREG" decode 0xff30000000000000
expect_stderr "decode: unknown arch field named" "unknown architecture field 0xff" "$KVMREG" decode 0xff30000000000000
expect_exit 2 "decode: unknown --arch" "$KVMREG" decode --arch vax 0x1
expect_stderr "decode: unknown --arch named" "unknown architecture 'vax'" "$KVMREG" decode --arch vax 0x1
expect_exit 2 "encode: unknown name" "$KVMREG" encode --arch arm64 NOT_A_REGISTER
expect_stderr "encode: unknown name named" "NOT_A_REGISTER" "$KVMREG" encode --arch arm64 NOT_A_REGISTER
expect_exit 2 "set: not NAME=VALUE" "$KVMREG" set foo
expect_exit 2 "set: bad value, before touching KVM" "$KVMREG" set 0x6030000000100000=zz

# decode and encode are inverses, for ids of every architecture.
for id in 0x603000000013c005 0x6030000000100000 0x8030000002000000 \
	  0x9030000000010000 0x2030000200000010; do
	arch=$("$KVMREG" decode "$id" | awk '{print $2}')
	name=$("$KVMREG" decode "$id" | awk '{print $3}')
	back=$("$KVMREG" encode --arch "$arch" "$name")
	check "encode(decode($id)) = $id (name $name)" [ "$back" = "$id" ]
done
# Options may follow the operands, as with other GNU tools.
expect_stdout "option after an operand" "ARM64_SYS_REG(3, 0, 0, 0, 5)" "$KVMREG" decode 0x603000000013c005 --macro

# Without --arch, a name two architectures share is refused, naming both.
expect_exit 2 "encode: ambiguous name" "$KVMREG" encode core.pc
expect_stderr "encode: ambiguous name says so" "say which architecture" "$KVMREG" encode core.pc
# Messages name an architecture without a wrong article ("a x86_64").
msgs=$({ "$KVMREG" get nosuch; "$KVMREG" encode --arch arm64 nosuch;
	"$KVMREG" encode --arch s390 nosuch; "$KVMREG" decode --arch x86_64 0x6030000000100000; } 2>&1)
check "messages: no 'a x86_64', 'a arm64', 'a s390'" sh -c "! printf '%s' \"$msgs\" | grep -qE '\\ba (x86_64|arm64|s390)'"
expect_stderr "messages: an unknown name says which arch has none" "'nosuch' names no $(uname -m | sed 's/aarch64/arm64/') register" "$KVMREG" get nosuch
expect_stderr "messages: an id of another arch says whose it is not" "does not belong to x86_64" "$KVMREG" decode --arch x86_64 0x6030000000100000
finish
