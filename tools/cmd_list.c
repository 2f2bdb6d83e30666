// SPDX-License-Identifier: MIT
/*
 * kvmreg list, and the register table it shares with kvmreg table: one
 * line per register (or a JSON array), grouped for people -- general
 * registers first, bulk state (LAPIC page, XSAVE area, CPUID) last --
 * filtered by --group and name globs.
 */
#include <fnmatch.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"

/*
 * Where a group goes when a list is shown grouped. Groups of every arch
 * the library names; a group not here (a driver added one) goes after
 * these and before the bulk ones, in the order it first appears.
 */
static const char *const group_order[] = {
	/* the general registers a person looks for first */
	"regs", "core", "gpr",
	/* control and system state */
	"sregs", "segment", "dtable", "debugreg", "xcr", "events", "mp_state",
	"kvm", "msr", "sysreg", "csr", "cpucfg", "fp_f", "fp_d", "fp", "vector",
	"timer", "config", "isa_ext", "sbi_ext", "fw", "demux",
};
/* Large or numerous: shown after everything else. */
static const char *const bulk_groups[] = { "lapic", "xsave", "cpuid" };

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static int group_rank(const char *group)
{
	for (size_t i = 0; i < ARRAY_SIZE(group_order); i++)
		if (!strcmp(group, group_order[i]))
			return (int)i;
	for (size_t i = 0; i < ARRAY_SIZE(bulk_groups); i++)
		if (!strcmp(group, bulk_groups[i]))
			return 1000 + (int)i;
	return 500;
}

struct shown {
	size_t index;		/* in the list */
	const char *group;
	int rank;
	size_t first;		/* index of the group's first register */
};

static int by_group(const void *pa, const void *pb)
{
	const struct shown *a = pa, *b = pb;

	if (a->rank != b->rank)
		return a->rank < b->rank ? -1 : 1;
	if (a->first != b->first)	/* unknown groups: first appearance */
		return a->first < b->first ? -1 : 1;
	return a->index < b->index ? -1 : a->index > b->index;
}

/* Whether s is one of the comma-separated names in list. */
static int in_comma_list(const char *list, const char *s)
{
	size_t n = strlen(s);

	for (const char *p = list; p; p = strchr(p, ',')) {
		if (*p == ',')
			p++;
		if (!strncmp(p, s, n) && (p[n] == ',' || !p[n]))
			return 1;
	}
	return 0;
}

static void print_reg(const struct cli_opts *o, const struct kvmreg_reg *r,
		      const void *value, int read_err, int first)
{
	char name[160], text[CLI_VALUE_TEXT] = "", line[sizeof(text) + 256];

	cli_reg_name(o->arch, r->id, o->style, name, sizeof(name));
	if (o->json) {
		if (value)
			kvmreg_value_format(value, r->size, text, sizeof(text));
		printf("%s\n  {\"id\": \"0x%016" PRIx64 "\", \"name\": ",
		       first ? "" : ",", r->id);
		cli_json_string(name);
		printf(", \"group\": ");
		cli_json_string(kvmreg_id_group(o->arch, r->id));
		printf(", \"size\": %u, \"source\": \"%s\", \"volatile\": %s",
		       r->size, kvmreg_source_name(r->source),
		       r->flags & KVMREG_REG_VOLATILE ? "true" : "false");
		if (value)
			printf(", \"value\": \"%s\"", text);
		else if (read_err)
			printf(", \"error\": \"%s\"", strerror(-read_err));
		printf("}");
		return;
	}
	if (value)
		cli_value_text(o->arch, r->id, value, text, sizeof(text));
	snprintf(line, sizeof(line), "0x%016" PRIx64 "  %-32s %4u  %-10s %s%s",
		 r->id, name, r->size, kvmreg_source_name(r->source),
		 value ? text : read_err ? strerror(-read_err) : "",
		 r->flags & KVMREG_REG_VOLATILE ? "  (volatile)" : "");
	/* --no-values and the table: no blanks where the value would be */
	for (size_t n = strlen(line); n && line[n - 1] == ' '; n--)
		line[n - 1] = '\0';
	puts(line);
}

/* Print the registers order[0..n) of list, with a heading per group; a
 * NULL order: all of list, in its order, without headings. */
