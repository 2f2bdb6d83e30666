// SPDX-License-Identifier: MIT
/*
 * kvmreg: the command line over libkvmreg. This file owns the command
 * table and main(): dispatch, --help, --version and an unknown command.
 * The commands live in cmd_*.c, what they share in cli.c and options.c.
 * Exit status (tools/cli.h): 0 success, 1 runtime error, 2 bad usage,
 * 3 a negative answer (diff: differ, compat: incompatible).
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "list", cmd_list, "every register of a scratch vCPU, grouped, with values" },
	{ "decode", cmd_decode, "name register ids" },
	{ "encode", cmd_encode, "register names to ids" },
	{ "get", cmd_get, "read registers of a scratch vCPU" },
	{ "set", cmd_set, "write registers of a scratch vCPU and read back" },
	{ "table", cmd_table, "the fallback table of an architecture" },
	{ "order", cmd_order, "the restore order, with reasons" },
	{ "save", cmd_save, "save a scratch vCPU's state to a file" },
	{ "show", cmd_show, "print a state or capture file" },
	{ "diff", cmd_diff, "compare two state files register by register" },
	{ "capture", cmd_capture, "this host's register list and sizes, to a file" },
	{ "compat", cmd_compat, "can STATE be restored on the host of CAPTURE?" },
	{ "convert", cmd_convert, "a snapshot to JSON or back, exactly" },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *out)
{
	fprintf(out, "usage: %s COMMAND [OPTIONS] [ARGS]\n\ncommands:\n",
		kvmreg_program);
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\n'%s COMMAND --help' describes one command; exit status: 0 success,\n"
		"1 runtime error, 2 bad usage, 3 diff: they differ, compat: incompatible.\n",
		kvmreg_program);
}

/* Edit distance of two short words, for "did you mean". */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[32];

	if (la >= 32 || lb >= 32)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	return row[lb];
}

/* One line: what is wrong and what to do. */
static int unknown_command(const char *name)
{
	const char *nearest = NULL;
	size_t best = 3;	/* more edits than 2 is another word */

	for (size_t i = 0; i < NCOMMANDS; i++) {
		size_t d = distance(name, commands[i].name);

		if (d < best) {
			best = d;
			nearest = commands[i].name;
		}
	}
	if (nearest)
		fprintf(stderr, "%s: unknown command '%s': did you mean '%s'? ('%s --help' lists the commands)\n",
			kvmreg_program, name, nearest, kvmreg_program);
	else
		fprintf(stderr, "%s: unknown command '%s' ('%s --help' lists the commands)\n",
			kvmreg_program, name, kvmreg_program);
	return CLI_USAGE;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return CLI_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return CLI_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("kvmreg %d.%d\n", KVMREG_VERSION_MAJOR, KVMREG_VERSION_MINOR);
		return CLI_OK;
	}
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	return unknown_command(argv[1]);
}
