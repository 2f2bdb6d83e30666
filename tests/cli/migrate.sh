#!/bin/sh
# Migration commands on hand-written arm64 captures with allowed values
# (no KVM needed): compat's per-field findings, baseline and adapt, and
# their exit status (3: no). The real-KVM side is tests/kvm/migrate.c and
# the matrix (tests/matrix/).
. "$(dirname "$0")/lib.sh"

dir=$(mktemp -d "${TMPDIR:-/tmp}/kvmreg-cli-migrate.XXXXXX")
trap 'rm -rf "$dir"' EXIT

PC=0x6030000000100040
PFR0=0x603000000013c020		# ID_AA64PFR0_EL1 (SVE is bits 35:32)
MMFR3=0x603000000013c03b	# ID_AA64MMFR3_EL1 (TCRX is bits 3:0)
TCR2=0x603000000013c103		# TCR2_EL1

# capture KERNEL PFR0-LIMIT PFR0-MASK [extra register json]
capture() {
	cat <<EOF
{"format": "kvmreg-state", "version": 1, "arch": "arm64",
 "kernel": "$1", "capture": true, "registers": [
  {"id": "$PC"}, {"id": "$PFR0"}, {"id": "$MMFR3"}$4
 ], "allowed": [
  {"id": "$PFR0", "value": "$2", "mask": "$3"},
  {"id": "$MMFR3", "value": "0x0", "mask": "0x0"}
]}
EOF
}
# state PFR0-VALUE [extra register json]
state() {
	cat <<EOF
{"format": "kvmreg-state", "version": 1, "arch": "arm64",
 "kernel": "6.12.0-test", "capture": false, "registers": [
  {"id": "$PC", "value": "0x40001000"}, {"id": "$PFR0", "value": "$1"},
  {"id": "$MMFR3", "value": "0x0"}$2
]}
EOF
}
capture 6.12.0-a 0x0000000100000011 0x0000000f00000000 ", {\"id\": \"$TCR2\"}" > "$dir/a.json"
capture 6.18.0-b 0x0000000000000011 0x0000000f00000000 "" > "$dir/b.json"
capture 6.1.0-c 0x0000000000000022 0x0 "" > "$dir/c.json"
state 0x0000000100000011 ", {\"id\": \"$TCR2\", \"value\": \"0x0\"}" > "$dir/sve.json"
state 0x0000000000000011 ", {\"id\": \"$TCR2\", \"value\": \"0x0\"}" > "$dir/nosve.json"
state 0x0000000000000011 ", {\"id\": \"$TCR2\", \"value\": \"0x5\"}" |
	sed "s/\"id\": \"$MMFR3\", \"value\": \"0x0\"/\"id\": \"$MMFR3\", \"value\": \"0x1\"/" > "$dir/tcr2.json"

for cmd in baseline adapt; do
	expect_exit 0 "$cmd --help" "$KVMREG" "$cmd" --help
	expect_stdout "$cmd --help shows usage" "usage: kvmreg $cmd" "$KVMREG" "$cmd" --help
done
expect_exit 2 "adapt without --to" "$KVMREG" adapt "$dir/sve.json"
expect_exit 2 "baseline without captures" "$KVMREG" baseline
expect_exit 1 "baseline: unreadable capture" "$KVMREG" baseline "$dir/nope.json"

# A capture keeps its allowed values through the binary format.
expect_exit 0 "capture with allowed values to a snapshot" "$KVMREG" convert "$dir/a.json" "$dir/a.kvmreg"
expect_exit 0 "and back" "$KVMREG" convert --json "$dir/a.kvmreg" "$dir/a2.json"
check "allowed values survive the snapshot" grep -q '"mask": "0x0000000f00000000"' "$dir/a2.json"

# compat: same host: fine; SVE on a host whose limit is 0: refused, named.
expect_exit 0 "compat: own host" "$KVMREG" compat "$dir/sve.json" "$dir/a.json"
expect_exit 3 "compat: SVE field above the host's limit" "$KVMREG" compat "$dir/sve.json" "$dir/b.json"
expect_stdout "compat: names the field and rule" "ID_AA64PFR0_EL1.SVE is 1, the host allows at most 0" "$KVMREG" compat "$dir/sve.json" "$dir/b.json"
expect_stdout "compat: a missing register has its reason" "does not list it" "$KVMREG" compat "$dir/nosve.json" "$dir/b.json"
expect_stdout "compat: a field the host does not let change" "lets no ID register change" "$KVMREG" compat "$dir/nosve.json" "$dir/c.json"

# adapt: TCR2_EL1 = 0 without FEAT_TCR2 goes, by rule; SVE is never lowered.
expect_exit 0 "adapt: drops TCR2_EL1 by rule" "$KVMREG" adapt -o "$dir/adapted.kvmreg" "$dir/nosve.json" --to "$dir/b.json"
expect_stdout "adapt: lists the change and the rule" "dropped  $TCR2  TCR2_EL1" "$KVMREG" adapt "$dir/nosve.json" --to "$dir/b.json"
expect_exit 0 "adapt: the result is compatible" "$KVMREG" compat "$dir/adapted.kvmreg" "$dir/b.json"
expect_exit 3 "adapt: a feature above the limit is refused" "$KVMREG" adapt -o "$dir/no.kvmreg" "$dir/sve.json" --to "$dir/b.json"
check "adapt: nothing written when refused" [ ! -e "$dir/no.kvmreg" ]
expect_stdout "adapt: says why" "the guest read it at boot" "$KVMREG" adapt "$dir/sve.json" --to "$dir/b.json"
expect_exit 3 "adapt: TCR2_EL1 of a guest with FEAT_TCR2 is refused" "$KVMREG" adapt "$dir/tcr2.json" --to "$dir/b.json"

# baseline: SVE lowered to what both allow, TCR2_EL1 left out, counted.
expect_exit 0 "baseline of two hosts" "$KVMREG" baseline -o "$dir/base.kvmreg" "$dir/a.json" "$dir/b.json"
expect_stdout "baseline: names the feature lost" "ID_AA64PFR0_EL1.SVE 1 -> 0 (4 bits)" "$KVMREG" baseline "$dir/a.json" "$dir/b.json"
expect_stdout "baseline: names the register left out" "TCR2_EL1: not on every host" "$KVMREG" baseline "$dir/a.json" "$dir/b.json"
expect_stdout "baseline: summary" "1 registers not on every host, 4 feature bits lost" "$KVMREG" baseline "$dir/a.json" "$dir/b.json"
expect_exit 0 "baseline: the adapted state fits it" "$KVMREG" compat "$dir/adapted.kvmreg" "$dir/base.kvmreg"
expect_exit 3 "baseline: a field neither host lets change differs" "$KVMREG" baseline "$dir/a.json" "$dir/c.json"
finish
