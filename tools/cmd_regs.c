// SPDX-License-Identifier: MIT
/*
 * The register commands besides list: decode and encode (names, no KVM),
 * get and set (a scratch vCPU), table (the fallback table) and order (the
 * restore order). Every operand is checked before KVM is touched, so a
 * usage error (exit 2) has done nothing.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"

int cmd_decode(int argc, char **argv)
{
	static const char usage[] =
		"decode [--arch ARCH] [--macro] [--json] ID...\n"
		"  Name register ids (hex or decimal). Without --arch the id's own\n"
		"  architecture field decides. An id that cannot be named is an\n"
		"  error (exit 2); the others are still printed.";
	struct cli_opts o;
	int status = cli_parse_opts(argc, argv, "arch macro json", usage, 1, -1,
				    &o);
	int printed = 0;

	if (status >= 0)
		return status;
	status = CLI_OK;
	if (o.json)
		printf("[");
	for (int i = optind; i < argc; i++) {
		enum kvmreg_arch arch = o.arch_given ? o.arch : KVMREG_ARCH_NONE;
		char name[160];
		uint64_t id;

		if (kvmreg_id_parse(arch, argv[i], &id) ||
		    kvmreg_id_name(arch, id, o.style, name, sizeof(name)) < 0) {
			status = cli_fail(CLI_USAGE, "decode", "%s", kvmreg_error());
			continue;
		}
		if (arch == KVMREG_ARCH_NONE)
			arch = kvmreg_arch_of_id(id);
		if (o.json) {
			printf("%s\n  {\"id\": \"0x%016" PRIx64 "\", \"arch\": \"%s\", \"name\": ",
			       printed++ ? "," : "", id, kvmreg_arch_name(arch));
			cli_json_string(name);
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
	status = CLI_OK;
	for (int i = optind; i < argc; i++) {
		uint64_t id;

		if (kvmreg_id_parse(o.arch_given ? o.arch : KVMREG_ARCH_NONE,
				    argv[i], &id)) {
			status = cli_fail(CLI_USAGE, "encode", "%s", kvmreg_error());
			continue;
		}
		printf("0x%016" PRIx64 "\n", id);
	}
	return status;
}

/* The id of every operand (NAME, or NAME=VALUE when values is given, the
 * value parsed into values[i]), checked before KVM is touched. */
static int parse_operands(const char *cmd, enum kvmreg_arch arch, int n,
			  char **args, uint64_t *ids, uint8_t (*values)[256])
{
	for (int i = 0; i < n; i++) {
		char *eq = values ? strchr(args[i], '=') : NULL;
		int err;

		if (values && !eq)
			return cli_fail(CLI_USAGE, cmd,
					"'%s' is not NAME=VALUE", args[i]);
		if (eq)
			*eq = '\0';
		err = kvmreg_id_parse(arch, args[i], &ids[i]);
		if (!err && eq)
			err = kvmreg_value_parse(eq + 1, values[i],
						 kvmreg_id_size(ids[i]));
		if (eq)
			*eq = '=';
		if (err)
			return cli_fail(CLI_USAGE, cmd, "%s", kvmreg_error());
	}
	return CLI_OK;
}

/* get and set work on a scratch vCPU: to see a register's reset value, or
 * whether KVM takes a value, without writing a VMM. */
int cmd_get(int argc, char **argv)
{
	static const char usage[] =
		"get NAME...\n"
		"  Read registers of a fresh scratch vCPU on this host: one\n"
		"  'NAME = VALUE' line each (structured registers add their fields).";
	struct kvmreg_scratch scratch;
	struct cli_opts o;
	uint64_t *ids;
	int status = cli_parse_opts(argc, argv, "", usage, 1, -1, &o);

	if (status >= 0)
		return status;
	ids = calloc((size_t)(argc - optind), sizeof(*ids));
	if (!ids)
		return cli_fail(CLI_RUNTIME, "get", "out of memory");
	status = parse_operands("get", o.arch, argc - optind, argv + optind, ids,
				NULL);
	if (status || (status = cli_scratch("get", 0, &scratch))) {
		free(ids);
		return status;
	}
	for (int i = 0; i < argc - optind; i++) {
		char text[CLI_VALUE_TEXT], fields[CLI_VALUE_TEXT];
		uint8_t value[256];

		if (kvmreg_get(scratch.vcpu, ids[i], value)) {
			status = cli_fail(CLI_RUNTIME, "get", "%s", kvmreg_error());
			continue;
		}
		kvmreg_value_format(value, kvmreg_id_size(ids[i]), text,
				    sizeof(text));
		cli_value_text(o.arch, ids[i], value, fields, sizeof(fields));
		printf("%s = %s%s%s%s\n", argv[optind + i], text,
		       strcmp(text, fields) ? "  (" : "",
		       strcmp(text, fields) ? fields : "",
		       strcmp(text, fields) ? ")" : "");
	}
	free(ids);
	kvmreg_scratch_destroy(&scratch);
	return status;
}

