// SPDX-License-Identifier: MIT
/*
 * The x86_64 driver, ioctl part (built on x86_64 hosts only): what a
 * handle's kernel offers, the group hooks
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

#include "arch/x86_64/host_data.h"

/*
 * What the kernel offers is the module's: the capabilities, the XSAVE size
 * (from the process's guest permission, fixed once it made a vCPU, as any
 * handle's vCPU shows) and KVM_GET_MSR_INDEX_LIST. Learned once per
 * process on a /dev/kvm fd the library keeps open, which keeps the module
 * -- and so these facts -- from changing under it. Without such an fd,
 * each handle learns them itself. Handles take a copy; msr_index is the
 * process's then (own_msr_index false).
 */
static pthread_mutex_t host_lock = PTHREAD_MUTEX_INITIALIZER;
static struct x86_data host_facts;
static bool host_facts_known;

static void x86_data_free(void *p)
{
	struct x86_data *d = p;

	if (d && d->own_msr_index)
		free(d->msr_index);
	free(d);
}

/* KVM_CHECK_EXTENSION; unknown where no fd answers. */
static int check_extension(int fd, long cap, int unknown)
{
	int r;

	if (fd < 0)
		return unknown;
	r = ioctl(fd, KVM_CHECK_EXTENSION, cap);
	return r < 0 ? unknown : r;
}

/* Where no fd can answer, assume the oldest kernels' set. */
static void learn_capabilities(struct x86_data *d, int fd)
{
	int xsave2 = check_extension(fd, KVM_CAP_XSAVE2, 0), nested;

	d->sregs2 = check_extension(fd, KVM_CAP_SREGS2, 0) > 0;
	d->xsave2 = xsave2 > 0;
	d->xsave_size = xsave2 > 0 ? (size_t)xsave2 :
			check_extension(fd, KVM_CAP_XSAVE, 1) > 0 ?
			sizeof(struct kvm_xsave) : 0;
	d->xcrs = check_extension(fd, KVM_CAP_XCRS, 1) > 0;
	d->debugregs = check_extension(fd, KVM_CAP_DEBUGREGS, 1) > 0;
	d->events = check_extension(fd, KVM_CAP_VCPU_EVENTS, 1) > 0;
	d->mp_state = check_extension(fd, KVM_CAP_MP_STATE, 1) > 0;
	d->tsc_khz = check_extension(fd, KVM_CAP_GET_TSC_KHZ, 0) > 0;
	d->tsc_control = check_extension(fd, KVM_CAP_TSC_CONTROL, 0) > 0;
	nested = check_extension(fd, KVM_CAP_NESTED_STATE, 0);
	/* sizeof(struct kvm_nested_state) is the header: less is no state */
	d->nested_size = nested >= (int)sizeof(struct kvm_nested_state) &&
			 nested <= (int)(KVMREG_X86_MAX_NESTED_CHUNKS *
					 KVMREG_X86_CHUNK) ? (size_t)nested : 0;
	kvmreg_x86_struct_room(d);
}

/* The process's facts, learned on the first call that can; false if no
 * /dev/kvm fd could be kept. */
static bool learn_host_facts(struct kvmreg_vcpu *vcpu)
{
	int fd;

	pthread_mutex_lock(&host_lock);
	if (!host_facts_known) {
		fd = vcpu->kvm_fd >= 0 ?
		     fcntl(vcpu->kvm_fd, F_DUPFD_CLOEXEC, 0) :
		     open("/dev/kvm", O_RDWR | O_CLOEXEC);
		if (fd >= 0) {
			learn_capabilities(&host_facts, fd);
			if (kvmreg_x86_read_msr_index(fd, &host_facts) == 0)
				host_facts_known = true;
			else
				close(fd);
		}
		/* fd stays open on success: it pins the module */
	}
	pthread_mutex_unlock(&host_lock);
	return host_facts_known;
}

/* The handle's driver data, bound to this thread's buffers. */
struct x86_data *kvmreg_x86_data(struct kvmreg_vcpu *vcpu)
{
	struct x86_data *d = vcpu->arch_data;
	int own, fd;

