/* SPDX-License-Identifier: MIT */
/*
 * The real-KVM check for registers KVM fixes at a vCPU's first KVM_RUN
 * (arm64 firmware feature bitmaps, riscv ISA extensions): a state saved
 * with one changed restores exactly into a vCPU that has not run, and into
 * one that has, the restore is refused (EBUSY, naming the register) and
 * rolled back: the vCPU keeps every register it had. Header-only, like
 * testutil.h: it reports through the calling test's harness.
 */
#ifndef KVMREG_TEST_FIRST_RUN_H
#define KVMREG_TEST_FIRST_RUN_H

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

#endif /* GUEST_SUPPORTED */

#endif /* KVMREG_TEST_FIRST_RUN_H */
