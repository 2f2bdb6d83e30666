// SPDX-License-Identifier: MIT
/* A state: registers (id, size, value) in insertion order, with an id index
 * so lookups stay O(1) for states of thousands of registers. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "state.h"

#define NO_VALUE SIZE_MAX

static size_t hash_id(uint64_t id, size_t mask)
{
	id ^= id >> 33;
	id *= 0xff51afd7ed558ccdULL;
	id ^= id >> 33;
	return (size_t)id & mask;
}

KVMREG_EXPORT struct kvmreg_state *kvmreg_state_new(enum kvmreg_arch arch)
{
	struct kvmreg_state *s;

	if (arch <= KVMREG_ARCH_NONE || arch >= KVMREG_ARCH_COUNT) {
		kvmreg_set_error(-EINVAL, "kvmreg_state_new: %d is no architecture",
				 (int)arch);
		errno = EINVAL;
		return NULL;
	}
	/* Not calloc: glibc's calloc skips the per-thread cache, and a VMM
	 * makes a state per vCPU per checkpoint. */
	s = malloc(sizeof(*s));
	if (!s) {
		kvmreg_set_error(-ENOMEM, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	memset(s, 0, sizeof(*s));
	s->arch = arch;
	return s;
}

/*
 * A state that shares its layout's entries and index gets copies of its
 * own before it changes either; the layout stays as the plan made it.
 */
static int unshare(struct kvmreg_state *s)
{
	const struct kvmreg_state_layout *l = s->shared;
	struct kvmreg_state_entry *entries;
	uint32_t *index;

	if (!l)
		return 0;
	entries = malloc((l->count + 1) * sizeof(*entries));
	index = malloc(l->index_cap * sizeof(*index));
	if (!entries || !index) {
		free(entries);
		free(index);
		return kvmreg_set_error(-ENOMEM, "out of memory");
	}
	memcpy(entries, l->entries, l->count * sizeof(*entries));
	memcpy(index, l->index, l->index_cap * sizeof(*index));
	s->entries = entries;
	s->entries_cap = l->count + 1;
	s->index = index;
	s->shared = NULL;
	kvmreg_state_layout_put(l);
	return 0;
}

void kvmreg_state_empty(struct kvmreg_state *s)
{
	if (s->shared) {
		kvmreg_state_layout_put(s->shared);
		s->shared = NULL;
		s->entries = NULL;
		s->index = NULL;
	}
	free(s->entries);
	free(s->index);
	free(s->data);
	s->entries = NULL;
	s->index = NULL;
	s->data = NULL;
	s->count = s->entries_cap = s->index_cap = 0;
	s->data_len = s->data_cap = 0;
}

KVMREG_EXPORT void kvmreg_state_free(struct kvmreg_state *s)
{
	if (!s)
		return;
	kvmreg_state_empty(s);
	kvmreg_state_free(s->allowed);
	kvmreg_state_free(s->allowed_mask);
	free(s);
}

/* Index slot holding id, or the empty slot where it would go. */
static uint32_t *index_slot(const struct kvmreg_state *s, uint64_t id)
{
	size_t mask = s->index_cap - 1;

	for (size_t i = hash_id(id, mask);; i = (i + 1) & mask) {
		uint32_t *slot = &s->index[i];

		if (!*slot || s->entries[*slot - 1].id == id)
			return slot;
	}
}

static int grow_index(struct kvmreg_state *s)
{
	size_t cap = s->index_cap ? s->index_cap * 2 : 64;
	uint32_t *old = s->index;

	s->index = calloc(cap, sizeof(*s->index));
	if (!s->index) {
		s->index = old;
		return kvmreg_set_error(-ENOMEM, "out of memory");
	}
	free(old);
	s->index_cap = cap;
	for (size_t i = 0; i < s->count; i++)
		*index_slot(s, s->entries[i].id) = (uint32_t)(i + 1);
	return 0;
}

static int reserve_data(struct kvmreg_state *s, size_t more)
{
	size_t cap = s->data_cap ? s->data_cap : 1024;
	uint8_t *data;

	if (s->data_len + more <= s->data_cap)
		return 0;
	while (cap < s->data_len + more)
		cap *= 2;
	data = realloc(s->data, cap);
	if (!data)
		return kvmreg_set_error(-ENOMEM, "out of memory");
	s->data = data;
	s->data_cap = cap;
	return 0;
}

static int reserve_entries(struct kvmreg_state *s, size_t more)
{
	size_t cap;
	void *p;

	if (s->count + more <= s->entries_cap)
		return 0;
	/* the index numbers entries in 32 bits */
	if (more >= UINT32_MAX - s->count)
		return kvmreg_set_error(-E2BIG, "a state holds fewer than %" PRIu32 " registers",
					UINT32_MAX);
	cap = s->entries_cap ? s->entries_cap : 64;
	while (cap < s->count + more)
		cap *= 2;
	p = realloc(s->entries, cap * sizeof(*s->entries));
	if (!p)
		return kvmreg_set_error(-ENOMEM, "out of memory");
	s->entries = p;
	s->entries_cap = cap;
	return 0;
}

int kvmreg_state_reserve(struct kvmreg_state *s, size_t n, size_t bytes)
{
	int err = unshare(s);

	if (!err)
		err = reserve_entries(s, n);

	if (!err)
		err = reserve_data(s, bytes);
	while (!err && (s->count + n) * 2 > s->index_cap)
		err = grow_index(s);
	return err;
}

int kvmreg_state_put(struct kvmreg_state *s, uint64_t id, const void *value,
		     size_t size)
{
	struct kvmreg_state_entry *e;
	uint32_t *slot;
	int err = unshare(s);

	if (err)
		return err;
	if ((s->count + 1) * 2 > s->index_cap) {
		err = grow_index(s);
		if (err)
			return err;
	}
	slot = index_slot(s, id);
	if (*slot) {
		e = &s->entries[*slot - 1];
		if (value && e->offset != NO_VALUE) {
			memcpy(s->data + e->offset, value, size);
			return 0;
		}
		if (!value && e->offset == NO_VALUE)
			return 0;
	} else {
		err = reserve_entries(s, 1);
		if (err)
			return err;
		slot = index_slot(s, id);
		e = &s->entries[s->count];
		e->id = id;
		e->offset = NO_VALUE;
		*slot = (uint32_t)++s->count;
	}
	if (!value) {
		e->offset = NO_VALUE;
		return 0;
	}
	if (e->offset == NO_VALUE) {
		err = reserve_data(s, size);
		if (err)
			return err;
		e->offset = s->data_len;
		s->data_len += size;
	}
	memcpy(s->data + e->offset, value, size);
	return 0;
}

KVMREG_EXPORT int kvmreg_state_set(struct kvmreg_state *s, uint64_t id,
				   const void *value, size_t size)
{
	int err;

	KVMREG_NEED_ARG(s, "state");
	err = kvmreg_id_check(s->arch, id);
	if (err)
		return err;
	if (size != kvmreg_size_of(id))
		return kvmreg_set_error(-EINVAL,
					"register 0x%016" PRIx64 " holds %zu bytes, not %zu",
					id, kvmreg_size_of(id), size);
	return kvmreg_state_put(s, id, value, size);
}

KVMREG_EXPORT const void *kvmreg_state_get(const struct kvmreg_state *s,
					   uint64_t id)
{
	const uint32_t *slot;
	const struct kvmreg_state_entry *e;

	if (!s || !s->count)
		return NULL;
	slot = index_slot(s, id);
	if (!*slot)
		return NULL;
	e = &s->entries[*slot - 1];
	return e->offset == NO_VALUE ? NULL : s->data + e->offset;
}

int kvmreg_state_has(const struct kvmreg_state *s, uint64_t id)
{
	return s && s->count && *index_slot(s, id) != 0;
}

KVMREG_EXPORT int kvmreg_state_at(const struct kvmreg_state *s, size_t i,
				  uint64_t *id, const void **value)
{
	const struct kvmreg_state_entry *e;

	KVMREG_NEED_ARG(s, "state");
	if (i >= s->count)
		return kvmreg_set_error(-ERANGE, "entry %zu of a state of %zu",
					i, s->count);
	e = &s->entries[i];
	if (id)
		*id = e->id;
	if (value)
		*value = e->offset == NO_VALUE ? NULL : s->data + e->offset;
	return 0;
}

KVMREG_EXPORT size_t kvmreg_state_count(const struct kvmreg_state *s)
{
	return s ? s->count : 0;
}

KVMREG_EXPORT enum kvmreg_arch kvmreg_state_arch(const struct kvmreg_state *s)
{
	return s ? s->arch : KVMREG_ARCH_NONE;
}

KVMREG_EXPORT const char *kvmreg_state_kernel(const struct kvmreg_state *s)
{
	return s ? s->kernel : "";
}

int kvmreg_kernel_release_check(const char *release, size_t len)
{
	if (len > KVMREG_KERNEL_RELEASE_MAX)
		return kvmreg_set_error(-EINVAL,
					"kernel release of %zu bytes: at most %d are kept",
					len, KVMREG_KERNEL_RELEASE_MAX);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)release[i];

		if (c < 0x20 || c > 0x7e)
			return kvmreg_set_error(-EINVAL,
						"kernel release has byte 0x%02x at offset %zu: only printable ASCII (0x20-0x7e) is kept",
						c, i);
	}
	return 0;
}

