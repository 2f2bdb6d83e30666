// SPDX-License-Identifier: MIT
/*
 * Access: one register goes straight to its ioctl; a batch runs the plan
 * of its ids (plan.h), so it costs one vCPU ioctl per group and one per
 * plain ONE_REG register, never more.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "arch/arch.h"
#include "internal.h"
#include "plan.h"
#include "state.h"

static uint32_t group_of(const struct kvmreg_vcpu *vcpu, uint64_t id)
{
	const struct kvmreg_group_ops *g = vcpu->driver->groups;

	return g && g->group_of ? g->group_of(id) : 0;
}

static int list_change_of(const struct kvmreg_vcpu *vcpu, uint64_t id)
{
	const struct kvmreg_arch_driver *d = vcpu->driver;

	return d->list_changed_by ? d->list_changed_by(id) : KVMREG_LIST_KEPT;
}

int kvmreg_describe_failure(uint64_t id, int err, const char *what)
{
	const char *reason = kvmreg_kept_reason(id, err);
	char name[128], why[512];

	if (kvmreg_id_name(KVMREG_ARCH_NONE, id, KVMREG_NAME_SHORT, name,
			   sizeof(name)) < 0)
		snprintf(name, sizeof(name), "0x%016" PRIx64, id);
	snprintf(why, sizeof(why), "%s", reason ? reason : strerror(-err));
	return kvmreg_set_error(err, "%s %s (0x%016" PRIx64 "): %s", what,
				name, id, why);
}

/* One register, without a plan: kvmreg_get, kvmreg_set, re-reads. */
static void access_one(struct kvmreg_vcpu *vcpu, int is_write, uint64_t id,
		       uint8_t *val, int *err)
{
	const struct kvmreg_group_ops *g = vcpu->driver->groups;
	uint32_t key = group_of(vcpu, id);
	int r;

	if (key == 0) {
		*err = is_write ? kvmreg_one_reg_set(vcpu, id, val) :
				  kvmreg_one_reg_get(vcpu, id, val);
		return;
	}
	r = is_write ? g->set(vcpu, key, 1, &id,
			      (const uint8_t *const[]){ val }, err) :
		       g->get(vcpu, key, 1, &id, (uint8_t *const[]){ val }, err);
	if (r)
		*err = r;
}

/* kvmreg_set and the other writes of one register. */
static void write_one(struct kvmreg_vcpu *vcpu, uint64_t id, const uint8_t *val,
		      int *err)
{
	access_one(vcpu, 1, id, (uint8_t *)val, err);
	kvmreg_vcpu_list_written(vcpu, list_change_of(vcpu, id));
}

/* Read or write ids (vals, errs in their order) through their plan. */
static int run_in_order(struct kvmreg_vcpu *vcpu, enum kvmreg_batch_mode mode,
			const uint64_t *ids, size_t n, uint8_t *const *vals,
			int *errs)
{
	struct kvmreg_plan *plan = kvmreg_plan_get(vcpu,
						   mode == KVMREG_BATCH_GET ?
						   KVMREG_PLAN_READ :
						   KVMREG_PLAN_WRITE,
						   ids, sizeof(*ids), n);
	uint8_t **pos_vals;
	int *pos_errs, err;

	if (!plan)
		return -ENOMEM;
	err = kvmreg_plan_call_arrays(plan, &pos_vals, &pos_errs);
	if (!err) {
		for (size_t pos = 0; pos < n; pos++)
			pos_vals[pos] = vals[plan->order[pos]];
		kvmreg_plan_run(vcpu, plan, 0, plan->batches, mode, 0, pos_vals,
				pos_errs);
		for (size_t pos = 0; pos < n; pos++)
			errs[plan->order[pos]] = pos_errs[pos];
		if (mode != KVMREG_BATCH_GET)
			kvmreg_vcpu_list_written(vcpu, plan->list_change);
		free(pos_vals);
	}
	kvmreg_plan_put(plan);
	return err;
}

void kvmreg_forgive_refusals(struct kvmreg_vcpu *vcpu, const uint64_t *ids,
			     size_t n, const uint8_t *const *vals, int *errs)
{
	const struct kvmreg_arch_driver *d = vcpu->driver;

	for (size_t i = 0; i < n; i++) {
		uint8_t now[256];
		int rerr = 0;

		if (!errs[i])
			continue;
		if (d->refusal_keeps_value &&
		    d->refusal_keeps_value(ids[i], vals[i], errs[i])) {
			errs[i] = 0;
			continue;
		}
		access_one(vcpu, 0, ids[i], now, &rerr);
		if (!rerr && !memcmp(now, vals[i], kvmreg_size_of(ids[i])))
			errs[i] = 0;
	}
}

