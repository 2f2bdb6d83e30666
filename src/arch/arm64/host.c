// SPDX-License-Identifier: MIT
/*
 * arm64 host part: set up a scratch vCPU the way a VMM does before its
 * first run, so that KVM_GET_REG_LIST returns what that VMM would save.
 * Built only for aarch64 targets; uses the host's uapi headers.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include <linux/kvm.h>

#include "arch/arch.h"
#include "internal.h"
#include "state.h"

int kvmreg_arm64_vcpu_setup(struct kvmreg_scratch *scratch,
			    unsigned int flags);

/* Asked of the VM, not /dev/kvm: arm64 answers some capabilities per VM. */
static int vm_has(struct kvmreg_scratch *scratch, long cap)
{
	return ioctl(scratch->vm_fd, KVM_CHECK_EXTENSION, cap) > 0;
}

static int vcpu_ioctl(struct kvmreg_scratch *scratch, unsigned long request,
		      void *arg, const char *what)
{
	int r;

	do {
		r = ioctl(scratch->vcpu_fd, request, arg);
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		return kvmreg_set_error(-errno, "%s: %s", what, strerror(errno));
	return 0;
}

/*
 * KVM_ARM_VCPU_INIT with the preferred target and the features a VMM
 * enables by default (PSCI 0.2+, pointer authentication when KVM has both
 * halves: KVM refuses one without the other), plus what flags ask for.
 * SVE needs KVM_ARM_VCPU_FINALIZE before KVM_GET_REG_LIST (EPERM until
 * then); the vector lengths stay the host's maximum, which is what
 * KVM_REG_ARM64_SVE_VLS holds before anyone writes it. PMUv3 needs nothing
 * more for its registers to be listed and accessible: the PMU device
 * attributes (IRQ, KVM_ARM_VCPU_PMU_V3_INIT) matter only for running.
 * MTE would have to be enabled on the VM before the vCPU is created, which
 * the scratch VM does not do, so MTE registers are not in its list.
 */
int kvmreg_arm64_vcpu_setup(struct kvmreg_scratch *scratch,
			    unsigned int flags)
{
	struct kvm_vcpu_init init;
	int err;

	if (flags & KVMREG_SCRATCH_NO_SETUP)
		return 0;
	memset(&init, 0, sizeof(init));
	if (ioctl(scratch->vm_fd, KVM_ARM_PREFERRED_TARGET, &init) < 0)
		return kvmreg_set_error(-errno, "KVM_ARM_PREFERRED_TARGET: %s",
					strerror(errno));
	if (vm_has(scratch, KVM_CAP_ARM_PSCI_0_2))
		init.features[0] |= 1u << KVM_ARM_VCPU_PSCI_0_2;
	if (vm_has(scratch, KVM_CAP_ARM_PTRAUTH_ADDRESS) &&
	    vm_has(scratch, KVM_CAP_ARM_PTRAUTH_GENERIC))
		init.features[0] |= 1u << KVM_ARM_VCPU_PTRAUTH_ADDRESS |
				    1u << KVM_ARM_VCPU_PTRAUTH_GENERIC;
	if (flags & KVMREG_SCRATCH_PMU) {
		if (!vm_has(scratch, KVM_CAP_ARM_PMU_V3))
			return kvmreg_set_error(-EOPNOTSUPP,
						"arm64 scratch vCPU: this KVM offers no PMUv3 to guests (KVM_CAP_ARM_PMU_V3)");
		init.features[0] |= 1u << KVM_ARM_VCPU_PMU_V3;
	}
	if (flags & KVMREG_SCRATCH_SVE) {
		if (!vm_has(scratch, KVM_CAP_ARM_SVE))
			return kvmreg_set_error(-EOPNOTSUPP,
						"arm64 scratch vCPU: this KVM offers no SVE to guests (KVM_CAP_ARM_SVE)");
		init.features[0] |= 1u << KVM_ARM_VCPU_SVE;
	}
	err = vcpu_ioctl(scratch, KVM_ARM_VCPU_INIT, &init, "KVM_ARM_VCPU_INIT");
	if (err)
		return err;
	if (flags & KVMREG_SCRATCH_SVE) {
		int feature = KVM_ARM_VCPU_SVE;

		err = vcpu_ioctl(scratch, KVM_ARM_VCPU_FINALIZE, &feature,
				 "KVM_ARM_VCPU_FINALIZE(SVE)");
	}
	return err;
}

/*
 * KVM_ARM_GET_REG_WRITABLE_MASKS (6.7+), spelled here because the cross
 * toolchain's headers may predate it: _IOR(KVMIO, 0xb6, 64-byte struct).
 */
#define KVMREG_CAP_ARM_SUPPORTED_REG_MASK_RANGES 230
#define KVMREG_ARM_GET_REG_WRITABLE_MASKS 0x8040aeb6ul
#define KVMREG_ARM_FEATURE_ID_RANGE_SIZE (3 * 8 * 8)

struct kvmreg_reg_mask_range {
	uint64_t addr;
	uint32_t range;
	uint32_t reserved[13];
};

int kvmreg_arm64_feature_index(uint64_t id);
int kvmreg_arm64_capture_allowed(struct kvmreg_vcpu *vcpu,
				 const struct kvmreg_state *list,
				 struct kvmreg_state *value,
				 struct kvmreg_state *mask);

/*
 * What a capture records: each feature register's value on this vCPU
 * (fresh from KVM_ARM_VCPU_INIT, that is KVM's sanitised limit) and the
 * bits userspace may change: the kernel's writable masks for ID registers
 * (none before 6.7: no ID register may change), the value itself for the
 * firmware bitmaps (services may be withdrawn before the first run).
 */
int kvmreg_arm64_capture_allowed(struct kvmreg_vcpu *vcpu,
				 const struct kvmreg_state *list,
				 struct kvmreg_state *value,
				 struct kvmreg_state *mask)
{
	uint64_t masks[KVMREG_ARM_FEATURE_ID_RANGE_SIZE];
	const struct kvmreg_feature_ops *ops = vcpu->driver->features;
	struct kvmreg_reg_mask_range range = { .addr = (uintptr_t)masks };
	int have_masks = 0, err = 0;

	memset(masks, 0, sizeof(masks));
	if (vcpu->vm_fd >= 0 &&
	    ioctl(vcpu->vm_fd, KVM_CHECK_EXTENSION,
		  KVMREG_CAP_ARM_SUPPORTED_REG_MASK_RANGES) > 0 &&
	    ioctl(vcpu->vm_fd, KVMREG_ARM_GET_REG_WRITABLE_MASKS, &range) == 0)
		have_masks = 1;
	for (size_t i = 0; !err && i < list->count; i++) {
		uint64_t id = list->entries[i].id, v, m = 0;
		int index;

		if (!ops->is_feature(id))
			continue;
		if (kvmreg_id_size(id) != 8) {	/* sve.VLS: exact, no mask */
			uint8_t vls[256], none[256] = { 0 };
			size_t size = kvmreg_id_size(id);

			if (kvmreg_one_reg_get(vcpu, id, vls))
				continue;
			err = kvmreg_state_set(value, id, vls, size);
			if (!err)
				err = kvmreg_state_set(mask, id, none, size);
			continue;
		}
		if (kvmreg_one_reg_get(vcpu, id, &v))
			continue;	/* unreadable: not recorded */
		index = kvmreg_arm64_feature_index(id);
		if (index < 0)
			m = v;		/* firmware: levels and bitmaps */
		else if (have_masks)
			m = masks[index];
		err = kvmreg_state_set(value, id, &v, 8);
		if (!err)
			err = kvmreg_state_set(mask, id, &m, 8);
	}
	return err;
}
