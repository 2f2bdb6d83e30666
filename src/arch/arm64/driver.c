// SPDX-License-Identifier: MIT
/*
 * The arm64 driver: names for every kind of id KVM_GET_REG_LIST returns on
 * arm64 (core, system, demultiplexed CCSIDR, firmware, firmware feature
 * bitmaps, SVE), which ids are well formed, restore order and volatility.
 * The ioctls of the scratch vCPU setup live in host.c.
 *
 * Two name styles: short names say what a register is (MPIDR_EL1,
 * core.pc, fw.PSCI_VERSION, sve.Z3[0]); macro names are C expressions over
 * the kernel's uapi macros that evaluate to the id, as the KVM selftests
 * print them. Both parse back to the id.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arch/arch.h"
#include "arch/arm64/sysreg_table.h"
#include "arch/arm64/uapi.h"
#include "arch/arm64/private.h"
#include "internal.h"

/* Bits 28..51: no arm64 group uses them; the kernel rejects ids with any
 * set (kvm_arm_get_reg() and each group's decoder). */
#define ARM64_RESERVED_BITS	0x000ffffff0000000ULL
#define ARM64_LOW16(id)		((unsigned int)((id) & 0xffff))
#define ARM64_GROUP(id)		((id) & KVM_REG_ARM_COPROC_MASK)

#define SYSREG_ENC(op0, op1, crn, crm, op2)				\
	((unsigned int)((op0) << 14 | (op1) << 11 | (crn) << 7 | (crm) << 3 | (op2)))
#define ENC_OP0(e)	((unsigned int)(e) >> 14 & 3)
#define ENC_OP1(e)	((unsigned int)(e) >> 11 & 7)
#define ENC_CRN(e)	((unsigned int)(e) >> 7 & 15)
#define ENC_CRM(e)	((unsigned int)(e) >> 3 & 15)
#define ENC_OP2(e)	((unsigned int)(e) & 7)

#define ENC_CNTVCT_EL0		SYSREG_ENC(3, 3, 14, 0, 2)
#define ENC_CNTV_CVAL_EL0	SYSREG_ENC(3, 3, 14, 3, 2)

/* ------------------------------------------------------------------ */
/* Sizes                                                               */

static unsigned int id_bytes(uint64_t id)
{
	return (unsigned int)kvmreg_id_size(id);
}

/* "U64" for 8 bytes: the suffix of KVM_REG_SIZE_*. */
static const char *size_suffix(unsigned int bytes)
{
	static const char *const suffixes[] = {
		"U8", "U16", "U32", "U64", "U128", "U256", "U512", "U1024",
		"U2048",
	};
	int field = kvmreg_size_field(bytes);

	return field < 0 ? "U?" : suffixes[field];
}

/* ------------------------------------------------------------------ */
/* Core registers: offsets into struct kvm_regs in 32-bit words        */

struct core_field {
	const char *name;	/* short name after "core." */
	const char *member;	/* kvm_regs member for KVM_REG_ARM_CORE_REG() */
	unsigned int offset;	/* of the first element, in 32-bit words */
	unsigned int count;	/* elements of an array; 0: not an array */
	unsigned int bytes;	/* of one element */
};

static const struct core_field core_fields[] = {
	{ "regs", "regs.regs", KVM_REG_ARM_CORE_REG(regs.regs), 31, 8 },
	{ "sp", "regs.sp", KVM_REG_ARM_CORE_REG(regs.sp), 0, 8 },
	{ "pc", "regs.pc", KVM_REG_ARM_CORE_REG(regs.pc), 0, 8 },
	{ "pstate", "regs.pstate", KVM_REG_ARM_CORE_REG(regs.pstate), 0, 8 },
	{ "sp_el1", "sp_el1", KVM_REG_ARM_CORE_REG(sp_el1), 0, 8 },
	{ "elr_el1", "elr_el1", KVM_REG_ARM_CORE_REG(elr_el1), 0, 8 },
	{ "spsr", "spsr", KVM_REG_ARM_CORE_REG(spsr), KVM_NR_SPSR, 8 },
	{ "vregs", "fp_regs.vregs", KVM_REG_ARM_CORE_REG(fp_regs.vregs), 32, 16 },
	{ "fpsr", "fp_regs.fpsr", KVM_REG_ARM_CORE_REG(fp_regs.fpsr), 0, 4 },
	{ "fpcr", "fp_regs.fpcr", KVM_REG_ARM_CORE_REG(fp_regs.fpcr), 0, 4 },
};

#define CORE_WORDS \
	((unsigned int)(sizeof(struct kvmreg_arm64_kvm_regs) / sizeof(uint32_t)))

static unsigned int core_span(const struct core_field *f)
{
	return (f->count ? f->count : 1) * f->bytes / 4;
}

/* The field that covers offset, and the element index; NULL in padding or
 * past the struct. *misaligned says the offset is inside an element. */
static const struct core_field *core_find(unsigned int offset,
					  unsigned int *index, int *misaligned)
{
	for (size_t i = 0; i < KVMREG_ARRAY_SIZE(core_fields); i++) {
		const struct core_field *f = &core_fields[i];
		unsigned int rel = offset - f->offset;

		if (offset < f->offset || rel >= core_span(f))
			continue;
		*index = rel / (f->bytes / 4);
		*misaligned = rel % (f->bytes / 4) != 0;
		return f;
	}
	return NULL;
}

static uint64_t core_id(const struct core_field *f, unsigned int index)
{
	return KVM_REG_ARM64 | KVM_REG_ARM_CORE |
	       (uint64_t)kvmreg_size_field(f->bytes) << KVM_REG_SIZE_SHIFT |
	       (f->offset + index * (f->bytes / 4));
}

static void core_short(const struct core_field *f, unsigned int index,
		       char *buf, size_t len, size_t *pos)
{
	kvmreg_appendf(buf, len, pos, "core.%s", f->name);
	if (f->count)
		kvmreg_appendf(buf, len, pos, "[%u]", index);
}

static int core_check(uint64_t id)
{
	unsigned int offset = ARM64_LOW16(id), index;
	const struct core_field *f;
	char name[32];
	size_t pos = 0;
	int misaligned;

	f = core_find(offset, &index, &misaligned);
	if (!f && offset >= CORE_WORDS)
		return kvmreg_set_error(-EINVAL,
					"id 0x%016" PRIx64 ": core offset 0x%x is past the end of struct kvm_regs (0x%x 32-bit words)",
					id, offset, CORE_WORDS);
	if (!f)
		return kvmreg_set_error(-EINVAL,
					"id 0x%016" PRIx64 ": core offset 0x%x is padding in struct kvm_regs, not a register",
					id, offset);
	core_short(f, index, name, sizeof(name), &pos);
	if (misaligned)
		return kvmreg_set_error(-EINVAL,
					"id 0x%016" PRIx64 ": core offset 0x%x is inside %s, which starts at 0x%x",
					id, offset, name,
					f->offset + index * (f->bytes / 4));
	if (id_bytes(id) != f->bytes)
		return kvmreg_set_error(-EINVAL,
					"id 0x%016" PRIx64 ": %s is %u-bit (KVM_REG_SIZE_%s), but the id's size field says %u-bit",
					id, name, f->bytes * 8,
					size_suffix(f->bytes), id_bytes(id) * 8);
	return 0;
}

