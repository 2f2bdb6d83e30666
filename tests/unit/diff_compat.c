// SPDX-License-Identifier: MIT
/* Diff and compat on constructed states: every kind of difference, the
 * volatile option, and the compat verdicts. */
#include <inttypes.h>
#include <stdint.h>

#include "harness.h"
#include "kvmreg.h"

#define ARM64_X0	0x6030000000100000ULL
#define ARM64_X1	0x6030000000100002ULL
#define ARM64_PC	0x6030000000100040ULL
#define ARM64_V0	0x6040000000100054ULL
#define ARM64_MPIDR	0x603000000013c005ULL
#define ARM64_SYSREG(op0, op1, crn, crm, op2)				\
	(0x6030000000130000ULL | (uint64_t)(op0) << 14 |		\
	 (uint64_t)(op1) << 11 | (uint64_t)(crn) << 7 |			\
	 (uint64_t)(crm) << 3 | (uint64_t)(op2))

static void set64(struct kvmreg_state *s, uint64_t id, uint64_t v)
{
	uint8_t b[256] = { 0 };

	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	if (kvmreg_state_set(s, id, b, kvmreg_id_size(id)))
		printf("    set 0x%016" PRIx64 ": %s\n", id, kvmreg_error());
}

static struct kvmreg_state *base(void)
{
	struct kvmreg_state *s = kvmreg_state_new(KVMREG_ARCH_ARM64);

	set64(s, ARM64_X0, 1);
	set64(s, ARM64_X1, 2);
	set64(s, ARM64_PC, 0x1000);
	set64(s, ARM64_V0, 0x5555);
	set64(s, ARM64_MPIDR, 0x80000000);
	return s;
}

static struct kvmreg_state *capture_of(const struct kvmreg_state *s)
{
	struct kvmreg_state *c = kvmreg_state_new(kvmreg_state_arch(s));

	for (size_t i = 0; i < kvmreg_state_count(s); i++) {
		uint64_t id;

		kvmreg_state_at(s, i, &id, NULL);
		kvmreg_state_set(c, id, NULL, kvmreg_id_size(id));
	}
	return c;
}

/* An arm64 register the driver calls volatile, or 0. */
static uint64_t volatile_id(void)
{
	static const uint64_t candidates[] = {
		ARM64_SYSREG(3, 3, 14, 3, 2),	/* KVM_REG_ARM_TIMER_CNT */
		ARM64_SYSREG(3, 3, 14, 0, 2),	/* CNTVCT_EL0 */
		ARM64_SYSREG(3, 3, 14, 0, 1),	/* CNTPCT_EL0 */
	};

	for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++)
		if (kvmreg_id_is_volatile(KVMREG_ARCH_ARM64, candidates[i]))
			return candidates[i];
	return 0;
}

TEST(identical_states)
{
	struct kvmreg_state *a = base(), *b = base();
	struct kvmreg_diff *d;

	REQUIRE(kvmreg_state_diff(a, b, 0, &d) == 0, "%s", kvmreg_error());
	EXPECT(d->count == 0, "%zu", d->count);
	EXPECT(d->same == 5, "%zu", d->same);
	EXPECT(d->volatile_skipped == 0 && d->unvalued == 0);
	kvmreg_diff_free(d);
	kvmreg_state_free(a);
	kvmreg_state_free(b);
}

