// SPDX-License-Identifier: MIT
/*
 * The properties every arch driver owes the core, checked over every id the
 * driver names (its known_ids hook), for all seven drivers at once: names
 * in both styles parse back to the same id and print again the same; no
 * name names two ids; malformed ids (bit flips in each field, every other
 * size) and truncated or garbled names are refused with -EINVAL and a
 * message, never half-accepted; every id has a restore rank and a reason,
 * a group, and a size its id says. The per-arch *_names.c tests keep only
 * the facts of their arch (hand-computed ids, messages, orders, tables).
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>

#include "arch/arch.h"
#include "harness.h"
#include "internal.h"
#include "kvmreg.h"
#include "lib/names.h"

/*
 * Every driver, with how many ids it names: a driver that lost a family of
 * names fails here, whatever its other properties.
 */
static const struct {
	enum kvmreg_arch arch;
	size_t min_ids, max_ids;
} drivers[] = {
	/* >200 library ids for struct state, >190 MSRs of 7.2's lists */
	{ KVMREG_ARCH_X86_64, 401, SIZE_MAX },
	/* 75 core, 14 CCSIDR, ~900 sysregs, 8 fw, 1569 SVE */
	{ KVMREG_ARCH_ARM64, 2501, SIZE_MAX },
	/* 8 config, 33 core, 19 CSRs, 8 SBI state, 78 ISA_EXT, 4 multi,
	 * 14 SBI_EXT, 2 multi, 5 vector CSRs: XLEN, so twice (U64, U32);
	 * 4 timer; 33 F; 33 D; 32 vector registers in 5 sizes; libkvmreg's
	 * mp_state. */
	{ KVMREG_ARCH_RISCV64,
	  2 * (8 + 33 + 19 + 8 + 78 + 4 + 14 + 2 + 5) + 4 + 33 + 33 + 32 * 5 + 1,
	  2 * (8 + 33 + 19 + 8 + 78 + 4 + 14 + 2 + 5) + 4 + 33 + 33 + 32 * 5 + 1 },
	/* 226 CSRs in 7.2's loongarch.h (MCSR0 is PRID), 21 CPUCFG, 3 KVM,
	 * 6 LBT, libkvmreg's mp_state */
	{ KVMREG_ARCH_LOONGARCH64, 226 + 21 + 3 + 6 + 1, 226 + 21 + 3 + 6 + 1 },
	/* From the generated headers: mips 3 gp + 48 CP0 + 3 KVM + 4 FPU/MSA
	 * control + r0..r31 + 64 MAARs + 3 x 32 FPR/vector; s390 9; ppc 118
	 * single macros + FPR, VR, VSR, TM_GPR (32 each) + TM_VSR (64). */
	{ KVMREG_ARCH_MIPS, 3 + 48 + 3 + 4 + 32 + 64 + 96,
	  3 + 48 + 3 + 4 + 32 + 64 + 96 },
	{ KVMREG_ARCH_S390, 9, 9 },
	{ KVMREG_ARCH_PPC, 118 + 4 * 32 + 64, 118 + 4 * 32 + 64 },
};
#define N_DRIVERS KVMREG_ARRAY_SIZE(drivers)

/* Each driver's known ids, listed once for all the cases. */
static struct kvmreg_idvec known[N_DRIVERS];

static void free_known(void)
{
	for (size_t d = 0; d < N_DRIVERS; d++)
		kvmreg_idvec_free(&known[d]);
}

static const struct kvmreg_idvec *known_of(size_t d)
{
	static int registered;

	if (!registered++)
		atexit(free_known);
	/* A driver whose list fails is met with an empty one: a failure. */
	if (!known[d].n && t_known_ids(drivers[d].arch, &known[d]))
		kvmreg_idvec_free(&known[d]);
	return &known[d];
}

/*
 * A property fails once per id; a driver that breaks it everywhere must
 * not print thousands of lines: the first few say what, then a count.
 */
static unsigned int failures;

