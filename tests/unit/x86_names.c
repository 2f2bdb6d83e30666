// SPDX-License-Identifier: MIT
/*
 * x86_64 names: MSR and SSP ids computed by hand from the Linux 7.2 uapi
 * macros, the library-defined ids of docs/ids.md, malformed ids and names
 * and what each says, groups, ioctl groups, volatility, restore order,
 * fallback. What every driver owes (round trips over every known id, ...)
 * is tests/unit/driver_properties.c's.
 */
#include <inttypes.h>
#include <stdint.h>

#include "arch/arch.h"
#include "arch/x86_64/uapi.h"
#include "arch/x86_64/private.h"
#include "harness.h"
#include "internal.h"
#include "kvmreg.h"
#include "lib/names.h"

#define X86 KVMREG_ARCH_X86_64

/* The 7.2 macros, spelled as arch/x86/include/uapi/asm/kvm.h does. */
#define K72_REG_ID(type, size, index) \
	(KVM_REG_X86 | ((unsigned long long)(type) << 32) | (size) | (index))
#define K72_REG_MSR(index) \
	K72_REG_ID(KVM_X86_REG_TYPE_MSR, KVM_REG_SIZE_U64, index)
#define K72_REG_KVM_SSP \
	K72_REG_ID(KVM_X86_REG_TYPE_KVM, KVM_REG_SIZE_U64, KVM_REG_GUEST_SSP)

struct expected {
	uint64_t id;		/* typed in by hand */
	uint64_t computed;	/* the same, from macros */
	const char *short_name;
	const char *macro_name;
};

