// SPDX-License-Identifier: MIT
/*
 * loongarch64 names: ids typed in from the Linux 7.2 uapi macros, malformed
 * ids and names and what each says, groups, volatility, restore order, and
 * the fallback table per guest feature set against the kernel series' own
 * blessed lists (its selftest patch in kernel/patches/). What every driver
 * owes (round trips over every known id, unique names, ...) is
 * driver_properties.c's.
 */
#include <dirent.h>
#include <inttypes.h>
#include <stdint.h>

#include "arch/arch.h"
#include "arch/loongarch64/uapi.h"
#include "harness.h"
#include "internal.h"
#include "kvmreg.h"
#include "lib/names.h"

#define LA KVMREG_ARCH_LOONGARCH64

struct expected {
	uint64_t id;		/* typed in by hand from the 7.2 macros */
	uint64_t from_macros;	/* the same, from our uapi header */
	const char *short_name;
	const char *macro_name;
};

static const struct expected expected[] = {
	{ 0x9030000000020001ULL, KVM_REG_LOONGARCH_COUNTER,
	  "COUNTER", "KVM_REG_LOONGARCH_COUNTER" },
	{ 0x9030000000020002ULL, KVM_REG_LOONGARCH_VCPU_RESET,
	  "VCPU_RESET", "KVM_REG_LOONGARCH_VCPU_RESET" },
	{ 0x9030000000020003ULL, KVM_REG_LOONGARCH_DEBUG_INST,
	  "DEBUG_INST", "KVM_REG_LOONGARCH_DEBUG_INST" },
	{ 0x9030000000010000ULL, KVM_IOC_CSRID(0x0),
	  "csr.CRMD", "KVM_IOC_CSRID(LOONGARCH_CSR_CRMD)" },
	{ 0x9030000000010028ULL, KVM_IOC_CSRID(0x5),
	  "csr.ESTAT", "KVM_IOC_CSRID(LOONGARCH_CSR_ESTAT)" },
	{ 0x9030000000010100ULL, KVM_IOC_CSRID(0x20),
	  "csr.CPUID", "KVM_IOC_CSRID(LOONGARCH_CSR_CPUID)" },
	{ 0x9030000000010208ULL, KVM_IOC_CSRID(0x41),
	  "csr.TCFG", "KVM_IOC_CSRID(LOONGARCH_CSR_TCFG)" },
	{ 0x9030000000010c00ULL, KVM_IOC_CSRID(0x180),
	  "csr.DMWIN0", "KVM_IOC_CSRID(LOONGARCH_CSR_DMWIN0)" },
	{ 0x9030000000011038ULL, KVM_IOC_CSRID(0x207),
	  "csr.PERFCNTR3", "KVM_IOC_CSRID(LOONGARCH_CSR_PERFCNTR3)" },
	{ 0x9030000000012810ULL, KVM_IOC_CSRID(0x502),
	  "csr.DESAVE", "KVM_IOC_CSRID(LOONGARCH_CSR_DESAVE)" },
	{ 0x9030000000040000ULL, KVM_IOC_CPUCFG(0),
	  "cpucfg[0]", "KVM_IOC_CPUCFG(0)" },
	{ 0x9030000000040010ULL, KVM_IOC_CPUCFG(2),
	  "cpucfg[2]", "KVM_IOC_CPUCFG(2)" },
	{ 0x90300000000400a0ULL, KVM_IOC_CPUCFG(20),
	  "cpucfg[20]", "KVM_IOC_CPUCFG(20)" },
	{ 0x9030000000050001ULL, KVM_REG_LOONGARCH_LBT_SCR0,
	  "lbt.scr0", "KVM_REG_LOONGARCH_LBT_SCR0" },
	{ 0x9030000000050005ULL, KVM_REG_LOONGARCH_LBT_EFLAGS,
	  "lbt.eflags", "KVM_REG_LOONGARCH_LBT_EFLAGS" },
	{ 0x9030000000050006ULL, KVM_REG_LOONGARCH_LBT_FTOP,
	  "lbt.ftop", "KVM_REG_LOONGARCH_LBT_FTOP" },
};

