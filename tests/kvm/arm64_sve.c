// SPDX-License-Identifier: MIT
/*
 * arm64 SVE on real KVM: vector lengths (KVM_REG_ARM64_SVE_VLS) before
 * KVM_ARM_VCPU_FINALIZE and only then, Z/P/FFR registers only after it,
 * 2048-bit Z slices that round-trip exactly, and save/restore of an SVE
 * vCPU, including into a vCPU set up with other vector lengths. SKIPs off
 * arm64 and where KVM offers no SVE.
 */
#include <inttypes.h>

#include "harness.h"
#include "kvmreg.h"
#include "lib/guest.h"
#include "lib/testutil.h"

#ifdef __aarch64__

#define VLS_WORDS 8		/* KVM_ARM64_SVE_VLS_WORDS: 512 bits */
#define Z_BYTES 256		/* every Z slice id is 2048 bits wide */
#define P_BYTES 32		/* P and FFR slices: 256 bits */

struct vls {
	uint64_t w[VLS_WORDS];
};

static int vq_present(const struct vls *v, unsigned int vq)
{
	return (v->w[(vq - 1) / 64] >> ((vq - 1) % 64)) & 1;
}

static unsigned int max_vq(const struct vls *v)
{
	unsigned int max = 0;

	for (unsigned int vq = 1; vq <= 512; vq++)
		if (vq_present(v, vq))
			max = vq;
	return max;
}

/* An SVE vCPU, or a SKIP where KVM has no SVE. 0 on success. */
static int sve_vm(struct guest_vm *vm, unsigned int extra, char *why,
		  size_t len)
{
	const char *what = "";
	int err = guest_vm_create(vm, GUEST_ARM64_SVE | extra, &what);

	if (err)
		snprintf(why, len, "%s: %s", what, strerror(-err));
	return err;
}

#define NEED_SVE_VM(vm, extra)						\
	do {								\
		char h_why[200];					\
		int h_err = sve_vm(vm, extra, h_why, sizeof(h_why));	\
		if (h_err == -EINVAL || h_err == -ENOENT)		\
			SKIP("this KVM offers no SVE (%s)", h_why);	\
		REQUIRE(h_err == 0, "%s", h_why);			\
	} while (0)

/* A byte pattern that differs per register, slice and byte. */
static void pattern(uint8_t *buf, size_t len, uint64_t id, unsigned int seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(id * 31 + i * 7 + seed * 13 + (i >> 3));
}

TEST(vls_lists_the_vector_lengths_before_finalize)
{
	struct guest_vm vm;
	struct vls v;

	NEED_KVM();
	NEED_SVE_VM(&vm, GUEST_ARM64_NO_FINALIZE);
	EXPECT(kvmreg_get(vm.vcpu, guest_arm64_sve_vls(), &v) == 0, "%s",
	       kvmreg_error());
	EXPECT(vq_present(&v, 1), "128-bit vectors are always there");
	printf("    vector lengths up to %u bits (max vq %u)\n",
	       max_vq(&v) * 128, max_vq(&v));
	guest_vm_destroy(&vm);
}

/* Before finalize KVM refuses the list and the vector registers (EPERM):
 * the library says so instead of returning half a list. */
TEST(list_and_zregs_need_finalize)
{
	struct guest_vm vm;
	struct kvmreg_list *list = NULL;
	uint8_t z[Z_BYTES];

	NEED_KVM();
	NEED_SVE_VM(&vm, GUEST_ARM64_NO_FINALIZE);
	EXPECT(kvmreg_list_get(vm.vcpu, 0, &list) == -EPERM,
	       "KVM_GET_REG_LIST before finalize: %s", kvmreg_error());
	EXPECT(strstr(kvmreg_error(), "KVM_GET_REG_LIST") != NULL,
	       "the message does not say what failed: '%s'", kvmreg_error());
	EXPECT(kvmreg_get(vm.vcpu, guest_arm64_zreg(0, 0), z) == -EPERM,
	       "Z0 before finalize: %s", kvmreg_error());
	REQUIRE(guest_arm64_finalize_sve(&vm) == 0, "finalize");
	EXPECT(kvmreg_list_get(vm.vcpu, 0, &list) == 0, "%s", kvmreg_error());
	EXPECT(kvmreg_get(vm.vcpu, guest_arm64_zreg(0, 0), z) == 0, "%s",
	       kvmreg_error());
	kvmreg_list_free(list);
	guest_vm_destroy(&vm);
}

/* A prefix of the host's vector lengths without the longest one, or 0
 * where the host has a single length. */
static int shorter_lengths(const struct vls *host, struct vls *shorter)
{
	unsigned int top = max_vq(host);

	*shorter = *host;
	shorter->w[(top - 1) / 64] &= ~(1ull << ((top - 1) % 64));
	return max_vq(shorter) != 0;
}

