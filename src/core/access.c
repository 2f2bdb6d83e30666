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
 * Order ids into batches: each group's ids together, groups in order of
 * their first id, plain ONE_REG ids alone. order[] receives indexes into
 * ids; starts[] the first index of each batch, terminated by n.
 */
struct plan {
	size_t *order;
	size_t *starts;
	uint32_t *keys;		/* per batch */
	size_t batches;
};

static void plan_free(struct plan *p)
{
	free(p->order);
	free(p->starts);
	free(p->keys);
}

static int plan_make(const struct kvmreg_vcpu *vcpu, const uint64_t *ids,
		     size_t n, struct plan *p)
{
	uint32_t *key = malloc((n + 1) * sizeof(*key));
	size_t out = 0;

	memset(p, 0, sizeof(*p));
	p->order = malloc((n + 1) * sizeof(*p->order));
	p->starts = malloc((n + 2) * sizeof(*p->starts));
	p->keys = malloc((n + 1) * sizeof(*p->keys));
	if (!key || !p->order || !p->starts || !p->keys) {
		free(key);
		plan_free(p);
		return kvmreg_set_error(-ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < n; i++)
		key[i] = group_of(vcpu, ids[i]);
	/*
	 * Groups are few (x86 has about a dozen), so a scan per new group is
	 * cheaper than a map; done[] marks ids already placed.
	 */
	for (size_t i = 0; i < n; i++) {
		if (key[i] == UINT32_MAX)
			continue;
		p->starts[p->batches] = out;
		p->keys[p->batches++] = key[i];
		p->order[out++] = i;
		if (key[i] == 0)
			continue;
		for (size_t j = i + 1; j < n; j++) {
			if (key[j] == key[i]) {
				p->order[out++] = j;
				key[j] = UINT32_MAX;
			}
		}
	}
	p->starts[p->batches] = out;
	free(key);
	return 0;
}

int kvmreg_read_values(struct kvmreg_vcpu *vcpu, const uint64_t *ids, size_t n,
		       uint8_t *const *vals, int *errs)
{
	const struct kvmreg_group_ops *g = vcpu->driver->groups;
	struct plan p;
	int err = plan_make(vcpu, ids, n, &p);

	if (err)
		return err;
	for (size_t b = 0; b < p.batches; b++) {
		size_t first = p.starts[b], count = p.starts[b + 1] - first;

		if (p.keys[b] == 0) {
			size_t i = p.order[first];

			errs[i] = kvmreg_one_reg_get(vcpu, ids[i], vals[i]);
			continue;
		}
		err = kvmreg_group_call(vcpu, g->get, p.keys[b],
					&p.order[first], count, ids,
					(uint8_t **)vals, errs);
		if (err)
			break;
	}
	plan_free(&p);
	return err;
}

/*
 * Call a group hook on the ids order[0..count) of ids/vals, gathering them
 * into contiguous arrays the hook can take.
 */
int kvmreg_group_call(struct kvmreg_vcpu *vcpu, kvmreg_group_fn fn,
		      uint32_t key, const size_t *order, size_t count,
		      const uint64_t *ids, uint8_t **vals, int *errs)
{
	uint64_t *sub_ids = calloc(count, sizeof(*sub_ids));
	uint8_t **sub_vals = calloc(count, sizeof(*sub_vals));
	int *sub_errs = calloc(count, sizeof(*sub_errs));
	int err = 0;

	if (!sub_ids || !sub_vals || !sub_errs) {
		err = kvmreg_set_error(-ENOMEM, "out of memory");
		goto out;
	}
	for (size_t k = 0; k < count; k++) {
		sub_ids[k] = ids[order[k]];
		sub_vals[k] = vals[order[k]];
	}
	err = fn(vcpu, key, count, sub_ids, sub_vals, sub_errs);
	for (size_t k = 0; k < count; k++)
		errs[order[k]] = err ? err : sub_errs[k];
	err = 0;
out:
	free(sub_ids);
	free(sub_vals);
	free(sub_errs);
	return err;
}

/* set hooks take const values; the cast is only to share kvmreg_group_call */
static int group_set_adapter(struct kvmreg_vcpu *vcpu, uint32_t key, size_t n,
			     const uint64_t *ids, uint8_t *const *vals,
			     int *errs)
{
	return vcpu->driver->groups->set(vcpu, key, n, ids,
					 (const uint8_t *const *)vals, errs);
}

int kvmreg_write_values(struct kvmreg_vcpu *vcpu, const uint64_t *ids,
			size_t n, const uint8_t *const *vals, int *errs)
{
	struct plan p;
	int err = plan_make(vcpu, ids, n, &p);

	if (err)
		return err;
	for (size_t b = 0; b < p.batches && !err; b++) {
		size_t first = p.starts[b], count = p.starts[b + 1] - first;

		if (p.keys[b] == 0) {
			size_t i = p.order[first];

			errs[i] = kvmreg_one_reg_set(vcpu, ids[i], vals[i]);
			continue;
		}
		err = kvmreg_group_call(vcpu, group_set_adapter, p.keys[b],
					&p.order[first], count, ids,
					(uint8_t **)vals, errs);
	}
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
		size_t size = kvmreg_id_size(ids[i]);
		int rerr = 0;

		if (!errs[i])
			continue;
		if (!kvmreg_read_values(vcpu, &ids[i], 1,
					(uint8_t *const[]){ now }, &rerr) &&
		    !rerr && !memcmp(now, vals[i], size))
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
