// SPDX-License-Identifier: MIT
/*
 * Comparing states. A diff pairs the registers of two states by id; what
 * does not pair exactly is paired again with the size field of the id
 * masked out, because a register KVM widened between kernels keeps its
 * other id bits and is the same register to a reader. Compat reads a diff
 * without values as "would restoring this state on that host work, and
 * would the guest see the same machine": KVM rejects a register it does
 * not have (unless the restore itself creates it: the driver knows) and a
 * value of the wrong size, leaves a register the state does not mention
 * at its reset value, and takes a feature value only within what the
 * host's capture allows (the driver's per-field rules).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/arch.h"
#include "arch/common/kvm_common.h"
#include "internal.h"
#include "state.h"

struct unpaired {
	uint64_t key;		/* the id without its size field */
	size_t index;		/* in its state */
};

struct keyed_entry {
	size_t order;		/* a's position, or a's count + b's position */
	struct kvmreg_diff_entry e;
};

struct builder {
	struct keyed_entry *v;
	size_t n;
	size_t cap;
};

static int push(struct builder *b, size_t order, uint64_t id_a, uint64_t id_b,
		enum kvmreg_diff_kind kind, bool is_volatile)
{
	struct keyed_entry *k;

	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 32;
		void *v = realloc(b->v, cap * sizeof(*b->v));

		if (!v)
			return kvmreg_set_error(-ENOMEM, "out of memory");
		b->v = v;
		b->cap = cap;
	}
	k = &b->v[b->n++];
	memset(k, 0, sizeof(*k));
	k->order = order;
	k->e.id_a = id_a;
	k->e.id_b = id_b;
	k->e.kind = (uint8_t)kind;
	k->e.is_volatile = is_volatile;
	return 0;
}

static int by_key(const void *x, const void *y)
{
	const struct unpaired *a = x, *b = y;

	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	return a->index < b->index ? -1 : a->index > b->index;
}

static int by_order(const void *x, const void *y)
{
	const struct keyed_entry *a = x, *b = y;

	return a->order < b->order ? -1 : a->order > b->order;
}

/* Entries of `of` whose exact id `other` lacks. */
static int collect_unpaired(const struct kvmreg_state *of,
			    const struct kvmreg_state *other,
			    struct unpaired **out, size_t *n)
{
	*n = 0;
	*out = malloc((of->count + 1) * sizeof(**out));
	if (!*out)
		return kvmreg_set_error(-ENOMEM, "out of memory");
	for (size_t i = 0; i < of->count; i++) {
		uint64_t id = of->entries[i].id;

		if (kvmreg_state_has(other, id))
			continue;
		(*out)[*n].key = id & ~KVM_REG_SIZE_MASK;
		(*out)[(*n)++].index = i;
	}
	qsort(*out, *n, sizeof(**out), by_key);
	return 0;
}

/* Registers in both states, id for id. */
static int compare_paired(const struct kvmreg_state *a,
			  const struct kvmreg_state *b, unsigned int flags,
			  struct kvmreg_diff *d, struct builder *out)
{
	for (size_t i = 0; i < a->count; i++) {
		uint64_t id = a->entries[i].id;
		const void *va, *vb;
		bool vol;

		if (!kvmreg_state_has(b, id))
			continue;
		kvmreg_state_at(a, i, NULL, &va);
		vb = kvmreg_state_get(b, id);
		if (flags & KVMREG_DIFF_NO_VALUES) {
			d->same++;
			continue;
		}
		if (!va || !vb) {
			d->unvalued++;
			continue;
		}
		if (!memcmp(va, vb, kvmreg_id_size(id))) {
			d->same++;
			continue;
		}
		vol = kvmreg_id_is_volatile(a->arch, id);
		if (vol && (flags & KVMREG_DIFF_IGNORE_VOLATILE)) {
			d->volatile_skipped++;
			continue;
		}
		if (push(out, i, id, id, KVMREG_DIFF_VALUE, vol))
			return -ENOMEM;
	}
	return 0;
}

/* Merge the two sorted unpaired lists: same key = a size change. */
static int pair_by_key(const struct kvmreg_state *a, const struct kvmreg_state *b,
		       const struct unpaired *ua, size_t na,
		       const struct unpaired *ub, size_t nb,
		       struct builder *out)
{
	enum kvmreg_arch arch = a->arch;
	size_t i = 0, j = 0;
	int err = 0;

