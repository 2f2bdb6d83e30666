/* SPDX-License-Identifier: MIT */
/*
 * What the benchmarks share: a clock, a median, and the hand-written floor:
 * the ioctls a VMM would issue to read every register of a vCPU without
 * libkvmreg. The library is only used to find out, once and outside the
 * timed path, which struct groups and ONE_REG ids the vCPU has.
 */
#ifndef KVMREG_BENCH_H
#define KVMREG_BENCH_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#include <linux/kvm.h>

#include "kvmreg.h"

static inline uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static inline double bench_median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), bench_cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Which reads the floor issues for one vCPU. */
struct bench_floor {
	uint64_t *one_reg_ids;	/* ids the kernel serves by ONE_REG */
	size_t one_reg_count;
#if defined(__x86_64__)
	int regs, sregs, sregs2, xsave, xcrs, debugregs, lapic, events,
	    mp_state, tsc_khz;
	size_t xsave_size;
	size_t cpuid_entries;
	struct kvm_msrs *msrs;	/* indexes filled in; values per read */
	size_t msr_count;
	int mcg_cap;		/* IA32_MCG_CAP is msrs' last entry */
#endif
};

static inline int bench_floor_setup(const struct kvmreg_scratch *s,
				    const struct kvmreg_list *list,
				    struct bench_floor *f)
{
	enum kvmreg_arch arch = kvmreg_arch_host();

	memset(f, 0, sizeof(*f));
	f->one_reg_ids = calloc(list->count + 1, sizeof(*f->one_reg_ids));
	if (!f->one_reg_ids)
		return -1;
#if defined(__x86_64__)
	f->msrs = calloc(1, sizeof(*f->msrs) +
			 (list->count + 1) * sizeof(struct kvm_msr_entry));
	if (!f->msrs)
		return -1;
#endif
	for (size_t i = 0; i < list->count; i++) {
		uint64_t id = list->regs[i].id;
		const char *group = kvmreg_id_group(arch, id);

		(void)group;
#if defined(__x86_64__)
		/* MSRs, whatever listed them (the index list, CPUID), go in
		 * one KVM_GET_MSRS, as the library sends them. */
		if (!strcmp(group, "msr")) {
			if ((uint32_t)id == 0x179)	/* IA32_MCG_CAP: last */
				f->mcg_cap = 1;
			else
				f->msrs->entries[f->msr_count++].index = (uint32_t)id;
			continue;
		}
#endif
		if (list->regs[i].source != KVMREG_SRC_LIBRARY) {
			f->one_reg_ids[f->one_reg_count++] = id;
			continue;
		}
#if defined(__x86_64__)
		if (!strcmp(group, "tsc_khz")) {
			f->tsc_khz = 1;
		} else if (!strcmp(group, "regs")) {
			f->regs = 1;
		} else if (!strcmp(group, "sregs") || !strcmp(group, "segment") ||
			   !strcmp(group, "dtable")) {
			f->sregs = 1;
			if (kvmreg_id_name(arch, id, KVMREG_NAME_SHORT, NULL, 0) > 0) {
				char name[64];

				kvmreg_id_name(arch, id, KVMREG_NAME_SHORT, name, sizeof(name));
				if (!strcmp(name, "sregs2_flags") || !strncmp(name, "pdptr", 5))
					f->sregs2 = 1;
			}
		} else if (!strcmp(group, "xsave")) {
			f->xsave = 1;
		} else if (!strcmp(group, "xcr")) {
			f->xcrs = 1;
		} else if (!strcmp(group, "debugreg")) {
			f->debugregs = 1;
		} else if (!strcmp(group, "lapic")) {
			f->lapic = 1;
		} else if (!strcmp(group, "events")) {
			f->events = 1;
		} else if (!strcmp(group, "mp_state")) {
			f->mp_state = 1;
		} else if (!strcmp(group, "cpuid")) {
			f->cpuid_entries++;
		}
#endif
	}
#if defined(__x86_64__)
	/* IA32_MCG_CAP reads with the MSRs; a restore sets it with
	 * KVM_X86_SETUP_MCE (KVM_SET_MSRS refuses it), before the banks. */
	if (f->mcg_cap)
		f->msrs->entries[f->msr_count++].index = 0x179;
	f->msrs->nmsrs = (uint32_t)f->msr_count;
	if (f->xsave) {
		int size = ioctl(s->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_XSAVE2);

		f->xsave_size = size > (int)sizeof(struct kvm_xsave) ?
				(size_t)size : sizeof(struct kvm_xsave);
	}
#else
	(void)s;
#endif
	return 0;
}

