// SPDX-License-Identifier: MIT
/*
 * loongarch64: names, well-formedness, the fallback table and the restore
 * order of the KVM ONE_REG ids (Linux 7.2 arch/loongarch/kvm/vcpu.c).
 *
 * An id is KVM_REG_LOONGARCH | size | set << 16 | index << 3, with the set
 * in bits 18..16 and bits 51..19 zero. ONE_REG serves four sets, all u64:
 * CSRs (index 0..0x7ff), CPUCFG (0..20), KVM's own registers (COUNTER,
 * VCPU_RESET, DEBUG_INST) and LBT (scr0..3, eflags, ftop). The GPR and
 * FPSIMD sets are named in the uapi header but KVM serves them only through
 * KVM_GET_REGS/KVM_GET_FPU, so they have no names here.
 *
 * Kernels up to 7.2 have no KVM_GET_REG_LIST on LoongArch, and KVM accepts
 * any CSR index below 0x800 whether it keeps that CSR or not: probing tells
 * nothing (probe_is_informative = 0), so the fallback table must be right
 * on its own. It is the list the kernel series (kernel/patches/, v7) makes
 * KVM return, in the same order; kernel/scripts/check-kernel and
 * check-kunit compare the two.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arch/arch.h"
#include "arch/loongarch64/csr_names.h"
#include "arch/loongarch64/uapi.h"
#include "arch/common/mp_state.h"
#include "internal.h"

#define LA_SET(id)		((id) & 0x70000ULL)
#define LA_INDEX(id)		((unsigned int)(((id) & KVM_CSR_IDX_MASK) >> LOONGARCH_REG_SHIFT))
#define LA_LOW(id)		((unsigned int)((id) & 0xffff))
#define LA_MBZ_MASK		0x000ffffffff80000ULL	/* bits 51..19 */

static int is_u64(uint64_t id)
{
	return (id & KVM_REG_SIZE_MASK) == KVM_REG_SIZE_U64;
}

/* ------------------------------------------------------------------ */
/* Tables                                                              */

static const char *csr_name_of(unsigned int csr)
{
	for (size_t i = 0; i < KVMREG_ARRAY_SIZE(loongarch_csr_names); i++)
		if (loongarch_csr_names[i].csr == csr)
			return loongarch_csr_names[i].name;
	return NULL;
}

/* The CSR number of a name (LOONGARCH_CSR_<name>, any case), or -1. */
static int csr_number_of(const char *name, size_t n)
{
	for (size_t i = 0; i < KVMREG_ARRAY_SIZE(loongarch_csr_names); i++)
		if (strlen(loongarch_csr_names[i].name) == n &&
		    !strncasecmp(loongarch_csr_names[i].name, name, n))
			return (int)loongarch_csr_names[i].csr;
	for (size_t i = 0; i < KVMREG_ARRAY_SIZE(loongarch_csr_aliases); i++)
		if (strlen(loongarch_csr_aliases[i].name) == n &&
		    !strncasecmp(loongarch_csr_aliases[i].name, name, n))
			return (int)loongarch_csr_aliases[i].csr;
	return -1;
}

struct named_reg {
	uint64_t id;
	const char *short_name;
	const char *macro;
};

static const struct named_reg kvm_regs[] = {
	{ KVM_REG_LOONGARCH_COUNTER, "COUNTER", "KVM_REG_LOONGARCH_COUNTER" },
	{ KVM_REG_LOONGARCH_VCPU_RESET, "VCPU_RESET", "KVM_REG_LOONGARCH_VCPU_RESET" },
	{ KVM_REG_LOONGARCH_DEBUG_INST, "DEBUG_INST", "KVM_REG_LOONGARCH_DEBUG_INST" },
};

