// SPDX-License-Identifier: MIT
/*
 * What every kvmreg command shares: one-line errors, the scratch vCPU,
 * --arch, register names, values as people read them, JSON strings. The
 * option parser (options.c) and the commands build on this file; it
 * depends on nothing of theirs.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

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
		return cli_fail(CLI_RUNTIME, cmd, "%s", kvmreg_error());
	return CLI_OK;
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

void cli_reg_name(enum kvmreg_arch arch, uint64_t id,
		  enum kvmreg_name_style style, char *buf, size_t len)
{
	if (kvmreg_id_name(arch, id, style, buf, len) < 0)
		snprintf(buf, len, "0x%016" PRIx64, id);
}

/*
 * The x86 registers whose value is a kernel struct (docs/ids.md): a field
 * list of (name, byte offset, size) per group, read little-endian. Shown
 * as fields to people; JSON and files keep the raw bytes.
 */
struct cli_field {
	const char *name;
	unsigned char offset, size;
};

/* struct kvm_segment */
static const struct cli_field segment_fields[] = {
	{ "selector", 12, 2 }, { "base", 0, 8 }, { "limit", 8, 4 },
	{ "type", 14, 1 }, { "present", 15, 1 }, { "dpl", 16, 1 },
	{ "db", 17, 1 }, { "s", 18, 1 }, { "l", 19, 1 }, { "g", 20, 1 },
	{ "avl", 21, 1 }, { "unusable", 22, 1 }, { NULL, 0, 0 },
};
/* struct kvm_dtable */
static const struct cli_field dtable_fields[] = {
	{ "base", 0, 8 }, { "limit", 8, 2 }, { NULL, 0, 0 },
};
/* struct kvm_cpuid_entry2 from eax on */
static const struct cli_field cpuid_fields[] = {
	{ "eax", 0, 4 }, { "ebx", 4, 4 }, { "ecx", 8, 4 }, { "edx", 12, 4 },
	{ "flags", 16, 4 }, { NULL, 0, 0 },
};

static const struct {
	enum kvmreg_arch arch;
	const char *group;
	const struct cli_field *fields;
} structured[] = {
	{ KVMREG_ARCH_X86_64, "segment", segment_fields },
	{ KVMREG_ARCH_X86_64, "dtable", dtable_fields },
	{ KVMREG_ARCH_X86_64, "cpuid", cpuid_fields },
};

static const struct cli_field *fields_of(enum kvmreg_arch arch, uint64_t id)
{
	const char *group;

	if (arch == KVMREG_ARCH_NONE)
		arch = kvmreg_arch_of_id(id);
	group = kvmreg_id_group(arch, id);
	for (size_t i = 0; group && i < sizeof(structured) / sizeof(structured[0]); i++)
		if (structured[i].arch == arch &&
		    !strcmp(structured[i].group, group))
			return structured[i].fields;
	return NULL;
}

void cli_value_text(enum kvmreg_arch arch, uint64_t id, const void *value,
		    char *buf, size_t len)
{
	const struct cli_field *f = fields_of(arch, id);
	const uint8_t *bytes = value;
	size_t used = 0;

	if (!f) {
		kvmreg_value_format(value, kvmreg_id_size(id), buf, len);
		return;
	}
	buf[0] = '\0';
	for (; f->name && used < len; f++) {
		uint64_t v = 0;

		for (int b = f->size - 1; b >= 0; b--)
			v = v << 8 | bytes[f->offset + b];
		/* Flags read best as numbers, addresses and selectors in hex. */
		if (f->size == 1)
			used += (size_t)snprintf(buf + used, len - used,
						 "%s%s=%" PRIu64,
						 used ? " " : "", f->name, v);
		else
			used += (size_t)snprintf(buf + used, len - used,
						 "%s%s=0x%0*" PRIx64,
						 used ? " " : "", f->name,
						 2 * f->size, v);
	}
}

void cli_json_string(const char *s)
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
