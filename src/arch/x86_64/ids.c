// SPDX-License-Identifier: MIT
/*
 * The encoding of the x86 library-defined ids (docs/ids.md) and the ioctl
 * group of every id: pure code that both the names (driver.c) and the
 * ioctl files (host*.c) use, so neither has to lean on the other.
 */
#include <errno.h>

#include "arch/x86_64/ids.h"
#include "internal.h"

/* Bytes of member index of kind; 0: no such member. */
size_t kvmreg_x86_member_size(enum kvmreg_x86_kind kind, uint32_t index)
{
	switch (kind) {
	case KVMREG_X86_REGS:
		return index < KVMREG_X86_NR_REGS ? 8 : 0;
	case KVMREG_X86_SREGS:
		if (index == KVMREG_X86_INTERRUPT_BITMAP)
			return 32;
		return index < KVMREG_X86_SREGS_END ? 8 : 0;
	case KVMREG_X86_SEGMENT:
		/* struct kvm_segment is 24 bytes; sizes are powers of two */
		return index < KVMREG_X86_NR_SEGMENTS ? 32 : 0;
	case KVMREG_X86_DTABLE:
		return index < KVMREG_X86_NR_DTABLES ? 16 : 0;
	case KVMREG_X86_XSAVE:
		return index < MAX_XSAVE_CHUNKS ? KVMREG_X86_CHUNK : 0;
	case KVMREG_X86_XCR:
		return 8;
	case KVMREG_X86_DEBUGREG:
		return index <= 3 || index == 6 || index == 7 ? 8 : 0;
	case KVMREG_X86_LAPIC:
		return index < KVMREG_X86_NR_LAPIC ? 16 : 0;
	case KVMREG_X86_EVENTS:
		return index < KVMREG_X86_EV_END ?
		       kvmreg_x86_events_members[index].size : 0;
	case KVMREG_X86_MP_STATE:
		return index == 0 ? 4 : 0;
	case KVMREG_X86_CPUID:
		return 32;
	case KVMREG_X86_TSC_KHZ:
		return index == 0 ? 4 : 0;
	case KVMREG_X86_NESTED:
		return index < KVMREG_X86_MAX_NESTED_CHUNKS ?
		       KVMREG_X86_CHUNK : 0;
	case KVMREG_X86_KIND_END:
		break;
	}
	return 0;
}

uint64_t kvmreg_x86_lib_id(enum kvmreg_x86_kind kind, uint32_t index)
{
	size_t size = (unsigned int)kind < KVMREG_X86_KIND_END ?
		      kvmreg_x86_member_size(kind, index) : 0;

	if (!size)
		return 0;
	return KVMREG_X86_ARCH_FIELD |
	       (uint64_t)kvmreg_size_field(size) << KVM_REG_SIZE_SHIFT |
	       KVMREG_X86_LIB_MARKER << KVMREG_X86_LIB_SHIFT |
	       (uint64_t)kind << KVMREG_X86_KIND_SHIFT | index;
}

enum kvmreg_x86_kind kvmreg_x86_lib_kind(uint64_t id)
{
	unsigned int kind = id_type(id);

	if ((id & KVM_REG_ARCH_MASK) != KVM_REG_X86 ||
	    id_rsvd1(id) != KVMREG_X86_LIB_MARKER || id_rsvd2(id) ||
	    kind == 0 || kind >= KVMREG_X86_KIND_END)
		return 0;
	return (enum kvmreg_x86_kind)kind;
}

/*
 * CPUID functions live in four ranges (0x0, 0x4000_0000, 0x8000_0000,
 * 0xc000_0000) of a few hundred leaves, with up to a few dozen subleaves:
 * member = function bits 24-31 | function bits 0-15 << 8 | subleaf.
 */
int kvmreg_x86_cpuid_member(uint32_t function, uint32_t index,
			    uint32_t *member)
{
	if ((function & 0x00ff0000u) || index > 0xff)
		return -ERANGE;
	*member = (function & 0xff000000u) | (function & 0xffffu) << 8 | index;
	return 0;
}

void kvmreg_x86_cpuid_entry(uint32_t member, uint32_t *function,
			    uint32_t *index)
{
	*function = (member & 0xff000000u) | (member >> 8 & 0xffffu);
	*index = member & 0xff;
}

uint32_t kvmreg_x86_group_of(uint64_t id)
{
	static const uint32_t by_kind[KVMREG_X86_KIND_END] = {
		[KVMREG_X86_REGS] = KVMREG_X86_G_REGS,
		[KVMREG_X86_SREGS] = KVMREG_X86_G_SREGS,
		[KVMREG_X86_SEGMENT] = KVMREG_X86_G_SREGS,
		[KVMREG_X86_DTABLE] = KVMREG_X86_G_SREGS,
		[KVMREG_X86_XSAVE] = KVMREG_X86_G_XSAVE,
		[KVMREG_X86_XCR] = KVMREG_X86_G_XCRS,
		[KVMREG_X86_DEBUGREG] = KVMREG_X86_G_DEBUGREGS,
		[KVMREG_X86_LAPIC] = KVMREG_X86_G_LAPIC,
		[KVMREG_X86_EVENTS] = KVMREG_X86_G_EVENTS,
		[KVMREG_X86_MP_STATE] = KVMREG_X86_G_MP_STATE,
		[KVMREG_X86_CPUID] = KVMREG_X86_G_CPUID,
		[KVMREG_X86_TSC_KHZ] = KVMREG_X86_G_TSC_KHZ,
		[KVMREG_X86_NESTED] = KVMREG_X86_G_NESTED,
	};
	enum kvmreg_x86_kind kind = kvmreg_x86_lib_kind(id);

	if (kind)
		return by_kind[kind];
	if (id == KVMREG_X86_MSR_ID(MSR_IA32_MCG_CAP))
		return KVMREG_X86_G_MCG_CAP;
	return kvmreg_x86_is_msr(id) ? KVMREG_X86_G_MSRS : KVMREG_X86_G_ONE_REG;
}

bool kvmreg_x86_msr_shapes_list(uint32_t index)
{
	switch (index) {
	case 0x10a:	/* IA32_ARCH_CAPABILITIES */
	case MSR_IA32_MCG_CAP:
	case 0x345:	/* IA32_PERF_CAPABILITIES */
		return true;
	default:
		/* the VMX capability MSRs, IA32_VMX_BASIC .. IA32_VMX_VMFUNC */
		return index >= 0x480 && index <= 0x491;
	}
}
