// SPDX-License-Identifier: MIT
/*
 * riscv64 names: ids computed by hand from the Linux 7.2 uapi macros, the
 * selftests' blessed lists, malformed ids and names and what each says,
 * groups, volatility, restore order and the fallback table. What every
 * driver owes (round trips over every known id, unique names, ...) is
 * tests/unit/driver_properties.c's.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>

#include "arch/arch.h"
#include "arch/riscv64/uapi.h"
#include "harness.h"
#include "internal.h"
#include "kvmreg.h"
#include "lib/names.h"

#define RV KVMREG_ARCH_RISCV64

struct expected {
	uint64_t id;		/* typed in from the 7.2 macros by hand */
	uint64_t from_macros;	/* the same, from our uapi header */
	const char *short_name;
	const char *macro_name;
};

#define U64 "KVM_REG_RISCV | KVM_REG_SIZE_U64 | "
#define U32 "KVM_REG_RISCV | KVM_REG_SIZE_U32 | "

static const struct expected expected[] = {
	{ 0x8030000001000000ULL,
	  KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_CONFIG | KVM_REG_RISCV_CONFIG_REG(isa),
	  "config.isa", U64 "KVM_REG_RISCV_CONFIG | KVM_REG_RISCV_CONFIG_REG(isa)" },
	{ 0x8030000001000007ULL,
	  KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_CONFIG | KVM_REG_RISCV_CONFIG_REG(zicbop_block_size),
	  "config.zicbop_block_size",
	  U64 "KVM_REG_RISCV_CONFIG | KVM_REG_RISCV_CONFIG_REG(zicbop_block_size)" },
	{ 0x8030000002000000ULL,
	  KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_CORE | KVM_REG_RISCV_CORE_REG(regs.pc),
	  "core.pc", U64 "KVM_REG_RISCV_CORE | KVM_REG_RISCV_CORE_REG(regs.pc)" },
	{ 0x803000000200000aULL,
	  KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_CORE | KVM_REG_RISCV_CORE_REG(regs.a0),
	  "core.a0", U64 "KVM_REG_RISCV_CORE | KVM_REG_RISCV_CORE_REG(regs.a0)" },
	{ 0x8030000002000020ULL,
	  KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_CORE | KVM_REG_RISCV_CORE_REG(mode),
	  "core.mode", U64 "KVM_REG_RISCV_CORE | KVM_REG_RISCV_CORE_REG(mode)" },
	{ 0x8020000002000000ULL,
	  KVM_REG_RISCV | KVM_REG_SIZE_U32 | KVM_REG_RISCV_CORE | KVM_REG_RISCV_CORE_REG(regs.pc),
	  "core.pc.u32", U32 "KVM_REG_RISCV_CORE | KVM_REG_RISCV_CORE_REG(regs.pc)" },
	{ 0x8030000003000000ULL,
	  KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_CSR | KVM_REG_RISCV_CSR_GENERAL | KVM_REG_RISCV_CSR_REG(sstatus),
	  "csr.sstatus",
	  U64 "KVM_REG_RISCV_CSR | KVM_REG_RISCV_CSR_GENERAL | KVM_REG_RISCV_CSR_REG(sstatus)" },
	{ 0x803000000300000aULL,
	  KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_CSR | KVM_REG_RISCV_CSR_GENERAL | KVM_REG_RISCV_CSR_REG(senvcfg),
	  "csr.senvcfg",
	  U64 "KVM_REG_RISCV_CSR | KVM_REG_RISCV_CSR_GENERAL | KVM_REG_RISCV_CSR_REG(senvcfg)" },
	{ 0x8030000003010000ULL,
	  KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_CSR | KVM_REG_RISCV_CSR_AIA | KVM_REG_RISCV_CSR_AIA_REG(siselect),
	  "csr.siselect",
	  U64 "KVM_REG_RISCV_CSR | KVM_REG_RISCV_CSR_AIA | KVM_REG_RISCV_CSR_AIA_REG(siselect)" },
	{ 0x8030000003010006ULL,
	  KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_CSR | KVM_REG_RISCV_CSR_AIA | KVM_REG_RISCV_CSR_AIA_REG(iprio2h),
	  "csr.iprio2h",
	  U64 "KVM_REG_RISCV_CSR | KVM_REG_RISCV_CSR_AIA | KVM_REG_RISCV_CSR_AIA_REG(iprio2h)" },
	{ 0x8030000003020000ULL,
	  KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_CSR | KVM_REG_RISCV_CSR_SMSTATEEN | KVM_REG_RISCV_CSR_SMSTATEEN_REG(sstateen0),
	  "csr.sstateen0",
	  U64 "KVM_REG_RISCV_CSR | KVM_REG_RISCV_CSR_SMSTATEEN | KVM_REG_RISCV_CSR_SMSTATEEN_REG(sstateen0)" },
	{ 0x8030000004000002ULL,
	  KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_TIMER | KVM_REG_RISCV_TIMER_REG(compare),
	  "timer.compare", U64 "KVM_REG_RISCV_TIMER | KVM_REG_RISCV_TIMER_REG(compare)" },
	{ 0x8020000005000000ULL,
	  KVM_REG_RISCV | KVM_REG_SIZE_U32 | KVM_REG_RISCV_FP_F | KVM_REG_RISCV_FP_F_REG(f[0]),
	  "fp_f.f0", U32 "KVM_REG_RISCV_FP_F | KVM_REG_RISCV_FP_F_REG(f[0])" },
	{ 0x8020000005000020ULL,
	  KVM_REG_RISCV | KVM_REG_SIZE_U32 | KVM_REG_RISCV_FP_F | KVM_REG_RISCV_FP_F_REG(fcsr),
	  "fp_f.fcsr", U32 "KVM_REG_RISCV_FP_F | KVM_REG_RISCV_FP_F_REG(fcsr)" },
	{ 0x803000000600001fULL,
	  KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_FP_D | KVM_REG_RISCV_FP_D_REG(f[31]),
	  "fp_d.f31", U64 "KVM_REG_RISCV_FP_D | KVM_REG_RISCV_FP_D_REG(f[31])" },
	{ 0x8020000006000020ULL,
	  KVM_REG_RISCV | KVM_REG_SIZE_U32 | KVM_REG_RISCV_FP_D | KVM_REG_RISCV_FP_D_REG(fcsr),
	  "fp_d.fcsr", U32 "KVM_REG_RISCV_FP_D | KVM_REG_RISCV_FP_D_REG(fcsr)" },
	{ 0x8030000009000004ULL,
	  KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_VECTOR | KVM_REG_RISCV_VECTOR_CSR_REG(vlenb),
	  "vector.vlenb", U64 "KVM_REG_RISCV_VECTOR | KVM_REG_RISCV_VECTOR_CSR_REG(vlenb)" },
	{ 0x8040000009000006ULL,
	  KVM_REG_RISCV | KVM_REG_SIZE_U128 | KVM_REG_RISCV_VECTOR | KVM_REG_RISCV_VECTOR_REG(0),
	  "vector.v0.u128",
	  "KVM_REG_RISCV | KVM_REG_SIZE_U128 | KVM_REG_RISCV_VECTOR | KVM_REG_RISCV_VECTOR_REG(0)" },
	{ 0x8080000009000025ULL,
	  KVM_REG_RISCV | KVM_REG_SIZE_U2048 | KVM_REG_RISCV_VECTOR | KVM_REG_RISCV_VECTOR_REG(31),
	  "vector.v31.u2048",
	  "KVM_REG_RISCV | KVM_REG_SIZE_U2048 | KVM_REG_RISCV_VECTOR | KVM_REG_RISCV_VECTOR_REG(31)" },
	{ 0x803000000700000bULL,
	  KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_ISA_EXT | KVM_REG_RISCV_ISA_SINGLE | KVM_RISCV_ISA_EXT_ZICBOM,
	  "isa_ext.zicbom",
	  U64 "KVM_REG_RISCV_ISA_EXT | KVM_REG_RISCV_ISA_SINGLE | KVM_RISCV_ISA_EXT_ZICBOM" },
	{ 0x803000000700004dULL,
	  KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_ISA_EXT | KVM_REG_RISCV_ISA_SINGLE | KVM_RISCV_ISA_EXT_ZALASR,
	  "isa_ext.zalasr",
	  U64 "KVM_REG_RISCV_ISA_EXT | KVM_REG_RISCV_ISA_SINGLE | KVM_RISCV_ISA_EXT_ZALASR" },
	{ 0x8030000007000000ULL,
	  KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_ISA_EXT | KVM_REG_RISCV_ISA_SINGLE | KVM_RISCV_ISA_EXT_A,
	  "isa_ext.a", U64 "KVM_REG_RISCV_ISA_EXT | KVM_REG_RISCV_ISA_SINGLE | KVM_RISCV_ISA_EXT_A" },
	{ 0x8030000007010001ULL,
	  KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_ISA_EXT | KVM_REG_RISCV_ISA_MULTI_EN | KVM_REG_RISCV_ISA_MULTI_REG(KVM_RISCV_ISA_EXT_ZALASR),
	  "isa_ext.multi_en.1",
	  U64 "KVM_REG_RISCV_ISA_EXT | KVM_REG_RISCV_ISA_MULTI_EN | 1" },
	{ 0x8030000007020000ULL,
	  KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_ISA_EXT | KVM_REG_RISCV_ISA_MULTI_DIS | 0,
	  "isa_ext.multi_dis.0",
	  U64 "KVM_REG_RISCV_ISA_EXT | KVM_REG_RISCV_ISA_MULTI_DIS | 0" },
	{ 0x803000000800000aULL,
	  KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_SBI_EXT | KVM_REG_RISCV_SBI_SINGLE | KVM_RISCV_SBI_EXT_STA,
	  "sbi_ext.sta",
	  U64 "KVM_REG_RISCV_SBI_EXT | KVM_REG_RISCV_SBI_SINGLE | KVM_RISCV_SBI_EXT_STA" },
	{ 0x803000000800000dULL,
	  KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_SBI_EXT | KVM_REG_RISCV_SBI_SINGLE | KVM_RISCV_SBI_EXT_MPXY,
	  "sbi_ext.mpxy",
	  U64 "KVM_REG_RISCV_SBI_EXT | KVM_REG_RISCV_SBI_SINGLE | KVM_RISCV_SBI_EXT_MPXY" },
	{ 0x8030000008010000ULL,
	  KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_SBI_EXT | KVM_REG_RISCV_SBI_MULTI_EN | 0,
	  "sbi_ext.multi_en.0",
	  U64 "KVM_REG_RISCV_SBI_EXT | KVM_REG_RISCV_SBI_MULTI_EN | 0" },
	{ 0x803000000a000001ULL,
	  KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_SBI_STATE | KVM_REG_RISCV_SBI_STA | KVM_REG_RISCV_SBI_STA_REG(shmem_hi),
	  "sbi_sta.shmem_hi",
	  U64 "KVM_REG_RISCV_SBI_STATE | KVM_REG_RISCV_SBI_STA | KVM_REG_RISCV_SBI_STA_REG(shmem_hi)" },
	{ 0x803000000a010005ULL,
	  KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_SBI_STATE | KVM_REG_RISCV_SBI_FWFT | KVM_REG_RISCV_SBI_FWFT_REG(pointer_masking.value),
	  "sbi_fwft.pointer_masking.value",
	  U64 "KVM_REG_RISCV_SBI_STATE | KVM_REG_RISCV_SBI_FWFT | KVM_REG_RISCV_SBI_FWFT_REG(pointer_masking.value)" },
};