static void print_regs(const struct cli_opts *o, const struct kvmreg_list *list,
		       const struct shown *order, size_t n,
		       const struct kvmreg_state *values, const int *errs)
{
	if (o->json)
		printf("[");
	else if (values)
		printf("%-18s  %-32s %4s  %-10s %s\n", "ID", "NAME", "SIZE",
		       "SOURCE", "VALUE");
	else
		printf("%-18s  %-32s %4s  %s\n", "ID", "NAME", "SIZE", "SOURCE");
	for (size_t i = 0; i < n; i++) {
		size_t at = order ? order[i].index : i;
		const struct kvmreg_reg *r = &list->regs[at];

		if (order && !o->json &&
		    (i == 0 || strcmp(order[i].group, order[i - 1].group))) {
			size_t k = i;

			while (k < n && !strcmp(order[k].group, order[i].group))
				k++;
			printf("\n%s: %zu register%s\n", order[i].group, k - i,
			       k - i == 1 ? "" : "s");
		}
		print_reg(o, r, values ? kvmreg_state_get(values, r->id) : NULL,
			  errs ? errs[at] : 0, i == 0);
	}
	if (o->json)
		printf("\n]\n");
}

void cli_print_list(const struct cli_opts *o, const struct kvmreg_list *list,
		    const struct kvmreg_state *values, const int *errs)
{
	print_regs(o, list, NULL, list->count, values, errs);
}

/* The groups of list, in group order, space separated. */
static void list_groups(const struct cli_opts *o, const struct kvmreg_list *list,
			char *buf, size_t len)
{
	const char *best_prev = NULL;

	/* Few groups, many registers: pick the next group by rank each time. */
	for (;;) {
		const char *best = NULL;
		int best_rank = 0;

		for (size_t i = 0; i < list->count; i++) {
			const char *g = kvmreg_id_group(o->arch, list->regs[i].id);
			int r = group_rank(g);

			if (best_prev && (r < group_rank(best_prev) ||
					  (r == group_rank(best_prev) &&
					   strcmp(g, best_prev) <= 0)))
				continue;
			if (!best || r < best_rank ||
			    (r == best_rank && strcmp(g, best) < 0)) {
				best = g;
				best_rank = r;
			}
		}
		if (!best)
			return;
		snprintf(buf + strlen(buf), len - strlen(buf), "%s%s",
			 *buf ? " " : "", best);
		best_prev = best;
	}
}

/*
 * The registers to show, grouped: those of the --group list (all without
 * it) whose name matches one of the globs (all without any), in group
 * order. Returns how many, or -1 after printing why (CLI_USAGE: a group
 * this vCPU does not have).
 */
static long select_regs(const struct cli_opts *o, const struct kvmreg_list *list,
			char **globs, int nglobs, struct shown *order)
{
	size_t n = 0;

	if (o->groups) {
		/* Every group asked for must exist: a typo shows, not hides. */
		const char *p = o->groups;

		for (;;) {
			size_t len = strcspn(p, ",");
			int found = 0;

			if (!len) {
				cli_fail(CLI_USAGE, "list",
					 "--group '%s': an empty group name", o->groups);
				return -1;
			}

			for (size_t i = 0; i < list->count && !found; i++) {
				const char *g = kvmreg_id_group(o->arch, list->regs[i].id);

				found = strlen(g) == len && !strncmp(g, p, len);
			}
			if (!found) {
				char have[512] = "";

				list_groups(o, list, have, sizeof(have));
				cli_fail(CLI_USAGE, "list",
					 "this %s vCPU has no register group '%.*s' (it has: %s)",
					 kvmreg_arch_name(o->arch), (int)len, p, have);
				return -1;
			}
			if (!p[len])
				break;
			p += len + 1;
		}
	}
	for (size_t i = 0; i < list->count; i++) {
		uint64_t id = list->regs[i].id;
		const char *group = kvmreg_id_group(o->arch, id);
		char short_name[160], shown_name[160];
		int match = nglobs == 0;

		if (o->groups && !in_comma_list(o->groups, group))
			continue;
		cli_reg_name(o->arch, id, KVMREG_NAME_SHORT, short_name,
			     sizeof(short_name));
		cli_reg_name(o->arch, id, o->style, shown_name, sizeof(shown_name));
		for (int g = 0; g < nglobs && !match; g++)
			match = !fnmatch(globs[g], short_name, FNM_CASEFOLD) ||
				!fnmatch(globs[g], shown_name, FNM_CASEFOLD);
		if (!match)
			continue;
		order[n].index = i;
		order[n].group = group;
		order[n].rank = group_rank(group);
		order[n].first = i;
		for (size_t k = 0; k < n; k++)
			if (!strcmp(order[k].group, group)) {
				order[n].first = order[k].first;
				break;
			}
		n++;
	}
	qsort(order, n, sizeof(*order), by_group);
	return (long)n;
}

