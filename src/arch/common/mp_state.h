/* SPDX-License-Identifier: MIT */
/*
 * The vCPU's MP state (KVM_GET_MP_STATE / KVM_SET_MP_STATE: runnable,
 * stopped by PSCI CPU_OFF or SBI HSM hart_stop, halted, ...) as a register
 * of arm64, riscv64 and loongarch64. Each arch gives it a library-defined
 * id in a part of its id space the kernel rejects (docs/ids.md); the name,
 * the value (u32 struct kvm_mp_state) and the ioctls are the same on all.
 */
#ifndef KVMREG_ARCH_MP_STATE_H
#define KVMREG_ARCH_MP_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kvmreg.h"

struct kvmreg_idvec;

#define KVMREG_MP_STATE_SHORT	"mp_state"

/* The name of mp_id (short "mp_state", macro the arch's macro); -ENOENT
 * for any other id, else what snprintf returns. */
int kvmreg_mp_state_name(uint64_t id, uint64_t mp_id, const char *macro,
			 enum kvmreg_name_style style, char *buf, size_t len);
/* "mp_state" or the arch's macro: 0 and *id = mp_id, else -ENOENT. */
int kvmreg_mp_state_parse(const char *name, uint64_t mp_id,
			  const char *macro, uint64_t *id);

/*
 * Restore rank reason, shared: on arm64 and riscv64 no register write
 * changes the power state (KVM_SET_ONE_REG never touches it), and only
 * KVM_SET_MP_STATE does, so it goes after the registers, as QEMU writes it
 * (kvm_arm_sync_mpstate_to_kvm, kvm_riscv_sync_mpstate_to_kvm at the end of
 * kvm_arch_put_registers). It goes after the timer too: writing it arms
 * nothing and reads no timer register, and so the ONE_REG registers
 * before it are one run a batch ONE_REG ioctl writes in one call.
 */
#define KVMREG_MP_STATE_REASON \
	"MP state: last, after the registers and the timer (no register write changes it; QEMU writes it after the registers)"

#if defined(__aarch64__) || (defined(__riscv) && __riscv_xlen == 64) || \
	defined(__loongarch__)
#define KVMREG_HAVE_MP_STATE_IOCTL 1
/* KVM_GET/SET_MP_STATE of each of n values (4 bytes each); how many
 * failed (errs[i] per value). */
int kvmreg_mp_state_access(struct kvmreg_vcpu *vcpu, bool set, size_t n,
			   uint8_t *const *vals, int *errs);
/* Appends mp_id when this vCPU answers KVM_GET_MP_STATE. */
int kvmreg_mp_state_list(struct kvmreg_vcpu *vcpu, uint64_t mp_id,
			 struct kvmreg_idvec *out,
			 struct kvmreg_idvec *sources);
#endif

#endif /* KVMREG_ARCH_MP_STATE_H */