#define PROP(cond, ...)							\
	do {								\
		if (cond)						\
			break;						\
		h_case_failed = 1;					\
		if (++failures <= 8)					\
			h_fail_at(__FILE__, __LINE__, "expected " #cond	\
				  ": " __VA_ARGS__);			\
	} while (0)

static void report_more(const char *arch)
{
	if (failures > 8)
		printf("    %s: %u more failures\n", arch, failures - 8);
	failures = 0;
}

/* Deterministic, so a failure reruns the same way. */
static uint64_t rng_state;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* One driver's side of a property: its arch, name and known ids. */
struct driver {
	size_t index;
	enum kvmreg_arch arch;
	const char *name;
	const struct kvmreg_arch_driver *ops;
	const struct kvmreg_idvec *ids;
};

static void for_every_driver(void (*check)(const struct driver *))
{
	for (size_t d = 0; d < N_DRIVERS; d++) {
		struct driver drv = {
			.index = d,
			.arch = drivers[d].arch,
			.name = kvmreg_arch_name(drivers[d].arch),
			.ops = kvmreg_driver(drivers[d].arch),
			.ids = known_of(d),
		};

		if (!drv.ops || !drv.ids->n) {
			EXPECT(0, "%s: no driver, or no known ids (%s)",
			       drv.name, kvmreg_error());
			continue;
		}
		rng_state = 0x9e3779b97f4a7c15ULL * (d + 1);
		check(&drv);
		report_more(drv.name);
	}
}