static const struct expected expected[] = {
	{ 0x20300002c0000080ULL, K72_REG_MSR(0xc0000080),
	  "IA32_EFER", "KVM_X86_REG_MSR(MSR_EFER)" },
	{ 0x2030000200000010ULL, K72_REG_MSR(0x10),
	  "IA32_TSC", "KVM_X86_REG_MSR(MSR_IA32_TSC)" },
	{ 0x203000024b564d01ULL, K72_REG_MSR(0x4b564d01),
	  "KVM_SYSTEM_TIME_NEW", "KVM_X86_REG_MSR(MSR_KVM_SYSTEM_TIME_NEW)" },
	{ 0x203000024b564d05ULL, K72_REG_MSR(0x4b564d05),
	  "KVM_POLL_CONTROL", "KVM_X86_REG_MSR(MSR_KVM_POLL_CONTROL)" },
	{ 0x203000024b564d06ULL, K72_REG_MSR(0x4b564d06),
	  "KVM_ASYNC_PF_INT", "KVM_X86_REG_MSR(MSR_KVM_ASYNC_PF_INT)" },
	{ 0x20300002c0000084ULL, K72_REG_MSR(0xc0000084),
	  "IA32_FMASK", "KVM_X86_REG_MSR(MSR_SYSCALL_MASK)" },
	{ 0x20300002000000c3ULL, K72_REG_MSR(0xc3),
	  "ARCH_PERFMON_PERFCTR2",
	  "KVM_X86_REG_MSR(MSR_ARCH_PERFMON_PERFCTR0 + 2)" },
	{ 0x2030000200000203ULL, K72_REG_MSR(0x203),
	  "IA32_MTRR_PHYSMASK1", "KVM_X86_REG_MSR(MTRRphysMask_MSR(1))" },
	{ 0x20300002400000ffULL, K72_REG_MSR(0x400000ff),
	  "HV_X64_MSR_SYNDBG_OPTIONS",
	  "KVM_X86_REG_MSR(HV_X64_MSR_SYNDBG_OPTIONS)" },
	{ 0x2030000212345678ULL, K72_REG_MSR(0x12345678),
	  "msr.0x12345678", "KVM_X86_REG_MSR(0x12345678)" },
	{ 0x2030000300000000ULL, K72_REG_KVM_SSP,
	  "SSP", "KVM_X86_REG_KVM(KVM_REG_GUEST_SSP)" },
	/* library ids: 0x20 | size << 52 | 0x6b << 40 | kind << 32 | index */
	{ 0x20306b0100000000ULL,
	  KVMREG_X86_ARCH_FIELD | KVM_REG_SIZE_U64 | 0x6bULL << 40 | 1ULL << 32,
	  "rax", "KVMREG_X86_REGS(rax)" },
	{ 0x20306b0100000010ULL, 0x20306b0100000010ULL,
	  "rip", "KVMREG_X86_REGS(rip)" },
	{ 0x20306b0200000000ULL, 0x20306b0200000000ULL,
	  "cr0", "KVMREG_X86_SREGS(cr0)" },
	{ 0x20506b0200000007ULL,
	  KVMREG_X86_ARCH_FIELD | KVM_REG_SIZE_U256 | 0x6bULL << 40 | 2ULL << 32 | 7,
	  "interrupt_bitmap", "KVMREG_X86_SREGS(interrupt_bitmap)" },
	{ 0x20306b020000000cULL, 0x20306b020000000cULL,
	  "pdptr3", "KVMREG_X86_SREGS(pdptr3)" },
	{ 0x20506b0300000000ULL, 0x20506b0300000000ULL,
	  "cs", "KVMREG_X86_SEGMENT(cs)" },
	{ 0x20406b0400000001ULL,
	  KVMREG_X86_ARCH_FIELD | KVM_REG_SIZE_U128 | 0x6bULL << 40 | 4ULL << 32 | 1,
	  "idt", "KVMREG_X86_DTABLE(idt)" },
	{ 0x20806b0500000003ULL,
	  KVMREG_X86_ARCH_FIELD | KVM_REG_SIZE_U2048 | 0x6bULL << 40 | 5ULL << 32 | 3,
	  "xsave[3]", "KVMREG_X86_XSAVE(3)" },
	{ 0x20306b0600000000ULL, 0x20306b0600000000ULL,
	  "xcr0", "KVMREG_X86_XCR(0)" },
	{ 0x20306b0700000007ULL, 0x20306b0700000007ULL,
	  "dr7", "KVMREG_X86_DEBUGREG(7)" },
	{ 0x20406b0800000008ULL, 0x20406b0800000000ULL | (APIC_TASKPRI >> 4),
	  "lapic.TPR", "KVMREG_X86_LAPIC(TPR)" },
	{ 0x20406b0800000004ULL, 0x20406b0800000004ULL,
	  "lapic.0x040", "KVMREG_X86_LAPIC(0x040)" },
	{ 0x20206b0900000002ULL, 0x20206b0900000002ULL,
	  "events.nmi", "KVMREG_X86_EVENTS(nmi)" },
	{ 0x20006b0900000006ULL,
	  KVMREG_X86_ARCH_FIELD | KVM_REG_SIZE_U8 | 0x6bULL << 40 | 9ULL << 32 | 6,
	  "events.triple_fault", "KVMREG_X86_EVENTS(triple_fault)" },
	{ 0x20206b0a00000000ULL, 0x20206b0a00000000ULL,
	  "mp_state", "KVMREG_X86_MP_STATE(mp_state)" },
	{ 0x20506b0b00000700ULL, 0x20506b0b00000700ULL,
	  "cpuid.0x00000007.0", "KVMREG_X86_CPUID(0x00000007, 0)" },
	{ 0x20506b0b40000100ULL, 0x20506b0b40000100ULL,
	  "cpuid.0x40000001.0", "KVMREG_X86_CPUID(0x40000001, 0)" },
	{ 0x20506b0b80001d03ULL, 0x20506b0b80001d03ULL,
	  "cpuid.0x8000001d.3", "KVMREG_X86_CPUID(0x8000001d, 3)" },
};

