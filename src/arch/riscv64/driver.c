// SPDX-License-Identifier: MIT
/*
 * riscv64: names of ONE_REG ids in both styles, the fallback table for
 * kernels without KVM_GET_REG_LIST (riscv gained it in Linux 6.6), and the
 * restore order. Facts from arch/riscv/kvm/vcpu_onereg.c, vcpu_sbi*.c,
 * vcpu_fp.c, vcpu_vector.c and vcpu_timer.c of Linux 7.2; see
 * docs/arch-riscv.md.
 *
 * An id is decoded into (type, subtype, index) and looked up in a bank: the
 * registers of one (type, subtype), as the kernel groups them. Register
 * files the ISA fixes (core, F, D, vector) reject indexes beyond their
 * end; the tables KVM grows (config, CSRs, timer, ISA_EXT, SBI_EXT, SBI
 * state) accept unknown indexes as well-formed ids of a newer kernel, which
 * get the generic name.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "arch/arch.h"
#include "arch/riscv64/uapi.h"
#include "arch/common/mp_state.h"
#include "arch/riscv64/private.h"
#include "internal.h"

#define RV_RESERVED_MASK	0x000fffff00000000ULL
#define RV_INDEX_MASK		0x000000000000ffffULL
#define RV_SIZE_FIELD(id)	((unsigned int)(((id) & KVM_REG_SIZE_MASK) >> \
						KVM_REG_SIZE_SHIFT))
#define RV_TYPE(id)		((unsigned int)(((id) & KVM_REG_RISCV_TYPE_MASK) >> \
						KVM_REG_RISCV_TYPE_SHIFT))
#define RV_SUBTYPE(id)		((unsigned int)(((id) & KVM_REG_RISCV_SUBTYPE_MASK) >> \
						KVM_REG_RISCV_SUBTYPE_SHIFT))
#define RV_INDEX(id)		((unsigned int)((id) & RV_INDEX_MASK))

/* KVM_REG_SIZE field values */
enum { SZ_U8 = 0, SZ_U32 = 2, SZ_U64 = 3, SZ_U128 = 4, SZ_U2048 = 8 };

/* Which sizes a register may have. XLEN registers are "unsigned long" in
 * the kernel: U64 on rv64, U32 on rv32; both are well formed. */
enum rv_size_rule {
	SIZE_XLEN,
	SIZE_U64,
	SIZE_U32,
	SIZE_FP_D,	/* f0..f31 U64, fcsr U32 */
	SIZE_VECTOR,	/* CSRs XLEN, v0..v31 vlenb bytes: U128..U2048 */
	SIZE_ANY_SCALAR,	/* U8..U64: what SBI_STATE's dispatch takes */
};

enum rv_kind {
	KIND_FIELDS,	/* a struct of named fields */
	KIND_CORE,	/* struct kvm_riscv_core: regs.<abi name>, mode */
	KIND_FP,	/* f[0..31], fcsr */
	KIND_VECTOR,	/* 5 CSRs, datap hole, v0..v31 */
	KIND_EXT,	/* enum KVM_RISCV_*_EXT_ID */
	KIND_MULTI,	/* bitmaps of 64 extensions each */
};

struct rv_type {
	unsigned int type;
	const char *group;
	const char *macro;
	bool has_subtype;
	enum rv_size_rule unknown_subtype_size;
};

static const struct rv_type rv_types[] = {
	{ 0x01, "config", "KVM_REG_RISCV_CONFIG", false, SIZE_XLEN },
	{ 0x02, "core", "KVM_REG_RISCV_CORE", false, SIZE_XLEN },
	{ 0x03, "csr", "KVM_REG_RISCV_CSR", true, SIZE_XLEN },
	{ 0x04, "timer", "KVM_REG_RISCV_TIMER", false, SIZE_U64 },
	{ 0x05, "fp_f", "KVM_REG_RISCV_FP_F", false, SIZE_U32 },
	{ 0x06, "fp_d", "KVM_REG_RISCV_FP_D", false, SIZE_FP_D },
	{ 0x07, "isa_ext", "KVM_REG_RISCV_ISA_EXT", true, SIZE_XLEN },
	{ 0x08, "sbi_ext", "KVM_REG_RISCV_SBI_EXT", true, SIZE_XLEN },
	{ 0x09, "vector", "KVM_REG_RISCV_VECTOR", false, SIZE_VECTOR },
	{ 0x0a, "sbi_state", "KVM_REG_RISCV_SBI_STATE", true, SIZE_ANY_SCALAR },
};

struct rv_bank {
	unsigned int type;
	unsigned int subtype;
	enum rv_kind kind;
	enum rv_size_rule size;
	const char *short_prefix;	/* "csr", "isa_ext.multi_en" */
	const char *group;
	const char *subtype_macro;	/* NULL where the type has none */
	const char *reg_macro;		/* "KVM_REG_RISCV_CONFIG_REG" */
	const char *enum_prefix;	/* KIND_EXT: "KVM_RISCV_ISA_EXT_" */
	const char *const *names;	/* KIND_FIELDS, KIND_CORE, KIND_EXT */
	unsigned int count;		/* indexes 0..count-1 have names */
	bool fixed;			/* indexes >= count are malformed */
};

static const char *const config_names[] = {
	"isa", "zicbom_block_size", "mvendorid", "marchid", "mimpid",
	"zicboz_block_size", "satp_mode", "zicbop_block_size",
};

/* struct user_regs_struct, then mode */
static const char *const core_names[] = {
	"pc", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1",
	"a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7",
	"s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11",
	"t3", "t4", "t5", "t6", "mode",
};
#define RV_CORE_MODE_INDEX 32u

static const char *const csr_names[] = {
	"sstatus", "sie", "stvec", "sscratch", "sepc", "scause", "stval",
	"sip", "satp", "scounteren", "senvcfg",
};

static const char *const aia_csr_names[] = {
	"siselect", "iprio1", "iprio2", "sieh", "siph", "iprio1h", "iprio2h",
};

static const char *const smstateen_csr_names[] = { "sstateen0" };

static const char *const timer_names[] = {
	"frequency", "time", "compare", "state",
};

static const char *const vector_csr_names[] = {
	"vstart", "vl", "vtype", "vcsr", "vlenb",
};
#define RV_VECTOR_DATAP_INDEX 5u
#define RV_VECTOR_V0_INDEX 6u
#define RV_VECTOR_COUNT (RV_VECTOR_V0_INDEX + 32u)

static const char *const sbi_sta_names[] = { "shmem_lo", "shmem_hi" };

static const char *const sbi_fwft_names[] = {
	"misaligned_deleg.enable", "misaligned_deleg.flags",
	"misaligned_deleg.value", "pointer_masking.enable",
	"pointer_masking.flags", "pointer_masking.value",
};

