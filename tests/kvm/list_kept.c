// SPDX-License-Identifier: MIT
/*
 * A handle keeps its register list (docs/perf.md): a repeated save costs
 * only its reads, and a list that changed is never used stale -- after a
 * write through the library that changes it, after
 * kvmreg_vcpu_list_changed() for a change made behind the library's back,
 * and after such a change the save's own read shows (x86 CPUID leaves and
 * MCE banks, riscv64 extensions switched off or on).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/kvm.h>

#include "arch/arch.h"
#include "harness.h"
#include "kvmreg.h"
#include "lib/testutil.h"

/* The list a handle made now for the vCPU would see: the truth. */
static struct kvmreg_list *list_of_new_handle(const struct kvmreg_scratch *s,
					      int vcpu_fd)
{
	struct kvmreg_vcpu *fresh;
	struct kvmreg_list *list = NULL;

	if (kvmreg_vcpu_attach(s->kvm_fd, s->vm_fd, vcpu_fd, &fresh))
		return NULL;
	if (kvmreg_list_get(fresh, 0, &list))
		list = NULL;
	kvmreg_vcpu_detach(fresh);
	return list;
}

static int state_has_list(const struct kvmreg_state *state,
			  const struct kvmreg_list *list)
{
	if (kvmreg_state_count(state) != list->count)
		return 0;
	for (size_t i = 0; i < list->count; i++) {
		uint64_t id;

		kvmreg_state_at(state, i, &id, NULL);
		if (id != list->regs[i].id)
			return 0;
	}
	return 1;
}

static size_t count_group(const struct kvmreg_state *state, const char *group)
{
	size_t n = 0;

	for (size_t i = 0; i < kvmreg_state_count(state); i++) {
		uint64_t id;

		kvmreg_state_at(state, i, &id, NULL);
		n += !strcmp(kvmreg_id_group(kvmreg_state_arch(state), id), group);
	}
	return n;
}

/* The second save enumerates nothing: it issues exactly the ioctls of
 * reading its list, fewer than the first. */
TEST(repeated_save_costs_only_its_reads)
{
	struct kvmreg_scratch s;
	struct kvmreg_state *first = NULL, *second = NULL, *read;
	struct kvmreg_list *list = NULL;
	uint64_t *ids, c0, c1, c2, c3;

	NEED_KVM();
	REQUIRE(kvmreg_scratch_create(0, &s) == 0, "%s", kvmreg_error());
	c0 = kvmreg_vcpu_ioctl_count(s.vcpu);
	REQUIRE(kvmreg_save(s.vcpu, &first) == 0, "%s", kvmreg_error());
	c1 = kvmreg_vcpu_ioctl_count(s.vcpu);
	REQUIRE(kvmreg_save(s.vcpu, &second) == 0, "%s", kvmreg_error());
	c2 = kvmreg_vcpu_ioctl_count(s.vcpu);
	REQUIRE(kvmreg_list_get(s.vcpu, 0, &list) == 0, "%s", kvmreg_error());
	EXPECT(kvmreg_vcpu_ioctl_count(s.vcpu) == c2,
	       "kvmreg_list_get enumerated again on an unchanged vCPU");
	ids = calloc(list->count + 1, sizeof(*ids));
	REQUIRE(ids != NULL, "out of memory");
	for (size_t i = 0; i < list->count; i++)
		ids[i] = list->regs[i].id;
	read = kvmreg_state_new(kvmreg_arch_host());
	c2 = kvmreg_vcpu_ioctl_count(s.vcpu);
	REQUIRE(kvmreg_read(s.vcpu, ids, list->count, read, NULL) == 0, "%s",
		kvmreg_error());
	c3 = kvmreg_vcpu_ioctl_count(s.vcpu);
	EXPECT(c2 - c1 == c3 - c2,
	       "repeated save: %llu ioctls, reading its list: %llu",
	       (unsigned long long)(c2 - c1), (unsigned long long)(c3 - c2));
	EXPECT(c1 - c0 > c2 - c1, "first save %llu ioctls, second %llu",
	       (unsigned long long)(c1 - c0), (unsigned long long)(c2 - c1));
	EXPECT(state_has_list(second, list) && state_has_list(first, list),
	       "the saves did not take the vCPU's list");
	free(ids);
	kvmreg_list_free(list);
	kvmreg_state_free(first);
	kvmreg_state_free(second);
	kvmreg_state_free(read);
	kvmreg_scratch_destroy(&s);
}

