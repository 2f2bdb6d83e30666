// SPDX-License-Identifier: MIT
/*
 * The lists the KUnit suite of kernel/patches printed (KVM_GET_REG_LIST of a
 * vCPU built by hand for each guest feature set, saved one file per feature
 * set by kernel/scripts/check-kunit) against the two other sources of the
 * same list:
 *
 *   kunit.blessed.<features>    the selftest's blessed list for those
 *                               features: same ids, same order;
 *   kunit.libkvmreg.<features>  kvmreg_fallback_table() for those features:
 *                               same ids, same order.
 *
 * Linked with the selftest's own loongarch/get-reg-list.c from the patched
 * tree (through the stand-in kvm_util.h beside this file, as compare.c is),
 * so the blessed lists are the ones the series tests. The selftest has a
 * configuration for the base guest, MSGINT, LBT and both; a PMU adds no
 * register, so a feature set is looked up by its MSGINT and LBT alone, and
 * one the selftest has no configuration for would get its sublists in the
 * order of the selftest's widest configuration, which is the kernel's.
 *
 * Usage: kunit-lists FILE...  where each FILE is <features>.txt ("pmu=2,lbt",
 * pmu=0 for no PMU) holding one id a line, in list order.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvm_util.h"
#include "kvmreg.h"

extern struct vcpu_reg_list *vcpu_configs[];
extern int vcpu_configs_n;

#define MAX_REGS	512

struct features {
	unsigned int pmu;	/* counters, 0: no PMU */
	bool lbt;
	bool msgint;
};

struct id_list {
	size_t n;
	uint64_t ids[MAX_REGS];
	char origin[160];	/* where a blessed list came from */
};

static int failures;

static void fail(const char *check, const char *features, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void fail(const char *check, const char *features, const char *fmt, ...)
{
	va_list ap;

	printf("FAIL kunit.%s.%s: ", check, features);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	failures++;
}

/* "pmu=2,lbt": the syntax of libkvmreg's LoongArch driver. */
static int parse_features(const char *text, struct features *f)
{
	char *copy = strdup(text), *save = NULL, *tok;
	int ret = 0;

	memset(f, 0, sizeof(*f));
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char extra;

		if (!strcmp(tok, "lbt"))
			f->lbt = true;
		else if (!strcmp(tok, "msgint"))
			f->msgint = true;
		else if (sscanf(tok, "pmu=%u%c", &f->pmu, &extra) != 1 || f->pmu > 4)
			ret = -1;
	}
	free(copy);
	return ret;
}

/* A selftest sublist's feature, from its name: base, lbt, msgint. */
static int sublist_feature(const struct vcpu_reg_sublist *s, struct features *f)
{
	if (!strcmp(s->name, "base"))
		return 0;
	if (!strcmp(s->name, "lbt")) {
		f->lbt = true;
		return 0;
	}
	if (!strcmp(s->name, "msgint")) {
		f->msgint = true;
		return 0;
	}
	return -1;
}

/* The PMU adds no register to the list: only MSGINT and LBT tell lists apart */
static bool same_features(const struct features *a, const struct features *b)
{
	return a->lbt == b->lbt && a->msgint == b->msgint;
}

static int config_features(struct vcpu_reg_list *c, struct features *f)
{
	struct vcpu_reg_sublist *s;

	memset(f, 0, sizeof(*f));
	for_each_sublist(c, s)
		if (sublist_feature(s, f))
			return -1;
	return 0;
}

static int append(struct id_list *out, const struct vcpu_reg_sublist *s)
{
	for (__u64 i = 0; i < s->regs_n; i++) {
		if (out->n >= MAX_REGS)
			return -1;
		out->ids[out->n++] = s->regs[i];
	}
	return 0;
}

/*
 * The selftest's blessed list for f: its configuration with the same
 * features, else the sublists of the configuration with the most features,
 * each base one and those f has, in that order.
 */
static int blessed_list(const struct features *f, struct id_list *out)
{
	struct vcpu_reg_list *widest = NULL;
	size_t widest_n = 0, pos = 0;
	struct vcpu_reg_sublist *s;
	struct features cf;

	out->n = 0;
	for (int i = 0; i < vcpu_configs_n; i++) {
		size_t n = 0;

		if (config_features(vcpu_configs[i], &cf))
			return -1;
		if (same_features(&cf, f)) {
			pos = snprintf(out->origin, sizeof(out->origin),
				       "its configuration in the selftest, sublists");
			for_each_sublist(vcpu_configs[i], s) {
				if (append(out, s))
					return -1;
				if (pos < sizeof(out->origin))
					pos += snprintf(out->origin + pos,
							sizeof(out->origin) - pos, " %s",
							s->name);
			}
			return 0;
		}
		for_each_sublist(vcpu_configs[i], s)
			n++;
		if (n > widest_n) {
			widest = vcpu_configs[i];
			widest_n = n;
		}
	}
	if (!widest)
		return -1;

	pos = snprintf(out->origin, sizeof(out->origin),
		       "no configuration of its own in the selftest: its sublists");
	for_each_sublist(widest, s) {
		const struct vcpu_reg_sublist *take = NULL;
		struct features sf = { 0 };

		if (sublist_feature(s, &sf))
			return -1;
		if (!strcmp(s->name, "base"))
			take = s;
		else if (sf.lbt)
			take = f->lbt ? s : NULL;
		else if (sf.msgint)
			take = f->msgint ? s : NULL;
		if (!take)
			continue;
		if (append(out, take))
			return -1;
		if (pos < sizeof(out->origin))
			pos += snprintf(out->origin + pos, sizeof(out->origin) - pos, " %s",
					take->name);
	}
	return 0;
}

