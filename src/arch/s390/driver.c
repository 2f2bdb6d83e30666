// SPDX-License-Identifier: MIT
/*
 * s390: names only. The few ONE_REG registers s390 has (the rest of a vCPU
 * moves through kvm_run's sync regs and struct ioctls); libkvmreg does not
 * drive s390 vCPUs, so no fallback table, groups or restore order.
 */
#include "arch/arch.h"
#include "arch/common/flat_names.h"
#include "arch/s390/uapi.h"
#include "internal.h"

#define REG(macro, group, is_volatile) { macro, #macro, group, is_volatile }

static const struct kvmreg_flat_reg s390_regs[] = {
	REG(KVM_REG_S390_TODPR, "tod", false),
	REG(KVM_REG_S390_EPOCHDIFF, "tod", false),
	/* The CPU timer counts down while the vCPU runs. */
	REG(KVM_REG_S390_CPU_TIMER, "timer", true),
	REG(KVM_REG_S390_CLOCK_COMP, "timer", false),
	REG(KVM_REG_S390_PFTOKEN, "pfault", false),
	REG(KVM_REG_S390_PFCOMPARE, "pfault", false),
	REG(KVM_REG_S390_PFSELECT, "pfault", false),
	REG(KVM_REG_S390_PP, "misc", false),
	REG(KVM_REG_S390_GBEA, "misc", false),
};

static const struct kvmreg_flat_arch s390_names = {
	.name = "s390",
	.macro_prefix = "KVM_REG_S390_",
	.regs = s390_regs,
	.n_regs = KVMREG_ARRAY_SIZE(s390_regs),
};

static int s390_id_check(uint64_t id)
{
	return kvmreg_flat_check(&s390_names, id);
}

static int s390_id_name(uint64_t id, enum kvmreg_name_style style, char *buf,
			size_t len)
{
	return kvmreg_flat_name(&s390_names, id, style, buf, len);
}

static int s390_id_parse(const char *name, uint64_t *id)
{
	return kvmreg_flat_parse(&s390_names, name, id);
}

static const char *s390_id_group(uint64_t id)
{
	return kvmreg_flat_group(&s390_names, id);
}

static int s390_id_is_volatile(uint64_t id)
{
	return kvmreg_flat_is_volatile(&s390_names, id);
}

static int s390_known_ids(struct kvmreg_idvec *out)
{
	return kvmreg_flat_known_ids(&s390_names, out);
}

static const char *const s390_aliases[] = { "s390x", NULL };

const struct kvmreg_arch_driver kvmreg_arch_s390 = {
	.arch = KVMREG_ARCH_S390,
	.name = "s390",
	.aliases = s390_aliases,
	.kvm_reg_arch = KVM_REG_S390,
	.id_check = s390_id_check,
	.id_name = s390_id_name,
	.id_parse = s390_id_parse,
	.id_group = s390_id_group,
	.id_is_volatile = s390_id_is_volatile,
	.known_ids = s390_known_ids,
};
