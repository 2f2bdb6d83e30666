// SPDX-License-Identifier: MIT
/*
 * The x86_64 driver, ioctl part (built on x86_64 hosts only): what a
 * handle's kernel offers, the per-thread ioctl buffers, the group hooks
 * that send each ioctl group to its file (host_structs.c, host_msrs.c,
 * host_xcrs.c, host_cpuid.c), and the listing of what KVM_GET_REG_LIST
 * does not carry. The scratch VM setup is in host_scratch.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "arch/x86_64/host.h"

static void x86_data_free(void *p)
{
	struct x86_data *d = p;

	if (d)
		free(d->msr_index);
	free(d);
}

static pthread_key_t bufs_key;
static pthread_once_t bufs_key_once = PTHREAD_ONCE_INIT;
static bool bufs_key_made;
static _Thread_local struct x86_bufs *thread_bufs;

static void bufs_free(void *p)
{
	struct x86_bufs *b = p;

	if (b) {
		free(b->blob);
		free(b->seen);
		free(b->msrs);
		free(b->cpuid);
	}
	free(b);
}

static void bufs_key_make(void)
{
	bufs_key_made = pthread_key_create(&bufs_key, bufs_free) == 0;
}

/* This thread's buffers, with room for d's structs. */
static int bind_bufs(struct x86_data *d)
{
	struct x86_bufs *b = thread_bufs;
	void *p;

	if (!b) {
		b = calloc(1, sizeof(*b));
		if (b)
			b->msrs = malloc(sizeof(*b->msrs) +
					 MSR_BATCH * sizeof(struct kvm_msr_entry));
		if (!b || !b->msrs) {
			free(b);
			return kvmreg_set_error(-ENOMEM, "out of memory");
		}
		/* Freed when the thread ends. */
		pthread_once(&bufs_key_once, bufs_key_make);
		if (bufs_key_made)
			pthread_setspecific(bufs_key, b);
		thread_bufs = b;
	}
	if (b->blob_room < d->blob_room) {
		p = realloc(b->blob, d->blob_room);
		if (!p)
			return kvmreg_set_error(-ENOMEM, "out of memory");
		b->blob = p;
		b->blob_room = d->blob_room;
	}
	if (b->seen_room < d->max_members + 1) {
		p = realloc(b->seen, d->max_members + 1);
		if (!p)
			return kvmreg_set_error(-ENOMEM, "out of memory");
		b->seen = p;
		b->seen_room = d->max_members + 1;
	}
	d->bufs = b;
	return 0;
}

/* A /dev/kvm or VM fd for system ioctls: the caller's, else our own. */
int kvmreg_x86_system_fd(struct kvmreg_vcpu *vcpu, bool vm_ok, int *own)
{
	*own = -1;
	if (vm_ok && vcpu->vm_fd >= 0)
		return vcpu->vm_fd;
	if (vcpu->kvm_fd >= 0)
		return vcpu->kvm_fd;
	*own = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	return *own;
}

/* KVM_CHECK_EXTENSION, on the VM where it can differ per VM (XSAVE2). */
static int check_extension(struct kvmreg_vcpu *vcpu, long cap, int unknown)
{
	int own, fd = kvmreg_x86_system_fd(vcpu, true, &own), r;

	if (fd < 0)
		return unknown;
	r = ioctl(fd, KVM_CHECK_EXTENSION, cap);
	if (own >= 0)
		close(own);
	return r < 0 ? unknown : r;
}

/* The handle's driver data, bound to this thread's buffers. */
struct x86_data *kvmreg_x86_data(struct kvmreg_vcpu *vcpu)
{
	struct x86_data *d = vcpu->arch_data;
	int xsave2, nested;

