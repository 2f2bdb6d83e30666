// SPDX-License-Identifier: MIT
/*
 * riscv64 host part: the scratch vCPU. A RISC-V vCPU is usable as soon as
 * KVM_CREATE_VCPU returns (no KVM_ARM_VCPU_INIT, no CPUID): KVM enables
 * every ISA extension the host has that it may enable, and every SBI
 * extension that is not off by default. So there is nothing to set up, and
 * the flags that ask for arm64 features are refused rather than ignored.
 */
#include <errno.h>

#include "arch/arch.h"
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
