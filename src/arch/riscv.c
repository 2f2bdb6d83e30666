// SPDX-License-Identifier: MIT
/* Placeholder driver: replaced by the full riscv64 driver. */
#include "arch/arch.h"
#include "arch/uapi/kvm_common.h"

const struct kvmreg_arch_driver kvmreg_arch_riscv64 = {
	.arch = KVMREG_ARCH_RISCV64,
	.name = "riscv64",
	.kvm_reg_arch = KVM_REG_RISCV,
	.probe_is_informative = 1,
};