#define RV_EXT_NAME(ext) #ext,
static const char *const isa_ext_names[] = {
	KVMREG_RISCV_ISA_EXTS(RV_EXT_NAME)
};
static const char *const sbi_ext_names[] = {
	KVMREG_RISCV_SBI_EXTS(RV_EXT_NAME)
};
#undef RV_EXT_NAME

_Static_assert(KVMREG_ARRAY_SIZE(isa_ext_names) == KVM_RISCV_ISA_EXT_MAX,
	       "ISA extension names follow the enum");
_Static_assert(KVMREG_ARRAY_SIZE(sbi_ext_names) == KVM_RISCV_SBI_EXT_MAX,
	       "SBI extension names follow the enum");
_Static_assert(KVM_REG_RISCV_CORE_REG(mode) == RV_CORE_MODE_INDEX,
	       "mode follows the 32 user registers");
_Static_assert(KVM_REG_RISCV_VECTOR_REG(0) == RV_VECTOR_V0_INDEX,
	       "v0 follows the vector CSRs and datap");

#define NAMES(a) a, KVMREG_ARRAY_SIZE(a)

static const struct rv_bank rv_banks[] = {
	{ 0x01, 0, KIND_FIELDS, SIZE_XLEN, "config", "config", NULL,
	  "KVM_REG_RISCV_CONFIG_REG", NULL, NAMES(config_names), false },
	{ 0x02, 0, KIND_CORE, SIZE_XLEN, "core", "core", NULL,
	  "KVM_REG_RISCV_CORE_REG", NULL, NAMES(core_names), true },
	{ 0x03, 0, KIND_FIELDS, SIZE_XLEN, "csr", "csr",
	  "KVM_REG_RISCV_CSR_GENERAL", "KVM_REG_RISCV_CSR_REG", NULL,
	  NAMES(csr_names), false },
	{ 0x03, 1, KIND_FIELDS, SIZE_XLEN, "csr", "csr",
	  "KVM_REG_RISCV_CSR_AIA", "KVM_REG_RISCV_CSR_AIA_REG", NULL,
	  NAMES(aia_csr_names), false },
	{ 0x03, 2, KIND_FIELDS, SIZE_XLEN, "csr", "csr",
	  "KVM_REG_RISCV_CSR_SMSTATEEN", "KVM_REG_RISCV_CSR_SMSTATEEN_REG",
	  NULL, NAMES(smstateen_csr_names), false },
	{ 0x04, 0, KIND_FIELDS, SIZE_U64, "timer", "timer", NULL,
	  "KVM_REG_RISCV_TIMER_REG", NULL, NAMES(timer_names), false },
	{ 0x05, 0, KIND_FP, SIZE_U32, "fp_f", "fp_f", NULL,
	  "KVM_REG_RISCV_FP_F_REG", NULL, NULL, 33, true },
	{ 0x06, 0, KIND_FP, SIZE_FP_D, "fp_d", "fp_d", NULL,
	  "KVM_REG_RISCV_FP_D_REG", NULL, NULL, 33, true },
	{ 0x07, 0, KIND_EXT, SIZE_XLEN, "isa_ext", "isa_ext",
	  "KVM_REG_RISCV_ISA_SINGLE", NULL, "KVM_RISCV_ISA_EXT_",
	  NAMES(isa_ext_names), false },
	{ 0x07, 1, KIND_MULTI, SIZE_XLEN, "isa_ext.multi_en", "isa_ext",
	  "KVM_REG_RISCV_ISA_MULTI_EN", NULL, NULL, NULL,
	  KVM_REG_RISCV_ISA_MULTI_REG_LAST + 1, false },
	{ 0x07, 2, KIND_MULTI, SIZE_XLEN, "isa_ext.multi_dis", "isa_ext",
	  "KVM_REG_RISCV_ISA_MULTI_DIS", NULL, NULL, NULL,
	  KVM_REG_RISCV_ISA_MULTI_REG_LAST + 1, false },
	{ 0x08, 0, KIND_EXT, SIZE_XLEN, "sbi_ext", "sbi_ext",
	  "KVM_REG_RISCV_SBI_SINGLE", NULL, "KVM_RISCV_SBI_EXT_",
	  NAMES(sbi_ext_names), false },
	{ 0x08, 1, KIND_MULTI, SIZE_XLEN, "sbi_ext.multi_en", "sbi_ext",
	  "KVM_REG_RISCV_SBI_MULTI_EN", NULL, NULL, NULL,
	  KVM_REG_RISCV_SBI_MULTI_REG_LAST + 1, false },
	{ 0x08, 2, KIND_MULTI, SIZE_XLEN, "sbi_ext.multi_dis", "sbi_ext",
	  "KVM_REG_RISCV_SBI_MULTI_DIS", NULL, NULL, NULL,
	  KVM_REG_RISCV_SBI_MULTI_REG_LAST + 1, false },
	{ 0x09, 0, KIND_VECTOR, SIZE_VECTOR, "vector", "vector", NULL,
	  "KVM_REG_RISCV_VECTOR_CSR_REG", NULL, NULL, RV_VECTOR_COUNT, true },
	{ 0x0a, 0, KIND_FIELDS, SIZE_XLEN, "sbi_sta", "sbi_sta",
	  "KVM_REG_RISCV_SBI_STA", "KVM_REG_RISCV_SBI_STA_REG", NULL,
	  NAMES(sbi_sta_names), false },
	{ 0x0a, 1, KIND_FIELDS, SIZE_XLEN, "sbi_fwft", "sbi_fwft",
	  "KVM_REG_RISCV_SBI_FWFT", "KVM_REG_RISCV_SBI_FWFT_REG", NULL,
	  NAMES(sbi_fwft_names), false },
};

static const struct rv_type *rv_type_of(unsigned int type)
{
	for (size_t i = 0; i < KVMREG_ARRAY_SIZE(rv_types); i++)
		if (rv_types[i].type == type)
			return &rv_types[i];
	return NULL;
}

static const struct rv_bank *rv_bank_of(unsigned int type,
					unsigned int subtype)
{
	for (size_t i = 0; i < KVMREG_ARRAY_SIZE(rv_banks); i++)
		if (rv_banks[i].type == type && rv_banks[i].subtype == subtype)
			return &rv_banks[i];
	return NULL;
}

