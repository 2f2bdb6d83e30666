// SPDX-License-Identifier: MIT
/*
 * The name-only drivers, mips, s390 and ppc: ids computed by hand from the
 * Linux 7.2 uapi macros, malformed ids and names and what each says, groups
 * and volatility. What every driver owes (round trips over every known id,
 * unique names, ...) is tests/unit/driver_properties.c's.
 */
#include <inttypes.h>
#include <stdint.h>

#include "arch/arch.h"
#include "arch/mips/uapi.h"
#include "arch/ppc/uapi.h"
#include "arch/s390/uapi.h"
#include "harness.h"
#include "internal.h"
#include "kvmreg.h"
#include "lib/names.h"

struct expected {
	enum kvmreg_arch arch;
	uint64_t id;		/* typed in from the 7.2 macros by hand */
	uint64_t from_macros;	/* the same, from our uapi headers */
	const char *short_name;
	const char *macro_name;
};

#define MIPS KVMREG_ARCH_MIPS
#define S390 KVMREG_ARCH_S390
#define PPC KVMREG_ARCH_PPC

static const struct expected expected[] = {
	{ MIPS, 0x7030000000000000ULL, KVM_REG_MIPS_R0, "r0", "KVM_REG_MIPS_R0" },
	{ MIPS, 0x703000000000001fULL, KVM_REG_MIPS_R31, "r31", "KVM_REG_MIPS_R31" },
	{ MIPS, 0x7030000000000022ULL, KVM_REG_MIPS_PC, "pc", "KVM_REG_MIPS_PC" },
	/* MIPS_CP0_32(12, 0): 8 * 12 + 0 = 0x60 */
	{ MIPS, 0x7020000000010060ULL, KVM_REG_MIPS_CP0_STATUS, "cp0_status",
	  "KVM_REG_MIPS_CP0_STATUS" },
	{ MIPS, 0x7030000000010070ULL, KVM_REG_MIPS_CP0_EPC, "cp0_epc",
	  "KVM_REG_MIPS_CP0_EPC" },
	/* MIPS_CP0_64(31, 7): 8 * 31 + 7 = 0xff */
	{ MIPS, 0x70300000000100ffULL, KVM_REG_MIPS_CP0_KSCRATCH6,
	  "cp0_kscratch6", "KVM_REG_MIPS_CP0_KSCRATCH6" },
	{ MIPS, 0x7030000000010103ULL, KVM_REG_MIPS_CP0_MAAR(3), "cp0_maar3",
	  "KVM_REG_MIPS_CP0_MAAR(3)" },
	{ MIPS, 0x7030000000020002ULL, KVM_REG_MIPS_COUNT_HZ, "count_hz",
	  "KVM_REG_MIPS_COUNT_HZ" },
	{ MIPS, 0x7020000000030005ULL, KVM_REG_MIPS_FPR_32(5), "fpr_32_5",
	  "KVM_REG_MIPS_FPR_32(5)" },
	{ MIPS, 0x7030000000030005ULL, KVM_REG_MIPS_FPR_64(5), "fpr_64_5",
	  "KVM_REG_MIPS_FPR_64(5)" },
	{ MIPS, 0x704000000003001fULL, KVM_REG_MIPS_VEC_128(31), "vec_128_31",
	  "KVM_REG_MIPS_VEC_128(31)" },
	{ MIPS, 0x702000000003011fULL, KVM_REG_MIPS_FCR_CSR, "fcr_csr",
	  "KVM_REG_MIPS_FCR_CSR" },
	{ MIPS, 0x7020000000030201ULL, KVM_REG_MIPS_MSA_CSR, "msa_csr",
	  "KVM_REG_MIPS_MSA_CSR" },
	{ S390, 0x5020000000000001ULL, KVM_REG_S390_TODPR, "todpr",
	  "KVM_REG_S390_TODPR" },
	{ S390, 0x5030000000000003ULL, KVM_REG_S390_CPU_TIMER, "cpu_timer",
	  "KVM_REG_S390_CPU_TIMER" },
	{ S390, 0x5030000000000009ULL, KVM_REG_S390_GBEA, "gbea",
	  "KVM_REG_S390_GBEA" },
	{ PPC, 0x1030000000000001ULL, KVM_REG_PPC_HIOR, "hior", "KVM_REG_PPC_HIOR" },
	{ PPC, 0x102000000000000dULL, KVM_REG_PPC_DSISR, "dsisr",
	  "KVM_REG_PPC_DSISR" },
	{ PPC, 0x1030000000000023ULL, KVM_REG_PPC_FPR(3), "fpr3",
	  "KVM_REG_PPC_FPR(3)" },
	{ PPC, 0x1040000000000040ULL, KVM_REG_PPC_VR(0), "vr0", "KVM_REG_PPC_VR(0)" },
	{ PPC, 0x104000000000007fULL, KVM_REG_PPC_VSR(31), "vsr31",
	  "KVM_REG_PPC_VSR(31)" },
	/* two registers per number, told apart by size */
	{ PPC, 0x103000000000008cULL, KVM_REG_PPC_ICP_STATE, "icp_state",
	  "KVM_REG_PPC_ICP_STATE" },
	{ PPC, 0x102000000000008cULL, KVM_REG_PPC_MAS0, "mas0", "KVM_REG_PPC_MAS0" },
	{ PPC, 0x104000000000008dULL, KVM_REG_PPC_VP_STATE, "vp_state",
	  "KVM_REG_PPC_VP_STATE" },
	{ PPC, 0x10200000000000b5ULL, KVM_REG_PPC_LPCR, "lpcr", "KVM_REG_PPC_LPCR" },
	{ PPC, 0x10300000000000b5ULL, KVM_REG_PPC_LPCR_64, "lpcr_64",
	  "KVM_REG_PPC_LPCR_64" },
	{ PPC, 0x1030000080000000ULL, KVM_REG_PPC_TM_GPR(0), "tm_gpr0",
	  "KVM_REG_PPC_TM_GPR(0)" },
	{ PPC, 0x104000008000005fULL, KVM_REG_PPC_TM_VSR(63), "tm_vsr63",
	  "KVM_REG_PPC_TM_VSR(63)" },
	{ PPC, 0x103000008000006aULL, KVM_REG_PPC_TM_XER, "tm_xer",
	  "KVM_REG_PPC_TM_XER" },
	{ PPC, 0x10300000000000c8ULL, KVM_REG_PPC_HASHPKEYR, "hashpkeyr",
	  "KVM_REG_PPC_HASHPKEYR" },
};

