// SPDX-License-Identifier: MIT
/* vCPU handles and scratch VMs. What a handle keeps is enum.c's. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/kvm.h>

#include "arch/arch.h"
#include "internal.h"
#include "one_reg_batch.h"

/* What fd is, for a message: "/dev/null", "anon_inode:kvm-vm", ... */
static void describe_fd(int fd, char *buf, size_t len)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, len - 1);
	if (n < 0)
		snprintf(buf, len, "unknown (no /proc)");
	else
		buf[n] = '\0';
}

/*
 * The check of a vCPU fd: KVM_SET_SIGNAL_MASK with an argument in the
 * kernel's half of the address space. kvm_vcpu_ioctl() answers -EIO when
 * the vCPU's VM belongs to another process (or is dead); otherwise it
 * copies the argument in before it does anything else (virt/kvm/kvm_main.c,
 * to 7.2; old kernels load the vCPU first, which changes nothing), so
 * the copy's -EFAULT says "a vCPU of this process" having changed nothing
 * and loaded nothing. No other KVM fd has the ioctl (a VM fd: ENOTTY or
 * EINVAL, /dev/kvm: EINVAL), and a file that copies any argument in
 * before it looks at the command (a V4L2 device, a FUSE file with ioctls)
 * is no anonymous inode, as every KVM fd but /dev/kvm is. It takes the
 * vCPU's mutex, as every call on the handle does: it waits for a KVM_RUN
 * of another thread. The name /proc gives the file is read only to say
 * what a refused fd is.
 */
#define UNREADABLE_ARGUMENT ((void *)(uintptr_t)-4096)

/*
 * The device of the anonymous-inode file system, learned once per process
 * from an eventfd of its own (an anonymous inode too); 0: not known yet,
 * KNOWN_DEVICE marks a known one.
 */
#define KNOWN_DEVICE (1ULL << 63)
static _Atomic unsigned long long anon_inode_device;

static bool anonymous_inode(const struct stat *st)
{
	unsigned long long known = atomic_load(&anon_inode_device);
	struct stat own;
	int fd;

	if (!known) {
		fd = eventfd(0, EFD_CLOEXEC);
		if (fd >= 0 && fstat(fd, &own) == 0) {
			known = KNOWN_DEVICE | (unsigned long long)own.st_dev;
			atomic_store(&anon_inode_device, known);
		}
		if (fd >= 0)
			close(fd);
	}
	if (known)
		return (known & ~KNOWN_DEVICE) == (unsigned long long)st->st_dev;
	/* no eventfd to ask: at least no device, socket, pipe or file */
	return !S_ISCHR(st->st_mode) && !S_ISBLK(st->st_mode) &&
	       !S_ISSOCK(st->st_mode) && !S_ISFIFO(st->st_mode) &&
	       !S_ISREG(st->st_mode);
}

/* The errno of the ioctl with the unreadable argument; -1 if it
 * succeeded (no KVM fd of the kind asked). */
static int door_errno(int fd, unsigned long request)
{
	return ioctl(fd, request, UNREADABLE_ARGUMENT) == 0 ? -1 : errno;
}

static int foreign_vcpu(const char *argument, int fd, const char *what)
{
	return kvmreg_set_error(-EINVAL,
				"kvmreg_vcpu_attach: %s %d (%s) is a vCPU KVM will not serve this process (its VM belongs to another process, or is dead)",
				argument, fd, what);
}

/* The fd is open: -EBADF with the message, or 0. */
static int open_fd(const char *argument, int fd, int probe_errno)
{
	if (fd >= 0 && probe_errno != EBADF)
		return 0;
	return kvmreg_set_error(-EBADF,
				"kvmreg_vcpu_attach: %s %d is not open (no file descriptor of this process)",
				argument, fd);
}

/*
 * Each fd the caller hands over is what its name says, checked with
 * ioctls that change nothing: a wrong fd is refused here, naming what it
 * is, instead of failing later as a strange register error.
 * KVM_GET_API_VERSION answers only on /dev/kvm; a VM fd and a vCPU fd are
 * told by the copy of an argument only their own ioctl takes. What a
 * refused fd is, the message says: KVM_CHECK_EXTENSION answers on
 * /dev/kvm and VM fds.
 */
