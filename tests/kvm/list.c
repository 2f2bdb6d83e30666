// SPDX-License-Identifier: MIT
/* Enumeration on real KVM: here on x86, and in the arm64/riscv64 guests. */
#include <inttypes.h>

#include "harness.h"
#include "kvmreg.h"

static struct kvmreg_scratch scratch;

static int open_scratch(void)
{
	if (kvmreg_scratch_create(0, &scratch)) {
		h_fail_at(__FILE__, __LINE__, "scratch vCPU: %s", kvmreg_error());
		return -1;
	}
	return 0;
}

static int is_generic_name(const char *name)
{
	return !strncmp(name, "0x", 2);
}

TEST(list_is_nonempty_and_consistent)
{
	struct kvmreg_list *list;
	enum kvmreg_arch arch = kvmreg_arch_host();

	NEED_KVM();
	REQUIRE(open_scratch() == 0, "scratch");
	REQUIRE(kvmreg_list_get(scratch.vcpu, 0, &list) == 0, "%s", kvmreg_error());
	printf("    %zu registers\n", list->count);
	EXPECT(list->count > 0, "an empty register list");
	for (size_t i = 0; i < list->count; i++) {
		const struct kvmreg_reg *r = &list->regs[i];

		EXPECT(kvmreg_arch_of_id(r->id) == arch, "0x%016" PRIx64 " is not a host id", r->id);
		EXPECT(r->size == kvmreg_id_size(r->id), "0x%016" PRIx64 " size %u", r->id, r->size);
		EXPECT(kvmreg_id_check(arch, r->id) == 0, "%s", kvmreg_error());
		EXPECT(r->source >= KVMREG_SRC_KERNEL_LIST && r->source <= KVMREG_SRC_DERIVED,
		       "0x%016" PRIx64 " source %u", r->id, r->source);
		for (size_t j = 0; j < i; j++)
			EXPECT(list->regs[j].id != r->id, "0x%016" PRIx64 " listed twice", r->id);
	}
	kvmreg_list_free(list);
	kvmreg_scratch_destroy(&scratch);
}

TEST(every_listed_register_reads)
{
	struct kvmreg_list *list;
	struct kvmreg_state *state;
	uint64_t *ids;
	int *errs;
	char name[160];

	NEED_KVM();
	REQUIRE(open_scratch() == 0, "scratch");
	REQUIRE(kvmreg_list_get(scratch.vcpu, 0, &list) == 0, "%s", kvmreg_error());
	ids = calloc(list->count + 1, sizeof(*ids));
	errs = calloc(list->count + 1, sizeof(*errs));
	state = kvmreg_state_new(kvmreg_arch_host());
	for (size_t i = 0; i < list->count; i++)
		ids[i] = list->regs[i].id;
	EXPECT(kvmreg_read(scratch.vcpu, ids, list->count, state, errs) == 0,
	       "%s", kvmreg_error());
	for (size_t i = 0; i < list->count; i++) {
		if (!errs[i])
			continue;
		kvmreg_id_name(KVMREG_ARCH_NONE, ids[i], KVMREG_NAME_SHORT, name, sizeof(name));
		EXPECT(errs[i] == 0, "%s: %s", name, strerror(-errs[i]));
	}
	EXPECT(kvmreg_state_count(state) == list->count, "%zu of %zu read",
	       kvmreg_state_count(state), list->count);
	kvmreg_state_free(state);
	free(ids);
	free(errs);
	kvmreg_list_free(list);
	kvmreg_scratch_destroy(&scratch);
}

