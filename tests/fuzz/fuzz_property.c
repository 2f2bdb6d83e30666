// SPDX-License-Identifier: MIT
/*
 * Properties of states built through the public calls, not of bytes a
 * reader is handed: the input drives kvmreg_state_new, _set_kernel and
 * _set (any arch, ids from the driver's tables or raw, values or none,
 * any kernel release bytes), and then
 * - whatever a writer accepts (encode, to_json, save_file, a JSON file),
 *   its reader accepts and gives back the same state; the writers agree
 *   on what they refuse;
 * - a refused call leaves the state as it was;
 * - diff and compat of two such states (every flag, both ways) return
 *   sane counts and never crash.
 * The file round trip goes through a directory on tmpfs where there is
 * one, so fsync costs little.
 */
#include <errno.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arch/arch.h"
#include "fuzz_common.h"
#include "internal.h"

struct input {
	const uint8_t *p;
	size_t left;
};

static uint8_t take8(struct input *in)
{
	if (!in->left)
		return 0;
	in->left--;
	return *in->p++;
}

static uint64_t take64(struct input *in)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v |= (uint64_t)take8(in) << (8 * i);
	return v;
}

/* Every driver's named ids, once: most entries should be real registers. */
static struct kvmreg_idvec known[KVMREG_ARCH_COUNT];

static void load_known_ids(void)
{
	static int done;

	if (done)
		return;
	done = 1;
	for (int a = 1; a < KVMREG_ARCH_COUNT; a++) {
		const struct kvmreg_arch_driver *d = kvmreg_driver(a);

		if (d && d->known_ids)
			d->known_ids(&known[a]);
	}
}

/* An id for arch a: a named one, a named one with its size field
 * changed, or raw bits under the arch's field (mostly refused). */
static uint64_t pick_id(struct input *in, enum kvmreg_arch a)
{
	const struct kvmreg_arch_driver *d = kvmreg_driver(a);
	const struct kvmreg_idvec *k = &known[a];
	uint8_t how = take8(in);
	uint64_t raw = take64(in);

	if (k->n && how < 200)
		return k->v[raw % k->n];
	if (k->n && how < 230)
		return (k->v[raw % k->n] & ~(0xfull << 52)) |
		       ((uint64_t)(how % 9) << 52);
	return (raw & ~(0xffull << 56)) | d->kvm_reg_arch;
}

/* A state from the input; NULL when the input is used up early. */
static struct kvmreg_state *build(struct input *in)
{
	enum kvmreg_arch a = (enum kvmreg_arch)(1 + take8(in) % (KVMREG_ARCH_COUNT - 1));
	uint8_t mode = take8(in);	/* 0 values, 1 capture, 2 mixed */
	struct kvmreg_state *s = kvmreg_state_new(a);
	char release[80];
	size_t n = take8(in) % sizeof(release);

	FUZZ_CHECK(s != NULL, "state_new(%d)", (int)a);
	for (size_t i = 0; i < n; i++)
		release[i] = (char)take8(in);
	release[n] = '\0';
	/* A release the state takes must come back from every reader; one
	 * it refuses leaves the old one. */
	FUZZ_CHECK(kvmreg_state_set_kernel(s, "before") == 0, "set_kernel");
	if (kvmreg_state_set_kernel(s, release)) {
		FUZZ_CHECK(!strcmp(kvmreg_state_kernel(s), "before"),
			   "a refused release changed the state");
		FUZZ_CHECK(kvmreg_error()[0], "refused without a message");
	} else {
		FUZZ_CHECK(!strcmp(kvmreg_state_kernel(s), release),
			   "release not kept");
	}

	for (size_t count = take8(in) % 48; count && in->left; count--) {
		uint64_t id = pick_id(in, a);
		size_t size = kvmreg_id_size(id);
		uint8_t value[256];
		int valued = mode % 3 == 0 || (mode % 3 == 2 && take8(in) & 1);
		size_t before = kvmreg_state_count(s);

		for (size_t i = 0; i < size && i < sizeof(value); i++)
			value[i] = take8(in);
		if (kvmreg_state_set(s, id, valued ? value : NULL, size)) {
			FUZZ_CHECK(kvmreg_state_count(s) == before,
				   "a refused set changed the count");
			continue;
		}
		FUZZ_CHECK(valued ? kvmreg_state_get(s, id) &&
				    !memcmp(kvmreg_state_get(s, id), value, size) :
				    !kvmreg_state_get(s, id),
			   "set 0x%016llx did not take", (unsigned long long)id);
	}
	return s;
}

static char dir[64];

