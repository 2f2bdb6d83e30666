// SPDX-License-Identifier: MIT
/* Placeholder driver: replaced by the full mips driver. */
#include "arch/arch.h"
#include "arch/uapi/kvm_common.h"

const struct kvmreg_arch_driver kvmreg_arch_mips = {
	.arch = KVMREG_ARCH_MIPS,
	.name = "mips",
	.kvm_reg_arch = KVM_REG_MIPS,
	.probe_is_informative = 1,
};
