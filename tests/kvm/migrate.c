// SPDX-License-Identifier: MIT
/*
 * Compat against what really happens, on real KVM: the verdict for a state
 * and a capture of a vCPU set up like the destination must agree with
 * kvmreg_restore_fresh() into that vCPU. The case the verdict used to get
 * wrong: a vCPU fresh from KVM_CREATE_VCPU (x86: its CPUID table still
 * empty), which every VMM restores into.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "arch/arch.h"
#include "harness.h"
#include "kvmreg.h"
#include "lib/testutil.h"

#define KVM_CREATE_VCPU_NR	0xae41	/* _IO(KVMIO, 0x41) */
#define KVM_CREATE_VM_NR	0xae01	/* _IO(KVMIO, 0x01) */

/*
 * A vCPU as a VMM has it just before a restore: the VM set up as the
 * driver does for a scratch VM (x86: the in-kernel irqchip), the vCPU
 * created and nothing else. arm64 cannot use a vCPU in that state: it
 * needs KVM_ARM_VCPU_INIT before any register access.
 */
static int fresh_vcpu(struct kvmreg_scratch *s)
{
	const struct kvmreg_arch_driver *d = kvmreg_driver(kvmreg_arch_host());

	memset(s, 0, sizeof(*s));
	s->kvm_fd = s->vm_fd = s->vcpu_fd = -1;
	s->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (s->kvm_fd < 0)
		return -errno;
	s->vm_fd = ioctl(s->kvm_fd, KVM_CREATE_VM_NR, 0);
	if (s->vm_fd < 0)
		return -errno;
	if (d->vm_setup && d->vm_setup(s, 0))
		return -EIO;
	s->vcpu_fd = ioctl(s->vm_fd, KVM_CREATE_VCPU_NR, 0);
	if (s->vcpu_fd < 0)
		return -errno;
	return kvmreg_vcpu_attach(s->kvm_fd, s->vm_fd, s->vcpu_fd, &s->vcpu);
}

static size_t findings_of(const struct kvmreg_compat *c,
			  enum kvmreg_finding_kind kind)
{
	size_t n = 0;

	for (size_t i = 0; i < c->finding_count; i++)
		n += c->findings[i].kind == kind;
	return n;
}

TEST(fresh_vcpu_capture_agrees_with_restore_fresh)
{
	struct kvmreg_scratch a, fresh;
	struct kvmreg_state *saved = NULL, *cap = NULL;
	struct kvmreg_compat *c = NULL;
	int restored;

	NEED_KVM();
	if (kvmreg_arch_host() == KVMREG_ARCH_ARM64)
		SKIP("an arm64 vCPU has no registers before KVM_ARM_VCPU_INIT");
	REQUIRE(kvmreg_scratch_create(0, &a) == 0, "%s", kvmreg_error());
	REQUIRE(kvmreg_save(a.vcpu, &saved) == 0, "%s", kvmreg_error());
	REQUIRE(fresh_vcpu(&fresh) == 0, "%s", kvmreg_error());
	REQUIRE(kvmreg_capture(fresh.vcpu, &cap) == 0, "%s", kvmreg_error());
	REQUIRE(kvmreg_state_compat(saved, cap, &c) == 0, "%s", kvmreg_error());
	restored = kvmreg_restore_fresh(fresh.vcpu, saved);
	EXPECT(restored == 0, "restore_fresh into the fresh vCPU: %s",
	       kvmreg_error());
	EXPECT(c->verdict != KVMREG_COMPAT_INCOMPATIBLE,
	       "verdict %s, %zu missing, though the restore %s",
	       kvmreg_compat_verdict_name(c->verdict), c->missing,
	       restored ? "failed" : "succeeded");
	EXPECT(c->missing == 0, "%zu registers called missing", c->missing);
	/* x86: the CPUID entries the fresh vCPU lacks are the restore's to
	 * write (riscv: a fresh vCPU is already complete). */
	if (kvmreg_arch_host() == KVMREG_ARCH_X86_64)
		EXPECT(c->created > 0 &&
		       findings_of(c, KVMREG_FINDING_CREATED) > 0,
		       "no CPUID entry reported as written by the restore");
	EXPECT(c->features_checked, "the capture recorded no allowed values");
	EXPECT(c->features_refused == 0 && c->features_differ == 0,
	       "this host's own CPUID called unsupported");
	kvmreg_compat_free(c);
	kvmreg_state_free(saved);
	kvmreg_state_free(cap);
	kvmreg_scratch_destroy(&fresh);
	kvmreg_scratch_destroy(&a);
}