	while (!err && (i < na || j < nb)) {
		if (j == nb || (i < na && ua[i].key < ub[j].key)) {
			uint64_t id = a->entries[ua[i].index].id;

			err = push(out, ua[i++].index, id, 0, KVMREG_DIFF_ONLY_A,
				   kvmreg_id_is_volatile(arch, id));
		} else if (i == na || ub[j].key < ua[i].key) {
			uint64_t id = b->entries[ub[j].index].id;

			err = push(out, a->count + ub[j++].index, 0, id,
				   KVMREG_DIFF_ONLY_B,
				   kvmreg_id_is_volatile(arch, id));
		} else {
			uint64_t ida = a->entries[ua[i].index].id;
			uint64_t idb = b->entries[ub[j++].index].id;

			err = push(out, ua[i++].index, ida, idb, KVMREG_DIFF_SIZE,
				   kvmreg_id_is_volatile(arch, ida) ||
				   kvmreg_id_is_volatile(arch, idb));
		}
	}
	return err;
}

KVMREG_EXPORT int kvmreg_state_diff(const struct kvmreg_state *a,
				    const struct kvmreg_state *b,
				    unsigned int flags, struct kvmreg_diff **out)
{
	struct unpaired *ua = NULL, *ub = NULL;
	struct builder built = { 0 };
	struct kvmreg_diff *d;
	size_t na, nb;
	int err;

	KVMREG_NEED_ARG(a, "a");
	KVMREG_NEED_ARG(b, "b");
	KVMREG_NEED_ARG(out, "out");
	if (flags & ~(KVMREG_DIFF_IGNORE_VOLATILE | KVMREG_DIFF_NO_VALUES))
		return kvmreg_set_error(-EINVAL,
					"kvmreg_state_diff: unknown diff flags 0x%x",
					flags & ~(KVMREG_DIFF_IGNORE_VOLATILE |
						  KVMREG_DIFF_NO_VALUES));
	if (a->arch != b->arch)
		return kvmreg_set_error(-EINVAL,
					"cannot compare states of two architectures: %s and %s",
					kvmreg_arch_name(a->arch),
					kvmreg_arch_name(b->arch));
	d = calloc(1, sizeof(*d));
	if (!d)
		return kvmreg_set_error(-ENOMEM, "out of memory");
	err = compare_paired(a, b, flags, d, &built);
	if (!err)
		err = collect_unpaired(a, b, &ua, &na);
	if (!err)
		err = collect_unpaired(b, a, &ub, &nb);
	if (!err)
		err = pair_by_key(a, b, ua, na, ub, nb, &built);
	free(ua);
	free(ub);
	if (!err) {
		d->entries = calloc(built.n + 1, sizeof(*d->entries));
		if (!d->entries)
			err = kvmreg_set_error(-ENOMEM, "out of memory");
	}
	if (err) {
		free(built.v);
		free(d);
		return err;
	}
	/* Read in a's order, then what only b has in b's order. */
	if (built.n)
		qsort(built.v, built.n, sizeof(*built.v), by_order);
	for (size_t i = 0; i < built.n; i++)
		d->entries[i] = built.v[i].e;
	d->count = built.n;
	free(built.v);
	*out = d;
	return 0;
}

KVMREG_EXPORT void kvmreg_diff_free(struct kvmreg_diff *d)
{
	if (!d)
		return;
	free(d->entries);
	free(d);
}

KVMREG_EXPORT const char *kvmreg_diff_kind_name(enum kvmreg_diff_kind kind)
{
	switch (kind) {
	case KVMREG_DIFF_ONLY_A:
		return "only-in-a";
	case KVMREG_DIFF_ONLY_B:
		return "only-in-b";
	case KVMREG_DIFF_SIZE:
		return "size";
	case KVMREG_DIFF_VALUE:
		return "value";
	}
	return "unknown";
}

struct findings {
	struct kvmreg_compat_finding *v;
	size_t n, cap;
};

static struct kvmreg_compat_finding *finding_add(
	struct findings *f, uint64_t id, uint64_t host_id,
	enum kvmreg_finding_kind kind, enum kvmreg_finding_effect effect)
{
	struct kvmreg_compat_finding *e;

	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 16;
		void *v = realloc(f->v, cap * sizeof(*f->v));

