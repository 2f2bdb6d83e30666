// SPDX-License-Identifier: MIT
/* Placeholder driver: replaced by the full arm64 driver. */
#include "arch/arch.h"
#include "arch/uapi/kvm_common.h"

const struct kvmreg_arch_driver kvmreg_arch_arm64 = {
	.arch = KVMREG_ARCH_ARM64,
	.name = "arm64",
	.kvm_reg_arch = KVM_REG_ARM64,
	.probe_is_informative = 1,
};
