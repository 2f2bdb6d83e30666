/* SPDX-License-Identifier: MIT */
/*
 * Small real guests for the real-KVM tests on arm64 and riscv64: a VM with
 * RAM and one vCPU set up as a VMM would, and a program that computes,
 * reports every step through an MMIO write and goes on, so tests can stop
 * it anywhere, save it, and resume it in another VM.
 *
 * This file is the arch-neutral half; guest_arm64.[ch] and guest_riscv64.[ch]
 * hold each arch's setup, program and register ids. Elsewhere (x86_64)
 * nothing is defined and GUEST_SUPPORTED is 0: tests SKIP.
 */
#ifndef KVMREG_TEST_GUEST_H
#define KVMREG_TEST_GUEST_H

#include <stddef.h>
#include <stdint.h>

#include "kvmreg.h"

#if defined(__aarch64__)
#include "guest_arm64.h"
#define GUEST_SUPPORTED 1
#elif defined(__riscv) && __riscv_xlen == 64
#include "guest_riscv64.h"
#define GUEST_SUPPORTED 1
#else
#define GUEST_SUPPORTED 0
#endif

#if GUEST_SUPPORTED

/* Guest RAM is one slot at GUEST_RAM_GPA (from the arch header); MMIO is
 * any unbacked address, and the program uses these two. */
#define GUEST_RAM_SIZE		(1u << 20)
#define GUEST_MMIO_STEP		0x10000000ull	/* each step's value */
#define GUEST_MMIO_DONE		0x10000008ull	/* the final checksum */

struct kvm_run;

struct guest_vm {
	int kvm_fd;
	int vm_fd;
	int vcpu_fd;
	unsigned int flags;		/* as given to guest_vm_create() */
	struct kvm_run *run;
	size_t run_size;
	uint8_t *ram;			/* GUEST_RAM_SIZE bytes */
	struct kvmreg_vcpu *vcpu;	/* the library's handle on vcpu_fd */
};

/* One MMIO write of the guest. */
struct guest_mmio {
	uint64_t addr;
	uint64_t data;
	uint32_t len;
};

/*
 * A VM with RAM and one vCPU, set up by the arch with the GUEST_<ARCH>_*
 * flags given. 0 or -errno; *what (optional) names the step that failed.
 */
int guest_vm_create(struct guest_vm *vm, unsigned int flags,
		    const char **what);
void guest_vm_destroy(struct guest_vm *vm);

/* Copy code to the start of RAM and point the vCPU's pc at it. */
int guest_load(struct guest_vm *vm, const void *code, size_t size);
/*
 * The arch's program: `steps` (1..1000) rounds of integer, FP/SIMD and
 * memory work, each ending with an MMIO write of its running value to
 * GUEST_MMIO_STEP; then a checksum of all of it to GUEST_MMIO_DONE. Only
 * registers and RAM carry its state, so registers + RAM resume it anywhere.
 */
int guest_load_program(struct guest_vm *vm, uint32_t steps);
/*
 * Run to the next MMIO write: 0 and *mmio. Any other exit, or no exit
 * within a time limit, is -EIO with why; a failed KVM_RUN is -errno.
 */
int guest_run(struct guest_vm *vm, struct guest_mmio *mmio, char *why,
	      size_t why_len);
/*
 * Finish the MMIO write KVM_RUN returned with, without running guest code
 * (immediate_exit): KVM completes the instruction, advancing pc, only on
 * the next KVM_RUN, and a VMM must do this before it saves the registers.
 */
int guest_complete_mmio(struct guest_vm *vm);
/* KVM_RUN with immediate_exit: what "has run once" means to KVM, without
 * running an instruction. 0 or -errno. */
int guest_touch_run(struct guest_vm *vm);

/* A stopped guest: every register (kvmreg_save) and a copy of RAM. */
struct guest_snapshot {
	struct kvmreg_state *regs;
	uint8_t *ram;
};

/* Complete any pending MMIO, then save. 0 or -errno (why filled). */
int guest_snapshot_take(struct guest_vm *vm, struct guest_snapshot *snap,
			char *why, size_t why_len);
/* A new VM (same flags as the snapshot's) with snap's RAM and registers
 * restored by kvmreg_restore(). */
int guest_snapshot_resume(const struct guest_snapshot *snap,
			  unsigned int flags, struct guest_vm *vm, char *why,
			  size_t why_len);
void guest_snapshot_free(struct guest_snapshot *snap);

/* --- what each arch provides (guest_<arch>.c) --- */

/* After KVM_CREATE_VCPU: the arch's vCPU init for flags. */
int guest_arch_vcpu_setup(struct guest_vm *vm, unsigned int flags,
			  const char **what);
uint64_t guest_arch_pc_id(void);
/* The register that carries the program's first argument. */
uint64_t guest_arch_arg0_id(void);
/* The program's code. */
const void *guest_arch_program(size_t *size);

#endif /* GUEST_SUPPORTED */

#endif /* KVMREG_TEST_GUEST_H */
