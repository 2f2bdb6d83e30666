/* SPDX-License-Identifier: MIT */
/*
 * Plans: how to read or write one list of registers with the fewest vCPU
 * ioctls, worked out once.
 *
 * A plan depends on the arch driver and the ids in their order, nothing
 * else (the driver's memos depend only on what the process's kernel
 * offers), so the process keeps one per list, read-only once made, and
 * every handle and thread that reads or restores that list runs the same
 * plan: a new vCPU's first restore of a list the process knows plans
 * nothing. Running one is a straight loop over its batches
 * (kvmreg_plan_run); what a call changes -- value pointers, errors --
 * is the caller's.
 *
 * Positions are the plan's own order: batch after batch, each batch's ids
 * contiguous. A READ or WRITE plan batches the ids by ioctl group (groups in the
 * order of their first id, plain ONE_REG ids one per batch; a READ plan
 * groups by the driver's read_group_of where it has one). A RESTORE
 * plan first puts them in the driver's dependency order, then batches
 * each segment: a rank, or ranks one in-order ioctl keeps in order.
 */
#ifndef KVMREG_PLAN_H
#define KVMREG_PLAN_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/arch.h"
#include "kvmreg.h"
#include "state.h"

enum kvmreg_plan_kind {
	KVMREG_PLAN_READ,	/* kvmreg_read, kvmreg_save: groups for reading */
	KVMREG_PLAN_WRITE,	/* kvmreg_write, kvmreg_set of several */
	KVMREG_PLAN_RESTORE,	/* kvmreg_restore(_fresh): dependency order */
};

struct kvmreg_plan_batch {
	size_t first;		/* first position; batch[batches].first = n */
	uint32_t group;		/* ioctl group; 0: one ONE_REG id */
	void *memo;		/* the driver's (group_ops.prepare) */
	/* READ plan: where the struct the batch's ioctl takes starts in a
	 * state of the plan's layout, its values at their places in it
	 * (group_ops.image_layout); NO_IMAGE: the values are packed. */
	size_t image;
};

#define KVMREG_PLAN_NO_IMAGE SIZE_MAX

struct kvmreg_plan {
	enum kvmreg_plan_kind kind;
	const struct kvmreg_arch_driver *driver;
	size_t n;
	uint64_t *key;		/* the ids, in the caller's order */
	size_t *order;		/* position -> index into key */
	uint64_t *ids;		/* by position */
	struct kvmreg_plan_batch *batch;
	size_t batches;
	size_t *segment_end;	/* segment -> the batch after it */
	size_t segments;
	size_t *step;		/* RESTORE: position -> index in restore order */
	/* The widest change a write of these ids makes to the register list
	 * (arch driver's list_changed_by). */
	int list_change;
	/* Values by position: offset[pos] into value_bytes. Packed, each
	 * batch's values contiguous, as the driver copies them fastest; a
	 * READ plan's batch with an image has them where the kernel's struct
	 * has them instead. A READ plan's state layout puts them there; a
	 * RESTORE plan reads the rollback values there. */
	size_t *offset;
	size_t value_bytes;
	/* READ plan of distinct ids: the layout of a state of them, entries
	 * in key order, lent to every state a save makes (kvmreg_save,
	 * kvmreg_read into an empty state). NULL: none (an id repeats). */
	struct kvmreg_state_layout *layout;
	/* RESTORE plan: the first layout (of a READ plan of the same ids in
	 * the same order, which a restore checked once) whose states it
	 * restores, taken once and held: a state that shares it is known to
	 * be of this plan's ids without comparing them, and its structs are
	 * written as they are (restore.c). */
	_Atomic(const struct kvmreg_state_layout *) restores_layout;
	/* The process's cache (plan.c). */
	uint64_t hash;
	_Atomic unsigned int refs;
};

/*
 * The plan of kind for the n ids at ids (stride bytes apart: a state's
 * entries hold one id each): the process's, or made now and kept if worth
 * it. The caller holds a reference (kvmreg_plan_put). NULL after
 * kvmreg_set_error(). vcpu is the one the driver's memos are made for.
 */