static int core_name(uint64_t id, enum kvmreg_name_style style, char *buf,
		     size_t len, size_t *pos)
{
	unsigned int index;
	int misaligned;
	const struct core_field *f = core_find(ARM64_LOW16(id), &index,
					       &misaligned);

	if (!f || misaligned)
		return -ENOENT;
	if (style == KVMREG_NAME_SHORT) {
		core_short(f, index, buf, len, pos);
		return 0;
	}
	kvmreg_appendf(buf, len, pos,
		       "KVM_REG_ARM64 | KVM_REG_SIZE_%s | KVM_REG_ARM_CORE | KVM_REG_ARM_CORE_REG(%s",
		       size_suffix(f->bytes), f->member);
	if (f->count)
		kvmreg_appendf(buf, len, pos, "[%u]", index);
	kvmreg_appendf(buf, len, pos, ")");
	return 0;
}

/* ------------------------------------------------------------------ */
/* System registers                                                    */

/*
 * KVM's ABI swapped the ids of two virtual timer registers: the id built
 * from CNTV_CVAL_EL0's encoding (KVM_REG_ARM_TIMER_CNT) reads and writes the
 * virtual counter, CNTVCT_EL0, and the one built from CNTVCT_EL0's encoding
 * (KVM_REG_ARM_TIMER_CVAL) is the compare value. Short names say what the
 * register is, so they follow the ABI's meaning, not the id's bits: a saved
 * state must not call the counter a compare value. Macro names spell the id
 * exactly, as ARM64_SYS_REG() of its bits or the uapi timer macro.
 */
static unsigned int arch_enc(unsigned int id_enc)
{
	if (id_enc == ENC_CNTVCT_EL0)
		return ENC_CNTV_CVAL_EL0;
	if (id_enc == ENC_CNTV_CVAL_EL0)
		return ENC_CNTVCT_EL0;
	return id_enc;
}

static uint64_t sysreg_id(unsigned int id_enc)
{
	return KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM64_SYSREG | id_enc;
}

/* The printed name of an architectural encoding, or NULL. */
static const char *sysreg_name_of(unsigned int enc)
{
	size_t lo = 0, hi = KVMREG_ARRAY_SIZE(arm64_sysregs);

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (arm64_sysregs[mid].enc < enc)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < KVMREG_ARRAY_SIZE(arm64_sysregs) && arm64_sysregs[lo].enc == enc)
		return arm64_sysregs[lo].name;
	return NULL;
}

