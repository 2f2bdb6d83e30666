// SPDX-License-Identifier: MIT
/*
 * The x86_64 driver on real KVM: the MSR index list and its readable
 * subset, the cost of access (one ioctl per struct group, one KVM_GET_MSRS
 * for all MSRs), KVM_SET_MSRS batches that stop early, the kernel's
 * rejection of library ids, and the kernel behaviours behind the restore
 * order (docs/arch-x86.md), each shown first with raw ioctls.
 */
#include "harness.h"

#ifdef __x86_64__

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/ioctl.h>

#include <linux/kvm.h>

#include "arch/x86_64/private.h"
#include "internal.h"
#include "kvmreg.h"
#include "lib/testutil.h"

#define X86 KVMREG_ARCH_X86_64

#define MSR_STAR		0xc0000081u
#define MSR_LSTAR		0xc0000082u
#define MSR_TSC_DEADLINE	0x000006e0u
#define MSR_KVM_ASYNC_PF_INT	0x4b564d06u

enum {
	VM_IRQCHIP = 1 << 0,	/* KVM_CREATE_IRQCHIP before the vCPU */
	VM_PAYLOAD = 1 << 1,	/* KVM_CAP_EXCEPTION_PAYLOAD */
	VM_NO_CPUID = 1 << 2,	/* skip the library's vcpu_setup */
};

/* A VM as a VMM builds it, and the library's handle on its vCPU. */
static int vm_open(struct kvmreg_scratch *s, unsigned int flags)
{
	memset(s, 0, sizeof(*s));
	s->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	s->vm_fd = s->kvm_fd < 0 ? -1 : ioctl(s->kvm_fd, KVM_CREATE_VM, 0);
	s->vcpu_fd = -1;
	if (s->vm_fd < 0)
		return -1;
	if ((flags & VM_IRQCHIP) && ioctl(s->vm_fd, KVM_CREATE_IRQCHIP, 0))
		return -1;
	if (flags & VM_PAYLOAD) {
		struct kvm_enable_cap cap = {
			.cap = KVM_CAP_EXCEPTION_PAYLOAD, .args = { 1 },
		};

		if (ioctl(s->vm_fd, KVM_ENABLE_CAP, &cap))
			return -1;
	}
	s->vcpu_fd = ioctl(s->vm_fd, KVM_CREATE_VCPU, 0);
	if (s->vcpu_fd < 0 ||
	    kvmreg_vcpu_attach(s->kvm_fd, s->vm_fd, s->vcpu_fd, &s->vcpu))
		return -1;
	if (!(flags & VM_NO_CPUID) && kvmreg_x86_64_vcpu_setup(s, 0))
		return -1;
	return 0;
}

static uint64_t *list_ids(struct kvmreg_vcpu *vcpu, unsigned int flags,
			  struct kvmreg_list **list)
{
	uint64_t *ids;

	if (kvmreg_list_get(vcpu, flags, list))
		return NULL;
	ids = calloc((*list)->count + 1, sizeof(*ids));
	for (size_t i = 0; ids && i < (*list)->count; i++)
		ids[i] = (*list)->regs[i].id;
	return ids;
}

static uint64_t id_of(const char *name)
{
	uint64_t id = 0;

	if (kvmreg_id_parse(X86, name, &id))
		printf("    cannot parse %s: %s\n", name, kvmreg_error());
	return id;
}

static int raw_get_msr(int fd, uint32_t index, uint64_t *value)
{
	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry e;
	} m = { .h.nmsrs = 1, .e.index = index };
	int r = ioctl(fd, KVM_GET_MSRS, &m);

	*value = m.e.data;
	return r;
}

static struct kvm_msr_list *raw_msr_index(int kvm_fd)
{
	struct kvm_msr_list probe = { .nmsrs = 0 }, *list;

	ioctl(kvm_fd, KVM_GET_MSR_INDEX_LIST, &probe);
	list = calloc(1, sizeof(*list) + (probe.nmsrs + 1) * sizeof(uint32_t));
	if (!list)
		return NULL;
	list->nmsrs = probe.nmsrs;
	if (ioctl(kvm_fd, KVM_GET_MSR_INDEX_LIST, list)) {
		free(list);
		return NULL;
	}
	return list;
}

static bool listed(const struct kvmreg_list *list, uint64_t id)
{
	for (size_t i = 0; i < list->count; i++)
		if (list->regs[i].id == id)
			return true;
	return false;
}

/* ------------------------------------------------------------------ */
/* Enumeration                                                         */

static void check_msr_list(unsigned int vm_flags)
{
	struct kvmreg_scratch s;
	struct kvmreg_list *list = NULL;
	struct kvm_msr_list *index = NULL;
	uint64_t *ids = NULL;
	size_t readable = 0, msrs = 0, derived = 0;

	REQUIRE(vm_open(&s, vm_flags) == 0, "VM: %s %s", strerror(errno),
		kvmreg_error());
	ids = list_ids(s.vcpu, 0, &list);
	REQUIRE(ids, "%s", kvmreg_error());
	index = raw_msr_index(s.kvm_fd);
	REQUIRE(index && index->nmsrs > 0, "KVM_GET_MSR_INDEX_LIST");
	for (uint32_t i = 0; i < index->nmsrs; i++) {
		uint64_t raw, lib;
		uint64_t id = KVMREG_X86_MSR_ID(index->indices[i]);
		bool ok = raw_get_msr(s.vcpu_fd, index->indices[i], &raw) == 1;

		readable += ok;
		EXPECT(listed(list, id) == ok,
		       "msr 0x%08" PRIx32 ": readable %d, listed %d",
		       index->indices[i], ok, listed(list, id));
		if (!ok)
			continue;
		EXPECT(kvmreg_get(s.vcpu, id, &lib) == 0, "msr 0x%08" PRIx32 ": %s",
		       index->indices[i], kvmreg_error());
		if (!kvmreg_id_is_volatile(X86, id))
			EXPECT(lib == raw, "msr 0x%08" PRIx32 ": 0x%" PRIx64 " vs raw 0x%" PRIx64,
			       index->indices[i], lib, raw);
	}
	/* Beyond the index list: MSRs derived from the vCPU (MTRRcap,
	 * MCG_CAP, CPUID), each one the vCPU reads and the list lacks. */
	for (size_t i = 0; i < list->count; i++) {
		uint32_t msr = (uint32_t)list->regs[i].id;
		bool in_index = false;
		uint64_t raw;

		if (!kvmreg_x86_is_msr(list->regs[i].id))
			continue;
		for (uint32_t k = 0; k < index->nmsrs; k++)
			in_index |= index->indices[k] == msr;
		if (list->regs[i].source == KVMREG_SRC_DERIVED) {
			derived++;
			EXPECT(!in_index && raw_get_msr(s.vcpu_fd, msr, &raw) == 1,
			       "derived msr 0x%08" PRIx32 ": in the index list %d, or unreadable",
			       msr, in_index);
			continue;
		}
		msrs++;
		EXPECT(list->regs[i].source == KVMREG_SRC_MSR_INDEX_LIST,
		       "0x%016" PRIx64 " source %s", list->regs[i].id,
		       kvmreg_source_name(list->regs[i].source));
	}
	EXPECT(msrs == readable, "%zu MSRs listed, %zu readable", msrs, readable);
	printf("    MSR index list: %" PRIu32 " MSRs, %zu readable and listed; %zu more derived from the vCPU\n",
	       index->nmsrs, readable, derived);
	free(index);
	free(ids);
	kvmreg_list_free(list);
	kvmreg_scratch_destroy(&s);
}

