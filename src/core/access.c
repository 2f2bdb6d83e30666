// SPDX-License-Identifier: MIT
/*
 * Access: every read or write is planned into ioctl groups (the driver says
 * which ids one ioctl serves), so a batch costs one vCPU ioctl per group and
 * one per plain ONE_REG register, never more.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
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
	const char *reason = kvmreg_kept_reason(id, err);
	char name[128], why[512];

	if (kvmreg_id_name(KVMREG_ARCH_NONE, id, KVMREG_NAME_SHORT, name,
			   sizeof(name)) < 0)
		snprintf(name, sizeof(name), "0x%016" PRIx64, id);
	snprintf(why, sizeof(why), "%s", reason ? reason : strerror(-err));
	return kvmreg_set_error(err, "%s %s (0x%016" PRIx64 "): %s", what,
				name, id, why);
}

/* ------------------------------------------------------------------ */
/* Shapes (access.h)                                                   */

/* Lists this short are planned per call: one kvmreg_get must not push a
 * whole list's plan out of the cache. */
#define KVMREG_SHAPE_MIN_CACHED 4

static void shape_free(struct kvmreg_shape *sh)
{
	if (!sh)
		return;
	free(sh->key);
	free(sh->order);
	free(sh->ids);
	for (size_t b = 0; sh->batch && b < sh->batches; b++)
		free(sh->batch[b].memo);
	free(sh->batch);
	free(sh->segment_ends);
	free(sh->step);
	free(sh->vals);
	free(sh->errs);
	free(sh->before_offsets);
	free(sh->before_vals);
	free(sh->before_errs);
	kvmreg_state_template_free(&sh->tmpl);
	free(sh->value_offsets);
	free(sh);
}

void kvmreg_shapes_free(struct kvmreg_vcpu *vcpu)
{
	for (size_t i = 0; i < KVMREG_SHAPE_CACHE; i++) {
		struct kvmreg_shape *sh = vcpu->shapes[i];

		vcpu->shapes[i] = NULL;
		if (!sh)
			continue;
		sh->cached = 0;
		if (!sh->users)
			shape_free(sh);
	}
}

void kvmreg_shape_release(struct kvmreg_shape *sh)
{
	if (sh && !--sh->users && !sh->cached)
		shape_free(sh);
}

static int same_ids(const uint64_t *key, const void *ids, size_t stride,
		    size_t n)
{
	const uint8_t *p = ids;

	if (stride == sizeof(*key))
		return !memcmp(key, ids, n * sizeof(*key));
	for (size_t i = 0; i < n; i++, p += stride) {
		uint64_t id;

		memcpy(&id, p, sizeof(id));
		if (id != key[i])
			return 0;
	}
	return 1;
}

struct kvmreg_shape *kvmreg_shape_find(struct kvmreg_vcpu *vcpu,
				       enum kvmreg_shape_kind kind,
				       const void *ids, size_t stride, size_t n,
				       uint64_t layout)
{
	for (size_t i = 0; i < KVMREG_SHAPE_CACHE; i++) {
		struct kvmreg_shape *sh = vcpu->shapes[i];

		if (sh && sh->n == n && sh->kind == kind &&
		    ((layout && sh->layout == layout) ||
		     same_ids(sh->key, ids, stride, n))) {
			sh->users++;
			return sh;
		}
	}
	return NULL;
}

struct kvmreg_shape *kvmreg_shape_begin(enum kvmreg_shape_kind kind,
					const void *ids, size_t stride,
					size_t n)
{
	struct kvmreg_shape *sh = calloc(1, sizeof(*sh));
	const uint8_t *p = ids;

	if (!sh)
		goto nomem;
	sh->kind = kind;
	sh->n = n;
	sh->key = malloc((n + 1) * sizeof(*sh->key));
	sh->order = malloc((n + 1) * sizeof(*sh->order));
	sh->ids = malloc((n + 1) * sizeof(*sh->ids));
	sh->batch = calloc(n + 2, sizeof(*sh->batch));
	sh->segment_ends = malloc((n + 1) * sizeof(*sh->segment_ends));
	sh->vals = malloc((n + 1) * sizeof(*sh->vals));
	sh->errs = malloc((n + 1) * sizeof(*sh->errs));
	if (kind == KVMREG_SHAPE_RESTORE)
		sh->step = malloc((n + 1) * sizeof(*sh->step));
	if (!sh->key || !sh->order || !sh->ids || !sh->batch ||
	    !sh->segment_ends || !sh->vals || !sh->errs ||
	    (kind == KVMREG_SHAPE_RESTORE && !sh->step))
		goto nomem;
	for (size_t i = 0; i < n; i++, p += stride)
		memcpy(&sh->key[i], p, sizeof(*sh->key));
	sh->users = 1;
	sh->vals_gen = 1;
	return sh;
nomem:
	shape_free(sh);
	kvmreg_set_error(-ENOMEM, "out of memory");
	return NULL;
}

