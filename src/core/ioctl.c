// SPDX-License-Identifier: MIT
/*
 * The counted vCPU ioctl path and ONE_REG: the bottom of every access, so
 * it depends on nothing else in the core (vcpu.c owns handles, enum.c what
 * they keep, plan.c and access.c the batches; all call down to here).
 */
#include <errno.h>
#include <stdatomic.h>
#include <sys/ioctl.h>

#include <linux/kvm.h>

#include "internal.h"

int kvmreg_vcpu_ioctl(struct kvmreg_vcpu *vcpu, unsigned long request,
		      void *arg)
{
	int r;

	vcpu->ioctls++;
	do {
		r = ioctl(vcpu->fd, request, arg);
	} while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r;
}

int kvmreg_vcpu_ioctl_exists(struct kvmreg_vcpu *vcpu, _Atomic int *known,
			     unsigned long request, void *arg)
{
	int r, answer = atomic_load_explicit(known, memory_order_relaxed);

	if (answer)
		return answer > 0;
	r = kvmreg_vcpu_ioctl(vcpu, request, arg);
	if (r >= 0)
		atomic_store_explicit(known, 1, memory_order_relaxed);
	else if (r == -ENOTTY || r == -EINVAL)
		atomic_store_explicit(known, -1, memory_order_relaxed);
	return r >= 0;
}

int kvmreg_one_reg_get(struct kvmreg_vcpu *vcpu, uint64_t id, void *value)
{
	struct kvm_one_reg reg = { .id = id, .addr = (uintptr_t)value };

	return kvmreg_vcpu_ioctl(vcpu, KVM_GET_ONE_REG, &reg);
}

int kvmreg_one_reg_set(struct kvmreg_vcpu *vcpu, uint64_t id,
		       const void *value)
{
	struct kvm_one_reg reg = { .id = id, .addr = (uintptr_t)value };

	return kvmreg_vcpu_ioctl(vcpu, KVM_SET_ONE_REG, &reg);
}