/* How many of the state's registers can change the list when written. */
static size_t list_changers(const struct kvmreg_state *state)
{
	const struct kvmreg_arch_driver *d = kvmreg_driver(kvmreg_state_arch(state));
	size_t n = 0;

	for (size_t i = 0; d->list_changed_by && i < kvmreg_state_count(state); i++) {
		uint64_t id;

		kvmreg_state_at(state, i, &id, NULL);
		n += d->list_changed_by(id) != KVMREG_LIST_KEPT;
	}
	return n;
}

/*
 * A restore of the values the vCPU holds (the state a VMM just saved, put
 * back after a failed migration attempt, say) writes every register that
 * can change the list, but changes none: the next save costs what a
 * repeated save costs. A restore that changes one of them makes the next
 * save list again, and the list is the new one (the cases below).
 */
TEST(restore_of_the_same_values_keeps_the_list)
{
	struct kvmreg_scratch s;
	struct kvmreg_state *state = NULL, *again = NULL, *after = NULL;
	uint64_t c0, repeated, after_restore;

	NEED_KVM();
	REQUIRE(kvmreg_scratch_create(0, &s) == 0, "%s", kvmreg_error());
	REQUIRE(kvmreg_save(s.vcpu, &state) == 0, "%s", kvmreg_error());
	REQUIRE(list_changers(state) > 0,
		"no register of the list can change it: nothing to prove");
	c0 = kvmreg_vcpu_ioctl_count(s.vcpu);
	REQUIRE(kvmreg_save(s.vcpu, &again) == 0, "%s", kvmreg_error());
	repeated = kvmreg_vcpu_ioctl_count(s.vcpu) - c0;
	REQUIRE(kvmreg_restore(s.vcpu, state) == 0, "%s", kvmreg_error());
	c0 = kvmreg_vcpu_ioctl_count(s.vcpu);
	REQUIRE(kvmreg_save(s.vcpu, &after) == 0, "%s", kvmreg_error());
	after_restore = kvmreg_vcpu_ioctl_count(s.vcpu) - c0;
	EXPECT(after_restore == repeated,
	       "the save after restoring the same %zu list-changing registers took %llu ioctls, a repeated save %llu",
	       list_changers(state), (unsigned long long)after_restore,
	       (unsigned long long)repeated);
	EXPECT(kvmreg_state_count(after) == kvmreg_state_count(state),
	       "%zu registers saved after the restore, %zu before",
	       kvmreg_state_count(after), kvmreg_state_count(state));
	kvmreg_state_free(state);
	kvmreg_state_free(again);
	kvmreg_state_free(after);
	kvmreg_scratch_destroy(&s);
}

/* x86: a vCPU just created has no CPUID, so its list has no CPUID
 * entries; a restore that writes CPUID through the library makes the
 * handle's next save list them (and everything else a new handle sees). */
