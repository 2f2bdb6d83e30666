// SPDX-License-Identifier: MIT
/*
 * The x86_64 driver, ioctl part (built on x86_64 hosts only): what the
 * kernel's KVM_GET_REG_LIST does not list (MSRs from KVM_GET_MSR_INDEX_LIST,
 * the struct state behind library-defined ids), one ioctl per group for
 * access, and the scratch vCPU's CPUID.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/kvm.h>

#include "arch/arch.h"
#include "arch/x86_64.h"
#include "internal.h"

/* The layouts the library ids describe (docs/ids.md). */
_Static_assert(sizeof(struct kvm_regs) == KVMREG_X86_NR_REGS * 8,
	       "kvm_regs is rax..rflags");
_Static_assert(offsetof(struct kvm_regs, rflags) == 17 * 8,
	       "kvm_regs order");
_Static_assert(sizeof(struct kvm_segment) == 24, "kvm_segment");
_Static_assert(sizeof(struct kvm_dtable) == 16, "kvm_dtable");
_Static_assert(offsetof(struct kvm_sregs, ldt) ==
	       offsetof(struct kvm_sregs, cs) + 7 * sizeof(struct kvm_segment),
	       "segments are contiguous");
_Static_assert(offsetof(struct kvm_sregs, idt) ==
	       offsetof(struct kvm_sregs, gdt) + sizeof(struct kvm_dtable),
	       "dtables are contiguous");
_Static_assert(offsetof(struct kvm_sregs, apic_base) ==
	       offsetof(struct kvm_sregs, cr0) + 6 * 8, "cr0..apic_base");
_Static_assert(offsetof(struct kvm_sregs2, apic_base) ==
	       offsetof(struct kvm_sregs, apic_base), "sregs2 = sregs head");
_Static_assert(sizeof(struct kvm_vcpu_events) == KVMREG_X86_EVENTS_BYTES,
	       "kvm_vcpu_events");
_Static_assert(offsetof(struct kvm_vcpu_events, interrupt) == 8 &&
	       offsetof(struct kvm_vcpu_events, nmi) == 12 &&
	       offsetof(struct kvm_vcpu_events, sipi_vector) == 16 &&
	       offsetof(struct kvm_vcpu_events, flags) == 20 &&
	       offsetof(struct kvm_vcpu_events, smi) == 24 &&
	       offsetof(struct kvm_vcpu_events, triple_fault) == 28 &&
	       offsetof(struct kvm_vcpu_events, exception_has_payload) == 55 &&
	       offsetof(struct kvm_vcpu_events, exception_payload) == 56,
	       "kvm_vcpu_events members");
_Static_assert(sizeof(struct kvm_lapic_state) ==
	       KVMREG_X86_NR_LAPIC * 16, "APIC page");

/* KVM_SET_MSRS/KVM_GET_MSRS take fewer than MAX_IO_MSRS (256) entries. */
#define MSR_BATCH 255
/* KVM_MAX_CPUID_ENTRIES on 7.2; the table is fetched in one call. */
#define CPUID_ENTRIES 256

#ifndef KVM_CAP_XSAVE2
#define KVM_CAP_XSAVE2 208
#endif

/* What the vCPU's kernel offers, learned once per handle. */
struct x86_data {
	bool sregs2;
	bool xsave2;
	size_t xsave_size;	/* 0: no KVM_GET_XSAVE */
	bool xcrs, debugregs, events, mp_state;
	uint32_t *msr_index;	/* KVM_GET_MSR_INDEX_LIST */
	size_t n_msr_index;
};

static void x86_data_free(void *p)
{
	struct x86_data *d = p;

	if (d)
		free(d->msr_index);
	free(d);
}

/* A /dev/kvm or VM fd for system ioctls: the caller's, else our own. */
static int system_fd(struct kvmreg_vcpu *vcpu, bool vm_ok, int *own)
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
	int own, fd = system_fd(vcpu, true, &own), r;

	if (fd < 0)
		return unknown;
	r = ioctl(fd, KVM_CHECK_EXTENSION, cap);
	if (own >= 0)
		close(own);
	return r < 0 ? unknown : r;
}