TEST(msr_list_is_the_readable_index_list)
{
	NEED_KVM();
	check_msr_list(0);
	check_msr_list(VM_IRQCHIP);
}

TEST(every_listed_register_reads_and_says_where_it_came_from)
{
	struct kvmreg_scratch s;
	struct kvmreg_list *list = NULL;
	struct kvmreg_state *state = kvmreg_state_new(X86);
	uint64_t *ids;
	int *errs;

	NEED_KVM();
	REQUIRE(vm_open(&s, VM_IRQCHIP) == 0, "VM: %s", kvmreg_error());
	ids = list_ids(s.vcpu, 0, &list);
	REQUIRE(ids, "%s", kvmreg_error());
	errs = calloc(list->count + 1, sizeof(*errs));
	EXPECT(kvmreg_read(s.vcpu, ids, list->count, state, errs) == 0, "%s",
	       kvmreg_error());
	for (size_t i = 0; i < list->count; i++) {
		const struct kvmreg_reg *r = &list->regs[i];
		uint8_t want = kvmreg_x86_lib_kind(r->id) ? KVMREG_SRC_LIBRARY :
			       kvmreg_x86_is_msr(r->id) ? KVMREG_SRC_MSR_INDEX_LIST :
			       KVMREG_SRC_KERNEL_LIST;

		if (kvmreg_x86_is_msr(r->id) && r->source == KVMREG_SRC_DERIVED)
			want = KVMREG_SRC_DERIVED;

		EXPECT(errs[i] == 0, "0x%016" PRIx64 ": %s", r->id,
		       strerror(-errs[i]));
		EXPECT(r->source == want, "0x%016" PRIx64 ": source %s",
		       r->id, kvmreg_source_name(r->source));
		EXPECT(r->size == kvmreg_id_size(r->id), "0x%016" PRIx64, r->id);
	}
	EXPECT(listed(list, id_of("lapic.ID")) && listed(list, id_of("rip")) &&
	       listed(list, id_of("cs")) && listed(list, id_of("xsave[0]")) &&
	       listed(list, id_of("mp_state")) &&
	       listed(list, id_of("events.flags")) &&
	       listed(list, id_of("cpuid.0x00000000.0")) &&
	       listed(list, id_of("IA32_TSC")),
	       "every kind of state is listed");
	free(errs);
	free(ids);
	kvmreg_state_free(state);
	kvmreg_list_free(list);
	kvmreg_scratch_destroy(&s);
}

TEST(lapic_is_listed_only_with_an_in_kernel_irqchip)
{
	struct kvmreg_scratch s;
	struct kvmreg_list *list = NULL;
	struct kvm_lapic_state raw;
	uint8_t slot[16];
	uint64_t *ids;

	NEED_KVM();
	REQUIRE(vm_open(&s, 0) == 0, "VM: %s", kvmreg_error());
	ids = list_ids(s.vcpu, 0, &list);
	REQUIRE(ids, "%s", kvmreg_error());
	EXPECT(!listed(list, id_of("lapic.ID")), "no irqchip, no LAPIC");
	free(ids);
	kvmreg_list_free(list);
	kvmreg_scratch_destroy(&s);

	REQUIRE(vm_open(&s, VM_IRQCHIP) == 0, "VM: %s", kvmreg_error());
	ids = list_ids(s.vcpu, 0, &list);
	REQUIRE(ids, "%s", kvmreg_error());
	for (uint32_t i = 0; i < KVMREG_X86_NR_LAPIC; i++)
		EXPECT(listed(list, kvmreg_x86_lib_id(KVMREG_X86_LAPIC, i)),
		       "slot %u", i);
	REQUIRE(ioctl(s.vcpu_fd, KVM_GET_LAPIC, &raw) == 0, "KVM_GET_LAPIC");
	REQUIRE(kvmreg_get(s.vcpu, id_of("lapic.LVR"), slot) == 0, "%s",
		kvmreg_error());
	EXPECT(!memcmp(slot, raw.regs + 0x30, 16), "lapic.LVR is slot 0x30");
	free(ids);
	kvmreg_list_free(list);
	kvmreg_scratch_destroy(&s);
}

static const struct kvm_cpuid_entry2 *leaf1(const struct kvm_cpuid2 *t)
{
	for (uint32_t k = 0; k < t->nent; k++)
		if (t->entries[k].function == 1)
			return &t->entries[k];
	return NULL;
}

/* The scratch VM is what a VMM builds: an in-kernel irqchip, then the
 * supported CPUID with the TSC-deadline timer. */