#define BANK_CONFIG	rv_bank_of(0x01, 0)
#define BANK_CORE	rv_bank_of(0x02, 0)
#define BANK_CSR	rv_bank_of(0x03, 0)
#define BANK_AIA	rv_bank_of(0x03, 1)
#define BANK_SMSTATEEN	rv_bank_of(0x03, 2)
#define BANK_TIMER	rv_bank_of(0x04, 0)
#define BANK_FP_F	rv_bank_of(0x05, 0)
#define BANK_FP_D	rv_bank_of(0x06, 0)
#define BANK_ISA	rv_bank_of(0x07, 0)
#define BANK_SBI	rv_bank_of(0x08, 0)
#define BANK_VECTOR	rv_bank_of(0x09, 0)
#define BANK_STA	rv_bank_of(0x0a, 0)
#define BANK_FWFT	rv_bank_of(0x0a, 1)

static uint64_t rv_id(unsigned int size_field, const struct rv_bank *b,
		      unsigned int index)
{
	return KVM_REG_RISCV | (uint64_t)size_field << KVM_REG_SIZE_SHIFT |
	       (uint64_t)b->type << KVM_REG_RISCV_TYPE_SHIFT |
	       (uint64_t)b->subtype << KVM_REG_RISCV_SUBTYPE_SHIFT | index;
}

static bool is_vreg(const struct rv_bank *b, unsigned int index)
{
	return b->kind == KIND_VECTOR && index >= RV_VECTOR_V0_INDEX;
}

/* The size a short name without a ".uN" suffix means; -1: none (the
 * vector registers, whose size is the vCPU's vlenb). */
static int default_size_field(const struct rv_bank *b, unsigned int index)
{
	switch (b->size) {
	case SIZE_U32:
		return SZ_U32;
	case SIZE_FP_D:
		return index == 32 ? SZ_U32 : SZ_U64;
	case SIZE_VECTOR:
		return is_vreg(b, index) ? -1 : SZ_U64;
	default:
		return SZ_U64;
	}
}

static bool size_allowed(enum rv_size_rule rule, unsigned int index,
			 unsigned int field)
{
	switch (rule) {
	case SIZE_XLEN:
		return field == SZ_U32 || field == SZ_U64;
	case SIZE_U64:
		return field == SZ_U64;
	case SIZE_U32:
		return field == SZ_U32;
	case SIZE_FP_D:
		return field == (index == 32 ? SZ_U32 : SZ_U64);
	case SIZE_VECTOR:
		if (index >= RV_VECTOR_V0_INDEX)
			return field >= SZ_U128 && field <= SZ_U2048;
		return field == SZ_U32 || field == SZ_U64;
	case SIZE_ANY_SCALAR:
		return field <= SZ_U64;
	}
	return false;
}

static const char *size_rule_text(enum rv_size_rule rule, unsigned int index)
{
	switch (rule) {
	case SIZE_XLEN:
		return "XLEN-sized (U64 on rv64, U32 on rv32)";
	case SIZE_U64:
		return "U64";
	case SIZE_U32:
		return "U32";
	case SIZE_FP_D:
		return index == 32 ? "U32 (fcsr)" : "U64";
	case SIZE_VECTOR:
		return index >= RV_VECTOR_V0_INDEX ?
		       "vlenb bytes (U128..U2048)" :
		       "XLEN-sized (U64 on rv64, U32 on rv32)";
	case SIZE_ANY_SCALAR:
		return "U8..U64";
	}
	return "?";
}

/* ------------------------------------------------------------------ */
/* id_check                                                            */