TEST(restore_that_changes_cpuid_refreshes_the_list)
{
	struct kvmreg_scratch s;
	struct kvmreg_vcpu *h = NULL;
	struct kvmreg_state *model = NULL, *before = NULL, *after = NULL;
	struct kvmreg_list *truth;
	int fd;

	NEED_KVM();
	if (kvmreg_arch_host() != KVMREG_ARCH_X86_64)
		SKIP("CPUID is x86's");
	REQUIRE(kvmreg_scratch_create(0, &s) == 0, "%s", kvmreg_error());
	REQUIRE(kvmreg_save(s.vcpu, &model) == 0, "%s", kvmreg_error());
	fd = ioctl(s.vm_fd, KVM_CREATE_VCPU, 1);
	REQUIRE(fd >= 0, "KVM_CREATE_VCPU: %s", strerror(errno));
	REQUIRE(kvmreg_vcpu_attach(s.kvm_fd, s.vm_fd, fd, &h) == 0, "%s",
		kvmreg_error());
	REQUIRE(kvmreg_save(h, &before) == 0, "%s", kvmreg_error());
	REQUIRE(count_group(model, "cpuid") > 0, "the model has no CPUID");
	EXPECT(count_group(before, "cpuid") == 0,
	       "a vCPU without CPUID listed %zu CPUID registers",
	       count_group(before, "cpuid"));
	REQUIRE(kvmreg_restore_fresh(h, model) == 0, "%s", kvmreg_error());
	REQUIRE(kvmreg_save(h, &after) == 0, "%s", kvmreg_error());
	EXPECT(count_group(after, "cpuid") == count_group(model, "cpuid"),
	       "after the restore the save has %zu CPUID registers, not %zu: the old list was used",
	       count_group(after, "cpuid"), count_group(model, "cpuid"));
	truth = list_of_new_handle(&s, fd);
	REQUIRE(truth != NULL, "%s", kvmreg_error());
	EXPECT(state_has_list(after, truth),
	       "the save's list differs from a new handle's");
	kvmreg_list_free(truth);
	kvmreg_state_free(model);
	kvmreg_state_free(before);
	kvmreg_state_free(after);
	kvmreg_vcpu_detach(h);
	close(fd);
	kvmreg_scratch_destroy(&s);
}

/* x86: the VMM sets CPUID with its own KVM_SET_CPUID2 and says so with
 * kvmreg_vcpu_list_changed(): every handle of the VM lists anew. */
#if defined(__x86_64__)
struct cpuid_table {
	struct kvm_cpuid2 hdr;
	struct kvm_cpuid_entry2 e[256];
};

/* Where the VMM-side tests start: a scratch VM, a second vCPU in it without
 * CPUID yet, a handle on that vCPU, and the CPUID table KVM supports. NULL,
 * or what failed. */
static const char *vcpu_without_cpuid(struct kvmreg_scratch *s, int *fd,
				      struct kvmreg_vcpu **h,
				      struct cpuid_table *cpuid)
{
	if (kvmreg_scratch_create(0, s))
		return "scratch VM";
	*fd = ioctl(s->vm_fd, KVM_CREATE_VCPU, 1);
	if (*fd < 0)
		return "KVM_CREATE_VCPU";
	if (kvmreg_vcpu_attach(s->kvm_fd, s->vm_fd, *fd, h))
		return "kvmreg_vcpu_attach";
	cpuid->hdr.nent = 256;
	if (ioctl(s->kvm_fd, KVM_GET_SUPPORTED_CPUID, cpuid))
		return "KVM_GET_SUPPORTED_CPUID";
	return NULL;
}

