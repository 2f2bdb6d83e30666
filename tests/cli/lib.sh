# Shared by the CLI tests: harness-format lines, like tests/harness.h.
set -u
KVMREG=${KVMREG:-${BUILD:-build}/kvmreg}
test_name=$(basename "$0" .sh)
passed=0
failed=0
skipped=0
skip() { echo "SKIP cli.$test_name.$1: $2"; skipped=$((skipped + 1)); }
pass() { echo "PASS cli.$test_name.$1"; passed=$((passed + 1)); }
fail() { echo "FAIL cli.$test_name.$1"; failed=$((failed + 1)); }
check() {
	what=$1; shift
	if "$@" >/dev/null 2>&1; then pass "$what"; else fail "$what"; fi
}
expect_exit() {
	want=$1 what=$2; shift 2
	"$@" >/dev/null 2>&1
	got=$?
	if [ "$got" = "$want" ]; then pass "$what"; else
		echo "    '$*' exited $got, not $want"; fail "$what"; fi
}
expect_stdout() {
	what=$1 want=$2; shift 2
	if "$@" 2>/dev/null | grep -qF -- "$want"; then pass "$what"; else
		echo "    '$*' did not print '$want'"; fail "$what"; fi
}
expect_stderr() {
	what=$1 want=$2; shift 2
	if "$@" 2>&1 >/dev/null | grep -qF -- "$want"; then pass "$what"; else
		echo "    '$*' did not say '$want' on stderr"; fail "$what"; fi
}
finish() {
	echo "# $test_name: $passed passed, $failed failed, $skipped skipped"
	[ "$failed" -eq 0 ]
}