TEST(hand_computed_ids)
{
	for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++) {
		const struct expected *e = &expected[i];
		uint64_t id = 0;

		EXPECT(e->id == e->from_macros,
		       "%s: by hand 0x%016" PRIx64 ", uapi macros 0x%016" PRIx64,
		       e->short_name, e->id, e->from_macros);
		EXPECT(!strcmp(t_name_of(RV, e->id, KVMREG_NAME_SHORT), e->short_name),
		       "0x%016" PRIx64 ": short name '%s', want '%s'", e->id,
		       t_name_buf, e->short_name);
		EXPECT(!strcmp(t_name_of(RV, e->id, KVMREG_NAME_MACRO), e->macro_name),
		       "0x%016" PRIx64 ": macro name '%s', want '%s'", e->id,
		       t_name_buf, e->macro_name);
		EXPECT(kvmreg_id_parse(RV, e->short_name, &id) == 0 && id == e->id,
		       "parse '%s': 0x%016" PRIx64 " (%s)", e->short_name, id,
		       kvmreg_error());
		id = 0;
		EXPECT(kvmreg_id_parse(RV, e->macro_name, &id) == 0 && id == e->id,
		       "parse '%s': 0x%016" PRIx64 " (%s)", e->macro_name, id,
		       kvmreg_error());
	}
}

