// SPDX-License-Identifier: MIT
/*
 * riscv64 ISA extension registers on real KVM: a VMM may switch an
 * extension off (or back on) only before the vCPU first runs (EBUSY
 * after, unless the value is the same), and switching one decides which
 * other registers exist. Restore must write them first; a restore that
 * comes too late fails naming the register and leaves the vCPU as it was.
 * SKIPs off riscv64.
 */
#include <inttypes.h>

#include "harness.h"
#include "kvmreg.h"
#include "lib/first_run.h"
#include "lib/guest.h"
#include "lib/testutil.h"

#if defined(__riscv) && __riscv_xlen == 64

/*
 * An extension that is on and that KVM lets a VMM turn off: V if offered
 * (its registers then leave the list), else D or F. 0 if none.
 */
static unsigned int switchable_ext(struct guest_vm *vm, const char **name)
{
	static const struct {
		unsigned int ext;
		const char *name;
	} candidates[] = {
		{ GUEST_RISCV_ISA_EXT_V, "V" },
		{ GUEST_RISCV_ISA_EXT_D, "D" },
		{ GUEST_RISCV_ISA_EXT_F, "F" },
	};

	for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++) {
		uint64_t on = 0;

		if (kvmreg_get(vm->vcpu, guest_riscv_isa_ext(candidates[i].ext),
			       &on) == 0 && on == 1) {
			*name = candidates[i].name;
			return candidates[i].ext;
		}
	}
	return 0;
}

#define NEED_SWITCHABLE(vm, ext, name)					\
	do {								\
		REQUIRE(guest_vm_create(vm, 0, NULL) == 0, "vCPU");	\
		ext = switchable_ext(vm, &name);			\
		if (!ext) {						\
			guest_vm_destroy(vm);				\
			SKIP("no V, D or F extension to switch off");	\
		}							\
	} while (0)

static size_t count_type(const struct kvmreg_list *list, uint64_t type)
{
	size_t n = 0;

	for (size_t i = 0; i < list->count; i++)
		n += (list->regs[i].id & 0xff000000ull) == type;
	return n;
}

/* KVM_REG_RISCV_ISA_EXT ids in the list, each readable as 0 or 1. */
TEST(isa_ext_registers_are_listed_and_boolean)
{
	struct guest_vm vm;
	struct kvmreg_list *list = NULL;
	size_t found = 0;

	NEED_KVM();
	REQUIRE(guest_vm_create(&vm, 0, NULL) == 0, "vCPU");
	REQUIRE(kvmreg_list_get(vm.vcpu, 0, &list) == 0, "%s", kvmreg_error());
	for (size_t i = 0; i < list->count; i++) {
		uint64_t id = list->regs[i].id, v = 2;
		char name[64];

		/* Single-extension registers: type 7, subtype 0. */
		if ((id & 0xfff000000ull) != (7ull << 24))
			continue;
		found++;
		EXPECT(kvmreg_get(vm.vcpu, id, &v) == 0 && v <= 1,
		       "0x%016" PRIx64 " reads %" PRIu64, id, v);
		kvmreg_id_name(KVMREG_ARCH_RISCV64, id, KVMREG_NAME_SHORT,
			       name, sizeof(name));
		EXPECT(strncmp(name, "0x", 2) != 0,
		       "0x%016" PRIx64 " has only a generic name", id);
	}
	EXPECT(found >= 6, "only %zu ISA extension registers listed", found);
	printf("    %zu ISA extension registers, %zu registers in all\n",
	       found, list->count);
	kvmreg_list_free(list);
	guest_vm_destroy(&vm);
}

TEST(extension_switches_off_before_the_first_run)
{
	struct guest_vm vm;
	struct kvmreg_list *before = NULL, *after = NULL;
	const char *name = "";
	unsigned int ext;
	uint64_t off = 0, back = 1;

	NEED_KVM();
	NEED_SWITCHABLE(&vm, ext, name);
	REQUIRE(kvmreg_list_get(vm.vcpu, 0, &before) == 0, "%s",
		kvmreg_error());
	EXPECT(kvmreg_set(vm.vcpu, guest_riscv_isa_ext(ext), &off) == 0,
	       "switching %s off: %s", name, kvmreg_error());
	EXPECT(kvmreg_get(vm.vcpu, guest_riscv_isa_ext(ext), &back) == 0 &&
	       back == 0, "%s reads %" PRIu64 " after switching it off", name,
	       back);
	REQUIRE(kvmreg_list_get(vm.vcpu, 0, &after) == 0, "%s",
		kvmreg_error());
	/* Registers of the extension leave the list with it. */
	if (ext == GUEST_RISCV_ISA_EXT_V)
		EXPECT(count_type(before, 9ull << 24) > 0 &&
		       count_type(after, 9ull << 24) == 0,
		       "vector registers: %zu listed with V, %zu without",
		       count_type(before, 9ull << 24),
		       count_type(after, 9ull << 24));
	else
		EXPECT(after->count < before->count,
		       "the list kept %zu of %zu registers without %s",
		       after->count, before->count, name);
	printf("    %s off: %zu registers listed, %zu with it\n", name,
	       after->count, before->count);
	kvmreg_list_free(before);
	kvmreg_list_free(after);
	guest_vm_destroy(&vm);
}

