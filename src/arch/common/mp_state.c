// SPDX-License-Identifier: MIT
/* The MP state register shared by arm64, riscv64 and loongarch64
 * (mp_state.h): names everywhere, ioctls on those hosts. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "arch/common/mp_state.h"
#include "internal.h"

int kvmreg_mp_state_name(uint64_t id, uint64_t mp_id, const char *macro,
			 enum kvmreg_name_style style, char *buf, size_t len)
{
	if (id != mp_id)
		return -ENOENT;
	return snprintf(buf, len, "%s", style == KVMREG_NAME_MACRO ? macro :
					KVMREG_MP_STATE_SHORT);
}

int kvmreg_mp_state_parse(const char *name, uint64_t mp_id,
			  const char *macro, uint64_t *id)
{
	if (strcmp(name, KVMREG_MP_STATE_SHORT) && strcmp(name, macro))
		return -ENOENT;
	*id = mp_id;
	return 0;
}

#ifdef KVMREG_HAVE_MP_STATE_IOCTL
#include <linux/kvm.h>

int kvmreg_mp_state_access(struct kvmreg_vcpu *vcpu, bool set, size_t n,
			   uint8_t *const *vals, int *errs)
{
	int failed = 0;

	for (size_t i = 0; i < n; i++) {
		struct kvm_mp_state mp = { 0 };

		if (set)
			memcpy(&mp.mp_state, vals[i], 4);
		errs[i] = kvmreg_vcpu_ioctl(vcpu, set ? KVM_SET_MP_STATE :
						  KVM_GET_MP_STATE, &mp);
		if (errs[i] > 0)
			errs[i] = 0;
		if (!errs[i] && !set)
			memcpy(vals[i], &mp.mp_state, 4);
		failed += errs[i] != 0;
	}
	return failed;
}

int kvmreg_mp_state_list(struct kvmreg_vcpu *vcpu, uint64_t mp_id,
			 struct kvmreg_idvec *out,
			 struct kvmreg_idvec *sources)
{
	static _Atomic int kernel_has_it;
	struct kvm_mp_state mp;
	int err;

	if (!kvmreg_vcpu_ioctl_exists(vcpu, &kernel_has_it, KVM_GET_MP_STATE,
				      &mp))
		return 0;
	err = kvmreg_idvec_push(out, mp_id);
	return err ? err : kvmreg_idvec_push(sources, KVMREG_SRC_LIBRARY);
}
#endif