/* Batch of the segment (its batches start at first) that serves key;
 * a new one if none does yet. */
static size_t batch_of_key(struct kvmreg_shape *sh, size_t first, uint32_t key,
			   size_t *last)
{
	/* Neighbouring ids mostly share a group: try the last hit first. */
	if (*last < sh->batches && sh->batch[*last].key == key)
		return *last;
	for (size_t b = first; b < sh->batches; b++)
		if (sh->batch[b].key == key)
			return *last = b;
	sh->batch[sh->batches].key = key;
	return *last = sh->batches++;
}

int kvmreg_shape_add_segment(struct kvmreg_shape *sh,
			     const struct kvmreg_vcpu *vcpu, const size_t *idx,
			     size_t from, size_t to)
{
	size_t count = to - from, first_batch = sh->batches, last = SIZE_MAX;
	size_t *batch = malloc((count + 1) * sizeof(*batch));
	size_t *fill = calloc(count + 1, sizeof(*fill));

	if (!batch || !fill) {
		free(batch);
		free(fill);
		return kvmreg_set_error(-ENOMEM, "out of memory");
	}
	for (size_t k = 0; k < count; k++) {
		uint32_t key = group_of(vcpu, sh->key[idx ? idx[from + k] : from + k]);

		if (key == 0) {
			sh->batch[sh->batches].key = 0;
			batch[k] = sh->batches++;
		} else {
			batch[k] = batch_of_key(sh, first_batch, key, &last);
		}
		fill[batch[k] - first_batch]++;
	}
	/* fill[]: sizes, then each batch's next free position */
	for (size_t b = first_batch, pos = sh->filled; b < sh->batches; b++) {
		size_t size = fill[b - first_batch];

		sh->batch[b].first = pos;
		fill[b - first_batch] = pos;
		pos += size;
	}
	for (size_t k = 0; k < count; k++) {
		size_t i = idx ? idx[from + k] : from + k;
		size_t pos = fill[batch[k] - first_batch]++;

		sh->order[pos] = i;
		sh->ids[pos] = sh->key[i];
		if (sh->step)
			sh->step[pos] = from + k;
	}
	sh->filled += count;
	sh->batch[sh->batches].first = sh->filled;
	sh->segment_ends[sh->segments++] = sh->batches;
	free(batch);
	free(fill);
	return 0;
}

/* Put sh into the handle's cache, in place of a shape no call is using. */
static void shape_cache(struct kvmreg_vcpu *vcpu, struct kvmreg_shape *sh)
{
	for (size_t tries = 0; tries < KVMREG_SHAPE_CACHE; tries++) {
		unsigned int slot = vcpu->shape_next;
		struct kvmreg_shape *old = vcpu->shapes[slot];

		vcpu->shape_next = (slot + 1) % KVMREG_SHAPE_CACHE;
		if (old && old->users)
			continue;
		shape_free(old);
		vcpu->shapes[slot] = sh;
		sh->cached = 1;
		return;
	}
}

