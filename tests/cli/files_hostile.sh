#!/bin/sh
# Files a user or a crash leaves in the way (issue 16): a FIFO nobody
# writes to must not hang `kvmreg show`, a FIFO whose writer comes a little
# later must still be read, and the temporary files of a save killed with
# SIGKILL must neither stay forever nor make the next save fail.
. "$(dirname "$0")/lib.sh"

dir=$(mktemp -d "${TMPDIR:-/tmp}/kvmreg-cli-files.XXXXXX")
trap 'rm -rf "$dir"' EXIT

cat > "$dir/a.json" <<'EOF'
{"format": "kvmreg-state", "version": 1, "arch": "arm64",
 "kernel": "6.12.0-test", "capture": false, "registers": [
  {"id": "0x6030000000100000", "value": "0x1"},
  {"id": "0x6030000000100040", "value": "0x1000"}
]}
EOF
"$KVMREG" convert "$dir/a.json" "$dir/a.kvmreg" >/dev/null 2>&1

# exited_saying CASE GOT WANT TEXT FILE: the command exited WANT and its
# output (in FILE) says TEXT.
exited_saying() {
	if [ "$2" = "$3" ] && grep -qF -- "$4" "$5"; then pass "$1"; else
		echo "    exited $2, not $3; said: $(cat "$5")"
		fail "$1"
	fi
}

# A FIFO without a writer: an error naming it, not a hang. `timeout`
# only catches the hang (exit 124); the library gives up by itself.
mkfifo "$dir/fifo"
timeout 30 "$KVMREG" show "$dir/fifo" >"$dir/fifo.out" 2>&1
exited_saying "fifo_without_writer_fails" $? 1 \
	"fifo: a FIFO no process opened for writing" "$dir/fifo.out"

# The reader first, its writer a moment later, as a shell pipeline of
# background jobs does it.
timeout 30 "$KVMREG" show "$dir/fifo" >"$dir/fifo.out" 2>&1 &
reader=$!
sleep 0.2
cat "$dir/a.kvmreg" > "$dir/fifo"
wait $reader
exited_saying "fifo_with_late_writer_is_read" $? 0 \
	"arm64 state, saved on Linux 6.12.0-test, 2 registers" "$dir/fifo.out"

# Process substitution hands over a pipe that already has its writer.
if [ -e /dev/fd/0 ]; then
	expect_exit 0 "pipe_from_stdin_is_read" sh -c "\"$KVMREG\" show /dev/stdin < \"$dir/a.kvmreg\""
fi

# The temporary files of writers killed mid-save: named for processes that
# no longer exist. A pid that is surely gone: a child that has exited.
sh -c 'exit 0' &
dead=$!
wait $dead
for out in out.kvmreg out.json; do
	: > "$dir/$out.tmp.$dead"
	: > "$dir/$out.tmp.$dead.7"
	: > "$dir/$out.tmp.$$.1"	# a live process's: not ours to remove
done
expect_exit 0 "save_beside_stale_temps" "$KVMREG" convert "$dir/a.json" "$dir/out.kvmreg"
expect_exit 0 "json_save_beside_stale_temps" "$KVMREG" convert --json "$dir/a.json" "$dir/out.json"
for out in out.kvmreg out.json; do
	if [ ! -e "$dir/$out.tmp.$dead" ] && [ ! -e "$dir/$out.tmp.$dead.7" ]; then
		pass "stale_temps_of_$out.removed"
	else
		echo "    left: $(cd "$dir" && ls "$out".tmp.*)"
		fail "stale_temps_of_$out.removed"
	fi
	check "live_temp_of_$out.kept" test -e "$dir/$out.tmp.$$.1"
done

expect_stdout "json_reads_back" "2 registers" "$KVMREG" show "$dir/out.json"

# SIGKILL in the middle of saves, many times: whatever is left, the next
# save removes, and the file is always whole (old or new).
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
	"$KVMREG" convert --json "$dir/a.json" "$dir/k.json" >/dev/null 2>&1 &
	pid=$!
	sleep 0.00$i 2>/dev/null || true
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	if [ -e "$dir/k.json" ] && ! "$KVMREG" show "$dir/k.json" >/dev/null 2>&1; then
		echo "    a killed save left a torn k.json"
		fail "killed_saves_leave_whole_files"
		break
	fi
done
expect_exit 0 "save_after_killed_saves" "$KVMREG" convert --json "$dir/a.json" "$dir/k.json"
left=$(cd "$dir" && ls | grep -c '^k\.json\.tmp\.' || true)
if [ "$left" = 0 ]; then pass "killed_saves_leave_no_temps"; else
	echo "    left: $(cd "$dir" && ls | grep '^k\.json\.tmp\.')"
	fail "killed_saves_leave_no_temps"
fi

finish