/* A well-formed 64-bit id of the host arch that no kernel lists. */
static uint64_t unlisted_id(void)
{
	switch (kvmreg_arch_host()) {
	case KVMREG_ARCH_X86_64:
		return 0x2030000200000000ULL | 0x4b564d0fULL; /* an MSR */
	case KVMREG_ARCH_ARM64:	/* sysreg op0 3, op1 7, CRn 15, CRm 15, op2 7 */
		return 0x6030000000130000ULL | 3u << 14 | 7u << 11 |
		       15u << 7 | 15u << 3 | 7u;
	case KVMREG_ARCH_RISCV64:	/* CSR 0x7ff of the guest's CSR file */
		return 0x8030000003000000ULL | 0x7ffu;
	default:
		return 0;
	}
}

/* A register the destination lacks: compat says refused, and it is. */
TEST(missing_register_verdict_agrees_with_restore)
{
	struct kvmreg_scratch a, b;
	struct kvmreg_state *saved = NULL, *cap = NULL;
	struct kvmreg_compat *c = NULL;
	uint64_t zero = 0, bogus = unlisted_id();
	int restored;

	NEED_KVM();
	if (!bogus)
		SKIP("no unlisted register id for this arch");
	REQUIRE(kvmreg_scratch_create(0, &a) == 0, "%s", kvmreg_error());
	REQUIRE(kvmreg_save(a.vcpu, &saved) == 0, "%s", kvmreg_error());
	REQUIRE(kvmreg_state_set(saved, bogus, &zero, sizeof(zero)) == 0, "%s",
		kvmreg_error());
	REQUIRE(kvmreg_scratch_create(0, &b) == 0, "%s", kvmreg_error());
	REQUIRE(kvmreg_capture(b.vcpu, &cap) == 0, "%s", kvmreg_error());
	REQUIRE(kvmreg_state_compat(saved, cap, &c) == 0, "%s", kvmreg_error());
	restored = kvmreg_restore_fresh(b.vcpu, saved);
	EXPECT(restored != 0, "a register the kernel lacks was restored");
	EXPECT(c->verdict == KVMREG_COMPAT_INCOMPATIBLE && c->missing == 1,
	       "verdict %s with %zu missing",
	       kvmreg_compat_verdict_name(c->verdict), c->missing);
	kvmreg_compat_free(c);
	kvmreg_state_free(saved);
	kvmreg_state_free(cap);
	kvmreg_scratch_destroy(&a);
	kvmreg_scratch_destroy(&b);
}

/* What a capture records survives its file, and a state saved here is
 * within what this host allows. */
TEST(capture_allowed_values_round_trip)
{
	struct kvmreg_scratch a;
	struct kvmreg_state *saved = NULL, *cap = NULL, *back = NULL;
	struct kvmreg_compat *c = NULL;
	void *buf = NULL;
	size_t len = 0;

	NEED_KVM();
	REQUIRE(kvmreg_scratch_create(0, &a) == 0, "%s", kvmreg_error());
	REQUIRE(kvmreg_save(a.vcpu, &saved) == 0, "%s", kvmreg_error());
	REQUIRE(kvmreg_capture(a.vcpu, &cap) == 0, "%s", kvmreg_error());
	if (!kvmreg_state_allowed_count(cap))
		SKIP("this arch records no allowed values on this kernel");
	REQUIRE(kvmreg_state_encode(cap, &buf, &len) == 0, "%s", kvmreg_error());
	EXPECT(((uint8_t *)buf)[8] == 2, "a capture with allowed values is version 2");
	REQUIRE(kvmreg_state_decode(buf, len, &back) == 0, "%s", kvmreg_error());
	EXPECT(kvmreg_state_allowed_count(back) == kvmreg_state_allowed_count(cap),
	       "%zu allowed values back of %zu",
	       kvmreg_state_allowed_count(back), kvmreg_state_allowed_count(cap));
	REQUIRE(kvmreg_state_compat(saved, back, &c) == 0, "%s", kvmreg_error());
	EXPECT(c->features_checked && !c->features_refused && !c->features_differ,
	       "own state: %zu refused, %zu reduced", c->features_refused,
	       c->features_differ);
	for (size_t i = 0; i < c->finding_count; i++)
		if (c->findings[i].kind == KVMREG_FINDING_FEATURE)
			printf("    finding: %s\n", c->findings[i].reason);
	kvmreg_compat_free(c);
	free(buf);
	kvmreg_state_free(saved);
	kvmreg_state_free(cap);
	kvmreg_state_free(back);
	kvmreg_scratch_destroy(&a);
}

TEST_MAIN("migrate",
	  CASE(fresh_vcpu_capture_agrees_with_restore_fresh),
	  CASE(missing_register_verdict_agrees_with_restore),
	  CASE(capture_allowed_values_round_trip))
