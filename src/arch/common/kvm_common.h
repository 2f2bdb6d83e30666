/* SPDX-License-Identifier: MIT */
/*
 * Facts from the kernel's include/uapi/linux/kvm.h (Linux 7.2) that hold on
 * every architecture: the ONE_REG id layout. Defined here so that the name
 * code builds on any host; files that include this never include
 * <linux/kvm.h>.
 */
#ifndef KVMREG_UAPI_KVM_COMMON_H
#define KVMREG_UAPI_KVM_COMMON_H

#include <stdint.h>

#define KVM_REG_ARCH_MASK	0xff00000000000000ULL
#define KVM_REG_GENERIC		0x0000000000000000ULL
#define KVM_REG_PPC		0x1000000000000000ULL
#define KVM_REG_X86		0x2000000000000000ULL
#define KVM_REG_IA64		0x3000000000000000ULL
#define KVM_REG_ARM		0x4000000000000000ULL
#define KVM_REG_S390		0x5000000000000000ULL
#define KVM_REG_ARM64		0x6000000000000000ULL
#define KVM_REG_MIPS		0x7000000000000000ULL
#define KVM_REG_RISCV		0x8000000000000000ULL
#define KVM_REG_LOONGARCH	0x9000000000000000ULL

#define KVM_REG_SIZE_SHIFT	52
#define KVM_REG_SIZE_MASK	0x00f0000000000000ULL
#define KVM_REG_SIZE_U8		0x0000000000000000ULL
#define KVM_REG_SIZE_U16	0x0010000000000000ULL
#define KVM_REG_SIZE_U32	0x0020000000000000ULL
#define KVM_REG_SIZE_U64	0x0030000000000000ULL
#define KVM_REG_SIZE_U128	0x0040000000000000ULL
#define KVM_REG_SIZE_U256	0x0050000000000000ULL
#define KVM_REG_SIZE_U512	0x0060000000000000ULL
#define KVM_REG_SIZE_U1024	0x0070000000000000ULL
#define KVM_REG_SIZE_U2048	0x0080000000000000ULL

/*
 * --- batch ONE_REG (kvmreg hook: src/core/one_reg_batch.c) ---
 * KVM_{GET,SET}_ONE_REG_BATCH of the series in kernel/batch/patches/, not
 * in a released kernel yet: our own names, so that a host header that
 * gains the real ones cannot clash. The ioctl numbers are made with
 * <sys/ioctl.h>'s _IOWR by the file that issues them.
 */
#define KVMREG_KVMIO			0xAE
#define KVMREG_CHECK_EXTENSION_NR	0x03	/* _IO(KVMIO, 0x03) */
#define KVMREG_CAP_ONE_REG_BATCH	250
#define KVMREG_GET_ONE_REG_BATCH_NR	0xd6
#define KVMREG_SET_ONE_REG_BATCH_NR	0xd7

struct kvmreg_one_reg {		/* struct kvm_one_reg */
	uint64_t id;
	uint64_t addr;
};

struct kvmreg_one_reg_batch {	/* struct kvm_one_reg_batch */
	uint32_t flags;		/* in: must be 0 */
	uint32_t nr;		/* in: number of entries */
	uint64_t entries;	/* in: address of struct kvm_one_reg[nr] */
	uint32_t nr_done;	/* out: entries done */
	uint32_t error;		/* out: errno of entry nr_done, or 0 */
	uint64_t reserved[4];	/* in: must be 0 */
};

#endif /* KVMREG_UAPI_KVM_COMMON_H */
