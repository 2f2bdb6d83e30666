// SPDX-License-Identifier: MIT
/*
 * The x86_64 driver, pure part: names of MSRs (KVM_X86_REG_MSR ids), of the
 * shadow-stack pointer (KVM_X86_REG_KVM), and of the library-defined ids
 * that stand for the state x86 exposes only through struct ioctls
 * (docs/ids.md); restore ranks (docs/arch-x86.md); volatile marks. The
 * ioctls live in host.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "arch/arch.h"
#include "arch/x86_64/uapi.h"
#include "arch/x86_64/ids.h"
#include "arch/x86_64/private.h"
#include "internal.h"

_Static_assert(KVMREG_X86_SSP_ID == KVM_X86_REG_GUEST_SSP_ID,
	       "SSP id disagrees with the kernel layout");
_Static_assert(KVMREG_X86_MSR_ID(0) == KVM_X86_REG_MSR_BASE,
	       "MSR ids disagree with the kernel layout");

/* ------------------------------------------------------------------ */
/* Tables                                                              */

struct msr_name {
	uint32_t index;
	const char *name;	/* short style */
	const char *kernel;	/* the kernel's C expression */
};

static const struct msr_name msr_names[] = {
#define X86_MSR(index, name, kernel) { index, name, kernel },
#include "arch/x86_64/msr_names.h"
#undef X86_MSR
};

static const char *const regs_names[KVMREG_X86_NR_REGS] = {
	"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rsp", "rbp",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
	"rip", "rflags",
};

static const char *const sregs_names[KVMREG_X86_SREGS_END] = {
	[KVMREG_X86_CR0] = "cr0",
	[KVMREG_X86_CR2] = "cr2",
	[KVMREG_X86_CR3] = "cr3",
	[KVMREG_X86_CR4] = "cr4",
	[KVMREG_X86_CR8] = "cr8",
	[KVMREG_X86_EFER] = "efer",
	[KVMREG_X86_APIC_BASE] = "apic_base",
	[KVMREG_X86_INTERRUPT_BITMAP] = "interrupt_bitmap",
	[KVMREG_X86_SREGS2_FLAGS] = "sregs2_flags",
	[KVMREG_X86_PDPTR0] = "pdptr0",
	[KVMREG_X86_PDPTR0 + 1] = "pdptr1",
	[KVMREG_X86_PDPTR0 + 2] = "pdptr2",
	[KVMREG_X86_PDPTR0 + 3] = "pdptr3",
};

static const char *const segment_names[KVMREG_X86_NR_SEGMENTS] = {
	"cs", "ds", "es", "fs", "gs", "ss", "tr", "ldt",
};

static const char *const dtable_names[KVMREG_X86_NR_DTABLES] = {
	"gdt", "idt",
};

static const char *const events_names[KVMREG_X86_EV_END] = {
	[KVMREG_X86_EV_EXCEPTION] = "exception",
	[KVMREG_X86_EV_INTERRUPT] = "interrupt",
	[KVMREG_X86_EV_NMI] = "nmi",
	[KVMREG_X86_EV_SIPI_VECTOR] = "sipi_vector",
	[KVMREG_X86_EV_FLAGS] = "flags",
	[KVMREG_X86_EV_SMI] = "smi",
	[KVMREG_X86_EV_TRIPLE_FAULT] = "triple_fault",
	[KVMREG_X86_EV_HAS_PAYLOAD] = "exception_has_payload",
	[KVMREG_X86_EV_PAYLOAD] = "exception_payload",
};

const struct kvmreg_x86_member kvmreg_x86_events_members[KVMREG_X86_EV_END] = {
	[KVMREG_X86_EV_EXCEPTION] = { 0, 8 },
	[KVMREG_X86_EV_INTERRUPT] = { 8, 4 },
	[KVMREG_X86_EV_NMI] = { 12, 4 },
	[KVMREG_X86_EV_SIPI_VECTOR] = { 16, 4 },
	[KVMREG_X86_EV_FLAGS] = { 20, 4 },
	[KVMREG_X86_EV_SMI] = { 24, 4 },
	[KVMREG_X86_EV_TRIPLE_FAULT] = { 28, 1 },
	[KVMREG_X86_EV_HAS_PAYLOAD] = { 55, 1 },
	[KVMREG_X86_EV_PAYLOAD] = { 56, 8 },
};

static const char *const mp_state_names[1] = { "mp_state" };
static const char *const tsc_khz_names[1] = { "tsc_khz" };

