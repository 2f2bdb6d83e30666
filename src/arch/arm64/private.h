/* SPDX-License-Identifier: MIT */
/*
 * What the arm64 name code (driver.c, lib_regs.c: every host) and the
 * arm64 ioctl code (host.c, aarch64 only) share: the library-defined ids of
 * state that has no ONE_REG id (docs/ids.md). Uses no kernel header.
 *
 * A library id is KVM_REG_ARM64 | size | coproc 0x0ff0-0x0ff2 << 16 |
 * index. The kernel's coprocessor groups are 0x0010-0x0016, and
 * kvm_arm_get_reg() sends any other one to the system-register decoder,
 * which refuses it (-ENOENT): no kernel id is, or was, one of these.
 */
#ifndef KVMREG_ARCH_ARM64_PRIVATE_H
#define KVMREG_ARCH_ARM64_PRIVATE_H

#include <stddef.h>
#include <stdint.h>

#include "arch/arch.h"

#define KVMREG_ARM64_ARCH	0x6000000000000000ULL
#define KVMREG_ARM64_U32	0x0020000000000000ULL
#define KVMREG_ARM64_U64	0x0030000000000000ULL
#define KVMREG_ARM64_COPROC(id)	((unsigned int)((id) >> 16 & 0xfff))

enum {
	/* KVM_GET/SET_MP_STATE; index 0, u32 */
	KVMREG_ARM64_LIB_MP_STATE = 0x0ff0,
	/* vGICv3 CPU interface, KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS of this
	 * vCPU; index = the ICC register's op0..op2 encoding, u64 */
	KVMREG_ARM64_LIB_ICC = 0x0ff1,
	/* vGICv3 redistributor of this vCPU, KVM_DEV_ARM_VGIC_GRP_REDIST_REGS;
	 * index = byte offset / 4 in its RD_base + SGI_base frames, u32 */
	KVMREG_ARM64_LIB_GICR = 0x0ff2,
	/* KVM_GET/SET_VCPU_EVENTS: struct kvm_vcpu_events (64 bytes, a
	 * pending SError and its ESR); index 0, u512 */
	KVMREG_ARM64_LIB_EVENTS = 0x0ff3,
};

#define KVMREG_ARM64_MP_STATE_ID \
	(KVMREG_ARM64_ARCH | KVMREG_ARM64_U32 | \
	 (uint64_t)KVMREG_ARM64_LIB_MP_STATE << 16)
#define KVMREG_ARM64_ICC_ID(enc) \
	(KVMREG_ARM64_ARCH | KVMREG_ARM64_U64 | \
	 (uint64_t)KVMREG_ARM64_LIB_ICC << 16 | (enc))
#define KVMREG_ARM64_GICR_ID(offset) \
	(KVMREG_ARM64_ARCH | KVMREG_ARM64_U32 | \
	 (uint64_t)KVMREG_ARM64_LIB_GICR << 16 | (uint64_t)(offset) >> 2)
#define KVMREG_ARM64_EVENTS_ID \
	(KVMREG_ARM64_ARCH | 0x0060000000000000ULL | \
	 (uint64_t)KVMREG_ARM64_LIB_EVENTS << 16)
#define KVMREG_ARM64_EVENTS_BYTES	64
#define KVMREG_ARM64_GICR_OFFSET(id)	((uint32_t)((id) & 0xffff) << 2)

static inline int kvmreg_arm64_is_lib(uint64_t id)
{
	unsigned int coproc = KVMREG_ARM64_COPROC(id);

	return (id & 0xff00000000000000ULL) == KVMREG_ARM64_ARCH &&
	       coproc >= KVMREG_ARM64_LIB_MP_STATE &&
	       coproc <= KVMREG_ARM64_LIB_EVENTS;
}

/* The vGIC registers a vCPU has, in restore order: the ICC ones, and the
 * redistributor's. */
size_t kvmreg_arm64_icc_count(void);
uint64_t kvmreg_arm64_icc_id(size_t i);
size_t kvmreg_arm64_gicr_count(void);
uint64_t kvmreg_arm64_gicr_id(size_t i);
/*
 * A redistributor register a write must clear first: its value is a set
 * of bits that the GICR_IS* register only sets, so the write goes to the
 * GICR_IC* register at the offset returned (all ones but the value) and
 * then to the IS* one, as QEMU's kvm_arm_gicv3_put does. 0: written as is.
 */
uint32_t kvmreg_arm64_gicr_clear_offset(uint32_t offset);

/* lib_regs.c: the names and rules of the library ids, for driver.c. */
int kvmreg_arm64_lib_check(uint64_t id);
int kvmreg_arm64_lib_name(uint64_t id, enum kvmreg_name_style style,
			  char *buf, size_t len);
int kvmreg_arm64_lib_parse(const char *name, uint64_t *id);
const char *kvmreg_arm64_lib_group(uint64_t id);
int kvmreg_arm64_lib_known(struct kvmreg_idvec *out);
int kvmreg_arm64_lib_rank(uint64_t id);
const char *kvmreg_arm64_lib_reason(uint64_t id);

#endif /* KVMREG_ARCH_ARM64_PRIVATE_H */
