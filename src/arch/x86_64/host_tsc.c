// SPDX-License-Identifier: MIT
/*
 * x86_64 TSC frequency (x86 hosts only): KVM_GET_TSC_KHZ / KVM_SET_TSC_KHZ
 * as the library register tsc_khz (u32, kHz).
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "arch/x86_64/host.h"

/*
 * Firecracker's tolerance (vstate/vcpu.rs, is_tsc_scaling_required): TSC
 * rates within 250 ppm differ by boot-time calibration only, and KVM
 * takes such a rate without scaling (kvm_set_tsc_khz, tsc_tolerance_ppm).
 */
#define TSC_TOLERANCE_PPM 250

static bool within_tolerance(uint32_t want, uint32_t now)
{
	uint64_t diff = want > now ? want - now : now - want;

	return diff * 1000000u <= (uint64_t)want * TSC_TOLERANCE_PPM;
}

static int tsc_khz_read(struct kvmreg_vcpu *vcpu, uint32_t *khz)
{
	int r = kvmreg_vcpu_ioctl(vcpu, KVM_GET_TSC_KHZ, NULL);

	if (r < 0)
		return kvmreg_set_error(r, "tsc_khz: KVM_GET_TSC_KHZ: %s",
					strerror(-r));
	*khz = (uint32_t)r;
	return 0;
}

/*
 * A rate the vCPU cannot run at is an error naming both rates, checked
 * before KVM_SET_TSC_KHZ as Firecracker checks before restoring: without
 * KVM_CAP_TSC_CONTROL (no TSC scaling in hardware) KVM takes a faster rate
 * silently and only catches the guest's TSC up at each entry, and refuses a
 * slower one with a bare EINVAL.
 */
static int tsc_khz_write(struct kvmreg_vcpu *vcpu, const struct x86_data *d,
			 uint32_t want)
{
	uint32_t now = 0;
	int r = tsc_khz_read(vcpu, &now);

	if (r)
		return r;
	if (want == now)
		return 0;
	if (!want)
		return kvmreg_set_error(-EINVAL,
					"0 kHz is no TSC frequency (this vCPU runs at %" PRIu32 " kHz)",
					now);
	if (!d->tsc_control && !within_tolerance(want, now))
		return kvmreg_set_error(-EOPNOTSUPP,
					"%" PRIu32 " kHz asked, this vCPU runs at %" PRIu32 " kHz: more than %d ppm apart, and this host cannot scale the TSC (no KVM_CAP_TSC_CONTROL)",
					want, now, TSC_TOLERANCE_PPM);
	r = kvmreg_vcpu_ioctl(vcpu, KVM_SET_TSC_KHZ, (void *)(uintptr_t)want);
	if (r < 0)
		return kvmreg_set_error(r,
					"KVM_SET_TSC_KHZ of %" PRIu32 " kHz (this vCPU runs at %" PRIu32 " kHz): %s",
					want, now, strerror(-r));
	return 0;
}

int kvmreg_x86_tsc_khz_access(struct kvmreg_vcpu *vcpu, struct x86_data *d,
			      bool set, size_t n, const uint64_t *ids,
			      uint8_t *const *vals, int *errs)
{
	int failed = 0;

	for (size_t i = 0; i < n; i++) {
		uint32_t khz = 0;

		if (set) {
			memcpy(&khz, vals[i], 4);
			errs[i] = tsc_khz_write(vcpu, d, khz);
			if (errs[i])
				kvmreg_keep_reason(ids[i], errs[i]);
		} else {
			errs[i] = tsc_khz_read(vcpu, &khz);
			if (!errs[i])
				memcpy(vals[i], &khz, 4);
		}
		failed += errs[i] != 0;
	}
	return failed;
}

int kvmreg_x86_list_tsc_khz(struct kvmreg_vcpu *vcpu, struct x86_data *d,
			    struct kvmreg_idvec *out,
			    struct kvmreg_idvec *sources)
{
	if (!d->tsc_khz || kvmreg_vcpu_ioctl(vcpu, KVM_GET_TSC_KHZ, NULL) <= 0)
		return 0;
	return kvmreg_x86_push(out, sources,
			       kvmreg_x86_lib_id(KVMREG_X86_TSC_KHZ, 0),
			       KVMREG_SRC_LIBRARY);
}