int cmd_list(int argc, char **argv)
{
	static const char usage[] =
		"list [--json] [--macro] [--fallback] [--no-values] [--group G,...] [--sve] [--pmu] [GLOB...]\n"
		"  Create a scratch VM and vCPU on this host and print its registers,\n"
		"  grouped (general registers first): id, name, size in bytes, where\n"
		"  the id came from, value. Structured registers (x86 segments,\n"
		"  descriptor tables, CPUID entries) show their fields; --json keeps\n"
		"  every value raw.\n"
		"  GLOB          only registers whose name matches (case-insensitive)\n"
		"  --group G,... only these groups (regs, sregs, msr, core, csr, ...)\n"
		"  --no-values   the list only, without reading a value\n"
		"  --fallback    ignore KVM_GET_REG_LIST: list from the fallback table\n"
		"  --sve, --pmu  arm64: give the vCPU SVE (finalized) / PMUv3 first";
	struct kvmreg_scratch scratch;
	struct kvmreg_state *values = NULL;
	struct kvmreg_list *list = NULL;
	struct shown *order = NULL;
	struct cli_opts o;
	uint64_t *ids = NULL;
	int *errs = NULL, *read_errs = NULL;
	long n;
	int status;

	status = cli_parse_opts(argc, argv,
				"macro json fallback no-values group sve pmu",
				usage, 0, -1, &o);
	if (status >= 0)
		return status;
	if (cli_scratch("list", o.scratch_flags, &scratch))
		return CLI_RUNTIME;
	status = CLI_RUNTIME;
	if (kvmreg_list_get(scratch.vcpu,
			    o.fallback ? KVMREG_LIST_FORCE_FALLBACK : 0, &list)) {
		cli_fail(CLI_RUNTIME, "list", "%s", kvmreg_error());
		goto out;
	}
	order = calloc(list->count + 1, sizeof(*order));
	ids = calloc(list->count + 1, sizeof(*ids));
	errs = calloc(list->count + 1, sizeof(*errs));
	read_errs = calloc(list->count + 1, sizeof(*read_errs));
	if (!order || !ids || !errs || !read_errs) {
		cli_fail(CLI_RUNTIME, "list", "out of memory");
		goto out;
	}
	n = select_regs(&o, list, argv + optind, argc - optind, order);
	if (n < 0) {
		status = CLI_USAGE;
		goto out;
	}
	if (n == 0) {
		cli_fail(CLI_RUNTIME, "list",
			 "no register of this %s vCPU matches%s%s%s", kvmreg_arch_name(o.arch),
			 argc > optind ? " '" : "", argc > optind ? argv[optind] : "",
			 argc > optind + 1 ? "' or the other globs" :
			 argc > optind ? "'" : "");
		goto out;
	}
	if (!o.no_values) {
		values = kvmreg_state_new(o.arch);
		if (!values) {
			cli_fail(CLI_RUNTIME, "list", "out of memory");
			goto out;
		}
		for (long i = 0; i < n; i++)
			ids[i] = list->regs[order[i].index].id;
		/* A register that cannot be read is shown with its error;
		 * print_regs() finds it by list index. */
		kvmreg_read(scratch.vcpu, ids, (size_t)n, values, read_errs);
		for (long i = 0; i < n; i++)
			errs[order[i].index] = read_errs[i];
	}
	print_regs(&o, list, order, (size_t)n, values,
		   o.no_values ? NULL : errs);
	status = CLI_OK;
out:
	free(order);
	free(ids);
	free(errs);
	free(read_errs);
	kvmreg_state_free(values);
	kvmreg_list_free(list);
	kvmreg_scratch_destroy(&scratch);
	return status;
}
