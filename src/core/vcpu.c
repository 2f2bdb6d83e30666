// SPDX-License-Identifier: MIT
/*
 * vCPU handles, the register list each keeps (and the rule for when it must
 * be made again), and scratch VMs.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/kvm.h>

#include "arch/arch.h"
#include "internal.h"
#include "plan.h"

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
	vcpu->list = NULL;
	vcpu->list_ids = NULL;
}

int kvmreg_vcpu_list(struct kvmreg_vcpu *vcpu, const struct kvmreg_list **out,
		     const uint64_t **ids)
{
	/* Read before enumerating: a change while it runs makes the next
	 * call enumerate again. */
	uint64_t changes = atomic_load_explicit(&vcpu->watch->changes,
						memory_order_acquire);
	struct kvmreg_list *list;
	int err;

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
	kvmreg_vcpu_list_written(vcpu, KVMREG_LIST_CHANGES_VM);
}

KVMREG_EXPORT int kvmreg_vcpu_attach(int kvm_fd, int vm_fd, int vcpu_fd,
				     struct kvmreg_vcpu **out)
{
	const struct kvmreg_arch_driver *driver =
		kvmreg_driver(kvmreg_arch_host());
	struct kvmreg_vcpu *vcpu;

	if (!driver)
		return kvmreg_set_error(-ENOTSUP,
					"libkvmreg was built for an architecture it cannot drive");
	if (vcpu_fd < 0)
		return kvmreg_set_error(-EBADF, "vcpu fd %d is not open", vcpu_fd);
	vcpu = calloc(1, sizeof(*vcpu));
	if (!vcpu)
		return kvmreg_set_error(-ENOMEM, "out of memory");
	vcpu->watch = watch_get(vm_fd < 0 ? -1 : vm_fd);
	if (!vcpu->watch) {
		free(vcpu);
		return kvmreg_set_error(-ENOMEM, "out of memory");
	}
	vcpu->kvm_fd = kvm_fd;
	vcpu->vm_fd = vm_fd;
	vcpu->fd = vcpu_fd;
	vcpu->driver = driver;
	*out = vcpu;
	return 0;
}

KVMREG_EXPORT void kvmreg_vcpu_detach(struct kvmreg_vcpu *vcpu)
{
	if (!vcpu)
		return;
	if (vcpu->arch_data_free)
		vcpu->arch_data_free(vcpu->arch_data);
	forget_list(vcpu);
	watch_put(vcpu->watch);
	free(vcpu);
}

KVMREG_EXPORT enum kvmreg_arch kvmreg_vcpu_arch(const struct kvmreg_vcpu *vcpu)
{
	return vcpu->driver->arch;
}

KVMREG_EXPORT uint64_t kvmreg_vcpu_ioctl_count(const struct kvmreg_vcpu *vcpu)
{
	return vcpu->ioctls;
}

static void close_if_open(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

KVMREG_EXPORT int kvmreg_scratch_create(unsigned int flags,
					struct kvmreg_scratch *s)
{
	const struct kvmreg_arch_driver *driver =
		kvmreg_driver(kvmreg_arch_host());
	int err;

	memset(s, 0, sizeof(*s));
	s->kvm_fd = s->vm_fd = s->vcpu_fd = -1;
	s->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (s->kvm_fd < 0) {
		err = -errno;
		if (err == -ENOENT)
			return kvmreg_set_error(err,
						"/dev/kvm does not exist: this host has no KVM (is the kvm module loaded?)");
		if (err == -EACCES || err == -EPERM)
			return kvmreg_set_error(err,
						"/dev/kvm: permission denied (run as root, or join the group that owns /dev/kvm)");
		return kvmreg_set_error(err, "cannot open /dev/kvm: %s",
					strerror(-err));
	}
	s->vm_fd = ioctl(s->kvm_fd, KVM_CREATE_VM, 0);
	if (s->vm_fd < 0) {
		err = kvmreg_set_error(-errno, "KVM_CREATE_VM: %s",
				       strerror(errno));
		goto fail;
	}
	if (!(flags & KVMREG_SCRATCH_NO_SETUP) && driver->vm_setup) {
		err = driver->vm_setup(s, flags);
		if (err)
			goto fail;
	}
	s->vcpu_fd = ioctl(s->vm_fd, KVM_CREATE_VCPU, 0);
	if (s->vcpu_fd < 0) {
		err = kvmreg_set_error(-errno, "KVM_CREATE_VCPU: %s",
				       strerror(errno));
		goto fail;
	}
	err = kvmreg_vcpu_attach(s->kvm_fd, s->vm_fd, s->vcpu_fd, &s->vcpu);
	if (err)
		goto fail;
	if (!(flags & KVMREG_SCRATCH_NO_SETUP) && driver->vcpu_setup) {
		err = driver->vcpu_setup(s, flags);
		if (err)
			goto fail;
	}
	return 0;
fail:
	kvmreg_scratch_destroy(s);
	return err;
}

KVMREG_EXPORT void kvmreg_scratch_destroy(struct kvmreg_scratch *s)
{
	kvmreg_vcpu_detach(s->vcpu);
	s->vcpu = NULL;
	close_if_open(&s->vcpu_fd);
	close_if_open(&s->vm_fd);
	close_if_open(&s->kvm_fd);
}
