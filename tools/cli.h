/* SPDX-License-Identifier: MIT */
/*
 * What every kvmreg command shares (tools/cli.c): the exit statuses, the
 * one-line error, the scratch vCPU, register names and values as text, and
 * JSON strings. The option parser (tools/options.c) builds on this; nothing
 * here depends on it.
 */
#ifndef KVMREG_TOOLS_CLI_H
#define KVMREG_TOOLS_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "kvmreg.h"

/* The one exit-status rule of every command (kvmreg(1), EXIT STATUS). */
enum cli_exit {
	CLI_OK = 0,		/* done; diff: the same; compat: restorable */
	CLI_RUNTIME = 1,	/* KVM, a file or the kernel refused */
	CLI_USAGE = 2,		/* the command line is wrong: nothing was done */
	CLI_NO = 3,		/* diff: they differ; compat: incompatible */
};

extern const char *kvmreg_program;

/* Print "kvmreg <cmd>: <message>" on stderr; returns status. */
int cli_fail(int status, const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Open a scratch vCPU on this host, or print why not; CLI_OK or
 * CLI_RUNTIME. */
int cli_scratch(const char *cmd, unsigned int flags,
		struct kvmreg_scratch *scratch);
/* Parse an --arch value; prints the error; KVMREG_ARCH_NONE on failure. */
enum kvmreg_arch cli_arch(const char *cmd, const char *name);
/* The short or macro name of id, or its hex form if it has none. */
void cli_reg_name(enum kvmreg_arch arch, uint64_t id,
		  enum kvmreg_name_style style, char *buf, size_t len);
/* Room for the text of any value: "0x" and two digits per byte. */
#define CLI_VALUE_TEXT (2 + 2 * 256 + 1)
/* A register's value for people: the fields of a structured register (x86
 * segment, descriptor table, CPUID entry), else kvmreg_value_format(). */
void cli_value_text(enum kvmreg_arch arch, uint64_t id, const void *value,
		    char *buf, size_t len);
/* s as a JSON string, quotes included, on stdout. */
void cli_json_string(const char *s);

#endif /* KVMREG_TOOLS_CLI_H */
