/* SPDX-License-Identifier: MIT */
/*
 * A tiny x86_64 long-mode guest for the real-KVM tests: a VM with one RAM
 * slot and one vCPU, identity-mapped page tables, a GDT with kernel and user
 * segments and a TSS, all built by the host, and a program that enters
 * straight in 64-bit mode at CPL 0 (no firmware, no real-mode trampoline).
 *
 * The checkpoint program (guest_x86_checkpoint_*) is a small kernel and a
 * user program. The kernel sets up an IDT, MSRs, debug and control
 * registers, then IRETQs to CPL 3. The user program computes for
 * `iterations` rounds; each round it traps into the kernel with UD2 (the
 * system call: the #UD handler skips it), and one 4-byte OUT of the running
 * digest to GUEST_X86_PORT_STEP leaves the guest, from the kernel on even
 * rounds and from user mode (IOPL 3) on odd ones. At the end the kernel
 * writes the final digest to GUEST_X86_PORT_DONE.
 *
 * Every round folds into the digest the state a careless save/restore
 * loses: r8-r15 and the other GPRs, RFLAGS kept live across the OUT (the
 * carry of an ADD before it feeds an ADC after it), x87, MXCSR and
 * SSE/AVX2/AVX-512 registers (XSAVE), XCR0, KERNEL_GS_BASE (SWAPGS on every
 * kernel entry), GS and FS bases (the user program reads through them),
 * LSTAR, SYSENTER_ESP, TSC_AUX (through RDTSCP, where CPUID offers it),
 * CR2, CR8, DR0-DR3, the descriptor tables, CPL and the kernel's
 * IRET frame, and memory: return addresses and pushed values on both stacks
 * across the exit, and a ring of qwords in RAM.
 *
 * Why a user mode at all: the FPU and vector work happens at CPL 3 because
 * some KVM implementations (kvm_pvm) cannot run x87/SSE at guest CPL 0, and
 * UD2 rather than SYSCALL or INT n because those are the ones that reach the
 * guest kernel intact everywhere this was tried (VMX/SVM and kvm_pvm).
 *
 * Everything here is x86_64-only; elsewhere this header defines nothing.
 */
#ifndef KVMREG_TEST_GUEST_X86_H
#define KVMREG_TEST_GUEST_X86_H

#ifdef __x86_64__

#include <stddef.h>
#include <stdint.h>

#include <linux/kvm.h>

/* Guest-physical layout. Plain numbers: the guest's assembly uses them. */
#define GUEST_X86_RAM_SIZE	0x100000	/* one slot at GPA 0 */
#define GUEST_X86_PML4		0x1000
#define GUEST_X86_PDPT		0x2000
#define GUEST_X86_PD		0x3000		/* one 2 MiB page at 0 */
#define GUEST_X86_GDT		0x4000
#define GUEST_X86_IDT		0x5000		/* no gates: an exception is fatal */
#define GUEST_X86_CODE		0x10000
#define GUEST_X86_RING		0x20000		/* 256 qwords of program state */
#define GUEST_X86_VECTORS	0x21000		/* vector registers, dumped each round */
#define GUEST_X86_SCRATCH	0x22000
#define GUEST_X86_PERCPU	0x22800		/* the kernel's GS base */
#define GUEST_X86_USER_STACK_TOP 0x70000
#define GUEST_X86_STACK_TOP	0x80000		/* entry and kernel (TSS.RSP0) */
#define GUEST_X86_TSS		0x6000

/* GDT: the layout SYSCALL/SYSRET would want, though the program uses IRETQ */
#define GUEST_X86_SEL_CODE	0x08		/* kernel 64-bit code */
#define GUEST_X86_SEL_DATA	0x10		/* kernel data */
#define GUEST_X86_SEL_UDATA	0x23		/* user data, RPL 3 */
#define GUEST_X86_SEL_UCODE	0x2b		/* user 64-bit code, RPL 3 */
#define GUEST_X86_SEL_TSS	0x30

#define GUEST_X86_PORT_STEP	0xe9
#define GUEST_X86_PORT_DONE	0xea
#define GUEST_X86_PORT_FAULT	0xeb		/* an unexpected exception */

/* The MSRs the checkpoint program keeps state in. */
#define GUEST_X86_MSR_FS_BASE		0xc0000100
#define GUEST_X86_MSR_GS_BASE		0xc0000101
#define GUEST_X86_MSR_KERNEL_GS_BASE	0xc0000102
#define GUEST_X86_MSR_TSC_AUX		0xc0000103	/* if CPUID has RDTSCP */
#define GUEST_X86_MSR_LSTAR		0xc0000082
#define GUEST_X86_MSR_SYSENTER_ESP	0x175

struct guest_x86_vm {
	int kvm_fd;		/* not owned: the caller's /dev/kvm */
	int vm_fd;
	int vcpu_fd;
	struct kvm_run *run;
	size_t run_size;
	uint8_t *ram;		/* GUEST_X86_RAM_SIZE bytes at GPA 0 */
};

