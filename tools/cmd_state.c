// SPDX-License-Identifier: MIT
/*
 * The state file commands: save, show, diff, capture, compat, convert.
 * Exit status: 0 success (diff: the same; compat: restorable), 1 runtime
 * error, 2 bad usage, 3 a negative answer (diff: they differ; compat:
 * the state cannot be restored there) -- so a script can tell "no" from
 * "could not tell".
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "file.h"
#include "kvmreg.h"

#define EXIT_NO 3

static size_t count_volatile(const struct kvmreg_state *s)
{
	size_t n = 0;

	for (size_t i = 0; i < kvmreg_state_count(s); i++) {
		uint64_t id;

		kvmreg_state_at(s, i, &id, NULL);
		n += kvmreg_id_is_volatile(kvmreg_state_arch(s), id);
	}
	return n;
}

/* "arm64 state, saved on Linux 6.18.0, 123 registers" */
static void describe(const struct kvmreg_state *s, char *buf, size_t len)
{
	const char *kernel = kvmreg_state_kernel(s);

	snprintf(buf, len, "%s %s, %s%s%s, %zu register%s",
		 kvmreg_arch_name(kvmreg_state_arch(s)),
		 kvmreg_state_is_capture(s) ? "capture" : "state",
		 kvmreg_state_is_capture(s) ? "taken on " : "saved on ",
		 *kernel ? "Linux " : "an unknown kernel", kernel,
		 kvmreg_state_count(s), kvmreg_state_count(s) == 1 ? "" : "s");
}

static int load(const char *cmd, const char *path, struct kvmreg_state **s)
{
	if (kvmreg_state_load_file(path, s))
		return cli_fail(1, cmd, "%s", kvmreg_error());
	return 0;
}

static int store(const char *cmd, const struct kvmreg_state *s,
		 const char *path, int json)
{
	char *text;
	int status;

	if (!json)
		return kvmreg_state_save_file(s, path) ?
		       cli_fail(1, cmd, "%s", kvmreg_error()) : 0;
	if (kvmreg_state_to_json(s, &text))
		return cli_fail(1, cmd, "%s", kvmreg_error());
	/* The library's own atomic writer (the CLI links it statically):
	 * unique temporary names, and the stale ones of killed writers go. */
	status = kvmreg_write_file_atomic(path, text, strlen(text)) ?
		 cli_fail(1, cmd, "%s", kvmreg_error()) : 0;
	free(text);
	return status;
}

int cli_store(const char *cmd, const struct kvmreg_state *s, const char *path,
	      int json)
{
	return store(cmd, s, path, json);
}

/* save and capture: a scratch vCPU of this host, to a file. */
static int save_scratch(int argc, char **argv, int capture)
{
	static const char save_usage[] =
		"save [--json] [--sve] [--pmu] FILE\n"
		"  Create a scratch VM and vCPU on this host, read every register and\n"
		"  write them to FILE as a snapshot (docs/format.md), or as JSON.\n"
		"  --sve, --pmu  arm64: give the vCPU SVE (finalized) / PMUv3 first";
	static const char capture_usage[] =
		"capture [--json] [--sve] [--pmu] FILE\n"
		"  Write this host's register list and sizes, without values, to FILE:\n"
		"  what 'kvmreg compat STATE FILE' checks a state against, elsewhere.\n"
		"  --sve, --pmu  arm64: give the vCPU SVE (finalized) / PMUv3 first";
	const char *cmd = argv[0];
	struct kvmreg_scratch scratch;
	struct kvmreg_state *s = NULL;
	struct cli_opts o;
	char what[160];
	int status;

	status = cli_parse_opts(argc, argv, "json sve pmu",
			    capture ? capture_usage : save_usage, 1, 1, &o);
	if (status >= 0)
		return status;
	if (cli_scratch(cmd, o.scratch_flags, &scratch))
		return 1;
	if (capture ? kvmreg_capture(scratch.vcpu, &s) :
		      kvmreg_save(scratch.vcpu, &s)) {
		status = cli_fail(1, cmd, "%s", kvmreg_error());
		goto out;
	}
	status = store(cmd, s, argv[optind], o.json);
	if (status)
		goto out;
	describe(s, what, sizeof(what));
	printf("%s: %s (%zu volatile)\n", argv[optind], what, count_volatile(s));
out:
	kvmreg_state_free(s);
	kvmreg_scratch_destroy(&scratch);
	return status;
}

int cmd_save(int argc, char **argv)
{
	return save_scratch(argc, argv, 0);
}