static bool is_vector_register(uint64_t id)
{
	return (id & KVM_REG_RISCV_TYPE_MASK) == KVM_REG_RISCV_VECTOR &&
	       kvmreg_id_size(id) >= 16;
}

/* The vector registers come in every size a VLEN of 128 to 2048 bits
 * gives: v0..v31 in 5 sizes (the driver's total count is
 * driver_properties.c's). */
TEST(known_ids_have_every_vector_size)
{
	EXPECT(t_known_ids_where(RV, is_vector_register) == 32 * 5,
	       "%zu vector register ids",
	       t_known_ids_where(RV, is_vector_register));
}

#define ULONG(type, rest) (KVM_REG_RISCV | KVM_REG_SIZE_U64 | (type) | (rest))

/*
 * The registers of the blessed lists of the kernel's
 * tools/testing/selftests/kvm/riscv/get-reg-list.c (7.2), sublist by
 * sublist, written with the same macros.
 */
static uint64_t blessed[512];
static size_t n_blessed;

static void bless(uint64_t id)
{
	if (n_blessed < sizeof(blessed) / sizeof(blessed[0]))
		blessed[n_blessed++] = id;
}

static void build_blessed(void)
{
	static const size_t config[] = {
		KVM_REG_RISCV_CONFIG_REG(isa),
		KVM_REG_RISCV_CONFIG_REG(zicbom_block_size),
		KVM_REG_RISCV_CONFIG_REG(mvendorid),
		KVM_REG_RISCV_CONFIG_REG(marchid),
		KVM_REG_RISCV_CONFIG_REG(mimpid),
		KVM_REG_RISCV_CONFIG_REG(zicboz_block_size),
		KVM_REG_RISCV_CONFIG_REG(satp_mode),
		KVM_REG_RISCV_CONFIG_REG(zicbop_block_size),
	};
	static const size_t aia[] = {
		KVM_REG_RISCV_CSR_AIA_REG(siselect),
		KVM_REG_RISCV_CSR_AIA_REG(iprio1),
		KVM_REG_RISCV_CSR_AIA_REG(iprio2),
		KVM_REG_RISCV_CSR_AIA_REG(sieh),
		KVM_REG_RISCV_CSR_AIA_REG(siph),
		KVM_REG_RISCV_CSR_AIA_REG(iprio1h),
		KVM_REG_RISCV_CSR_AIA_REG(iprio2h),
	};

	n_blessed = 0;
	for (size_t i = 0; i < sizeof(config) / sizeof(config[0]); i++)
		bless(ULONG(KVM_REG_RISCV_CONFIG, config[i]));
	for (size_t i = KVM_REG_RISCV_CORE_REG(regs.pc);
	     i <= KVM_REG_RISCV_CORE_REG(mode); i++)
		bless(ULONG(KVM_REG_RISCV_CORE, i));
	for (size_t i = KVM_REG_RISCV_CSR_REG(sstatus);
	     i <= KVM_REG_RISCV_CSR_REG(senvcfg); i++)
		bless(ULONG(KVM_REG_RISCV_CSR, KVM_REG_RISCV_CSR_GENERAL | i));
	for (size_t i = KVM_REG_RISCV_TIMER_REG(frequency);
	     i <= KVM_REG_RISCV_TIMER_REG(state); i++)
		bless(KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_TIMER | i);
	for (size_t i = 0; i < KVM_RISCV_SBI_EXT_MAX; i++)
		bless(ULONG(KVM_REG_RISCV_SBI_EXT, KVM_REG_RISCV_SBI_SINGLE | i));
	bless(ULONG(KVM_REG_RISCV_SBI_STATE,
		    KVM_REG_RISCV_SBI_STA | KVM_REG_RISCV_SBI_STA_REG(shmem_lo)));
	bless(ULONG(KVM_REG_RISCV_SBI_STATE,
		    KVM_REG_RISCV_SBI_STA | KVM_REG_RISCV_SBI_STA_REG(shmem_hi)));
	bless(ULONG(KVM_REG_RISCV_SBI_STATE, KVM_REG_RISCV_SBI_FWFT |
		    KVM_REG_RISCV_SBI_FWFT_REG(misaligned_deleg.enable)));
	bless(ULONG(KVM_REG_RISCV_SBI_STATE, KVM_REG_RISCV_SBI_FWFT |
		    KVM_REG_RISCV_SBI_FWFT_REG(misaligned_deleg.flags)));
	bless(ULONG(KVM_REG_RISCV_SBI_STATE, KVM_REG_RISCV_SBI_FWFT |
		    KVM_REG_RISCV_SBI_FWFT_REG(misaligned_deleg.value)));
	bless(ULONG(KVM_REG_RISCV_SBI_STATE, KVM_REG_RISCV_SBI_FWFT |
		    KVM_REG_RISCV_SBI_FWFT_REG(pointer_masking.enable)));
	bless(ULONG(KVM_REG_RISCV_SBI_STATE, KVM_REG_RISCV_SBI_FWFT |
		    KVM_REG_RISCV_SBI_FWFT_REG(pointer_masking.flags)));
	bless(ULONG(KVM_REG_RISCV_SBI_STATE, KVM_REG_RISCV_SBI_FWFT |
		    KVM_REG_RISCV_SBI_FWFT_REG(pointer_masking.value)));
	for (size_t i = 0; i < sizeof(aia) / sizeof(aia[0]); i++)
		bless(ULONG(KVM_REG_RISCV_CSR, KVM_REG_RISCV_CSR_AIA | aia[i]));
	bless(ULONG(KVM_REG_RISCV_CSR, KVM_REG_RISCV_CSR_SMSTATEEN |
		    KVM_REG_RISCV_CSR_SMSTATEEN_REG(sstateen0)));
	for (size_t i = 0; i < 32; i++)
		bless(KVM_REG_RISCV | KVM_REG_SIZE_U32 | KVM_REG_RISCV_FP_F |
		      KVM_REG_RISCV_FP_F_REG(f[i]));
	bless(KVM_REG_RISCV | KVM_REG_SIZE_U32 | KVM_REG_RISCV_FP_F |
	      KVM_REG_RISCV_FP_F_REG(fcsr));
	for (size_t i = 0; i < 32; i++)
		bless(KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_FP_D |
		      KVM_REG_RISCV_FP_D_REG(f[i]));
	bless(KVM_REG_RISCV | KVM_REG_SIZE_U32 | KVM_REG_RISCV_FP_D |
	      KVM_REG_RISCV_FP_D_REG(fcsr));
	bless(ULONG(KVM_REG_RISCV_VECTOR, KVM_REG_RISCV_VECTOR_CSR_REG(vstart)));
	bless(ULONG(KVM_REG_RISCV_VECTOR, KVM_REG_RISCV_VECTOR_CSR_REG(vl)));
	bless(ULONG(KVM_REG_RISCV_VECTOR, KVM_REG_RISCV_VECTOR_CSR_REG(vtype)));
	bless(ULONG(KVM_REG_RISCV_VECTOR, KVM_REG_RISCV_VECTOR_CSR_REG(vcsr)));
	bless(ULONG(KVM_REG_RISCV_VECTOR, KVM_REG_RISCV_VECTOR_CSR_REG(vlenb)));
	for (size_t i = 0; i < 32; i++)
		bless(KVM_REG_RISCV | KVM_REG_SIZE_U128 | KVM_REG_RISCV_VECTOR |
		      KVM_REG_RISCV_VECTOR_REG(i));
	for (size_t i = 0; i < KVM_RISCV_ISA_EXT_MAX; i++)
		bless(ULONG(KVM_REG_RISCV_ISA_EXT, KVM_REG_RISCV_ISA_SINGLE | i));
}