TEST(list_changed_call_covers_the_vms_handles)
{
	struct kvmreg_scratch s;
	struct kvmreg_vcpu *h = NULL, *sibling = NULL;
	struct kvmreg_list *l0 = NULL, *l1 = NULL, *l2 = NULL, *truth;
	struct cpuid_table cpuid;
	const char *failed;
	int fd = -1;

	NEED_KVM();
	failed = vcpu_without_cpuid(&s, &fd, &h, &cpuid);
	REQUIRE(!failed, "%s: %s %s", failed, kvmreg_error(), strerror(errno));
	REQUIRE(kvmreg_vcpu_attach(s.kvm_fd, s.vm_fd, fd, &sibling) == 0, "%s",
		kvmreg_error());
	REQUIRE(kvmreg_list_get(h, 0, &l0) == 0, "%s", kvmreg_error());
	REQUIRE(kvmreg_list_get(sibling, 0, &l1) == 0, "%s", kvmreg_error());
	kvmreg_list_free(l1);
	l1 = NULL;
	REQUIRE(ioctl(fd, KVM_SET_CPUID2, &cpuid) == 0, "KVM_SET_CPUID2: %s",
		strerror(errno));
	/* The VMM says the list changed, on either handle. */
	kvmreg_vcpu_list_changed(sibling);
	truth = list_of_new_handle(&s, fd);
	REQUIRE(truth != NULL, "%s", kvmreg_error());
	REQUIRE(kvmreg_list_get(h, 0, &l2) == 0, "%s", kvmreg_error());
	EXPECT(truth->count > l0->count,
	       "setting CPUID added no register (%zu, then %zu)", l0->count,
	       truth->count);
	EXPECT(l2->count == truth->count &&
	       !memcmp(l2->regs, truth->regs, truth->count * sizeof(*truth->regs)),
	       "after kvmreg_vcpu_list_changed the handle's list is stale (%zu registers, a new handle's %zu)",
	       l2->count, truth->count);
	kvmreg_list_free(l0);
	kvmreg_list_free(l1);
	kvmreg_list_free(l2);
	kvmreg_list_free(truth);
	kvmreg_vcpu_detach(h);
	kvmreg_vcpu_detach(sibling);
	close(fd);
	kvmreg_scratch_destroy(&s);
}

/* Bit bit of edx of leaf function (index 0) in t, set or cleared; false if
 * t has no such leaf. */
static bool cpuid_edx_bit(struct cpuid_table *t, uint32_t function,
			  unsigned int bit, bool set)
{
	for (uint32_t k = 0; k < t->hdr.nent; k++) {
		struct kvm_cpuid_entry2 *e = &t->e[k];

		if (e->function != function || e->index != 0)
			continue;
		e->edx = set ? e->edx | 1u << bit : e->edx & ~(1u << bit);
		return true;
	}
	return false;
}

/*
 * x86: the VMM sets CPUID again with its own KVM_SET_CPUID2 and says
 * nothing. The save reads the CPUID table anyway, sees other leaves or
 * values than it listed with, and saves with the list made again. Other
 * leaves: the table without its last leaf, then whole. Other values
 * (feature): the same leaves with RDTSCP (0x80000001 EDX bit 27) cleared,
 * then set, which makes IA32_TSC_AUX read.
 */
static void cpuid_set_behind_its_back(bool feature)
{
	struct kvmreg_scratch s;
	struct kvmreg_vcpu *h = NULL;
	struct kvmreg_state *before = NULL, *after = NULL;
	struct kvmreg_list *truth;
	struct cpuid_table cpuid;
	const char *failed;
	bool same;
	int fd = -1;

	NEED_KVM();
	failed = vcpu_without_cpuid(&s, &fd, &h, &cpuid);
	REQUIRE(!failed, "%s: %s %s", failed, kvmreg_error(), strerror(errno));
	REQUIRE(cpuid.hdr.nent > 1, "a CPUID table of %u entries", cpuid.hdr.nent);
	if (feature)
		REQUIRE(cpuid_edx_bit(&cpuid, 0x80000001, 27, false),
			"no leaf 0x80000001");
	else
		cpuid.hdr.nent--;
	REQUIRE(ioctl(fd, KVM_SET_CPUID2, &cpuid) == 0, "KVM_SET_CPUID2: %s",
		strerror(errno));
	REQUIRE(kvmreg_save(h, &before) == 0, "%s", kvmreg_error());
	EXPECT(count_group(before, "cpuid") == cpuid.hdr.nent,
	       "the first save has %zu CPUID registers, the table %u",
	       count_group(before, "cpuid"), cpuid.hdr.nent);
	if (feature)
		cpuid_edx_bit(&cpuid, 0x80000001, 27, true);
	else
		cpuid.hdr.nent++;
	REQUIRE(ioctl(fd, KVM_SET_CPUID2, &cpuid) == 0, "KVM_SET_CPUID2: %s",
		strerror(errno));
	REQUIRE(kvmreg_save(h, &after) == 0, "%s", kvmreg_error());
	truth = list_of_new_handle(&s, fd);
	REQUIRE(truth != NULL, "%s", kvmreg_error());
	same = feature && state_has_list(before, truth);
	EXPECT(count_group(after, "cpuid") == cpuid.hdr.nent,
	       "the save has %zu CPUID registers, the table %u",
	       count_group(after, "cpuid"), cpuid.hdr.nent);
	EXPECT(same || state_has_list(after, truth),
	       "the save's list (%zu) differs from a new handle's (%zu)",
	       kvmreg_state_count(after), truth->count);
	kvmreg_list_free(truth);
	kvmreg_state_free(before);
	kvmreg_state_free(after);
	kvmreg_vcpu_detach(h);
	close(fd);
	kvmreg_scratch_destroy(&s);
	if (same)
		SKIP("RDTSCP does not change this host's list");
}