static int read_msr_index(struct kvmreg_vcpu *vcpu, struct x86_data *d)
{
	struct kvm_msr_list probe = { .nmsrs = 0 }, *list = NULL;
	int own, fd = system_fd(vcpu, false, &own), err = 0;

	if (fd < 0)
		return kvmreg_set_error(-errno,
					"KVM_GET_MSR_INDEX_LIST needs /dev/kvm: %s",
					strerror(errno));
	/* Two calls: the count (E2BIG), then the list; it never shrinks. */
	if (ioctl(fd, KVM_GET_MSR_INDEX_LIST, &probe) < 0 && errno != E2BIG) {
		err = kvmreg_set_error(-errno, "KVM_GET_MSR_INDEX_LIST: %s",
				       strerror(errno));
		goto out;
	}
	list = calloc(1, sizeof(*list) + (probe.nmsrs + 1) * sizeof(uint32_t));
	if (!list) {
		err = kvmreg_set_error(-ENOMEM, "out of memory");
		goto out;
	}
	list->nmsrs = probe.nmsrs;
	if (ioctl(fd, KVM_GET_MSR_INDEX_LIST, list) < 0) {
		err = kvmreg_set_error(-errno, "KVM_GET_MSR_INDEX_LIST: %s",
				       strerror(errno));
		goto out;
	}
	d->msr_index = malloc((list->nmsrs + 1) * sizeof(uint32_t));
	if (!d->msr_index) {
		err = kvmreg_set_error(-ENOMEM, "out of memory");
		goto out;
	}
	memcpy(d->msr_index, list->indices, list->nmsrs * sizeof(uint32_t));
	d->n_msr_index = list->nmsrs;
out:
	free(list);
	if (own >= 0)
		close(own);
	return err;
}

static struct x86_data *x86_data(struct kvmreg_vcpu *vcpu)
{
	struct x86_data *d = vcpu->arch_data;
	int xsave2;

	if (d)
		return d;
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
	vcpu->arch_data = d;
	vcpu->arch_data_free = x86_data_free;
	return d;
}

/* ------------------------------------------------------------------ */
/* MSRs: KVM_GET_MSRS / KVM_SET_MSRS                                   */

/*
 * Both ioctls walk the entries in order and stop at the first MSR the
 * kernel refuses, returning how many they did. So a batch that comes back
 * short is finished here: the refused entry gets -EINVAL (what
 * KVM_SET_ONE_REG says for the same refusal) and the rest is sent again.
 * Cost: one ioctl, plus one per refused MSR.
 */
static int msr_io(struct kvmreg_vcpu *vcpu, bool set, size_t n,
		  const uint32_t *index, uint64_t *values, int *errs)
{
	struct kvm_msrs *msrs;
	size_t i = 0;

	/* Not zeroed: every entry sent is filled below. */
	msrs = malloc(sizeof(*msrs) + MSR_BATCH * sizeof(struct kvm_msr_entry));
	if (!msrs)
		return kvmreg_set_error(-ENOMEM, "out of memory");
	msrs->pad = 0;
	while (i < n) {
		size_t batch = n - i < MSR_BATCH ? n - i : MSR_BATCH, done;
		int r;

		msrs->nmsrs = (uint32_t)batch;
		for (size_t k = 0; k < batch; k++) {
			msrs->entries[k].index = index[i + k];
			msrs->entries[k].reserved = 0;
			msrs->entries[k].data = set ? values[i + k] : 0;
		}
		r = kvmreg_vcpu_ioctl(vcpu, set ? KVM_SET_MSRS : KVM_GET_MSRS,
				      msrs);
		if (r < 0) {
			for (size_t k = 0; k < batch; k++)
				errs[i + k] = r;
			i += batch;
			continue;
		}
		done = (size_t)r < batch ? (size_t)r : batch;
		for (size_t k = 0; k < done; k++) {
			if (!set)
				values[i + k] = msrs->entries[k].data;
			errs[i + k] = 0;
		}
		if (done < batch) {
			errs[i + done] = -EINVAL;
			done++;
		}
		i += done;
	}
	free(msrs);
	return 0;
}