static int rv_id_check(uint64_t id)
{
	unsigned int type = RV_TYPE(id), subtype = RV_SUBTYPE(id);
	unsigned int index = RV_INDEX(id), field = RV_SIZE_FIELD(id);
	const struct rv_type *t;
	const struct rv_bank *b;

	if (id & RV_RESERVED_MASK)
		return kvmreg_set_error(-EINVAL,
					"id 0x%016" PRIx64 ": bits 51..32 are reserved in riscv ids and must be zero",
					id);
	if (type == KVMREG_RISCV_LIB_TYPE && id != KVMREG_RISCV_MP_STATE_ID)
		return kvmreg_set_error(-EINVAL,
					"id 0x%016" PRIx64 ": type 0xff is libkvmreg's, whose one register is mp_state (0x%016llx, docs/ids.md)",
					id, KVMREG_RISCV_MP_STATE_ID);
	if (id == KVMREG_RISCV_MP_STATE_ID)
		return 0;
	t = rv_type_of(type);
	if (!t)
		return 0;	/* a type of a newer kernel */
	if (!t->has_subtype && subtype)
		return kvmreg_set_error(-EINVAL,
					"id 0x%016" PRIx64 ": riscv %s registers have no subtype, but bits 23..16 are 0x%02x",
					id, t->group, subtype);
	b = rv_bank_of(type, subtype);
	if (!b) {
		if (!size_allowed(t->unknown_subtype_size, 0, field))
			return kvmreg_set_error(-EINVAL,
						"id 0x%016" PRIx64 ": riscv %s registers are %s, not %u bytes",
						id, t->group,
						size_rule_text(t->unknown_subtype_size, 0),
						1u << field);
		return 0;
	}
	if (b->kind == KIND_VECTOR && index == RV_VECTOR_DATAP_INDEX)
		return kvmreg_set_error(-EINVAL,
					"id 0x%016" PRIx64 ": riscv vector index 5 is the datap pointer of struct __riscv_v_ext_state, not a register",
					id);
	if (b->fixed && index >= b->count)
		return kvmreg_set_error(-EINVAL,
					"id 0x%016" PRIx64 ": riscv %s index %u is out of range (the ISA defines indexes 0..%u)",
					id, b->group, index, b->count - 1);
	if (!size_allowed(b->size, index, field))
		return kvmreg_set_error(-EINVAL,
					"id 0x%016" PRIx64 ": riscv %s register %u is %s, not %u bytes",
					id, b->group, index,
					size_rule_text(b->size, index), 1u << field);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Names                                                               */

static void lower_copy(char *dst, size_t len, const char *src)
{
	size_t i = 0;

	for (; src[i] && i + 1 < len; i++)
		dst[i] = (char)(src[i] >= 'A' && src[i] <= 'Z' ?
				src[i] - 'A' + 'a' : src[i]);
	dst[i] = '\0';
}

/* Whether bank b names index. */
static bool has_name(const struct rv_bank *b, unsigned int index)
{
	if (b->kind == KIND_VECTOR)
		return index < b->count && index != RV_VECTOR_DATAP_INDEX;
	return index < b->count;
}

/* The part of a short name after "<prefix>.", without a size suffix. */
static void short_tail(const struct rv_bank *b, unsigned int index, char *buf,
		       size_t len)
{
	switch (b->kind) {
	case KIND_FIELDS:
	case KIND_CORE:
		snprintf(buf, len, "%s", b->names[index]);
		break;
	case KIND_FP:
		if (index == 32)
			snprintf(buf, len, "fcsr");
		else
			snprintf(buf, len, "f%u", index);
		break;
	case KIND_VECTOR:
		if (index >= RV_VECTOR_V0_INDEX)
			snprintf(buf, len, "v%u", index - RV_VECTOR_V0_INDEX);
		else
			snprintf(buf, len, "%s", vector_csr_names[index]);
		break;
	case KIND_EXT:
		lower_copy(buf, len, b->names[index]);
		break;
	case KIND_MULTI:
		snprintf(buf, len, "%u", index);
		break;
	}
}

/* The index term of a macro name: "KVM_REG_RISCV_CORE_REG(regs.pc)". */
static void macro_index(const struct rv_bank *b, unsigned int index,
			char *buf, size_t len)
{
	switch (b->kind) {
	case KIND_FIELDS:
		snprintf(buf, len, "%s(%s)", b->reg_macro, b->names[index]);
		break;
	case KIND_CORE:
		snprintf(buf, len, "%s(%s%s)", b->reg_macro,
			 index < RV_CORE_MODE_INDEX ? "regs." : "",
			 b->names[index]);
		break;
	case KIND_FP:
		if (index == 32)
			snprintf(buf, len, "%s(fcsr)", b->reg_macro);
		else
			snprintf(buf, len, "%s(f[%u])", b->reg_macro, index);
		break;
	case KIND_VECTOR:
		if (index >= RV_VECTOR_V0_INDEX)
			snprintf(buf, len, "KVM_REG_RISCV_VECTOR_REG(%u)",
				 index - RV_VECTOR_V0_INDEX);
		else
			snprintf(buf, len, "%s(%s)", b->reg_macro,
				 vector_csr_names[index]);
		break;
	case KIND_EXT:
		snprintf(buf, len, "%s%s", b->enum_prefix, b->names[index]);
		break;
	case KIND_MULTI:
		snprintf(buf, len, "%u", index);
		break;
	}
}

static int rv_id_name(uint64_t id, enum kvmreg_name_style style, char *buf,
		      size_t len)
{
	unsigned int index = RV_INDEX(id), field = RV_SIZE_FIELD(id);
	const struct rv_bank *b = rv_bank_of(RV_TYPE(id), RV_SUBTYPE(id));
	const struct rv_type *t;
	char part[96];
	size_t pos = 0;
	int mp = kvmreg_mp_state_name(id, KVMREG_RISCV_MP_STATE_ID,
				      KVMREG_RISCV_MP_STATE_MACRO, style, buf,
				      len);

	if (mp >= 0)
		return mp;

	if (!b || !has_name(b, index))
		return 0;
	if (style == KVMREG_NAME_MACRO) {
		t = rv_type_of(b->type);
		macro_index(b, index, part, sizeof(part));
		kvmreg_appendf(buf, len, &pos,
			       "KVM_REG_RISCV | KVM_REG_SIZE_U%u | %s | ",
			       8u << field, t->macro);
		if (b->subtype_macro)
			kvmreg_appendf(buf, len, &pos, "%s | ",
				       b->subtype_macro);
		kvmreg_appendf(buf, len, &pos, "%s", part);
	} else {
		short_tail(b, index, part, sizeof(part));
		kvmreg_appendf(buf, len, &pos, "%s.%s", b->short_prefix, part);
		if ((int)field != default_size_field(b, index))
			kvmreg_appendf(buf, len, &pos, ".u%u", 8u << field);
	}
	return (int)pos;
}

/* ------------------------------------------------------------------ */
/* Parsing                                                             */

/* A decimal number spanning exactly [s, s+n), at most max. */
static int parse_decimal(const char *s, size_t n, unsigned int max,
			 unsigned int *out)
{
	unsigned long v = 0;

	if (n == 0 || n > 6)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > max)
		return -ERANGE;
	*out = (unsigned int)v;
	return 0;
}

/* "u8".."u2048" -> size field; -1 if text is not such a size. */
static int size_suffix_field(const char *s, size_t n)
{
	unsigned int bits;

	if (n < 2 || s[0] != 'u' || parse_decimal(s + 1, n - 1, 2048, &bits))
		return -1;
	for (unsigned int f = 0; f <= 8; f++)
		if (8u << f == bits)
			return (int)f;
	return -1;
}

/*
 * Index of the register that tail names in bank b (short style), or -1.
 */
static int short_lookup(const struct rv_bank *b, const char *tail)
{
	size_t n = strlen(tail);
	unsigned int v;

	switch (b->kind) {
	case KIND_FIELDS:
	case KIND_CORE:
		for (unsigned int i = 0; i < b->count; i++)
			if (!strcmp(tail, b->names[i]))
				return (int)i;
		return -1;
	case KIND_FP:
		if (!strcmp(tail, "fcsr"))
			return 32;
		if (tail[0] == 'f' && !parse_decimal(tail + 1, n - 1, 31, &v))
			return (int)v;
		return -1;
	case KIND_VECTOR:
		for (unsigned int i = 0; i < KVMREG_ARRAY_SIZE(vector_csr_names); i++)
			if (!strcmp(tail, vector_csr_names[i]))
				return (int)i;
		if (tail[0] == 'v' && !parse_decimal(tail + 1, n - 1, 31, &v))
			return (int)(v + RV_VECTOR_V0_INDEX);
		return -1;
	case KIND_EXT:
		for (unsigned int i = 0; i < b->count; i++)
			if (!strcasecmp(tail, b->names[i]))
				return (int)i;
		return -1;
	case KIND_MULTI:
		if (!parse_decimal(tail, n, b->count - 1, &v))
			return (int)v;
		return -1;
	}
	return -1;
}

