/* SPDX-License-Identifier: MIT */
/*
 * RISC-V ONE_REG id layout, from the kernel's
 * arch/riscv/include/uapi/asm/kvm.h and asm/ptrace.h (Linux 7.2). Kernel
 * names, so expressions from the kernel's selftests paste unchanged; the
 * structs are the rv64 layout with fixed-width types (an "unsigned long" of
 * the kernel is 64 bits here), so the *_REG(name) offsets come out as on an
 * rv64 host whatever machine compiles this. Files that include this never
 * include <linux/kvm.h> or <asm/kvm.h>.
 *
 * Id layout:
 *   63..56 KVM_REG_RISCV   55..52 size   51..32 zero
 *   31..24 type            23..16 subtype (CSR, ISA_EXT, SBI_EXT, SBI_STATE)
 *   15..0  index
 */
#ifndef KVMREG_UAPI_RISCV_H
#define KVMREG_UAPI_RISCV_H

#include <stddef.h>
#include <stdint.h>

#include "arch/common/kvm_common.h"

#define KVM_REG_RISCV_TYPE_MASK		0x00000000FF000000ULL
#define KVM_REG_RISCV_TYPE_SHIFT	24
#define KVM_REG_RISCV_SUBTYPE_MASK	0x0000000000FF0000ULL
#define KVM_REG_RISCV_SUBTYPE_SHIFT	16

struct kvmreg_riscv_config {
	uint64_t isa;
	uint64_t zicbom_block_size;
	uint64_t mvendorid;
	uint64_t marchid;
	uint64_t mimpid;
	uint64_t zicboz_block_size;
	uint64_t satp_mode;
	uint64_t zicbop_block_size;
};

/* struct user_regs_struct of asm/ptrace.h */
struct kvmreg_riscv_user_regs {
	uint64_t pc, ra, sp, gp, tp, t0, t1, t2, s0, s1;
	uint64_t a0, a1, a2, a3, a4, a5, a6, a7;
	uint64_t s2, s3, s4, s5, s6, s7, s8, s9, s10, s11;
	uint64_t t3, t4, t5, t6;
};

struct kvmreg_riscv_core {
	struct kvmreg_riscv_user_regs regs;
	uint64_t mode;
};

struct kvmreg_riscv_csr {
	uint64_t sstatus;
	uint64_t sie;
	uint64_t stvec;
	uint64_t sscratch;
	uint64_t sepc;
	uint64_t scause;
	uint64_t stval;
	uint64_t sip;
	uint64_t satp;
	uint64_t scounteren;
	uint64_t senvcfg;
};

struct kvmreg_riscv_aia_csr {
	uint64_t siselect;
	uint64_t iprio1;
	uint64_t iprio2;
	uint64_t sieh;
	uint64_t siph;
	uint64_t iprio1h;
	uint64_t iprio2h;
};

struct kvmreg_riscv_smstateen_csr {
	uint64_t sstateen0;
};

struct kvmreg_riscv_timer {
	uint64_t frequency;
	uint64_t time;
	uint64_t compare;
	uint64_t state;
};

/* struct __riscv_f_ext_state, __riscv_d_ext_state, __riscv_v_ext_state */
struct kvmreg_riscv_f_ext_state {
	uint32_t f[32];
	uint32_t fcsr;
};

struct kvmreg_riscv_d_ext_state {
	uint64_t f[32];
	uint32_t fcsr;
};

struct kvmreg_riscv_v_ext_state {
	uint64_t vstart;
	uint64_t vl;
	uint64_t vtype;
	uint64_t vcsr;
	uint64_t vlenb;
	uint64_t datap;		/* a pointer in the kernel: not a register */
};

struct kvmreg_riscv_sbi_sta {
	uint64_t shmem_lo;
	uint64_t shmem_hi;
};

struct kvmreg_riscv_sbi_fwft_feature {
	uint64_t enable;
	uint64_t flags;
	uint64_t value;
};

struct kvmreg_riscv_sbi_fwft {
	struct kvmreg_riscv_sbi_fwft_feature misaligned_deleg;
	struct kvmreg_riscv_sbi_fwft_feature pointer_masking;
};

#define KVMREG_RISCV_XLEN_INDEX(type, name) \
	(offsetof(type, name) / sizeof(uint64_t))

#define KVM_REG_RISCV_CONFIG		(0x01 << KVM_REG_RISCV_TYPE_SHIFT)
#define KVM_REG_RISCV_CONFIG_REG(name) \
	KVMREG_RISCV_XLEN_INDEX(struct kvmreg_riscv_config, name)