static const struct named_reg lbt_regs[] = {
	{ KVM_REG_LOONGARCH_LBT_SCR0, "lbt.scr0", "KVM_REG_LOONGARCH_LBT_SCR0" },
	{ KVM_REG_LOONGARCH_LBT_SCR1, "lbt.scr1", "KVM_REG_LOONGARCH_LBT_SCR1" },
	{ KVM_REG_LOONGARCH_LBT_SCR2, "lbt.scr2", "KVM_REG_LOONGARCH_LBT_SCR2" },
	{ KVM_REG_LOONGARCH_LBT_SCR3, "lbt.scr3", "KVM_REG_LOONGARCH_LBT_SCR3" },
	{ KVM_REG_LOONGARCH_LBT_EFLAGS, "lbt.eflags", "KVM_REG_LOONGARCH_LBT_EFLAGS" },
	{ KVM_REG_LOONGARCH_LBT_FTOP, "lbt.ftop", "KVM_REG_LOONGARCH_LBT_FTOP" },
};

static const struct named_reg *named_of(uint64_t id)
{
	const struct named_reg *table = LA_SET(id) == 0x20000 ? kvm_regs : lbt_regs;
	size_t n = LA_SET(id) == 0x20000 ? KVMREG_ARRAY_SIZE(kvm_regs) :
					   KVMREG_ARRAY_SIZE(lbt_regs);

	for (size_t i = 0; i < n; i++)
		if (table[i].id == id)
			return &table[i];
	return NULL;
}

/*
 * libkvmreg's MP state register (docs/ids.md): register set 7, which the
 * kernel leaves undefined (kvm_get_one_reg() refuses it with -EINVAL), u32.
 */
#define LA_MP_STATE_ID	(KVM_REG_LOONGARCH | KVM_REG_SIZE_U32 | 0x70000ULL)
#define LA_MP_STATE_MACRO "KVMREG_LOONGARCH_MP_STATE(mp_state)"

/* ------------------------------------------------------------------ */
/* Well-formedness                                                     */

