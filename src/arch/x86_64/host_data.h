/* SPDX-License-Identifier: MIT */
/*
 * What the x86_64 ioctl files (host*.c, x86 hosts only) share: the
 * capabilities a handle's kernel offers and the per-thread ioctl buffers
 * (host_data.c, which needs no other file of the driver), and each ioctl
 * group's entry points for the dispatch in host.c.
 */
#ifndef KVMREG_ARCH_X86_64_HOST_DATA_H
#define KVMREG_ARCH_X86_64_HOST_DATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/kvm.h>

#include "arch/arch.h"
#include "arch/x86_64/private.h"
#include "internal.h"


/* KVM_SET_MSRS/KVM_GET_MSRS take fewer than MAX_IO_MSRS (256) entries. */
#define MSR_BATCH 255
/* KVM_MAX_CPUID_ENTRIES on 7.2; the table is fetched in one call. */
#define CPUID_ENTRIES 256

#ifndef KVM_CAP_XSAVE2
#define KVM_CAP_XSAVE2 208
#endif
#ifndef KVM_CAP_GET_TSC_KHZ
#define KVM_CAP_GET_TSC_KHZ 61
#endif

/*
 * The buffers the group ioctls fill, one set per thread, not per vCPU: a
 * VMM thread that checkpoints many vCPUs finds them in its cache, where
 * buffers of each vCPU's own would be cold by the time it comes round
 * again (at 256 vCPUs that was most of the library's cost).
 */
struct x86_bufs {
	uint8_t *blob;		/* the largest struct of a group */
	size_t blob_room;
	uint8_t *seen;		/* blob_set: which parts a write covers */
	size_t seen_room;
	struct kvm_msrs *msrs;	/* MSR_BATCH entries */
	struct kvm_cpuid2 *cpuid;	/* a CPUID table */
	size_t cpuid_room;	/* entries cpuid has room for */
	/* The vCPU whose table cpuid holds, and its ioctl count right after
	 * the KVM_GET_CPUID2: cpuid is its table while nothing else was
	 * issued since. NULL: cpuid holds something else. */
	const struct kvmreg_vcpu *cpuid_of;
	uint64_t cpuid_read_at;
};

/* What the vCPU's kernel offers (learned once per process, host.c) and
 * the handle's binding to this thread's buffers. */
struct x86_data {
	bool sregs2;
	bool xsave2;
	size_t xsave_size;	/* 0: no KVM_GET_XSAVE */
	bool xcrs, debugregs, events, mp_state;
	bool tsc_khz;		/* KVM_CAP_GET_TSC_KHZ */
	bool tsc_control;	/* KVM_CAP_TSC_CONTROL: the TSC can be scaled */
	size_t nested_size;	/* KVM_CAP_NESTED_STATE: 0 none, else the most */
	uint32_t *msr_index;	/* KVM_GET_MSR_INDEX_LIST */
	size_t n_msr_index;
	bool own_msr_index;	/* the handle's, not the process's */
	/* The CPUID leaves the handle's list names (a hash of their keys,
	 * host_cpuid.c), the values the list was made with (a hash but for
	 * the bits KVM updates), and whether a table read since had others. */
	uint64_t cpuid_listed;
	uint64_t cpuid_model_listed;
	bool cpuid_listed_known;
	bool cpuid_listed_empty;	/* a vCPU still being set up */
	bool cpuid_changed;
	size_t blob_room;	/* the largest struct of a group */
	uint32_t max_members;	/* the most parts of one */
	struct x86_bufs *bufs;	/* this thread's, set on each call */
};

/* host.c: the handle's driver data, bound to this thread's buffers; NULL
 * after kvmreg_set_error() when out of memory. */
struct x86_data *kvmreg_x86_data(struct kvmreg_vcpu *vcpu);
/* host_data.c: this thread's buffers, with room for d's structs. */
int kvmreg_x86_bind_bufs(struct x86_data *d);
/* A /dev/kvm or VM fd for system ioctls: the caller's, else our own
 * (*own >= 0: close it after use). */
