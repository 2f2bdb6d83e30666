// SPDX-License-Identifier: MIT
/*
 * Access: every read or write is planned into ioctl groups (the driver says
 * which ids one ioctl serves), so a batch costs one vCPU ioctl per group and
 * one per plain ONE_REG register, never more.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "arch/arch.h"
#include "internal.h"
#include "state.h"

static uint32_t group_of(const struct kvmreg_vcpu *vcpu, uint64_t id)
{
	const struct kvmreg_group_ops *g = vcpu->driver->groups;

	return g && g->group_of ? g->group_of(id) : 0;
}

int kvmreg_describe_failure(uint64_t id, int err, const char *what)
{
	char name[128];

	if (kvmreg_id_name(KVMREG_ARCH_NONE, id, KVMREG_NAME_SHORT, name,
			   sizeof(name)) < 0)
		snprintf(name, sizeof(name), "0x%016" PRIx64, id);
	return kvmreg_set_error(err, "%s %s (0x%016" PRIx64 "): %s", what,
				name, id, strerror(-err));
}

/*
 * A shape orders ids into batches: each group's ids together, groups in the
 * order of their first id, plain ONE_REG ids alone. It depends only on the
 * ids, so the vCPU handle keeps the last few: a VMM that reads or restores
 * the same list again (every checkpoint) skips the planning and the id
 * checks, and the batch costs little more than its ioctls.
 */
struct kvmreg_shape {
	uint64_t *key_ids;	/* the caller's ids, to recognize a repeat */
	size_t n;
	uint64_t hash;
	size_t *order;		/* position -> index into the caller's ids */
	size_t *starts;		/* batch -> first position; [batches] = n */
	uint32_t *keys;		/* batch -> group key */
	uint64_t *ids;		/* by position */
	size_t batches;
	struct kvmreg_state_template tmpl;	/* kvmreg_read into an empty state */
};

#define KVMREG_SHAPE_MIN_CACHED 4

/* Per call: the value pointers and errors, by position. */
struct plan {
	const struct kvmreg_shape *shape;
	uint8_t **vals;
	int *errs;
};

static void shape_free(struct kvmreg_shape *sh)
{
	if (!sh)
		return;
	free(sh->key_ids);
	free(sh->order);
	free(sh->starts);
	free(sh->keys);
	free(sh->ids);
	kvmreg_state_template_free(&sh->tmpl);
	free(sh);
}

void kvmreg_shapes_free(struct kvmreg_vcpu *vcpu)
{
	for (size_t i = 0; i < KVMREG_SHAPE_CACHE; i++) {
		shape_free(vcpu->shapes[i]);
		vcpu->shapes[i] = NULL;
	}
}

static uint64_t hash_ids(const uint64_t *ids, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ n;

	for (size_t i = 0; i < n; i++)
		h = (h ^ ids[i]) * 0x100000001b3ULL;
	return h;
}

static size_t batch_of_key(struct kvmreg_shape *sh, uint32_t key, size_t *last)
{
	/* Neighbouring ids mostly share a group: try the last hit first. */
	if (*last < sh->batches && sh->keys[*last] == key)
		return *last;
	for (size_t b = 0; b < sh->batches; b++)
		if (sh->keys[b] == key)
			return *last = b;
	sh->keys[sh->batches] = key;
	return *last = sh->batches++;
}

