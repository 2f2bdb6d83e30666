/* SPDX-License-Identifier: MIT */
/* The state's layout, for the core files that read or build one in bulk
 * (file format, JSON, diff); everyone else uses the public calls. */
#ifndef KVMREG_STATE_H
#define KVMREG_STATE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "kvmreg.h"

struct kvmreg_state_entry {
	uint64_t id;
	size_t offset;		/* into data; SIZE_MAX: no value (a capture) */
};

struct kvmreg_state {
	enum kvmreg_arch arch;
	uint32_t flags;
	char kernel[65];	/* struct utsname's release field size */
	struct kvmreg_state_entry *entries;
	size_t count;
	size_t entries_cap;
	uint8_t *data;
	size_t data_len;
	size_t data_cap;
	uint32_t *index;	/* open addressing: entry index + 1, 0 empty */
	size_t index_cap;	/* a power of two, at least twice count */
	/* A state that took a plan's layout (kvmreg_save) reads the layout's
	 * entries and index, which every state of that plan shares: the
	 * first change to either copies them (unshare, state.c). NULL: the
	 * state's own. */
	const struct kvmreg_state_layout *shared;
	/* A capture's allowed values and masks (docs/migration.md): two
	 * states with the same ids in the same order; NULL: none recorded. */
	struct kvmreg_state *allowed;
	struct kvmreg_state *allowed_mask;
};

/*
 * For the core's bulk paths, on ids already checked: add or replace id
 * with size bytes of value (NULL: no value). kvmreg_state_reserve makes
 * room for n more entries and bytes of values, so a batch allocates once.
 */
int kvmreg_state_put(struct kvmreg_state *state, uint64_t id,
		     const void *value, size_t size);
int kvmreg_state_reserve(struct kvmreg_state *state, size_t n, size_t bytes);

/*
 * A state's entries and index without values (plan.c keeps one per READ
 * plan). kvmreg_state_take_layout lends them to an empty state, which
 * holds a reference until it changes them or is freed: a save at each
 * checkpoint copies no per-register table, only the values it reads.
 */
struct kvmreg_state_layout {
	size_t count;
	struct kvmreg_state_entry *entries;
	uint32_t *index;
	size_t index_cap;
	size_t data_len;
	/* The structs of ioctls in the values (plan.h, batch image): a
	 * restore of a state that still shares this layout writes them as
	 * they are. */
	struct kvmreg_state_image {
		uint32_t group;		/* the driver's ioctl group */
		size_t offset;		/* into the values */
	} *images;
	size_t image_count;
	uint64_t ids_hash;	/* the plan cache's hash of the ids (plan.c) */
	_Atomic unsigned int refs;
};
/* The layout of ids (distinct, checked) with their values at offsets,
 * one reference held by the caller; -EEXIST if an id repeats. */
int kvmreg_state_layout_make(const uint64_t *ids, const size_t *offsets,
			     size_t n, size_t data_len,
			     struct kvmreg_state_layout **out);
void kvmreg_state_layout_put(const struct kvmreg_state_layout *layout);
/* state must be empty; its values are then uninitialized, in one
 * allocation. */
int kvmreg_state_take_layout(struct kvmreg_state *state,
			     const struct kvmreg_state_layout *layout);
/* Drop all entries and values of state, and their memory. */
void kvmreg_state_empty(struct kvmreg_state *state);

/* Whether the state has id, with or without a value. */
int kvmreg_state_has(const struct kvmreg_state *state, uint64_t id);

/* Give dst a copy of src's allowed values and masks (src/core/migrate.c). */
int kvmreg_allowed_copy(struct kvmreg_state *dst,
			const struct kvmreg_state *src);

/* Record into capture what the vCPU's host allows (the driver's
 * capture_allowed hook); nothing where the driver has none. */
int kvmreg_capture_allowed_values(struct kvmreg_vcpu *vcpu,
				  struct kvmreg_state *capture);

#endif /* KVMREG_STATE_H */