static int parse_short(const char *name, uint64_t *id)
{
	char body[128], *suffix;
	const struct rv_bank *match = NULL;
	size_t best = 0;
	int size_field = -1, index = -1;

	if (strlen(name) >= sizeof(body))
		return -ENOENT;
	strcpy(body, name);
	suffix = strrchr(body, '.');
	if (suffix && suffix[1] == 'u' && suffix[2] >= '0' && suffix[2] <= '9') {
		size_field = size_suffix_field(suffix + 1, strlen(suffix + 1));
		if (size_field < 0)
			return kvmreg_set_error(-EINVAL,
						"'%s': size suffix .%s is not one of .u8 .u16 ... .u2048",
						name, suffix + 1);
		*suffix = '\0';
	}
	/* Longest prefix first: "isa_ext.multi_en." before "isa_ext.". */
	for (size_t i = 0; i < KVMREG_ARRAY_SIZE(rv_banks); i++) {
		const struct rv_bank *b = &rv_banks[i];
		size_t n = strlen(b->short_prefix);

		if (n < best || strncmp(body, b->short_prefix, n) ||
		    body[n] != '.')
			continue;
		if (n > best)
			match = NULL;
		best = n;
		index = short_lookup(b, body + n + 1);
		if (index >= 0) {
			match = b;
			break;
		}
		if (!match)
			match = b;	/* for the message */
	}
	if (!match)
		return -ENOENT;
	if (index < 0) {
		if (match->kind == KIND_MULTI)
			return kvmreg_set_error(-EINVAL,
						"'%s': %s registers are numbered 0..%u",
						name, match->short_prefix,
						match->count - 1);
		return kvmreg_set_error(-EINVAL,
					"'%s': riscv has no %s register named '%s'",
					name, match->group, body + best + 1);
	}
	if (size_field < 0)
		size_field = default_size_field(match, (unsigned int)index);
	if (size_field < 0)
		return kvmreg_set_error(-EINVAL,
					"'%s': vector registers are vlenb bytes; say which size, %s.u128 .. %s.u2048",
					name, body, body);
	*id = rv_id((unsigned int)size_field, match, (unsigned int)index);
	return 0;
}

/* What one "|" term of a macro name contributed. */
struct rv_terms {
	int arch, size, type, subtype, index;	/* how many of each */
	unsigned int size_field;
	const struct rv_type *t;
	const struct rv_bank *subtype_bank;	/* whose subtype_macro it was */
	const struct rv_bank *index_bank;	/* NULL: a plain number */
	unsigned int index_value;
	const char *index_term;
};

static void trim(const char **s, size_t *n)
{
	while (*n && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*n)--;
	}
	while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
		(*n)--;
}

static bool term_is(const char *s, size_t n, const char *word)
{
	return strlen(word) == n && !strncmp(s, word, n);
}

/* The index a macro argument names in bank b (with the REG macro that took
 * it: vector has two), or -1. */
static int macro_arg_lookup(const struct rv_bank *b, bool vector_reg,
			    const char *arg, size_t n)
{
	char tail[64];
	unsigned int v;

	if (n >= sizeof(tail))
		return -1;
	memcpy(tail, arg, n);
	tail[n] = '\0';
	switch (b->kind) {
	case KIND_FIELDS:
		return short_lookup(b, tail);
	case KIND_CORE:
		if (!strcmp(tail, "mode"))
			return RV_CORE_MODE_INDEX;
		if (strncmp(tail, "regs.", 5))
			return -1;
		for (unsigned int i = 0; i < RV_CORE_MODE_INDEX; i++)
			if (!strcmp(tail + 5, b->names[i]))
				return (int)i;
		return -1;
	case KIND_FP:
		if (!strcmp(tail, "fcsr"))
			return 32;
		if (n < 4 || strncmp(tail, "f[", 2) || tail[n - 1] != ']' ||
		    parse_decimal(tail + 2, n - 3, 31, &v))
			return -1;
		return (int)v;
	case KIND_VECTOR:
		if (vector_reg)
			return parse_decimal(tail, n, 31, &v) ? -1 :
			       (int)(v + RV_VECTOR_V0_INDEX);
		for (unsigned int i = 0; i < KVMREG_ARRAY_SIZE(vector_csr_names); i++)
			if (!strcmp(tail, vector_csr_names[i]))
				return (int)i;
		return -1;
	default:
		return -1;
	}
}

static int macro_term(const char *name, const char *s, size_t n,
		      struct rv_terms *tm)
{
	const char *paren;
	uint64_t number;

	if (term_is(s, n, "KVM_REG_RISCV")) {
		tm->arch++;
		return 0;
	}
	if (n > 13 && !strncmp(s, "KVM_REG_SIZE_", 13)) {
		/* ULONG: the selftests' name for the XLEN size (rv64 here). */
		int f = term_is(s, n, "KVM_REG_SIZE_ULONG") ? (int)SZ_U64 : -1;
		char low[8];

		if (f < 0 && n - 13 < sizeof(low)) {
			lower_copy(low, n - 13 + 1, s + 13);
			f = size_suffix_field(low, n - 13);
		}
		if (f < 0)
			goto unknown;
		tm->size++;
		tm->size_field = (unsigned int)f;
		return 0;
	}
	for (size_t i = 0; i < KVMREG_ARRAY_SIZE(rv_types); i++) {
		if (term_is(s, n, rv_types[i].macro)) {
			tm->type++;
			tm->t = &rv_types[i];
			return 0;
		}
	}
	for (size_t i = 0; i < KVMREG_ARRAY_SIZE(rv_banks); i++) {
		const struct rv_bank *b = &rv_banks[i];

		if (b->subtype_macro && term_is(s, n, b->subtype_macro)) {
			tm->subtype++;
			tm->subtype_bank = b;
			return 0;
		}
		if (b->enum_prefix && n > strlen(b->enum_prefix) &&
		    !strncmp(s, b->enum_prefix, strlen(b->enum_prefix))) {
			size_t p = strlen(b->enum_prefix);

			for (unsigned int e = 0; e < b->count; e++) {
				if (term_is(s + p, n - p, b->names[e])) {
					tm->index++;
					tm->index_bank = b;
					tm->index_value = e;
					tm->index_term = s;
					return 0;
				}
			}
			return kvmreg_set_error(-EINVAL,
						"'%s': %.*s is not an extension of Linux 7.2's enum (use its number)",
						name, (int)n, s);
		}
	}
	paren = memchr(s, '(', n);
	if (paren && s[n - 1] == ')') {
		size_t mlen = (size_t)(paren - s);
		const char *arg = paren + 1;
		size_t alen = n - mlen - 2;
		bool vector_reg = term_is(s, mlen, "KVM_REG_RISCV_VECTOR_REG");

		trim(&arg, &alen);
		for (size_t i = 0; i < KVMREG_ARRAY_SIZE(rv_banks); i++) {
			const struct rv_bank *b = &rv_banks[i];
			int index;

			if (!b->reg_macro ||
			    (!term_is(s, mlen, b->reg_macro) &&
			     !(vector_reg && b->kind == KIND_VECTOR)))
				continue;
			index = macro_arg_lookup(b, vector_reg, arg, alen);
			if (index < 0)
				return kvmreg_set_error(-EINVAL,
							"'%s': %.*s names no riscv %s register",
							name, (int)n, s, b->group);
			tm->index++;
			tm->index_bank = b;
			tm->index_value = (unsigned int)index;
			tm->index_term = s;
			return 0;
		}
		goto unknown;
	}
	if (kvmreg_parse_u64(s, n, &number) == 0) {
		if (number > RV_INDEX_MASK)
			return kvmreg_set_error(-EINVAL,
						"'%s': the index term %.*s does not fit the 16-bit index field",
						name, (int)n, s);
		tm->index++;
		tm->index_bank = NULL;
		tm->index_value = (unsigned int)number;
		tm->index_term = s;
		return 0;
	}
unknown:
	return kvmreg_set_error(-EINVAL, "'%s': unknown term '%.*s'", name,
				(int)n, s);
}