TEST(hand_computed_ids)
{
	for (size_t i = 0; i < KVMREG_ARRAY_SIZE(expected); i++) {
		const struct expected *e = &expected[i];
		uint64_t id = 0;

		EXPECT(e->id == e->computed, "%s: typed 0x%016" PRIx64 ", macros give 0x%016" PRIx64,
		       e->short_name, e->id, e->computed);
		EXPECT(kvmreg_id_check(X86, e->id) == 0, "%s: %s",
		       e->short_name, kvmreg_error());
		EXPECT(!strcmp(t_name_of(X86, e->id, KVMREG_NAME_SHORT), e->short_name),
		       "0x%016" PRIx64 " short name %s, want %s", e->id,
		       t_name_buf, e->short_name);
		EXPECT(!strcmp(t_name_of(X86, e->id, KVMREG_NAME_MACRO), e->macro_name),
		       "0x%016" PRIx64 " macro name %s, want %s", e->id,
		       t_name_buf, e->macro_name);
		EXPECT(kvmreg_id_parse(X86, e->short_name, &id) == 0 &&
		       id == e->id, "parse %s: %s", e->short_name,
		       kvmreg_error());
		id = 0;
		EXPECT(kvmreg_id_parse(X86, e->macro_name, &id) == 0 &&
		       id == e->id, "parse %s: %s", e->macro_name,
		       kvmreg_error());
	}
}

TEST(accepted_spellings)
{
	static const struct {
		const char *name;
		uint64_t id;
	} cases[] = {
		{ "MSR_EFER", 0x20300002c0000080ULL },
		{ "KVM_X86_REG_MSR(0xc0000080)", 0x20300002c0000080ULL },
		{ "KVM_X86_REG_MSR(IA32_EFER)", 0x20300002c0000080ULL },
		{ "KVM_X86_REG_MSR(MSR_ARCH_PERFMON_PERFCTR0+2)", 0x20300002000000c3ULL },
		{ "msr.3221225600", 0x20300002c0000080ULL },
		{ "msr.0xc0000080", 0x20300002c0000080ULL },
		{ "KVM_X86_REG_KVM(0)", 0x2030000300000000ULL },
		{ "lapic.0x080", 0x20406b0800000008ULL },
		{ "KVMREG_X86_LAPIC(0x390)", 0x20406b0800000039ULL },
		{ "KVMREG_X86_CPUID(7,0)", 0x20506b0b00000700ULL },
		{ "cpuid.7.1", 0x20506b0b00000701ULL },
		{ "0x20306b0100000010", 0x20306b0100000010ULL },
	};

	for (size_t i = 0; i < KVMREG_ARRAY_SIZE(cases); i++) {
		uint64_t id = 0;

		EXPECT(kvmreg_id_parse(X86, cases[i].name, &id) == 0 &&
		       id == cases[i].id, "%s -> 0x%016" PRIx64 " (%s)",
		       cases[i].name, id, kvmreg_error());
	}
}

TEST(parse_without_arch_finds_x86)
{
	uint64_t id = 0;

	REQUIRE(kvmreg_id_parse(KVMREG_ARCH_NONE, "IA32_EFER", &id) == 0,
		"%s", kvmreg_error());
	EXPECT(id == 0x20300002c0000080ULL, "0x%016" PRIx64, id);
	REQUIRE(kvmreg_id_parse(KVMREG_ARCH_NONE, "lapic.TPR", &id) == 0,
		"%s", kvmreg_error());
	EXPECT(kvmreg_arch_of_id(id) == X86, "lapic.TPR is an x86 id");
}

/* KVM's kvm_get_set_one_reg() returns -EINVAL when rsvd1 (bits 40-47) is
 * set: every library id has it set, no kernel id does. The driver names
 * both kinds: the library ids of the struct state, and the MSRs. */
TEST(library_ids_are_outside_the_kernel_space)
{
	struct kvmreg_idvec ids;
	size_t library = 0, msrs = 0;

	REQUIRE(t_known_ids(X86, &ids) == 0, "%s", kvmreg_error());
	for (size_t i = 0; i < ids.n; i++) {
		library += kvmreg_x86_lib_kind(ids.v[i]) != 0;
		msrs += kvmreg_x86_is_msr(ids.v[i]);
		unsigned int rsvd1 = (unsigned int)(ids.v[i] >> 40) & 0xff;
		unsigned int rsvd2 = (unsigned int)(ids.v[i] >> 48) & 0xf;

		EXPECT(rsvd2 == 0, "0x%016" PRIx64, ids.v[i]);
		if (kvmreg_x86_lib_kind(ids.v[i]))
			EXPECT(rsvd1 == 0x6b, "library id 0x%016" PRIx64,
			       ids.v[i]);
		else
			EXPECT(rsvd1 == 0, "kernel id 0x%016" PRIx64,
			       ids.v[i]);
	}
	EXPECT(library > 200 && msrs > 190, "%zu library ids, %zu MSRs",
	       library, msrs);
	kvmreg_idvec_free(&ids);
}