/* In-kernel PIC, IOAPIC and LAPIC (KVM_CREATE_IRQCHIP): CR8 is then the
 * LAPIC's TPR, saved with the LAPIC, rather than kvm_run.cr8's. */
#define GUEST_X86_IRQCHIP	(1u << 0)

/*
 * A VM with RAM and one vCPU, nothing else: no CPUID, no registers set (a
 * restore brings those). flags: GUEST_X86_*. 0 or -errno; *what (optional)
 * names the failing step. On failure vm holds nothing to destroy.
 */
int guest_x86_vm_create(int kvm_fd, unsigned int flags,
			struct guest_x86_vm *vm, const char **what);
void guest_x86_vm_destroy(struct guest_x86_vm *vm);

/* KVM_GET_SUPPORTED_CPUID, malloc'd; NULL with errno on failure. */
struct kvm_cpuid2 *guest_x86_supported_cpuid(int kvm_fd);
/*
 * The CPUID to give the checkpoint guest: KVM_GET_SUPPORTED_CPUID, plus
 * XSAVE, AVX, AVX2 and AVX512F where the host CPU has them and KVM's leaf
 * 0xD lists their XCR0 bits but leaves 1 and 7 do not (kvm_pvm reports them
 * that way, and runs them). malloc'd; NULL with errno on failure.
 */
struct kvm_cpuid2 *guest_x86_program_cpuid(int kvm_fd);
/* The entry for (function, index), or NULL. */
const struct kvm_cpuid_entry2 *guest_x86_cpuid_find(
	const struct kvm_cpuid2 *cpuid, uint32_t function, uint32_t index);

/*
 * Page tables identity-mapping the first 2 MiB (user-accessible), the GDT
 * above, a TSS with RSP0 = GUEST_X86_STACK_TOP, and code copied to
 * GUEST_X86_CODE. -EINVAL if the code does not fit below GUEST_X86_RING.
 */
int guest_x86_load(struct guest_x86_vm *vm, const void *code, size_t size);
/*
 * Registers for entry at GUEST_X86_CODE in 64-bit mode, CPL 0, paging on,
 * the stack at GUEST_X86_STACK_TOP. cr4_extra is ORed into CR4 (e.g.
 * OSXSAVE); args go to rdi, rsi, rdx. 0 or -errno.
 */
int guest_x86_enter_long_mode(struct guest_x86_vm *vm, uint64_t cr4_extra,
			      uint64_t rdi, uint64_t rsi, uint64_t rdx);

/*
 * KVM_RUN once (EINTR retried): 0 or -errno. The exit is in vm->run.
 * Without GUEST_X86_IRQCHIP every KVM_RUN first loads CR8 from
 * vm->run->cr8 (KVM stores it there at each exit): a VM that receives
 * restored registers needs run->cr8 set to the saved CR8 before its first
 * KVM_RUN, or the guest's TPR silently drops to whatever run->cr8 held.
 */
int guest_x86_run(struct guest_x86_vm *vm);
/*
 * Complete the instruction of the last I/O exit without running guest code
 * (KVM_RUN with immediate_exit). KVM advances rip past an OUT only on the
 * next KVM_RUN, and keeps that pending step in no state userspace can save:
 * a VMM must do this before it saves registers at an I/O exit.
 */
int guest_x86_complete_io(struct guest_x86_vm *vm);

/* ---------------------------------------------------------------- */
/* The checkpoint program                                            */

/* Vector width the program uses: what the host's KVM offers. */
enum guest_x86_vector_level {
	GUEST_X86_VEC_SSE = 0,		/* xmm0-15 */
	GUEST_X86_VEC_AVX2 = 1,		/* ymm0-15 */
	GUEST_X86_VEC_AVX512 = 2,	/* zmm0-31, k1-k7 */
};

struct guest_x86_checkpoint_params {
	uint32_t iterations;		/* rounds = OUTs to PORT_STEP (>= 1) */
	enum guest_x86_vector_level vector_level;
	int use_rdtscp;			/* TSC_AUX through RDTSCP; else unused */
	uint64_t xcr0;			/* 0: no XSETBV (no XSAVE in CPUID) */
};

/* The richest parameters the CPUID (as KVM supports it) allows. */
void guest_x86_checkpoint_params_for(const struct kvm_cpuid2 *cpuid,
				     uint32_t iterations,
				     struct guest_x86_checkpoint_params *params);
const char *guest_x86_vector_level_name(enum guest_x86_vector_level level);

/* The program's code, position-dependent: it runs at GUEST_X86_CODE. */
const void *guest_x86_checkpoint_code(size_t *size);

/* Load the program into vm (RAM zeroed before) and set its entry registers. */
int guest_x86_checkpoint_start(struct guest_x86_vm *vm,
			       const struct guest_x86_checkpoint_params *params);

#endif /* __x86_64__ */

#endif /* KVMREG_TEST_GUEST_X86_H */