static inline void bench_floor_free(struct bench_floor *f)
{
	free(f->one_reg_ids);
#if defined(__x86_64__)
	free(f->msrs);
#endif
}

#define BENCH_IOCTL(fd, req, arg, count)			\
	do {							\
		(*(count))++;					\
		if (ioctl((fd), (req), (arg)) < 0)		\
			return -1;				\
	} while (0)

/* Everything the floor reads from one vCPU, as a VMM would keep it. */
struct bench_floor_state {
	uint8_t (*one_reg)[256];
#if defined(__x86_64__)
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_sregs2 sregs2;
	struct kvm_xcrs xcrs;
	struct kvm_debugregs dbg;
	struct kvm_lapic_state lapic;
	struct kvm_vcpu_events events;
	struct kvm_mp_state mp;
	int tsc_khz;
	uint8_t xsave[16384] __attribute__((aligned(64)));
	struct {
		struct kvm_cpuid2 hdr;
		struct kvm_cpuid_entry2 e[256];
	} cpuid;
	struct kvm_msrs *msrs;
#endif
};

static inline struct bench_floor_state *
bench_floor_state_new(const struct bench_floor *f)
{
	struct bench_floor_state *st = calloc(1, sizeof(*st));

	if (!st)
		return NULL;
	st->one_reg = calloc(f->one_reg_count + 1, sizeof(*st->one_reg));
#if defined(__x86_64__)
	st->msrs = calloc(1, sizeof(*st->msrs) +
			  (f->msr_count + 1) * sizeof(struct kvm_msr_entry));
	if (st->msrs) {
		memcpy(st->msrs, f->msrs, sizeof(*st->msrs) +
		       f->msr_count * sizeof(struct kvm_msr_entry));
	}
#endif
	return st;
}

static inline void bench_floor_state_free(struct bench_floor_state *st)
{
	if (!st)
		return;
	free(st->one_reg);
#if defined(__x86_64__)
	free(st->msrs);
#endif
	free(st);
}

/* One read of everything, by hand; *ioctls counts the vCPU ioctls. */
static inline int bench_floor_save(int fd, const struct bench_floor *f,
				   struct bench_floor_state *st,
				   uint64_t *ioctls)
{
	for (size_t i = 0; i < f->one_reg_count; i++) {
		struct kvm_one_reg reg = { .id = f->one_reg_ids[i],
					   .addr = (uintptr_t)st->one_reg[i] };

		BENCH_IOCTL(fd, KVM_GET_ONE_REG, &reg, ioctls);
	}
#if defined(__x86_64__)
	if (f->cpuid_entries) {
		st->cpuid.hdr.nent = 256;
		BENCH_IOCTL(fd, KVM_GET_CPUID2, &st->cpuid, ioctls);
	}
	if (f->mp_state)
		BENCH_IOCTL(fd, KVM_GET_MP_STATE, &st->mp, ioctls);
	if (f->tsc_khz) {
		(*ioctls)++;
		st->tsc_khz = ioctl(fd, KVM_GET_TSC_KHZ, 0);
		if (st->tsc_khz < 0)
			return -1;
	}
	if (f->regs)
		BENCH_IOCTL(fd, KVM_GET_REGS, &st->regs, ioctls);
	if (f->sregs2)
		BENCH_IOCTL(fd, KVM_GET_SREGS2, &st->sregs2, ioctls);
	else if (f->sregs)
		BENCH_IOCTL(fd, KVM_GET_SREGS, &st->sregs, ioctls);
	if (f->lapic)
		BENCH_IOCTL(fd, KVM_GET_LAPIC, &st->lapic, ioctls);
	if (f->msr_count) {
		(*ioctls)++;
		if (ioctl(fd, KVM_GET_MSRS, st->msrs) != (int)f->msr_count)
			return -1;
	}
	if (f->xsave && f->xsave_size <= sizeof(st->xsave))
		BENCH_IOCTL(fd, KVM_GET_XSAVE2, st->xsave, ioctls);
	if (f->xcrs)
		BENCH_IOCTL(fd, KVM_GET_XCRS, &st->xcrs, ioctls);
	if (f->debugregs)
		BENCH_IOCTL(fd, KVM_GET_DEBUGREGS, &st->dbg, ioctls);
	if (f->events)
		BENCH_IOCTL(fd, KVM_GET_VCPU_EVENTS, &st->events, ioctls);
#endif
	return 0;
}