int kvmreg_shape_finish(struct kvmreg_vcpu *vcpu, struct kvmreg_shape *sh)
{
	if (sh->kind == KVMREG_SHAPE_RESTORE) {
		sh->before_vals = malloc((sh->n + 1) * sizeof(*sh->before_vals));
		sh->before_errs = malloc((sh->n + 1) * sizeof(*sh->before_errs));
		sh->value_offsets = malloc((sh->n + 1) *
					   sizeof(*sh->value_offsets));
		sh->before_offsets = malloc((sh->n + 1) *
					    sizeof(*sh->before_offsets));
		if (!sh->before_vals || !sh->before_errs || !sh->value_offsets ||
		    !sh->before_offsets) {
			shape_free(sh);
			return kvmreg_set_error(-ENOMEM, "out of memory");
		}
		for (size_t pos = 0; pos < sh->n; pos++) {
			sh->before_offsets[pos] = sh->before_len;
			sh->before_len += kvmreg_size_of(sh->ids[pos]);
		}
	}
	if (sh->n >= KVMREG_SHAPE_MIN_CACHED)
		shape_cache(vcpu, sh);
	return 0;
}

/*
 * A buffer per thread for the rollback read: the values before a restore
 * are needed only until it returns, and a thread that restores many vCPUs
 * finds one buffer in its cache where one per vCPU would be cold.
 */
struct thread_buffer {
	uint8_t *p;
	size_t cap;
};

static pthread_key_t buffer_key;
static pthread_once_t buffer_key_once = PTHREAD_ONCE_INIT;
static bool buffer_key_made;
static _Thread_local struct thread_buffer *thread_buffer;

static void buffer_free(void *p)
{
	struct thread_buffer *b = p;

	if (b)
		free(b->p);
	free(b);
}

static void buffer_key_make(void)
{
	buffer_key_made = pthread_key_create(&buffer_key, buffer_free) == 0;
}

static uint8_t *thread_buffer_of(size_t size)
{
	struct thread_buffer *b = thread_buffer;
	void *p;

	if (!b) {
		b = calloc(1, sizeof(*b));
		if (!b)
			return NULL;
		/* Freed when the thread ends. */
		pthread_once(&buffer_key_once, buffer_key_make);
		if (buffer_key_made)
			pthread_setspecific(buffer_key, b);
		thread_buffer = b;
	}
	if (b->cap < size + 1) {
		p = realloc(b->p, size + 1);
		if (!p)
			return NULL;
		b->p = p;
		b->cap = size + 1;
	}
	return b->p;
}

int kvmreg_shape_bind_before(struct kvmreg_shape *sh)
{
	uint8_t *base = thread_buffer_of(sh->before_len);

	if (!base)
		return kvmreg_set_error(-ENOMEM, "out of memory");
	if (base == sh->before_base)
		return 0;
	for (size_t pos = 0; pos < sh->n; pos++)
		sh->before_vals[pos] = base + sh->before_offsets[pos];
	sh->before_base = base;
	sh->before_gen++;
	return 0;
}

/* The list shape of ids: cached, or made now. */
static struct kvmreg_shape *list_shape(struct kvmreg_vcpu *vcpu,
				       const uint64_t *ids, size_t n)
{
	struct kvmreg_shape *sh = kvmreg_shape_find(vcpu, KVMREG_SHAPE_LIST,
						    ids, sizeof(*ids), n, 0);

	if (sh)
		return sh;
	sh = kvmreg_shape_begin(KVMREG_SHAPE_LIST, ids, sizeof(*ids), n);
	if (!sh)
		return NULL;
	if (kvmreg_shape_add_segment(sh, vcpu, NULL, 0, n)) {
		shape_free(sh);
		return NULL;
	}
	return kvmreg_shape_finish(vcpu, sh) ? NULL : sh;
}

/*
 * The shape's per-call arrays, unless a call further up the stack is using
 * them: then arrays of our own, which *own says to free.
 */
static int shape_scratch(const struct kvmreg_shape *sh, uint8_t ***vals,
			 int **errs, void **own)
{
	*own = NULL;
	if (sh->users == 1) {
		*vals = sh->vals;
		*errs = sh->errs;
		return 0;
	}
	*own = malloc((sh->n + 1) * (sizeof(**vals) + sizeof(**errs)));
	if (!*own)
		return kvmreg_set_error(-ENOMEM, "out of memory");
	*vals = *own;
	*errs = (int *)(*vals + sh->n + 1);
	return 0;
}