/* The architectural encoding of a name or alias, any case; -1 if none. */
static int sysreg_enc_of(const char *name)
{
	size_t lo = 0, hi = KVMREG_ARRAY_SIZE(arm64_sysregs_by_name);

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct arm64_sysreg_name *e =
			&arm64_sysregs[arm64_sysregs_by_name[mid]];
		int cmp = strcasecmp(e->name, name);

		if (!cmp)
			return e->enc;
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* The uapi macros of the timer registers, by id encoding. */
static const struct {
	unsigned int enc;
	const char *macro;
	uint64_t id;
} timer_macros[] = {
	{ SYSREG_ENC(3, 3, 14, 3, 1), "KVM_REG_ARM_TIMER_CTL", KVM_REG_ARM_TIMER_CTL },
	{ SYSREG_ENC(3, 3, 14, 0, 2), "KVM_REG_ARM_TIMER_CVAL", KVM_REG_ARM_TIMER_CVAL },
	{ SYSREG_ENC(3, 3, 14, 3, 2), "KVM_REG_ARM_TIMER_CNT", KVM_REG_ARM_TIMER_CNT },
	{ SYSREG_ENC(3, 3, 14, 2, 1), "KVM_REG_ARM_PTIMER_CTL", KVM_REG_ARM_PTIMER_CTL },
	{ SYSREG_ENC(3, 3, 14, 2, 2), "KVM_REG_ARM_PTIMER_CVAL", KVM_REG_ARM_PTIMER_CVAL },
	{ SYSREG_ENC(3, 3, 14, 0, 1), "KVM_REG_ARM_PTIMER_CNT", KVM_REG_ARM_PTIMER_CNT },
};

static int sysreg_name(uint64_t id, enum kvmreg_name_style style, char *buf,
		       size_t len, size_t *pos)
{
	unsigned int enc = ARM64_LOW16(id);
	const char *name;

	if (style == KVMREG_NAME_MACRO) {
		for (size_t i = 0; i < KVMREG_ARRAY_SIZE(timer_macros); i++)
			if (timer_macros[i].enc == enc) {
				kvmreg_appendf(buf, len, pos, "%s",
					       timer_macros[i].macro);
				return 0;
			}
		kvmreg_appendf(buf, len, pos, "ARM64_SYS_REG(%u, %u, %u, %u, %u)",
			       ENC_OP0(enc), ENC_OP1(enc), ENC_CRN(enc),
			       ENC_CRM(enc), ENC_OP2(enc));
		return 0;
	}
	enc = arch_enc(enc);
	name = sysreg_name_of(enc);
	if (name) {
		kvmreg_appendf(buf, len, pos, "%s", name);
		return 0;
	}
	/* The architecture's own name for an encoding without one (the
	 * assembler accepts it in MRS/MSR): reserved ID registers, say. */
	kvmreg_appendf(buf, len, pos, "S%u_%u_C%u_C%u_%u", ENC_OP0(enc),
		       ENC_OP1(enc), ENC_CRN(enc), ENC_CRM(enc), ENC_OP2(enc));
	return 0;
}

/* ------------------------------------------------------------------ */
/* Firmware pseudo-registers and feature bitmaps                       */

static const struct {
	uint64_t id;
	const char *name;
	const char *macro;
} fw_regs[] = {
	{ KVM_REG_ARM_PSCI_VERSION, "fw.PSCI_VERSION", "KVM_REG_ARM_PSCI_VERSION" },
	{ KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1, "fw.SMCCC_ARCH_WORKAROUND_1",
	  "KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1" },
	{ KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2, "fw.SMCCC_ARCH_WORKAROUND_2",
	  "KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2" },
	{ KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_3, "fw.SMCCC_ARCH_WORKAROUND_3",
	  "KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_3" },
	{ KVM_REG_ARM_STD_BMAP, "fw.STD_BMAP", "KVM_REG_ARM_STD_BMAP" },
	{ KVM_REG_ARM_STD_HYP_BMAP, "fw.STD_HYP_BMAP", "KVM_REG_ARM_STD_HYP_BMAP" },
	{ KVM_REG_ARM_VENDOR_HYP_BMAP, "fw.VENDOR_HYP_BMAP",
	  "KVM_REG_ARM_VENDOR_HYP_BMAP" },
	{ KVM_REG_ARM_VENDOR_HYP_BMAP_2, "fw.VENDOR_HYP_BMAP_2",
	  "KVM_REG_ARM_VENDOR_HYP_BMAP_2" },
};

static int fw_name(uint64_t id, enum kvmreg_name_style style, char *buf,
		   size_t len, size_t *pos)
{
	for (size_t i = 0; i < KVMREG_ARRAY_SIZE(fw_regs); i++)
		if (fw_regs[i].id == id) {
			kvmreg_appendf(buf, len, pos, "%s",
				       style == KVMREG_NAME_SHORT ?
				       fw_regs[i].name : fw_regs[i].macro);
			return 0;
		}
	return -ENOENT;
}

/* ------------------------------------------------------------------ */
/* SVE                                                                  */

enum sve_kind { SVE_NONE, SVE_Z, SVE_P, SVE_FFR, SVE_VLS };

static enum sve_kind sve_kind(unsigned int low)
{
	if (low == (KVM_REG_ARM64_SVE_VLS & 0xffff))
		return SVE_VLS;
	if (low < KVM_REG_ARM64_SVE_PREG_BASE)
		return SVE_Z;
	if (low < KVM_REG_ARM64_SVE_FFR_BASE)
		return SVE_P;
	if (low < KVM_REG_ARM64_SVE_FFR_BASE + KVM_ARM64_SVE_MAX_SLICES)
		return SVE_FFR;
	return SVE_NONE;
}

static unsigned int sve_kind_bytes(enum sve_kind kind)
{
	switch (kind) {
	case SVE_Z:
		return 256;
	case SVE_P:
	case SVE_FFR:
		return 32;
	case SVE_VLS:
		return 64;
	case SVE_NONE:
		break;
	}
	return 0;
}

static int sve_check(uint64_t id)
{
	static const char *const what[] = {
		[SVE_Z] = "an SVE Z register slice",
		[SVE_P] = "an SVE P register slice",
		[SVE_FFR] = "an SVE FFR slice",
		[SVE_VLS] = "KVM_REG_ARM64_SVE_VLS",
	};
	enum sve_kind kind = sve_kind(ARM64_LOW16(id));
	unsigned int want = sve_kind_bytes(kind);

	if (kind != SVE_NONE && id_bytes(id) != want)
		return kvmreg_set_error(-EINVAL,
					"id 0x%016" PRIx64 ": %s is %u bytes (KVM_REG_SIZE_%s), but the id's size field says %u",
					id, what[kind], want, size_suffix(want),
					id_bytes(id));
	return 0;
}

static int sve_name(uint64_t id, enum kvmreg_name_style style, char *buf,
		    size_t len, size_t *pos)
{
	unsigned int low = ARM64_LOW16(id);
	unsigned int n = (low >> 5) & 31, slice = low & 31;
	int shrt = style == KVMREG_NAME_SHORT;

	switch (sve_kind(low)) {
	case SVE_Z:
		kvmreg_appendf(buf, len, pos, shrt ? "sve.Z%u[%u]" :
			       "KVM_REG_ARM64_SVE_ZREG(%u, %u)", n, slice);
		return 0;
	case SVE_P:
		kvmreg_appendf(buf, len, pos, shrt ? "sve.P%u[%u]" :
			       "KVM_REG_ARM64_SVE_PREG(%u, %u)", n & 15, slice);
		return 0;
	case SVE_FFR:
		kvmreg_appendf(buf, len, pos, shrt ? "sve.FFR[%u]" :
			       "KVM_REG_ARM64_SVE_FFR(%u)", slice);
		return 0;
	case SVE_VLS:
		kvmreg_appendf(buf, len, pos, "%s", shrt ? "sve.VLS" :
			       "KVM_REG_ARM64_SVE_VLS");
		return 0;
	case SVE_NONE:
		break;
	}
	return -ENOENT;
}

/* ------------------------------------------------------------------ */
/* Well-formedness and names                                           */

static int arm64_id_check(uint64_t id)
{
	if (kvmreg_arm64_is_lib(id))
		return kvmreg_arm64_lib_check(id);
	if (id & ARM64_RESERVED_BITS)
		return kvmreg_set_error(-EINVAL,
					"id 0x%016" PRIx64 ": bits 28-51 are reserved on arm64 and must be zero (they are 0x%" PRIx64 ")",
					id, (uint64_t)((id & ARM64_RESERVED_BITS) >> 28));
	switch (ARM64_GROUP(id)) {
	case KVM_REG_ARM_CORE:
		return core_check(id);
	case KVM_REG_ARM_DEMUX:
		if ((id & KVM_REG_ARM_DEMUX_ID_MASK) == KVM_REG_ARM_DEMUX_ID_CCSIDR &&
		    id_bytes(id) != 4)
			return kvmreg_set_error(-EINVAL,
						"id 0x%016" PRIx64 ": CCSIDR values are 32-bit (KVM_REG_SIZE_U32), but the id's size field says %u-bit",
						id, id_bytes(id) * 8);
		return 0;
	case KVM_REG_ARM64_SYSREG:
	case KVM_REG_ARM_FW:
	case KVM_REG_ARM_FW_FEAT_BMAP:
		if (id_bytes(id) != 8)
			return kvmreg_set_error(-EINVAL,
						"id 0x%016" PRIx64 ": %s ids are 64-bit (KVM_REG_SIZE_U64), but the size field says %u-bit",
						id,
						ARM64_GROUP(id) == KVM_REG_ARM64_SYSREG ?
						"system register" : "firmware register",
						id_bytes(id) * 8);
		return 0;
	case KVM_REG_ARM64_SVE:
		return sve_check(id);
	}
	/* A group this kernel does not have: a newer kernel's registers must
	 * still save and restore, under the generic name. */
	return 0;
}

static int arm64_id_name(uint64_t id, enum kvmreg_name_style style, char *buf,
			 size_t len)
{
	size_t pos = 0;
	int err = -ENOENT;

	if (len)
		buf[0] = '\0';
	if (kvmreg_arm64_is_lib(id)) {
		int n = kvmreg_arm64_lib_name(id, style, buf, len);

		return n < 0 ? 0 : n;
	}
	switch (ARM64_GROUP(id)) {
	case KVM_REG_ARM_CORE:
		err = core_name(id, style, buf, len, &pos);
		break;
	case KVM_REG_ARM_DEMUX:
		if ((id & KVM_REG_ARM_DEMUX_ID_MASK) != KVM_REG_ARM_DEMUX_ID_CCSIDR)
			break;
		kvmreg_appendf(buf, len, &pos, style == KVMREG_NAME_SHORT ?
			       "demux.CCSIDR[%u]" :
			       "KVM_REG_ARM64 | KVM_REG_SIZE_U32 | KVM_REG_ARM_DEMUX | KVM_REG_ARM_DEMUX_ID_CCSIDR | %u",
			       (unsigned int)(id & KVM_REG_ARM_DEMUX_VAL_MASK));
		err = 0;
		break;
	case KVM_REG_ARM64_SYSREG:
		err = sysreg_name(id, style, buf, len, &pos);
		break;
	case KVM_REG_ARM_FW:
	case KVM_REG_ARM_FW_FEAT_BMAP:
		err = fw_name(id, style, buf, len, &pos);
		break;
	case KVM_REG_ARM64_SVE:
		err = sve_name(id, style, buf, len, &pos);
		break;
	}
	if (err) {
		if (len)
			buf[0] = '\0';
		return 0;
	}
	return (int)pos;
}

/* ------------------------------------------------------------------ */
/* Parsing                                                             */

/* s is "<stem>[<n>]" exactly, stem in any case: 0 and *n, -ENOENT if the
 * stem differs, -EINVAL (message set) if the index is malformed. */
static int parse_indexed(const char *s, const char *stem, const char *whole,
			 uint64_t *n)
{
	size_t stem_len = strlen(stem), rest;

	if (strncasecmp(s, stem, stem_len))
		return -ENOENT;
	s += stem_len;
	rest = strlen(s);
	if (rest == 0 || s[0] != '[')
		return -ENOENT;
	if (rest < 3 || s[rest - 1] != ']' ||
	    kvmreg_parse_u64(s + 1, rest - 2, n))
		return kvmreg_set_error(-EINVAL,
					"'%s': expected %s[<number>]", whole, stem);
	return 0;
}

static int parse_core_short(const char *name, const char *field, uint64_t *id)
{
	for (size_t i = 0; i < KVMREG_ARRAY_SIZE(core_fields); i++) {
		const struct core_field *f = &core_fields[i];
		uint64_t n = 0;

		if (!f->count) {
			if (strcasecmp(field, f->name))
				continue;
		} else {
			int err = parse_indexed(field, f->name, name, &n);

			if (err == -ENOENT)
				continue;
			if (err)
				return err;
			if (n >= f->count)
				return kvmreg_set_error(-EINVAL,
							"'%s': core.%s has %u elements, 0 to %u",
							name, f->name, f->count,
							f->count - 1);
		}
		*id = core_id(f, (unsigned int)n);
		return 0;
	}
	return kvmreg_set_error(-EINVAL,
				"'%s': no such core register (core.regs[0-30], sp, pc, pstate, sp_el1, elr_el1, spsr[0-4], vregs[0-31], fpsr, fpcr)",
				name);
}

/* "Z3[0]" etc. after "sve." */
static int parse_sve_short(const char *name, const char *reg, uint64_t *id)
{
	uint64_t slice;
	int err;

	if (!strcasecmp(reg, "VLS")) {
		*id = KVM_REG_ARM64_SVE_VLS;
		return 0;
	}
	err = parse_indexed(reg, "FFR", name, &slice);
	if (err != -ENOENT) {
		if (err)
			return err;
		if (slice >= KVM_ARM64_SVE_MAX_SLICES)
			return kvmreg_set_error(-EINVAL,
						"'%s': SVE slices are 0 to %d",
						name, KVM_ARM64_SVE_MAX_SLICES - 1);
		*id = KVM_REG_ARM64_SVE_FFR(slice);
		return 0;
	}
	if (reg[0] == 'Z' || reg[0] == 'z' || reg[0] == 'P' || reg[0] == 'p') {
		int is_z = reg[0] == 'Z' || reg[0] == 'z';
		uint64_t count = is_z ? KVM_ARM64_SVE_NUM_ZREGS : KVM_ARM64_SVE_NUM_PREGS;
		const char *bracket = strchr(reg, '[');
		uint64_t n;

		if (!bracket || kvmreg_parse_u64(reg + 1, (size_t)(bracket - reg - 1), &n) ||
		    parse_indexed(bracket, "", name, &slice))
			return kvmreg_set_error(-EINVAL,
						"'%s': expected sve.%c<n>[<slice>]",
						name, is_z ? 'Z' : 'P');
		if (n >= count || slice >= KVM_ARM64_SVE_MAX_SLICES)
			return kvmreg_set_error(-EINVAL,
						"'%s': SVE has %c0 to %c%u, slices 0 to %d",
						name, is_z ? 'Z' : 'P', is_z ? 'Z' : 'P',
						(unsigned int)count - 1,
						KVM_ARM64_SVE_MAX_SLICES - 1);
		*id = is_z ? KVM_REG_ARM64_SVE_ZREG(n, slice) :
			     KVM_REG_ARM64_SVE_PREG(n, slice);
		return 0;
	}
	return kvmreg_set_error(-EINVAL,
				"'%s': no such SVE register (sve.Z<n>[<slice>], sve.P<n>[<slice>], sve.FFR[<slice>], sve.VLS)",
				name);
}

/* Decimal field of an S<op0>_<op1>_C<n>_C<m>_<op2> name. */
static int take_field(const char **s, const char *prefix, unsigned int max,
		      unsigned int *out)
{
	const char *p = *s;
	size_t n = 0;
	uint64_t v;

	if (*prefix) {
		if (strncasecmp(p, prefix, strlen(prefix)))
			return -1;
		p += strlen(prefix);
	}
	while (p[n] >= '0' && p[n] <= '9')
		n++;
	if (!n || n > 2 || kvmreg_parse_u64(p, n, &v) || v > max)
		return -1;
	*out = (unsigned int)v;
	*s = p + n;
	return 0;
}

/* S3_0_C0_C3_3: the architectural generic name of an encoding. */
static int parse_s_form(const char *name, unsigned int *enc)
{
	unsigned int op0, op1, crn, crm, op2;
	const char *p = name;

	if (take_field(&p, "S", 3, &op0) || take_field(&p, "_", 7, &op1) ||
	    take_field(&p, "_C", 15, &crn) || take_field(&p, "_C", 15, &crm) ||
	    take_field(&p, "_", 7, &op2) || *p)
		return -1;
	*enc = SYSREG_ENC(op0, op1, crn, crm, op2);
	return 0;
}

static int parse_short(const char *name, uint64_t *id)
{
	const char *rest;
	unsigned int enc;
	uint64_t n;
	int sysreg;

	if (!strncasecmp(name, "core.", 5))
		return parse_core_short(name, name + 5, id);
	if (!strncasecmp(name, "sve.", 4))
		return parse_sve_short(name, name + 4, id);
	if (!strncasecmp(name, "demux.", 6)) {
		rest = name + 6;
		if (parse_indexed(rest, "CCSIDR", name, &n) || n > 0xff)
			return kvmreg_set_error(-EINVAL,
						"'%s': expected demux.CCSIDR[<CSSELR value 0-255>]",
						name);
		*id = KVM_REG_ARM64 | KVM_REG_SIZE_U32 | KVM_REG_ARM_DEMUX |
		      KVM_REG_ARM_DEMUX_ID_CCSIDR | n;
		return 0;
	}
	if (!strncasecmp(name, "fw.", 3)) {
		for (size_t i = 0; i < KVMREG_ARRAY_SIZE(fw_regs); i++)
			if (!strcasecmp(fw_regs[i].name, name)) {
				*id = fw_regs[i].id;
				return 0;
			}
		return kvmreg_set_error(-EINVAL,
					"'%s': no such firmware register (fw.PSCI_VERSION, fw.SMCCC_ARCH_WORKAROUND_1-3, fw.STD_BMAP, fw.STD_HYP_BMAP, fw.VENDOR_HYP_BMAP, fw.VENDOR_HYP_BMAP_2)",
					name);
	}
	if (!parse_s_form(name, &enc)) {
		*id = sysreg_id(arch_enc(enc));
		return 0;
	}
	sysreg = sysreg_enc_of(name);
	if (sysreg < 0)
		return -ENOENT;
	*id = sysreg_id(arch_enc((unsigned int)sysreg));
	return 0;
}

/* Macro style: uapi constants ORed together, as C would evaluate them. */

static const struct {
	const char *name;
	uint64_t value;
} macro_constants[] = {
	{ "KVM_REG_ARM64", KVM_REG_ARM64 },
	{ "KVM_REG_SIZE_U8", KVM_REG_SIZE_U8 },
	{ "KVM_REG_SIZE_U16", KVM_REG_SIZE_U16 },
	{ "KVM_REG_SIZE_U32", KVM_REG_SIZE_U32 },
	{ "KVM_REG_SIZE_U64", KVM_REG_SIZE_U64 },
	{ "KVM_REG_SIZE_U128", KVM_REG_SIZE_U128 },
	{ "KVM_REG_SIZE_U256", KVM_REG_SIZE_U256 },
	{ "KVM_REG_SIZE_U512", KVM_REG_SIZE_U512 },
	{ "KVM_REG_SIZE_U1024", KVM_REG_SIZE_U1024 },
	{ "KVM_REG_SIZE_U2048", KVM_REG_SIZE_U2048 },
	{ "KVM_REG_ARM_CORE", KVM_REG_ARM_CORE },
	{ "KVM_REG_ARM_DEMUX", KVM_REG_ARM_DEMUX },
	{ "KVM_REG_ARM_DEMUX_ID_CCSIDR", KVM_REG_ARM_DEMUX_ID_CCSIDR },
	{ "KVM_REG_ARM64_SYSREG", KVM_REG_ARM64_SYSREG },
	{ "KVM_REG_ARM_FW", KVM_REG_ARM_FW },
	{ "KVM_REG_ARM_FW_FEAT_BMAP", KVM_REG_ARM_FW_FEAT_BMAP },
	{ "KVM_REG_ARM64_SVE", KVM_REG_ARM64_SVE },
	{ "KVM_REG_ARM64_SVE_VLS", KVM_REG_ARM64_SVE_VLS },
};

/* Comma-separated numbers of a macro call, each at most max. */
static int macro_args(const char *args, size_t n, uint64_t *out, size_t count,
		      const uint64_t *max)
{
	size_t start = 0, k = 0;

	for (size_t i = 0; i <= n; i++) {
		if (i < n && args[i] != ',')
			continue;
		if (k == count || kvmreg_parse_u64(args + start, i - start, &out[k]) ||
		    out[k] > max[k])
			return -1;
		k++;
		start = i + 1;
	}
	return k == count ? 0 : -1;
}

static int macro_sysreg_args(const char *term, const char *args, size_t n,
			     uint64_t *value)
{
	static const uint64_t max[5] = { 3, 7, 15, 15, 7 };
	uint64_t f[5];

	if (macro_args(args, n, f, 5, max))
		return kvmreg_set_error(-EINVAL,
					"'%s': expected op0 (0-3), op1 (0-7), CRn (0-15), CRm (0-15), op2 (0-7)",
					term);
	*value = ARM64_SYS_REG(f[0], f[1], f[2], f[3], f[4]);
	return 0;
}

static int macro_core_reg(const char *term, const char *member, size_t n,
			  uint64_t *value)
{
	for (size_t i = 0; i < KVMREG_ARRAY_SIZE(core_fields); i++) {
		const struct core_field *f = &core_fields[i];
		size_t m = strlen(f->member);
		uint64_t index = 0;
		static const uint64_t no_max[1] = { UINT64_MAX };

		if (n < m || strncmp(member, f->member, m))
			continue;
		if (f->count ? (n < m + 3 || member[m] != '[' ||
				member[n - 1] != ']' ||
				macro_args(member + m + 1, n - m - 2, &index, 1,
					   no_max)) : n != m)
			continue;
		if (index >= f->count && f->count)
			return kvmreg_set_error(-EINVAL,
						"'%s': %s has %u elements", term,
						f->member, f->count);
		*value = f->offset + index * (f->bytes / 4);
		return 0;
	}
	return kvmreg_set_error(-EINVAL, "'%s': no such struct kvm_regs member",
				term);
}

/* One term of a macro name: 0, -ENOENT if it is not a term of ours,
 * -EINVAL (message set) if it is, but malformed. */
static int macro_term(const char *term, uint64_t *value)
{
	const char *open = strchr(term, '(');
	size_t n = strlen(term), fn, argn;
	const char *args;
	static const uint64_t fw_max[1] = { 0xffff };

	if (!open) {
		for (size_t i = 0; i < KVMREG_ARRAY_SIZE(macro_constants); i++)
			if (!strcmp(term, macro_constants[i].name)) {
				*value = macro_constants[i].value;
				return 0;
			}
		for (size_t i = 0; i < KVMREG_ARRAY_SIZE(timer_macros); i++)
			if (!strcmp(term, timer_macros[i].macro)) {
				*value = timer_macros[i].id;
				return 0;
			}
		for (size_t i = 0; i < KVMREG_ARRAY_SIZE(fw_regs); i++)
			if (!strcmp(term, fw_regs[i].macro)) {
				*value = fw_regs[i].id;
				return 0;
			}
		return kvmreg_parse_u64(term, n, value) ? -ENOENT : 0;
	}
	if (term[n - 1] != ')')
		return -ENOENT;
	fn = (size_t)(open - term);
	args = open + 1;
	argn = n - fn - 2;
	if (fn == 13 && !strncmp(term, "ARM64_SYS_REG", fn))
		return macro_sysreg_args(term, args, argn, value);
	if (fn == 17 && !strncmp(term, "KVM_ARM64_SYS_REG", fn)) {
		/* The selftests' form: the raw encoding, no timer swap. */
		if (argn > 8 && !strncmp(args, "sys_reg(", 8) && args[argn - 1] == ')')
			return macro_sysreg_args(term, args + 8, argn - 9, value);
		if (argn > 4 && !strncmp(args, "SYS_", 4)) {
			char reg[64];
			int enc;

			if (argn - 4 >= sizeof(reg))
				return kvmreg_set_error(-EINVAL, "'%s': name too long", term);
			memcpy(reg, args + 4, argn - 4);
			reg[argn - 4] = '\0';
			enc = sysreg_enc_of(reg);
			if (enc < 0)
				return kvmreg_set_error(-EINVAL,
							"'%s': no system register named %s",
							term, reg);
			*value = sysreg_id((unsigned int)enc);
			return 0;
		}
		return kvmreg_set_error(-EINVAL,
					"'%s': expected KVM_ARM64_SYS_REG(sys_reg(op0, op1, CRn, CRm, op2)) or KVM_ARM64_SYS_REG(SYS_<name>)",
					term);
	}
	if (fn == 20 && !strncmp(term, "KVM_REG_ARM_CORE_REG", fn))
		return macro_core_reg(term, args, argn, value);
	if ((fn == 18 && !strncmp(term, "KVM_REG_ARM_FW_REG", fn)) ||
	    (fn == 28 && !strncmp(term, "KVM_REG_ARM_FW_FEAT_BMAP_REG", fn))) {
		uint64_t r;

		if (macro_args(args, argn, &r, 1, fw_max))
			return kvmreg_set_error(-EINVAL,
						"'%s': expected a register number 0-0xffff",
						term);
		*value = fn == 18 ? KVM_REG_ARM_FW_REG(r) :
				    KVM_REG_ARM_FW_FEAT_BMAP_REG(r);
		return 0;
	}
	if (fn == 22 && (!strncmp(term, "KVM_REG_ARM64_SVE_ZREG", fn) ||
			 !strncmp(term, "KVM_REG_ARM64_SVE_PREG", fn))) {
		int is_z = term[18] == 'Z';
		const uint64_t max[2] = {
			(is_z ? KVM_ARM64_SVE_NUM_ZREGS : KVM_ARM64_SVE_NUM_PREGS) - 1,
			KVM_ARM64_SVE_MAX_SLICES - 1,
		};
		uint64_t a[2];

		if (macro_args(args, argn, a, 2, max))
			return kvmreg_set_error(-EINVAL,
						"'%s': expected (n, slice) with n 0-%u and slice 0-%d",
						term, (unsigned int)max[0],
						KVM_ARM64_SVE_MAX_SLICES - 1);
		*value = is_z ? KVM_REG_ARM64_SVE_ZREG(a[0], a[1]) :
				KVM_REG_ARM64_SVE_PREG(a[0], a[1]);
		return 0;
	}
	if (fn == 21 && !strncmp(term, "KVM_REG_ARM64_SVE_FFR", fn)) {
		static const uint64_t max[1] = { KVM_ARM64_SVE_MAX_SLICES - 1 };
		uint64_t slice;

		if (macro_args(args, argn, &slice, 1, max))
			return kvmreg_set_error(-EINVAL,
						"'%s': expected a slice 0-%d", term,
						KVM_ARM64_SVE_MAX_SLICES - 1);
		*value = KVM_REG_ARM64_SVE_FFR(slice);
		return 0;
	}
	return -ENOENT;
}

static int parse_macro(const char *name, uint64_t *id)
{
	size_t len = strlen(name), n = 0;
	char *expr = malloc(len + 1);
	uint64_t value = 0;
	int err = 0, known = 0;
	char *term;

	if (!expr)
		return kvmreg_set_error(-ENOMEM, "out of memory");
	for (size_t i = 0; i < len; i++)
		if (name[i] != ' ' && name[i] != '\t')
			expr[n++] = name[i];
	expr[n] = '\0';
	term = expr;
	for (;;) {
		char *bar = strchr(term, '|');
		uint64_t v;

		if (bar)
			*bar = '\0';
		err = *term ? macro_term(term, &v) : -ENOENT;
		if (err == -ENOENT && known)
			err = kvmreg_set_error(-EINVAL,
					       "'%s': '%s' is not an arm64 uapi macro or a number",
					       name, term);
		if (err)
			break;
		known |= !(term[0] >= '0' && term[0] <= '9');
		value |= v;
		if (!bar)
			break;
		term = bar + 1;
	}
	free(expr);
	if (!err && !known)
		err = -ENOENT;
	if (!err)
		*id = value;
	return err;
}

static int arm64_id_parse(const char *name, uint64_t *id)
{
	int err = kvmreg_arm64_lib_parse(name, id);

	if (err != -ENOENT)
		return err;
	if (strpbrk(name, "(|") || kvmreg_skip_prefix(name, "KVM_") ||
	    kvmreg_skip_prefix(name, "ARM64_"))
		return parse_macro(name, id);
	return parse_short(name, id);
}

/* ------------------------------------------------------------------ */
/* Groups, volatility, the known ids                                   */

static const char *arm64_id_group(uint64_t id)
{
	if (kvmreg_arm64_is_lib(id))
		return kvmreg_arm64_lib_group(id);
	switch (ARM64_GROUP(id)) {
	case KVM_REG_ARM_CORE:
		return "core";
	case KVM_REG_ARM_DEMUX:
		return "demux";
	case KVM_REG_ARM64_SYSREG:
		return "sysreg";
	case KVM_REG_ARM_FW:
		return "fw";
	case KVM_REG_ARM_FW_FEAT_BMAP:
		return "fw-bmap";
	case KVM_REG_ARM64_SVE:
		return "sve";
	}
	return NULL;
}

static int is_sysreg(uint64_t id)
{
	return (id & ~(uint64_t)0xffff) ==
	       (KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM64_SYSREG);
}

/*
 * Values that change while the vCPU runs, with nothing written to them:
 * - the counters: TIMER_CNT (CNTVCT_EL0) and PTIMER_CNT (CNTPCT_EL0) read
 *   the host's counter minus an offset, so they differ on every read;
 * - the timer controls (CNTV_CTL_EL0, CNTP_CTL_EL0 and the EL2 ones of a
 *   nested guest): their ISTATUS bit follows the counter reaching CVAL, and
 *   KVM drops it on writes;
 * - the PMU counters (PMCCNTR_EL0, PMEVCNTR<n>_EL0) count guest events,
 *   and their overflow flags (PMOVSSET/PMOVSCLR_EL0) set themselves.
 * CVAL and TVAL are not here: CVAL only changes when written, and KVM does
 * not list TVAL.
 */
static int arm64_id_is_volatile(uint64_t id)
{
	unsigned int enc = arch_enc(ARM64_LOW16(id));

	if (!is_sysreg(id))
		return 0;
	switch (enc) {
	case SYSREG_ENC(3, 3, 14, 0, 2):	/* CNTVCT_EL0 */
	case SYSREG_ENC(3, 3, 14, 0, 1):	/* CNTPCT_EL0 */
	case SYSREG_ENC(3, 3, 14, 3, 1):	/* CNTV_CTL_EL0 */
	case SYSREG_ENC(3, 3, 14, 2, 1):	/* CNTP_CTL_EL0 */
	case SYSREG_ENC(3, 4, 14, 2, 1):	/* CNTHP_CTL_EL2 */
	case SYSREG_ENC(3, 4, 14, 3, 1):	/* CNTHV_CTL_EL2 */
	case SYSREG_ENC(3, 3, 9, 13, 0):	/* PMCCNTR_EL0 */
	case SYSREG_ENC(3, 3, 9, 12, 3):	/* PMOVSCLR_EL0 */
	case SYSREG_ENC(3, 3, 9, 14, 3):	/* PMOVSSET_EL0 */
		return 1;
	}
	/* PMEVCNTR<n>_EL0: op0 3, op1 3, CRn 14, CRm 8-11 (n 0-30) */
	return ENC_OP0(enc) == 3 && ENC_OP1(enc) == 3 && ENC_CRN(enc) == 14 &&
	       ENC_CRM(enc) >= 8 && ENC_CRM(enc) <= 11 &&
	       !(ENC_CRM(enc) == 11 && ENC_OP2(enc) == 7);
}

/* The feature ID space (op0 3, op1 0/1/3, CRn 0, CRm 0-7): registers that
 * describe the CPU; KVM lists the unallocated ones of op1 0 as RAZ. */
static int is_id_register(unsigned int enc)
{
	unsigned int op1 = ENC_OP1(enc);

	return ENC_OP0(enc) == 3 && ENC_CRN(enc) == 0 && ENC_CRM(enc) <= 7 &&
	       (op1 == 0 || op1 == 1 || op1 == 3);
}

static int arm64_known_ids(struct kvmreg_idvec *out)
{
	int err = 0;

	for (size_t i = 0; !err && i < KVMREG_ARRAY_SIZE(core_fields); i++)
		for (unsigned int k = 0; !err && k < (core_fields[i].count ?
						      core_fields[i].count : 1); k++)
			err = kvmreg_idvec_push(out, core_id(&core_fields[i], k));
	/* CSSELR values KVM exposes: level 1-7, data/unified and instruction. */
	for (uint64_t v = 0; !err && v < 14; v++)
		err = kvmreg_idvec_push(out, KVM_REG_ARM64 | KVM_REG_SIZE_U32 |
					KVM_REG_ARM_DEMUX |
					KVM_REG_ARM_DEMUX_ID_CCSIDR | v);
	for (size_t i = 0; !err && i < KVMREG_ARRAY_SIZE(arm64_sysregs); i++)
		if (!arm64_sysregs[i].alias)
			err = kvmreg_idvec_push(out,
						sysreg_id(arch_enc(arm64_sysregs[i].enc)));
	for (unsigned int crm = 0; !err && crm < 8; crm++)
		for (unsigned int op2 = 0; !err && op2 < 8; op2++) {
			unsigned int enc = SYSREG_ENC(3, 0, 0, crm, op2);

			if (!sysreg_name_of(enc))
				err = kvmreg_idvec_push(out, sysreg_id(enc));
		}
	for (size_t i = 0; !err && i < KVMREG_ARRAY_SIZE(fw_regs); i++)
		err = kvmreg_idvec_push(out, fw_regs[i].id);
	if (!err)
		err = kvmreg_arm64_lib_known(out);
	if (!err)
		err = kvmreg_idvec_push(out, KVM_REG_ARM64_SVE_VLS);
	for (unsigned int s = 0; !err && s < KVM_ARM64_SVE_MAX_SLICES; s++) {
		for (unsigned int n = 0; !err && n < KVM_ARM64_SVE_NUM_ZREGS; n++)
			err = kvmreg_idvec_push(out, KVM_REG_ARM64_SVE_ZREG(n, s));
		for (unsigned int n = 0; !err && n < KVM_ARM64_SVE_NUM_PREGS; n++)
			err = kvmreg_idvec_push(out, KVM_REG_ARM64_SVE_PREG(n, s));
		if (!err)
			err = kvmreg_idvec_push(out, KVM_REG_ARM64_SVE_FFR(s));
	}
	return err;
}

/* ------------------------------------------------------------------ */
/* Fallback table                                                      */

/*
 * arm64 KVM has had KVM_GET_REG_LIST since its first release (Linux 3.11),
 * so no kernel needs this table. It exists for KVMREG_LIST_FORCE_FALLBACK
 * and kvmreg_fallback_table(): the registers a VMM saves on any arm64 KVM,
 * in restore order. Probing drops the ones a given vCPU lacks.
 */
static const char *const fallback_sysregs[] = {
	"MPIDR_EL1",
	"CSSELR_EL1", "SCTLR_EL1", "ACTLR_EL1", "CPACR_EL1",
	"TTBR0_EL1", "TTBR1_EL1", "TCR_EL1", "ESR_EL1", "AFSR0_EL1",
	"AFSR1_EL1", "FAR_EL1", "PAR_EL1", "MAIR_EL1", "AMAIR_EL1",
	"VBAR_EL1", "CONTEXTIDR_EL1", "TPIDR_EL1", "TPIDR_EL0", "TPIDRRO_EL0",
	"CNTKCTL_EL1", "MDSCR_EL1", "MDCCINT_EL1", "DBGVCR32_EL2",
	"DACR32_EL2", "IFSR32_EL2", "FPEXC32_EL2",
	"CNTV_CTL_EL0", "CNTV_CVAL_EL0", "CNTP_CTL_EL0", "CNTP_CVAL_EL0",
};

static const char *const fallback_pmu_sysregs[] = {
	"PMCR_EL0", "PMCNTENSET_EL0", "PMCNTENCLR_EL0", "PMOVSCLR_EL0",
	"PMSELR_EL0", "PMCCNTR_EL0", "PMUSERENR_EL0", "PMOVSSET_EL0",
	"PMINTENSET_EL1", "PMINTENCLR_EL1", "PMCCFILTR_EL0",
};

static const char *const fallback_pauth_sysregs[] = {
	"APIAKEYLO_EL1", "APIAKEYHI_EL1", "APIBKEYLO_EL1", "APIBKEYHI_EL1",
	"APDAKEYLO_EL1", "APDAKEYHI_EL1", "APDBKEYLO_EL1", "APDBKEYHI_EL1",
	"APGAKEYLO_EL1", "APGAKEYHI_EL1",
};

#define FEAT_SVE	(1u << 0)
#define FEAT_PMU	(1u << 1)
#define FEAT_PAUTH	(1u << 2)

static int parse_features(const char *features, unsigned int *out)
{
	static const struct {
		const char *name;
		unsigned int bit;
	} known[] = {
		{ "sve", FEAT_SVE }, { "pmu", FEAT_PMU }, { "pauth", FEAT_PAUTH },
	};
	const char *p = features;

	*out = 0;
	while (*p) {
		size_t n = strcspn(p, ",");
		size_t i;

		for (i = 0; i < KVMREG_ARRAY_SIZE(known); i++)
			if (strlen(known[i].name) == n &&
			    !strncmp(p, known[i].name, n))
				break;
		if (n && i == KVMREG_ARRAY_SIZE(known))
			return kvmreg_set_error(-EINVAL,
						"arm64: unknown guest feature '%.*s' (known: sve, pmu, pauth)",
						(int)n, p);
		if (n)
			*out |= known[i].bit;
		p += n + (p[n] == ',');
	}
	return 0;
}

static int push_sysregs(struct kvmreg_idvec *out, const char *const *names,
			size_t n)
{
	int err = 0;

	for (size_t i = 0; !err && i < n; i++) {
		int enc = sysreg_enc_of(names[i]);

		if (enc < 0)
			return kvmreg_set_error(-EINVAL,
						"arm64 fallback table: %s is not in the register table",
						names[i]);
		err = kvmreg_idvec_push(out, sysreg_id(arch_enc((unsigned int)enc)));
	}
	return err;
}

static int arm64_fallback(struct kvmreg_vcpu *vcpu, const char *features,
			  struct kvmreg_idvec *out)
{
	unsigned int feat = FEAT_SVE | FEAT_PMU | FEAT_PAUTH;
	int err = 0;

	/*
	 * With a vCPU and no features, every register the tables name is a
	 * candidate: KVM answers ONE_REG only for the registers it serves
	 * (ENOENT otherwise), so probing keeps exactly what this vCPU has,
	 * demux CCSIDRs and ID registers of any CPU included.
	 */
	if (vcpu && !features)
		return arm64_known_ids(out);
	/* Without one, the default guest has none of the optional features. */
	if (features || !vcpu) {
		err = parse_features(features ? features : "", &feat);
		if (err)
			return err;
	}
	if (feat & FEAT_SVE) {
		err = kvmreg_idvec_push(out, KVM_REG_ARM64_SVE_VLS);
		if (err)
			return err;
	}
	for (size_t i = 0; !err && i < KVMREG_ARRAY_SIZE(fw_regs); i++)
		if (ARM64_GROUP(fw_regs[i].id) == KVM_REG_ARM_FW)
			err = kvmreg_idvec_push(out, fw_regs[i].id);
	for (size_t i = 0; !err && i < KVMREG_ARRAY_SIZE(core_fields); i++) {
		const struct core_field *f = &core_fields[i];

		/* SVE vCPUs reach the V registers through the Z registers. */
		if (f->bytes == 16 && (feat & FEAT_SVE) && !vcpu)
			continue;
		for (unsigned int k = 0; !err && k < (f->count ? f->count : 1); k++)
			err = kvmreg_idvec_push(out, core_id(f, k));
	}
	if (!err)
		err = push_sysregs(out, fallback_sysregs,
				   KVMREG_ARRAY_SIZE(fallback_sysregs));
	for (unsigned int n = 0; !err && n < 16; n++)
		for (unsigned int op2 = 4; !err && op2 < 8; op2++)
			err = kvmreg_idvec_push(out, sysreg_id(SYSREG_ENC(2, 0, 0, n, op2)));
	if (!err && (feat & FEAT_SVE)) {
		for (unsigned int n = 0; !err && n < KVM_ARM64_SVE_NUM_ZREGS; n++)
			err = kvmreg_idvec_push(out, KVM_REG_ARM64_SVE_ZREG(n, 0));
		for (unsigned int n = 0; !err && n < KVM_ARM64_SVE_NUM_PREGS; n++)
			err = kvmreg_idvec_push(out, KVM_REG_ARM64_SVE_PREG(n, 0));
		if (!err)
			err = kvmreg_idvec_push(out, KVM_REG_ARM64_SVE_FFR(0));
		if (!err)
			err = push_sysregs(out, (const char *const[]){ "ZCR_EL1" }, 1);
	}
	if (!err && (feat & FEAT_PMU)) {
		err = push_sysregs(out, fallback_pmu_sysregs,
				   KVMREG_ARRAY_SIZE(fallback_pmu_sysregs));
		for (unsigned int n = 0; !err && n < 31; n++) {
			unsigned int op2 = n & 7, crm = n >> 3;

			err = kvmreg_idvec_push(out, sysreg_id(SYSREG_ENC(3, 3, 14, 8 | crm, op2)));
			if (!err)
				err = kvmreg_idvec_push(out, sysreg_id(SYSREG_ENC(3, 3, 14, 12 | crm, op2)));
		}
	}
	if (!err && (feat & FEAT_PAUTH))
		err = push_sysregs(out, fallback_pauth_sysregs,
				   KVMREG_ARRAY_SIZE(fallback_pauth_sysregs));
	if (!err)
		err = kvmreg_idvec_push(out, KVM_REG_ARM_PTIMER_CNT);
	if (!err)
		err = kvmreg_idvec_push(out, KVM_REG_ARM_TIMER_CNT);
	return err;
}

/* ------------------------------------------------------------------ */
/* Restore order                                                       */

/*
 * What KVM enforces (Linux 7.2 arch/arm64/kvm), first to last:
 * - KVM_REG_ARM64_SVE_VLS is writable only before KVM_ARM_VCPU_FINALIZE
 *   (EPERM after), and the Z/P/FFR registers only after it. VCPU_INIT and
 *   FINALIZE are not registers: the VMM must init with SVE, set VLS,
 *   finalize, then restore the rest (docs/arch-arm64.md).
 * - The firmware feature bitmaps are VM-wide and change only before the
 *   first KVM_RUN (EBUSY after); the other firmware registers are VM-wide
 *   configuration too.
 * - ID registers are immutable once the VM has run, and KVM checks other
 *   writes against the guest's features: first of the system registers.
 * - CCSIDR values describe the cache levels CLIDR_EL1 announces.
 * - PMCR_EL0.N decides how many event counters exist; the PMU enable,
 *   interrupt and overflow registers are masked by it on write.
 * - Writing TIMER_CNT/PTIMER_CNT sets the VM's counter offset from the
 *   host's counter now: after every other ONE_REG register, so the guest
 *   loses the least time before it runs again (QEMU also writes TIMER_CNT
 *   only when resuming the VM). The library's own registers (vGIC, vCPU
 *   events, MP state: lib_regs.c) come after it: none depends on the
 *   counter, they cost a few ioctls (microseconds of guest time), and so
 *   a restore's ONE_REG writes stay one run a batch ONE_REG ioctl takes in
 *   one call.
 */
enum arm64_rank {
	RANK_SVE_VLS = 0,
	RANK_FW_BMAP = 10,
	RANK_FW = 20,
	RANK_ID = 30,
	RANK_CCSIDR = 40,
	RANK_PMCR = 50,
	RANK_STATE = 60,
	RANK_COUNTER = 65,
};

/*
 * The ID registers (op0 3, op1 0, CRn 0, CRm 1..7) are the VM's: writing
 * one, allowed until the VM first runs, changes which feature registers
 * every vCPU lists. CLIDR_EL1 sets which CCSIDR values this vCPU lists.
 */
static int arm64_list_changed_by(uint64_t id)
{
	unsigned int enc = ARM64_LOW16(id);
	unsigned int op0 = enc >> 14 & 3, op1 = enc >> 11 & 7;
	unsigned int crn = enc >> 7 & 0xf, crm = enc >> 3 & 0xf, op2 = enc & 7;

	if (ARM64_GROUP(id) != KVM_REG_ARM64_SYSREG || op0 != 3 || crn != 0)
		return KVMREG_LIST_KEPT;
	if (op1 == 0 && crm >= 1 && crm <= 7)
		return KVMREG_LIST_CHANGES_VM;
	if (op1 == 1 && crm == 0 && op2 == 1)
		return KVMREG_LIST_CHANGES_VCPU;
	return KVMREG_LIST_KEPT;
}

/* The guest writes none of those registers. */
static bool arm64_list_follows_value(uint64_t id)
{
	return arm64_list_changed_by(id) != KVMREG_LIST_KEPT;
}

static int arm64_restore_rank(uint64_t id)
{
	unsigned int enc = ARM64_LOW16(id);

	if (kvmreg_arm64_is_lib(id))
		return kvmreg_arm64_lib_rank(id);
	switch (ARM64_GROUP(id)) {
	case KVM_REG_ARM64_SVE:
		return id == KVM_REG_ARM64_SVE_VLS ? RANK_SVE_VLS : RANK_STATE;
	case KVM_REG_ARM_FW_FEAT_BMAP:
		return RANK_FW_BMAP;
	case KVM_REG_ARM_FW:
		return RANK_FW;
	case KVM_REG_ARM_DEMUX:
		return RANK_CCSIDR;
	case KVM_REG_ARM64_SYSREG:
		if (id == KVM_REG_ARM_TIMER_CNT || id == KVM_REG_ARM_PTIMER_CNT)
			return RANK_COUNTER;
		if (is_id_register(enc))
			return RANK_ID;
		if (enc == SYSREG_ENC(3, 3, 9, 12, 0))	/* PMCR_EL0 */
			return RANK_PMCR;
		return RANK_STATE;
	}
	return RANK_STATE;
}

static const char *arm64_restore_reason(uint64_t id)
{
	if (kvmreg_arm64_is_lib(id))
		return kvmreg_arm64_lib_reason(id);
	switch (arm64_restore_rank(id)) {
	case RANK_SVE_VLS:
		return "SVE vector lengths: settable only before KVM_ARM_VCPU_FINALIZE";
	case RANK_FW_BMAP:
		return "firmware feature bitmap: VM-wide, fixed at the first KVM_RUN (EBUSY after)";
	case RANK_FW:
		return "firmware interface: VM-wide configuration";
	case RANK_ID:
		return "ID register: KVM checks other writes against the guest's features; most are fixed at the first KVM_RUN";
	case RANK_CCSIDR:
		return "cache geometry: after CLIDR_EL1, which lists the cache levels";
	case RANK_PMCR:
		return "PMCR_EL0: its N field sets the event counters the other PMU registers mask by";
	case RANK_COUNTER:
		return "counter: writing it sets the guest's counter offset from now, so after the other ONE_REG registers";
	}
	return "vCPU state: no ordering constraint";
}

/* ------------------------------------------------------------------ */

#if defined(__aarch64__)
int kvmreg_arm64_vcpu_setup(struct kvmreg_scratch *scratch,
			    unsigned int flags);
int kvmreg_arm64_list_extra(struct kvmreg_vcpu *vcpu,
			    struct kvmreg_idvec *out,
			    struct kvmreg_idvec *sources);
int kvmreg_arm64_gic_fd(struct kvmreg_vcpu *vcpu, int fd);
extern const struct kvmreg_group_ops kvmreg_arm64_groups;
#define ARM64_VCPU_SETUP kvmreg_arm64_vcpu_setup
int kvmreg_arm64_capture_allowed(struct kvmreg_vcpu *vcpu,
				 const struct kvmreg_state *list,
				 struct kvmreg_state *value,
				 struct kvmreg_state *mask);
#define ARM64_CAPTURE_ALLOWED kvmreg_arm64_capture_allowed
#define ARM64_LIST_EXTRA kvmreg_arm64_list_extra
#define ARM64_GROUPS (&kvmreg_arm64_groups)
#define ARM64_GIC_FD kvmreg_arm64_gic_fd
#else
#define ARM64_VCPU_SETUP NULL
#define ARM64_CAPTURE_ALLOWED NULL
#define ARM64_LIST_EXTRA NULL
#define ARM64_GROUPS NULL
#define ARM64_GIC_FD NULL
#endif

extern const struct kvmreg_feature_ops kvmreg_arm64_features;

static const char *const arm64_aliases[] = { "aarch64", NULL };

const struct kvmreg_arch_driver kvmreg_arch_arm64 = {
	.arch = KVMREG_ARCH_ARM64,
	.name = "arm64",
	.aliases = arm64_aliases,
	.kvm_reg_arch = KVM_REG_ARM64,
	.id_check = arm64_id_check,
	.id_name = arm64_id_name,
	.id_parse = arm64_id_parse,
	.id_group = arm64_id_group,
	.id_is_volatile = arm64_id_is_volatile,
	.known_ids = arm64_known_ids,
	.fallback = arm64_fallback,
	.probe_is_informative = 1,
	/* ONE_REG for every kernel id; the library's (MP state, the vGIC's
	 * per-vCPU registers) through their own ioctls. */
	.list_extra = ARM64_LIST_EXTRA,
	.groups = ARM64_GROUPS,
	.gic_fd = ARM64_GIC_FD,
	.restore_rank = arm64_restore_rank,
	.restore_reason = arm64_restore_reason,
	.list_changed_by = arm64_list_changed_by,
	.list_follows_value = arm64_list_follows_value,
	.vcpu_setup = ARM64_VCPU_SETUP,
	.features = &kvmreg_arm64_features,
	.capture_allowed = ARM64_CAPTURE_ALLOWED,
};
