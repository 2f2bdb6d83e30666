// SPDX-License-Identifier: MIT
/*
 * Migration beyond one host: what a capture records as allowed, the
 * baseline of several hosts, and adapting a state to a host. The rules
 * per register are the arch driver's (struct kvmreg_feature_ops); this file
 * only walks states and keeps the books, so every change is listed.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/arch.h"
#include "file.h"
#include "internal.h"
#include "state.h"

static const struct kvmreg_feature_ops *feature_ops(enum kvmreg_arch arch)
{
	const struct kvmreg_arch_driver *d = kvmreg_driver(arch);

	return d ? d->features : NULL;
}

/* ------------------------------------------------------------------ */
/* Baseline                                                            */

static int lost_line(struct kvmreg_baseline *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int lost_line(struct kvmreg_baseline *r, const char *fmt, ...)
{
	va_list ap;
	void *v = realloc(r->lost, (r->lost_count + 1) * sizeof(*r->lost));

	if (!v)
		return kvmreg_set_error(-ENOMEM, "out of memory");
	r->lost = v;
	va_start(ap, fmt);
	vsnprintf(r->lost[r->lost_count++], sizeof(*r->lost), fmt, ap);
	va_end(ap);
	return 0;
}

static void reg_name(enum kvmreg_arch arch, uint64_t id, char *buf,
		     size_t len)
{
	if (kvmreg_id_name(arch, id, KVMREG_NAME_SHORT, buf, len) < 0)
		snprintf(buf, len, "0x%016" PRIx64, id);
}

/* "host 2 (6.18.0)" */
static void host_label(const struct kvmreg_state *const *caps, size_t k,
		       char *buf, size_t len)
{
	const char *kernel = kvmreg_state_kernel(caps[k]);

	snprintf(buf, len, "host %zu (%s)", k + 1, *kernel ? kernel : "?");
}

/* The meet of every host's allowed (value, mask) for id into v, m. */
static int meet_all(const struct kvmreg_feature_ops *ops,
		    const struct kvmreg_state *const *caps, size_t n,
		    uint64_t id, uint8_t *v, uint8_t *m)
{
	static const uint8_t none[256];
	size_t size = kvmreg_id_size(id);
	uint8_t nv[256], nm[256];
	char why[192], name[96], host[96];

	for (size_t k = 0; k < n; k++) {
		const void *hv = none, *hm = none;
		int r;

		kvmreg_state_allowed(caps[k], id, &hv, &hm);
		if (!k) {
			memcpy(v, hv, size);
			memcpy(m, hm, size);
			continue;
		}
		why[0] = '\0';
		r = ops->meet(id, v, m, hv, hm, nv, nm, why, sizeof(why));
		if (r < 0) {
			reg_name(caps[0]->arch, id, name, sizeof(name));
			host_label(caps, k, host, sizeof(host));
			return kvmreg_set_error(r,
						"%s: no value every host accepts (%s): %s",
						name, host, why);
		}
		memcpy(v, nv, size);
		memcpy(m, nm, size);
	}
	return 0;
}

/* What each host gives up for id by running with the baseline's v, m. */
static int count_lost(const struct kvmreg_feature_ops *ops,
		      const struct kvmreg_state *const *caps, size_t n,
		      uint64_t id, const uint8_t *v, const uint8_t *m,
		      struct kvmreg_baseline *r)
{
	static const uint8_t none[256];
	uint8_t nv[256], nm[256];
	char why[192], name[96], host[96];

	for (size_t k = 0; k < n; k++) {
		const void *hv = none, *hm = none;
		int bits;

		kvmreg_state_allowed(caps[k], id, &hv, &hm);
		why[0] = '\0';
		bits = ops->meet(id, hv, hm, v, m, nv, nm, why, sizeof(why));
		if (bits <= 0)
			continue;
		r->bits_lost += (size_t)bits;
		reg_name(caps[0]->arch, id, name, sizeof(name));
		host_label(caps, k, host, sizeof(host));
		if (lost_line(r, "%s: %s: %s (%d bit%s)", host, name, why,
			      bits, bits == 1 ? "" : "s"))
			return -ENOMEM;
	}
	return 0;
}

static int in_all(const struct kvmreg_state *const *caps, size_t n,
		  uint64_t id)
{
	for (size_t k = 1; k < n; k++)
		if (!kvmreg_state_has(caps[k], id))
			return 0;
	return 1;
}

static int any_allowed(const struct kvmreg_state *const *caps, size_t n,
		       uint64_t id)
{
	for (size_t k = 0; k < n; k++)
		if (!kvmreg_state_allowed(caps[k], id, NULL, NULL))
			return 1;
	return 0;
}

/* Registers of some capture that are not in all: the baseline drops them. */
static int note_dropped(const struct kvmreg_state *const *caps, size_t n,
			struct kvmreg_state *out, struct kvmreg_baseline *r)
{
	struct kvmreg_state *seen = kvmreg_state_new(caps[0]->arch);
	char name[96], host[96];
	int err = seen ? 0 : -ENOMEM;

	for (size_t k = 0; !err && k < n; k++) {
		for (size_t i = 0; !err && i < caps[k]->count; i++) {
			uint64_t id = caps[k]->entries[i].id;

			if (kvmreg_state_has(out, id) ||
			    kvmreg_state_has(seen, id))
				continue;
			err = kvmreg_state_set(seen, id, NULL,
					       kvmreg_id_size(id));
			r->dropped++;
			reg_name(caps[0]->arch, id, name, sizeof(name));
			host_label(caps, k, host, sizeof(host));
			if (!err)
				err = lost_line(r, "%s: %s: not on every host, left out",
						host, name);
		}
	}
	kvmreg_state_free(seen);
	return err;
}

KVMREG_EXPORT int kvmreg_baseline(const struct kvmreg_state *const *caps,
				  size_t n, struct kvmreg_state **out,
				  struct kvmreg_baseline **report)
{
	const struct kvmreg_feature_ops *ops;
	struct kvmreg_baseline *r;
	struct kvmreg_state *b;
	int err = 0;

	KVMREG_NEED_ARG(caps || !n, "caps");
	KVMREG_NEED_ARG(out, "out");
	for (size_t k = 0; k < n; k++)
		KVMREG_NEED_ARG(caps[k], "a capture");
	*out = NULL;
	if (report)
		*report = NULL;
	if (!n)
		return kvmreg_set_error(-EINVAL, "a baseline needs at least one capture");
	for (size_t k = 1; k < n; k++)
		if (caps[k]->arch != caps[0]->arch)
			return kvmreg_set_error(-EINVAL,
						"capture %zu is %s, capture 1 %s: a baseline is of one architecture",
						k + 1, kvmreg_arch_name(caps[k]->arch),
						kvmreg_arch_name(caps[0]->arch));
	ops = feature_ops(caps[0]->arch);
	r = calloc(1, sizeof(*r));
	b = kvmreg_state_new(caps[0]->arch);
	if (!r || !b) {
		free(r);
		kvmreg_state_free(b);
		return kvmreg_set_error(-ENOMEM, "out of memory");
	}
	r->hosts = n;
	b->flags |= KVMREG_STATE_F_CAPTURE;
	for (size_t i = 0; !err && i < caps[0]->count; i++) {
		uint64_t id = caps[0]->entries[i].id;
		uint8_t v[256], m[256];

		if (!in_all(caps, n, id))
			continue;
		err = kvmreg_state_set(b, id, NULL, kvmreg_id_size(id));
		if (err || !ops || !ops->meet || !any_allowed(caps, n, id))
			continue;
		err = meet_all(ops, caps, n, id, v, m);
		if (!err)
			err = kvmreg_state_set_allowed(b, id, v, m,
						       kvmreg_id_size(id));
		if (!err)
			err = count_lost(ops, caps, n, id, v, m, r);
	}
	/* Allowed values of ids no host lists (x86: supported CPUID). */
	for (size_t i = 0; !err && caps[0]->allowed &&
			   i < caps[0]->allowed->count; i++) {
		uint64_t id = caps[0]->allowed->entries[i].id;
		uint8_t v[256], m[256];

		if (kvmreg_state_has(b, id) || !ops || !ops->meet)
			continue;
		err = meet_all(ops, caps, n, id, v, m);
		if (!err)
			err = kvmreg_state_set_allowed(b, id, v, m,
						       kvmreg_id_size(id));
		if (!err)
			err = count_lost(ops, caps, n, id, v, m, r);
	}
	if (!err)
		err = note_dropped(caps, n, b, r);
	if (err) {
		kvmreg_baseline_free(r);
		kvmreg_state_free(b);
		return err;
	}
	*out = b;
	if (report)
		*report = r;
	else
		kvmreg_baseline_free(r);
	return 0;
}

KVMREG_EXPORT void kvmreg_baseline_free(struct kvmreg_baseline *r)
{
	if (!r)
		return;
	free(r->lost);
	free(r);
}

/* ------------------------------------------------------------------ */
/* Adapt                                                               */

/* A reason, cut to its buffer: reasons quote other reasons. */
static void reasonf(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void reasonf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

static struct kvmreg_adapt_change *change_add(struct kvmreg_adapt *a,
					      uint64_t id,
					      enum kvmreg_adapt_action action)
{
	struct kvmreg_adapt_change *c;
	void *v = realloc(a->changes, (a->count + 1) * sizeof(*a->changes));

	if (!v) {
		kvmreg_set_error(-ENOMEM, "out of memory");
		return NULL;
	}
	a->changes = v;
	c = &a->changes[a->count++];
	memset(c, 0, sizeof(*c));
	c->id = id;
	c->action = (uint8_t)action;
	if (action == KVMREG_ADAPT_REFUSED)
		a->refused++;
	return c;
}

/* The state without the ids of the changes that dropped one. */
static int drop_ids(const struct kvmreg_state *state,
		    const struct kvmreg_adapt *a, struct kvmreg_state **out)
{
	struct kvmreg_state *s = kvmreg_state_new(state->arch);
	int err = s ? 0 : kvmreg_set_error(-ENOMEM, "out of memory");

	if (!err)
		err = kvmreg_state_set_kernel(s, state->kernel);
	for (size_t i = 0; !err && i < state->count; i++) {
		const void *value;
		uint64_t id;
		bool dropped = false;

		kvmreg_state_at(state, i, &id, &value);
		for (size_t k = 0; k < a->count; k++)
			dropped |= a->changes[k].id == id &&
				   a->changes[k].action == KVMREG_ADAPT_DROPPED;
		if (!dropped)
			err = kvmreg_state_set(s, id, value,
					       kvmreg_id_size(id));
	}
	if (err) {
		kvmreg_state_free(s);
		return err;
	}
	*out = s;
	return 0;
}

/* One compat finding: a change that fixes it, a refusal, or nothing. */
static int adapt_finding(const struct kvmreg_state *state,
			 const struct kvmreg_feature_ops *ops,
			 const struct kvmreg_compat_finding *f,
			 struct kvmreg_adapt *a)
{
	struct kvmreg_adapt_change *c;
	char why[sizeof(c->reason)];

	if (f->effect != KVMREG_EFFECT_REFUSED &&
	    f->effect != KVMREG_EFFECT_GUEST_DIFFERS)
		return 0;
	why[0] = '\0';
	if (f->kind == KVMREG_FINDING_MISSING && ops && ops->adapt_drop &&
	    ops->adapt_drop(state, f->id, why, sizeof(why)) == 1) {
		c = change_add(a, f->id, KVMREG_ADAPT_DROPPED);
		if (c)
			reasonf(c->reason, sizeof(c->reason), "%s", why);
		return c ? 0 : -ENOMEM;
	}
	c = change_add(a, f->id, KVMREG_ADAPT_REFUSED);
	if (!c)
		return -ENOMEM;
	switch (f->kind) {
	case KVMREG_FINDING_MISSING:
		reasonf(c->reason, sizeof(c->reason),
			 "the host lacks it, and %s",
			 why[0] ? why : "no rule says the guest cannot tell");
		break;
	case KVMREG_FINDING_FEATURE:
		reasonf(c->reason, sizeof(c->reason),
			 "%s; the guest read it at boot, so adapt does not change it",
			 f->reason);
		break;
	default:
		reasonf(c->reason, sizeof(c->reason), "%s", f->reason);
		break;
	}
	return 0;
}

KVMREG_EXPORT int kvmreg_adapt(const struct kvmreg_state *state,
			       const struct kvmreg_state *capture,
			       struct kvmreg_state **out,
			       struct kvmreg_adapt **report)
{
	const struct kvmreg_feature_ops *ops;
	struct kvmreg_compat *compat;
	struct kvmreg_adapt *a;
	int err;

	KVMREG_NEED_ARG(state, "state");
	KVMREG_NEED_ARG(capture, "capture");
	KVMREG_NEED_ARG(out, "out");
	KVMREG_NEED_ARG(report, "report");
	ops = feature_ops(state->arch);
	*out = NULL;
	*report = NULL;
	if (kvmreg_state_is_capture(state) && state->count)
		return kvmreg_set_error(-EINVAL,
					"adapt needs a state with values, not a capture");
	err = kvmreg_state_compat(state, capture, &compat);
	if (err)
		return err;
	a = calloc(1, sizeof(*a));
	if (!a) {
		kvmreg_compat_free(compat);
		return kvmreg_set_error(-ENOMEM, "out of memory");
	}
	for (size_t i = 0; !err && i < compat->finding_count; i++)
		err = adapt_finding(state, ops, &compat->findings[i], a);
	kvmreg_compat_free(compat);
	if (!err && !a->refused)
		err = drop_ids(state, a, out);
	if (err) {
		kvmreg_adapt_free(a);
		return err;
	}
	*report = a;
	if (a->refused) {
		char name[96];

		for (size_t i = 0; i < a->count; i++) {
			if (a->changes[i].action != KVMREG_ADAPT_REFUSED)
				continue;
			reg_name(state->arch, a->changes[i].id, name,
				 sizeof(name));
			return kvmreg_set_error(-EXDEV,
						"%zu register%s cannot be made to fit the host, first %s: %s",
						a->refused,
						a->refused == 1 ? "" : "s",
						name, a->changes[i].reason);
		}
	}
	return 0;
}

KVMREG_EXPORT void kvmreg_adapt_free(struct kvmreg_adapt *a)
{
	if (!a)
		return;
	free(a->changes);
	free(a);
}

KVMREG_EXPORT const char *kvmreg_adapt_action_name(enum kvmreg_adapt_action action)
{
	switch (action) {
	case KVMREG_ADAPT_DROPPED:
		return "dropped";
	case KVMREG_ADAPT_REFUSED:
		return "refused";
	}
	return "unknown";
}