	if (d)
		return bind_bufs(d) ? NULL : d;
	d = calloc(1, sizeof(*d));
	if (!d) {
		kvmreg_set_error(-ENOMEM, "out of memory");
		return NULL;
	}
	/* Where no fd can answer, assume the oldest kernels' set. */
	d->sregs2 = check_extension(vcpu, KVM_CAP_SREGS2, 0) > 0;
	xsave2 = check_extension(vcpu, KVM_CAP_XSAVE2, 0);
	d->xsave2 = xsave2 > 0;
	d->xsave_size = xsave2 > 0 ? (size_t)xsave2 :
			check_extension(vcpu, KVM_CAP_XSAVE, 1) > 0 ?
			sizeof(struct kvm_xsave) : 0;
	d->xcrs = check_extension(vcpu, KVM_CAP_XCRS, 1) > 0;
	d->debugregs = check_extension(vcpu, KVM_CAP_DEBUGREGS, 1) > 0;
	d->events = check_extension(vcpu, KVM_CAP_VCPU_EVENTS, 1) > 0;
	d->mp_state = check_extension(vcpu, KVM_CAP_MP_STATE, 1) > 0;
	d->tsc_khz = check_extension(vcpu, KVM_CAP_GET_TSC_KHZ, 0) > 0;
	d->tsc_control = check_extension(vcpu, KVM_CAP_TSC_CONTROL, 0) > 0;
	nested = check_extension(vcpu, KVM_CAP_NESTED_STATE, 0);
	/* sizeof(struct kvm_nested_state) is the header: less is no state */
	d->nested_size = nested >= (int)sizeof(struct kvm_nested_state) &&
			 nested <= (int)(KVMREG_X86_MAX_NESTED_CHUNKS *
					 KVMREG_X86_CHUNK) ? (size_t)nested : 0;
	kvmreg_x86_struct_room(d);
	vcpu->arch_data = d;
	vcpu->arch_data_free = x86_data_free;
	return bind_bufs(d) ? NULL : d;
}

/* ------------------------------------------------------------------ */
/* The group hooks                                                      */

/* How many of ids failed, or a negative errno for the whole group. */
static int group_access(struct kvmreg_vcpu *vcpu, uint32_t group, bool set,
			size_t n, const uint64_t *ids, uint8_t *const *vals,
			int *errs)
{
	struct x86_data *d = kvmreg_x86_data(vcpu);

	if (!d)
		return -ENOMEM;
	if (kvmreg_x86_is_struct_group(group))
		return kvmreg_x86_struct_access(vcpu, d, group, set, n, ids,
						vals, errs);
	switch (group) {
	case KVMREG_X86_G_MSRS:
		return kvmreg_x86_msr_access(vcpu, d, set, n, ids, vals, errs);
	case KVMREG_X86_G_XCRS:
		return kvmreg_x86_xcrs_access(vcpu, set, n, ids, vals, errs);
	case KVMREG_X86_G_CPUID:
		return kvmreg_x86_cpuid_access(vcpu, d, set, n, ids, vals,
					       errs);
	case KVMREG_X86_G_MCG_CAP:
		return kvmreg_x86_mcg_cap_access(vcpu, d, set, n, ids, vals,
						 errs);
	case KVMREG_X86_G_TSC_KHZ:
		return kvmreg_x86_tsc_khz_access(vcpu, d, set, n, ids, vals,
						 errs);
	case KVMREG_X86_G_NESTED:
		return kvmreg_x86_nested_access(vcpu, d, set, n, ids, vals,
						errs);
	default:
		return kvmreg_set_error(-EINVAL, "x86_64: no ioctl group %" PRIu32,
					group);
	}
}

static int x86_group_get(struct kvmreg_vcpu *vcpu, uint32_t group, size_t n,
			 const uint64_t *ids, uint8_t *const *vals, int *errs)
{
	int r = group_access(vcpu, group, false, n, ids, vals, errs);

	return r < 0 ? r : 0;
}

static int x86_group_set(struct kvmreg_vcpu *vcpu, uint32_t group, size_t n,
			 const uint64_t *ids, const uint8_t *const *vals,
			 int *errs)
{
	/* The set paths only read from vals. */
	int r = group_access(vcpu, group, true, n, ids, (uint8_t *const *)vals,
			     errs);

	return r < 0 ? r : 0;
}

/* A batch keeps in *memo what its registers need worked out: the parts of
 * a struct, CPUID keys, an MSR list. A restore's CPUID write can do without
 * set()'s read (host_cpuid.c). */
static int x86_group_batch(struct kvmreg_vcpu *vcpu, uint32_t group,
			   enum kvmreg_batch_mode mode, size_t n,
			   const uint64_t *ids, uint8_t *const *vals,
			   int same_vals, int *errs, void **memo)
{
	struct x86_data *d = kvmreg_x86_data(vcpu);
	bool set = mode != KVMREG_BATCH_GET;

	if (!d)
		return -ENOMEM;
	if (kvmreg_x86_is_struct_group(group))
		return kvmreg_x86_struct_batch(vcpu, d, group, set, n, ids, vals,
					       same_vals, errs, memo);
	if (group == KVMREG_X86_G_MSRS)
		return kvmreg_x86_msr_batch(vcpu, d, set, n, ids, vals, errs,
					    memo);
	if (group == KVMREG_X86_G_CPUID)
		return kvmreg_x86_cpuid_batch(vcpu, d, mode, n, ids, vals, errs,
					      memo);
	return group_access(vcpu, group, set, n, ids, vals, errs);
}

