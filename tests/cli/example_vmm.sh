#!/bin/sh
# examples/tiny_vmm as its README use shows it: run straight through; stop
# with a snapshot after N exits (or on SIGUSR1) and resume in a new
# process, whose output must complete the first one's byte for byte; chain
# two snapshots; and refuse a missing, damaged or mismatched snapshot.
. "$(dirname "$0")/lib.sh"

VMM=${TINY_VMM:-${BUILD:-build}/examples/tiny_vmm}
dir=$(mktemp -d "${TMPDIR:-/tmp}/kvmreg-cli-vmm.XXXXXX")
trap 'rm -rf "$dir"' EXIT

if [ "$(uname -m)" != x86_64 ]; then
	skip all "the example guest is x86_64 code; this is $(uname -m)"
	finish
	exit
fi
if ! [ -r /dev/kvm ] || ! [ -w /dev/kvm ]; then
	if [ "${CI:-}" = true ] || [ "${KVMREG_REQUIRE_KVM:-}" = 1 ]; then
		fail "needs /dev/kvm"
	else
		skip all "*** NO KVM *** /dev/kvm is not accessible"
	fi
	finish
	exit
fi

# Straight through: the reference.
"$VMM" --steps 20 > "$dir/full.out" 2> "$dir/full.err"
check "runs to the end" test $? = 0
check "guest says hello and done" sh -c \
	"head -1 '$dir/full.out' | grep -qx 'tiny guest: hello' &&
	 tail -1 '$dir/full.out' | grep -qx 'tiny guest: done'"
check "one line per step" test "$(grep -c '^step ' "$dir/full.out")" = 20
check "two runs agree" sh -c "'$VMM' --steps 20 2>/dev/null | cmp -s - '$dir/full.out'"

# Snapshot after N exits, resume in a new process: the two outputs make the
# reference's. N=1: right after the first byte; the last: before "done".
total=$(wc -c < "$dir/full.out")
for n in 1 37 300 "$total"; do
	rm -f "$dir/snap" "$dir/snap.ram"
	"$VMM" --steps 20 --snapshot "$dir/snap" --after "$n" \
		> "$dir/a.out" 2> "$dir/a.err"
	check "snapshot after $n exits" test $? = 0
	check "snapshot after $n exits: the output so far is $n bytes" \
		test "$(wc -c < "$dir/a.out")" = "$n"
	check "snapshot after $n exits: vCPU and RAM files" \
		test -s "$dir/snap" -a -s "$dir/snap.ram"
	"$VMM" --resume "$dir/snap" > "$dir/b.out" 2> "$dir/b.err"
	check "resume after $n exits" test $? = 0
	check "resume after $n exits: same output as straight through" sh -c \
		"cat '$dir/a.out' '$dir/b.out' | cmp -s - '$dir/full.out'"
done

# A chain: stop, resume and stop again, resume.
"$VMM" --steps 20 --snapshot "$dir/c1" --after 100 > "$dir/c1.out" 2>/dev/null
"$VMM" --resume "$dir/c1" --snapshot "$dir/c2" --after 200 > "$dir/c2.out" 2>/dev/null
"$VMM" --resume "$dir/c2" > "$dir/c3.out" 2>/dev/null
check "two snapshots in a chain: same output" sh -c \
	"cat '$dir/c1.out' '$dir/c2.out' '$dir/c3.out' | cmp -s - '$dir/full.out'"

# Asked by a signal, at whatever exit it lands on.
"$VMM" --steps 1500 > "$dir/long.out" 2>/dev/null
"$VMM" --steps 1500 --snapshot "$dir/sig" > "$dir/s1.out" 2> "$dir/s1.err" &
pid=$!
tries=0
while ! [ -s "$dir/s1.out" ] && [ $tries -lt 500 ] && kill -0 $pid 2>/dev/null; do
	sleep 0.01
	tries=$((tries + 1))
done
kill -USR1 $pid 2>/dev/null
wait $pid
check "SIGUSR1 writes a snapshot" test $? = 0
check "SIGUSR1 stopped the guest before its end" grep -q "snapshot after" "$dir/s1.err"
"$VMM" --resume "$dir/sig" > "$dir/s2.out" 2>/dev/null
check "resume after SIGUSR1: same output as straight through" sh -c \
	"cat '$dir/s1.out' '$dir/s2.out' | cmp -s - '$dir/long.out'"

# Bad snapshots: a clear error naming the file, exit 1, no guest output.
expect_exit 1 "missing snapshot" "$VMM" --resume "$dir/nothing"
expect_stderr "missing snapshot names the file" "$dir/nothing" "$VMM" --resume "$dir/nothing"
cp "$dir/snap" "$dir/bad"
cp "$dir/snap.ram" "$dir/bad.ram"
printf 'X' | dd of="$dir/bad" bs=1 seek=100 conv=notrunc 2>/dev/null
expect_exit 1 "damaged vCPU file" "$VMM" --resume "$dir/bad"
expect_stderr "damaged vCPU file is named" "$dir/bad" "$VMM" --resume "$dir/bad"
cp "$dir/snap" "$dir/short"
head -c 4096 "$dir/snap.ram" > "$dir/short.ram"
expect_exit 1 "RAM file of the wrong size" "$VMM" --resume "$dir/short"
expect_stderr "RAM file of the wrong size is named" "short.ram" "$VMM" --resume "$dir/short"
expect_exit 2 "usage error" "$VMM" --after 5
expect_exit 2 "unknown option" "$VMM" --bogus 1

finish