TEST(blessed_lists_have_names)
{
	build_blessed();
	EXPECT(n_blessed == 8 + 33 + 11 + 4 + 14 + 2 + 6 + 7 + 1 + 33 + 33 +
			    5 + 32 + 78, "%zu blessed registers", n_blessed);
	for (size_t i = 0; i < n_blessed; i++) {
		uint64_t back = 0;

		EXPECT(kvmreg_id_check(RV, blessed[i]) == 0, "0x%016" PRIx64
		       ": %s", blessed[i], kvmreg_error());
		for (int style = 0; style < 2; style++) {
			t_name_of(RV, blessed[i], (enum kvmreg_name_style)style);
			EXPECT(!t_name_is_generic(t_name_buf) && t_name_buf[0] != '<',
			       "0x%016" PRIx64 ": '%s'", blessed[i], t_name_buf);
			EXPECT(kvmreg_id_parse(RV, t_name_buf, &back) == 0 &&
			       back == blessed[i], "'%s'", t_name_buf);
		}
	}
}

/* The Linux 7.2 tree the kernel stage keeps in the cache (kernel/README.md);
 * the series touches no riscv file. */
static const char *kernel_tree(char *buf, size_t len, const char *rel)
{
	const char *cache = getenv("KVMREG_CACHE");

	snprintf(buf, len, "%s/kernel/linux-7.2/%s",
		 cache && *cache ? cache : "/var/cache/kvmreg", rel);
	return buf;
}

/*
 * Drift check against the kernel tree, where the cache has it: every
 * register line of the selftest parses (its C expressions are our macro
 * style, with the selftest's KVM_REG_SIZE_ULONG) to a named id, and so does
 * every extension its KVM_ISA_EXT_SIMPLE_CONFIG lines name.
 */
