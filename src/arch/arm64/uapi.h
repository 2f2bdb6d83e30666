/* SPDX-License-Identifier: MIT */
/*
 * Facts from Linux 7.2's arch/arm64/include/uapi/asm/kvm.h (and the
 * struct kvm_regs layout of asm/ptrace.h) that the arm64 name code needs on
 * every host. Kernel macro names, so that names printed in the macro style
 * read as the kernel's; a file that includes this never includes
 * <linux/kvm.h> or <asm/kvm.h>.
 */
#ifndef KVMREG_UAPI_ARM64_H
#define KVMREG_UAPI_ARM64_H

#include <stddef.h>
#include <stdint.h>

#include "arch/common/kvm_common.h"

/*
 * struct kvm_regs, member for member: core register ids are offsets into it
 * in 32-bit words. The vregs are __uint128_t in the kernel, which is what
 * the 16-byte alignment stands in for.
 */
struct kvmreg_arm64_user_pt_regs {
	uint64_t regs[31];
	uint64_t sp;
	uint64_t pc;
	uint64_t pstate;
};

struct kvmreg_arm64_user_fpsimd_state {
	_Alignas(16) uint64_t vregs[32][2];
	uint32_t fpsr;
	uint32_t fpcr;
	uint32_t reserved[2];
};

#define KVM_NR_SPSR	5

struct kvmreg_arm64_kvm_regs {
	struct kvmreg_arm64_user_pt_regs regs;
	uint64_t sp_el1;
	uint64_t elr_el1;
	uint64_t spsr[KVM_NR_SPSR];
	struct kvmreg_arm64_user_fpsimd_state fp_regs;
};

#define KVM_REG_ARM_COPROC_MASK		0x000000000FFF0000ULL
#define KVM_REG_ARM_COPROC_SHIFT	16

#define KVM_REG_ARM_CORE		(0x0010ULL << KVM_REG_ARM_COPROC_SHIFT)
#define KVM_REG_ARM_CORE_REG(name)					\
	(offsetof(struct kvmreg_arm64_kvm_regs, name) / sizeof(uint32_t))

#define KVM_REG_ARM_DEMUX		(0x0011ULL << KVM_REG_ARM_COPROC_SHIFT)
#define KVM_REG_ARM_DEMUX_ID_MASK	0x000000000000FF00ULL
#define KVM_REG_ARM_DEMUX_ID_SHIFT	8
#define KVM_REG_ARM_DEMUX_ID_CCSIDR	(0x00ULL << KVM_REG_ARM_DEMUX_ID_SHIFT)
#define KVM_REG_ARM_DEMUX_VAL_MASK	0x00000000000000FFULL
#define KVM_REG_ARM_DEMUX_VAL_SHIFT	0

#define KVM_REG_ARM64_SYSREG		(0x0013ULL << KVM_REG_ARM_COPROC_SHIFT)
#define KVM_REG_ARM64_SYSREG_OP0_MASK	0x000000000000c000ULL
#define KVM_REG_ARM64_SYSREG_OP0_SHIFT	14
#define KVM_REG_ARM64_SYSREG_OP1_MASK	0x0000000000003800ULL
#define KVM_REG_ARM64_SYSREG_OP1_SHIFT	11
#define KVM_REG_ARM64_SYSREG_CRN_MASK	0x0000000000000780ULL
#define KVM_REG_ARM64_SYSREG_CRN_SHIFT	7
#define KVM_REG_ARM64_SYSREG_CRM_MASK	0x0000000000000078ULL
#define KVM_REG_ARM64_SYSREG_CRM_SHIFT	3
#define KVM_REG_ARM64_SYSREG_OP2_MASK	0x0000000000000007ULL
#define KVM_REG_ARM64_SYSREG_OP2_SHIFT	0