TEST(scratch_vcpu_is_set_up_as_a_vmm_would)
{
	struct kvmreg_scratch s;
	struct kvmreg_list *list = NULL;
	struct kvm_cpuid2 *raw = calloc(1, sizeof(*raw) +
					256 * sizeof(struct kvm_cpuid_entry2));
	const struct kvm_cpuid_entry2 *e;
	size_t cpuid_ids = 0;
	uint64_t *ids;

	NEED_KVM();
	REQUIRE(raw, "out of memory");
	REQUIRE(kvmreg_scratch_create(0, &s) == 0, "%s", kvmreg_error());
	raw->nent = 256;
	REQUIRE(ioctl(s.vcpu_fd, KVM_GET_CPUID2, raw) == 0, "KVM_GET_CPUID2");
	EXPECT(raw->nent > 10, "%u CPUID entries", raw->nent);
	e = leaf1(raw);
	REQUIRE(e, "CPUID leaf 1");
	if (ioctl(s.kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_TSC_DEADLINE_TIMER) > 0)
		EXPECT(e->ecx & (1u << 24), "TSC-deadline timer offered");
	ids = list_ids(s.vcpu, 0, &list);
	REQUIRE(ids, "%s", kvmreg_error());
	for (size_t i = 0; i < list->count; i++)
		cpuid_ids += kvmreg_x86_lib_kind(ids[i]) == KVMREG_X86_CPUID;
	EXPECT(cpuid_ids == raw->nent, "%zu cpuid ids, %u entries", cpuid_ids,
	       raw->nent);
	EXPECT(listed(list, id_of("lapic.ID")), "in-kernel LAPIC");
	free(ids);
	kvmreg_list_free(list);
	kvmreg_scratch_destroy(&s);

	REQUIRE(kvmreg_scratch_create(KVMREG_SCRATCH_NO_SETUP, &s) == 0, "%s",
		kvmreg_error());
	raw->nent = 256;
	REQUIRE(ioctl(s.vcpu_fd, KVM_GET_CPUID2, raw) == 0, "KVM_GET_CPUID2");
	EXPECT(raw->nent == 0, "NO_SETUP leaves CPUID empty: %u", raw->nent);
	ids = list_ids(s.vcpu, 0, &list);
	REQUIRE(ids, "%s", kvmreg_error());
	EXPECT(!listed(list, id_of("lapic.ID")), "NO_SETUP: no irqchip");
	free(ids);
	kvmreg_list_free(list);
	free(raw);
	kvmreg_scratch_destroy(&s);
}

/* kvm_fd and vm_fd are optional: the MSR index list and the capabilities
 * are /dev/kvm's to tell. */
TEST(attach_with_only_the_vcpu_fd)
{
	struct kvmreg_scratch s;
	struct kvmreg_vcpu *bare = NULL;
	struct kvmreg_list *full = NULL, *list = NULL;
	uint64_t *a, *b;

	NEED_KVM();
	REQUIRE(vm_open(&s, VM_IRQCHIP) == 0, "VM: %s", kvmreg_error());
	REQUIRE(kvmreg_vcpu_attach(-1, -1, s.vcpu_fd, &bare) == 0, "%s",
		kvmreg_error());
	a = list_ids(s.vcpu, 0, &full);
	b = list_ids(bare, 0, &list);
	REQUIRE(a && b, "%s", kvmreg_error());
	EXPECT(list->count == full->count, "%zu vs %zu registers", list->count,
	       full->count);
	for (size_t i = 0; i < full->count; i++)
		EXPECT(listed(list, a[i]), "0x%016" PRIx64, a[i]);
	free(a);
	free(b);
	kvmreg_list_free(full);
	kvmreg_list_free(list);
	kvmreg_vcpu_detach(bare);
	kvmreg_scratch_destroy(&s);
}

TEST(forced_fallback_lists_the_same_state)
{
	struct kvmreg_scratch s;
	struct kvmreg_list *normal = NULL, *fallback = NULL;
	uint64_t *a, *b;

	NEED_KVM();
	REQUIRE(vm_open(&s, 0) == 0, "VM: %s", kvmreg_error());
	a = list_ids(s.vcpu, 0, &normal);
	b = list_ids(s.vcpu, KVMREG_LIST_FORCE_FALLBACK, &fallback);
	REQUIRE(a && b, "%s", kvmreg_error());
	/* Only SSP comes from KVM_GET_REG_LIST or the fallback; the rest is
	 * list_extra either way. */
	for (size_t i = 0; i < normal->count; i++)
		if (a[i] != KVMREG_X86_SSP_ID)
			EXPECT(listed(fallback, a[i]), "0x%016" PRIx64, a[i]);
	EXPECT(listed(normal, KVMREG_X86_SSP_ID) ==
	       listed(fallback, KVMREG_X86_SSP_ID),
	       "SSP: the probe agrees with KVM_GET_REG_LIST");
	free(a);
	free(b);
	kvmreg_list_free(normal);
	kvmreg_list_free(fallback);
	kvmreg_scratch_destroy(&s);
}

/* ------------------------------------------------------------------ */
/* Cost                                                                */

TEST(full_read_costs_one_ioctl_per_group)
{
	for (int irq = 0; irq <= 1; irq++) {
		struct kvmreg_scratch s;
		struct kvmreg_list *list = NULL;
		struct kvmreg_state *state = kvmreg_state_new(X86);
		uint32_t seen[64] = { 0 };
		size_t groups = 0, one_reg = 0;
		uint64_t *ids, before, cost;

		NEED_KVM();
		REQUIRE(vm_open(&s, irq ? VM_IRQCHIP : 0) == 0, "VM: %s",
			kvmreg_error());
		ids = list_ids(s.vcpu, 0, &list);
		REQUIRE(ids, "%s", kvmreg_error());
		for (size_t i = 0; i < list->count; i++) {
			uint32_t g = kvmreg_x86_group_of(ids[i]);

			if (!g)
				one_reg++;
			else if (!seen[g]++)
				groups++;
		}
		before = kvmreg_vcpu_ioctl_count(s.vcpu);
		EXPECT(kvmreg_read(s.vcpu, ids, list->count, state, NULL) == 0,
		       "%s", kvmreg_error());
		cost = kvmreg_vcpu_ioctl_count(s.vcpu) - before;
		EXPECT(cost == groups + one_reg,
		       "%" PRIu64 " ioctls for %zu groups + %zu ONE_REG", cost,
		       groups, one_reg);
		EXPECT(seen[KVMREG_X86_G_MSRS] > 30 && seen[KVMREG_X86_G_MSRS] < 255,
		       "%u MSRs in one KVM_GET_MSRS", seen[KVMREG_X86_G_MSRS]);
		printf("    %s: read of all %zu registers = %" PRIu64 " vCPU ioctls (%zu groups, %zu ONE_REG)\n",
		       irq ? "irqchip VM" : "no irqchip", list->count, cost,
		       groups, one_reg);
		free(ids);
		kvmreg_state_free(state);
		kvmreg_list_free(list);
		kvmreg_scratch_destroy(&s);
	}
}