static void remove_dir(void)
{
	static const char *const names[] = { "state", "state.json", "refused" };
	char path[96];

	for (size_t i = 0; i < KVMREG_ARRAY_SIZE(names); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
	rmdir(dir);
}

static void make_dir(void)
{
	if (dir[0])
		return;
	snprintf(dir, sizeof(dir), "%s/kvmreg-fuzz-property.%ld",
		 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp",
		 (long)getpid());
	FUZZ_CHECK(mkdir(dir, 0700) == 0 || errno == EEXIST, "mkdir %s", dir);
	atexit(remove_dir);
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	FUZZ_CHECK(f && fputs(text, f) >= 0 && fclose(f) == 0, "write %s", path);
}

/* Every writer against its reader; the writers agree. */
static void round_trips(const struct kvmreg_state *s, int through_files)
{
	struct kvmreg_state *back = (struct kvmreg_state *)1, *dup;
	char path[96], json_path[96];
	void *buf = NULL;
	char *json = NULL;
	size_t len;
	int enc, js, saved;

	dup = kvmreg_state_dup(s);
	FUZZ_CHECK(dup && t_states_identical(s, dup), "dup");
	kvmreg_state_free(dup);

	enc = kvmreg_state_encode(s, &buf, &len);
	js = kvmreg_state_to_json(s, &json);
	FUZZ_CHECK(!enc == !js, "encode says %d, to_json %d", enc, js);
	if (enc) {
		/* Refused as a whole: a mixed state. Nothing was written. */
		FUZZ_CHECK(buf == NULL && json == NULL, "output after a refusal");
		FUZZ_CHECK(!kvmreg_state_is_capture(s), "a capture refused");
		make_dir();
		snprintf(path, sizeof(path), "%s/refused", dir);
		unlink(path);
		FUZZ_CHECK(kvmreg_state_save_file(s, path) != 0, "save_file took it");
		FUZZ_CHECK(access(path, F_OK) != 0, "a refused save left a file");
		return;
	}
	FUZZ_CHECK(kvmreg_state_decode(buf, len, &back) == 0, "decode");
	FUZZ_CHECK(t_states_identical(s, back), "binary round trip");
	kvmreg_state_free(back);
	back = (struct kvmreg_state *)1;

	FUZZ_CHECK(kvmreg_state_from_json(json, strlen(json), &back) == 0,
		   "from_json of\n%s\n", json);
	FUZZ_CHECK(t_states_identical(s, back), "JSON round trip");
	kvmreg_state_free(back);
	back = (struct kvmreg_state *)1;

	/* Through the file system for one state in eight: the same code as
	 * encode and decode around open, fsync and rename, which cost more
	 * than everything else here together. */
	if (!through_files) {
		free(buf);
		free(json);
		return;
	}
	make_dir();
	snprintf(path, sizeof(path), "%s/state", dir);
	snprintf(json_path, sizeof(json_path), "%s/state.json", dir);
	saved = kvmreg_state_save_file(s, path);
	FUZZ_CHECK(saved == 0, "save_file");
	FUZZ_CHECK(kvmreg_state_load_file(path, &back) == 0, "load_file");
	FUZZ_CHECK(t_states_identical(s, back), "file round trip");
	kvmreg_state_free(back);
	back = (struct kvmreg_state *)1;

	write_text(json_path, json);
	FUZZ_CHECK(kvmreg_state_load_file(json_path, &back) == 0,
		   "load_file of JSON");
	FUZZ_CHECK(t_states_identical(s, back), "JSON file round trip");
	kvmreg_state_free(back);
	free(buf);
	free(json);
}

/* flags: any bits; those the call does not know must be refused. */
static void diff_both_ways(const struct kvmreg_state *a,
			   const struct kvmreg_state *b, unsigned int flags)
{
	const unsigned int known = KVMREG_DIFF_IGNORE_VOLATILE |
				   KVMREG_DIFF_NO_VALUES;
	size_t na = kvmreg_state_count(a), nb = kvmreg_state_count(b);

	for (int way = 0; way < 2; way++) {
		const struct kvmreg_state *x = way ? b : a, *y = way ? a : b;
		struct kvmreg_diff *d = NULL;
		int err = kvmreg_state_diff(x, y, flags, &d);

		if (flags & ~known) {
			FUZZ_CHECK(err == -EINVAL && !d, "unknown diff flags");
			break;
		}

		if (kvmreg_state_arch(a) != kvmreg_state_arch(b)) {
			FUZZ_CHECK(err == -EINVAL && !d, "diff of two arches");
			continue;
		}
		FUZZ_CHECK(err == 0 && d, "diff");
		FUZZ_CHECK(d->count + d->same <= na + nb && d->same <= na &&
			   d->same <= nb, "diff counts %zu/%zu of %zu+%zu",
			   d->count, d->same, na, nb);
		for (size_t i = 0; i < d->count; i++)
			FUZZ_CHECK(d->entries[i].kind >= KVMREG_DIFF_ONLY_A &&
				   d->entries[i].kind <= KVMREG_DIFF_VALUE,
				   "diff kind %d", d->entries[i].kind);
		if (a == b)
			FUZZ_CHECK(d->count == 0, "a state differs from itself");
		kvmreg_diff_free(d);
	}
	for (int way = 0; way < 2; way++) {
		struct kvmreg_compat *c = NULL;
		const struct kvmreg_state *x = way ? b : a, *y = way ? a : b;

		FUZZ_CHECK(kvmreg_state_compat(x, y, &c) == 0 && c, "compat");
		FUZZ_CHECK(c->arch_differs ==
			   (kvmreg_state_arch(x) != kvmreg_state_arch(y)),
			   "arch_differs");
		FUZZ_CHECK(c->verdict == KVMREG_COMPAT_INCOMPATIBLE ||
			   (!c->missing && !c->resized && !c->arch_differs),
			   "compatible with %zu missing, %zu resized",
			   c->missing, c->resized);
		if (x == y)
			FUZZ_CHECK(c->verdict == KVMREG_COMPAT_OK,
				   "a state is not compatible with itself");
		kvmreg_compat_free(c);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	struct kvmreg_state *a, *b;
	unsigned int flags;

	load_known_ids();
	a = build(&in);
	b = build(&in);
	round_trips(a, size % 8 == 0);
	round_trips(b, size % 8 == 4);
	flags = take8(&in);
	diff_both_ways(a, a, flags % 4);
	diff_both_ways(a, b, flags % 16 == 15 ? 1u << (flags % 32) : flags % 4);
	kvmreg_state_free(a);
	kvmreg_state_free(b);
	return 0;
}