static int parse_macro(const char *name, uint64_t *id)
{
	struct rv_terms tm = { 0 };
	const char *s = name;
	unsigned int subtype = 0;
	int err;

	if (!strstr(name, "KVM_REG_RISCV") && !strstr(name, "KVM_RISCV_"))
		return -ENOENT;
	for (;;) {
		const char *bar = strchr(s, '|');
		size_t n = bar ? (size_t)(bar - s) : strlen(s);
		const char *term = s;

		trim(&term, &n);
		if (!n)
			return kvmreg_set_error(-EINVAL, "'%s': empty term",
						name);
		err = macro_term(name, term, n, &tm);
		if (err)
			return err;
		if (!bar)
			break;
		s = bar + 1;
	}
	if (tm.arch != 1 || tm.size != 1 || tm.type != 1 || tm.index != 1 ||
	    tm.subtype > 1)
		return kvmreg_set_error(-EINVAL,
					"'%s': a riscv id is KVM_REG_RISCV | KVM_REG_SIZE_<size> | <type> [| <subtype>] | <register>, each once",
					name);
	if (tm.subtype_bank) {
		if (tm.subtype_bank->type != tm.t->type)
			return kvmreg_set_error(-EINVAL,
						"'%s': %s is a subtype of %s, not of %s",
						name, tm.subtype_bank->subtype_macro,
						rv_type_of(tm.subtype_bank->type)->macro,
						tm.t->macro);
		subtype = tm.subtype_bank->subtype;
	}
	if (tm.index_bank && (tm.index_bank->type != tm.t->type ||
			      tm.index_bank->subtype != subtype)) {
		const struct rv_bank *b = tm.index_bank;

		return kvmreg_set_error(-EINVAL,
					"'%s': the register term belongs with %s%s%s",
					name, rv_type_of(b->type)->macro,
					b->subtype_macro ? " | " : "",
					b->subtype_macro ? b->subtype_macro : "");
	}
	*id = KVM_REG_RISCV | (uint64_t)tm.size_field << KVM_REG_SIZE_SHIFT |
	      (uint64_t)tm.t->type << KVM_REG_RISCV_TYPE_SHIFT |
	      (uint64_t)subtype << KVM_REG_RISCV_SUBTYPE_SHIFT | tm.index_value;
	return 0;
}

static int rv_id_parse(const char *name, uint64_t *id)
{
	if (!kvmreg_mp_state_parse(name, KVMREG_RISCV_MP_STATE_ID,
				   KVMREG_RISCV_MP_STATE_MACRO, id))
		return 0;
	if (strchr(name, '|'))
		return parse_macro(name, id);
	return parse_short(name, id);
}

static const char *rv_id_group(uint64_t id)
{
	if (id == KVMREG_RISCV_MP_STATE_ID)
		return "mp_state";
	const struct rv_bank *b = rv_bank_of(RV_TYPE(id), RV_SUBTYPE(id));
	const struct rv_type *t;

	if (b)
		return b->group;
	t = rv_type_of(RV_TYPE(id));
	return t ? t->group : NULL;
}

/*
 * Registers whose value moves while nobody writes them, so two saves of an
 * idle vCPU differ in them:
 * - timer.time reads the guest's view of the host counter;
 * - timer.state drops from ON to OFF when the timer's hrtimer fires
 *   (kvm_riscv_vcpu_hrtimer_expired), whether or not the vCPU runs;
 * - csr.sip holds pending interrupts, raised by that same timer, by IPIs
 *   from other vCPUs and by devices.
 * timer.compare is not: only the guest (SBI set_timer, or stimecmp with
 * Sstc) moves it, like any other register it writes.
 */
static int rv_id_is_volatile(uint64_t id)
{
	const struct rv_bank *b = rv_bank_of(RV_TYPE(id), RV_SUBTYPE(id));
	unsigned int index = RV_INDEX(id);

	if (b == BANK_TIMER)
		return index == KVM_REG_RISCV_TIMER_REG(time) ||
		       index == KVM_REG_RISCV_TIMER_REG(state);
	return b == BANK_CSR && index == KVM_REG_RISCV_CSR_REG(sip);
}

/* Every named id in every size it may have. */
static int rv_known_ids(struct kvmreg_idvec *out)
{
	int err = kvmreg_idvec_push(out, KVMREG_RISCV_MP_STATE_ID);

	for (size_t i = 0; i < KVMREG_ARRAY_SIZE(rv_banks) && !err; i++) {
		const struct rv_bank *b = &rv_banks[i];

		for (unsigned int index = 0; index < b->count && !err; index++) {
			if (!has_name(b, index))
				continue;
			for (unsigned int f = 0; f <= SZ_U2048 && !err; f++)
				if (size_allowed(b->size, index, f))
					err = kvmreg_idvec_push(out,
								rv_id(f, b, index));
		}
	}
	return err;
}

/* ------------------------------------------------------------------ */
/* Fallback table                                                      */

struct rv_features {
	bool isa[KVM_RISCV_ISA_EXT_MAX];
	bool sbi[KVM_RISCV_SBI_EXT_MAX];
	uint64_t vlenb;		/* 0: no vector registers */
};

/*
 * The default guest: RV64GC and the SBI extensions every KVM since 6.0
 * offers (the selftests' "base" sets). What a host adds beyond that is
 * only known by asking a vCPU.
 */
static const char default_features[] =
	"i,m,a,f,d,c,zicsr,zifencei,sbi_v01,sbi_time,sbi_ipi,sbi_rfence,"
	"sbi_srst,sbi_hsm,sbi_experimental,sbi_vendor";

static int feature_token(const char *features, const char *s, size_t n,
			 struct rv_features *f);

static int parse_features(const char *features, struct rv_features *f)
{
	const char *s = features;

	for (;;) {
		const char *comma = strchr(s, ',');
		size_t n = comma ? (size_t)(comma - s) : strlen(s);
		const char *tok = s;
		int err;

		trim(&tok, &n);
		if (n) {
			err = feature_token(features, tok, n, f);
			if (err)
				return err;
		}
		if (!comma)
			return 0;
		s = comma + 1;
	}
}

static int feature_token(const char *features, const char *s, size_t n,
			 struct rv_features *f)
{
	uint64_t v;