/* What one kvmreg_get or kvmreg_set costs, per kind of register. */
TEST(single_access_costs)
{
	static const struct {
		const char *name;
		unsigned int get, set;	/* ioctls */
	} cases[] = {
		{ "rax", 1, 2 },		/* KVM_GET_REGS; get + set */
		{ "rflags", 1, 2 },
		{ "cs", 1, 2 },			/* KVM_GET_SREGS2 */
		{ "cr0", 1, 2 },
		{ "gdt", 1, 2 },
		{ "xsave[1]", 1, 2 },		/* KVM_GET_XSAVE2 */
		{ "xcr0", 1, 1 },		/* KVM_SET_XCRS takes a subset */
		{ "dr7", 1, 2 },
		{ "lapic.TPR", 1, 2 },
		{ "IA32_STAR", 1, 1 },		/* KVM_SET_MSRS takes a subset */
		{ "events.nmi", 1, 2 },
		{ "mp_state", 1, 1 },		/* the whole struct */
		{ "cpuid.0x00000001.0", 1, 2 },	/* KVM_GET_CPUID2 + SET */
	};
	struct kvmreg_scratch s;

	NEED_KVM();
	REQUIRE(vm_open(&s, VM_IRQCHIP) == 0, "VM: %s", kvmreg_error());
	for (size_t i = 0; i < KVMREG_ARRAY_SIZE(cases); i++) {
		uint8_t value[256], again[256];
		uint64_t id = id_of(cases[i].name), before;

		before = kvmreg_vcpu_ioctl_count(s.vcpu);
		REQUIRE(kvmreg_get(s.vcpu, id, value) == 0, "%s: %s",
			cases[i].name, kvmreg_error());
		EXPECT(kvmreg_vcpu_ioctl_count(s.vcpu) - before == cases[i].get,
		       "get %s: %" PRIu64 " ioctls", cases[i].name,
		       kvmreg_vcpu_ioctl_count(s.vcpu) - before);
		before = kvmreg_vcpu_ioctl_count(s.vcpu);
		EXPECT(kvmreg_set(s.vcpu, id, value) == 0, "%s: %s",
		       cases[i].name, kvmreg_error());
		EXPECT(kvmreg_vcpu_ioctl_count(s.vcpu) - before == cases[i].set,
		       "set %s: %" PRIu64 " ioctls", cases[i].name,
		       kvmreg_vcpu_ioctl_count(s.vcpu) - before);
		REQUIRE(kvmreg_get(s.vcpu, id, again) == 0, "%s", kvmreg_error());
		EXPECT(!memcmp(value, again, kvmreg_id_size(id)),
		       "%s changed by writing it back", cases[i].name);
	}
	kvmreg_scratch_destroy(&s);
}

/* A whole group written at once is one ioctl; part of one, get + set. */
TEST(whole_group_write_is_one_ioctl)
{
	static const char *const groups[] = { "rax", "cs", "xsave[0]", "dr0",
					      "lapic.ID", "events.flags" };
	struct kvmreg_scratch s;
	struct kvmreg_list *list = NULL;
	uint64_t *ids;

	NEED_KVM();
	REQUIRE(vm_open(&s, VM_IRQCHIP) == 0, "VM: %s", kvmreg_error());
	ids = list_ids(s.vcpu, 0, &list);
	REQUIRE(ids, "%s", kvmreg_error());
	for (size_t g = 0; g < KVMREG_ARRAY_SIZE(groups); g++) {
		uint32_t key = kvmreg_x86_group_of(id_of(groups[g]));
		struct kvmreg_state *state = kvmreg_state_new(X86);
		uint64_t members[512], before;
		size_t n = 0;

		for (size_t i = 0; i < list->count && n < 512; i++)
			if (kvmreg_x86_group_of(ids[i]) == key)
				members[n++] = ids[i];
		REQUIRE(kvmreg_read(s.vcpu, members, n, state, NULL) == 0, "%s",
			kvmreg_error());
		before = kvmreg_vcpu_ioctl_count(s.vcpu);
		EXPECT(kvmreg_write(s.vcpu, state, NULL) == 0, "%s: %s",
		       groups[g], kvmreg_error());
		EXPECT(kvmreg_vcpu_ioctl_count(s.vcpu) - before == 1,
		       "writing all %zu of %s's group: %" PRIu64 " ioctls", n,
		       groups[g], kvmreg_vcpu_ioctl_count(s.vcpu) - before);
		kvmreg_state_free(state);
	}
	free(ids);
	kvmreg_list_free(list);
	kvmreg_scratch_destroy(&s);
}

/* Set XMMn to bytes of fill: chunks 0 and 2 of the XSAVE area, one
 * KVM_GET_XSAVE2 + one KVM_SET_XSAVE. */
static int set_xmm(struct kvmreg_vcpu *vcpu, unsigned int n, uint8_t fill)
{
	struct kvmreg_state *state = kvmreg_state_new(X86);
	uint64_t ids[2] = { id_of("xsave[0]"), id_of("xsave[2]") };
	uint8_t chunk0[256], chunk2[256];
	int err = kvmreg_read(vcpu, ids, 2, state, NULL);

	if (!err) {
		memcpy(chunk0, kvmreg_state_get(state, ids[0]), 256);
		memcpy(chunk2, kvmreg_state_get(state, ids[1]), 256);
		memset(chunk0 + 160 + 16 * n, fill, 16);
		chunk2[0] |= 2;	/* XSTATE_BV.SSE */
		err = kvmreg_state_set(state, ids[0], chunk0, 256);
	}
	if (!err)
		err = kvmreg_state_set(state, ids[1], chunk2, 256);
	if (!err)
		err = kvmreg_write(vcpu, state, NULL);
	kvmreg_state_free(state);
	return err;
}