TEST(hand_computed_ids)
{
	for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++) {
		const struct expected *e = &expected[i];
		uint64_t id = 0;

		EXPECT(e->id == e->from_macros, "%s: 0x%016" PRIx64
		       " vs 0x%016" PRIx64, e->short_name, e->id,
		       e->from_macros);
		EXPECT(kvmreg_arch_of_id(e->id) == e->arch, "%s", e->short_name);
		EXPECT(!strcmp(t_name_of(e->arch, e->id, KVMREG_NAME_SHORT),
			       e->short_name), "'%s', want '%s'", t_name_buf,
		       e->short_name);
		EXPECT(!strcmp(t_name_of(e->arch, e->id, KVMREG_NAME_MACRO),
			       e->macro_name), "'%s', want '%s'", t_name_buf,
		       e->macro_name);
		EXPECT(kvmreg_id_parse(e->arch, e->short_name, &id) == 0 &&
		       id == e->id, "'%s': %s", e->short_name, kvmreg_error());
		id = 0;
		EXPECT(kvmreg_id_parse(e->arch, e->macro_name, &id) == 0 &&
		       id == e->id, "'%s': %s", e->macro_name, kvmreg_error());
	}
}

struct bad_id {
	enum kvmreg_arch arch;
	uint64_t id;
	const char *says;
};

static const struct bad_id bad_ids[] = {
	{ PPC, 0x1030000100000001ULL, "bits 51..32 are reserved" },
	{ PPC, 0x1020000000000001ULL, "KVM_REG_PPC_HIOR is U64" },
	{ PPC, 0x104000000000008cULL,
	  "KVM_REG_PPC_MAS0 is U32, KVM_REG_PPC_ICP_STATE is U64" },
	{ PPC, 0x1030000000000040ULL, "KVM_REG_PPC_VR(0) is U128" },
	{ MIPS, 0x7020000000000000ULL, "KVM_REG_MIPS_R0 is U64" },
	{ MIPS, 0x7030000000000023ULL, "GPR index 35 is out of range" },
	{ MIPS, 0x7030000000030020ULL, "bits 7..5" },
	{ MIPS, 0x7030000000010060ULL, "KVM_REG_MIPS_CP0_STATUS is U32" },
	{ MIPS, 0x7010000000030005ULL, "wrong size U16" },
	{ MIPS, 0x7030000800000000ULL, "reserved" },
	{ S390, 0x5030000000000001ULL, "KVM_REG_S390_TODPR is U32" },
	{ S390, 0x5030010000000003ULL, "reserved" },
};