/* The named registers of the APIC page, by 16-byte slot. */
static const char *const lapic_names[KVMREG_X86_NR_LAPIC] = {
	[APIC_ID >> 4] = "ID",
	[APIC_LVR >> 4] = "LVR",
	[APIC_TASKPRI >> 4] = "TPR",
	[APIC_ARBPRI >> 4] = "APR",
	[APIC_PROCPRI >> 4] = "PPR",
	[APIC_EOI >> 4] = "EOI",
	[APIC_RRR >> 4] = "RRR",
	[APIC_LDR >> 4] = "LDR",
	[APIC_DFR >> 4] = "DFR",
	[APIC_SPIV >> 4] = "SPIV",
	[(APIC_ISR >> 4) + 0] = "ISR0", [(APIC_ISR >> 4) + 1] = "ISR1",
	[(APIC_ISR >> 4) + 2] = "ISR2", [(APIC_ISR >> 4) + 3] = "ISR3",
	[(APIC_ISR >> 4) + 4] = "ISR4", [(APIC_ISR >> 4) + 5] = "ISR5",
	[(APIC_ISR >> 4) + 6] = "ISR6", [(APIC_ISR >> 4) + 7] = "ISR7",
	[(APIC_TMR >> 4) + 0] = "TMR0", [(APIC_TMR >> 4) + 1] = "TMR1",
	[(APIC_TMR >> 4) + 2] = "TMR2", [(APIC_TMR >> 4) + 3] = "TMR3",
	[(APIC_TMR >> 4) + 4] = "TMR4", [(APIC_TMR >> 4) + 5] = "TMR5",
	[(APIC_TMR >> 4) + 6] = "TMR6", [(APIC_TMR >> 4) + 7] = "TMR7",
	[(APIC_IRR >> 4) + 0] = "IRR0", [(APIC_IRR >> 4) + 1] = "IRR1",
	[(APIC_IRR >> 4) + 2] = "IRR2", [(APIC_IRR >> 4) + 3] = "IRR3",
	[(APIC_IRR >> 4) + 4] = "IRR4", [(APIC_IRR >> 4) + 5] = "IRR5",
	[(APIC_IRR >> 4) + 6] = "IRR6", [(APIC_IRR >> 4) + 7] = "IRR7",
	[APIC_ESR >> 4] = "ESR",
	[APIC_LVTCMCI >> 4] = "LVTCMCI",
	[APIC_ICR >> 4] = "ICR",
	[APIC_ICR2 >> 4] = "ICR2",
	[APIC_LVTT >> 4] = "LVTT",
	[APIC_LVTTHMR >> 4] = "LVTTHMR",
	[APIC_LVTPC >> 4] = "LVTPC",
	[APIC_LVT0 >> 4] = "LVT0",
	[APIC_LVT1 >> 4] = "LVT1",
	[APIC_LVTERR >> 4] = "LVTERR",
	[APIC_TMICT >> 4] = "TMICT",
	[APIC_TMCCT >> 4] = "TMCCT",
	[APIC_TDCR >> 4] = "TDCR",
	[APIC_SELF_IPI >> 4] = "SELF_IPI",
};

/* Each kind's spelling: short names are <prefix><member>, macro names
 * <macro>(<member>). Kinds with numbered members have no name table. */
static const struct kind_info {
	const char *group;
	const char *macro;
	const char *prefix;
	const char *const *names;
	uint32_t count;
} kinds[KVMREG_X86_KIND_END] = {
	[KVMREG_X86_REGS] = { "regs", "KVMREG_X86_REGS", "", regs_names,
			      KVMREG_X86_NR_REGS },
	[KVMREG_X86_SREGS] = { "sregs", "KVMREG_X86_SREGS", "", sregs_names,
			       KVMREG_X86_SREGS_END },
	[KVMREG_X86_SEGMENT] = { "segment", "KVMREG_X86_SEGMENT", "",
				 segment_names, KVMREG_X86_NR_SEGMENTS },
	[KVMREG_X86_DTABLE] = { "dtable", "KVMREG_X86_DTABLE", "",
				dtable_names, KVMREG_X86_NR_DTABLES },
	[KVMREG_X86_XSAVE] = { "xsave", "KVMREG_X86_XSAVE", "xsave", NULL,
			       0 },
	[KVMREG_X86_XCR] = { "xcr", "KVMREG_X86_XCR", "xcr", NULL, 0 },
	[KVMREG_X86_DEBUGREG] = { "debugreg", "KVMREG_X86_DEBUGREG", "dr",
				  NULL, 0 },
	[KVMREG_X86_LAPIC] = { "lapic", "KVMREG_X86_LAPIC", "lapic.",
			       lapic_names, KVMREG_X86_NR_LAPIC },
	[KVMREG_X86_EVENTS] = { "events", "KVMREG_X86_EVENTS", "events.",
				events_names, KVMREG_X86_EV_END },
	[KVMREG_X86_MP_STATE] = { "mp_state", "KVMREG_X86_MP_STATE", "",
				  mp_state_names, 1 },
	[KVMREG_X86_CPUID] = { "cpuid", "KVMREG_X86_CPUID", "cpuid.", NULL,
			       0 },
	[KVMREG_X86_TSC_KHZ] = { "tsc_khz", "KVMREG_X86_TSC_KHZ", "",
				 tsc_khz_names, 1 },
	[KVMREG_X86_NESTED] = { "nested", "KVMREG_X86_NESTED", "nested", NULL,
				0 },
};