static struct kvmreg_shape *shape_make(const struct kvmreg_vcpu *vcpu,
				       const uint64_t *ids, size_t n,
				       uint64_t hash)
{
	struct kvmreg_shape *sh = calloc(1, sizeof(*sh));
	size_t *batch = malloc((n + 1) * sizeof(*batch));
	size_t last = SIZE_MAX;

	if (sh) {
		sh->key_ids = malloc((n + 1) * sizeof(*sh->key_ids));
		sh->order = malloc((n + 1) * sizeof(*sh->order));
		sh->starts = calloc(n + 2, sizeof(*sh->starts));
		sh->keys = malloc((n + 1) * sizeof(*sh->keys));
		sh->ids = malloc((n + 1) * sizeof(*sh->ids));
	}
	if (!batch || !sh || !sh->key_ids || !sh->order || !sh->starts ||
	    !sh->keys || !sh->ids) {
		free(batch);
		shape_free(sh);
		kvmreg_set_error(-ENOMEM, "out of memory");
		return NULL;
	}
	memcpy(sh->key_ids, ids, n * sizeof(*ids));
	sh->n = n;
	sh->hash = hash;
	for (size_t i = 0; i < n; i++) {
		uint32_t key = group_of(vcpu, ids[i]);

		if (key == 0) {
			sh->keys[sh->batches] = 0;
			batch[i] = sh->batches++;
		} else {
			batch[i] = batch_of_key(sh, key, &last);
		}
		sh->starts[batch[i] + 1]++;
	}
	for (size_t b = 0; b < sh->batches; b++)
		sh->starts[b + 1] += sh->starts[b];
	/* starts[b] counts up as batch b fills; shifted back afterwards. */
	for (size_t i = 0; i < n; i++) {
		size_t pos = sh->starts[batch[i]]++;

		sh->order[pos] = i;
		sh->ids[pos] = ids[i];
	}
	for (size_t b = sh->batches; b > 0; b--)
		sh->starts[b] = sh->starts[b - 1];
	sh->starts[0] = 0;
	free(batch);
	return sh;
}

/* The vCPU's shape for ids: a cached one, or a new one put in the cache. */
static struct kvmreg_shape *shape_get(struct kvmreg_vcpu *vcpu,
				      const uint64_t *ids, size_t n)
{
	uint64_t hash = hash_ids(ids, n);
	struct kvmreg_shape *sh;

	for (size_t i = 0; i < KVMREG_SHAPE_CACHE; i++) {
		sh = vcpu->shapes[i];
		if (sh && sh->n == n && sh->hash == hash &&
		    !memcmp(sh->key_ids, ids, n * sizeof(*ids)))
			return sh;
	}
	sh = shape_make(vcpu, ids, n, hash);
	if (!sh || n < KVMREG_SHAPE_MIN_CACHED)
		return sh;
	shape_free(vcpu->shapes[vcpu->shape_next]);
	vcpu->shapes[vcpu->shape_next] = sh;
	vcpu->shape_next = (vcpu->shape_next + 1) % KVMREG_SHAPE_CACHE;
	return sh;
}

static void plan_end(struct plan *p)
{
	/* Small shapes are not cached: one kvmreg_get must not push a whole
	 * list's plan out of the cache. */
	if (p->shape && p->shape->n < KVMREG_SHAPE_MIN_CACHED)
		shape_free((struct kvmreg_shape *)p->shape);
	free(p->vals);
	free(p->errs);
}

static int plan_begin(struct kvmreg_vcpu *vcpu, const uint64_t *ids,
		      size_t n, struct plan *p)
{
	p->shape = shape_get(vcpu, ids, n);
	p->vals = malloc((n + 1) * sizeof(*p->vals));
	p->errs = calloc(n + 1, sizeof(*p->errs));
	if (!p->shape || !p->vals || !p->errs) {
		plan_end(p);
		return kvmreg_set_error(-ENOMEM, "out of memory");
	}
	return 0;
}

/* Run a plan: one hook call per group, one ONE_REG call per plain id. */
static void plan_run(struct kvmreg_vcpu *vcpu, struct plan *p, int is_write,
		     int *errs)
{
	const struct kvmreg_group_ops *g = vcpu->driver->groups;
	const struct kvmreg_shape *sh = p->shape;

	for (size_t b = 0; b < sh->batches; b++) {
		size_t first = sh->starts[b], count = sh->starts[b + 1] - first;
		int err;

		if (sh->keys[b] == 0) {
			p->errs[first] = is_write ?
				kvmreg_one_reg_set(vcpu, sh->ids[first], p->vals[first]) :
				kvmreg_one_reg_get(vcpu, sh->ids[first], p->vals[first]);
			continue;
		}
		if (is_write)
			err = g->set(vcpu, sh->keys[b], count, sh->ids + first,
				     (const uint8_t *const *)(p->vals + first),
				     p->errs + first);
		else
			err = g->get(vcpu, sh->keys[b], count, sh->ids + first,
				     p->vals + first, p->errs + first);
		for (size_t k = first; err && k < first + count; k++)
			p->errs[k] = err;
	}
	for (size_t pos = 0; pos < sh->n; pos++)
		errs[sh->order[pos]] = p->errs[pos];
}

