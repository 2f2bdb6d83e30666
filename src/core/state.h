/* SPDX-License-Identifier: MIT */
/* The state's layout, for the core files that read or build one in bulk
 * (file format, JSON, diff); everyone else uses the public calls. */
#ifndef KVMREG_STATE_H
#define KVMREG_STATE_H

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
	size_t *index;		/* open addressing: entry index + 1, 0 empty */
	size_t index_cap;	/* a power of two, at least twice count */
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
 * A state's entries and index without values (plan.c keeps one per list
 * plan): kvmreg_state_take_layout gives an empty state copies of them, so
 * a save fills a state in one step and the state owns all it has.
 */
struct kvmreg_state_layout {
	size_t count;
	struct kvmreg_state_entry *entries;
	size_t *index;
	size_t index_cap;
	size_t data_len;
};
/* The layout of ids (distinct, checked) with their values at offsets;
 * -EEXIST if an id repeats. */
int kvmreg_state_layout_make(const uint64_t *ids, const size_t *offsets,
			     size_t n, size_t data_len,
			     struct kvmreg_state_layout *out);
void kvmreg_state_layout_free(struct kvmreg_state_layout *layout);
/* state must be empty; its values are then uninitialized. */
int kvmreg_state_take_layout(struct kvmreg_state *state,
			     const struct kvmreg_state_layout *layout);

/* Whether the state has id, with or without a value. */
int kvmreg_state_has(const struct kvmreg_state *state, uint64_t id);

#endif /* KVMREG_STATE_H */