/*
 * The wrong order: other vector lengths written after finalize are
 * refused. The value the vCPU holds already is accepted (the library
 * re-reads a refused write), so a restore into a vCPU set up alike works.
 */
TEST(vls_after_finalize_is_refused)
{
	struct guest_vm vm;
	struct vls v, shorter;

	NEED_KVM();
	NEED_SVE_VM(&vm, 0);
	REQUIRE(kvmreg_get(vm.vcpu, guest_arm64_sve_vls(), &v) == 0, "%s",
		kvmreg_error());
	if (!shorter_lengths(&v, &shorter)) {
		guest_vm_destroy(&vm);
		SKIP("the host has one vector length only");
	}
	EXPECT(kvmreg_set(vm.vcpu, guest_arm64_sve_vls(), &shorter) == -EPERM,
	       "other lengths after finalize: %s", kvmreg_error());
	EXPECT(strstr(kvmreg_error(), "VLS") != NULL,
	       "the error does not name the register: %s", kvmreg_error());
	EXPECT(kvmreg_set(vm.vcpu, guest_arm64_sve_vls(), &v) == 0,
	       "the same lengths after finalize: %s", kvmreg_error());
	guest_vm_destroy(&vm);
}

/*
 * Every Z, P and FFR register at the vCPU's full vector length, written in
 * one batch and read back in another: the bytes within the vector length
 * come back exactly and the rest of the 2048-bit slice reads as zero.
 */
TEST(sve_registers_round_trip_at_full_length)
{
	struct guest_vm vm;
	struct kvmreg_state *in, *out;
	uint64_t ids[32 + 16 + 1];
	size_t n = 0;
	struct vls v;
	unsigned int vq;

	NEED_KVM();
	NEED_SVE_VM(&vm, 0);
	REQUIRE(kvmreg_get(vm.vcpu, guest_arm64_sve_vls(), &v) == 0, "%s",
		kvmreg_error());
	vq = max_vq(&v);
	for (unsigned int i = 0; i < 32; i++)
		ids[n++] = guest_arm64_zreg(i, 0);
	for (unsigned int i = 0; i < 16; i++)
		ids[n++] = guest_arm64_preg(i, 0);
	ids[n++] = guest_arm64_ffr(0);
	in = kvmreg_state_new(KVMREG_ARCH_ARM64);
	out = kvmreg_state_new(KVMREG_ARCH_ARM64);
	for (size_t i = 0; i < n; i++) {
		uint8_t buf[Z_BYTES];
		size_t size = kvmreg_id_size(ids[i]);

		EXPECT(size == (i < 32 ? Z_BYTES : P_BYTES),
		       "id 0x%016" PRIx64 " is %zu bytes", ids[i], size);
		pattern(buf, size, ids[i], 1);
		REQUIRE(kvmreg_state_set(in, ids[i], buf, size) == 0, "%s",
			kvmreg_error());
	}
	EXPECT(kvmreg_write(vm.vcpu, in, NULL) == 0, "%s", kvmreg_error());
	EXPECT(kvmreg_read(vm.vcpu, ids, n, out, NULL) == 0, "%s",
	       kvmreg_error());
	for (size_t i = 0; i < n; i++) {
		const uint8_t *want = kvmreg_state_get(in, ids[i]);
		const uint8_t *got = kvmreg_state_get(out, ids[i]);
		size_t size = kvmreg_id_size(ids[i]);
		/* Z holds vq * 16 bytes, P and FFR one bit per Z byte. */
		size_t live = i < 32 ? vq * 16u : vq * 2u;

		REQUIRE(got != NULL, "0x%016" PRIx64 " not read", ids[i]);
		EXPECT(!memcmp(want, got, live < size ? live : size),
		       "0x%016" PRIx64 ": the first %zu bytes differ", ids[i],
		       live);
		for (size_t b = live; b < size; b++)
			if (got[b]) {
				EXPECT(0, "0x%016" PRIx64 ": byte %zu beyond the vector length is 0x%02x",
				       ids[i], b, got[b]);
				break;
			}
	}
	printf("    %zu registers, vector length %u bits: %s\n", n, vq * 128,
	       vq == 16 ? "whole 2048-bit slices round-trip" :
	       "slices round-trip up to the vector length");
	kvmreg_state_free(in);
	kvmreg_state_free(out);
	guest_vm_destroy(&vm);
}

/* With SVE the FPSIMD V registers are views of the Z registers: KVM lists
 * and serves Z only; without SVE, V only. */