TEST(malformed_ids_are_rejected)
{
	for (size_t i = 0; i < sizeof(bad_ids) / sizeof(bad_ids[0]); i++) {
		const char *fault = t_bad_id_fault(bad_ids[i].arch,
						   bad_ids[i].id,
						   bad_ids[i].says);

		EXPECT(!fault, "%s", fault);
	}
}

TEST(unknown_ids_get_generic_names)
{
	static const struct {
		enum kvmreg_arch arch;
		uint64_t id;
		const char *group;
	} unknown[] = {
		{ PPC, 0x10300000000000ffULL, "unknown" },
		{ MIPS, 0x7020000000010008ULL, "cp0" },	/* Random: rd 1 */
		{ MIPS, 0x7030000000090000ULL, "unknown" },	/* set 9 */
		{ MIPS, 0x7030000000010140ULL, "cp0" },	/* MAAR 64 */
		{ S390, 0x5030000000000010ULL, "unknown" },
	};

	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		char want[32];
		uint64_t back = 0;

		EXPECT(kvmreg_id_check(unknown[i].arch, unknown[i].id) == 0,
		       "0x%016" PRIx64 ": %s", unknown[i].id, kvmreg_error());
		snprintf(want, sizeof(want), "0x%016" PRIx64, unknown[i].id);
		EXPECT(!strcmp(t_name_of(unknown[i].arch, unknown[i].id,
				       KVMREG_NAME_SHORT), want), "'%s'",
		       t_name_buf);
		EXPECT(kvmreg_id_parse(unknown[i].arch, t_name_buf, &back) == 0 &&
		       back == unknown[i].id, "'%s'", t_name_buf);
		EXPECT(!strcmp(kvmreg_id_group(unknown[i].arch, unknown[i].id),
			       unknown[i].group), "0x%016" PRIx64 ": %s",
		       unknown[i].id,
		       kvmreg_id_group(unknown[i].arch, unknown[i].id));
	}
}

TEST(malformed_names_are_rejected)
{
	static const struct {
		enum kvmreg_arch arch;
		const char *name;
		const char *says;
	} bad[] = {
		{ PPC, "KVM_REG_PPC_FOO", "names no ppc register macro" },
		{ PPC, "KVM_REG_PPC_FPR(32)", "KVM_REG_PPC_FPR takes 0..31" },
		{ PPC, "KVM_REG_PPC_FPR(x)", "names no ppc register macro" },
		{ PPC, "fpr32", "fpr0..31" },
		{ PPC, "tm_vsr64", "tm_vsr0..63" },
		{ PPC, "nonsense", "names no ppc register" },
		{ MIPS, "KVM_REG_MIPS_CP0_MAAR(64)", "takes 0..63" },
		{ MIPS, "KVM_REG_MIPS_R32", "KVM_REG_MIPS_R takes 0..31" },
		{ MIPS, "r32", "r0..31" },
		{ MIPS, "fpr_64_32", "fpr_64_0..31" },
		{ MIPS, "fpr_645", "names no mips register" },
		{ S390, "KVM_REG_S390_TODPRX", "names no s390 register macro" },
		{ S390, "todp", "names no s390 register" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *fault = t_bad_name_fault(bad[i].arch, bad[i].name,
						     bad[i].says);

		EXPECT(!fault, "%s", fault);
	}
}

TEST(lenient_forms)
{
	static const struct {
		enum kvmreg_arch arch;
		const char *name;
		uint64_t id;
	} forms[] = {
		/* the uapi spells FPR0 and FPR31 out */
		{ PPC, "KVM_REG_PPC_FPR0", 0x1030000000000020ULL },
		{ PPC, "KVM_REG_PPC_TM_VSR63", 0x104000008000005fULL },
		{ PPC, "KVM_REG_PPC_FPR( 7 )", 0x1030000000000027ULL },
		{ PPC, "FPR3", 0x1030000000000023ULL },
		{ PPC, "Hior", 0x1030000000000001ULL },
		{ MIPS, "CP0_STATUS", 0x7020000000010060ULL },
		{ S390, "0x5030000000000009", 0x5030000000000009ULL },
	};

	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		uint64_t id = 0;

		EXPECT(kvmreg_id_parse(forms[i].arch, forms[i].name, &id) == 0 &&
		       id == forms[i].id, "'%s' -> 0x%016" PRIx64 " (%s)",
		       forms[i].name, id, kvmreg_error());
	}
}

