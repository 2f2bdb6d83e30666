// SPDX-License-Identifier: MIT
/*
 * Writes the seed corpus of the fuzz targets into DIR/<target>/: small
 * valid snapshots and JSON documents of every architecture, and names of
 * each driver's registers in both styles. `make fuzz-corpus` runs it; the
 * output is committed as tests/fuzz/corpus/. Inputs: the drivers' own
 * tables (their known_ids hook), nothing from outside the tree.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "arch/arch.h"
#include "file.h"
#include "internal.h"
#include "kvmreg.h"
#include "state.h"

static const char *out_dir;

static void put(const char *target, const char *name, const void *data,
		size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", out_dir, target);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%s/%s", out_dir, target, name);
	f = fopen(path, "wb");
	if (!f || fwrite(data, 1, len, f) != len || fclose(f)) {
		perror(path);
		exit(1);
	}
}

/* Both files for one state. */
static void put_state(const struct kvmreg_state *s, const char *name)
{
	void *buf;
	size_t len;
	char *json;

	if (kvmreg_state_encode(s, &buf, &len) ||
	    kvmreg_state_to_json(s, &json)) {
		fprintf(stderr, "make_corpus: %s: %s\n", name, kvmreg_error());
		exit(1);
	}
	put("snapshot", name, buf, len);
	put("json", name, json, strlen(json));
	free(buf);
	free(json);
}

/* Up to max ids of the arch's table, spread over all of it. */
static size_t sample_ids(const struct kvmreg_arch_driver *d, uint64_t *ids,
			 size_t max)
{
	struct kvmreg_idvec all = { 0 };
	size_t n = 0;

	if (!d->known_ids || d->known_ids(&all) || !all.n)
		return 0;
	for (size_t i = 0; i < max && i < all.n; i++) {
		uint64_t id = all.v[i * all.n / (all.n < max ? all.n : max)];

		if (!kvmreg_id_check(d->arch, id))
			ids[n++] = id;
	}
	kvmreg_idvec_free(&all);
	return n;
}

static void arch_seeds(const struct kvmreg_arch_driver *d)
{
	struct kvmreg_state *s = kvmreg_state_new(d->arch);
	struct kvmreg_state *c = kvmreg_state_new(d->arch);
	uint64_t ids[24];
	size_t n = sample_ids(d, ids, 24);
	char name[64];

	kvmreg_state_set_kernel(s, "6.18.0-seed");
	kvmreg_state_set_kernel(c, "6.18.0-seed");
	for (size_t i = 0; i < n; i++) {
		uint8_t value[256];

		for (size_t b = 0; b < sizeof(value); b++)
			value[b] = (uint8_t)(i * 16 + b);
		kvmreg_state_set(s, ids[i], value, kvmreg_id_size(ids[i]));
		kvmreg_state_set(c, ids[i], NULL, kvmreg_id_size(ids[i]));
	}
	snprintf(name, sizeof(name), "state-%s", d->name);
	put_state(s, name);
	if (n) {
		snprintf(name, sizeof(name), "capture-%s", d->name);
		put_state(c, name);
		/* Version 2: the same capture with allowed values. */
		for (size_t i = 0; i < n; i += 3) {
			uint8_t v[256], m[256];

			memset(v, 0x5a, sizeof(v));
			memset(m, 0x0f, sizeof(m));
			kvmreg_state_set_allowed(c, ids[i], v, m,
						 kvmreg_id_size(ids[i]));
		}
		snprintf(name, sizeof(name), "capture-allowed-%s", d->name);
		put_state(c, name);
	}
	for (size_t i = 0; i < n; i++) {
		char text[256];
		uint8_t raw[8];

		kvmreg_id_name(d->arch, ids[i], KVMREG_NAME_SHORT, text,
			       sizeof(text));
		snprintf(name, sizeof(name), "%s-%02zu-short", d->name, i);
		put("id_parse", name, text, strlen(text));
		kvmreg_id_name(d->arch, ids[i], KVMREG_NAME_MACRO, text,
			       sizeof(text));
		snprintf(name, sizeof(name), "%s-%02zu-macro", d->name, i);
		put("id_parse", name, text, strlen(text));
		if (i % 4 == 0) {
			for (int b = 0; b < 8; b++)
				raw[b] = (uint8_t)(ids[i] >> (8 * b));
			snprintf(name, sizeof(name), "%s-%02zu-raw", d->name, i);
			put("id_parse", name, raw, sizeof(raw));
		}
	}
	kvmreg_state_free(s);
	kvmreg_state_free(c);
}

int main(int argc, char **argv)
{
	static const char hand_json[] =
		"{\"registers\": [{\"value\": \"0X1\", \"id\": \"0x6030000000100040\","
		" \"name\": \"\\u0063ore.pc\\ud83d\\ude00\", \"size\": 8, \"volatile\": false}],\n"
		" \"capture\": false, \"kernel\": \"\", \"arch\": \"aarch64\",\n"
		" \"version\": 1, \"format\": \"kvmreg-state\"}\n";
	struct kvmreg_state *empty;

	if (argc != 2) {
		fprintf(stderr, "usage: make_corpus DIR\n");
		return 2;
	}
	out_dir = argv[1];
	if (mkdir(out_dir, 0755) && errno != EEXIST) {
		perror(out_dir);
		return 1;
	}
	for (int a = 1; a < KVMREG_ARCH_COUNT; a++)
		if (kvmreg_driver(a))
			arch_seeds(kvmreg_driver(a));
	empty = kvmreg_state_new(KVMREG_ARCH_X86_64);
	put_state(empty, "empty");
	empty->flags |= KVMREG_STATE_F_CAPTURE;
	put_state(empty, "empty-capture");
	kvmreg_state_free(empty);
	put("json", "hand-written", hand_json, strlen(hand_json));
	put("id_parse", "number", "0x6030000000100000", 18);
	put("id_parse", "number-ull", "0x603000000013c005ULL", 21);
	put("id_parse", "decimal", "6931039826524241984", 19);
	return 0;
}
