/* SPDX-License-Identifier: MIT */
/*
 * A stand-in for the KVM selftests' kvm_util.h, so that the LoongArch
 * get-reg-list.c of kernel/patches compiles on the build host and its
 * blessed lists can be read as data (kernel/tests/blessed/compare.c). It
 * declares what that file uses; every call into KVM aborts, since nothing
 * here runs a vCPU. The structures have the member names the selftests'
 * kvm_util.h gives them (Linux 7.2), which is all the file relies on.
 */
#ifndef KVMREG_BLESSED_KVM_UTIL_H
#define KVMREG_BLESSED_KVM_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <linux/kvm.h>

typedef uint64_t u64;
typedef uint32_t u32;

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define BIT(n)		(1UL << (n))
#define GENMASK(h, l)	((~0UL << (l)) & (~0UL >> (63 - (h))))

static inline void stub_abort(const char *what)
{
	fprintf(stderr, "blessed: %s called: the stand-in runs no vCPU\n", what);
	abort();
}

struct kvm_vm {
	int fd;
};

struct kvm_vcpu {
	u32 id;
	int fd;
	struct kvm_vm *vm;
};

struct vcpu_reg_sublist {
	const char *name;
	long capability;
	int feature;
	int feature_type;
	bool finalize;
	__u64 *regs;
	__u64 regs_n;
	__u64 *rejects_set;
	__u64 rejects_set_n;
	__u64 *skips_set;
	__u64 skips_set_n;
};

struct vcpu_reg_list {
	char *name;
	struct vcpu_reg_sublist sublists[];
};

#define for_each_sublist(c, s)		\
	for ((s) = &(c)->sublists[0]; (s)->regs; ++(s))

#define __TEST_REQUIRE(cond, ...)	do { if (!(cond)) stub_abort(__func__); } while (0)
#define TEST_ASSERT(cond, ...)		do { if (!(cond)) stub_abort(__func__); } while (0)

static inline u64 vcpu_get_reg(struct kvm_vcpu *vcpu, u64 id)
{
	stub_abort(__func__);
	return 0;
}

static inline int __vcpu_get_reg(struct kvm_vcpu *vcpu, u64 id, void *addr)
{
	stub_abort(__func__);
	return 0;
}

static inline void vcpu_set_reg(struct kvm_vcpu *vcpu, u64 id, u64 val)
{
	stub_abort(__func__);
}

static inline int __vcpu_set_reg(struct kvm_vcpu *vcpu, u64 id, u64 val)
{
	stub_abort(__func__);
	return 0;
}

static inline int __kvm_has_device_attr(int dev_fd, u32 group, u64 attr)
{
	stub_abort(__func__);
	return 0;
}

static inline void vcpu_device_attr_get(struct kvm_vcpu *vcpu, u32 group,
					u64 attr, void *val)
{
	stub_abort(__func__);
}

static inline int __vcpu_device_attr_get(struct kvm_vcpu *vcpu, u32 group,
					 u64 attr, void *val)
{
	stub_abort(__func__);
	return 0;
}

#endif /* KVMREG_BLESSED_KVM_UTIL_H */
