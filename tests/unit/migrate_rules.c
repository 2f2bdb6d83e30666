// SPDX-License-Identifier: MIT
/* The per-arch migration rules on constructed states and captures (the
 * real-KVM side is tests/kvm/migrate.c and the matrix), and the snapshot
 * format's version 2 section that carries allowed values. */
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>

#include "harness.h"
#include "kvmreg.h"

static uint64_t id_of(enum kvmreg_arch arch, const char *name)
{
	uint64_t id = 0;

	if (kvmreg_id_parse(arch, name, &id))
		printf("    %s: %s\n", name, kvmreg_error());
	return id;
}

static void put(struct kvmreg_state *s, uint64_t id, uint64_t v)
{
	uint8_t b[256] = { 0 };

	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	if (kvmreg_state_set(s, id, b, kvmreg_id_size(id)))
		printf("    set 0x%016" PRIx64 ": %s\n", id, kvmreg_error());
}

static void allow(struct kvmreg_state *cap, uint64_t id, uint64_t v,
		  uint64_t m)
{
	uint8_t bv[256] = { 0 }, bm[256] = { 0 };

	for (int i = 0; i < 8; i++) {
		bv[i] = (uint8_t)(v >> (8 * i));
		bm[i] = (uint8_t)(m >> (8 * i));
	}
	if (kvmreg_state_set(cap, id, NULL, kvmreg_id_size(id)) ||
	    kvmreg_state_set_allowed(cap, id, bv, bm, kvmreg_id_size(id)))
		printf("    allow 0x%016" PRIx64 ": %s\n", id, kvmreg_error());
}

/* The effect of the one finding about id, or -1 if none. */
static int effect_of(const struct kvmreg_state *state,
		     const struct kvmreg_state *cap, uint64_t id)
{
	struct kvmreg_compat *c;
	int effect = -1;

	if (kvmreg_state_compat(state, cap, &c))
		return -2;
	for (size_t i = 0; i < c->finding_count; i++)
		if (c->findings[i].id == id)
			effect = c->findings[i].effect;
	kvmreg_compat_free(c);
	return effect;
}

/* riscv: config.isa is never refused but the guest sees another ISA; an
 * extension KVM will not turn off is refused; a block size of 0 is fine. */
TEST(riscv_rules)
{
	enum kvmreg_arch rv = KVMREG_ARCH_RISCV64;
	uint64_t isa = id_of(rv, "config.isa"), v = id_of(rv, "isa_ext.v");
	uint64_t h = id_of(rv, "isa_ext.h");
	uint64_t cbom = id_of(rv, "config.zicbom_block_size");
	struct kvmreg_state *s = kvmreg_state_new(rv), *cap = kvmreg_state_new(rv);

	REQUIRE(s && cap && isa && v && h && cbom);
	/* The host: IMAFDC, V can be turned off, H cannot; 64-byte blocks. */
	allow(cap, isa, 0x112d, 0x0000);
	allow(cap, v, 1, 1);
	allow(cap, h, 1, 0);
	allow(cap, cbom, 64, 0);
	put(s, isa, 0x112d | (1u << ('v' - 'a')));	/* V as a letter too */
	put(s, v, 0);
	put(s, h, 1);
	put(s, cbom, 0);
	EXPECT(effect_of(s, cap, isa) == KVMREG_EFFECT_GUEST_DIFFERS,
	       "a letter the host lacks: %d", effect_of(s, cap, isa));
	EXPECT(effect_of(s, cap, v) == -1, "V off where it can be turned off");
	EXPECT(effect_of(s, cap, cbom) == -1, "block size 0 is accepted");
	put(s, h, 0);
	EXPECT(effect_of(s, cap, h) == KVMREG_EFFECT_REFUSED,
	       "H off where KVM will not turn it off");
	put(s, cbom, 32);
	EXPECT(effect_of(s, cap, cbom) == KVMREG_EFFECT_REFUSED,
	       "another block size");
	kvmreg_state_free(s);
	kvmreg_state_free(cap);
}

/* x86: a CPUID entry the host does not list is the restore's to write; a
 * feature bit beyond what the host gives is the guest's problem; OSXSAVE
 * follows CR4 and is not compared. */
TEST(x86_rules)
{
	enum kvmreg_arch x86 = KVMREG_ARCH_X86_64;
	uint64_t leaf0 = id_of(x86, "cpuid.0x00000000.0");
	uint64_t leaf1 = id_of(x86, "cpuid.0x00000001.0");
	uint64_t leaf7 = id_of(x86, "cpuid.0x00000007.0");
	struct kvmreg_state *s = kvmreg_state_new(x86), *cap = kvmreg_state_new(x86);
	struct kvmreg_compat *c = NULL;
	uint8_t v[32] = { 0 }, m[32] = { 0 };

	REQUIRE(s && cap && leaf0 && leaf1 && leaf7);
	REQUIRE(kvmreg_state_set(s, leaf0, v, 32) == 0);
	v[8 + 3] = 0x08;	/* leaf 1 ECX bit 27, OSXSAVE */
	REQUIRE(kvmreg_state_set(s, leaf1, v, 32) == 0);
	memset(v, 0, sizeof(v));
	v[4] = 0x20;		/* leaf 7 EBX bit 5, AVX2 */
	REQUIRE(kvmreg_state_set(s, leaf7, v, 32) == 0);
	/* A fresh vCPU: no CPUID listed; the host gives nothing of leaf 7. */
	kvmreg_state_set(cap, id_of(x86, "IA32_EFER"), NULL, 8);
	memset(v, 0, sizeof(v));
	REQUIRE(kvmreg_state_set_allowed(cap, leaf1, v, m, 32) == 0);
	REQUIRE(kvmreg_state_set_allowed(cap, leaf7, v, m, 32) == 0);
	REQUIRE(kvmreg_state_compat(s, cap, &c) == 0, "%s", kvmreg_error());
	EXPECT(c->missing == 0 && c->created == 3, "%zu missing, %zu created",
	       c->missing, c->created);
	EXPECT(c->features_differ == 1, "AVX2 beyond the host, and only it: %zu",
	       c->features_differ);
	for (size_t i = 0; i < c->finding_count; i++)
		if (c->findings[i].kind == KVMREG_FINDING_FEATURE)
			EXPECT(strstr(c->findings[i].reason, "EBX bits 5") != NULL,
			       "%s", c->findings[i].reason);
	kvmreg_compat_free(c);
	kvmreg_state_free(s);
	kvmreg_state_free(cap);
}