static int loongarch_id_check(uint64_t id)
{
	uint64_t set = LA_SET(id);

	if ((id & KVM_REG_ARCH_MASK) != KVM_REG_LOONGARCH)
		return kvmreg_set_error(-EINVAL, "0x%016llx: not a LoongArch id",
					(unsigned long long)id);
	if (id == LA_MP_STATE_ID)
		return 0;
	if (id & LA_MBZ_MASK)
		return kvmreg_set_error(-EINVAL,
					"0x%016llx: bits 51..19 must be zero (register set 0x%llx is not defined)",
					(unsigned long long)id,
					(unsigned long long)((id >> 16) & 0xfffffffffULL));
	if (set == 0x60000 || set == 0x70000)
		return kvmreg_set_error(-EINVAL,
					"0x%016llx: register set %llu is not defined (0 GPR, 1 CSR, 2 KVM, 3 FPSIMD, 4 CPUCFG, 5 LBT; libkvmreg's 7 holds only mp_state, u32)",
					(unsigned long long)id,
					(unsigned long long)(set >> 16));
	if (set == 0 || set == 0x30000)	/* GPR, FPSIMD: no rules of their own */
		return 0;
	if (!is_u64(id))
		return kvmreg_set_error(-EINVAL,
					"0x%016llx: LoongArch %s registers are 64 bits, the id says %zu bytes",
					(unsigned long long)id,
					set == 0x10000 ? "CSR" : set == 0x40000 ? "CPUCFG" :
					set == 0x20000 ? "KVM" : "LBT",
					kvmreg_id_size(id));
	if (set == 0x10000 || set == 0x40000) {
		if (id & ((1u << LOONGARCH_REG_SHIFT) - 1))
			return kvmreg_set_error(-EINVAL,
						"0x%016llx: bits 2..0 are reserved (KVM drops them, so the id would alias index %u)",
						(unsigned long long)id, LA_INDEX(id));
		if (LA_LOW(id) & ~KVM_CSR_IDX_MASK)
			return kvmreg_set_error(-EINVAL,
						"0x%016llx: bit 15 is reserved", (unsigned long long)id);
	}
	if (set == 0x10000 && LA_INDEX(id) >= CSR_MAX_NUMS)
		return kvmreg_set_error(-EINVAL,
					"0x%016llx: CSR index 0x%x is outside KVM's CSRs (0 to 0x7ff)",
					(unsigned long long)id, LA_INDEX(id));
	if (set == 0x40000 && LA_INDEX(id) >= KVM_MAX_CPUCFG_REGS)
		return kvmreg_set_error(-EINVAL,
					"0x%016llx: CPUCFG index %u is past the %d KVM serves (0 to %d)",
					(unsigned long long)id, LA_INDEX(id),
					KVM_MAX_CPUCFG_REGS, KVM_MAX_CPUCFG_REGS - 1);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Names                                                               */

static int loongarch_id_name(uint64_t id, enum kvmreg_name_style style,
			     char *buf, size_t len)
{
	const struct named_reg *named;
	const char *csr;
	size_t pos = 0;
	int mp = kvmreg_mp_state_name(id, LA_MP_STATE_ID, LA_MP_STATE_MACRO,
				      style, buf, len);

	if (mp >= 0)
		return mp;
	switch (LA_SET(id)) {
	case 0x10000:
		csr = csr_name_of(LA_INDEX(id));
		if (!csr)
			return 0;
		if (style == KVMREG_NAME_MACRO)
			kvmreg_appendf(buf, len, &pos, "KVM_IOC_CSRID(LOONGARCH_CSR_%s)", csr);
		else
			kvmreg_appendf(buf, len, &pos, "csr.%s", csr);
		return (int)pos;
	case 0x40000:
		if (style == KVMREG_NAME_MACRO)
			kvmreg_appendf(buf, len, &pos, "KVM_IOC_CPUCFG(%u)", LA_INDEX(id));
		else
			kvmreg_appendf(buf, len, &pos, "cpucfg[%u]", LA_INDEX(id));
		return (int)pos;
	case 0x20000:
	case 0x50000:
		named = named_of(id);
		if (!named)
			return 0;
		kvmreg_appendf(buf, len, &pos, "%s",
			       style == KVMREG_NAME_MACRO ? named->macro : named->short_name);
		return (int)pos;
	}
	return 0;
}

/* A macro argument: a number, or a name from loongarch.h (prefix given). */
static int parse_arg(const char *s, size_t n, const char *prefix, int is_csr,
		     uint64_t *out)
{
	size_t plen = strlen(prefix);
	int csr;

	while (n && (*s == ' ' || *s == '\t'))
		s++, n--;
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (!kvmreg_parse_u64(s, n, out))
		return 0;
	if (n <= plen || strncmp(s, prefix, plen))
		return -EINVAL;
	if (is_csr) {
		csr = csr_number_of(s + plen, n - plen);
		if (csr < 0)
			return -EINVAL;
		*out = (uint64_t)csr;
		return 0;
	}
	return kvmreg_parse_u64(s + plen, n - plen, out);
}

/* "KVM_IOC_CSRID(...)" / "KVM_IOC_CPUCFG(...)": 1 if name is one. */
static int parse_ioc(const char *name, uint64_t *id)
{
	const char *args;
	size_t n;
	uint64_t index;
	int is_csr;

	if ((args = kvmreg_skip_prefix(name, "KVM_IOC_CSRID(")))
		is_csr = 1;
	else if ((args = kvmreg_skip_prefix(name, "KVM_IOC_CPUCFG(")))
		is_csr = 0;
	else
		return -ENOENT;
	n = strlen(args);
	if (!n || args[n - 1] != ')')
		return kvmreg_set_error(-EINVAL, "'%s': missing ')'", name);
	if (parse_arg(args, n - 1, is_csr ? "LOONGARCH_CSR_" : "LOONGARCH_CPUCFG",
		      is_csr, &index))
		return kvmreg_set_error(-EINVAL,
					"'%s': the argument is not a number or a %s name",
					name, is_csr ? "LOONGARCH_CSR_*" : "LOONGARCH_CPUCFG<n>");
	if (index >= (is_csr ? CSR_MAX_NUMS : KVM_MAX_CPUCFG_REGS))
		return kvmreg_set_error(-EINVAL, "'%s': %s index %llu is out of range (0 to %u)",
					name, is_csr ? "CSR" : "CPUCFG",
					(unsigned long long)index,
					is_csr ? CSR_MAX_NUMS - 1 : KVM_MAX_CPUCFG_REGS - 1);
	*id = is_csr ? KVM_IOC_CSRID(index) : KVM_IOC_CPUCFG(index);
	return 0;
}

static int loongarch_id_parse(const char *name, uint64_t *id)
{
	const char *rest;
	uint64_t index;
	int err, csr;
	size_t n;

	if (!kvmreg_mp_state_parse(name, LA_MP_STATE_ID, LA_MP_STATE_MACRO, id))
		return 0;
	err = parse_ioc(name, id);
	if (err != -ENOENT)
		return err;
	for (size_t i = 0; i < KVMREG_ARRAY_SIZE(kvm_regs); i++)
		if (!strcmp(name, kvm_regs[i].short_name) || !strcmp(name, kvm_regs[i].macro)) {
			*id = kvm_regs[i].id;
			return 0;
		}
	for (size_t i = 0; i < KVMREG_ARRAY_SIZE(lbt_regs); i++)
		if (!strcmp(name, lbt_regs[i].short_name) || !strcmp(name, lbt_regs[i].macro)) {
			*id = lbt_regs[i].id;
			return 0;
		}
	if ((rest = kvmreg_skip_prefix(name, "csr."))) {
		n = strlen(rest);
		csr = csr_number_of(rest, n);
		if (csr >= 0) {
			*id = KVM_IOC_CSRID((unsigned int)csr);
			return 0;
		}
		if (kvmreg_parse_u64(rest, n, &index))
			return kvmreg_set_error(-EINVAL, "'%s': no LoongArch CSR is called %s",
						name, rest);
		if (index >= CSR_MAX_NUMS)
			return kvmreg_set_error(-EINVAL,
						"'%s': CSR index 0x%llx is outside KVM's CSRs (0 to 0x7ff)",
						name, (unsigned long long)index);
		*id = KVM_IOC_CSRID(index);
		return 0;
	}
	if ((rest = kvmreg_skip_prefix(name, "cpucfg["))) {
		n = strlen(rest);
		if (!n || rest[n - 1] != ']' || kvmreg_parse_u64(rest, n - 1, &index))
			return kvmreg_set_error(-EINVAL, "'%s': expected cpucfg[N]", name);
		if (index >= KVM_MAX_CPUCFG_REGS)
			return kvmreg_set_error(-EINVAL,
						"'%s': CPUCFG index %llu is past the %d KVM serves",
						name, (unsigned long long)index,
						KVM_MAX_CPUCFG_REGS);
		*id = KVM_IOC_CPUCFG(index);
		return 0;
	}
	return -ENOENT;
}

static const char *loongarch_id_group(uint64_t id)
{
	if (id == LA_MP_STATE_ID)
		return "mp_state";
	switch (LA_SET(id)) {
	case 0x00000:
		return "gpr";
	case 0x10000:
		return "csr";
	case 0x20000:
		return "kvm";
	case 0x30000:
		return "fpsimd";
	case 0x40000:
		return "cpucfg";
	case 0x50000:
		return "lbt";
	}
	return NULL;
}

/*
 * Values that move while the vCPU runs even if the guest does nothing:
 * the stable counter (COUNTER), the timer's remaining ticks (TVAL), the PMU
 * counters, and ESTAT, whose interrupt-pending bits the timer and KVM's
 * interrupt injection set.
 */
static int loongarch_id_is_volatile(uint64_t id)
{
	unsigned int csr = LA_INDEX(id);

	if (id == KVM_REG_LOONGARCH_COUNTER)
		return 1;
	if (LA_SET(id) != 0x10000)
		return 0;
	return csr == LOONGARCH_CSR_TVAL || csr == LOONGARCH_CSR_ESTAT ||
	       (csr >= LOONGARCH_CSR_PERFCNTR0 && csr <= LOONGARCH_CSR_PERFCNTR3 &&
		(csr & 1));
}

static int loongarch_known_ids(struct kvmreg_idvec *out)
{
	int err = kvmreg_idvec_push(out, LA_MP_STATE_ID);

	for (size_t i = 0; !err && i < KVMREG_ARRAY_SIZE(loongarch_csr_names); i++)
		err = kvmreg_idvec_push(out, KVM_IOC_CSRID(loongarch_csr_names[i].csr));
	for (unsigned int i = 0; !err && i < KVM_MAX_CPUCFG_REGS; i++)
		err = kvmreg_idvec_push(out, KVM_IOC_CPUCFG(i));
	for (size_t i = 0; !err && i < KVMREG_ARRAY_SIZE(kvm_regs); i++)
		err = kvmreg_idvec_push(out, kvm_regs[i].id);
	for (size_t i = 0; !err && i < KVMREG_ARRAY_SIZE(lbt_regs); i++)
		err = kvmreg_idvec_push(out, lbt_regs[i].id);
	return err;
}

/* ------------------------------------------------------------------ */
/* The list                                                            */

/*
 * The CSRs every guest has, in CSR number order: those whose value, written
 * with KVM_SET_ONE_REG, is what the guest finds when it next runs. That is
 * the CSRs _kvm_vcpu_load()/kvm_restore_timer() restore from their software
 * copy, and the ones KVM emulates in software (SW_GCSR in
 * kvm_init_gcsr_flag()), which the guest writes and reads back; all eight
 * PERF CSRs are one or the other whatever the guest's PMU. Not PGD (read
 * as PGDL or PGDH, never restored), PRCFG1..3 (read-only, the guest reads
 * the hardware's), TINTCLR (never saved), nor the root-mode GSTAT, GCFG,
 * GINTC, GCNTC.
 */
static const char *const base_csrs[] = {
	"CRMD", "PRMD", "EUEN", "MISC", "ECFG", "ESTAT", "ERA", "BADV", "BADI",
	"EENTRY", "TLBIDX", "TLBEHI", "TLBELO0", "TLBELO1", "ASID", "PGDL",
	"PGDH", "PWCTL0", "PWCTL1", "STLBPGSIZE", "RVACFG", "CPUID",
	"KS0", "KS1", "KS2", "KS3", "KS4", "KS5", "KS6", "KS7",
	"TMID", "TCFG", "TVAL", "CNTC", "LLBCTL", "IMPCTL1", "IMPCTL2",
	"TLBRENTRY", "TLBRBADV", "TLBRERA", "TLBRSAVE", "TLBRELO0", "TLBRELO1",
	"TLBREHI", "TLBRPRMD", "MERRCTL", "MERRINFO1", "MERRINFO2", "MERRENTRY",
	"MERRERA", "MERRSAVE", "CTAG", "DMWIN0", "DMWIN1", "DMWIN2", "DMWIN3",
	"PERFCTRL0", "PERFCNTR0", "PERFCTRL1", "PERFCNTR1",
	"PERFCTRL2", "PERFCNTR2", "PERFCTRL3", "PERFCNTR3",
	"MWPC", "MWPS",
	"DB0ADDR", "DB0MASK", "DB0CTRL", "DB0ASID",
	"DB1ADDR", "DB1MASK", "DB1CTRL", "DB1ASID",
	"DB2ADDR", "DB2MASK", "DB2CTRL", "DB2ASID",
	"DB3ADDR", "DB3MASK", "DB3CTRL", "DB3ASID",
	"DB4ADDR", "DB4MASK", "DB4CTRL", "DB4ASID",
	"DB5ADDR", "DB5MASK", "DB5CTRL", "DB5ASID",
	"DB6ADDR", "DB6MASK", "DB6CTRL", "DB6ASID",
	"DB7ADDR", "DB7MASK", "DB7CTRL", "DB7ASID",
	"FWPC", "FWPS",
	"IB0ADDR", "IB0MASK", "IB0CTRL", "IB0ASID",
	"IB1ADDR", "IB1MASK", "IB1CTRL", "IB1ASID",
	"IB2ADDR", "IB2MASK", "IB2CTRL", "IB2ASID",
	"IB3ADDR", "IB3MASK", "IB3CTRL", "IB3ASID",
	"IB4ADDR", "IB4MASK", "IB4CTRL", "IB4ASID",
	"IB5ADDR", "IB5MASK", "IB5CTRL", "IB5ASID",
	"IB6ADDR", "IB6MASK", "IB6CTRL", "IB6ASID",
	"IB7ADDR", "IB7MASK", "IB7CTRL", "IB7ASID",
	"DEBUG", "DERA", "DESAVE",
};

/* _kvm_vcpu_load() restores them only when CPUCFG1 has MSGINT */
static const char *const msgint_csrs[] = { "ISR0", "ISR1", "ISR2", "ISR3", "IPR" };

#define MAX_PMU_COUNTERS 4

/*
 * The features the list depends on. "pmu" and "pmu=N" are still accepted
 * (and checked), but add nothing: the PERF CSRs are listed for every guest.
 */
struct guest_features {
	int lbt;
	int msgint;
};

static int parse_features(const char *features, struct guest_features *f)
{
	const char *p = features;
	uint64_t counters;

	memset(f, 0, sizeof(*f));
	while (*p) {
		size_t n = strcspn(p, ",");

		if (n == 3 && !strncmp(p, "lbt", 3)) {
			f->lbt = 1;
		} else if (n == 6 && !strncmp(p, "msgint", 6)) {
			f->msgint = 1;
		} else if (n == 3 && !strncmp(p, "pmu", 3)) {
			/* no register of its own */
		} else if (n > 4 && !strncmp(p, "pmu=", 4)) {
			if (kvmreg_parse_u64(p + 4, n - 4, &counters) ||
			    counters > MAX_PMU_COUNTERS)
				return kvmreg_set_error(-EINVAL,
							"loongarch64: '%.*s': pmu=N takes 0 to %d counters",
							(int)n, p, MAX_PMU_COUNTERS);
		} else if (n) {
			return kvmreg_set_error(-EINVAL,
						"loongarch64: unknown guest feature '%.*s' (known: pmu=N, lbt, msgint)",
						(int)n, p);
		}
		p += n + (p[n] == ',');
	}
	return 0;
}

/* What the vCPU's CPUCFG says, the way KVM reads it (kvm_guest_has_*()). */
static int probe_features(struct kvmreg_vcpu *vcpu, struct guest_features *f)
{
	uint64_t cfg1, cfg2;
	int err;

	err = kvmreg_one_reg_get(vcpu, KVM_IOC_CPUCFG(LOONGARCH_CPUCFG1), &cfg1);
	if (!err)
		err = kvmreg_one_reg_get(vcpu, KVM_IOC_CPUCFG(LOONGARCH_CPUCFG2), &cfg2);
	if (err)
		return kvmreg_wrap_error(err, "loongarch64: reading the guest's CPUCFG");
	memset(f, 0, sizeof(*f));
	f->msgint = !!(cfg1 & CPUCFG1_MSGINT);
	f->lbt = !!(cfg2 & (CPUCFG2_X86BT | CPUCFG2_ARMBT | CPUCFG2_MIPSBT));
	return 0;
}

static int push_csrs(struct kvmreg_idvec *out, const char *const *names, size_t n)
{
	int err = 0;

	for (size_t i = 0; !err && i < n; i++) {
		int csr = csr_number_of(names[i], strlen(names[i]));

		if (csr < 0)
			return kvmreg_set_error(-EINVAL,
						"loongarch64 fallback table: %s is not a CSR name",
						names[i]);
		err = kvmreg_idvec_push(out, KVM_IOC_CSRID((unsigned int)csr));
	}
	return err;
}

/*
 * features: "lbt", "msgint", and "pmu=N" (0 to 4) or "pmu", which change
 * nothing, comma-separated. Without features, a vCPU's CPUCFG decides;
 * without either, the default guest is the base guest: no LBT, no MSGINT,
 * the registers every LoongArch guest has. The order is the kernel's:
 * every guest's registers (CPUCFG, the CSRs, COUNTER), then MSGINT's, then
 * LBT's.
 */
static int loongarch_fallback(struct kvmreg_vcpu *vcpu, const char *features,
			      struct kvmreg_idvec *out)
{
	struct guest_features f;
	int err;

	if (features)
		err = parse_features(features, &f);
	else if (vcpu)
		err = probe_features(vcpu, &f);
	else
		err = parse_features("", &f);
	if (err)
		return err;

	for (unsigned int i = 0; !err && i < KVM_MAX_CPUCFG_REGS; i++)
		err = kvmreg_idvec_push(out, KVM_IOC_CPUCFG(i));
	if (!err)
		err = push_csrs(out, base_csrs, KVMREG_ARRAY_SIZE(base_csrs));
	if (!err)
		err = kvmreg_idvec_push(out, KVM_REG_LOONGARCH_COUNTER);
	if (!err && f.msgint)
		err = push_csrs(out, msgint_csrs, KVMREG_ARRAY_SIZE(msgint_csrs));
	for (size_t i = 0; !err && f.lbt && i < KVMREG_ARRAY_SIZE(lbt_regs); i++)
		err = kvmreg_idvec_push(out, lbt_regs[i].id);
	return err;
}

/* ------------------------------------------------------------------ */
/* Restore order                                                       */

/*
 * What KVM's set path needs (the series' api.rst text, kernel/README.md):
 * CPUCFG before the LBT registers (-ENXIO until CPUCFG2 enables LBT) and
 * before ESTAT (its AVEC bit is dropped unless CPUCFG1 has MSGINT). Nothing
 * else depends on an order: TCFG and TVAL arm the timer at the next
 * KVM_RUN whatever order they come in (with the series' timer patch;
 * without it no order helps), CPUID can be set once whenever it is set,
 * and COUNTER is per VM, so only vCPU 0's write counts, in any order.
 */
enum loongarch_rank {
	RANK_CPUCFG = 0,
	RANK_AFTER_CPUCFG = 20,
	/* libkvmreg's mp_state: KVM_SET_MP_STATE after the registers, as
	 * on arm64 and riscv64 */
	RANK_MP_STATE = 30,
};

static int loongarch_restore_rank(uint64_t id)
{
	if (id == LA_MP_STATE_ID)
		return RANK_MP_STATE;
	return LA_SET(id) == 0x40000 ? RANK_CPUCFG : RANK_AFTER_CPUCFG;
}

static const char *loongarch_restore_reason(uint64_t id)
{
	unsigned int csr = LA_INDEX(id);

	if (id == LA_MP_STATE_ID)
		return "MP state: after the registers, as on arm64 and riscv64 (KVM_SET_MP_STATE, not a ONE_REG register)";

	switch (LA_SET(id)) {
	case 0x40000:
		return "CPUCFG: first, as LBT registers return ENXIO until CPUCFG2 enables LBT and ESTAT drops AVEC unless CPUCFG1 has MSGINT";
	case 0x50000:
		return "LBT: after CPUCFG2, as KVM returns ENXIO until it enables LBT";
	case 0x20000:
		if (id == KVM_REG_LOONGARCH_COUNTER)
			return "counter: per VM, so only vCPU 0's write counts (the others are accepted and ignored); no order";
		break;
	case 0x10000:
		if (csr == LOONGARCH_CSR_ESTAT)
			return "ESTAT: after CPUCFG1, or its AVEC bit is dropped; carries GINTC's pending IP0..7";
		if (csr == LOONGARCH_CSR_CPUID)
			return "CPUID: can be set once per vCPU (a fresh vCPU reads 256, which cannot be written); no order";
		if (csr == LOONGARCH_CSR_TCFG || csr == LOONGARCH_CSR_TVAL)
			return "timer: TCFG and TVAL in either order, the timer is armed from them at the next KVM_RUN";
		break;
	}
	return "no order dependency in KVM's set path";
}

static const char *const loongarch_aliases[] = { "loongarch", "loong64", "la64", NULL };

const struct kvmreg_arch_driver kvmreg_arch_loongarch64 = {
	.arch = KVMREG_ARCH_LOONGARCH64,
	.name = "loongarch64",
	.aliases = loongarch_aliases,
	.kvm_reg_arch = KVM_REG_LOONGARCH,
	.id_check = loongarch_id_check,
	.id_name = loongarch_id_name,
	.id_parse = loongarch_id_parse,
	.id_group = loongarch_id_group,
	.id_is_volatile = loongarch_id_is_volatile,
	.known_ids = loongarch_known_ids,
	.fallback = loongarch_fallback,
	.probe_is_informative = 0,
	.restore_rank = loongarch_restore_rank,
	.restore_reason = loongarch_restore_reason,
};