TEST(groups_and_volatile)
{
	static const struct {
		enum kvmreg_arch arch;
		uint64_t id;
		const char *group;
		bool is_volatile;
	} g[] = {
		{ PPC, KVM_REG_PPC_HIOR, "spr", false },
		{ PPC, KVM_REG_PPC_PURR, "spr", true },
		{ PPC, KVM_REG_PPC_PMC3, "pmu", true },
		{ PPC, KVM_REG_PPC_FPR(3), "fp", false },
		{ PPC, KVM_REG_PPC_VSR(3), "vsx", false },
		{ PPC, KVM_REG_PPC_TM_GPR(3), "tm", false },
		{ PPC, KVM_REG_PPC_MAS0, "booke", false },
		{ PPC, KVM_REG_PPC_ICP_STATE, "irq", false },
		{ MIPS, KVM_REG_MIPS_R3, "gp", false },
		{ MIPS, KVM_REG_MIPS_CP0_COUNT, "cp0", true },
		{ MIPS, KVM_REG_MIPS_CP0_CAUSE, "cp0", true },
		{ MIPS, KVM_REG_MIPS_CP0_COMPARE, "cp0", false },
		{ MIPS, KVM_REG_MIPS_COUNT_CTL, "kvm", false },
		{ MIPS, KVM_REG_MIPS_VEC_128(0), "msa", false },
		{ MIPS, KVM_REG_MIPS_FPR_32(0), "fpu", false },
		{ S390, KVM_REG_S390_CPU_TIMER, "timer", true },
		{ S390, KVM_REG_S390_TODPR, "tod", false },
		{ S390, KVM_REG_S390_PFTOKEN, "pfault", false },
	};

	for (size_t i = 0; i < sizeof(g) / sizeof(g[0]); i++) {
		EXPECT(!strcmp(kvmreg_id_group(g[i].arch, g[i].id), g[i].group),
		       "0x%016" PRIx64 ": %s, want %s", g[i].id,
		       kvmreg_id_group(g[i].arch, g[i].id), g[i].group);
		EXPECT(kvmreg_id_is_volatile(g[i].arch, g[i].id) ==
		       g[i].is_volatile, "0x%016" PRIx64 " volatile", g[i].id);
	}
}

TEST(arch_names_and_no_fallback)
{
	static const struct {
		const char *name;
		enum kvmreg_arch arch;
	} names[] = {
		{ "mips", MIPS }, { "mips64", MIPS }, { "s390", S390 },
		{ "s390x", S390 }, { "ppc", PPC }, { "ppc64le", PPC },
		{ "powerpc", PPC },
	};
	enum kvmreg_arch arches[] = { MIPS, S390, PPC };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		EXPECT(kvmreg_arch_from_name(names[i].name) == names[i].arch,
		       "%s", names[i].name);
	for (size_t i = 0; i < 3; i++) {
		const struct kvmreg_arch_driver *d = kvmreg_driver(arches[i]);
		struct kvmreg_list *list = NULL;

		EXPECT(!d->fallback && !d->groups && !d->vcpu_setup &&
		       !d->list_extra, "%s is a naming driver", d->name);
		EXPECT(kvmreg_fallback_table(arches[i], NULL, &list) < 0 &&
		       !list, "%s has no fallback table", d->name);
	}
	/* The wrong arch for an id says whose it is. */
	EXPECT(kvmreg_id_check(PPC, KVM_REG_S390_GBEA) == -EINVAL &&
	       strstr(kvmreg_error(), "does not belong to ppc"), "%s", kvmreg_error());
}

TEST_MAIN("other_arch_names",
	  CASE(hand_computed_ids),
	  CASE(malformed_ids_are_rejected),
	  CASE(unknown_ids_get_generic_names),
	  CASE(malformed_names_are_rejected),
	  CASE(lenient_forms),
	  CASE(groups_and_volatile),
	  CASE(arch_names_and_no_fallback))