/* Writing part of a struct keeps the rest as the kernel had it. */
TEST(partial_writes_patch_the_struct)
{
	struct kvmreg_scratch s;
	struct kvm_regs before_regs, after_regs;
	struct kvm_lapic_state lapic;
	struct kvm_vcpu_events events;
	uint8_t seg[32];
	uint64_t rax = 0x1122334455667788ULL;
	uint32_t tpr = 0x20, nmi;

	NEED_KVM();
	REQUIRE(vm_open(&s, VM_IRQCHIP) == 0, "VM: %s", kvmreg_error());
	REQUIRE(ioctl(s.vcpu_fd, KVM_GET_REGS, &before_regs) == 0, "GET_REGS");
	REQUIRE(kvmreg_set(s.vcpu, id_of("rax"), &rax) == 0, "%s", kvmreg_error());
	REQUIRE(ioctl(s.vcpu_fd, KVM_GET_REGS, &after_regs) == 0, "GET_REGS");
	EXPECT(after_regs.rax == rax, "rax 0x%llx", after_regs.rax);
	after_regs.rax = before_regs.rax;
	EXPECT(!memcmp(&before_regs, &after_regs, sizeof(before_regs)),
	       "the other 17 registers are untouched");

	/* XMM0 is bytes 160-175 of the legacy area (chunk 0); XRSTOR loads
	 * it only with SSE (bit 1) in XSTATE_BV, byte 512 (chunk 2). */
	REQUIRE(set_xmm(s.vcpu, 0, 0x5a) == 0, "%s", kvmreg_error());
	{
		struct kvm_xsave raw;
		uint8_t want[16];

		memset(want, 0x5a, sizeof(want));
		REQUIRE(ioctl(s.vcpu_fd, KVM_GET_XSAVE, &raw) == 0, "GET_XSAVE");
		EXPECT(!memcmp((uint8_t *)raw.region + 160, want, 16),
		       "XMM0 written through chunk 0");
	}

	REQUIRE(kvmreg_set(s.vcpu, id_of("lapic.TPR"),
			   (uint8_t[16]){ (uint8_t)tpr }) == 0, "%s",
		kvmreg_error());
	REQUIRE(ioctl(s.vcpu_fd, KVM_GET_LAPIC, &lapic) == 0, "GET_LAPIC");
	EXPECT(*(uint32_t *)(lapic.regs + 0x80) == tpr, "TPR 0x%x",
	       *(uint32_t *)(lapic.regs + 0x80));

	REQUIRE(kvmreg_get(s.vcpu, id_of("events.nmi"), &nmi) == 0, "%s",
		kvmreg_error());
	nmi |= 1u << 16;	/* nmi.masked */
	REQUIRE(kvmreg_set(s.vcpu, id_of("events.nmi"), &nmi) == 0, "%s",
		kvmreg_error());
	REQUIRE(ioctl(s.vcpu_fd, KVM_GET_VCPU_EVENTS, &events) == 0, "events");
	EXPECT(events.nmi.masked == 1, "nmi.masked");

	/* Bytes past struct kvm_segment would be lost: refused. */
	REQUIRE(kvmreg_get(s.vcpu, id_of("ds"), seg) == 0, "%s", kvmreg_error());
	seg[30] = 1;
	EXPECT(kvmreg_set(s.vcpu, id_of("ds"), seg) == -EINVAL,
	       "segment padding must be zero");
	kvmreg_scratch_destroy(&s);
}

/* ------------------------------------------------------------------ */
/* KVM_SET_MSRS stops at the first refusal                             */

/*
 * The kernel's behaviour first: writing back what a fresh vCPU reads stops
 * at MSR_KVM_ASYNC_PF_INT when the VM has no in-kernel LAPIC
 * (kvm_pv_enable_async_pf_int refuses any value then).
 */
TEST(kvm_set_msrs_stops_at_async_pf_int_without_lapic)
{
	for (int irq = 0; irq <= 1; irq++) {
		struct kvmreg_scratch s;
		struct kvm_msr_list *index;
		struct kvm_msrs *msrs;
		int r;

		NEED_KVM();
		REQUIRE(vm_open(&s, irq ? VM_IRQCHIP : 0) == 0, "VM: %s",
			kvmreg_error());
		index = raw_msr_index(s.kvm_fd);
		REQUIRE(index, "index list");
		msrs = calloc(1, sizeof(*msrs) + index->nmsrs *
			      sizeof(struct kvm_msr_entry));
		msrs->nmsrs = index->nmsrs;
		for (uint32_t i = 0; i < index->nmsrs; i++)
			msrs->entries[i].index = index->indices[i];
		r = ioctl(s.vcpu_fd, KVM_GET_MSRS, msrs);
		REQUIRE(r == (int)index->nmsrs, "read %d of %u", r, index->nmsrs);
		r = ioctl(s.vcpu_fd, KVM_SET_MSRS, msrs);
		if (irq) {
			EXPECT(r == (int)index->nmsrs,
			       "with a LAPIC every MSR is taken back: %d of %u",
			       r, index->nmsrs);
		} else {
			REQUIRE(r >= 0 && r < (int)index->nmsrs,
				"KVM_SET_MSRS took %d of %u", r, index->nmsrs);
			EXPECT(msrs->entries[r].index == MSR_KVM_ASYNC_PF_INT,
			       "stopped at 0x%08" PRIx32,
			       msrs->entries[r].index);
			printf("    raw KVM_SET_MSRS: %d of %u, stopped at 0x%08" PRIx32 "\n",
			       r, index->nmsrs, msrs->entries[r].index);
		}
		free(msrs);
		free(index);
		kvmreg_scratch_destroy(&s);
	}
}

