// SPDX-License-Identifier: MIT
/*
 * What every x86_64 ioctl file (x86 hosts only) works with and depends on
 * nothing else of the driver: the per-thread ioctl buffers, a system fd
 * for /dev/kvm ioctls, and appending to a listing.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include "arch/x86_64/host_data.h"

static pthread_key_t bufs_key;
static pthread_once_t bufs_key_once = PTHREAD_ONCE_INIT;
static bool bufs_key_made;
static _Thread_local struct x86_bufs *thread_bufs;

static void bufs_free(void *p)
{
	struct x86_bufs *b = p;

	if (b) {
		free(b->blob);
		free(b->seen);
		free(b->msrs);
		free(b->cpuid);
	}
	free(b);
}

static void bufs_key_make(void)
{
	bufs_key_made = pthread_key_create(&bufs_key, bufs_free) == 0;
}

/* This thread's buffers, with room for d's structs. */
int kvmreg_x86_bind_bufs(struct x86_data *d)
{
	struct x86_bufs *b = thread_bufs;
	void *p;

	if (!b) {
		b = calloc(1, sizeof(*b));
		if (b)
			b->msrs = malloc(sizeof(*b->msrs) +
					 MSR_BATCH * sizeof(struct kvm_msr_entry));
		if (!b || !b->msrs) {
			free(b);
			return kvmreg_set_error(-ENOMEM, "out of memory");
		}
		/* Freed when the thread ends. */
		pthread_once(&bufs_key_once, bufs_key_make);
		if (bufs_key_made)
			pthread_setspecific(bufs_key, b);
		thread_bufs = b;
	}
	if (b->blob_room < d->blob_room) {
		p = realloc(b->blob, d->blob_room);
		if (!p)
			return kvmreg_set_error(-ENOMEM, "out of memory");
		b->blob = p;
		b->blob_room = d->blob_room;
	}
	if (b->seen_room < d->max_members + 1) {
		p = realloc(b->seen, d->max_members + 1);
		if (!p)
			return kvmreg_set_error(-ENOMEM, "out of memory");
		b->seen = p;
		b->seen_room = d->max_members + 1;
	}
	d->bufs = b;
	return 0;
}

/* A /dev/kvm or VM fd for system ioctls: the caller's, else our own. */
int kvmreg_x86_system_fd(struct kvmreg_vcpu *vcpu, bool vm_ok, int *own)
{
	*own = -1;
	if (vm_ok && vcpu->vm_fd >= 0)
		return vcpu->vm_fd;
	if (vcpu->kvm_fd >= 0)
		return vcpu->kvm_fd;
	*own = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	return *own;
}

int kvmreg_x86_push(struct kvmreg_idvec *out, struct kvmreg_idvec *sources,
		    uint64_t id, enum kvmreg_source source)
{
	int err = kvmreg_idvec_push(out, id);

	return err ? err : kvmreg_idvec_push(sources, source);
}

