/* SPDX-License-Identifier: MIT */
/* The access path below the public calls, shared with save/restore. */
#ifndef KVMREG_ACCESS_H
#define KVMREG_ACCESS_H

#include <stddef.h>
#include <stdint.h>

#include "kvmreg.h"

/* Batched reads and writes: errs[i] gets each register's 0 or -errno; the
 * return value is an error only when nothing could be attempted. */
int kvmreg_read_values(struct kvmreg_vcpu *vcpu, const uint64_t *ids, size_t n,
		       uint8_t *const *vals, int *errs);
int kvmreg_write_values(struct kvmreg_vcpu *vcpu, const uint64_t *ids,
			size_t n, const uint8_t *const *vals, int *errs);

/* Set kvmreg_error() to "<what> <name> (<id>): <strerror>"; returns err. */
int kvmreg_describe_failure(uint64_t id, int err, const char *what);

/* The ids and value pointers of a state with values; the caller frees both. */
int kvmreg_state_arrays(const struct kvmreg_state *state, uint64_t **ids,
			const uint8_t ***vals);

#endif /* KVMREG_ACCESS_H */
