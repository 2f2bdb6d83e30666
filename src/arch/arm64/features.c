// SPDX-License-Identifier: MIT
/*
 * arm64 migration rules (docs/migration.md).
 *
 * Feature registers are the ID registers (op0 3, op1 0/1/3, CRn 0, CRm
 * 0-7: the range KVM_ARM_GET_REG_WRITABLE_MASKS covers) and the firmware
 * feature bitmaps. A capture records each one's value on a vCPU fresh from
 * KVM_ARM_VCPU_INIT -- KVM's sanitised limit -- and the bits userspace may
 * write (from 6.7 the kernel says; before, none: any other value is
 * refused). A saved value is accepted when the bits outside the mask equal
 * the limit and each 4-bit field inside obeys the architecture's rule for
 * it: lower is safe (most), signed lower (FP, AdvSIMD, TGRAN4/64,
 * DoubleLock, E2H0), higher is safe (CTR_EL0 CWG/ERG, SpecSEI), exactly
 * equal (TGRANx_2), any topology (CLIDR_EL1) -- as arch/arm64/kernel/cpufeature.c's
 * tables say in Linux 7.2.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "arch/arch.h"
#include "core/internal.h"
#include "uapi.h"

#define SYSREG_MASK	(KVM_REG_ARCH_MASK | KVM_REG_ARM_COPROC_MASK)
#define FW_BMAP_MASK	(KVM_REG_ARCH_MASK | KVM_REG_ARM_COPROC_MASK)

struct sysreg_enc {
	unsigned int op0, op1, crn, crm, op2;
};

static int sysreg_of(uint64_t id, struct sysreg_enc *e)
{
	if ((id & SYSREG_MASK) != (KVM_REG_ARM64 | KVM_REG_ARM64_SYSREG))
		return 0;
	e->op0 = (unsigned int)((id & KVM_REG_ARM64_SYSREG_OP0_MASK) >> KVM_REG_ARM64_SYSREG_OP0_SHIFT);
	e->op1 = (unsigned int)((id & KVM_REG_ARM64_SYSREG_OP1_MASK) >> KVM_REG_ARM64_SYSREG_OP1_SHIFT);
	e->crn = (unsigned int)((id & KVM_REG_ARM64_SYSREG_CRN_MASK) >> KVM_REG_ARM64_SYSREG_CRN_SHIFT);
	e->crm = (unsigned int)((id & KVM_REG_ARM64_SYSREG_CRM_MASK) >> KVM_REG_ARM64_SYSREG_CRM_SHIFT);
	e->op2 = (unsigned int)(id & KVM_REG_ARM64_SYSREG_OP2_MASK);
	return 1;
}

/* Index of id in KVM_ARM_GET_REG_WRITABLE_MASKS' array, or -1. */
int kvmreg_arm64_feature_index(uint64_t id)
{
	struct sysreg_enc e;
	unsigned int op1;

	if (!sysreg_of(id, &e) || e.op0 != 3 || e.crn != 0 || e.crm > 7 ||
	    (e.op1 != 0 && e.op1 != 1 && e.op1 != 3))
		return -1;
	/* MPIDR_EL1 is the vCPU's own number, any value goes. */
	if (e.op1 == 0 && e.crm == 0 && e.op2 == 5)
		return -1;
	op1 = e.op1 == 3 ? 2 : e.op1;
	return (int)(op1 << 6 | e.crm << 3 | e.op2);
}

static int is_fw_bitmap(uint64_t id)
{
	return (id & FW_BMAP_MASK) == (KVM_REG_ARM64 | KVM_REG_ARM_FW_FEAT_BMAP);
}

/* PSCI_VERSION, SMCCC_ARCH_WORKAROUND_*: KVM takes any level up to its
 * own (kvm_arm_set_fw_reg), so lower is safe, as a number. */