TEST(malformed_ids)
{
	static const struct {
		uint64_t id;
		const char *says;
	} cases[] = {
		{ 0x20300002c0000080ULL | 1ULL << 48, "bits 48-51" },
		{ 0x20300002c0000080ULL | 1ULL << 40, "bits 40-47" },
		{ 0x20200002c0000080ULL, "MSR ids are 8 bytes" },
		{ 0x2020000300000000ULL, "KVM_REG_GUEST_SSP is 8 bytes" },
		{ 0x20306b0000000000ULL, "unknown kind" },
		{ 0x20306b0e00000000ULL, "unknown kind" },
		{ 0x20306b0c00000000ULL, "tsc_khz member 0 is 4 bytes" },
		{ 0x20306b0100000012ULL, "regs has no member 18" },
		{ 0x20206b0100000000ULL, "is 8 bytes, the id says 4" },
		{ 0x20306b0700000004ULL, "debugreg has no member 4" },
		{ 0x20406b0800000040ULL, "lapic has no member 64" },
		{ 0x20306b0900000009ULL, "events has no member 9" },
		{ 0x20206b0a00000001ULL, "mp_state has no member 1" },
		{ 0x20506b0300000008ULL, "segment has no member 8" },
		{ 0x20406b0b00000000ULL, "is 32 bytes" },
	};

	for (size_t i = 0; i < KVMREG_ARRAY_SIZE(cases); i++) {
		const char *fault = t_bad_id_fault(X86, cases[i].id,
						   cases[i].says);

		EXPECT(!fault, "%s", fault);
	}
}

TEST(malformed_names)
{
	static const struct {
		const char *name;
		const char *says;
	} cases[] = {
		{ "msr.0xzz", "msr.<32-bit number>" },
		{ "msr.0x123456789", "msr.<32-bit number>" },
		{ "msr.", "msr.<32-bit number>" },
		{ "KVM_X86_REG_MSR(MSR_NO_SUCH)", "neither an MSR name" },
		{ "KVM_X86_REG_MSR()", "neither an MSR name" },
		{ "KVM_X86_REG_KVM(1)", "KVM_REG_GUEST_SSP" },
		{ "lapic.FOO", "not a member of lapic" },
		{ "lapic.0x041", "multiples of 0x10" },
		{ "lapic.0x400", "multiples of 0x10" },
		{ "events.bogus", "not a member of events" },
		{ "cpuid.0x00120000.0", "bits 16-23" },
		{ "cpuid.0x7.256", "subleaf below 256" },
		{ "cpuid.7", "not a member of cpuid" },
		{ "KVMREG_X86_REGS(rzx)", "not a member of regs" },
		{ "KVMREG_X86_DEBUGREG(5)", "debugreg has no such member" },
		{ "xsave[99999]", "xsave has no such member" },
		{ "dr5", "debugreg has no such member" },
		{ "rzx", "names no x86_64 register" },
		{ "ia32_efer", "names no x86_64 register" },
	};

	for (size_t i = 0; i < KVMREG_ARRAY_SIZE(cases); i++) {
		const char *fault = t_bad_name_fault(X86, cases[i].name,
						     cases[i].says);

		EXPECT(!fault, "%s", fault);
		EXPECT(fault || strstr(kvmreg_error(), cases[i].name) ||
		       !strcmp(cases[i].name, "msr."),
		       "%s: message '%s' does not name it", cases[i].name,
		       kvmreg_error());
	}
}

TEST(groups)
{
	static const struct {
		uint64_t id;
		const char *group;
	} cases[] = {
		{ 0x20300002c0000080ULL, "msr" },
		{ 0x2030000300000000ULL, "kvm" },
		{ 0x20306b0100000000ULL, "regs" },
		{ 0x20506b0300000000ULL, "segment" },
		{ 0x20806b0500000000ULL, "xsave" },
		{ 0x20406b0800000008ULL, "lapic" },
		{ 0x20206b0a00000000ULL, "mp_state" },
		{ 0x20506b0b00000700ULL, "cpuid" },
	};

	for (size_t i = 0; i < KVMREG_ARRAY_SIZE(cases); i++)
		EXPECT(!strcmp(kvmreg_id_group(X86, cases[i].id), cases[i].group),
		       "0x%016" PRIx64 ": %s, want %s", cases[i].id,
		       kvmreg_id_group(X86, cases[i].id), cases[i].group);
}