int kvmreg_write_values(struct kvmreg_vcpu *vcpu, const uint64_t *ids,
			size_t n, const uint8_t *const *vals, int *errs)
{
	int err;

	if (n == 1) {
		write_one(vcpu, ids[0], vals[0], &errs[0]);
	} else {
		err = run_in_order(vcpu, KVMREG_BATCH_SET, ids, n,
				   (uint8_t *const *)vals, errs);
		if (err)
			return err;
	}
	kvmreg_forgive_refusals(vcpu, ids, n, vals, errs);
	return 0;
}

static int first_error(const uint64_t *ids, size_t n, const int *errs,
		       const char *what)
{
	for (size_t i = 0; i < n; i++)
		if (errs[i])
			return kvmreg_describe_failure(ids[i], errs[i], what);
	return 0;
}

KVMREG_EXPORT int kvmreg_get(struct kvmreg_vcpu *vcpu, uint64_t id, void *value)
{
	int err, reg_err = 0;

	KVMREG_NEED_ARG(vcpu, "vcpu");
	KVMREG_NEED_ARG(value, "value");
	err = kvmreg_id_check(vcpu->driver->arch, id);
	if (err)
		return err;
	access_one(vcpu, 0, id, value, &reg_err);
	return first_error(&id, 1, &reg_err, "reading");
}

KVMREG_EXPORT int kvmreg_set(struct kvmreg_vcpu *vcpu, uint64_t id,
			     const void *value)
{
	int err, reg_err = 0;

	KVMREG_NEED_ARG(vcpu, "vcpu");
	KVMREG_NEED_ARG(value, "value");
	err = kvmreg_id_check(vcpu->driver->arch, id);
	if (err)
		return err;
	write_one(vcpu, id, value, &reg_err);
	kvmreg_forgive_refusals(vcpu, &id, 1, (const uint8_t *const[]){ value },
				&reg_err);
	return first_error(&id, 1, &reg_err, "writing");
}

int kvmreg_read_planned(struct kvmreg_vcpu *vcpu,
			const struct kvmreg_plan *plan,
			struct kvmreg_state *state)
{
	uint8_t **vals;
	int *errs, err;
	size_t failed;

	if (!plan->layout || kvmreg_state_count(state))
		return 1;
	err = kvmreg_plan_call_arrays(plan, &vals, &errs);
	if (!err)
		err = kvmreg_state_take_layout(state, plan->layout);
	if (err) {
		free(vals);
		return err;
	}
	failed = kvmreg_plan_read_into(vcpu, plan, state->data, 0, vals, errs);
	free(vals);
	if (!failed)
		return 0;
	/* Rare: let the general path keep just the registers that read. */
	kvmreg_state_empty(state);
	return 1;
}

int kvmreg_check_ids(enum kvmreg_arch arch, const uint64_t *ids, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int err = kvmreg_id_check(arch, ids[i]);

		if (err)
			return err;
	}
	return 0;
}

/* Into a state that has registers already, or with an id twice: read into
 * a buffer, then put what read. */
static int read_general(struct kvmreg_vcpu *vcpu, const uint64_t *ids,
			size_t n, struct kvmreg_state *state, int *errs)
{
	uint8_t *buf, **vals;
	size_t total = 0;
	int err;

	for (size_t i = 0; i < n; i++)
		total += kvmreg_size_of(ids[i]);
	buf = malloc(total + 1);
	vals = calloc(n + 1, sizeof(*vals));
	if (!buf || !vals) {
		free(buf);
		free(vals);
		return kvmreg_set_error(-ENOMEM, "out of memory");
	}
	for (size_t i = 0, off = 0; i < n; i++) {
		vals[i] = buf + off;
		off += kvmreg_size_of(ids[i]);
	}
	if (n == 1) {
		access_one(vcpu, 0, ids[0], vals[0], &errs[0]);
		err = 0;
	} else {
		err = run_in_order(vcpu, KVMREG_BATCH_GET, ids, n, vals, errs);
	}
	if (!err)
		err = kvmreg_state_reserve(state, n, total);
	for (size_t i = 0; !err && i < n; i++)
		if (!errs[i])
			err = kvmreg_state_put(state, ids[i], vals[i],
					       kvmreg_size_of(ids[i]));
	free(buf);
	free(vals);
	return err;
}

/*
 * Into an empty state (each checkpoint's), the plan of ids stamps its
 * layout on the state and reads straight into its values; anything else
 * takes the general path.
 */