TEST(save_notices_cpuid_set_behind_its_back)
{
	cpuid_set_behind_its_back(false);
}

TEST(save_notices_a_cpuid_feature_set_behind_its_back)
{
	cpuid_set_behind_its_back(true);
}

/* x86: KVM updates CPUID bits itself -- OSXSAVE follows CR4 -- and that
 * changes no list: a save after CR4.OSXSAVE is set costs only its reads. */
TEST(cpuid_bits_kvm_updates_keep_the_list)
{
	struct kvmreg_scratch s;
	struct kvmreg_state *state = NULL;
	uint64_t cr4_id, cr4, c0, c1, c2;

	NEED_KVM();
	REQUIRE(kvmreg_id_parse(KVMREG_ARCH_X86_64, "cr4", &cr4_id) == 0, "%s",
		kvmreg_error());
	REQUIRE(kvmreg_scratch_create(0, &s) == 0, "%s", kvmreg_error());
	REQUIRE(kvmreg_save(s.vcpu, &state) == 0, "%s", kvmreg_error());
	kvmreg_state_free(state);
	c0 = kvmreg_vcpu_ioctl_count(s.vcpu);
	REQUIRE(kvmreg_save(s.vcpu, &state) == 0, "%s", kvmreg_error());
	kvmreg_state_free(state);
	c1 = kvmreg_vcpu_ioctl_count(s.vcpu);
	REQUIRE(kvmreg_get(s.vcpu, cr4_id, &cr4) == 0, "%s", kvmreg_error());
	cr4 |= 1ULL << 18;	/* OSXSAVE */
	REQUIRE(kvmreg_set(s.vcpu, cr4_id, &cr4) == 0, "%s", kvmreg_error());
	c2 = kvmreg_vcpu_ioctl_count(s.vcpu);
	REQUIRE(kvmreg_save(s.vcpu, &state) == 0, "%s", kvmreg_error());
	EXPECT(kvmreg_vcpu_ioctl_count(s.vcpu) - c2 == c1 - c0,
	       "a save after CR4.OSXSAVE took %llu vCPU ioctls, one before %llu",
	       (unsigned long long)(kvmreg_vcpu_ioctl_count(s.vcpu) - c2),
	       (unsigned long long)(c1 - c0));
	kvmreg_state_free(state);
	kvmreg_scratch_destroy(&s);
}

/* The MCE banks a state holds: IA32_MCi_CTL, MSRs 0x400 + 4 * i. */
static size_t mce_banks(const struct kvmreg_state *state)
{
	const uint64_t msr = 0x2030000200000000ULL;	/* x86 MSR id, index 0 */
	size_t n = 0;

	for (size_t i = 0; i < kvmreg_state_count(state); i++) {
		uint64_t id;

		kvmreg_state_at(state, i, &id, NULL);
		n += id >= msr + 0x400 && id < msr + 0x480 && !(id & 3);
	}
	return n;
}