/* loongarch: CPUCFG2 with LASX but not LSX is refused, as KVM does. */
TEST(loongarch_rules)
{
	enum kvmreg_arch la = KVMREG_ARCH_LOONGARCH64;
	uint64_t cfg2 = id_of(la, "cpucfg[2]");
	struct kvmreg_state *s, *cap;

	REQUIRE(cfg2 && kvmreg_id_check(la, cfg2) == 0, "%s", kvmreg_error());
	s = kvmreg_state_new(la);
	cap = kvmreg_state_new(la);
	REQUIRE(s && cap);
	allow(cap, cfg2, 0x60c7, 0xffff);
	put(s, cfg2, 0x40c7);		/* FP, FPSP, FPDP, LSX, LASX, LLFTP */
	EXPECT(effect_of(s, cap, cfg2) == -1, "a consistent word");
	put(s, cfg2, 0x4087);		/* LASX without LSX */
	EXPECT(effect_of(s, cap, cfg2) == KVMREG_EFFECT_REFUSED, "LASX without LSX");
	put(s, cfg2, 0x140c7);		/* a bit outside the mask */
	EXPECT(effect_of(s, cap, cfg2) == KVMREG_EFFECT_REFUSED, "outside the mask");
	kvmreg_state_free(s);
	kvmreg_state_free(cap);
}

/* Version 2 of the snapshot: allowed values round trip; a version 1 file
 * stays byte for byte version 1; the reader rejects a half-made section. */
TEST(format_version_2)
{
	enum kvmreg_arch arm = KVMREG_ARCH_ARM64;
	uint64_t pfr0 = id_of(arm, "ID_AA64PFR0_EL1");
	struct kvmreg_state *cap = kvmreg_state_new(arm), *back = NULL;
	const void *value, *mask;
	uint8_t *buf = NULL;
	size_t len = 0;

	REQUIRE(cap && pfr0);
	kvmreg_state_set(cap, pfr0, NULL, 8);
	REQUIRE(kvmreg_state_encode(cap, (void **)&buf, &len) == 0);
	EXPECT(buf[8] == 1, "no allowed values: version 1");
	free(buf);
	allow(cap, pfr0, 0x1100000011111112ULL, 0x0f00000000000000ULL);
	REQUIRE(kvmreg_state_encode(cap, (void **)&buf, &len) == 0);
	EXPECT(buf[8] == 2 && (buf[12] & 2), "allowed values: version 2, flag 1");
	REQUIRE(kvmreg_state_decode(buf, len, &back) == 0, "%s", kvmreg_error());
	REQUIRE(kvmreg_state_allowed(back, pfr0, &value, &mask) == 0);
	EXPECT(((const uint8_t *)value)[0] == 0x12 &&
	       ((const uint8_t *)mask)[7] == 0x0f, "values come back");
	EXPECT(kvmreg_state_allowed(back, 0x6030000000100040ULL, NULL, NULL) == -ENOENT);
	for (size_t cut = len - 1; cut > 96 + 4; cut--) {
		struct kvmreg_state *t = NULL;

		if (!kvmreg_state_decode(buf, cut, &t)) {
			EXPECT(0, "a snapshot cut to %zu bytes was accepted", cut);
			kvmreg_state_free(t);
			break;
		}
	}
	kvmreg_state_free(back);
	free(buf);
	kvmreg_state_free(cap);
}

/* baseline refuses two architectures; adapt refuses a capture as state. */
TEST(baseline_and_adapt_inputs)
{
	struct kvmreg_state *a = kvmreg_state_new(KVMREG_ARCH_ARM64);
	struct kvmreg_state *b = kvmreg_state_new(KVMREG_ARCH_RISCV64);
	const struct kvmreg_state *both[] = { a, b };
	struct kvmreg_state *out = NULL;
	struct kvmreg_adapt *r = NULL;

	REQUIRE(a && b);
	kvmreg_state_set(a, id_of(KVMREG_ARCH_ARM64, "core.pc"), NULL, 8);
	EXPECT(kvmreg_baseline(both, 2, &out, NULL) == -EINVAL && !out);
	EXPECT(strstr(kvmreg_error(), "one architecture") != NULL, "%s",
	       kvmreg_error());
	EXPECT(kvmreg_baseline(both, 0, &out, NULL) == -EINVAL);
	EXPECT(kvmreg_adapt(a, a, &out, &r) == -EINVAL && !out && !r);
	kvmreg_state_free(a);
	kvmreg_state_free(b);
}

TEST_MAIN("migrate_rules",
	  CASE(riscv_rules),
	  CASE(x86_rules),
	  CASE(loongarch_rules),
	  CASE(format_version_2),
	  CASE(baseline_and_adapt_inputs))
