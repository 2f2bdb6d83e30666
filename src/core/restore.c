// SPDX-License-Identifier: MIT
/*
 * Save and restore. Restore writes in the arch driver's dependency order
 * (a stable sort by rank, so the state's own order holds inside a rank),
 * one rank at a time, and undoes everything on the first failure: the
 * rollback is a read of the same registers taken before the first write.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "arch/arch.h"
#include "internal.h"
#include "restore.h"
#include "state.h"

static size_t fault_at = SIZE_MAX;

void kvmreg_restore_inject_fault(size_t position)
{
	fault_at = position;
}

KVMREG_EXPORT int kvmreg_save(struct kvmreg_vcpu *vcpu,
			      struct kvmreg_state **out)
{
	struct kvmreg_list *list;
	struct kvmreg_state *state;
	uint64_t *ids;
	int err;

	KVMREG_NEED_ARG(vcpu, "vcpu");
	KVMREG_NEED_ARG(out, "out");
	err = kvmreg_list_get(vcpu, 0, &list);
	if (err)
		return err;
	state = kvmreg_state_new(vcpu->driver->arch);
	ids = malloc((list->count + 1) * sizeof(*ids));
	if (!state || !ids) {
		err = kvmreg_set_error(-ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < list->count; i++)
		ids[i] = list->regs[i].id;
	err = kvmreg_state_set_kernel(state, kvmreg_host_kernel_release());
	if (!err)
		err = kvmreg_read(vcpu, ids, list->count, state, NULL);
	if (err) {
		kvmreg_wrap_error(err, "saving the vCPU");
		goto out;
	}
	*out = state;
	state = NULL;
out:
	kvmreg_state_free(state);
	free(ids);
	kvmreg_list_free(list);
	return err;
}

struct ranked {
	int rank;
	size_t index;
};

static int by_rank(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;

	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* Positions of state's entries in restore order, with their ranks. */
static int restore_plan(const struct kvmreg_state *state, struct ranked **out)
{
	const struct kvmreg_arch_driver *d =
		kvmreg_driver(kvmreg_state_arch(state));
	size_t n = kvmreg_state_count(state);
	struct ranked *r;

	if (!d)
		return kvmreg_set_error(-EINVAL, "the state has no architecture");
	r = malloc((n + 1) * sizeof(*r));
	if (!r)
		return kvmreg_set_error(-ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		r[i].rank = d->restore_rank ?
			    d->restore_rank(state->entries[i].id) : 0;
		r[i].index = i;
	}
	qsort(r, n, sizeof(*r), by_rank);
	*out = r;
	return 0;
}

KVMREG_EXPORT int kvmreg_restore_order(const struct kvmreg_state *state,
				       uint64_t *ids)
{
	struct ranked *r;
	int err;

	KVMREG_NEED_ARG(state, "state");
	KVMREG_NEED_ARG(ids || !kvmreg_state_count(state), "ids");
	err = restore_plan(state, &r);
	if (err)
		return err;
	for (size_t i = 0; i < kvmreg_state_count(state); i++)
		kvmreg_state_at(state, r[i].index, &ids[i], NULL);
	free(r);
	return 0;
}

/*
 * The end of the batch that starts at start: its rank, and the ranks after
 * it too while every register of the batch is in one group whose ioctl
 * applies registers in the order given (x86 KVM_SET_MSRS): then one call
 * keeps the order that separate ranks would (IA32_TSC before
 * IA32_TSC_DEADLINE) for one ioctl instead of several.
 */
static size_t rank_segment_end(const struct kvmreg_vcpu *vcpu,
			       const uint64_t *ids, const struct ranked *plan,
			       size_t start, size_t n)
{
	const struct kvmreg_group_ops *g = vcpu->driver->groups;
	uint32_t key = g && g->group_of ? g->group_of(ids[start]) : 0;
	int ordered = key && g->in_order && g->in_order(key);
	size_t end = start + 1;

	for (; end < n; end++) {
		if (plan[end].rank == plan[end - 1].rank) {
			if (!ordered || g->group_of(ids[end]) == key)
				continue;
			ordered = 0;	/* a second group: ranks stay apart */
			continue;
		}
		if (!ordered)
			break;
		/* A new rank joins only if it is all the same group. */
		size_t next = end;

		while (next < n && plan[next].rank == plan[end].rank &&
		       g->group_of(ids[next]) == key)
			next++;
		if (next < n && plan[next].rank == plan[end].rank)
			break;
		end = next - 1;
	}
	return end;
}

/*
 * The restore shape of state: its entries in restore order, each segment
 * (a rank, or ranks one ordered ioctl keeps in order) batched by group.
 * Cached on the handle, so a restore of the same list again plans nothing.
 */
static int restore_shape(struct kvmreg_vcpu *vcpu,
			 const struct kvmreg_state *state,
			 struct kvmreg_shape **out)
{
	size_t n = kvmreg_state_count(state);
	struct kvmreg_shape *sh;
	struct ranked *plan = NULL;
	size_t *idx = NULL;
	uint64_t *ids = NULL;
	int err;