		if (!v) {
			kvmreg_set_error(-ENOMEM, "out of memory");
			return NULL;
		}
		f->v = v;
		f->cap = cap;
	}
	e = &f->v[f->n++];
	memset(e, 0, sizeof(*e));
	e->id = id;
	e->host_id = host_id;
	e->kind = (uint8_t)kind;
	e->effect = (uint8_t)effect;
	return e;
}

static int creates(const struct kvmreg_feature_ops *ops,
		   const struct kvmreg_state *state, uint64_t id)
{
	return ops && ops->restore_creates && ops->restore_creates(state, id);
}

/* What each presence or size difference does to a restore. */
static int presence_findings(const struct kvmreg_state *state,
			     const struct kvmreg_feature_ops *ops,
			     struct kvmreg_compat *c, struct findings *f)
{
	for (size_t i = 0; i < c->diff->count; i++) {
		const struct kvmreg_diff_entry *d = &c->diff->entries[i];
		struct kvmreg_compat_finding *e;

		switch (d->kind) {
		case KVMREG_DIFF_ONLY_A:
			if (creates(ops, state, d->id_a)) {
				e = finding_add(f, d->id_a, 0,
						KVMREG_FINDING_CREATED,
						KVMREG_EFFECT_NONE);
				if (e)
					snprintf(e->reason, sizeof(e->reason),
						 "not listed by the host, but the restore writes its group whole, which creates it");
				c->created++;
				break;
			}
			e = finding_add(f, d->id_a, 0, KVMREG_FINDING_MISSING,
					KVMREG_EFFECT_REFUSED);
			if (e)
				snprintf(e->reason, sizeof(e->reason),
					 "the host's KVM does not list it: the write fails (ENOENT)");
			c->missing++;
			break;
		case KVMREG_DIFF_ONLY_B:
			if (creates(ops, state, d->id_b)) {
				e = finding_add(f, d->id_b, d->id_b,
						KVMREG_FINDING_EXTRA,
						KVMREG_EFFECT_NONE);
				if (e)
					snprintf(e->reason, sizeof(e->reason),
						 "only on the host; the restore writes its group whole, which removes it");
				c->created++;
				break;
			}
			e = finding_add(f, d->id_b, d->id_b,
					KVMREG_FINDING_EXTRA,
					KVMREG_EFFECT_RESET);
			if (e)
				snprintf(e->reason, sizeof(e->reason),
					 "only on the host: it keeps the host's reset value");
			c->extra++;
			break;
		case KVMREG_DIFF_SIZE:
			e = finding_add(f, d->id_a, d->id_b,
					KVMREG_FINDING_RESIZED,
					KVMREG_EFFECT_REFUSED);
			if (e)
				snprintf(e->reason, sizeof(e->reason),
					 "%zu bytes in the state, %zu on the host: the write fails",
					 kvmreg_id_size(d->id_a),
					 kvmreg_id_size(d->id_b));
			c->resized++;
			break;
		default:
			continue;
		}
		if (!e)
			return -ENOMEM;
	}
	return 0;
}

/* Every valued feature register of state against what host allows. */
static int feature_findings(const struct kvmreg_state *state,
			    const struct kvmreg_state *host,
			    const struct kvmreg_feature_ops *ops,
			    struct kvmreg_compat *c, struct findings *f)
{
	static const uint8_t none[256];

	if (!ops || !ops->is_feature || !ops->check || !host->allowed)
		return 0;
	c->features_checked = true;
	for (size_t i = 0; i < state->count; i++) {
		const void *saved, *value = none, *mask = none;
		struct kvmreg_compat_finding *e;
		enum kvmreg_feature_effect effect;
		char why[sizeof(e->reason)];
		uint64_t id;

		kvmreg_state_at(state, i, &id, &saved);
		if (!saved || !ops->is_feature(id))
			continue;
		if (!kvmreg_state_has(host, id) && !creates(ops, state, id))
			continue;	/* already a missing register */
		kvmreg_state_allowed(host, id, &value, &mask);
		why[0] = '\0';
		effect = ops->check(id, saved, value, mask, why, sizeof(why));
		if (effect == KVMREG_FEATURE_OK)
			continue;
		e = finding_add(f, id, id, KVMREG_FINDING_FEATURE,
				effect == KVMREG_FEATURE_REFUSED ?
				KVMREG_EFFECT_REFUSED :
				KVMREG_EFFECT_GUEST_DIFFERS);
		if (!e)
			return -ENOMEM;
		memcpy(e->reason, why, sizeof(why));
		if (effect == KVMREG_FEATURE_REFUSED)
			c->features_refused++;
		else
			c->features_differ++;
	}
	return 0;
}

