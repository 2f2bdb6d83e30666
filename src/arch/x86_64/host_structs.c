// SPDX-License-Identifier: MIT
/*
 * x86_64 struct groups (x86 hosts only): the registers that are parts of
 * one struct behind one get and one set ioctl -- kvm_regs, kvm_sregs(2),
 * the XSAVE area, kvm_debugregs, the LAPIC page, kvm_vcpu_events,
 * kvm_mp_state. Where each id's bytes are in its struct, how a write of
 * some parts keeps the rest, and the per-batch memo of all that.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86_64/host_data.h"

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

/* ------------------------------------------------------------------ */
/* Struct groups: one get or set ioctl on a struct the ids are parts of */

enum blob {
	BLOB_REGS,
	BLOB_SREGS,
	BLOB_SREGS2,
	BLOB_XSAVE,
	BLOB_XSAVE2,
	BLOB_DEBUGREGS,
	BLOB_LAPIC,
	BLOB_EVENTS,
	BLOB_MP_STATE,
	BLOB_COUNT
};

static const struct blob_desc {
	unsigned long get, set;
	uint32_t members;	/* the parts that together cover the struct */
	size_t size;
} blobs[BLOB_COUNT] = {
	[BLOB_REGS] = { KVM_GET_REGS, KVM_SET_REGS, KVMREG_X86_NR_REGS,
			sizeof(struct kvm_regs) },
	[BLOB_SREGS] = { KVM_GET_SREGS, KVM_SET_SREGS, 18,
			 sizeof(struct kvm_sregs) },
	[BLOB_SREGS2] = { KVM_GET_SREGS2, KVM_SET_SREGS2, 22,
			  sizeof(struct kvm_sregs2) },
	/* XSAVE: members and size are the kernel's (blob_members/size) */
	[BLOB_XSAVE] = { KVM_GET_XSAVE, KVM_SET_XSAVE, 0, 0 },
	[BLOB_XSAVE2] = { KVM_GET_XSAVE2, KVM_SET_XSAVE, 0, 0 },
	[BLOB_DEBUGREGS] = { KVM_GET_DEBUGREGS, KVM_SET_DEBUGREGS, 6,
			     sizeof(struct kvm_debugregs) },
	[BLOB_LAPIC] = { KVM_GET_LAPIC, KVM_SET_LAPIC, KVMREG_X86_NR_LAPIC,
			 sizeof(struct kvm_lapic_state) },
	[BLOB_EVENTS] = { KVM_GET_VCPU_EVENTS, KVM_SET_VCPU_EVENTS,
			  KVMREG_X86_EV_END, sizeof(struct kvm_vcpu_events) },
	[BLOB_MP_STATE] = { KVM_GET_MP_STATE, KVM_SET_MP_STATE, 1,
			    sizeof(struct kvm_mp_state) },
};

static size_t blob_size(enum blob b, const struct x86_data *d)
{
	if (b == BLOB_XSAVE || b == BLOB_XSAVE2)
		return d->xsave_size > sizeof(struct kvm_xsave) ?
		       d->xsave_size : sizeof(struct kvm_xsave);
	return blobs[b].size;
}

static uint32_t blob_members(enum blob b, const struct x86_data *d)
{
	if (b == BLOB_XSAVE || b == BLOB_XSAVE2)
		return (uint32_t)((d->xsave_size + KVMREG_X86_CHUNK - 1) /
				  KVMREG_X86_CHUNK);
	return blobs[b].members;
}