#define ARM64_SYS_REG_SHIFT_MASK(x, n)					\
	(((uint64_t)(x) << KVM_REG_ARM64_SYSREG_ ## n ## _SHIFT) &	\
	 KVM_REG_ARM64_SYSREG_ ## n ## _MASK)

#define __ARM64_SYS_REG(op0, op1, crn, crm, op2)			\
	(KVM_REG_ARM64 | KVM_REG_ARM64_SYSREG |				\
	 ARM64_SYS_REG_SHIFT_MASK(op0, OP0) |				\
	 ARM64_SYS_REG_SHIFT_MASK(op1, OP1) |				\
	 ARM64_SYS_REG_SHIFT_MASK(crn, CRN) |				\
	 ARM64_SYS_REG_SHIFT_MASK(crm, CRM) |				\
	 ARM64_SYS_REG_SHIFT_MASK(op2, OP2))

#define ARM64_SYS_REG(...) (__ARM64_SYS_REG(__VA_ARGS__) | KVM_REG_SIZE_U64)

#define KVM_REG_ARM_PTIMER_CTL		ARM64_SYS_REG(3, 3, 14, 2, 1)
#define KVM_REG_ARM_PTIMER_CVAL		ARM64_SYS_REG(3, 3, 14, 2, 2)
#define KVM_REG_ARM_PTIMER_CNT		ARM64_SYS_REG(3, 3, 14, 0, 1)

/*
 * The ABI swapped these two: TIMER_CVAL carries CNTVCT_EL0's encoding and
 * TIMER_CNT carries CNTV_CVAL_EL0's, and it must stay that way.
 */
#define KVM_REG_ARM_TIMER_CTL		ARM64_SYS_REG(3, 3, 14, 3, 1)
#define KVM_REG_ARM_TIMER_CVAL		ARM64_SYS_REG(3, 3, 14, 0, 2)
#define KVM_REG_ARM_TIMER_CNT		ARM64_SYS_REG(3, 3, 14, 3, 2)

#define KVM_REG_ARM_FW			(0x0014ULL << KVM_REG_ARM_COPROC_SHIFT)
#define KVM_REG_ARM_FW_REG(r)		(KVM_REG_ARM64 | KVM_REG_SIZE_U64 | \
					 KVM_REG_ARM_FW | ((r) & 0xffff))
#define KVM_REG_ARM_PSCI_VERSION		KVM_REG_ARM_FW_REG(0)
#define KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1	KVM_REG_ARM_FW_REG(1)
#define KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2	KVM_REG_ARM_FW_REG(2)
#define KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_3	KVM_REG_ARM_FW_REG(3)

#define KVM_REG_ARM64_SVE		(0x0015ULL << KVM_REG_ARM_COPROC_SHIFT)
#define KVM_REG_ARM64_SVE_ZREG_BASE	0
#define KVM_REG_ARM64_SVE_PREG_BASE	0x400
#define KVM_REG_ARM64_SVE_FFR_BASE	0x600
#define KVM_ARM64_SVE_NUM_ZREGS		32
#define KVM_ARM64_SVE_NUM_PREGS		16
#define KVM_ARM64_SVE_MAX_SLICES	32

#define KVM_REG_ARM64_SVE_ZREG(n, i)					\
	(KVM_REG_ARM64 | KVM_REG_ARM64_SVE | KVM_REG_ARM64_SVE_ZREG_BASE | \
	 KVM_REG_SIZE_U2048 |						\
	 (((uint64_t)(n) & (KVM_ARM64_SVE_NUM_ZREGS - 1)) << 5) |	\
	 ((uint64_t)(i) & (KVM_ARM64_SVE_MAX_SLICES - 1)))

#define KVM_REG_ARM64_SVE_PREG(n, i)					\
	(KVM_REG_ARM64 | KVM_REG_ARM64_SVE | KVM_REG_ARM64_SVE_PREG_BASE | \
	 KVM_REG_SIZE_U256 |						\
	 (((uint64_t)(n) & (KVM_ARM64_SVE_NUM_PREGS - 1)) << 5) |	\
	 ((uint64_t)(i) & (KVM_ARM64_SVE_MAX_SLICES - 1)))

#define KVM_REG_ARM64_SVE_FFR(i)					\
	(KVM_REG_ARM64 | KVM_REG_ARM64_SVE | KVM_REG_ARM64_SVE_FFR_BASE | \
	 KVM_REG_SIZE_U256 |						\
	 ((uint64_t)(i) & (KVM_ARM64_SVE_MAX_SLICES - 1)))

#define KVM_REG_ARM64_SVE_VLS		(KVM_REG_ARM64 | KVM_REG_ARM64_SVE | \
					 KVM_REG_SIZE_U512 | 0xffff)

#define KVM_REG_ARM_FW_FEAT_BMAP	(0x0016ULL << KVM_REG_ARM_COPROC_SHIFT)
#define KVM_REG_ARM_FW_FEAT_BMAP_REG(r)	(KVM_REG_ARM64 | KVM_REG_SIZE_U64 | \
					 KVM_REG_ARM_FW_FEAT_BMAP |	\
					 ((r) & 0xffff))
#define KVM_REG_ARM_STD_BMAP		KVM_REG_ARM_FW_FEAT_BMAP_REG(0)
#define KVM_REG_ARM_STD_HYP_BMAP	KVM_REG_ARM_FW_FEAT_BMAP_REG(1)
#define KVM_REG_ARM_VENDOR_HYP_BMAP	KVM_REG_ARM_FW_FEAT_BMAP_REG(2)
#define KVM_REG_ARM_VENDOR_HYP_BMAP_2	KVM_REG_ARM_FW_FEAT_BMAP_REG(3)

/* The core register table of Documentation/virt/kvm/api.rst, as a check
 * that the mirror struct above lays out like the kernel's. */
_Static_assert(KVM_REG_ARM_CORE_REG(regs.sp) == 0x3e, "kvm_regs.regs.sp");
_Static_assert(KVM_REG_ARM_CORE_REG(spsr[0]) == 0x48, "kvm_regs.spsr");
_Static_assert(KVM_REG_ARM_CORE_REG(fp_regs.vregs[0]) == 0x54,
	       "kvm_regs.fp_regs.vregs");
_Static_assert(KVM_REG_ARM_CORE_REG(fp_regs.vregs[31]) == 0xd0,
	       "kvm_regs.fp_regs.vregs[31]");
_Static_assert(KVM_REG_ARM_CORE_REG(fp_regs.fpsr) == 0xd4,
	       "kvm_regs.fp_regs.fpsr");
_Static_assert(KVM_REG_ARM_CORE_REG(fp_regs.fpcr) == 0xd5,
	       "kvm_regs.fp_regs.fpcr");
_Static_assert(sizeof(struct kvmreg_arm64_kvm_regs) / sizeof(uint32_t) == 0xd8,
	       "sizeof(struct kvm_regs)");

#endif /* KVMREG_UAPI_ARM64_H */
