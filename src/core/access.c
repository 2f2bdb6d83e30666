// SPDX-License-Identifier: MIT
/*
 * Access: every read or write is planned into ioctl groups (the driver says
 * which ids one ioctl serves), so a batch costs one vCPU ioctl per group and
 * one per plain ONE_REG register, never more.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "arch/arch.h"
#include "internal.h"

static uint32_t group_of(const struct kvmreg_vcpu *vcpu, uint64_t id)
{
	const struct kvmreg_group_ops *g = vcpu->driver->groups;

	return g && g->group_of ? g->group_of(id) : 0;
}

int kvmreg_describe_failure(uint64_t id, int err, const char *what)
{
	char name[128];

	if (kvmreg_id_name(KVMREG_ARCH_NONE, id, KVMREG_NAME_SHORT, name,
			   sizeof(name)) < 0)
		snprintf(name, sizeof(name), "0x%016" PRIx64, id);
	return kvmreg_set_error(err, "%s %s (0x%016" PRIx64 "): %s", what,
				name, id, strerror(-err));
}

/*
 * A plan orders ids into batches: each group's ids together, groups in the
 * order of their first id, plain ONE_REG ids alone. The ids and value
 * pointers are gathered in that order once, so every group hook gets
 * contiguous arrays without copying per group.
 */
struct plan {
	size_t *order;		/* position -> index into the caller's ids */
	size_t *starts;		/* batch -> first position; [batches] = n */
	uint32_t *keys;		/* batch -> group key */
	uint64_t *ids;		/* by position */
	uint8_t **vals;		/* by position */
	int *errs;		/* by position */
	size_t batches;
};

static void plan_free(struct plan *p)
{
	free(p->order);
	free(p->starts);
	free(p->keys);
	free(p->ids);
	free(p->vals);
	free(p->errs);
}

static size_t batch_of_key(struct plan *p, uint32_t key, size_t *last)
{
	/* Neighbouring ids mostly share a group: try the last hit first. */
	if (*last < p->batches && p->keys[*last] == key)
		return *last;
	for (size_t b = 0; b < p->batches; b++)
		if (p->keys[b] == key)
			return *last = b;
	p->keys[p->batches] = key;
	return *last = p->batches++;
}