int kvmreg_read_values(struct kvmreg_vcpu *vcpu, const uint64_t *ids, size_t n,
		       uint8_t *const *vals, int *errs)
{
	struct plan p;
	int err = plan_begin(vcpu, ids, n, &p);

	if (err)
		return err;
	for (size_t pos = 0; pos < n; pos++)
		p.vals[pos] = vals[p.shape->order[pos]];
	plan_run(vcpu, &p, 0, errs);
	plan_end(&p);
	return 0;
}

int kvmreg_write_values(struct kvmreg_vcpu *vcpu, const uint64_t *ids,
			size_t n, const uint8_t *const *vals, int *errs)
{
	struct plan p;
	int err = plan_begin(vcpu, ids, n, &p);

	if (err)
		return err;
	/* The plan holds value pointers for both directions; writes only
	 * read through them. */
	for (size_t pos = 0; pos < n; pos++)
		p.vals[pos] = (uint8_t *)vals[p.shape->order[pos]];
	plan_run(vcpu, &p, 1, errs);
	plan_end(&p);
	/*
	 * A register the kernel refuses to take at the value it already holds
	 * (x86 MSR_KVM_ASYNC_PF_INT in a VM without an in-kernel LAPIC; LoongArch's set-once
	 * CPUID CSR) is in the wanted state: count it as written. Only failed
	 * writes pay for the extra read.
	 */
	for (size_t i = 0; i < n; i++) {
		uint8_t now[256];
		int rerr = 0;

		if (!errs[i])
			continue;
		if (!kvmreg_read_values(vcpu, &ids[i], 1,
					(uint8_t *const[]){ now }, &rerr) &&
		    !rerr && !memcmp(now, vals[i], kvmreg_size_of(ids[i])))
			errs[i] = 0;
	}
	return 0;
}

static int first_error(const uint64_t *ids, size_t n, const int *errs,
		       const char *what)
{
	for (size_t i = 0; i < n; i++)
		if (errs[i])
			return kvmreg_describe_failure(ids[i], errs[i], what);
	return 0;
}

KVMREG_EXPORT int kvmreg_get(struct kvmreg_vcpu *vcpu, uint64_t id, void *value)
{
	int err = kvmreg_id_check(vcpu->driver->arch, id);
	int reg_err = 0;

	if (err)
		return err;
	err = kvmreg_read_values(vcpu, &id, 1, (uint8_t *const[]){ value },
				 &reg_err);
	return err ? err : first_error(&id, 1, &reg_err, "reading");
}

KVMREG_EXPORT int kvmreg_set(struct kvmreg_vcpu *vcpu, uint64_t id,
			     const void *value)
{
	int err = kvmreg_id_check(vcpu->driver->arch, id);
	int reg_err = 0;

	if (err)
		return err;
	err = kvmreg_write_values(vcpu, &id, 1,
				  (const uint8_t *const[]){ value }, &reg_err);
	return err ? err : first_error(&id, 1, &reg_err, "writing");
}

/*
 * The repeat case: the same ids into an empty state, all of which read the
 * last time. The state takes the remembered layout at once and the groups
 * write straight into its values; no per-register work is left but the
 * driver's unpacking. Returns 1 if it did not apply.
 */
static int read_repeat(struct kvmreg_vcpu *vcpu, const uint64_t *ids, size_t n,
		       struct kvmreg_state *state, int *errs)
{
	const struct kvmreg_shape *sh;
	struct plan p;
	int err;

	if (kvmreg_state_count(state) != 0)
		return 1;
	if (n < KVMREG_SHAPE_MIN_CACHED)
		return 1;
	sh = shape_get(vcpu, ids, n);
	if (!sh || !sh->tmpl.entries)
		return 1;
	err = plan_begin(vcpu, ids, n, &p);
	if (!err)
		err = kvmreg_state_apply_template(state, &sh->tmpl);
	if (err) {
		plan_end(&p);
		return err;
	}
	for (size_t pos = 0; pos < n; pos++)
		p.vals[pos] = kvmreg_state_value_at(state, sh->order[pos]);
	plan_run(vcpu, &p, 0, errs);
	plan_end(&p);
	for (size_t i = 0; i < n; i++) {
		if (errs[i]) {
			/* Rare: forget the layout, and let the general path
			 * keep just the registers that read. */
			kvmreg_state_clear(state);
			return 1;
		}
	}
	return 0;
}