KVMREG_EXPORT int kvmreg_state_set_kernel(struct kvmreg_state *s,
					  const char *release)
{
	size_t n;
	int err;

	KVMREG_NEED_ARG(s, "state");
	KVMREG_NEED_ARG(release, "release");
	/* Bounded: a release without a NUL in reach is too long anyway. */
	n = strnlen(release, KVMREG_KERNEL_RELEASE_MAX + 1);
	err = kvmreg_kernel_release_check(release, n);
	if (err)
		return kvmreg_wrap_error(err, "kvmreg_state_set_kernel");
	memcpy(s->kernel, release, n);
	s->kernel[n] = '\0';
	return 0;
}

KVMREG_EXPORT struct kvmreg_state *kvmreg_state_dup(const struct kvmreg_state *s)
{
	struct kvmreg_state *copy;
	uint64_t id;
	const void *value;

	if (!s) {
		kvmreg_null_argument(__func__, "state");
		errno = EINVAL;
		return NULL;
	}
	copy = kvmreg_state_new(s->arch);
	if (!copy)
		return NULL;
	memcpy(copy->kernel, s->kernel, sizeof(copy->kernel));
	copy->flags = s->flags;
	for (size_t i = 0; i < s->count; i++) {
		kvmreg_state_at(s, i, &id, &value);
		if (kvmreg_state_set(copy, id, value, kvmreg_id_size(id))) {
			kvmreg_state_free(copy);
			errno = ENOMEM;	/* the entries were valid in s */
			return NULL;
		}
	}
	if (kvmreg_allowed_copy(copy, s)) {
		kvmreg_state_free(copy);
		return NULL;
	}
	return copy;
}