static int is_fw_level(uint64_t id)
{
	return (id & FW_BMAP_MASK) == (KVM_REG_ARM64 | KVM_REG_ARM_FW) &&
	       kvmreg_size_of(id) == 8;
}

static int arm64_is_feature(uint64_t id)
{
	return kvmreg_arm64_feature_index(id) >= 0 || is_fw_bitmap(id) ||
	       is_fw_level(id) || id == KVM_REG_ARM64_SVE_VLS;
}

/* The SVE vector lengths: fixed once the vCPU is finalized, as a vCPU
 * set up like the capture's is, so a restore must bring the same set. */
static enum kvmreg_feature_effect vls_check(const uint8_t *s, const uint8_t *d,
					    char *why, size_t len)
{
	size_t pos = 0;

	if (!memcmp(s, d, kvmreg_size_of(KVM_REG_ARM64_SVE_VLS)))
		return KVMREG_FEATURE_OK;
	kvmreg_appendf(why, len, &pos, "sve.VLS: the state's vector lengths (quadwords");
	for (unsigned int vq = 1; vq <= 512; vq++)
		if (s[(vq - 1) / 8] & (1u << ((vq - 1) % 8)))
			kvmreg_appendf(why, len, &pos, " %u", vq);
	kvmreg_appendf(why, len, &pos, ") are not the host's (");
	for (unsigned int vq = 1, first = 1; vq <= 512; vq++)
		if (d[(vq - 1) / 8] & (1u << ((vq - 1) % 8))) {
			kvmreg_appendf(why, len, &pos, "%s%u", first ? "" : " ", vq);
			first = 0;
		}
	kvmreg_appendf(why, len, &pos, "), fixed at finalize: the write fails (EPERM)");
	return KVMREG_FEATURE_REFUSED;
}

enum field_rule { LOWER, SIGNED, HIGHER, EXACT, ANY };

#define ENC(op0, op1, crn, crm, op2) \
	((op0) << 14 | (op1) << 11 | (crn) << 7 | (crm) << 3 | (op2))

