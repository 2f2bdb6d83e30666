// SPDX-License-Identifier: MIT
/*
 * Save and restore. Restore writes in the arch driver's dependency order
 * (a stable sort by rank, so the state's own order holds inside a rank,
 * plan.c), one segment at a time, and undoes everything on the first
 * failure: the rollback is a read of the same registers taken before the
 * first write.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "arch/arch.h"
#include "internal.h"
#include "plan.h"
#include "restore.h"
#include "state.h"

static size_t fault_at = SIZE_MAX;

void kvmreg_restore_inject_fault(size_t position)
{
	fault_at = position;
}

static _Thread_local size_t image_batches;

size_t kvmreg_restore_image_batches(void)
{
	return image_batches;
}

/*
 * Whether a save's read of the kept list says the list may have changed
 * since it was made; then the handle forgets it. Either the driver saw it
 * (list_stale: x86 CPUID leaves or values set behind the library's back),
 * or the caller did (seen): a register whose value the list follows
 * read other than at the list's first save (enum.c), or a register of the
 * list did not read -- as one does that a VMM's own write took away
 * (riscv64: an ISA extension switched off with KVM_SET_ONE_REG).
 */
static int list_went_stale(struct kvmreg_vcpu *vcpu, bool seen)
{
	const struct kvmreg_arch_driver *d = vcpu->driver;
	bool stale = d->list_stale && d->list_stale(vcpu);

	if (!stale && !seen)
		return 0;
	kvmreg_vcpu_list_written(vcpu, KVMREG_LIST_CHANGES_VCPU);
	return 1;
}

/*
 * Save: the handle's list, enumerated only when something may have changed
 * it (enum.c), and the plan for it, both kept on the handle; a new state
 * takes the plan's layout and the plan reads straight into its values.
 */
KVMREG_EXPORT int kvmreg_save(struct kvmreg_vcpu *vcpu,
			      struct kvmreg_state **out)
{
	const struct kvmreg_list *list;
	struct kvmreg_state *state;
	const uint64_t *ids;
	bool changed;
	int err, made;

	KVMREG_NEED_ARG(vcpu, "vcpu");
	KVMREG_NEED_ARG(out, "out");
	for (int attempt = 0;; attempt++) {
		err = kvmreg_vcpu_list(vcpu, &list, &ids, &made);
		if (!err && !vcpu->list_plan) {
			err = kvmreg_check_ids(vcpu->driver->arch, ids,
					       list->count);
			if (!err) {
				vcpu->list_plan = kvmreg_plan_get(vcpu,
								  KVMREG_PLAN_READ,
								  ids, sizeof(*ids),
								  list->count);
				err = vcpu->list_plan ? 0 : -ENOMEM;
			}
		}
		if (err)
			return kvmreg_wrap_error(err, "saving the vCPU");
		state = kvmreg_state_new(vcpu->driver->arch);
		if (!state)
			return -ENOMEM;
		err = kvmreg_state_set_kernel(state,
					      kvmreg_host_kernel_release());
		if (!err)
			err = kvmreg_read_planned(vcpu, vcpu->list_plan, state);
		/* The kept list may have changed behind the library's back:
		 * once more, with the list made again (a plan without a
		 * layout, ids twice, reads the general way: no failure). */
		changed = !err && kvmreg_vcpu_list_values_changed(vcpu, state);
		if (err >= 0 && !made && attempt == 0 &&
		    list_went_stale(vcpu, changed ||
					  (err > 0 && vcpu->list_plan->layout))) {
			kvmreg_state_free(state);
			continue;
		}
		/* A register that did not read: the general path says which. */
		if (err > 0)
			err = kvmreg_read(vcpu, ids, list->count, state, NULL);
		break;
	}
	if (err) {
		kvmreg_state_free(state);
		return kvmreg_wrap_error(err, "saving the vCPU");
	}
	*out = state;
	return 0;
}

