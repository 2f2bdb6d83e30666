// SPDX-License-Identifier: MIT
/*
 * arm64 host part: set up a scratch vCPU the way a VMM does before its
 * first run, so that KVM_GET_REG_LIST returns what that VMM would save.
 * Built only for aarch64 targets; uses the host's uapi headers.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include <linux/kvm.h>

#include "arch/arch.h"
#include "arch/arm64/private.h"
#include "arch/common/mp_state.h"
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
/* ------------------------------------------------------------------ */
/* Library registers: MP state, and the vGIC's per-vCPU state           */

int kvmreg_arm64_list_extra(struct kvmreg_vcpu *vcpu,
			    struct kvmreg_idvec *out,
			    struct kvmreg_idvec *sources);
int kvmreg_arm64_gic_fd(struct kvmreg_vcpu *vcpu, int fd);

_Static_assert(sizeof(struct kvm_vcpu_events) == KVMREG_ARM64_EVENTS_BYTES,
	       "the events register is the whole struct");

/* What a handle knows beyond its fds: the VMM's GICv3 fd, if any. */
struct arm64_data {
	int gic_fd;
};

static struct arm64_data *arm64_data(struct kvmreg_vcpu *vcpu)
{
	return vcpu->arch_data;
}

enum {
	GROUP_MP_STATE = 1,
	GROUP_ICC,
	GROUP_GICR,
	GROUP_EVENTS,
};

static uint32_t arm64_group_of(uint64_t id)
{
	if (!kvmreg_arm64_is_lib(id))
		return 0;
	switch (KVMREG_ARM64_COPROC(id)) {
	case KVMREG_ARM64_LIB_MP_STATE:
		return GROUP_MP_STATE;
	case KVMREG_ARM64_LIB_ICC:
		return GROUP_ICC;
	case KVMREG_ARM64_LIB_EVENTS:
		return GROUP_EVENTS;
	default:
		return GROUP_GICR;
	}
}

/* MPIDR_EL1 (3, 0, 0, 0, 5) of the vCPU as the vGIC attributes name a
 * vCPU: Aff3.Aff2.Aff1.Aff0 in bits 63-32 (KVM_DEV_ARM_VGIC_V3_MPIDR_MASK),
 * the layout of GICR_TYPER's affinity, which is how QEMU builds it. */
static int vcpu_affinity(struct kvmreg_vcpu *vcpu, uint64_t *aff)
{
	uint64_t mpidr = 0;
	int r = kvmreg_one_reg_get(vcpu, KVM_REG_ARM64 | KVM_REG_SIZE_U64 |
				   KVM_REG_ARM64_SYSREG | 0xc005, &mpidr);

	if (r < 0)
		return kvmreg_set_error(r, "reading MPIDR_EL1 for the vGIC: %s",
					strerror(-r));
	*aff = ((mpidr & 0xffffff) | (mpidr >> 32 & 0xff) << 24) << 32;
	return 0;
}

static int gic_attr(int fd, bool set, uint32_t group, uint64_t attr,
		    void *value)
{
	struct kvm_device_attr a = {
		.group = group,
		.attr = attr,
		.addr = (uintptr_t)value,
	};
	int r;

	do {
		r = ioctl(fd, set ? KVM_SET_DEVICE_ATTR : KVM_GET_DEVICE_ATTR, &a);
	} while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : 0;
}

/* One ICC or GICR register; a GICR_IS* write clears with its IC* first. */
static int vgic_access(int fd, uint64_t aff, bool set, uint64_t id,
		       uint8_t *val)
{
	if (KVMREG_ARM64_COPROC(id) == KVMREG_ARM64_LIB_ICC)
		return gic_attr(fd, set, KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS,
				aff | (id & 0xffff), val);
	{
		uint32_t offset = KVMREG_ARM64_GICR_OFFSET(id);
		uint32_t clear = set ? kvmreg_arm64_gicr_clear_offset(offset) : 0;
		uint32_t v, inverse;
		int r;

		memcpy(&v, val, 4);
		inverse = ~v;
		if (clear) {
			r = gic_attr(fd, true, KVM_DEV_ARM_VGIC_GRP_REDIST_REGS,
				     aff | clear, &inverse);
			if (r)
				return r;
		}
		r = gic_attr(fd, set, KVM_DEV_ARM_VGIC_GRP_REDIST_REGS,
			     aff | offset, &v);
		if (!r && !set)
			memcpy(val, &v, 4);
		return r;
	}
}

static int arm64_group_access(struct kvmreg_vcpu *vcpu, uint32_t group,
			      bool set, size_t n, const uint64_t *ids,
			      uint8_t *const *vals, int *errs)
{
	struct arm64_data *d = arm64_data(vcpu);
	uint64_t aff;
	int r;

	if (group == GROUP_MP_STATE) {
		kvmreg_mp_state_access(vcpu, set, n, vals, errs);
		return 0;
	}
	if (group == GROUP_EVENTS) {
		for (size_t i = 0; i < n; i++) {
			errs[i] = kvmreg_vcpu_ioctl(vcpu, set ? KVM_SET_VCPU_EVENTS :
						    KVM_GET_VCPU_EVENTS, vals[i]);
			if (errs[i] > 0)
				errs[i] = 0;
		}
		return 0;
	}
	if (!d || d->gic_fd < 0)
		return kvmreg_set_error(-ENODEV,
					"vGIC registers need the VM's GICv3 fd: call kvmreg_vcpu_set_gic_fd() first");
	r = vcpu_affinity(vcpu, &aff);
	if (r)
		return r;
	for (size_t i = 0; i < n; i++)
		errs[i] = vgic_access(d->gic_fd, aff, set, ids[i], vals[i]);
	return 0;
}

