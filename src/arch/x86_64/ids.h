/* SPDX-License-Identifier: MIT */
/*
 * The fields of an x86 register id (the kernel's KVM_X86_REG_* layout and
 * the library's own ids, docs/ids.md), for the pure code that names and
 * checks ids. Defined in ids.c; the ioctl files use private.h's share.
 */
#ifndef KVMREG_ARCH_X86_64_IDS_H
#define KVMREG_ARCH_X86_64_IDS_H

#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/private.h"
#include "arch/x86_64/uapi.h"

/* XSAVE areas are a few KiB (11 KiB with AMX); a bound keeps a typo from
 * naming a 1 TiB area. */
#define MAX_XSAVE_CHUNKS 4096u

/* ------------------------------------------------------------------ */
/* Id fields                                                           */

static inline uint32_t id_index(uint64_t id)
{
	return (uint32_t)(id & KVM_X86_REG_INDEX_MASK);
}

static inline unsigned int id_type(uint64_t id)
{
	return (unsigned int)(id >> KVM_X86_REG_TYPE_SHIFT) & 0xff;
}

static inline unsigned int id_rsvd1(uint64_t id)
{
	return (unsigned int)(id >> KVM_X86_REG_RSVD1_SHIFT) & 0xff;
}

static inline unsigned int id_rsvd2(uint64_t id)
{
	return (unsigned int)(id >> KVM_X86_REG_RSVD2_SHIFT) & 0xf;
}

/* Bytes of member index of kind; 0: no such member. */
size_t kvmreg_x86_member_size(enum kvmreg_x86_kind kind, uint32_t index);

#endif /* KVMREG_ARCH_X86_64_IDS_H */