int cmd_capture(int argc, char **argv)
{
	return save_scratch(argc, argv, 1);
}

int cmd_show(int argc, char **argv)
{
	static const char usage[] =
		"show [--json] FILE\n"
		"  Print a snapshot or capture: a summary line, then each register's\n"
		"  id, name, size and value; '(volatile)' marks counters and timers.\n"
		"  --json  the same content as JSON (what 'kvmreg convert --json' writes)";
	struct kvmreg_state *s;
	struct cli_opts o;
	char what[160];
	int status = cli_parse_opts(argc, argv, "json", usage, 1, 1, &o);

	if (status >= 0)
		return status;
	if (load("show", argv[optind], &s))
		return 1;
	if (o.json) {
		char *text;

		if (kvmreg_state_to_json(s, &text)) {
			kvmreg_state_free(s);
			return cli_fail(1, "show", "%s", kvmreg_error());
		}
		fputs(text, stdout);
		free(text);
		kvmreg_state_free(s);
		return 0;
	}
	describe(s, what, sizeof(what));
	printf("%s: %s, %zu volatile\n", argv[optind], what, count_volatile(s));
	for (size_t i = 0; i < kvmreg_state_count(s); i++) {
		enum kvmreg_arch arch = kvmreg_state_arch(s);
		char name[160], text[2 + 2 * 256 + 1] = "";
		const void *value;
		uint64_t id;

		kvmreg_state_at(s, i, &id, &value);
		cli_reg_name(arch, id, KVMREG_NAME_SHORT, name, sizeof(name));
		if (value)	/* x86 segments and tables by field */
			cli_value_text(arch, id, value, text, sizeof(text));
		printf("0x%016" PRIx64 "  %-32s %4zu%s%s%s\n", id, name,
		       kvmreg_id_size(id), value ? "  " : "", text,
		       kvmreg_id_is_volatile(arch, id) ? "  (volatile)" : "");
	}
	kvmreg_state_free(s);
	return 0;
}

static void print_value(const struct kvmreg_state *s, uint64_t id)
{
	char text[2 + 2 * 256 + 1];
	const void *value = kvmreg_state_get(s, id);

	if (!value) {
		fputs("(no value)", stdout);
		return;
	}
	kvmreg_value_format(value, kvmreg_id_size(id), text, sizeof(text));
	fputs(text, stdout);
}

static void print_diff_entry(const struct kvmreg_state *a,
			     const struct kvmreg_state *b,
			     const struct kvmreg_diff_entry *e)
{
	enum kvmreg_arch arch = kvmreg_state_arch(a);
	uint64_t id = e->id_a ? e->id_a : e->id_b;
	static const char marks[] = { [KVMREG_DIFF_ONLY_A] = '-',
				      [KVMREG_DIFF_ONLY_B] = '+',
				      [KVMREG_DIFF_SIZE] = '!',
				      [KVMREG_DIFF_VALUE] = '~' };
	char name[160];

	cli_reg_name(arch, id, KVMREG_NAME_SHORT, name, sizeof(name));
	printf("%c 0x%016" PRIx64 "  %-32s ", marks[e->kind], id, name);
	switch (e->kind) {
	case KVMREG_DIFF_ONLY_A:
		fputs("only in A", stdout);
		break;
	case KVMREG_DIFF_ONLY_B:
		fputs("only in B", stdout);
		break;
	case KVMREG_DIFF_SIZE:
		printf("size %zu -> %zu (B: 0x%016" PRIx64 ")",
		       kvmreg_id_size(e->id_a), kvmreg_id_size(e->id_b), e->id_b);
		break;
	case KVMREG_DIFF_VALUE:
		print_value(a, e->id_a);
		fputs(" -> ", stdout);
		print_value(b, e->id_b);
		break;
	}
	puts(e->is_volatile ? "  (volatile)" : "");
}

