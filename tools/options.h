/* SPDX-License-Identifier: MIT */
/* The options the kvmreg commands share, parsed in one place
 * (tools/options.c). */
#ifndef KVMREG_TOOLS_OPTIONS_H
#define KVMREG_TOOLS_OPTIONS_H

#include "kvmreg.h"

struct cli_opts {
	enum kvmreg_arch arch;		/* --arch, else this host's */
	int arch_given;
	enum kvmreg_name_style style;	/* --macro */
	int json;
	int fallback;
	int no_values;
	int ignore_volatile;
	int strict;
	unsigned int scratch_flags;	/* --sve, --pmu */
	const char *features;
	const char *groups;		/* --group, comma list; NULL: all */
};

/*
 * Parse the options named in allowed (long names, space separated) and
 * check that min_args..max_args operands follow (max_args -1: any number).
 * Returns -1 to go on, else an exit status (CLI_OK after --help,
 * CLI_USAGE after an error it printed).
 */
int cli_parse_opts(int argc, char **argv, const char *allowed,
		   const char *usage, int min_args, int max_args,
		   struct cli_opts *o);

#endif /* KVMREG_TOOLS_OPTIONS_H */
