/* SPDX-License-Identifier: MIT */
/*
 * x86 facts from the Linux 7.2 tree, for the name code that builds on every
 * host: the ONE_REG id layout of arch/x86/include/uapi/asm/kvm.h (struct
 * kvm_x86_reg_id in arch/x86/kvm/x86.c), the local APIC register offsets of
 * arch/x86/include/asm/apicdef.h and the few MSR numbers the driver reasons
 * about (arch/x86/include/asm/msr-index.h). Files that include this never
 * include <linux/kvm.h>.
 */
#ifndef KVMREG_UAPI_X86_H
#define KVMREG_UAPI_X86_H

#include "arch/common/kvm_common.h"

/*
 * struct kvm_x86_reg_id: index u32 (bits 0-31), type u8 (32-39), rsvd1 u8
 * (40-47), rsvd2 4 bits (48-51), size 4 bits (52-55), arch u8 (56-63).
 * kvm_get_set_one_reg() returns -EINVAL when rsvd1 or rsvd2 is nonzero.
 */
#define KVM_X86_REG_INDEX_MASK		0x00000000ffffffffULL
#define KVM_X86_REG_TYPE_SHIFT		32
#define KVM_X86_REG_RSVD1_SHIFT		40
#define KVM_X86_REG_RSVD2_SHIFT		48

#define KVM_X86_REG_TYPE_MSR		2
#define KVM_X86_REG_TYPE_KVM		3

/* KVM-defined registers (type KVM_X86_REG_TYPE_KVM), numbered from 0. */
#define KVM_REG_GUEST_SSP		0

/* KVM_X86_REG_MSR(index) and KVM_X86_REG_KVM(KVM_REG_GUEST_SSP): both U64. */
#define KVM_X86_REG_MSR_BASE						\
	(KVM_REG_X86 | KVM_REG_SIZE_U64 |				\
	 ((unsigned long long)KVM_X86_REG_TYPE_MSR << KVM_X86_REG_TYPE_SHIFT))
#define KVM_X86_REG_GUEST_SSP_ID					\
	(KVM_REG_X86 | KVM_REG_SIZE_U64 |				\
	 ((unsigned long long)KVM_X86_REG_TYPE_KVM << KVM_X86_REG_TYPE_SHIFT) | \
	 KVM_REG_GUEST_SSP)

/* struct kvm_lapic_state: the 1 KiB APIC register page, one register per
 * 16-byte slot. */
#define KVM_APIC_REG_SIZE		0x400

#define APIC_ID				0x20
#define APIC_LVR			0x30
#define APIC_TASKPRI			0x80
#define APIC_ARBPRI			0x90
#define APIC_PROCPRI			0xa0
#define APIC_EOI			0xb0
#define APIC_RRR			0xc0
#define APIC_LDR			0xd0
#define APIC_DFR			0xe0
#define APIC_SPIV			0xf0
#define APIC_ISR			0x100
#define APIC_TMR			0x180
#define APIC_IRR			0x200
#define APIC_ESR			0x280
#define APIC_LVTCMCI			0x2f0
#define APIC_ICR			0x300
#define APIC_ICR2			0x310
#define APIC_LVTT			0x320
#define APIC_LVTTHMR			0x330
#define APIC_LVTPC			0x340
#define APIC_LVT0			0x350
#define APIC_LVT1			0x360
#define APIC_LVTERR			0x370
#define APIC_TMICT			0x380
#define APIC_TMCCT			0x390
#define APIC_TDCR			0x3e0
#define APIC_SELF_IPI			0x3f0

/* MSRs with a place of their own in the restore order or the volatile set. */
#define MSR_IA32_TSC			0x00000010
#define MSR_IA32_FEAT_CTL		0x0000003a
#define MSR_IA32_TSC_DEADLINE		0x000006e0
#define MSR_IA32_MPERF			0x000000e7
#define MSR_IA32_APERF			0x000000e8
#define MSR_ARCH_PERFMON_PERFCTR0	0x000000c1	/* .. +7 */
#define MSR_ARCH_PERFMON_FIXED_CTR0	0x00000309	/* .. +3 */
#define MSR_CORE_PERF_GLOBAL_STATUS	0x0000038e
#define MSR_IA32_PMC0			0x000004c1	/* .. +7 */
#define MSR_K7_PERFCTR0			0xc0010004	/* .. +3 */
#define MSR_F15H_PERF_CTR		0xc0010201	/* odd, .. +10 */
#define MSR_AMD64_PERF_CNTR_GLOBAL_STATUS 0xc0000300
#define HV_X64_MSR_VP_RUNTIME		0x40000010
#define HV_X64_MSR_TIME_REF_COUNT	0x40000020

/*
 * MSRs KVM implements for every vCPU without listing them in
 * KVM_GET_MSR_INDEX_LIST (arch/x86/kvm/x86.c, mtrr.c; SDM vol. 3 ch. 12
 * and 16): how many exist is read from the vCPU, never assumed.
 */
#define MSR_MTRRcap			0x000000fe	/* VCNT 7:0, FIX 8 */
#define MSR_MTRRcap_VCNT_MASK		0xffu
#define MSR_MTRRcap_FIX			(1u << 8)
#define MSR_MTRRphysBase0		0x00000200	/* base 2n, mask 2n+1 */
#define MSR_MTRRfix64K_00000		0x00000250
#define MSR_MTRRfix16K_80000		0x00000258
#define MSR_MTRRfix16K_A0000		0x00000259
#define MSR_MTRRfix4K_C0000		0x00000268	/* .. F8000 = +7 */
#define MSR_IA32_CR_PAT			0x00000277
#define MSR_MTRRdefType			0x000002ff
#define MSR_IA32_MCG_CAP		0x00000179	/* count 7:0 */
#define MSR_IA32_MCG_STATUS		0x0000017a
#define MSR_IA32_MCG_CTL		0x0000017b
#define MCG_BANKCNT_MASK		0xffu
#define MCG_CTL_P			(1u << 8)
#define MCG_CMCI_P			(1u << 10)
#define MSR_IA32_MC0_CTL		0x00000400	/* CTL, STATUS, ADDR, MISC */
#define MSR_IA32_MC0_CTL2		0x00000280	/* one per bank, CMCI */
#define KVM_MAX_MCE_BANKS		32
#define MSR_TSC_AUX			0xc0000103
#define MSR_IA32_SPEC_CTRL		0x00000048
#define MSR_IA32_XSS			0x00000da0
#define MSR_IA32_XFD			0x000001c4
#define MSR_IA32_XFD_ERR		0x000001c5

#endif /* KVMREG_UAPI_X86_H */