static const struct field_rule_entry {
	uint32_t enc;
	uint8_t shift;
	uint8_t rule;
	const char *name;
} field_rules[] = {
	{ ENC(3, 0, 0, 4, 0), 16, SIGNED, "FP" },		/* ID_AA64PFR0_EL1 */
	{ ENC(3, 0, 0, 4, 0), 20, SIGNED, "AdvSIMD" },
	{ ENC(3, 0, 0, 7, 0), 24, SIGNED, "TGRAN64" },	/* ID_AA64MMFR0_EL1 */
	{ ENC(3, 0, 0, 7, 0), 28, SIGNED, "TGRAN4" },
	{ ENC(3, 0, 0, 7, 0), 32, EXACT, "TGRAN16_2" },
	{ ENC(3, 0, 0, 7, 0), 36, EXACT, "TGRAN64_2" },
	{ ENC(3, 0, 0, 7, 0), 40, EXACT, "TGRAN4_2" },
	{ ENC(3, 0, 0, 7, 1), 24, HIGHER, "SpecSEI" },	/* ID_AA64MMFR1_EL1 */
	{ ENC(3, 0, 0, 7, 4), 24, SIGNED, "E2H0" },		/* ID_AA64MMFR4_EL1 */
	/* KVM takes any DebugVer up to its own from v8 on (cpufeature.c
	 * says exact, KVM's set_id_aa64dfr0_el1 decides). */
	{ ENC(3, 0, 0, 5, 0), 0, LOWER, "DebugVer" },	/* ID_AA64DFR0_EL1 */
	{ ENC(3, 0, 0, 5, 0), 36, SIGNED, "DoubleLock" },
	{ ENC(3, 3, 0, 0, 1), 20, HIGHER, "ERG" },		/* CTR_EL0 */
	{ ENC(3, 3, 0, 0, 1), 24, HIGHER, "CWG" },
	/* Names only, for messages: the rule is the default, lower. */
	{ ENC(3, 0, 0, 4, 0), 32, LOWER, "SVE" },
	{ ENC(3, 0, 0, 4, 0), 24, LOWER, "GIC" },
	{ ENC(3, 0, 0, 4, 0), 8, LOWER, "EL2" },
	{ ENC(3, 0, 0, 4, 0), 56, LOWER, "CSV2" },
	{ ENC(3, 0, 0, 4, 0), 60, LOWER, "CSV3" },
	{ ENC(3, 0, 0, 4, 1), 0, LOWER, "BT" },		/* ID_AA64PFR1_EL1 */
	{ ENC(3, 0, 0, 4, 1), 4, LOWER, "SSBS" },
	{ ENC(3, 0, 0, 4, 1), 8, LOWER, "MTE" },
	{ ENC(3, 0, 0, 4, 1), 24, LOWER, "SME" },
	{ ENC(3, 0, 0, 6, 1), 4, LOWER, "APA" },		/* ID_AA64ISAR1_EL1 */
	{ ENC(3, 0, 0, 6, 1), 8, LOWER, "API" },
	{ ENC(3, 0, 0, 6, 1), 24, LOWER, "GPA" },
	{ ENC(3, 0, 0, 6, 1), 28, LOWER, "GPI" },
	{ ENC(3, 0, 0, 6, 2), 8, LOWER, "GPA3" },		/* ID_AA64ISAR2_EL1 */
	{ ENC(3, 0, 0, 6, 2), 12, LOWER, "APA3" },
	{ ENC(3, 0, 0, 6, 0), 4, LOWER, "AES" },		/* ID_AA64ISAR0_EL1 */
	{ ENC(3, 0, 0, 6, 0), 60, LOWER, "RNDR" },
	{ ENC(3, 0, 0, 7, 3), 0, LOWER, "TCRX" },		/* ID_AA64MMFR3_EL1 */
	{ ENC(3, 0, 0, 7, 3), 8, LOWER, "S1PIE" },
	{ ENC(3, 0, 0, 5, 0), 8, LOWER, "PMUVer" },
};

/* CLIDR_EL1 describes the cache topology KVM shows the guest: where the
 * kernel lets userspace write it, any topology goes (set_clidr). */
#define CLIDR_ENC	ENC(3, 1, 0, 0, 1)

static const struct field_rule_entry *rule_of(uint64_t id, unsigned int shift)
{
	static const struct field_rule_entry any = { CLIDR_ENC, 0, ANY, NULL };
	uint32_t enc = (uint32_t)(id & 0xffff);

	if (enc == CLIDR_ENC)
		return &any;

	for (size_t i = 0; i < KVMREG_ARRAY_SIZE(field_rules); i++)
		if (field_rules[i].enc == enc && field_rules[i].shift == shift)
			return &field_rules[i];
	return NULL;
}