int kvmreg_state_layout_make(const uint64_t *ids, const size_t *offsets,
			     size_t n, size_t data_len,
			     struct kvmreg_state_layout **layout)
{
	struct kvmreg_state_layout *out = calloc(1, sizeof(*out));
	struct kvmreg_state s;
	int err;

	*layout = NULL;
	if (!out)
		return kvmreg_set_error(-ENOMEM, "out of memory");
	memset(&s, 0, sizeof(s));
	err = reserve_entries(&s, n + 1);
	while (!err && (n + 1) * 2 > s.index_cap)
		err = grow_index(&s);
	for (size_t i = 0; !err && i < n; i++) {
		uint32_t *slot = index_slot(&s, ids[i]);

		if (*slot) {
			err = -EEXIST;
			break;
		}
		s.entries[s.count] = (struct kvmreg_state_entry){ ids[i],
								  offsets[i] };
		*slot = (uint32_t)++s.count;
	}
	if (err) {
		free(s.entries);
		free(s.index);
		free(out);
		return err;
	}
	atomic_init(&out->refs, 1);
	*layout = out;
	out->count = n;
	out->entries = s.entries;
	out->index = s.index;
	out->index_cap = s.index_cap;
	out->data_len = data_len;
	return 0;
}

void kvmreg_state_layout_put(const struct kvmreg_state_layout *layout)
{
	struct kvmreg_state_layout *l = (struct kvmreg_state_layout *)layout;

	if (!l || atomic_fetch_sub(&l->refs, 1) != 1)
		return;
	free(l->entries);
	free(l->index);
	free(l->images);
	free(l);
}