/* One batch through the driver; how many of its registers failed. */
static size_t run_batch(struct kvmreg_vcpu *vcpu, struct kvmreg_shape *sh,
			size_t b, enum kvmreg_batch_mode mode, uint8_t *const *vals,
			int *errs)
{
	const struct kvmreg_group_ops *g = vcpu->driver->groups;
	struct kvmreg_batch_plan *bp = &sh->batch[b];
	size_t first = bp->first, count = bp[1].first - first;
	size_t failed = 0;
	struct kvmreg_batch_vals *last;
	uint64_t gen;
	int r, same;

	if (bp->key == 0) {
		errs[first] = mode == KVMREG_BATCH_GET ?
			kvmreg_one_reg_get(vcpu, sh->ids[first], vals[first]) :
			kvmreg_one_reg_set(vcpu, sh->ids[first], vals[first]);
		return errs[first] != 0;
	}
	if (g->batch) {
		/* The shape's own arrays say when their pointers change;
		 * anyone else's could have. */
		gen = vals == sh->vals ? sh->vals_gen :
		      vals == sh->before_vals ? sh->before_gen : 0;
		last = &bp->last[mode != KVMREG_BATCH_GET];
		same = gen && last->vals == vals && last->gen == gen;
		last->vals = vals;
		last->gen = gen;
		r = g->batch(vcpu, bp->key, mode, count, sh->ids + first,
			     vals + first, same, errs + first, &bp->memo);
		if (r >= 0)
			return (size_t)r;
	} else {
		r = mode == KVMREG_BATCH_GET ?
			g->get(vcpu, bp->key, count, sh->ids + first,
			       vals + first, errs + first) :
			g->set(vcpu, bp->key, count, sh->ids + first,
			       (const uint8_t *const *)(vals + first),
			       errs + first);
	}
	for (size_t i = first; i < first + count; i++) {
		if (r)
			errs[i] = r;
		failed += errs[i] != 0;
	}
	return failed;
}

size_t kvmreg_shape_read(struct kvmreg_vcpu *vcpu, struct kvmreg_shape *sh,
			 int reverse, uint8_t *const *vals, int *errs)
{
	size_t failed = 0;

	for (size_t k = 0; k < sh->batches; k++)
		failed += run_batch(vcpu, sh, reverse ? sh->batches - 1 - k : k,
				    KVMREG_BATCH_GET, vals, errs);
	return failed;
}

size_t kvmreg_shape_write(struct kvmreg_vcpu *vcpu, struct kvmreg_shape *sh,
			  size_t first_batch, size_t end_batch,
			  enum kvmreg_batch_mode mode,
			  const uint8_t *const *vals, int *errs)
{
	size_t failed = 0;

	/* The positions hold value pointers for both directions; writes
	 * only read through them. */
	for (size_t b = first_batch; b < end_batch; b++)
		failed += run_batch(vcpu, sh, b, mode, (uint8_t *const *)vals,
				    errs);
	return failed;
}

/* One register, without a plan: kvmreg_get, kvmreg_set, re-reads. */
static void access_one(struct kvmreg_vcpu *vcpu, int is_write, uint64_t id,
		       uint8_t *val, int *err)
{
	const struct kvmreg_group_ops *g = vcpu->driver->groups;
	uint32_t key = group_of(vcpu, id);
	int r;

	if (key == 0) {
		*err = is_write ? kvmreg_one_reg_set(vcpu, id, val) :
				  kvmreg_one_reg_get(vcpu, id, val);
		return;
	}
	r = is_write ? g->set(vcpu, key, 1, &id,
			      (const uint8_t *const[]){ val }, err) :
		       g->get(vcpu, key, 1, &id, (uint8_t *const[]){ val }, err);
	if (r)
		*err = r;
}

int kvmreg_read_values(struct kvmreg_vcpu *vcpu, const uint64_t *ids, size_t n,
		       uint8_t *const *vals, int *errs)
{
	struct kvmreg_shape *sh;
	uint8_t **pos_vals = NULL;
	int *pos_errs = NULL, err;
	void *own;

	if (n == 1) {
		access_one(vcpu, 0, ids[0], vals[0], &errs[0]);
		return 0;
	}
	sh = list_shape(vcpu, ids, n);
	if (!sh)
		return -ENOMEM;
	err = shape_scratch(sh, &pos_vals, &pos_errs, &own);
	if (!err) {
		sh->vals_base = NULL;
		sh->vals_gen++;
		for (size_t pos = 0; pos < n; pos++)
			pos_vals[pos] = vals[sh->order[pos]];
		kvmreg_shape_read(vcpu, sh, 0, pos_vals, pos_errs);
		for (size_t pos = 0; pos < n; pos++)
			errs[sh->order[pos]] = pos_errs[pos];
	}
	free(own);
	kvmreg_shape_release(sh);
	return err;
}