static const struct msr_name *msr_by_index(uint32_t index)
{
	size_t lo = 0, hi = KVMREG_ARRAY_SIZE(msr_names);

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (msr_names[mid].index == index)
			return &msr_names[mid];
		if (msr_names[mid].index < index)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/*
 * Machine-check bank MSRs, named by formula rather than table: 32 banks of
 * 4 (MCi_CTL/STATUS/ADDR/MISC at 0x400 + 4i) and CMCI's MCi_CTL2 at 0x280
 * + i, as the kernel's MSR_IA32_MCx_*(x) macros (msr-index.h).
 */
static const char *const mce_parts[4] = { "CTL", "STATUS", "ADDR", "MISC" };

static int mce_name(uint32_t index, int macro, char *buf, size_t len)
{
	if (index >= MSR_IA32_MC0_CTL &&
	    index < MSR_IA32_MC0_CTL + 4 * KVM_MAX_MCE_BANKS) {
		uint32_t bank = (index - MSR_IA32_MC0_CTL) / 4;
		const char *part = mce_parts[(index - MSR_IA32_MC0_CTL) % 4];

		return macro ? snprintf(buf, len, "KVM_X86_REG_MSR(MSR_IA32_MCx_%s(%" PRIu32 "))",
					part, bank) :
			       snprintf(buf, len, "IA32_MC%" PRIu32 "_%s", bank,
					part);
	}
	if (index >= MSR_IA32_MC0_CTL2 &&
	    index < MSR_IA32_MC0_CTL2 + KVM_MAX_MCE_BANKS)
		return macro ? snprintf(buf, len, "KVM_X86_REG_MSR(MSR_IA32_MCx_CTL2(%" PRIu32 "))",
					index - MSR_IA32_MC0_CTL2) :
			       snprintf(buf, len, "IA32_MC%" PRIu32 "_CTL2",
					index - MSR_IA32_MC0_CTL2);
	return -1;
}

/* "IA32_MC3_STATUS" or "MSR_IA32_MCx_STATUS(3)" (s[0..n), blanks allowed
 * inside the parentheses): 0 and *index, else -ENOENT. */
static int mce_parse(const char *s, size_t n, uint32_t *index)
{
	char part[8];
	unsigned int bank;
	int used = 0;
	char text[48];

	if (n >= sizeof(text))
		return -ENOENT;
	memcpy(text, s, n);
	text[n] = '\0';
	if (sscanf(text, "IA32_MC%u_%7[A-Z2]%n", &bank, part, &used) != 2 ||
	    (size_t)used != n) {
		used = 0;
		if (sscanf(text, "MSR_IA32_MCx_%7[A-Z2] ( %u ) %n", part, &bank,
			   &used) != 2 || (size_t)used != n)
			return -ENOENT;
	}
	if (bank >= KVM_MAX_MCE_BANKS)
		return -ENOENT;
	if (!strcmp(part, "CTL2")) {
		*index = MSR_IA32_MC0_CTL2 + bank;
		return 0;
	}
	for (uint32_t i = 0; i < 4; i++) {
		if (!strcmp(part, mce_parts[i])) {
			*index = MSR_IA32_MC0_CTL + 4 * bank + i;
			return 0;
		}
	}
	return -ENOENT;
}

/* ------------------------------------------------------------------ */
/* Checking                                                            */

static int x86_id_check(uint64_t id)
{
	enum kvmreg_x86_kind kind;
	size_t want;

	if (id_rsvd2(id))
		return kvmreg_set_error(-EINVAL,
					"id 0x%016" PRIx64 ": bits 48-51 are 0x%x, KVM requires 0",
					id, id_rsvd2(id));
	if (id_rsvd1(id) && id_rsvd1(id) != KVMREG_X86_LIB_MARKER)
		return kvmreg_set_error(-EINVAL,
					"id 0x%016" PRIx64 ": bits 40-47 are 0x%02x; KVM requires 0 and libkvmreg's own ids use 0x%02llx",
					id, id_rsvd1(id), KVMREG_X86_LIB_MARKER);
	if (id_rsvd1(id)) {
		kind = kvmreg_x86_lib_kind(id);
		if (!kind)
			return kvmreg_set_error(-EINVAL,
						"id 0x%016" PRIx64 ": library id of unknown kind %u (docs/ids.md lists 1-%d)",
						id, id_type(id),
						KVMREG_X86_KIND_END - 1);
		want = kvmreg_x86_member_size(kind, id_index(id));
		if (!want)
			return kvmreg_set_error(-EINVAL,
						"id 0x%016" PRIx64 ": %s has no member %" PRIu32,
						id, kinds[kind].group,
						id_index(id));
		if (kvmreg_id_size(id) != want)
			return kvmreg_set_error(-EINVAL,
						"id 0x%016" PRIx64 ": %s member %" PRIu32 " is %zu bytes, the id says %zu",
						id, kinds[kind].group,
						id_index(id), want,
						kvmreg_id_size(id));
		return 0;
	}
	if (id_type(id) == KVM_X86_REG_TYPE_MSR &&
	    kvmreg_id_size(id) != 8)
		return kvmreg_set_error(-EINVAL,
					"id 0x%016" PRIx64 ": MSR ids are 8 bytes (KVM_REG_SIZE_U64), this one says %zu",
					id, kvmreg_id_size(id));
	if (id_type(id) == KVM_X86_REG_TYPE_KVM &&
	    id_index(id) == KVM_REG_GUEST_SSP && kvmreg_id_size(id) != 8)
		return kvmreg_set_error(-EINVAL,
					"id 0x%016" PRIx64 ": KVM_REG_GUEST_SSP is 8 bytes, this id says %zu",
					id, kvmreg_id_size(id));
	return 0;
}

/* ------------------------------------------------------------------ */
/* Naming                                                              */

/* Member name of a library id into buf (short: prefixed). */
static void lib_member(uint64_t id, enum kvmreg_x86_kind kind, int macro,
		       char *buf, size_t len, size_t *pos)
{
	const struct kind_info *k = &kinds[kind];
	uint32_t index = id_index(id), function, subleaf;

	switch (kind) {
	case KVMREG_X86_XSAVE:
	case KVMREG_X86_NESTED:
		kvmreg_appendf(buf, len, pos, macro ? "%" PRIu32 : "[%" PRIu32 "]",
			       index);
		return;
	case KVMREG_X86_XCR:
	case KVMREG_X86_DEBUGREG:
		kvmreg_appendf(buf, len, pos, "%" PRIu32, index);
		return;
	case KVMREG_X86_CPUID:
		kvmreg_x86_cpuid_entry(index, &function, &subleaf);
		kvmreg_appendf(buf, len, pos,
			       macro ? "0x%08" PRIx32 ", %" PRIu32 :
				       "0x%08" PRIx32 ".%" PRIu32,
			       function, subleaf);
		return;
	case KVMREG_X86_LAPIC:
		if (!k->names[index]) {
			kvmreg_appendf(buf, len, pos, "0x%03" PRIx32,
				       index << 4);
			return;
		}
		break;
	default:
		break;
	}
	kvmreg_appendf(buf, len, pos, "%s", k->names[index]);
}

static int x86_id_name(uint64_t id, enum kvmreg_name_style style, char *buf,
		       size_t len)
{
	int macro = style == KVMREG_NAME_MACRO;
	enum kvmreg_x86_kind kind = kvmreg_x86_lib_kind(id);
	const struct msr_name *msr;
	size_t pos = 0;

	if (len)
		buf[0] = '\0';
	if (kind) {
		if (macro) {
			kvmreg_appendf(buf, len, &pos, "%s(", kinds[kind].macro);
			lib_member(id, kind, 1, buf, len, &pos);
			kvmreg_appendf(buf, len, &pos, ")");
		} else {
			kvmreg_appendf(buf, len, &pos, "%s", kinds[kind].prefix);
			lib_member(id, kind, 0, buf, len, &pos);
		}
		return (int)pos;
	}
	if (id == KVMREG_X86_SSP_ID)
		return snprintf(buf, len, "%s", macro ?
				"KVM_X86_REG_KVM(KVM_REG_GUEST_SSP)" : "SSP");
	if (!kvmreg_x86_is_msr(id))
		return 0;	/* the core's generic form */
	msr = msr_by_index(id_index(id));
	if (!msr && mce_name(id_index(id), macro, buf, len) >= 0)
		return mce_name(id_index(id), macro, buf, len);
	if (macro)
		return msr ? snprintf(buf, len, "KVM_X86_REG_MSR(%s)",
				      msr->kernel) :
			     snprintf(buf, len, "KVM_X86_REG_MSR(0x%08" PRIx32 ")",
				      id_index(id));
	return msr ? snprintf(buf, len, "%s", msr->name) :
		     snprintf(buf, len, "msr.0x%08" PRIx32, id_index(id));
}

/* ------------------------------------------------------------------ */
/* Parsing                                                             */

/* The text between "prefix(" and a final ")", or NULL. */
static const char *macro_arg(const char *name, const char *macro, size_t *n)
{
	const char *rest = kvmreg_skip_prefix(name, macro);
	size_t len;

	if (!rest || rest[0] != '(')
		return NULL;
	rest++;
	len = strlen(rest);
	if (!len || rest[len - 1] != ')')
		return NULL;
	*n = len - 1;
	return rest;
}

static int parse_u32(const char *s, size_t n, uint32_t *out)
{
	uint64_t v;

	while (n && s[0] == ' ') {
		s++;
		n--;
	}
	while (n && s[n - 1] == ' ')
		n--;
	if (kvmreg_parse_u64(s, n, &v) || v > UINT32_MAX)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

/* Equal, ignoring blanks: "MSR_ARCH_PERFMON_PERFCTR0+2" is fine too. */
static int same_ignoring_blanks(const char *a, size_t an, const char *b)
{
	size_t i = 0;

	for (;;) {
		while (i < an && a[i] == ' ')
			i++;
		while (*b == ' ')
			b++;
		if (i == an || !*b)
			return i == an && !*b;
		if (a[i++] != *b++)
			return 0;
	}
}

static const struct msr_name *msr_by_name(const char *s, size_t n)
{
	for (size_t i = 0; i < KVMREG_ARRAY_SIZE(msr_names); i++)
		if (same_ignoring_blanks(s, n, msr_names[i].name) ||
		    same_ignoring_blanks(s, n, msr_names[i].kernel))
			return &msr_names[i];
	return NULL;
}

/* A member of kind spelled s[0..n); -ENOENT if none. */
static int parse_member(enum kvmreg_x86_kind kind, const char *s, size_t n,
			int macro, uint32_t *index)
{
	const struct kind_info *k = &kinds[kind];
	uint32_t function, subleaf, v;
	const char *dot;

	switch (kind) {
	case KVMREG_X86_XSAVE:
	case KVMREG_X86_NESTED:
		if (!macro) {
			if (n < 2 || s[0] != '[' || s[n - 1] != ']')
				return -ENOENT;
			s++;
			n -= 2;
		}
		if (parse_u32(s, n, index))
			return -ENOENT;
		return kvmreg_x86_member_size(kind, *index) ? 0 : -ERANGE;
	case KVMREG_X86_XCR:
	case KVMREG_X86_DEBUGREG:
		if (parse_u32(s, n, index))
			return -ENOENT;
		return kvmreg_x86_member_size(kind, *index) ? 0 : -ERANGE;
	case KVMREG_X86_CPUID:
		dot = memchr(s, macro ? ',' : '.', n);
		if (!dot || parse_u32(s, (size_t)(dot - s), &function) ||
		    parse_u32(dot + 1, n - (size_t)(dot - s) - 1, &subleaf))
			return -ENOENT;
		return kvmreg_x86_cpuid_member(function, subleaf, index);
	case KVMREG_X86_LAPIC:
		if (n > 2 && s[0] == '0' && s[1] == 'x' && !parse_u32(s, n, &v)) {
			if (v % 16 || v >= KVM_APIC_REG_SIZE)
				return -ERANGE;
			*index = v >> 4;
			return 0;
		}
		break;
	default:
		break;
	}
	for (uint32_t i = 0; i < k->count; i++) {
		if (k->names[i] && strlen(k->names[i]) == n &&
		    !memcmp(k->names[i], s, n)) {
			*index = i;
			return 0;
		}
	}
	return -ENOENT;
}

static int member_error(int err, const char *name, enum kvmreg_x86_kind kind)
{
	if (err == -ERANGE && kind == KVMREG_X86_CPUID)
		return kvmreg_set_error(-EINVAL,
					"%s: CPUID entries need a function without bits 16-23 and a subleaf below 256 (docs/ids.md)",
					name);
	if (err == -ERANGE && kind == KVMREG_X86_LAPIC)
		return kvmreg_set_error(-EINVAL,
					"%s: APIC slots are multiples of 0x10 below 0x400",
					name);
	if (err == -ERANGE)
		return kvmreg_set_error(-EINVAL, "%s: %s has no such member",
					name, kinds[kind].group);
	return kvmreg_set_error(-EINVAL, "%s: not a member of %s (see docs/ids.md)",
				name, kinds[kind].group);
}

static int parse_library(const char *name, uint64_t *id)
{
	for (int kind = 1; kind < KVMREG_X86_KIND_END; kind++) {
		const struct kind_info *k = &kinds[kind];
		const char *arg;
		uint32_t index;
		size_t n;
		int err;

		arg = macro_arg(name, k->macro, &n);
		if (arg) {
			err = parse_member(kind, arg, n, 1, &index);
			if (err)
				return member_error(err, name, kind);
			*id = kvmreg_x86_lib_id(kind, index);
			return 0;
		}
		arg = k->prefix[0] ? kvmreg_skip_prefix(name, k->prefix) : name;
		if (!arg)
			continue;
		err = parse_member(kind, arg, strlen(arg), 0, &index);
		if (err == -ENOENT && !k->prefix[0])
			continue;
		/* "xcr7", "dr5": the prefix says which kind, so say why not */
		if (err == -ENOENT && kind != KVMREG_X86_XSAVE &&
		    kind != KVMREG_X86_NESTED &&
		    kind != KVMREG_X86_XCR && kind != KVMREG_X86_DEBUGREG)
			return member_error(err, name, kind);
		if (err == -ENOENT)
			continue;
		if (err)
			return member_error(err, name, kind);
		*id = kvmreg_x86_lib_id(kind, index);
		return 0;
	}
	return -ENOENT;
}

static int x86_id_parse(const char *name, uint64_t *id)
{
	const struct msr_name *msr;
	const char *arg;
	uint32_t index;
	size_t n;

	arg = macro_arg(name, "KVM_X86_REG_MSR", &n);
	if (arg) {
		msr = msr_by_name(arg, n);
		if (msr)
			index = msr->index;
		else if (mce_parse(arg, n, &index) &&
			 parse_u32(arg, n, &index))
			return kvmreg_set_error(-EINVAL,
						"%s: the argument is neither an MSR name libkvmreg knows nor a 32-bit number",
						name);
		*id = KVMREG_X86_MSR_ID(index);
		return 0;
	}
	arg = macro_arg(name, "KVM_X86_REG_KVM", &n);
	if (arg) {
		if (same_ignoring_blanks(arg, n, "KVM_REG_GUEST_SSP") ||
		    (!parse_u32(arg, n, &index) && index == KVM_REG_GUEST_SSP)) {
			*id = KVMREG_X86_SSP_ID;
			return 0;
		}
		return kvmreg_set_error(-EINVAL,
					"%s: Linux 7.2 defines one KVM register, KVM_REG_GUEST_SSP (0)",
					name);
	}
	arg = kvmreg_skip_prefix(name, "msr.");
	if (arg) {
		if (parse_u32(arg, strlen(arg), &index))
			return kvmreg_set_error(-EINVAL,
						"%s: expected msr.<32-bit number>, e.g. msr.0xc0000080",
						name);
		*id = KVMREG_X86_MSR_ID(index);
		return 0;
	}
	if (!strcmp(name, "SSP")) {
		*id = KVMREG_X86_SSP_ID;
		return 0;
	}
	msr = msr_by_name(name, strlen(name));
	if (msr) {
		*id = KVMREG_X86_MSR_ID(msr->index);
		return 0;
	}
	if (!mce_parse(name, strlen(name), &index)) {
		*id = KVMREG_X86_MSR_ID(index);
		return 0;
	}
	return parse_library(name, id);
}

/* ------------------------------------------------------------------ */
/* Groups, volatility, restore order                                   */

static const char *x86_id_group(uint64_t id)
{
	enum kvmreg_x86_kind kind = kvmreg_x86_lib_kind(id);

	if (kind)
		return kinds[kind].group;
	if (id_rsvd1(id) || id_rsvd2(id))
		return NULL;
	if (id_type(id) == KVM_X86_REG_TYPE_MSR)
		return "msr";
	if (id_type(id) == KVM_X86_REG_TYPE_KVM)
		return "kvm";
	return NULL;
}

/*
 * Values that move while the guest runs without the guest writing them:
 * the TSC and the counters derived from it (APERF/MPERF, Hyper-V reference
 * time and VP runtime), PMU counters and the overflow status they set, and
 * the APIC timer's current count. The kvmclock MSRs hold a guest-physical
 * address, not a time, so they stay put.
 */
static int x86_id_is_volatile(uint64_t id)
{
	uint32_t index = id_index(id);

	if (kvmreg_x86_lib_kind(id) == KVMREG_X86_LAPIC)
		return index == APIC_TMCCT >> 4;
	if (!kvmreg_x86_is_msr(id))
		return 0;
	switch (index) {
	case MSR_IA32_TSC:
	case MSR_IA32_MPERF:
	case MSR_IA32_APERF:
	case MSR_CORE_PERF_GLOBAL_STATUS:
	case MSR_AMD64_PERF_CNTR_GLOBAL_STATUS:
	case HV_X64_MSR_VP_RUNTIME:
	case HV_X64_MSR_TIME_REF_COUNT:
		return 1;
	}
	if ((index >= MSR_ARCH_PERFMON_PERFCTR0 &&
	     index < MSR_ARCH_PERFMON_PERFCTR0 + 8) ||
	    (index >= MSR_IA32_PMC0 && index < MSR_IA32_PMC0 + 8) ||
	    (index >= MSR_ARCH_PERFMON_FIXED_CTR0 &&
	     index < MSR_ARCH_PERFMON_FIXED_CTR0 + 4) ||
	    (index >= MSR_K7_PERFCTR0 && index < MSR_K7_PERFCTR0 + 4))
		return 1;
	return index >= MSR_F15H_PERF_CTR && index <= MSR_F15H_PERF_CTR + 10 &&
	       (index - MSR_F15H_PERF_CTR) % 2 == 0;
}

/* docs/arch-x86.md explains each step; the reasons are kernel behaviour. */
enum {
	RANK_CPUID = 0,
	/* kvm_set_tsc_khz() sets the ratio that the IA32_TSC write
	 * (kvm_synchronize_tsc), the TSC deadline and the LAPIC timer are
	 * computed with; QEMU sets it at vCPU creation, before any state */
	RANK_TSC_KHZ = 2,
	/* KVM_X86_SETUP_MCE sets the bank count the bank MSRs are checked
	 * against (set_msr_mce), the LVT count the LAPIC takes
	 * (kvm_apic_after_set_mcg_cap) and whether IA32_FEATURE_CONTROL may
	 * set LMCE (vmx_setup_mce); it also resets MCG_CTL and MCi_CTL to all
	 * ones, so the banks come after it. QEMU: at vCPU init */
	RANK_MCG_CAP = 3,
	RANK_FEATURE_CONTROL = 5,
	RANK_SREGS = 10,
	/* QEMU's kvm_arch_put_registers: after sregs (EFER.SVME, CR4.VMXE
	 * must be set) and FEATURE_CONTROL, before regs, XSAVE and MSRs, so
	 * that with L2 running those land in L2's context as saved */
	RANK_NESTED = 15,
	RANK_REGS = 20,
	RANK_XSAVE = 30,
	RANK_DEBUGREGS = 40,
	RANK_LAPIC = 50,
	/* MSRs: after CPUID (kvm_mtrr_valid checks MTRR masks against its
	 * MAXPHYADDR; TSC_AUX, SPEC_CTRL, XSS need its bits), after
	 * MCG_CAP (set_msr_mce refuses banks past its count, and
	 * KVM_X86_SETUP_MCE would reset MCi_CTL written before it) and
	 * the LAPIC; MTRR order among themselves is free (KVM only zaps) */
	RANK_MSRS = 60,
	RANK_TSC_DEADLINE = 65,
	RANK_MP_STATE = 70,
	RANK_EVENTS = 80,
};

static int x86_restore_rank(uint64_t id)
{
	switch (kvmreg_x86_lib_kind(id)) {
	case KVMREG_X86_CPUID:
		return RANK_CPUID;
	case KVMREG_X86_SREGS:
	case KVMREG_X86_SEGMENT:
	case KVMREG_X86_DTABLE:
		return RANK_SREGS;
	case KVMREG_X86_REGS:
		return RANK_REGS;
	case KVMREG_X86_XSAVE:
	case KVMREG_X86_XCR:
		return RANK_XSAVE;
	case KVMREG_X86_DEBUGREG:
		return RANK_DEBUGREGS;
	case KVMREG_X86_LAPIC:
		return RANK_LAPIC;
	case KVMREG_X86_MP_STATE:
		return RANK_MP_STATE;
	case KVMREG_X86_EVENTS:
		return RANK_EVENTS;
	case KVMREG_X86_TSC_KHZ:
		return RANK_TSC_KHZ;
	case KVMREG_X86_NESTED:
		return RANK_NESTED;
	default:
		break;
	}
	if (id == KVMREG_X86_MSR_ID(MSR_IA32_MCG_CAP))
		return RANK_MCG_CAP;
	if (id == KVMREG_X86_MSR_ID(MSR_IA32_FEAT_CTL))
		return RANK_FEATURE_CONTROL;
	if (id == KVMREG_X86_MSR_ID(MSR_IA32_TSC_DEADLINE))
		return RANK_TSC_DEADLINE;
	return RANK_MSRS;
}

/*
 * A VMM's own KVM_X86_SETUP_MCE or KVM_SET_MSRS of a capability MSR (QEMU's
 * vCPU init sends both) changes which MSRs the vCPU has: fewer MCE banks
 * fail a save of the kept list, more leave the new banks unsaved. The
 * guest writes none of these MSRs, so each save's read of them shows such
 * a write. CPUID is list_stale's (host_cpuid.c): KVM changes its bits.
 */
static bool x86_list_follows_value(uint64_t id)
{
	return kvmreg_x86_is_msr(id) &&
	       kvmreg_x86_msr_shapes_list((uint32_t)id);
}

/*
 * KVM takes a new vCPU model -- CPUID, and the feature MSRs it checks
 * against CPUID -- until the vCPU first runs (kvm_can_set_cpuid_and_feature_msrs
 * in 7.2's arch/x86/kvm/x86.h); afterwards only the same values. Which MSRs
 * a vCPU reads, which CPUID entries and the nested state it lists follow
 * from that model, and MCG_CAP sets how many MCE banks it has.
 */
static int x86_list_changed_by(uint64_t id)
{
	if (kvmreg_x86_lib_kind(id) == KVMREG_X86_CPUID)
		return KVMREG_LIST_CHANGES_VCPU;
	return x86_list_follows_value(id) ? KVMREG_LIST_CHANGES_VCPU :
					    KVMREG_LIST_KEPT;
}

static const char *x86_restore_reason(uint64_t id)
{
	switch (x86_restore_rank(id)) {
	case RANK_CPUID:
		return "first: guest CPUID decides which MSRs, XSAVE components and CR4/EFER bits KVM accepts";
	case RANK_TSC_KHZ:
		return "after CPUID, before the LAPIC and MSRs: IA32_TSC, the TSC deadline and the LAPIC timer are scaled by the vCPU's TSC frequency";
	case RANK_MCG_CAP:
		return "before FEATURE_CONTROL, the LAPIC and the MCE banks: KVM_X86_SETUP_MCE sets the bank count, the CMCI LVT and LMCE, and resets the banks";
	case RANK_FEATURE_CONTROL:
		return "before other state: a write that leaves VMX operation resets nested state";
	case RANK_NESTED:
		return "after sregs (EFER.SVME, CR4.VMXE) and FEATURE_CONTROL, before regs, XSAVE and MSRs: with L2 running they belong to L2 (QEMU's order)";
	case RANK_SREGS:
		return "before the LAPIC: KVM_SET_SREGS sets the APIC base (xAPIC/x2APIC mode)";
	case RANK_REGS:
		return "before vCPU events: KVM_SET_REGS drops a pending exception";
	case RANK_XSAVE:
		return "after CPUID: KVM checks XSAVE components and XCR0 against it";
	case RANK_DEBUGREGS:
		return "after CPUID: no other dependency";
	case RANK_LAPIC:
		return "after sregs (APIC base), before the TSC deadline MSR (KVM_SET_LAPIC clears it on an LVTT mode change)";
	case RANK_TSC_DEADLINE:
		return "after the LAPIC and IA32_TSC: KVM drops the write unless LVTT is in TSC-deadline mode";
	case RANK_MP_STATE:
		return "after sregs: KVM_SET_SREGS at the reset vector makes the BSP runnable";
	case RANK_EVENTS:
		return "last: KVM_SET_REGS drops pending exceptions; latched INIT and SIPI live in the LAPIC";
	default:
		return "after CPUID and the LAPIC: KVM checks MSR writes against both";
	}
}

/* ------------------------------------------------------------------ */
/* Enumeration without a vCPU, and the property-test list              */

static int x86_fallback(struct kvmreg_vcpu *vcpu, const char *features,
			struct kvmreg_idvec *out)
{
	(void)vcpu;
	if (features && *features)
		return kvmreg_set_error(-EINVAL,
					"x86_64 fallback features: none are defined, got '%s'",
					features);
	/* Kernels before 6.18 have neither the list nor ONE_REG on x86, so
	 * the probe drops SSP there: MSRs and struct state come from
	 * list_extra on every kernel. */
	return kvmreg_idvec_push(out, KVMREG_X86_SSP_ID);
}

static int push_lib(struct kvmreg_idvec *out, enum kvmreg_x86_kind kind,
		    uint32_t index)
{
	uint64_t id = kvmreg_x86_lib_id(kind, index);

	return id ? kvmreg_idvec_push(out, id) : 0;
}

static int x86_known_ids(struct kvmreg_idvec *out)
{
	static const uint32_t cpuid_samples[][2] = {
		{ 0x0, 0 }, { 0x1, 0 }, { 0x7, 0 }, { 0x7, 1 }, { 0xd, 0 },
		{ 0xd, 1 }, { 0xd, 63 }, { 0x40000000, 0 }, { 0x40000001, 0 },
		{ 0x80000001, 0 }, { 0x8000001f, 0 }, { 0xc0000000, 0 },
	};
	static const uint32_t unnamed_msrs[] = { 0x0, 0x1, 0xdeadbeef,
						 0xffffffff };
	int err = kvmreg_idvec_push(out, KVMREG_X86_SSP_ID);

	for (size_t i = 0; !err && i < KVMREG_ARRAY_SIZE(msr_names); i++)
		err = kvmreg_idvec_push(out,
					KVMREG_X86_MSR_ID(msr_names[i].index));
	for (size_t i = 0; !err && i < KVMREG_ARRAY_SIZE(unnamed_msrs); i++)
		err = kvmreg_idvec_push(out, KVMREG_X86_MSR_ID(unnamed_msrs[i]));
	for (uint32_t i = 0; !err && i < 4 * KVM_MAX_MCE_BANKS; i++)
		err = kvmreg_idvec_push(out, KVMREG_X86_MSR_ID(MSR_IA32_MC0_CTL + i));
	for (uint32_t i = 0; !err && i < KVM_MAX_MCE_BANKS; i++)
		err = kvmreg_idvec_push(out, KVMREG_X86_MSR_ID(MSR_IA32_MC0_CTL2 + i));
	for (int kind = 1; !err && kind < KVMREG_X86_KIND_END; kind++) {
		uint32_t member;

		switch (kind) {
		case KVMREG_X86_XSAVE:
			for (uint32_t i = 0; !err && i < 64; i++)
				err = push_lib(out, kind, i);
			err = err ? err : push_lib(out, kind, MAX_XSAVE_CHUNKS - 1);
			break;
		case KVMREG_X86_NESTED:
			for (uint32_t i = 0; !err && i < 40; i++)
				err = push_lib(out, kind, i);
			err = err ? err : push_lib(out, kind,
						   KVMREG_X86_MAX_NESTED_CHUNKS - 1);
			break;
		case KVMREG_X86_XCR:
			for (uint32_t i = 0; !err && i < 16; i++)
				err = push_lib(out, kind, i);
			break;
		case KVMREG_X86_DEBUGREG:
			for (uint32_t i = 0; !err && i < 8; i++)
				err = push_lib(out, kind, i);
			break;
		case KVMREG_X86_CPUID:
			for (size_t i = 0; !err && i < KVMREG_ARRAY_SIZE(cpuid_samples); i++)
				if (!kvmreg_x86_cpuid_member(cpuid_samples[i][0],
							     cpuid_samples[i][1],
							     &member))
					err = push_lib(out, kind, member);
			break;
		default:
			for (uint32_t i = 0; !err && i < kinds[kind].count; i++)
				err = push_lib(out, kind, i);
			break;
		}
	}
	return err;
}

static const char *const x86_aliases[] = { "x86", "x86-64", "amd64",
					   "x64", NULL };

const struct kvmreg_arch_driver kvmreg_arch_x86_64 = {
	.arch = KVMREG_ARCH_X86_64,
	.name = "x86_64",
	.aliases = x86_aliases,
	.kvm_reg_arch = KVM_REG_X86,
	.id_check = x86_id_check,
	.id_name = x86_id_name,
	.id_parse = x86_id_parse,
	.id_group = x86_id_group,
	.id_is_volatile = x86_id_is_volatile,
	.known_ids = x86_known_ids,
	.fallback = x86_fallback,
	.probe_is_informative = 1,
#ifdef __x86_64__
	.list_extra = kvmreg_x86_64_list_extra,
	.list_stale = kvmreg_x86_64_list_stale,
	.groups = &kvmreg_x86_64_groups,
	.vm_setup = kvmreg_x86_64_vm_setup,
	.vcpu_setup = kvmreg_x86_64_vcpu_setup,
	.capture_allowed = kvmreg_x86_64_capture_allowed,
#endif
	.features = &kvmreg_x86_64_features,
	.restore_rank = x86_restore_rank,
	.restore_reason = x86_restore_reason,
	.list_changed_by = x86_list_changed_by,
	.list_follows_value = x86_list_follows_value,
};
