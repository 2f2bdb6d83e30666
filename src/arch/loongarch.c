// SPDX-License-Identifier: MIT
/* Placeholder driver: replaced by the full loongarch64 driver. */
#include "arch/arch.h"
#include "arch/uapi/kvm_common.h"

const struct kvmreg_arch_driver kvmreg_arch_loongarch64 = {
	.arch = KVMREG_ARCH_LOONGARCH64,
	.name = "loongarch64",
	.kvm_reg_arch = KVM_REG_LOONGARCH,
	.probe_is_informative = 1,
};