TEST(selftest_file_lines_parse)
{
	char path[512], line[512];
	size_t lines = 0, exts = 0;
	FILE *f = fopen(kernel_tree(path, sizeof(path),
			"tools/testing/selftests/kvm/riscv/get-reg-list.c"), "r");

	if (!f)
		SKIP("no kernel tree at %.200s", path);
	while (fgets(line, sizeof(line), f)) {
		char *s = line, *end, expr[512];
		uint64_t id = 0;

		while (*s == ' ' || *s == '\t')
			s++;
		if (!strncmp(s, "KVM_ISA_EXT_SIMPLE_CONFIG(", 26)) {
			char ext[64];

			if (sscanf(s + 26, "%*[^,], %63[A-Z0-9_])", ext) != 1)
				continue;
			snprintf(expr, sizeof(expr),
				 "KVM_REG_RISCV | KVM_REG_SIZE_ULONG | KVM_REG_RISCV_ISA_EXT | KVM_REG_RISCV_ISA_SINGLE | KVM_RISCV_ISA_EXT_%s",
				 ext);
			exts++;
		} else if (!strncmp(s, "KVM_REG_RISCV | ", 16)) {
			end = strrchr(s, ',');
			if (!end)
				continue;
			*end = '\0';
			snprintf(expr, sizeof(expr), "%s", s);
			lines++;
		} else {
			continue;
		}
		EXPECT(kvmreg_id_parse(RV, expr, &id) == 0, "'%s': %s", expr,
		       kvmreg_error());
		EXPECT(!t_name_is_generic(t_name_of(RV, id, KVMREG_NAME_SHORT)), "'%s'",
		       expr);
	}
	fclose(f);
	EXPECT(lines >= 190, "%zu blessed lines", lines);
	EXPECT(exts >= 50, "%zu simple ISA configs", exts);
}

/* Our extension table against the kernel's enum, where the cache has it. */
TEST(extension_enums_match_kernel_header)
{
	char path[512], line[256], token[64];
	unsigned int isa = 0, sbi = 0;
	FILE *f = fopen(kernel_tree(path, sizeof(path),
			"arch/riscv/include/uapi/asm/kvm.h"), "r");

	if (!f)
		SKIP("no kernel tree at %.200s", path);
	while (fgets(line, sizeof(line), f)) {
		char want[96];
		uint64_t id;

		if (sscanf(line, " KVM_RISCV_ISA_EXT_%63[A-Z0-9_]", token) == 1 &&
		    strcmp(token, "MAX") && strcmp(token, "ID")) {
			snprintf(want, sizeof(want), "isa_ext.%s", token);
			EXPECT(kvmreg_id_parse(RV, want, &id) == 0 &&
			       (id & 0xffff) == isa, "%s is ISA_EXT %u", token,
			       isa);
			isa++;
		} else if (sscanf(line, " KVM_RISCV_SBI_EXT_%63[A-Z0-9_]",
				  token) == 1 && strcmp(token, "MAX") &&
			   strcmp(token, "ID")) {
			snprintf(want, sizeof(want), "sbi_ext.%s", token);
			EXPECT(kvmreg_id_parse(RV, want, &id) == 0 &&
			       (id & 0xffff) == sbi, "%s is SBI_EXT %u", token,
			       sbi);
			sbi++;
		}
	}
	fclose(f);
	EXPECT(isa == KVM_RISCV_ISA_EXT_MAX, "kernel has %u ISA extensions, we %d",
	       isa, KVM_RISCV_ISA_EXT_MAX);
	EXPECT(sbi == KVM_RISCV_SBI_EXT_MAX, "kernel has %u SBI extensions, we %d",
	       sbi, KVM_RISCV_SBI_EXT_MAX);
}

struct bad_id {
	uint64_t id;
	const char *says;
};

static const struct bad_id bad_ids[] = {
	{ 0x8030000102000000ULL, "reserved" },
	{ 0x8040000002000000ULL, "not 16 bytes" },
	{ 0x8010000002000000ULL, "not 2 bytes" },
	{ 0x8030000002000021ULL, "index 33 is out of range" },
	{ 0x8030000002010000ULL, "no subtype" },
	{ 0x8030000005000000ULL, "U32" },
	{ 0x8030000005000021ULL, "out of range" },
	{ 0x8020000006000000ULL, "U64" },
	{ 0x8030000006000020ULL, "U32 (fcsr)" },
	{ 0x8020000004000000ULL, "U64" },
	{ 0x8030000009000005ULL, "datap" },
	{ 0x8030000009000006ULL, "vlenb bytes" },
	{ 0x8040000009000026ULL, "out of range" },
	{ 0x8040000009000000ULL, "not 16 bytes" },
	{ 0x8040000003070000ULL, "not 16 bytes" },	/* unknown CSR subtype */
	{ 0x8040000007000000ULL, "not 16 bytes" },
	{ 0x804000000a000000ULL, "not 16 bytes" },
	{ 0x809000000a000000ULL, "beyond U2048" },
};

TEST(malformed_ids_are_rejected)
{
	for (size_t i = 0; i < sizeof(bad_ids) / sizeof(bad_ids[0]); i++) {
		const char *fault = t_bad_id_fault(RV, bad_ids[i].id,
						   bad_ids[i].says);

		EXPECT(!fault, "%s", fault);
	}
	EXPECT(kvmreg_id_check(RV, 0x6030000000100000ULL) == -EINVAL &&
	       strstr(kvmreg_error(), "does not belong to riscv64"), "%s",
	       kvmreg_error());
}

