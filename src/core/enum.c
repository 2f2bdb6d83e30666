// SPDX-License-Identifier: MIT
/*
 * Enumeration: KVM_GET_REG_LIST where the kernel has it, else the arch's
 * fallback table (probed where a probe means something), then whatever the
 * arch exposes outside the kernel list (x86 MSRs and struct state).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <linux/kvm.h>

#include "arch/arch.h"
#include "internal.h"

/*
 * The two-call protocol: ask with n = 0 to learn the count (E2BIG), then
 * fetch. The list can grow between the calls (a vCPU feature finalized by
 * another thread), so a second E2BIG means: ask again with the new n. No
 * cap: we never truncate.
 */
static int kernel_reg_list(struct kvmreg_vcpu *vcpu, struct kvmreg_idvec *out)
{
	struct kvm_reg_list probe = { .n = 0 };
	struct kvm_reg_list *list = NULL;
	uint64_t n;
	int r;

	r = kvmreg_vcpu_ioctl(vcpu, KVM_GET_REG_LIST, &probe);
	if (r == 0)
		return 0;	/* an empty list */
	if (r != -E2BIG)
		return kvmreg_set_error(r, "KVM_GET_REG_LIST: %s", strerror(-r));
	n = probe.n;
	for (int attempt = 0; attempt < 16; attempt++) {
		struct kvm_reg_list *bigger;

		bigger = realloc(list, sizeof(*list) + n * sizeof(uint64_t));
		if (!bigger) {
			free(list);
			return kvmreg_set_error(-ENOMEM, "out of memory");
		}
		list = bigger;
		list->n = n;
		r = kvmreg_vcpu_ioctl(vcpu, KVM_GET_REG_LIST, list);
		if (r == -E2BIG && list->n > n) {
			n = list->n;
			continue;
		}
		break;
	}
	if (r == 0) {
		for (uint64_t i = 0; i < list->n && !r; i++)
			r = kvmreg_idvec_push(out, list->reg[i]);
	} else {
		r = kvmreg_set_error(r, "KVM_GET_REG_LIST: %s", strerror(-r));
	}
	free(list);
	return r;
}

static int fallback_list(struct kvmreg_vcpu *vcpu, struct kvmreg_idvec *out)
{
	const struct kvmreg_arch_driver *d = vcpu->driver;
	struct kvmreg_idvec candidates = { 0 };
	uint8_t value[256];
	int err = 0;

	if (!d->fallback)
		return 0;
	err = d->fallback(vcpu, NULL, &candidates);
	for (size_t i = 0; !err && i < candidates.n; i++) {
		uint64_t id = candidates.v[i];

		if (d->probe_is_informative &&
		    kvmreg_one_reg_get(vcpu, id, value) < 0)
			continue;
		err = kvmreg_idvec_push(out, id);
	}
	kvmreg_idvec_free(&candidates);
	return err;
}

static int list_append(struct kvmreg_list *list, uint64_t id, uint8_t source,
		       const struct kvmreg_arch_driver *d)
{
	struct kvmreg_reg *r = &list->regs[list->count++];

	r->id = id;
	r->size = (uint32_t)kvmreg_size_of(id);
	r->source = source;
	r->flags = d->id_is_volatile && d->id_is_volatile(id) ?
		   KVMREG_REG_VOLATILE : 0;
	r->reserved = 0;
	return 0;
}

/* Whether the kernel's list already has id: list_extra may repeat one of
 * its ids (x86 SSP), never its own. */
static int in_base(const struct kvmreg_idvec *base, uint64_t id)
{
	for (size_t i = 0; i < base->n; i++)
		if (base->v[i] == id)
			return 1;
	return 0;
}

KVMREG_EXPORT int kvmreg_list_get(struct kvmreg_vcpu *vcpu, unsigned int flags,
				  struct kvmreg_list **out)
{
	const struct kvmreg_arch_driver *d;
	struct kvmreg_idvec base = { 0 }, extra = { 0 }, sources = { 0 };
	uint8_t base_source = KVMREG_SRC_KERNEL_LIST;
	struct kvmreg_list *list = NULL;
	int err = -ENOTTY;

	KVMREG_NEED_ARG(vcpu, "vcpu");
	KVMREG_NEED_ARG(out, "out");
	if (flags & ~KVMREG_LIST_FORCE_FALLBACK)
		return kvmreg_set_error(-EINVAL,
					"kvmreg_list_get: unknown list flags 0x%x",
					flags & ~KVMREG_LIST_FORCE_FALLBACK);
	d = vcpu->driver;
	if (!(flags & KVMREG_LIST_FORCE_FALLBACK))
		err = kernel_reg_list(vcpu, &base);
	/* ENOTTY/EINVAL: this kernel has no KVM_GET_REG_LIST for the arch. */
	if (err == -ENOTTY || err == -EINVAL) {
		base.n = 0;
		base_source = KVMREG_SRC_FALLBACK;
		err = fallback_list(vcpu, &base);
	}
	if (!err && d->list_extra)
		err = d->list_extra(vcpu, &extra, &sources);
	if (err)
		goto out;
	list = calloc(1, sizeof(*list));
	if (list)
		list->regs = calloc(base.n + extra.n + 1, sizeof(*list->regs));
	if (!list || !list->regs) {
		err = kvmreg_set_error(-ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < base.n; i++)
		list_append(list, base.v[i], base_source, d);
	for (size_t i = 0; i < extra.n; i++)
		if (!in_base(&base, extra.v[i]))
			list_append(list, extra.v[i],
				    i < sources.n ? (uint8_t)sources.v[i] :
						    KVMREG_SRC_LIBRARY, d);
	*out = list;
	list = NULL;
out:
	kvmreg_list_free(list);
	kvmreg_idvec_free(&base);
	kvmreg_idvec_free(&extra);
	kvmreg_idvec_free(&sources);
	return err;
}

KVMREG_EXPORT void kvmreg_list_free(struct kvmreg_list *list)
{
	if (!list)
		return;
	free(list->regs);
	free(list);
}

KVMREG_EXPORT int kvmreg_fallback_table(enum kvmreg_arch arch,
					const char *features,
					struct kvmreg_list **out)
{
	const struct kvmreg_arch_driver *d = kvmreg_driver(arch);
	struct kvmreg_idvec ids = { 0 };
	struct kvmreg_list *list;
	int err;

	KVMREG_NEED_ARG(out, "out");
	if (!d)
		return kvmreg_set_error(-EINVAL, "unknown architecture %d",
					(int)arch);
	if (!d->fallback)
		return kvmreg_set_error(-ENOTSUP,
					"%s has no fallback table: its kernels have always had KVM_GET_REG_LIST",
					d->name);
	err = d->fallback(NULL, features, &ids);
	if (err)
		return err;
	list = calloc(1, sizeof(*list));
	if (list)
		list->regs = calloc(ids.n + 1, sizeof(*list->regs));
	if (!list || !list->regs) {
		kvmreg_list_free(list);
		kvmreg_idvec_free(&ids);
		return kvmreg_set_error(-ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < ids.n; i++)
		list_append(list, ids.v[i], KVMREG_SRC_FALLBACK, d);
	kvmreg_idvec_free(&ids);
	*out = list;
	return 0;
}