KVMREG_EXPORT int kvmreg_state_compat(const struct kvmreg_state *state,
				      const struct kvmreg_state *host,
				      struct kvmreg_compat **out)
{
	const struct kvmreg_arch_driver *drv;
	const struct kvmreg_feature_ops *ops;
	struct findings f = { 0 };
	struct kvmreg_compat *c;
	int err = 0;

	KVMREG_NEED_ARG(state, "state");
	KVMREG_NEED_ARG(host, "host");
	KVMREG_NEED_ARG(out, "out");
	drv = kvmreg_driver(state->arch);
	ops = drv ? drv->features : NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return kvmreg_set_error(-ENOMEM, "out of memory");
	if (state->arch != host->arch) {
		struct kvmreg_compat_finding *e;

		c->arch_differs = true;
		c->diff = calloc(1, sizeof(*c->diff));
		e = c->diff ? finding_add(&f, 0, 0, KVMREG_FINDING_ARCH,
					  KVMREG_EFFECT_REFUSED) : NULL;
		if (e)
			snprintf(e->reason, sizeof(e->reason),
				 "the state is %s, the host %s",
				 kvmreg_arch_name(state->arch),
				 kvmreg_arch_name(host->arch));
		else
			err = kvmreg_set_error(-ENOMEM, "out of memory");
	} else {
		err = kvmreg_state_diff(state, host, KVMREG_DIFF_NO_VALUES,
					&c->diff);
		if (!err)
			err = presence_findings(state, ops, c, &f);
		if (!err)
			err = feature_findings(state, host, ops, c, &f);
	}
	if (err) {
		free(f.v);
		kvmreg_diff_free(c->diff);
		free(c);
		return err;
	}
	c->findings = f.v;
	c->finding_count = f.n;
	if (c->arch_differs || c->missing || c->resized ||
	    c->features_refused || c->features_differ)
		c->verdict = KVMREG_COMPAT_INCOMPATIBLE;
	else if (c->extra)
		c->verdict = KVMREG_COMPAT_OK_EXTRA;
	else
		c->verdict = KVMREG_COMPAT_OK;
	*out = c;
	return 0;
}

KVMREG_EXPORT void kvmreg_compat_free(struct kvmreg_compat *c)
{
	if (!c)
		return;
	kvmreg_diff_free(c->diff);
	free(c->findings);
	free(c);
}

KVMREG_EXPORT const char *kvmreg_compat_verdict_name(
	enum kvmreg_compat_verdict verdict)
{
	switch (verdict) {
	case KVMREG_COMPAT_OK:
		return "compatible";
	case KVMREG_COMPAT_OK_EXTRA:
		return "compatible, with registers the state does not set";
	case KVMREG_COMPAT_INCOMPATIBLE:
		return "incompatible";
	}
	return "unknown";
}

KVMREG_EXPORT const char *kvmreg_finding_kind_name(enum kvmreg_finding_kind kind)
{
	switch (kind) {
	case KVMREG_FINDING_MISSING:
		return "missing";
	case KVMREG_FINDING_RESIZED:
		return "resized";
	case KVMREG_FINDING_EXTRA:
		return "extra";
	case KVMREG_FINDING_CREATED:
		return "created";
	case KVMREG_FINDING_FEATURE:
		return "feature";
	case KVMREG_FINDING_ARCH:
		return "arch";
	}
	return "unknown";
}

KVMREG_EXPORT const char *kvmreg_finding_effect_name(
	enum kvmreg_finding_effect effect)
{
	switch (effect) {
	case KVMREG_EFFECT_NONE:
		return "none";
	case KVMREG_EFFECT_RESET:
		return "reset";
	case KVMREG_EFFECT_GUEST_DIFFERS:
		return "guest-differs";
	case KVMREG_EFFECT_REFUSED:
		return "refused";
	}
	return "unknown";
}
