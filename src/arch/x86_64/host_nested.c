// SPDX-License-Identifier: MIT
/*
 * x86_64 nested virtualization state (x86 hosts only): KVM_GET_NESTED_STATE
 * / KVM_SET_NESTED_STATE as 256-byte chunks of struct kvm_nested_state
 * (docs/ids.md), listed when the kernel has KVM_CAP_NESTED_STATE and the
 * guest's CPUID offers VMX or SVM.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86_64/host.h"

/* A buffer of d->nested_size bytes holding the vCPU's nested state. The
 * kernel writes the header's size bytes; the rest stays zero, so chunks past
 * it read as zeros and a state compares equal whatever the tail held. */
static int nested_read(struct kvmreg_vcpu *vcpu, const struct x86_data *d,
		       struct kvm_nested_state **out)
{
	struct kvm_nested_state *st = calloc(1, d->nested_size);
	int r;

	if (!st)
		return kvmreg_set_error(-ENOMEM, "out of memory");
	st->size = (uint32_t)d->nested_size;
	r = kvmreg_vcpu_ioctl(vcpu, KVM_GET_NESTED_STATE, st);
	if (r < 0) {
		free(st);
		return kvmreg_set_error(r, "KVM_GET_NESTED_STATE: %s",
					strerror(-r));
	}
	*out = st;
	return 0;
}

static size_t nested_chunks(const struct x86_data *d)
{
	return (d->nested_size + KVMREG_X86_CHUNK - 1) / KVMREG_X86_CHUNK;
}

/* Byte off of the chunk, and how many of its bytes the buffer holds. */
static size_t chunk_bytes(const struct x86_data *d, uint32_t chunk,
			  size_t *off)
{
	*off = (size_t)chunk * KVMREG_X86_CHUNK;
	if (*off >= d->nested_size)
		return 0;
	return d->nested_size - *off < KVMREG_X86_CHUNK ?
	       d->nested_size - *off : KVMREG_X86_CHUNK;
}

/*
 * A write reads the state, patches the chunks given and sends it back: the
 * header (chunk 0) carries the size and flags that say how much of the rest
 * KVM reads, so a partial write keeps the vCPU's own.
 */
int kvmreg_x86_nested_access(struct kvmreg_vcpu *vcpu, struct x86_data *d,
			     bool set, size_t n, const uint64_t *ids,
			     uint8_t *const *vals, int *errs)
{
	struct kvm_nested_state *st = NULL;
	uint8_t *bytes;
	int failed = 0, r;

	if (!d->nested_size)
		return kvmreg_set_error(-EOPNOTSUPP,
					"nested state: this kernel has no KVM_CAP_NESTED_STATE");
	r = nested_read(vcpu, d, &st);
	if (r)
		return r;
	bytes = (uint8_t *)st;
	for (size_t i = 0; i < n; i++) {
		size_t off, len = chunk_bytes(d, (uint32_t)ids[i], &off);

		errs[i] = 0;
		if (set && !len) {
			/* past the kernel's size: only zeros fit */
			for (size_t k = 0; k < KVMREG_X86_CHUNK && !errs[i]; k++)
				if (vals[i][k])
					errs[i] = kvmreg_set_error(-EINVAL,
								   "nested[%" PRIu32 "]: this kernel's nested state is %zu bytes, the chunk holds data past it",
								   (uint32_t)ids[i], d->nested_size);
		} else if (set) {
			memcpy(bytes + off, vals[i], len);
			for (size_t k = len; k < KVMREG_X86_CHUNK && !errs[i]; k++)
				if (vals[i][k])
					errs[i] = kvmreg_set_error(-EINVAL,
								   "nested[%" PRIu32 "]: bytes past this kernel's %zu-byte nested state must be 0",
								   (uint32_t)ids[i], d->nested_size);
		} else {
			memset(vals[i], 0, KVMREG_X86_CHUNK);
			memcpy(vals[i], bytes + off, len);
		}
		if (errs[i])
			kvmreg_keep_reason(ids[i], errs[i]);
		failed += errs[i] != 0;
	}
	if (set && !failed) {
		if (st->size > d->nested_size) {
			r = kvmreg_set_error(-EINVAL,
					     "nested state: its header says %" PRIu32 " bytes, this kernel takes at most %zu",
					     st->size, d->nested_size);
		} else {
			r = kvmreg_vcpu_ioctl(vcpu, KVM_SET_NESTED_STATE, st);
			if (r < 0)
				r = kvmreg_set_error(r,
						     "KVM_SET_NESTED_STATE (format %u, flags 0x%x, %" PRIu32 " bytes): %s",
						     st->format, st->flags,
						     st->size, strerror(-r));
		}
		for (size_t i = 0; r && i < n; i++)
			errs[i] = r;
		if (r)
			kvmreg_keep_reason(ids[0], r);
		failed = r ? (int)n : 0;
	}
	free(st);
	return failed;
}

int kvmreg_x86_list_nested(struct kvmreg_vcpu *vcpu, struct x86_data *d,
			   struct kvmreg_idvec *out,
			   struct kvmreg_idvec *sources)
{
	struct kvm_nested_state *st;
	int err = 0;

	/* VMX: CPUID.1:ECX bit 5; SVM: CPUID.80000001h:ECX bit 2. */
	if (!d->nested_size ||
	    (!kvmreg_x86_listed_cpuid_bit(vcpu, d, 1, 0, 2, 5) &&
	     !kvmreg_x86_listed_cpuid_bit(vcpu, d, 0x80000001, 0, 2, 2)))
		return 0;
	if (nested_read(vcpu, d, &st))
		return 0;	/* not for this vCPU after all */
	free(st);
	for (uint32_t i = 0; !err && i < nested_chunks(d); i++)
		err = kvmreg_x86_push(out, sources,
				      kvmreg_x86_lib_id(KVMREG_X86_NESTED, i),
				      KVMREG_SRC_LIBRARY);
	return err;
}
