// SPDX-License-Identifier: MIT
/*
 * Migration commands beyond compat: baseline (what every listed host
 * accepts) and adapt (a state made to fit a host by the documented
 * per-arch rules). Exit status as compat: 0 yes, 3 no (no baseline
 * exists; the state cannot be made to fit), 1 runtime error, 2 usage.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "kvmreg.h"

#define EXIT_NO 3

struct migrate_opts {
	const char *output;
	const char *to;
	int json;
};

/* -o FILE, --json, --to FILE (where allowed); -1 to go on, else a status. */
static int parse(int argc, char **argv, const char *usage, int want_to,
		 int min_args, struct migrate_opts *o)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },
		{ "to", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *nl = strchr(usage, '\n');
	int c;

	memset(o, 0, sizeof(*o));
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "o:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			o->output = optarg;
			break;
		case 'j':
			o->json = 1;
			break;
		case 't':
			if (want_to) {
				o->to = optarg;
				break;
			}
			/* fall through */
		case 'h':
			if (c == 'h') {
				printf("usage: %s %s\n", kvmreg_program, usage);
				return 0;
			}
			/* fall through */
		default:
			cli_fail(2, argv[0], "unknown or incomplete option '%s'",
				 argv[optind - 1]);
			fprintf(stderr, "usage: %s %.*s\n", kvmreg_program,
				(int)(nl - usage), usage);
			return 2;
		}
	}
	if (argc - optind < min_args || (want_to && !o->to) ||
	    (want_to && argc - optind != 1)) {
		cli_fail(2, argv[0], "%s", want_to ?
			 "needs one STATE and --to CAPTURE" :
			 "needs at least one CAPTURE");
		fprintf(stderr, "usage: %s %.*s\n", kvmreg_program,
			(int)(nl - usage), usage);
		return 2;
	}
	return -1;
}

static void reg_name(enum kvmreg_arch arch, uint64_t id, char *buf,
		     size_t len)
{
	cli_reg_name(arch, id, KVMREG_NAME_SHORT, buf, len);
}

int cmd_baseline(int argc, char **argv)
{
	static const char usage[] =
		"baseline [-o FILE] [--json] CAPTURE...\n"
		"  The register list and feature values every host of the captures\n"
		"  accepts ('kvmreg capture' on each): the registers all of them\n"
		"  have, and per feature register the most all of them allow, by\n"
		"  the architecture's rule per field (docs/migration.md). Prints what\n"
		"  each host gives up, named and counted in bits; -o writes the\n"
		"  baseline as a capture, for compat and adapt.\n"
		"  Exit: 0 a baseline exists, 3 none does (a feature no value of\n"
		"  which every host accepts), 1 a file could not be read.";
	struct kvmreg_state **caps;
	struct kvmreg_state *base = NULL;
	struct kvmreg_baseline *r = NULL;
	struct migrate_opts o;
	int status = parse(argc, argv, usage, 0, 1, &o), n;

	if (status >= 0)
		return status;
	n = argc - optind;
	caps = calloc((size_t)n, sizeof(*caps));
	if (!caps)
		return cli_fail(1, "baseline", "out of memory");
	status = 0;
	for (int i = 0; !status && i < n; i++)
		if (kvmreg_state_load_file(argv[optind + i], &caps[i]))
			status = cli_fail(1, "baseline", "%s", kvmreg_error());
	if (!status && kvmreg_baseline((const struct kvmreg_state *const *)caps,
				       (size_t)n, &base, &r)) {
		printf("no baseline: %s\n", kvmreg_error());
		status = EXIT_NO;
	}
	if (!status) {
		for (int i = 0; i < n; i++)
			printf("host %d: %s: %s capture, Linux %s, %zu registers, %zu allowed values\n",
			       i + 1, argv[optind + i],
			       kvmreg_arch_name(kvmreg_state_arch(caps[i])),
			       kvmreg_state_kernel(caps[i]),
			       kvmreg_state_count(caps[i]),
			       kvmreg_state_allowed_count(caps[i]));
		for (size_t i = 0; i < r->lost_count; i++)
			printf("  lost: %s\n", r->lost[i]);
		printf("baseline of %zu hosts: %zu registers, %zu feature registers; %zu registers not on every host, %zu feature bits lost\n",
		       r->hosts, kvmreg_state_count(base),
		       kvmreg_state_allowed_count(base), r->dropped,
		       r->bits_lost);
		if (o.output)
			status = cli_store("baseline", base, o.output, o.json);
	}
	kvmreg_baseline_free(r);
	kvmreg_state_free(base);
	for (int i = 0; i < n; i++)
		kvmreg_state_free(caps[i]);
	free(caps);
	return status;
}

int cmd_adapt(int argc, char **argv)
{
	static const char usage[] =
		"adapt [-o FILE] [--json] STATE --to CAPTURE\n"
		"  Make STATE fit the host CAPTURE was taken on, by the documented\n"
		"  per-arch rules only (docs/migration.md): a register the host\n"
		"  lacks is dropped when the guest cannot tell. Every change is\n"
		"  listed; a register no rule lets fit is listed with the reason and\n"
		"  nothing is written. Feature values are never changed: the guest\n"
		"  read them at boot. -o writes the adapted state.\n"
		"  Exit: 0 adapted (or nothing to do), 3 it cannot be made to fit,\n"
		"  1 a file could not be read.";
	struct kvmreg_state *state = NULL, *cap = NULL, *out = NULL;
	struct kvmreg_adapt *a = NULL;
	struct migrate_opts o;
	enum kvmreg_arch arch;
	int status = parse(argc, argv, usage, 1, 1, &o), err;

	if (status >= 0)
		return status;
	if (kvmreg_state_load_file(argv[optind], &state))
		return cli_fail(1, "adapt", "%s", kvmreg_error());
	if (kvmreg_state_load_file(o.to, &cap)) {
		kvmreg_state_free(state);
		return cli_fail(1, "adapt", "%s", kvmreg_error());
	}
	arch = kvmreg_state_arch(state);
	err = kvmreg_adapt(state, cap, &out, &a);
	if (err && !a) {
		status = cli_fail(1, "adapt", "%s", kvmreg_error());
		goto done;
	}
	for (size_t i = 0; i < a->count; i++) {
		const struct kvmreg_adapt_change *c = &a->changes[i];
		char name[160];

		reg_name(arch, c->id, name, sizeof(name));
		printf("  %-8s 0x%016" PRIx64 "  %-28s %s\n",
		       kvmreg_adapt_action_name(c->action), c->id, name,
		       c->reason);
	}
	if (err) {
		printf("refused: %zu register%s cannot be made to fit; nothing written\n",
		       a->refused, a->refused == 1 ? "" : "s");
		status = EXIT_NO;
		goto done;
	}
	printf("adapted: %zu change%s, %zu registers\n", a->count,
	       a->count == 1 ? "" : "s", kvmreg_state_count(out));
	if (o.output)
		status = cli_store("adapt", out, o.output, o.json);
done:
	kvmreg_adapt_free(a);
	kvmreg_state_free(out);
	kvmreg_state_free(state);
	kvmreg_state_free(cap);
	return status;
}