/* A test case that checks one property on every driver. */
#define PROPERTY(fn)							\
	static void fn##_of(const struct driver *drv);			\
	TEST(fn) { for_every_driver(fn##_of); }				\
	static void fn##_of(const struct driver *drv)

/* Every architecture the library has a driver for is in the table. */
TEST(every_driver_is_tested)
{
	for (int a = 1; a < KVMREG_ARCH_COUNT; a++) {
		size_t d = 0;

		if (!kvmreg_driver((enum kvmreg_arch)a))
			continue;
		while (d < N_DRIVERS && drivers[d].arch != (enum kvmreg_arch)a)
			d++;
		EXPECT(d < N_DRIVERS, "%s is not in this test's table",
		       kvmreg_arch_name((enum kvmreg_arch)a));
	}
}

/* As many ids as the arch has, each once, the same list every time. */
PROPERTY(known_ids_listed_once)
{
	const struct kvmreg_idvec *ids = drv->ids;
	struct kvmreg_idvec again;
	uint64_t *sorted;

	EXPECT(ids->n >= drivers[drv->index].min_ids &&
	       ids->n <= drivers[drv->index].max_ids,
	       "%s: %zu known ids, want %zu..%zu", drv->name, ids->n,
	       drivers[drv->index].min_ids, drivers[drv->index].max_ids);
	EXPECT(t_known_ids(drv->arch, &again) == 0 && again.n == ids->n &&
	       !memcmp(again.v, ids->v, ids->n * sizeof(*ids->v)),
	       "%s: a second known_ids() differs", drv->name);
	kvmreg_idvec_free(&again);
	sorted = malloc(ids->n * sizeof(*sorted));
	REQUIRE(sorted, "out of memory");
	memcpy(sorted, ids->v, ids->n * sizeof(*sorted));
	qsort(sorted, ids->n, sizeof(*sorted), cmp_u64);
	for (size_t i = 1; i < ids->n; i++)
		PROP(sorted[i] != sorted[i - 1], "%s: 0x%016" PRIx64
		     " listed twice", drv->name, sorted[i]);
	free(sorted);
}

/*
 * decode(encode(id)) == id and encode(decode(name)) == name, in both
 * styles: every id is well formed, of this arch, named (not the generic
 * form), its name fits a 256-byte buffer, and the length comes back the
 * way snprintf gives it.
 */
PROPERTY(names_round_trip)
{
	for (size_t i = 0; i < drv->ids->n; i++) {
		uint64_t id = drv->ids->v[i];

		PROP(kvmreg_arch_of_id(id) == drv->arch, "%s: 0x%016" PRIx64
		     " is a %s id", drv->name, id,
		     kvmreg_arch_name(kvmreg_arch_of_id(id)));
		PROP(kvmreg_id_check(drv->arch, id) == 0, "%s: 0x%016" PRIx64
		     ": %s", drv->name, id, kvmreg_error());
		for (int style = 0; style < 2; style++) {
			char name[512];
			uint64_t back = 0;
			int n = kvmreg_id_name(drv->arch, id, style, name,
					       sizeof(name));

			PROP(n > 0 && n < 256 && !t_name_is_generic(name),
			     "%s: 0x%016" PRIx64 " style %d: %d '%s' (%s)",
			     drv->name, id, style, n, name, kvmreg_error());
			if (n <= 0)
				continue;
			PROP(kvmreg_id_name(drv->arch, id, style, NULL, 0) == n,
			     "%s: '%s': a different length without a buffer",
			     drv->name, name);
			PROP(kvmreg_id_parse(drv->arch, name, &back) == 0 &&
			     back == id, "%s: '%s' -> 0x%016" PRIx64
			     ", want 0x%016" PRIx64 " (%s)", drv->name, name,
			     back, id, kvmreg_error());
			PROP(!strcmp(t_name_of(drv->arch, back, style), name),
			     "%s: '%s' came back as '%s'", drv->name, name,
			     t_name_buf);
		}
	}
}

struct named {
	char *name;
	uint64_t id;
};

static int cmp_named(const void *a, const void *b)
{
	return strcmp(((const struct named *)a)->name,
		      ((const struct named *)b)->name);
}

/* No name, in either style, names two ids: a name is a key. */
PROPERTY(names_are_unique)
{
	size_t n = 2 * drv->ids->n;
	struct named *names = calloc(n, sizeof(*names));

	REQUIRE(names, "out of memory");
	for (size_t i = 0; i < n; i++) {
		names[i].id = drv->ids->v[i / 2];
		names[i].name = strdup(t_name_of(drv->arch, names[i].id,
						 (enum kvmreg_name_style)(i % 2)));
		REQUIRE(names[i].name, "out of memory");
	}
	qsort(names, n, sizeof(*names), cmp_named);
	for (size_t i = 1; i < n; i++)
		PROP(strcmp(names[i - 1].name, names[i].name) ||
		     names[i - 1].id == names[i].id,
		     "%s: '%s' names 0x%016" PRIx64 " and 0x%016" PRIx64,
		     drv->name, names[i].name, names[i - 1].id, names[i].id);
	for (size_t i = 0; i < n; i++)
		free(names[i].name);
	free(names);
}

/*
 * What the core promises of any id handed to it: well formed, so it has a
 * name (maybe the generic one) that parses back; or refused with -EINVAL
 * and a message by every call that takes it. Never accepted by one call
 * and refused by the next.
 */
static void check_or_refuse(const struct driver *drv, uint64_t id,
			    const char *how)
{
	int err = kvmreg_id_check(drv->arch, id);
	char text[32];
	uint64_t back = 0;

	if (err == 0) {
		for (int style = 0; style < 2; style++) {
			const char *name = t_name_of(drv->arch, id, style);

			PROP(kvmreg_id_parse(drv->arch, name, &back) == 0 &&
			     back == id, "%s: %s 0x%016" PRIx64 " is well formed,"
			     " but its name '%s' -> 0x%016" PRIx64 " (%s)",
			     drv->name, how, id, name, back, kvmreg_error());
		}
		return;
	}
	PROP(err == -EINVAL && *kvmreg_error(), "%s: %s 0x%016" PRIx64
	     ": %d '%s'", drv->name, how, id, err, kvmreg_error());
	PROP(kvmreg_id_name(drv->arch, id, KVMREG_NAME_SHORT, text,
			    sizeof(text)) == -EINVAL,
	     "%s: %s 0x%016" PRIx64 " is refused, but named '%s'", drv->name,
	     how, id, text);
	snprintf(text, sizeof(text), "0x%016" PRIx64, id);
	PROP(kvmreg_id_parse(drv->arch, text, &back) == -EINVAL,
	     "%s: %s '%s' is refused, but parses", drv->name, how, text);
}

/*
 * A bit flipped in each field of every known id: in the arch field
 * (bits 56-63) it is another arch's id, refused by name; anywhere else
 * the driver must say yes (and name it) or no (with a message).
 */
PROPERTY(bit_flips_named_or_refused)
{
	for (size_t i = 0; i < drv->ids->n; i++) {
		uint64_t id = drv->ids->v[i];
		uint64_t other_arch = id ^ 1ULL << (56 + rng() % 8);
		char want[64];

		PROP(kvmreg_id_check(drv->arch, other_arch) == -EINVAL,
		     "%s: 0x%016" PRIx64 " accepted", drv->name, other_arch);
		snprintf(want, sizeof(want), "does not belong to %s", drv->name);
		PROP(strstr(kvmreg_error(), want), "%s: 0x%016" PRIx64 ": '%s'",
		     drv->name, other_arch, kvmreg_error());
		check_or_refuse(drv, other_arch, "other arch");
		/* reserved and type fields (32-51), then the index (0-31) */
		check_or_refuse(drv, id ^ 1ULL << (32 + rng() % 20), "bit flip");
		check_or_refuse(drv, id ^ 1ULL << (rng() % 32), "bit flip");
	}
}

/*
 * Sizes: the id's size field is one KVM knows (U8..U2048) and
 * kvmreg_id_size() agrees; the same id with any other size is another
 * register (so another name) or refused, and a size field past U2048 is
 * always refused.
 */
PROPERTY(sizes)
{
	for (size_t i = 0; i < drv->ids->n; i++) {
		uint64_t id = drv->ids->v[i];
		unsigned int field = (unsigned int)(id >> 52) & 0xf;
		char name[256];

		PROP(field <= 8 && kvmreg_id_size(id) == (size_t)1 << field,
		     "%s: 0x%016" PRIx64 " size field %u, size %zu", drv->name,
		     id, field, kvmreg_id_size(id));
		snprintf(name, sizeof(name), "%s",
			 t_name_of(drv->arch, id, KVMREG_NAME_SHORT));
		for (unsigned int f = 0; f < 16; f++) {
			uint64_t resized = (id & ~(0xfULL << 52)) |
					   (uint64_t)f << 52;

			if (f == field)
				continue;
			if (f > 8) {
				PROP(kvmreg_id_check(drv->arch, resized) ==
				     -EINVAL, "%s: 0x%016" PRIx64 " accepted",
				     drv->name, resized);
				continue;
			}
			check_or_refuse(drv, resized, "resized");
			if (kvmreg_id_check(drv->arch, resized) == 0)
				PROP(strcmp(t_name_of(drv->arch, resized,
						      KVMREG_NAME_SHORT), name),
				     "%s: 0x%016" PRIx64 " and 0x%016" PRIx64
				     " are both '%s'", drv->name, id, resized,
				     name);
		}
	}
}

/*
 * Names cut short or with a character no name has: either still a name
 * (a prefix can be one: "r3" of "r31") of a well-formed id, or -EINVAL
 * with a message, and the id left alone.
 */
static void parse_or_refuse(const struct driver *drv, const char *name,
			    int must_refuse)
{
	uint64_t id = 0x1234;
	int err = kvmreg_id_parse(drv->arch, name, &id);

	if (err == 0 && !must_refuse) {
		PROP(kvmreg_id_check(drv->arch, id) == 0, "%s: '%s' -> "
		     "0x%016" PRIx64 ", malformed: %s", drv->name, name, id,
		     kvmreg_error());
		return;
	}
	PROP(err == -EINVAL && *kvmreg_error() && id == 0x1234,
	     "%s: '%s': %d, 0x%016" PRIx64 " '%s'", drv->name, name, err, id,
	     kvmreg_error());
}

PROPERTY(truncated_and_garbled_names_refused)
{
	static const char junk[] = "#$@`~!?;{}\"'\\";

	parse_or_refuse(drv, "", 1);
	for (size_t i = 0; i < drv->ids->n; i++) {
		for (int style = 0; style < 2; style++) {
			char name[512], bad[520];
			size_t len, at;
			char c = junk[rng() % (sizeof(junk) - 1)];

			snprintf(name, sizeof(name), "%s",
				 t_name_of(drv->arch, drv->ids->v[i], style));
			len = strlen(name);
			if (len < 2)
				continue;
			at = 1 + rng() % (len - 1);
			snprintf(bad, sizeof(bad), "%.*s", (int)at, name);
			parse_or_refuse(drv, bad, 0);
			/* the character replaced, inserted, appended */
			snprintf(bad, sizeof(bad), "%s", name);
			bad[at] = c;
			parse_or_refuse(drv, bad, 1);
			snprintf(bad, sizeof(bad), "%.*s%c%s", (int)at, name,
				 c, name + at);
			parse_or_refuse(drv, bad, 1);
			snprintf(bad, sizeof(bad), "%s%c", name, c);
			parse_or_refuse(drv, bad, 1);
		}
	}
}

/*
 * Restore order is total: every id has a rank (the driver's, where it
 * orders) and a reason a user can read in `kvmreg order`.
 */
PROPERTY(restore_ranks_total)
{
	PROP(!drv->ops->restore_rank == !drv->ops->restore_reason,
	     "%s: a rank without a reason, or a reason without a rank",
	     drv->name);
	for (size_t i = 0; i < drv->ids->n; i++) {
		uint64_t id = drv->ids->v[i];
		int rank = kvmreg_id_restore_rank(drv->arch, id);
		const char *why = kvmreg_id_restore_reason(drv->arch, id);

		PROP(rank >= 0 && why && *why, "%s: 0x%016" PRIx64
		     ": rank %d, reason '%s'", drv->name, id, rank,
		     why ? why : "(null)");
		if (!drv->ops->restore_rank || !drv->ops->restore_reason)
			continue;
		why = drv->ops->restore_reason(id);
		PROP(drv->ops->restore_rank(id) == rank && why && *why,
		     "%s: 0x%016" PRIx64 ": the driver's own reason is '%s'",
		     drv->name, id, why ? why : "(null)");
	}
}

/* Every id is in a group: a short lower-case word, never "unknown". */
PROPERTY(groups_named)
{
	for (size_t i = 0; i < drv->ids->n; i++) {
		uint64_t id = drv->ids->v[i];
		const char *group = kvmreg_id_group(drv->arch, id);

		PROP(group && *group && strcmp(group, "unknown") &&
		     strspn(group, "abcdefghijklmnopqrstuvwxyz0123456789_-") ==
		     strlen(group), "%s: 0x%016" PRIx64 " (%s): group '%s'",
		     drv->name, id, t_name_of(drv->arch, id, KVMREG_NAME_SHORT),
		     group ? group : "(null)");
	}
}

/* Macro names spell the arch out: no arch needed to parse them back. */
PROPERTY(macro_names_need_no_arch)
{
	for (size_t i = 0; i < drv->ids->n; i++) {
		uint64_t id = drv->ids->v[i], back = 0;
		const char *name = t_name_of(drv->arch, id, KVMREG_NAME_MACRO);

		PROP(kvmreg_id_parse(KVMREG_ARCH_NONE, name, &back) == 0 &&
		     back == id, "%s: '%s' without an arch: %s", drv->name,
		     name, kvmreg_error());
	}
}

TEST_MAIN("driver_properties",
	  CASE(every_driver_is_tested),
	  CASE(known_ids_listed_once),
	  CASE(names_round_trip),
	  CASE(names_are_unique),
	  CASE(bit_flips_named_or_refused),
	  CASE(sizes),
	  CASE(truncated_and_garbled_names_refused),
	  CASE(restore_ranks_total),
	  CASE(groups_named),
	  CASE(macro_names_need_no_arch))