static uint64_t u64_of(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

/* "ID_AA64PFR0_EL1.SVE" or "ID_AA64PFR0_EL1[35:32]" */
static void field_name(uint64_t id, unsigned int shift, char *buf, size_t len)
{
	const struct field_rule_entry *r = rule_of(id, shift);
	char reg[64];

	if (kvmreg_id_name(KVMREG_ARCH_ARM64, id, KVMREG_NAME_SHORT, reg,
			   sizeof(reg)) < 0)
		snprintf(reg, sizeof(reg), "0x%016" PRIx64, id);
	if (r && r->name)
		snprintf(buf, len, "%s.%s", reg, r->name);
	else
		snprintf(buf, len, "%s[%u:%u]", reg, shift + 3, shift);
}

/* Whether field value s is within limit d under rule. */
static int field_ok(enum field_rule rule, unsigned int s, unsigned int d)
{
	int ss = s >= 8 ? (int)s - 16 : (int)s, sd = d >= 8 ? (int)d - 16 : (int)d;

	switch (rule) {
	case SIGNED:
		return ss <= sd;
	case HIGHER:
		return s >= d;
	case EXACT:
		return s == d;
	case ANY:
		return 1;
	case LOWER:
	default:
		return s <= d;
	}
}

static const char *rule_words(enum field_rule rule)
{
	switch (rule) {
	case SIGNED:
		return "at most, signed,";
	case HIGHER:
		return "at least";
	case EXACT:
		return "exactly";
	case ANY:
		return "any value but";
	default:
		return "at most";
	}
}

static enum kvmreg_feature_effect id_check(uint64_t id, uint64_t s,
					   uint64_t d, uint64_t m, char *why,
					   size_t len)
{
	size_t pos = 0;
	char name[96];

	for (unsigned int shift = 0; shift < 64; shift += 4) {
		uint64_t nib = 0xfull << shift;
		unsigned int sf = (unsigned int)((s >> shift) & 0xf);
		unsigned int df = (unsigned int)((d >> shift) & 0xf);
		const struct field_rule_entry *r;
		enum field_rule rule;

		if (sf == df)
			continue;
		field_name(id, shift, name, sizeof(name));
		if ((m & nib) != nib) {
			kvmreg_appendf(why, len, &pos,
				       "%s%s is %u, the host has %u and %s",
				       pos ? "; " : "", name, sf, df,
				       m ? "does not let it change" :
				       "lets no ID register change (before 6.7, or not writable)");
			continue;
		}
		r = rule_of(id, shift);
		rule = r ? (enum field_rule)r->rule : LOWER;
		if (field_ok(rule, sf, df))
			continue;
		kvmreg_appendf(why, len, &pos,
			       "%s%s is %u, the host allows %s %u",
			       pos ? "; " : "", name, sf, rule_words(rule), df);
	}
	return pos ? KVMREG_FEATURE_REFUSED : KVMREG_FEATURE_OK;
}

static enum kvmreg_feature_effect arm64_check(uint64_t id, const uint8_t *saved,
					      const uint8_t *value,
					      const uint8_t *mask, char *why,
					      size_t len)
{
	uint64_t s = u64_of(saved), d = u64_of(value), m = u64_of(mask);

	if (id == KVM_REG_ARM64_SVE_VLS)
		return vls_check(saved, value, why, len);
	if (is_fw_bitmap(id)) {
		if (!(s & ~d))
			return KVMREG_FEATURE_OK;
		snprintf(why, len,
			 "firmware services 0x%" PRIx64 " are not offered by the host (it offers 0x%" PRIx64 "): the write fails",
			 s & ~d, d);
		return KVMREG_FEATURE_REFUSED;
	}
	if (is_fw_level(id)) {
		char name[64];

		if (s <= d)
			return KVMREG_FEATURE_OK;
		if (kvmreg_id_name(KVMREG_ARCH_ARM64, id, KVMREG_NAME_SHORT,
				   name, sizeof(name)) < 0)
			snprintf(name, sizeof(name), "0x%016" PRIx64, id);
		snprintf(why, len,
			 "%s is 0x%" PRIx64 ", the host offers at most 0x%" PRIx64 ": the write fails",
			 name, s, d);
		return KVMREG_FEATURE_REFUSED;
	}
	return id_check(id, s, d, m, why, len);
}

/*
 * Two hosts' (limit, mask): per field, the value both accept (the lower
 * of two lower-safe fields) where both may write it; where either may not,
 * the limits must already agree.
 */
static int arm64_meet(uint64_t id, const uint8_t *a_value,
		      const uint8_t *a_mask, const uint8_t *b_value,
		      const uint8_t *b_mask, uint8_t *out_value,
		      uint8_t *out_mask, char *lost, size_t len)
{
	uint64_t a = u64_of(a_value), b = u64_of(b_value);
	uint64_t am = u64_of(a_mask), bm = u64_of(b_mask);
	uint64_t v = a, m = am & bm;
	size_t pos = 0;
	int bits = 0;
	char name[96];

	if (id == KVM_REG_ARM64_SVE_VLS) {
		/* A VMM sets the lengths every host has before finalizing. */
		size_t n = kvmreg_size_of(id);

		for (size_t i = 0; i < n; i++) {
			out_value[i] = a_value[i] & b_value[i];
			out_mask[i] = 0;
			bits += __builtin_popcount(a_value[i] & ~b_value[i] & 0xffu);
		}
		if (bits)
			snprintf(lost, len, "%d SVE vector length%s", bits,
				 bits == 1 ? "" : "s");
		return bits;
	}
	if (is_fw_level(id)) {
		v = a < b ? a : b;
		if (v != a)
			snprintf(lost, len, "0x%" PRIx64 " -> 0x%" PRIx64, a, v);
		memcpy(out_value, &v, 8);
		memcpy(out_mask, &m, 8);
		return v != a ? 1 : 0;
	}
	if (is_fw_bitmap(id)) {
		v = a & b;
		bits = __builtin_popcountll(a & ~b);
		if (bits)
			snprintf(lost, len, "firmware services 0x%" PRIx64, a & ~b);
		memcpy(out_value, &v, 8);
		memcpy(out_mask, &v, 8);
		return bits;
	}
	for (unsigned int shift = 0; shift < 64; shift += 4) {
		uint64_t nib = 0xfull << shift;
		unsigned int af = (unsigned int)((a >> shift) & 0xf);
		unsigned int bf = (unsigned int)((b >> shift) & 0xf);
		const struct field_rule_entry *r;
		enum field_rule rule;
		unsigned int pick;

		if (af == bf)
			continue;
		field_name(id, shift, name, sizeof(name));
		r = rule_of(id, shift);
		rule = r ? (enum field_rule)r->rule : LOWER;
		if ((m & nib) != nib || rule == EXACT) {
			snprintf(lost, len, "%s is %u on one host, %u on the other, and %s",
				 name, af, bf, rule == EXACT ? "must be exact" :
				 "not writable on both");
			return -EINVAL;
		}
		pick = field_ok(rule, af, bf) ? af : bf;
		v = (v & ~nib) | (uint64_t)pick << shift;
		if (pick != af) {
			bits += 4;
			kvmreg_appendf(lost, len, &pos, "%s%s %u -> %u",
				       pos ? "; " : "", name, af, pick);
		}
	}
	memcpy(out_value, &v, 8);
	memcpy(out_mask, &m, 8);
	return bits;
}

/* The feature an ID field must announce for a register to matter. */
static const struct gated_reg {
	uint64_t id;
	uint32_t id_enc;	/* the ID register */
	uint8_t shift;		/* its field */
	const char *why;
} gated_regs[] = {
	{ ARM64_SYS_REG(3, 0, 2, 0, 3), ENC(3, 0, 0, 7, 3), 0,
	  "ID_AA64MMFR3_EL1.TCRX is 0: the guest has no FEAT_TCR2, any access to TCR2_EL1 is UNDEFINED, its value is unreachable" },
	{ ARM64_SYS_REG(3, 0, 10, 2, 2), ENC(3, 0, 0, 7, 3), 8,
	  "ID_AA64MMFR3_EL1.S1PIE is 0: the guest has no FEAT_S1PIE, any access to PIRE0_EL1 is UNDEFINED, its value is unreachable" },
	{ ARM64_SYS_REG(3, 0, 10, 2, 3), ENC(3, 0, 0, 7, 3), 8,
	  "ID_AA64MMFR3_EL1.S1PIE is 0: the guest has no FEAT_S1PIE, any access to PIR_EL1 is UNDEFINED, its value is unreachable" },
};

static int id_field(const struct kvmreg_state *state, uint32_t enc,
		    unsigned int shift, unsigned int *out)
{
	const uint8_t *v = kvmreg_state_get(state, ARM64_SYS_REG(
		enc >> 14 & 3, enc >> 11 & 7, enc >> 7 & 15, enc >> 3 & 15,
		enc & 7));

	if (!v)
		return 0;
	*out = (unsigned int)((u64_of(v) >> shift) & 0xf);
	return 1;
}

static int arm64_adapt_drop(const struct kvmreg_state *state, uint64_t id,
			    char *why, size_t len)
{
	const uint8_t *v = kvmreg_state_get(state, id);
	uint64_t value = v && kvmreg_size_of(id) == 8 ? u64_of(v) : 1;

	for (size_t i = 0; i < KVMREG_ARRAY_SIZE(gated_regs); i++) {
		const struct gated_reg *g = &gated_regs[i];
		unsigned int field;

		if (g->id != id)
			continue;
		if (!id_field(state, g->id_enc, g->shift, &field) || field) {
			snprintf(why, len,
				 "the guest's ID registers announce the feature (or the state lacks them)");
			return 0;
		}
		snprintf(why, len, "%s", g->why);
		return 1;
	}
	if (id == KVM_REG_ARM_PTIMER_CNT) {
		snprintf(why, len,
			 "CNTPCT_EL0, the physical counter: the guest's clock is the virtual counter (KVM_REG_ARM_TIMER_CNT, restored); a kernel without this register gives the guest the host's physical count, as every migration to it does");
		return 1;
	}
	if (id == KVM_REG_ARM_PTIMER_CTL || id == KVM_REG_ARM_PTIMER_CVAL) {
		const uint8_t *ctl = kvmreg_state_get(state, KVM_REG_ARM_PTIMER_CTL);

		if (!value && (!ctl || !(u64_of(ctl) & 1))) {
			snprintf(why, len,
				 "the physical timer is off (CNTP_CTL_EL0.ENABLE 0) and the register is 0, its reset value on the destination");
			return 1;
		}
		snprintf(why, len,
			 "the physical timer is in use (enabled, or a value other than its reset value 0)");
		return 0;
	}
	if (is_fw_bitmap(id)) {
		if (value) {
			snprintf(why, len,
				 "firmware bitmap 0x%" PRIx64 " offers services a kernel without the register does not",
				 value);
			return 0;
		}
		snprintf(why, len,
			 "firmware bitmap is 0: no service of it is offered, as on a kernel without the register");
		return 1;
	}
	if ((id & (KVM_REG_ARCH_MASK | KVM_REG_ARM_COPROC_MASK |
		   KVM_REG_ARM_DEMUX_ID_MASK)) ==
	    (KVM_REG_ARM64 | KVM_REG_ARM_DEMUX | KVM_REG_ARM_DEMUX_ID_CCSIDR)) {
		unsigned int sel = (unsigned int)(id & KVM_REG_ARM_DEMUX_VAL_MASK);
		unsigned int level = sel >> 1, ctype;
		const uint8_t *clidr = kvmreg_state_get(state,
							ARM64_SYS_REG(3, 1, 0, 0, 1));

		ctype = clidr && level < 7 ?
			(unsigned int)(u64_of(clidr) >> (3 * level) & 7) : 1;
		/* Ctype: 1 I only, 2 D only, 3 separate, 4 unified. */
		if (clidr && (ctype == 0 || (sel & 1 ? ctype != 1 && ctype != 3 :
					     ctype == 1))) {
			snprintf(why, len,
				 "CCSIDR selector %u: CLIDR_EL1 of the state has no such cache (level %u, Ctype %u), so the guest never reads it",
				 sel, level + 1, ctype);
			return 1;
		}
		snprintf(why, len,
			 "CCSIDR selector %u describes a cache CLIDR_EL1 announces",
			 sel);
		return 0;
	}
	snprintf(why, len, "no arm64 rule lets it go");
	return 0;
}

const struct kvmreg_feature_ops kvmreg_arm64_features = {
	.is_feature = arm64_is_feature,
	.check = arm64_check,
	.meet = arm64_meet,
	.adapt_drop = arm64_adapt_drop,
};