/* x86: the VMM sets the MCE bank count with its own KVM_X86_SETUP_MCE (as
 * QEMU's vCPU init does) after the handle listed: the save reads MCG_CAP
 * with the other MSRs, sees another count than it listed with, and saves
 * with the list made again -- the new banks with more, and without
 * failing on the banks gone with fewer. */
TEST(save_notices_mce_banks_set_behind_its_back)
{
	static const unsigned int banks[] = { 10, 20, 4 };
	struct kvmreg_scratch s;

	NEED_KVM();
	REQUIRE(kvmreg_scratch_create(0, &s) == 0, "%s", kvmreg_error());
	for (size_t k = 0; k < sizeof(banks) / sizeof(banks[0]); k++) {
		uint64_t mcg_cap = banks[k] | 1ULL << 8;	/* MCG_CTL_P */
		struct kvmreg_state *state = NULL;
		struct kvmreg_list *truth;
		int err;

		REQUIRE(ioctl(s.vcpu_fd, KVM_X86_SETUP_MCE, &mcg_cap) == 0,
			"KVM_X86_SETUP_MCE of %u banks: %s", banks[k],
			strerror(errno));
		err = kvmreg_save(s.vcpu, &state);
		EXPECT(err == 0, "the save after %u banks were set: %s",
		       banks[k], kvmreg_error());
		if (err)
			continue;
		truth = list_of_new_handle(&s, s.vcpu_fd);
		REQUIRE(truth != NULL, "%s", kvmreg_error());
		EXPECT(mce_banks(state) == banks[k],
		       "the save has %zu MCE banks, the vCPU %u",
		       mce_banks(state), banks[k]);
		EXPECT(state_has_list(state, truth),
		       "the save's list (%zu) differs from a new handle's (%zu)",
		       kvmreg_state_count(state), truth->count);
		kvmreg_list_free(truth);
		kvmreg_state_free(state);
	}
	kvmreg_scratch_destroy(&s);
}
#else
TEST(list_changed_call_covers_the_vms_handles)
{
	SKIP("KVM_SET_CPUID2 is x86's");
}

TEST(save_notices_mce_banks_set_behind_its_back)
{
	SKIP("KVM_X86_SETUP_MCE is x86's");
}

TEST(save_notices_a_cpuid_feature_set_behind_its_back)
{
	SKIP("KVM_SET_CPUID2 is x86's");
}

TEST(cpuid_bits_kvm_updates_keep_the_list)
{
	SKIP("CPUID is x86's");
}

TEST(save_notices_cpuid_set_behind_its_back)
{
	SKIP("KVM_SET_CPUID2 is x86's");
}
#endif

/* A write of a register that cannot change the list (a general-purpose
 * register) keeps it. */
TEST(plain_write_keeps_the_list)
{
	struct kvmreg_scratch s;
	struct kvmreg_list *list = NULL;
	struct kvmreg_state *state = NULL;
	uint64_t c, id = t_gpr_id(), value = 0x1234;

	NEED_KVM();
	REQUIRE(id != 0, "no general-purpose register id for this arch");
	REQUIRE(kvmreg_scratch_create(0, &s) == 0, "%s", kvmreg_error());
	REQUIRE(kvmreg_save(s.vcpu, &state) == 0, "%s", kvmreg_error());
	REQUIRE(kvmreg_set(s.vcpu, id, &value) == 0, "%s", kvmreg_error());
	c = kvmreg_vcpu_ioctl_count(s.vcpu);
	REQUIRE(kvmreg_list_get(s.vcpu, 0, &list) == 0, "%s", kvmreg_error());
	EXPECT(kvmreg_vcpu_ioctl_count(s.vcpu) == c,
	       "a general-purpose register write threw the list away");
	kvmreg_list_free(list);
	kvmreg_state_free(state);
	kvmreg_scratch_destroy(&s);
}

/* A handle remembers the plan of its last read to skip the id checks of
 * the same read again: a read with a bad id must fail every time, without
 * reaching the kernel. */