static const char *name_of(uint64_t id, char *buf, size_t len)
{
	if (kvmreg_id_name(KVMREG_ARCH_LOONGARCH64, id, KVMREG_NAME_MACRO, buf, len) < 0)
		snprintf(buf, len, "0x%" PRIx64, id);
	return buf;
}

/* The first difference of two lists, or NULL if they are equal. */
static const char *difference(const uint64_t *kernel, size_t kn, const uint64_t *other,
			      size_t on, const char *other_name, char *msg, size_t len)
{
	char a[96], b[96];
	size_t i;

	for (i = 0; i < kn && i < on; i++)
		if (kernel[i] != other[i])
			break;
	if (i == kn && i == on)
		return NULL;
	snprintf(msg, len, "%zu registers from the kernel, %zu from %s; first difference at position %zu: kernel %s, %s %s",
		 kn, on, other_name, i,
		 i < kn ? name_of(kernel[i], a, sizeof(a)) : "(end)", other_name,
		 i < on ? name_of(other[i], b, sizeof(b)) : "(end)");
	return msg;
}

static int read_list(const char *path, struct id_list *out)
{
	FILE *f = fopen(path, "r");
	char line[128];

	if (!f)
		return -errno;
	out->n = 0;
	while (fgets(line, sizeof(line), f)) {
		char *end;
		uint64_t id;

		if (line[0] == '#' || line[0] == '\n')
			continue;
		errno = 0;
		id = strtoull(line, &end, 0);
		if (errno || end == line || (*end && *end != '\n') || out->n >= MAX_REGS) {
			fclose(f);
			return -EINVAL;
		}
		out->ids[out->n++] = id;
	}
	fclose(f);
	return 0;
}

static void compare_file(const char *path)
{
	static struct id_list kernel, blessed;
	char *copy = strdup(path), *features = basename(copy), msg[512];
	struct kvmreg_list *table = NULL;
	struct features f;
	char *dot = strrchr(features, '.');
	uint64_t *ids;
	int err;

	if (dot && !strcmp(dot, ".txt"))
		*dot = '\0';
	if (parse_features(features, &f)) {
		fail("lists", features, "%s: not a feature set (pmu=N,lbt,msgint)", path);
		goto out;
	}
	err = read_list(path, &kernel);
	if (err) {
		fail("lists", features, "%s: cannot read it: %s", path, strerror(-err));
		goto out;
	}

	if (blessed_list(&f, &blessed))
		fail("blessed", features, "the selftest's configurations have sublists this program does not know");
	else if (difference(kernel.ids, kernel.n, blessed.ids, blessed.n, "the blessed list",
			    msg, sizeof(msg)))
		fail("blessed", features, "%s (%s)", msg, blessed.origin);
	else
		printf("PASS kunit.blessed.%s\n", features);
	printf("    blessed list of %s: %s\n", features, blessed.origin);

	err = kvmreg_fallback_table(KVMREG_ARCH_LOONGARCH64, features, &table);
	if (err) {
		fail("libkvmreg", features, "kvmreg_fallback_table: %s", kvmreg_error());
		goto out;
	}
	ids = calloc(table->count + 1, sizeof(*ids));
	if (!ids)
		abort();
	for (size_t i = 0; i < table->count; i++)
		ids[i] = table->regs[i].id;
	if (difference(kernel.ids, kernel.n, ids, table->count, "libkvmreg", msg, sizeof(msg)))
		fail("libkvmreg", features, "%s", msg);
	else
		printf("PASS kunit.libkvmreg.%s\n", features);
	free(ids);
	kvmreg_list_free(table);
out:
	free(copy);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2) {
		fprintf(stderr, "usage: %s FEATURES.txt...\n", argv[0]);
		return 2;
	}
	if (vcpu_configs_n < 1) {
		printf("FAIL kunit.blessed: the selftest has no configurations\n");
		return 1;
	}
	for (int i = 1; i < argc; i++)
		compare_file(argv[i]);
	return failures ? 1 : 0;
}
