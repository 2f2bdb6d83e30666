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
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/kvm.h>

#include "arch/arch.h"
#include "arch/x86_64/private.h"
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

/* What the vCPU's kernel offers, learned once per handle. */
struct x86_data {
	bool sregs2;
	bool xsave2;
	size_t xsave_size;	/* 0: no KVM_GET_XSAVE */
	bool xcrs, debugregs, events, mp_state;
	uint32_t *msr_index;	/* KVM_GET_MSR_INDEX_LIST */
	size_t n_msr_index;
	size_t blob_room;	/* the largest struct of a group */
	uint32_t max_members;	/* the most parts of one */
	struct x86_bufs *bufs;	/* this thread's, set on each call */
};

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

static int count_failed(const int *errs, size_t n)
{
	int failed = 0;

	for (size_t i = 0; i < n; i++)
		failed += errs[i] != 0;
	return failed;
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
	if (r >= 0)
		r = kvmreg_vcpu_ioctl(vcpu, blobs[b].set, d->bufs->blob);
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

/* The handle's driver data, bound to this thread's buffers. */
static struct x86_data *x86_data(struct kvmreg_vcpu *vcpu)
{
	struct x86_data *d = vcpu->arch_data;
	int xsave2;

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
	for (enum blob b = 0; b < BLOB_COUNT; b++) {
		if (blob_size(b, d) > d->blob_room)
			d->blob_room = blob_size(b, d);
		if (blob_members(b, d) > d->max_members)
			d->max_members = blob_members(b, d);
	}
	vcpu->arch_data = d;
	vcpu->arch_data_free = x86_data_free;
	return bind_bufs(d) ? NULL : d;
}

/* ------------------------------------------------------------------ */
/* MSRs: KVM_GET_MSRS / KVM_SET_MSRS                                   */

/*
 * Both ioctls walk the entries in order and stop at the first MSR the
 * kernel refuses, returning how many they did. So a batch that comes back
 * short is finished here: the refused entry gets -EINVAL (what
 * KVM_SET_ONE_REG says for the same refusal) and the rest is sent again.
 * Cost: one ioctl, plus one per refused MSR. Returns how many failed.
 */
static int msr_io(struct kvmreg_vcpu *vcpu, struct x86_data *d, bool set,
		  size_t n, const uint64_t *ids, uint8_t *const *vals,
		  int *errs)
{
	struct kvm_msrs *msrs = d->bufs->msrs;
	size_t i = 0;
	int failed = 0;

	msrs->pad = 0;
	while (i < n) {
		size_t batch = n - i < MSR_BATCH ? n - i : MSR_BATCH, done;
		int r;

		msrs->nmsrs = (uint32_t)batch;
		for (size_t k = 0; k < batch; k++) {
			struct kvm_msr_entry *e = &msrs->entries[k];

			e->index = (uint32_t)ids[i + k];
			e->reserved = 0;
			if (set)
				memcpy(&e->data, vals[i + k], 8);
			else
				e->data = 0;
		}
		r = kvmreg_vcpu_ioctl(vcpu, set ? KVM_SET_MSRS : KVM_GET_MSRS,
				      msrs);
		if (r < 0) {
			for (size_t k = 0; k < batch; k++)
				errs[i + k] = r;
			failed += (int)batch;
			i += batch;
			continue;
		}
		done = (size_t)r < batch ? (size_t)r : batch;
		for (size_t k = 0; k < done; k++) {
			if (!set)
				memcpy(vals[i + k], &msrs->entries[k].data, 8);
			errs[i + k] = 0;
		}
		if (done < batch) {
			errs[i + done] = -EINVAL;
			failed++;
			done++;
		}
		i += done;
	}
	return failed;
}

/* ------------------------------------------------------------------ */
/* XCRs: KVM_SET_XCRS takes any subset, so no read first               */

/* How many of ids failed, or a negative errno. */
static int xcrs_access(struct kvmreg_vcpu *vcpu, bool set, size_t n,
		       const uint64_t *ids, uint8_t *const *vals, int *errs)
{
	struct kvm_xcrs xcrs;
	int r, failed = 0;

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
			failed += errs[i] != 0;
		}
		return failed;
	}
	for (size_t i = 0; i < n; i++) {
		if (xcrs.nr_xcrs == KVM_MAX_XCRS) {
			errs[i] = -E2BIG;
			failed++;
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
	return r < 0 ? (int)n : failed;
}

/* ------------------------------------------------------------------ */
/* CPUID: the vCPU's table as one register per (function, index)        */

/* Room in d->bufs->cpuid for entries entries; its contents stay. */
static int cpuid_room(struct x86_data *d, size_t entries)
{
	struct kvm_cpuid2 *t;

	if (entries <= d->bufs->cpuid_room)
		return 0;
	t = realloc(d->bufs->cpuid, sizeof(*t) +
		    entries * sizeof(struct kvm_cpuid_entry2));
	if (!t)
		return kvmreg_set_error(-ENOMEM, "out of memory");
	if (!d->bufs->cpuid)
		t->nent = 0;
	d->bufs->cpuid = t;
	d->bufs->cpuid_room = entries;
	return 0;
}

/* The vCPU's CPUID table (KVM_GET_CPUID2) into d->bufs->cpuid, with room for
 * extra entries after it. */
static int cpuid_read(struct kvmreg_vcpu *vcpu, struct x86_data *d,
		      size_t extra)
{
	size_t cap = CPUID_ENTRIES;

	d->bufs->cpuid_of = NULL;
	for (;;) {
		/* Not zeroed: the kernel writes nent entries, and a set fills
		 * the extra ones itself. */
		int r = cpuid_room(d, cap + extra);

		if (r)
			return r;
		d->bufs->cpuid->nent = (uint32_t)cap;
		d->bufs->cpuid->padding = 0;
		r = kvmreg_vcpu_ioctl(vcpu, KVM_GET_CPUID2, d->bufs->cpuid);
		if (r == -E2BIG && cap < 16 * CPUID_ENTRIES) {
			cap *= 2;
			continue;
		}
		if (r < 0)
			return r;
		d->bufs->cpuid_of = vcpu;
		d->bufs->cpuid_read_at = vcpu->ioctls;
		return 0;
	}
}

/* kvmreg_x86_cpuid_entry(), inline: the CPUID loops ask it per entry. */
static inline void cpuid_leaf(uint64_t id, uint32_t *function,
			      uint32_t *index)
{
	uint32_t member = (uint32_t)id;

	*function = (member & 0xff000000u) | (member >> 8 & 0xffffu);
	*index = member & 0xff;
}

/* (function, index) as one number, as the loops compare entries. */
static inline uint64_t cpuid_entry_key(const struct kvm_cpuid_entry2 *e)
{
	return e->function | (uint64_t)e->index << 32;
}

static inline uint64_t cpuid_id_key(uint64_t id)
{
	uint32_t function, index;

	cpuid_leaf(id, &function, &index);
	return function | (uint64_t)index << 32;
}

/* The key of ids[i]: from a batch's memo when it has one. */
static inline uint64_t cpuid_key(const uint64_t *keys, const uint64_t *ids,
				 size_t i)
{
	return keys ? keys[i] : cpuid_id_key(ids[i]);
}

/*
 * The entry of key in t. A saved list names the entries in the order
 * KVM_GET_CPUID2 returns them, so the search starts where the last one was
 * found (*hint) and a whole table costs one pass, not one pass per entry.
 */
static inline struct kvm_cpuid_entry2 *cpuid_find(struct kvm_cpuid2 *t,
						  uint64_t key, uint32_t *hint)
{
	uint32_t k = *hint < t->nent ? *hint : 0;

	for (uint32_t step = 0; step < t->nent; step++) {
		if (cpuid_entry_key(&t->entries[k]) == key) {
			*hint = k + 1;
			return &t->entries[k];
		}
		k = k + 1 == t->nent ? 0 : k + 1;
	}
	return NULL;
}

_Static_assert(offsetof(struct kvm_cpuid_entry2, edx) ==
	       offsetof(struct kvm_cpuid_entry2, eax) + 12,
	       "eax..edx are contiguous, as in the register");

static void cpuid_value(const struct kvm_cpuid_entry2 *e, uint8_t *val)
{
	memcpy(val, &e->eax, 16);
	memcpy(val + 16, &e->flags, 4);
	memset(val + 20, 0, 32 - 20);
}

/* The table's entries as registers; how many of ids it lacks. keys: the
 * batch's memo, or NULL. */
static int cpuid_get(struct kvmreg_vcpu *vcpu, struct x86_data *d, size_t n,
		     const uint64_t *ids, const uint64_t *keys,
		     uint8_t *const *vals, int *errs)
{
	uint32_t hint = 0;
	int r = cpuid_read(vcpu, d, 0), missing = 0;

	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		struct kvm_cpuid_entry2 *e = cpuid_find(d->bufs->cpuid,
							cpuid_key(keys, ids, i),
							&hint);

		errs[i] = e ? 0 : -ENOENT;
		missing += !e;
		if (e)
			cpuid_value(e, vals[i]);
	}
	return missing;
}