TEST(sve_replaces_v_registers_in_the_list)
{
	struct guest_vm sve, plain;
	struct kvmreg_list *with = NULL, *without = NULL;
	size_t v_with = 0, z_with = 0, v_without = 0, z_without = 0;
	uint8_t buf[16];

	NEED_KVM();
	NEED_SVE_VM(&sve, 0);
	REQUIRE(guest_vm_create(&plain, 0, NULL) == 0, "plain vCPU");
	REQUIRE(kvmreg_list_get(sve.vcpu, 0, &with) == 0, "%s", kvmreg_error());
	REQUIRE(kvmreg_list_get(plain.vcpu, 0, &without) == 0, "%s",
		kvmreg_error());
	for (size_t i = 0; i < with->count; i++) {
		v_with += with->regs[i].id == guest_arm64_v(0);
		z_with += with->regs[i].id == guest_arm64_zreg(0, 0);
	}
	for (size_t i = 0; i < without->count; i++) {
		v_without += without->regs[i].id == guest_arm64_v(0);
		z_without += without->regs[i].id == guest_arm64_zreg(0, 0);
	}
	EXPECT(z_with == 1 && v_with == 0, "SVE vCPU lists Z0 %zu, V0 %zu",
	       z_with, v_with);
	EXPECT(z_without == 0 && v_without == 1,
	       "plain vCPU lists Z0 %zu, V0 %zu", z_without, v_without);
	EXPECT(kvmreg_get(sve.vcpu, guest_arm64_v(0), buf) < 0,
	       "V0 read on an SVE vCPU");
	printf("    registers listed: %zu with SVE, %zu without\n", with->count,
	       without->count);
	kvmreg_list_free(with);
	kvmreg_list_free(without);
	guest_vm_destroy(&sve);
	guest_vm_destroy(&plain);
}

/* Every id an SVE vCPU lists has a name of its own that parses back. */
TEST(sve_list_is_named_in_both_styles)
{
	struct guest_vm vm;
	struct kvmreg_list *list = NULL;
	size_t sve = 0;

	NEED_KVM();
	NEED_SVE_VM(&vm, 0);
	REQUIRE(kvmreg_list_get(vm.vcpu, 0, &list) == 0, "%s", kvmreg_error());
	for (size_t i = 0; i < list->count; i++) {
		uint64_t id = list->regs[i].id, back = 0;
		enum kvmreg_name_style styles[] = { KVMREG_NAME_SHORT,
						    KVMREG_NAME_MACRO };

		/* KVM_REG_ARM64_SVE: coprocessor group 0x15. */
		if (((id >> 16) & 0xffff) != 0x0015)
			continue;
		sve++;
		for (size_t s = 0; s < 2; s++) {
			char name[128];

			REQUIRE(kvmreg_id_name(KVMREG_ARCH_ARM64, id, styles[s],
					       name, sizeof(name)) > 0, "%s",
				kvmreg_error());
			EXPECT(strncmp(name, "0x", 2) != 0,
			       "0x%016" PRIx64 " has only a generic name", id);
			EXPECT(kvmreg_id_parse(KVMREG_ARCH_ARM64, name,
					       &back) == 0 && back == id,
			       "'%s' parses to 0x%016" PRIx64 ", not 0x%016" PRIx64,
			       name, back, id);
		}
	}
	/* 32 Z, 16 P, FFR and VLS at 2048 bits or less: one slice each. */
	EXPECT(sve == 50, "%zu SVE registers listed", sve);
	kvmreg_list_free(list);
	guest_vm_destroy(&vm);
}

/* Fill the Z/P/FFR registers so a lost one shows, then save. */
static int save_patterned(struct guest_vm *vm, struct kvmreg_state **out)
{
	struct kvmreg_state *in = kvmreg_state_new(KVMREG_ARCH_ARM64);
	int err = 0;

	for (unsigned int i = 0; i < 32 + 16 + 1 && !err; i++) {
		uint64_t id = i < 32 ? guest_arm64_zreg(i, 0) :
			      i < 48 ? guest_arm64_preg(i - 32, 0) :
			      guest_arm64_ffr(0);
		uint8_t buf[Z_BYTES];

		pattern(buf, kvmreg_id_size(id), id, 2);
		err = kvmreg_state_set(in, id, buf, kvmreg_id_size(id));
	}
	if (!err)
		err = kvmreg_write(vm->vcpu, in, NULL);
	kvmreg_state_free(in);
	return err ? err : kvmreg_save(vm->vcpu, out);
}

TEST(sve_vcpu_restores_into_a_fresh_one)
{
	struct guest_vm a, b;
	struct kvmreg_state *saved = NULL, *restored = NULL;

	NEED_KVM();
	NEED_SVE_VM(&a, 0);
	REQUIRE(save_patterned(&a, &saved) == 0, "%s", kvmreg_error());
	REQUIRE(guest_vm_create(&b, GUEST_ARM64_SVE, NULL) == 0, "second vCPU");
	/* b is finalized already: sve.VLS goes in only as the same value. */
	EXPECT(kvmreg_restore(b.vcpu, saved) == 0, "%s", kvmreg_error());
	REQUIRE(kvmreg_save(b.vcpu, &restored) == 0, "%s", kvmreg_error());
	EXPECT(t_state_differences(saved, restored, 0) == 0,
	       "the restored SVE vCPU differs");
	kvmreg_state_free(saved);
	kvmreg_state_free(restored);
	guest_vm_destroy(&a);
	guest_vm_destroy(&b);
}