	if (term_is(s, n, "default"))
		return parse_features(default_features, f);
	if (n > 6 && !strncmp(s, "vlenb=", 6)) {
		if (kvmreg_parse_u64(s + 6, n - 6, &v) || v < 16 || v > 256 ||
		    (v & (v - 1)))
			return kvmreg_set_error(-EINVAL,
						"riscv features '%s': vlenb must be a power of two from 16 to 256 (bytes of one vector register)",
						features);
		f->vlenb = v;
		return 0;
	}
	if (n > 4 && !strncmp(s, "sbi_", 4)) {
		for (unsigned int i = 0; i < KVM_RISCV_SBI_EXT_MAX; i++)
			if (strlen(sbi_ext_names[i]) == n - 4 &&
			    !strncasecmp(s + 4, sbi_ext_names[i], n - 4)) {
				f->sbi[i] = true;
				return 0;
			}
	}
	for (unsigned int i = 0; i < KVM_RISCV_ISA_EXT_MAX; i++)
		if (strlen(isa_ext_names[i]) == n &&
		    !strncasecmp(s, isa_ext_names[i], n)) {
			f->isa[i] = true;
			return 0;
		}
	return kvmreg_set_error(-EINVAL,
				"riscv features '%s': unknown feature '%.*s' (ISA extensions by name: a, c, zicbom, ...; SBI extensions as sbi_<name>: sbi_sta, ...; vlenb=N; default)",
				features, (int)n, s);
}

static int push_bank(struct kvmreg_idvec *out, const struct rv_bank *b,
		     unsigned int first, unsigned int end, int size_field)
{
	int err = 0;

	for (unsigned int i = first; i < end && !err; i++)
		err = kvmreg_idvec_push(out, rv_id(size_field < 0 ?
						   (unsigned int)default_size_field(b, i) :
						   (unsigned int)size_field, b, i));
	return err;
}

/*
 * Candidates in restore order (see rv_restore_rank). With a vCPU every
 * register any 7.2 vCPU can have is a candidate, and the core keeps those
 * KVM_GET_ONE_REG reads: for each one the kernel fails the read exactly
 * when KVM_GET_REG_LIST would leave it out (vcpu_onereg.c):
 * - ISA_EXT: -ENOENT where the host lacks the extension; a disabled one
 *   reads 0 and is listed, as in the kernel's list;
 * - SBI_EXT: -ENOENT where the extension is unavailable; disabled ones are
 *   listed;
 * - AIA and Smstateen CSRs, F, D and vector registers: -ENOENT unless the
 *   vCPU's ISA has Ssaia, Smstateen, F, D, V;
 * - SBI state: -EINVAL unless the SBI extension (STA, FWFT) is enabled,
 *   and FWFT -ENOENT for a feature the host or vCPU does not support.
 * Vector registers are vlenb bytes, so vlenb is read first.
 */
static int rv_fallback(struct kvmreg_vcpu *vcpu, const char *features,
		       struct kvmreg_idvec *out)
{
	struct rv_features f = { .vlenb = 16 };
	int err;

	if (vcpu) {
		uint64_t vlenb = 0;

		memset(f.isa, 1, sizeof(f.isa));
		memset(f.sbi, 1, sizeof(f.sbi));
		/* Fails while V is off: then the vCPU has no vector
		 * registers, but its ISA_EXT V register is still listed. */
		f.vlenb = 0;
		if (kvmreg_one_reg_get(vcpu, rv_id(SZ_U64, BANK_VECTOR,
						   KVM_REG_RISCV_VECTOR_CSR_REG(vlenb)),
				       &vlenb) == 0 &&
		    vlenb >= 16 && vlenb <= 256 && !(vlenb & (vlenb - 1)))
			f.vlenb = vlenb;
	} else {
		err = parse_features(features ? features : default_features,
				     &f);
		if (err)
			return err;
		if (!f.isa[KVM_RISCV_ISA_EXT_V])
			f.vlenb = 0;
	}

	err = push_bank(out, BANK_CONFIG, 0, BANK_CONFIG->count, -1);
	for (unsigned int i = 0; i < KVM_RISCV_ISA_EXT_MAX && !err; i++)
		if (f.isa[i])
			err = push_bank(out, BANK_ISA, i, i + 1, -1);
	for (unsigned int i = 0; i < KVM_RISCV_SBI_EXT_MAX && !err; i++)
		if (f.sbi[i])
			err = push_bank(out, BANK_SBI, i, i + 1, -1);
	if (!err)
		err = push_bank(out, BANK_CORE, 0, BANK_CORE->count, -1);
	if (!err)
		err = push_bank(out, BANK_CSR, 0, BANK_CSR->count, -1);
	if (!err && f.isa[KVM_RISCV_ISA_EXT_SSAIA])
		err = push_bank(out, BANK_AIA, 0, BANK_AIA->count, -1);
	if (!err && f.isa[KVM_RISCV_ISA_EXT_SMSTATEEN])
		err = push_bank(out, BANK_SMSTATEEN, 0, BANK_SMSTATEEN->count,
				-1);
	if (!err && f.isa[KVM_RISCV_ISA_EXT_F])
		err = push_bank(out, BANK_FP_F, 0, BANK_FP_F->count, -1);
	if (!err && f.isa[KVM_RISCV_ISA_EXT_D])
		err = push_bank(out, BANK_FP_D, 0, BANK_FP_D->count, -1);
	if (!err && f.vlenb) {
		err = push_bank(out, BANK_VECTOR, 0, RV_VECTOR_DATAP_INDEX, -1);
		if (!err)
			err = push_bank(out, BANK_VECTOR, RV_VECTOR_V0_INDEX,
					RV_VECTOR_COUNT,
					kvmreg_size_field((size_t)f.vlenb));
	}
	if (!err && f.sbi[KVM_RISCV_SBI_EXT_STA])
		err = push_bank(out, BANK_STA, 0, BANK_STA->count, -1);
	/* Pointer masking through FWFT needs Smnpm in the vCPU's ISA. */
	if (!err && f.sbi[KVM_RISCV_SBI_EXT_FWFT])
		err = push_bank(out, BANK_FWFT, 0,
				f.isa[KVM_RISCV_ISA_EXT_SMNPM] ? 6 : 3, -1);
	if (!err)
		err = push_bank(out, BANK_TIMER, 0, BANK_TIMER->count, -1);
	return err;
}

/* ------------------------------------------------------------------ */
/* Restore order                                                       */