TEST(every_kind_in_order)
{
	struct kvmreg_state *a = base(), *b = kvmreg_state_new(KVMREG_ARCH_ARM64);
	struct kvmreg_diff *d;

	/* b: x1 gone, pc changed, a new sysreg, v0 changed in its top byte,
	 * and in another order than a. */
	set64(b, ARM64_SYSREG(3, 0, 1, 0, 0), 7);	/* SCTLR_EL1: only in b */
	set64(b, ARM64_MPIDR, 0x80000000);
	set64(b, ARM64_PC, 0x2000);
	set64(b, ARM64_X0, 1);
	{
		uint8_t v[16] = { 0x55, 0x55 };

		v[15] = 1;
		kvmreg_state_set(b, ARM64_V0, v, 16);
	}
	REQUIRE(kvmreg_state_diff(a, b, 0, &d) == 0, "%s", kvmreg_error());
	REQUIRE(d->count == 4, "%zu", d->count);
	EXPECT(d->same == 2, "%zu", d->same);
	/* a's order first: x1 (only a), pc (value), v0 (value); then b's. */
	EXPECT(d->entries[0].kind == KVMREG_DIFF_ONLY_A &&
	       d->entries[0].id_a == ARM64_X1 && d->entries[0].id_b == 0);
	EXPECT(d->entries[1].kind == KVMREG_DIFF_VALUE &&
	       d->entries[1].id_a == ARM64_PC && d->entries[1].id_b == ARM64_PC);
	EXPECT(d->entries[2].kind == KVMREG_DIFF_VALUE &&
	       d->entries[2].id_a == ARM64_V0);
	EXPECT(d->entries[3].kind == KVMREG_DIFF_ONLY_B &&
	       d->entries[3].id_b == ARM64_SYSREG(3, 0, 1, 0, 0) &&
	       d->entries[3].id_a == 0);
	EXPECT(!strcmp(kvmreg_diff_kind_name(KVMREG_DIFF_ONLY_A), "only-in-a"));
	EXPECT(!strcmp(kvmreg_diff_kind_name(KVMREG_DIFF_VALUE), "value"));
	kvmreg_diff_free(d);

	/* The other way round, the sides swap. */
	REQUIRE(kvmreg_state_diff(b, a, 0, &d) == 0);
	REQUIRE(d->count == 4);
	EXPECT(d->entries[0].kind == KVMREG_DIFF_ONLY_A &&
	       d->entries[0].id_a == ARM64_SYSREG(3, 0, 1, 0, 0));
	EXPECT(d->entries[3].kind == KVMREG_DIFF_ONLY_B &&
	       d->entries[3].id_b == ARM64_X1);
	kvmreg_diff_free(d);
	kvmreg_state_free(a);
	kvmreg_state_free(b);
}

/* Pairs of ids that differ only in the size field, of which the drivers
 * accept both: the first that works, or 0. */
static int resizable(uint64_t *narrow, uint64_t *wide)
{
	static const uint64_t pairs[][2] = {
		{ 0x8020000002000000ULL, 0x8030000002000000ULL }, /* riscv pc */
		{ 0x60200000001000d4ULL, 0x60300000001000d4ULL }, /* arm64 fpsr */
		{ 0x7020000000010000ULL, 0x7030000000010000ULL }, /* mips cp0 */
		{ 0x9020000000010000ULL, 0x9030000000010000ULL }, /* loongarch */
		{ 0x1020000000000001ULL, 0x1030000000000001ULL }, /* ppc */
		{ 0x5020000000000001ULL, 0x5030000000000001ULL }, /* s390 */
	};

	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		if (!kvmreg_id_check(KVMREG_ARCH_NONE, pairs[i][0]) &&
		    !kvmreg_id_check(KVMREG_ARCH_NONE, pairs[i][1])) {
			*narrow = pairs[i][0];
			*wide = pairs[i][1];
			return 1;
		}
	}
	return 0;
}

TEST(size_change_pairs_by_id_without_size)
{
	struct kvmreg_state *a, *b;
	struct kvmreg_compat *c;
	struct kvmreg_diff *d;
	uint64_t narrow, wide;
	enum kvmreg_arch arch;

	if (!resizable(&narrow, &wide))
		SKIP("no driver accepts one register id in two sizes");
	arch = kvmreg_arch_of_id(narrow);
	a = kvmreg_state_new(arch);
	b = kvmreg_state_new(arch);
	set64(a, narrow, 5);
	set64(b, wide, 5);
	REQUIRE(kvmreg_state_diff(a, b, 0, &d) == 0, "%s", kvmreg_error());
	REQUIRE(d->count == 1, "%zu", d->count);
	EXPECT(d->entries[0].kind == KVMREG_DIFF_SIZE);
	EXPECT(d->entries[0].id_a == narrow && d->entries[0].id_b == wide);
	kvmreg_diff_free(d);

	REQUIRE(kvmreg_state_compat(a, b, &c) == 0);
	EXPECT(c->verdict == KVMREG_COMPAT_INCOMPATIBLE);
	EXPECT(c->resized == 1 && c->missing == 0 && c->extra == 0);
	kvmreg_compat_free(c);
	kvmreg_state_free(a);
	kvmreg_state_free(b);
}