#define KVM_REG_RISCV_CORE		(0x02 << KVM_REG_RISCV_TYPE_SHIFT)
#define KVM_REG_RISCV_CORE_REG(name) \
	KVMREG_RISCV_XLEN_INDEX(struct kvmreg_riscv_core, name)

#define KVM_RISCV_MODE_S		1
#define KVM_RISCV_MODE_U		0

#define KVM_REG_RISCV_CSR		(0x03 << KVM_REG_RISCV_TYPE_SHIFT)
#define KVM_REG_RISCV_CSR_GENERAL	(0x0 << KVM_REG_RISCV_SUBTYPE_SHIFT)
#define KVM_REG_RISCV_CSR_AIA		(0x1 << KVM_REG_RISCV_SUBTYPE_SHIFT)
#define KVM_REG_RISCV_CSR_SMSTATEEN	(0x2 << KVM_REG_RISCV_SUBTYPE_SHIFT)
#define KVM_REG_RISCV_CSR_REG(name) \
	KVMREG_RISCV_XLEN_INDEX(struct kvmreg_riscv_csr, name)
#define KVM_REG_RISCV_CSR_AIA_REG(name) \
	KVMREG_RISCV_XLEN_INDEX(struct kvmreg_riscv_aia_csr, name)
#define KVM_REG_RISCV_CSR_SMSTATEEN_REG(name) \
	KVMREG_RISCV_XLEN_INDEX(struct kvmreg_riscv_smstateen_csr, name)

#define KVM_REG_RISCV_TIMER		(0x04 << KVM_REG_RISCV_TYPE_SHIFT)
#define KVM_REG_RISCV_TIMER_REG(name) \
	(offsetof(struct kvmreg_riscv_timer, name) / sizeof(uint64_t))

#define KVM_RISCV_TIMER_STATE_OFF	0
#define KVM_RISCV_TIMER_STATE_ON	1

#define KVM_REG_RISCV_FP_F		(0x05 << KVM_REG_RISCV_TYPE_SHIFT)
#define KVM_REG_RISCV_FP_F_REG(name) \
	(offsetof(struct kvmreg_riscv_f_ext_state, name) / sizeof(uint32_t))

#define KVM_REG_RISCV_FP_D		(0x06 << KVM_REG_RISCV_TYPE_SHIFT)
#define KVM_REG_RISCV_FP_D_REG(name) \
	(offsetof(struct kvmreg_riscv_d_ext_state, name) / sizeof(uint64_t))

#define KVM_REG_RISCV_ISA_EXT		(0x07 << KVM_REG_RISCV_TYPE_SHIFT)
#define KVM_REG_RISCV_ISA_SINGLE	(0x0 << KVM_REG_RISCV_SUBTYPE_SHIFT)
#define KVM_REG_RISCV_ISA_MULTI_EN	(0x1 << KVM_REG_RISCV_SUBTYPE_SHIFT)
#define KVM_REG_RISCV_ISA_MULTI_DIS	(0x2 << KVM_REG_RISCV_SUBTYPE_SHIFT)
#define KVM_REG_RISCV_ISA_MULTI_REG(ext_id)	((ext_id) / 64)
#define KVM_REG_RISCV_ISA_MULTI_MASK(ext_id)	(1ULL << ((ext_id) % 64))
#define KVM_REG_RISCV_ISA_MULTI_REG_LAST \
	KVM_REG_RISCV_ISA_MULTI_REG(KVM_RISCV_ISA_EXT_MAX - 1)

#define KVM_REG_RISCV_SBI_EXT		(0x08 << KVM_REG_RISCV_TYPE_SHIFT)
#define KVM_REG_RISCV_SBI_SINGLE	(0x0 << KVM_REG_RISCV_SUBTYPE_SHIFT)
#define KVM_REG_RISCV_SBI_MULTI_EN	(0x1 << KVM_REG_RISCV_SUBTYPE_SHIFT)
#define KVM_REG_RISCV_SBI_MULTI_DIS	(0x2 << KVM_REG_RISCV_SUBTYPE_SHIFT)
#define KVM_REG_RISCV_SBI_MULTI_REG(ext_id)	((ext_id) / 64)
#define KVM_REG_RISCV_SBI_MULTI_MASK(ext_id)	(1ULL << ((ext_id) % 64))
#define KVM_REG_RISCV_SBI_MULTI_REG_LAST \
	KVM_REG_RISCV_SBI_MULTI_REG(KVM_RISCV_SBI_EXT_MAX - 1)