int kvmreg_x86_system_fd(struct kvmreg_vcpu *vcpu, bool vm_ok, int *own);
/* Appends id with its source to a listing. */
int kvmreg_x86_push(struct kvmreg_idvec *out, struct kvmreg_idvec *sources,
		    uint64_t id, enum kvmreg_source source);

/* kvmreg_x86_lib_kind(), inline: the group loops ask it per register. */
static inline enum kvmreg_x86_kind lib_kind(uint64_t id)
{
	const uint64_t fixed = 0xff0fff0000000000ULL;	/* arch, rsvd2, rsvd1 */
	unsigned int kind = (unsigned int)(id >> KVMREG_X86_KIND_SHIFT) & 0xff;

	if ((id & fixed) != (KVMREG_X86_ARCH_FIELD |
			     KVMREG_X86_LIB_MARKER << KVMREG_X86_LIB_SHIFT) ||
	    kind == 0 || kind >= KVMREG_X86_KIND_END)
		return 0;
	return (enum kvmreg_x86_kind)kind;
}

static inline int kvmreg_x86_count_failed(const int *errs, size_t n)
{
	int failed = 0;

	for (size_t i = 0; i < n; i++)
		failed += errs[i] != 0;
	return failed;
}

/*
 * Each group below: access returns how many of ids failed (errs[i] per
 * id), or a negative errno for the whole group; batch does the same for a
 * batch of a plan, with what prepare worked out when the plan was made
 * (memo: read-only, shared by threads; NULL: work it out per call).
 */

/* host_structs.c: kvm_regs, kvm_sregs(2), XSAVE, debug registers, the
 * LAPIC page, kvm_vcpu_events, kvm_mp_state. */
bool kvmreg_x86_is_struct_group(uint32_t group);
void kvmreg_x86_struct_room(struct x86_data *d);
uint32_t kvmreg_x86_xsave_chunks(const struct x86_data *d);
int kvmreg_x86_struct_access(struct kvmreg_vcpu *vcpu, struct x86_data *d,
			     uint32_t group, bool set, size_t n,
			     const uint64_t *ids, uint8_t *const *vals,
			     int *errs);
void *kvmreg_x86_struct_prepare(struct x86_data *d, uint32_t group, size_t n,
				const uint64_t *ids);
size_t kvmreg_x86_struct_image_layout(size_t n, const void *memo,
				      size_t *offsets);
int kvmreg_x86_struct_image_io(struct kvmreg_vcpu *vcpu, bool set,
			       uint8_t *image, const void *memo);
int kvmreg_x86_struct_batch(struct kvmreg_vcpu *vcpu, struct x86_data *d,
			    uint32_t group, bool set, size_t n,
			    const uint64_t *ids, uint8_t *const *vals,
			    int *errs, const void *memo);

/* host_msrs.c: KVM_GET_MSRS / KVM_SET_MSRS. */
/* KVM_GET_MSR_INDEX_LIST of /dev/kvm fd into d. */
int kvmreg_x86_read_msr_index(int fd, struct x86_data *d);
int kvmreg_x86_msr_access(struct kvmreg_vcpu *vcpu, struct x86_data *d,
			  bool set, size_t n, const uint64_t *ids,
			  uint8_t *const *vals, int *errs);
void *kvmreg_x86_msr_prepare(size_t n, const uint64_t *ids);
size_t kvmreg_x86_xcrs_image_layout(size_t n, size_t *offsets);
int kvmreg_x86_xcrs_image_io(struct kvmreg_vcpu *vcpu, bool set, size_t n,
			     const uint64_t *ids, uint8_t *image);
size_t kvmreg_x86_msr_image_layout(size_t n, const void *memo,
				   size_t *offsets);
int kvmreg_x86_msr_image_get(struct kvmreg_vcpu *vcpu, size_t n,
			     uint8_t *image, const void *memo);
