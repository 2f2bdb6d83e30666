/* SPDX-License-Identifier: MIT */
/*
 * arm64 half of the test guests (tests/lib/guest.h): vCPU features, the
 * guest's memory map, and register ids built from the kernel's own structs
 * so tests can check the library against them. Included by guest.h on
 * aarch64 only.
 */
#ifndef KVMREG_TEST_GUEST_ARM64_H
#define KVMREG_TEST_GUEST_ARM64_H

#ifdef __aarch64__

#include <stdint.h>

struct guest_vm;

/* guest_vm_create() flags. Every vCPU gets PSCI 0.2, as VMMs set it up. */
#define GUEST_ARM64_SVE		(1u << 0) /* KVM_ARM_VCPU_SVE, finalized */
#define GUEST_ARM64_NO_FINALIZE	(1u << 1) /* ...but not finalized */
#define GUEST_ARM64_PMU		(1u << 2) /* KVM_ARM_VCPU_PMU_V3 */
#define GUEST_ARM64_NO_INIT	(1u << 3) /* no KVM_ARM_VCPU_INIT at all */

#define GUEST_RAM_GPA		0x40000000ull

/* KVM_ARM_VCPU_FINALIZE(KVM_ARM_VCPU_SVE): 0 or -errno. */
int guest_arm64_finalize_sve(struct guest_vm *vm);

uint64_t guest_arm64_x(unsigned int n);		/* x0..x30 */
uint64_t guest_arm64_pc(void);
uint64_t guest_arm64_v(unsigned int n);		/* v0..v31, 128 bits */
uint64_t guest_arm64_zreg(unsigned int n, unsigned int slice); /* 2048 */
uint64_t guest_arm64_preg(unsigned int n, unsigned int slice); /* 256 */
uint64_t guest_arm64_ffr(unsigned int slice);
uint64_t guest_arm64_sve_vls(void);		/* 512 bits */
/* KVM_REG_ARM_STD_BMAP, _STD_HYP_BMAP, _VENDOR_HYP_BMAP: index 0..2. */
uint64_t guest_arm64_fw_bmap(unsigned int index);

#endif /* __aarch64__ */

#endif /* KVMREG_TEST_GUEST_ARM64_H */
