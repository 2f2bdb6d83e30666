// SPDX-License-Identifier: MIT
/* The arch-neutral half of the test guests: see guest.h. */
#include "guest.h"

#if GUEST_SUPPORTED

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/kvm.h>

/* A guest that neither writes MMIO nor exits in this long is stuck: a
 * fault with no handler loops in the guest for ever. (A step takes
 * microseconds, even in the nested guests on TCG.) */
#define GUEST_RUN_TIMEOUT_S 10

static int failed_at(const char **what, const char *step)
{
	int err = errno ? -errno : -EIO;

	if (what)
		*what = step;
	return err;
}

static int vm_create(struct guest_vm *vm, unsigned int flags,
		     const char **what)
{
	struct kvm_userspace_memory_region region;
	int size, err;

	memset(vm, 0, sizeof(*vm));
	vm->kvm_fd = vm->vm_fd = vm->vcpu_fd = -1;
	vm->flags = flags;
	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0)
		return failed_at(what, "open /dev/kvm");
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0)
		return failed_at(what, "KVM_CREATE_VM");
	vm->ram = mmap(NULL, GUEST_RAM_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (vm->ram == MAP_FAILED) {
		vm->ram = NULL;
		return failed_at(what, "mmap guest RAM");
	}
	region = (struct kvm_userspace_memory_region){
		.slot = 0,
		.guest_phys_addr = GUEST_RAM_GPA,
		.memory_size = GUEST_RAM_SIZE,
		.userspace_addr = (uintptr_t)vm->ram,
	};
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region))
		return failed_at(what, "KVM_SET_USER_MEMORY_REGION");
	vm->vcpu_fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, 0);
	if (vm->vcpu_fd < 0)
		return failed_at(what, "KVM_CREATE_VCPU");
	size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size <= 0)
		return failed_at(what, "KVM_GET_VCPU_MMAP_SIZE");
	vm->run_size = size;
	vm->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		       vm->vcpu_fd, 0);
	if (vm->run == MAP_FAILED) {
		vm->run = NULL;
		return failed_at(what, "mmap kvm_run");
	}
	err = guest_arch_vcpu_setup(vm, flags, what);
	if (err)
		return err;
	err = kvmreg_vcpu_attach(vm->kvm_fd, vm->vm_fd, vm->vcpu_fd,
				 &vm->vcpu);
	if (err && what)
		*what = "kvmreg_vcpu_attach";
	return err;
}

int guest_vm_create(struct guest_vm *vm, unsigned int flags,
		    const char **what)
{
	int err = vm_create(vm, flags, what);

	if (err)
		guest_vm_destroy(vm);
	return err;
}

void guest_vm_destroy(struct guest_vm *vm)
{
	kvmreg_vcpu_detach(vm->vcpu);
	if (vm->run)
		munmap(vm->run, vm->run_size);
	if (vm->vcpu_fd >= 0)
		close(vm->vcpu_fd);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->ram)
		munmap(vm->ram, GUEST_RAM_SIZE);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	memset(vm, 0, sizeof(*vm));
	vm->kvm_fd = vm->vm_fd = vm->vcpu_fd = -1;
}

int guest_load(struct guest_vm *vm, const void *code, size_t size)
{
	uint64_t pc = GUEST_RAM_GPA;

	if (size > GUEST_RAM_SIZE)
		return -E2BIG;
	memcpy(vm->ram, code, size);
	return kvmreg_set(vm->vcpu, guest_arch_pc_id(), &pc);
}

int guest_load_program(struct guest_vm *vm, uint32_t steps)
{
	size_t size;
	const void *code = guest_arch_program(&size);
	uint64_t arg = steps;
	int err;

	/* The history the program keeps (8 bytes a step) follows its code. */
	if (!steps || steps > 1000 || size + 8ull * steps > GUEST_RAM_SIZE)
		return -EINVAL;
	err = guest_load(vm, code, size);
	return err ? err : kvmreg_set(vm->vcpu, guest_arch_arg0_id(), &arg);
}

