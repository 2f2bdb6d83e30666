// SPDX-License-Identifier: MIT
/*
 * gen-kvmreg-ids: write include/kvmreg_ids.h, the compile-time constants of
 * the register ids libkvmreg defines itself (x86 struct state today).
 *
 * Input: the library itself. Every driver's known_ids hook lists the ids
 * it names; an id is the library's own when its macro-style name is the
 * library's notation (KVMREG_<ARCH>_...(...)) rather than a kernel macro.
 * Each such id with a short name made of words (rip, cr8, lapic.TPR)
 * becomes KVMREG_<ARCH>_<NAME>; each family whose macro takes one number
 * (KVMREG_X86_XSAVE(n)) and whose members are that number added to one
 * base becomes a function-like macro of the same spelling. Ids added to a
 * driver appear when this is rerun: `make ids-header`.
 * tests/unit/ids_header.c compiles this file with GEN_IDS_NO_MAIN and fails
 * when the committed header differs from what it would write.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/arch.h"
#include "internal.h"
#include "kvmreg.h"

struct gen_id {
	enum kvmreg_arch arch;
	uint64_t id;
	char name[96];		/* short name: rip, lapic.TPR */
	char constant[128];	/* KVMREG_X86_RIP */
};

struct gen_family {
	enum kvmreg_arch arch;
	uint64_t base;		/* member n is base + n */
	char macro[96];		/* KVMREG_X86_XSAVE */
	int linear;
};

struct gen_ids {
	struct gen_id *ids;
	size_t n_ids;
	struct gen_family *families;
	size_t n_families;
};

/* A short name made of words: each dot-separated part starts with a letter
 * and holds only letters, digits and underscores. */
static int is_word_name(const char *name)
{
	for (const char *p = name; *p; p++) {
		if (!isalpha((unsigned char)*p))
			return 0;
		while (isalnum((unsigned char)*p) || *p == '_')
			p++;
		if (*p && *p != '.')
			return 0;
		if (!*p)
			break;
	}
	return *name != '\0';
}

/* "KVMREG_X86_" of "KVMREG_X86_SREGS(cr8)": the library's prefix for the
 * arch, or NULL if macro is not the library's notation. */
static const char *arch_prefix(const char *macro, char *buf, size_t len)
{
	const char *second;

	if (strncmp(macro, "KVMREG_", 7) || !strchr(macro, '('))
		return NULL;
	second = strchr(macro + 7, '_');
	if (!second || (size_t)(second - macro + 2) > len)
		return NULL;
	snprintf(buf, len, "%.*s", (int)(second - macro + 1), macro);
	return buf;
}

static int add_family(struct gen_ids *g, enum kvmreg_arch arch,
		      const char *macro, uint64_t id)
{
	const char *open = strchr(macro, '(');
	char *end;
	uint64_t n;

	if (!isdigit((unsigned char)open[1]))
		return 0;
	n = strtoull(open + 1, &end, 0);
	if (strcmp(end, ")"))
		return 0;	/* two arguments (CPUID): no macro */
	for (size_t i = 0; i < g->n_families; i++) {
		struct gen_family *f = &g->families[i];

		if (f->arch == arch && !strncmp(f->macro, macro, (size_t)(open - macro)) &&
		    !f->macro[open - macro]) {
			f->linear = f->linear && f->base == id - n;
			return 0;
		}
	}
	g->families = realloc(g->families, (g->n_families + 1) * sizeof(*g->families));
	if (!g->families)
		return -1;
	g->families[g->n_families++] = (struct gen_family){
		.arch = arch, .base = id - n, .linear = 1 };
	snprintf(g->families[g->n_families - 1].macro, sizeof(g->families->macro),
		 "%.*s", (int)(open - macro), macro);
	return 0;
}

static int add_id(struct gen_ids *g, enum kvmreg_arch arch, uint64_t id)
{
	char macro[160], name[96], prefix[32];
	struct gen_id *e;

	if (kvmreg_id_name(arch, id, KVMREG_NAME_MACRO, macro, sizeof(macro)) < 0 ||
	    kvmreg_id_name(arch, id, KVMREG_NAME_SHORT, name, sizeof(name)) < 0)
		return -1;
	if (!arch_prefix(macro, prefix, sizeof(prefix)))
		return 0;	/* a kernel id */
	if (add_family(g, arch, macro, id))
		return -1;
	if (!is_word_name(name))
		return 0;
	for (size_t i = 0; i < g->n_ids; i++)
		if (g->ids[i].arch == arch && g->ids[i].id == id)
			return 0;
	g->ids = realloc(g->ids, (g->n_ids + 1) * sizeof(*g->ids));
	if (!g->ids)
		return -1;
	e = &g->ids[g->n_ids++];
	e->arch = arch;
	e->id = id;
	snprintf(e->name, sizeof(e->name), "%s", name);
	snprintf(e->constant, sizeof(e->constant), "%s%s", prefix, name);
	for (char *p = e->constant + strlen(prefix); *p; p++)
		*p = *p == '.' ? '_' : (char)toupper((unsigned char)*p);
	return 0;
}