static int plan_make(const struct kvmreg_vcpu *vcpu, const uint64_t *ids,
		     uint8_t *const *vals, size_t n, struct plan *p)
{
	size_t *batch = malloc((n + 1) * sizeof(*batch));
	size_t last = SIZE_MAX;

	memset(p, 0, sizeof(*p));
	p->order = malloc((n + 1) * sizeof(*p->order));
	p->starts = calloc(n + 2, sizeof(*p->starts));
	p->keys = malloc((n + 1) * sizeof(*p->keys));
	p->ids = malloc((n + 1) * sizeof(*p->ids));
	p->vals = malloc((n + 1) * sizeof(*p->vals));
	p->errs = calloc(n + 1, sizeof(*p->errs));
	if (!batch || !p->order || !p->starts || !p->keys || !p->ids ||
	    !p->vals || !p->errs) {
		free(batch);
		plan_free(p);
		return kvmreg_set_error(-ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		uint32_t key = group_of(vcpu, ids[i]);

		if (key == 0) {
			p->keys[p->batches] = 0;
			batch[i] = p->batches++;
		} else {
			batch[i] = batch_of_key(p, key, &last);
		}
		p->starts[batch[i] + 1]++;
	}
	for (size_t b = 0; b < p->batches; b++)
		p->starts[b + 1] += p->starts[b];
	/* starts[b] now counts up as batch b fills; reset it afterwards. */
	for (size_t i = 0; i < n; i++) {
		size_t pos = p->starts[batch[i]]++;

		p->order[pos] = i;
		p->ids[pos] = ids[i];
		p->vals[pos] = vals[i];
	}
	for (size_t b = p->batches; b > 0; b--)
		p->starts[b] = p->starts[b - 1];
	p->starts[0] = 0;
	free(batch);
	return 0;
}

/* Run a plan: one hook call per group, one ONE_REG call per plain id. */
static int plan_run(struct kvmreg_vcpu *vcpu, struct plan *p, int is_write,
		    int *errs)
{
	const struct kvmreg_group_ops *g = vcpu->driver->groups;

	for (size_t b = 0; b < p->batches; b++) {
		size_t first = p->starts[b], count = p->starts[b + 1] - first;
		int err;

		if (p->keys[b] == 0) {
			p->errs[first] = is_write ?
				kvmreg_one_reg_set(vcpu, p->ids[first], p->vals[first]) :
				kvmreg_one_reg_get(vcpu, p->ids[first], p->vals[first]);
			continue;
		}
		if (is_write)
			err = g->set(vcpu, p->keys[b], count, p->ids + first,
				     (const uint8_t *const *)(p->vals + first),
				     p->errs + first);
		else
			err = g->get(vcpu, p->keys[b], count, p->ids + first,
				     p->vals + first, p->errs + first);
		for (size_t k = first; err && k < first + count; k++)
			p->errs[k] = err;
	}
	for (size_t pos = 0; pos < p->starts[p->batches]; pos++)
		errs[p->order[pos]] = p->errs[pos];
	return 0;
}

int kvmreg_read_values(struct kvmreg_vcpu *vcpu, const uint64_t *ids, size_t n,
		       uint8_t *const *vals, int *errs)
{
	struct plan p;
	int err = plan_make(vcpu, ids, vals, n, &p);

	if (err)
		return err;
	err = plan_run(vcpu, &p, 0, errs);
	plan_free(&p);
	return err;
}

int kvmreg_write_values(struct kvmreg_vcpu *vcpu, const uint64_t *ids,
			size_t n, const uint8_t *const *vals, int *errs)
{
	struct plan p;
	/* The plan holds value pointers for both directions; writes only
	 * read through them. */
	int err = plan_make(vcpu, ids, (uint8_t *const *)vals, n, &p);

	if (err)
		return err;
	err = plan_run(vcpu, &p, 1, errs);
	plan_free(&p);
	if (err)
		return err;
	/*
	 * A register the kernel refuses to take at the value it already holds
	 * (x86 MSR_KVM_POLL_CONTROL on a fresh vCPU; LoongArch's set-once
	 * CPUID CSR) is in the wanted state: count it as written. Only failed
	 * writes pay for the extra read.
	 */
	for (size_t i = 0; i < n; i++) {
		uint8_t now[256];
		int rerr = 0;

		if (!errs[i])
			continue;
		if (!kvmreg_read_values(vcpu, &ids[i], 1,
					(uint8_t *const[]){ now }, &rerr) &&
		    !rerr && !memcmp(now, vals[i], kvmreg_id_size(ids[i])))
			errs[i] = 0;
	}
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
	int err = kvmreg_id_check(vcpu->driver->arch, id);
	int reg_err = 0;

	if (err)
		return err;
	err = kvmreg_read_values(vcpu, &id, 1, (uint8_t *const[]){ value },
				 &reg_err);
	return err ? err : first_error(&id, 1, &reg_err, "reading");
}

KVMREG_EXPORT int kvmreg_set(struct kvmreg_vcpu *vcpu, uint64_t id,
			     const void *value)
{
	int err = kvmreg_id_check(vcpu->driver->arch, id);
	int reg_err = 0;

	if (err)
		return err;
	err = kvmreg_write_values(vcpu, &id, 1,
				  (const uint8_t *const[]){ value }, &reg_err);
	return err ? err : first_error(&id, 1, &reg_err, "writing");
}

KVMREG_EXPORT int kvmreg_read(struct kvmreg_vcpu *vcpu, const uint64_t *ids,
			      size_t n, struct kvmreg_state *state, int *errs)
{
	uint8_t *buf = NULL, **vals = NULL;
	int *own_errs = NULL;
	size_t total = 0;
	int err;

	for (size_t i = 0; i < n; i++) {
		err = kvmreg_id_check(vcpu->driver->arch, ids[i]);
		if (err)
			return err;
		total += kvmreg_id_size(ids[i]);
	}
	if (kvmreg_state_arch(state) != vcpu->driver->arch)
		return kvmreg_set_error(-EINVAL,
					"a %s state cannot hold registers of a %s vCPU",
					kvmreg_arch_name(kvmreg_state_arch(state)),
					vcpu->driver->name);
	if (!errs)
		errs = own_errs = calloc(n + 1, sizeof(*errs));
	buf = calloc(total + 1, 1);
	vals = calloc(n + 1, sizeof(*vals));
	if (!errs || !buf || !vals) {
		err = kvmreg_set_error(-ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0, off = 0; i < n; i++) {
		vals[i] = buf + off;
		off += kvmreg_id_size(ids[i]);
	}
	err = kvmreg_read_values(vcpu, ids, n, vals, errs);
	for (size_t i = 0; !err && i < n; i++)
		if (!errs[i])
			err = kvmreg_state_set(state, ids[i], vals[i],
					       kvmreg_id_size(ids[i]));
	if (!err)
		err = first_error(ids, n, errs, "reading");
out:
	free(own_errs);
	free(buf);
	free(vals);
	return err;
}

/* ids and values of a state, as arrays the write path takes. */
int kvmreg_state_arrays(const struct kvmreg_state *state, uint64_t **ids,
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

		kvmreg_state_at(state, i, &(*ids)[i], &v);
		if (!v) {
			free(*ids);
			free(*vals);
			return kvmreg_set_error(-EINVAL,
						"register 0x%016" PRIx64 " has no value (is this a capture, not a saved state?)",
						(*ids)[i]);
		}
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

	if (kvmreg_state_arch(state) != vcpu->driver->arch)
		return kvmreg_set_error(-EINVAL,
					"a %s state cannot be written to a %s vCPU",
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