KVMREG_EXPORT int kvmreg_restore_order(const struct kvmreg_state *state,
				       uint64_t *ids)
{
	const struct kvmreg_arch_driver *d =
		kvmreg_driver(kvmreg_state_arch(state));
	size_t n = kvmreg_state_count(state), k = 0;
	int lo = 0, hi = 0;

	KVMREG_NEED_ARG(state, "state");
	KVMREG_NEED_ARG(ids || !n, "ids");
	if (!d)
		return kvmreg_set_error(-EINVAL, "the state has no architecture");
	/* Stable by rank: a pass per rank, as `kvmreg order` is no hot path. */
	for (size_t i = 0; i < n; i++) {
		int r = d->restore_rank ? d->restore_rank(state->entries[i].id) : 0;

		lo = i && lo < r ? lo : r;
		hi = i && hi > r ? hi : r;
	}
	for (long r = lo; n && r <= hi; r++)
		for (size_t i = 0; i < n; i++)
			if ((d->restore_rank ?
			     d->restore_rank(state->entries[i].id) : 0) == r)
				ids[k++] = state->entries[i].id;
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

/*
 * Registers of positions [0, end) that were written (errs[pos] is 0: an
 * earlier segment, or the part of the failing one that took) but whose
 * value before could not be read: the rollback cannot put them back.
 * Returns how many, and the first in restore order through *first.
 */
static size_t unrestorable(const struct kvmreg_plan *plan,
			   const int *before_errs, const int *errs, size_t end,
			   size_t *first)
{
	size_t n = 0;

	*first = SIZE_MAX;
	for (size_t pos = 0; pos < end; pos++) {
		if (!before_errs[pos] || errs[pos])
			continue;
		n++;
		if (*first == SIZE_MAX || plan->step[pos] < plan->step[*first])
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
static int roll_back(struct kvmreg_vcpu *vcpu, const struct kvmreg_plan *plan,
		     uint8_t *const *before, const int *before_errs, size_t end)
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
		size_t step = plan->step[pos];

		ids[step] = plan->ids[pos];
		vals[step] = before[pos];
		readable[step] = !before_errs[pos];
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
static int segment_failure(const struct kvmreg_plan *plan, const int *errs,
			   size_t first, size_t end)
{
	size_t worst = SIZE_MAX;

	for (size_t pos = first; pos < end; pos++)
		if (errs[pos] && (worst == SIZE_MAX ||
				  plan->step[pos] < plan->step[worst]))
			worst = pos;
	return worst == SIZE_MAX ? 0 :
	       kvmreg_describe_failure(plan->ids[worst], errs[worst],
				       "restoring");
}

/* Whether the rollback read found position pos other than the state's
 * value, or could not read it. */
static bool changes_at(const struct kvmreg_plan *plan, size_t pos,
		       uint8_t *const *vals, uint8_t *const *before,
		       const int *before_errs)
{
	return before_errs[pos] ||
	       memcmp(before[pos], vals[pos], kvmreg_size_of(plan->ids[pos]));
}

/*
 * The widest change a restore made to the register list. A failed restore
 * may have changed the vCPU's model even where it was put back, and a
 * restore without the rollback read knows no values before: both count
 * every id that can change the list. A restore that succeeded after the
 * rollback read counts only ids whose value it changed: the list follows
 * the values (arm64 ID registers, riscv64 extensions, x86 CPUID), so the
 * same values give the same list, and a VMM that restores the state it
 * just saved keeps its list (one KVM_GET_REG_LIST less at the next save).
 */
static int restore_list_change(const struct kvmreg_vcpu *vcpu,
			       const struct kvmreg_plan *plan, int failed,
			       uint8_t *const *vals, uint8_t *const *before,
			       const int *before_errs)
{
	const struct kvmreg_arch_driver *d = vcpu->driver;
	int change = KVMREG_LIST_KEPT;

	if (failed || !before || plan->list_change == KVMREG_LIST_KEPT)
		return plan->list_change;
	for (size_t pos = 0; pos < plan->n; pos++) {
		int c = d->list_changed_by(plan->ids[pos]);

		if (c > change && changes_at(plan, pos, vals, before, before_errs))
			change = c;
	}
	return change;
}

/*
 * The state's values by position of plan, a plan of as many ids, which
 * this walk checks are the state's: 1 if they are not (the plan came from
 * kvmreg_plan_likely).
 */
static int state_values(const struct kvmreg_state *state,
			const struct kvmreg_plan *plan, uint8_t **vals)
{
	const struct kvmreg_state_entry *entries = state->entries;
	const size_t *order = plan->order;
	const uint64_t *ids = plan->ids;
	uint8_t *data = state->data;
	size_t n = plan->n;
	uint64_t differ = 0;

#pragma GCC unroll 4
	for (size_t pos = 0; pos < n; pos++) {
		const struct kvmreg_state_entry *e = &entries[order[pos]];

		if (e->offset == SIZE_MAX)
			return kvmreg_set_error(-EINVAL,
						"register 0x%016" PRIx64 " has no value (is this a capture, not a saved state?)",
						e->id);
		differ |= e->id ^ ids[pos];
		vals[pos] = data + e->offset;
	}
	return differ != 0;
}

/*
 * A state kvmreg_save made shares the layout of the READ plan of its ids
 * (state.h) until it changes. The first restore of such a state checks
 * that the RESTORE plan has those ids and keeps the layout on the plan:
 * then later restores of its states trust it without a walk over every
 * id, take the values of only the batches they copy, and hand the driver
 * the structs the state holds (run_from_images).
 */
static void note_layout(struct kvmreg_plan *plan,
			const struct kvmreg_state *state)
{
	const struct kvmreg_state_layout *none = NULL, *l = state->shared;

	if (!l || atomic_load(&plan->restores_layout))
		return;
	atomic_fetch_add(&((struct kvmreg_state_layout *)l)->refs, 1);
	if (!atomic_compare_exchange_strong(&plan->restores_layout, &none, l))
		kvmreg_state_layout_put(l);
}

static const uint8_t *image_of(const struct kvmreg_state *state,
			       uint32_t group)
{
	const struct kvmreg_state_layout *l = state->shared;

	for (size_t i = 0; i < l->image_count; i++)
		if (l->images[i].group == group)
			return state->data + l->images[i].offset;
	return NULL;
}

/* Value pointers by position of plan for [from, to) into values at base
 * laid out by layout, which has the plan's ids (restores_layout). */
static void layout_values(const struct kvmreg_state_layout *layout,
			  uint8_t *base, const struct kvmreg_plan *plan,
			  size_t from, size_t to, uint8_t **vals)
{
	for (size_t pos = from; pos < to; pos++)
		vals[pos] = base + layout->entries[plan->order[pos]].offset;
}

/*
 * Batches [first, end) of a restore from a state of the layout the plan
 * restores: a batch whose struct the state holds goes to the driver as it
 * is (group_ops.image_io), the others, and one the driver turns down, as
 * kvmreg_plan_run does.
 */
static size_t run_from_images(struct kvmreg_vcpu *vcpu,
			      const struct kvmreg_plan *plan, size_t first,
			      size_t end, enum kvmreg_batch_mode mode,
			      const struct kvmreg_state *state, uint8_t **vals,
			      int *errs)
{
	const struct kvmreg_group_ops *g = vcpu->driver->groups;
	size_t failed = 0, b = first;

	while (b < end) {
		const struct kvmreg_plan_batch *bp = &plan->batch[b];
		size_t pos = bp->first, count = bp[1].first - pos, stop = b;
		const uint8_t *image = bp->group ? image_of(state, bp->group) :
					NULL;

		/* the driver only reads a SET's image */
		if (image && !g->image_io(vcpu, bp->group, mode, count,
					  plan->ids + pos, (uint8_t *)image,
					  bp->memo)) {
			memset(errs + pos, 0, count * sizeof(*errs));
			image_batches++;
			b++;
			continue;
		}
		do
			stop++;
		while (stop < end && !(plan->batch[stop].group &&
				       image_of(state, plan->batch[stop].group)));
		layout_values(state->shared, state->data, plan, pos,
			      plan->batch[stop].first, vals);
		failed += kvmreg_plan_run(vcpu, plan, b, stop, mode, 0, vals,
					  errs);
		b = stop;
	}
	return failed;
}

/*
 * The plan of the state's ids and the state's values by position of it.
 * The plan is found by a hash of its ids (a new vCPU's handle has none of
 * its own), and taking the values compares every id: where they differ,
 * the plan of exactly these ids is taken instead. *images: the state is
 * of the layout the plan restores, its values are left to
 * run_from_images.
 */
static struct kvmreg_plan *restore_plan(struct kvmreg_vcpu *vcpu,
					const struct kvmreg_state *state,
					int *images, uint8_t ***vals, int **errs,
					int *err)
{
	const void *ids = &state->entries->id;
	size_t stride = sizeof(*state->entries), n = kvmreg_state_count(state);
	struct kvmreg_plan *plan = kvmreg_plan_likely(vcpu, &vcpu->restore_plan,
						      KVMREG_PLAN_RESTORE,
						      ids, stride, n,
						      state->shared ?
						      &state->shared->ids_hash :
						      NULL);
	int again;

	*vals = NULL;
	*images = 0;
	for (int exact = 0; plan; exact++) {
		*err = kvmreg_plan_call_arrays(plan, vals, errs);
		if (!*err && state->shared &&
		    atomic_load(&plan->restores_layout) == state->shared) {
			*images = 1;
			return plan;
		}
		if (!*err)
			*err = state_values(state, plan, *vals);
		if (!*err)
			note_layout(plan, state);
		/* An exact plan always has the state's ids. */
		if (*err <= 0 || exact)
			return plan;
		kvmreg_plan_put(plan);
		free(*vals);
		*vals = NULL;
		plan = kvmreg_plan_again(vcpu, &vcpu->restore_plan,
					 KVMREG_PLAN_RESTORE, ids, stride, n,
					 &again);
	}
	return NULL;
}

/*
 * The values before a restore, by position of plan, in this thread's
 * buffer. A state of the layout the plan restores (layout) is read by the
 * READ plan of that layout, as a save reads it: its structs whole, MCG_CAP
 * with the MSRs, and backwards, so that CPUID is read last and its write
 * patches the table this read leaves (host_cpuid.c). Otherwise, or if
 * that read falls short, the plan's own batches are read, backwards too.
 */
static int rollback_read(struct kvmreg_vcpu *vcpu,
			 const struct kvmreg_plan *plan,
			 const struct kvmreg_state_layout *layout,
			 uint8_t ***before, int **before_errs)
{
	struct kvmreg_plan *read = layout ? kvmreg_plan_of_layout(vcpu, layout) :
				   NULL;
	int err = kvmreg_plan_call_arrays(plan, before, before_errs);
	uint8_t *base;

	if (!err && read) {
		base = thread_buffer_of(layout->data_len);
		/* before and before_errs serve the read by its positions */
		if (base && !kvmreg_plan_read_into(vcpu, read, base, 1, *before,
						   *before_errs)) {
			layout_values(layout, base, plan, 0, plan->n, *before);
			memset(*before_errs, 0, plan->n * sizeof(**before_errs));
			kvmreg_plan_put(read);
			return 0;
		}
	}
	kvmreg_plan_put(read);
	if (err)
		return err;
	base = thread_buffer_of(plan->value_bytes);
	if (!base)
		return kvmreg_set_error(-ENOMEM, "out of memory");
	kvmreg_plan_point(plan, base, *before);
	kvmreg_plan_run(vcpu, plan, 0, plan->batches, KVMREG_BATCH_GET, 1,
			*before, *before_errs);
	return 0;
}

/*
 * Whether every batch of [first, end) is of a group that writes nothing
 * where the value is already the vCPU's (group_ops.writes_only_changes):
 * after a rollback read, which has the vCPU's values, such a segment with
 * nothing to change is skipped, and with it the driver's own read.
 */
static bool writes_only_changes(const struct kvmreg_vcpu *vcpu,
				const struct kvmreg_plan *plan, size_t first,
				size_t end)
{
	const struct kvmreg_group_ops *g = vcpu->driver->groups;

	if (!g || !g->writes_only_changes)
		return false;
	for (size_t b = first; b < end; b++)
		if (!plan->batch[b].group ||
		    !g->writes_only_changes(plan->batch[b].group))
			return false;
	return true;
}

/* Positions [from, to): each value what the rollback read found. */
static bool unchanged(const struct kvmreg_plan *plan, size_t from, size_t to,
		      uint8_t *const *vals, uint8_t *const *before,
		      const int *before_errs)
{
	for (size_t pos = from; pos < to; pos++)
		if (changes_at(plan, pos, vals, before, before_errs))
			return false;
	return true;
}

/*
 * Restore: the plan of the state's ids (dependency order, batched), the
 * state's values by position, the rollback read (backwards, so the first
 * group written is the last one read: a driver whose write of part of a
 * group must read the group first, x86 CPUID, can use this read instead),
 * then the segments one after another (but one whose groups write only
 * changes and whose values that read found held), and on a failure the
 * rollback.
 */
static int restore(struct kvmreg_vcpu *vcpu, const struct kvmreg_state *state,
		   int keep_rollback)
{
	const struct kvmreg_arch_driver *d = vcpu->driver;
	enum kvmreg_batch_mode mode = keep_rollback ? KVMREG_BATCH_RESTORE :
						      KVMREG_BATCH_RESTORE_FRESH;
	struct kvmreg_plan *plan;
	uint8_t **vals = NULL, **before = NULL;
	int *errs = NULL, *before_errs = NULL, err = 0, images;
	size_t first_batch = 0, first = 0, end = 0;

	if (kvmreg_state_arch(state) != d->arch)
		return kvmreg_set_error(-EINVAL,
					"the state is %s, the vCPU %s: a state is restored into a vCPU of its architecture",
					kvmreg_arch_name(kvmreg_state_arch(state)),
					d->name);
	if (kvmreg_state_count(state) == 0)
		return 0;
	plan = restore_plan(vcpu, state, &images, &vals, &errs, &err);
	if (!plan)
		return -ENOMEM;
	if (!err && keep_rollback)
		err = rollback_read(vcpu, plan, images ? state->shared : NULL,
				    &before, &before_errs);
	for (size_t seg = 0; !err && seg < plan->segments; seg++) {
		size_t end_batch, failed;

		/* batch ONE_REG hook: ranks it keeps in order, in one call */
		seg = kvmreg_plan_one_reg_segments(vcpu, plan, first_batch, seg);
		end_batch = plan->segment_end[seg];

		first = plan->batch[first_batch].first;
		end = plan->batch[end_batch].first;
		if (before && !(fault_at >= first && fault_at < end) &&
		    writes_only_changes(vcpu, plan, first_batch, end_batch)) {
			if (images)
				layout_values(state->shared, state->data, plan,
					      first, end, vals);
			if (unchanged(plan, first, end, vals, before,
				      before_errs)) {
				memset(errs + first, 0, (end - first) * sizeof(*errs));
				first_batch = end_batch;
				continue;
			}
		}
		failed = images ?
			 run_from_images(vcpu, plan, first_batch, end_batch,
					 mode, state, vals, errs) :
			 kvmreg_plan_run(vcpu, plan, first_batch, end_batch,
					 mode, 0, vals, errs);
		first_batch = end_batch;
		if (!failed && !(fault_at >= first && fault_at < end))
			continue;
		if (images)
			layout_values(state->shared, state->data, plan, first,
				      end, vals);
		kvmreg_forgive_refusals(vcpu, plan->ids + first, end - first,
					(const uint8_t *const *)vals + first,
					errs + first);
		/* A segment's steps are its positions, in another order. */
		for (size_t pos = first; fault_at < end && pos < end; pos++)
			if (plan->step[pos] == fault_at && !errs[pos])
				errs[pos] = -EIO;
		err = segment_failure(plan, errs, first, end);
	}
	if (images && before)
		layout_values(state->shared, state->data, plan, 0, plan->n,
			      vals);
	kvmreg_vcpu_list_written(vcpu, restore_list_change(vcpu, plan, err != 0,
							     vals, before,
							     before_errs));
	if (err && keep_rollback && before) {
		char message[512], name[128];
		size_t lost, first;
		int rb;

		strncpy(message, kvmreg_error(), sizeof(message) - 1);
		message[sizeof(message) - 1] = '\0';
		lost = unrestorable(plan, before_errs, errs, end, &first);
		rb = roll_back(vcpu, plan, before, before_errs, end);
		if (rb) {
			kvmreg_set_error(err, "%s; the vCPU could not be put back as it was: %s",
					 message, kvmreg_error());
		} else if (lost) {
			if (kvmreg_id_name(KVMREG_ARCH_NONE, plan->ids[first],
					   KVMREG_NAME_SHORT, name,
					   sizeof(name)) < 0)
				name[0] = '\0';
			kvmreg_set_error(err, "%s; the vCPU could not be put back as it was: %zu register%s written could not be read before (%s 0x%016" PRIx64 ": %s%s), so %s keep%s the new value",
					 message, lost, lost == 1 ? "" : "s",
					 name, plan->ids[first],
					 strerror(-before_errs[first]),
					 lost == 1 ? "" : ", and others",
					 lost == 1 ? "it" : "they",
					 lost == 1 ? "s" : "");
		} else {
			kvmreg_set_error(err, "%s (the vCPU was put back as it was)",
					 message);
		}
	}
	free(vals);
	free(before);
	kvmreg_plan_put(plan);
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