void kvmreg_forgive_refusals(struct kvmreg_vcpu *vcpu, const uint64_t *ids,
			     size_t n, const uint8_t *const *vals, int *errs)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t now[256];
		int rerr = 0;

		if (!errs[i])
			continue;
		access_one(vcpu, 0, ids[i], now, &rerr);
		if (!rerr && !memcmp(now, vals[i], kvmreg_size_of(ids[i])))
			errs[i] = 0;
	}
}

int kvmreg_write_values(struct kvmreg_vcpu *vcpu, const uint64_t *ids,
			size_t n, const uint8_t *const *vals, int *errs)
{
	struct kvmreg_shape *sh;
	uint8_t **pos_vals = NULL;
	int *pos_errs = NULL, err;
	void *own;

	if (n == 1) {
		access_one(vcpu, 1, ids[0], (uint8_t *)vals[0], &errs[0]);
	} else {
		sh = list_shape(vcpu, ids, n);
		if (!sh)
			return -ENOMEM;
		err = shape_scratch(sh, &pos_vals, &pos_errs, &own);
		if (!err) {
			sh->vals_base = NULL;
			sh->vals_gen++;
			for (size_t pos = 0; pos < n; pos++)
				pos_vals[pos] = (uint8_t *)vals[sh->order[pos]];
			kvmreg_shape_write(vcpu, sh, 0, sh->batches,
					   KVMREG_BATCH_SET,
					   (const uint8_t *const *)pos_vals,
					   pos_errs);
			for (size_t pos = 0; pos < n; pos++)
				errs[sh->order[pos]] = pos_errs[pos];
		}
		free(own);
		kvmreg_shape_release(sh);
		if (err)
			return err;
	}
	kvmreg_forgive_refusals(vcpu, ids, n, vals, errs);
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
	int err, reg_err = 0;

	KVMREG_NEED_ARG(vcpu, "vcpu");
	KVMREG_NEED_ARG(value, "value");
	err = kvmreg_id_check(vcpu->driver->arch, id);
	if (err)
		return err;
	err = kvmreg_read_values(vcpu, &id, 1, (uint8_t *const[]){ value },
				 &reg_err);
	return err ? err : first_error(&id, 1, &reg_err, "reading");
}