TEST(volatile_registers)
{
	uint64_t vid = volatile_id();
	struct kvmreg_state *a, *b;
	struct kvmreg_diff *d;

	if (!vid)
		SKIP("the arm64 driver marks no timer counter volatile yet");
	a = base();
	b = base();
	set64(a, vid, 1000);
	set64(b, vid, 2000);
	REQUIRE(kvmreg_state_diff(a, b, 0, &d) == 0);
	REQUIRE(d->count == 1);
	EXPECT(d->entries[0].kind == KVMREG_DIFF_VALUE);
	EXPECT(d->entries[0].is_volatile, "the entry says it is volatile");
	kvmreg_diff_free(d);

	REQUIRE(kvmreg_state_diff(a, b, KVMREG_DIFF_IGNORE_VOLATILE, &d) == 0);
	EXPECT(d->count == 0);
	EXPECT(d->volatile_skipped == 1);
	EXPECT(d->same == 5);
	kvmreg_diff_free(d);

	/* Ignoring values is not ignoring presence. */
	kvmreg_state_free(b);
	b = base();
	REQUIRE(kvmreg_state_diff(a, b, KVMREG_DIFF_IGNORE_VOLATILE, &d) == 0);
	REQUIRE(d->count == 1);
	EXPECT(d->entries[0].kind == KVMREG_DIFF_ONLY_A && d->entries[0].is_volatile);
	kvmreg_diff_free(d);
	kvmreg_state_free(a);
	kvmreg_state_free(b);
}

TEST(state_against_capture)
{
	struct kvmreg_state *a = base(), *c = capture_of(a);
	struct kvmreg_diff *d;

	REQUIRE(kvmreg_state_diff(a, c, 0, &d) == 0);
	EXPECT(d->count == 0);
	EXPECT(d->unvalued == 5 && d->same == 0, "%zu %zu", d->unvalued, d->same);
	kvmreg_diff_free(d);
	REQUIRE(kvmreg_state_diff(a, c, KVMREG_DIFF_NO_VALUES, &d) == 0);
	EXPECT(d->count == 0 && d->same == 5 && d->unvalued == 0);
	kvmreg_diff_free(d);
	kvmreg_state_free(a);
	kvmreg_state_free(c);
}

TEST(bad_arguments)
{
	struct kvmreg_state *a = base(), *r = kvmreg_state_new(KVMREG_ARCH_RISCV64);
	struct kvmreg_diff *d = (struct kvmreg_diff *)1;

	EXPECT(kvmreg_state_diff(a, r, 0, &d) == -EINVAL);
	EXPECT(d == (struct kvmreg_diff *)1, "*out changed by a failure");
	EXPECT(strstr(kvmreg_error(), "cannot compare states of two architectures: arm64 and riscv64") ||
	       strstr(kvmreg_error(), "arm64"), "%s", kvmreg_error());
	EXPECT(kvmreg_state_diff(a, a, 0x80, &d) == -EINVAL);
	EXPECT(strstr(kvmreg_error(), "unknown diff flags 0x80"), "%s",
	       kvmreg_error());
	kvmreg_state_free(a);
	kvmreg_state_free(r);
}

