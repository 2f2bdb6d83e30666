// SPDX-License-Identifier: MIT
/* arm64 half of the test guests: see guest.h and guest_arm64.h. */
#include "guest.h"

#ifdef __aarch64__

#include <errno.h>
#include <sys/ioctl.h>

#include <linux/kvm.h>

/*
 * The test program (guest.h). Entered at EL1 with the MMU off and
 * x0 = steps. Each step mixes an LCG into a running value (x5), adds it to
 * a vector sum that only v1 holds, appends the value to a history in RAM
 * after the code and writes it to GUEST_MMIO_STEP. The end checksums the
 * history and v1 into GUEST_MMIO_DONE, so a restore that loses a general
 * register, a vector lane or a RAM byte changes the result.
 */
__asm__(
"	.pushsection .rodata.guest_arm64_program, \"a\"\n"
"	.balign 8\n"
"	.globl guest_arm64_program_start\n"
"	.hidden guest_arm64_program_start\n"
"guest_arm64_program_start:\n"
"	mov	x1, #(3 << 20)\n"		/* CPACR_EL1.FPEN: SIMD on */
"	msr	cpacr_el1, x1\n"
"	isb\n"
"	movz	x2, #0x1000, lsl #16\n"		/* GUEST_MMIO_STEP */
"	adr	x4, 9f\n"
"	mov	x3, x0\n"
"	mov	x5, #1\n"
"	movz	x6, #0x7f2d\n"			/* 0x5851f42d4c957f2d */
"	movk	x6, #0x4c95, lsl #16\n"
"	movk	x6, #0xf42d, lsl #32\n"
"	movk	x6, #0x5851, lsl #48\n"
"	mov	x7, #0x9e37\n"
"	movi	v1.2d, #0\n"
"1:	madd	x7, x7, x6, x6\n"
"	eor	x5, x5, x7, ror #17\n"
"	add	x5, x5, x3\n"
"	fmov	d0, x5\n"
"	ins	v0.d[1], x7\n"
"	add	v1.2d, v1.2d, v0.2d\n"
"	str	x5, [x4], #8\n"
"	str	x5, [x2]\n"			/* MMIO: this step's value */
"	subs	x3, x3, #1\n"
"	b.ne	1b\n"
"	adr	x4, 9f\n"
"	mov	x3, x0\n"
"	mov	x8, #0\n"
"2:	ldr	x9, [x4], #8\n"
"	eor	x8, x9, x8, ror #7\n"
"	subs	x3, x3, #1\n"
"	b.ne	2b\n"
"	umov	x9, v1.d[0]\n"
"	eor	x8, x8, x9\n"
"	umov	x9, v1.d[1]\n"
"	add	x8, x8, x9\n"
"	str	x8, [x2, #8]\n"			/* MMIO: the result */
"3:	b	3b\n"
"	.balign 8\n"
"9:\n"						/* the history */
"	.globl guest_arm64_program_end\n"
"	.hidden guest_arm64_program_end\n"
"guest_arm64_program_end:\n"
"	.popsection\n");

extern const uint8_t guest_arm64_program_start[];
extern const uint8_t guest_arm64_program_end[];

const void *guest_arch_program(size_t *size)
{
	*size = guest_arm64_program_end - guest_arm64_program_start;
	return guest_arm64_program_start;
}

int guest_arch_vcpu_setup(struct guest_vm *vm, unsigned int flags,
			  const char **what)
{
	struct kvm_vcpu_init init;
	int err;

	if (flags & GUEST_ARM64_NO_INIT)
		return 0;
	if (ioctl(vm->vm_fd, KVM_ARM_PREFERRED_TARGET, &init)) {
		*what = "KVM_ARM_PREFERRED_TARGET";
		return -errno;
	}
	init.features[0] |= 1u << KVM_ARM_VCPU_PSCI_0_2;
	if (flags & GUEST_ARM64_SVE)
		init.features[0] |= 1u << KVM_ARM_VCPU_SVE;
	if (flags & GUEST_ARM64_PMU)
		init.features[0] |= 1u << KVM_ARM_VCPU_PMU_V3;
	if (ioctl(vm->vcpu_fd, KVM_ARM_VCPU_INIT, &init)) {
		*what = "KVM_ARM_VCPU_INIT";
		return -errno;
	}
	if ((flags & GUEST_ARM64_SVE) && !(flags & GUEST_ARM64_NO_FINALIZE)) {
		err = guest_arm64_finalize_sve(vm);
		if (err) {
			*what = "KVM_ARM_VCPU_FINALIZE(SVE)";
			return err;
		}
	}
	return 0;
}

int guest_arm64_finalize_sve(struct guest_vm *vm)
{
	int feature = KVM_ARM_VCPU_SVE;

	return ioctl(vm->vcpu_fd, KVM_ARM_VCPU_FINALIZE, &feature) ? -errno : 0;
}

#define CORE_ID(field)							\
	(KVM_REG_ARM64 | KVM_REG_ARM_CORE |				\
	 (offsetof(struct kvm_regs, field) / sizeof(uint32_t)))

uint64_t guest_arch_pc_id(void)
{
	return guest_arm64_pc();
}

uint64_t guest_arch_arg0_id(void)
{
	return guest_arm64_x(0);
}

uint64_t guest_arm64_x(unsigned int n)
{
	return CORE_ID(regs.regs[n]) | KVM_REG_SIZE_U64;
}

uint64_t guest_arm64_pc(void)
{
	return CORE_ID(regs.pc) | KVM_REG_SIZE_U64;
}

uint64_t guest_arm64_v(unsigned int n)
{
	return CORE_ID(fp_regs.vregs[n]) | KVM_REG_SIZE_U128;
}

uint64_t guest_arm64_zreg(unsigned int n, unsigned int slice)
{
	return KVM_REG_ARM64_SVE_ZREG(n, slice);
}

uint64_t guest_arm64_preg(unsigned int n, unsigned int slice)
{
	return KVM_REG_ARM64_SVE_PREG(n, slice);
}

uint64_t guest_arm64_ffr(unsigned int slice)
{
	return KVM_REG_ARM64_SVE_FFR(slice);
}

uint64_t guest_arm64_sve_vls(void)
{
	return KVM_REG_ARM64_SVE_VLS;
}

uint64_t guest_arm64_fw_bmap(unsigned int index)
{
	return KVM_REG_ARM_FW_FEAT_BMAP_REG(index);
}

#endif /* __aarch64__ */