struct kvmreg_plan *kvmreg_plan_get(struct kvmreg_vcpu *vcpu,
				    enum kvmreg_plan_kind kind,
				    const void *ids, size_t stride, size_t n);
void kvmreg_plan_put(struct kvmreg_plan *plan);
/*
 * The same, trying first the plan the handle used last for this kind of
 * call (*last, a reference the handle holds and this call replaces): a
 * handle that reads or restores one list again skips even the lookup.
 * *hit says whether *last was it.
 */
struct kvmreg_plan *kvmreg_plan_again(struct kvmreg_vcpu *vcpu,
				      struct kvmreg_plan **last,
				      enum kvmreg_plan_kind kind,
				      const void *ids, size_t stride, size_t n,
				      int *hit);

/*
 * For a caller that compares every id with the plan's key as it walks them
 * anyway (a restore, taking the state's values): the same, but a plan of
 * n ids with the same hash (32 of them, ids_hash) is taken without
 * comparing all ids first. The caller must compare them -- plan->ids[pos]
 * is ids[plan->order[pos]] -- and on any difference put the plan and take
 * kvmreg_plan_again(), which compares. known_hash: that hash, where the
 * caller has it (a state's layout does), else NULL.
 */
struct kvmreg_plan *kvmreg_plan_likely(struct kvmreg_vcpu *vcpu,
				       struct kvmreg_plan **last,
				       enum kvmreg_plan_kind kind,
				       const void *ids, size_t stride, size_t n,
				       const uint64_t *known_hash);

/*
 * Run batches [first, end) in mode (reverse: last first), values by
 * position. errs[pos] gets each register's 0 or -errno. Returns how many
 * failed. A write tells the handle if its ids may have changed the list.
 */
size_t kvmreg_plan_run(struct kvmreg_vcpu *vcpu,
		       const struct kvmreg_plan *plan, size_t first,
		       size_t end, enum kvmreg_batch_mode mode, int reverse,
		       uint8_t *const *vals, int *errs);

/*
 * batch ONE_REG hook (one_reg_batch.c): the last segment a restore writes
 * together with segment seg (which starts at batch first_batch). The batch
 * applies its entries in order, so consecutive restore ranks of plain
 * ONE_REG ids keep their order in one call; seg itself where the handle
 * does not batch or seg has another group.
 */
size_t kvmreg_plan_one_reg_segments(const struct kvmreg_vcpu *vcpu,
				    const struct kvmreg_plan *p,
				    size_t first_batch, size_t seg);

/*
 * A READ plan's read into the values of a state of its layout at base:
 * each batch with an image straight into it (group_ops.image_io), the
 * others as kvmreg_plan_run does, with vals (by position) pointed at
 * base for them alone; reverse: last batch first. errs[pos] is set for
 * the latter only. Returns how many registers failed, as kvmreg_plan_run.
 */
size_t kvmreg_plan_read_into(struct kvmreg_vcpu *vcpu,
			     const struct kvmreg_plan *plan, uint8_t *base,
			     int reverse, uint8_t **vals, int *errs);
/* The process's READ plan whose layout is layout (a state's), with a
 * reference; NULL if it is no longer cached. */
struct kvmreg_plan *kvmreg_plan_of_layout(struct kvmreg_vcpu *vcpu,
					  const struct kvmreg_state_layout *layout);

/* Value pointers by position for a state of the plan's layout. */
static inline void kvmreg_plan_point(const struct kvmreg_plan *plan,
				     uint8_t *base, uint8_t **vals)
{
	const size_t *offset = plan->offset;
	size_t n = plan->n;

	/* Once per register of every save: unrolled, it is 3 instructions
	 * a register instead of 6. */
#pragma GCC unroll 4
	for (size_t pos = 0; pos < n; pos++)
		vals[pos] = base + offset[pos];
}

/* vals and errs for one call on plan, in one allocation (free()). */
int kvmreg_plan_call_arrays(const struct kvmreg_plan *plan, uint8_t ***vals,
			    int **errs);

#endif /* KVMREG_PLAN_H */