/* Well formed, but newer than 7.2: generic names that parse back. */
TEST(unknown_ids_get_generic_names)
{
	static const uint64_t unknown[] = {
		0x803000000b000000ULL,	/* type 11 */
		0x8030000003000032ULL,	/* general CSR 50 */
		0x8030000003030000ULL,	/* CSR subtype 3 */
		0x8030000001000008ULL,	/* config 8 */
		0x80300000070000c8ULL,	/* ISA_EXT 200 */
		0x8030000007010002ULL,	/* ISA multi reg 2 */
		0x800000000a070000ULL,	/* SBI state subtype 7, U8 */
		0x803000000a000002ULL,	/* STA 2 */
	};

	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		uint64_t back = 0;
		char want[32];

		EXPECT(kvmreg_id_check(RV, unknown[i]) == 0, "0x%016" PRIx64
		       ": %s", unknown[i], kvmreg_error());
		snprintf(want, sizeof(want), "0x%016" PRIx64, unknown[i]);
		EXPECT(!strcmp(t_name_of(RV, unknown[i], KVMREG_NAME_SHORT), want),
		       "'%s'", t_name_buf);
		EXPECT(kvmreg_id_parse(RV, t_name_buf, &back) == 0 &&
		       back == unknown[i], "'%s'", t_name_buf);
		strcat(want, "ULL");
		EXPECT(!strcmp(t_name_of(RV, unknown[i], KVMREG_NAME_MACRO), want),
		       "'%s'", t_name_buf);
		EXPECT(kvmreg_id_parse(RV, t_name_buf, &back) == 0 &&
		       back == unknown[i], "'%s'", t_name_buf);
	}
	EXPECT(!strcmp(kvmreg_id_group(RV, 0x803000000b000000ULL), "unknown"),
	       "unknown type's group");
	EXPECT(!strcmp(kvmreg_id_group(RV, 0x8030000003030000ULL), "csr"),
	       "unknown CSR subtype is still a CSR");
}

struct bad_name {
	const char *name;
	const char *says;	/* kvmreg_id_parse() gives -EINVAL and this */
};

static const struct bad_name bad_names[] = {
	{ "core.xyz", "no core register named 'xyz'" },
	{ "csr.sstatuss", "no csr register named 'sstatuss'" },
	{ "vector.v0", "vector.v0.u128" },
	{ "vector.v32.u128", "no vector register named 'v32'" },
	{ "vector.datap", "no vector register" },
	{ "fp_f.f32", "no fp_f register named 'f32'" },
	{ "fp_d.f1x", "no fp_d register" },
	{ "core.pc.u24", "size suffix" },
	{ "core.pc.u128", "not 16 bytes" },
	{ "fp_f.f1.u64", "U32" },
	{ "isa_ext.multi_en.2", "numbered 0..1" },
	{ "isa_ext.zzz", "no isa_ext register named 'zzz'" },
	{ "sbi_ext.nope", "no sbi_ext register" },
	{ "nothing.here", "names no riscv64 register" },
	{ "KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_CORE | KVM_REG_RISCV_CSR_REG(sstatus)",
	  "belongs with KVM_REG_RISCV_CSR" },
	{ "KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_CSR | KVM_REG_RISCV_CSR_AIA_REG(siselect)",
	  "KVM_REG_RISCV_CSR | KVM_REG_RISCV_CSR_AIA" },
	{ "KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_CORE",
	  "each once" },
	{ "KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_SIZE_U64 | KVM_REG_RISCV_CORE | 0",
	  "each once" },
	{ "KVM_REG_SIZE_U64 | KVM_REG_RISCV_CORE | KVM_REG_RISCV_CORE_REG(mode)",
	  "each once" },
	{ "KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_CORE | KVM_REG_RISCV_CORE_REG(regs.xx)",
	  "names no riscv core register" },
	{ "KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_CORE | KVM_REG_RISCV_CORE_REG(pc)",
	  "names no riscv core register" },
	{ "KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_ISA_EXT | KVM_REG_RISCV_ISA_SINGLE | KVM_RISCV_ISA_EXT_FOO",
	  "not an extension" },
	{ "KVM_REG_RISCV | KVM_REG_SIZE_U7 | KVM_REG_RISCV_CORE | 0",
	  "unknown term 'KVM_REG_SIZE_U7'" },
	{ "KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_CORE | KVM_REG_RISCV_CSR_AIA | KVM_REG_RISCV_CORE_REG(mode)",
	  "subtype of KVM_REG_RISCV_CSR" },
	{ "KVM_REG_RISCV | KVM_REG_SIZE_U32 | KVM_REG_RISCV_FP_D | KVM_REG_RISCV_FP_D_REG(f[0])",
	  "U64" },
	{ "KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_VECTOR | KVM_REG_RISCV_VECTOR_REG(32)",
	  "names no riscv vector register" },
	{ "KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_CORE | 0x10000",
	  "16-bit index" },
	{ "KVM_REG_RISCV || KVM_REG_SIZE_U64", "empty term" },
};

TEST(malformed_names_are_rejected)
{
	for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
		const char *fault = t_bad_name_fault(RV, bad_names[i].name,
						     bad_names[i].says);

		EXPECT(!fault, "%s", fault);
	}
}

/* What the parser accepts beyond the names it prints. */
TEST(lenient_forms)
{
	static const struct {
		const char *name;
		uint64_t id;
	} forms[] = {
		/* the selftests' ULONG, any spacing, any order, numbers */
		{ "KVM_REG_RISCV | KVM_REG_SIZE_ULONG | KVM_REG_RISCV_CORE | KVM_REG_RISCV_CORE_REG(regs.pc)",
		  0x8030000002000000ULL },
		{ "KVM_REG_RISCV|KVM_REG_SIZE_U64|KVM_REG_RISCV_TIMER|KVM_REG_RISCV_TIMER_REG( state )",
		  0x8030000004000003ULL },
		{ "KVM_REG_RISCV_CORE | KVM_REG_RISCV_CORE_REG(mode) | KVM_REG_SIZE_U64 | KVM_REG_RISCV",
		  0x8030000002000020ULL },
		{ "KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_CORE | 3",
		  0x8030000002000003ULL },
		/* GENERAL and SINGLE are 0: leaving them out is the same C */
		{ "KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_CSR | KVM_REG_RISCV_CSR_REG(sip)",
		  0x8030000003000007ULL },
		{ "KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_ISA_EXT | KVM_RISCV_ISA_EXT_V",
		  0x803000000700000fULL },
		{ "isa_ext.ZICBOZ", 0x803000000700000cULL },
		{ "config.isa.u64", 0x8030000001000000ULL },
		{ "0x8030000002000001", 0x8030000002000001ULL },
	};

	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		uint64_t id = 0;

		EXPECT(kvmreg_id_parse(RV, forms[i].name, &id) == 0 &&
		       id == forms[i].id, "'%s' -> 0x%016" PRIx64 " (%s)",
		       forms[i].name, id, kvmreg_error());
	}
}

