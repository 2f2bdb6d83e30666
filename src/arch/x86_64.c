// SPDX-License-Identifier: MIT
/* Placeholder driver: replaced by the full x86_64 driver. */
#include "arch/arch.h"
#include "arch/uapi/kvm_common.h"

const struct kvmreg_arch_driver kvmreg_arch_x86_64 = {
	.arch = KVMREG_ARCH_X86_64,
	.name = "x86_64",
	.kvm_reg_arch = KVM_REG_X86,
	.probe_is_informative = 1,
};
