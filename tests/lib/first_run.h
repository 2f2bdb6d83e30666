/* SPDX-License-Identifier: MIT */
/*
 * The real-KVM check for registers KVM fixes at a vCPU's first KVM_RUN
 * (arm64 firmware feature bitmaps, riscv ISA extensions): a state saved
 * with one changed restores exactly into a vCPU that has not run, and into
 * one that has, the restore is refused (EBUSY, naming the register) and
 * rolled back: the vCPU keeps every register it had; the restore order
 * writes such registers before any other. Header-only, like
 * testutil.h: it reports through the calling test's harness.
 */
#ifndef KVMREG_TEST_FIRST_RUN_H
#define KVMREG_TEST_FIRST_RUN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "harness.h"
#include "kvmreg.h"
#include "lib/guest.h"
#include "lib/testutil.h"

#if GUEST_SUPPORTED

/* saved: the state with the register changed; changed: what was changed,
 * for messages; named: what the refusal's message must contain. */
static inline void t_restore_needs_a_fresh_vcpu(const struct kvmreg_state *saved,
						const char *changed,
						const char *named)
{
	struct guest_vm fresh, ran;
	struct kvmreg_state *before = NULL, *after = NULL;

	REQUIRE(guest_vm_create(&fresh, 0, NULL) == 0, "vCPU");
	EXPECT(kvmreg_restore(fresh.vcpu, saved) == 0, "%s", kvmreg_error());
	REQUIRE(kvmreg_save(fresh.vcpu, &after) == 0, "%s", kvmreg_error());
	EXPECT(t_state_differences(saved, after, 0) == 0,
	       "the fresh vCPU differs after the restore (%s)", changed);
	kvmreg_state_free(after);
	guest_vm_destroy(&fresh);

	REQUIRE(guest_vm_create(&ran, 0, NULL) == 0, "vCPU");
	REQUIRE(guest_touch_run(&ran) == 0, "KVM_RUN");
	REQUIRE(kvmreg_save(ran.vcpu, &before) == 0, "%s", kvmreg_error());
	EXPECT(kvmreg_restore(ran.vcpu, saved) == -EBUSY,
	       "restore after the first run (%s): %s", changed,
	       kvmreg_error());
	EXPECT(strstr(kvmreg_error(), named) != NULL,
	       "the error does not name the register (%s): %s", named,
	       kvmreg_error());
	REQUIRE(kvmreg_save(ran.vcpu, &after) == 0, "%s", kvmreg_error());
	EXPECT(t_state_differences(before, after, 0) == 0,
	       "the refused restore changed the vCPU");
	kvmreg_state_free(before);
	kvmreg_state_free(after);
	guest_vm_destroy(&ran);
}

/*
 * The library's restore order, on a fresh vCPU's state, writes every
 * register is_fixed() picks (fixed at the first run) before the first one
 * is_state() picks: what makes the restore above work.
 */
static inline void t_fixed_registers_come_first(bool (*is_fixed)(uint64_t id),
						 bool (*is_state)(uint64_t id))
{
	struct guest_vm vm;
	struct kvmreg_state *saved = NULL;
	uint64_t *ids;
	size_t n, last_fixed = SIZE_MAX, first_state = SIZE_MAX;

	REQUIRE(guest_vm_create(&vm, 0, NULL) == 0, "vCPU");
	REQUIRE(kvmreg_save(vm.vcpu, &saved) == 0, "%s", kvmreg_error());
	n = kvmreg_state_count(saved);
	ids = calloc(n + 1, sizeof(*ids));
	REQUIRE(ids && kvmreg_restore_order(saved, ids) == 0, "%s",
		kvmreg_error());
	for (size_t i = 0; i < n; i++) {
		if (is_fixed(ids[i]))
			last_fixed = i;
		else if (is_state(ids[i]) && first_state == SIZE_MAX)
			first_state = i;
	}
	EXPECT(last_fixed != SIZE_MAX && first_state != SIZE_MAX,
	       "the state lacks a fixed register (%zu) or a state one (%zu)",
	       last_fixed, first_state);
	EXPECT(last_fixed == SIZE_MAX || first_state == SIZE_MAX ||
	       last_fixed < first_state,
	       "a fixed register at position %zu comes after state at %zu",
	       last_fixed, first_state);
	free(ids);
	kvmreg_state_free(saved);
	guest_vm_destroy(&vm);
}

#endif /* GUEST_SUPPORTED */

#endif /* KVMREG_TEST_FIRST_RUN_H */