int kvmreg_x86_msr_image_set(struct kvmreg_vcpu *vcpu, struct x86_data *d,
			     size_t n, const uint8_t *image, const void *memo);
int kvmreg_x86_msr_batch(struct kvmreg_vcpu *vcpu, struct x86_data *d,
			 bool set, size_t n, const uint64_t *ids,
			 uint8_t *const *vals, int *errs, const void *memo);
int kvmreg_x86_list_msrs(struct kvmreg_vcpu *vcpu, struct x86_data *d,
			 struct kvmreg_idvec *out,
			 struct kvmreg_idvec *sources);
/* IA32_MCG_CAP: read with KVM_GET_MSRS, written with KVM_X86_SETUP_MCE
 * unless equal; _setup: the write into a vCPU made for the state. */
int kvmreg_x86_mcg_cap_access(struct kvmreg_vcpu *vcpu, struct x86_data *d,
			      bool set, size_t n, const uint64_t *ids,
			      uint8_t *const *vals, int *errs);
int kvmreg_x86_mcg_cap_setup(struct kvmreg_vcpu *vcpu, size_t n,
			     const uint64_t *ids, const uint8_t *const *vals,
			     int *errs);

/* host_xcrs.c: KVM_GET_XCRS / KVM_SET_XCRS. */
int kvmreg_x86_xcrs_access(struct kvmreg_vcpu *vcpu, bool set, size_t n,
			   const uint64_t *ids, uint8_t *const *vals,
			   int *errs);
int kvmreg_x86_list_xcrs(struct kvmreg_vcpu *vcpu, struct kvmreg_idvec *out,
			 struct kvmreg_idvec *sources);

/* host_cpuid.c: the vCPU's CPUID table. */
int kvmreg_x86_cpuid_access(struct kvmreg_vcpu *vcpu, struct x86_data *d,
			    bool set, size_t n, const uint64_t *ids,
			    uint8_t *const *vals, int *errs);
void *kvmreg_x86_cpuid_prepare(size_t n, const uint64_t *ids);
int kvmreg_x86_cpuid_batch(struct kvmreg_vcpu *vcpu, struct x86_data *d,
			   enum kvmreg_batch_mode mode, size_t n,
			   const uint64_t *ids, uint8_t *const *vals,
			   int *errs, const void *memo);
int kvmreg_x86_list_cpuid(struct kvmreg_vcpu *vcpu, struct x86_data *d,
			  struct kvmreg_idvec *out,
			  struct kvmreg_idvec *sources);
bool kvmreg_x86_listed_cpuid_bit(const struct kvmreg_vcpu *vcpu,
				 const struct x86_data *d, uint32_t function,
				 uint32_t index, unsigned int reg,
				 unsigned int bit);

/* host_tsc.c: KVM_GET_TSC_KHZ / KVM_SET_TSC_KHZ. */
int kvmreg_x86_tsc_khz_access(struct kvmreg_vcpu *vcpu, struct x86_data *d,
			      bool set, size_t n, const uint64_t *ids,
			      uint8_t *const *vals, int *errs);
int kvmreg_x86_list_tsc_khz(struct kvmreg_vcpu *vcpu, struct x86_data *d,
			    struct kvmreg_idvec *out,
			    struct kvmreg_idvec *sources);

/* host_nested.c: KVM_GET_NESTED_STATE / KVM_SET_NESTED_STATE. */
int kvmreg_x86_nested_access(struct kvmreg_vcpu *vcpu, struct x86_data *d,
			     bool set, size_t n, const uint64_t *ids,
			     uint8_t *const *vals, int *errs);
int kvmreg_x86_list_nested(struct kvmreg_vcpu *vcpu, struct x86_data *d,
			   struct kvmreg_idvec *out,
			   struct kvmreg_idvec *sources);

#endif /* KVMREG_ARCH_X86_64_HOST_DATA_H */