/*
 * The writes of a restore, by hand, in docs/restore-order.md's order.
 * held: what a read of this vCPU just before found (a rollback read), or
 * NULL (a new vCPU); with it, as the library, the TSC frequency and
 * MCG_CAP are compared with what it holds instead of read again, and
 * written only where they differ.
 */
static inline int bench_floor_restore(int fd, const struct bench_floor *f,
				      struct bench_floor_state *st,
				      const struct bench_floor_state *held,
				      uint64_t *ioctls)
{
#if defined(__x86_64__)
	const __u64 *mcg_cap = f->mcg_cap ?
				  &st->msrs->entries[f->msr_count - 1].data :
				  NULL;

	if (f->cpuid_entries)
		BENCH_IOCTL(fd, KVM_SET_CPUID2, &st->cpuid, ioctls);
	if (f->tsc_khz) {	/* as the library: set only what differs */
		int khz = held ? held->tsc_khz : -1;

		if (!held) {
			(*ioctls)++;
			khz = ioctl(fd, KVM_GET_TSC_KHZ, 0);
			if (khz < 0)
				return -1;
		}
		if (khz != st->tsc_khz)
			BENCH_IOCTL(fd, KVM_SET_TSC_KHZ,
				    (void *)(uintptr_t)st->tsc_khz, ioctls);
	}
	if (mcg_cap && (!held ||
			held->msrs->entries[f->msr_count - 1].data != *mcg_cap))
		BENCH_IOCTL(fd, KVM_X86_SETUP_MCE, mcg_cap, ioctls);
	if (f->mp_state)
		BENCH_IOCTL(fd, KVM_SET_MP_STATE, &st->mp, ioctls);
	if (f->regs)
		BENCH_IOCTL(fd, KVM_SET_REGS, &st->regs, ioctls);
	if (f->sregs2)
		BENCH_IOCTL(fd, KVM_SET_SREGS2, &st->sregs2, ioctls);
	else if (f->sregs)
		BENCH_IOCTL(fd, KVM_SET_SREGS, &st->sregs, ioctls);
	if (f->lapic)
		BENCH_IOCTL(fd, KVM_SET_LAPIC, &st->lapic, ioctls);
	if (f->msr_count) {
		uint32_t n = (uint32_t)f->msr_count - (f->mcg_cap ? 1 : 0);

		(*ioctls)++;
		st->msrs->nmsrs = n;
		if (ioctl(fd, KVM_SET_MSRS, st->msrs) != (int)n)
			return -1;
		st->msrs->nmsrs = (uint32_t)f->msr_count;
	}
	if (f->xsave && f->xsave_size <= sizeof(st->xsave))
		BENCH_IOCTL(fd, KVM_SET_XSAVE, st->xsave, ioctls);
	if (f->xcrs)
		BENCH_IOCTL(fd, KVM_SET_XCRS, &st->xcrs, ioctls);
	if (f->debugregs)
		BENCH_IOCTL(fd, KVM_SET_DEBUGREGS, &st->dbg, ioctls);
	if (f->events)
		BENCH_IOCTL(fd, KVM_SET_VCPU_EVENTS, &st->events, ioctls);
#else
	(void)held;
#endif
	for (size_t i = 0; i < f->one_reg_count; i++) {
		struct kvm_one_reg reg = { .id = f->one_reg_ids[i],
					   .addr = (uintptr_t)st->one_reg[i] };

		BENCH_IOCTL(fd, KVM_SET_ONE_REG, &reg, ioctls);
	}
	return 0;
}

/* A read whose results are thrown away, for bench/batch_read. */
static inline int bench_floor_read_vcpu(int fd, const struct bench_floor *f,
					uint64_t *ioctls)
{
	static _Thread_local struct bench_floor_state *st;

	if (!st)
		st = bench_floor_state_new(f);
	return st ? bench_floor_save(fd, f, st, ioctls) : -1;
}

#endif /* KVMREG_BENCH_H */
