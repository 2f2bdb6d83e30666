// SPDX-License-Identifier: MIT
/*
 * The LoongArch get-reg-list selftest's blessed lists against libkvmreg.
 * Linked with the selftest's own loongarch/get-reg-list.c (from the patched
 * tree, compiled with the stand-in kvm_util.h beside this file), so the
 * lists are the ones the kernel series tests, not a copy. For each
 * configuration:
 *   kernel.blessed.<config>        its sublists, concatenated, equal
 *                                  kvmreg_fallback_table() for the same
 *                                  guest features: same ids, same order;
 *   kernel.blessed-names.<config>  the selftest's print_reg() and
 *                                  libkvmreg's macro-style names agree.
 * A configuration's features come from its sublist names: base, lbt,
 * pmuN (N counters), msgint.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvm_util.h"
#include "kvmreg.h"

extern struct vcpu_reg_list *vcpu_configs[];
extern int vcpu_configs_n;
void print_reg(const char *prefix, __u64 id);

static int failures;

/* Features and name of a configuration; 0, or -1 for an unknown sublist. */
static int describe(struct vcpu_reg_list *c, char *features, size_t flen,
		    char *name, size_t nlen)
{
	struct vcpu_reg_sublist *s;
	size_t fpos = 0, npos = 0;
	unsigned int counters;
	char extra;

	features[0] = name[0] = '\0';
	for_each_sublist(c, s) {
		const char *feature = NULL;
		char buf[32];

		if (!strcmp(s->name, "base"))
			continue;
		if (!strcmp(s->name, "lbt") || !strcmp(s->name, "msgint")) {
			feature = s->name;
		} else if (sscanf(s->name, "pmu%u%c", &counters, &extra) == 1) {
			snprintf(buf, sizeof(buf), "pmu=%u", counters);
			feature = buf;
		} else {
			printf("FAIL kernel.blessed: sublist '%s' names no feature libkvmreg knows\n",
			       s->name);
			return -1;
		}
		fpos += snprintf(features + fpos, flen - fpos, "%s%s",
				 fpos ? "," : "", feature);
		npos += snprintf(name + npos, nlen - npos, "%s%s",
				 npos ? "+" : "", s->name);
	}
	if (c->name)
		snprintf(name, nlen, "%s", c->name);
	else if (!name[0])
		snprintf(name, nlen, "base");
	return 0;
}

static const char *kvmreg_macro(uint64_t id, char *buf, size_t len)
{
	if (kvmreg_id_name(KVMREG_ARCH_LOONGARCH64, id, KVMREG_NAME_MACRO,
			   buf, len) < 0)
		snprintf(buf, len, "<%s>", kvmreg_error());
	return buf;
}

/* What the selftest's print_reg() prints for id, without "\t" and ",\n". */
static const char *selftest_name(uint64_t id, char *buf, size_t len)
{
	FILE *saved = stdout, *mem;
	char *text = NULL;
	size_t n = 0;

	fflush(stdout);
	mem = open_memstream(&text, &n);
	if (!mem)
		abort();
	stdout = mem;
	print_reg("blessed", id);
	fclose(mem);
	stdout = saved;
	snprintf(buf, len, "%s", text + (text[0] == '\t'));
	free(text);
	n = strlen(buf);
	if (n >= 2 && !strcmp(buf + n - 2, ",\n"))
		buf[n - 2] = '\0';
	return buf;
}

static void compare(struct vcpu_reg_list *c)
{
	char features[128], name[128], a[160], b[160];
	struct vcpu_reg_sublist *s;
	struct kvmreg_list *table;
	size_t n = 0, bad_names = 0;
	int err;

	if (describe(c, features, sizeof(features), name, sizeof(name))) {
		failures++;
		return;
	}
	err = kvmreg_fallback_table(KVMREG_ARCH_LOONGARCH64, features, &table);
	if (err) {
		printf("FAIL kernel.blessed.%s: libkvmreg has no table for \"%s\": %s\n",
		       name, features, kvmreg_error());
		failures++;
		return;
	}
	for_each_sublist(c, s) {
		for (__u64 i = 0; i < s->regs_n; i++, n++) {
			__u64 id = s->regs[i];

			if (n >= table->count) {
				printf("FAIL kernel.blessed.%s: blessed list goes on past libkvmreg's %zu registers with %s\n",
				       name, table->count, kvmreg_macro(id, a, sizeof(a)));
				goto out_fail;
			}
			if (table->regs[n].id != id) {
				printf("FAIL kernel.blessed.%s: register %zu is %s in the blessed list, %s in libkvmreg's table (features \"%s\")\n",
				       name, n, kvmreg_macro(id, a, sizeof(a)),
				       kvmreg_macro(table->regs[n].id, b, sizeof(b)),
				       features);
				goto out_fail;
			}
			if (strcmp(selftest_name(id, a, sizeof(a)),
				   kvmreg_macro(id, b, sizeof(b)))) {
				if (!bad_names++)
					printf("    %s: selftest prints %s, libkvmreg %s\n",
					       name, a, b);
			}
		}
	}
	if (n != table->count) {
		printf("FAIL kernel.blessed.%s: blessed list has %zu registers, libkvmreg's table %zu (next: %s)\n",
		       name, n, table->count,
		       kvmreg_macro(table->regs[n].id, a, sizeof(a)));
		goto out_fail;
	}
	printf("PASS kernel.blessed.%s\n", name);
	if (bad_names) {
		printf("FAIL kernel.blessed-names.%s: %zu names differ\n", name,
		       bad_names);
		failures++;
	} else {
		printf("PASS kernel.blessed-names.%s\n", name);
	}
	kvmreg_list_free(table);
	return;
out_fail:
	failures++;
	kvmreg_list_free(table);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (vcpu_configs_n < 1) {
		printf("FAIL kernel.blessed: the selftest has no configurations\n");
		return 1;
	}
	for (int i = 0; i < vcpu_configs_n; i++)
		compare(vcpu_configs[i]);
	return failures ? 1 : 0;
}