static int locate_regs(uint64_t id, size_t *off, size_t *len)
{
	uint32_t index = (uint32_t)id;

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
	enum kvmreg_x86_kind kind = lib_kind(id);
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

static int locate_sregs(uint64_t id, size_t *off, size_t *len)
{
	int part = locate_sregs_common(id, off, len);

	if (part != -ENOENT)
		return part;
	if (lib_kind(id) != KVMREG_X86_SREGS ||
	    (uint32_t)id >= KVMREG_X86_SREGS_END)
		return -ENOENT;
	if ((uint32_t)id != KVMREG_X86_INTERRUPT_BITMAP)
		return -EOPNOTSUPP;	/* only KVM_GET_SREGS2 has it */
	*off = offsetof(struct kvm_sregs, interrupt_bitmap);
	*len = sizeof(((struct kvm_sregs *)0)->interrupt_bitmap);
	return 17;
}

static int locate_sregs2(uint64_t id, size_t *off, size_t *len)
{
	int part = locate_sregs_common(id, off, len);
	uint32_t index = (uint32_t)id;

	if (part != -ENOENT)
		return part;
	if (lib_kind(id) != KVMREG_X86_SREGS || index >= KVMREG_X86_SREGS_END)
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

static int locate_debugregs(uint64_t id, size_t *off, size_t *len)
{
	uint32_t dr = (uint32_t)id;

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

static int locate_lapic(uint64_t id, size_t *off, size_t *len)
{
	*off = (uint32_t)id * 16;
	*len = 16;
	return (uint32_t)id < KVMREG_X86_NR_LAPIC ? (int)(uint32_t)id : -ENOENT;
}

static int locate_events(uint64_t id, size_t *off, size_t *len)
{
	uint32_t index = (uint32_t)id;

	if (index >= KVMREG_X86_EV_END)
		return -ENOENT;
	*off = kvmreg_x86_events_members[index].offset;
	*len = kvmreg_x86_events_members[index].size;
	return (int)index;
}

static int locate_mp_state(uint64_t id, size_t *off, size_t *len)
{
	*off = 0;
	*len = sizeof(struct kvm_mp_state);
	return (uint32_t)id == 0 ? 0 : -ENOENT;
}

/* Part number of id in struct b and where its bytes are; a negative errno
 * if b lacks it. */
static inline int locate(const struct x86_data *d, enum blob b, uint64_t id,
			 size_t *off, size_t *len)
{
	switch (b) {
	case BLOB_REGS:
		return locate_regs(id, off, len);
	case BLOB_SREGS:
		return locate_sregs(id, off, len);
	case BLOB_SREGS2:
		return locate_sregs2(id, off, len);
	case BLOB_XSAVE:
	case BLOB_XSAVE2:
		return locate_xsave(d, id, off, len);
	case BLOB_DEBUGREGS:
		return locate_debugregs(id, off, len);
	case BLOB_LAPIC:
		return locate_lapic(id, off, len);
	case BLOB_EVENTS:
		return locate_events(id, off, len);
	case BLOB_MP_STATE:
		return locate_mp_state(id, off, len);
	case BLOB_COUNT:
		break;
	}
	return -ENOENT;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	uint64_t any = 0;

	for (; n >= 8; n -= 8, p += 8) {
		uint64_t word;

		memcpy(&word, p, 8);
		any |= word;
	}
	while (n--)
		any |= *p++;
	return !any;
}

/*
 * Copies between a struct and the values, merged while both sides are
 * contiguous: a state keeps a group's values next to each other in struct
 * order, so the 64 LAPIC slots or the 18 GPRs take one memcpy.
 */
struct copy_run {
	uint8_t *dst;
	const uint8_t *src;
	size_t len;
};

static inline void copy_run_end(struct copy_run *run)
{
	if (run->len)
		memcpy(run->dst, run->src, run->len);
	run->len = 0;
}

static inline void copy_run_add(struct copy_run *run, uint8_t *dst,
				const uint8_t *src, size_t len)
{
	if (run->len && dst == run->dst + run->len &&
	    src == run->src + run->len) {
		run->len += len;
		return;
	}
	copy_run_end(run);
	run->dst = dst;
	run->src = src;
	run->len = len;
}

/*
 * The loops below run once per register of a batch: blob_access() has a
 * copy of them for each struct, with b constant and its locate inlined.
 */
#define PER_STRUCT static inline __attribute__((always_inline))

/* The ids with pick[i] set (pick NULL: all): read them from one get ioctl. */
PER_STRUCT int blob_get(struct kvmreg_vcpu *vcpu, struct x86_data *d,
			enum blob b, size_t n, const uint64_t *ids,
			uint8_t *const *vals, int *errs, const bool *pick)
{
	/* Not zeroed: the get ioctl fills the whole struct, and zeroing an
	 * XSAVE area on every read costs more than the rest of the batch. */
	uint8_t *buf = d->bufs->blob;
	struct copy_run run = { NULL, NULL, 0 };
	int r = kvmreg_vcpu_ioctl(vcpu, blobs[b].get, buf);

	for (size_t i = 0; i < n; i++) {
		size_t off, len, size = kvmreg_size_of(ids[i]);
		int part;

		if (pick && !pick[i])
			continue;
		part = locate(d, b, ids[i], &off, &len);
		if (part < 0 || r < 0) {
			errs[i] = part < 0 ? part : r;
			continue;
		}
		copy_run_add(&run, vals[i], buf + off, len);
		if (size > len)
			memset(vals[i] + len, 0, size - len);
		errs[i] = 0;
	}
	copy_run_end(&run);
	return 0;
}

/*
 * Write the picked ids: when they cover the whole struct, one set ioctl;
 * else get, patch, set. Bytes of a value past its part of the struct
 * (segment padding, the last XSAVE chunk) must be zero: they would be lost.
 */
/*
 * The set ioctl refused the struct in d->bufs->blob as a whole, and KVM
 * does not say which member it objects to: every register sent would carry
 * the errno, and the error would name the first of them (cs for a bad CR4,
 * dr0 for a bad DR7). So each changed member is tried alone: the struct as
 * wanted but with that member kept at the vCPU's value. A member whose
 * change alone makes KVM refuse is the culprit; the struct is then written
 * with the culprits kept, so the other registers succeed and only the
 * culprits carry the errno. Where no single member explains the refusal
 * (a combination KVM refuses), nothing is written and every register sent
 * carries the errno, as before. The registers sent are those picked (all
 * without pick) whose errs[i] is pending. Costs a get and up to two sets per changed member, on this
 * failure path only.
 */
static void blame_refused_members(struct kvmreg_vcpu *vcpu, struct x86_data *d,
				  enum blob b, size_t n, const uint64_t *ids,
				  const bool *pick, int pending, int *errs, int r)
{
	size_t size = blob_size(b, d), off, len;
	uint8_t *wanted = malloc(size), *now = malloc(size);
	uint8_t *trial = malloc(size);
	bool *culprit = calloc(n + 1, sizeof(*culprit));
	bool found = false, changed_vcpu = false, written = false;

	if (!wanted || !now || !trial || !culprit ||
	    kvmreg_vcpu_ioctl(vcpu, blobs[b].get, now) < 0)
		goto out;
	memcpy(wanted, d->bufs->blob, size);
	for (size_t i = 0; i < n; i++) {
		if ((pick && !pick[i]) || errs[i] != pending ||
		    locate(d, b, ids[i], &off, &len) < 0 ||
		    !memcmp(wanted + off, now + off, len))
			continue;
		memcpy(trial, wanted, size);
		memcpy(trial + off, now + off, len);
		if (kvmreg_vcpu_ioctl(vcpu, blobs[b].set, trial) >= 0)
			culprit[i] = found = changed_vcpu = true;
	}
	if (found) {
		memcpy(trial, wanted, size);
		for (size_t i = 0; i < n; i++)
			if (culprit[i] && locate(d, b, ids[i], &off, &len) >= 0)
				memcpy(trial + off, now + off, len);
		written = kvmreg_vcpu_ioctl(vcpu, blobs[b].set, trial) >= 0;
	}
	if (!written && changed_vcpu)
		kvmreg_vcpu_ioctl(vcpu, blobs[b].set, now);
out:
	for (size_t i = 0; i < n; i++)
		if ((!pick || pick[i]) && errs[i] == pending)
			errs[i] = written && !culprit[i] ? 0 : r;
	free(wanted);
	free(now);
	free(trial);
	free(culprit);
}

PER_STRUCT int blob_set(struct kvmreg_vcpu *vcpu, struct x86_data *d,
			enum blob b, size_t n, const uint64_t *ids,
			const uint8_t *const *vals, int *errs, const bool *pick)
{
	uint32_t members = blob_members(b, d), covered = 0;
	struct copy_run run = { NULL, NULL, 0 };
	/* Fewer ids than parts cannot cover the struct: read it first. As
	 * many may (a restore): start from zeros, and read it only if they
	 * turn out not to. */
	bool whole = n >= members;
	int r = 0;

	if (whole) {
		memset(d->bufs->blob, 0, blob_size(b, d));
		memset(d->bufs->seen, 0, members);
	} else {
		r = kvmreg_vcpu_ioctl(vcpu, blobs[b].get, d->bufs->blob);
	}
	for (size_t i = 0; i < n; i++) {
		size_t off, len, size = kvmreg_size_of(ids[i]);
		int part;

		if (pick && !pick[i])
			continue;
		part = locate(d, b, ids[i], &off, &len);
		if (part < 0) {
			errs[i] = part;
			continue;
		}
		if (size > len && !all_zero(vals[i] + len, size - len)) {
			errs[i] = -EINVAL;
			continue;
		}
		if (r < 0) {
			errs[i] = r;
			continue;
		}
		errs[i] = 1;	/* to apply */
		if (whole && !d->bufs->seen[part]) {
			d->bufs->seen[part] = 1;
			covered++;
		}
		copy_run_add(&run, d->bufs->blob + off, vals[i], len);
	}
	copy_run_end(&run);
	if (r < 0)
		return 0;
	if (whole && covered < members) {
		r = kvmreg_vcpu_ioctl(vcpu, blobs[b].get, d->bufs->blob);
		for (size_t i = 0; r >= 0 && i < n; i++) {
			size_t off, len;

			if ((!pick || pick[i]) && errs[i] == 1 &&
			    locate(d, b, ids[i], &off, &len) >= 0)
				copy_run_add(&run, d->bufs->blob + off, vals[i], len);
		}
		copy_run_end(&run);
	}
	if (r >= 0) {
		r = kvmreg_vcpu_ioctl(vcpu, blobs[b].set, d->bufs->blob);
		if (r < 0) {
			/* errs[i] is 1 only for the registers sent */
			blame_refused_members(vcpu, d, b, n, ids, pick, 1, errs,
					      r);
			return 0;
		}
	}
	for (size_t i = 0; i < n; i++)
		if ((!pick || pick[i]) && errs[i] == 1)
			errs[i] = r < 0 ? r : 0;
	return 0;
}

/* Without pick (all but one sregs case), the loops drop their test. */
#define BLOB_ACCESS(b)							\
	(pick ? BLOB_ACCESS_PICK(b, pick) : BLOB_ACCESS_PICK(b, NULL))
#define BLOB_ACCESS_PICK(b, pick)					\
	(set ? blob_set(vcpu, d, b, n, ids, (const uint8_t *const *)vals, \
			errs, pick) :					\
	       blob_get(vcpu, d, b, n, ids, vals, errs, pick))

static int blob_access(struct kvmreg_vcpu *vcpu, struct x86_data *d,
		       enum blob b, bool set, size_t n, const uint64_t *ids,
		       uint8_t *const *vals, int *errs, const bool *pick)
{
	switch (b) {
	case BLOB_REGS:
		return BLOB_ACCESS(BLOB_REGS);
	case BLOB_SREGS:
		return BLOB_ACCESS(BLOB_SREGS);
	case BLOB_SREGS2:
		return BLOB_ACCESS(BLOB_SREGS2);
	case BLOB_XSAVE:
		return BLOB_ACCESS(BLOB_XSAVE);
	case BLOB_XSAVE2:
		return BLOB_ACCESS(BLOB_XSAVE2);
	case BLOB_DEBUGREGS:
		return BLOB_ACCESS(BLOB_DEBUGREGS);
	case BLOB_LAPIC:
		return BLOB_ACCESS(BLOB_LAPIC);
	case BLOB_EVENTS:
		return BLOB_ACCESS(BLOB_EVENTS);
	case BLOB_MP_STATE:
		return BLOB_ACCESS(BLOB_MP_STATE);
	case BLOB_COUNT:
		break;
	}
	return -EINVAL;
}

/*
 * sregs: KVM_GET_SREGS2 where the kernel has it. interrupt_bitmap (from a
 * state saved on an older kernel) is only in KVM_GET_SREGS, so it takes a
 * second struct; on a kernel without SREGS2, flags and pdptrs are absent.
 */
static int sregs_access(struct kvmreg_vcpu *vcpu, struct x86_data *d,
			bool set, size_t n, const uint64_t *ids,
			uint8_t *const *vals, int *errs)
{
	enum blob main = d->sregs2 ? BLOB_SREGS2 : BLOB_SREGS;
	bool *in_main = NULL, *in_old = NULL;
	bool any_old = false;
	int err = 0;

	/* Only interrupt_bitmap is in kvm_sregs and not in kvm_sregs2. */
	for (size_t i = 0; d->sregs2 && !any_old && i < n; i++)
		any_old = lib_kind(ids[i]) == KVMREG_X86_SREGS &&
			  (uint32_t)ids[i] == KVMREG_X86_INTERRUPT_BITMAP;
	/* Mostly every id is in the main struct: no picking then. */
	if (!any_old)
		return blob_access(vcpu, d, main, set, n, ids, vals, errs, NULL);
	in_main = calloc(n + 1, sizeof(bool));
	in_old = calloc(n + 1, sizeof(bool));
	if (!in_main || !in_old) {
		err = kvmreg_set_error(-ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		size_t off, len;
		int part = locate(d, main, ids[i], &off, &len);

		if (part >= 0)
			in_main[i] = true;
		else if (locate(d, BLOB_SREGS, ids[i], &off, &len) >= 0)
			in_old[i] = true;
		else
			errs[i] = part;
	}
	err = blob_access(vcpu, d, main, set, n, ids, vals, errs, in_main);
	if (!err)
		err = blob_access(vcpu, d, BLOB_SREGS, set, n, ids, vals, errs,
				  in_old);
out:
	free(in_main);
	free(in_old);
	return err;
}

/* The struct behind group, BLOB_COUNT if it is no struct group, or a
 * negative errno. */
static int group_blob(const struct x86_data *d, uint32_t group)
{
	switch (group) {
	case KVMREG_X86_G_REGS:
		return BLOB_REGS;
	case KVMREG_X86_G_SREGS:
		return d->sregs2 ? BLOB_SREGS2 : BLOB_SREGS;
	case KVMREG_X86_G_XSAVE:
		if (!d->xsave_size)
			return kvmreg_set_error(-EOPNOTSUPP,
						"this kernel has no KVM_GET_XSAVE");
		return d->xsave2 ? BLOB_XSAVE2 : BLOB_XSAVE;
	case KVMREG_X86_G_DEBUGREGS:
		return BLOB_DEBUGREGS;
	case KVMREG_X86_G_LAPIC:
		return BLOB_LAPIC;
	case KVMREG_X86_G_EVENTS:
		return BLOB_EVENTS;
	case KVMREG_X86_G_MP_STATE:
		return BLOB_MP_STATE;
	case KVMREG_X86_G_MSRS:
	case KVMREG_X86_G_XCRS:
	case KVMREG_X86_G_CPUID:
		return BLOB_COUNT;
	default:
		return kvmreg_set_error(-EINVAL, "x86_64: no ioctl group %" PRIu32,
					group);
	}
}

/*
 * A batch of one struct's registers: what locate() says of each, and the
 * runs of registers whose parts follow each other in the struct with no
 * padding in their values. A state keeps a group's values next to each
 * other, so such a run (the 64 LAPIC slots, the 18 GPRs) is one memcpy.
 */
struct blob_run {
	uint32_t first, count;	/* registers [first, first + count) */
	uint32_t off, bytes;	/* their parts; bytes 0: not a run, one by one */
};

struct blob_gap {
	uint32_t off, len;
};

/* Read-only once made: plans are shared by the process's handles and
 * threads. */
struct blob_memo {
	bool planned;		/* false: an sregs batch that needs kvm_sregs too */
	enum blob blob;
	/* The batch as the struct itself in a state (image_layout): its
	 * size with the values' padding past the struct (the last XSAVE
	 * chunk), and where that padding starts; 0: the batch is not one
	 * whole struct, each part once, in order. */
	uint32_t image, image_padding;
	uint32_t covered;	/* distinct parts the batch names */
	size_t missing;		/* registers the struct lacks */
	size_t runs, gaps;
	struct blob_run *run;	/* in the same allocation, as all below */
	struct blob_gap *gap;	/* bytes of the struct no part covers */
	struct blob_part {
		uint32_t off, len, size;
		int err;	/* 0, or why the struct lacks the register */
	} parts[];
};

/*
 * The stretches of the struct that no valid part of m covers: what a
 * write of the whole struct sends as zeros. A sweep over the parts by
 * offset (they come in offset order, so the insertion sort does not move
 * them): a new vCPU's first restore makes this memo, and a walk over every
 * byte of a 4 KiB XSAVE area was most of that restore's own cost.
 */
static int blob_memo_gaps(struct blob_memo *m, size_t size, size_t n)
{
	struct blob_gap *by_off = malloc((n + 1) * sizeof(*by_off));
	size_t k = 0, end = 0;

	if (!by_off)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct blob_gap part = { m->parts[i].off, m->parts[i].len };
		size_t at = k;

		if (m->parts[i].err)
			continue;
		while (at > 0 && by_off[at - 1].off > part.off) {
			by_off[at] = by_off[at - 1];
			at--;
		}
		by_off[at] = part;
		k++;
	}
	m->gaps = 0;
	for (size_t i = 0; i < k; i++) {
		if (by_off[i].off > end)
			m->gap[m->gaps++] = (struct blob_gap){
				(uint32_t)end, (uint32_t)(by_off[i].off - end) };
		if (by_off[i].off + by_off[i].len > end)
			end = by_off[i].off + by_off[i].len;
	}
	if (end < size)
		m->gap[m->gaps++] = (struct blob_gap){ (uint32_t)end,
						       (uint32_t)(size - end) };
	free(by_off);
	return 0;
}

static void blob_memo_image(struct blob_memo *m, size_t size, size_t n,
			    uint32_t members);

static struct blob_memo *blob_memo_make(struct x86_data *d, enum blob b,
					size_t n, const uint64_t *ids)
{
	/* n parts cut the struct into at most n + 1 gaps */
	struct blob_memo *m = malloc(sizeof(*m) + (n + 1) * sizeof(m->parts[0]) +
				     (n + 1) * sizeof(*m->run) +
				     (n + 2) * sizeof(*m->gap));

	if (!m)
		return NULL;
	m->planned = true;
	m->covered = 0;
	m->missing = 0;
	m->runs = 0;
	m->run = (struct blob_run *)&m->parts[n + 1];
	m->gap = (struct blob_gap *)&m->run[n + 1];
	memset(d->bufs->seen, 0, blob_members(b, d));
	for (size_t i = 0; i < n; i++) {
		struct blob_part *p = &m->parts[i];
		struct blob_run *last = m->runs ? &m->run[m->runs - 1] : NULL;
		size_t off = 0, len = 0;
		int part = locate(d, b, ids[i], &off, &len);
		bool plain;

		/* Only interrupt_bitmap is in kvm_sregs and not in kvm_sregs2. */
		if (b == BLOB_SREGS2 && lib_kind(ids[i]) == KVMREG_X86_SREGS &&
		    (uint32_t)ids[i] == KVMREG_X86_INTERRUPT_BITMAP)
			m->planned = false;
		p->off = (uint32_t)off;
		p->len = (uint32_t)len;
		p->size = (uint32_t)kvmreg_size_of(ids[i]);
		p->err = part < 0 ? part : 0;
		if (part < 0) {
			m->missing++;
		} else if (!d->bufs->seen[part]) {
			d->bufs->seen[part] = 1;
			m->covered++;
		}
		plain = !p->err && p->len == p->size;
		if (plain && last && last->bytes &&
		    last->off + last->bytes == p->off) {
			last->count++;
			last->bytes += p->len;
			continue;
		}
		m->run[m->runs++] = (struct blob_run){
			.first = (uint32_t)i, .count = 1, .off = p->off,
			.bytes = plain ? p->len : 0,
		};
	}
	if (blob_memo_gaps(m, blob_size(b, d), n)) {
		free(m);
		return NULL;
	}
	m->blob = b;
	blob_memo_image(m, blob_size(b, d), n, blob_members(b, d));
	return m;
}

/*
 * Whether a state can hold the batch as the struct: every part once, in
 * offset order, each value exactly its part, but for the last one, whose
 * zero padding may lie past the struct's end (the last XSAVE chunk). Then
 * a save reads the struct straight into the state.
 */
static void blob_memo_image(struct blob_memo *m, size_t size, size_t n,
			    uint32_t members)
{
	size_t end = 0;

	m->image = m->image_padding = 0;
	if (!m->planned || m->missing || m->covered != members || n != members)
		return;
	for (size_t i = 0; i < n; i++) {
		const struct blob_part *p = &m->parts[i];

		if (p->off < end || (p->size != p->len &&
				     (i + 1 < n || p->off + p->len < size)))
			return;
		end = p->off + p->len;
	}
	end = m->parts[n - 1].off + m->parts[n - 1].size;
	m->image = (uint32_t)(end > size ? end : size);
	m->image_padding = (uint32_t)size;
}

/* Whether the values of run r are contiguous, as its parts are. */
static inline bool run_values_follow(const struct blob_memo *m,
				     const struct blob_run *r,
				     uint8_t *const *vals)
{
	const uint8_t *next = vals[r->first] + m->parts[r->first].size;

	for (uint32_t i = r->first + 1; i < r->first + r->count; i++) {
		if (vals[i] != next)
			return false;
		next += m->parts[i].size;
	}
	return true;
}

/* blob_get() with the parts worked out; how many registers failed. */
static int blob_get_memo(struct kvmreg_vcpu *vcpu, struct x86_data *d,
			 enum blob b, const struct blob_memo *m, size_t n,
			 uint8_t *const *vals, int *errs)
{
	int r = kvmreg_vcpu_ioctl(vcpu, blobs[b].get, d->bufs->blob);

	if (r < 0) {
		for (size_t i = 0; i < n; i++)
			errs[i] = m->parts[i].err ? m->parts[i].err : r;
		return (int)n;
	}
	for (size_t k = 0; k < m->runs; k++) {
		const struct blob_run *run = &m->run[k];

		if (run->bytes && run_values_follow(m, run, vals)) {
			memcpy(vals[run->first], d->bufs->blob + run->off,
			       run->bytes);
			memset(&errs[run->first], 0, run->count * sizeof(*errs));
			continue;
		}
		for (size_t i = run->first; i < run->first + run->count; i++) {
			const struct blob_part *p = &m->parts[i];

			errs[i] = p->err;
			if (p->err)
				continue;
			memcpy(vals[i], d->bufs->blob + p->off, p->len);
			memset(vals[i] + p->len, 0, p->size - p->len);
		}
	}
	return (int)m->missing;
}

/*
 * blob_set() with the parts worked out; how many registers failed. A
 * register to send has errs[i] 0 until the ioctl answers: any failure
 * before it is negative.
 */
static int blob_set_memo(struct kvmreg_vcpu *vcpu, struct x86_data *d,
			 enum blob b, const struct blob_memo *m, size_t n,
			 const uint64_t *ids, const uint8_t *const *vals,
			 int *errs)
{
	bool whole = m->covered == blob_members(b, d);
	int r = 0, failed = 0;

	if (whole) {
		for (size_t k = 0; k < m->gaps; k++)
			memset(d->bufs->blob + m->gap[k].off, 0, m->gap[k].len);
	} else {
		r = kvmreg_vcpu_ioctl(vcpu, blobs[b].get, d->bufs->blob);
	}
	for (size_t k = 0; k < m->runs; k++) {
		const struct blob_run *run = &m->run[k];

		if (r >= 0 && run->bytes &&
		    run_values_follow(m, run, (uint8_t *const *)vals)) {
			memcpy(d->bufs->blob + run->off, vals[run->first],
			       run->bytes);
			memset(&errs[run->first], 0, run->count * sizeof(*errs));
			continue;
		}
		for (size_t i = run->first; i < run->first + run->count; i++) {
			const struct blob_part *p = &m->parts[i];

			if (p->err) {
				errs[i] = p->err;
				failed++;
				continue;
			}
			if (!all_zero(vals[i] + p->len, p->size - p->len)) {
				/* Its part may now be uncovered: work the
				 * struct out as set() does. Nothing was
				 * issued yet. */
				if (whole) {
					blob_set(vcpu, d, b, n, ids, vals, errs,
						 NULL);
					return kvmreg_x86_count_failed(errs, n);
				}
				errs[i] = -EINVAL;
				failed++;
				continue;
			}
			if (r < 0) {
				errs[i] = r;
				failed++;
				continue;
			}
			errs[i] = 0;
			memcpy(d->bufs->blob + p->off, vals[i], p->len);
		}
	}
	if (r < 0)
		return failed;
	r = kvmreg_vcpu_ioctl(vcpu, blobs[b].set, d->bufs->blob);
	if (r >= 0)
		return failed;
	/* errs[i] is 0 only for the registers sent */
	blame_refused_members(vcpu, d, b, n, ids, NULL, 0, errs, r);
	return kvmreg_x86_count_failed(errs, n);
}

bool kvmreg_x86_is_struct_group(uint32_t group)
{
	switch (group) {
	case KVMREG_X86_G_REGS:
	case KVMREG_X86_G_SREGS:
	case KVMREG_X86_G_XSAVE:
	case KVMREG_X86_G_DEBUGREGS:
	case KVMREG_X86_G_LAPIC:
	case KVMREG_X86_G_EVENTS:
	case KVMREG_X86_G_MP_STATE:
		return true;
	default:
		return false;
	}
}

/* Room the thread buffers need for d's largest struct and its parts. */
void kvmreg_x86_struct_room(struct x86_data *d)
{
	for (enum blob b = 0; b < BLOB_COUNT; b++) {
		if (blob_size(b, d) > d->blob_room)
			d->blob_room = blob_size(b, d);
		if (blob_members(b, d) > d->max_members)
			d->max_members = blob_members(b, d);
	}
}

uint32_t kvmreg_x86_xsave_chunks(const struct x86_data *d)
{
	return blob_members(BLOB_XSAVE, d);
}

int kvmreg_x86_struct_access(struct kvmreg_vcpu *vcpu, struct x86_data *d,
			     uint32_t group, bool set, size_t n,
			     const uint64_t *ids, uint8_t *const *vals,
			     int *errs)
{
	int b = group_blob(d, group), r;

	if (b < 0)
		return b;
	if (b == BLOB_SREGS || b == BLOB_SREGS2)
		r = sregs_access(vcpu, d, set, n, ids, vals, errs);
	else
		r = blob_access(vcpu, d, (enum blob)b, set, n, ids, vals, errs,
				NULL);
	return r ? r : kvmreg_x86_count_failed(errs, n);
}

void *kvmreg_x86_struct_prepare(struct x86_data *d, uint32_t group, size_t n,
				const uint64_t *ids)
{
	int b = group_blob(d, group);

	return b < 0 ? NULL : blob_memo_make(d, (enum blob)b, n, ids);
}

int kvmreg_x86_struct_batch(struct kvmreg_vcpu *vcpu, struct x86_data *d,
			    uint32_t group, bool set, size_t n,
			    const uint64_t *ids, uint8_t *const *vals,
			    int *errs, const void *memo)
{
	int b = group_blob(d, group);
	const struct blob_memo *m = memo;

	if (b < 0)
		return b;
	if (!m || !m->planned)
		return kvmreg_x86_struct_access(vcpu, d, group, set, n, ids,
						vals, errs);
	return set ? blob_set_memo(vcpu, d, (enum blob)b, m, n, ids,
				   (const uint8_t *const *)vals, errs) :
		     blob_get_memo(vcpu, d, (enum blob)b, m, n, vals, errs);
}

size_t kvmreg_x86_struct_image_layout(size_t n, const void *memo,
				      size_t *offsets)
{
	const struct blob_memo *m = memo;

	if (!m || !m->image)
		return 0;
	for (size_t i = 0; i < n; i++)
		offsets[i] = m->parts[i].off;
	return m->image;
}

int kvmreg_x86_struct_image_io(struct kvmreg_vcpu *vcpu, bool set,
			       uint8_t *image, const void *memo)
{
	const struct blob_memo *m = memo;

	if (!set) {
		if (kvmreg_vcpu_ioctl(vcpu, blobs[m->blob].get, image) < 0)
			return 1;
		memset(image + m->image_padding, 0, m->image - m->image_padding);
		return 0;
	}
	/* A write of the whole struct, whose values are where the state's
	 * image has them: the image is the struct. Padding the struct
	 * cannot carry must be zero, as blob_set() requires. */
	if (!m || !m->image ||
	    !all_zero(image + m->image_padding, m->image - m->image_padding))
		return 1;
	return kvmreg_vcpu_ioctl(vcpu, blobs[m->blob].set, image) < 0;
}