static int arm64_group_get(struct kvmreg_vcpu *vcpu, uint32_t group,
			   size_t n, const uint64_t *ids, uint8_t *const *vals,
			   int *errs)
{
	return arm64_group_access(vcpu, group, false, n, ids, vals, errs);
}

static int arm64_group_set(struct kvmreg_vcpu *vcpu, uint32_t group,
			   size_t n, const uint64_t *ids,
			   const uint8_t *const *vals, int *errs)
{
	/* the set paths only read from vals */
	return arm64_group_access(vcpu, group, true, n, ids,
				  (uint8_t *const *)vals, errs);
}

const struct kvmreg_group_ops kvmreg_arm64_groups = {
	.group_of = arm64_group_of,
	.get = arm64_group_get,
	.set = arm64_group_set,
};

/* The vGIC registers of this vCPU that the GIC answers, in restore order
 * (the redistributor, then the CPU interface); AP0R1-3/AP1R1-3 exist only
 * with enough priority bits. */
static int list_vgic(struct kvmreg_vcpu *vcpu, int fd,
		     struct kvmreg_idvec *out, struct kvmreg_idvec *sources)
{
	uint64_t aff, value, typer = 0;
	int err = vcpu_affinity(vcpu, &aff);
	bool lpis;

	/* GICR_TYPER.PLPIS: without LPIs (no ITS) KVM still answers for
	 * PROPBASER and PENDBASER, but sanitises any write (0 reads back as
	 * 0x180): nothing to restore, so they are not listed. */
	lpis = !err && !vgic_access(fd, aff, false, KVMREG_ARM64_GICR_ID(0x8),
				     (uint8_t *)&typer) && (typer & 1);
	for (size_t i = 0; !err && i < kvmreg_arm64_gicr_count(); i++) {
		uint64_t id = kvmreg_arm64_gicr_id(i);
		uint32_t offset = KVMREG_ARM64_GICR_OFFSET(id);

		if (!lpis && offset >= 0x70 && offset < 0x80)
			continue;
		value = 0;
		if (vgic_access(fd, aff, false, id, (uint8_t *)&value))
			continue;
		err = kvmreg_idvec_push(out, id);
		err = err ? err : kvmreg_idvec_push(sources, KVMREG_SRC_LIBRARY);
	}
	for (size_t i = 0; !err && i < kvmreg_arm64_icc_count(); i++) {
		uint64_t id = kvmreg_arm64_icc_id(i);

		if (vgic_access(fd, aff, false, id, (uint8_t *)&value))
			continue;
		err = kvmreg_idvec_push(out, id);
		err = err ? err : kvmreg_idvec_push(sources, KVMREG_SRC_LIBRARY);
	}
	return err;
}

int kvmreg_arm64_list_extra(struct kvmreg_vcpu *vcpu,
			    struct kvmreg_idvec *out,
			    struct kvmreg_idvec *sources)
{
	static _Atomic int kernel_has_events;
	struct arm64_data *d = arm64_data(vcpu);
	struct kvm_vcpu_events events;
	int err = 0;

	if (d && d->gic_fd >= 0)
		err = list_vgic(vcpu, d->gic_fd, out, sources);
	if (!err && kvmreg_vcpu_ioctl_exists(vcpu, &kernel_has_events,
					     KVM_GET_VCPU_EVENTS, &events)) {
		err = kvmreg_idvec_push(out, KVMREG_ARM64_EVENTS_ID);
		err = err ? err : kvmreg_idvec_push(sources, KVMREG_SRC_LIBRARY);
	}
	return err ? err : kvmreg_mp_state_list(vcpu, KVMREG_ARM64_MP_STATE_ID,
						out, sources);
}

int kvmreg_arm64_gic_fd(struct kvmreg_vcpu *vcpu, int fd)
{
	struct arm64_data *d = arm64_data(vcpu);
	struct kvm_device_attr probe = {
		.group = KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS,
		.attr = 0xc230,	/* ICC_PMR_EL1 of the vCPU with MPIDR 0 */
	};
	uint64_t aff;
	int r;

	if (fd >= 0) {
		r = vcpu_affinity(vcpu, &aff);
		if (r)
			return r;
		probe.attr |= aff;
		if (ioctl(fd, KVM_HAS_DEVICE_ATTR, &probe) < 0)
			return kvmreg_set_error(errno == EBADF ? -EBADF : -ENODEV,
						"kvmreg_vcpu_set_gic_fd: fd %d %s",
						fd, errno == EBADF ? "is not open" :
						"is not a GICv3 device that knows this vCPU (KVM_HAS_DEVICE_ATTR of its ICC_PMR_EL1 failed)");
	}
	if (!d) {
		d = calloc(1, sizeof(*d));
		if (!d)
			return kvmreg_set_error(-ENOMEM, "out of memory");
		vcpu->arch_data = d;
		vcpu->arch_data_free = free;
	}
	d->gic_fd = fd;
	return 0;
}