TEST(read_with_a_foreign_id_fails_every_time)
{
	struct kvmreg_scratch s;
	struct kvmreg_list *list = NULL;
	uint64_t foreign = kvmreg_arch_host() == KVMREG_ARCH_ARM64 ?
			   0x8030000002000000ULL : 0x6030000000100000ULL;
	uint64_t *ids, before;

	NEED_KVM();
	REQUIRE(kvmreg_scratch_create(0, &s) == 0, "%s", kvmreg_error());
	REQUIRE(kvmreg_list_get(s.vcpu, 0, &list) == 0, "%s", kvmreg_error());
	REQUIRE(list->count >= 4, "%zu registers", list->count);
	ids = calloc(list->count + 1, sizeof(*ids));
	REQUIRE(ids != NULL, "out of memory");
	for (size_t i = 0; i < list->count; i++)
		ids[i] = list->regs[i].id;
	ids[list->count / 2] = foreign;
	for (int round = 0; round < 2; round++) {
		struct kvmreg_state *state = kvmreg_state_new(kvmreg_arch_host());

		before = kvmreg_vcpu_ioctl_count(s.vcpu);
		EXPECT(kvmreg_read(s.vcpu, ids, list->count, state, NULL) == -EINVAL,
		       "read %d with a foreign id did not fail", round);
		EXPECT(kvmreg_vcpu_ioctl_count(s.vcpu) == before,
		       "read %d with a foreign id reached the kernel", round);
		EXPECT(kvmreg_state_count(state) == 0,
		       "read %d left %zu registers in the state", round,
		       kvmreg_state_count(state));
		kvmreg_state_free(state);
	}
	free(ids);
	kvmreg_list_free(list);
	kvmreg_scratch_destroy(&s);
}

/* arm64: the ID registers are the VM's, so a write of one through one
 * handle makes every handle of the VM list anew (the same value here: the
 * rule cannot know the value changed nothing). */
TEST(arm64_id_register_write_reaches_the_vms_handles)
{
	const uint64_t id_aa64pfr0 = 0x603000000013c020ULL;
	struct kvmreg_scratch s;
	struct kvmreg_vcpu *sibling = NULL;
	struct kvmreg_list *l0 = NULL, *l1 = NULL, *truth;
	uint64_t value, c;

	NEED_KVM();
	if (kvmreg_arch_host() != KVMREG_ARCH_ARM64)
		SKIP("ID registers are arm64's");
	REQUIRE(kvmreg_scratch_create(0, &s) == 0, "%s", kvmreg_error());
	REQUIRE(kvmreg_vcpu_attach(s.kvm_fd, s.vm_fd, s.vcpu_fd, &sibling) == 0,
		"%s", kvmreg_error());
	REQUIRE(kvmreg_list_get(sibling, 0, &l0) == 0, "%s", kvmreg_error());
	REQUIRE(kvmreg_get(s.vcpu, id_aa64pfr0, &value) == 0, "%s",
		kvmreg_error());
	REQUIRE(kvmreg_set(s.vcpu, id_aa64pfr0, &value) == 0, "%s",
		kvmreg_error());
	c = kvmreg_vcpu_ioctl_count(sibling);
	REQUIRE(kvmreg_list_get(sibling, 0, &l1) == 0, "%s", kvmreg_error());
	EXPECT(kvmreg_vcpu_ioctl_count(sibling) > c,
	       "the sibling kept its list after an ID register write");
	truth = list_of_new_handle(&s, s.vcpu_fd);
	REQUIRE(truth != NULL, "%s", kvmreg_error());
	EXPECT(l1->count == truth->count &&
	       !memcmp(l1->regs, truth->regs, truth->count * sizeof(*truth->regs)),
	       "the sibling's list differs from a new handle's");
	kvmreg_list_free(l0);
	kvmreg_list_free(l1);
	kvmreg_list_free(truth);
	kvmreg_vcpu_detach(sibling);
	kvmreg_scratch_destroy(&s);
}

