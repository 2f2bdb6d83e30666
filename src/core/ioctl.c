// SPDX-License-Identifier: MIT
/*
 * The counted vCPU ioctl path and ONE_REG: the bottom of every access, so
 * it depends on nothing else in the core (vcpu.c owns handles, enum.c what
 * they keep, plan.c and access.c the batches; all call down to here).
 */
#include <errno.h>
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
