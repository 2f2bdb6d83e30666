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

/* Whether the state has id, with or without a value. */
int kvmreg_state_has(const struct kvmreg_state *state, uint64_t id);

#endif /* KVMREG_STATE_H */
