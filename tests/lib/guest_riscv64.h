/* SPDX-License-Identifier: MIT */
/*
 * riscv64 half of the test guests (tests/lib/guest.h): the guest's memory
 * map and register ids built from the kernel's own definitions, so tests
 * can check the library against them. Included by guest.h on riscv64 only.
 */
#ifndef KVMREG_TEST_GUEST_RISCV64_H
#define KVMREG_TEST_GUEST_RISCV64_H

#if defined(__riscv) && __riscv_xlen == 64

#include <stdint.h>

/* RAM where riscv firmware and kernels expect it. */
#define GUEST_RAM_GPA		0x80000000ull

uint64_t guest_riscv_core(unsigned int index);	/* 0 = pc, 1 = ra, ... */
uint64_t guest_riscv_pc(void);
uint64_t guest_riscv_a0(void);
/* KVM_REG_RISCV_ISA_EXT single-extension register of ext (KVM's enum). */
uint64_t guest_riscv_isa_ext(unsigned int ext);
/* KVM_REG_RISCV_CONFIG isa (base letters bitmap). */
uint64_t guest_riscv_config_isa(void);
/* Vector: vlenb and the other vector CSRs by index (vstart 0, vl 1,
 * vtype 2, vcsr 3, vlenb 4), and v0..v31, vlenb bytes each. */
uint64_t guest_riscv_vector_csr(unsigned int index);
uint64_t guest_riscv_vreg(unsigned int n, unsigned long vlenb);

/* KVM's own numbers for the extensions the tests name (stable uapi). */
#define GUEST_RISCV_ISA_EXT_F	3
#define GUEST_RISCV_ISA_EXT_D	2
#define GUEST_RISCV_ISA_EXT_V	15
#define GUEST_RISCV_ISA_EXT_ZICBOM 11
#define GUEST_RISCV_ISA_EXT_ZICBOZ 12

#endif /* __riscv */

#endif /* KVMREG_TEST_GUEST_RISCV64_H */
