// SPDX-License-Identifier: MIT
/* riscv64 half of the test guests: see guest.h and guest_riscv64.h. */
#include "guest.h"

#if defined(__riscv) && __riscv_xlen == 64

#include <stddef.h>

#include <linux/kvm.h>

/* Newer than the 6.1 uapi headers of the build host: values from 7.2. */
#ifndef KVM_REG_RISCV_VECTOR
#define KVM_REG_RISCV_VECTOR		(0x09 << KVM_REG_RISCV_TYPE_SHIFT)
#endif
/* struct __riscv_v_ext_state: vstart, vl, vtype, vcsr, vlenb, datap. */
#define RISCV_V_EXT_STATE_WORDS		6

/*
 * The test program (guest.h). Entered in VS-mode with paging off, FP off
 * (as on a real hart's reset: it turns FP on itself) and a0 = steps. Each step mixes an LCG into a running value (t3), adds the
 * step count to an FP sum that only ft1 holds, appends the value to a
 * history in RAM after the code and writes it to GUEST_MMIO_STEP. The end
 * checksums the history and ft1 into GUEST_MMIO_DONE, so a restore that
 * loses a general register, an FP register or a RAM byte changes the result.
 */
__asm__(
"	.pushsection .rodata.guest_riscv64_program, \"a\"\n"
"	.balign 8\n"
"	.globl guest_riscv64_program_start\n"
"	.hidden guest_riscv64_program_start\n"
"guest_riscv64_program_start:\n"
"	.option push\n"
"	.option norelax\n"
"	li	t0, 0x2000\n"			/* sstatus.FS = Initial: FP on */
"	csrs	sstatus, t0\n"
"	li	t0, 0x10000000\n"		/* GUEST_MMIO_STEP */
"	lla	t1, 9f\n"			/* the history */
"	mv	t2, a0\n"
"	li	t3, 1\n"
"	li	t4, 0x5851f42d4c957f2d\n"
"	li	t5, 0x9e37\n"
"	fmv.d.x	ft1, zero\n"
"1:	mul	t5, t5, t4\n"
"	add	t5, t5, t4\n"
"	srli	t6, t5, 17\n"			/* t3 ^= t5 ror 17 */
"	slli	a1, t5, 47\n"
"	or	t6, t6, a1\n"
"	xor	t3, t3, t6\n"
"	add	t3, t3, t2\n"
"	fcvt.d.l ft0, t2\n"
"	fadd.d	ft1, ft1, ft0\n"
"	sd	t3, 0(t1)\n"
"	addi	t1, t1, 8\n"
"	sd	t3, 0(t0)\n"			/* MMIO: this step's value */
"	addi	t2, t2, -1\n"
"	bnez	t2, 1b\n"
"	lla	t1, 9f\n"
"	mv	t2, a0\n"
"	li	a2, 0\n"
"2:	ld	a1, 0(t1)\n"
"	addi	t1, t1, 8\n"
"	srli	a3, a2, 7\n"			/* a2 = (a2 ror 7) ^ a1 */
"	slli	a4, a2, 57\n"
"	or	a2, a3, a4\n"
"	xor	a2, a2, a1\n"
"	addi	t2, t2, -1\n"
"	bnez	t2, 2b\n"
"	fcvt.l.d a1, ft1, rtz\n"
"	add	a2, a2, a1\n"
"	sd	a2, 8(t0)\n"			/* MMIO: the result */
"3:	j	3b\n"
"	.option pop\n"
"	.balign 8\n"
"9:\n"
"	.globl guest_riscv64_program_end\n"
"	.hidden guest_riscv64_program_end\n"
"guest_riscv64_program_end:\n"
"	.popsection\n");

extern const uint8_t guest_riscv64_program_start[];
extern const uint8_t guest_riscv64_program_end[];

const void *guest_arch_program(size_t *size)
{
	*size = guest_riscv64_program_end - guest_riscv64_program_start;
	return guest_riscv64_program_start;
}

/* A riscv vCPU needs nothing before its first run: the defaults are the
 * host's extensions. */
int guest_arch_vcpu_setup(struct guest_vm *vm, unsigned int flags,
			  const char **what)
{
	(void)vm;
	(void)flags;
	(void)what;
	return 0;
}

uint64_t guest_riscv_core(unsigned int index)
{
	return KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_CORE | index;
}

uint64_t guest_riscv_pc(void)
{
	return guest_riscv_core(KVM_REG_RISCV_CORE_REG(regs.pc));
}

uint64_t guest_riscv_a0(void)
{
	return guest_riscv_core(KVM_REG_RISCV_CORE_REG(regs.a0));
}

uint64_t guest_arch_pc_id(void)
{
	return guest_riscv_pc();
}

uint64_t guest_arch_arg0_id(void)
{
	return guest_riscv_a0();
}

uint64_t guest_riscv_isa_ext(unsigned int ext)
{
	return KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_ISA_EXT | ext;
}

uint64_t guest_riscv_config_isa(void)
{
	return KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_CONFIG |
	       KVM_REG_RISCV_CONFIG_REG(isa);
}

uint64_t guest_riscv_vector_csr(unsigned int index)
{
	return KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_VECTOR | index;
}

uint64_t guest_riscv_vreg(unsigned int n, unsigned long vlenb)
{
	uint64_t size_field = 0;

	while ((1ul << size_field) < vlenb)
		size_field++;
	return KVM_REG_RISCV | (size_field << KVM_REG_SIZE_SHIFT) |
	       KVM_REG_RISCV_VECTOR | (RISCV_V_EXT_STATE_WORDS + n);
}

#endif /* __riscv */