TEST(every_listed_register_has_a_name)
{
	struct kvmreg_list *list;
	char name[160], macro[256];
	uint64_t back;
	size_t generic = 0;

	NEED_KVM();
	REQUIRE(open_scratch() == 0, "scratch");
	REQUIRE(kvmreg_list_get(scratch.vcpu, 0, &list) == 0, "%s", kvmreg_error());
	for (size_t i = 0; i < list->count; i++) {
		uint64_t id = list->regs[i].id;

		REQUIRE(kvmreg_id_name(KVMREG_ARCH_NONE, id, KVMREG_NAME_SHORT, name, sizeof(name)) > 0,
			"%s", kvmreg_error());
		REQUIRE(kvmreg_id_name(KVMREG_ARCH_NONE, id, KVMREG_NAME_MACRO, macro, sizeof(macro)) > 0,
			"%s", kvmreg_error());
		if (is_generic_name(name)) {
			printf("    no name for 0x%016" PRIx64 "\n", id);
			generic++;
		}
		EXPECT(kvmreg_id_parse(kvmreg_arch_host(), name, &back) == 0 && back == id,
		       "'%s' parses back to 0x%016" PRIx64 ", not 0x%016" PRIx64 ": %s",
		       name, back, id, kvmreg_error());
		EXPECT(kvmreg_id_parse(kvmreg_arch_host(), macro, &back) == 0 && back == id,
		       "'%s' parses back to 0x%016" PRIx64 ", not 0x%016" PRIx64 ": %s",
		       macro, back, id, kvmreg_error());
	}
	EXPECT(generic == 0, "%zu listed registers have only a generic name", generic);
	kvmreg_list_free(list);
	kvmreg_scratch_destroy(&scratch);
}

static int list_has(const struct kvmreg_list *list, uint64_t id)
{
	for (size_t i = 0; i < list->count; i++)
		if (list->regs[i].id == id)
			return 1;
	return 0;
}

/*
 * The fallback table must cover what the kernel lists, so a kernel without
 * KVM_GET_REG_LIST loses nothing. Drift either way is printed as a table.
 */
TEST(fallback_covers_kernel_list)
{
	struct kvmreg_list *kernel, *fallback;
	size_t missing = 0, extra = 0;
	char name[160];

	NEED_KVM();
	REQUIRE(open_scratch() == 0, "scratch");
	REQUIRE(kvmreg_list_get(scratch.vcpu, 0, &kernel) == 0, "%s", kvmreg_error());
	if (kvmreg_list_get(scratch.vcpu, KVMREG_LIST_FORCE_FALLBACK, &fallback)) {
		kvmreg_list_free(kernel);
		kvmreg_scratch_destroy(&scratch);
		SKIP("no fallback table: %s", kvmreg_error());
	}
	for (size_t i = 0; i < kernel->count; i++) {
		if (list_has(fallback, kernel->regs[i].id))
			continue;
		kvmreg_id_name(KVMREG_ARCH_NONE, kernel->regs[i].id, KVMREG_NAME_SHORT, name, sizeof(name));
		printf("    drift: kernel lists %-32s 0x%016" PRIx64 ", fallback does not\n",
		       name, kernel->regs[i].id);
		missing++;
	}
	for (size_t i = 0; i < fallback->count; i++) {
		if (list_has(kernel, fallback->regs[i].id))
			continue;
		kvmreg_id_name(KVMREG_ARCH_NONE, fallback->regs[i].id, KVMREG_NAME_SHORT, name, sizeof(name));
		printf("    drift: fallback lists %-32s 0x%016" PRIx64 ", kernel does not\n",
		       name, fallback->regs[i].id);
		extra++;
	}
	printf("    kernel %zu, fallback %zu, missing from fallback %zu, extra in fallback %zu\n",
	       kernel->count, fallback->count, missing, extra);
	EXPECT(missing == 0, "the fallback table misses %zu registers the kernel lists", missing);
	kvmreg_list_free(kernel);
	kvmreg_list_free(fallback);
	kvmreg_scratch_destroy(&scratch);
}

TEST(no_kvm_gives_one_clear_line)
{
	/* Only meaningful where /dev/kvm exists: the message path for the
	 * missing case is checked by the CLI test. Here: a bad fd. */
	struct kvmreg_vcpu *vcpu;

	EXPECT(kvmreg_vcpu_attach(-1, -1, -1, &vcpu) == -EBADF, "attach(-1)");
	EXPECT(strstr(kvmreg_error(), "not open") != NULL, "message: %s", kvmreg_error());
}

TEST_MAIN("list",
	  CASE(list_is_nonempty_and_consistent),
	  CASE(every_listed_register_reads),
	  CASE(every_listed_register_has_a_name),
	  CASE(fallback_covers_kernel_list),
	  CASE(no_kvm_gives_one_clear_line))