	if (d)
		return kvmreg_x86_bind_bufs(d) ? NULL : d;
	d = calloc(1, sizeof(*d));
	if (!d) {
		kvmreg_set_error(-ENOMEM, "out of memory");
		return NULL;
	}
	if (learn_host_facts(vcpu)) {
		*d = host_facts;
		d->own_msr_index = false;
	} else {
		fd = kvmreg_x86_system_fd(vcpu, true, &own);
		learn_capabilities(d, fd);
		if (own >= 0)
			close(own);
		d->own_msr_index = true;	/* read at its first listing */
	}
	d->bufs = NULL;
	vcpu->arch_data = d;
	vcpu->arch_data_free = x86_data_free;
	return kvmreg_x86_bind_bufs(d) ? NULL : d;
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

/* What a plan's batch can work out once: the parts of a struct, CPUID
 * keys, an MSR list. */
static void *x86_group_prepare(struct kvmreg_vcpu *vcpu, uint32_t group,
			       size_t n, const uint64_t *ids)
{
	struct x86_data *d = kvmreg_x86_data(vcpu);

	if (!d)
		return NULL;
	if (kvmreg_x86_is_struct_group(group))
		return kvmreg_x86_struct_prepare(d, group, n, ids);
	if (group == KVMREG_X86_G_MSRS)
		return kvmreg_x86_msr_prepare(n, ids);
	if (group == KVMREG_X86_G_CPUID)
		return kvmreg_x86_cpuid_prepare(n, ids);
	return NULL;
}

/* A restore's CPUID write can do without set()'s read (host_cpuid.c). */
static int x86_group_batch(struct kvmreg_vcpu *vcpu, uint32_t group,
			   enum kvmreg_batch_mode mode, size_t n,
			   const uint64_t *ids, uint8_t *const *vals,
			   int *errs, const void *memo)
{
	struct x86_data *d = kvmreg_x86_data(vcpu);
	bool set = mode != KVMREG_BATCH_GET;

	if (!d)
		return -ENOMEM;
	if (kvmreg_x86_is_struct_group(group))
		return kvmreg_x86_struct_batch(vcpu, d, group, set, n, ids, vals,
					       errs, memo);
	if (group == KVMREG_X86_G_MSRS)
		return kvmreg_x86_msr_batch(vcpu, d, set, n, ids, vals, errs,
					    memo);
	if (group == KVMREG_X86_G_CPUID)
		return kvmreg_x86_cpuid_batch(vcpu, d, mode, n, ids, vals, errs,
					      memo);
	if (group == KVMREG_X86_G_MCG_CAP && mode == KVMREG_BATCH_RESTORE_FRESH)
		return kvmreg_x86_mcg_cap_setup(vcpu, n, ids,
						(const uint8_t *const *)vals,
						errs);
	return group_access(vcpu, group, set, n, ids, vals, errs);
}

/* A save reads the structs, the MSRs' kvm_msrs and the kvm_xcrs straight
 * into the state. */
static size_t x86_image_layout(uint32_t group, size_t n, const void *memo,
			       size_t *offsets)
{
	if (kvmreg_x86_is_struct_group(group))
		return kvmreg_x86_struct_image_layout(n, memo, offsets);
	if (group == KVMREG_X86_G_MSRS)
		return kvmreg_x86_msr_image_layout(n, memo, offsets);
	if (group == KVMREG_X86_G_XCRS)
		return kvmreg_x86_xcrs_image_layout(n, offsets);
	return 0;
}

static int x86_image_io(struct kvmreg_vcpu *vcpu, uint32_t group,
			enum kvmreg_batch_mode mode, size_t n,
			const uint64_t *ids, uint8_t *image, const void *memo)
{
	bool set = mode != KVMREG_BATCH_GET;
	struct x86_data *d;

	if (kvmreg_x86_is_struct_group(group))
		return kvmreg_x86_struct_image_io(vcpu, set, image, memo);
	if (group == KVMREG_X86_G_XCRS)
		return kvmreg_x86_xcrs_image_io(vcpu, set, n, ids, image);
	if (group != KVMREG_X86_G_MSRS)
		return 1;
	if (!set)
		return kvmreg_x86_msr_image_get(vcpu, n, image, memo);
	/* the write is sent from the thread's MSR buffer */
	d = kvmreg_x86_data(vcpu);
	return d ? kvmreg_x86_msr_image_set(vcpu, d, n, image, memo) : 1;
}

/* KVM_SET_MSRS writes its entries one after another, in the order given. */
static int x86_group_in_order(uint32_t group)
{
	return group == KVMREG_X86_G_MSRS;
}

/* MCG_CAP is written by KVM_X86_SETUP_MCE (its own group) but reads like
 * any MSR: a read takes it in the one KVM_GET_MSRS. */
static uint32_t x86_read_group_of(uint64_t id)
{
	uint32_t group = kvmreg_x86_group_of(id);

	return group == KVMREG_X86_G_MCG_CAP ? KVMREG_X86_G_MSRS : group;
}

/* KVM_SET_TSC_KHZ and KVM_X86_SETUP_MCE go only where the value differs
 * (host_tsc.c, host_msrs.c). */
static int x86_group_writes_only_changes(uint32_t group)
{
	return group == KVMREG_X86_G_TSC_KHZ || group == KVMREG_X86_G_MCG_CAP;
}

const struct kvmreg_group_ops kvmreg_x86_64_groups = {
	.group_of = kvmreg_x86_group_of,
	.read_group_of = x86_read_group_of,
	.get = x86_group_get,
	.set = x86_group_set,
	.prepare = x86_group_prepare,
	.batch = x86_group_batch,
	.image_layout = x86_image_layout,
	.image_io = x86_image_io,
	.in_order = x86_group_in_order,
	.writes_only_changes = x86_group_writes_only_changes,
};

/* ------------------------------------------------------------------ */
/* Enumeration beyond KVM_GET_REG_LIST                                  */

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
