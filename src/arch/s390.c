// SPDX-License-Identifier: MIT
/* Placeholder driver: replaced by the full s390 driver. */
#include "arch/arch.h"
#include "arch/uapi/kvm_common.h"

const struct kvmreg_arch_driver kvmreg_arch_s390 = {
	.arch = KVMREG_ARCH_S390,
	.name = "s390",
	.kvm_reg_arch = KVM_REG_S390,
	.probe_is_informative = 1,
};