static int check_fd(const char *argument, int fd, int expect)
{
	char what[128];
	struct stat st;
	int api, ext, probe = 0;

	if (expect == 2 && fd >= 0) {
		probe = door_errno(fd, KVM_SET_SIGNAL_MASK);
		if (probe == EFAULT && fstat(fd, &st) == 0 &&
		    anonymous_inode(&st))
			return 0;
	} else if (expect == 1 && fd >= 0) {
		/* kvm_vm_ioctl() copies a memory region in first, as the
		 * vCPU's ioctl its mask */
		probe = door_errno(fd, KVM_SET_USER_MEMORY_REGION);
		if (probe == EFAULT)
			return 0;
	} else if (fd >= 0) {
		api = ioctl(fd, KVM_GET_API_VERSION, 0);
		probe = api < 0 ? errno : 0;
		if (api >= 0)
			return 0;
	}
	if (open_fd(argument, fd, probe))
		return -EBADF;
	/* Refused: what it is, for the message. */
	describe_fd(fd, what, sizeof(what));
	if (expect == 2 && probe == EIO &&
	    (!strncmp(what, "anon_inode:kvm-vcpu", 19) ||
	     !strncmp(what, "unknown", 7)))
		return foreign_vcpu(argument, fd, what);
	api = ioctl(fd, KVM_GET_API_VERSION, 0);
	ext = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY);
	return kvmreg_set_error(-EINVAL,
				"kvmreg_vcpu_attach: %s %d is not %s: it is %s (%s)",
				argument, fd,
				expect == 0 ? "/dev/kvm" :
				expect == 1 ? "a KVM VM fd" : "a KVM vCPU fd",
				api >= 0 ? "/dev/kvm" :
				ext >= 0 ? "a KVM VM fd" :
				!strncmp(what, "anon_inode:kvm-vcpu", 19) ?
				"a KVM vCPU fd" : "no KVM fd",
				what);
}

KVMREG_EXPORT int kvmreg_vcpu_attach(int kvm_fd, int vm_fd, int vcpu_fd,
				     struct kvmreg_vcpu **out)
{
	const struct kvmreg_arch_driver *driver =
		kvmreg_driver(kvmreg_arch_host());
	struct kvmreg_vcpu *vcpu;
	int err;

	KVMREG_NEED_ARG(out, "out");
	if (!driver)
		return kvmreg_set_error(-ENOTSUP,
					"libkvmreg was built for an architecture it cannot drive");
	err = check_fd("vcpu_fd", vcpu_fd, 2);
	if (!err && kvm_fd != -1)
		err = check_fd("kvm_fd", kvm_fd, 0);
	if (!err && vm_fd != -1)
		err = check_fd("vm_fd", vm_fd, 1);
	if (err)
		return err;
	vcpu = calloc(1, sizeof(*vcpu));
	if (!vcpu)
		return kvmreg_set_error(-ENOMEM, "out of memory");
	if (kvmreg_vcpu_keep_init(vcpu, vm_fd)) {
		free(vcpu);
		return kvmreg_set_error(-ENOMEM, "out of memory");
	}
	vcpu->kvm_fd = kvm_fd;
	vcpu->vm_fd = vm_fd;
	vcpu->fd = vcpu_fd;
	vcpu->driver = driver;
	kvmreg_one_reg_batch_probe(vcpu);	/* batch ONE_REG hook */
	*out = vcpu;
	return 0;
}

KVMREG_EXPORT void kvmreg_vcpu_detach(struct kvmreg_vcpu *vcpu)
{
	if (!vcpu)
		return;
	if (vcpu->arch_data_free)
		vcpu->arch_data_free(vcpu->arch_data);
	kvmreg_vcpu_keep_release(vcpu);
	free(vcpu);
}

KVMREG_EXPORT int kvmreg_vcpu_set_gic_fd(struct kvmreg_vcpu *vcpu, int gic_fd)
{
	int err;

	KVMREG_NEED_ARG(vcpu, "vcpu");
	if (gic_fd < -1)
		return kvmreg_set_error(-EBADF,
					"kvmreg_vcpu_set_gic_fd: %d is neither an fd nor -1",
					gic_fd);
	if (!vcpu->driver->gic_fd)
		return kvmreg_set_error(-EOPNOTSUPP,
					"kvmreg_vcpu_set_gic_fd: a %s vCPU has no per-vCPU interrupt-controller state the library saves",
					vcpu->driver->name);
	err = vcpu->driver->gic_fd(vcpu, gic_fd);
	/* The GIC's per-vCPU registers join or leave the list. */
	if (!err)
		kvmreg_vcpu_list_written(vcpu, KVMREG_LIST_CHANGES_VCPU);
	return err;
}

KVMREG_EXPORT enum kvmreg_arch kvmreg_vcpu_arch(const struct kvmreg_vcpu *vcpu)
{
	return vcpu ? vcpu->driver->arch : KVMREG_ARCH_NONE;
}

KVMREG_EXPORT uint64_t kvmreg_vcpu_ioctl_count(const struct kvmreg_vcpu *vcpu)
{
	return vcpu ? vcpu->ioctls : 0;
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
	const unsigned int known = KVMREG_SCRATCH_NO_SETUP |
				   KVMREG_SCRATCH_SVE | KVMREG_SCRATCH_PMU;
	int err;

	KVMREG_NEED_ARG(s, "out");
	if (flags & ~known)
		return kvmreg_set_error(-EINVAL,
					"kvmreg_scratch_create: unknown flags 0x%x",
					flags & ~known);
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
	if (!s)
		return;
	kvmreg_vcpu_detach(s->vcpu);
	s->vcpu = NULL;
	close_if_open(&s->vcpu_fd);
	close_if_open(&s->vm_fd);
	close_if_open(&s->kvm_fd);
}
