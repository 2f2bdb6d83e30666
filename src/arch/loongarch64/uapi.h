/* SPDX-License-Identifier: MIT */
/*
 * Facts from Linux 7.2's arch/loongarch/include/uapi/asm/kvm.h (ONE_REG id
 * layout), arch/loongarch/include/asm/kvm_host.h (KVM_MAX_CPUCFG_REGS,
 * CSR_MAX_NUMS) and arch/loongarch/include/asm/loongarch.h (CSR numbers and
 * CPUCFG bits), defined here so the LoongArch names build on any host.
 * Files that include this never include <linux/kvm.h>.
 */
#ifndef KVMREG_UAPI_LOONGARCH_H
#define KVMREG_UAPI_LOONGARCH_H

#include "arch/common/kvm_common.h"

/* Register sets, bits 31..16 of the id (only 18..16 are used). */
#define KVM_REG_LOONGARCH_GPR		(KVM_REG_LOONGARCH | 0x00000ULL)
#define KVM_REG_LOONGARCH_CSR		(KVM_REG_LOONGARCH | 0x10000ULL)
#define KVM_REG_LOONGARCH_KVM		(KVM_REG_LOONGARCH | 0x20000ULL)
#define KVM_REG_LOONGARCH_FPSIMD	(KVM_REG_LOONGARCH | 0x30000ULL)
#define KVM_REG_LOONGARCH_CPUCFG	(KVM_REG_LOONGARCH | 0x40000ULL)
#define KVM_REG_LOONGARCH_LBT		(KVM_REG_LOONGARCH | 0x50000ULL)
#define KVM_REG_LOONGARCH_MASK		(KVM_REG_LOONGARCH | 0x70000ULL)
#define KVM_CSR_IDX_MASK		0x7fff
#define KVM_CPUCFG_IDX_MASK		0x7fff

#define KVM_REG_LOONGARCH_COUNTER	(KVM_REG_LOONGARCH_KVM | KVM_REG_SIZE_U64 | 1)
#define KVM_REG_LOONGARCH_VCPU_RESET	(KVM_REG_LOONGARCH_KVM | KVM_REG_SIZE_U64 | 2)
#define KVM_REG_LOONGARCH_DEBUG_INST	(KVM_REG_LOONGARCH_KVM | KVM_REG_SIZE_U64 | 3)

#define KVM_REG_LOONGARCH_LBT_SCR0	(KVM_REG_LOONGARCH_LBT | KVM_REG_SIZE_U64 | 1)
#define KVM_REG_LOONGARCH_LBT_SCR1	(KVM_REG_LOONGARCH_LBT | KVM_REG_SIZE_U64 | 2)
#define KVM_REG_LOONGARCH_LBT_SCR2	(KVM_REG_LOONGARCH_LBT | KVM_REG_SIZE_U64 | 3)
#define KVM_REG_LOONGARCH_LBT_SCR3	(KVM_REG_LOONGARCH_LBT | KVM_REG_SIZE_U64 | 4)
#define KVM_REG_LOONGARCH_LBT_EFLAGS	(KVM_REG_LOONGARCH_LBT | KVM_REG_SIZE_U64 | 5)
#define KVM_REG_LOONGARCH_LBT_FTOP	(KVM_REG_LOONGARCH_LBT | KVM_REG_SIZE_U64 | 6)

#define LOONGARCH_REG_SHIFT		3
#define LOONGARCH_REG_64(TYPE, REG)	((TYPE) | KVM_REG_SIZE_U64 | ((uint64_t)(REG) << LOONGARCH_REG_SHIFT))
#define KVM_IOC_CSRID(REG)		LOONGARCH_REG_64(KVM_REG_LOONGARCH_CSR, REG)
#define KVM_IOC_CPUCFG(REG)		LOONGARCH_REG_64(KVM_REG_LOONGARCH_CPUCFG, REG)

/* kvm_host.h: CPUCFG0..20 are served; CSR indexes below 0x800 are accepted. */
#define KVM_MAX_CPUCFG_REGS		21
#define CSR_MAX_NUMS			0x800

/* loongarch.h: the CSRs the list and the restore order single out. */
#define LOONGARCH_CSR_ESTAT		0x5
#define LOONGARCH_CSR_CPUID		0x20
#define LOONGARCH_CSR_TCFG		0x41
#define LOONGARCH_CSR_TVAL		0x42
#define LOONGARCH_CSR_CNTC		0x43
#define LOONGARCH_CSR_TINTCLR		0x44
#define LOONGARCH_CSR_ISR0		0xa0
#define LOONGARCH_CSR_IPR		0xa5
#define LOONGARCH_CSR_PERFCTRL0		0x200
#define LOONGARCH_CSR_PERFCNTR0		0x201
#define LOONGARCH_CSR_PERFCNTR3		0x207

/* loongarch.h: the CPUCFG bits that decide the list. */
#define LOONGARCH_CPUCFG1		0x1
#define  CPUCFG1_MSGINT			(1u << 26)
#define LOONGARCH_CPUCFG2		0x2
#define  CPUCFG2_X86BT			(1u << 18)
#define  CPUCFG2_ARMBT			(1u << 19)
#define  CPUCFG2_MIPSBT			(1u << 20)
#define LOONGARCH_CPUCFG6		0x6
#define  CPUCFG6_PMP			(1u << 0)
#define  CPUCFG6_PMNUM			(0xfu << 4)
#define  CPUCFG6_PMNUM_SHIFT		4

#endif /* KVMREG_UAPI_LOONGARCH_H */