KVMREG_EXPORT int kvmreg_set(struct kvmreg_vcpu *vcpu, uint64_t id,
			     const void *value)
{
	int err, reg_err = 0;

	KVMREG_NEED_ARG(vcpu, "vcpu");
	KVMREG_NEED_ARG(value, "value");
	err = kvmreg_id_check(vcpu->driver->arch, id);
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
 * driver's unpacking. errs may be NULL. Returns 1 if it did not apply.
 */
static int read_repeat(struct kvmreg_vcpu *vcpu, const uint64_t *ids, size_t n,
		       struct kvmreg_state *state, int *errs)
{
	struct kvmreg_shape *sh;
	size_t failed;
	int err;

	if (kvmreg_state_count(state) != 0 || n < KVMREG_SHAPE_MIN_CACHED)
		return 1;
	sh = kvmreg_shape_find(vcpu, KVMREG_SHAPE_LIST, ids, sizeof(*ids), n, 0);
	if (!sh)
		return 1;
	/* Nested in another call on the shape: take the general path. */
	if (!sh->tmpl.block || sh->users > 1) {
		kvmreg_shape_release(sh);
		return 1;
	}
	err = kvmreg_state_apply_template(state, &sh->tmpl);
	if (err) {
		kvmreg_shape_release(sh);
		return err;
	}
	/* A state freed and made again often gets its data back where it
	 * was: then the value pointers are those of the last read. */
	if (sh->vals_base != state->data) {
		for (size_t pos = 0; pos < n; pos++)
			sh->vals[pos] = state->data + sh->value_offsets[pos];
		sh->vals_base = state->data;
		sh->vals_gen++;
	}
	failed = kvmreg_shape_read(vcpu, sh, 0, sh->vals, sh->errs);
	kvmreg_shape_release(sh);
	if (failed) {
		/* Rare: forget the layout, and let the general path keep
		 * just the registers that read. */
		kvmreg_state_clear(state);
		return 1;
	}
	if (errs)
		memset(errs, 0, n * sizeof(*errs));
	return 0;
}

/* After a read of ids into an empty state that took every one of them:
 * remember the state's layout for the next read of these ids. If that
 * fails, the next read takes the general path again. */
static void remember_layout(struct kvmreg_vcpu *vcpu, const uint64_t *ids,
			    size_t n, const struct kvmreg_state *state)
{
	struct kvmreg_shape *sh = kvmreg_shape_find(vcpu, KVMREG_SHAPE_LIST,
						    ids, sizeof(*ids), n, 0);

	if (!sh)
		return;
	if (!sh->tmpl.block) {
		if (!sh->value_offsets)
			sh->value_offsets = malloc((n + 1) *
						   sizeof(*sh->value_offsets));
		if (sh->value_offsets &&
		    !kvmreg_state_template_make(state, &sh->tmpl)) {
			/* entry i of the state is ids[i] */
			for (size_t pos = 0; pos < n; pos++)
				sh->value_offsets[pos] =
					state->entries[sh->order[pos]].offset;
			sh->layout = sh->tmpl.layout;
		}
	}
	kvmreg_shape_release(sh);
}

KVMREG_EXPORT int kvmreg_read(struct kvmreg_vcpu *vcpu, const uint64_t *ids,
			      size_t n, struct kvmreg_state *state, int *errs)
{
	uint8_t *buf = NULL, **vals = NULL;
	int *own_errs = NULL;
	size_t total = 0;
	int was_empty = kvmreg_state_count(state) == 0;
	int err;

	KVMREG_NEED_ARG(vcpu, "vcpu");
	KVMREG_NEED_ARG(ids || !n, "ids");
	KVMREG_NEED_ARG(state, "state");
	if (kvmreg_state_arch(state) != vcpu->driver->arch)
		return kvmreg_set_error(-EINVAL,
					"the state is %s, the vCPU %s: a state holds registers of one architecture",
					kvmreg_arch_name(kvmreg_state_arch(state)),
					vcpu->driver->name);
	err = read_repeat(vcpu, ids, n, state, errs);
	if (err <= 0)
		return err;
	if (!errs)
		errs = own_errs = malloc((n + 1) * sizeof(*errs));
	if (!errs)
		return kvmreg_set_error(-ENOMEM, "out of memory");
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
	    n >= KVMREG_SHAPE_MIN_CACHED)
		remember_layout(vcpu, ids, n, state);
out:
	free(own_errs);
	free(buf);
	free(vals);
	return err;
}

/* ids and values of a state, as arrays the write path takes. */
static int kvmreg_state_arrays(const struct kvmreg_state *state, uint64_t **ids,
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
		uint64_t id;

		kvmreg_state_at(state, i, &id, &v);
		if (!v) {
			char name[128];

			free(*ids);
			free(*vals);
			if (kvmreg_id_name(KVMREG_ARCH_NONE, id, KVMREG_NAME_SHORT,
					   name, sizeof(name)) < 0)
				name[0] = '\0';
			return kvmreg_set_error(-EINVAL,
						"register %s (0x%016" PRIx64 ") has no value: %s",
						name, id,
						/* no values at all: a capture */
						state->data_len == 0 ?
						"the state is a capture, a register list without values" :
						"a state to write has values for all its registers");
		}
		(*ids)[i] = id;
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

	KVMREG_NEED_ARG(vcpu, "vcpu");
	KVMREG_NEED_ARG(state, "state");
	if (kvmreg_state_arch(state) != vcpu->driver->arch)
		return kvmreg_set_error(-EINVAL,
					"the state is %s, the vCPU %s: a state is written to a vCPU of its architecture",
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