/* The 12 bytes after eax, ebx, ecx, edx, flags are zero: nothing to lose. */
static bool cpuid_value_fits(const uint8_t *val)
{
	uint64_t low;
	uint32_t high;

	memcpy(&low, val + KVMREG_X86_CPUID_USED, 8);
	memcpy(&high, val + KVMREG_X86_CPUID_USED + 8, 4);
	return !(low | high);
}

/*
 * The values of ids into t, which has room for n more entries: each into
 * the entry of its (function, index), or (append_only, or none yet) a new
 * one. errs[i] = 1 marks what is to be sent. Returns how many values were
 * refused.
 */
static int cpuid_patch(struct kvm_cpuid2 *t, size_t n, const uint64_t *ids,
		       const uint64_t *keys, const uint8_t *const *vals,
		       int *errs, bool append_only)
{
	uint32_t hint = 0;
	int refused = 0;

	for (size_t i = 0; i < n; i++) {
		struct kvm_cpuid_entry2 *e;

		if (!cpuid_value_fits(vals[i])) {
			errs[i] = -EINVAL;
			refused++;
			continue;
		}
		e = append_only ? NULL :
				  cpuid_find(t, cpuid_key(keys, ids, i), &hint);
		if (!e) {
			e = &t->entries[t->nent++];
			cpuid_leaf(ids[i], &e->function, &e->index);
			memset(e->padding, 0, sizeof(e->padding));
		}
		memcpy(&e->eax, vals[i], 16);
		memcpy(&e->flags, vals[i] + 16, 4);
		errs[i] = 1;	/* sent */
	}
	return refused;
}

