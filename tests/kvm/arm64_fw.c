// SPDX-License-Identifier: MIT
/*
 * arm64 firmware feature bitmaps on real KVM: VM-wide registers a VMM may
 * change only before the VM first runs (EBUSY after, unless the value is
 * the same). Restore must write them first, and a restore that comes too
 * late fails naming the register and leaves the vCPU as it was. SKIPs off
 * arm64.
 */
#include <inttypes.h>

#include "harness.h"
#include "kvmreg.h"
#include "lib/first_run.h"
#include "lib/guest.h"
#include "lib/testutil.h"

#ifdef __aarch64__

/* KVM_REG_ARM_STD_HYP_BMAP_PV_TIME: the one bit of the hypervisor
 * services bitmap (paravirtual time). */
#define STD_HYP_BIT_PV_TIME 1ull

static uint64_t std_hyp_bmap(void)
{
	return guest_arm64_fw_bmap(1);
}

/* A VM whose STD_HYP bitmap offers PV time, or a SKIP. */
#define NEED_PV_TIME_BIT(vm)						\
	do {								\
		uint64_t h_v = 0;					\
		REQUIRE(guest_vm_create(vm, 0, NULL) == 0, "vCPU");	\
		REQUIRE(kvmreg_get((vm)->vcpu, std_hyp_bmap(), &h_v) == 0, \
			"%s", kvmreg_error());				\
		if (!(h_v & STD_HYP_BIT_PV_TIME)) {			\
			guest_vm_destroy(vm);				\
			SKIP("fw.STD_HYP_BMAP offers nothing to clear");	\
		}							\
	} while (0)

TEST(bitmaps_are_listed_and_named)
{
	struct guest_vm vm;
	struct kvmreg_list *list = NULL;
	size_t found = 0;

	NEED_KVM();
	REQUIRE(guest_vm_create(&vm, 0, NULL) == 0, "vCPU");
	REQUIRE(kvmreg_list_get(vm.vcpu, 0, &list) == 0, "%s", kvmreg_error());
	for (size_t i = 0; i < list->count; i++)
		for (unsigned int b = 0; b < 3; b++)
			if (list->regs[i].id == guest_arm64_fw_bmap(b)) {
				char name[64];

				found++;
				kvmreg_id_name(KVMREG_ARCH_ARM64,
					       list->regs[i].id,
					       KVMREG_NAME_SHORT, name,
					       sizeof(name));
				EXPECT(strstr(name, "BMAP") != NULL,
				       "bitmap %u is named '%s'", b, name);
			}
	EXPECT(found == 3, "%zu of the 3 firmware bitmaps listed", found);
	kvmreg_list_free(list);
	guest_vm_destroy(&vm);
}

TEST(bitmap_changes_before_the_first_run)
{
	struct guest_vm vm;
	uint64_t v = 0, back = ~0ull;

	NEED_KVM();
	NEED_PV_TIME_BIT(&vm);
	REQUIRE(kvmreg_get(vm.vcpu, std_hyp_bmap(), &v) == 0, "%s",
		kvmreg_error());
	v &= ~STD_HYP_BIT_PV_TIME;
	EXPECT(kvmreg_set(vm.vcpu, std_hyp_bmap(), &v) == 0, "%s",
	       kvmreg_error());
	EXPECT(kvmreg_get(vm.vcpu, std_hyp_bmap(), &back) == 0 && back == v,
	       "0x%" PRIx64 " back, not 0x%" PRIx64, back, v);
	guest_vm_destroy(&vm);
}

/* The wrong order: after the first KVM_RUN the bitmap is fixed. */
TEST(bitmap_is_fixed_after_the_first_run)
{
	struct guest_vm vm;
	uint64_t v = 0, changed;

	NEED_KVM();
	NEED_PV_TIME_BIT(&vm);
	REQUIRE(kvmreg_get(vm.vcpu, std_hyp_bmap(), &v) == 0, "%s",
		kvmreg_error());
	REQUIRE(guest_touch_run(&vm) == 0, "KVM_RUN");
	changed = v & ~STD_HYP_BIT_PV_TIME;
	EXPECT(kvmreg_set(vm.vcpu, std_hyp_bmap(), &changed) == -EBUSY,
	       "a changed bitmap after the first run: %s", kvmreg_error());
	EXPECT(strstr(kvmreg_error(), "BMAP") != NULL,
	       "the error does not name the bitmap: %s", kvmreg_error());
	EXPECT(kvmreg_set(vm.vcpu, std_hyp_bmap(), &v) == 0,
	       "the same value after the first run: %s", kvmreg_error());
	guest_vm_destroy(&vm);
}

/*
 * A state saved with PV time hidden: it restores into a VM that has not
 * run (bitmaps go first), but into one that has, it fails on the bitmap
 * and the vCPU keeps every register it had.
 */
TEST(restore_of_a_changed_bitmap_needs_a_fresh_vm)
{
	struct guest_vm src;
	struct kvmreg_state *saved = NULL;
	uint64_t v = 0;

	NEED_KVM();
	NEED_PV_TIME_BIT(&src);
	REQUIRE(kvmreg_get(src.vcpu, std_hyp_bmap(), &v) == 0, "%s",
		kvmreg_error());
	v &= ~STD_HYP_BIT_PV_TIME;
	REQUIRE(kvmreg_set(src.vcpu, std_hyp_bmap(), &v) == 0, "%s",
		kvmreg_error());
	REQUIRE(kvmreg_save(src.vcpu, &saved) == 0, "%s", kvmreg_error());
	t_restore_needs_a_fresh_vcpu(saved, "PV time hidden", "BMAP");
	kvmreg_state_free(saved);
	guest_vm_destroy(&src);
}

static bool is_fw_bitmap(uint64_t id)
{
	for (unsigned int b = 0; b < 3; b++)
		if (id == guest_arm64_fw_bmap(b))
			return true;
	return false;
}

static bool is_pc(uint64_t id)
{
	return id == guest_arm64_pc();
}

/* The library's order writes every bitmap before any state register. */
TEST(bitmaps_come_first_in_restore_order)
{
	NEED_KVM();
	t_fixed_registers_come_first(is_fw_bitmap, is_pc);
}

#else /* !__aarch64__ */

#define NOT_ARM64(name)							\
	TEST(name)							\
	{								\
		SKIP("arm64 only");					\
	}
NOT_ARM64(bitmaps_are_listed_and_named)
NOT_ARM64(bitmap_changes_before_the_first_run)
NOT_ARM64(bitmap_is_fixed_after_the_first_run)
NOT_ARM64(restore_of_a_changed_bitmap_needs_a_fresh_vm)
NOT_ARM64(bitmaps_come_first_in_restore_order)

#endif

TEST_MAIN("arm64_fw",
	  CASE(bitmaps_are_listed_and_named),
	  CASE(bitmap_changes_before_the_first_run),
	  CASE(bitmap_is_fixed_after_the_first_run),
	  CASE(restore_of_a_changed_bitmap_needs_a_fresh_vm),
	  CASE(bitmaps_come_first_in_restore_order))