	*out = kvmreg_shape_find(vcpu, KVMREG_SHAPE_RESTORE, &state->entries->id,
				 sizeof(*state->entries), n, state->layout);
	if (*out)
		return 0;
	sh = kvmreg_shape_begin(KVMREG_SHAPE_RESTORE, &state->entries->id,
				sizeof(*state->entries), n);
	if (!sh)
		return -ENOMEM;
	err = restore_plan(state, &plan);
	if (!err) {
		idx = malloc((n + 1) * sizeof(*idx));
		ids = malloc((n + 1) * sizeof(*ids));
		if (!idx || !ids)
			err = kvmreg_set_error(-ENOMEM, "out of memory");
	}
	for (size_t i = 0; !err && i < n; i++) {
		idx[i] = plan[i].index;
		ids[i] = sh->key[idx[i]];
	}
	for (size_t start = 0, end; !err && start < n; start = end) {
		end = rank_segment_end(vcpu, ids, plan, start, n);
		err = kvmreg_shape_add_segment(sh, vcpu, idx, start, end);
	}
	free(plan);
	free(idx);
	free(ids);
	if (err) {
		kvmreg_shape_release(sh);
		return err;
	}
	err = kvmreg_shape_finish(vcpu, sh);
	if (!err)
		*out = sh;
	return err;
}

/*
 * Registers of positions [0, end) that were written (errs[pos] is 0: an
 * earlier segment, or the part of the failing one that took) but whose
 * value before could not be read: the rollback cannot put them back.
 * Returns how many, and the first in restore order through *first.
 */
static size_t unrestorable(const struct kvmreg_shape *sh, const int *errs,
			   size_t end, size_t *first)
{
	size_t n = 0;

	*first = SIZE_MAX;
	for (size_t pos = 0; pos < end; pos++) {
		if (!sh->before_errs[pos] || errs[pos])
			continue;
		n++;
		if (*first == SIZE_MAX || sh->step[pos] < sh->step[*first])
			*first = pos;
	}
	return n;
}

/*
 * Put back the registers of restore steps [0, end) from the values read
 * before the first write. Registers whose old value could not be read are
 * left as they are (the caller says so, see unrestorable()); returns the
 * first failure so the caller can say the rollback was incomplete.
 */
static int roll_back(struct kvmreg_vcpu *vcpu, const struct kvmreg_shape *sh,
		     size_t end)
{
	uint64_t *ids = malloc((end + 1) * sizeof(*ids));
	const uint8_t **vals = malloc((end + 1) * sizeof(*vals));
	int *errs = malloc((end + 1) * sizeof(*errs));
	char *readable = calloc(end + 1, 1);
	size_t k = 0;
	int err = 0;

	if (!ids || !vals || !errs || !readable) {
		err = kvmreg_set_error(-ENOMEM, "out of memory");
		goto out;
	}
	/* Steps [0, end) are positions [0, end), each segment's shuffled
	 * into batches: put them back in restore order. */
	for (size_t pos = 0; pos < end; pos++) {
		size_t step = sh->step[pos];

		ids[step] = sh->ids[pos];
		vals[step] = sh->before_vals[pos];
		readable[step] = !sh->before_errs[pos];
	}
	for (size_t step = 0; step < end; step++) {
		if (!readable[step])
			continue;
		ids[k] = ids[step];
		vals[k++] = vals[step];
	}
	err = kvmreg_write_values(vcpu, ids, k, vals, errs);
	for (size_t i = 0; !err && i < k; i++)
		if (errs[i])
			err = kvmreg_describe_failure(ids[i], errs[i],
						      "rolling back");
out:
	free(ids);
	free(vals);
	free(errs);
	free(readable);
	return err;
}

/* The failure of positions [first, end) that comes first in restore order,
 * described; 0 if none failed. */
static int segment_failure(const struct kvmreg_shape *sh, const int *errs,
			   size_t first, size_t end)
{
	size_t worst = SIZE_MAX;

	for (size_t pos = first; pos < end; pos++)
		if (errs[pos] && (worst == SIZE_MAX ||
				  sh->step[pos] < sh->step[worst]))
			worst = pos;
	return worst == SIZE_MAX ? 0 :
	       kvmreg_describe_failure(sh->ids[worst], errs[worst], "restoring");
}

/*
 * The value pointers of the state's entries, by position, into sh->vals.
 * A state of the layout sh knows (the next checkpoint's, stamped from the
 * same template) skips the lookups, and one at the same address all of it.
 */
static int state_values(const struct kvmreg_state *state,
			struct kvmreg_shape *sh)
{
	size_t missing = 0;