KVMREG_EXPORT int kvmreg_read(struct kvmreg_vcpu *vcpu, const uint64_t *ids,
			      size_t n, struct kvmreg_state *state, int *errs)
{
	struct kvmreg_plan *plan = NULL;
	int *own_errs = NULL;
	int err, again;

	KVMREG_NEED_ARG(vcpu, "vcpu");
	KVMREG_NEED_ARG(ids || !n, "ids");
	KVMREG_NEED_ARG(state, "state");
	if (kvmreg_state_arch(state) != vcpu->driver->arch)
		return kvmreg_set_error(-EINVAL,
					"the state is %s, the vCPU %s: a state holds registers of one architecture",
					kvmreg_arch_name(kvmreg_state_arch(state)),
					vcpu->driver->name);
	if (n > 1 && kvmreg_state_count(state) == 0) {
		/* The handle's last read of these ids checked them. */
		plan = kvmreg_plan_again(vcpu, &vcpu->read_plan,
					 KVMREG_PLAN_READ, ids, sizeof(*ids), n,
					 &again);
		if (!plan)
			return -ENOMEM;
		err = again ? 0 : kvmreg_check_ids(vcpu->driver->arch, ids, n);
		if (err) {
			/* Not the handle's last good read: forget it. */
			if (vcpu->read_plan == plan) {
				kvmreg_plan_put(vcpu->read_plan);
				vcpu->read_plan = NULL;
			}
			kvmreg_plan_put(plan);
			return err;
		}
		err = kvmreg_read_planned(vcpu, plan, state);
		kvmreg_plan_put(plan);
		if (err <= 0) {
			if (!err && errs)
				memset(errs, 0, n * sizeof(*errs));
			return err;
		}
	}
	err = kvmreg_check_ids(vcpu->driver->arch, ids, n);
	if (err)
		return err;
	if (!errs)
		errs = own_errs = malloc((n + 1) * sizeof(*errs));
	if (!errs)
		return kvmreg_set_error(-ENOMEM, "out of memory");
	err = read_general(vcpu, ids, n, state, errs);
	if (!err)
		err = first_error(ids, n, errs, "reading");
	free(own_errs);
	return err;
}

/* ids and values of a state, as arrays the write path takes. */
static int kvmreg_state_arrays(const struct kvmreg_state *state, uint64_t **ids,
			const uint8_t ***vals)
{
	size_t n = kvmreg_state_count(state);

	*ids = malloc((n + 1) * sizeof(**ids));
	*vals = malloc((n + 1) * sizeof(**vals));
	if (!*ids || !*vals) {
		free(*ids);
		free(*vals);
		return kvmreg_set_error(-ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		const void *v;
		uint64_t id;

		kvmreg_state_at(state, i, &id, &v);
		if (!v) {
			char name[128];

			free(*ids);
			free(*vals);
			if (kvmreg_id_name(KVMREG_ARCH_NONE, id, KVMREG_NAME_SHORT,
					   name, sizeof(name)) < 0)
				name[0] = '\0';
			return kvmreg_set_error(-EINVAL,
						"register %s (0x%016" PRIx64 ") has no value: %s",
						name, id,
						/* no values at all: a capture */
						state->data_len == 0 ?
						"the state is a capture, a register list without values" :
						"a state to write has values for all its registers");
		}
		(*ids)[i] = id;
		(*vals)[i] = v;
	}
	return 0;
}

KVMREG_EXPORT int kvmreg_write(struct kvmreg_vcpu *vcpu,
			       const struct kvmreg_state *state, int *errs)
{
	size_t n = kvmreg_state_count(state);
	const uint8_t **vals;
	uint64_t *ids;
	int *own_errs = NULL;
	int err;

	KVMREG_NEED_ARG(vcpu, "vcpu");
	KVMREG_NEED_ARG(state, "state");
	if (kvmreg_state_arch(state) != vcpu->driver->arch)
		return kvmreg_set_error(-EINVAL,
					"the state is %s, the vCPU %s: a state is written to a vCPU of its architecture",
					kvmreg_arch_name(kvmreg_state_arch(state)),
					vcpu->driver->name);
	err = kvmreg_state_arrays(state, &ids, &vals);
	if (err)
		return err;
	if (!errs)
		errs = own_errs = calloc(n + 1, sizeof(*errs));
	if (!errs) {
		err = kvmreg_set_error(-ENOMEM, "out of memory");
	} else {
		err = kvmreg_write_values(vcpu, ids, n, vals, errs);
		if (!err)
			err = first_error(ids, n, errs, "writing");
	}
	free(own_errs);
	free(ids);
	free(vals);
	return err;
}
