// SPDX-License-Identifier: MIT
/*
 * kvmreg: the command line over libkvmreg. One function per subcommand;
 * exit 0 on success, 1 on a runtime error, 2 on bad usage; errors go to
 * stderr as one line that names the command.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "kvmreg.h"

const char *kvmreg_program = "kvmreg";

int cli_fail(int status, const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s %s: ", kvmreg_program, cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return status;
}

int cli_scratch(const char *cmd, unsigned int flags,
		struct kvmreg_scratch *scratch)
{
	if (kvmreg_scratch_create(flags, scratch))
		return cli_fail(1, cmd, "%s", kvmreg_error());
	return 0;
}

enum kvmreg_arch cli_arch(const char *cmd, const char *name)
{
	enum kvmreg_arch arch = kvmreg_arch_from_name(name);

	if (arch == KVMREG_ARCH_NONE) {
		fprintf(stderr, "%s %s: unknown architecture '%s' (one of:",
			kvmreg_program, cmd, name);
		for (int a = 1; a < KVMREG_ARCH_COUNT; a++)
			fprintf(stderr, " %s", kvmreg_arch_name(a));
		fprintf(stderr, ")\n");
	}
	return arch;
}

static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

/* One register line (or JSON object); value may be NULL. */
static void print_reg(const struct cli_opts *o, const struct kvmreg_reg *r,
		      const void *value, int read_err, int first)
{
	char name[160], text[2 + 2 * 256 + 1] = "";

	cli_reg_name(o->arch, r->id, o->style, name, sizeof(name));
	if (value)
		kvmreg_value_format(value, r->size, text, sizeof(text));
	if (o->json) {
		printf("%s\n  {\"id\": \"0x%016" PRIx64 "\", \"name\": ",
		       first ? "" : ",", r->id);
		json_string(name);
		printf(", \"group\": ");
		json_string(kvmreg_id_group(o->arch, r->id));
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
	printf("0x%016" PRIx64 "  %-32s %4u  %-9s %s%s\n", r->id, name, r->size,
	       kvmreg_source_name(r->source),
	       value ? text : read_err ? strerror(-read_err) : "",
	       r->flags & KVMREG_REG_VOLATILE ? "  (volatile)" : "");
}

static void print_list(const struct cli_opts *o, const struct kvmreg_list *list,
		       const struct kvmreg_state *values, const int *errs)
{
	if (o->json)
		printf("[");
	else
		printf("%-18s  %-32s %4s  %-9s %s\n", "ID", "NAME", "SIZE", "SOURCE",
		       values ? "VALUE" : "");
	for (size_t i = 0; i < list->count; i++) {
		const struct kvmreg_reg *r = &list->regs[i];

		print_reg(o, r, values ? kvmreg_state_get(values, r->id) : NULL,
			  errs ? errs[i] : 0, i == 0);
	}
	if (o->json)
		printf("\n]\n");
}

int cmd_list(int argc, char **argv)
{
	static const char usage[] =
		"list [--json] [--macro] [--fallback] [--no-values] [--sve] [--pmu]\n"
		"  Create a scratch VM and vCPU on this host and print every register:\n"
		"  id, name, size in bytes, where the id came from, value.\n"
		"  --fallback   ignore KVM_GET_REG_LIST: list from the fallback table\n"
		"  --sve, --pmu arm64: give the vCPU SVE (finalized) / PMUv3 first";
	struct kvmreg_scratch scratch;
	struct kvmreg_state *values = NULL;
	struct kvmreg_list *list = NULL;
	struct cli_opts o;
	uint64_t *ids = NULL;
	int *errs = NULL;
	int status;

	status = cli_parse_opts(argc, argv, "macro json fallback no-values sve pmu",
				usage, 0, 0, &o);
	if (status >= 0)
		return status;
	if (cli_scratch("list", o.scratch_flags, &scratch))
		return 1;
	status = 1;
	if (kvmreg_list_get(scratch.vcpu,
			    o.fallback ? KVMREG_LIST_FORCE_FALLBACK : 0, &list)) {
		cli_fail(1, "list", "%s", kvmreg_error());
		goto out;
	}
	if (!o.no_values) {
		values = kvmreg_state_new(o.arch);
		ids = calloc(list->count + 1, sizeof(*ids));
		errs = calloc(list->count + 1, sizeof(*errs));
		if (!values || !ids || !errs) {
			cli_fail(1, "list", "out of memory");
			goto out;
		}
		for (size_t i = 0; i < list->count; i++)
			ids[i] = list->regs[i].id;
		/* A register that cannot be read is shown with its error. */
		kvmreg_read(scratch.vcpu, ids, list->count, values, errs);
	}
	print_list(&o, list, values, errs);
	status = 0;
out:
	free(ids);
	free(errs);
	kvmreg_state_free(values);
	kvmreg_list_free(list);
	kvmreg_scratch_destroy(&scratch);
	return status;
}

int cmd_decode(int argc, char **argv)
{
	static const char usage[] =
		"decode [--arch ARCH] [--macro] [--json] ID...\n"
		"  Name register ids (hex or decimal). Without --arch the id's own\n"
		"  architecture field decides.";
	struct cli_opts o;
	int status = cli_parse_opts(argc, argv, "arch macro json", usage, 1, -1,
				    &o);

	if (status >= 0)
		return status;
	status = 0;
	if (o.json)
		printf("[");
	for (int i = optind; i < argc; i++) {
		enum kvmreg_arch arch = o.arch_given ? o.arch : KVMREG_ARCH_NONE;
		char name[160];
		uint64_t id;

		if (kvmreg_id_parse(arch, argv[i], &id) ||
		    kvmreg_id_name(arch, id, o.style, name, sizeof(name)) < 0) {
			status = cli_fail(1, "decode", "%s", kvmreg_error());
			continue;
		}
		if (arch == KVMREG_ARCH_NONE)
			arch = kvmreg_arch_of_id(id);
		if (o.json) {
			printf("%s\n  {\"id\": \"0x%016" PRIx64 "\", \"arch\": \"%s\", \"name\": ",
			       i == optind ? "" : ",", id, kvmreg_arch_name(arch));
			json_string(name);
			printf(", \"size\": %zu, \"group\": \"%s\", \"volatile\": %s}",
			       kvmreg_id_size(id), kvmreg_id_group(arch, id),
			       kvmreg_id_is_volatile(arch, id) ? "true" : "false");
		} else {
			printf("0x%016" PRIx64 "  %-11s %-32s size %zu  %s%s\n", id,
			       kvmreg_arch_name(arch), name, kvmreg_id_size(id),
			       kvmreg_id_group(arch, id),
			       kvmreg_id_is_volatile(arch, id) ? "  (volatile)" : "");
		}
	}
	if (o.json)
		printf("\n]\n");
	return status;
}

int cmd_encode(int argc, char **argv)
{
	static const char usage[] =
		"encode [--arch ARCH] NAME...\n"
		"  Print the id of each register name, in either name style.\n"
		"  Without --arch, a name only one architecture knows.";
	struct cli_opts o;
	int status = cli_parse_opts(argc, argv, "arch", usage, 1, -1, &o);

	if (status >= 0)
		return status;
	status = 0;
	for (int i = optind; i < argc; i++) {
		uint64_t id;

		if (kvmreg_id_parse(o.arch_given ? o.arch : KVMREG_ARCH_NONE,
				    argv[i], &id)) {
			status = cli_fail(1, "encode", "%s", kvmreg_error());
			continue;
		}
		printf("0x%016" PRIx64 "\n", id);
	}
	return status;
}

/* get and set work on a scratch vCPU: to see a register's reset value, or
 * whether KVM takes a value, without writing a VMM. */
int cmd_get(int argc, char **argv)
{
	static const char usage[] =
		"get NAME...\n"
		"  Read registers of a fresh scratch vCPU on this host.";
	struct kvmreg_scratch scratch;
	struct cli_opts o;
	int status = cli_parse_opts(argc, argv, "", usage, 1, -1, &o);

	if (status >= 0)
		return status;
	if (cli_scratch("get", 0, &scratch))
		return 1;
	status = 0;
	for (int i = optind; i < argc; i++) {
		uint8_t value[256];
		char text[2 + 2 * 256 + 1];
		uint64_t id;

		if (kvmreg_id_parse(o.arch, argv[i], &id) ||
		    kvmreg_get(scratch.vcpu, id, value)) {
			status = cli_fail(1, "get", "%s", kvmreg_error());
			continue;
		}
		kvmreg_value_format(value, kvmreg_id_size(id), text, sizeof(text));
		printf("%s = %s\n", argv[i], text);
	}
	kvmreg_scratch_destroy(&scratch);
	return status;
}

int cmd_set(int argc, char **argv)
{
	static const char usage[] =
		"set NAME=VALUE...\n"
		"  Write registers of a fresh scratch vCPU, in order, and print what\n"
		"  each reads back (the scratch VM is then discarded).";
	struct kvmreg_scratch scratch;
	struct cli_opts o;
	int status = cli_parse_opts(argc, argv, "", usage, 1, -1, &o);

	if (status >= 0)
		return status;
	/* Parse everything before touching KVM: bad input changes nothing. */
	for (int i = optind; i < argc; i++) {
		char *eq = strchr(argv[i], '=');
		uint8_t value[256];
		uint64_t id;

		if (!eq)
			return cli_fail(2, "set", "'%s' is not NAME=VALUE", argv[i]);
		*eq = '\0';
		if (kvmreg_id_parse(o.arch, argv[i], &id) ||
		    kvmreg_value_parse(eq + 1, value, kvmreg_id_size(id))) {
			status = cli_fail(2, "set", "%s", kvmreg_error());
		}
		*eq = '=';
		if (status)
			return status;
	}
	if (cli_scratch("set", 0, &scratch))
		return 1;
	for (int i = optind; i < argc && !status; i++) {
		char *eq = strchr(argv[i], '=');
		uint8_t value[256], back[256];
		char text[2 + 2 * 256 + 1];
		uint64_t id;

		*eq = '\0';
		kvmreg_id_parse(o.arch, argv[i], &id);
		kvmreg_value_parse(eq + 1, value, kvmreg_id_size(id));
		if (kvmreg_set(scratch.vcpu, id, value) ||
		    kvmreg_get(scratch.vcpu, id, back)) {
			status = cli_fail(1, "set", "%s", kvmreg_error());
		} else {
			kvmreg_value_format(back, kvmreg_id_size(id), text,
					    sizeof(text));
			printf("%s = %s\n", argv[i], text);
		}
		*eq = '=';
	}
	kvmreg_scratch_destroy(&scratch);
	return status;
}

int cmd_table(int argc, char **argv)
{
	static const char usage[] =
		"table [--arch ARCH] [--features LIST] [--macro] [--json]\n"
		"  Print the fallback table: the registers libkvmreg lists on a kernel\n"
		"  without KVM_GET_REG_LIST, in restore order. LIST is per arch\n"
		"  (loongarch64: pmu=N,lbt,msgint).";
	struct kvmreg_list *list;
	struct cli_opts o;
	int status = cli_parse_opts(argc, argv, "arch features macro json",
				    usage, 0, 0, &o);

	if (status >= 0)
		return status;
	if (kvmreg_fallback_table(o.arch, o.features, &list))
		return cli_fail(1, "table", "%s", kvmreg_error());
	print_list(&o, list, NULL, NULL);
	kvmreg_list_free(list);
	return 0;
}

int cmd_order(int argc, char **argv)
{
	static const char usage[] =
		"order [--macro]\n"
		"  Save a scratch vCPU and print the order kvmreg_restore() writes\n"
		"  its registers in, with the reason for each step.";
	struct kvmreg_scratch scratch;
	struct kvmreg_state *state = NULL;
	struct cli_opts o;
	uint64_t *ids = NULL;
	int status = cli_parse_opts(argc, argv, "macro", usage, 0, 0, &o);

	if (status >= 0)
		return status;
	if (cli_scratch("order", 0, &scratch))
		return 1;
	status = 1;
	if (kvmreg_save(scratch.vcpu, &state)) {
		cli_fail(1, "order", "%s", kvmreg_error());
		goto out;
	}
	ids = calloc(kvmreg_state_count(state) + 1, sizeof(*ids));
	if (!ids || kvmreg_restore_order(state, ids)) {
		cli_fail(1, "order", "%s", ids ? kvmreg_error() : "out of memory");
		goto out;
	}
	for (size_t i = 0; i < kvmreg_state_count(state); i++) {
		char name[160];

		cli_reg_name(o.arch, ids[i], o.style, name, sizeof(name));
		printf("%5zu  rank %3d  %-32s %s\n", i,
		       kvmreg_id_restore_rank(o.arch, ids[i]), name,
		       kvmreg_id_restore_reason(o.arch, ids[i]));
	}
	status = 0;
out:
	free(ids);
	kvmreg_state_free(state);
	kvmreg_scratch_destroy(&scratch);
	return status;
}

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "list", cmd_list, "every register of a scratch vCPU, with values" },
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
	{ "baseline", cmd_baseline, "what every host of CAPTURE... accepts" },
	{ "adapt", cmd_adapt, "STATE made to fit the host of a capture, or why not" },
};

static void usage(FILE *out)
{
	fprintf(out, "usage: %s COMMAND [OPTIONS] [ARGS]\n\ncommands:\n",
		kvmreg_program);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\n'%s COMMAND --help' describes one command.\n",
		kvmreg_program);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("kvmreg %d.%d\n", KVMREG_VERSION_MAJOR, KVMREG_VERSION_MINOR);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "%s: unknown command '%s'\n", kvmreg_program, argv[1]);
	usage(stderr);
	return 2;
}