TEST(msr_group_finishes_a_batch_that_stops_early)
{
	const struct kvmreg_group_ops *g = &kvmreg_x86_64_groups;
	uint64_t ids[3] = { KVMREG_X86_MSR_ID(MSR_KVM_ASYNC_PF_INT),
			    KVMREG_X86_MSR_ID(MSR_STAR),
			    KVMREG_X86_MSR_ID(MSR_LSTAR) };
	uint64_t values[3] = { 0, 0x0023001000000000ULL,
			       0xffffffff81000000ULL };
	const uint8_t *vals[3] = { (uint8_t *)&values[0], (uint8_t *)&values[1],
				   (uint8_t *)&values[2] };
	struct kvmreg_scratch s;
	int errs[3] = { 99, 99, 99 };
	uint64_t before, star, lstar;

	NEED_KVM();
	REQUIRE(vm_open(&s, 0) == 0, "VM: %s", kvmreg_error());
	before = kvmreg_vcpu_ioctl_count(s.vcpu);
	REQUIRE(g->set(s.vcpu, KVMREG_X86_G_MSRS, 3, ids, vals, errs) == 0,
		"%s", kvmreg_error());
	EXPECT(errs[0] == -EINVAL && errs[1] == 0 && errs[2] == 0,
	       "errs %d %d %d", errs[0], errs[1], errs[2]);
	EXPECT(kvmreg_vcpu_ioctl_count(s.vcpu) - before == 2,
	       "one batch + the rest: %" PRIu64,
	       kvmreg_vcpu_ioctl_count(s.vcpu) - before);
	REQUIRE(raw_get_msr(s.vcpu_fd, MSR_STAR, &star) == 1 &&
		raw_get_msr(s.vcpu_fd, MSR_LSTAR, &lstar) == 1, "raw reads");
	EXPECT(star == values[1] && lstar == values[2],
	       "the MSRs after the refused one were written: 0x%" PRIx64 " 0x%" PRIx64,
	       star, lstar);
	kvmreg_scratch_destroy(&s);
}

TEST(msr_group_read_skips_an_unreadable_msr)
{
	const struct kvmreg_group_ops *g = &kvmreg_x86_64_groups;
	uint64_t ids[3] = { KVMREG_X86_MSR_ID(MSR_STAR),
			    KVMREG_X86_MSR_ID(0xdeadbeef),
			    KVMREG_X86_MSR_ID(MSR_LSTAR) };
	uint64_t values[3] = { 1, 1, 1 }, raw;
	uint8_t *vals[3] = { (uint8_t *)&values[0], (uint8_t *)&values[1],
			     (uint8_t *)&values[2] };
	struct kvmreg_scratch s;
	int errs[3] = { 99, 99, 99 };
	uint64_t before;

	NEED_KVM();
	REQUIRE(vm_open(&s, 0) == 0, "VM: %s", kvmreg_error());
	before = kvmreg_vcpu_ioctl_count(s.vcpu);
	REQUIRE(g->get(s.vcpu, KVMREG_X86_G_MSRS, 3, ids, vals, errs) == 0,
		"%s", kvmreg_error());
	EXPECT(errs[0] == 0 && errs[1] == -EINVAL && errs[2] == 0,
	       "errs %d %d %d", errs[0], errs[1], errs[2]);
	EXPECT(kvmreg_vcpu_ioctl_count(s.vcpu) - before == 2, "%" PRIu64,
	       kvmreg_vcpu_ioctl_count(s.vcpu) - before);
	REQUIRE(raw_get_msr(s.vcpu_fd, MSR_LSTAR, &raw) == 1, "raw LSTAR");
	EXPECT(values[2] == raw, "LSTAR after the gap: 0x%" PRIx64, values[2]);
	kvmreg_scratch_destroy(&s);
}

/* Through the public API the refusal at the value it holds is no error;
 * a real change is, and names the register. */
TEST(write_back_of_every_msr_succeeds_and_real_refusals_are_named)
{
	struct kvmreg_scratch s;
	struct kvmreg_list *list = NULL;
	struct kvmreg_state *state = kvmreg_state_new(X86);
	uint64_t *ids, msr_ids[256], one = 0x20;
	size_t n = 0;
	int errs[256];

	NEED_KVM();
	REQUIRE(vm_open(&s, 0) == 0, "VM: %s", kvmreg_error());
	ids = list_ids(s.vcpu, 0, &list);
	REQUIRE(ids, "%s", kvmreg_error());
	for (size_t i = 0; i < list->count && n < 256; i++)
		if (kvmreg_x86_is_msr(ids[i]))
			msr_ids[n++] = ids[i];
	REQUIRE(kvmreg_read(s.vcpu, msr_ids, n, state, NULL) == 0, "%s",
		kvmreg_error());
	EXPECT(kvmreg_write(s.vcpu, state, errs) == 0, "%s", kvmreg_error());
	for (size_t i = 0; i < n; i++)
		EXPECT(errs[i] == 0, "0x%016" PRIx64 ": %d", msr_ids[i], errs[i]);
	REQUIRE(kvmreg_state_set(state, KVMREG_X86_MSR_ID(MSR_KVM_ASYNC_PF_INT),
				 &one, 8) == 0, "%s", kvmreg_error());
	EXPECT(kvmreg_write(s.vcpu, state, errs) == -EINVAL, "refused");
	EXPECT(strstr(kvmreg_error(), "KVM_ASYNC_PF_INT"), "%s", kvmreg_error());
	free(ids);
	kvmreg_state_free(state);
	kvmreg_list_free(list);
	kvmreg_scratch_destroy(&s);
}

/* ------------------------------------------------------------------ */
/* Library ids never reach the kernel                                  */