TEST(hand_computed_ids)
{
	for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++) {
		const struct expected *e = &expected[i];
		uint64_t id = 0;

		EXPECT(e->id == e->from_macros, "%s: 0x%016" PRIx64 " != 0x%016" PRIx64,
		       e->short_name, e->id, e->from_macros);
		EXPECT(!strcmp(t_name_of(LA, e->id, KVMREG_NAME_SHORT), e->short_name),
		       "0x%016" PRIx64 ": '%s', want '%s'", e->id, t_name_buf,
		       e->short_name);
		EXPECT(!strcmp(t_name_of(LA, e->id, KVMREG_NAME_MACRO), e->macro_name),
		       "0x%016" PRIx64 ": '%s', want '%s'", e->id, t_name_buf,
		       e->macro_name);
		EXPECT(kvmreg_id_parse(LA, e->short_name, &id) == 0 && id == e->id,
		       "'%s': %s", e->short_name, kvmreg_error());
		EXPECT(kvmreg_id_parse(LA, e->macro_name, &id) == 0 && id == e->id,
		       "'%s': %s", e->macro_name, kvmreg_error());
		EXPECT(kvmreg_id_size(e->id) == 8, "u64");
		EXPECT(kvmreg_arch_of_id(e->id) == LA, "arch field");
	}
	EXPECT(kvmreg_arch_from_name("loongarch") == LA, "alias loongarch");
	EXPECT(kvmreg_arch_from_name("loong64") == LA, "alias loong64");
}

static bool is_csr(uint64_t id)
{
	return (id & 0x70000) == 0x10000;
}

/* 226 CSRs in 7.2's loongarch.h (MCSR0 is PRID): each has its name (the
 * driver's total count is driver_properties.c's). */
TEST(known_ids_have_every_csr)
{
	EXPECT(t_known_ids_where(LA, is_csr) == 226, "%zu CSR names",
	       t_known_ids_where(LA, is_csr));
}

TEST(lenient_forms)
{
	static const struct {
		const char *name;
		uint64_t id;
	} forms[] = {
		{ "csr.crmd", 0x9030000000010000ULL },
		{ "csr.0x41", 0x9030000000010208ULL },
		{ "csr.MCSR0", 0x9030000000010600ULL },	/* alias of PRID */
		{ "KVM_IOC_CSRID(0x41)", 0x9030000000010208ULL },
		{ "KVM_IOC_CSRID( LOONGARCH_CSR_TCFG )", 0x9030000000010208ULL },
		{ "KVM_IOC_CPUCFG(LOONGARCH_CPUCFG2)", 0x9030000000040010ULL },
		{ "0x9030000000020001", 0x9030000000020001ULL },
	};

	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		uint64_t id = 0;

		EXPECT(kvmreg_id_parse(LA, forms[i].name, &id) == 0 &&
		       id == forms[i].id, "'%s' -> 0x%016" PRIx64 " (%s)",
		       forms[i].name, id, kvmreg_error());
	}
	EXPECT(!strcmp(t_name_of(LA, 0x9030000000010600ULL, KVMREG_NAME_SHORT),
		       "csr.PRID"), "0xc0 prints as PRID: %s", t_name_buf);
}

