/* SPDX-License-Identifier: MIT */
/* The access path below the public calls, shared with save/restore. */
#ifndef KVMREG_ACCESS_H
#define KVMREG_ACCESS_H

#include <stddef.h>
#include <stdint.h>

#include "arch/arch.h"
#include "kvmreg.h"
#include "state.h"

/* Batched reads and writes: errs[i] gets each register's 0 or -errno; the
 * return value is an error only when nothing could be attempted. */
int kvmreg_read_values(struct kvmreg_vcpu *vcpu, const uint64_t *ids, size_t n,
		       uint8_t *const *vals, int *errs);
int kvmreg_write_values(struct kvmreg_vcpu *vcpu, const uint64_t *ids,
			size_t n, const uint8_t *const *vals, int *errs);

/*
 * The batch an id goes in: its driver group, else, where the kernel has
 * the batch ONE_REG ioctl, the one batch of every plain ONE_REG id
 * (one_reg_batch.h), else 0 (an ioctl of its own).
 */
uint32_t kvmreg_batch_key(const struct kvmreg_vcpu *vcpu, uint64_t id);
/* Whether the batch of key writes its registers in the order given, so
 * registers of successive restore ranks may share it. */
int kvmreg_batch_in_order(const struct kvmreg_vcpu *vcpu, uint32_t key);

/* Set kvmreg_error() to "<what> <name> (<id>): <strerror>"; returns err. */
int kvmreg_describe_failure(uint64_t id, int err, const char *what);


/*
 * A shape orders a list of ids into batches: each ioctl group's ids
 * together, groups in the order of their first id, plain ONE_REG ids
 * alone. A restore shape does that per segment of the restore order (ranks
 * that are written together), segment after segment. A shape depends only
 * on the ids, so the vCPU handle keeps the last few (KVMREG_SHAPE_CACHE):
 * a VMM that reads or restores the same list again (every checkpoint)
 * skips the planning, the id checks and the allocations, and the batch
 * costs little more than its ioctls.
 *
 * "Position" below is an index into the shape's own order: batch after
 * batch, each batch's ids contiguous.
 */
enum kvmreg_shape_kind {
	KVMREG_SHAPE_LIST,	/* kvmreg_read, kvmreg_write: one segment */
	KVMREG_SHAPE_RESTORE,	/* kvmreg_restore: a state, in restore order */
};

struct kvmreg_shape {
	enum kvmreg_shape_kind kind;
	uint64_t *key;		/* the ids it was made for, in the caller's order */
	size_t n;
	size_t *order;		/* position -> index into key */
	uint64_t *ids;		/* by position */
	/* By batch, in one array: what running a batch reads, together. */
	struct kvmreg_batch_plan {
		size_t first;	/* first position; [batches].first = n */
		uint32_t key;	/* group key; 0: one ONE_REG id */
		void *memo;	/* the driver's (group_ops.batch) */
		/* by direction (get, set): the value pointers it was last
		 * given, so the driver can be told they are the same */
		struct kvmreg_batch_vals {
			const void *vals;
			uint64_t gen;
		} last[2];
	} *batch;
	size_t batches;
	size_t *segment_ends;	/* segment -> its end batch */
	size_t segments;
	size_t *step;		/* restore: position -> index in restore order */
	size_t filled;		/* positions placed so far, while building */
	/* Per call, by position; reused, so a repeat allocates nothing.
	 * vals_gen counts the times vals was filled anew. */
	uint8_t **vals;
	uint64_t vals_gen;
	int *errs;
	/* Restore: the values before the first write, for the rollback, in
	 * this thread's buffer (kvmreg_shape_bind_before): before_vals point
	 * at before_base + before_offsets. before_gen counts rebindings. */
	size_t *before_offsets;
	size_t before_len;
	uint8_t *before_base;
	uint64_t before_gen;
	uint8_t **before_vals;
	int *before_errs;
	/* Where each position's value is in a state of this layout
	 * (kvmreg_state.layout), and the state data vals were last set from. */
	uint64_t layout;
	size_t *value_offsets;
	uint8_t *vals_base;
	/* kvmreg_read into an empty state: the layout to stamp on it. */
	struct kvmreg_state_template tmpl;
	unsigned int users;	/* calls running on it; never evicted then */
	int cached;		/* in the handle's cache */
};

/*
 * The handle's shape of kind for n ids, found in its cache; ids are read
 * with stride bytes between them (a state's entries hold one id each).
 * layout: the state's, if nonzero a shape made for that layout is known
 * without comparing ids. NULL if none. A shape returned by find or finish
 * is the caller's until kvmreg_shape_release.
 */
struct kvmreg_shape *kvmreg_shape_find(struct kvmreg_vcpu *vcpu,
				       enum kvmreg_shape_kind kind,
				       const void *ids, size_t stride,
				       size_t n, uint64_t layout);
/* A new, empty shape for n ids (read with stride, as above). */
struct kvmreg_shape *kvmreg_shape_begin(enum kvmreg_shape_kind kind,
					const void *ids, size_t stride,
					size_t n);
/*
 * Place key[idx[from..to)] (idx NULL: key[from..to)) as the next segment,
 * batched. A restore shape's step of each is its index in idx.
 */
int kvmreg_shape_add_segment(struct kvmreg_shape *sh,
			     const struct kvmreg_vcpu *vcpu, const size_t *idx,
			     size_t from, size_t to);
/* Done adding: put it in the handle's cache (if worth it). On failure the
 * shape is freed. */
int kvmreg_shape_finish(struct kvmreg_vcpu *vcpu, struct kvmreg_shape *sh);
void kvmreg_shape_release(struct kvmreg_shape *sh);

/* Point sh->before_vals into this thread's buffer for a rollback read. */
int kvmreg_shape_bind_before(struct kvmreg_shape *sh);

/* Read every batch (reverse: last batch first) into vals, by position.
 * Returns how many registers failed. */
size_t kvmreg_shape_read(struct kvmreg_vcpu *vcpu, struct kvmreg_shape *sh,
			 int reverse, uint8_t *const *vals, int *errs);
/* Write batches [first, end) from vals, by position (mode: a set or a
 * restore's). Returns how many registers failed. */
size_t kvmreg_shape_write(struct kvmreg_vcpu *vcpu, struct kvmreg_shape *sh,
			  size_t first, size_t end,
			  enum kvmreg_batch_mode mode,
			  const uint8_t *const *vals, int *errs);
/*
 * A register the kernel refuses to take at the value it already holds (x86
 * MSR_KVM_ASYNC_PF_INT in a VM without an in-kernel LAPIC; LoongArch's
 * set-once CPUID CSR) is in the wanted state: clear errs[i] of such ids.
 * Only failed writes pay for the extra read.
 */
void kvmreg_forgive_refusals(struct kvmreg_vcpu *vcpu, const uint64_t *ids,
			     size_t n, const uint8_t *const *vals, int *errs);

#endif /* KVMREG_ACCESS_H */
