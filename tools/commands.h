/* SPDX-License-Identifier: MIT */
/* The kvmreg subcommands: argv[0] is the subcommand's name. Each returns
 * 0 on success, 1 on a runtime error, 2 on bad usage. */
#ifndef KVMREG_TOOLS_COMMANDS_H
#define KVMREG_TOOLS_COMMANDS_H

#include "kvmreg.h"

/* tools/kvmreg.c */
int cmd_list(int argc, char **argv);
int cmd_decode(int argc, char **argv);
int cmd_encode(int argc, char **argv);
int cmd_get(int argc, char **argv);
int cmd_set(int argc, char **argv);
int cmd_table(int argc, char **argv);
int cmd_order(int argc, char **argv);

/* tools/cmd_state.c */
int cmd_save(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_capture(int argc, char **argv);
int cmd_compat(int argc, char **argv);
int cmd_convert(int argc, char **argv);
/* Write s to path as a snapshot, or JSON; 0, or 1 after the message. */
int cli_store(const char *cmd, const struct kvmreg_state *s, const char *path,
	      int json);

/* tools/cmd_migrate.c */
int cmd_baseline(int argc, char **argv);
int cmd_adapt(int argc, char **argv);

/* Shared by the commands (tools/kvmreg.c). */
extern const char *kvmreg_program;
/* Print "kvmreg <cmd>: <message>" on stderr; returns status. */
int cli_fail(int status, const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Open a scratch vCPU on this host, or print why not; 0 or 1. */
int cli_scratch(const char *cmd, unsigned int flags,
		struct kvmreg_scratch *scratch);
/* Parse an --arch value; prints the error; KVMREG_ARCH_NONE on failure. */
enum kvmreg_arch cli_arch(const char *cmd, const char *name);

/* tools/options.c: the options the commands share. */
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
};
/*
 * Parse the options named in allowed (long names, space separated) and
 * check that min_args..max_args operands follow (max_args -1: any number).
 * Returns -1 to go on, else an exit status (0 after --help).
 */
int cli_parse_opts(int argc, char **argv, const char *allowed,
		   const char *usage, int min_args, int max_args,
		   struct cli_opts *o);
/* The short or macro name of id, or its hex form if it has none. */
void cli_reg_name(enum kvmreg_arch arch, uint64_t id,
		  enum kvmreg_name_style style, char *buf, size_t len);

#endif /* KVMREG_TOOLS_COMMANDS_H */