TEST(kernel_rejects_every_library_id)
{
	struct kvmreg_scratch s;
	struct kvmreg_list *list = NULL;
	uint64_t *ids, value[32];
	size_t library = 0;

	NEED_KVM();
	REQUIRE(vm_open(&s, VM_IRQCHIP) == 0, "VM: %s", kvmreg_error());
	ids = list_ids(s.vcpu, 0, &list);
	REQUIRE(ids, "%s", kvmreg_error());
	for (size_t i = 0; i < list->count; i++) {
		struct kvm_one_reg reg = { .id = ids[i],
					   .addr = (uintptr_t)value };

		if (!kvmreg_x86_lib_kind(ids[i]))
			continue;
		library++;
		errno = 0;
		EXPECT(ioctl(s.vcpu_fd, KVM_GET_ONE_REG, &reg) == -1 &&
		       errno == EINVAL, "KVM_GET_ONE_REG 0x%016" PRIx64 ": errno %d",
		       ids[i], errno);
		errno = 0;
		EXPECT(ioctl(s.vcpu_fd, KVM_SET_ONE_REG, &reg) == -1 &&
		       errno == EINVAL, "KVM_SET_ONE_REG 0x%016" PRIx64 ": errno %d",
		       ids[i], errno);
	}
	EXPECT(library > 100, "%zu library ids", library);
	/* while an MSR id, on a kernel with x86 ONE_REG, is the kernel's own */
	if (ioctl(s.kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_ONE_REG) > 0) {
		uint64_t via_one_reg = 0, via_lib = 1;
		struct kvm_one_reg reg = { .id = KVMREG_X86_MSR_ID(0x277),
					   .addr = (uintptr_t)&via_one_reg };

		EXPECT(ioctl(s.vcpu_fd, KVM_GET_ONE_REG, &reg) == 0,
		       "KVM_GET_ONE_REG(IA32_PAT): %s", strerror(errno));
		EXPECT(kvmreg_get(s.vcpu, reg.id, &via_lib) == 0 &&
		       via_lib == via_one_reg, "IA32_PAT 0x%" PRIx64 " vs 0x%" PRIx64,
		       via_lib, via_one_reg);
	}
	free(ids);
	kvmreg_list_free(list);
	kvmreg_scratch_destroy(&s);
}

/* ------------------------------------------------------------------ */
/* The kernel behaviours behind the restore order                      */

static uint8_t pending_exception(int vcpu_fd)
{
	struct kvm_vcpu_events ev;

	memset(&ev, 0, sizeof(ev));
	return ioctl(vcpu_fd, KVM_GET_VCPU_EVENTS, &ev) ? 0xff :
	       ev.exception.pending;
}

TEST(regs_before_events_set_regs_drops_a_pending_exception)
{
	struct kvmreg_scratch s;
	struct kvmreg_state *state = NULL;
	uint8_t exception[8];
	uint64_t rax = 7;

	NEED_KVM();
	REQUIRE(vm_open(&s, VM_PAYLOAD) == 0, "VM: %s", kvmreg_error());
	REQUIRE(kvmreg_save(s.vcpu, &state) == 0, "%s", kvmreg_error());
	/* a #GP(0) pending: injected 0, nr 13, has_error_code 1, pending 1 */
	memcpy(exception, (uint8_t[8]){ 0, 13, 1, 1, 0, 0, 0, 0 }, 8);
	REQUIRE(kvmreg_set(s.vcpu, id_of("events.exception"), exception) == 0,
		"%s", kvmreg_error());
	REQUIRE(pending_exception(s.vcpu_fd) == 1, "exception pending");
	REQUIRE(kvmreg_set(s.vcpu, id_of("rax"), &rax) == 0, "%s",
		kvmreg_error());
	EXPECT(pending_exception(s.vcpu_fd) == 0,
	       "KVM_SET_REGS dropped the pending exception");

	/* restore writes regs first, events last: the exception survives */
	REQUIRE(kvmreg_state_set(state, id_of("events.exception"), exception, 8) == 0,
		"%s", kvmreg_error());
	REQUIRE(kvmreg_restore(s.vcpu, state) == 0, "%s", kvmreg_error());
	EXPECT(pending_exception(s.vcpu_fd) == 1,
	       "restored with the exception pending");
	kvmreg_state_free(state);
	kvmreg_scratch_destroy(&s);
}

TEST(mp_state_after_sregs_set_sregs_unhalts_the_bsp_at_reset)
{
	uint32_t halted = KVM_MP_STATE_HALTED, mp = 99;
	struct kvmreg_scratch s;
	struct kvmreg_state *state = NULL;
	uint64_t rip = 0xfff0, cr0;

	NEED_KVM();
	REQUIRE(vm_open(&s, VM_IRQCHIP) == 0, "VM: %s", kvmreg_error());
	REQUIRE(kvmreg_set(s.vcpu, id_of("rip"), &rip) == 0, "%s",
		kvmreg_error());
	REQUIRE(kvmreg_set(s.vcpu, id_of("mp_state"), &halted) == 0, "%s",
		kvmreg_error());
	REQUIRE(kvmreg_save(s.vcpu, &state) == 0, "%s", kvmreg_error());
	REQUIRE(kvmreg_get(s.vcpu, id_of("cr0"), &cr0) == 0 &&
		kvmreg_set(s.vcpu, id_of("cr0"), &cr0) == 0, "%s",
		kvmreg_error());
	REQUIRE(kvmreg_get(s.vcpu, id_of("mp_state"), &mp) == 0, "%s",
		kvmreg_error());
	if (mp == KVM_MP_STATE_HALTED)
		printf("    this kernel keeps the BSP halted across KVM_SET_SREGS\n");
	else
		EXPECT(mp == KVM_MP_STATE_RUNNABLE, "mp_state %u", mp);
	REQUIRE(kvmreg_restore(s.vcpu, state) == 0, "%s", kvmreg_error());
	REQUIRE(kvmreg_get(s.vcpu, id_of("mp_state"), &mp) == 0, "%s",
		kvmreg_error());
	EXPECT(mp == KVM_MP_STATE_HALTED, "restored mp_state %u", mp);
	kvmreg_state_free(state);
	kvmreg_scratch_destroy(&s);
}

