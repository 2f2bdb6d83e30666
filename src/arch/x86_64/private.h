/* SPDX-License-Identifier: MIT */
/*
 * What the x86_64 name code (driver.c, ids.c; builds everywhere) and the x86_64
 * ioctl code (host.c, x86 hosts only) share: the encoding of the
 * library-defined ids (docs/ids.md), their members, and the ioctl groups.
 * Uses no kernel header, so both files can include it.
 */
#ifndef KVMREG_ARCH_X86_64_H
#define KVMREG_ARCH_X86_64_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/arch.h"

/*
 * A library id: arch 0x20, the member's size field, rsvd1 (bits 40-47) =
 * KVMREG_X86_LIB_MARKER, type (bits 32-39) = kind, index = member. The
 * kernel rejects any id with rsvd1 != 0, so it never issued one of these.
 */
#define KVMREG_X86_ARCH_FIELD	0x2000000000000000ULL
#define KVMREG_X86_LIB_MARKER	0x6bULL
#define KVMREG_X86_LIB_SHIFT	40
#define KVMREG_X86_KIND_SHIFT	32

enum kvmreg_x86_kind {
	KVMREG_X86_REGS = 1,	/* struct kvm_regs: rax..rflags */
	KVMREG_X86_SREGS,	/* control registers etc. of kvm_sregs(2) */
	KVMREG_X86_SEGMENT,	/* struct kvm_segment cs..ldt */
	KVMREG_X86_DTABLE,	/* struct kvm_dtable gdt, idt */
	KVMREG_X86_XSAVE,	/* 256-byte chunks of the XSAVE area */
	KVMREG_X86_XCR,		/* one per XCR number */
	KVMREG_X86_DEBUGREG,	/* dr0-dr3, dr6, dr7 */
	KVMREG_X86_LAPIC,	/* 16-byte slots of the APIC page */
	KVMREG_X86_EVENTS,	/* members of struct kvm_vcpu_events */
	KVMREG_X86_MP_STATE,	/* struct kvm_mp_state */
	KVMREG_X86_CPUID,	/* one per (function, index) entry */
	KVMREG_X86_TSC_KHZ,	/* KVM_GET/SET_TSC_KHZ: u32 kHz */
	KVMREG_X86_NESTED,	/* 256-byte chunks of struct kvm_nested_state */
	KVMREG_X86_KIND_END
};

/* Members of KVMREG_X86_SREGS. */
enum {
	KVMREG_X86_CR0,
	KVMREG_X86_CR2,
	KVMREG_X86_CR3,
	KVMREG_X86_CR4,
	KVMREG_X86_CR8,
	KVMREG_X86_EFER,
	KVMREG_X86_APIC_BASE,
	KVMREG_X86_INTERRUPT_BITMAP,	/* KVM_GET_SREGS only */
	KVMREG_X86_SREGS2_FLAGS,	/* KVM_GET_SREGS2 only, as pdptr0-3 */
	KVMREG_X86_PDPTR0,
	KVMREG_X86_SREGS_END = KVMREG_X86_PDPTR0 + 4
};

#define KVMREG_X86_NR_REGS	18
#define KVMREG_X86_NR_SEGMENTS	8
#define KVMREG_X86_NR_DTABLES	2
#define KVMREG_X86_NR_LAPIC	64
#define KVMREG_X86_CHUNK	256	/* bytes per XSAVE or nested-state chunk */
/* Nested state: KVM_CAP_NESTED_STATE is 8320 bytes on VMX (7.2), 4224 on
 * SVM; a bound keeps a typo from naming megabytes. */
#define KVMREG_X86_MAX_NESTED_CHUNKS	256u

/* struct kvm_vcpu_events: 64 bytes; its members by index, offset, size. */
#define KVMREG_X86_EVENTS_BYTES	64
enum {
	KVMREG_X86_EV_EXCEPTION,	/* offset 0, 8 bytes */
	KVMREG_X86_EV_INTERRUPT,	/* 8, 4 */
	KVMREG_X86_EV_NMI,		/* 12, 4 */
	KVMREG_X86_EV_SIPI_VECTOR,	/* 16, 4 */
	KVMREG_X86_EV_FLAGS,		/* 20, 4 */
	KVMREG_X86_EV_SMI,		/* 24, 4 */
	KVMREG_X86_EV_TRIPLE_FAULT,	/* 28, 1 */
	KVMREG_X86_EV_HAS_PAYLOAD,	/* 55, 1 */
	KVMREG_X86_EV_PAYLOAD,		/* 56, 8 */
	KVMREG_X86_EV_END
};
extern const struct kvmreg_x86_member {
	uint8_t offset;
	uint8_t size;
} kvmreg_x86_events_members[KVMREG_X86_EV_END];