int cmd_diff(int argc, char **argv)
{
	static const char usage[] =
		"diff [--ignore-volatile] A B\n"
		"  Compare two snapshots (or captures, or JSON exports) register by\n"
		"  register: '-' only in A, '+' only in B, '~' value differs, '!' size\n"
		"  differs. Volatile registers (counters, timers) are compared and\n"
		"  marked '(volatile)'; --ignore-volatile leaves their values out\n"
		"  (their presence and size still count).\n"
		"  Exit: 0 the same, 3 they differ, 1 a file could not be read.";
	struct kvmreg_state *a = NULL, *b = NULL;
	size_t n[KVMREG_DIFF_VALUE + 1] = { 0 };
	struct kvmreg_diff *d = NULL;
	size_t volatile_differ = 0;
	struct cli_opts o;
	char what[160];
	int status = cli_parse_opts(argc, argv, "ignore-volatile", usage, 2, 2, &o);

	if (status >= 0)
		return status;
	if (load("diff", argv[optind], &a) || load("diff", argv[optind + 1], &b)) {
		status = 1;
		goto out;
	}
	describe(a, what, sizeof(what));
	printf("--- A: %s: %s\n", argv[optind], what);
	describe(b, what, sizeof(what));
	printf("+++ B: %s: %s\n", argv[optind + 1], what);
	if (kvmreg_state_arch(a) != kvmreg_state_arch(b)) {
		printf("differ: A is %s, B is %s\n",
		       kvmreg_arch_name(kvmreg_state_arch(a)),
		       kvmreg_arch_name(kvmreg_state_arch(b)));
		status = EXIT_NO;
		goto out;
	}
	if (kvmreg_state_diff(a, b, o.ignore_volatile ?
			      KVMREG_DIFF_IGNORE_VOLATILE : 0, &d)) {
		status = cli_fail(1, "diff", "%s", kvmreg_error());
		goto out;
	}
	for (size_t i = 0; i < d->count; i++) {
		print_diff_entry(a, b, &d->entries[i]);
		n[d->entries[i].kind]++;
		volatile_differ += d->entries[i].kind == KVMREG_DIFF_VALUE &&
				   d->entries[i].is_volatile;
	}
	if (d->count)
		printf("differ: %zu register%s (%zu values, %zu only in A, %zu only in B, %zu sizes); %zu the same\n",
		       d->count, d->count == 1 ? "" : "s",
		       n[KVMREG_DIFF_VALUE], n[KVMREG_DIFF_ONLY_A],
		       n[KVMREG_DIFF_ONLY_B], n[KVMREG_DIFF_SIZE], d->same);
	else
		printf("same: %zu register%s\n", d->same, d->same == 1 ? "" : "s");
	if (d->unvalued)
		printf("not compared: %zu registers without a value on one side (a capture)\n",
		       d->unvalued);
	if (o.ignore_volatile)
		printf("volatile registers: values ignored (%zu differed); presence and size compared\n",
		       d->volatile_skipped);
	else
		printf("volatile registers: compared like the others (%zu differ); --ignore-volatile leaves their values out\n",
		       volatile_differ);
	status = d->count ? EXIT_NO : 0;
out:
	kvmreg_diff_free(d);
	kvmreg_state_free(a);
	kvmreg_state_free(b);
	return status;
}

/* The findings of one effect under a title, each with its reason. */
static void list_effect(const struct kvmreg_state *state,
			const struct kvmreg_compat *c,
			enum kvmreg_finding_effect effect, const char *title)
{
	enum kvmreg_arch arch = kvmreg_state_arch(state);
	size_t shown = 0;

	for (size_t i = 0; i < c->finding_count; i++) {
		const struct kvmreg_compat_finding *f = &c->findings[i];
		char name[160];

		if (f->effect != effect || f->kind == KVMREG_FINDING_ARCH)
			continue;
		if (!shown++)
			printf("%s\n", title);
		cli_reg_name(arch, f->id, KVMREG_NAME_SHORT, name, sizeof(name));
		printf("  0x%016" PRIx64 "  %-32s %-8s %s%s\n", f->id, name,
		       kvmreg_finding_kind_name(f->kind), f->reason,
		       kvmreg_id_is_volatile(arch, f->id) ? " (volatile)" : "");
	}
}