/* The ioctl each id costs: one group per struct ioctl, MSRs all together. */
TEST(ioctl_groups)
{
	uint32_t sregs = kvmreg_x86_group_of(0x20306b0200000000ULL);

	EXPECT(sregs && sregs == kvmreg_x86_group_of(0x20506b0300000000ULL) &&
	       sregs == kvmreg_x86_group_of(0x20406b0400000001ULL) &&
	       sregs == kvmreg_x86_group_of(0x20506b0200000007ULL),
	       "cr0, cs, idt and interrupt_bitmap are one KVM_GET_SREGS(2)");
	EXPECT(kvmreg_x86_group_of(0x20306b0100000000ULL) ==
	       kvmreg_x86_group_of(0x20306b0100000011ULL), "rax, rflags");
	EXPECT(kvmreg_x86_group_of(0x2030000200000010ULL) ==
	       kvmreg_x86_group_of(0x20300002deadbeefULL) &&
	       kvmreg_x86_group_of(0x2030000200000010ULL) != 0,
	       "every MSR in one KVM_GET_MSRS");
	EXPECT(kvmreg_x86_group_of(0x2030000300000000ULL) == 0,
	       "SSP is ONE_REG");
	EXPECT(kvmreg_x86_group_of(0x20306b0100000000ULL) != sregs &&
	       kvmreg_x86_group_of(0x20306b0100000000ULL) !=
	       kvmreg_x86_group_of(0x2030000200000010ULL),
	       "regs, sregs and MSRs are different ioctls");
}

TEST(volatile_marks)
{
	static const struct {
		const char *name;
		bool is_volatile;
	} cases[] = {
		{ "IA32_TSC", true }, { "IA32_TSC_ADJUST", false },
		{ "IA32_TSC_DEADLINE", false }, { "lapic.TMCCT", true },
		{ "lapic.TMICT", false }, { "ARCH_PERFMON_PERFCTR0", true },
		{ "ARCH_PERFMON_PERFCTR7", true },
		{ "ARCH_PERFMON_EVENTSEL0", false },
		{ "ARCH_PERFMON_FIXED_CTR2", true },
		{ "F15H_PERF_CTR0", true }, { "F15H_PERF_CTR5", true },
		{ "F15H_PERF_CTL5", false }, { "K7_PERFCTR3", true },
		{ "K7_EVNTSEL3", false }, { "IA32_MPERF", true },
		{ "HV_X64_MSR_TIME_REF_COUNT", true },
		{ "KVM_SYSTEM_TIME_NEW", false }, { "rip", false },
		{ "SSP", false }, { "xsave[0]", false },
	};

	for (size_t i = 0; i < KVMREG_ARRAY_SIZE(cases); i++) {
		uint64_t id;

		REQUIRE(kvmreg_id_parse(X86, cases[i].name, &id) == 0, "%s: %s",
			cases[i].name, kvmreg_error());
		EXPECT(kvmreg_id_is_volatile(X86, id) == cases[i].is_volatile,
		       "%s", cases[i].name);
	}
}

