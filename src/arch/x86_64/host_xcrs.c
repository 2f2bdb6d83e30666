// SPDX-License-Identifier: MIT
/*
 * x86_64 extended control registers (x86 hosts only): KVM_GET_XCRS and
 * KVM_SET_XCRS, which takes any subset, so a write needs no read first.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86_64/host_data.h"

/* How many of ids failed, or a negative errno. */
int kvmreg_x86_xcrs_access(struct kvmreg_vcpu *vcpu, bool set, size_t n,
			   const uint64_t *ids, uint8_t *const *vals,
			   int *errs)
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

int kvmreg_x86_list_xcrs(struct kvmreg_vcpu *vcpu, struct kvmreg_idvec *out,
			 struct kvmreg_idvec *sources)
{
	struct kvm_xcrs xcrs;
	int err;

	memset(&xcrs, 0, sizeof(xcrs));
	err = kvmreg_vcpu_ioctl(vcpu, KVM_GET_XCRS, &xcrs);
	if (err < 0)
		return kvmreg_set_error(err, "KVM_GET_XCRS: %s", strerror(-err));
	for (uint32_t k = 0; !err && k < xcrs.nr_xcrs && k < KVM_MAX_XCRS; k++)
		err = kvmreg_x86_push(out, sources,
			   kvmreg_x86_lib_id(KVMREG_X86_XCR, xcrs.xcrs[k].xcr),
			   KVMREG_SRC_LIBRARY);
	return err;
}

/*
 * A save's XCRs as the kvm_xcrs itself, each value in its entry, in the
 * order KVM_GET_XCRS gives them (the list's, kvmreg_x86_list_xcrs).
 */
size_t kvmreg_x86_xcrs_image_layout(size_t n, size_t *offsets)
{
	if (n > KVM_MAX_XCRS)
		return 0;
	for (size_t i = 0; i < n; i++)
		offsets[i] = offsetof(struct kvm_xcrs, xcrs) +
			     i * sizeof(struct kvm_xcr) +
			     offsetof(struct kvm_xcr, value);
	return sizeof(struct kvm_xcrs);
}

/* Nonzero where the kernel's table is not the batch's XCRs in its order:
 * then the usual way, which finds each by number. */
int kvmreg_x86_xcrs_image_io(struct kvmreg_vcpu *vcpu, bool set, size_t n,
			     const uint64_t *ids, uint8_t *image)
{
	struct kvm_xcrs head;

	if (!set && kvmreg_vcpu_ioctl(vcpu, KVM_GET_XCRS, image) < 0)
		return 1;
	memcpy(&head, image, offsetof(struct kvm_xcrs, xcrs));
	if (head.nr_xcrs != n || head.flags)
		return 1;
	for (size_t i = 0; i < n; i++) {
		uint32_t xcr;

		memcpy(&xcr, image + offsetof(struct kvm_xcrs, xcrs) +
		       i * sizeof(struct kvm_xcr), sizeof(xcr));
		if (xcr != (uint32_t)ids[i])
			return 1;
	}
	return set ? kvmreg_vcpu_ioctl(vcpu, KVM_SET_XCRS, image) < 0 : 0;
}