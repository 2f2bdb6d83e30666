/* SPDX-License-Identifier: MIT */
/*
 * What the riscv64 name code (driver.c) and ioctl code (host.c) share: the
 * library-defined id of the MP state (docs/ids.md). Type 0xff is the last
 * of the id's type field, far from the kernel's 0x01-0x0b, and KVM refuses
 * ONE_REG of a type it does not know (-ENOENT): no kernel id is one.
 */
#ifndef KVMREG_ARCH_RISCV64_PRIVATE_H
#define KVMREG_ARCH_RISCV64_PRIVATE_H

#define KVMREG_RISCV_LIB_TYPE		0xffu
#define KVMREG_RISCV_MP_STATE_ID	0x80200000ff000000ULL
#define KVMREG_RISCV_MP_STATE_MACRO	"KVMREG_RISCV_MP_STATE(mp_state)"

#endif /* KVMREG_ARCH_RISCV64_PRIVATE_H */