int cmd_compat(int argc, char **argv)
{
	static const char usage[] =
		"compat [--strict] STATE [HOST-CAPTURE]\n"
		"  Can STATE, saved on one host, be restored on the host HOST-CAPTURE\n"
		"  was taken on ('kvmreg capture' there)? Without HOST-CAPTURE: this\n"
		"  host. Registers the host lacks, or has with another size, make it\n"
		"  incompatible: KVM rejects them (QEMU finds this only when a\n"
		"  migration fails, as a cpreg_vmstate_array_len mismatch), unless the\n"
		"  restore itself writes them (x86 CPUID). Feature registers (arm64 ID\n"
		"  registers, riscv isa_ext/sbi_ext/config, x86 CPUID) are checked\n"
		"  against the values the capture says the host allows. Registers\n"
		"  only the host has keep their reset values: compatible, with a\n"
		"  warning, unless --strict. Each finding says why.\n"
		"  Exit: 0 compatible, 3 incompatible, 1 a file could not be read.";
	struct kvmreg_state *state = NULL, *host = NULL;
	struct kvmreg_compat *c = NULL;
	struct cli_opts o;
	char what[160];
	int status = cli_parse_opts(argc, argv, "strict sve pmu", usage, 1, 2, &o);
	int incompatible;

	if (status >= 0)
		return status;
	status = 0;
	if (load("compat", argv[optind], &state))
		return 1;
	if (optind + 1 < argc) {
		if (load("compat", argv[optind + 1], &host)) {
			status = 1;
			goto out;
		}
	} else {
		struct kvmreg_scratch scratch;

		if (cli_scratch("compat", o.scratch_flags, &scratch)) {
			status = 1;
			goto out;
		}
		if (kvmreg_capture(scratch.vcpu, &host))
			status = cli_fail(1, "compat", "%s", kvmreg_error());
		kvmreg_scratch_destroy(&scratch);
		if (status)
			goto out;
	}
	if (kvmreg_state_compat(state, host, &c)) {
		status = cli_fail(1, "compat", "%s", kvmreg_error());
		goto out;
	}
	describe(state, what, sizeof(what));
	printf("state: %s: %s\n", argv[optind], what);
	describe(host, what, sizeof(what));
	printf("host:  %s: %s\n", optind + 1 < argc ? argv[optind + 1] : "this host",
	       what);
	list_effect(state, c, KVMREG_EFFECT_REFUSED,
		    "refused: KVM would reject them (missing on the host, another size, or a value it does not allow):");
	list_effect(state, c, KVMREG_EFFECT_GUEST_DIFFERS,
		    "restored, but the guest would see another machine:");
	list_effect(state, c, KVMREG_EFFECT_RESET,
		    "only on the host (they would keep their reset values):");
	list_effect(state, c, KVMREG_EFFECT_NONE,
		    "not listed on one side, written whole by the restore:");
	if (!c->arch_differs)
		printf("features: %s\n", c->features_checked ?
		       "checked against the values the host allows" :
		       "not checked (the host file records no allowed values: a capture from kvmreg 0.2 on does)");
	incompatible = c->verdict == KVMREG_COMPAT_INCOMPATIBLE ||
		       (o.strict && c->verdict == KVMREG_COMPAT_OK_EXTRA);
	if (c->arch_differs)
		printf("incompatible: the state is %s, the host %s\n",
		       kvmreg_arch_name(kvmreg_state_arch(state)),
		       kvmreg_arch_name(kvmreg_state_arch(host)));
	else if (incompatible)
		printf("incompatible: %zu missing on the host, %zu of another size, %zu feature values refused, %zu the guest would see reduced, %zu only on the host%s\n",
		       c->missing, c->resized, c->features_refused,
		       c->features_differ, c->extra,
		       c->verdict == KVMREG_COMPAT_INCOMPATIBLE ? "" :
		       " (--strict)");
	else if (c->verdict == KVMREG_COMPAT_OK_EXTRA)
		printf("compatible: every register of the state exists on the host, with its size; %zu only on the host keep their reset values\n",
		       c->extra);
	else
		printf("compatible: the same %zu register%s, with the same sizes\n",
		       kvmreg_state_count(state),
		       kvmreg_state_count(state) == 1 ? "" : "s");
	status = incompatible ? EXIT_NO : 0;
out:
	kvmreg_compat_free(c);
	kvmreg_state_free(state);
	kvmreg_state_free(host);
	return status;
}

int cmd_convert(int argc, char **argv)
{
	static const char usage[] =
		"convert [--json] IN OUT\n"
		"  Read a snapshot or its JSON (IN) and write it to OUT as a snapshot,\n"
		"  or as JSON with --json: JSON in, binary out imports an edited\n"
		"  state; the content survives either way exactly.";
	struct kvmreg_state *s;
	struct cli_opts o;
	char what[160];
	int status = cli_parse_opts(argc, argv, "json", usage, 2, 2, &o);

	if (status >= 0)
		return status;
	if (load("convert", argv[optind], &s))
		return 1;
	status = store("convert", s, argv[optind + 1], o.json);
	if (!status) {
		describe(s, what, sizeof(what));
		printf("%s: %s\n", argv[optind + 1], what);
	}
	kvmreg_state_free(s);
	return status;
}