static int msrs_access(struct kvmreg_vcpu *vcpu, bool set, size_t n,
		       const uint64_t *ids, uint8_t *const *vals, int *errs)
{
	uint32_t *index = calloc(n + 1, sizeof(*index));
	uint64_t *values = calloc(n + 1, sizeof(*values));
	int err = 0;

	if (!index || !values) {
		err = kvmreg_set_error(-ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		index[i] = (uint32_t)ids[i];
		if (set)
			memcpy(&values[i], vals[i], 8);
	}
	err = msr_io(vcpu, set, n, index, values, errs);
	for (size_t i = 0; !err && !set && i < n; i++)
		if (!errs[i])
			memcpy(vals[i], &values[i], 8);
out:
	free(index);
	free(values);
	return err;
}

/* ------------------------------------------------------------------ */
/* Struct groups: one get or set ioctl on a struct the ids are parts of */

struct blob_desc {
	unsigned long get, set;
	uint32_t members;	/* the parts that together cover the struct */
	/* Part number of id in the struct and where its bytes are; a
	 * negative errno if this struct lacks it. */
	int (*locate)(const struct x86_data *d, uint64_t id, size_t *off,
		      size_t *len);
};

static int locate_regs(const struct x86_data *d, uint64_t id, size_t *off,
		       size_t *len)
{
	uint32_t index = (uint32_t)id;

	(void)d;
	*off = index * 8;
	*len = 8;
	return index < KVMREG_X86_NR_REGS ? (int)index : -ENOENT;
}

/*
 * kvm_sregs and kvm_sregs2 share their head (segments, dtables, cr0 ..
 * apic_base); the tail is interrupt_bitmap in one and flags + pdptrs in
 * the other. Parts: segments 0-7, dtables 8-9, cr0..apic_base 10-16, tail
 * 17 (bitmap) or 17-21 (flags, pdptrs).
 */
static int locate_sregs_common(uint64_t id, size_t *off, size_t *len)
{
	enum kvmreg_x86_kind kind = kvmreg_x86_lib_kind(id);
	uint32_t index = (uint32_t)id;

	if (kind == KVMREG_X86_SEGMENT && index < KVMREG_X86_NR_SEGMENTS) {
		*off = offsetof(struct kvm_sregs, cs) +
		       index * sizeof(struct kvm_segment);
		*len = sizeof(struct kvm_segment);
		return (int)index;
	}
	if (kind == KVMREG_X86_DTABLE && index < KVMREG_X86_NR_DTABLES) {
		*off = offsetof(struct kvm_sregs, gdt) +
		       index * sizeof(struct kvm_dtable);
		*len = sizeof(struct kvm_dtable);
		return 8 + (int)index;
	}
	if (kind == KVMREG_X86_SREGS && index <= KVMREG_X86_APIC_BASE) {
		*off = offsetof(struct kvm_sregs, cr0) + index * 8;
		*len = 8;
		return 10 + (int)index;
	}
	return -ENOENT;
}

static int locate_sregs(const struct x86_data *d, uint64_t id, size_t *off,
			size_t *len)
{
	int part = locate_sregs_common(id, off, len);

	(void)d;
	if (part != -ENOENT)
		return part;
	if (kvmreg_x86_lib_kind(id) != KVMREG_X86_SREGS ||
	    (uint32_t)id >= KVMREG_X86_SREGS_END)
		return -ENOENT;
	if ((uint32_t)id != KVMREG_X86_INTERRUPT_BITMAP)
		return -EOPNOTSUPP;	/* only KVM_GET_SREGS2 has it */
	*off = offsetof(struct kvm_sregs, interrupt_bitmap);
	*len = sizeof(((struct kvm_sregs *)0)->interrupt_bitmap);
	return 17;
}

static int locate_sregs2(const struct x86_data *d, uint64_t id, size_t *off,
			 size_t *len)
{
	int part = locate_sregs_common(id, off, len);
	uint32_t index = (uint32_t)id;

	(void)d;
	if (part != -ENOENT)
		return part;
	if (kvmreg_x86_lib_kind(id) != KVMREG_X86_SREGS ||
	    index >= KVMREG_X86_SREGS_END)
		return -ENOENT;
	if (index == KVMREG_X86_SREGS2_FLAGS) {
		*off = offsetof(struct kvm_sregs2, flags);
		*len = 8;
		return 17;
	}
	if (index >= KVMREG_X86_PDPTR0 && index < KVMREG_X86_PDPTR0 + 4) {
		*off = offsetof(struct kvm_sregs2, pdptrs) +
		       (index - KVMREG_X86_PDPTR0) * 8;
		*len = 8;
		return 18 + (int)(index - KVMREG_X86_PDPTR0);
	}
	return -EOPNOTSUPP;	/* interrupt_bitmap: only KVM_GET_SREGS */
}

static int locate_xsave(const struct x86_data *d, uint64_t id, size_t *off,
			size_t *len)
{
	size_t chunk = (uint32_t)id;

	*off = chunk * KVMREG_X86_CHUNK;
	*len = 0;
	if (*off >= d->xsave_size)
		return -ENOENT;
	*len = d->xsave_size - *off < KVMREG_X86_CHUNK ?
	       d->xsave_size - *off : KVMREG_X86_CHUNK;
	return (int)chunk;
}

static int locate_debugregs(const struct x86_data *d, uint64_t id,
			    size_t *off, size_t *len)
{
	uint32_t dr = (uint32_t)id;

	(void)d;
	*len = 8;
	if (dr > 7 || dr == 4 || dr == 5)
		return -ENOENT;
	if (dr <= 3) {
		*off = offsetof(struct kvm_debugregs, db) + dr * 8;
		return (int)dr;
	}
	*off = dr == 6 ? offsetof(struct kvm_debugregs, dr6) :
			 offsetof(struct kvm_debugregs, dr7);
	return dr == 6 ? 4 : 5;
}

static int locate_lapic(const struct x86_data *d, uint64_t id, size_t *off,
			size_t *len)
{
	(void)d;
	*off = (uint32_t)id * 16;
	*len = 16;
	return (uint32_t)id < KVMREG_X86_NR_LAPIC ? (int)(uint32_t)id : -ENOENT;
}

static int locate_events(const struct x86_data *d, uint64_t id, size_t *off,
			 size_t *len)
{
	uint32_t index = (uint32_t)id;

	(void)d;
	if (index >= KVMREG_X86_EV_END)
		return -ENOENT;
	*off = kvmreg_x86_events_members[index].offset;
	*len = kvmreg_x86_events_members[index].size;
	return (int)index;
}

static int locate_mp_state(const struct x86_data *d, uint64_t id, size_t *off,
			   size_t *len)
{
	(void)d;
	*off = 0;
	*len = sizeof(struct kvm_mp_state);
	return (uint32_t)id == 0 ? 0 : -ENOENT;
}

static const struct blob_desc regs_desc = {
	KVM_GET_REGS, KVM_SET_REGS, KVMREG_X86_NR_REGS, locate_regs,
};
static const struct blob_desc sregs_desc = {
	KVM_GET_SREGS, KVM_SET_SREGS, 18, locate_sregs,
};
static const struct blob_desc sregs2_desc = {
	KVM_GET_SREGS2, KVM_SET_SREGS2, 22, locate_sregs2,
};
static const struct blob_desc xsave_desc = {
	KVM_GET_XSAVE, KVM_SET_XSAVE, 0, locate_xsave,
};
static const struct blob_desc xsave2_desc = {
	KVM_GET_XSAVE2, KVM_SET_XSAVE, 0, locate_xsave,
};
static const struct blob_desc debugregs_desc = {
	KVM_GET_DEBUGREGS, KVM_SET_DEBUGREGS, 6, locate_debugregs,
};
static const struct blob_desc lapic_desc = {
	KVM_GET_LAPIC, KVM_SET_LAPIC, KVMREG_X86_NR_LAPIC, locate_lapic,
};
static const struct blob_desc events_desc = {
	KVM_GET_VCPU_EVENTS, KVM_SET_VCPU_EVENTS, KVMREG_X86_EV_END,
	locate_events,
};
static const struct blob_desc mp_state_desc = {
	KVM_GET_MP_STATE, KVM_SET_MP_STATE, 1, locate_mp_state,
};

static size_t blob_size(const struct blob_desc *desc, const struct x86_data *d)
{
	if (desc == &regs_desc)
		return sizeof(struct kvm_regs);
	if (desc == &sregs_desc)
		return sizeof(struct kvm_sregs);
	if (desc == &sregs2_desc)
		return sizeof(struct kvm_sregs2);
	if (desc == &xsave_desc || desc == &xsave2_desc)
		return d->xsave_size > sizeof(struct kvm_xsave) ?
		       d->xsave_size : sizeof(struct kvm_xsave);
	if (desc == &debugregs_desc)
		return sizeof(struct kvm_debugregs);
	if (desc == &lapic_desc)
		return sizeof(struct kvm_lapic_state);
	if (desc == &events_desc)
		return sizeof(struct kvm_vcpu_events);
	return sizeof(struct kvm_mp_state);
}

static uint32_t blob_members(const struct blob_desc *desc,
			     const struct x86_data *d)
{
	if (desc == &xsave_desc || desc == &xsave2_desc)
		return (uint32_t)((d->xsave_size + KVMREG_X86_CHUNK - 1) /
				  KVMREG_X86_CHUNK);
	return desc->members;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* The ids with pick[i] set: read them from one get ioctl. */
static int blob_get(struct kvmreg_vcpu *vcpu, const struct blob_desc *desc,
		    size_t n, const uint64_t *ids, uint8_t *const *vals,
		    int *errs, const bool *pick)
{
	const struct x86_data *d = vcpu->arch_data;
	/* Not zeroed: the get ioctl fills the whole struct, and zeroing an
	 * XSAVE area on every read costs more than the rest of the batch. */
	uint8_t *buf = malloc(blob_size(desc, d));
	int r;

	if (!buf)
		return kvmreg_set_error(-ENOMEM, "out of memory");
	r = kvmreg_vcpu_ioctl(vcpu, desc->get, buf);
	for (size_t i = 0; i < n; i++) {
		size_t off, len, size = kvmreg_id_size(ids[i]);
		int part;

		if (!pick[i])
			continue;
		part = desc->locate(d, ids[i], &off, &len);
		if (part < 0 || r < 0) {
			errs[i] = part < 0 ? part : r;
			continue;
		}
		memcpy(vals[i], buf + off, len);
		memset(vals[i] + len, 0, size - len);
		errs[i] = 0;
	}
	free(buf);
	return 0;
}

/*
 * Write the picked ids: when they cover the whole struct, one set ioctl;
 * else get, patch, set. Bytes of a value past its part of the struct
 * (segment padding, the last XSAVE chunk) must be zero: they would be lost.
 */
static int blob_set(struct kvmreg_vcpu *vcpu, const struct blob_desc *desc,
		    size_t n, const uint64_t *ids, const uint8_t *const *vals,
		    int *errs, const bool *pick)
{
	const struct x86_data *d = vcpu->arch_data;
	uint32_t members = blob_members(desc, d), covered = 0;
	uint8_t *buf = calloc(1, blob_size(desc, d));
	uint8_t *seen = calloc(members + 1, 1);
	bool *apply = calloc(n + 1, sizeof(*apply));
	int r = 0;

	if (!buf || !seen || !apply) {
		free(buf);
		free(seen);
		free(apply);
		return kvmreg_set_error(-ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		size_t off, len;
		int part;

		if (!pick[i])
			continue;
		part = desc->locate(d, ids[i], &off, &len);
		if (part < 0) {
			errs[i] = part;
			continue;
		}
		if (!all_zero(vals[i] + len, kvmreg_id_size(ids[i]) - len)) {
			errs[i] = -EINVAL;
			continue;
		}
		apply[i] = true;
		if (!seen[part]) {
			seen[part] = 1;
			covered++;
		}
	}
	if (covered < members)
		r = kvmreg_vcpu_ioctl(vcpu, desc->get, buf);
	if (r >= 0) {
		for (size_t i = 0; i < n; i++) {
			size_t off, len;

			if (apply[i] && desc->locate(d, ids[i], &off, &len) >= 0)
				memcpy(buf + off, vals[i], len);
		}
		r = kvmreg_vcpu_ioctl(vcpu, desc->set, buf);
	}
	for (size_t i = 0; i < n; i++)
		if (apply[i])
			errs[i] = r < 0 ? r : 0;
	free(buf);
	free(seen);
	free(apply);
	return 0;
}

static int blob_access(struct kvmreg_vcpu *vcpu, const struct blob_desc *desc,
		       bool set, size_t n, const uint64_t *ids,
		       uint8_t *const *vals, int *errs, const bool *pick)
{
	return set ? blob_set(vcpu, desc, n, ids, (const uint8_t *const *)vals,
			      errs, pick) :
		     blob_get(vcpu, desc, n, ids, vals, errs, pick);
}

/*
 * sregs: KVM_GET_SREGS2 where the kernel has it. interrupt_bitmap (from a
 * state saved on an older kernel) is only in KVM_GET_SREGS, so it takes a
 * second struct; on a kernel without SREGS2, flags and pdptrs are absent.
 */
static int sregs_access(struct kvmreg_vcpu *vcpu, bool set, size_t n,
			const uint64_t *ids, uint8_t *const *vals, int *errs)
{
	const struct x86_data *d = vcpu->arch_data;
	const struct blob_desc *main = d->sregs2 ? &sregs2_desc : &sregs_desc;
	bool *in_main = calloc(n + 1, sizeof(bool));
	bool *in_old = calloc(n + 1, sizeof(bool));
	bool any_main = false, any_old = false;
	int err = 0;

	if (!in_main || !in_old) {
		err = kvmreg_set_error(-ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		size_t off, len;
		int part = main->locate(d, ids[i], &off, &len);

		if (part >= 0) {
			in_main[i] = any_main = true;
		} else if (d->sregs2 &&
			   sregs_desc.locate(d, ids[i], &off, &len) >= 0) {
			in_old[i] = any_old = true;
		} else {
			errs[i] = part;
		}
	}
	if (any_main)
		err = blob_access(vcpu, main, set, n, ids, vals, errs, in_main);
	if (!err && any_old)
		err = blob_access(vcpu, &sregs_desc, set, n, ids, vals, errs,
				  in_old);
out:
	free(in_main);
	free(in_old);
	return err;
}

/* ------------------------------------------------------------------ */
/* XCRs: KVM_SET_XCRS takes any subset, so no read first               */

static int xcrs_access(struct kvmreg_vcpu *vcpu, bool set, size_t n,
		       const uint64_t *ids, uint8_t *const *vals, int *errs)
{
	struct kvm_xcrs xcrs;
	int r;

	memset(&xcrs, 0, sizeof(xcrs));
	if (!set) {
		r = kvmreg_vcpu_ioctl(vcpu, KVM_GET_XCRS, &xcrs);
		if (r < 0)
			return r;
		for (size_t i = 0; i < n; i++) {
			errs[i] = -ENOENT;
			for (uint32_t k = 0; k < xcrs.nr_xcrs && k < KVM_MAX_XCRS; k++) {
				if (xcrs.xcrs[k].xcr == (uint32_t)ids[i]) {
					memcpy(vals[i], &xcrs.xcrs[k].value, 8);
					errs[i] = 0;
				}
			}
		}
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		if (xcrs.nr_xcrs == KVM_MAX_XCRS) {
			errs[i] = -E2BIG;
			continue;
		}
		xcrs.xcrs[xcrs.nr_xcrs].xcr = (uint32_t)ids[i];
		memcpy(&xcrs.xcrs[xcrs.nr_xcrs].value, vals[i], 8);
		xcrs.nr_xcrs++;
		errs[i] = 1;	/* marks "sent" until the ioctl answers */
	}
	r = kvmreg_vcpu_ioctl(vcpu, KVM_SET_XCRS, &xcrs);
	for (size_t i = 0; i < n; i++)
		if (errs[i] == 1)
			errs[i] = r < 0 ? r : 0;
	return 0;
}

/* ------------------------------------------------------------------ */
/* CPUID: the vCPU's table as one register per (function, index)        */

/* The vCPU's CPUID table (KVM_GET_CPUID2), with room for extra entries. */
static int cpuid_table(struct kvmreg_vcpu *vcpu, size_t extra,
		       struct kvm_cpuid2 **out)
{
	size_t cap = CPUID_ENTRIES;

	for (;;) {
		/* Not zeroed: the kernel writes nent entries, and a set fills
		 * the extra ones itself. */
		struct kvm_cpuid2 *t = malloc(sizeof(*t) + (cap + extra) *
					      sizeof(struct kvm_cpuid_entry2));
		int r;

		if (!t)
			return kvmreg_set_error(-ENOMEM, "out of memory");
		memset(t, 0, sizeof(*t));
		t->nent = (uint32_t)cap;
		r = kvmreg_vcpu_ioctl(vcpu, KVM_GET_CPUID2, t);
		if (r == -E2BIG && cap < 16 * CPUID_ENTRIES) {
			free(t);
			cap *= 2;
			continue;
		}
		if (r < 0) {
			free(t);
			return r;
		}
		*out = t;
		return 0;
	}
}

/*
 * The entry of id in t. A saved list names the entries in the order
 * KVM_GET_CPUID2 returns them, so the search starts where the last one was
 * found (*hint) and a whole table costs one pass, not one pass per entry.
 */
static struct kvm_cpuid_entry2 *cpuid_find(struct kvm_cpuid2 *t, uint64_t id,
					   uint32_t *hint)
{
	uint32_t function, index;

	kvmreg_x86_cpuid_entry((uint32_t)id, &function, &index);
	for (uint32_t step = 0; step < t->nent; step++) {
		uint32_t k = (*hint + step) % t->nent;

		if (t->entries[k].function == function &&
		    t->entries[k].index == index) {
			*hint = k + 1;
			return &t->entries[k];
		}
	}
	return NULL;
}

static void cpuid_value(const struct kvm_cpuid_entry2 *e, uint8_t *val)
{
	uint32_t words[5] = { e->eax, e->ebx, e->ecx, e->edx, e->flags };

	memset(val, 0, 32);
	memcpy(val, words, sizeof(words));
}

static int cpuid_access(struct kvmreg_vcpu *vcpu, bool set, size_t n,
			const uint64_t *ids, uint8_t *const *vals, int *errs)
{
	struct kvm_cpuid2 *t = NULL;
	int r = cpuid_table(vcpu, set ? n : 0, &t);

	uint32_t hint = 0;

	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		struct kvm_cpuid_entry2 *e = cpuid_find(t, ids[i], &hint);
		uint32_t words[5];

		if (!set) {
			errs[i] = e ? 0 : -ENOENT;
			if (e)
				cpuid_value(e, vals[i]);
			continue;
		}
		if (!all_zero(vals[i] + KVMREG_X86_CPUID_USED,
			      32 - KVMREG_X86_CPUID_USED)) {
			errs[i] = -EINVAL;
			continue;
		}
		if (!e) {
			e = &t->entries[t->nent++];
			memset(e, 0, sizeof(*e));
			kvmreg_x86_cpuid_entry((uint32_t)ids[i], &e->function,
					       &e->index);
		}
		memcpy(words, vals[i], sizeof(words));
		e->eax = words[0];
		e->ebx = words[1];
		e->ecx = words[2];
		e->edx = words[3];
		e->flags = words[4];
		errs[i] = 1;	/* sent */
	}
	if (set) {
		r = kvmreg_vcpu_ioctl(vcpu, KVM_SET_CPUID2, t);
		for (size_t i = 0; i < n; i++)
			if (errs[i] == 1)
				errs[i] = r < 0 ? r : 0;
	}
	free(t);
	return 0;
}

/* ------------------------------------------------------------------ */
/* The group hooks                                                      */

static int group_access(struct kvmreg_vcpu *vcpu, uint32_t group, bool set,
			size_t n, const uint64_t *ids, uint8_t *const *vals,
			int *errs)
{
	const struct x86_data *d = x86_data(vcpu);
	const struct blob_desc *desc = NULL;
	bool *all;
	int err;

	if (!d)
		return -ENOMEM;
	switch (group) {
	case KVMREG_X86_G_MSRS:
		return msrs_access(vcpu, set, n, ids, vals, errs);
	case KVMREG_X86_G_SREGS:
		return sregs_access(vcpu, set, n, ids, vals, errs);
	case KVMREG_X86_G_XCRS:
		return xcrs_access(vcpu, set, n, ids, vals, errs);
	case KVMREG_X86_G_CPUID:
		return cpuid_access(vcpu, set, n, ids, vals, errs);
	case KVMREG_X86_G_REGS:
		desc = &regs_desc;
		break;
	case KVMREG_X86_G_XSAVE:
		if (!d->xsave_size)
			return kvmreg_set_error(-EOPNOTSUPP,
						"this kernel has no KVM_GET_XSAVE");
		desc = d->xsave2 ? &xsave2_desc : &xsave_desc;
		break;
	case KVMREG_X86_G_DEBUGREGS:
		desc = &debugregs_desc;
		break;
	case KVMREG_X86_G_LAPIC:
		desc = &lapic_desc;
		break;
	case KVMREG_X86_G_EVENTS:
		desc = &events_desc;
		break;
	case KVMREG_X86_G_MP_STATE:
		desc = &mp_state_desc;
		break;
	default:
		return kvmreg_set_error(-EINVAL, "x86_64: no ioctl group %" PRIu32,
					group);
	}
	all = malloc((n + 1) * sizeof(*all));
	if (!all)
		return kvmreg_set_error(-ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		all[i] = true;
	err = blob_access(vcpu, desc, set, n, ids, vals, errs, all);
	free(all);
	return err;
}

static int x86_group_get(struct kvmreg_vcpu *vcpu, uint32_t group, size_t n,
			 const uint64_t *ids, uint8_t *const *vals, int *errs)
{
	return group_access(vcpu, group, false, n, ids, vals, errs);
}

static int x86_group_set(struct kvmreg_vcpu *vcpu, uint32_t group, size_t n,
			 const uint64_t *ids, const uint8_t *const *vals,
			 int *errs)
{
	/* The set paths only read from vals. */
	return group_access(vcpu, group, true, n, ids, (uint8_t *const *)vals,
			    errs);
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
	.in_order = x86_group_in_order,
};

/* ------------------------------------------------------------------ */
/* Enumeration beyond KVM_GET_REG_LIST                                  */

static int push(struct kvmreg_idvec *out, struct kvmreg_idvec *sources,
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
		err = push(out, sources, kvmreg_x86_lib_id(kind, i),
			   KVMREG_SRC_LIBRARY);
	return err;
}

static int list_cpuid(struct kvmreg_vcpu *vcpu, struct kvmreg_idvec *out,
		      struct kvmreg_idvec *sources)
{
	struct kvm_cpuid2 *t = NULL;
	int err = cpuid_table(vcpu, 0, &t);

	if (err < 0)
		return kvmreg_set_error(err, "KVM_GET_CPUID2: %s",
					strerror(-err));
	for (uint32_t k = 0; !err && k < t->nent; k++) {
		const struct kvm_cpuid_entry2 *e = &t->entries[k];
		uint32_t member;

		if (kvmreg_x86_cpuid_member(e->function, e->index, &member)) {
			err = kvmreg_set_error(-ERANGE,
					       "CPUID entry 0x%08" PRIx32 ".%" PRIu32 " has no library id (docs/ids.md: function bits 16-23 must be 0, subleaf < 256)",
					       e->function, e->index);
			break;
		}
		err = push(out, sources,
			   kvmreg_x86_lib_id(KVMREG_X86_CPUID, member),
			   KVMREG_SRC_LIBRARY);
	}
	free(t);
	return err;
}

static int list_xcrs(struct kvmreg_vcpu *vcpu, struct kvmreg_idvec *out,
		     struct kvmreg_idvec *sources)
{
	struct kvm_xcrs xcrs;
	int err;

	memset(&xcrs, 0, sizeof(xcrs));
	err = kvmreg_vcpu_ioctl(vcpu, KVM_GET_XCRS, &xcrs);
	if (err < 0)
		return kvmreg_set_error(err, "KVM_GET_XCRS: %s", strerror(-err));
	for (uint32_t k = 0; !err && k < xcrs.nr_xcrs && k < KVM_MAX_XCRS; k++)
		err = push(out, sources,
			   kvmreg_x86_lib_id(KVMREG_X86_XCR, xcrs.xcrs[k].xcr),
			   KVMREG_SRC_LIBRARY);
	return err;
}

/* The MSRs of the index list this vCPU can read: one KVM_GET_MSRS of all
 * of them, plus one more per MSR it refuses (msr_io). */
static int list_msrs(struct kvmreg_vcpu *vcpu, struct x86_data *d,
		     struct kvmreg_idvec *out, struct kvmreg_idvec *sources)
{
	size_t n;
	uint64_t *values;
	int *errs, err;

	if (!d->msr_index) {
		err = read_msr_index(vcpu, d);
		if (err)
			return err;
	}
	n = d->n_msr_index;
	values = calloc(n + 1, sizeof(*values));
	errs = calloc(n + 1, sizeof(*errs));
	err = values && errs ? 0 : kvmreg_set_error(-ENOMEM, "out of memory");
	if (!err)
		err = msr_io(vcpu, false, n, d->msr_index, values, errs);
	for (size_t i = 0; !err && i < n; i++)
		if (!errs[i])
			err = push(out, sources,
				   KVMREG_X86_MSR_ID(d->msr_index[i]),
				   KVMREG_SRC_MSR_INDEX_LIST);
	free(values);
	free(errs);
	return err;
}

/* In restore order (docs/arch-x86.md), so a listing reads like a plan. */
int kvmreg_x86_64_list_extra(struct kvmreg_vcpu *vcpu,
			     struct kvmreg_idvec *out,
			     struct kvmreg_idvec *sources)
{
	struct x86_data *d = x86_data(vcpu);
	struct kvm_lapic_state *lapic;
	int err, lapic_err;

	if (!d)
		return -ENOMEM;
	err = list_cpuid(vcpu, out, sources);
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
		err = push_kind(out, sources, KVMREG_X86_REGS, 0,
				KVMREG_X86_NR_REGS);
	if (!err && d->xsave_size)
		err = push_kind(out, sources, KVMREG_X86_XSAVE, 0,
				blob_members(&xsave_desc, d));
	if (!err && d->xcrs)
		err = list_xcrs(vcpu, out, sources);
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
		err = list_msrs(vcpu, d, out, sources);
	if (!err && d->mp_state)
		err = push_kind(out, sources, KVMREG_X86_MP_STATE, 0, 1);
	if (!err && d->events)
		err = push_kind(out, sources, KVMREG_X86_EVENTS, 0,
				KVMREG_X86_EV_END);
	return err;
}

/* ------------------------------------------------------------------ */
/* Scratch VM and vCPU: what a VMM sets up                               */

/*
 * An in-kernel irqchip, as QEMU and Firecracker create: without one there
 * is no LAPIC state, MP states other than RUNNABLE are refused, and so is
 * any write to MSR_KVM_ASYNC_PF_INT. It must exist before the vCPU.
 */
int kvmreg_x86_64_vm_setup(struct kvmreg_scratch *s, unsigned int flags)
{
	struct kvm_enable_cap split = {
		.cap = KVM_CAP_SPLIT_IRQCHIP, .args = { 24 },
	};
	int err;

	(void)flags;
	if (ioctl(s->vm_fd, KVM_CREATE_IRQCHIP, 0) == 0)
		return 0;
	err = -errno;
	/* Hosts without the PIC/IOAPIC emulation can still have the LAPIC. */
	if (ioctl(s->vm_fd, KVM_ENABLE_CAP, &split) == 0)
		return 0;
	return kvmreg_set_error(err, "KVM_CREATE_IRQCHIP: %s; split irqchip: %s",
				strerror(-err), strerror(errno));
}

#define CPUID_1_ECX_X2APIC		(1u << 21)
#define CPUID_1_ECX_TSC_DEADLINE	(1u << 24)

static int supported_cpuid(int kvm_fd, struct kvm_cpuid2 **out)
{
	for (uint32_t cap = CPUID_ENTRIES; cap <= 16 * CPUID_ENTRIES; cap *= 2) {
		struct kvm_cpuid2 *t = calloc(1, sizeof(*t) + cap *
					      sizeof(struct kvm_cpuid_entry2));

		if (!t)
			return kvmreg_set_error(-ENOMEM, "out of memory");
		t->nent = cap;
		if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, t) == 0) {
			*out = t;
			return 0;
		}
		free(t);
		if (errno != E2BIG)
			return kvmreg_set_error(-errno,
						"KVM_GET_SUPPORTED_CPUID: %s",
						strerror(errno));
	}
	return kvmreg_set_error(-E2BIG, "KVM_GET_SUPPORTED_CPUID: over %d entries",
				16 * CPUID_ENTRIES);
}

int kvmreg_x86_64_vcpu_setup(struct kvmreg_scratch *s, unsigned int flags)
{
	struct kvm_lapic_state *lapic;
	struct kvm_cpuid2 *cpuid = NULL;
	bool has_lapic;
	int err;

	if (flags & (KVMREG_SCRATCH_SVE | KVMREG_SCRATCH_PMU))
		return kvmreg_set_error(-EINVAL,
					"KVMREG_SCRATCH_SVE and KVMREG_SCRATCH_PMU are arm64 flags");
	err = supported_cpuid(s->kvm_fd, &cpuid);
	if (err)
		return err;
	lapic = calloc(1, sizeof(*lapic));
	if (!lapic) {
		free(cpuid);
		return kvmreg_set_error(-ENOMEM, "out of memory");
	}
	has_lapic = kvmreg_vcpu_ioctl(s->vcpu, KVM_GET_LAPIC, lapic) == 0;
	free(lapic);
	/*
	 * As QEMU does: the TSC-deadline timer is not in the supported set
	 * but works with an in-kernel LAPIC; x2APIC is listed but needs one.
	 */
	for (uint32_t k = 0; k < cpuid->nent; k++) {
		struct kvm_cpuid_entry2 *e = &cpuid->entries[k];

		if (e->function != 1)
			continue;
		if (has_lapic &&
		    ioctl(s->kvm_fd, KVM_CHECK_EXTENSION,
			  KVM_CAP_TSC_DEADLINE_TIMER) > 0)
			e->ecx |= CPUID_1_ECX_TSC_DEADLINE;
		if (!has_lapic)
			e->ecx &= ~CPUID_1_ECX_X2APIC;
	}
	err = kvmreg_vcpu_ioctl(s->vcpu, KVM_SET_CPUID2, cpuid);
	free(cpuid);
	if (err < 0)
		return kvmreg_set_error(err, "KVM_SET_CPUID2: %s", strerror(-err));
	return 0;
}