TEST(arch_names_and_unique_short_names)
{
	uint64_t id = 0;

	EXPECT(kvmreg_arch_from_name("riscv64") == RV, "riscv64");
	EXPECT(kvmreg_arch_from_name("riscv") == RV, "riscv alias");
	EXPECT(!strcmp(kvmreg_arch_name(RV), "riscv64"), "name");
	EXPECT(kvmreg_arch_of_id(0x8030000002000000ULL) == RV, "arch of id");
	/* no arch given: a name only riscv has */
	EXPECT(kvmreg_id_parse(KVMREG_ARCH_NONE, "isa_ext.zicbom", &id) == 0 &&
	       id == 0x803000000700000bULL, "%s", kvmreg_error());
	EXPECT(kvmreg_id_parse(KVMREG_ARCH_NONE,
			       "KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_TIMER | KVM_REG_RISCV_TIMER_REG(time)",
			       &id) == 0 && id == 0x8030000004000001ULL, "%s",
	       kvmreg_error());
}

TEST(groups_and_volatile)
{
	static const struct {
		uint64_t id;
		const char *group;
		bool is_volatile;
	} g[] = {
		{ 0x8030000001000000ULL, "config", false },
		{ 0x8030000002000000ULL, "core", false },
		{ 0x8030000003000007ULL, "csr", true },	/* sip */
		{ 0x8030000003000000ULL, "csr", false },
		{ 0x8030000003010000ULL, "csr", false },
		{ 0x8030000003020000ULL, "csr", false },
		{ 0x8030000004000000ULL, "timer", false },	/* frequency */
		{ 0x8030000004000001ULL, "timer", true },	/* time */
		{ 0x8030000004000002ULL, "timer", false },	/* compare */
		{ 0x8030000004000003ULL, "timer", true },	/* state */
		{ 0x8020000005000000ULL, "fp_f", false },
		{ 0x8030000006000000ULL, "fp_d", false },
		{ 0x8040000009000006ULL, "vector", false },
		{ 0x8030000007000000ULL, "isa_ext", false },
		{ 0x8030000007010000ULL, "isa_ext", false },
		{ 0x8030000008000000ULL, "sbi_ext", false },
		{ 0x803000000a000000ULL, "sbi_sta", false },
		{ 0x803000000a010000ULL, "sbi_fwft", false },
		{ 0x803000000a050000ULL, "sbi_state", false },
	};

	for (size_t i = 0; i < sizeof(g) / sizeof(g[0]); i++) {
		EXPECT(!strcmp(kvmreg_id_group(RV, g[i].id), g[i].group),
		       "0x%016" PRIx64 ": group %s, want %s", g[i].id,
		       kvmreg_id_group(RV, g[i].id), g[i].group);
		EXPECT(kvmreg_id_is_volatile(RV, g[i].id) == g[i].is_volatile,
		       "0x%016" PRIx64 " volatile", g[i].id);
	}
}

TEST(restore_order)
{
	const struct kvmreg_arch_driver *d = kvmreg_driver(RV);
	uint64_t config = 0x8030000001000000ULL;	/* config.isa */
	uint64_t isa = 0x803000000700000fULL;		/* isa_ext.v */
	uint64_t sbi = 0x803000000800000aULL;		/* sbi_ext.sta */
	uint64_t sta = 0x803000000a000000ULL;		/* sbi_sta.shmem_lo */
	uint64_t fpd = 0x8030000006000000ULL;
	uint64_t vreg = 0x8040000009000006ULL;
	uint64_t core = 0x8030000002000000ULL;
	uint64_t timer = 0x8030000004000003ULL;

	REQUIRE(d->restore_rank && d->restore_reason, "hooks");
	EXPECT(d->restore_rank(config) <= d->restore_rank(isa), "config first");
	EXPECT(d->restore_rank(isa) < d->restore_rank(fpd),
	       "ISA changes reset F/D: ISA first");
	EXPECT(d->restore_rank(isa) < d->restore_rank(vreg), "V before v0");
	EXPECT(d->restore_rank(sbi) < d->restore_rank(sta),
	       "SBI STA enabled before its state");
	EXPECT(d->restore_rank(core) < d->restore_rank(timer), "timer last");
	EXPECT(strstr(d->restore_reason(isa), "EBUSY"), "%s",
	       d->restore_reason(isa));
	EXPECT(strstr(d->restore_reason(sbi), "ISA_EXT/SBI_EXT"), "%s",
	       d->restore_reason(sbi));
	EXPECT(strstr(kvmreg_id_restore_reason(RV, timer), "compare"), "%s",
	       kvmreg_id_restore_reason(RV, timer));
}

static int rank_of(uint64_t id)
{
	return kvmreg_id_restore_rank(RV, id);
}