/* KVM_SET_CPUID2 of d->bufs->cpuid; how many of the n registers failed. */
static int cpuid_send(struct kvmreg_vcpu *vcpu, struct x86_data *d, size_t n,
		      int *errs, int refused)
{
	int r = kvmreg_vcpu_ioctl(vcpu, KVM_SET_CPUID2, d->bufs->cpuid);

	d->bufs->cpuid_of = NULL;	/* the kernel adjusts what it takes */
	if (r >= 0) {
		for (size_t i = 0; i < n; i++)
			if (errs[i] == 1)
				errs[i] = 0;
		return refused;
	}
	for (size_t i = 0; i < n; i++)
		if (errs[i] == 1)
			errs[i] = r;
	return (int)n;
}

/* KVM_SET_CPUID2 replaces the whole table: to change some entries and keep
 * the others, read the table, patch it, and send it back. */
static int cpuid_set(struct kvmreg_vcpu *vcpu, struct x86_data *d, size_t n,
		     const uint64_t *ids, const uint64_t *keys,
		     const uint8_t *const *vals, int *errs)
{
	int r = cpuid_read(vcpu, d, n);

	if (r < 0)
		return r;
	r = cpuid_patch(d->bufs->cpuid, n, ids, keys, vals, errs, false);
	return cpuid_send(vcpu, d, n, errs, r);
}

/* Whether ids name leaf 0, which every table KVM_GET_CPUID2 or
 * KVM_GET_SUPPORTED_CPUID gives holds: a table as saved, not a patch. */
static bool cpuid_has_leaf0(size_t n, const uint64_t *ids)
{
	for (size_t i = 0; i < n; i++)
		if ((uint32_t)ids[i] == 0 && lib_kind(ids[i]) == KVMREG_X86_CPUID)
			return true;
	return false;
}

/*
 * A restore's CPUID write, without set()'s read when it can do without
 * (docs/arch-x86.md): after the rollback read, which read the table last,
 * the table it read is patched; into a vCPU made for the state, a whole
 * table as saved (it has leaf 0) is the vCPU's new table.
 */
