// SPDX-License-Identifier: MIT
/*
 * The options every kvmreg command shares, parsed in one place: which a
 * command takes, its operand count, --help and the usage line. Builds on
 * cli.c (errors, --arch); the commands build on this.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "options.h"

enum { OPT_HELP = 'h', OPT_ARCH = 'a', OPT_MACRO = 'm', OPT_JSON = 'j',
       OPT_FALLBACK = 0x100, OPT_NO_VALUES, OPT_SVE, OPT_PMU, OPT_FEATURES,
       OPT_IGNORE_VOLATILE, OPT_STRICT, OPT_GROUP };

static const struct option long_opts[] = {
	{ "help", no_argument, NULL, OPT_HELP },
	{ "arch", required_argument, NULL, OPT_ARCH },
	{ "macro", no_argument, NULL, OPT_MACRO },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "fallback", no_argument, NULL, OPT_FALLBACK },
	{ "no-values", no_argument, NULL, OPT_NO_VALUES },
	{ "sve", no_argument, NULL, OPT_SVE },
	{ "pmu", no_argument, NULL, OPT_PMU },
	{ "features", required_argument, NULL, OPT_FEATURES },
	{ "ignore-volatile", no_argument, NULL, OPT_IGNORE_VOLATILE },
	{ "strict", no_argument, NULL, OPT_STRICT },
	{ "group", required_argument, NULL, OPT_GROUP },
	{ NULL, 0, NULL, 0 },
};

/* Whether the long option name is one of the space-separated allowed. */
static int allowed_option(const char *allowed, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = allowed; (p = strstr(p, name)); p += n)
		if ((p == allowed || p[-1] == ' ') && (p[n] == ' ' || !p[n]))
			return 1;
	return 0;
}

/* The usage line, and where the rest is: the error itself came first. */
static int usage_error(const char *usage)
{
	const char *nl = strchr(usage, '\n');

	fprintf(stderr, "usage: %s %.*s\n", kvmreg_program,
		nl ? (int)(nl - usage) : (int)strlen(usage), usage);
	return CLI_USAGE;
}

int cli_parse_opts(int argc, char **argv, const char *allowed,
		   const char *usage, int min_args, int max_args,
		   struct cli_opts *o)
{
	const char *cmd = argv[0];
	int c, n;

	memset(o, 0, sizeof(*o));
	o->arch = kvmreg_arch_host();
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "ha:mj", long_opts, NULL)) != -1) {
		const char *name = NULL;

		for (const struct option *opt = long_opts; opt->name; opt++)
			if (opt->val == c)
				name = opt->name;
		if (c == '?' || c == ':' || !name ||
		    (c != OPT_HELP && !allowed_option(allowed, name))) {
			cli_fail(CLI_USAGE, cmd, "unknown or incomplete option '%s'",
				 argv[optind - 1]);
			return usage_error(usage);
		}
		switch (c) {
		case OPT_HELP:
			printf("usage: %s %s\n", kvmreg_program, usage);
			return CLI_OK;
		case OPT_ARCH:
			o->arch = cli_arch(cmd, optarg);
			if (o->arch == KVMREG_ARCH_NONE)
				return CLI_USAGE;
			o->arch_given = 1;
			break;
		case OPT_MACRO:
			o->style = KVMREG_NAME_MACRO;
			break;
		case OPT_JSON:
			o->json = 1;
			break;
		case OPT_FALLBACK:
			o->fallback = 1;
			break;
		case OPT_NO_VALUES:
			o->no_values = 1;
			break;
		case OPT_SVE:
			o->scratch_flags |= KVMREG_SCRATCH_SVE;
			break;
		case OPT_PMU:
			o->scratch_flags |= KVMREG_SCRATCH_PMU;
			break;
		case OPT_FEATURES:
			o->features = optarg;
			break;
		case OPT_IGNORE_VOLATILE:
			o->ignore_volatile = 1;
			break;
		case OPT_STRICT:
			o->strict = 1;
			break;
		case OPT_GROUP:
			o->groups = optarg;
			break;
		}
	}
	n = argc - optind;
	if (n < min_args) {
		cli_fail(CLI_USAGE, cmd, "missing argument");
		return usage_error(usage);
	}
	if (max_args >= 0 && n > max_args) {
		cli_fail(CLI_USAGE, cmd, "unexpected argument '%s'", argv[optind + max_args]);
		return usage_error(usage);
	}
	return -1;
}
