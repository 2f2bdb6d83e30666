// SPDX-License-Identifier: MIT
/*
 * x86_64 scratch VM and vCPU (x86 hosts only): what a VMM sets up before
 * it saves or restores a vCPU -- the in-kernel irqchip and a CPUID table.
 */
#include <errno.h>
#include <stdbool.h>
#include <sys/ioctl.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86_64/host_data.h"

/*
 * An in-kernel irqchip, as QEMU and Firecracker create: without one there
 * is no LAPIC state, MP states other than RUNNABLE are refused, and so is
 * any write to MSR_KVM_ASYNC_PF_INT. It must exist before the vCPU.
 */
int kvmreg_x86_64_vm_setup(struct kvmreg_scratch *s, unsigned int flags)
{
	struct kvm_enable_cap split = {
		.cap = KVM_CAP_SPLIT_IRQCHIP, .args = { 24 },
	};
	int err;

	(void)flags;
	if (ioctl(s->vm_fd, KVM_CREATE_IRQCHIP, 0) == 0)
		return 0;
	err = -errno;
	/* Hosts without the PIC/IOAPIC emulation can still have the LAPIC. */
	if (ioctl(s->vm_fd, KVM_ENABLE_CAP, &split) == 0)
		return 0;
	return kvmreg_set_error(err, "KVM_CREATE_IRQCHIP: %s; split irqchip: %s",
				strerror(-err), strerror(errno));
}

#define CPUID_1_ECX_X2APIC		(1u << 21)
#define CPUID_1_ECX_TSC_DEADLINE	(1u << 24)

static int supported_cpuid(int kvm_fd, struct kvm_cpuid2 **out)
{
	for (uint32_t cap = CPUID_ENTRIES; cap <= 16 * CPUID_ENTRIES; cap *= 2) {
		struct kvm_cpuid2 *t = calloc(1, sizeof(*t) + cap *
					      sizeof(struct kvm_cpuid_entry2));

		if (!t)
			return kvmreg_set_error(-ENOMEM, "out of memory");
		t->nent = cap;
		if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, t) == 0) {
			*out = t;
			return 0;
		}
		free(t);
		if (errno != E2BIG)
			return kvmreg_set_error(-errno,
						"KVM_GET_SUPPORTED_CPUID: %s",
						strerror(errno));
	}
	return kvmreg_set_error(-E2BIG, "KVM_GET_SUPPORTED_CPUID: over %d entries",
				16 * CPUID_ENTRIES);
}

int kvmreg_x86_64_vcpu_setup(struct kvmreg_scratch *s, unsigned int flags)
{
	struct kvm_lapic_state *lapic;
	struct kvm_cpuid2 *cpuid = NULL;
	bool has_lapic;
	int err;

	if (flags & (KVMREG_SCRATCH_SVE | KVMREG_SCRATCH_PMU))
		return kvmreg_set_error(-EINVAL,
					"KVMREG_SCRATCH_SVE and KVMREG_SCRATCH_PMU are arm64 flags");
	err = supported_cpuid(s->kvm_fd, &cpuid);
	if (err)
		return err;
	lapic = calloc(1, sizeof(*lapic));
	if (!lapic) {
		free(cpuid);
		return kvmreg_set_error(-ENOMEM, "out of memory");
	}
	has_lapic = kvmreg_vcpu_ioctl(s->vcpu, KVM_GET_LAPIC, lapic) == 0;
	free(lapic);
	/*
	 * As QEMU does: the TSC-deadline timer is not in the supported set
	 * but works with an in-kernel LAPIC; x2APIC is listed but needs one.
	 */
	for (uint32_t k = 0; k < cpuid->nent; k++) {
		struct kvm_cpuid_entry2 *e = &cpuid->entries[k];

		/*
		 * The APIC id fields come back as those of the host CPU the
		 * call ran on; the scratch vCPU is vCPU 0, as a VMM would say,
		 * so two saves on different host CPUs compare equal.
		 */
		if (e->function == 0xb || e->function == 0x1f)
			e->edx = 0;
		if (e->function != 1)
			continue;
		e->ebx &= 0x00ffffffu;
		if (has_lapic &&
		    ioctl(s->kvm_fd, KVM_CHECK_EXTENSION,
			  KVM_CAP_TSC_DEADLINE_TIMER) > 0)
			e->ecx |= CPUID_1_ECX_TSC_DEADLINE;
		if (!has_lapic)
			e->ecx &= ~CPUID_1_ECX_X2APIC;
	}
	err = kvmreg_vcpu_ioctl(s->vcpu, KVM_SET_CPUID2, cpuid);
	free(cpuid);
	if (err < 0)
		return kvmreg_set_error(err, "KVM_SET_CPUID2: %s", strerror(-err));
	return 0;
}

/*
 * What a capture records: per CPUID entry, the bits this host's KVM gives
 * a guest: KVM_GET_SUPPORTED_CPUID, and what a vCPU set up with it really
 * holds (a scratch VM's KVM_GET_CPUID2), which some KVMs fill further (the
 * kvm_pvm module adds the host's SSE3..AVX bits: docs/migration.md).
 */
int kvmreg_x86_64_capture_allowed(struct kvmreg_vcpu *vcpu,
				  const struct kvmreg_state *list,
				  struct kvmreg_state *value,
				  struct kvmreg_state *mask)
{
	static const uint8_t no_mask[KVMREG_X86_CPUID_SIZE];
	struct kvm_cpuid2 *tables[2] = { NULL, NULL };
	struct kvmreg_scratch probe;
	int err;

	(void)list;
	if (vcpu->kvm_fd < 0)
		return 0;	/* no /dev/kvm fd: nothing to ask */
	err = supported_cpuid(vcpu->kvm_fd, &tables[0]);
	if (err)
		return err;
	if (!kvmreg_scratch_create(0, &probe)) {
		tables[1] = calloc(1, sizeof(*tables[1]) + CPUID_ENTRIES *
				   sizeof(struct kvm_cpuid_entry2));
		if (tables[1]) {
			tables[1]->nent = CPUID_ENTRIES;
			if (ioctl(probe.vcpu_fd, KVM_GET_CPUID2, tables[1])) {
				free(tables[1]);
				tables[1] = NULL;
			}
		}
		kvmreg_scratch_destroy(&probe);
	}
	for (int t = 0; !err && t < 2 && tables[t]; t++) {
		for (uint32_t k = 0; !err && k < tables[t]->nent; k++) {
			const struct kvm_cpuid_entry2 *e = &tables[t]->entries[k];
			uint8_t v[KVMREG_X86_CPUID_SIZE] = { 0 };
			const uint8_t *had;
			uint32_t member;
			uint64_t id;

			if (kvmreg_x86_cpuid_member(e->function, e->index,
						    &member))
				continue;
			id = kvmreg_x86_lib_id(KVMREG_X86_CPUID, member);
			/* The register's layout: eax..edx, flags, zeros. */
			memcpy(v, &e->eax, 16);
			memcpy(v + 16, &e->flags, 4);
			had = kvmreg_state_get(value, id);
			for (size_t b = 0; had && b < 16; b++)
				v[b] |= had[b];
			err = kvmreg_state_set(value, id, v, sizeof(v));
			if (!err)
				err = kvmreg_state_set(mask, id, no_mask,
						       sizeof(no_mask));
		}
	}
	free(tables[0]);
	free(tables[1]);
	return err;
}
