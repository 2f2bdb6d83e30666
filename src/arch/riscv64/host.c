// SPDX-License-Identifier: MIT
/*
 * riscv64 host part: the scratch vCPU. A RISC-V vCPU is usable as soon as
 * KVM_CREATE_VCPU returns (no KVM_ARM_VCPU_INIT, no CPUID): KVM enables
 * every ISA extension the host has that it may enable, and every SBI
 * extension that is not off by default. So there is nothing to set up, and
 * the flags that ask for arm64 features are refused rather than ignored.
 */
#include <errno.h>

#include <stdbool.h>

#include "arch/arch.h"
#include "arch/common/mp_state.h"
#include "arch/riscv64/private.h"
#include "internal.h"

int kvmreg_riscv64_vcpu_setup(struct kvmreg_scratch *scratch,
			      unsigned int flags);

int kvmreg_riscv64_vcpu_setup(struct kvmreg_scratch *scratch,
			      unsigned int flags)
{
	(void)scratch;
	if (flags & (KVMREG_SCRATCH_SVE | KVMREG_SCRATCH_PMU))
		return kvmreg_set_error(-EINVAL,
					"scratch vCPU: %s is an arm64 feature; a riscv64 vCPU has its vector and PMU state through ISA_EXT V and SBI_EXT PMU",
					flags & KVMREG_SCRATCH_SVE ?
					"KVMREG_SCRATCH_SVE" :
					"KVMREG_SCRATCH_PMU");
	return 0;
}

/* The MP state (SBI HSM: a hart stopped by hart_stop stays stopped) is the
 * one register served by an ioctl of its own; the rest are ONE_REG. */
int kvmreg_riscv64_list_extra(struct kvmreg_vcpu *vcpu,
			      struct kvmreg_idvec *out,
			      struct kvmreg_idvec *sources);

static uint32_t rv_group_of(uint64_t id)
{
	return id == KVMREG_RISCV_MP_STATE_ID;
}

static int rv_group_get(struct kvmreg_vcpu *vcpu, uint32_t group, size_t n,
			const uint64_t *ids, uint8_t *const *vals, int *errs)
{
	(void)group;
	(void)ids;
	kvmreg_mp_state_access(vcpu, false, n, vals, errs);
	return 0;
}

static int rv_group_set(struct kvmreg_vcpu *vcpu, uint32_t group, size_t n,
			const uint64_t *ids, const uint8_t *const *vals,
			int *errs)
{
	(void)group;
	(void)ids;
	/* the set path only reads from vals */
	kvmreg_mp_state_access(vcpu, true, n, (uint8_t *const *)vals, errs);
	return 0;
}

const struct kvmreg_group_ops kvmreg_riscv64_groups = {
	.group_of = rv_group_of,
	.get = rv_group_get,
	.set = rv_group_set,
};

int kvmreg_riscv64_list_extra(struct kvmreg_vcpu *vcpu,
			      struct kvmreg_idvec *out,
			      struct kvmreg_idvec *sources)
{
	return kvmreg_mp_state_list(vcpu, KVMREG_RISCV_MP_STATE_ID, out,
				    sources);
}