static void on_alarm(int sig)
{
	(void)sig;	/* only there to make KVM_RUN return EINTR */
}

int guest_run(struct guest_vm *vm, struct guest_mmio *mmio, char *why,
	      size_t why_len)
{
	struct sigaction sa = { .sa_handler = on_alarm }, old;
	int r, err;

	sigaction(SIGALRM, &sa, &old);
	alarm(GUEST_RUN_TIMEOUT_S);
	r = ioctl(vm->vcpu_fd, KVM_RUN, 0);
	err = r ? -errno : 0;
	alarm(0);
	sigaction(SIGALRM, &old, NULL);
	if (err == -EINTR) {
		snprintf(why, why_len, "no MMIO write in %d s",
			 GUEST_RUN_TIMEOUT_S);
		return -EIO;
	}
	if (err) {
		snprintf(why, why_len, "KVM_RUN: %s", strerror(-err));
		return err;
	}
	if (vm->run->exit_reason != KVM_EXIT_MMIO || !vm->run->mmio.is_write) {
		snprintf(why, why_len, "unexpected exit, reason %u%s",
			 vm->run->exit_reason,
			 vm->run->exit_reason == KVM_EXIT_MMIO ?
			 " (an MMIO read)" : "");
		return -EIO;
	}
	mmio->addr = vm->run->mmio.phys_addr;
	mmio->len = vm->run->mmio.len;
	mmio->data = 0;
	memcpy(&mmio->data, vm->run->mmio.data,
	       mmio->len < sizeof(mmio->data) ? mmio->len : sizeof(mmio->data));
	return 0;
}

int guest_touch_run(struct guest_vm *vm)
{
	int r;

	vm->run->immediate_exit = 1;
	r = ioctl(vm->vcpu_fd, KVM_RUN, 0);
	vm->run->immediate_exit = 0;
	if (r == 0)
		return -EIO;	/* it ran guest code: it must not have */
	return errno == EINTR ? 0 : -errno;
}

int guest_complete_mmio(struct guest_vm *vm)
{
	return guest_touch_run(vm);
}

int guest_snapshot_take(struct guest_vm *vm, struct guest_snapshot *snap,
			char *why, size_t why_len)
{
	int err;

	memset(snap, 0, sizeof(*snap));
	err = guest_complete_mmio(vm);
	if (err) {
		snprintf(why, why_len, "completing the MMIO write: %s",
			 strerror(-err));
		return err;
	}
	err = kvmreg_save(vm->vcpu, &snap->regs);
	if (err) {
		snprintf(why, why_len, "kvmreg_save: %s", kvmreg_error());
		return err;
	}
	snap->ram = malloc(GUEST_RAM_SIZE);
	if (!snap->ram) {
		guest_snapshot_free(snap);
		snprintf(why, why_len, "out of memory");
		return -ENOMEM;
	}
	memcpy(snap->ram, vm->ram, GUEST_RAM_SIZE);
	return 0;
}

int guest_snapshot_resume(const struct guest_snapshot *snap,
			  unsigned int flags, struct guest_vm *vm, char *why,
			  size_t why_len)
{
	const char *what = "";
	int err = guest_vm_create(vm, flags, &what);

	if (err) {
		snprintf(why, why_len, "new VM: %s: %s", what, strerror(-err));
		return err;
	}
	memcpy(vm->ram, snap->ram, GUEST_RAM_SIZE);
	err = kvmreg_restore(vm->vcpu, snap->regs);
	if (err) {
		snprintf(why, why_len, "kvmreg_restore: %s", kvmreg_error());
		guest_vm_destroy(vm);
	}
	return err;
}

void guest_snapshot_free(struct guest_snapshot *snap)
{
	kvmreg_state_free(snap->regs);
	free(snap->ram);
	memset(snap, 0, sizeof(*snap));
}

#endif /* GUEST_SUPPORTED */
