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
		uint64_t id;

		kvmreg_state_at(state, i, &id, NULL);
		r[i].rank = d->restore_rank ? d->restore_rank(id) : 0;
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
	int err = restore_plan(state, &r);

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
 * Put back registers [0, end) of the plan from before[]. Registers whose
 * old value could not be read are left as they are; returns the first
 * failure so the caller can say the rollback was incomplete.
 */
static int roll_back(struct kvmreg_vcpu *vcpu, const uint64_t *ids,
		     uint8_t *const *before, const int *before_errs,
		     size_t end, int *errs)
{
	size_t k = 0;
	uint64_t *sub_ids = malloc((end + 1) * sizeof(*sub_ids));
	const uint8_t **sub_vals = malloc((end + 1) * sizeof(*sub_vals));
	int err = 0;

	if (!sub_ids || !sub_vals) {
		err = kvmreg_set_error(-ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < end; i++) {
		if (before_errs[i])
			continue;
		sub_ids[k] = ids[i];
		sub_vals[k++] = before[i];
	}
	err = kvmreg_write_values(vcpu, sub_ids, k, sub_vals, errs);
	for (size_t i = 0; !err && i < k; i++)
		if (errs[i])
			err = kvmreg_describe_failure(sub_ids[i], errs[i],
						      "rolling back");
out:
	free(sub_ids);
	free(sub_vals);
	return err;
}

static int restore(struct kvmreg_vcpu *vcpu, const struct kvmreg_state *state,
		   int keep_rollback)
{
	const struct kvmreg_arch_driver *d = vcpu->driver;
	size_t n = kvmreg_state_count(state);
	const uint8_t **state_vals = NULL, **vals = NULL;
	uint64_t *state_ids = NULL, *ids = NULL;
	uint8_t *before_buf = NULL, **before = NULL;
	int *errs = NULL, *before_errs = NULL;
	struct ranked *plan = NULL;
	size_t total = 0, start, end;
	int err;

	if (kvmreg_state_arch(state) != d->arch)
		return kvmreg_set_error(-EINVAL,
					"a %s state cannot be restored into a %s vCPU",
					kvmreg_arch_name(kvmreg_state_arch(state)),
					d->name);
	err = kvmreg_state_arrays(state, &state_ids, &state_vals);
	if (err)
		return err;
	err = restore_plan(state, &plan);
	if (err)
		goto out;
	ids = malloc((n + 1) * sizeof(*ids));
	vals = malloc((n + 1) * sizeof(*vals));
	before = malloc((n + 1) * sizeof(*before));
	errs = calloc(n + 1, sizeof(*errs));
	before_errs = calloc(n + 1, sizeof(*before_errs));
	for (size_t i = 0; i < n; i++)
		total += kvmreg_size_of(state_ids[i]);
	before_buf = malloc(total + 1);
	if (!ids || !vals || !before || !errs || !before_errs || !before_buf) {
		err = kvmreg_set_error(-ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0, off = 0; i < n; i++) {
		ids[i] = state_ids[plan[i].index];
		vals[i] = state_vals[plan[i].index];
		before[i] = before_buf + off;
		off += kvmreg_size_of(ids[i]);
	}
	if (keep_rollback) {
		err = kvmreg_read_values(vcpu, ids, n, before, before_errs);
		if (err)
			goto out;
	}

	for (start = 0; start < n; start = end) {
		end = rank_segment_end(vcpu, ids, plan, start, n);
		err = kvmreg_write_values(vcpu, ids + start, end - start,
					  vals + start, errs + start);
		if (err)
			break;
		if (fault_at >= start && fault_at < end && !errs[fault_at])
			errs[fault_at] = -EIO;
		for (size_t i = start; i < end && !err; i++)
			if (errs[i])
				err = kvmreg_describe_failure(ids[i], errs[i],
							      "restoring");
		if (err)
			break;
	}
	if (err && keep_rollback) {
		char first[512];
		int rb;

		strncpy(first, kvmreg_error(), sizeof(first) - 1);
		first[sizeof(first) - 1] = '\0';
		rb = roll_back(vcpu, ids, before, before_errs, end, errs);
		if (rb)
			kvmreg_set_error(err, "%s; the vCPU could not be put back as it was: %s",
					 first, kvmreg_error());
		else
			kvmreg_set_error(err, "%s (the vCPU was put back as it was)",
					 first);
	}
out:
	free(state_ids);
	free(state_vals);
	free(plan);
	free(ids);
	free(vals);
	free(before);
	free(before_buf);
	free(errs);
	free(before_errs);
	return err;
}

KVMREG_EXPORT int kvmreg_restore(struct kvmreg_vcpu *vcpu,
				 const struct kvmreg_state *state)
{
	return restore(vcpu, state, 1);
}

KVMREG_EXPORT int kvmreg_restore_fresh(struct kvmreg_vcpu *vcpu,
				       const struct kvmreg_state *state)
{
	return restore(vcpu, state, 0);
}
