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

#include "arch/x86_64/host.h"

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