TEST(restore_order)
{
	/* One id per rank, listed backwards: the restore order must be the
	 * reverse (inside a rank the state's own order holds). */
	static const char *const want[] = {
		"cpuid.0x00000001.0", "IA32_FEATURE_CONTROL", "cr0", "rip",
		"xsave[0]", "dr7", "lapic.LVTT", "IA32_TSC",
		"IA32_TSC_DEADLINE", "mp_state", "events.exception",
	};
	size_t n = KVMREG_ARRAY_SIZE(want);
	struct kvmreg_state *state = kvmreg_state_new(X86);
	uint64_t ids[KVMREG_ARRAY_SIZE(want)];
	uint8_t zero[256] = { 0 };

	REQUIRE(state, "out of memory");
	for (size_t i = n; i-- > 0;) {
		uint64_t id;

		REQUIRE(kvmreg_id_parse(X86, want[i], &id) == 0, "%s: %s",
			want[i], kvmreg_error());
		REQUIRE(kvmreg_state_set(state, id, zero, kvmreg_id_size(id)) == 0,
			"%s", kvmreg_error());
	}
	REQUIRE(kvmreg_restore_order(state, ids) == 0, "%s", kvmreg_error());
	for (size_t i = 0; i < n; i++) {
		char name[128];

		kvmreg_id_name(X86, ids[i], KVMREG_NAME_SHORT, name, sizeof(name));
		EXPECT(!strcmp(name, want[i]), "position %zu: %s, want %s", i,
		       name, want[i]);
	}
	/* segments, dtables and cr0 share a rank: one KVM_SET_SREGS2 */
	EXPECT(kvmreg_driver(X86)->restore_rank(0x20306b0200000000ULL) ==
	       kvmreg_driver(X86)->restore_rank(0x20406b0400000000ULL) &&
	       kvmreg_driver(X86)->restore_rank(0x20306b0200000000ULL) ==
	       kvmreg_driver(X86)->restore_rank(0x20506b0300000000ULL),
	       "cr0, gdt and cs in one rank");
	EXPECT(kvmreg_driver(X86)->restore_rank(0x20806b0500000000ULL) ==
	       kvmreg_driver(X86)->restore_rank(0x20306b0600000000ULL),
	       "xsave and xcr0 in one rank");
	EXPECT(strstr(kvmreg_driver(X86)->restore_reason(0x20306b0100000010ULL),
		      "pending exception"), "rip's reason");
	kvmreg_state_free(state);
}

TEST(cpuid_member_packing)
{
	static const uint32_t functions[] = { 0x0, 0x7, 0xd, 0x1f, 0x24,
					      0x40000000, 0x40000001,
					      0x40000100, 0x4000ffff,
					      0x80000000, 0x80000026,
					      0xc0000000, 0xc0000004 };

	for (size_t i = 0; i < KVMREG_ARRAY_SIZE(functions); i++) {
		for (uint32_t index = 0; index < 256; index += 15) {
			uint32_t member, f, x;

			REQUIRE(kvmreg_x86_cpuid_member(functions[i], index,
							&member) == 0,
				"0x%08" PRIx32 ".%" PRIu32, functions[i], index);
			kvmreg_x86_cpuid_entry(member, &f, &x);
			EXPECT(f == functions[i] && x == index,
			       "0x%08" PRIx32 ".%" PRIu32 " came back 0x%08" PRIx32 ".%" PRIu32,
			       functions[i], index, f, x);
		}
	}
	EXPECT(kvmreg_x86_cpuid_member(0x00010000, 0, &(uint32_t){ 0 }) ==
	       -ERANGE, "bit 16 of the function");
	EXPECT(kvmreg_x86_cpuid_member(0x7, 256, &(uint32_t){ 0 }) == -ERANGE,
	       "subleaf 256");
}

TEST(fallback_table)
{
	struct kvmreg_list *list = NULL;

	REQUIRE(kvmreg_fallback_table(X86, NULL, &list) == 0, "%s",
		kvmreg_error());
	EXPECT(list->count == 1 && list->regs[0].id == 0x2030000300000000ULL &&
	       list->regs[0].source == KVMREG_SRC_FALLBACK &&
	       list->regs[0].size == 8, "the fallback is {SSP}");
	kvmreg_list_free(list);
	list = NULL;
	EXPECT(kvmreg_fallback_table(X86, "shstk", &list) == -EINVAL && !list,
	       "features are rejected");
	EXPECT(strstr(kvmreg_error(), "shstk"), "%s", kvmreg_error());
}

TEST_MAIN("x86_names",
	  CASE(hand_computed_ids),
	  CASE(accepted_spellings),
	  CASE(parse_without_arch_finds_x86),
	  CASE(library_ids_are_outside_the_kernel_space),
	  CASE(malformed_ids),
	  CASE(malformed_names),
	  CASE(groups),
	  CASE(ioctl_groups),
	  CASE(volatile_marks),
	  CASE(restore_order),
	  CASE(cpuid_member_packing),
	  CASE(fallback_table))