int kvmreg_state_take_layout(struct kvmreg_state *s,
			     const struct kvmreg_state_layout *layout)
{
	struct kvmreg_state_layout *l = (struct kvmreg_state_layout *)layout;
	uint8_t *data = malloc(l->data_len + 1);

	if (!data)
		return kvmreg_set_error(-ENOMEM, "out of memory");
	kvmreg_state_empty(s);
	atomic_fetch_add(&l->refs, 1);
	s->shared = l;
	s->entries = l->entries;
	s->index = l->index;
	s->data = data;
	s->entries_cap = l->count;
	s->count = l->count;
	s->index_cap = l->index_cap;
	s->data_len = l->data_len;
	s->data_cap = l->data_len + 1;
	return 0;
}
/* A capture's allowed values (docs/migration.md): two states beside it. */

int kvmreg_allowed_copy(struct kvmreg_state *dst,
			const struct kvmreg_state *src)
{
	if (!src->allowed)
		return 0;
	dst->allowed = kvmreg_state_dup(src->allowed);
	dst->allowed_mask = kvmreg_state_dup(src->allowed_mask);
	if (!dst->allowed || !dst->allowed_mask)
		return kvmreg_set_error(-ENOMEM, "out of memory");
	return 0;
}

KVMREG_EXPORT int kvmreg_state_allowed(const struct kvmreg_state *state,
				       uint64_t id, const void **value,
				       const void **mask)
{
	const void *v;

	KVMREG_NEED_ARG(state, "state");
	v = state->allowed ? kvmreg_state_get(state->allowed, id) : NULL;
	if (!v)
		return -ENOENT;
	if (value)
		*value = v;
	if (mask)
		*mask = kvmreg_state_get(state->allowed_mask, id);
	return 0;
}

KVMREG_EXPORT int kvmreg_state_set_allowed(struct kvmreg_state *state,
					   uint64_t id, const void *value,
					   const void *mask, size_t size)
{
	int err;

	KVMREG_NEED_ARG(state, "state");
	if (!value || !mask)
		return kvmreg_set_error(-EINVAL,
					"an allowed value needs both a value and a mask");
	err = kvmreg_id_check(state->arch, id);
	if (err)
		return err;
	if (size != kvmreg_id_size(id))
		return kvmreg_set_error(-EINVAL,
					"register 0x%016" PRIx64 " holds %zu bytes, not %zu",
					id, kvmreg_id_size(id), size);
	if (!state->allowed) {
		state->allowed = kvmreg_state_new(state->arch);
		state->allowed_mask = kvmreg_state_new(state->arch);
		if (!state->allowed || !state->allowed_mask) {
			kvmreg_state_free(state->allowed);
			kvmreg_state_free(state->allowed_mask);
			state->allowed = state->allowed_mask = NULL;
			return kvmreg_set_error(-ENOMEM, "out of memory");
		}
	}
	err = kvmreg_state_set(state->allowed, id, value, size);
	if (!err)
		err = kvmreg_state_set(state->allowed_mask, id, mask, size);
	return err;
}

KVMREG_EXPORT size_t kvmreg_state_allowed_count(const struct kvmreg_state *state)
{
	return state && state->allowed ? state->allowed->count : 0;
}