enum rv_rank {
	RANK_CONFIG,		/* config.* */
	RANK_ISA_EXT,		/* ISA_EXT single and multi */
	RANK_SBI_EXT,		/* SBI_EXT single and multi */
	RANK_STATE,		/* core, CSRs, F, D, vector, SBI state */
	RANK_TIMER,		/* timer.*, the last ONE_REG registers */
	RANK_MP_STATE,		/* mp_state: KVMREG_MP_STATE_REASON */
};

/*
 * From vcpu_onereg.c, vcpu_sbi.c and vcpu_timer.c:
 * - config.isa, mvendorid, marchid, mimpid and every ISA_EXT register can
 *   change only before the vCPU first runs (-EBUSY after); SBI_EXT writes
 *   fail with -EBUSY after the first run even when the value is unchanged.
 * - The ISA decides which registers exist: the AIA CSRs need Ssaia,
 *   sstateen0 Smstateen, fp_f F, fp_d D, vector V (-ENOENT until then;
 *   vlenb itself is read-only: writes must match); SBI state needs its SBI
 *   extension enabled (-EINVAL otherwise). An ISA change only resets
 *   sstatus.FS of the vCPU context (kvm_riscv_vcpu_fp_reset), which no
 *   ONE_REG register holds: F/D values written before it survive.
 * - satp_mode and the zicbo*_block_size config registers only check the
 *   value against the host's.
 * - timer.state ON arms the timer at timer.compare, measured against
 *   timer.time (the VM's time offset): the timer goes after the other
 *   ONE_REG registers, in index order (frequency, time, compare, state);
 *   only mp_state follows it.
 */
/*
 * Enabling or disabling an ISA or SBI extension, or writing config.isa,
 * allowed until the vCPU first runs, adds or removes that extension's
 * registers (vector, Zicbom block size, SBI STA state...).
 */
static int rv_list_changed_by(uint64_t id)
{
	switch (RV_TYPE(id)) {
	case 0x01:	/* config: only isa (index 0) */
		return RV_INDEX(id) == 0 ? KVMREG_LIST_CHANGES_VCPU :
					   KVMREG_LIST_KEPT;
	case 0x07:	/* ISA_EXT */
	case 0x08:	/* SBI_EXT */
		return KVMREG_LIST_CHANGES_VCPU;
	default:
		return KVMREG_LIST_KEPT;
	}
}

/* The guest writes none of those registers. */
static bool rv_list_follows_value(uint64_t id)
{
	return rv_list_changed_by(id) != KVMREG_LIST_KEPT;
}

static int rv_restore_rank(uint64_t id)
{
	if (id == KVMREG_RISCV_MP_STATE_ID)
		return RANK_MP_STATE;
	switch (RV_TYPE(id)) {
	case 0x01:
		return RANK_CONFIG;
	case 0x07:
		return RANK_ISA_EXT;
	case 0x08:
		return RANK_SBI_EXT;
	case 0x04:
		return RANK_TIMER;
	default:
		return RANK_STATE;
	}
}

static const char *rv_restore_reason(uint64_t id)
{
	switch (rv_restore_rank(id)) {
	case RANK_CONFIG:
	case RANK_ISA_EXT:
	case RANK_SBI_EXT:
		return "riscv: config and ISA_EXT/SBI_EXT registers before the rest (EBUSY once the vCPU has run)";
	case RANK_MP_STATE:
		return KVMREG_MP_STATE_REASON;
	case RANK_TIMER:
		return "riscv: timer after the other registers, state after time and compare (state ON arms the timer at compare)";
	default:
		return "riscv: after the ISA and SBI extensions, which decide whether it exists";
	}
}

/*
 * timer.state OFF cancels the timer, and kvm_riscv_vcpu_timer_cancel()
 * answers -EINVAL when it was not armed (next_set clear) or not set up:
 * then timer.state reads OFF, the value written. A restore of a vCPU whose
 * timer is off (every fresh vCPU's is) writes exactly that, last of its
 * ONE_REG registers (vcpu_timer.c, Linux 6.1 to 7.2).
 */
#define RV_TIMER_STATE	(KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_TIMER | \
			 KVM_REG_RISCV_TIMER_REG(state))

static int rv_refusal_keeps_value(uint64_t id, const uint8_t *value, int err)
{
	uint64_t state;

	if (id != RV_TIMER_STATE || err != -EINVAL)
		return 0;
	memcpy(&state, value, 8);
	return state == KVM_RISCV_TIMER_STATE_OFF;
}

#if defined(__riscv) && __riscv_xlen == 64
int kvmreg_riscv64_vcpu_setup(struct kvmreg_scratch *scratch,
			      unsigned int flags);
int kvmreg_riscv64_list_extra(struct kvmreg_vcpu *vcpu,
			      struct kvmreg_idvec *out,
			      struct kvmreg_idvec *sources);
extern const struct kvmreg_group_ops kvmreg_riscv64_groups;
#define RV_VCPU_SETUP kvmreg_riscv64_vcpu_setup
int kvmreg_riscv64_capture_allowed(struct kvmreg_vcpu *vcpu,
				   const struct kvmreg_state *list,
				   struct kvmreg_state *value,
				   struct kvmreg_state *mask);
#define RV_CAPTURE_ALLOWED kvmreg_riscv64_capture_allowed
#define RV_LIST_EXTRA kvmreg_riscv64_list_extra
#define RV_GROUPS (&kvmreg_riscv64_groups)
#else
#define RV_VCPU_SETUP NULL
#define RV_CAPTURE_ALLOWED NULL
#define RV_LIST_EXTRA NULL
#define RV_GROUPS NULL
#endif

extern const struct kvmreg_feature_ops kvmreg_riscv64_features;

static const char *const rv_aliases[] = { "riscv", NULL };

const struct kvmreg_arch_driver kvmreg_arch_riscv64 = {
	.arch = KVMREG_ARCH_RISCV64,
	.name = "riscv64",
	.aliases = rv_aliases,
	.kvm_reg_arch = KVM_REG_RISCV,
	.id_check = rv_id_check,
	.id_name = rv_id_name,
	.id_parse = rv_id_parse,
	.id_group = rv_id_group,
	.id_is_volatile = rv_id_is_volatile,
	.known_ids = rv_known_ids,
	.fallback = rv_fallback,
	.probe_is_informative = 1,
	.list_extra = RV_LIST_EXTRA,
	.groups = RV_GROUPS,
	.restore_rank = rv_restore_rank,
	.restore_reason = rv_restore_reason,
	.list_changed_by = rv_list_changed_by,
	.list_follows_value = rv_list_follows_value,
	.refusal_keeps_value = rv_refusal_keeps_value,
	.vcpu_setup = RV_VCPU_SETUP,
	.features = &kvmreg_riscv64_features,
	.capture_allowed = RV_CAPTURE_ALLOWED,
};