static const struct {
	uint64_t id;
	const char *says;
} bad_ids[] = {
	{ 0x9020000000010000ULL, "64 bits" },		/* CSR as u32 */
	{ 0x9030000000010001ULL, "bits 2..0" },		/* CSR low bits */
	{ 0x9030000000018000ULL, "bit 15" },		/* CSR bit 15 */
	{ 0x9030000000014000ULL, "0x800" },		/* CSR 0x800 */
	{ 0x9030000000017ff8ULL, "0xfff" },		/* CSR 0xfff */
	{ 0x90300000000400a8ULL, "CPUCFG index 21" },
	{ 0x9030000000040011ULL, "bits 2..0" },		/* CPUCFG low bits */
	{ 0x9020000000020001ULL, "64 bits" },		/* COUNTER as u32 */
	{ 0x9040000000050001ULL, "64 bits" },		/* LBT as u128 */
	{ 0x9030000000060000ULL, "register set 6" },
	{ 0x9030000000070000ULL, "register set 7" },
	{ 0x9030000100010000ULL, "bits 51..19" },
	{ 0x9030000000090000ULL, "bits 51..19" },	/* set 9 */
};

TEST(malformed_ids_are_rejected)
{
	for (size_t i = 0; i < sizeof(bad_ids) / sizeof(bad_ids[0]); i++) {
		const char *fault = t_bad_id_fault(LA, bad_ids[i].id,
						   bad_ids[i].says);

		EXPECT(!fault, "%s", fault);
	}
	EXPECT(kvmreg_id_check(LA, 0x6030000000100000ULL) == -EINVAL,
	       "an arm64 id passes as LoongArch");
	EXPECT(strcasestr(kvmreg_error(), "loongarch"), "'%s' names no arch",
	       kvmreg_error());
}

/* Well formed, but without a name in 7.2: generic names that parse back. */
TEST(unknown_ids_get_generic_names)
{
	static const uint64_t unknown[] = {
		0x9030000000010068ULL,	/* CSR 0xd: a hole */
		0x9030000000013ff8ULL,	/* CSR 0x7ff */
		0x9030000000020004ULL,	/* KVM register 4 */
		0x9030000000050007ULL,	/* LBT register 7 */
		0x9030000000000008ULL,	/* GPR set: not served by ONE_REG */
		0x9040000000030000ULL,	/* FPSIMD set, u128 */
	};

	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		uint64_t back = 0;
		const struct kvmreg_arch_driver *d = kvmreg_driver(LA);

		EXPECT(kvmreg_id_check(LA, unknown[i]) == 0, "0x%016" PRIx64 ": %s",
		       unknown[i], kvmreg_error());
		EXPECT(d->id_name(unknown[i], KVMREG_NAME_SHORT, t_name_buf,
				  sizeof(t_name_buf)) == 0,
		       "0x%016" PRIx64 ": the driver named it", unknown[i]);
		t_name_of(LA, unknown[i], KVMREG_NAME_SHORT);
		EXPECT(t_name_is_generic(t_name_buf), "0x%016" PRIx64 ": '%s'", unknown[i],
		       t_name_buf);
		EXPECT(kvmreg_id_parse(LA, t_name_buf, &back) == 0 &&
		       back == unknown[i], "'%s': %s", t_name_buf, kvmreg_error());
	}
}

