// SPDX-License-Identifier: MIT
/* Placeholder driver: replaced by the full ppc driver. */
#include "arch/arch.h"
#include "arch/uapi/kvm_common.h"

const struct kvmreg_arch_driver kvmreg_arch_ppc = {
	.arch = KVMREG_ARCH_PPC,
	.name = "ppc",
	.kvm_reg_arch = KVM_REG_PPC,
	.probe_is_informative = 1,
};
