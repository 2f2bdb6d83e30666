/* SPDX-License-Identifier: MIT */
/* The kvmreg subcommands: argv[0] is the subcommand's name. Each returns an
 * exit status of enum cli_exit (tools/cli.h). */
#ifndef KVMREG_TOOLS_COMMANDS_H
#define KVMREG_TOOLS_COMMANDS_H

#include "cli.h"
#include "options.h"

/* tools/cmd_list.c */
int cmd_list(int argc, char **argv);
/* tools/cmd_regs.c */
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

/* tools/cmd_list.c: a register list as a table (or JSON), in its own order
 * (the fallback table's is restore order); values and errs (count of list)
 * may be NULL. */
void cli_print_list(const struct cli_opts *o, const struct kvmreg_list *list,
		    const struct kvmreg_state *values, const int *errs);

#endif /* KVMREG_TOOLS_COMMANDS_H */