/* A CPUID register: eax, ebx, ecx, edx, flags (u32 each), 12 zero bytes. */
#define KVMREG_X86_CPUID_USED	20
#define KVMREG_X86_CPUID_SIZE	32

/* The ioctl groups (struct kvmreg_group_ops keys); 0 is plain ONE_REG. */
enum kvmreg_x86_group {
	KVMREG_X86_G_ONE_REG,
	KVMREG_X86_G_REGS,
	KVMREG_X86_G_SREGS,
	KVMREG_X86_G_XSAVE,
	KVMREG_X86_G_XCRS,
	KVMREG_X86_G_DEBUGREGS,
	KVMREG_X86_G_LAPIC,
	KVMREG_X86_G_EVENTS,
	KVMREG_X86_G_MP_STATE,
	KVMREG_X86_G_CPUID,
	KVMREG_X86_G_MSRS,
	KVMREG_X86_G_MCG_CAP,	/* read as an MSR, written by KVM_X86_SETUP_MCE */
	KVMREG_X86_G_TSC_KHZ,
	KVMREG_X86_G_NESTED,
};

/* KVM_X86_REG_MSR(index) and the SSP id, without the kernel's header. */
#define KVMREG_X86_MSR_ID(index) \
	(0x2030000200000000ULL | (uint32_t)(index))
#define KVMREG_X86_SSP_ID	0x2030000300000000ULL

static inline int kvmreg_x86_is_msr(uint64_t id)
{
	return (id & ~0xffffffffULL) == 0x2030000200000000ULL;
}

/* The id of member index of kind; 0 if kind has no such member. */
uint64_t kvmreg_x86_lib_id(enum kvmreg_x86_kind kind, uint32_t index);
/* The kind of a library id, 0 for any other id. */
enum kvmreg_x86_kind kvmreg_x86_lib_kind(uint64_t id);

/* CPUID (function, index) <-> member index: -ERANGE if not representable. */
int kvmreg_x86_cpuid_member(uint32_t function, uint32_t index,
			    uint32_t *member);
void kvmreg_x86_cpuid_entry(uint32_t member, uint32_t *function,
			    uint32_t *index);

uint32_t kvmreg_x86_group_of(uint64_t id);

/*
 * The MSRs whose value decides which other MSRs a vCPU has: MCG_CAP the
 * MCE banks, the capability MSRs the LBR, TSX and VMX MSRs KVM serves.
 * Setting one can change the vCPU's register list.
 */
bool kvmreg_x86_msr_shapes_list(uint32_t index);

/* host.c, on x86 hosts only. */
extern const struct kvmreg_group_ops kvmreg_x86_64_groups;
int kvmreg_x86_64_list_extra(struct kvmreg_vcpu *vcpu,
			     struct kvmreg_idvec *out,
			     struct kvmreg_idvec *sources);
/* host_cpuid.c: the list_stale hook (the CPUID leaves changed). */
int kvmreg_x86_64_list_stale(struct kvmreg_vcpu *vcpu);
int kvmreg_x86_64_vm_setup(struct kvmreg_scratch *scratch,
			   unsigned int flags);
int kvmreg_x86_64_vcpu_setup(struct kvmreg_scratch *scratch,
			     unsigned int flags);
/* Migration (features.c; the capture half in host.c). */
struct kvmreg_feature_ops;
extern const struct kvmreg_feature_ops kvmreg_x86_64_features;
int kvmreg_x86_64_capture_allowed(struct kvmreg_vcpu *vcpu,
				  const struct kvmreg_state *list,
				  struct kvmreg_state *value,
				  struct kvmreg_state *mask);

#endif /* KVMREG_ARCH_X86_64_H */