KVMREG_EXPORT int kvmreg_read(struct kvmreg_vcpu *vcpu, const uint64_t *ids,
			      size_t n, struct kvmreg_state *state, int *errs)
{
	uint8_t *buf = NULL, **vals = NULL;
	int *own_errs = NULL;
	size_t total = 0;
	int was_empty = kvmreg_state_count(state) == 0;
	int err;

	if (kvmreg_state_arch(state) != vcpu->driver->arch)
		return kvmreg_set_error(-EINVAL,
					"a %s state cannot hold registers of a %s vCPU",
					kvmreg_arch_name(kvmreg_state_arch(state)),
					vcpu->driver->name);
	if (!errs)
		errs = own_errs = calloc(n + 1, sizeof(*errs));
	if (!errs)
		return kvmreg_set_error(-ENOMEM, "out of memory");
	err = read_repeat(vcpu, ids, n, state, errs);
	if (err <= 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		err = kvmreg_id_check(vcpu->driver->arch, ids[i]);
		if (err)
			goto out;
		total += kvmreg_size_of(ids[i]);
	}
	buf = malloc(total + 1);
	vals = calloc(n + 1, sizeof(*vals));
	if (!buf || !vals) {
		err = kvmreg_set_error(-ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0, off = 0; i < n; i++) {
		vals[i] = buf + off;
		off += kvmreg_size_of(ids[i]);
	}
	err = kvmreg_read_values(vcpu, ids, n, vals, errs);
	if (!err)
		err = kvmreg_state_reserve(state, n, total);
	for (size_t i = 0; !err && i < n; i++)
		if (!errs[i])
			err = kvmreg_state_put(state, ids[i], vals[i],
					       kvmreg_size_of(ids[i]));
	if (!err)
		err = first_error(ids, n, errs, "reading");
	if (!err && was_empty && kvmreg_state_count(state) == n &&
	    n >= KVMREG_SHAPE_MIN_CACHED) {
		struct kvmreg_shape *sh = shape_get(vcpu, ids, n);

		/* Remember the layout for the next read of these ids; if
		 * that fails, the next read takes this path again. */
		if (sh && !sh->tmpl.entries)
			kvmreg_state_template_make(state, &sh->tmpl);
	}
out:
	free(own_errs);
	free(buf);
	free(vals);
	return err;
}

/* ids and values of a state, as arrays the write path takes. */
int kvmreg_state_arrays(const struct kvmreg_state *state, uint64_t **ids,
			const uint8_t ***vals)
{
	size_t n = kvmreg_state_count(state);

	*ids = malloc((n + 1) * sizeof(**ids));
	*vals = malloc((n + 1) * sizeof(**vals));
	if (!*ids || !*vals) {
		free(*ids);
		free(*vals);
		return kvmreg_set_error(-ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		const void *v;

		kvmreg_state_at(state, i, &(*ids)[i], &v);
		if (!v) {
			free(*ids);
			free(*vals);
			return kvmreg_set_error(-EINVAL,
						"register 0x%016" PRIx64 " has no value (is this a capture, not a saved state?)",
						(*ids)[i]);
		}
		(*vals)[i] = v;
	}
	return 0;
}

KVMREG_EXPORT int kvmreg_write(struct kvmreg_vcpu *vcpu,
			       const struct kvmreg_state *state, int *errs)
{
	size_t n = kvmreg_state_count(state);
	const uint8_t **vals;
	uint64_t *ids;
	int *own_errs = NULL;
	int err;

	if (kvmreg_state_arch(state) != vcpu->driver->arch)
		return kvmreg_set_error(-EINVAL,
					"a %s state cannot be written to a %s vCPU",
					kvmreg_arch_name(kvmreg_state_arch(state)),
					vcpu->driver->name);
	err = kvmreg_state_arrays(state, &ids, &vals);
	if (err)
		return err;
	if (!errs)
		errs = own_errs = calloc(n + 1, sizeof(*errs));
	if (!errs) {
		err = kvmreg_set_error(-ENOMEM, "out of memory");
	} else {
		err = kvmreg_write_values(vcpu, ids, n, vals, errs);
		if (!err)
			err = first_error(ids, n, errs, "writing");
	}
	free(own_errs);
	free(ids);
	free(vals);
	return err;
}
