/* SPDX-License-Identifier: MIT */
/* The access path below the public calls, shared with save/restore. */
#ifndef KVMREG_ACCESS_H
#define KVMREG_ACCESS_H

#include <stddef.h>
#include <stdint.h>

#include "arch/arch.h"
#include "kvmreg.h"
#include "state.h"

/* Batched writes of ids in their order (a plan, plan.h): errs[i] gets each
 * register's 0 or -errno; the return value is an error only when nothing
 * could be attempted. Tells the handle if the list may have changed. */
int kvmreg_write_values(struct kvmreg_vcpu *vcpu, const uint64_t *ids,
			size_t n, const uint8_t *const *vals, int *errs);

struct kvmreg_plan;

/* Read the plan's ids into an empty state, which takes the plan's layout:
 * 0, 1 if that does not apply or a register failed (the state is left
 * empty), or a negative errno. */
int kvmreg_read_planned(struct kvmreg_vcpu *vcpu,
			const struct kvmreg_plan *plan,
			struct kvmreg_state *state);
/* kvmreg_id_check() of each id. */
int kvmreg_check_ids(enum kvmreg_arch arch, const uint64_t *ids, size_t n);

/* Set kvmreg_error() to "<what> <name> (<id>): <strerror>"; returns err. */
int kvmreg_describe_failure(uint64_t id, int err, const char *what);

/*
 * A register the kernel refuses to take at the value it already holds (x86
 * MSR_KVM_ASYNC_PF_INT in a VM without an in-kernel LAPIC; LoongArch's
 * set-once CPUID CSR) is in the wanted state: clear errs[i] of such ids.
 * Only failed writes pay for the extra read.
 */
void kvmreg_forgive_refusals(struct kvmreg_vcpu *vcpu, const uint64_t *ids,
			     size_t n, const uint8_t *const *vals, int *errs);

#endif /* KVMREG_ACCESS_H */