static void check_table(const char *features, size_t want, uint64_t must_have)
{
	const char *label = features ? features : "(default)";
	struct kvmreg_list *list = NULL;
	int found = !must_have;

	REQUIRE(kvmreg_fallback_table(RV, features, &list) == 0, "'%s': %s",
		label, kvmreg_error());
	EXPECT(list->count == want, "'%s': %zu registers, want %zu",
	       label, list->count, want);
	for (size_t i = 0; i < list->count; i++) {
		const struct kvmreg_reg *r = &list->regs[i];

		EXPECT(r->source == KVMREG_SRC_FALLBACK, "source");
		EXPECT(r->size == kvmreg_id_size(r->id), "size");
		EXPECT(kvmreg_id_check(RV, r->id) == 0, "%s", kvmreg_error());
		EXPECT(!t_name_is_generic(t_name_of(RV, r->id, KVMREG_NAME_SHORT)),
		       "0x%016" PRIx64, r->id);
		if (i)
			EXPECT(rank_of(list->regs[i - 1].id) <= rank_of(r->id),
			       "'%s' is in restore order at %zu",
			       label, i);
		for (size_t j = 0; j < i; j++)
			EXPECT(list->regs[j].id != r->id, "duplicate %s",
			       t_name_of(RV, r->id, KVMREG_NAME_SHORT));
		if (r->id == must_have)
			found = 1;
		EXPECT(!!(r->flags & KVMREG_REG_VOLATILE) ==
		       kvmreg_id_is_volatile(RV, r->id), "volatile flag");
	}
	EXPECT(found, "'%s' lacks 0x%016" PRIx64, label, must_have);
	if (list->count) {
		EXPECT(list->regs[0].id == 0x8030000001000000ULL,
		       "config.isa first");
		EXPECT(list->regs[list->count - 1].id == 0x8030000004000003ULL,
		       "timer.state last");
	}
	kvmreg_list_free(list);
}

TEST(fallback_tables)
{
	/* config 8, ISA_EXT imafdc zicsr zifencei 8, SBI base 8, core 33,
	 * CSRs 11, F 33, D 33, timer 4 */
	check_table(NULL, 8 + 8 + 8 + 33 + 11 + 33 + 33 + 4,
		    0x8030000008000007ULL);
	check_table("default", 138, 0x8020000006000020ULL);
	check_table("", 8 + 33 + 11 + 4, 0);
	/* + V with VLEN 256: ISA_EXT v, 5 CSRs, 32 x U256; Ssaia: 1 + 7;
	 * SBI STA: 1 + 2; FWFT with Smnpm: 1 + 6 and ISA_EXT smnpm */
	check_table("default,v,vlenb=32,ssaia,sbi_sta,sbi_fwft,smnpm",
		    138 + 1 + 5 + 32 + 1 + 7 + 1 + 2 + 1 + 6 + 1,
		    0x8050000009000006ULL);
	check_table("sbi_fwft", 56 + 1 + 3, 0x803000000a010002ULL);
	check_table(" smstateen , f ", 56 + 1 + 1 + 1 + 33,
		    0x8030000003020000ULL);
}

TEST(fallback_features_rejected)
{
	static const struct {
		const char *features;
		const char *says;
	} bad[] = {
		{ "default,zzz", "unknown feature 'zzz'" },
		{ "vlenb=24", "power of two" },
		{ "vlenb=512", "power of two" },
		{ "v,vlenb=", "unknown feature 'vlenb='" },
		{ "sbi_nope", "unknown feature 'sbi_nope'" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct kvmreg_list *list = NULL;

		EXPECT(kvmreg_fallback_table(RV, bad[i].features, &list) ==
		       -EINVAL, "'%s' accepted", bad[i].features);
		EXPECT(strstr(kvmreg_error(), bad[i].says), "'%s': '%s'",
		       bad[i].features, kvmreg_error());
		EXPECT(!list, "no list on error");
	}
}

/*
 * The one refusal KVM's code shows to leave the value written: an OFF
 * write to timer.state when the timer is off (-EINVAL from
 * kvm_riscv_vcpu_timer_cancel). Any other id, value or errno is read back.
 */
TEST(refusal_keeps_value_only_for_timer_off)
{
	const struct kvmreg_arch_driver *d = &kvmreg_arch_riscv64;
	uint64_t off = 0, on = 1;
	uint64_t state = 0x8030000004000003ULL;		/* timer.state */
	uint64_t compare = 0x8030000004000002ULL;	/* timer.compare */

	REQUIRE(d->refusal_keeps_value, "hook");
	EXPECT(d->refusal_keeps_value(state, (const uint8_t *)&off, -EINVAL),
	       "timer.state OFF refused with EINVAL: the timer is off");
	EXPECT(!d->refusal_keeps_value(state, (const uint8_t *)&on, -EINVAL),
	       "timer.state ON refused: read back");
	EXPECT(!d->refusal_keeps_value(state, (const uint8_t *)&off, -EBUSY),
	       "another errno: read back");
	EXPECT(!d->refusal_keeps_value(compare, (const uint8_t *)&off, -EINVAL),
	       "another register: read back");
}

TEST_MAIN("riscv_names",
	  CASE(hand_computed_ids),
	  CASE(known_ids_have_every_vector_size),
	  CASE(blessed_lists_have_names),
	  CASE(selftest_file_lines_parse),
	  CASE(extension_enums_match_kernel_header),
	  CASE(malformed_ids_are_rejected),
	  CASE(unknown_ids_get_generic_names),
	  CASE(malformed_names_are_rejected),
	  CASE(lenient_forms),
	  CASE(arch_names_and_unique_short_names),
	  CASE(groups_and_volatile),
	  CASE(restore_order),
	  CASE(refusal_keeps_value_only_for_timer_off),
	  CASE(fallback_tables),
	  CASE(fallback_features_rejected))