/* The wrong order: once the vCPU has run, its extensions are fixed. */
TEST(extensions_are_fixed_after_the_first_run)
{
	struct guest_vm vm;
	const char *name = "";
	unsigned int ext;
	uint64_t off = 0, on = 1;

	NEED_KVM();
	NEED_SWITCHABLE(&vm, ext, name);
	REQUIRE(guest_touch_run(&vm) == 0, "KVM_RUN");
	EXPECT(kvmreg_set(vm.vcpu, guest_riscv_isa_ext(ext), &off) == -EBUSY,
	       "switching %s off after the first run: %s", name,
	       kvmreg_error());
	EXPECT(strstr(kvmreg_error(), "isa_ext") != NULL,
	       "the error does not name the register: %s", kvmreg_error());
	EXPECT(kvmreg_set(vm.vcpu, guest_riscv_isa_ext(ext), &on) == 0,
	       "writing the same value after the first run: %s",
	       kvmreg_error());
	guest_vm_destroy(&vm);
}

/*
 * A state saved with an extension off: it restores exactly into a vCPU
 * that has not run (extensions go first, so the registers they remove are
 * gone before anything else is written), but into one that has run it
 * fails on the extension and the vCPU keeps every register it had.
 */
TEST(restore_of_fewer_extensions_needs_a_fresh_vcpu)
{
	struct guest_vm src;
	struct kvmreg_state *saved = NULL;
	const char *name = "";
	char changed[32];
	unsigned int ext;
	uint64_t off = 0;

	NEED_KVM();
	NEED_SWITCHABLE(&src, ext, name);
	REQUIRE(kvmreg_set(src.vcpu, guest_riscv_isa_ext(ext), &off) == 0,
		"%s", kvmreg_error());
	REQUIRE(kvmreg_save(src.vcpu, &saved) == 0, "%s", kvmreg_error());
	snprintf(changed, sizeof(changed), "%s off", name);
	/* The refusal names config.isa (the base letters) or isa_ext.<name>,
	 * whichever the order writes first. */
	t_restore_needs_a_fresh_vcpu(saved, changed, "isa");
	kvmreg_state_free(saved);
	guest_vm_destroy(&src);
}

/* config, ISA_EXT, SBI_EXT: all fixed at the first run. */
static bool is_configuration(uint64_t id)
{
	uint64_t type = id & 0xff000000ull;

	return type == (1ull << 24) || type == (7ull << 24) ||
	       type == (8ull << 24);
}

static bool is_other(uint64_t id)
{
	return !is_configuration(id);
}

/* The library's order writes the configuration (config, ISA and SBI
 * extensions) before the state it decides. */
TEST(isa_registers_come_first_in_restore_order)
{
	NEED_KVM();
	t_fixed_registers_come_first(is_configuration, is_other);
}

#else

#define NOT_RISCV64(name)						\
	TEST(name)							\
	{								\
		SKIP("riscv64 only");					\
	}
NOT_RISCV64(isa_ext_registers_are_listed_and_boolean)
NOT_RISCV64(extension_switches_off_before_the_first_run)
NOT_RISCV64(extensions_are_fixed_after_the_first_run)
NOT_RISCV64(restore_of_fewer_extensions_needs_a_fresh_vcpu)
NOT_RISCV64(isa_registers_come_first_in_restore_order)

#endif

TEST_MAIN("riscv_isa",
	  CASE(isa_ext_registers_are_listed_and_boolean),
	  CASE(extension_switches_off_before_the_first_run),
	  CASE(extensions_are_fixed_after_the_first_run),
	  CASE(restore_of_fewer_extensions_needs_a_fresh_vcpu),
	  CASE(isa_registers_come_first_in_restore_order))