/* KVM_SET_MSRS writes its entries one after another, in the order given. */
static int x86_group_in_order(uint32_t group)
{
	return group == KVMREG_X86_G_MSRS;
}

const struct kvmreg_group_ops kvmreg_x86_64_groups = {
	.group_of = kvmreg_x86_group_of,
	.get = x86_group_get,
	.set = x86_group_set,
	.batch = x86_group_batch,
	.in_order = x86_group_in_order,
};

/* ------------------------------------------------------------------ */
/* Enumeration beyond KVM_GET_REG_LIST                                  */

int kvmreg_x86_push(struct kvmreg_idvec *out, struct kvmreg_idvec *sources,
		    uint64_t id, enum kvmreg_source source)
{
	int err = kvmreg_idvec_push(out, id);

	return err ? err : kvmreg_idvec_push(sources, source);
}

static int push_kind(struct kvmreg_idvec *out, struct kvmreg_idvec *sources,
		     enum kvmreg_x86_kind kind, uint32_t first, uint32_t end)
{
	int err = 0;

	for (uint32_t i = first; !err && i < end; i++)
		err = kvmreg_x86_push(out, sources, kvmreg_x86_lib_id(kind, i),
			   KVMREG_SRC_LIBRARY);
	return err;
}

/* In restore order (docs/arch-x86.md), so a listing reads like a plan. */
int kvmreg_x86_64_list_extra(struct kvmreg_vcpu *vcpu,
			     struct kvmreg_idvec *out,
			     struct kvmreg_idvec *sources)
{
	struct x86_data *d = kvmreg_x86_data(vcpu);
	struct kvm_lapic_state *lapic;
	int err, lapic_err;

	if (!d)
		return -ENOMEM;
	err = kvmreg_x86_list_cpuid(vcpu, d, out, sources);
	if (!err)
		err = kvmreg_x86_list_tsc_khz(vcpu, d, out, sources);
	if (!err)
		err = push_kind(out, sources, KVMREG_X86_SEGMENT, 0,
				KVMREG_X86_NR_SEGMENTS);
	if (!err)
		err = push_kind(out, sources, KVMREG_X86_DTABLE, 0,
				KVMREG_X86_NR_DTABLES);
	if (!err)
		err = push_kind(out, sources, KVMREG_X86_SREGS, KVMREG_X86_CR0,
				KVMREG_X86_APIC_BASE + 1);
	if (!err && d->sregs2)
		err = push_kind(out, sources, KVMREG_X86_SREGS,
				KVMREG_X86_SREGS2_FLAGS, KVMREG_X86_SREGS_END);
	else if (!err)
		err = push_kind(out, sources, KVMREG_X86_SREGS,
				KVMREG_X86_INTERRUPT_BITMAP,
				KVMREG_X86_INTERRUPT_BITMAP + 1);
	if (!err)
		err = kvmreg_x86_list_nested(vcpu, d, out, sources);
	if (!err)
		err = push_kind(out, sources, KVMREG_X86_REGS, 0,
				KVMREG_X86_NR_REGS);
	if (!err && d->xsave_size)
		err = push_kind(out, sources, KVMREG_X86_XSAVE, 0,
				kvmreg_x86_xsave_chunks(d));
	if (!err && d->xcrs)
		err = kvmreg_x86_list_xcrs(vcpu, out, sources);
	if (!err && d->debugregs) {
		err = push_kind(out, sources, KVMREG_X86_DEBUGREG, 0, 4);
		if (!err)
			err = push_kind(out, sources, KVMREG_X86_DEBUGREG, 6, 8);
	}
	if (err)
		return err;
	/* Only a VM with an in-kernel irqchip has a LAPIC: KVM_GET_LAPIC
	 * says EINVAL otherwise. */
	lapic = calloc(1, sizeof(*lapic));
	if (!lapic)
		return kvmreg_set_error(-ENOMEM, "out of memory");
	lapic_err = kvmreg_vcpu_ioctl(vcpu, KVM_GET_LAPIC, lapic);
	free(lapic);
	if (lapic_err == 0)
		err = push_kind(out, sources, KVMREG_X86_LAPIC, 0,
				KVMREG_X86_NR_LAPIC);
	else if (lapic_err != -EINVAL)
		return kvmreg_set_error(lapic_err, "KVM_GET_LAPIC: %s",
					strerror(-lapic_err));
	if (!err)
		err = kvmreg_x86_list_msrs(vcpu, d, out, sources);
	if (!err && d->mp_state)
		err = push_kind(out, sources, KVMREG_X86_MP_STATE, 0, 1);
	if (!err && d->events)
		err = push_kind(out, sources, KVMREG_X86_EVENTS, 0,
				KVMREG_X86_EV_END);
	return err;
}