/*
 * riscv64: switching V off before the first run takes the vector registers
 * out of the list, switching it on puts them back; the next save must
 * follow. Through the library (the write says the list changed) or with
 * the VMM's own KVM_SET_ONE_REG behind its back: off, the save's read of a
 * vector register fails; on, the save reads V's register other than the
 * list's first save did; either way the save lists again.
 */
static void riscv_switch_v(bool behind_its_back, uint64_t to)
{
	/* KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_ISA_EXT | V (15) */
	const uint64_t isa_v = 0x803000000700000fULL;
	struct kvmreg_scratch s;
	struct kvmreg_state *before = NULL, *after = NULL;
	struct kvmreg_list *truth;
	uint64_t on = 0, off = 0;
	struct kvm_one_reg reg = { .id = isa_v, .addr = (uintptr_t)&to };

	NEED_KVM();
	if (kvmreg_arch_host() != KVMREG_ARCH_RISCV64)
		SKIP("ISA extension registers are riscv64's");
	REQUIRE(kvmreg_scratch_create(0, &s) == 0, "%s", kvmreg_error());
	if (kvmreg_get(s.vcpu, isa_v, &on) || on != 1) {
		kvmreg_scratch_destroy(&s);
		SKIP("no V extension to switch");
	}
	/* to switch it on, from off */
	if (to)
		REQUIRE(kvmreg_set(s.vcpu, isa_v, &off) == 0, "%s",
			kvmreg_error());
	REQUIRE(kvmreg_save(s.vcpu, &before) == 0, "%s", kvmreg_error());
	if (behind_its_back)
		REQUIRE(ioctl(s.vcpu_fd, KVM_SET_ONE_REG, &reg) == 0,
			"KVM_SET_ONE_REG of V: %s", strerror(errno));
	else
		REQUIRE(kvmreg_set(s.vcpu, isa_v, &to) == 0, "%s",
			kvmreg_error());
	REQUIRE(kvmreg_save(s.vcpu, &after) == 0, "%s", kvmreg_error());
	truth = list_of_new_handle(&s, s.vcpu_fd);
	REQUIRE(truth != NULL, "%s", kvmreg_error());
	EXPECT(to ? kvmreg_state_count(after) > kvmreg_state_count(before) :
		    kvmreg_state_count(after) < kvmreg_state_count(before),
	       "switching V %s left %zu registers (%zu before)",
	       to ? "on" : "off", kvmreg_state_count(after),
	       kvmreg_state_count(before));
	EXPECT(state_has_list(after, truth),
	       "the save after switching V %s used a stale list",
	       to ? "on" : "off");
	kvmreg_list_free(truth);
	kvmreg_state_free(before);
	kvmreg_state_free(after);
	kvmreg_scratch_destroy(&s);
}

TEST(riscv_isa_extension_write_refreshes_the_list)
{
	riscv_switch_v(false, 0);
}

TEST(riscv_isa_extension_switched_off_behind_its_back)
{
	riscv_switch_v(true, 0);
}

TEST(riscv_isa_extension_switched_on_behind_its_back)
{
	riscv_switch_v(true, 1);
}

TEST_MAIN("list_kept",
	  CASE(repeated_save_costs_only_its_reads),
	  CASE(restore_of_the_same_values_keeps_the_list),
	  CASE(restore_that_changes_cpuid_refreshes_the_list),
	  CASE(list_changed_call_covers_the_vms_handles),
	  CASE(save_notices_cpuid_set_behind_its_back),
	  CASE(save_notices_mce_banks_set_behind_its_back),
	  CASE(save_notices_a_cpuid_feature_set_behind_its_back),
	  CASE(cpuid_bits_kvm_updates_keep_the_list),
	  CASE(plain_write_keeps_the_list),
	  CASE(read_with_a_foreign_id_fails_every_time),
	  CASE(arm64_id_register_write_reaches_the_vms_handles),
	  CASE(riscv_isa_extension_write_refreshes_the_list),
	  CASE(riscv_isa_extension_switched_off_behind_its_back),
	  CASE(riscv_isa_extension_switched_on_behind_its_back))
