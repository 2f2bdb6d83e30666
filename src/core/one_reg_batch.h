/* SPDX-License-Identifier: MIT */
/*
 * Batch ONE_REG: the registers a driver leaves to plain KVM_{GET,SET}_ONE_REG
 * go in one KVM_{GET,SET}_ONE_REG_BATCH when the kernel has it
 * (KVM_CAP_ONE_REG_BATCH, kernel/batch/), one ioctl per register otherwise.
 * docs/batch-ioctl.md.
 */
#ifndef KVMREG_ONE_REG_BATCH_H
#define KVMREG_ONE_REG_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "kvmreg.h"

/*
 * Ask the kernel, once per handle, whether it has the batch ioctls and how
 * many entries one call takes (KVM_CHECK_EXTENSION on the VM fd, else the
 * /dev/kvm fd), and if it says yes, check with an empty batch (one vCPU
 * ioctl) that the ioctl is what we think. KVMREG_ONE_REG_BATCH=0 in the
 * environment says no whatever the kernel has, so the two paths can be
 * compared.
 */
void kvmreg_one_reg_batch_probe(struct kvmreg_vcpu *vcpu);

/* Whether this handle serves plain ONE_REG ids with the batch. */
int kvmreg_one_reg_batch_on(const struct kvmreg_vcpu *vcpu);

/*
 * Turn the batch off (on = 0) or back on where the kernel has it, for this
 * handle: for tests and benchmarks that compare both paths on one vCPU.
 * Returns whether the batch is in use afterwards.
 */
int kvmreg_one_reg_batch_use(struct kvmreg_vcpu *vcpu, int on);

/*
 * Read (set = 0) or write n ONE_REG registers in as few batch calls as the
 * kernel's maximum allows, in order. Every register is tried, as one
 * ioctl each would: after an entry fails, the batch goes on from the
 * entry after it. errs[i] gets each one's 0 or -errno. Returns how many
 * failed.
 */
size_t kvmreg_one_reg_batch_run(struct kvmreg_vcpu *vcpu, int set, size_t n,
				const uint64_t *ids, uint8_t *const *vals,
				int *errs);

/*
 * For tests and benchmarks that check what a save costs: how many of
 * state's registers the driver leaves to plain ONE_REG (the rest go
 * through the driver's own ioctls: MP state, vCPU events, the vGIC), and
 * how many vCPU ioctls n such registers take on this handle (n one by one,
 * or the batch calls the kernel's maximum per call allows).
 */
size_t kvmreg_one_reg_count(const struct kvmreg_vcpu *vcpu,
			    const struct kvmreg_state *state);
size_t kvmreg_one_reg_calls(const struct kvmreg_vcpu *vcpu, size_t n);

#endif /* KVMREG_ONE_REG_BATCH_H */
