// SPDX-License-Identifier: MIT
/*
 * riscv64 vector registers on real KVM, where the CPU offers V: v0..v31
 * are vlenb bytes wide (256 bits in the nested guest, QEMU's vlen=256),
 * their ids carry that size, and every byte survives a write and a read,
 * one by one, batched, and through save and restore into a fresh vCPU.
 * SKIPs off riscv64 and without V.
 */
#include <inttypes.h>

#include "harness.h"
#include "kvmreg.h"
#include "lib/guest.h"
#include "lib/testutil.h"

#if defined(__riscv) && __riscv_xlen == 64

#define VLENB_INDEX 4	/* vstart, vl, vtype, vcsr, vlenb */

/* A vCPU with V and its vlenb, or a SKIP. */
#define NEED_VECTOR_VCPU(vm, vlenb)					\
	do {								\
		uint64_t h_on = 0;					\
		REQUIRE(guest_vm_create(vm, 0, NULL) == 0, "vCPU");	\
		if (kvmreg_get((vm)->vcpu,				\
			       guest_riscv_isa_ext(GUEST_RISCV_ISA_EXT_V), \
			       &h_on) || !h_on) {			\
			guest_vm_destroy(vm);				\
			SKIP("this CPU offers no V extension");		\
		}							\
		REQUIRE(kvmreg_get((vm)->vcpu,				\
				   guest_riscv_vector_csr(VLENB_INDEX),	\
				   &(vlenb)) == 0, "vlenb: %s",		\
			kvmreg_error());				\
	} while (0)

static void pattern(uint8_t *buf, size_t len, unsigned int n,
		    unsigned int seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(n * 37 + i * 3 + seed * 101 + (i >> 4));
}

TEST(vector_registers_are_listed_at_vlenb)
{
	struct guest_vm vm;
	struct kvmreg_list *list = NULL;
	uint64_t vlenb = 0;
	size_t vregs = 0;

	NEED_KVM();
	NEED_VECTOR_VCPU(&vm, vlenb);
	EXPECT(vlenb >= 16 && (vlenb & (vlenb - 1)) == 0,
	       "vlenb %" PRIu64 " is not a power of two >= 16", vlenb);
	REQUIRE(kvmreg_list_get(vm.vcpu, 0, &list) == 0, "%s", kvmreg_error());
	for (unsigned int n = 0; n < 32; n++) {
		uint64_t id = guest_riscv_vreg(n, vlenb);

		EXPECT(kvmreg_id_size(id) == vlenb, "v%u is %zu bytes", n,
		       kvmreg_id_size(id));
		char name[128];
		uint64_t back = 0;

		for (size_t i = 0; i < list->count; i++)
			if (list->regs[i].id == id) {
				vregs++;
				EXPECT(list->regs[i].size == vlenb,
				       "v%u listed with size %u", n,
				       list->regs[i].size);
			}
		REQUIRE(kvmreg_id_name(KVMREG_ARCH_RISCV64, id,
				       KVMREG_NAME_SHORT, name,
				       sizeof(name)) > 0, "%s", kvmreg_error());
		EXPECT(strncmp(name, "0x", 2) != 0,
		       "v%u has only a generic name", n);
		EXPECT(kvmreg_id_parse(KVMREG_ARCH_RISCV64, name, &back) == 0 &&
		       back == id, "'%s' parses to 0x%016" PRIx64, name, back);
	}
	EXPECT(vregs == 32, "%zu of v0..v31 listed", vregs);
	printf("    vlenb %" PRIu64 " (%" PRIu64 "-bit vectors)\n", vlenb,
	       vlenb * 8);
	kvmreg_list_free(list);
	guest_vm_destroy(&vm);
}

TEST(vector_registers_round_trip)
{
	struct guest_vm vm;
	uint64_t vlenb = 0;
	uint8_t want[256], got[256];

	NEED_KVM();
	NEED_VECTOR_VCPU(&vm, vlenb);
	REQUIRE(vlenb <= sizeof(want), "vlenb %" PRIu64, vlenb);
	for (unsigned int n = 0; n < 32; n++) {
		uint64_t id = guest_riscv_vreg(n, vlenb);

		pattern(want, vlenb, n, 1);
		memset(got, 0, sizeof(got));
		EXPECT(kvmreg_set(vm.vcpu, id, want) == 0, "v%u: %s", n,
		       kvmreg_error());
		EXPECT(kvmreg_get(vm.vcpu, id, got) == 0, "v%u: %s", n,
		       kvmreg_error());
		EXPECT(!memcmp(want, got, vlenb), "v%u does not read back", n);
	}
	guest_vm_destroy(&vm);
}

TEST(vector_state_restores_into_a_fresh_vcpu)
{
	struct guest_vm a, b;
	struct kvmreg_state *in, *saved = NULL, *restored = NULL, *batch;
	uint64_t vlenb = 0, ids[32];

	NEED_KVM();
	NEED_VECTOR_VCPU(&a, vlenb);
	in = kvmreg_state_new(KVMREG_ARCH_RISCV64);
	batch = kvmreg_state_new(KVMREG_ARCH_RISCV64);
	for (unsigned int n = 0; n < 32; n++) {
		uint8_t v[256];

		ids[n] = guest_riscv_vreg(n, vlenb);
		pattern(v, vlenb, n, 2);
		REQUIRE(kvmreg_state_set(in, ids[n], v, vlenb) == 0, "%s",
			kvmreg_error());
	}
	EXPECT(kvmreg_write(a.vcpu, in, NULL) == 0, "%s", kvmreg_error());
	EXPECT(kvmreg_read(a.vcpu, ids, 32, batch, NULL) == 0, "%s",
	       kvmreg_error());
	EXPECT(t_state_differences(in, batch, 1) == 0,
	       "batched write and read differ");
	REQUIRE(kvmreg_save(a.vcpu, &saved) == 0, "%s", kvmreg_error());
	REQUIRE(guest_vm_create(&b, 0, NULL) == 0, "vCPU");
	EXPECT(kvmreg_restore(b.vcpu, saved) == 0, "%s", kvmreg_error());
	REQUIRE(kvmreg_save(b.vcpu, &restored) == 0, "%s", kvmreg_error());
	EXPECT(t_state_differences(saved, restored, 0) == 0,
	       "the restored vCPU differs");
	kvmreg_state_free(in);
	kvmreg_state_free(batch);
	kvmreg_state_free(saved);
	kvmreg_state_free(restored);
	guest_vm_destroy(&a);
	guest_vm_destroy(&b);
}

#else

#define NOT_RISCV64(name)						\
	TEST(name)							\
	{								\
		SKIP("riscv64 only");					\
	}
NOT_RISCV64(vector_registers_are_listed_at_vlenb)
NOT_RISCV64(vector_registers_round_trip)
NOT_RISCV64(vector_state_restores_into_a_fresh_vcpu)

#endif

TEST_MAIN("riscv_vector",
	  CASE(vector_registers_are_listed_at_vlenb),
	  CASE(vector_registers_round_trip),
	  CASE(vector_state_restores_into_a_fresh_vcpu))