/* Every library-defined id of every driver, or -1 after a message. */
static int gen_enumerate(struct gen_ids *g)
{
	memset(g, 0, sizeof(*g));
	for (int a = 1; a < KVMREG_ARCH_COUNT; a++) {
		const struct kvmreg_arch_driver *d = kvmreg_driver(a);
		struct kvmreg_idvec known = { 0 };
		int err = 0;

		if (!d || !d->known_ids)
			continue;
		if (d->known_ids(&known)) {
			fprintf(stderr, "gen-kvmreg-ids: %s: %s\n", d->name, kvmreg_error());
			return -1;
		}
		for (size_t i = 0; !err && i < known.n; i++)
			err = add_id(g, a, known.v[i]);
		kvmreg_idvec_free(&known);
		if (err) {
			fprintf(stderr, "gen-kvmreg-ids: %s: out of memory or a bad id\n", d->name);
			return -1;
		}
	}
	/* Two names for one constant would make the header not compile. */
	for (size_t i = 0; i < g->n_ids; i++) {
		for (size_t j = 0; j < i; j++)
			if (!strcmp(g->ids[i].constant, g->ids[j].constant)) {
				fprintf(stderr, "gen-kvmreg-ids: %s and %s both make %s\n",
					g->ids[i].name, g->ids[j].name, g->ids[i].constant);
				return -1;
			}
		for (size_t f = 0; f < g->n_families; f++)
			if (g->families[f].linear &&
			    !strcmp(g->ids[i].constant, g->families[f].macro)) {
				fprintf(stderr, "gen-kvmreg-ids: %s is a constant and a family\n",
					g->ids[i].constant);
				return -1;
			}
	}
	return 0;
}

static void gen_free(struct gen_ids *g)
{
	free(g->ids);
	free(g->families);
}

static const char *arch_enum(enum kvmreg_arch arch)
{
	static char buf[64];

	snprintf(buf, sizeof(buf), "KVMREG_ARCH_%s", kvmreg_arch_name(arch));
	for (char *p = buf; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	return buf;
}

/* The header, to out. */
static void gen_write(const struct gen_ids *g, FILE *out)
{
	enum kvmreg_arch arch = KVMREG_ARCH_NONE;

	fputs("/* SPDX-License-Identifier: MIT */\n"
	      "/*\n"
	      " * kvmreg_ids.h: compile-time constants for the register ids libkvmreg\n"
	      " * defines itself, where KVM has no ONE_REG id (x86 struct state, see\n"
	      " * docs/ids.md): KVMREG_X86_CR8 is the id kvmreg_id_parse(KVMREG_ARCH_X86_64,\n"
	      " * \"cr8\") gives. Kernel ids (MSRs, arm64 system registers, ...) are the\n"
	      " * kernel's: use its uapi macros, or kvmreg_id_parse().\n"
	      " *\n"
	      " * Generated by include/gen-kvmreg-ids.c from the library's own drivers:\n"
	      " * do not edit; `make ids-header` rewrites it. The ids are part of the\n"
	      " * ABI: a constant keeps its value in every later release.\n"
	      " */\n"
	      "#ifndef KVMREG_IDS_H\n"
	      "#define KVMREG_IDS_H\n\n"
	      "#include <stdint.h>\n", out);
	for (size_t i = 0; i < g->n_ids; i++) {
		const struct gen_id *e = &g->ids[i];

		if (e->arch != arch) {
			arch = e->arch;
			fprintf(out, "\n/* %s */\n", kvmreg_arch_name(arch));
		}
		fprintf(out, "#define %-40s UINT64_C(0x%016" PRIx64 ")\n",
			e->constant, e->id);
	}
	fputs("\n/* Families: member n as docs/ids.md numbers it (KVMREG_X86_XSAVE(n):\n"
	      " * bytes 256n..256n+255 of the XSAVE area). */\n", out);
	for (size_t f = 0; f < g->n_families; f++)
		if (g->families[f].linear)
			fprintf(out, "#define %s(n) (UINT64_C(0x%016" PRIx64 ") + (uint64_t)(n))\n",
				g->families[f].macro, g->families[f].base);
	fputs("\n/* X(arch, \"short name\", constant) for every constant above: a table of\n"
	      " * names for a VMM, and the test that each constant is what\n"
	      " * kvmreg_id_parse() gives for its name. */\n"
	      "#define KVMREG_IDS_EACH(X) \\\n", out);
	for (size_t i = 0; i < g->n_ids; i++)
		fprintf(out, "\tX(%s, \"%s\", %s) \\\n", arch_enum(g->ids[i].arch),
			g->ids[i].name, g->ids[i].constant);
	fputs("\t/* end */\n\n/* X(arch, \"macro name\", macro) for every family above. */\n"
	      "#define KVMREG_IDS_FAMILIES(X) \\\n", out);
	for (size_t f = 0; f < g->n_families; f++)
		if (g->families[f].linear)
			fprintf(out, "\tX(%s, \"%s\", %s) \\\n",
				arch_enum(g->families[f].arch), g->families[f].macro,
				g->families[f].macro);
	fputs("\t/* end */\n\n#endif /* KVMREG_IDS_H */\n", out);
}

#ifndef GEN_IDS_NO_MAIN
int main(void)
{
	struct gen_ids g;

	if (gen_enumerate(&g))
		return 1;
	gen_write(&g, stdout);
	gen_free(&g);
	return fflush(stdout) ? 1 : 0;
}
#endif