TEST(malformed_names_are_rejected)
{
	static const struct {
		const char *name;
		const char *says;
	} bad[] = {
		{ "csr.NOPE", "no LoongArch CSR is called NOPE" },
		{ "csr.0x800", "outside KVM's CSRs" },
		{ "cpucfg[21]", "past the 21" },
		{ "cpucfg[x]", "expected cpucfg[N]" },
		{ "cpucfg[2", "expected cpucfg[N]" },
		{ "KVM_IOC_CSRID(0x800)", "out of range" },
		{ "KVM_IOC_CSRID(LOONGARCH_CSR_NOPE)", "LOONGARCH_CSR_*" },
		{ "KVM_IOC_CPUCFG(2", "missing ')'" },
		{ "KVM_IOC_CPUCFG(LOONGARCH_CPUCFG21)", "out of range" },
		{ "lbt.scr4", "names no loongarch64 register" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *fault = t_bad_name_fault(LA, bad[i].name,
						     bad[i].says);

		EXPECT(!fault, "%s", fault);
	}
}

TEST(groups_and_volatile)
{
	EXPECT(!strcmp(kvmreg_id_group(LA, KVM_IOC_CSRID(0)), "csr"), "csr");
	EXPECT(!strcmp(kvmreg_id_group(LA, KVM_IOC_CPUCFG(2)), "cpucfg"), "cpucfg");
	EXPECT(!strcmp(kvmreg_id_group(LA, KVM_REG_LOONGARCH_COUNTER), "kvm"), "kvm");
	EXPECT(!strcmp(kvmreg_id_group(LA, KVM_REG_LOONGARCH_LBT_FTOP), "lbt"), "lbt");
	EXPECT(!strcmp(kvmreg_id_group(LA, 0x9040000000030000ULL), "fpsimd"), "fpsimd");
	EXPECT(!strcmp(kvmreg_id_group(LA, 0x9030000000000008ULL), "gpr"), "gpr");

	EXPECT(kvmreg_id_is_volatile(LA, KVM_REG_LOONGARCH_COUNTER), "COUNTER");
	EXPECT(kvmreg_id_is_volatile(LA, KVM_IOC_CSRID(LOONGARCH_CSR_TVAL)), "TVAL");
	EXPECT(kvmreg_id_is_volatile(LA, KVM_IOC_CSRID(LOONGARCH_CSR_ESTAT)), "ESTAT");
	EXPECT(kvmreg_id_is_volatile(LA, KVM_IOC_CSRID(LOONGARCH_CSR_PERFCNTR0)), "PERFCNTR0");
	EXPECT(kvmreg_id_is_volatile(LA, KVM_IOC_CSRID(LOONGARCH_CSR_PERFCNTR3)), "PERFCNTR3");
	EXPECT(!kvmreg_id_is_volatile(LA, KVM_IOC_CSRID(LOONGARCH_CSR_PERFCTRL0)), "PERFCTRL0");
	EXPECT(!kvmreg_id_is_volatile(LA, KVM_IOC_CSRID(LOONGARCH_CSR_TCFG)), "TCFG");
	EXPECT(!kvmreg_id_is_volatile(LA, KVM_IOC_CSRID(0)), "CRMD");
	EXPECT(!kvmreg_id_is_volatile(LA, KVM_IOC_CPUCFG(6)), "CPUCFG6");
}

TEST(restore_order)
{
	const struct kvmreg_arch_driver *d = kvmreg_driver(LA);
	uint64_t cpucfg = KVM_IOC_CPUCFG(6), crmd = KVM_IOC_CSRID(0);
	uint64_t cpuid = KVM_IOC_CSRID(LOONGARCH_CSR_CPUID);
	uint64_t lbt = KVM_REG_LOONGARCH_LBT_SCR0;
	uint64_t pmu = KVM_IOC_CSRID(LOONGARCH_CSR_PERFCTRL0);
	uint64_t isr = KVM_IOC_CSRID(LOONGARCH_CSR_ISR0);
	uint64_t tval = KVM_IOC_CSRID(LOONGARCH_CSR_TVAL);
	uint64_t tcfg = KVM_IOC_CSRID(LOONGARCH_CSR_TCFG);
	uint64_t counter = KVM_REG_LOONGARCH_COUNTER;
	uint64_t estat = KVM_IOC_CSRID(LOONGARCH_CSR_ESTAT);
	/* CPUCFG first; the rest has no order of its own, so it keeps the saved one */
	const uint64_t scrambled[] = { counter, tcfg, isr, crmd, tval, lbt, pmu,
				       cpuid, estat, cpucfg };
	const uint64_t want[] = { cpucfg, counter, tcfg, isr, crmd, tval, lbt, pmu,
				  cpuid, estat };
	struct kvmreg_state *state = kvmreg_state_new(LA);
	uint64_t order[10], zero = 0;

	REQUIRE(d->restore_rank && d->restore_reason, "hooks");
	REQUIRE(state, "state");
	for (size_t i = 0; i < 10; i++)
		REQUIRE(kvmreg_state_set(state, scrambled[i], &zero, 8) == 0, "%s",
			kvmreg_error());
	REQUIRE(kvmreg_restore_order(state, order) == 0, "%s", kvmreg_error());
	for (size_t i = 0; i < 10; i++) {
		char got[sizeof(t_name_buf)];

		snprintf(got, sizeof(got), "%s", t_name_of(LA, order[i], KVMREG_NAME_SHORT));
		EXPECT(order[i] == want[i], "position %zu: %s, want %s", i, got,
		       t_name_of(LA, want[i], KVMREG_NAME_SHORT));
	}
	kvmreg_state_free(state);
	EXPECT(strstr(d->restore_reason(tcfg), "either order"), "%s", d->restore_reason(tcfg));
	EXPECT(strstr(d->restore_reason(lbt), "ENXIO"), "%s", d->restore_reason(lbt));
	EXPECT(strstr(d->restore_reason(estat), "AVEC"), "%s", d->restore_reason(estat));
	EXPECT(strstr(d->restore_reason(cpuid), "once"), "%s", d->restore_reason(cpuid));
	EXPECT(strstr(d->restore_reason(counter), "vCPU 0"), "%s",
	       d->restore_reason(counter));
	EXPECT(d->probe_is_informative == 0,
	       "KVM accepts any CSR below 0x800: probing tells nothing");
}

static size_t count_csrs_in(const struct kvmreg_list *list, unsigned int lo,
			    unsigned int hi)
{
	size_t n = 0;

	for (size_t i = 0; i < list->count; i++) {
		uint64_t id = list->regs[i].id;
		unsigned int csr = (unsigned int)((id & 0x7fff) >> 3);

		n += (id & 0x70000) == 0x10000 && csr >= lo && csr <= hi;
	}
	return n;
}

/*
 * The kernel series' order: CPUCFG0..20, every guest's CSRs in CSR number
 * order, COUNTER, then MSGINT's CSRs, then LBT's registers.
 */
static void check_table(const char *features, size_t want, int lbt, int msgint)
{
	const char *label = features ? features : "(default)";
	const size_t csrs_end = KVM_MAX_CPUCFG_REGS + 135;
	struct kvmreg_list *list = NULL;
	size_t lbts = 0;

	REQUIRE(kvmreg_fallback_table(LA, features, &list) == 0, "'%s': %s",
		label, kvmreg_error());
	EXPECT(list->count == want, "'%s': %zu registers, want %zu", label,
	       list->count, want);
	REQUIRE(list->count == want, "'%s': cannot check the order", label);
	for (unsigned int i = 0; i < KVM_MAX_CPUCFG_REGS; i++)
		EXPECT(list->regs[i].id == KVM_IOC_CPUCFG(i),
		       "'%s': CPUCFG%u at %u", label, i, i);
	for (size_t i = KVM_MAX_CPUCFG_REGS; i < csrs_end; i++) {
		EXPECT((list->regs[i].id & 0x70000) == 0x10000, "'%s': a CSR at %zu",
		       label, i);
		if (i > KVM_MAX_CPUCFG_REGS)
			EXPECT(list->regs[i - 1].id < list->regs[i].id,
			       "'%s': CSR number order at %zu (%s)", label, i,
			       t_name_of(LA, list->regs[i].id, KVMREG_NAME_SHORT));
	}
	EXPECT(list->regs[csrs_end].id == KVM_REG_LOONGARCH_COUNTER,
	       "'%s': COUNTER after the CSRs", label);
	for (size_t i = 0; i < list->count; i++) {
		const struct kvmreg_reg *r = &list->regs[i];

		EXPECT(r->source == KVMREG_SRC_FALLBACK, "source");
		EXPECT(r->size == 8, "size");
		EXPECT(kvmreg_id_check(LA, r->id) == 0, "%s", kvmreg_error());
		EXPECT(!t_name_is_generic(t_name_of(LA, r->id, KVMREG_NAME_SHORT)),
		       "0x%016" PRIx64, r->id);
		/* No write of these reaches the guest */
		EXPECT(r->id != KVM_IOC_CSRID(LOONGARCH_CSR_TINTCLR) &&
		       r->id != KVM_IOC_CSRID(LOONGARCH_CSR_PGD) &&
		       r->id != KVM_IOC_CSRID(LOONGARCH_CSR_PRCFG1) &&
		       r->id != KVM_IOC_CSRID(LOONGARCH_CSR_PRCFG2) &&
		       r->id != KVM_IOC_CSRID(LOONGARCH_CSR_PRCFG3),
		       "'%s': %s is listed", label, t_name_of(LA, r->id, KVMREG_NAME_SHORT));
		EXPECT(r->id != KVM_REG_LOONGARCH_VCPU_RESET &&
		       r->id != KVM_REG_LOONGARCH_DEBUG_INST,
		       "'%s': VCPU_RESET/DEBUG_INST are not state", label);
		if (i)
			EXPECT(kvmreg_id_restore_rank(LA, list->regs[i - 1].id) <=
			       kvmreg_id_restore_rank(LA, r->id),
			       "'%s': not in restore order at %zu (%s)", label, i,
			       t_name_of(LA, r->id, KVMREG_NAME_SHORT));
		for (size_t j = 0; j < i; j++)
			EXPECT(list->regs[j].id != r->id, "'%s': duplicate %s",
			       label, t_name_of(LA, r->id, KVMREG_NAME_SHORT));
		EXPECT(!!(r->flags & KVMREG_REG_VOLATILE) ==
		       kvmreg_id_is_volatile(LA, r->id), "volatile flag");
		if ((r->id & 0x70000) == 0x50000) {
			lbts++;
			EXPECT(i >= list->count - 6, "'%s': LBT last, at %zu", label, i);
		}
	}
	EXPECT(lbts == (lbt ? 6u : 0u), "'%s': %zu LBT registers", label, lbts);
	/* All eight PERF CSRs, whatever the features say of a PMU */
	EXPECT(count_csrs_in(list, LOONGARCH_CSR_PERFCTRL0, LOONGARCH_CSR_PERFCNTR3) == 8,
	       "'%s': PMU CSRs", label);
	EXPECT(count_csrs_in(list, LOONGARCH_CSR_ISR0, LOONGARCH_CSR_IPR) ==
	       (msgint ? 5u : 0u), "'%s': MSGINT CSRs", label);
	if (msgint)
		EXPECT(list->regs[csrs_end + 1].id == KVM_IOC_CSRID(LOONGARCH_CSR_ISR0),
		       "'%s': MSGINT's CSRs right after COUNTER", label);
	kvmreg_list_free(list);
}

TEST(fallback_tables)
{
	/* 21 CPUCFG + 135 CSRs + COUNTER */
	const size_t base = 21 + 135 + 1;

	check_table(NULL, base, 0, 0);
	check_table("", base, 0, 0);
	check_table("lbt", base + 6, 1, 0);
	check_table("msgint", base + 5, 0, 1);
	for (unsigned int n = 0; n <= 4; n++) {
		char features[16];

		snprintf(features, sizeof(features), "pmu=%u", n);
		check_table(features, base, 0, 0);
	}
	check_table("pmu", base, 0, 0);
	check_table("pmu=4,lbt,msgint", base + 6 + 5, 1, 1);
	check_table("msgint,,lbt,pmu=2", base + 6 + 5, 1, 1);
}

TEST(fallback_features_rejected)
{
	static const struct {
		const char *features;
		const char *says;
	} bad[] = {
		{ "pmu=5", "0 to 4 counters" },
		{ "pmu=x", "0 to 4 counters" },
		{ "pmu=", "unknown guest feature 'pmu='" },
		{ "lbt,bogus", "unknown guest feature 'bogus'" },
		{ "LBT", "unknown guest feature 'LBT'" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct kvmreg_list *list = NULL;

		EXPECT(kvmreg_fallback_table(LA, bad[i].features, &list) == -EINVAL,
		       "'%s' accepted", bad[i].features);
		EXPECT(strstr(kvmreg_error(), bad[i].says), "'%s': '%s'",
		       bad[i].features, kvmreg_error());
		EXPECT(!list, "no list on error");
	}
}

/* kernel/patches/NNNN-<suffix>, the series' patch of that name, in path */
static int series_patch(const char *suffix, char *path, size_t len)
{
	DIR *dir = opendir("kernel/patches");
	struct dirent *e;
	size_t n = strlen(suffix);
	int found = 0;

	if (!dir)
		return 0;
	while (!found && (e = readdir(dir))) {
		size_t m = strlen(e->d_name);

		if (m == n + 5 && e->d_name[4] == '-' && !strcmp(e->d_name + 5, suffix)) {
			snprintf(path, len, "kernel/patches/%s", e->d_name);
			found = 1;
		}
	}
	closedir(dir);
	return found;
}

/*
 * The kernel series' own blessed lists (its selftest patch, the lines as
 * added): every line parses to a named id, and the base configuration's
 * sublist, base_regs, is the default table. kernel/scripts/check-kernel
 * compiles the real file for every configuration; this needs no chroot.
 */
TEST(kernel_series_blessed_list)
{
	char path[512];
	struct kvmreg_list *table = NULL;
	struct kvmreg_idvec blessed = { 0 };
	char line[512];
	int in_array = 0, wanted = 0;
	FILE *f;

	if (!series_patch("KVM-selftests-Add-get-reg-list-for-LoongArch.patch", path,
			  sizeof(path)))
		SKIP("no kernel/patches/*-KVM-selftests-Add-get-reg-list-for-LoongArch.patch (run from the top of the checkout)");
	f = fopen(path, "r");
	REQUIRE(f, "%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		char *s = line + 1, *end;
		uint64_t id = 0;

		if (line[0] != '+')
			continue;
		if (!strncmp(s, "static __u64 ", 13)) {
			in_array = 1;
			wanted = !strncmp(s, "static __u64 base_regs[]", 24);
			continue;
		}
		if (in_array && s[0] == '}') {
			in_array = 0;
			continue;
		}
		if (!in_array || s[0] != '\t')
			continue;
		s++;
		end = strrchr(s, ',');
		if (!end)
			continue;
		*end = '\0';
		EXPECT(kvmreg_id_parse(LA, s, &id) == 0, "'%s': %s", s, kvmreg_error());
		EXPECT(!strcmp(t_name_of(LA, id, KVMREG_NAME_MACRO), s),
		       "'%s' prints as '%s'", s, t_name_buf);
		if (wanted)
			REQUIRE(kvmreg_idvec_push(&blessed, id) == 0, "push");
	}
	fclose(f);
	REQUIRE(kvmreg_fallback_table(LA, NULL, &table) == 0, "%s", kvmreg_error());
	EXPECT(blessed.n == table->count, "blessed base %zu, table %zu", blessed.n,
	       table->count);
	for (size_t i = 0; i < blessed.n && i < table->count; i++)
		EXPECT(blessed.v[i] == table->regs[i].id, "position %zu: %s", i,
		       t_name_of(LA, blessed.v[i], KVMREG_NAME_SHORT));
	kvmreg_list_free(table);
	kvmreg_idvec_free(&blessed);
}

TEST_MAIN("loongarch_names",
	  CASE(hand_computed_ids),
	  CASE(known_ids_have_every_csr),
	  CASE(lenient_forms),
	  CASE(malformed_ids_are_rejected),
	  CASE(unknown_ids_get_generic_names),
	  CASE(malformed_names_are_rejected),
	  CASE(groups_and_volatile),
	  CASE(restore_order),
	  CASE(fallback_tables),
	  CASE(fallback_features_rejected),
	  CASE(kernel_series_blessed_list))