	if (!state->layout || state->layout != sh->layout) {
		for (size_t pos = 0; pos < sh->n; pos++) {
			size_t off = state->entries[sh->order[pos]].offset;

			missing |= off == SIZE_MAX;
			sh->value_offsets[pos] = off;
		}
		sh->layout = missing ? 0 : state->layout;
		sh->vals_base = NULL;
	}
	if (missing) {
		for (size_t i = 0; i < sh->n; i++)
			if (state->entries[i].offset == SIZE_MAX)
				return kvmreg_set_error(-EINVAL,
							"register 0x%016" PRIx64 " has no value (is this a capture, not a saved state?)",
							state->entries[i].id);
	}
	if (sh->vals_base != state->data) {
		for (size_t pos = 0; pos < sh->n; pos++)
			sh->vals[pos] = state->data + sh->value_offsets[pos];
		sh->vals_base = state->data;
		sh->vals_gen++;
	}
	return 0;
}

static int restore(struct kvmreg_vcpu *vcpu, const struct kvmreg_state *state,
		   int keep_rollback)
{
	const struct kvmreg_arch_driver *d = vcpu->driver;
	struct kvmreg_shape *sh;
	const uint8_t **vals;
	size_t first_batch = 0, first = 0, end = 0;
	int *errs, err;

	if (kvmreg_state_arch(state) != d->arch)
		return kvmreg_set_error(-EINVAL,
					"the state is %s, the vCPU %s: a state is restored into a vCPU of its architecture",
					kvmreg_arch_name(kvmreg_state_arch(state)),
					d->name);
	if (kvmreg_state_count(state) == 0)
		return 0;
	/* No restore runs inside another on one handle, so the shape's
	 * per-call arrays are this call's. */
	err = restore_shape(vcpu, state, &sh);
	if (err)
		return err;
	err = state_values(state, sh);
	if (err)
		goto out;
	vals = (const uint8_t **)sh->vals;
	errs = sh->errs;
	/*
	 * The rollback read goes backwards, so the first group written is
	 * the last one read: a driver whose write of part of a group must
	 * read the group first (x86 CPUID) can use this read instead.
	 */
	if (keep_rollback) {
		err = kvmreg_shape_bind_before(sh);
		if (err)
			goto out;
		kvmreg_shape_read(vcpu, sh, 1, sh->before_vals, sh->before_errs);
	}

	for (size_t seg = 0; seg < sh->segments; seg++) {
		size_t end_batch = sh->segment_ends[seg], failed;

		first = sh->batch[first_batch].first;
		end = sh->batch[end_batch].first;
		failed = kvmreg_shape_write(vcpu, sh, first_batch, end_batch,
					    keep_rollback ? KVMREG_BATCH_RESTORE :
						KVMREG_BATCH_RESTORE_FRESH,
					    vals, errs);
		first_batch = end_batch;
		if (!failed && !(fault_at >= first && fault_at < end))
			continue;
		kvmreg_forgive_refusals(vcpu, sh->ids + first, end - first,
					vals + first, errs + first);
		/* A segment's steps are its positions, in another order. */
		for (size_t pos = first; fault_at < end && pos < end; pos++)
			if (sh->step[pos] == fault_at && !errs[pos])
				errs[pos] = -EIO;
		err = segment_failure(sh, errs, first, end);
		if (err)
			break;
	}
	if (err && keep_rollback) {
		char message[512], name[128];
		size_t lost, first;
		int rb;

		strncpy(message, kvmreg_error(), sizeof(message) - 1);
		message[sizeof(message) - 1] = '\0';
		lost = unrestorable(sh, errs, end, &first);
		rb = roll_back(vcpu, sh, end);
		if (rb) {
			kvmreg_set_error(err, "%s; the vCPU could not be put back as it was: %s",
					 message, kvmreg_error());
		} else if (lost) {
			if (kvmreg_id_name(KVMREG_ARCH_NONE, sh->ids[first],
					   KVMREG_NAME_SHORT, name,
					   sizeof(name)) < 0)
				name[0] = '\0';
			kvmreg_set_error(err, "%s; the vCPU could not be put back as it was: %zu register%s written could not be read before (%s 0x%016" PRIx64 ": %s%s), so %s keep%s the new value",
					 message, lost, lost == 1 ? "" : "s",
					 name, sh->ids[first],
					 strerror(-sh->before_errs[first]),
					 lost == 1 ? "" : ", and others",
					 lost == 1 ? "it" : "they",
					 lost == 1 ? "s" : "");
		} else {
			kvmreg_set_error(err, "%s (the vCPU was put back as it was)",
					 message);
		}
	}
out:
	kvmreg_shape_release(sh);
	return err;
}

KVMREG_EXPORT int kvmreg_restore(struct kvmreg_vcpu *vcpu,
				 const struct kvmreg_state *state)
{
	KVMREG_NEED_ARG(vcpu, "vcpu");
	KVMREG_NEED_ARG(state, "state");
	return restore(vcpu, state, 1);
}

KVMREG_EXPORT int kvmreg_restore_fresh(struct kvmreg_vcpu *vcpu,
				       const struct kvmreg_state *state)
{
	KVMREG_NEED_ARG(vcpu, "vcpu");
	KVMREG_NEED_ARG(state, "state");
	return restore(vcpu, state, 0);
}