static int cpuid_restore_set(struct kvmreg_vcpu *vcpu, struct x86_data *d,
			     size_t n, const uint64_t *ids,
			     const uint64_t *keys, const uint8_t *const *vals,
			     int *errs, int fresh)
{
	int r;

	if (fresh && cpuid_has_leaf0(n, ids)) {
		r = cpuid_room(d, n);
		if (r)
			return r;
		d->bufs->cpuid->nent = 0;
		d->bufs->cpuid->padding = 0;
		r = cpuid_patch(d->bufs->cpuid, n, ids, keys, vals, errs, true);
		return cpuid_send(vcpu, d, n, errs, r);
	}
	if (fresh || d->bufs->cpuid_of != vcpu ||
	    d->bufs->cpuid_read_at != vcpu->ioctls)
		return cpuid_set(vcpu, d, n, ids, keys, vals, errs);
	r = cpuid_room(d, d->bufs->cpuid->nent + n);
	if (r)
		return r;
	r = cpuid_patch(d->bufs->cpuid, n, ids, keys, vals, errs, false);
	return cpuid_send(vcpu, d, n, errs, r);
}

/* ------------------------------------------------------------------ */
/* Batches the core keeps: where each register is, worked out once     */

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

/*
 * Per run, whether its values were contiguous at the last call in one
 * direction, and where the first was. When the core passes the same
 * pointers again (the next checkpoint's state, its rollback buffer), the
 * copies need none of them: at hundreds of vCPUs, every array a call
 * reads is a cache miss.
 */
struct blob_vals_seen {
	bool valid;
	bool *follows;		/* per run */
	uint8_t **first;	/* per run: its first value */
};

struct blob_memo {
	bool planned;		/* false: an sregs batch that needs kvm_sregs too */
	uint32_t covered;	/* distinct parts the batch names */
	size_t missing;		/* registers the struct lacks */
	size_t runs, gaps;
	struct blob_run *run;	/* in the same allocation, as all below */
	struct blob_gap *gap;	/* bytes of the struct no part covers */
	struct blob_vals_seen seen[2];	/* by direction: get, set */
	struct blob_part {
		uint32_t off, len, size;
		int err;	/* 0, or why the struct lacks the register */
	} parts[];
};

/* The stretches of the struct that no valid part of m covers: what a
 * write of the whole struct sends as zeros. */
static int blob_memo_gaps(struct blob_memo *m, size_t size, size_t n)
{
	uint8_t *covered = calloc(size + 1, 1);

	if (!covered)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (!m->parts[i].err)
			memset(covered + m->parts[i].off, 1, m->parts[i].len);
	m->gaps = 0;
	for (size_t off = 0; off < size; off++) {
		if (covered[off])
			continue;
		if (m->gaps && m->gap[m->gaps - 1].off +
			       m->gap[m->gaps - 1].len == off)
			m->gap[m->gaps - 1].len++;
		else
			m->gap[m->gaps++] = (struct blob_gap){ (uint32_t)off, 1 };
	}
	free(covered);
	return 0;
}

