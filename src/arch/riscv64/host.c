// SPDX-License-Identifier: MIT
/*
 * riscv64 host part: the scratch vCPU. A RISC-V vCPU is usable as soon as
 * KVM_CREATE_VCPU returns (no KVM_ARM_VCPU_INIT, no CPUID): KVM enables
 * every ISA extension the host has that it may enable, and every SBI
 * extension that is not off by default. So there is nothing to set up, and
 * the flags that ask for arm64 features are refused rather than ignored.
 */
#include <errno.h>

#include <stdbool.h>

#include "arch/arch.h"
#include "arch/common/mp_state.h"
#include "arch/riscv64/private.h"
#include "arch/riscv64/uapi.h"
#include "internal.h"
#include "state.h"

int kvmreg_riscv64_vcpu_setup(struct kvmreg_scratch *scratch,
			      unsigned int flags);

int kvmreg_riscv64_vcpu_setup(struct kvmreg_scratch *scratch,
			      unsigned int flags)
{
	(void)scratch;
	if (flags & (KVMREG_SCRATCH_SVE | KVMREG_SCRATCH_PMU))
		return kvmreg_set_error(-EINVAL,
					"scratch vCPU: %s is an arm64 feature; a riscv64 vCPU has its vector and PMU state through ISA_EXT V and SBI_EXT PMU",
					flags & KVMREG_SCRATCH_SVE ?
					"KVMREG_SCRATCH_SVE" :
					"KVMREG_SCRATCH_PMU");
	return 0;
}

/* The MP state (SBI HSM: a hart stopped by hart_stop stays stopped) is the
 * one register served by an ioctl of its own; the rest are ONE_REG. */
int kvmreg_riscv64_list_extra(struct kvmreg_vcpu *vcpu,
			      struct kvmreg_idvec *out,
			      struct kvmreg_idvec *sources);

static uint32_t rv_group_of(uint64_t id)
{
	return id == KVMREG_RISCV_MP_STATE_ID;
}

static int rv_group_get(struct kvmreg_vcpu *vcpu, uint32_t group, size_t n,
			const uint64_t *ids, uint8_t *const *vals, int *errs)
{
	(void)group;
	(void)ids;
	kvmreg_mp_state_access(vcpu, false, n, vals, errs);
	return 0;
}

static int rv_group_set(struct kvmreg_vcpu *vcpu, uint32_t group, size_t n,
			const uint64_t *ids, const uint8_t *const *vals,
			int *errs)
{
	(void)group;
	(void)ids;
	/* the set path only reads from vals */
	kvmreg_mp_state_access(vcpu, true, n, (uint8_t *const *)vals, errs);
	return 0;
}

const struct kvmreg_group_ops kvmreg_riscv64_groups = {
	.group_of = rv_group_of,
	.get = rv_group_get,
	.set = rv_group_set,
};

int kvmreg_riscv64_list_extra(struct kvmreg_vcpu *vcpu,
			      struct kvmreg_idvec *out,
			      struct kvmreg_idvec *sources)
{
	return kvmreg_mp_state_list(vcpu, KVMREG_RISCV_MP_STATE_ID, out,
				    sources);
}

int kvmreg_riscv64_capture_allowed(struct kvmreg_vcpu *vcpu,
				   const struct kvmreg_state *list,
				   struct kvmreg_state *value,
				   struct kvmreg_state *mask);

/* Whether KVM takes want for id now; the old value goes back either way. */
static uint64_t probe_write(struct kvmreg_vcpu *vcpu, uint64_t id,
			    uint64_t old, uint64_t want, uint64_t *after)
{
	int ok = !kvmreg_one_reg_set(vcpu, id, &want);

	if (kvmreg_one_reg_get(vcpu, id, after))
		*after = old;
	kvmreg_one_reg_set(vcpu, id, &old);
	return ok;
}

/*
 * What a capture records: each feature register's default on this vCPU
 * (it must not have run: KVM refuses changes then) and, by trying, which
 * bits KVM lets a restore change: an extension that can be turned on or
 * off, the letters of config.isa that can be dropped, the id registers
 * (mvendorid, marchid, mimpid) that take any value. Each probe puts the
 * old value back.
 */
int kvmreg_riscv64_capture_allowed(struct kvmreg_vcpu *vcpu,
				   const struct kvmreg_state *list,
				   struct kvmreg_state *value,
				   struct kvmreg_state *mask)
{
	const struct kvmreg_feature_ops *ops = vcpu->driver->features;
	int err = 0;

	for (size_t i = 0; !err && i < list->count; i++) {
		uint64_t id = list->entries[i].id, v, m = 0, after;
		uint64_t type = id & KVM_REG_RISCV_TYPE_MASK;

		if (!ops->is_feature(id) || kvmreg_one_reg_get(vcpu, id, &v))
			continue;
		if (type != KVM_REG_RISCV_CONFIG) {
			m = probe_write(vcpu, id, v, !v, &after) && after != v;
		} else {
			switch (id & 0xffff) {
			case 0:		/* isa: what writing none leaves on */
				probe_write(vcpu, id, v, 0, &after);
				m = v & ~after;
				break;
			case 2: case 3: case 4:	/* mvendorid, marchid, mimpid */
				m = probe_write(vcpu, id, v, v ^ 1, &after) ?
				    ~0ull : 0;
				break;
			default:
				break;
			}
		}
		err = kvmreg_state_set(value, id, &v, 8);
		if (!err)
			err = kvmreg_state_set(mask, id, &m, 8);
	}
	return err;
}
