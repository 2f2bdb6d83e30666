// SPDX-License-Identifier: MIT
/*
 * x86 migration rules (docs/migration.md). The guest's machine is its
 * CPUID table, which a restore writes whole with KVM_SET_CPUID2: so a
 * CPUID entry is never "missing" on a vCPU whose table is still empty.
 * KVM_SET_CPUID2 takes feature bits KVM cannot provide, so such a bit is
 * no refused write but a guest that sees a feature the host lacks: the
 * feature words are checked bit by bit against KVM_GET_SUPPORTED_CPUID.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "arch/arch.h"
#include "core/internal.h"
#include "private.h"

/* The words of CPUID whose bits each announce one feature. */
static const struct feature_word {
	uint32_t function, index;
	uint8_t reg;		/* 0 eax, 1 ebx, 2 ecx, 3 edx */
	/* Bits KVM sets on its own or the guest toggles: OSXSAVE and OSPKE
	 * follow CR4, APIC the APIC base MSR, TSC-deadline and x2APIC are
	 * emulated with an in-kernel LAPIC (KVM_GET_SUPPORTED_CPUID leaves
	 * out TSC-deadline all the same). */
	uint32_t dynamic;
} feature_words[] = {
	{ 0x1, 0, 2, (1u << 27) | (1u << 24) | (1u << 21) },
	{ 0x1, 0, 3, 1u << 9 },
	{ 0x7, 0, 1, 0 },
	{ 0x7, 0, 2, 1u << 4 },
	{ 0x7, 0, 3, 0 },
	{ 0x7, 1, 0, 0 },
	{ 0x7, 1, 3, 0 },
	{ 0xd, 1, 0, 0 },
	{ 0x40000001, 0, 0, 0 },
	{ 0x80000001, 0, 2, 0 },
	{ 0x80000001, 0, 3, 0 },
	{ 0x80000008, 0, 1, 0 },
};

static const char reg_names[4][4] = { "EAX", "EBX", "ECX", "EDX" };

/* Whether id is a CPUID entry (a library id, docs/ids.md), read from its
 * bits here so the rules need nothing of driver.c. */
static int is_cpuid(uint64_t id)
{
	return (id & 0xff00000000000000ULL) == KVMREG_X86_ARCH_FIELD &&
	       (id >> KVMREG_X86_LIB_SHIFT & 0xff) == KVMREG_X86_LIB_MARKER &&
	       (id >> KVMREG_X86_KIND_SHIFT & 0xff) == KVMREG_X86_CPUID;
}

/* member = function bits 24-31 | function bits 0-15 << 8 | subleaf */
static int cpuid_of(uint64_t id, uint32_t *function, uint32_t *index)
{
	uint32_t member = (uint32_t)id;

	if (!is_cpuid(id))
		return 0;
	*function = (member & 0xff000000u) | (member >> 8 & 0xffffu);
	*index = member & 0xff;
	return 1;
}

static uint32_t word(const uint8_t *value, unsigned int reg)
{
	uint32_t w;

	memcpy(&w, value + 4 * reg, 4);
	return w;
}

static void set_word(uint8_t *value, unsigned int reg, uint32_t w)
{
	memcpy(value + 4 * reg, &w, 4);
}

/* Bit list "3,5,17" of x into buf. */
static void bit_list(uint32_t x, char *buf, size_t len)
{
	size_t pos = 0;

	buf[0] = '\0';
	for (int b = 0; b < 32; b++)
		if (x & (1u << b))
			kvmreg_appendf(buf, len, &pos, "%s%d", pos ? "," : "", b);
}

/* A CPUID entry, when the state holds leaf 0 (the same id, member 0):
 * then its table is whole, and KVM_SET_CPUID2 writes it so. */
static int x86_restore_creates(const struct kvmreg_state *state, uint64_t id)
{
	return is_cpuid(id) &&
	       kvmreg_state_get(state, id & ~0xffffffffULL);
}

static int x86_is_feature(uint64_t id)
{
	uint32_t function, index;

	if (!cpuid_of(id, &function, &index))
		return 0;
	for (size_t i = 0; i < KVMREG_ARRAY_SIZE(feature_words); i++)
		if (feature_words[i].function == function &&
		    feature_words[i].index == index)
			return 1;
	return 0;
}

static enum kvmreg_feature_effect x86_check(uint64_t id, const uint8_t *saved,
					    const uint8_t *value,
					    const uint8_t *mask, char *why,
					    size_t len)
{
	uint32_t function, index;
	size_t pos = 0;

	(void)mask;
	if (!cpuid_of(id, &function, &index))
		return KVMREG_FEATURE_OK;
	for (size_t i = 0; i < KVMREG_ARRAY_SIZE(feature_words); i++) {
		const struct feature_word *f = &feature_words[i];
		uint32_t extra;
		char bits[128];

		if (f->function != function || f->index != index)
			continue;
		extra = word(saved, f->reg) & ~word(value, f->reg) & ~f->dynamic;
		if (!extra)
			continue;
		bit_list(extra, bits, sizeof(bits));
		kvmreg_appendf(why, len, &pos,
			       "%sCPUID.(0x%" PRIx32 ",%" PRIu32 ").%s bits %s set, which KVM_GET_SUPPORTED_CPUID on the host lacks: the guest sees features the host cannot give",
			       pos ? "; " : "", function, index,
			       reg_names[f->reg], bits);
	}
	return pos ? KVMREG_FEATURE_GUEST_DIFFERS : KVMREG_FEATURE_OK;
}

/* Feature words: the bits both hosts support; the rest: host a's. */
static int x86_meet(uint64_t id, const uint8_t *a_value, const uint8_t *a_mask,
		    const uint8_t *b_value, const uint8_t *b_mask,
		    uint8_t *out_value, uint8_t *out_mask, char *lost,
		    size_t len)
{
	uint32_t function, index;
	size_t size = kvmreg_size_of(id), pos = 0;
	int bits = 0;

	(void)b_mask;
	memcpy(out_value, a_value, size);
	memcpy(out_mask, a_mask, size);
	if (!cpuid_of(id, &function, &index))
		return 0;
	for (size_t i = 0; i < KVMREG_ARRAY_SIZE(feature_words); i++) {
		const struct feature_word *f = &feature_words[i];
		uint32_t a, gone;
		char list[128];

		if (f->function != function || f->index != index)
			continue;
		a = word(a_value, f->reg);
		gone = a & ~word(b_value, f->reg) & ~f->dynamic;
		set_word(out_value, f->reg, a & ~gone);
		if (!gone)
			continue;
		bits += __builtin_popcount(gone);
		bit_list(gone, list, sizeof(list));
		kvmreg_appendf(lost, len, &pos, "%s%s bits %s",
			       pos ? "; " : "", reg_names[f->reg], list);
	}
	return bits;
}

const struct kvmreg_feature_ops kvmreg_x86_64_features = {
	.restore_creates = x86_restore_creates,
	.is_feature = x86_is_feature,
	.check = x86_check,
	.meet = x86_meet,
};