static struct blob_memo *blob_memo_make(struct x86_data *d, enum blob b,
					size_t n, const uint64_t *ids)
{
	/* n parts cut the struct into at most n + 1 gaps */
	struct blob_memo *m = malloc(sizeof(*m) + (n + 1) * sizeof(m->parts[0]) +
				     (n + 1) * sizeof(*m->run) +
				     (n + 2) * sizeof(*m->gap) +
				     2 * (n + 1) * sizeof(uint8_t *) +
				     2 * (n + 1) * sizeof(bool));
	uint8_t **firsts;
	bool *follows;

	if (!m)
		return NULL;
	m->planned = true;
	m->covered = 0;
	m->missing = 0;
	m->runs = 0;
	m->run = (struct blob_run *)&m->parts[n + 1];
	m->gap = (struct blob_gap *)&m->run[n + 1];
	firsts = (uint8_t **)&m->gap[n + 2];
	follows = (bool *)&firsts[2 * (n + 1)];
	for (int dir = 0; dir < 2; dir++) {
		m->seen[dir].valid = false;
		m->seen[dir].first = firsts + dir * (n + 1);
		m->seen[dir].follows = follows + dir * (n + 1);
	}
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
	return m;
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

/* For each run of m, whether vals has its values contiguous, and where
 * the first is. */
static const struct blob_vals_seen *runs_follow(struct blob_memo *m, bool set,
						uint8_t *const *vals,
						int same_vals)
{
	struct blob_vals_seen *seen = &m->seen[set];

	if (seen->valid && same_vals)
		return seen;
	for (size_t k = 0; k < m->runs; k++) {
		seen->follows[k] = m->run[k].bytes &&
				   run_values_follow(m, &m->run[k], vals);
		seen->first[k] = vals[m->run[k].first];
	}
	seen->valid = true;
	return seen;
}

/* blob_get() with the parts worked out; how many registers failed. */
static int blob_get_memo(struct kvmreg_vcpu *vcpu, struct x86_data *d,
			 enum blob b, struct blob_memo *m, size_t n,
			 uint8_t *const *vals, int same_vals, int *errs)
{
	int r = kvmreg_vcpu_ioctl(vcpu, blobs[b].get, d->bufs->blob);
	const struct blob_vals_seen *seen;

	if (r < 0) {
		for (size_t i = 0; i < n; i++)
			errs[i] = m->parts[i].err ? m->parts[i].err : r;
		return (int)n;
	}
	seen = runs_follow(m, false, vals, same_vals);
	for (size_t k = 0; k < m->runs; k++) {
		const struct blob_run *run = &m->run[k];

		if (seen->follows[k]) {
			memcpy(seen->first[k], d->bufs->blob + run->off,
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
			 enum blob b, struct blob_memo *m, size_t n,
			 const uint64_t *ids, const uint8_t *const *vals,
			 int same_vals, int *errs)
{
	bool whole = m->covered == blob_members(b, d);
	const struct blob_vals_seen *seen =
		runs_follow(m, true, (uint8_t *const *)vals, same_vals);
	int r = 0, failed = 0;

	if (whole) {
		for (size_t k = 0; k < m->gaps; k++)
			memset(d->bufs->blob + m->gap[k].off, 0, m->gap[k].len);
	} else {
		r = kvmreg_vcpu_ioctl(vcpu, blobs[b].get, d->bufs->blob);
	}
	for (size_t k = 0; k < m->runs; k++) {
		const struct blob_run *run = &m->run[k];

		if (r >= 0 && seen->follows[k]) {
			memcpy(d->bufs->blob + run->off, seen->first[k],
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
					return count_failed(errs, n);
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
	for (size_t i = 0; i < n; i++)
		if (!errs[i])
			errs[i] = r;
	return (int)n;
}

/* ------------------------------------------------------------------ */
/* The group hooks                                                      */

/* How many of ids failed, or a negative errno for the whole group. */
static int group_access(struct kvmreg_vcpu *vcpu, uint32_t group, bool set,
			size_t n, const uint64_t *ids, uint8_t *const *vals,
			int *errs)
{
	struct x86_data *d = x86_data(vcpu);
	int b, r;

	if (!d)
		return -ENOMEM;
	b = group_blob(d, group);
	if (b < 0)
		return b;
	if (b == BLOB_SREGS || b == BLOB_SREGS2)
		r = sregs_access(vcpu, d, set, n, ids, vals, errs);
	else if (b != BLOB_COUNT)
		r = blob_access(vcpu, d, (enum blob)b, set, n, ids, vals, errs,
				NULL);
	else if (group == KVMREG_X86_G_MSRS)
		return msr_io(vcpu, d, set, n, ids, vals, errs);
	else if (group == KVMREG_X86_G_XCRS)
		return xcrs_access(vcpu, set, n, ids, vals, errs);
	else if (set)	/* KVMREG_X86_G_CPUID */
		return cpuid_set(vcpu, d, n, ids, NULL,
				 (const uint8_t *const *)vals, errs);
	else
		return cpuid_get(vcpu, d, n, ids, NULL, vals, errs);
	return r ? r : count_failed(errs, n);
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

/* A CPUID batch: the key of each id. */
static uint64_t *cpuid_memo_make(size_t n, const uint64_t *ids)
{
	uint64_t *keys = malloc((n + 1) * sizeof(*keys));

	for (size_t i = 0; keys && i < n; i++)
		keys[i] = cpuid_id_key(ids[i]);
	return keys;
}

/*
 * An MSR batch of up to MSR_BATCH: its indexes. While every MSR is taken,
 * one call does it; after a refusal, msr_io() goes on from there, as it
 * would have.
 */
static uint32_t *msr_memo_make(size_t n, const uint64_t *ids)
{
	uint32_t *index;

	if (n > MSR_BATCH)
		return NULL;
	index = malloc((n + 1) * sizeof(*index));
	for (size_t i = 0; index && i < n; i++)
		index[i] = (uint32_t)ids[i];
	return index;
}

static int msr_memo_io(struct kvmreg_vcpu *vcpu, struct x86_data *d,
		       const uint32_t *index, bool set, size_t n,
		       const uint64_t *ids, uint8_t *const *vals, int *errs)
{
	struct kvm_msrs *msrs = d->bufs->msrs;
	size_t done;
	int r;

	msrs->nmsrs = (uint32_t)n;
	msrs->pad = 0;
	for (size_t i = 0; i < n; i++) {
		msrs->entries[i].index = index[i];
		msrs->entries[i].reserved = 0;
		if (set)
			memcpy(&msrs->entries[i].data, vals[i], 8);
	}
	r = kvmreg_vcpu_ioctl(vcpu, set ? KVM_SET_MSRS : KVM_GET_MSRS, msrs);
	if (r < 0) {
		for (size_t i = 0; i < n; i++)
			errs[i] = r;
		return (int)n;
	}
	done = (size_t)r < n ? (size_t)r : n;
	for (size_t i = 0; !set && i < done; i++)
		memcpy(vals[i], &msrs->entries[i].data, 8);
	memset(errs, 0, done * sizeof(*errs));
	if (done == n)
		return 0;
	errs[done] = -EINVAL;
	return 1 + msr_io(vcpu, d, set, n - done - 1, ids + done + 1,
			  vals + done + 1, errs + done + 1);
}

/* A batch keeps in *memo what its registers need worked out: the parts of
 * a struct, CPUID keys, an MSR list. A restore's CPUID write can do without
 * set()'s read (cpuid_restore_set). */
static int x86_group_batch(struct kvmreg_vcpu *vcpu, uint32_t group,
			   enum kvmreg_batch_mode mode, size_t n,
			   const uint64_t *ids, uint8_t *const *vals,
			   int same_vals, int *errs, void **memo)
{
	struct x86_data *d = x86_data(vcpu);
	bool set = mode != KVMREG_BATCH_GET;
	struct blob_memo *m;
	int b;

	if (!d)
		return -ENOMEM;
	b = group_blob(d, group);
	if (b < 0)
		return b;
	if (b != BLOB_COUNT) {
		if (!*memo)
			*memo = blob_memo_make(d, (enum blob)b, n, ids);
		m = *memo;
		if (m && m->planned)
			return set ? blob_set_memo(vcpu, d, (enum blob)b, m, n, ids,
						   (const uint8_t *const *)vals,
						   same_vals, errs) :
				     blob_get_memo(vcpu, d, (enum blob)b, m, n,
						   vals, same_vals, errs);
		return group_access(vcpu, group, set, n, ids, vals, errs);
	}
	if (group == KVMREG_X86_G_MSRS) {
		if (!*memo)
			*memo = msr_memo_make(n, ids);
		if (*memo)
			return msr_memo_io(vcpu, d, *memo, set, n, ids, vals,
					   errs);
		return msr_io(vcpu, d, set, n, ids, vals, errs);
	}
	if (group != KVMREG_X86_G_CPUID)
		return group_access(vcpu, group, set, n, ids, vals, errs);
	if (!*memo)
		*memo = cpuid_memo_make(n, ids);
	switch (mode) {
	case KVMREG_BATCH_GET:
		return cpuid_get(vcpu, d, n, ids, *memo, vals, errs);
	case KVMREG_BATCH_SET:
		return cpuid_set(vcpu, d, n, ids, *memo,
				 (const uint8_t *const *)vals, errs);
	default:
		return cpuid_restore_set(vcpu, d, n, ids, *memo,
					 (const uint8_t *const *)vals, errs,
					 mode == KVMREG_BATCH_RESTORE_FRESH);
	}
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

static int list_cpuid(struct kvmreg_vcpu *vcpu, struct x86_data *d,
		      struct kvmreg_idvec *out, struct kvmreg_idvec *sources)
{
	int err = cpuid_read(vcpu, d, 0);

	if (err < 0)
		return kvmreg_set_error(err, "KVM_GET_CPUID2: %s",
					strerror(-err));
	for (uint32_t k = 0; !err && k < d->bufs->cpuid->nent; k++) {
		const struct kvm_cpuid_entry2 *e = &d->bufs->cpuid->entries[k];
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
	uint64_t *ids, *values;
	uint8_t **vals;
	int *errs, err;

	if (!d->msr_index) {
		err = read_msr_index(vcpu, d);
		if (err)
			return err;
	}
	n = d->n_msr_index;
	ids = calloc(n + 1, sizeof(*ids));
	values = malloc((n + 1) * sizeof(*values));
	vals = calloc(n + 1, sizeof(*vals));
	errs = malloc((n + 1) * sizeof(*errs));
	err = ids && values && vals && errs ? 0 :
	      kvmreg_set_error(-ENOMEM, "out of memory");
	for (size_t i = 0; !err && i < n; i++) {
		ids[i] = KVMREG_X86_MSR_ID(d->msr_index[i]);
		vals[i] = (uint8_t *)&values[i];
	}
	if (!err)
		err = msr_io(vcpu, d, false, n, ids, vals, errs);
	for (size_t i = 0; !err && i < n; i++)
		if (!errs[i])
			err = push(out, sources, ids[i],
				   KVMREG_SRC_MSR_INDEX_LIST);
	free(ids);
	free(values);
	free(vals);
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
	err = list_cpuid(vcpu, d, out, sources);
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
				blob_members(BLOB_XSAVE, d));
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

		/*
		 * The APIC id fields come back as those of the host CPU the
		 * call ran on; the scratch vCPU is vCPU 0, as a VMM would say,
		 * so two saves on different host CPUs compare equal.
		 */
		if (e->function == 0xb || e->function == 0x1f)
			e->edx = 0;
		if (e->function != 1)
			continue;
		e->ebx &= 0x00ffffffu;
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

/*
 * What a capture records: per CPUID entry, the bits this host's KVM gives
 * a guest: KVM_GET_SUPPORTED_CPUID, and what a vCPU set up with it really
 * holds (a scratch VM's KVM_GET_CPUID2), which some KVMs fill further (the
 * kvm_pvm module adds the host's SSE3..AVX bits: docs/migration.md).
 */
int kvmreg_x86_64_capture_allowed(struct kvmreg_vcpu *vcpu,
				  const struct kvmreg_state *list,
				  struct kvmreg_state *value,
				  struct kvmreg_state *mask)
{
	static const uint8_t no_mask[KVMREG_X86_CPUID_SIZE];
	struct kvm_cpuid2 *tables[2] = { NULL, NULL };
	struct kvmreg_scratch probe;
	int err;

	(void)list;
	if (vcpu->kvm_fd < 0)
		return 0;	/* no /dev/kvm fd: nothing to ask */
	err = supported_cpuid(vcpu->kvm_fd, &tables[0]);
	if (err)
		return err;
	if (!kvmreg_scratch_create(0, &probe)) {
		tables[1] = calloc(1, sizeof(*tables[1]) + CPUID_ENTRIES *
				   sizeof(struct kvm_cpuid_entry2));
		if (tables[1]) {
			tables[1]->nent = CPUID_ENTRIES;
			if (ioctl(probe.vcpu_fd, KVM_GET_CPUID2, tables[1])) {
				free(tables[1]);
				tables[1] = NULL;
			}
		}
		kvmreg_scratch_destroy(&probe);
	}
	for (int t = 0; !err && t < 2 && tables[t]; t++) {
		for (uint32_t k = 0; !err && k < tables[t]->nent; k++) {
			const struct kvm_cpuid_entry2 *e = &tables[t]->entries[k];
			uint8_t v[KVMREG_X86_CPUID_SIZE] = { 0 };
			const uint8_t *had;
			uint32_t member;
			uint64_t id;

			if (kvmreg_x86_cpuid_member(e->function, e->index,
						    &member))
				continue;
			id = kvmreg_x86_lib_id(KVMREG_X86_CPUID, member);
			cpuid_value(e, v);
			had = kvmreg_state_get(value, id);
			for (size_t b = 0; had && b < 16; b++)
				v[b] |= had[b];
			err = kvmreg_state_set(value, id, v, sizeof(v));
			if (!err)
				err = kvmreg_state_set(mask, id, no_mask,
						       sizeof(no_mask));
		}
	}
	free(tables[0]);
	free(tables[1]);
	return err;
}
