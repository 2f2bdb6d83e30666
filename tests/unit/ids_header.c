// SPDX-License-Identifier: MIT
/*
 * include/kvmreg_ids.h: every constant is the id kvmreg_id_parse() gives
 * for its name (and names back to it), every family macro agrees with the
 * library's macro-style names, and the header is current: the drivers
 * define no id it lacks, and include/gen-kvmreg-ids.c would write it
 * byte for byte as committed.
 */
#define GEN_IDS_NO_MAIN
#include "gen-kvmreg-ids.c"

#include "harness.h"
#include "kvmreg_ids.h"

static const struct {
	enum kvmreg_arch arch;
	const char *name, *constant;
	uint64_t id;
} constants[] = {
#define ENTRY(arch, name, constant) { arch, name, #constant, constant },
	KVMREG_IDS_EACH(ENTRY)
#undef ENTRY
};

TEST(constant_is_parse_of_its_name)
{
	REQUIRE(sizeof(constants) / sizeof(constants[0]) > 100,
		"only %zu constants", sizeof(constants) / sizeof(constants[0]));
	for (size_t i = 0; i < sizeof(constants) / sizeof(constants[0]); i++) {
		uint64_t id = 0;
		char name[128];

		EXPECT(kvmreg_id_parse(constants[i].arch, constants[i].name, &id) == 0 &&
		       id == constants[i].id,
		       "%s = 0x%016" PRIx64 ", kvmreg_id_parse(\"%s\") = 0x%016" PRIx64 " (%s)",
		       constants[i].constant, constants[i].id, constants[i].name, id,
		       kvmreg_error());
		EXPECT(kvmreg_id_name(constants[i].arch, constants[i].id,
				      KVMREG_NAME_SHORT, name, sizeof(name)) > 0 &&
		       !strcmp(name, constants[i].name),
		       "%s names as '%s', not '%s'", constants[i].constant, name,
		       constants[i].name);
	}
}

/* A VMM's names: the ones the issue and docs/example-vmm.md use. */
TEST(well_known_constants)
{
	EXPECT(KVMREG_X86_CR8 == UINT64_C(0x20306b0200000004), "cr8");
	EXPECT(KVMREG_X86_RIP == UINT64_C(0x20306b0100000010), "rip");
	EXPECT(KVMREG_X86_CS == UINT64_C(0x20506b0300000000), "cs");
	EXPECT(KVMREG_X86_LAPIC_TPR == UINT64_C(0x20406b0800000008), "lapic.TPR");
}

/* KVMREG_X86_XSAVE(3) is the id of the name "KVMREG_X86_XSAVE(3)". */
TEST(family_is_parse_of_its_macro_name)
{
	int families = 0;
#define CHECK_FAMILY(arch, macro_name, macro)					\
	do {									\
		families++;							\
		for (unsigned n = 0; n < 4; n++) {				\
			char spelled[128];					\
			uint64_t id = 0;					\
										\
			snprintf(spelled, sizeof(spelled), "%s(%u)", macro_name, n); \
			EXPECT(kvmreg_id_parse(arch, spelled, &id) == 0 &&	\
			       id == macro(n), "%s = 0x%016" PRIx64 ", parse gives 0x%016" PRIx64, \
			       spelled, (uint64_t)macro(n), id);		\
		}								\
	} while (0);
	KVMREG_IDS_FAMILIES(CHECK_FAMILY)
#undef CHECK_FAMILY
	EXPECT(families >= 3, "%d families", families);
}

/* What the generator finds in the drivers now is what the header has. */
TEST(header_has_every_library_id)
{
	struct gen_ids g;
	size_t n = sizeof(constants) / sizeof(constants[0]);

	REQUIRE(gen_enumerate(&g) == 0, "the generator failed");
	for (size_t i = 0; i < g.n_ids; i++) {
		size_t k = 0;

		while (k < n && strcmp(constants[k].constant, g.ids[i].constant))
			k++;
		EXPECT(k < n && constants[k].id == g.ids[i].id,
		       "the %s driver defines %s = 0x%016" PRIx64 " (%s), include/kvmreg_ids.h %s: run make ids-header",
		       kvmreg_arch_name(g.ids[i].arch), g.ids[i].constant,
		       g.ids[i].id, g.ids[i].name, k < n ? "has another value" : "lacks it");
	}
	EXPECT(g.n_ids == n, "the drivers define %zu ids, the header has %zu: run make ids-header",
	       g.n_ids, n);
	gen_free(&g);
}

/* The committed file is what the generator writes (families, comments). */
TEST(header_is_generator_output)
{
	char path[512], *want = NULL, got[1 << 17];
	size_t want_len = 0, got_len;
	struct gen_ids g;
	const char *top = __FILE__;
	FILE *out, *in;

	/* tests/unit/ids_header.c -> the tree's include/kvmreg_ids.h */
	snprintf(path, sizeof(path), "%.*sinclude/kvmreg_ids.h",
		 (int)(strstr(top, "tests/unit/") - top), top);
	in = fopen(path, "r");
	if (!in)
		SKIP("%.160s: %.60s (not run from the source tree)", path, strerror(errno));
	got_len = fread(got, 1, sizeof(got), in);
	fclose(in);
	REQUIRE(gen_enumerate(&g) == 0, "the generator failed");
	out = open_memstream(&want, &want_len);
	REQUIRE(out, "open_memstream");
	gen_write(&g, out);
	fclose(out);
	EXPECT(got_len == want_len && !memcmp(got, want, want_len),
	       "%s differs from what include/gen-kvmreg-ids.c writes: run make ids-header", path);
	free(want);
	gen_free(&g);
}

TEST_MAIN("ids_header", CASE(constant_is_parse_of_its_name),
	  CASE(well_known_constants), CASE(family_is_parse_of_its_macro_name),
	  CASE(header_has_every_library_id), CASE(header_is_generator_output))