#define KVM_REG_RISCV_VECTOR		(0x09 << KVM_REG_RISCV_TYPE_SHIFT)
#define KVM_REG_RISCV_VECTOR_CSR_REG(name) \
	KVMREG_RISCV_XLEN_INDEX(struct kvmreg_riscv_v_ext_state, name)
#define KVM_REG_RISCV_VECTOR_REG(n) \
	((n) + sizeof(struct kvmreg_riscv_v_ext_state) / sizeof(uint64_t))

#define KVM_REG_RISCV_SBI_STATE		(0x0a << KVM_REG_RISCV_TYPE_SHIFT)
#define KVM_REG_RISCV_SBI_STA		(0x0 << KVM_REG_RISCV_SUBTYPE_SHIFT)
#define KVM_REG_RISCV_SBI_STA_REG(name) \
	KVMREG_RISCV_XLEN_INDEX(struct kvmreg_riscv_sbi_sta, name)
#define KVM_REG_RISCV_SBI_FWFT		(0x1 << KVM_REG_RISCV_SUBTYPE_SHIFT)
#define KVM_REG_RISCV_SBI_FWFT_REG(name) \
	KVMREG_RISCV_XLEN_INDEX(struct kvmreg_riscv_sbi_fwft, name)

/*
 * enum KVM_RISCV_ISA_EXT_ID, in the kernel's order (the order is the ABI:
 * an extension's position is its ISA_EXT register index). Add new ones at
 * the end, as the kernel does.
 */
#define KVMREG_RISCV_ISA_EXTS(X)					\
	X(A) X(C) X(D) X(F) X(H) X(I) X(M) X(SVPBMT) X(SSTC)		\
	X(SVINVAL) X(ZIHINTPAUSE) X(ZICBOM) X(ZICBOZ) X(ZBB) X(SSAIA)	\
	X(V) X(SVNAPOT) X(ZBA) X(ZBS) X(ZICNTR) X(ZICSR) X(ZIFENCEI)	\
	X(ZIHPM) X(SMSTATEEN) X(ZICOND) X(ZBC) X(ZBKB) X(ZBKC) X(ZBKX)	\
	X(ZKND) X(ZKNE) X(ZKNH) X(ZKR) X(ZKSED) X(ZKSH) X(ZKT) X(ZVBB)	\
	X(ZVBC) X(ZVKB) X(ZVKG) X(ZVKNED) X(ZVKNHA) X(ZVKNHB)		\
	X(ZVKSED) X(ZVKSH) X(ZVKT) X(ZFH) X(ZFHMIN) X(ZIHINTNTL)	\
	X(ZVFH) X(ZVFHMIN) X(ZFA) X(ZTSO) X(ZACAS) X(SSCOFPMF) X(ZIMOP)	\
	X(ZCA) X(ZCB) X(ZCD) X(ZCF) X(ZCMOP) X(ZAWRS) X(SMNPM) X(SSNPM)	\
	X(SVADE) X(SVADU) X(SVVPTC) X(ZABHA) X(ZICCRSE) X(ZAAMO)	\
	X(ZALRSC) X(ZICBOP) X(ZFBFMIN) X(ZVFBFMIN) X(ZVFBFWMA) X(ZCLSD)	\
	X(ZILSD) X(ZALASR)

/* enum KVM_RISCV_SBI_EXT_ID, in the kernel's order. */
#define KVMREG_RISCV_SBI_EXTS(X)					\
	X(V01) X(TIME) X(IPI) X(RFENCE) X(SRST) X(HSM) X(PMU)		\
	X(EXPERIMENTAL) X(VENDOR) X(DBCN) X(STA) X(SUSP) X(FWFT) X(MPXY)

#define KVMREG_RISCV_ISA_ENUM(ext) KVM_RISCV_ISA_EXT_##ext,
enum KVM_RISCV_ISA_EXT_ID {
	KVMREG_RISCV_ISA_EXTS(KVMREG_RISCV_ISA_ENUM)
	KVM_RISCV_ISA_EXT_MAX
};
#undef KVMREG_RISCV_ISA_ENUM

#define KVMREG_RISCV_SBI_ENUM(ext) KVM_RISCV_SBI_EXT_##ext,
enum KVM_RISCV_SBI_EXT_ID {
	KVMREG_RISCV_SBI_EXTS(KVMREG_RISCV_SBI_ENUM)
	KVM_RISCV_SBI_EXT_MAX
};
#undef KVMREG_RISCV_SBI_ENUM

#endif /* KVMREG_UAPI_RISCV_H */