/*
 * A state saved with shorter vectors than the host's maximum: restoring it
 * into a vCPU finalized at the maximum fails on sve.VLS (the wrong order)
 * and changes nothing; a VMM that writes sve.VLS before finalizing (the
 * right order) restores it exactly.
 */
TEST(shorter_vectors_need_vls_before_finalize)
{
	struct guest_vm src, late, early;
	struct kvmreg_state *saved = NULL, *before = NULL, *after = NULL;
	struct vls host, shorter;

	NEED_KVM();
	NEED_SVE_VM(&src, GUEST_ARM64_NO_FINALIZE);
	REQUIRE(kvmreg_get(src.vcpu, guest_arm64_sve_vls(), &host) == 0, "%s",
		kvmreg_error());
	/* KVM takes any prefix of the host's lengths: drop the longest. */
	if (!shorter_lengths(&host, &shorter)) {
		guest_vm_destroy(&src);
		SKIP("the host has one vector length only");
	}
	REQUIRE(kvmreg_set(src.vcpu, guest_arm64_sve_vls(), &shorter) == 0,
		"%s", kvmreg_error());
	REQUIRE(guest_arm64_finalize_sve(&src) == 0, "finalize");
	REQUIRE(save_patterned(&src, &saved) == 0, "%s", kvmreg_error());

	REQUIRE(guest_vm_create(&late, GUEST_ARM64_SVE, NULL) == 0, "vCPU");
	REQUIRE(kvmreg_save(late.vcpu, &before) == 0, "%s", kvmreg_error());
	EXPECT(kvmreg_restore(late.vcpu, saved) == -EPERM,
	       "restoring shorter vectors after finalize: %s", kvmreg_error());
	EXPECT(strstr(kvmreg_error(), "VLS") != NULL,
	       "the error does not name sve.VLS: %s", kvmreg_error());
	REQUIRE(kvmreg_save(late.vcpu, &after) == 0, "%s", kvmreg_error());
	EXPECT(t_state_differences(before, after, 0) == 0,
	       "the refused restore changed the vCPU");
	kvmreg_state_free(after);
	after = NULL;

	REQUIRE(guest_vm_create(&early, GUEST_ARM64_SVE | GUEST_ARM64_NO_FINALIZE,
				NULL) == 0, "vCPU");
	EXPECT(kvmreg_set(early.vcpu, guest_arm64_sve_vls(),
			  kvmreg_state_get(saved, guest_arm64_sve_vls())) == 0,
	       "%s", kvmreg_error());
	REQUIRE(guest_arm64_finalize_sve(&early) == 0, "finalize");
	EXPECT(kvmreg_restore(early.vcpu, saved) == 0, "%s", kvmreg_error());
	REQUIRE(kvmreg_save(early.vcpu, &after) == 0, "%s", kvmreg_error());
	EXPECT(t_state_differences(saved, after, 0) == 0,
	       "the restored vCPU differs");
	kvmreg_state_free(saved);
	kvmreg_state_free(before);
	kvmreg_state_free(after);
	guest_vm_destroy(&src);
	guest_vm_destroy(&late);
	guest_vm_destroy(&early);
}

#else /* !__aarch64__ */

#define NOT_ARM64(name)							\
	TEST(name)							\
	{								\
		SKIP("arm64 only");					\
	}
NOT_ARM64(vls_lists_the_vector_lengths_before_finalize)
NOT_ARM64(list_and_zregs_need_finalize)
NOT_ARM64(vls_after_finalize_is_refused)
NOT_ARM64(sve_registers_round_trip_at_full_length)
NOT_ARM64(sve_replaces_v_registers_in_the_list)
NOT_ARM64(sve_list_is_named_in_both_styles)
NOT_ARM64(sve_vcpu_restores_into_a_fresh_one)
NOT_ARM64(shorter_vectors_need_vls_before_finalize)

#endif

TEST_MAIN("arm64_sve",
	  CASE(vls_lists_the_vector_lengths_before_finalize),
	  CASE(list_and_zregs_need_finalize),
	  CASE(vls_after_finalize_is_refused),
	  CASE(sve_registers_round_trip_at_full_length),
	  CASE(sve_replaces_v_registers_in_the_list),
	  CASE(sve_list_is_named_in_both_styles),
	  CASE(sve_vcpu_restores_into_a_fresh_one),
	  CASE(shorter_vectors_need_vls_before_finalize))