int cmd_set(int argc, char **argv)
{
	static const char usage[] =
		"set NAME=VALUE...\n"
		"  Write registers of a fresh scratch vCPU, in order, and print for\n"
		"  each 'NAME = VALUE (was OLD)' as it reads back; KVM may keep\n"
		"  another value than the one written, and the line says so. Shows\n"
		"  whether KVM takes a value: the scratch VM is then discarded.";
	struct kvmreg_scratch scratch;
	uint8_t (*values)[256];
	struct cli_opts o;
	uint64_t *ids;
	int n, status = cli_parse_opts(argc, argv, "", usage, 1, -1, &o);

	if (status >= 0)
		return status;
	n = argc - optind;
	ids = calloc((size_t)n, sizeof(*ids));
	values = calloc((size_t)n, sizeof(*values));
	if (!ids || !values) {
		free(ids);
		free(values);
		return cli_fail(CLI_RUNTIME, "set", "out of memory");
	}
	/* Parse everything before touching KVM: bad input changes nothing. */
	status = parse_operands("set", o.arch, n, argv + optind, ids, values);
	if (status || (status = cli_scratch("set", 0, &scratch))) {
		free(ids);
		free(values);
		return status;
	}
	for (int i = 0; i < n; i++) {
		char old_text[CLI_VALUE_TEXT], back_text[CLI_VALUE_TEXT];
		size_t size = kvmreg_id_size(ids[i]);
		uint8_t old[256], back[256];
		const char *arg = argv[optind + i];

		if (kvmreg_get(scratch.vcpu, ids[i], old) ||
		    kvmreg_set(scratch.vcpu, ids[i], values[i]) ||
		    kvmreg_get(scratch.vcpu, ids[i], back)) {
			status = cli_fail(CLI_RUNTIME, "set", "%s", kvmreg_error());
			break;
		}
		kvmreg_value_format(old, size, old_text, sizeof(old_text));
		kvmreg_value_format(back, size, back_text, sizeof(back_text));
		printf("%.*s = %s (was %s)%s\n", (int)strcspn(arg, "="), arg,
		       back_text, old_text,
		       memcmp(back, values[i], size) ?
		       "  -- KVM keeps another value than the one written" : "");
	}
	free(ids);
	free(values);
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
	int err, status = cli_parse_opts(argc, argv, "arch features macro json",
					 usage, 0, 0, &o);

	if (status >= 0)
		return status;
	err = kvmreg_fallback_table(o.arch, o.features, &list);
	/* EINVAL, ENOTSUP: a feature or an arch the table does not have. */
	if (err)
		return cli_fail(err == -EINVAL || err == -ENOTSUP ? CLI_USAGE :
				CLI_RUNTIME, "table", "%s", kvmreg_error());
	cli_print_list(&o, list, NULL, NULL);
	kvmreg_list_free(list);
	return CLI_OK;
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
		return CLI_RUNTIME;
	status = CLI_RUNTIME;
	if (kvmreg_save(scratch.vcpu, &state)) {
		cli_fail(CLI_RUNTIME, "order", "%s", kvmreg_error());
		goto out;
	}
	ids = calloc(kvmreg_state_count(state) + 1, sizeof(*ids));
	if (!ids || kvmreg_restore_order(state, ids)) {
		cli_fail(CLI_RUNTIME, "order", "%s",
			 ids ? kvmreg_error() : "out of memory");
		goto out;
	}
	for (size_t i = 0; i < kvmreg_state_count(state); i++) {
		char name[160];

		cli_reg_name(o.arch, ids[i], o.style, name, sizeof(name));
		printf("%5zu  rank %3d  %-32s %s\n", i,
		       kvmreg_id_restore_rank(o.arch, ids[i]), name,
		       kvmreg_id_restore_reason(o.arch, ids[i]));
	}
	status = CLI_OK;
out:
	free(ids);
	kvmreg_state_free(state);
	kvmreg_scratch_destroy(&scratch);
	return status;
}