TEST(tsc_deadline_after_lapic_the_write_needs_deadline_mode)
{
	uint64_t deadline = 0x123456789abcULL, got = 1, tsc;
	struct kvmreg_scratch s, fresh;
	struct kvmreg_state *state = NULL;
	uint32_t lvtt[4] = { 0x40000 | 0xec, 0, 0, 0 };	/* TSC-deadline */
	uint64_t tsc_deadline = KVMREG_X86_MSR_ID(MSR_TSC_DEADLINE);

	NEED_KVM();
	REQUIRE(vm_open(&s, VM_IRQCHIP) == 0, "VM: %s", kvmreg_error());
	REQUIRE(kvmreg_set(s.vcpu, tsc_deadline, &deadline) == 0, "%s",
		kvmreg_error());
	REQUIRE(kvmreg_get(s.vcpu, tsc_deadline, &got) == 0, "%s",
		kvmreg_error());
	EXPECT(got == 0, "LVTT one-shot: the deadline write is dropped (0x%" PRIx64 ")",
	       got);
	REQUIRE(kvmreg_set(s.vcpu, id_of("lapic.LVTT"), lvtt) == 0, "%s",
		kvmreg_error());
	REQUIRE(kvmreg_get(s.vcpu, id_of("IA32_TSC"), &tsc) == 0, "%s",
		kvmreg_error());
	deadline = tsc + (1ULL << 40);
	REQUIRE(kvmreg_set(s.vcpu, tsc_deadline, &deadline) == 0 &&
		kvmreg_get(s.vcpu, tsc_deadline, &got) == 0, "%s",
		kvmreg_error());
	REQUIRE(got == deadline, "deadline mode keeps it: 0x%" PRIx64, got);

	/* restore into a fresh vCPU: LAPIC first, so the deadline holds */
	REQUIRE(kvmreg_save(s.vcpu, &state) == 0, "%s", kvmreg_error());
	REQUIRE(vm_open(&fresh, VM_IRQCHIP) == 0, "VM: %s", kvmreg_error());
	REQUIRE(kvmreg_restore(fresh.vcpu, state) == 0, "%s", kvmreg_error());
	got = 0;
	REQUIRE(kvmreg_get(fresh.vcpu, tsc_deadline, &got) == 0, "%s",
		kvmreg_error());
	EXPECT(got == deadline, "restored deadline 0x%" PRIx64 ", want 0x%" PRIx64,
	       got, deadline);
	kvmreg_state_free(state);
	kvmreg_scratch_destroy(&fresh);
	kvmreg_scratch_destroy(&s);
}

/* Change something in every group, restore, and the save matches. */
TEST(restore_round_trip)
{
	for (int irq = 0; irq <= 1; irq++) {
		struct kvmreg_scratch s;
		struct kvmreg_state *original = NULL, *changed = NULL, *now = NULL;
		uint64_t rbx = 0xabcdef, star = 0x0023001000000000ULL, dr0 = 0x1000;
		uint64_t before;

		NEED_KVM();
		REQUIRE(vm_open(&s, irq ? VM_IRQCHIP : 0) == 0, "VM: %s",
			kvmreg_error());
		REQUIRE(kvmreg_save(s.vcpu, &original) == 0, "%s", kvmreg_error());
		REQUIRE(kvmreg_set(s.vcpu, id_of("rbx"), &rbx) == 0 &&
			kvmreg_set(s.vcpu, id_of("IA32_STAR"), &star) == 0 &&
			kvmreg_set(s.vcpu, id_of("dr0"), &dr0) == 0 &&
			set_xmm(s.vcpu, 1, 0xa5) == 0, "%s", kvmreg_error());
		if (irq) {
			uint32_t tpr[4] = { 0x30, 0, 0, 0 };
			uint32_t halted = KVM_MP_STATE_HALTED;

			REQUIRE(kvmreg_set(s.vcpu, id_of("lapic.TPR"), tpr) == 0 &&
				kvmreg_set(s.vcpu, id_of("mp_state"), &halted) == 0,
				"%s", kvmreg_error());
		}
		REQUIRE(kvmreg_save(s.vcpu, &changed) == 0, "%s", kvmreg_error());
		EXPECT(t_state_differences(original, changed, 0) >= (irq ? 6u : 4u),
		       "the changes show");

		before = kvmreg_vcpu_ioctl_count(s.vcpu);
		REQUIRE(kvmreg_restore(s.vcpu, original) == 0, "%s", kvmreg_error());
		printf("    %s: restore of %zu registers = %" PRIu64 " vCPU ioctls (with the rollback read)\n",
		       irq ? "irqchip VM" : "no irqchip",
		       kvmreg_state_count(original),
		       kvmreg_vcpu_ioctl_count(s.vcpu) - before);
		REQUIRE(kvmreg_save(s.vcpu, &now) == 0, "%s", kvmreg_error());
		EXPECT(t_state_differences(original, now, 0) == 0,
		       "restored to the original");
		kvmreg_state_free(now);
		now = NULL;
		REQUIRE(kvmreg_restore(s.vcpu, changed) == 0, "%s", kvmreg_error());
		REQUIRE(kvmreg_save(s.vcpu, &now) == 0, "%s", kvmreg_error());
		EXPECT(t_state_differences(changed, now, 0) == 0,
		       "restored to the changed state");
		kvmreg_state_free(original);
		kvmreg_state_free(changed);
		kvmreg_state_free(now);
		kvmreg_scratch_destroy(&s);
	}
}

TEST_MAIN("x86_regs",
	  CASE(msr_list_is_the_readable_index_list),
	  CASE(every_listed_register_reads_and_says_where_it_came_from),
	  CASE(lapic_is_listed_only_with_an_in_kernel_irqchip),
	  CASE(scratch_vcpu_is_set_up_as_a_vmm_would),
	  CASE(attach_with_only_the_vcpu_fd),
	  CASE(forced_fallback_lists_the_same_state),
	  CASE(full_read_costs_one_ioctl_per_group),
	  CASE(single_access_costs),
	  CASE(whole_group_write_is_one_ioctl),
	  CASE(partial_writes_patch_the_struct),
	  CASE(kvm_set_msrs_stops_at_async_pf_int_without_lapic),
	  CASE(msr_group_finishes_a_batch_that_stops_early),
	  CASE(msr_group_read_skips_an_unreadable_msr),
	  CASE(write_back_of_every_msr_succeeds_and_real_refusals_are_named),
	  CASE(kernel_rejects_every_library_id),
	  CASE(regs_before_events_set_regs_drops_a_pending_exception),
	  CASE(mp_state_after_sregs_set_sregs_unhalts_the_bsp_at_reset),
	  CASE(tsc_deadline_after_lapic_the_write_needs_deadline_mode),
	  CASE(restore_round_trip))

#else /* !__x86_64__ */

TEST(x86_only)
{
	SKIP("x86_64 driver: not this architecture");
}

TEST_MAIN("x86_regs", CASE(x86_only))

#endif
