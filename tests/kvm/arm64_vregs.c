// SPDX-License-Identifier: MIT
/*
 * arm64 FPSIMD V registers on real KVM: 128-bit ids whose two halves must
 * both survive a write and a read, one by one and batched, and the 32-bit
 * FPSR/FPCR beside them. SKIPs off arm64.
 */
#include <inttypes.h>

#include "harness.h"
#include "kvmreg.h"
#include "lib/guest.h"
#include "lib/testutil.h"

#ifdef __aarch64__

static void v_value(uint8_t v[16], unsigned int n, unsigned int seed)
{
	/* Each byte differs, so a swapped or dropped half shows. */
	for (unsigned int i = 0; i < 16; i++)
		v[i] = (uint8_t)(n * 16 + i + seed * 0x40);
}

TEST(v_registers_round_trip_128_bits)
{
	struct guest_vm vm;
	uint8_t want[16], got[16];

	NEED_KVM();
	REQUIRE(guest_vm_create(&vm, 0, NULL) == 0, "vCPU");
	for (unsigned int n = 0; n < 32; n++) {
		uint64_t id = guest_arm64_v(n);

		EXPECT(kvmreg_id_size(id) == 16, "V%u is %zu bytes", n,
		       kvmreg_id_size(id));
		v_value(want, n, 1);
		EXPECT(kvmreg_set(vm.vcpu, id, want) == 0, "V%u: %s", n,
		       kvmreg_error());
		memset(got, 0, sizeof(got));
		EXPECT(kvmreg_get(vm.vcpu, id, got) == 0, "V%u: %s", n,
		       kvmreg_error());
		EXPECT(!memcmp(want, got, 16), "V%u does not read back", n);
	}
	guest_vm_destroy(&vm);
}

/* The batch paths move 128-bit values as whole values too. */
TEST(v_registers_batch_equals_single)
{
	struct guest_vm vm;
	struct kvmreg_state *in, *out;
	uint64_t ids[32];

	NEED_KVM();
	REQUIRE(guest_vm_create(&vm, 0, NULL) == 0, "vCPU");
	in = kvmreg_state_new(KVMREG_ARCH_ARM64);
	out = kvmreg_state_new(KVMREG_ARCH_ARM64);
	for (unsigned int n = 0; n < 32; n++) {
		uint8_t v[16];

		ids[n] = guest_arm64_v(n);
		v_value(v, n, 2);
		REQUIRE(kvmreg_state_set(in, ids[n], v, 16) == 0, "%s",
			kvmreg_error());
	}
	EXPECT(kvmreg_write(vm.vcpu, in, NULL) == 0, "%s", kvmreg_error());
	EXPECT(kvmreg_read(vm.vcpu, ids, 32, out, NULL) == 0, "%s",
	       kvmreg_error());
	for (unsigned int n = 0; n < 32; n++) {
		uint8_t single[16];
		const void *batch = kvmreg_state_get(out, ids[n]);

		REQUIRE(kvmreg_get(vm.vcpu, ids[n], single) == 0, "%s",
			kvmreg_error());
		EXPECT(batch && !memcmp(batch, single, 16),
		       "V%u: batch read differs from single read", n);
		EXPECT(!memcmp(single, kvmreg_state_get(in, ids[n]), 16),
		       "V%u: batch write did not land", n);
	}
	kvmreg_state_free(in);
	kvmreg_state_free(out);
	guest_vm_destroy(&vm);
}

/*
 * The names the library gives these ids parse back to them, and the value
 * text codec carries all 128 bits (what `kvmreg get`/`set` print and take).
 */
TEST(v_register_names_and_values_are_whole)
{
	uint8_t v[16], back[16];
	char name[64], text[64];
	uint64_t id = guest_arm64_v(31), parsed = 0;

	v_value(v, 31, 3);
	REQUIRE(kvmreg_id_name(KVMREG_ARCH_ARM64, id, KVMREG_NAME_SHORT, name,
			       sizeof(name)) > 0, "%s", kvmreg_error());
	EXPECT(kvmreg_id_parse(KVMREG_ARCH_ARM64, name, &parsed) == 0 &&
	       parsed == id, "'%s' parses to 0x%016" PRIx64, name, parsed);
	EXPECT(strncmp(name, "0x", 2) != 0, "V31 has only a generic name");
	REQUIRE(kvmreg_value_format(v, 16, text, sizeof(text)) == 34,
		"'%s' is not 0x + 32 digits", text);
	EXPECT(kvmreg_value_parse(text, back, 16) == 0, "%s", kvmreg_error());
	EXPECT(!memcmp(v, back, 16), "'%s' does not parse back", text);
}

/* FPSR and FPCR: 32-bit ids in the same core block. */
TEST(fpsr_fpcr_round_trip_32_bits)
{
	struct guest_vm vm;
	struct kvmreg_list *list = NULL;
	size_t found = 0;

	NEED_KVM();
	REQUIRE(guest_vm_create(&vm, 0, NULL) == 0, "vCPU");
	REQUIRE(kvmreg_list_get(vm.vcpu, 0, &list) == 0, "%s", kvmreg_error());
	for (size_t i = 0; i < list->count; i++) {
		uint64_t id = list->regs[i].id;
		/* FPSR.QC, FPCR.DN: KVM keeps the value until the vCPU runs. */
		uint32_t want = 0x0a000000, got = 0;

		/* Core (0x0010 group) registers of 32 bits: FPSR, FPCR. */
		if (((id >> 16) & 0xffff) != 0x0010 || kvmreg_id_size(id) != 4)
			continue;
		found++;
		EXPECT(kvmreg_set(vm.vcpu, id, &want) == 0, "%s", kvmreg_error());
		EXPECT(kvmreg_get(vm.vcpu, id, &got) == 0, "%s", kvmreg_error());
		EXPECT(got == want, "0x%016" PRIx64 ": 0x%08x back", id, got);
	}
	EXPECT(found == 2, "%zu 32-bit core registers listed, not FPSR+FPCR",
	       found);
	kvmreg_list_free(list);
	guest_vm_destroy(&vm);
}

#else /* !__aarch64__ */

#define NOT_ARM64(name)							\
	TEST(name)							\
	{								\
		SKIP("arm64 only");					\
	}
NOT_ARM64(v_registers_round_trip_128_bits)
NOT_ARM64(v_registers_batch_equals_single)
NOT_ARM64(v_register_names_and_values_are_whole)
NOT_ARM64(fpsr_fpcr_round_trip_32_bits)

#endif

TEST_MAIN("arm64_vregs",
	  CASE(v_registers_round_trip_128_bits),
	  CASE(v_registers_batch_equals_single),
	  CASE(v_register_names_and_values_are_whole),
	  CASE(fpsr_fpcr_round_trip_32_bits))
