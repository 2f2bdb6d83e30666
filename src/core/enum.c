// SPDX-License-Identifier: MIT
/*
 * Enumeration: KVM_GET_REG_LIST where the kernel has it, else the arch's
 * fallback table (probed where a probe means something), then whatever the
 * arch exposes outside the kernel list (x86 MSRs and struct state). And the
 * list a handle keeps, with the rule for when it must be made again
 * (docs/perf.md).
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <linux/kvm.h>

#include "arch/arch.h"
#include "internal.h"
#include "plan.h"

/*
 * KVM_GET_REG_LIST in one call where the list fits the guess: the kernel
 * fills the array when n is at least the count and sets n to the count
 * either way (E2BIG when it does not fit), so asking first with n = 0, as
 * the ioctl is usually shown, costs a vCPU ioctl for nothing. The guess is
 * the size of the list this handle last had, and at least a size that
 * holds every list seen on arm64, riscv64 and loongarch64 without SVE.
 * The list can grow between two calls (a vCPU feature finalized by another
 * thread), so each E2BIG asks again with the new n. No cap: we never
 * truncate.
 */
#define REG_LIST_FIRST_GUESS 512

static int kernel_reg_list(struct kvmreg_vcpu *vcpu, struct kvmreg_idvec *out)
{
	struct kvm_reg_list *list = NULL;
	uint64_t n = REG_LIST_FIRST_GUESS;
	int r = -E2BIG;

	if (vcpu->reg_list_count > n)
		n = vcpu->reg_list_count;
	for (int attempt = 0; attempt < 16 && r == -E2BIG; attempt++) {
		struct kvm_reg_list *bigger;

		bigger = realloc(list, sizeof(*list) + n * sizeof(uint64_t));
		if (!bigger) {
			free(list);
			return kvmreg_set_error(-ENOMEM, "out of memory");
		}
		list = bigger;
		list->n = n;
		r = kvmreg_vcpu_ioctl(vcpu, KVM_GET_REG_LIST, list);
		if (r == -E2BIG && list->n <= n)
			break;	/* a kernel that says too small for no reason */
		if (r == -E2BIG)
			n = list->n;
	}
	if (r == 0) {
		vcpu->reg_list_count = list->n;
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

int kvmreg_enumerate(struct kvmreg_vcpu *vcpu, unsigned int flags,
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

struct kvmreg_list *kvmreg_list_copy(const struct kvmreg_list *list)
{
	struct kvmreg_list *copy = calloc(1, sizeof(*copy));

	if (copy)
		copy->regs = malloc((list->count + 1) * sizeof(*copy->regs));
	if (!copy || !copy->regs) {
		kvmreg_list_free(copy);
		kvmreg_set_error(-ENOMEM, "out of memory");
		return NULL;
	}
	memcpy(copy->regs, list->regs, list->count * sizeof(*copy->regs));
	copy->count = list->count;
	return copy;
}

/* ------------------------------------------------------------------ */
/* The list a handle keeps                                              */

/*
 * A VM's list changes (arm64 ID registers are the VM's): one per VM fd,
 * shared by the handles attached with it, counted up by a change that
 * reaches every vCPU of the VM. Handles attached without a VM fd share
 * the one of fd -1. While a handle is attached its VM fd stays open, so
 * the number names one VM.
 */
struct kvmreg_list_watch {
	int vm_fd;
	unsigned int handles;
	_Atomic uint64_t changes;
	struct kvmreg_list_watch *next;
};

static pthread_mutex_t watch_lock = PTHREAD_MUTEX_INITIALIZER;
static struct kvmreg_list_watch *watches;

static struct kvmreg_list_watch *watch_get(int vm_fd)
{
	struct kvmreg_list_watch *w;

	pthread_mutex_lock(&watch_lock);
	for (w = watches; w && w->vm_fd != vm_fd; w = w->next)
		;
	if (!w) {
		w = calloc(1, sizeof(*w));
		if (w) {
			w->vm_fd = vm_fd;
			atomic_init(&w->changes, 0);
			w->next = watches;
			watches = w;
		}
	}
	if (w)
		w->handles++;
	pthread_mutex_unlock(&watch_lock);
	return w;
}

static void watch_put(struct kvmreg_list_watch *w)
{
	struct kvmreg_list_watch **p;

	if (!w)
		return;
	pthread_mutex_lock(&watch_lock);
	if (--w->handles == 0) {
		for (p = &watches; *p != w; p = &(*p)->next)
			;
		*p = w->next;
		free(w);
	}
	pthread_mutex_unlock(&watch_lock);
}

static void forget_list(struct kvmreg_vcpu *vcpu)
{
	kvmreg_plan_put(vcpu->list_plan);
	vcpu->list_plan = NULL;
	kvmreg_list_free(vcpu->list);
	free(vcpu->list_ids);
	free(vcpu->list_value_at);
	vcpu->list = NULL;
	vcpu->list_ids = NULL;
	vcpu->list_value_at = NULL;
	vcpu->list_values = NULL;
	vcpu->n_list_values = 0;
}

/*
 * The registers whose values a list follows change only by a write from
 * outside the guest (list_follows_value). A VMM's own write of one behind
 * the library's back -- riscv64 KVM_SET_ONE_REG switching an extension on,
 * an arm64 ID register, x86 KVM_X86_SETUP_MCE -- can leave the kept list
 * without the registers it adds, and no read fails on that. Each save
 * reads them anyway: the list's first save keeps where they are and their
 * values, and a later save that finds others lists again.
 */
static void keep_list_values(struct kvmreg_vcpu *vcpu,
			     const struct kvmreg_state *state)
{
	const struct kvmreg_arch_driver *d = vcpu->driver;
	size_t n = kvmreg_state_count(state), count = 0, len = 0, at = 0;
	uint64_t id;
	const void *value;

	for (size_t i = 0; i < n; i++) {
		kvmreg_state_at(state, i, &id, NULL);
		if (d->list_follows_value(id)) {
			count++;
			len += kvmreg_size_of(id);
		}
	}
	/* none kept when out of memory: the next save tries again */
	vcpu->list_value_at = malloc(count * sizeof(size_t) + len + 1);
	if (!vcpu->list_value_at)
		return;
	vcpu->list_values = (uint8_t *)(vcpu->list_value_at + count);
	vcpu->n_list_values = count;
	for (size_t i = 0, k = 0; i < n; i++) {
		kvmreg_state_at(state, i, &id, &value);
		if (!d->list_follows_value(id))
			continue;
		vcpu->list_value_at[k++] = i;
		memcpy(vcpu->list_values + at, value, kvmreg_size_of(id));
		at += kvmreg_size_of(id);
	}
}

bool kvmreg_vcpu_list_values_changed(struct kvmreg_vcpu *vcpu,
				     const struct kvmreg_state *state)
{
	const uint8_t *kept = vcpu->list_values;

	if (!vcpu->driver->list_follows_value)
		return false;
	if (!vcpu->list_value_at) {
		keep_list_values(vcpu, state);
		return false;
	}
	for (size_t k = 0; k < vcpu->n_list_values; k++) {
		const void *value;
		uint64_t id;

		kvmreg_state_at(state, vcpu->list_value_at[k], &id, &value);
		if (memcmp(kept, value, kvmreg_size_of(id)))
			return true;
		kept += kvmreg_size_of(id);
	}
	return false;
}

int kvmreg_vcpu_list(struct kvmreg_vcpu *vcpu, const struct kvmreg_list **out,
		     const uint64_t **ids, int *made)
{
	/* Read before enumerating: a change while it runs makes the next
	 * call enumerate again. */
	uint64_t changes = atomic_load_explicit(&vcpu->watch->changes,
						memory_order_acquire);
	struct kvmreg_list *list;
	int err;

	/* A read since may have seen the list change (the driver's
	 * list_stale: x86 CPUID leaves set behind the library's back). */
	if (vcpu->list && vcpu->driver->list_stale &&
	    vcpu->driver->list_stale(vcpu))
		forget_list(vcpu);
	if (made)
		*made = !vcpu->list || vcpu->list_seen != changes;
	if (!vcpu->list || vcpu->list_seen != changes) {
		forget_list(vcpu);
		err = kvmreg_enumerate(vcpu, 0, &list);
		if (err)
			return err;
		vcpu->list_ids = malloc((list->count + 1) *
					sizeof(*vcpu->list_ids));
		if (!vcpu->list_ids) {
			kvmreg_list_free(list);
			return kvmreg_set_error(-ENOMEM, "out of memory");
		}
		for (size_t i = 0; i < list->count; i++)
			vcpu->list_ids[i] = list->regs[i].id;
		vcpu->list = list;
		vcpu->list_seen = changes;
	}
	*out = vcpu->list;
	*ids = vcpu->list_ids;
	return 0;
}

void kvmreg_vcpu_list_written(struct kvmreg_vcpu *vcpu, int change)
{
	if (change == KVMREG_LIST_CHANGES_VCPU)
		forget_list(vcpu);
	else if (change == KVMREG_LIST_CHANGES_VM)
		atomic_fetch_add_explicit(&vcpu->watch->changes, 1,
					  memory_order_release);
}

KVMREG_EXPORT void kvmreg_vcpu_list_changed(struct kvmreg_vcpu *vcpu)
{
	if (!vcpu)
		return;
	kvmreg_vcpu_list_written(vcpu, KVMREG_LIST_CHANGES_VM);
}

int kvmreg_vcpu_keep_init(struct kvmreg_vcpu *vcpu, int vm_fd)
{
	vcpu->watch = watch_get(vm_fd < 0 ? -1 : vm_fd);
	return vcpu->watch ? 0 : -ENOMEM;
}

void kvmreg_vcpu_keep_release(struct kvmreg_vcpu *vcpu)
{
	forget_list(vcpu);
	kvmreg_plan_put(vcpu->read_plan);
	kvmreg_plan_put(vcpu->restore_plan);
	vcpu->read_plan = vcpu->restore_plan = NULL;
	watch_put(vcpu->watch);
	vcpu->watch = NULL;
}

/* The handle's kept list (above), unless the caller wants the fallback. */
KVMREG_EXPORT int kvmreg_list_get(struct kvmreg_vcpu *vcpu, unsigned int flags,
				  struct kvmreg_list **out)
{
	const struct kvmreg_list *kept;
	const uint64_t *ids;
	int err;

	KVMREG_NEED_ARG(vcpu, "vcpu");
	KVMREG_NEED_ARG(out, "out");
	/* Unknown flags too: kvmreg_enumerate() refuses them. */
	if (flags)
		return kvmreg_enumerate(vcpu, flags, out);
	err = kvmreg_vcpu_list(vcpu, &kept, &ids, NULL);
	if (err)
		return err;
	*out = kvmreg_list_copy(kept);
	return *out ? 0 : -ENOMEM;
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