TEST(compat_verdicts)
{
	struct kvmreg_state *state = base(), *host = capture_of(state);
	struct kvmreg_state *other = kvmreg_state_new(KVMREG_ARCH_RISCV64);
	struct kvmreg_compat *c;

	/* The same list, values aside: compatible. */
	set64(state, ARM64_PC, 0x4242);
	REQUIRE(kvmreg_state_compat(state, host, &c) == 0, "%s", kvmreg_error());
	EXPECT(c->verdict == KVMREG_COMPAT_OK);
	EXPECT(c->missing == 0 && c->extra == 0 && c->resized == 0);
	EXPECT(c->diff && c->diff->count == 0);
	kvmreg_compat_free(c);

	/* The host has one more: restorable, it keeps its reset value. */
	kvmreg_state_set(host, ARM64_SYSREG(3, 0, 1, 0, 0), NULL, 8);
	REQUIRE(kvmreg_state_compat(state, host, &c) == 0);
	EXPECT(c->verdict == KVMREG_COMPAT_OK_EXTRA);
	EXPECT(c->extra == 1 && c->missing == 0);
	EXPECT(c->diff->count == 1 &&
	       c->diff->entries[0].id_b == ARM64_SYSREG(3, 0, 1, 0, 0));
	kvmreg_compat_free(c);

	/* The state has one the host lacks: KVM would refuse it. */
	set64(state, ARM64_SYSREG(3, 0, 2, 0, 0), 0);	/* TTBR0_EL1 */
	REQUIRE(kvmreg_state_compat(state, host, &c) == 0);
	EXPECT(c->verdict == KVMREG_COMPAT_INCOMPATIBLE);
	EXPECT(c->missing == 1 && c->extra == 1);
	kvmreg_compat_free(c);

	/* Another architecture: incompatible, with an empty diff. */
	REQUIRE(kvmreg_state_compat(state, other, &c) == 0);
	EXPECT(c->verdict == KVMREG_COMPAT_INCOMPATIBLE && c->arch_differs);
	EXPECT(c->diff && c->diff->count == 0);
	kvmreg_compat_free(c);

	EXPECT(!strcmp(kvmreg_compat_verdict_name(KVMREG_COMPAT_OK), "compatible"));
	EXPECT(!strcmp(kvmreg_compat_verdict_name(KVMREG_COMPAT_INCOMPATIBLE),
		       "incompatible"));
	kvmreg_state_free(state);
	kvmreg_state_free(host);
	kvmreg_state_free(other);
}

/* xorshift: the same pseudo-random states on every run. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

TEST(random_states_match_brute_force)
{
	for (int round = 0; round < 50; round++) {
		struct kvmreg_state *a = kvmreg_state_new(KVMREG_ARCH_ARM64);
		struct kvmreg_state *b = kvmreg_state_new(KVMREG_ARCH_ARM64);
		size_t only_a = 0, only_b = 0, values = 0, same = 0;
		struct kvmreg_diff *d;

		for (int i = 0; i < 300; i++) {
			uint64_t id = ARM64_SYSREG(3, rnd() % 8, rnd() % 16,
						   rnd() % 16, rnd() % 8);
			uint64_t v = rnd() % 4;

			if (kvmreg_id_check(KVMREG_ARCH_ARM64, id))
				continue;
			switch (rnd() % 3) {
			case 0:
				set64(a, id, v);
				break;
			case 1:
				set64(b, id, v);
				break;
			default:
				set64(a, id, v);
				set64(b, id, rnd() % 4);
				break;
			}
		}
		for (size_t i = 0; i < kvmreg_state_count(a); i++) {
			uint64_t id;
			const void *va, *vb;

			kvmreg_state_at(a, i, &id, &va);
			vb = kvmreg_state_get(b, id);
			if (!vb)
				only_a++;
			else if (memcmp(va, vb, 8))
				values++;
			else
				same++;
		}
		for (size_t i = 0; i < kvmreg_state_count(b); i++) {
			uint64_t id;

			kvmreg_state_at(b, i, &id, NULL);
			if (!kvmreg_state_get(a, id))
				only_b++;
		}
		REQUIRE(kvmreg_state_diff(a, b, 0, &d) == 0);
		EXPECT(d->count == only_a + only_b + values && d->same == same,
		       "round %d: %zu entries, %zu same; expected %zu + %zu + %zu, %zu",
		       round, d->count, d->same, only_a, only_b, values, same);
		for (size_t i = 0; i < d->count; i++) {
			const struct kvmreg_diff_entry *e = &d->entries[i];

			if (e->kind == KVMREG_DIFF_ONLY_A)
				EXPECT(!kvmreg_state_get(b, e->id_a));
			else if (e->kind == KVMREG_DIFF_ONLY_B)
				EXPECT(!kvmreg_state_get(a, e->id_b));
			else
				EXPECT(e->kind == KVMREG_DIFF_VALUE &&
				       memcmp(kvmreg_state_get(a, e->id_a),
					      kvmreg_state_get(b, e->id_b), 8));
		}
		kvmreg_diff_free(d);
		kvmreg_state_free(a);
		kvmreg_state_free(b);
	}
}

TEST_MAIN("diff_compat",
	  CASE(identical_states),
	  CASE(every_kind_in_order),
	  CASE(size_change_pairs_by_id_without_size),
	  CASE(volatile_registers),
	  CASE(state_against_capture),
	  CASE(bad_arguments),
	  CASE(compat_verdicts),
	  CASE(random_states_match_brute_force))
